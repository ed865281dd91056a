/* model_path.c - which model file `u2net remove` loads when -m is not given (docs/cli.md):
 *   1. $U2NET_MODEL
 *   2. ~/.u2net/u2net.u2n          (rembg keeps its models in ~/.u2net too)
 *   3. u2net.u2n next to the u2net binary
 * $U2NET_MODEL, when set, is used as is: a wrong value is an error, not a reason to look elsewhere. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MODEL_FILE "u2net.u2n"

static int exists(const char *p) { return access(p, R_OK) == 0; }

/* The folder of the running binary ("" if unknown), with a trailing slash. */
static void exe_dir(char *out, size_t cap) {
    out[0] = 0;
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash) return;
    slash[1] = 0;
    snprintf(out, cap, "%s", buf);
}

int u2_cli_find_model(const char *given, char *out, size_t cap) {
    if (given) {
        snprintf(out, cap, "%s", given);
        return 1;
    }
    const char *env = getenv("U2NET_MODEL");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 1;
    }
    char home_path[PATH_MAX + 32] = "", exe_path[PATH_MAX + 32] = "", dir[PATH_MAX];
    const char *home = getenv("HOME");
    if (home && *home) {
        snprintf(home_path, sizeof home_path, "%s/.u2net/" MODEL_FILE, home);
        if (exists(home_path)) {
            snprintf(out, cap, "%s", home_path);
            return 1;
        }
    }
    exe_dir(dir, sizeof dir);
    if (dir[0]) {
        snprintf(exe_path, sizeof exe_path, "%s" MODEL_FILE, dir);
        if (exists(exe_path)) {
            snprintf(out, cap, "%s", exe_path);
            return 1;
        }
    }
    fprintf(stderr,
            "u2net: no model: pass -m MODEL.u2n or set $U2NET_MODEL; neither default exists: '%s', '%s'\n",
            home_path[0] ? home_path : "~/.u2net/" MODEL_FILE " ($HOME is not set)",
            exe_path[0] ? exe_path : MODEL_FILE " next to the binary (its folder is unknown)");
    return 0;
}
