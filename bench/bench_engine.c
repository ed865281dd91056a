/* bench_engine.c - one configuration of the engine bench, in its own process so that peak RSS is its
 * own: load a model, make a context with N threads, run one input N times, and print one JSON line:
 *   load_ms     u2net_model_load + u2net_ctx_init (open -> ready to run: checks, packing, threads)
 *   first_ms    the first run (memory plan, arena allocation and first touch, cold caches)
 *   min_ms, median_ms over the following runs; gmac at this size, gmacs = gmac / min
 *   cpu_min_ms  the least process CPU time of a run (all threads): on a shared machine, time this process
 *               was not running does not count; with 1 thread it is the cleanest figure
 *   maxrss_mb   getrusage ru_maxrss; vmhwm_mb: VmHWM of /proc/self/status (the same on Linux)
 * bench/bench_engine.py runs it for every model x precision x thread count, next to ONNX Runtime.
 *
 * --profile: instead, time every op alone (u2_exec_op on the arena the last run left) N times and print
 * one line per op, slowest first: min ms, share of the total, MACs and GMAC/s, op type, shape, name.
 * --cpu: time those ops by process CPU time instead of wall time (1 thread on a shared machine: time
 * the process waited for a core does not count; comparisons of kernels stay stable under load).
 *
 *   build/bench/bench_engine MODEL.u2n [--size HxW] [--threads N] [--runs N] [--input FILE.f32] [--profile [--cpu]] */
#include "ctx.h"
#include "plan.h"
#include "u2net.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double clock_ms(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}
static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double vmhwm_mb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf", &kb) == 1) break;
    if (f) fclose(f);
    return kb / 1024.0;
}

typedef struct {
    double ms;
    uint32_t op;
} op_time;

static int cmp_op_time(const void *a, const void *b) {
    double x = ((const op_time *)a)->ms, y = ((const op_time *)b)->ms;
    return x > y ? -1 : x < y;
}

/* Every op alone, min over runs; the arena holds the last full run's values, so inputs are real. */
static void profile(u2net_ctx *ctx, int runs, int cpu) {
    const u2net_model *m = ctx->m;
    op_time *t = malloc(m->n_ops * sizeof *t);
    if (!t) return;
    double total = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        t[i].op = i, t[i].ms = 1e30;
        for (int r = 0; r < runs; r++) {
            const clockid_t id = cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
            const double t0 = clock_ms(id);
            u2_exec_op(ctx, i);
            const double d = clock_ms(id) - t0;
            if (d < t[i].ms) t[i].ms = d;
        }
        total += t[i].ms;
    }
    qsort(t, m->n_ops, sizeof *t, cmp_op_time);
    printf("%8s %6s %8s %7s  %-7s %-4s %-16s %s\n", "ms", "share", "MMAC", "GMAC/s", "op", "prec", "out (c h w)", "name");
    for (uint32_t k = 0; k < m->n_ops; k++) {
        const u2_op *op = &m->ops[t[k].op];
        const u2_plan_value *v = &ctx->plan.v[op->output];
        const double mmac = (double)u2_plan_op_macs(m, &ctx->plan, t[k].op) / 1e6;
        const char *prec = op->type != U2_OP_CONV ? "" : m->tensors[op->weight].dtype == U2_DTYPE_I8 ? "i8" : "f32";
        char shape[32];
        snprintf(shape, sizeof shape, "%d %d %d", v->c, v->h, v->w);
        printf("%8.3f %5.1f%% %8.1f %7.1f  %-7s %-4s %-16s %s\n", t[k].ms, 100.0 * t[k].ms / total, mmac,
               t[k].ms > 0 ? mmac / t[k].ms : 0.0, u2_op_type_name(op->type), prec, shape, op->name);
    }
    printf("%8.3f total of %u ops timed alone\n", total, m->n_ops);
    free(t);
}

static int die(const char *what, u2net_status s) {
    fprintf(stderr, "bench_engine: %s: %s (%s)\n", what, u2net_last_error(), u2net_status_str(s));
    return 1;
}

int main(int argc, char **argv) {
    const char *path = NULL, *input = NULL;
    int h = 0, w = 0, threads = 0, runs = 10, prof = 0, cpu = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--size") && v) {
            if (sscanf(v, "%dx%d", &h, &w) != 2) return 2;
            i++;
        } else if (!strcmp(a, "--threads") && v) threads = atoi(v), i++;
        else if (!strcmp(a, "--runs") && v) runs = atoi(v), i++;
        else if (!strcmp(a, "--input") && v) input = v, i++;
        else if (!strcmp(a, "--profile")) prof = 1;
        else if (!strcmp(a, "--cpu")) cpu = 1;
        else if (a[0] != '-' && !path) path = a;
        else {
            fprintf(stderr, "usage: bench_engine MODEL.u2n [--size HxW] [--threads N] [--runs N] [--input FILE.f32] [--profile [--cpu]]\n");
            return 2;
        }
    }
    if (!path || runs < 1 || runs > 1000) return 2;

    double t0 = now_ms();
    u2net_model *m;
    u2net_status s = u2net_model_load(path, &m);
    if (s != U2NET_OK) return die("loading the model", s);
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = threads;
    u2net_ctx *ctx;
    if ((s = u2net_ctx_init(m, &p, &ctx)) != U2NET_OK) return die("creating a context", s);
    const double load_ms = now_ms() - t0;

    u2net_model_info info;
    u2net_model_get_info(m, &info);
    if (!h) h = info.norm.input_h, w = info.norm.input_w;
    const size_t n = (size_t)info.input_channels * (size_t)h * (size_t)w;
    float *x = malloc(n * sizeof *x);
    if (!x) return 1;
    if (input) {
        FILE *f = fopen(input, "rb");
        size_t got = f ? fread(x, sizeof *x, n, f) : 0;
        if (f) fclose(f);
        if (got != n) {
            fprintf(stderr, "bench_engine: %s: expected %zu float32 values\n", input, n);
            return 1;
        }
    } else { /* a smooth deterministic image, normalized-looking */
        for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u) >> 24) / 128.0f - 1.0f;
    }
    u2_plan plan;
    if ((s = u2_plan_build(m, h, w, &plan)) != U2NET_OK) return die("planning", s);
    const double gmac = (double)plan.macs / 1e9;
    u2_plan_free(&plan);

    t0 = now_ms();
    if ((s = u2net_run(ctx, x, h, w)) != U2NET_OK) return die("running", s);
    const double first = now_ms() - t0;
    if (prof) {
        profile(ctx, runs, cpu);
        free(x);
        u2net_ctx_free(ctx);
        u2net_model_free(m);
        return 0;
    }
    double *t = malloc((size_t)runs * sizeof *t), cpu_min = 1e30;
    for (int r = 0; r < runs; r++) {
        const double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        t0 = now_ms();
        if ((s = u2net_run(ctx, x, h, w)) != U2NET_OK) return die("running", s);
        t[r] = now_ms() - t0;
        const double c = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (c < cpu_min) cpu_min = c;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const char *isa = getenv("U2NET_ISA");
    printf("{\"model\": \"%s\", \"name\": \"%s\", \"isa\": \"%s\", \"threads\": %d, \"h\": %d, \"w\": %d, \"gmac\": %.3f, "
           "\"load_ms\": %.2f, \"first_ms\": %.2f, \"min_ms\": %.2f, \"median_ms\": %.2f, \"cpu_min_ms\": %.2f, \"runs\": %d, "
           "\"gmacs\": %.1f, "
           "\"maxrss_mb\": %.1f, \"vmhwm_mb\": %.1f}\n",
           path, info.name, isa && *isa ? isa : "auto", threads, h, w, gmac, load_ms, first, t[0], t[runs / 2], cpu_min, runs,
           gmac / (t[0] / 1e3), (double)ru.ru_maxrss / 1024.0, vmhwm_mb());
    free(t);
    free(x);
    u2net_ctx_free(ctx);
    u2net_model_free(m);
    return 0;
}
