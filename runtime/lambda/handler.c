/* handler.c - init (config, S3 client, model, context) and one invocation (event -> jobs -> answer). */
#include "handler_impl.h"

#include "log.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double u2_handler_now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int64_t epoch_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *p = u2_malloc(n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

/* ---------------------------------------------------------------- init */

/* The CPUs this function has: Lambda gives a process as many as the memory setting buys, and
 * sched_getaffinity sees exactly those. $U2NET_THREADS overrides (as for the CLI). */
static int function_cpus(void) {
    const char *env = getenv("U2NET_THREADS");
    if (env && *env) {
        long v = strtol(env, NULL, 10);
        if (v > 0 && v <= 1024) return (int)v;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return 1;
}

static void log_init_done(const u2_handler *h, const double ms[4]) {
    u2net_model_info info;
    u2_log_line l;
    u2_log_begin(&l, U2_LOG_INFO, NULL, NULL, "init done");
    u2_log_str(&l, "model", h->cfg.model_path);
    if (u2net_model_get_info(h->model, &info) == U2NET_OK) {
        u2_log_str(&l, "modelName", info.name);
        u2_log_u64(&l, "parameters", info.n_params);
        u2_log_i64(&l, "inputSize", info.norm.input_w);
    }
    u2_log_i64(&l, "threads", h->threads);
    u2_log_stage st[] = {{"config", ms[0]}, {"s3", ms[1]}, {"model", ms[2]}, {"context", ms[3]},
                         {"total", ms[0] + ms[1] + ms[2] + ms[3]}};
    u2_log_stages(&l, st, sizeof st / sizeof st[0]);
    u2_log_emit(&l, h->log_fd);
}

u2net_status u2_handler_init(const u2_handler_params *p, u2_handler **out, const char **error_type) {
    static const u2_handler_params defaults = {0};
    if (!p) p = &defaults;
    *out = NULL;
    *error_type = NULL;
    u2_handler *h = u2_calloc(1, sizeof *h);
    if (!h) {
        *error_type = U2_INIT_ERR_MODEL;
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for the handler");
    }
    h->log_fd = p->log_fd > 0 ? p->log_fd : 1;
    double ms[4] = {0}, t = u2_handler_now_ms(), t1;
    u2net_status s;

    /* configuration first: a mistake there is the commonest and the cheapest to report */
    s = p->get ? u2_config_load(p->get, p->user, &h->cfg) : u2_config_from_env(&h->cfg);
    if (s != U2NET_OK) {
        *error_type = strncmp(u2net_last_error(), "recursion guard", 15) == 0 ? U2_INIT_ERR_RECURSION
                                                                               : U2_INIT_ERR_CONFIG;
        goto fail;
    }
    t1 = u2_handler_now_ms(), ms[0] = t1 - t, t = t1;

    /* the S3 client loads libcurl now, so a function that could never reach S3 does not start */
    u2_s3_config sc;
    if (p->s3) sc = *p->s3;
    else if ((s = u2_s3_config_from_env(&sc)) != U2NET_OK) {
        *error_type = U2_INIT_ERR_S3;
        goto fail;
    }
    if ((s = u2_s3_client_new(&sc, &h->s3)) != U2NET_OK) {
        *error_type = U2_INIT_ERR_S3;
        goto fail;
    }
    t1 = u2_handler_now_ms(), ms[1] = t1 - t, t = t1;

    /* the model: mapped once, reused by every warm invocation */
    if ((s = u2net_model_load(h->cfg.model_path, &h->model)) != U2NET_OK) {
        *error_type = U2_INIT_ERR_MODEL;
        if (s == U2NET_ERR_IO) {
            char why[600];
            snprintf(why, sizeof why, "%s", u2net_last_error());
            u2_fail(s, "MODEL: %s (a relative MODEL is under $LAMBDA_TASK_ROOT; `make lambda-zip` puts the model at "
                       "model.u2n there)", why);
        } else {
            u2_fail_prefix(s, "MODEL: ");
        }
        goto fail;
    }
    t1 = u2_handler_now_ms(), ms[2] = t1 - t, t = t1;
    h->threads = function_cpus();
    u2net_ctx_params cp = u2net_ctx_default_params();
    cp.n_threads = h->threads;
    if ((s = u2net_ctx_init(h->model, &cp, &h->ctx)) != U2NET_OK) {
        *error_type = U2_INIT_ERR_MODEL;
        goto fail;
    }
    ms[3] = u2_handler_now_ms() - t;
    log_init_done(h, ms);
    *out = h;
    return U2NET_OK;
fail:;
    /* keep the sentence: freeing must not be able to replace it */
    char why[1024];
    snprintf(why, sizeof why, "%s", u2net_last_error());
    u2_handler_free(h);
    return u2_fail(s, "%s", why);
}

void u2_handler_free(u2_handler *h) {
    if (!h) return;
    u2net_ctx_free(h->ctx);
    u2net_model_free(h->model);
    u2_s3_client_free(h->s3);
    u2_config_free(&h->cfg);
    u2_free(h);
}

const u2_config *u2_handler_config(const u2_handler *h) { return &h->cfg; }
int u2_handler_threads(const u2_handler *h) { return h->threads; }

/* ---------------------------------------------------------------- outcomes */

u2_outcome_kind u2_handler_classify(u2net_status s, const u2_s3_result *s3) {
    if (s == U2NET_OK) return U2_OUT_OK;
    if (s3) {
        /* S3 already retried these itself before giving up: the next delivery may well succeed */
        if (s3->retryable || s == U2NET_ERR_NETWORK || s == U2NET_ERR_TRUNCATED) return U2_OUT_TEMPORARY;
        if (s3->http_status >= 500 && s3->http_status != 501) return U2_OUT_TEMPORARY;
    } else if (s == U2NET_ERR_NETWORK) {
        return U2_OUT_TEMPORARY;
    }
    /* out of memory may pass on a fresh execution environment (or after raising the memory setting:
     * the message says so); everything else is about the photo, the request or the configuration */
    if (s == U2NET_ERR_NOMEM) return U2_OUT_TEMPORARY;
    return U2_OUT_PERMANENT;
}

/* ---------------------------------------------------------------- one invocation */

static const char *failure_type(u2_outcome_kind k) {
    return k == U2_OUT_TEMPORARY ? "U2net.TemporaryFailure" : "U2net.PermanentFailure";
}

/* The deadline guard: a job that may not finish in time is better reported as a temporary failure
 * (SQS and Batch retry just it) than killed halfway with the whole invocation. */
static bool too_late(u2_handler *h, const u2_invocation *inv, u2_event *ev, u2_job_outcome *o) {
    if (!inv || inv->deadline_ms <= 0) return false;
    int64_t left = inv->deadline_ms - epoch_ms();
    double margin = h->slowest_job_ms * 1.5;
    if (margin < U2_DEADLINE_MARGIN_MS) margin = U2_DEADLINE_MARGIN_MS;
    if ((double)left >= margin) return false;
    o->kind = U2_OUT_TEMPORARY;
    o->status = U2NET_ERR_LIMIT;
    o->message = u2_arena_printf(&ev->arena,
                                 "not started: %lld ms were left before the invocation's deadline and a photo has "
                                 "taken up to %.0f ms here; retry it (or raise the function's timeout)",
                                 (long long)left, h->slowest_job_ms);
    return true;
}

static u2net_status answer_error(u2_event_response *r, const char *type, const char *message) {
    r->is_error = true;
    r->error_type = dup_str(type);
    r->error_message = dup_str(message);
    if (!r->error_type || !r->error_message) {
        u2_event_response_free(r);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for an error answer");
    }
    return U2NET_OK;
}

u2net_status u2_handler_invoke(u2_handler *h, const u2_invocation *inv, const char *payload, size_t len,
                               u2_event_response *r) {
    memset(r, 0, sizeof *r);
    const char *rid = inv ? inv->request_id : NULL;
    u2_event *ev;
    u2net_status s = u2_event_parse(payload, len, &h->cfg, &ev);
    if (s == U2NET_ERR_NOMEM) return s;
    if (s != U2NET_OK) {
        u2_log_error(h->log_fd, NULL, rid, NULL, NULL, U2_INVOKE_ERR_EVENT, u2net_last_error());
        return answer_error(r, U2_INVOKE_ERR_EVENT, u2net_last_error());
    }
    size_t n_jobs = ev->n_jobs;
    u2_job_outcome *outs = u2_calloc(n_jobs ? n_jobs : 1, sizeof *outs);
    if (!outs) {
        u2_event_free(ev);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for %zu job outcomes", n_jobs);
    }
    for (size_t i = 0; i < ev->n_jobs; i++) {
        const u2_job *j = &ev->jobs[i];
        if (j->state != U2_JOB_RUN) {
            outs[i] = u2_job_initial_outcome(j);
            if (j->state == U2_JOB_SKIP) u2_log_skip(h->log_fd, NULL, rid, j->bucket, j->key, j->reason);
            else u2_log_error(h->log_fd, NULL, rid, j->bucket, j->key, failure_type(outs[i].kind), j->reason);
        } else if (too_late(h, inv, ev, &outs[i])) {
            u2_log_error(h->log_fd, NULL, rid, j->bucket, j->key, failure_type(outs[i].kind), outs[i].message);
        } else {
            double t0 = u2_handler_now_ms();
            outs[i] = u2_handler_run_job(h, ev, j, rid);
            double took = u2_handler_now_ms() - t0;
            if (took > h->slowest_job_ms) h->slowest_job_ms = took;
        }
    }
    s = u2_event_respond(ev, outs, r);
    for (size_t i = 0; i < ev->n_jobs; i++) u2_free((void *)outs[i].png);
    u2_free(outs);
    u2_event_free(ev);
    return s;
}
