/* url.c - splitting http(s) URLs into what a client connects to and what it asks for. */
#include "url.h"

#include <stdio.h>

u2net_status u2_url_parse(const char *url, u2_url *out) {
    memset(out, 0, sizeof *out);
    const char *p;
    if (strncmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        p = url + 8;
        out->https = true;
    } else {
        return u2_fail(U2NET_ERR_ARG, "URL '%.80s' is not http:// or https://", url);
    }
    const char *host = p, *host_end;
    if (*p == '[') {
        host = ++p;
        while (*p && *p != ']') p++;
        if (*p != ']') return u2_fail(U2NET_ERR_ARG, "URL '%.80s': unterminated IPv6 address", url);
        host_end = p++;
        out->ipv6_literal = true;
    } else {
        while (*p && *p != ':' && *p != '/' && *p != '?' && *p != '#') p++;
        host_end = p;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0 || hl >= sizeof out->host) return u2_fail(U2NET_ERR_ARG, "URL '%.80s': bad host", url);
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= 32 || c >= 127 || c == '@' || c == '\\')
            return u2_fail(U2NET_ERR_ARG, "URL '%.80s': bad character in host", url);
    }
    memcpy(out->host, host, hl);
    out->host[hl] = 0;
    out->port = out->https ? 443 : 80;
    out->default_port = true;
    if (*p == ':') {
        p++;
        unsigned long port = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++) port = port * 10 + (unsigned long)(*p - '0');
        if (digits == 0 || port == 0 || port > 65535)
            return u2_fail(U2NET_ERR_ARG, "URL '%.80s': bad port", url);
        out->default_port = port == out->port;
        out->port = (uint16_t)port;
    }
    if (*p && *p != '/' && *p != '?') return u2_fail(U2NET_ERR_ARG, "URL '%.80s': unexpected text after host", url);
    for (const char *t = p; *t; t++)
        if ((unsigned char)*t <= 32 || (unsigned char)*t >= 127 || *t == '#')
            return u2_fail(U2NET_ERR_ARG, "URL '%.80s': path must be encoded (found byte 0x%02x)", url,
                           (unsigned char)*t);
    out->target = p;
    return U2NET_OK;
}

void u2_url_host_header(const u2_url *u, char *out, size_t cap) {
    const char *l = u->ipv6_literal ? "[" : "", *r = u->ipv6_literal ? "]" : "";
    if (u->default_port) snprintf(out, cap, "%s%s%s", l, u->host, r);
    else snprintf(out, cap, "%s%s%s:%u", l, u->host, r, (unsigned)u->port);
}
