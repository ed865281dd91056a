/* out_file.c - inputs read whole with a size cap, and outputs that appear complete or not at all: written
 * to a temporary name in the destination's folder, then renamed over the destination (rename is atomic
 * within a file system), so a failure or a kill never leaves a half-written file or touches an
 * existing one. "-" means stdin / stdout. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- reading */

static int read_fd(int fd, const char *name, size_t cap, size_t hint, uint8_t **buf, size_t *len) {
    size_t n = 0, size = hint ? hint + 1 : 1 << 16; /* +1: see the end of a regular file without growing */
    uint8_t *b = malloc(size);
    if (!b) {
        fprintf(stderr, "u2net: '%s': out of memory\n", name);
        return 0;
    }
    for (;;) {
        if (n == size) {
            if (size > cap) break; /* read more than the cap: refused below */
            size_t ns = size * 2 > cap + 1 ? cap + 1 : size * 2;
            uint8_t *nb = realloc(b, ns);
            if (!nb) {
                free(b);
                fprintf(stderr, "u2net: '%s': out of memory\n", name);
                return 0;
            }
            b = nb;
            size = ns;
        }
        ssize_t r = read(fd, b + n, size - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fprintf(stderr, "u2net: cannot read '%s': %s\n", name, strerror(errno));
            free(b);
            return 0;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > cap) {
        fprintf(stderr, "u2net: '%s' is larger than the input limit of %zu bytes\n", name, cap);
        free(b);
        return 0;
    }
    *buf = b;
    *len = n;
    return 1;
}

int u2_cli_read_input(const char *path, size_t cap, uint8_t **buf, size_t *len) {
    if (!strcmp(path, "-")) return read_fd(0, "(stdin)", cap, 0, buf, len);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "u2net: cannot open '%s': %s\n", path, strerror(errno));
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "u2net: '%s' is a directory, not an image file\n", path);
        close(fd);
        return 0;
    }
    size_t hint = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > cap) {
            fprintf(stderr, "u2net: '%s' has %lld bytes, more than the input limit of %zu bytes\n", path,
                    (long long)st.st_size, cap);
            close(fd);
            return 0;
        }
        hint = (size_t)st.st_size;
    }
    int ok = read_fd(fd, path, cap, hint, buf, len);
    close(fd);
    return ok;
}

/* ---------------------------------------------------------------- writing */

/* The temporary file being written, so a SIGINT/SIGTERM can remove it (unlink is async-signal-safe). */
static char g_tmp[4096];
static volatile sig_atomic_t g_tmp_live;

static void on_signal(int sig) {
    if (g_tmp_live) unlink(g_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_signals(void) {
    static int done;
    if (done) return;
    done = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

int u2_cli_output_dir_ok(const char *path) {
    if (!strcmp(path, "-")) return 1;
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (snprintf(dir, sizeof dir, "%.*s/", (int)(slash - path), path) >= (int)sizeof dir) {
        fprintf(stderr, "u2net: output path too long: '%s'\n", path);
        return 0;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "u2net: cannot write '%s': folder '%s': %s\n", path, dir, strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "u2net: cannot write '%s': '%s' is not a folder\n", path, dir);
        return 0;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "u2net: output '%s' is a directory\n", path);
        return 0;
    }
    return 1;
}

int u2_cli_write_output(const char *path, const uint8_t *data, size_t len) {
    if (!strcmp(path, "-")) {
        if (!write_all(1, data, len)) {
            fprintf(stderr, "u2net: cannot write to stdout: %s\n", strerror(errno));
            return 0;
        }
        return 1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "u2net: output '%s' is a directory\n", path);
        return 0;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (!*base) {
        fprintf(stderr, "u2net: output '%s' names a folder, not a file\n", path);
        return 0;
    }
    /* a hidden name in the same folder: same file system, so rename() is atomic */
    if (snprintf(g_tmp, sizeof g_tmp, "%.*s.%s.tmp-XXXXXX", dir_len, path, base) >= (int)sizeof g_tmp) {
        fprintf(stderr, "u2net: output path too long: '%s'\n", path);
        return 0;
    }
    guard_signals();
    int fd = mkstemp(g_tmp);
    if (fd < 0) {
        fprintf(stderr, "u2net: cannot write '%s': %s (creating a temporary file in '%.*s')\n", path, strerror(errno),
                dir_len ? dir_len : 1, dir_len ? path : ".");
        return 0;
    }
    g_tmp_live = 1;
    /* mkstemp makes 0600; give the file the mode a plain creat() would */
    mode_t mask = umask(0);
    umask(mask);
    int ok = fchmod(fd, 0666 & ~mask) == 0;
    ok = ok && write_all(fd, data, len);
    int err = errno;
    if (close(fd) != 0 && ok) ok = 0, err = errno;
    if (ok && rename(g_tmp, path) != 0) ok = 0, err = errno;
    if (!ok) {
        fprintf(stderr, "u2net: cannot write '%s': %s\n", path, strerror(err));
        unlink(g_tmp);
    }
    g_tmp_live = 0;
    return ok;
}
