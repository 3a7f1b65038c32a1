#include "parley_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* A team of worker threads that wait for work by spinning, then sleeping.
 *
 * Decoding one sentence runs matrix products of a few microseconds each (a 256×256 weight times
 * one row takes 4.5 µs on one core, 2.4 µs on two). Waking a sleeping thread through the kernel
 * takes longer than that, so Dispatch's concurrentPerform made two threads slower than one here.
 * Workers that keep polling for a while after each job pick the next one up within a fraction of
 * a microsecond; after a couple of milliseconds without work they sleep on a condition
 * variable, so an idle process uses no CPU.
 *
 * Threads take parts from a shared counter, so a thread that starts late or runs slower takes
 * fewer (callers may cut work into more parts than threads for that). A job is published with
 * its thread count in one word (`published`), so a worker knows at once whether it takes part
 * (workers 1 … threads − 1 do). Those that do acknowledge the job, so none can still be taking
 * parts of one job when the next is published; those that do not sleep, without polling, until
 * a job needs them: a team grown to four threads for a while and back to two on two cores
 * otherwise kept two spare workers polling after every job (a learning test ran 3× slower
 * after the products test had grown the team). One job runs at a time; a call made while a job
 * is running (from another thread, or from inside a part) runs all its parts on the calling
 * thread. */

enum { MAX_WORKERS = 63 };

static pthread_mutex_t team_lock = PTHREAD_MUTEX_INITIALIZER;   /* guards sleeping */
static pthread_cond_t team_wake = PTHREAD_COND_INITIALIZER;
static _Atomic int team_threads = 2;            /* threads a job may use, caller included */
static _Atomic int busy;                        /* a job is running */
/* The current job: its sequence number times THREAD_BITS_SPAN plus its thread count. */
enum { THREAD_BITS_SPAN = 128 };
static _Atomic unsigned long published;
static _Atomic int sleepers;                    /* polling workers that went to sleep on team_wake */
static _Atomic int spare[MAX_WORKERS + 1];      /* 1 while a worker sleeps until a job needs it */
static _Atomic int finished;                    /* workers done with the current job */
static _Atomic int next_part;                   /* the next part of the current job to take */
static int workers;                             /* workers started; changed only while `busy` is held */
static unsigned long created_at[MAX_WORKERS + 1];   /* `published` when each worker was created */
static const long pause_ns = 50000, yield_ns = 2000000;   /* an idle worker's polling, see await_job */

static struct {
    void (*body)(void *, int);
    void (*team_body)(void *, int, int);       /* set for parley_pool_team's jobs instead of body */
    void *context;
    int parts, threads;
} job;                                         /* written before the job is published */

static int threads_of(unsigned long publication) { return (int)(publication % THREAD_BITS_SPAN); }

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Sleeps until a job after `seen` needs worker `thread`; returns its publication. */
static unsigned long await_needed(unsigned long seen, int thread) {
    pthread_mutex_lock(&team_lock);
    atomic_store(&spare[thread], 1);              /* sequentially consistent: pairs with run_job */
    unsigned long p;
    while ((p = atomic_load(&published)) == seen || threads_of(p) <= thread) {
        seen = p;
        pthread_cond_wait(&team_wake, &team_lock);
    }
    atomic_store(&spare[thread], 0);
    pthread_mutex_unlock(&team_lock);
    return p;
}

/* Waits for the next job worker `thread` takes part in and returns its publication: polls with
 * the CPU's pause for pause_ns, then polls yielding the core until yield_ns, then sleeps. A job
 * it takes no part in sends it to sleep until one needs it. */
static unsigned long await_job(unsigned long seen, int thread) {
    long long start = now_ns();
    unsigned long p;
    for (int polls = 0;; polls++) {
        p = atomic_load_explicit(&published, memory_order_acquire);
        if (p != seen) {
            if (threads_of(p) > thread) return p;
            return await_needed(p, thread);
        }
        if ((polls & 63) != 63) { CPU_RELAX(); continue; }
        long long waited = now_ns() - start;
        if (waited > yield_ns) break;
        if (waited > pause_ns) sched_yield();
    }
    pthread_mutex_lock(&team_lock);
    atomic_fetch_add(&sleepers, 1);
    while ((p = atomic_load(&published)) == seen) pthread_cond_wait(&team_wake, &team_lock);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&team_lock);
    return threads_of(p) > thread ? p : await_needed(p, thread);
}

/* Runs parts of the current job until none is left. */
static void run_parts(void) {
    for (;;) {
        int part = atomic_fetch_add_explicit(&next_part, 1, memory_order_relaxed);
        if (part >= job.parts) return;
        job.body(job.context, part);
    }
}

/* A thread's share of the current job: parts from the counter, or its run of a team job. */
static void take_share(int thread) {
    if (job.team_body) job.team_body(job.context, thread, job.threads);
    else run_parts();
}

static void *worker_main(void *argument) {
    int thread = (int)(long)argument;            /* 1-based: the caller is thread 0 */
    /* The publication when the thread was created, not when it first runs: the job that
     * started it is published right after. */
    unsigned long seen = created_at[thread];
    for (;;) {
        seen = await_job(seen, thread);
        take_share(thread);
        atomic_fetch_add_explicit(&finished, 1, memory_order_release);
    }
    return NULL;
}

/* Takes the team for one job or for resizing it; 0 when another caller holds it. */
static inline int try_take_team(void) { return !atomic_exchange_explicit(&busy, 1, memory_order_acquire); }
static inline void release_team(void) { atomic_store_explicit(&busy, 0, memory_order_release); }

/* Starts workers until there are `count` (or thread creation fails); the team must be held. */
static void start_workers(int count) {
    while (workers < count) {
        pthread_t handle;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        created_at[workers + 1] = atomic_load(&published);
        int failed = pthread_create(&handle, &attributes, worker_main, (void *)(long)(workers + 1));
        pthread_attr_destroy(&attributes);
        if (failed) return;                      /* run with the threads we have */
        workers++;
    }
}

static int clamp_threads(int threads) { return threads < 1 ? 1 : threads > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : threads; }

void parley_pool_set_threads(int threads) {
    atomic_store(&team_threads, clamp_threads(threads));   /* workers start with the first job that needs them */
}

/* The thread count for the jobs of this thread alone, or 0 for team_threads: a test comparing
 * one thread with two must not change the split (and so the sums) of work on other threads. */
static _Thread_local int caller_threads;

int parley_pool_set_caller_threads(int threads) {
    int previous = caller_threads;
    caller_threads = threads > 0 ? clamp_threads(threads) : 0;
    return previous;
}

int parley_pool_threads(void) { return caller_threads ? caller_threads : atomic_load(&team_threads); }

/* Publishes a job (`body` split into `parts`, or `team_body` run by every thread) to
 * `threads - 1` workers (started if needed; fewer when they cannot be), runs the caller's share,
 * waits for every worker, and releases the team, which the caller must hold. */
static void run_job(int threads, void (*body)(void *, int), void (*team_body)(void *, int, int), void *context,
                    int parts) {
    if (workers < threads - 1) {
        start_workers(threads - 1);
        if (workers < threads - 1) threads = workers + 1;
    }
    job.body = body;
    job.team_body = team_body;
    job.context = context;
    job.parts = parts;
    job.threads = threads;
    atomic_store_explicit(&next_part, 0, memory_order_relaxed);
    atomic_store_explicit(&finished, 0, memory_order_relaxed);
    unsigned long sequence = atomic_load_explicit(&published, memory_order_relaxed) / THREAD_BITS_SPAN + 1;
    /* Sequentially consistent: pairs with the sleeping workers' `sleepers` and `spare`. */
    atomic_store(&published, sequence * THREAD_BITS_SPAN + (unsigned long)threads);
    int wake = atomic_load(&sleepers) > 0;
    for (int thread = 1; thread < threads && !wake; thread++) wake = atomic_load(&spare[thread]);
    if (wake) {
        pthread_mutex_lock(&team_lock);
        pthread_cond_broadcast(&team_wake);
        pthread_mutex_unlock(&team_lock);
    }
    take_share(0);
    long long start = 0;
    for (int polls = 0; atomic_load_explicit(&finished, memory_order_acquire) < threads - 1; polls++) {
        CPU_RELAX();
        /* A worker descheduled by a busy machine: stop competing with it for a core. */
        if ((polls & 63) == 63) {
            if (!start) start = now_ns();
            else if (now_ns() - start > pause_ns) sched_yield();
        }
    }
    release_team();
}

void parley_pool_run(int parts, void (*body)(void *context, int part), void *context) {
    int threads = parley_pool_threads();
    if (threads > parts) threads = parts;
    if (threads <= 1 || !try_take_team()) {
        for (int part = 0; part < parts; part++) body(context, part);
        return;
    }
    run_job(threads, body, NULL, context, parts);
}

void parley_pool_team(int threads, void (*body)(void *context, int thread, int threads), void *context) {
    int allowed = parley_pool_threads();
    if (threads > allowed) threads = allowed;
    if (threads <= 1 || !try_take_team()) {
        body(context, 0, 1);
        return;
    }
    run_job(threads, NULL, body, context, threads);
}

/* Threads arrived at the current barrier, and how many barriers have opened: the last to arrive
 * resets the count before opening, so a thread that races ahead to the next barrier counts there. */
static _Atomic int barrier_arrived;
static _Atomic unsigned barrier_phase;

void parley_team_barrier(int threads) {
    if (threads <= 1) return;
    unsigned phase = atomic_load_explicit(&barrier_phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&barrier_arrived, 1, memory_order_acq_rel) == threads - 1) {
        atomic_store_explicit(&barrier_arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&barrier_phase, 1, memory_order_release);
        return;
    }
    long long start = 0;
    for (int polls = 0; atomic_load_explicit(&barrier_phase, memory_order_acquire) == phase; polls++) {
        CPU_RELAX();
        if ((polls & 63) == 63) {            /* as in run_job: yield to a descheduled team-mate */
            if (!start) start = now_ns();
            else if (now_ns() - start > pause_ns) sched_yield();
        }
    }
}
