/* pool.c - the context's worker threads: one mutex, a generation counter that workers wait on, and a
 * count of workers still busy that the caller waits on. A forward pass is ~260 ops back to back, each a
 * u2_pool_run; waking a sleeping thread costs tens of microseconds (more in a VM), so both sides first
 * spin a little (about 50 us) on the counters before sleeping on the condition variables. */
#include "pool.h"

#include <pthread.h>
#include <sched.h>

#define SPIN 20000 /* polls before sleeping: ~50 us */

static inline void cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

struct u2_pool {
    int n;                    /* threads including the caller */
    pthread_t *threads;       /* (n - 1) workers */
    int started;              /* workers actually running */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    uint64_t generation;      /* bumped by every u2_pool_run (atomic: read while spinning) */
    int busy;                 /* workers that have not finished this generation (atomic) */
    int stop;                 /* (atomic) */
    u2_pool_fn fn;
    void *arg;
};

typedef struct {
    u2_pool *p;
    int t;
} worker_arg;

static inline uint64_t load_gen(const u2_pool *p) { return __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE); }
static inline int load_stop(const u2_pool *p) { return __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE); }

static void *worker(void *raw) {
    worker_arg *wa = raw;
    u2_pool *p = wa->p;
    const int t = wa->t;
    uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < SPIN && load_gen(p) == seen && !load_stop(p); i++) cpu_relax();
        if (load_gen(p) == seen && !load_stop(p)) {
            pthread_mutex_lock(&p->mu);
            while (load_gen(p) == seen && !load_stop(p)) pthread_cond_wait(&p->work, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (load_stop(p)) break;
        seen = load_gen(p); /* fn and arg were written before the generation (release) */
        p->fn(p->arg, t, p->n);
        if (__atomic_sub_fetch(&p->busy, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&p->mu); /* the caller checks busy under the lock before sleeping */
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

/* Worker arguments live after the thread handles in one allocation. */
static worker_arg *args_of(u2_pool *p) { return (worker_arg *)(p->threads + (p->n - 1)); }

void u2_pool_free(u2_pool *p) {
    if (!p) return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
    }
    if (p->n > 1) {
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->done);
        pthread_mutex_destroy(&p->mu);
    }
    u2_free(p->threads);
    u2_free(p);
}

u2net_status u2_pool_create(int n_threads, u2_pool **out) {
    *out = NULL;
    if (n_threads < 1) n_threads = 1;
    u2_pool *p = u2_calloc(1, sizeof *p);
    if (!p) return u2_fail(U2NET_ERR_NOMEM, "out of memory for the thread pool");
    p->n = n_threads;
    if (n_threads == 1) {
        *out = p;
        return U2NET_OK;
    }
    size_t bytes = (size_t)(n_threads - 1) * (sizeof(pthread_t) + sizeof(worker_arg));
    p->threads = u2_malloc(bytes);
    if (!p->threads) {
        u2_free(p);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for %d thread handles", n_threads);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < n_threads - 1; i++) {
        worker_arg *wa = &args_of(p)[i];
        wa->p = p;
        wa->t = i + 1;
        int e = pthread_create(&p->threads[i], NULL, worker, wa);
        if (e != 0) {
            u2_pool_free(p);
            return u2_fail(U2NET_ERR_NOMEM, "cannot start worker thread %d of %d: %s", i + 1, n_threads - 1,
                           strerror(e));
        }
        p->started++;
    }
    *out = p;
    return U2NET_OK;
}

void u2_pool_run(u2_pool *p, u2_pool_fn fn, void *arg) {
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    __atomic_store_n(&p->busy, p->n - 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&p->generation, 1, __ATOMIC_RELEASE); /* publishes fn, arg, busy */
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    for (int i = 0; i < SPIN && __atomic_load_n(&p->busy, __ATOMIC_ACQUIRE) > 0; i++) cpu_relax();
    if (__atomic_load_n(&p->busy, __ATOMIC_ACQUIRE) > 0) {
        pthread_mutex_lock(&p->mu);
        while (__atomic_load_n(&p->busy, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

int u2_pool_size(const u2_pool *p) { return p->n; }

int u2_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    return 1;
}
