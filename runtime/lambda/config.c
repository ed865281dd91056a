/* config.c - environment -> u2_config, the recursion guard and the output key mapping (config.h). */
#include "config.h"

#include "image.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *p = u2_malloc(n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

void u2_config_free(u2_config *c) {
    u2_free(c->model_path);
    u2_free(c->input_bucket);
    u2_free(c->output_bucket);
    u2_free(c->input_prefix);
    u2_free(c->output_prefix);
    memset(c, 0, sizeof *c);
}

bool u2_s3_bucket_name_ok(const char *b) {
    size_t n = strlen(b);
    if (n < 3 || n > 63) return false;
    int dots = 0, digits_only_parts = 1;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-') return false;
        if (c == '.') {
            dots++;
            if (i > 0 && b[i - 1] == '.') return false;
        }
        if (c >= 'a' && c <= 'z') digits_only_parts = 0;
        if (c == '-') digits_only_parts = 0;
    }
    bool first_ok = (b[0] >= 'a' && b[0] <= 'z') || (b[0] >= '0' && b[0] <= '9');
    bool last_ok = (b[n - 1] >= 'a' && b[n - 1] <= 'z') || (b[n - 1] >= '0' && b[n - 1] <= '9');
    if (!first_ok || !last_ok) return false;
    if (dots == 3 && digits_only_parts) return false; /* 192.168.5.4 */
    return true;
}

/* ---------------------------------------------------------------- value parsers */

static u2net_status parse_u64(const char *s, const char *name, uint64_t lo, uint64_t hi, uint64_t *out) {
    const char *p = s;
    while (*p == ' ') p++;
    if (*p < '0' || *p > '9') return u2_fail(U2NET_ERR_ARG, "%s='%s': expected a whole number", name, s);
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return u2_fail(U2NET_ERR_ARG, "%s='%s': number too large", name, s);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    while (*p == ' ') p++;
    if (*p) return u2_fail(U2NET_ERR_ARG, "%s='%s': expected a whole number", name, s);
    if (v < lo || v > hi)
        return u2_fail(U2NET_ERR_ARG, "%s=%s: must be between %llu and %llu", name, s, (unsigned long long)lo,
                       (unsigned long long)hi);
    *out = v;
    return U2NET_OK;
}

u2net_status u2_parse_bgcolor(const char *s, const char *what, uint8_t rgba[4]) {
    uint8_t v[4] = {0, 0, 0, 255};
    int n = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ') p++;
        if (*p < '0' || *p > '9')
            return u2_fail(U2NET_ERR_ARG, "%s='%s': expected r,g,b or r,g,b,a with numbers 0..255", what, s);
        unsigned x = 0;
        while (*p >= '0' && *p <= '9') {
            x = x * 10 + (unsigned)(*p - '0');
            if (x > 255) return u2_fail(U2NET_ERR_ARG, "%s='%s': component %d is over 255", what, s, n + 1);
            p++;
        }
        if (n == 4) return u2_fail(U2NET_ERR_ARG, "%s='%s': more than 4 components", what, s);
        v[n++] = (uint8_t)x;
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p) return u2_fail(U2NET_ERR_ARG, "%s='%s': unexpected '%c'", what, s, *p);
        break;
    }
    if (n < 3) return u2_fail(U2NET_ERR_ARG, "%s='%s': expected 3 or 4 components, got %d", what, s, n);
    memcpy(rgba, v, 4);
    return U2NET_OK;
}

static u2net_status check_prefix(const char *name, const char *v) {
    size_t n = strlen(v);
    if (n > 512) return u2_fail(U2NET_ERR_ARG, "%s is %zu bytes long; keep prefixes under 512 bytes", name, n);
    if (v[0] == '/')
        return u2_fail(U2NET_ERR_ARG, "%s='%s' starts with '/': S3 keys have no leading slash (use '%s')", name, v,
                       v + 1);
    if (!u2_utf8_valid(v, n)) return u2_fail(U2NET_ERR_ARG, "%s is not valid UTF-8", name);
    return U2NET_OK;
}

static bool prefix_of(const char *p, const char *s) { return strncmp(s, p, strlen(p)) == 0; }

/* ---------------------------------------------------------------- load */

u2net_status u2_config_load(u2_config_lookup get, void *user, u2_config *out) {
    memset(out, 0, sizeof *out);
    u2net_status s = U2NET_OK;
#define VAR(name) (get(name, user) && *get(name, user) ? get(name, user) : NULL)
    const char *model = VAR("MODEL"), *root = VAR("LAMBDA_TASK_ROOT");
    const char *in_bucket = VAR("INPUT_BUCKET"), *out_bucket = VAR("OUTPUT_BUCKET");
    const char *in_prefix = VAR("INPUT_PREFIX"), *out_prefix = VAR("OUTPUT_PREFIX");
    const char *mode = VAR("OUTPUT_MODE"), *bg = VAR("BGCOLOR"), *pp = VAR("POST_PROCESS");
    const char *maxpx = VAR("MAX_PIXELS"), *maxin = VAR("MAX_INPUT_BYTES");
#undef VAR
    /* an OUTPUT_PREFIX set to "" is a choice (and the guard judges it), not "unset" */
    if (!out_prefix && get("OUTPUT_PREFIX", user)) out_prefix = "";

    /* MODEL: relative to the function's code folder (/var/task on Lambda) */
    if (!root) root = "/var/task";
    if (!model) model = "model.u2n";
    if (model[0] == '/') {
        out->model_path = dup_str(model);
    } else {
        size_t n = strlen(root) + 1 + strlen(model) + 1;
        out->model_path = u2_malloc(n);
        if (out->model_path) snprintf(out->model_path, n, "%s/%s", root, model);
    }
    out->input_bucket = dup_str(in_bucket ? in_bucket : "");
    out->output_bucket = dup_str(out_bucket ? out_bucket : "");
    out->input_prefix = dup_str(in_prefix ? in_prefix : "");
    out->output_prefix = dup_str(out_prefix ? out_prefix : "cutouts/");
    if (!out->model_path || !out->input_bucket || !out->output_bucket || !out->input_prefix ||
        !out->output_prefix) {
        s = u2_fail(U2NET_ERR_NOMEM, "configuration: out of memory");
        goto fail;
    }

    if (in_bucket && !u2_s3_bucket_name_ok(in_bucket)) {
        s = u2_fail(U2NET_ERR_ARG, "INPUT_BUCKET='%s' is not a valid S3 bucket name", in_bucket);
        goto fail;
    }
    if (out_bucket && !u2_s3_bucket_name_ok(out_bucket)) {
        s = u2_fail(U2NET_ERR_ARG, "OUTPUT_BUCKET='%s' is not a valid S3 bucket name", out_bucket);
        goto fail;
    }
    if ((s = check_prefix("INPUT_PREFIX", out->input_prefix)) != U2NET_OK) goto fail;
    if ((s = check_prefix("OUTPUT_PREFIX", out->output_prefix)) != U2NET_OK) goto fail;

    out->render.mode = U2_MODE_CUTOUT;
    if (mode) {
        if (strcmp(mode, "cutout") == 0) out->render.mode = U2_MODE_CUTOUT;
        else if (strcmp(mode, "mask") == 0) out->render.mode = U2_MODE_MASK;
        else {
            s = u2_fail(U2NET_ERR_ARG, "OUTPUT_MODE='%s': expected 'cutout' or 'mask'", mode);
            goto fail;
        }
    }
    if (bg) {
        if ((s = u2_parse_bgcolor(bg, "BGCOLOR", out->render.bgcolor)) != U2NET_OK) goto fail;
        out->render.has_bgcolor = true;
    }
    if (pp) {
        if (strcmp(pp, "0") == 0) out->render.post_process = false;
        else if (strcmp(pp, "1") == 0) out->render.post_process = true;
        else {
            s = u2_fail(U2NET_ERR_ARG, "POST_PROCESS='%s': expected 0 or 1", pp);
            goto fail;
        }
    }
    out->max_pixels = U2_DEFAULT_MAX_PIXELS;
    if (maxpx && (s = parse_u64(maxpx, "MAX_PIXELS", 1, (uint64_t)1 << 34, &out->max_pixels)) != U2NET_OK)
        goto fail;
    out->max_input_bytes = U2_DEFAULT_MAX_INPUT_BYTES;
    if (maxin && (s = parse_u64(maxin, "MAX_INPUT_BYTES", 1, (uint64_t)4 << 30, &out->max_input_bytes)) != U2NET_OK)
        goto fail;
    if (out->max_input_bytes > SIZE_MAX) out->max_input_bytes = SIZE_MAX;

    /* The recursion guard, at init: could an output key land where the trigger looks? */
    bool same_bucket = !*out->output_bucket ||
                       (*out->input_bucket && strcmp(out->input_bucket, out->output_bucket) == 0);
    if (same_bucket && (prefix_of(out->input_prefix, out->output_prefix) ||
                        prefix_of(out->output_prefix, out->input_prefix))) {
        const char *where = *out->output_bucket ? "OUTPUT_BUCKET is INPUT_BUCKET"
                                                : "OUTPUT_BUCKET is unset, so outputs go to the input bucket";
        if (!*out->input_prefix)
            s = u2_fail(U2NET_ERR_ARG,
                        "recursion guard: INPUT_PREFIX is empty and %s: every output would trigger the function "
                        "again. Set INPUT_PREFIX to the trigger's prefix (e.g. 'uploads/') or OUTPUT_BUCKET to "
                        "another bucket",
                        where);
        else
            s = u2_fail(U2NET_ERR_ARG,
                        "recursion guard: INPUT_PREFIX='%s' and OUTPUT_PREFIX='%s' overlap and %s: outputs "
                        "could trigger the function again. Use disjoint prefixes (e.g. 'uploads/' and "
                        "'cutouts/') or another OUTPUT_BUCKET",
                        out->input_prefix, out->output_prefix, where);
        goto fail;
    }
    return U2NET_OK;
fail:
    u2_config_free(out);
    return s;
}

static const char *env_lookup(const char *name, void *user) {
    (void)user;
    return getenv(name);
}

u2net_status u2_config_from_env(u2_config *out) { return u2_config_load(env_lookup, NULL, out); }

/* ---------------------------------------------------------------- mapping and routing */

u2net_status u2_config_output_key(const u2_config *c, const char *key, char *out) {
    size_t pin = strlen(c->input_prefix), pout = strlen(c->output_prefix), n = strlen(key);
    if (strncmp(key, c->input_prefix, pin) != 0)
        return u2_fail(U2NET_ERR_ARG, "key '%.200s' is not under INPUT_PREFIX '%s'", key, c->input_prefix);
    const char *rest = key + pin;
    size_t nrest = n - pin;
    /* the extension of the last path segment, if any: ".jpeg" in "a b.jpeg"; none in ".hidden" or "v1.2/" */
    const char *base = strrchr(rest, '/');
    base = base ? base + 1 : rest;
    const char *dot = strrchr(base, '.');
    const char *b = base;
    while (*b == '.') b++;
    size_t stem = dot && dot >= b && dot > base ? (size_t)(dot - rest) : nrest;
    size_t total = pout + stem + 4;
    if (total > U2_S3_KEY_MAX)
        return u2_fail(U2NET_ERR_LIMIT, "output key for '%.200s' would be %zu bytes, over S3's %d-byte limit", key, total,
                       U2_S3_KEY_MAX);
    memcpy(out, c->output_prefix, pout);
    memcpy(out + pout, rest, stem);
    memcpy(out + pout + stem, ".png", 5);
    return U2NET_OK;
}

u2_route u2_config_route(const u2_config *c, const char *bucket, const char *key, const char **out_bucket,
                         char *out_key, char *why, size_t why_cap) {
    const char *dest = *c->output_bucket ? c->output_bucket : bucket;
    *out_bucket = dest;
    out_key[0] = 0;
    if (*c->input_bucket && strcmp(bucket, c->input_bucket) != 0) {
        snprintf(why, why_cap, "bucket '%s' is not INPUT_BUCKET '%s'", bucket, c->input_bucket);
        return U2_ROUTE_SKIP;
    }
    /* the run-time recursion guard: never process our own outputs */
    if (strcmp(dest, bucket) == 0 && prefix_of(c->output_prefix, key)) {
        snprintf(why, why_cap, "key is under OUTPUT_PREFIX '%s' of the output bucket (recursion guard)",
                 c->output_prefix);
        return U2_ROUTE_SKIP;
    }
    if (!prefix_of(c->input_prefix, key)) {
        snprintf(why, why_cap, "key is not under INPUT_PREFIX '%s'", c->input_prefix);
        return U2_ROUTE_SKIP;
    }
    size_t n = strlen(key);
    if (n == strlen(c->input_prefix) || key[n - 1] == '/') {
        snprintf(why, why_cap, "key is a folder placeholder, not a photo");
        return U2_ROUTE_SKIP;
    }
    if (u2_config_output_key(c, key, out_key) != U2NET_OK) {
        snprintf(why, why_cap, "%s", u2net_last_error());
        return U2_ROUTE_FAIL;
    }
    if (strcmp(dest, bucket) == 0 && strcmp(out_key, key) == 0) { /* never overwrite the source */
        snprintf(why, why_cap, "output key equals the input key");
        return U2_ROUTE_SKIP;
    }
    return U2_ROUTE_RUN;
}
