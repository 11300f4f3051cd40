/* SPDX-License-Identifier: MIT */
/*
 * bench_pool: fixed-size real-time pools, ioalloc against DPDK's mempool,
 * glibc malloc, mimalloc, jemalloc and a mutex-protected free list, in one run.
 *
 * What is timed, for objects of 64 and 2,048 bytes in pools of 8,192:
 *   pair      one thread gets one object and puts it back. A timed sample is
 *             256 pairs (the clock steps by 10 ns; see harness.c), recorded as
 *             ns per pair.
 *   bulk      one thread gets 32 objects in one call and puts them back in one
 *             call; 16 of those per sample, recorded as ns per bulk pair (32
 *             objects: divide by 32 for ns per object). Peers without a bulk
 *             call make 32 single calls each way. Each cell starts with the
 *             thread's caches emptied; a second case also keeps 40 objects
 *             out (got singly) during the cell, as buffers in flight.
 *   2T        the same two loops while a second thread, pinned to the other
 *             CPU, runs the same loop on the same pool. The table gives the
 *             measured thread's ns per pair; the aggregate rate of the two
 *             threads is a metric.
 *   pipe      thread A gets objects and passes them through a single-producer
 *             single-consumer ring (1,024 slots) to thread B on the other CPU,
 *             which puts them: the cross-thread free. Timed on A, 256 objects
 *             per sample: A waits whenever the ring is full, so once it is in
 *             steady state this is the pipeline's ns per object. The ring on
 *             its own (a constant pointer passed, nothing got or put) is the
 *             spsc_ring column.
 *   loop      pair, bulk and pipe again, research/perf.md's way (the way its
 *             DPDK reference figures were measured): the 256 pairs, 16 bulk
 *             pairs or 256 piped objects of a sample in one loop of their
 *             own, the implementation's calls inlined into it and the
 *             thread's handle in a local, as a caller's own loop has them;
 *             every pointer is still logged. The single, bulk and pipe
 *             targets are judged on these; the one-call-per-operation
 *             figures above are printed as references.
 *   rt        a SCHED_FIFO thread (after mlockall) gets 1,024 objects, timing
 *             each get on its own, then puts them back, timing each put, until
 *             2^20 gets are done, while another thread on the other CPU takes
 *             1,024 objects in one call and returns them in one call, over and
 *             over: more than any magazine or DPDK cache holds, so both keep
 *             going to the depot (DPDK: the ring). Reported: p50, p99, p99.99
 *             and max of get and put, with clock_gettime's median overhead
 *             subtracted, and the RT thread's minor/major faults and context
 *             switches over the loop (getrusage RUSAGE_THREAD).
 *
 * The harness calls the timed operation through a pointer once per pair (once
 * per bulk pair, once per piped object): that call is in every cell, peers
 * included, and the first table measures it on its own. Inside the call the
 * implementation's own calls are made directly: DPDK's mempool functions and
 * ioalloc's get/put fast paths (pool.h) are inline, malloc is a call into
 * libc, mimalloc and jemalloc are called through dlsym() pointers. The
 * targets are also given net of the harness's call (p50 minus the empty
 * operation's p50, per call of the operation). Objects are not touched, as in
 * DPDK's mempool_perf_autotest (a free list that links through the object
 * writes it; that is its own cost).
 *
 * Implementations:
 *   ioalloc           ioa_pool_create with the defaults (plain locked memory,
 *                     magazine size chosen by the pool); get/put(_bulk).
 *   ioalloc_domain    the same pool carved from a memfd domain (bus addresses);
 *                     1-thread tables only.
 *   dpdk_lcore_cache  rte_mempool_create with a per-lcore cache of 512 (the size
 *                     research/perf.md and DPDK's mempool_perf_autotest use);
 *                     rte_mempool_get/put(_bulk). The main thread is EAL lcore
 *                     0; every other thread calls rte_thread_register() so it
 *                     gets an lcore id and its own cache.
 *   dpdk_user_cache   a mempool without lcore caches, and one
 *                     rte_mempool_cache_create(512) per thread, used through
 *                     rte_mempool_generic_get/put.
 *   glibc             malloc/free (tcache for 64 B).
 *   mimalloc          mi_malloc/mi_free, dlopen()ed (glibc stays the process
 *                     malloc); skipped with the reason if missing.
 *   jemalloc          the malloc/free of a dlopen()ed libjemalloc.so.2.
 *   mutex_list        a pthread mutex around a singly linked free list through
 *                     the objects (one lock per call, bulk calls included).
 *
 * Checks: every pointer returned, timed or not, is checked: not NULL, aligned
 * to 16 bytes (what every implementation here promises), and for the pools
 * inside the memory found by taking every object once at set-up. That survey
 * also checks that a pool gives exactly 8,192 distinct, non-overlapping
 * objects and then says empty, and for ioalloc its count, object size and free
 * count, and for the domain pool each object's bus address against the
 * domain's linear map. The timed loops only log each pointer (one store, for
 * every implementation alike); the log is checked after the timer stops. Any
 * failure, and any misuse ioalloc reports, makes the run exit 1. --selftest
 * runs a few hundred operations per cell, also checks that no bulk holds an
 * object twice, and runs a short rt loop without mlockall or SCHED_FIFO.
 */
#ifdef IOA_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif
#include "harness.h"
#include "peer_dpdk.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ioalloc/debug.h>
#include <ioalloc/domain.h>
#include <ioalloc/pool.h>

#ifdef IOA_BENCH_HAVE_DPDK
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#endif

/* 8,192 objects: a multiple of DPDK's cache (its advice: n % cache == 0), and
 * enough that the pipe's ring plus two full caches never empty the pool. */
#define NOBJ 8192
#define OBJ_ALIGN 16   /* what every implementation here promises */
#define BULK 32
#define PAIR_BATCH 256 /* pairs per sample: 256 x 5-7 ns is 130-180 clock steps */
#define BULK_BATCH 16  /* bulk pairs per sample: 512 objects */
#define PIPE_BATCH 256 /* objects per sample on the getting side */
#define RING_SLOTS 1024
#define RING_PUBLISH 16
#define LOG_SLOTS 512  /* pointers a sample logs for its check: 256 pairs, 16 x 32 */
_Static_assert(PAIR_BATCH <= LOG_SLOTS && BULK_BATCH * BULK <= LOG_SLOTS, "a loop's log");
#define DPDK_CACHE 512 /* perf.md's and mempool_perf_autotest's; the EAL maximum */
/* An rt round and a churn step: more than a DPDK cache holds (1.5 x 512) and
 * than any magazine, so each round goes to the depot. */
#define RT_ROUND 1024
#define CHURN_BULK 1024
#define RT_PRIO 50
/* The "held" bulk case: the thread keeps 40 objects out (buffers in flight)
 * while it does its bulk pairs. Any count from 31 to 61 (mod 62) leaves
 * ioalloc's loaded magazine (62 rounds) short of a bulk of 32, so each bulk
 * call has to use the previous magazine too (before the pool swapped to it,
 * such calls went one object at a time: docs/BENCHMARKS.md, bench_pool); 40
 * is one of them. The peers' caches do not care. */
#define HELD 40
/* Latency buckets: 1 ns up to 64 us, then 1 us (1,024 ns) up to 128 ms;
 * beyond that only the max is exact. */
#define HIST_NS 65536
#define HIST_US 131072
/* The targets (issue #5; research/perf.md section 4). */
#define TARGET_PAIR_NS 2.5
#define TARGET_BULK_OBJ_NS 0.4
#define TARGET_PIPE_NS 2.7
/* perf.md section 3, DPDK lcore cache 512, 2,048 B, inlined loop, 3 runs. */
#define REF_DPDK_PAIR_NS 4.96
#define REF_DPDK_BULK_OBJ_NS 0.55
#define REF_DPDK_PIPE_NS 2.70

#define INLINE static inline __attribute__((always_inline))

static const size_t obj_sizes[] = {64, 2048};
#define NSIZES (sizeof(obj_sizes) / sizeof(obj_sizes[0]))

enum impl_id { I_IOA, I_IOA_DOM, I_DPDK, I_DPDK_UC, I_GLIBC, I_MIMALLOC, I_JEMALLOC, I_MUTEX,
	       I_COUNT };
static const char *const impl_names[I_COUNT] = {
	"ioalloc", "ioalloc_domain", "dpdk_lcore_cache", "dpdk_user_cache",
	"glibc",   "mimalloc",       "jemalloc",         "mutex_list",
};

struct impl;

/* A thread's handle on an implementation: the DPDK user cache it owns. */
struct thr {
	void *h;           /* the pool, mempool or list: one load away */
	size_t size;       /* malloc: the object size */
	void *uc;          /* struct rte_mempool_cache *, dpdk_user_cache only */
	struct impl *im;
	bool registered;   /* this thread called rte_thread_register() */
};

/* The single-producer single-consumer ring of the pipe. Each side works on
 * private indices and publishes its own every RING_PUBLISH objects (and
 * whenever it has to wait), and reads the other side's only when its copy
 * says full or empty: the published indices cross between the CPUs once per
 * 16 objects, the slots once per 8 (a cache line of pointers). */
struct spsc {
	_Alignas(64) _Atomic size_t tail; /* published by the producer */
	_Alignas(64) size_t tail_local, head_seen;
	_Alignas(64) _Atomic size_t head; /* published by the consumer */
	_Alignas(64) size_t head_local, tail_seen;
	_Alignas(64) _Atomic int dead;    /* the other side failed: stop waiting */
	_Alignas(64) void *slot[RING_SLOTS];
};

/* The argument of every timed loop. The timed loops log each pointer they
 * get (one store); check_cell verifies the log after the timer stops. */
struct cell {
	struct thr *t;
	struct spsc *ring;
	size_t k;               /* pointers logged in this sample */
	size_t sink;            /* two_calls' results */
	bool distinct;          /* also check each bulk's objects are distinct */
	unsigned long bad;      /* the rt and churn loops check as they go */
	const void *last_bad;
	char why[160];
	void *log[LOG_SLOTS];
	void *objs[CHURN_BULK]; /* rt round and churn */
};

/* Latencies (raw clock readings, overhead included), see HIST_NS. */
struct hist {
	uint64_t count, max;
	uint32_t n[HIST_NS];
	uint32_t coarse[HIST_US];
};

/* The loops of one implementation, each with its calls inlined. */
struct loops {
	int (*pair)(void *c);
	int (*bulk)(void *c);
	int (*pair_loop)(void *c); /* PAIR_BATCH pairs per call */
	int (*bulk_loop)(void *c); /* BULK_BATCH bulk pairs per call */
	int (*pipe_give)(void *c);
	int (*pipe_loop)(void *c); /* PIPE_BATCH objects per call */
	size_t (*pipe_take)(struct cell *c);
	int (*rt_round)(struct cell *c, struct hist *get, struct hist *put);
	int (*churn)(struct cell *c);
	void *(*get)(struct thr *t); /* untimed use: the survey */
	void (*put)(struct thr *t, void *o);
};

struct mlist {
	pthread_mutex_t mu;
	void *head;
	size_t nfree;
	char *mem;
	size_t bytes;
};

struct impl {
	enum impl_id id;
	const char *name;
	size_t size;
	bool up;                /* measurable */
	char why[160];          /* else why not */
	/* where its objects lie: (o - lo) < span and ((o - lo) & mask) == 0 */
	uintptr_t lo, span, mask;
	const struct loops *lp;
	struct thr main;        /* the main thread's handle */
	ioa_pool_t *pool;
	void *mp;               /* struct rte_mempool * */
	struct mlist *ml;
	void *(*xmalloc)(size_t);
	void (*xfree)(void *);
};

struct run {
	struct bench *b;
	struct bench_opts o;
	struct bench_budget bud;
	struct peer_dpdk dpdk;
	int other_cpu;          /* the second thread's CPU; -1: only one CPU */
	size_t rt_gets;         /* gets per rt loop */
	ioa_domain_t *dom;      /* of the ioalloc_domain pools */
	void *mi, *je;          /* dlopen handles */
	char mi_why[160], je_why[160];
	struct impl im[NSIZES][I_COUNT];
};

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static __attribute__((noinline, cold)) int failed(struct cell *c, const char *what)
{
	snprintf(c->why, sizeof(c->why), "%s", what);
	return -1;
}

/* Non-zero if o is not where im's objects are (NULL included for the pools). */
INLINE unsigned long misplaced(const struct impl *im, const void *o)
{
	uintptr_t off = (uintptr_t)o - im->lo;

	return (unsigned long)(off >= im->span) | (off & im->mask) |
	       ((uintptr_t)o & (OBJ_ALIGN - 1));
}

INLINE void note_bad(struct cell *c, const void *o, unsigned long bad)
{
	if (__builtin_expect(bad != 0, 0)) {
		c->bad = 1;
		c->last_bad = o;
	}
}

/* ---- the implementations' calls ------------------------------------------------- */

struct ops {
	void *(*get)(struct thr *t);
	void (*put)(struct thr *t, void *o);
	int (*getn)(struct thr *t, void **o, unsigned n);
	void (*putn)(struct thr *t, void *const *o, unsigned n);
};

static inline void *ioa_get1(struct thr *t)
{
	return ioa_pool_get(t->h);
}

static inline void ioa_put1(struct thr *t, void *o)
{
	ioa_pool_put(t->h, o);
}

static inline int ioa_getn(struct thr *t, void **o, unsigned n)
{
	return ioa_pool_get_bulk(t->h, o, n);
}

static inline void ioa_putn(struct thr *t, void *const *o, unsigned n)
{
	ioa_pool_put_bulk(t->h, o, n);
}

static const struct ops ioa_ops = {ioa_get1, ioa_put1, ioa_getn, ioa_putn};

#ifdef IOA_BENCH_HAVE_DPDK
static inline void *dpdk_get1(struct thr *t)
{
	void *o;

	return rte_mempool_get(t->h, &o) ? NULL : o;
}

static inline void dpdk_put1(struct thr *t, void *o)
{
	rte_mempool_put(t->h, o);
}

static inline int dpdk_getn(struct thr *t, void **o, unsigned n)
{
	return rte_mempool_get_bulk(t->h, o, n);
}

static inline void dpdk_putn(struct thr *t, void *const *o, unsigned n)
{
	rte_mempool_put_bulk(t->h, o, n);
}

static const struct ops dpdk_ops = {dpdk_get1, dpdk_put1, dpdk_getn, dpdk_putn};

static inline void *dpdkuc_get1(struct thr *t)
{
	void *o;

	return rte_mempool_generic_get(t->h, &o, 1, t->uc) ? NULL : o;
}

static inline void dpdkuc_put1(struct thr *t, void *o)
{
	rte_mempool_generic_put(t->h, &o, 1, t->uc);
}

static inline int dpdkuc_getn(struct thr *t, void **o, unsigned n)
{
	return rte_mempool_generic_get(t->h, o, n, t->uc);
}

static inline void dpdkuc_putn(struct thr *t, void *const *o, unsigned n)
{
	rte_mempool_generic_put(t->h, o, n, t->uc);
}

static const struct ops dpdkuc_ops = {dpdkuc_get1, dpdkuc_put1, dpdkuc_getn, dpdkuc_putn};
#endif

static inline void *glibc_get1(struct thr *t)
{
	return malloc(t->size);
}

static inline void glibc_put1(struct thr *t, void *o)
{
	(void)t;
	free(o);
}

/* malloc has no bulk call: n single calls, all or none. */
static inline int glibc_getn(struct thr *t, void **o, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		o[i] = malloc(t->size);
		if (__builtin_expect(!o[i], 0)) {
			while (i--)
				free(o[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

static inline void glibc_putn(struct thr *t, void *const *o, unsigned n)
{
	(void)t;
	for (unsigned i = 0; i < n; i++)
		free(o[i]);
}

static const struct ops glibc_ops = {glibc_get1, glibc_put1, glibc_getn, glibc_putn};

/* mimalloc and jemalloc, through the pointers dlsym() gave. */
static inline void *dl_get1(struct thr *t)
{
	return t->im->xmalloc(t->size);
}

static inline void dl_put1(struct thr *t, void *o)
{
	t->im->xfree(o);
}

static inline int dl_getn(struct thr *t, void **o, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		o[i] = t->im->xmalloc(t->size);
		if (__builtin_expect(!o[i], 0)) {
			while (i--)
				t->im->xfree(o[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

static inline void dl_putn(struct thr *t, void *const *o, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		t->im->xfree(o[i]);
}

static const struct ops dl_ops = {dl_get1, dl_put1, dl_getn, dl_putn};

static inline void *ml_get1(struct thr *t)
{
	struct mlist *m = t->h;
	void *o;

	pthread_mutex_lock(&m->mu);
	o = m->head;
	if (o) {
		m->head = *(void **)o;
		m->nfree--;
	}
	pthread_mutex_unlock(&m->mu);
	return o;
}

static inline void ml_put1(struct thr *t, void *o)
{
	struct mlist *m = t->h;

	pthread_mutex_lock(&m->mu);
	*(void **)o = m->head;
	m->head = o;
	m->nfree++;
	pthread_mutex_unlock(&m->mu);
}

static inline int ml_getn(struct thr *t, void **o, unsigned n)
{
	struct mlist *m = t->h;

	pthread_mutex_lock(&m->mu);
	if (m->nfree < n) {
		pthread_mutex_unlock(&m->mu);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		o[i] = m->head;
		m->head = *(void **)o[i];
	}
	m->nfree -= n;
	pthread_mutex_unlock(&m->mu);
	return 0;
}

static inline void ml_putn(struct thr *t, void *const *o, unsigned n)
{
	struct mlist *m = t->h;

	pthread_mutex_lock(&m->mu);
	for (unsigned i = 0; i < n; i++) {
		*(void **)o[i] = m->head;
		m->head = o[i];
	}
	m->nfree += n;
	pthread_mutex_unlock(&m->mu);
}

static const struct ops ml_ops = {ml_get1, ml_put1, ml_getn, ml_putn};

/* ---- the ring ------------------------------------------------------------------------ */

INLINE bool spsc_push(struct spsc *r, void *o)
{
	size_t t = r->tail_local;

	if (t - r->head_seen == RING_SLOTS) {
		atomic_store_explicit(&r->tail, t, memory_order_release);
		r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t - r->head_seen == RING_SLOTS)
			return false;
	}
	r->slot[t & (RING_SLOTS - 1)] = o;
	r->tail_local = ++t;
	if (t % RING_PUBLISH == 0)
		atomic_store_explicit(&r->tail, t, memory_order_release);
	return true;
}

/* The producer publishes what it pushed (at the end of a run). */
static void spsc_flush(struct spsc *r)
{
	atomic_store_explicit(&r->tail, r->tail_local, memory_order_release);
}

INLINE void *spsc_pop(struct spsc *r)
{
	size_t h = r->head_local;
	void *o;

	if (h == r->tail_seen) {
		atomic_store_explicit(&r->head, h, memory_order_release);
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h == r->tail_seen)
			return NULL;
	}
	o = r->slot[h & (RING_SLOTS - 1)];
	r->head_local = ++h;
	if (h % RING_PUBLISH == 0)
		atomic_store_explicit(&r->head, h, memory_order_release);
	return o;
}

static void spsc_reset(struct spsc *r)
{
	atomic_store(&r->tail, 0);
	atomic_store(&r->head, 0);
	atomic_store(&r->dead, 0);
	r->tail_local = r->head_seen = r->head_local = r->tail_seen = 0;
}

/* Push o, waiting while the ring is full; -1 if the consumer died. */
INLINE int spsc_push_wait(struct spsc *r, void *o)
{
	while (!spsc_push(r, o)) {
		if (atomic_load_explicit(&r->dead, memory_order_relaxed))
			return -1;
		cpu_relax();
	}
	return 0;
}

/* ---- the loops, one set per implementation --------------------------------------------- */

INLINE int do_pair(const struct ops *ops, struct cell *c)
{
	void *o = ops->get(c->t);

	if (__builtin_expect(!o, 0))
		return failed(c, "get returned NULL");
	c->log[c->k++ % LOG_SLOTS] = o;
	ops->put(c->t, o);
	return 0;
}

INLINE unsigned long misplaced_n(const struct impl *im, void *const *o, unsigned n)
{
	unsigned long bad = 0;

	for (unsigned i = 0; i < n; i++)
		bad |= misplaced(im, o[i]);
	return bad;
}

/* The objects go straight into the log: no copy, checked after the timer. */
INLINE int do_bulk(const struct ops *ops, struct cell *c)
{
	void **o;

	if (c->k > LOG_SLOTS - BULK)
		c->k = 0;
	o = c->log + c->k;
	if (__builtin_expect(ops->getn(c->t, o, BULK) != 0, 0))
		return failed(c, "bulk get of 32 failed");
	ops->putn(c->t, o, BULK);
	c->k += BULK;
	return 0;
}

/* perf.md's method, the one its reference figures come from: a sample's pairs
 * in one loop of their own, the calls inlined and the thread's handle in a
 * local, as a caller's own loop has them. Each pointer is still logged. */
INLINE int do_pair_loop(const struct ops *ops, struct cell *c)
{
	struct thr t = *c->t;
	size_t k = c->k;

	for (unsigned i = 0; i < PAIR_BATCH; i++) {
		void *o = ops->get(&t);

		if (__builtin_expect(!o, 0))
			return failed(c, "get returned NULL");
		c->log[k++ % LOG_SLOTS] = o;
		ops->put(&t, o);
	}
	c->k = k;
	return 0;
}

INLINE int do_bulk_loop(const struct ops *ops, struct cell *c)
{
	struct thr t = *c->t;

	for (unsigned i = 0; i < BULK_BATCH; i++) {
		void **o = c->log + (size_t)i * BULK;

		if (__builtin_expect(ops->getn(&t, o, BULK) != 0, 0))
			return failed(c, "bulk get of 32 failed");
		ops->putn(&t, o, BULK);
	}
	c->k = (size_t)BULK_BATCH * BULK;
	return 0;
}

/* The pipe's getting side: one object into the ring. */
INLINE int do_pipe_give(const struct ops *ops, struct cell *c)
{
	void *o = ops->get(c->t);

	if (__builtin_expect(!o, 0))
		return failed(c, "get returned NULL in the pipe");
	c->log[c->k++ % LOG_SLOTS] = o;
	if (spsc_push_wait(c->ring, o))
		return failed(c, "the putting thread failed");
	return 0;
}

/* The same, PIPE_BATCH objects in one loop (perf.md's method). */
INLINE int do_pipe_give_loop(const struct ops *ops, struct cell *c)
{
	struct thr t = *c->t;
	size_t k = c->k;

	for (unsigned i = 0; i < PIPE_BATCH; i++) {
		void *o = ops->get(&t);

		if (__builtin_expect(!o, 0))
			return failed(c, "get returned NULL in the pipe");
		c->log[k++ % LOG_SLOTS] = o;
		if (spsc_push_wait(c->ring, o))
			return failed(c, "the putting thread failed");
	}
	c->k = k;
	return 0;
}

/* The pipe's putting side: put what the ring holds (up to 64); how many. */
INLINE size_t do_pipe_take(const struct ops *ops, struct cell *c)
{
	size_t n = 0;
	void *o;

	while (n < 64 && (o = spsc_pop(c->ring)) != NULL) {
		ops->put(c->t, o);
		n++;
	}
	return n;
}

INLINE void hist_add(struct hist *h, uint64_t ns)
{
	if (__builtin_expect(ns < HIST_NS, 1)) {
		h->n[ns]++;
	} else {
		uint64_t us = (ns - HIST_NS) >> 10;

		h->coarse[us < HIST_US ? us : HIST_US - 1]++;
	}
	if (ns > h->max)
		h->max = ns;
	h->count++;
}

/* RT_ROUND gets, each timed, then as many puts, each timed. */
INLINE int do_rt_round(const struct ops *ops, struct cell *c, struct hist *hg, struct hist *hp)
{
	for (unsigned i = 0; i < RT_ROUND; i++) {
		uint64_t t0 = bench_now_ns(), t1;
		void *o = ops->get(c->t);

		t1 = bench_now_ns();
		hist_add(hg, t1 - t0);
		if (__builtin_expect(!o, 0)) {
			ops->putn(c->t, c->objs, i);
			return failed(c, "get returned NULL on the rt thread");
		}
		note_bad(c, o, misplaced(c->t->im, o));
		c->objs[i] = o;
	}
	for (unsigned i = 0; i < RT_ROUND; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		ops->put(c->t, c->objs[i]);
		t1 = bench_now_ns();
		hist_add(hp, t1 - t0);
	}
	return 0;
}

/* One churn step: CHURN_BULK objects out in one call and back; -1 if the
 * pool could not give them all at that moment (counted, not a failure). */
INLINE int do_churn(const struct ops *ops, struct cell *c)
{
	if (ops->getn(c->t, c->objs, CHURN_BULK))
		return -1;
	note_bad(c, c->objs[0], misplaced_n(c->t->im, c->objs, CHURN_BULK));
	ops->putn(c->t, c->objs, CHURN_BULK);
	return 0;
}

#define LOOPS(x)                                                                        \
	static int x##_pair(void *c) { return do_pair(&x##_ops, c); }                   \
	static int x##_bulk(void *c) { return do_bulk(&x##_ops, c); }                   \
	static int x##_pair_loop(void *c) { return do_pair_loop(&x##_ops, c); }         \
	static int x##_bulk_loop(void *c) { return do_bulk_loop(&x##_ops, c); }         \
	static int x##_pipe_give(void *c) { return do_pipe_give(&x##_ops, c); }         \
	static int x##_pipe_loop(void *c) { return do_pipe_give_loop(&x##_ops, c); }    \
	static size_t x##_pipe_take(struct cell *c) { return do_pipe_take(&x##_ops, c); } \
	static int x##_rt_round(struct cell *c, struct hist *g, struct hist *p)         \
	{                                                                               \
		return do_rt_round(&x##_ops, c, g, p);                                  \
	}                                                                               \
	static int x##_churn(struct cell *c) { return do_churn(&x##_ops, c); }          \
	static const struct loops x##_loops = {x##_pair,      x##_bulk,      x##_pair_loop, \
					       x##_bulk_loop, x##_pipe_give, x##_pipe_loop, \
					       x##_pipe_take, x##_rt_round,  x##_churn,     \
					       x##_get1,      x##_put1};

LOOPS(ioa)
#ifdef IOA_BENCH_HAVE_DPDK
LOOPS(dpdk)
LOOPS(dpdkuc)
#endif
LOOPS(glibc)
LOOPS(dl)
LOOPS(ml)

/* The harness's own cost per call: an empty operation in a batch. */
static int empty_run(void *c)
{
	(void)c;
	return 0;
}

/* The ring alone: a constant pointer through it, nothing got or put. */
static int ring_give(void *arg)
{
	struct cell *c = arg;

	return spsc_push_wait(c->ring, c) ? failed(c, "the consumer failed") : 0;
}

static int ring_give_loop(void *arg)
{
	struct cell *c = arg;

	for (unsigned i = 0; i < PIPE_BATCH; i++)
		if (spsc_push_wait(c->ring, c))
			return failed(c, "the consumer failed");
	return 0;
}

static size_t ring_take(struct cell *c)
{
	size_t n = 0;

	while (n < 64 && spsc_pop(c->ring))
		n++;
	return n;
}

static int prep_cell(void *arg)
{
	((struct cell *)arg)->k = 0;
	return 0;
}

/* No two of n objects alike (n small: --selftest only). */
static const void *dup_of(void *const *o, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (o[i] == o[j])
				return o[i];
	return NULL;
}

/* Every pointer the sample logged, then the running flag; resets the log. */
static int check_cell(void *arg)
{
	struct cell *c = arg;
	size_t n = c->k < LOG_SLOTS ? c->k : LOG_SLOTS;
	const void *d;

	c->k = 0;
	if (!c->t) /* the ring alone: nothing got */
		return 0;
	for (size_t i = 0; i < n; i++)
		note_bad(c, c->log[i], misplaced(c->t->im, c->log[i]));
	if (c->distinct && n % BULK == 0)
		for (size_t i = 0; i < n; i += BULK)
			if ((d = dup_of(c->log + i, BULK)) != NULL) {
				snprintf(c->why, sizeof(c->why), "object %p twice in one bulk get", d);
				return -1;
			}
	if (!c->bad)
		return 0;
	snprintf(c->why, sizeof(c->why), "object %p is outside the pool or misaligned",
		 c->last_bad);
	return -1;
}

/* ---- threads: entering and leaving an implementation ------------------------------------ */

/* Ready t for im on the calling thread: a DPDK lcore id for threads the EAL
 * did not make, a user cache. 0, or -1 with the reason in why. */
static int thr_enter(struct thr *t, struct impl *im, char *why, size_t len)
{
	*t = (struct thr){.im = im, .size = im->size,
			  .h = im->pool ? (void *)im->pool : im->mp ? im->mp : (void *)im->ml};
#ifdef IOA_BENCH_HAVE_DPDK
	if (im->id != I_DPDK && im->id != I_DPDK_UC)
		return 0;
	if (peer_dpdk_thread_enter(&t->registered, why, len))
		return -1;
	if (im->id == I_DPDK_UC) {
		t->uc = rte_mempool_cache_create(DPDK_CACHE, SOCKET_ID_ANY);
		if (!t->uc) {
			snprintf(why, len, "rte_mempool_cache_create: %s",
				 rte_strerror(rte_errno));
			return -1;
		}
	}
#else
	(void)why;
	(void)len;
#endif
	return 0;
}

/* Give back what the thread's caches hold, so every object is in the pool. */
static void thr_leave(struct thr *t)
{
	if (t->im->id == I_IOA || t->im->id == I_IOA_DOM)
		ioa_pool_thread_flush();
#ifdef IOA_BENCH_HAVE_DPDK
	if (t->uc) {
		rte_mempool_cache_flush(t->uc, t->h);
		rte_mempool_cache_free(t->uc);
		t->uc = NULL;
	}
	if (t->im->id == I_DPDK)
		rte_mempool_cache_flush(NULL, t->h);
	if (t->registered)
		rte_thread_unregister();
#endif
}

/* Empty the calling thread's caches, so each cell starts from one state:
 * DPDK's and ioalloc's magazines back to the pool (the thread stays
 * registered). */
static void thr_reset(struct thr *t)
{
	if (t->im->id == I_IOA || t->im->id == I_IOA_DOM)
		ioa_pool_thread_flush();
#ifdef IOA_BENCH_HAVE_DPDK
	if (t->im->id == I_DPDK || t->im->id == I_DPDK_UC)
		rte_mempool_cache_flush(t->uc, t->h);
#endif
}

/* ---- the second thread: same loop, pipe consumer or churner ------------------------------ */

enum partner_kind { PK_REPEAT, PK_PIPE, PK_CHURN };

struct partner {
	pthread_t tid;
	enum partner_kind kind;
	struct impl *im;         /* NULL: the ring alone */
	int cpu;
	int (*repeat)(void *c);  /* PK_REPEAT: the loop, PAIR_BATCH calls at a time */
	size_t batch;
	size_t (*take)(struct cell *c); /* PK_PIPE */
	_Atomic int state;
	struct thr t;
	struct cell *c;
	uint64_t ops;            /* REPEAT: calls made; CHURN: steps */
	uint64_t ns, cpu_ns;     /* wall and CPU time of the loop */
	uint64_t misses;         /* CHURN: steps the pool could not serve at once */
	uint32_t *bt;            /* REPEAT: ns per batch, the first PARTNER_BATCHES */
	size_t nbt;
	bool failed;
	char why[160];
};

#define PARTNER_BATCHES (1u << 18)

/* One timed batch of the REPEAT loop; -1 on a failed call or check. */
static int partner_batch(struct partner *p)
{
	uint64_t t0 = bench_now_ns(), t1;
	int r = 0;

	for (size_t k = 0; k < p->batch; k++)
		r |= p->repeat(p->c);
	t1 = bench_now_ns();
	if (p->bt && p->nbt < PARTNER_BATCHES)
		p->bt[p->nbt++] = (uint32_t)(t1 - t0 < UINT32_MAX ? t1 - t0 : UINT32_MAX);
	p->ops += p->batch;
	return r || check_cell(p->c) ? -1 : 0;
}

static void partner_loop(struct partner *p)
{
	uint64_t t0 = bench_now_ns(), c0 = bench_thread_cpu_ns();

	while (atomic_load_explicit(&p->state, memory_order_acquire) == BENCH_T_RUN) {
		if (p->kind == PK_REPEAT) {
			if (partner_batch(p))
				break;
		} else if (p->kind == PK_PIPE) {
			if (!p->take(p->c))
				cpu_relax();
		} else {
			p->misses += p->im->lp->churn(p->c) != 0;
			p->ops++;
			if (check_cell(p->c))
				break;
		}
	}
	p->ns = bench_now_ns() - t0;
	p->cpu_ns = bench_thread_cpu_ns() - c0;
	if (p->c->why[0]) {
		p->failed = true;
		snprintf(p->why, sizeof(p->why), "%s", p->c->why);
	}
}

/* The pipe's consumer also empties the ring once told to stop. */
static void partner_drain(struct partner *p)
{
	if (p->kind != PK_PIPE)
		return;
	while (p->take(p->c))
		;
}

static void *partner_main(void *arg)
{
	struct partner *p = arg;

	if (bench_pin_thread(p->cpu))
		snprintf(p->why, sizeof(p->why), "cannot pin to CPU %d", p->cpu);
	else if (p->im)
		thr_enter(&p->t, p->im, p->why, sizeof(p->why));
	p->c->t = &p->t;
	if (p->why[0]) {
		p->failed = true;
		if (p->c->ring)
			atomic_store(&p->c->ring->dead, 1);
		atomic_store(&p->state, BENCH_T_DONE);
		return NULL;
	}
	atomic_store_explicit(&p->state, BENCH_T_RUN, memory_order_release);
	partner_loop(p);
	if (p->failed && p->c->ring)
		atomic_store(&p->c->ring->dead, 1);
	while (atomic_load_explicit(&p->state, memory_order_acquire) == BENCH_T_RUN)
		cpu_relax();
	partner_drain(p);
	if (p->im)
		thr_leave(&p->t);
	atomic_store_explicit(&p->state, BENCH_T_DONE, memory_order_release);
	return NULL;
}

/* ---- set-up: the survey of a pool ----------------------------------------------------- */

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return (x > y) - (x < y);
}

/* ioalloc_domain: each object's bus address maps back to it. */
static int check_bus(struct run *rn, struct impl *im, void *const *all, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t bus = 0;
		int r = ioa_pool_bus(im->pool, all[i], &bus);

		if (r || ioa_domain_virt(rn->dom, bus) != all[i]) {
			bench_fail(rn->b, "%s %zu B: ioa_pool_bus(%p) = %d, bus 0x%llx maps to %p",
				   im->name, im->size, all[i], r, (unsigned long long)bus,
				   r ? NULL : ioa_domain_virt(rn->dom, bus));
			return -1;
		}
	}
	return 0;
}

/* Sorted objects: distinct, not overlapping, aligned; their extent and, if
 * they lie at one power-of-two stride, that stride. 0 or -1. */
static int check_layout(struct run *rn, struct impl *im, uintptr_t *a, size_t n)
{
	uintptr_t stride;

	qsort(a, n, sizeof(*a), cmp_ptr);
	stride = n > 1 ? a[1] - a[0] : 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i] % OBJ_ALIGN || (i && a[i] - a[i - 1] < im->size)) {
			bench_fail(rn->b, "%s %zu B: object %#lx misaligned or overlapping %#lx",
				   im->name, im->size, (unsigned long)a[i],
				   (unsigned long)(i ? a[i - 1] : 0));
			return -1;
		}
		if (i && a[i] - a[i - 1] != stride)
			stride = 0;
	}
	im->lo = a[0];
	im->span = a[n - 1] + im->size - a[0];
	im->mask = stride && (stride & (stride - 1)) == 0 ? stride - 1 : 0;
	return 0;
}

/* ioalloc's own account of the pool, against what the survey found. */
static void check_counts(struct run *rn, struct impl *im, size_t free_when_empty)
{
	size_t count = ioa_pool_count(im->pool), osz = ioa_pool_obj_size(im->pool);
	size_t fc = ioa_pool_free_count(im->pool);

	if (count != NOBJ || osz != im->size)
		bench_fail(rn->b, "%s %zu B: ioa_pool_count %zu (want %d), obj_size %zu",
			   im->name, im->size, count, NOBJ, osz);
	if (free_when_empty != 0 || fc != NOBJ)
		bench_note(rn->b, "%s %zu B: ioa_pool_free_count said %zu with every object out, "
			   "%zu with all back (want 0 and %d; it is approximate)", im->name,
			   im->size, free_when_empty, fc, NOBJ);
}

/* Take every object once on the main thread, check them, give them back. */
static int survey(struct run *rn, struct impl *im)
{
	void **all = malloc((NOBJ + 1) * sizeof(*all));
	uintptr_t *sorted = malloc(NOBJ * sizeof(*sorted));
	size_t n = 0, free_empty = 0;
	int r = -1;

	if (!all || !sorted) {
		bench_fail(rn->b, "survey: out of memory");
		goto out;
	}
	while (n <= NOBJ && (all[n] = im->lp->get(&im->main)) != NULL)
		n++;
	if (im->pool)
		free_empty = ioa_pool_free_count(im->pool);
	for (size_t i = 0; i < n && i < NOBJ; i++)
		sorted[i] = (uintptr_t)all[i];
	if (n != NOBJ)
		bench_fail(rn->b, "%s %zu B: the pool gave %zu objects before saying empty "
			   "(want %d)", im->name, im->size, n, NOBJ);
	else if (check_layout(rn, im, sorted, n) == 0 &&
		 (im->id != I_IOA_DOM || check_bus(rn, im, all, n) == 0))
		r = 0;
	for (size_t i = 0; i < n; i++)
		im->lp->put(&im->main, all[i]);
	if (im->pool)
		check_counts(rn, im, free_empty);
out:
	free(all);
	free(sorted);
	return r;
}

/* ---- set-up: each implementation -------------------------------------------------------- */

static void unavailable(struct impl *im, const char *fmt, const char *arg)
{
	im->up = false;
	snprintf(im->why, sizeof(im->why), fmt, arg);
}

static void setup_ioa(struct run *rn, struct impl *im)
{
	struct ioa_pool_config cfg;
	char name[32];
	int r;

	ioa_pool_config_init(&cfg);
	snprintf(name, sizeof(name), "bench%zu%s", im->size, im->id == I_IOA_DOM ? "d" : "");
	cfg.name = name;
	cfg.obj_size = im->size;
	cfg.count = NOBJ;
	if (im->id == I_IOA_DOM) {
		if (!rn->dom) {
			unavailable(im, "%s", "no domain");
			return;
		}
		cfg.domain = rn->dom;
	}
	im->lp = &ioa_loops;
	r = ioa_pool_create(&cfg, &im->pool);
	if (r) {
		bench_fail(rn->b, "%s %zu B: ioa_pool_create: %s", im->name, im->size, strerror(-r));
		unavailable(im, "ioa_pool_create: %s", strerror(-r));
		return;
	}
	im->up = true;
}

#ifdef IOA_BENCH_HAVE_DPDK
static void setup_dpdk(struct run *rn, struct impl *im)
{
	bool uc = im->id == I_DPDK_UC;
	char name[32];

	if (!rn->dpdk.up) {
		unavailable(im, "%s", rn->dpdk.why);
		return;
	}
	snprintf(name, sizeof(name), "bench_%s_%zu", uc ? "uc" : "lc", im->size);
	im->mp = rte_mempool_create(name, NOBJ, (unsigned)im->size, uc ? 0 : DPDK_CACHE, 0, NULL,
				    NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (!im->mp) {
		unavailable(im, "rte_mempool_create: %s", rte_strerror(rte_errno));
		return;
	}
	im->lp = uc ? &dpdkuc_loops : &dpdk_loops;
	im->up = true;
}
#endif

static void setup_dl(struct run *rn, struct impl *im)
{
	void *h = im->id == I_MIMALLOC ? rn->mi : rn->je;

	if (!h) {
		unavailable(im, "%s", im->id == I_MIMALLOC ? rn->mi_why : rn->je_why);
		return;
	}
	im->xmalloc = (void *(*)(size_t))dlsym(h, im->id == I_MIMALLOC ? "mi_malloc" : "malloc");
	im->xfree = (void (*)(void *))dlsym(h, im->id == I_MIMALLOC ? "mi_free" : "free");
	if (!im->xmalloc || !im->xfree) {
		unavailable(im, "dlsym: %s", "malloc/free not exported");
		return;
	}
	im->lp = &dl_loops;
	im->up = true;
}

static void setup_ml(struct run *rn, struct impl *im)
{
	struct mlist *m = calloc(1, sizeof(*m));

	if (!m || pthread_mutex_init(&m->mu, NULL)) {
		bench_fail(rn->b, "mutex_list: out of memory");
		free(m);
		return;
	}
	m->bytes = NOBJ * im->size;
	m->mem = aligned_alloc(4096, m->bytes);
	if (!m->mem) {
		bench_fail(rn->b, "mutex_list: out of memory");
		free(m);
		return;
	}
	memset(m->mem, 0, m->bytes);
	(void)mlock(m->mem, m->bytes); /* as locked as the pools, where allowed */
	for (size_t i = NOBJ; i-- > 0;) {
		*(void **)(m->mem + i * im->size) = m->head;
		m->head = m->mem + i * im->size;
	}
	m->nfree = NOBJ;
	im->ml = m;
	im->lp = &ml_loops;
	im->up = true;
}

static void setup_impl(struct run *rn, struct impl *im)
{
	im->span = UINTPTR_MAX; /* malloc: anywhere; the pools are surveyed */
	switch (im->id) {
	case I_IOA:
	case I_IOA_DOM: setup_ioa(rn, im); break;
	case I_DPDK:
	case I_DPDK_UC:
#ifdef IOA_BENCH_HAVE_DPDK
		setup_dpdk(rn, im);
#else
		unavailable(im, "%s", rn->dpdk.why);
#endif
		break;
	case I_GLIBC: im->lp = &glibc_loops; im->up = true; break;
	case I_MIMALLOC:
	case I_JEMALLOC: setup_dl(rn, im); break;
	case I_MUTEX: setup_ml(rn, im); break;
	default: break;
	}
	if (im->up && thr_enter(&im->main, im, im->why, sizeof(im->why))) {
		bench_fail(rn->b, "%s: %s", im->name, im->why);
		im->up = false;
	}
	if (im->up && (im->pool || im->mp || im->ml) && survey(rn, im))
		im->up = false;
}

static void teardown_impl(struct run *rn, struct impl *im)
{
	int r;

	if (im->lp && (im->pool || im->mp))
		thr_leave(&im->main);
	if (im->pool && (r = ioa_pool_destroy(im->pool)) != 0)
		bench_fail(rn->b, "%s %zu B: ioa_pool_destroy: %s (objects still out after "
			   "every thread gave them back)", im->name, im->size, strerror(-r));
#ifdef IOA_BENCH_HAVE_DPDK
	if (im->mp)
		rte_mempool_free(im->mp);
#endif
	if (im->ml) {
		if (im->ml->nfree != NOBJ)
			bench_fail(rn->b, "mutex_list: %zu of %d objects back", im->ml->nfree, NOBJ);
		pthread_mutex_destroy(&im->ml->mu);
		free(im->ml->mem);
		free(im->ml);
	}
}

/* libjemalloc.so.2 has 2,632 bytes of initial-exec TLS, more than glibc keeps
 * free for dlopen() by default ("cannot allocate memory in static TLS
 * block"): if that is what happens, run again, once, with more room. */
#define TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"

static bool under_valgrind(void)
{
#ifdef IOA_HAVE_VALGRIND
	return RUNNING_ON_VALGRIND;
#else
	return false;
#endif
}

static void make_tls_room(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	void *h = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	char *env;

	if (h) {
		dlclose(h);
		return;
	}
	if (!strstr(dlerror(), "static TLS") || (old && strstr(old, "optional_static_tls")))
		return;
	if (under_valgrind())
		return; /* /proc/self/exe is Valgrind itself: the jemalloc rows say dlopen failed */
	env = malloc((old ? strlen(old) + 1 : 0) + sizeof(TLS_TUNABLE));
	if (!env)
		return;
	sprintf(env, "%s%s%s", old ? old : "", old ? ":" : "", TLS_TUNABLE);
	if (setenv("GLIBC_TUNABLES", env, 1) == 0)
		execv("/proc/self/exe", argv); /* returns only on failure */
	free(env);
}

static void open_dl(struct run *rn)
{
	rn->mi = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!rn->mi)
		snprintf(rn->mi_why, sizeof(rn->mi_why), "dlopen: %s", dlerror());
	rn->je = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!rn->je)
		snprintf(rn->je_why, sizeof(rn->je_why), "dlopen: %s", dlerror());
	else if (getenv("GLIBC_TUNABLES") && strstr(getenv("GLIBC_TUNABLES"), TLS_TUNABLE))
		bench_note(rn->b, "jemalloc: the run re-executed itself with GLIBC_TUNABLES=%s so "
			   "that dlopen() finds room for its TLS", TLS_TUNABLE);
}

static void setup_all(struct run *rn)
{
	struct ioa_domain_config dc;
	int r;

	ioa_domain_config_init(&dc);
	dc.name = "bench_pool";
	r = ioa_domain_create(&dc, &rn->dom);
	if (r)
		bench_fail(rn->b, "ioa_domain_create: %s", strerror(-r));
	open_dl(rn);
	for (size_t s = 0; s < NSIZES; s++) {
		for (int i = 0; i < I_COUNT; i++) {
			struct impl *im = &rn->im[s][i];

			im->id = (enum impl_id)i;
			im->name = impl_names[i];
			im->size = obj_sizes[s];
			setup_impl(rn, im);
		}
	}
}

static void teardown_all(struct run *rn)
{
	for (size_t s = 0; s < NSIZES; s++)
		for (int i = 0; i < I_COUNT; i++)
			teardown_impl(rn, &rn->im[s][i]);
	if (rn->dom && ioa_domain_destroy(rn->dom) != 0)
		bench_fail(rn->b, "ioa_domain_destroy: allocations left in the domain");
}

/* ---- measuring ------------------------------------------------------------------------ */

/* The case names: unique across tables, so bench_get finds each cell. */
enum mode {
	MD_PAIR, MD_BULK, MD_BULKH, MD_PAIR2, MD_BULK2, MD_PIPE, MD_PAIRL, MD_BULKL, MD_PIPEL,
	MD_COUNT
};
static const char *const mode_names[MD_COUNT] = {"pair",      "bulk32",   "bulk32",
						  "2T pair",   "2T bulk32", "pipe",
						  "loop pair", "loop bulk32", "loop pipe"};

static const char *case_of(enum mode m, size_t size, char *buf, size_t len)
{
	snprintf(buf, len, "%s %zu B%s", mode_names[m], size, m == MD_BULKH ? ", 40 held" : "");
	return buf;
}

static struct cell *new_cell(struct run *rn)
{
	return bench_zalloc_line(rn->b, sizeof(struct cell));
}

/* Objects to hold out during a cell (single gets); how many were got. */
static size_t hold(struct run *rn, struct impl *im, void **held, size_t n)
{
	size_t k = 0;

	while (k < n && (held[k] = im->lp->get(&im->main)) != NULL)
		k++;
	if (k < n)
		bench_fail(rn->b, "%s %zu B: only %zu of %zu objects to hold", im->name, im->size,
			   k, n);
	return k;
}

static void measure_1t(struct run *rn, struct impl *im, enum mode m)
{
	struct cell *c = new_cell(rn);
	struct bench_op op = {.prep = prep_cell, .check = check_cell, .arg = c};
	void *held[HELD];
	size_t nheld = 0;
	char cs[40];

	if (!c)
		return;
	thr_reset(&im->main);
	if (m == MD_BULKH)
		nheld = hold(rn, im, held, HELD);
	c->t = &im->main;
	c->distinct = m != MD_PAIR && m != MD_PAIRL && rn->o.selftest;
	op.why = c->why;
	op.why_len = sizeof(c->why);
	case_of(m, im->size, cs, sizeof(cs));
	if (m == MD_PAIRL || m == MD_BULKL) {
		op.run = m == MD_PAIRL ? im->lp->pair_loop : im->lp->bulk_loop;
		bench_measure_per(rn->b, cs, im->name, &op, m == MD_PAIRL ? PAIR_BATCH : BULK_BATCH,
				  &rn->bud);
	} else {
		op.run = m == MD_PAIR ? im->lp->pair : im->lp->bulk;
		bench_measure_batch(rn->b, cs, im->name, &op, m == MD_PAIR ? PAIR_BATCH : BULK_BATCH,
				    &rn->bud);
	}
	while (nheld)
		im->lp->put(&im->main, held[--nheld]);
	free(c);
}

static void skip_cell(struct run *rn, enum mode m, size_t size, const char *impl,
		      const char *why)
{
	char cs[40];

	bench_unavailable(rn->b, case_of(m, size, cs, sizeof(cs)), impl, why);
}

static void table_1t(struct run *rn, bool bulk)
{
	bench_table(rn->b, bulk ? "bulk_1t" : "pair_1t",
		    bulk ? "1 thread: bulk get of 32 + bulk put of 32 (ns per bulk pair of 32 "
			   "objects; 16 per sample); caches emptied first, or 40 objects held"
			 : "1 thread: get + put of one object (ns per pair; 256 per sample)",
		    "ioalloc");
	for (size_t s = 0; s < NSIZES; s++) {
		for (int k = 0; k < (bulk ? 2 : 1); k++) {
			enum mode m = !bulk ? MD_PAIR : k ? MD_BULKH : MD_BULK;

			for (int i = 0; i < I_COUNT; i++) {
				struct impl *im = &rn->im[s][i];

				if (im->up)
					measure_1t(rn, im, m);
				else
					skip_cell(rn, m, im->size, im->name, im->why);
			}
		}
	}
}

/* The same pairs and bulk pairs as loops of their own (perf.md's method). */
static void table_loops(struct run *rn)
{
	bench_table(rn->b, "loop_1t",
		    "1 thread, perf.md's method: the 256 pairs (or 16 bulk pairs of 32) of a sample "
		    "in one inlined loop, the handle in a local (ns per pair / per bulk pair)",
		    "ioalloc");
	for (size_t s = 0; s < NSIZES; s++)
		for (int k = 0; k < 2; k++)
			for (int i = 0; i < I_COUNT; i++) {
				struct impl *im = &rn->im[s][i];
				enum mode m = k ? MD_BULKL : MD_PAIRL;

				if (im->up)
					measure_1t(rn, im, m);
				else
					skip_cell(rn, m, im->size, im->name, im->why);
			}
}

/* Say so when the second thread had its CPU for less than 90% of its loop:
 * the machine is shared, and its cells then mix in 1-thread samples. */
static void note_share(struct run *rn, const char *cs, const char *impl,
		       const struct partner *p)
{
	double share = p->ns ? (double)p->cpu_ns / (double)p->ns : 0;

	if (share < 0.9)
		bench_note(rn->b, "%s %s: the second thread ran %.0f%% of the time", cs, impl,
			   100 * share);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The aggregate of two threads: both medians as rates, added, as ns per pair
 * (per object for bulk). Medians, so that time the shared machine took the
 * second CPU away does not count. Also says when that was much. */
static void metric_aggregate(struct run *rn, const char *cs, struct impl *im,
			     struct partner *p, double per_call)
{
	const struct bench_stats *st = bench_get(rn->b, cs, im->name);
	double other;
	char name[64];

	if (!st || st->p50 <= 0 || p->nbt == 0)
		return;
	qsort(p->bt, p->nbt, sizeof(*p->bt), cmp_u32);
	other = (double)p->bt[p->nbt / 2] / (double)p->batch;
	snprintf(name, sizeof(name), "%s aggregate, %s", cs, im->name);
	bench_metric(rn->b, name, 1.0 / (1.0 / st->p50 + 1.0 / other) / per_call,
		     per_call > 1 ? "ns/object" : "ns/pair");
	note_share(rn, cs, im->name, p);
}

/* Two threads on one pool: the main thread measured, the other the same loop. */
static void measure_2t(struct run *rn, struct impl *im, bool bulk)
{
	struct cell *c = new_cell(rn), *pc = new_cell(rn);
	struct partner *p = calloc(1, sizeof(*p));
	struct bench_op op = {.prep = prep_cell, .check = check_cell};
	uint32_t *bt = malloc(PARTNER_BATCHES * sizeof(*bt));
	char cs[40];

	if (!c || !pc || !p || !bt)
		goto out;
	*p = (struct partner){.kind = PK_REPEAT, .im = im, .cpu = rn->other_cpu, .c = pc,
			      .repeat = bulk ? im->lp->bulk : im->lp->pair, .bt = bt,
			      .batch = bulk ? BULK_BATCH : PAIR_BATCH};
	c->distinct = pc->distinct = bulk && rn->o.selftest;
	if (bench_thread_start(&p->tid, &p->state, partner_main, p, p->why, sizeof(p->why))) {
		bench_fail(rn->b, "%s 2T: second thread: %s", im->name, p->why);
		goto out;
	}
	thr_reset(&im->main);
	c->t = &im->main;
	op.run = bulk ? im->lp->bulk : im->lp->pair;
	op.arg = c;
	op.why = c->why;
	op.why_len = sizeof(c->why);
	case_of(bulk ? MD_BULK2 : MD_PAIR2, im->size, cs, sizeof(cs));
	bench_measure_batch(rn->b, cs, im->name, &op, bulk ? BULK_BATCH : PAIR_BATCH, &rn->bud);
	bench_thread_stop(p->tid, &p->state);
	if (p->failed)
		bench_fail(rn->b, "%s %zu B 2T: second thread: %s", im->name, im->size, p->why);
	else
		metric_aggregate(rn, cs, im, p, bulk ? BULK : 1);
out:
	free(c);
	free(pc);
	free(p);
	free(bt);
}

static void table_2t(struct run *rn, bool bulk)
{
	enum mode m = bulk ? MD_BULK2 : MD_PAIR2;

	bench_table(rn->b, bulk ? "bulk_2t" : "pair_2t",
		    bulk ? "2 threads on one pool, both doing bulk pairs of 32 (ns per bulk pair "
			   "on the measured thread)"
			 : "2 threads on one pool, both doing get + put pairs (ns per pair on the "
			   "measured thread)",
		    "ioalloc");
	for (size_t s = 0; s < NSIZES; s++) {
		for (int i = 0; i < I_COUNT; i++) {
			struct impl *im = &rn->im[s][i];

			if (i == I_IOA_DOM)
				continue;
			if (rn->other_cpu < 0)
				skip_cell(rn, m, im->size, im->name, "one CPU only");
			else if (im->up)
				measure_2t(rn, im, bulk);
			else
				skip_cell(rn, m, im->size, im->name, im->why);
		}
	}
}

/* The pipe: the main thread gets and pushes, the other thread pops and puts.
 * im NULL: the ring alone. */
static void measure_pipe(struct run *rn, struct impl *im, size_t size, struct spsc *ring,
			 enum mode m)
{
	struct cell *c = new_cell(rn), *pc = new_cell(rn);
	struct partner *p = calloc(1, sizeof(*p));
	struct bench_op op = {.prep = prep_cell, .check = check_cell};
	const char *name = im ? im->name : "spsc_ring";
	char cs[40];

	if (!c || !pc || !p)
		goto out;
	spsc_reset(ring);
	c->ring = pc->ring = ring;
	*p = (struct partner){.kind = PK_PIPE, .im = im, .cpu = rn->other_cpu, .c = pc,
			      .take = im ? im->lp->pipe_take : ring_take};
	if (bench_thread_start(&p->tid, &p->state, partner_main, p, p->why, sizeof(p->why))) {
		bench_fail(rn->b, "%s pipe: second thread: %s", name, p->why);
		goto out;
	}
	if (im)
		thr_reset(&im->main);
	c->t = im ? &im->main : NULL;
	op.arg = c;
	op.why = c->why;
	op.why_len = sizeof(c->why);
	case_of(m, size, cs, sizeof(cs));
	if (m == MD_PIPEL) {
		op.run = im ? im->lp->pipe_loop : ring_give_loop;
		bench_measure_per(rn->b, cs, name, &op, PIPE_BATCH, &rn->bud);
	} else {
		op.run = im ? im->lp->pipe_give : ring_give;
		bench_measure_batch(rn->b, cs, name, &op, PIPE_BATCH, &rn->bud);
	}
	spsc_flush(ring); /* the last objects pushed, for the consumer to put */
	bench_thread_stop(p->tid, &p->state);
	if (p->failed)
		bench_fail(rn->b, "%s %zu B pipe: putting thread: %s", name, size, p->why);
	else
		note_share(rn, cs, name, p);
out:
	free(c);
	free(pc);
	free(p);
}

static void table_pipe(struct run *rn)
{
	struct spsc *ring = aligned_alloc(64, sizeof(*ring));

	bench_table(rn->b, "pipe", "Pipe: thread A gets, thread B puts, through an SPSC ring "
		    "(ns per object on A; A waits while the ring is full)", "ioalloc");
	if (!ring) {
		bench_fail(rn->b, "pipe: out of memory");
		return;
	}
	for (size_t s = 0; s < NSIZES * 2; s++) {
		enum mode m = s % 2 ? MD_PIPEL : MD_PIPE;

		for (int i = 0; i < I_COUNT; i++) {
			struct impl *im = &rn->im[s / 2][i];

			if (i == I_IOA_DOM)
				continue;
			if (rn->other_cpu < 0)
				skip_cell(rn, m, im->size, im->name, "one CPU only");
			else if (im->up)
				measure_pipe(rn, im, im->size, ring, m);
			else
				skip_cell(rn, m, im->size, im->name, im->why);
		}
		if (rn->other_cpu >= 0)
			measure_pipe(rn, NULL, obj_sizes[s / 2], ring, m);
	}
	free(ring);
}

/* Two calls into libioalloc.so that do nothing but read a field: what a
 * get+put pair would pay if it were two calls into a shared library (it was,
 * before the fast paths moved inline into pool.h). */
static int two_calls(void *arg)
{
	struct cell *c = arg;

	c->sink = ioa_pool_obj_size(c->t->h) + ioa_pool_obj_size(c->t->h);
	return 0;
}

static void table_harness(struct run *rn)
{
	struct bench_op op = {.run = empty_run};
	struct cell *c = new_cell(rn);

	bench_table(rn->b, "harness", "What every cell below includes: the harness's call of "
		    "the operation (an empty one), and two calls into libioalloc.so that only "
		    "read a field (ioa_pool_obj_size); ns per call, 256 per sample", NULL);
	bench_measure_batch(rn->b, "empty operation", "harness", &op, PAIR_BATCH, &rn->bud);
	if (!c || !rn->im[0][I_IOA].up)
		goto out;
	c->t = &rn->im[0][I_IOA].main;
	op = (struct bench_op){.run = two_calls, .arg = c};
	bench_measure_batch(rn->b, "2 x ioa_pool_obj_size", "harness", &op, PAIR_BATCH, &rn->bud);
out:
	free(c);
}

/* ---- the real-time thread ------------------------------------------------------------ */

struct rt {
	struct impl *im;
	int cpu;
	bool want_fifo, fifo;
	char fifo_why[96];
	size_t gets;
	struct hist *hg, *hp, *hz;  /* get, put, empty (the clock's own cost) */
	struct rusage r0, r1;
	struct cell *c;
	struct thr t;
	char why[160];
};

/* Nearest rank over a histogram: the value below which a fraction q lies
 * (exact below 64 us, to 1 us above). */
static double hist_q(const struct hist *h, double q)
{
	uint64_t k = (uint64_t)ceil(q * (double)h->count), sum = 0;

	if (k == 0)
		k = 1;
	for (size_t i = 0; i < HIST_NS; i++) {
		sum += h->n[i];
		if (sum >= k)
			return (double)i;
	}
	for (size_t i = 0; i < HIST_US - 1; i++) {
		sum += h->coarse[i];
		if (sum >= k)
			return (double)(HIST_NS + (i << 10)); /* the bucket's lower end */
	}
	return (double)h->max;
}

static void rt_fifo(struct rt *x)
{
	struct sched_param sp = {.sched_priority = RT_PRIO};
	int r;

	if (!x->want_fifo) {
		snprintf(x->fifo_why, sizeof(x->fifo_why), "not asked (--selftest)");
		return;
	}
	r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (r)
		snprintf(x->fifo_why, sizeof(x->fifo_why), "SCHED_FIFO refused: %s", strerror(r));
	x->fifo = r == 0;
}

static void *rt_main(void *arg)
{
	struct rt *x = arg;
	size_t rounds = (x->gets + RT_ROUND - 1) / RT_ROUND;

	if (bench_pin_thread(x->cpu) || thr_enter(&x->t, x->im, x->why, sizeof(x->why))) {
		if (!x->why[0])
			snprintf(x->why, sizeof(x->why), "cannot pin to CPU %d", x->cpu);
		return NULL;
	}
	rt_fifo(x);
	x->c->t = &x->t;
	/* Warm-up, untimed in effect: the first calls register the thread. */
	for (int i = 0; i < 2 && !x->c->why[0]; i++)
		x->im->lp->rt_round(x->c, x->hz, x->hz);
	memset(x->hz, 0, sizeof(*x->hz));
	for (int i = 0; i < 20000; i++) {
		uint64_t t0 = bench_now_ns();

		hist_add(x->hz, bench_now_ns() - t0);
	}
	getrusage(RUSAGE_THREAD, &x->r0);
	for (size_t i = 0; i < rounds && !x->c->why[0]; i++)
		x->im->lp->rt_round(x->c, x->hg, x->hp);
	getrusage(RUSAGE_THREAD, &x->r1);
	if (x->c->why[0] || check_cell(x->c))
		snprintf(x->why, sizeof(x->why), "%s", x->c->why);
	thr_leave(&x->t);
	return NULL;
}

static void rt_metrics(struct run *rn, struct rt *x, const struct partner *ch)
{
	double z = hist_q(x->hz, 0.5), g[4], p[4];
	static const double qs[3] = {0.5, 0.99, 0.9999};
	static const char *const qn[4] = {"p50", "p99", "p99.99", "max"};
	long minflt = x->r1.ru_minflt - x->r0.ru_minflt, majflt = x->r1.ru_majflt - x->r0.ru_majflt;
	long vcs = x->r1.ru_nvcsw - x->r0.ru_nvcsw, ivcs = x->r1.ru_nivcsw - x->r0.ru_nivcsw;
	char name[64];

	for (int i = 0; i < 4; i++) {
		g[i] = (i < 3 ? hist_q(x->hg, qs[i]) : (double)x->hg->max) - z;
		p[i] = (i < 3 ? hist_q(x->hp, qs[i]) : (double)x->hp->max) - z;
		g[i] = g[i] > 0 ? g[i] : 0;
		p[i] = p[i] > 0 ? p[i] : 0;
		snprintf(name, sizeof(name), "rt get %s, %s", qn[i], x->im->name);
		bench_metric(rn->b, name, g[i], "ns");
	}
	snprintf(name, sizeof(name), "rt put p99.99, %s", x->im->name);
	bench_metric(rn->b, name, p[2], "ns");
	snprintf(name, sizeof(name), "rt put max, %s", x->im->name);
	bench_metric(rn->b, name, p[3], "ns");
	snprintf(name, sizeof(name), "rt faults (minor+major), %s", x->im->name);
	bench_metric(rn->b, name, (double)(minflt + majflt), "faults");
	bench_note(rn->b, "rt %s: get p50/p99/p99.99/max %.0f/%.0f/%.0f/%.0f ns, put "
		   "%.0f/%.0f/%.0f/%.0f ns; %zu gets; %ld minor + %ld major faults, %ld "
		   "voluntary + %ld involuntary switches; churner %llu steps (%llu short)",
		   x->im->name, g[0], g[1], g[2], g[3], p[0], p[1], p[2], p[3],
		   (size_t)x->hg->count, minflt, majflt, vcs, ivcs, (unsigned long long)ch->ops,
		   (unsigned long long)ch->misses);
	if (x->im->id == I_IOA && minflt + majflt > 0 && under_valgrind())
		bench_note(rn->b, "under Valgrind: its translator's own faults are counted, not "
			   "checked");
	else if (x->im->id == I_IOA && minflt + majflt > 0)
		bench_fail(rn->b, "ioalloc faulted %ld times on the rt thread", minflt + majflt);
}

/* One implementation: churner on the other CPU, the rt thread on ours. */
static void measure_rt(struct run *rn, struct impl *im, struct rt *x, bool *noted)
{
	struct partner *ch = calloc(1, sizeof(*ch));
	struct cell *cc = new_cell(rn), *c = new_cell(rn);
	pthread_t tid;
	int r;

	if (!ch || !cc || !c)
		goto out;
	memset(x->hg, 0, sizeof(*x->hg));
	memset(x->hp, 0, sizeof(*x->hp));
	x->im = im;
	x->c = c;
	x->why[0] = '\0';
	*ch = (struct partner){.kind = PK_CHURN, .im = im, .cpu = rn->other_cpu, .c = cc};
	if (bench_thread_start(&ch->tid, &ch->state, partner_main, ch, ch->why, sizeof(ch->why))) {
		bench_fail(rn->b, "%s rt: churner: %s", im->name, ch->why);
		goto out;
	}
	r = pthread_create(&tid, NULL, rt_main, x);
	if (r == 0)
		pthread_join(tid, NULL);
	bench_thread_stop(ch->tid, &ch->state);
	if (r || x->why[0] || ch->failed)
		bench_fail(rn->b, "%s rt: %s", im->name,
			   r ? strerror(r) : x->why[0] ? x->why : ch->why);
	else
		rt_metrics(rn, x, ch);
	if (!*noted) {
		bench_note(rn->b, "rt thread: %s%s%s; timer clock_gettime, %.0f ns per empty "
			   "reading subtracted (readings step by ~10 ns; exact to 64 us, then to 1 us)",
			   x->fifo ? "SCHED_FIFO priority 50" : "SCHED_OTHER",
			   x->fifo ? "" : " - ", x->fifo ? "" : x->fifo_why, hist_q(x->hz, 0.5));
		*noted = true;
	}
out:
	free(ch);
	free(cc);
	free(c);
}

static void rt_lock_memory(struct run *rn, bool *locked)
{
	char rtrt[32] = "unknown";
	FILE *f;
	uint64_t t0 = bench_now_ns();

	*locked = false;
	if (rn->o.selftest) {
		bench_note(rn->b, "rt: --selftest: no mlockall, no SCHED_FIFO, %zu gets", rn->rt_gets);
		return;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		bench_note(rn->b, "rt: mlockall refused (%s): faults may be counted", strerror(errno));
	else
		*locked = true;
	f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "re");
	if (f) {
		if (!fgets(rtrt, sizeof(rtrt), f))
			snprintf(rtrt, sizeof(rtrt), "unknown");
		rtrt[strcspn(rtrt, "\n")] = '\0';
		fclose(f);
	}
	bench_note(rn->b, "rt: mlockall(MCL_CURRENT|MCL_FUTURE) %s in %.0f ms; "
		   "sched_rt_runtime_us %s", *locked ? "done" : "failed",
		   (double)(bench_now_ns() - t0) / 1e6, rtrt);
}

static void section_rt(struct run *rn)
{
	struct rt *x = calloc(1, sizeof(*x));
	bool locked, noted = false;

	if (rn->other_cpu < 0) {
		bench_note(rn->b, "rt: skipped, one CPU only");
		free(x);
		return;
	}
	if (x) {
		x->hg = calloc(1, sizeof(struct hist));
		x->hp = calloc(1, sizeof(struct hist));
		x->hz = calloc(1, sizeof(struct hist));
	}
	if (!x || !x->hg || !x->hp || !x->hz) {
		bench_fail(rn->b, "rt: out of memory");
		goto out;
	}
	rt_lock_memory(rn, &locked);
	x->cpu = bench_cpu(rn->b);
	x->gets = rn->rt_gets;
	x->want_fifo = !rn->o.selftest;
	for (int i = 0; i < I_COUNT; i++) {
		struct impl *im = &rn->im[0][i];

		if (i == I_IOA_DOM)
			continue;
		if (im->up)
			measure_rt(rn, im, x, &noted);
		else
			bench_note(rn->b, "rt %s: unavailable: %s", im->name, im->why);
	}
	if (locked)
		munlockall();
out:
	if (x) {
		free(x->hg);
		free(x->hp);
		free(x->hz);
	}
	free(x);
}

/* ---- targets ------------------------------------------------------------------------- */

/* p50 of a cell, per object (div 32 for bulk pairs); NAN if not measured. */
static double p50(struct run *rn, enum mode m, size_t s, int impl, double div)
{
	char cs[40];
	const struct bench_stats *st = bench_get(rn->b, case_of(m, obj_sizes[s], cs, sizeof(cs)),
						 impl_names[impl]);

	return st ? st->p50 / div : NAN;
}

static void target(struct run *rn, const char *what, double v, double limit, bool ref)
{
	if (!isnan(v) && !isnan(limit))
		bench_target(rn->b, what, v, limit, ref);
}

/* "Never slower than DPDK with 2 threads": each 2-thread cell against the
 * DPDK lcore cache's p50 of the same run as the limit. */
static void targets_2t(struct run *rn)
{
	static const enum mode ms[4] = {MD_PAIR2, MD_BULK2, MD_PIPE, MD_PIPEL};
	char what[200];

	for (int m = 0; m < 4; m++) {
		for (size_t s = 0; s < NSIZES; s++) {
			double div = ms[m] == MD_BULK2 ? BULK : 1;

			snprintf(what, sizeof(what), "ioalloc %s %zu B%s p50 <= dpdk_lcore_cache's",
				 mode_names[ms[m]], obj_sizes[s], div > 1 ? " per object," : ",");
			target(rn, what, p50(rn, ms[m], s, I_IOA, div), p50(rn, ms[m], s, I_DPDK, div),
			       false);
		}
	}
}

/* Like p50, net of the harness's call: the empty operation's p50 taken off
 * once per call of the operation (a pair, a bulk pair, a piped object). */
static double p50_net(struct run *rn, enum mode m, size_t s, int impl, double div)
{
	const struct bench_stats *e = bench_get(rn->b, "empty operation", "harness");
	double v = p50(rn, m, s, impl, 1);

	return e ? (v - e->p50) / div : NAN;
}

static void report_targets(struct run *rn)
{
	static const char *const net = ", net of the harness's call";
	/* The single and bulk targets are judged as perf.md measured the DPDK
	 * figures they halve: in an inlined loop. The same operations made one
	 * call at a time through the harness's pointer are references (ref). */
	static const struct {
		const char *what;
		enum mode m;
		double div, limit;
		bool ref;
	} t1[] = {
		{"ioalloc get+put pair, 1 thread, 64 B, inlined loop, p50", MD_PAIRL, 1,
		 TARGET_PAIR_NS, false},
		{"ioalloc bulk 32, 1 thread, 64 B, inlined loop, p50 per object", MD_BULKL, BULK,
		 TARGET_BULK_OBJ_NS, false},
		{"ioalloc get+put pair, 1 thread, 64 B, one call per pair, p50", MD_PAIR, 1,
		 TARGET_PAIR_NS, true},
		{"ioalloc bulk 32, 1 thread, 64 B, one call per bulk pair, p50 per object", MD_BULK,
		 BULK, TARGET_BULK_OBJ_NS, true},
		{"ioalloc bulk 32, 1 thread, 64 B, 40 objects held, p50 per object", MD_BULKH, BULK,
		 TARGET_BULK_OBJ_NS, true},
		{"ioalloc pipe, 64 B, inlined loop, p50 per object", MD_PIPEL, 1, TARGET_PIPE_NS,
		 false},
		{"ioalloc pipe, 64 B, one call per object, p50", MD_PIPE, 1, TARGET_PIPE_NS, true},
	};
	char what[200];

	for (size_t i = 0; i < sizeof(t1) / sizeof(t1[0]); i++) {
		target(rn, t1[i].what, p50(rn, t1[i].m, 0, I_IOA, t1[i].div), t1[i].limit, t1[i].ref);
		if (t1[i].m == MD_PAIRL || t1[i].m == MD_BULKL || t1[i].m == MD_PIPEL)
			continue;
		snprintf(what, sizeof(what), "%s%s", t1[i].what, net);
		target(rn, what, p50_net(rn, t1[i].m, 0, I_IOA, t1[i].div), t1[i].limit, t1[i].ref);
	}
	targets_2t(rn);
	target(rn, "dpdk_lcore_cache pair, 1 thread, 2048 B, inlined loop, p50 (perf.md)",
	       p50(rn, MD_PAIRL, 1, I_DPDK, 1), REF_DPDK_PAIR_NS, true);
	target(rn, "dpdk_lcore_cache bulk 32, 1 thread, 2048 B, inlined loop, p50 per object "
		   "(perf.md)",
	       p50(rn, MD_BULKL, 1, I_DPDK, BULK), REF_DPDK_BULK_OBJ_NS, true);
	target(rn, "dpdk_lcore_cache pair, 1 thread, 2048 B, one call per pair, p50",
	       p50(rn, MD_PAIR, 1, I_DPDK, 1), REF_DPDK_PAIR_NS, true);
	snprintf(what, sizeof(what), "dpdk_lcore_cache pair, 1 thread, 2048 B, p50%s", net);
	target(rn, what, p50_net(rn, MD_PAIR, 1, I_DPDK, 1), REF_DPDK_PAIR_NS, true);
	target(rn, "dpdk_lcore_cache bulk 32, 1 thread, 2048 B, one call, p50 per object",
	       p50(rn, MD_BULK, 1, I_DPDK, BULK), REF_DPDK_BULK_OBJ_NS, true);
	target(rn, "dpdk_lcore_cache pipe, 2048 B, inlined loop, p50 per object (perf.md)",
	       p50(rn, MD_PIPEL, 1, I_DPDK, 1), REF_DPDK_PIPE_NS, true);
	target(rn, "dpdk_lcore_cache pipe, 2048 B, one call per object, p50",
	       p50(rn, MD_PIPE, 1, I_DPDK, 1), REF_DPDK_PIPE_NS, true);
}

/* ---- main -------------------------------------------------------------------------- */

static void set_budget(struct run *rn)
{
	rn->bud = bench_budget_for(&rn->o, (struct bench_budget){300, 2000, 10 * 1000 * 1000ull},
				   (struct bench_budget){2000, 50000, 250 * 1000 * 1000ull});
	rn->rt_gets = (rn->o.selftest ? 4 : rn->o.quick ? 64 : 1024) * RT_ROUND;
}

static void measure_all(struct run *rn)
{
	table_harness(rn);
	table_1t(rn, false);
	table_1t(rn, true);
	table_loops(rn);
	table_2t(rn, false);
	table_2t(rn, true);
	table_pipe(rn);
	section_rt(rn);
}

int main(int argc, char **argv)
{
	struct run *rn = calloc(1, sizeof(*rn));
	cpu_set_t allowed;
	int r;

	if (!rn)
		return 1;
	make_tls_room(argv);
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) /* before the run pins itself */
		CPU_ZERO(&allowed);
	r = bench_parse_args(argc, argv, "pool", &rn->o);
	if (r)
		return r > 0 ? 0 : 2;
	rn->b = bench_begin("pool", &rn->o);
	if (!rn->b)
		return 1;
	set_budget(rn);
	bench_misuse_catch("bench_pool"); /* e.g. objects still out at destroy */
	peer_dpdk_start(&rn->dpdk, rn->b, "bench_pool", "mempools in the EAL's --no-huge memory");
	rn->other_cpu = bench_other_cpu(&allowed, bench_cpu(rn->b));
	setup_all(rn);
	measure_all(rn);
	report_targets(rn);
	teardown_all(rn);
	bench_misuse_check(rn->b);
	peer_dpdk_stop(&rn->dpdk);
	r = bench_end(rn->b);
	free(rn);
	return r;
}
