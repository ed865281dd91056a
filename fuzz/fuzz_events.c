/* fuzz_events.c - libFuzzer harness for runtime/lambda/events.c: any payload either fails with a sentence
 * or becomes jobs; any mix of outcomes then builds an answer that is valid JSON (or an error with a
 * message). Also drives the form decoder and the BGCOLOR parser. */
#include "events.h"
#include "json.h"

#include <stdlib.h>

static const char *k_env[][2] = {{"INPUT_PREFIX", "uploads/"}, {"OUTPUT_PREFIX", "cutouts/"}, {NULL, NULL}};
static const char *table_get(const char *name, void *user) {
    const char *(*t)[2] = user;
    for (; (*t)[0]; t++)
        if (!strcmp((*t)[0], name)) return (*t)[1];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static u2_config cfg;
    static int ready;
    if (!ready) {
        if (u2_config_load(table_get, (void *)k_env, &cfg) != U2NET_OK) abort();
        ready = 1;
    }
    /* helpers on the raw bytes */
    char *buf = malloc(size + 1);
    size_t n;
    (void)u2_form_decode((const char *)data, size, buf, &n);
    memcpy(buf, data, size);
    buf[size] = 0;
    uint8_t rgba[4];
    (void)u2_parse_bgcolor(buf, "BGCOLOR", rgba);
    free(buf);

    u2_event *ev;
    if (u2_event_parse((const char *)data, size, &cfg, &ev) != U2NET_OK) {
        if (!*u2net_last_error()) abort(); /* every failure says why */
        return 0;
    }
    u2_job_outcome *outs = calloc(ev->n_jobs ? ev->n_jobs : 1, sizeof *outs);
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    for (size_t i = 0; i < ev->n_jobs; i++) {
        const u2_job *j = &ev->jobs[i];
        if (j->state == U2_JOB_RUN && j->bucket && (!j->out_key || !j->out_bucket || !j->key)) abort();
        if (j->state != U2_JOB_RUN && !j->reason) abort();
        if (j->state != U2_JOB_RUN) {
            outs[i] = u2_job_initial_outcome(j);
            continue;
        }
        uint8_t pick = size ? data[(i * 31) % size] : 0;
        outs[i].kind = (u2_outcome_kind)(pick % 4);
        outs[i].status = pick & 4 ? U2NET_ERR_LIMIT : U2NET_ERR_FORMAT;
        outs[i].message = pick & 8 ? "failure \"with\" quotes\n" : NULL;
        outs[i].png = png;
        outs[i].png_len = sizeof png;
    }
    u2_event_response r;
    if (u2_event_respond(ev, outs, &r) == U2NET_OK) {
        if (r.is_error) {
            if (!r.error_type || !r.error_message) abort();
        } else {
            u2_json_doc *d;
            if (!r.body || u2_json_parse(r.body, r.len, NULL, &d) != U2NET_OK) abort();
            u2_json_free(d);
        }
        u2_event_response_free(&r);
    }
    free(outs);
    u2_event_free(ev);
    return 0;
}
