/* url.h - the small subset of URLs our clients need: http(s)://host[:port][/path?query]. */
#ifndef U2_URL_H
#define U2_URL_H

#include "base.h"

typedef struct {
    bool https;
    char host[256];      /* name or address; an IPv6 literal without its brackets */
    bool ipv6_literal;
    uint16_t port;       /* explicit, or 80 / 443 */
    bool default_port;   /* the port was not written (or equals the scheme's default) */
    const char *target;  /* points into the parsed string: "/path?query", "" when absent */
} u2_url;

/* Parse url (not copied: out->target points into it). U2NET_ERR_ARG naming the problem if malformed. */
u2net_status u2_url_parse(const char *url, u2_url *out);

/* The Host header value: "host", "host:port", "[::1]:port". */
void u2_url_host_header(const u2_url *u, char *out, size_t cap);

#endif
