/* status.c - status names and the per-thread failure detail (stb_image's failure reason, per thread). */
#include "base.h"

#include <stdio.h>

static _Thread_local char g_detail[512];

const char *u2net_status_str(u2net_status s) {
    switch (s) {
    case U2NET_OK: return "ok";
    case U2NET_ERR_ARG: return "invalid argument";
    case U2NET_ERR_IO: return "I/O error";
    case U2NET_ERR_NOMEM: return "out of memory";
    case U2NET_ERR_FORMAT: return "malformed data";
    case U2NET_ERR_TRUNCATED: return "truncated data";
    case U2NET_ERR_VERSION: return "unsupported format version";
    case U2NET_ERR_UNSUPPORTED: return "unsupported feature";
    case U2NET_ERR_GRAPH: return "inconsistent graph";
    case U2NET_ERR_LIMIT: return "limit exceeded";
    case U2NET_ERR_INTERNAL: return "internal error";
    case U2NET_ERR_NETWORK: return "network error";
    case U2NET_ERR_REMOTE: return "remote error";
    case U2NET_ERR_FATAL: return "fatal: process must exit";
    case U2NET_STATUS_COUNT: break;
    }
    return "unknown status";
}

const char *u2net_last_error(void) { return g_detail; }

u2net_status u2_fail(u2net_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_detail, sizeof g_detail, fmt, ap);
    va_end(ap);
    return s;
}

u2net_status u2_fail_prefix(u2net_status s, const char *fmt, ...) {
    char prefix[256], old[sizeof g_detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, g_detail, sizeof old);
    size_t np = strlen(prefix), no = strlen(old);
    if (np > sizeof g_detail - 1) np = sizeof g_detail - 1;
    if (no > sizeof g_detail - 1 - np) no = sizeof g_detail - 1 - np;
    memcpy(g_detail, prefix, np);
    memcpy(g_detail + np, old, no);
    g_detail[np + no] = 0;
    return s;
}
