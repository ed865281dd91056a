/* remove_cli.h - what cmd_remove.c (arguments, one image) and remove_batch.c (a folder) share. */
#ifndef U2NET_REMOVE_CLI_H
#define U2NET_REMOVE_CLI_H

#include "cli.h"

typedef struct {
    u2net_ctx *ctx;
    u2net_remove_opts opts;
    size_t max_input_bytes;   /* files larger than this are refused before reading */
    int verbose;              /* -v: per-stage timings on stderr */
} u2_remove_job;

/* Read IN, remove the background, write OUT (atomically). Messages on stderr name IN.
 * Returns 1 on success, 0 on failure; *ms_total (may be NULL) gets the wall time. */
int u2_remove_one(const u2_remove_job *job, const char *in, const char *out, double *ms_total);

/* Every JPEG/PNG under INDIR (recursively) into OUTDIR/<same relative path>/<stem>.png. Returns the exit
 * code: 0 if every image was written, 1 if any failed or none was found. */
int u2_remove_batch(const u2_remove_job *job, const char *indir, const char *outdir);

double u2_cli_now_ms(void);

#endif /* U2NET_REMOVE_CLI_H */
