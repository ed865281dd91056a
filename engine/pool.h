/*
 * pool.h - a fixed set of worker threads owned by one context. u2_pool_run(fn) calls fn(arg, t, n) once
 * for every t in [0, n) - t = 0 on the calling thread - and returns when all have finished. Each call
 * decides its share of the work from t and n alone, so results never depend on timing.
 */
#ifndef U2NET_POOL_H
#define U2NET_POOL_H

#include "base.h"

typedef struct u2_pool u2_pool;
typedef void (*u2_pool_fn)(void *arg, int t, int n);

u2net_status u2_pool_create(int n_threads, u2_pool **out);
void u2_pool_free(u2_pool *p);
void u2_pool_run(u2_pool *p, u2_pool_fn fn, void *arg);
int u2_pool_size(const u2_pool *p);

/* CPUs this process may run on (sched_getaffinity), at least 1. */
int u2_cpu_count(void);

/* [begin, end) of unit t when n_units are split into n near-equal contiguous parts. */
static inline void u2_split(size_t n_units, int t, int n, size_t *begin, size_t *end) {
    *begin = n_units * (size_t)t / (size_t)n;
    *end = n_units * (size_t)(t + 1) / (size_t)n;
}

#endif /* U2NET_POOL_H */
