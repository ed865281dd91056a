/* handler_job.c - one photo: S3 GET -> u2net_remove -> S3 PUT (or a direct invoke's image -> PNG), with
 * its outcome and its log line. */
#include "handler_impl.h"

#include "log.h"

#include <stdio.h>

static u2net_remove_opts remove_opts(const u2_handler *h, const u2_job *j) {
    u2net_remove_opts o = u2net_remove_default_opts();
    o.mask_only = j->opts.mode == U2_MODE_MASK;
    o.bgcolor_set = j->opts.has_bgcolor && !o.mask_only; /* a mask has no background to colour */
    memcpy(o.bgcolor, j->opts.bgcolor, 4);
    o.post_process = j->opts.post_process;
    o.max_pixels = h->cfg.max_pixels;
    return o;
}

/* A failed outcome carrying the current u2net_last_error(), logged at ERROR. */
static u2_job_outcome failed(u2_handler *h, u2_event *ev, const u2_job *j, const char *rid, u2net_status s,
                             const u2_s3_result *s3) {
    u2_job_outcome o = {0};
    o.kind = u2_handler_classify(s, s3);
    /* a direct invoke answers HTTP statuses by class: a photo in a format we do not read is a bad request
     * (400), not the 405 that U2NET_ERR_UNSUPPORTED means for a request itself (events_respond.c) */
    o.status = s == U2NET_ERR_UNSUPPORTED && j->image ? U2NET_ERR_FORMAT : s;
    o.message = u2_arena_strdup(&ev->arena, u2net_last_error());
    if (!o.message) o.message = "out of memory for the error message";
    if (s == U2NET_ERR_NOMEM && s3 == NULL)
        o.message = u2_arena_printf(&ev->arena, "%s (raise the function's memory setting)", u2net_last_error());
    u2_log_error(h->log_fd, NULL, rid, j->bucket, j->key,
                 o.kind == U2_OUT_TEMPORARY ? "U2net.TemporaryFailure" : "U2net.PermanentFailure",
                 o.message ? o.message : "");
    return o;
}

/* GET the photo. EventBridge keys may arrive not form-encoded after all (events.h): when the decoded
 * key is not found (404, or 403 without s3:ListBucket), try the key exactly as it was sent. */
static u2net_status get_photo(u2_handler *h, const u2_event *ev, const u2_job *j, size_t max, uint8_t **data,
                              size_t *len) {
    u2net_status s = u2_s3_get_object_version(h->s3, j->bucket, j->key, j->version_id, max, data, len);
    const u2_s3_result *r = u2_s3_last(h->s3);
    if (s == U2NET_ERR_REMOTE && ev->kind == U2_EV_EVENTBRIDGE && j->raw_key && strcmp(j->raw_key, j->key) != 0 &&
        (r->http_status == 404 || r->http_status == 403)) {
        char first[600];
        snprintf(first, sizeof first, "%s", u2net_last_error());
        s = u2_s3_get_object_version(h->s3, j->bucket, j->raw_key, j->version_id, max, data, len);
        if (s != U2NET_OK) u2_fail_prefix(s, "%s; as sent: ", first);
    }
    return s;
}

static u2_job_outcome run_s3(u2_handler *h, u2_event *ev, const u2_job *j, const char *rid) {
    double t0 = u2_handler_now_ms();
    uint64_t cap = h->cfg.max_input_bytes;
    if (j->size >= 0 && (uint64_t)j->size > cap) {
        u2_fail(U2NET_ERR_LIMIT, "the object is %lld bytes, over MAX_INPUT_BYTES (%llu)", (long long)j->size,
                (unsigned long long)cap);
        return failed(h, ev, j, rid, U2NET_ERR_LIMIT, NULL);
    }
    uint8_t *data = NULL, *png = NULL;
    size_t len = 0, png_len = 0;
    u2net_status s = get_photo(h, ev, j, (size_t)cap, &data, &len);
    if (s != U2NET_OK) {
        if (s == U2NET_ERR_LIMIT) u2_fail_prefix(s, "(MAX_INPUT_BYTES is %llu) ", (unsigned long long)cap);
        return failed(h, ev, j, rid, s, u2_s3_last(h->s3));
    }
    double t1 = u2_handler_now_ms();

    u2net_remove_opts o = remove_opts(h, j);
    u2net_remove_stats st;
    s = u2net_remove(h->ctx, data, len, &o, &png, &png_len, &st);
    u2_free(data);
    if (s != U2NET_OK) return failed(h, ev, j, rid, s, NULL);
    double t2 = u2_handler_now_ms();

    /* a plain overwrite of the same key: a retried or re-delivered event writes the same bytes again */
    s = u2_s3_put_object(h->s3, j->out_bucket, j->out_key, png, png_len, "image/png");
    u2net_free(png);
    if (s != U2NET_OK) return failed(h, ev, j, rid, s, u2_s3_last(h->s3));
    double t3 = u2_handler_now_ms();

    u2_log_stage stages[] = {{"get", t1 - t0},          {"decode", st.ms_decode},
                             {"preprocess", st.ms_preprocess}, {"infer", st.ms_infer},
                             {"postprocess", st.ms_postprocess}, {"encode", st.ms_encode},
                             {"put", t3 - t2},          {"total", t3 - t0}};
    u2_log_image li = {.request_id = rid, .event_kind = u2_event_kind_name(ev->kind), .bucket = j->bucket,
                       .key = j->key, .version_id = j->version_id, .out_bucket = j->out_bucket, .out_key = j->out_key,
                       .in_bytes = len, .out_bytes = png_len, .width = st.in_width, .height = st.in_height,
                       .stages = stages, .n_stages = sizeof stages / sizeof stages[0]};
    u2_log_image_done(h->log_fd, NULL, &li);
    u2_job_outcome out = {0};
    out.kind = U2_OUT_OK;
    out.output = u2_arena_printf(&ev->arena, "s3://%s/%s", j->out_bucket, j->out_key);
    return out;
}

static u2_job_outcome run_direct(u2_handler *h, u2_event *ev, const u2_job *j, const char *rid) {
    double t0 = u2_handler_now_ms();
    u2net_remove_opts o = remove_opts(h, j);
    u2net_remove_stats st;
    uint8_t *png = NULL;
    size_t png_len = 0;
    u2net_status s = u2net_remove(h->ctx, j->image, j->image_len, &o, &png, &png_len, &st);
    if (s != U2NET_OK) return failed(h, ev, j, rid, s, NULL);
    u2_log_stage stages[] = {{"decode", st.ms_decode},          {"preprocess", st.ms_preprocess},
                             {"infer", st.ms_infer},            {"postprocess", st.ms_postprocess},
                             {"encode", st.ms_encode},          {"total", u2_handler_now_ms() - t0}};
    u2_log_image li = {.request_id = rid, .event_kind = u2_event_kind_name(ev->kind), .in_bytes = j->image_len,
                       .out_bytes = png_len, .width = st.in_width, .height = st.in_height, .stages = stages,
                       .n_stages = sizeof stages / sizeof stages[0]};
    u2_log_image_done(h->log_fd, NULL, &li);
    u2_job_outcome out = {0};
    out.kind = U2_OUT_OK;
    out.png = png; /* freed by u2_handler_invoke once the answer is built */
    out.png_len = png_len;
    return out;
}

u2_job_outcome u2_handler_run_job(u2_handler *h, u2_event *ev, const u2_job *j, const char *rid) {
    return j->image ? run_direct(h, ev, j, rid) : run_s3(h, ev, j, rid);
}
