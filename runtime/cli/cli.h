/*
 * cli.h - what the subcommands of `u2net` share: their prototypes (from commands.def) and small
 * helpers for arguments and files. Subcommands print errors to stderr and return the exit code.
 */
#ifndef U2NET_CLI_H
#define U2NET_CLI_H

#include "u2net.h"

#include <stddef.h>
#include <stdint.h>

#define CMD(name, fn, help) int fn(int argc, char **argv);
#include "commands.def"
#undef CMD

/* "HxW" -> h, w (1..32768 each); 0 if malformed. */
int u2_cli_parse_size(const char *s, int *h, int *w);

/* "N" -> 1..1024; 0 if malformed. */
int u2_cli_parse_threads(const char *s, int *n);

/* Whole file into memory (u2_read_file: free with u2_free). 0 on failure, with a message on stderr. */
int u2_cli_read_file(const char *path, uint8_t **buf, size_t *len);

/* Write n float32 values little-endian. 0 on failure, with a message on stderr. */
int u2_cli_write_f32(const char *path, const float *v, size_t n);

/* Whole file ("-": stdin) into memory (malloc'ed), refusing more than cap bytes. 0 on failure, with a
 * message on stderr. (out_file.c) */
int u2_cli_read_input(const char *path, size_t cap, uint8_t **buf, size_t *len);

/* Write all of data to path ("-": stdout) through a temporary file in the same folder renamed over path:
 * path is replaced whole or left as it was. 0 on failure, with a message on stderr. (out_file.c) */
int u2_cli_write_output(const char *path, const uint8_t *data, size_t len);

/* 1 if path's folder exists and path is not a folder itself (checked before long work: a typo in OUT
 * should not cost a whole run); else 0 with a message. u2_cli_write_output still checks everything. */
int u2_cli_output_dir_ok(const char *path);

/* The model file to load: given (-m), else $U2NET_MODEL, else the first default that exists
 * (~/.u2net/u2net.u2n, then u2net.u2n next to the binary). 0 with a message naming both defaults if
 * none. (model_path.c) */
int u2_cli_find_model(const char *given, char *out, size_t cap);

#endif /* U2NET_CLI_H */
