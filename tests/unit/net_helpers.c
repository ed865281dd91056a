/* net_helpers.c - the fake HTTP server thread and the helper-process launcher used by the network tests. */
#include "net_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQS 256

struct fake_server {
    int listen_fd;
    int stop_pipe[2];
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    fake_handler handler;
    void *user;
    fake_req reqs[MAX_REQS];
    int n_reqs;
};

/* ---------------------------------------------------------------- small I/O helpers */

static bool stopping(fake_server *s) {
    struct pollfd p = {.fd = s->stop_pipe[0], .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Wait up to ms (or forever with -1) for fd readable; 1 readable, 0 timeout, -1 stop requested. */
static int wait_readable(fake_server *s, int fd, int ms) {
    struct pollfd p[2] = {{.fd = s->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = fd >= 0 ? 2 : 1;
    for (;;) {
        int r = poll(p, (nfds_t)n, ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        if (p[0].revents) return -1;
        return 1;
    }
}

static void sleep_or_stop(fake_server *s, int ms) { wait_readable(s, -1, ms); }

static void send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Read one request (head + Content-Length body) from fd into r; false when the client is gone. */
static bool read_request(fake_server *s, int fd, char **buf, size_t *len, size_t *cap, fake_req *r) {
    for (;;) {
        char *end = NULL;
        if (*len >= 4) {
            for (size_t i = 0; i + 3 < *len; i++)
                if (memcmp(*buf + i, "\r\n\r\n", 4) == 0) {
                    end = *buf + i;
                    break;
                }
        }
        if (end) {
            size_t head_len = (size_t)(end - *buf) + 4;
            /* request line */
            char *line_end = memchr(*buf, '\r', head_len);
            char line[sizeof r->target + 64];
            size_t ll = (size_t)(line_end - *buf);
            if (ll >= sizeof line) ll = sizeof line - 1;
            memcpy(line, *buf, ll);
            line[ll] = 0;
            memset(r, 0, sizeof *r);
            char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
            if (sp1 && sp2) {
                snprintf(r->method, sizeof r->method, "%.*s", (int)(sp1 - line), line);
                snprintf(r->target, sizeof r->target, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
            }
            /* headers */
            r->headers = malloc(head_len + 1);
            size_t hl = 0;
            size_t content_length = 0;
            for (char *p = line_end + 2; p < end;) {
                char *e = memchr(p, '\r', (size_t)(end - p) + 1);
                if (!e) e = end;
                char *colon = memchr(p, ':', (size_t)(e - p));
                if (colon) {
                    char *v = colon + 1;
                    while (v < e && *v == ' ') v++;
                    memcpy(r->headers + hl, p, (size_t)(colon - p));
                    hl += (size_t)(colon - p);
                    r->headers[hl++] = 0;
                    memcpy(r->headers + hl, v, (size_t)(e - v));
                    hl += (size_t)(e - v);
                    r->headers[hl++] = 0;
                    if ((size_t)(colon - p) == 14 && strncasecmp(p, "content-length", 14) == 0)
                        content_length = strtoull(v, NULL, 10);
                }
                p = e + 2;
            }
            r->headers_len = hl;
            /* body */
            while (*len < head_len + content_length) {
                if (*cap < head_len + content_length) {
                    *cap = head_len + content_length;
                    *buf = realloc(*buf, *cap);
                }
                if (wait_readable(s, fd, 10000) != 1) return false;
                ssize_t n = recv(fd, *buf + *len, *cap - *len, 0);
                if (n <= 0) return false;
                *len += (size_t)n;
            }
            r->body = malloc(content_length + 1);
            memcpy(r->body, *buf + head_len, content_length);
            r->body_len = content_length;
            memmove(*buf, *buf + head_len + content_length, *len - head_len - content_length);
            *len -= head_len + content_length;
            return true;
        }
        if (*len == *cap) {
            *cap = *cap ? *cap * 2 : 65536;
            *buf = realloc(*buf, *cap);
        }
        if (wait_readable(s, fd, -1) != 1) return false;
        ssize_t n = recv(fd, *buf + *len, *cap - *len, 0);
        if (n <= 0) return false;
        *len += (size_t)n;
    }
}

/* ---------------------------------------------------------------- the server thread */

static void serve_connection(fake_server *s, int fd, int conn_index) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        fake_req r;
        if (!read_request(s, fd, &buf, &len, &cap, &r)) break;
        r.connection = conn_index;
        pthread_mutex_lock(&s->lock);
        int index = s->n_reqs;
        if (index < MAX_REQS) s->reqs[s->n_reqs++] = r;
        pthread_mutex_unlock(&s->lock);
        fake_action act = {0};
        s->handler(s->user, index, &r, &act);
        if (index >= MAX_REQS) {
            free(r.headers);
            free(r.body);
        }
        if (act.delay_ms) sleep_or_stop(s, act.delay_ms);
        if (act.hang) {
            /* wait until the client goes away or the server stops */
            char tmp[4096];
            while (wait_readable(s, fd, -1) == 1 && recv(fd, tmp, sizeof tmp, 0) > 0) {}
            free(act.raw);
            break;
        }
        if (act.raw) send_all(fd, act.raw, act.raw_len);
        free(act.raw);
        if (act.reset) {
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            break;
        }
        if (act.close_after) break;
    }
    free(buf);
    close(fd);
}

static void *server_main(void *arg) {
    fake_server *s = arg;
    int conn_index = 0;
    while (!stopping(s)) {
        if (wait_readable(s, s->listen_fd, -1) != 1) break;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        serve_connection(s, fd, conn_index++);
    }
    return NULL;
}

fake_server *fake_start(fake_handler handler, void *user) {
    fake_server *s = calloc(1, sizeof *s);
    s->handler = handler;
    s->user = user;
    pthread_mutex_init(&s->lock, NULL);
    if (pipe(s->stop_pipe) != 0) abort();
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 16) != 0) abort();
    socklen_t al = sizeof a;
    getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, server_main, s);
    return s;
}

int fake_port(const fake_server *s) { return s->port; }

int fake_count(fake_server *s) {
    pthread_mutex_lock(&s->lock);
    int n = s->n_reqs;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const fake_req *fake_get(fake_server *s, int i) {
    pthread_mutex_lock(&s->lock);
    const fake_req *r = i >= 0 && i < s->n_reqs ? &s->reqs[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

void fake_stop(fake_server *s) {
    if (!s) return;
    if (write(s->stop_pipe[1], "x", 1) != 1) abort();
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    for (int i = 0; i < s->n_reqs; i++) {
        free(s->reqs[i].headers);
        free(s->reqs[i].body);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void fake_reply(fake_action *act, int status, const char *extra_headers, const void *body, size_t len) {
    const char *reason = status == 200 ? "OK" : status == 202 ? "Accepted" : status == 403 ? "Forbidden"
                       : status == 500 ? "Internal Server Error" : status == 503 ? "Service Unavailable" : "Status";
    char head[2048];
    int hn = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n", status, reason, len,
                      extra_headers ? extra_headers : "");
    act->raw = malloc((size_t)hn + len + 1);
    memcpy(act->raw, head, (size_t)hn);
    if (len) memcpy(act->raw + hn, body, len);
    act->raw_len = (size_t)hn + len;
}

const char *fake_header(const fake_req *r, const char *name) {
    for (const char *p = r->headers, *e = r->headers + r->headers_len; p && p < e;) {
        const char *v = p + strlen(p) + 1;
        if (strcasecmp(p, name) == 0) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

/* ---------------------------------------------------------------- helper processes */

pid_t spawn_with_port(char *const argv[], const char *log_path, int timeout_ms, int *port, char *err, size_t err_cap) {
    int out[2];
    err[0] = 0;
    if (pipe(out) != 0) {
        snprintf(err, err_cap, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        int logfd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (logfd >= 0) dup2(logfd, 2);
        close(out[0]);
        close(out[1]);
        setpgid(0, 0); /* its own process group, so spawn_stop ends any children too */
        execvp(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    char line[512];
    size_t n = 0;
    *port = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            snprintf(err, err_cap, "no 'PORT n' line within %d ms (see %s)", timeout_ms, log_path ? log_path : "stderr");
            break;
        }
        ssize_t r = read(out[0], line + n, sizeof line - 1 - n);
        if (r <= 0) {
            snprintf(err, err_cap, "exited before printing its port (see %s)", log_path ? log_path : "stderr");
            break;
        }
        n += (size_t)r;
        line[n] = 0;
        char *p2 = strstr(line, "PORT ");
        if (p2 && strchr(p2, '\n')) {
            *port = atoi(p2 + 5);
            break;
        }
        if (n >= sizeof line - 1) n = 0;
    }
    close(out[0]);
    if (*port <= 0) {
        spawn_stop(pid);
        return -1;
    }
    return pid;
}

void spawn_stop(pid_t pid) {
    if (pid <= 0) return;
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

const char *scratch_dir(const char *name) {
    static char path[1024];
    const char *t = getenv("U2NET_TMP");
    snprintf(path, sizeof path, "%s/%s", t && *t ? t : "build/tmp", name);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    if (system(cmd) != 0) return NULL;
    return path;
}
