/*
 * net_helpers.h - test-side network peers: a scriptable fake HTTP server (a thread on loopback whose
 * handler decides, per request, what bytes to send, how late, and whether to close, reset or hang),
 * and a way to start a helper process (s3rver, an HTTPS server) that prints "PORT <n>" when ready.
 */
#ifndef U2_NET_HELPERS_H
#define U2_NET_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    char method[16];
    char target[4096];
    char *headers;        /* packed "name\0value\0" (names as received) */
    size_t headers_len;
    uint8_t *body;
    size_t body_len;
    int connection;       /* which accepted connection carried it (0, 1, ...) */
} fake_req;

typedef struct {
    char *raw;            /* bytes to send (malloc'd by the handler, freed by the server); NULL: nothing */
    size_t raw_len;
    int delay_ms;         /* wait before sending */
    bool close_after;     /* close (FIN) after sending */
    bool reset;           /* close with RST (after sending raw, if any) */
    bool hang;            /* send nothing and never answer (until the client leaves or the server stops) */
} fake_action;

typedef void (*fake_handler)(void *user, int index, const fake_req *req, fake_action *act);

typedef struct fake_server fake_server;

fake_server *fake_start(fake_handler handler, void *user);
int fake_port(const fake_server *s);
int fake_count(fake_server *s);                       /* requests seen so far */
const fake_req *fake_get(fake_server *s, int i);      /* the i-th request (valid until fake_stop) */
void fake_stop(fake_server *s);

/* Helpers for handlers. */
void fake_reply(fake_action *act, int status, const char *extra_headers, const void *body, size_t len);
const char *fake_header(const fake_req *r, const char *name);  /* case-insensitive */

/* Start argv (execvp) with stdout piped; wait up to timeout_ms for a line "PORT <n>".
 * Returns the pid (>0) and *port, or -1 (with the last output in err). */
pid_t spawn_with_port(char *const argv[], const char *log_path, int timeout_ms, int *port, char *err, size_t err_cap);
void spawn_stop(pid_t pid);

/* mkdir -p of a scratch folder under $U2NET_TMP; returns a static path. */
const char *scratch_dir(const char *name);

#endif
