/*
 * handler_impl.h - what handler.c (init, invoke) and handler_job.c (one photo) share. Internal.
 */
#ifndef U2_LAMBDA_HANDLER_IMPL_H
#define U2_LAMBDA_HANDLER_IMPL_H

#include "handler.h"

struct u2_handler {
    u2_config cfg;
    u2_s3_client *s3;
    u2net_model *model;
    u2net_ctx *ctx;
    int threads;
    int log_fd;
    double slowest_job_ms; /* the deadline guard's estimate of one more job */
};

/* Run one U2_JOB_RUN job. Messages, outputs and PNGs of the outcome: messages and "s3://..." strings
 * live in ev->arena; a direct invoke's PNG is u2_malloc'ed and freed by the caller after the answer. */
u2_job_outcome u2_handler_run_job(u2_handler *h, u2_event *ev, const u2_job *j, const char *request_id);

double u2_handler_now_ms(void); /* CLOCK_MONOTONIC, for stage timings */

#endif
