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

/* Whole file into memory (malloc'ed). 0 on failure, with a message on stderr. */
int u2_cli_read_file(const char *path, uint8_t **buf, size_t *len);

/* Write n float32 values little-endian. 0 on failure, with a message on stderr. */
int u2_cli_write_f32(const char *path, const float *v, size_t n);

#endif /* U2NET_CLI_H */
