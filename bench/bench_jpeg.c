/*
 * bench_jpeg.c - how fast u2_jpeg_decode() is, next to libjpeg-turbo run by djpeg and by Pillow.
 *
 *   build/bench/bench_jpeg [-n RUNS] FILE...        (make bench-jpeg runs it on the usual files)
 *
 * Per file: the best of RUNS CPU times (user + system, page faults included; on a shared machine the
 * CPU time of the best run is far steadier than wall time) for
 *   ours    u2_jpeg_decode() from memory to pixels, in this process (also its best wall time);
 *   djpeg   `djpeg -outfile /dev/null FILE` (libjpeg-turbo 2.1 with its SIMD; includes process start
 *           and writing a PPM to /dev/null, ~1 ms);
 *   Pillow  Image.open(BytesIO(data)).load() timed inside Python (libjpeg-turbo plus Pillow's copy).
 * and megapixels per second and decoded megabytes per second for ours (from its CPU time). The
 * references are test-only tools and are skipped when missing.
 */
#include "image.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double clock_s(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Best CPU time (user + system of the child) of `runs` runs of djpeg, or -1. */
static double time_djpeg(const char *path, int runs) {
    double best = -1;
    for (int r = 0; r < runs; r++) {
        char *argv[] = {"djpeg", "-outfile", "/dev/null", (char *)path, NULL};
        pid_t pid;
        if (posix_spawnp(&pid, "djpeg", NULL, NULL, argv, environ) != 0) return -1;
        int st;
        struct rusage ru;
        if (wait4(pid, &st, 0, &ru) < 0) return -1;
        double t = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                   (double)ru.ru_stime.tv_usec * 1e-6;
        if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 2)) return -1; /* 2: warnings */
        if (best < 0 || t < best) best = t;
    }
    return best;
}

/* Best CPU time of `runs` Pillow decodes, measured inside Python, or -1. */
static double time_pillow(const char *path, int runs) {
    const char *py = getenv("U2NET_PYTHON");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import io,sys,time\nfrom PIL import Image\nd=open(sys.argv[1],\"rb\").read()\nb=9e9\n"
             "for i in range(int(sys.argv[2])):\n t=time.process_time();im=Image.open(io.BytesIO(d));im.load()\n"
             " b=min(b,time.process_time()-t)\nprint(b)' '%s' %d 2>/dev/null",
             py && *py ? py : "/usr/bin/python3", path, runs);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    double t = -1;
    if (fscanf(p, "%lf", &t) != 1) t = -1;
    pclose(p);
    return t;
}

int main(int argc, char **argv) {
    int runs = 5, first = 1;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) runs = atoi(argv[2]), first = 3;
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-n RUNS] FILE.jpg...\n", argv[0]);
        return 2;
    }
    printf("%-40s %11s %8s %8s %7s %7s %8s %9s\n", "file", "size", "ours ms", "wall ms", "MP/s", "MB/s", "djpeg ms",
           "Pillow ms");
    for (int a = first; a < argc; a++) {
        size_t len;
        uint8_t *buf = read_file(argv[a], &len);
        if (!buf) {
            printf("%s: cannot read\n", argv[a]);
            continue;
        }
        u2_decode_opts opts = {U2_DEFAULT_MAX_PIXELS};
        double best = -1, best_wall = -1;
        u2_image img = {0};
        int w = 0, h = 0, c = 0;
        for (int r = 0; r < runs; r++) {
            double t0 = now_s(), c0 = cpu_s();
            u2net_status s = u2_jpeg_decode(buf, len, &opts, &img);
            double t = cpu_s() - c0, tw = now_s() - t0;
            if (s != U2NET_OK) {
                printf("%s: %s\n", argv[a], u2net_last_error());
                best = -1;
                break;
            }
            w = img.w, h = img.h, c = img.channels;
            u2_image_free(&img);
            if (best < 0 || t < best) best = t;
            if (best_wall < 0 || tw < best_wall) best_wall = tw;
        }
        free(buf);
        if (best < 0) continue;
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        double mp = (double)w * h / 1e6, dj = time_djpeg(argv[a], runs), pil = time_pillow(argv[a], runs);
        char size[32], djs[32] = "-", pils[32] = "-";
        snprintf(size, sizeof size, "%dx%dx%d", w, h, c);
        if (dj >= 0) snprintf(djs, sizeof djs, "%.1f", dj * 1e3);
        if (pil >= 0) snprintf(pils, sizeof pils, "%.1f", pil * 1e3);
        printf("%-40.40s %11s %8.1f %8.1f %7.1f %7.1f %8s %9s\n", name, size, best * 1e3, best_wall * 1e3, mp / best,
               mp * c / best, djs, pils);
        fflush(stdout);
    }
    return 0;
}
