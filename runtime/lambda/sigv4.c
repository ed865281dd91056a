/* sigv4.c - AWS Signature Version 4: canonical request, string to sign, signing key, Authorization. */
#include "sigv4.h"

#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- encoding */

static bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void u2_uri_encode(u2_sb *b, const char *s, size_t n, bool keep_slash) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            u2_sb_addc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            u2_sb_add(b, e, 3);
        }
    }
}

/* ---------------------------------------------------------------- canonical query */

typedef struct {
    char *name;   /* encoded */
    char *value;  /* encoded */
} enc_pair;

static int cmp_pair(const void *a, const void *b) {
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s, bool keep_slash) {
    u2_sb b;
    u2_sb_init(&b);
    u2_uri_encode(&b, s, strlen(s), keep_slash);
    return u2_sb_take(&b);
}

u2net_status u2_sigv4_canonical_query(const u2_kv *query, size_t n, u2_sb *out) {
    if (n == 0) {
        u2_sb_add(out, "", 0);
        return u2_sb_status(out, "the canonical query");
    }
    enc_pair *p = u2_calloc(n, sizeof *p);
    if (!p) return u2_fail(U2NET_ERR_NOMEM, "out of memory sorting %zu query parameters", n);
    u2net_status s = U2NET_OK;
    for (size_t i = 0; i < n && s == U2NET_OK; i++) {
        if (!query[i].name || !query[i].name[0]) {
            s = u2_fail(U2NET_ERR_ARG, "SigV4: query parameter %zu has no name", i);
            break;
        }
        p[i].name = encode_dup(query[i].name, false);
        p[i].value = encode_dup(query[i].value ? query[i].value : "", false);
        if (!p[i].name || !p[i].value) s = u2_fail(U2NET_ERR_NOMEM, "out of memory encoding the query");
    }
    if (s == U2NET_OK) {
        /* byte order of the encoded strings, as SigV4 specifies */
        qsort(p, n, sizeof *p, cmp_pair);
        for (size_t i = 0; i < n; i++) {
            if (i) u2_sb_addc(out, '&');
            u2_sb_adds(out, p[i].name);
            u2_sb_addc(out, '=');
            u2_sb_adds(out, p[i].value);
        }
        s = u2_sb_status(out, "the canonical query");
    }
    for (size_t i = 0; i < n; i++) {
        u2_free(p[i].name);
        u2_free(p[i].value);
    }
    u2_free(p);
    return s;
}

/* ---------------------------------------------------------------- canonical headers */

typedef struct {
    char *name;    /* lowercase */
    size_t order;  /* position in the input, to keep duplicates in order */
    const char *value;
} hdr;

static int cmp_hdr(const void *a, const void *b) {
    const hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool is_token_char(unsigned char c) {
    return c > 32 && c < 127 && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* Trim, and collapse each run of spaces/tabs to one space (SigV4's "Trimall"). */
static void add_trimmed(u2_sb *b, const char *v) {
    while (*v == ' ' || *v == '\t') v++;
    bool pending_space = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            pending_space = true;
            continue;
        }
        if (pending_space) u2_sb_addc(b, ' ');
        pending_space = false;
        u2_sb_addc(b, *v);
    }
}

/* Writes "name:value\n" lines and fills signed ("host;x-amz-date"). */
static u2net_status canonical_headers(const u2_kv *h, size_t n, u2_sb *lines, u2_sb *signed_names) {
    if (n == 0) return u2_fail(U2NET_ERR_ARG, "SigV4: no headers to sign (host is required)");
    hdr *v = u2_calloc(n, sizeof *v);
    if (!v) return u2_fail(U2NET_ERR_NOMEM, "out of memory sorting %zu headers", n);
    u2net_status s = U2NET_OK;
    for (size_t i = 0; i < n; i++) {
        const char *name = h[i].name, *value = h[i].value ? h[i].value : "";
        size_t len = name ? strlen(name) : 0;
        if (len == 0) {
            s = u2_fail(U2NET_ERR_ARG, "SigV4: header %zu has no name", i);
            break;
        }
        for (size_t j = 0; j < len; j++)
            if (!is_token_char((unsigned char)name[j])) {
                s = u2_fail(U2NET_ERR_ARG, "SigV4: header name '%.40s' has a forbidden character", name);
                break;
            }
        if (s == U2NET_OK && strpbrk(value, "\r\n"))
            s = u2_fail(U2NET_ERR_ARG, "SigV4: header '%.40s' has a line break in its value", name);
        if (s != U2NET_OK) break;
        v[i].name = u2_malloc(len + 1);
        if (!v[i].name) {
            s = u2_fail(U2NET_ERR_NOMEM, "out of memory copying headers");
            break;
        }
        for (size_t j = 0; j <= len; j++) v[i].name[j] = u2_ascii_lower(name[j]);
        v[i].order = i;
        v[i].value = value;
    }
    if (s == U2NET_OK) {
        qsort(v, n, sizeof *v, cmp_hdr);
        for (size_t i = 0; i < n; i++) {
            bool same = i > 0 && strcmp(v[i].name, v[i - 1].name) == 0;
            if (same) {
                u2_sb_addc(lines, ','); /* a repeated header: values joined in order */
            } else {
                if (i > 0) {
                    u2_sb_addc(lines, '\n');
                    u2_sb_addc(signed_names, ';');
                }
                u2_sb_adds(lines, v[i].name);
                u2_sb_addc(lines, ':');
                u2_sb_adds(signed_names, v[i].name);
            }
            add_trimmed(lines, v[i].value);
        }
        u2_sb_addc(lines, '\n');
    }
    for (size_t i = 0; i < n; i++) u2_free(v[i].name);
    u2_free(v);
    return s;
}

/* ---------------------------------------------------------------- signing */

static bool valid_amz_date(const char *d) {
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9')) return false;
    return true;
}

static bool valid_scope_part(const char *s) {
    if (!s || !*s) return false;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s <= 32 || (unsigned char)*s >= 127) return false;
    return true;
}

void u2_amz_date(time_t t, char out[17]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void u2_sigv4_output_free(u2_sigv4_output *out) {
    u2_free(out->canonical_request);
    u2_free(out->string_to_sign);
    u2_free(out->authorization);
    memset(out, 0, sizeof *out);
}

u2net_status u2_sigv4_sign(const u2_sigv4_input *in, const u2_aws_credentials *cred, u2_sigv4_output *out) {
    memset(out, 0, sizeof *out);
    if (!in->method || !*in->method || !in->canonical_uri || in->canonical_uri[0] != '/')
        return u2_fail(U2NET_ERR_ARG, "SigV4: a method and a path starting with '/' are required");
    if (!valid_amz_date(in->amz_date))
        return u2_fail(U2NET_ERR_ARG, "SigV4: x-amz-date '%.20s' is not YYYYMMDDTHHMMSSZ",
                       in->amz_date ? in->amz_date : "(null)");
    if (!valid_scope_part(in->region) || !valid_scope_part(in->service))
        return u2_fail(U2NET_ERR_ARG, "SigV4: region and service must be non-empty, without '/' or spaces");
    if (!cred || !valid_scope_part(cred->access_key) || !cred->secret_key || !*cred->secret_key)
        return u2_fail(U2NET_ERR_ARG, "SigV4: an access key id and a secret access key are required");
    if (!in->payload_hash || !*in->payload_hash)
        return u2_fail(U2NET_ERR_ARG, "SigV4: a payload hash (or UNSIGNED-PAYLOAD) is required");

    u2_sb creq, query, lines, names, sts, auth;
    u2_sb_init(&creq); u2_sb_init(&query); u2_sb_init(&lines); u2_sb_init(&names);
    u2_sb_init(&sts); u2_sb_init(&auth);
    u2net_status s = u2_sigv4_canonical_query(in->query, in->n_query, &query);
    if (s == U2NET_OK) s = canonical_headers(in->headers, in->n_headers, &lines, &names);
    if (s == U2NET_OK) s = u2_sb_status(&lines, "the canonical headers");
    if (s == U2NET_OK) s = u2_sb_status(&names, "the signed headers");
    if (s == U2NET_OK) {
        /* Task 1: the canonical request */
        u2_sb_addf(&creq, "%s\n%s\n%s\n%s\n%s\n%s", in->method, in->canonical_uri, query.s, lines.s, names.s,
                   in->payload_hash);
        s = u2_sb_status(&creq, "the canonical request");
    }
    char scope[128];
    if (s == U2NET_OK) {
        int n = snprintf(scope, sizeof scope, "%.8s/%s/%s/aws4_request", in->amz_date, in->region, in->service);
        if (n < 0 || (size_t)n >= sizeof scope) s = u2_fail(U2NET_ERR_ARG, "SigV4: region/service too long");
    }
    if (s == U2NET_OK) {
        /* Task 2: the string to sign */
        char creq_hash[65];
        u2_sha256_hex(creq.s, creq.len, creq_hash);
        u2_sb_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", in->amz_date, scope, creq_hash);
        s = u2_sb_status(&sts, "the string to sign");
    }
    if (s == U2NET_OK) {
        /* Task 3: the signing key, then the signature */
        uint8_t k[U2_SHA256_LEN];
        u2_sb key;
        u2_sb_init(&key);
        u2_sb_adds(&key, "AWS4");
        u2_sb_adds(&key, cred->secret_key);
        s = u2_sb_status(&key, "the signing key");
        if (s == U2NET_OK) {
            u2_hmac_sha256(key.s, key.len, in->amz_date, 8, k);
            u2_hmac_sha256(k, sizeof k, in->region, strlen(in->region), k);
            u2_hmac_sha256(k, sizeof k, in->service, strlen(in->service), k);
            u2_hmac_sha256(k, sizeof k, "aws4_request", 12, k);
            uint8_t sig[U2_SHA256_LEN];
            u2_hmac_sha256(k, sizeof k, sts.s, sts.len, sig);
            u2_hex_encode(sig, sizeof sig, out->signature);
            memset(key.s, 0, key.len);
        }
        memset(k, 0, sizeof k);
        u2_sb_free(&key);
    }
    if (s == U2NET_OK) {
        u2_sb_addf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", cred->access_key,
                   scope, names.s, out->signature);
        s = u2_sb_status(&auth, "the Authorization header");
    }
    u2_sb_free(&query);
    u2_sb_free(&lines);
    u2_sb_free(&names);
    if (s != U2NET_OK) {
        u2_sb_free(&creq);
        u2_sb_free(&sts);
        u2_sb_free(&auth);
        memset(out, 0, sizeof *out);
        return s;
    }
    out->canonical_request = u2_sb_take(&creq);
    out->string_to_sign = u2_sb_take(&sts);
    out->authorization = u2_sb_take(&auth);
    return U2NET_OK;
}
