/*
 * curl_dl.h - HTTPS through the platform's libcurl, loaded with dlopen("libcurl.so.4") at run time:
 * no link dependency and no curl headers (the few prototypes and option numbers are declared in
 * curl_dl.c). Amazon Linux 2023 (provided.al2023) ships libcurl.so.4; if it is missing, u2_curl_open
 * says so ("HTTPS needs libcurl.so.4, which could not be loaded: ...").
 *
 * CA bundle: $CA_BUNDLE, else $SSL_CERT_FILE, else /etc/pki/tls/certs/ca-bundle.crt (Amazon Linux),
 * else /etc/ssl/certs/ca-certificates.crt (Debian). $U2NET_LIBCURL names another library file (tests).
 * One u2_curl per thread; it keeps its connections alive between requests.
 */
#ifndef U2_CURL_DL_H
#define U2_CURL_DL_H

#include "http.h"

#define U2_CURL_DEFAULT_CA "/etc/pki/tls/certs/ca-bundle.crt"

typedef struct u2_curl u2_curl;

/* Load libcurl (once per process), pick the CA bundle, make a handle. */
u2net_status u2_curl_open(u2_curl **out);
void u2_curl_close(u2_curl *c);

/* Same request/response contract as u2_http_do, for https:// URLs only. */
u2net_status u2_curl_do(u2_curl *c, const u2_http_request *rq, u2_http_response *resp);

/* The CA bundle file in use, and libcurl's version string. */
const char *u2_curl_ca_bundle(const u2_curl *c);
const char *u2_curl_version(void);

#endif
