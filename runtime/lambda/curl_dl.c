/* curl_dl.c - libcurl through dlopen: the handful of easy-interface calls we need, declared here. */
#include "curl_dl.h"

#include "url.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the libcurl ABI we use */

/* Option numbers are part of libcurl's stable ABI: CURLOPTTYPE_LONG + n, OBJECTPOINT 10000 + n,
 * FUNCTIONPOINT 20000 + n, OFF_T 30000 + n (curl/curl.h). */
enum {
    OPT_WRITEDATA = 10001, OPT_URL = 10002, OPT_READDATA = 10009, OPT_ERRORBUFFER = 10010,
    OPT_WRITEFUNCTION = 20011, OPT_READFUNCTION = 20012, OPT_POSTFIELDS = 10015, OPT_HTTPHEADER = 10023,
    OPT_HEADERDATA = 10029, OPT_CUSTOMREQUEST = 10036, OPT_NOBODY = 44, OPT_UPLOAD = 46, OPT_POST = 47,
    OPT_CAINFO = 10065, OPT_HEADERFUNCTION = 20079, OPT_HTTPGET = 80, OPT_NOSIGNAL = 99,
    OPT_INFILESIZE_LARGE = 30115, OPT_MAXFILESIZE_LARGE = 30117, OPT_POSTFIELDSIZE_LARGE = 30120,
    OPT_TIMEOUT_MS = 155, OPT_PROTOCOLS = 181, OPT_PATH_AS_IS = 234, OPT_PROTOCOLS_STR = 10318,
};
enum { INFO_RESPONSE_CODE = 0x200000 + 2 };
enum { PROTO_HTTPS = 1 << 1 };
enum { GLOBAL_DEFAULT = 3 };
enum {
    E_OK = 0, E_COULDNT_RESOLVE_HOST = 6, E_COULDNT_CONNECT = 7, E_PARTIAL_FILE = 18, E_WRITE_ERROR = 23,
    E_OPERATION_TIMEDOUT = 28, E_SSL_CONNECT_ERROR = 35, E_UNKNOWN_OPTION = 48, E_GOT_NOTHING = 52,
    E_SEND_ERROR = 55, E_RECV_ERROR = 56, E_PEER_FAILED_VERIFICATION = 60, E_FILESIZE_EXCEEDED = 63,
    E_SSL_CACERT_BADFILE = 77,
};
#define ERROR_SIZE 256

typedef void CURL;
struct curl_slist;
typedef int64_t curl_off_t;
typedef size_t (*data_cb)(char *ptr, size_t size, size_t nmemb, void *user);

static struct {
    void *lib;
    int (*global_init)(long flags);
    CURL *(*easy_init)(void);
    int (*easy_setopt)(CURL *h, int option, ...);
    int (*easy_perform)(CURL *h);
    int (*easy_getinfo)(CURL *h, int info, ...);
    void (*easy_cleanup)(CURL *h);
    void (*easy_reset)(CURL *h);
    const char *(*easy_strerror)(int code);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
    char *(*version)(void);
} g_curl;
static pthread_mutex_t g_curl_lock = PTHREAD_MUTEX_INITIALIZER;

/* Load and resolve once per process; a failure is not remembered (the next call tries again). */
static u2net_status load_libcurl(void) {
    const char *name = getenv("U2NET_LIBCURL");
    if (!name || !*name) name = "libcurl.so.4";
    pthread_mutex_lock(&g_curl_lock);
    u2net_status s = U2NET_OK;
    if (!g_curl.lib) {
        void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *e = dlerror();
            s = u2_fail(U2NET_ERR_UNSUPPORTED, "HTTPS needs %s, which could not be loaded: %s", name,
                        e ? e : "unknown dlopen error");
        } else {
#define SYM(field, sym)                                                                                \
    do {                                                                                               \
        *(void **)&g_curl.field = dlsym(lib, sym);                                                     \
        if (!g_curl.field && s == U2NET_OK)                                                            \
            s = u2_fail(U2NET_ERR_UNSUPPORTED, "HTTPS: %s has no symbol %s (libcurl too old?)", name, sym); \
    } while (0)
            SYM(global_init, "curl_global_init");
            SYM(easy_init, "curl_easy_init");
            SYM(easy_setopt, "curl_easy_setopt");
            SYM(easy_perform, "curl_easy_perform");
            SYM(easy_getinfo, "curl_easy_getinfo");
            SYM(easy_cleanup, "curl_easy_cleanup");
            SYM(easy_reset, "curl_easy_reset");
            SYM(easy_strerror, "curl_easy_strerror");
            SYM(slist_append, "curl_slist_append");
            SYM(slist_free_all, "curl_slist_free_all");
            SYM(version, "curl_version");
#undef SYM
            if (s == U2NET_OK && g_curl.global_init(GLOBAL_DEFAULT) != E_OK)
                s = u2_fail(U2NET_ERR_UNSUPPORTED, "HTTPS: curl_global_init failed");
            if (s == U2NET_OK) {
                g_curl.lib = lib; /* kept for the life of the process: TLS libraries dislike unloading */
            } else {
                dlclose(lib);
                memset(&g_curl, 0, sizeof g_curl);
            }
        }
    }
    pthread_mutex_unlock(&g_curl_lock);
    return s;
}

const char *u2_curl_version(void) { return g_curl.version ? g_curl.version() : "(libcurl not loaded)"; }

/* ---------------------------------------------------------------- the CA bundle */

static u2net_status pick_ca_bundle(char *out, size_t cap) {
    static const char *envs[] = {"CA_BUNDLE", "SSL_CERT_FILE"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(envs[i]);
        if (!v || !*v) continue;
        if (access(v, R_OK) != 0)
            return u2_fail(U2NET_ERR_IO, "HTTPS CA bundle %s (from $%s) cannot be read: %s", v, envs[i], strerror(errno));
        snprintf(out, cap, "%s", v);
        return U2NET_OK;
    }
    static const char *defaults[] = {U2_CURL_DEFAULT_CA, "/etc/ssl/certs/ca-certificates.crt"};
    for (size_t i = 0; i < 2; i++)
        if (access(defaults[i], R_OK) == 0) {
            snprintf(out, cap, "%s", defaults[i]);
            return U2NET_OK;
        }
    return u2_fail(U2NET_ERR_IO, "HTTPS needs a CA bundle: neither %s nor %s exists (set CA_BUNDLE or SSL_CERT_FILE)",
                   defaults[0], defaults[1]);
}

/* ---------------------------------------------------------------- handles */

struct u2_curl {
    CURL *h;
    char ca[4096];
    char errbuf[ERROR_SIZE];
};

u2net_status u2_curl_open(u2_curl **out) {
    *out = NULL;
    U2_TRY(load_libcurl());
    u2_curl *c = u2_calloc(1, sizeof *c);
    if (!c) return u2_fail(U2NET_ERR_NOMEM, "out of memory for an HTTPS handle");
    u2net_status s = pick_ca_bundle(c->ca, sizeof c->ca);
    if (s == U2NET_OK && !(c->h = g_curl.easy_init())) s = u2_fail(U2NET_ERR_NOMEM, "curl_easy_init failed");
    if (s != U2NET_OK) {
        u2_free(c);
        return s;
    }
    *out = c;
    return U2NET_OK;
}

void u2_curl_close(u2_curl *c) {
    if (!c) return;
    if (c->h) g_curl.easy_cleanup(c->h);
    u2_free(c);
}

const char *u2_curl_ca_bundle(const u2_curl *c) { return c->ca; }

/* ---------------------------------------------------------------- one request */

typedef struct {
    u2_sb headers;        /* packed, of the last response (interim 1xx heads are dropped) */
    size_t n_headers;
    u2net_status header_error;
    uint8_t *body;
    size_t body_len, body_cap, max_body;
    bool over_limit, nomem;
    const uint8_t *up;    /* request body being sent */
    size_t up_left;
} xfer;

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user) {
    xfer *x = user;
    size_t n = size * nmemb, len = n;
    while (len && (ptr[len - 1] == '\n' || ptr[len - 1] == '\r')) len--;
    if (len >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        u2_sb_free(&x->headers); /* a new response head starts */
        x->n_headers = 0;
        x->header_error = U2NET_OK;
    } else if (len > 0 && x->header_error == U2NET_OK) {
        if (x->n_headers >= U2_HTTP_MAX_HEADERS || x->headers.len + len > U2_HTTP_MAX_HEAD)
            x->header_error = u2_fail(U2NET_ERR_LIMIT, "HTTPS response has too many or too large headers");
        else if ((x->header_error = u2_http_header_line(&x->headers, ptr, len)) == U2NET_OK)
            x->n_headers++;
    }
    return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user) {
    xfer *x = user;
    size_t n = size * nmemb;
    if (n > x->max_body - x->body_len) {
        x->over_limit = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (x->body_len + n > x->body_cap) {
        size_t cap = x->body_cap ? x->body_cap : 16384;
        while (cap < x->body_len + n) cap = cap > SIZE_MAX / 2 ? x->body_len + n : cap * 2;
        if (cap > x->max_body) cap = x->max_body;
        uint8_t *b = u2_realloc(x->body, x->body_len, cap);
        if (!b) {
            x->nomem = true;
            return 0;
        }
        x->body = b;
        x->body_cap = cap;
    }
    memcpy(x->body + x->body_len, ptr, n);
    x->body_len += n;
    return n;
}

static size_t on_upload(char *buf, size_t size, size_t nitems, void *user) {
    xfer *x = user;
    size_t n = size * nitems;
    if (n > x->up_left) n = x->up_left;
    memcpy(buf, x->up, n);
    x->up += n;
    x->up_left -= n;
    return n;
}

static u2net_status map_error(u2_curl *c, int code, const xfer *x, const u2_http_request *rq) {
    const char *msg = c->errbuf[0] ? c->errbuf : g_curl.easy_strerror(code);
    switch (code) {
    case E_WRITE_ERROR:
        if (x->nomem) return u2_fail(U2NET_ERR_NOMEM, "out of memory for an HTTPS response body");
        if (x->over_limit)
            return u2_fail(U2NET_ERR_LIMIT, "HTTPS response body exceeds the limit of %zu bytes", rq->max_body);
        break;
    case E_FILESIZE_EXCEEDED:
        return u2_fail(U2NET_ERR_LIMIT, "HTTPS response body exceeds the limit of %zu bytes", rq->max_body);
    case E_PARTIAL_FILE:
        return u2_fail(U2NET_ERR_TRUNCATED, "HTTPS response ended early (curl %d: %s)", code, msg);
    case E_OPERATION_TIMEDOUT:
        return u2_fail(U2NET_ERR_NETWORK, "no complete response within %d ms (curl %d: %s)", rq->timeout_ms, code, msg);
    case E_PEER_FAILED_VERIFICATION:
    case E_SSL_CACERT_BADFILE:
        return u2_fail(U2NET_ERR_REMOTE, "TLS certificate not trusted with CA bundle %s (curl %d: %s)", c->ca, code, msg);
    default:
        break;
    }
    (void)E_COULDNT_RESOLVE_HOST; (void)E_COULDNT_CONNECT; (void)E_SSL_CONNECT_ERROR; (void)E_GOT_NOTHING;
    (void)E_SEND_ERROR; (void)E_RECV_ERROR;
    return u2_fail(U2NET_ERR_NETWORK, "curl %d: %s", code, msg);
}

u2net_status u2_curl_do(u2_curl *c, const u2_http_request *rq, u2_http_response *resp) {
    memset(resp, 0, sizeof *resp);
    u2_url u;
    U2_TRY(u2_url_parse(rq->url, &u));
    if (!u.https) return u2_fail(U2NET_ERR_ARG, "HTTPS client given a plain http URL (%.80s)", rq->url);
    CURL *h = c->h;
    g_curl.easy_reset(h); /* forgets options, keeps live connections and TLS sessions */
    c->errbuf[0] = 0;

    xfer x = {.max_body = rq->max_body, .up = rq->body, .up_left = rq->body_len};
    u2_sb_init(&x.headers);
    struct curl_slist *list = NULL;
    u2net_status s = U2NET_OK;
    /* "Expect:" stops curl's 100-continue wait on large uploads */
    const char *fixed[] = {"Expect:", "User-Agent: u2net-lambda/1"};
    for (size_t i = 0; i < 2 && s == U2NET_OK; i++) {
        struct curl_slist *l = g_curl.slist_append(list, fixed[i]);
        if (!l) s = u2_fail(U2NET_ERR_NOMEM, "out of memory for HTTPS headers");
        else list = l;
    }
    for (size_t i = 0; i < rq->n_headers && s == U2NET_OK; i++) {
        const char *n = rq->headers[i].name, *v = rq->headers[i].value ? rq->headers[i].value : "";
        if (!n || !*n || strpbrk(n, " :\t\r\n") || strpbrk(v, "\r\n")) {
            s = u2_fail(U2NET_ERR_ARG, "HTTPS: header '%.40s' has a bad name or a line break", n ? n : "");
            break;
        }
        u2_sb line;
        u2_sb_init(&line);
        if (*v) u2_sb_addf(&line, "%s: %s", n, v);
        else u2_sb_addf(&line, "%s;", n); /* curl's way to send a header with an empty value */
        s = u2_sb_status(&line, "HTTPS headers");
        if (s == U2NET_OK) {
            struct curl_slist *l = g_curl.slist_append(list, line.s);
            if (!l) s = u2_fail(U2NET_ERR_NOMEM, "out of memory for HTTPS headers");
            else list = l;
        }
        u2_sb_free(&line);
    }
    if (s == U2NET_OK) {
        int rc = 0;
        rc |= g_curl.easy_setopt(h, OPT_URL, rq->url);
        rc |= g_curl.easy_setopt(h, OPT_NOSIGNAL, 1L);
        rc |= g_curl.easy_setopt(h, OPT_ERRORBUFFER, c->errbuf);
        rc |= g_curl.easy_setopt(h, OPT_CAINFO, c->ca);
        rc |= g_curl.easy_setopt(h, OPT_PATH_AS_IS, 1L); /* S3 keys are never normalized ("a/../b" stays) */
        if (g_curl.easy_setopt(h, OPT_PROTOCOLS_STR, "https") == E_UNKNOWN_OPTION) /* before 7.85 */
            rc |= g_curl.easy_setopt(h, OPT_PROTOCOLS, (long)PROTO_HTTPS);
        rc |= g_curl.easy_setopt(h, OPT_HTTPHEADER, list);
        rc |= g_curl.easy_setopt(h, OPT_HEADERFUNCTION, (data_cb)on_header);
        rc |= g_curl.easy_setopt(h, OPT_HEADERDATA, &x);
        rc |= g_curl.easy_setopt(h, OPT_WRITEFUNCTION, (data_cb)on_body);
        rc |= g_curl.easy_setopt(h, OPT_WRITEDATA, &x);
        rc |= g_curl.easy_setopt(h, OPT_TIMEOUT_MS, rq->timeout_ms > 0 ? (long)rq->timeout_ms : 0L);
        const char *m = rq->method ? rq->method : "GET";
        if (strcmp(m, "HEAD") != 0) /* refuse a too-large body before it starts (0 would mean no limit) */
            rc |= g_curl.easy_setopt(h, OPT_MAXFILESIZE_LARGE,
                                     (curl_off_t)(rq->max_body == 0 ? 1 : rq->max_body > INT64_MAX ? INT64_MAX : rq->max_body));
        if (strcmp(m, "GET") == 0) {
            rc |= g_curl.easy_setopt(h, OPT_HTTPGET, 1L);
        } else if (strcmp(m, "HEAD") == 0) {
            rc |= g_curl.easy_setopt(h, OPT_NOBODY, 1L); /* no size limit: Content-Length describes the object */
        } else if (strcmp(m, "PUT") == 0) {
            rc |= g_curl.easy_setopt(h, OPT_UPLOAD, 1L);
            rc |= g_curl.easy_setopt(h, OPT_READFUNCTION, (data_cb)on_upload);
            rc |= g_curl.easy_setopt(h, OPT_READDATA, &x);
            rc |= g_curl.easy_setopt(h, OPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
        } else {
            rc |= g_curl.easy_setopt(h, OPT_POST, 1L);
            rc |= g_curl.easy_setopt(h, OPT_POSTFIELDS, rq->body_len ? (const char *)rq->body : "");
            rc |= g_curl.easy_setopt(h, OPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
            if (strcmp(m, "POST") != 0) rc |= g_curl.easy_setopt(h, OPT_CUSTOMREQUEST, m);
        }
        if (rc != E_OK) s = u2_fail(U2NET_ERR_UNSUPPORTED, "HTTPS: this libcurl rejected an option (%s)", u2_curl_version());
    }
    if (s == U2NET_OK) {
        int rc = g_curl.easy_perform(h);
        if (rc != E_OK) {
            s = map_error(c, rc, &x, rq);
        } else if (x.header_error != U2NET_OK) {
            s = x.header_error;
        } else {
            long code = 0;
            g_curl.easy_getinfo(h, INFO_RESPONSE_CODE, &code);
            resp->status = (int)code;
            resp->headers = x.headers.s;
            resp->headers_len = x.headers.len;
            resp->n_headers = x.n_headers;
            x.headers.s = NULL;
            resp->body = x.body_len ? x.body : NULL;
            resp->body_len = x.body_len;
            if (!x.body_len) u2_free(x.body);
            x.body = NULL;
        }
    }
    /* nothing of ours stays referenced by the handle between requests */
    g_curl.easy_setopt(h, OPT_HTTPHEADER, (struct curl_slist *)NULL);
    if (list) g_curl.slist_free_all(list);
    u2_sb_free(&x.headers);
    u2_free(x.body);
    if (s != U2NET_OK) u2_fail_prefix(s, "HTTPS %s %.200s: ", rq->method ? rq->method : "GET", rq->url);
    return s;
}
