/* SPDX-License-Identifier: MIT */
/*
 * bench_buf: refcounted I/O buffers, ioalloc against glibc (posix_memalign
 * plus a malloc'd header with an atomic count) and DPDK (its mbuf, and a
 * mempool of header+data objects with an atomic count), in one run.
 *
 * What is timed, for buffers of 2,048 and 4,096 bytes:
 *   cycle     one buffer through its life: allocate it (one reference), take
 *             a second reference, drop one, drop the last (which frees it).
 *             A timed sample is 256 cycles (the clock steps by 10 ns; see
 *             harness.c), recorded as ns per cycle. Each call's result is
 *             checked as it comes (a compare: the buffer not NULL, the
 *             counts the ref and unrefs report); after the sample, untimed,
 *             one more cycle is made with every property checked at every
 *             step (checked_cycle).
 *   alloc+unref  the cycle without its second reference: allocate, drop the
 *             only reference. The difference to a cycle is what the
 *             reference count's ref and unref cost.
 *   burst32   32 cycles side by side, so that every buffer the timer covers
 *             can be checked while it is alive: allocate and ref 32 buffers
 *             (timed), check all 32 (untimed), unref each twice (timed). A
 *             sample is one burst, recorded as ns per burst of 32 cycles
 *             (divide by 32 for ns per cycle), with the timer's overhead
 *             subtracted from each timed part.
 *   2T        the same loops while a second thread, pinned to the other CPU,
 *             runs the same loop on the same allocator with its own buffers.
 *             The table gives the measured thread's figures; the aggregate
 *             rate of the two threads is a metric.
 *
 * The harness calls the timed operation through a pointer once per cycle
 * (once per half-burst): that call is in every cell, peers included, and the
 * first table measures it on its own, with four calls into libioalloc.so
 * that only read a field (what ioalloc's four calls per cycle cost as calls).
 *
 * Implementations:
 *   ioalloc          ioa_buf_alloc(size, IOA_BUF_F_PAGE_ALIGNED), ioa_buf_ref,
 *                    ioa_buf_unref twice. One allocator per size, plain
 *                    locked memory, NBUF headers (max_buffers) and class_bytes
 *                    NBUF pages, so that its size class is created with all
 *                    NBUF buffers in one chunk and no cell makes a pool grow.
 *                    Both sizes take the 4 KiB class (whole pages).
 *   ioalloc_grown    the same with the default class_bytes (1 MiB: 256 pages)
 *                    and ioa_buf_allocator_reserve(NBUF), which grows the class
 *                    by a second chunk: the state of an allocator that has
 *                    grown. pool.h's inline put checks an object against the
 *                    pool's first chunk only; objects of later chunks take
 *                    ioa_pool_put_slow.
 *   glibc            malloc of a 32-byte header (data, length, maximum,
 *                    atomic count) + posix_memalign(4096, size) for the data;
 *                    ref = atomic fetch-add, unref = atomic fetch-sub, free
 *                    both at zero.
 *   dpdk_mbuf        DPDK's own refcounted buffer: rte_pktmbuf_pool_create
 *                    (NBUF mbufs, lcore cache 512, data room size + headroom),
 *                    rte_pktmbuf_alloc, rte_mbuf_refcnt_update(m, 1),
 *                    rte_pktmbuf_free twice. Its data is not page aligned
 *                    (the mbuf header and the headroom come first): it is
 *                    checked for 64-byte alignment. DPDK skips the atomic
 *                    when the count is 1 (sole owner): of the cycle's three
 *                    count changes only the first free's is atomic.
 *   dpdk_mempool_rc  rte_mempool_create (NBUF objects of a 64-byte header +
 *                    the data, lcore cache 512; data pointer and maximum set
 *                    once at creation), rte_mempool_get/put, and the same
 *                    atomic count as glibc: the mempool with a plain
 *                    refcount, to tell the mbuf's own costs from the pool's.
 *                    64-byte aligned data.
 * DPDK's main thread is EAL lcore 0; a second thread calls
 * rte_thread_register() so it gets an lcore id and its own cache.
 *
 * Checks (outside the timer; any failure makes the run exit 1):
 *   - every live buffer (each of a burst's 32, the checked cycle's, every
 *     buffer of the set-up survey): data not NULL and aligned (ioalloc: the
 *     kernel's page; glibc: 4096; DPDK's: 64), reference count (1 after
 *     alloc, 2 after ref, 1 after the first unref), length 0, maximum length
 *     the size asked (mbuf: tailroom >= size), the length rules (the maximum
 *     is accepted, one byte more is refused and changes nothing), and the
 *     data writable at its first and last byte;
 *   - a burst's 32 buffers are distinct and their data do not overlap;
 *   - the set-up survey takes NBUF buffers at once: distinct, not
 *     overlapping, each checked as above, then frees them;
 *   - ioa_buf_allocator_destroy must return 0 at the end; ioalloc's misuse
 *     reports fail the run instead of aborting it.
 * --selftest runs a few hundred checked operations per cell.
 */
#include "harness.h"
#include "peer_dpdk.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ioalloc/buf.h>
#include <ioalloc/debug.h>
#include <ioalloc/pool.h>

#ifdef IOA_BENCH_HAVE_DPDK
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#endif

/* Buffers per implementation and size: what the survey takes at once, and
 * what each pool holds. 8,192 is a multiple of DPDK's cache (its advice)
 * and 32 MiB of 4 KiB pages per ioalloc allocator; --selftest takes 1,024
 * (16 MiB over its four allocators: the unprivileged run, 8 MiB of
 * RLIMIT_MEMLOCK, locks what it may and the library warns once). */
#define NBUF 8192
#define NBUF_SELFTEST 1024
#define GLIBC_ALIGN 4096 /* posix_memalign's alignment for the glibc peer */
#define CYCLE_BATCH 256 /* cycles per sample: 256 x 20-100 ns is 500+ clock steps */
#define BURST 32        /* DPDK's customary burst */
#define DPDK_CACHE 512  /* perf.md's and mempool_perf_autotest's; the EAL maximum */
#define DPDK_ALIGN 64   /* what DPDK's buffers promise: a cache line */
#define RC_HDR 64       /* dpdk_mempool_rc: the header's share of an object */
#define PARTNER_BATCHES (1u << 18)

#define INLINE static inline __attribute__((always_inline))

static const size_t buf_sizes[] = {2048, 4096};
#define NSIZES (sizeof(buf_sizes) / sizeof(buf_sizes[0]))

enum impl_id { I_IOA, I_IOA_GROWN, I_GLIBC, I_MBUF, I_MPRC, I_COUNT };
static const char *const impl_names[I_COUNT] = {"ioalloc", "ioalloc_grown", "glibc",
						"dpdk_mbuf", "dpdk_mempool_rc"};

/* The glibc and mempool peers' buffer: what ioa_buf_t holds, minus the
 * allocator pointer. */
struct rcbuf {
	_Atomic int refs;
	void *data;
	size_t len, max;
};

/* What the checks read of a live buffer, whatever its kind. */
struct view {
	void *data;
	size_t len, max;
	long refs;
};

struct impl;

/* A thread's handle on an implementation. */
struct thr {
	struct impl *im;
	void *h;         /* the allocator or mempool */
	size_t size;
	bool registered; /* this thread called rte_thread_register() */
};

/* The calls under test. ref returns 0 when the count it reports is right;
 * unref returns the references left, or -1 where the call does not say. */
struct ops {
	void *(*alloc)(struct thr *t);
	int (*ref)(struct thr *t, void *b);
	int (*unref)(struct thr *t, void *b);
	/* untimed: read a live buffer, set its length (0 or -EINVAL) */
	void (*view)(void *b, struct view *v);
	int (*set_len)(void *b, size_t len);
};

/* The argument of every timed loop. */
struct cell {
	struct thr *t;
	unsigned long bad;       /* a ref or unref reported a wrong count */
	char why[200];
	void *live[BURST];       /* burst: the buffers out */
};

struct impl {
	enum impl_id id;
	const char *name;
	size_t size;
	size_t align;            /* the data alignment it promises */
	bool up;
	char why[160];
	const struct ops *ops;
	int (*cycle)(void *c);
	int (*alloc_free)(void *c);
	int (*burst_get)(void *c);
	int (*burst_put)(void *c);
	struct thr main;
	ioa_buf_allocator_t *a;
	void *mp;                /* struct rte_mempool * */
	size_t min_align_seen;   /* the largest power of two dividing every data address */
};

struct run {
	struct bench *b;
	struct bench_opts o;
	struct bench_budget bud;
	struct peer_dpdk dpdk;
	int other_cpu;
	size_t nbuf;
	size_t page;             /* the kernel's page size */
	struct impl im[NSIZES][I_COUNT];
};

static __attribute__((noinline, cold)) int failed(struct cell *c, const char *what)
{
	snprintf(c->why, sizeof(c->why), "%s", what);
	return -1;
}

/* ---- ioalloc ----------------------------------------------------------------------- */

static inline void *ioa_alloc1(struct thr *t)
{
	ioa_buf_t *b;

	return ioa_buf_alloc(t->h, t->size, IOA_BUF_F_PAGE_ALIGNED, &b) ? NULL : b;
}

static inline int ioa_ref1(struct thr *t, void *b)
{
	(void)t;
	return ioa_buf_ref(b) != b;
}

static inline int ioa_unref1(struct thr *t, void *b)
{
	(void)t;
	return ioa_buf_unref(b);
}

static void ioa_view(void *b, struct view *v)
{
	v->data = ioa_buf_data(b);
	v->len = ioa_buf_length(b);
	v->max = ioa_buf_max_length(b);
	v->refs = ioa_buf_refcount(b);
}

static int ioa_set_len(void *b, size_t len)
{
	return ioa_buf_set_length(b, len);
}

static const struct ops ioa_ops = {ioa_alloc1, ioa_ref1, ioa_unref1, ioa_view, ioa_set_len};

/* ---- glibc: posix_memalign + a malloc'd header --------------------------------------- */

static inline void *glibc_alloc1(struct thr *t)
{
	struct rcbuf *h = malloc(sizeof(*h));

	if (__builtin_expect(!h, 0))
		return NULL;
	if (__builtin_expect(posix_memalign(&h->data, GLIBC_ALIGN, t->size) != 0, 0)) {
		free(h);
		return NULL;
	}
	h->len = 0;
	h->max = t->size;
	atomic_store_explicit(&h->refs, 1, memory_order_relaxed);
	return h;
}

/* The count as ioalloc keeps it: relaxed up, acquire-release down. */
static inline int rc_ref1(struct thr *t, void *b)
{
	(void)t;
	return atomic_fetch_add_explicit(&((struct rcbuf *)b)->refs, 1, memory_order_relaxed) != 1;
}

static inline int glibc_unref1(struct thr *t, void *b)
{
	struct rcbuf *h = b;
	int old = atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel);

	(void)t;
	if (old == 1) {
		free(h->data);
		free(h);
	}
	return old - 1;
}

static void rc_view(void *b, struct view *v)
{
	const struct rcbuf *h = b;

	*v = (struct view){h->data, h->len, h->max, atomic_load(&h->refs)};
}

static int rc_set_len(void *b, size_t len)
{
	struct rcbuf *h = b;

	if (len > h->max)
		return -EINVAL;
	h->len = len;
	return 0;
}

static const struct ops glibc_ops = {glibc_alloc1, rc_ref1, glibc_unref1, rc_view, rc_set_len};

/* ---- DPDK: the mbuf, and a mempool with a plain count --------------------------------- */

#ifdef IOA_BENCH_HAVE_DPDK
static inline void *mbuf_alloc1(struct thr *t)
{
	return rte_pktmbuf_alloc(t->h);
}

static inline int mbuf_ref1(struct thr *t, void *b)
{
	(void)t;
	return rte_mbuf_refcnt_update(b, 1) != 2;
}

/* rte_pktmbuf_free does not say what is left: checked_cycle reads it. */
static inline int mbuf_unref1(struct thr *t, void *b)
{
	(void)t;
	rte_pktmbuf_free(b);
	return -1;
}

static void mbuf_view(void *b, struct view *v)
{
	struct rte_mbuf *m = b;

	*v = (struct view){rte_pktmbuf_mtod(m, void *), rte_pktmbuf_data_len(m),
			   (size_t)rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m),
			   rte_mbuf_refcnt_read(m)};
	if (m->pkt_len != m->data_len || m->nb_segs != 1)
		v->len = SIZE_MAX; /* a fresh mbuf is one empty segment */
}

/* DPDK's own length rules: append what is missing (NULL past the tailroom),
 * or trim the excess. */
static int mbuf_set_len(void *b, size_t len)
{
	struct rte_mbuf *m = b;
	size_t cur = rte_pktmbuf_data_len(m);

	if (len > UINT16_MAX)
		return -EINVAL;
	if (len > cur)
		return rte_pktmbuf_append(m, (uint16_t)(len - cur)) ? 0 : -EINVAL;
	return rte_pktmbuf_trim(m, (uint16_t)(cur - len)) ? -EINVAL : 0;
}

static const struct ops mbuf_ops = {mbuf_alloc1, mbuf_ref1, mbuf_unref1, mbuf_view,
				    mbuf_set_len};

static inline void *mprc_alloc1(struct thr *t)
{
	struct rcbuf *h;

	if (__builtin_expect(rte_mempool_get(t->h, (void **)&h) != 0, 0))
		return NULL;
	h->len = 0;
	atomic_store_explicit(&h->refs, 1, memory_order_relaxed);
	return h;
}

static inline int mprc_unref1(struct thr *t, void *b)
{
	struct rcbuf *h = b;
	int old = atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel);

	if (old == 1)
		rte_mempool_put(t->h, h);
	return old - 1;
}

static const struct ops mprc_ops = {mprc_alloc1, rc_ref1, mprc_unref1, rc_view, rc_set_len};

/* rte_mempool_create's obj_init: the data pointer and maximum, once. */
static void mprc_obj_init(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct rcbuf *h = obj;

	(void)mp;
	(void)idx;
	h->data = (char *)obj + RC_HDR;
	h->max = *(const size_t *)arg;
	h->len = 0;
	atomic_init(&h->refs, 0);
}
#endif

/* ---- the timed loops, one set per implementation ------------------------------------- */

INLINE int do_cycle(const struct ops *o, struct cell *c)
{
	void *b = o->alloc(c->t);
	int u1, u2;

	if (__builtin_expect(!b, 0))
		return failed(c, "alloc failed");
	c->bad |= (unsigned long)o->ref(c->t, b);
	u1 = o->unref(c->t, b);
	u2 = o->unref(c->t, b);
	c->bad |= (unsigned long)((u1 != 1 && u1 != -1) | (u2 != 0 && u2 != -1));
	return 0;
}

/* The cycle without the second reference: what the count's ref+unref add. */
INLINE int do_alloc_free(const struct ops *o, struct cell *c)
{
	void *b = o->alloc(c->t);
	int u;

	if (__builtin_expect(!b, 0))
		return failed(c, "alloc failed");
	u = o->unref(c->t, b);
	c->bad |= (unsigned long)(u != 0 && u != -1);
	return 0;
}

/* The first half of a burst: 32 buffers out, each with two references. */
INLINE int do_burst_get(const struct ops *o, struct cell *c)
{
	for (unsigned i = 0; i < BURST; i++) {
		void *b = o->alloc(c->t);

		if (__builtin_expect(!b, 0)) {
			while (i--) {
				o->unref(c->t, c->live[i]);
				o->unref(c->t, c->live[i]);
			}
			return failed(c, "alloc failed in a burst");
		}
		c->live[i] = b;
		c->bad |= (unsigned long)o->ref(c->t, b);
	}
	return 0;
}

/* The second half: each buffer's two references dropped. */
INLINE int do_burst_put(const struct ops *o, struct cell *c)
{
	for (unsigned i = 0; i < BURST; i++) {
		int u1 = o->unref(c->t, c->live[i]), u2 = o->unref(c->t, c->live[i]);

		c->bad |= (unsigned long)((u1 != 1 && u1 != -1) | (u2 != 0 && u2 != -1));
	}
	return 0;
}

#define LOOPS(x)                                                                        \
	static int x##_cycle(void *c) { return do_cycle(&x##_ops, c); }                 \
	static int x##_alloc_free(void *c) { return do_alloc_free(&x##_ops, c); }       \
	static int x##_burst_get(void *c) { return do_burst_get(&x##_ops, c); }         \
	static int x##_burst_put(void *c) { return do_burst_put(&x##_ops, c); }

LOOPS(ioa)
LOOPS(glibc)
#ifdef IOA_BENCH_HAVE_DPDK
LOOPS(mbuf)
LOOPS(mprc)
#endif

/* ---- checks ------------------------------------------------------------------------- */

/* One live buffer: data, alignment, count, lengths, both ends writable.
 * 0, or -1 with the reason in why. Leaves the length at 0. */
static int check_live(struct impl *im, void *b, long refs, char *why, size_t len)
{
	const struct ops *o = im->ops;
	struct view v, w;
	uintptr_t a;

	o->view(b, &v);
	a = (uintptr_t)v.data;
	if (!v.data || a % im->align) {
		snprintf(why, len, "buffer %p: data %p not %zu-byte aligned", b, v.data, im->align);
		return -1;
	}
	if (a && (a & -a) < im->min_align_seen)
		im->min_align_seen = a & -a;
	if (v.refs != refs || v.len != 0 ||
	    (im->id == I_MBUF ? v.max < im->size : v.max != im->size)) {
		snprintf(why, len, "buffer %p: count %ld (want %ld), length %zu (want 0), maximum "
			 "%zu (want %zu)", b, v.refs, refs, v.len, v.max, im->size);
		return -1;
	}
	if (o->set_len(b, v.max) != 0 || o->set_len(b, v.max + 1) != -EINVAL) {
		snprintf(why, len, "buffer %p: the maximum length %zu refused, or one more byte "
			 "accepted", b, v.max);
		return -1;
	}
	o->view(b, &w);
	if (w.len != v.max || o->set_len(b, 0) != 0) {
		snprintf(why, len, "buffer %p: length %zu after a refused change (want %zu)", b,
			 w.len, v.max);
		return -1;
	}
	((volatile char *)v.data)[0] = (char)0x5a;
	((volatile char *)v.data)[im->size - 1] = (char)0xa5;
	if (((volatile char *)v.data)[0] != (char)0x5a ||
	    ((volatile char *)v.data)[im->size - 1] != (char)0xa5) {
		snprintf(why, len, "buffer %p: data not writable at both ends", b);
		return -1;
	}
	return 0;
}

static int cmp_ptr(const void *x, const void *y)
{
	uintptr_t a = *(const uintptr_t *)x, b = *(const uintptr_t *)y;

	return (a > b) - (a < b);
}

/* n live buffers: distinct handles, data at least size apart. tmp holds n. */
static int check_apart(struct impl *im, void *const *bufs, size_t n, uintptr_t *tmp,
		       char *why, size_t len)
{
	struct view v;

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < n; i++) {
			im->ops->view(bufs[i], &v);
			tmp[i] = k ? (uintptr_t)v.data : (uintptr_t)bufs[i];
		}
		qsort(tmp, n, sizeof(*tmp), cmp_ptr);
		for (size_t i = 1; i < n; i++)
			if (tmp[i] - tmp[i - 1] < (k ? im->size : 1)) {
				snprintf(why, len, "%s %#lx and %#lx overlap", k ? "data" : "buffers",
					 (unsigned long)tmp[i - 1], (unsigned long)tmp[i]);
				return -1;
			}
	}
	return 0;
}

/* One cycle, untimed, with every step checked: counts 1, 2, 1, then gone. */
static int checked_cycle(struct cell *c)
{
	struct impl *im = c->t->im;
	const struct ops *o = im->ops;
	void *b = o->alloc(c->t);
	struct view v = {0};
	int u;

	if (!b)
		return failed(c, "alloc failed in the checked cycle");
	if (check_live(im, b, 1, c->why, sizeof(c->why)))
		goto fail;
	if (o->ref(c->t, b) || (o->view(b, &v), v.refs != 2)) {
		snprintf(c->why, sizeof(c->why), "buffer %p: count %ld after ref (want 2)", b,
			 v.refs);
		goto fail;
	}
	u = o->unref(c->t, b);
	o->view(b, &v);
	if ((u != 1 && u != -1) || v.refs != 1) {
		snprintf(c->why, sizeof(c->why), "buffer %p: unref said %d, count %ld (want 1)", b,
			 u, v.refs);
		goto fail;
	}
	u = o->unref(c->t, b);
	if (u != 0 && u != -1)
		return failed(c, "the last unref did not say 0");
	return 0;
fail:
	while (o->unref(c->t, b) > 0)
		;
	return -1;
}

/* After a cycle sample: the counts the calls reported, then a checked cycle. */
static int check_cycle(void *arg)
{
	struct cell *c = arg;

	if (c->bad)
		return failed(c, "a ref or unref reported a wrong count");
	return checked_cycle(c);
}

/* Between the halves of a burst: every buffer out, checked alive. */
static int check_burst(void *arg)
{
	struct cell *c = arg;
	uintptr_t tmp[BURST];

	if (c->bad)
		return failed(c, "a ref reported a wrong count");
	for (unsigned i = 0; i < BURST; i++)
		if (check_live(c->t->im, c->live[i], 2, c->why, sizeof(c->why)))
			return -1;
	return check_apart(c->t->im, c->live, BURST, tmp, c->why, sizeof(c->why));
}

/* After a burst: the counts the unrefs reported. */
static int check_after_burst(void *arg)
{
	struct cell *c = arg;

	return c->bad ? failed(c, "an unref reported a wrong count") : 0;
}

/* ---- threads ------------------------------------------------------------------------ */

/* Ready t for im on the calling thread (DPDK: an lcore id). 0 or -1. */
static int thr_enter(struct thr *t, struct impl *im, char *why, size_t len)
{
	*t = (struct thr){.im = im, .size = im->size, .h = im->a ? (void *)im->a : im->mp};
	if (im->id == I_MBUF || im->id == I_MPRC)
		return peer_dpdk_thread_enter(&t->registered, why, len);
	return 0;
}

/* Give back what the thread's caches hold. */
static void thr_leave(struct thr *t)
{
	if (t->im->a)
		ioa_pool_thread_flush();
#ifdef IOA_BENCH_HAVE_DPDK
	if (t->im->mp)
		rte_mempool_cache_flush(NULL, t->im->mp);
	if (t->registered)
		rte_thread_unregister();
#endif
}

/* The second thread: the same loop on the same allocator, timing itself. */

struct partner {
	pthread_t tid;
	struct impl *im;
	int cpu;
	bool burst;
	_Atomic int state;
	struct thr t;
	struct cell *c;
	double empty_ns;         /* one clock reading pair, subtracted */
	uint32_t *bt;            /* ns per batch (cycle) or per burst (timed halves) */
	size_t nbt;
	uint64_t ns, cpu_ns;     /* wall and CPU time of the loop */
	bool failed;
	char why[200];
};

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

static double empty_reading_ns(void)
{
	uint32_t s[1001];

	for (size_t i = 0; i < 1001; i++) {
		uint64_t t0 = bench_now_ns();

		s[i] = (uint32_t)(bench_now_ns() - t0);
	}
	qsort(s, 1001, sizeof(*s), cmp_u32);
	return s[500];
}

static void partner_record(struct partner *p, uint64_t ns)
{
	if (p->nbt < PARTNER_BATCHES)
		p->bt[p->nbt++] = (uint32_t)(ns < UINT32_MAX ? ns : UINT32_MAX);
}

/* One batch of 256 cycles, or one burst; -1 on a failed call or check. */
static int partner_step(struct partner *p)
{
	struct impl *im = p->im;
	uint64_t t0 = bench_now_ns(), t1, t2, t3;
	int r = 0;

	if (!p->burst) {
		for (size_t k = 0; k < CYCLE_BATCH; k++)
			r |= im->cycle(p->c);
		partner_record(p, bench_now_ns() - t0);
		return r || check_cycle(p->c) ? -1 : 0;
	}
	if (im->burst_get(p->c))
		return -1;
	t1 = bench_now_ns();
	if (check_burst(p->c)) {
		im->burst_put(p->c);
		return -1;
	}
	t2 = bench_now_ns();
	im->burst_put(p->c);
	t3 = bench_now_ns();
	partner_record(p, (t1 - t0) + (t3 - t2));
	return check_after_burst(p->c);
}

static void *partner_main(void *arg)
{
	struct partner *p = arg;
	uint64_t t0, c0;

	if (bench_pin_thread(p->cpu))
		snprintf(p->why, sizeof(p->why), "cannot pin to CPU %d", p->cpu);
	else
		thr_enter(&p->t, p->im, p->why, sizeof(p->why));
	p->c->t = &p->t;
	if (p->why[0]) {
		p->failed = true;
		atomic_store(&p->state, BENCH_T_DONE);
		return NULL;
	}
	p->empty_ns = empty_reading_ns();
	atomic_store_explicit(&p->state, BENCH_T_RUN, memory_order_release);
	t0 = bench_now_ns();
	c0 = bench_thread_cpu_ns();
	while (atomic_load_explicit(&p->state, memory_order_acquire) == BENCH_T_RUN)
		if (partner_step(p)) {
			p->failed = true;
			snprintf(p->why, sizeof(p->why), "%s", p->c->why);
			break;
		}
	p->ns = bench_now_ns() - t0;
	p->cpu_ns = bench_thread_cpu_ns() - c0;
	thr_leave(&p->t);
	atomic_store_explicit(&p->state, BENCH_T_DONE, memory_order_release);
	return NULL;
}

/* ---- set-up ---------------------------------------------------------------------------- */

static void unavailable(struct impl *im, const char *fmt, const char *arg)
{
	im->up = false;
	snprintf(im->why, sizeof(im->why), fmt, arg);
}

static void setup_ioa(struct run *rn, struct impl *im)
{
	struct ioa_buf_allocator_config cfg;
	char name[32];
	int r;

	ioa_buf_allocator_config_init(&cfg);
	snprintf(name, sizeof(name), "bench%zu%s", im->size, im->id == I_IOA_GROWN ? "g" : "");
	cfg.name = name;
	cfg.max_buffers = rn->nbuf;
	if (im->id == I_IOA)
		cfg.class_bytes = rn->nbuf * rn->page; /* the class in one chunk */
	r = ioa_buf_allocator_create(&cfg, &im->a);
	if (!r)
		r = ioa_buf_allocator_reserve(im->a, im->size, IOA_BUF_F_PAGE_ALIGNED, rn->nbuf);
	if (r) {
		bench_fail(rn->b, "%s %zu B: ioa_buf_allocator_create/reserve: %s", im->name,
			   im->size, strerror(-r));
		unavailable(im, "ioa_buf_allocator: %s", strerror(-r));
		return;
	}
	im->ops = &ioa_ops;
	im->cycle = ioa_cycle;
	im->alloc_free = ioa_alloc_free;
	im->burst_get = ioa_burst_get;
	im->burst_put = ioa_burst_put;
	im->align = rn->page; /* the kernel's page, as O_DIRECT needs */
	im->up = true;
}

static void setup_glibc(struct impl *im)
{
	im->ops = &glibc_ops;
	im->cycle = glibc_cycle;
	im->alloc_free = glibc_alloc_free;
	im->burst_get = glibc_burst_get;
	im->burst_put = glibc_burst_put;
	im->align = GLIBC_ALIGN;
	im->up = true;
}

#ifdef IOA_BENCH_HAVE_DPDK
static void setup_dpdk(struct run *rn, struct impl *im)
{
	bool mbuf = im->id == I_MBUF;
	char name[32];

	if (!rn->dpdk.up) {
		unavailable(im, "%s", rn->dpdk.why);
		return;
	}
	snprintf(name, sizeof(name), "bb_%s_%zu", mbuf ? "mbuf" : "rc", im->size);
	if (mbuf)
		im->mp = rte_pktmbuf_pool_create(name, (unsigned)rn->nbuf, DPDK_CACHE, 0,
						 (uint16_t)(im->size + RTE_PKTMBUF_HEADROOM),
						 SOCKET_ID_ANY);
	else
		im->mp = rte_mempool_create(name, (unsigned)rn->nbuf, (unsigned)(RC_HDR + im->size),
					    DPDK_CACHE, 0, NULL, NULL, mprc_obj_init, &im->size,
					    SOCKET_ID_ANY, 0);
	if (!im->mp) {
		unavailable(im, "mempool: %s", rte_strerror(rte_errno));
		return;
	}
	im->ops = mbuf ? &mbuf_ops : &mprc_ops;
	im->cycle = mbuf ? mbuf_cycle : mprc_cycle;
	im->alloc_free = mbuf ? mbuf_alloc_free : mprc_alloc_free;
	im->burst_get = mbuf ? mbuf_burst_get : mprc_burst_get;
	im->burst_put = mbuf ? mbuf_burst_put : mprc_burst_put;
	im->align = DPDK_ALIGN;
	im->up = true;
}
#endif

/* Take nbuf buffers at once on the main thread, check each and all of them
 * together, give them back. */
static int survey(struct run *rn, struct impl *im)
{
	void **all = calloc(rn->nbuf, sizeof(*all));
	uintptr_t *tmp = calloc(rn->nbuf, sizeof(*tmp));
	char why[200] = "";
	size_t n = 0;
	int r = -1;

	if (!all || !tmp) {
		bench_fail(rn->b, "survey: out of memory");
		goto out;
	}
	while (n < rn->nbuf && (all[n] = im->ops->alloc(&im->main)) != NULL &&
	       check_live(im, all[n], 1, why, sizeof(why)) == 0)
		n++;
	if (n < rn->nbuf && !why[0])
		snprintf(why, sizeof(why), "only %zu of %zu buffers at once", n, rn->nbuf);
	else if (n == rn->nbuf && check_apart(im, all, n, tmp, why, sizeof(why)) == 0)
		r = 0;
	if (n < rn->nbuf && all[n])
		n++; /* the one that failed its check */
	while (n--) /* last out, first back: the caches as they were before */
		while (im->ops->unref(&im->main, all[n]) > 0)
			;
	if (r)
		bench_fail(rn->b, "%s %zu B survey: %s", im->name, im->size, why);
out:
	free(all);
	free(tmp);
	return r;
}

static void setup_impl(struct run *rn, struct impl *im)
{
	im->min_align_seen = (size_t)1 << 62;
	switch (im->id) {
	case I_IOA:
	case I_IOA_GROWN: setup_ioa(rn, im); break;
	case I_GLIBC: setup_glibc(im); break;
	case I_MBUF:
	case I_MPRC:
#ifdef IOA_BENCH_HAVE_DPDK
		setup_dpdk(rn, im);
#else
		unavailable(im, "%s", rn->dpdk.why);
#endif
		break;
	default: break;
	}
	if (im->up && thr_enter(&im->main, im, im->why, sizeof(im->why))) {
		bench_fail(rn->b, "%s: %s", im->name, im->why);
		im->up = false;
	}
	if (im->up && survey(rn, im))
		im->up = false;
}

static void setup_all(struct run *rn)
{
	for (size_t s = 0; s < NSIZES; s++)
		for (int i = 0; i < I_COUNT; i++) {
			struct impl *im = &rn->im[s][i];

			im->id = (enum impl_id)i;
			im->name = impl_names[i];
			im->size = buf_sizes[s];
			setup_impl(rn, im);
		}
}

static void teardown_impl(struct run *rn, struct impl *im)
{
	int r;

	if (im->ops)
		thr_leave(&im->main);
	if (im->a && (r = ioa_buf_allocator_destroy(im->a)) != 0)
		bench_fail(rn->b, "%s %zu B: ioa_buf_allocator_destroy: %s", im->name, im->size,
			   strerror(-r));
#ifdef IOA_BENCH_HAVE_DPDK
	if (im->mp) {
		if (rte_mempool_avail_count(im->mp) != rn->nbuf)
			bench_fail(rn->b, "%s %zu B: %u of %zu buffers back in the mempool", im->name,
				   im->size, rte_mempool_avail_count(im->mp), rn->nbuf);
		rte_mempool_free(im->mp);
	}
#endif
}

static void teardown_all(struct run *rn)
{
	for (size_t s = 0; s < NSIZES; s++)
		for (int i = 0; i < I_COUNT; i++)
			teardown_impl(rn, &rn->im[s][i]);
}

/* ---- measuring ----------------------------------------------------------------------- */

enum mode { MD_CYCLE, MD_ALLOCFREE, MD_BURST, MD_CYCLE2, MD_BURST2, MD_COUNT };
static const char *const mode_names[MD_COUNT] = {"cycle", "alloc+unref", "burst32",
						 "2T cycle", "2T burst32"};

static const char *case_of(enum mode m, size_t size, char *buf, size_t len)
{
	snprintf(buf, len, "%s %zu B", mode_names[m], size);
	return buf;
}

static struct cell *new_cell(struct run *rn)
{
	return bench_zalloc_line(rn->b, sizeof(struct cell));
}

static int measure_cell(struct run *rn, struct impl *im, struct cell *c, enum mode m)
{
	bool burst = m == MD_BURST || m == MD_BURST2;
	struct bench_op op = {.arg = c, .why = c->why, .why_len = sizeof(c->why)};
	char cs[40];

	c->t = &im->main;
	if (burst) {
		op.run = im->burst_get;
		op.mid = check_burst;
		op.run2 = im->burst_put;
		op.check = check_after_burst;
	} else {
		op.run = m == MD_ALLOCFREE ? im->alloc_free : im->cycle;
		op.check = check_cycle;
	}
	return bench_measure_batch(rn->b, case_of(m, im->size, cs, sizeof(cs)), im->name, &op,
				   burst ? 1 : CYCLE_BATCH, &rn->bud);
}

static void skip_cell(struct run *rn, enum mode m, size_t size, const char *impl,
		      const char *why)
{
	char cs[40];

	bench_unavailable(rn->b, case_of(m, size, cs, sizeof(cs)), impl, why);
}

static void measure_1t(struct run *rn, struct impl *im, enum mode m)
{
	struct cell *c = new_cell(rn);

	if (c)
		measure_cell(rn, im, c, m);
	free(c);
}

/* The aggregate of two threads: both medians as rates, added (ns per cycle);
 * and a note when the second thread had its CPU less than 90% of the time. */
static void metric_aggregate(struct run *rn, enum mode m, struct impl *im, struct partner *p)
{
	char cs[40], name[64];
	const struct bench_stats *st = bench_get(rn->b, case_of(m, im->size, cs, sizeof(cs)),
						 im->name);
	double per = m == MD_BURST2 ? BURST : CYCLE_BATCH, mine, other, share;

	share = p->ns ? (double)p->cpu_ns / (double)p->ns : 0;
	if (share < 0.9)
		bench_note(rn->b, "%s %s: the second thread ran %.0f%% of the time", cs, im->name,
			   100 * share);
	if (!st || st->p50 <= 0 || p->nbt == 0)
		return;
	qsort(p->bt, p->nbt, sizeof(*p->bt), cmp_u32);
	other = ((double)p->bt[p->nbt / 2] - p->empty_ns * (m == MD_BURST2 ? 2 : 1)) / per;
	mine = st->p50 / (m == MD_BURST2 ? BURST : 1);
	snprintf(name, sizeof(name), "%s, other thread p50, %s", cs, im->name);
	bench_metric(rn->b, name, other, "ns/cycle");
	snprintf(name, sizeof(name), "%s aggregate, %s", cs, im->name);
	bench_metric(rn->b, name, 1.0 / (1.0 / mine + 1.0 / other), "ns/cycle");
}

static void measure_2t(struct run *rn, struct impl *im, enum mode m)
{
	struct cell *c = new_cell(rn), *pc = new_cell(rn);
	struct partner *p = calloc(1, sizeof(*p));
	uint32_t *bt = malloc(PARTNER_BATCHES * sizeof(*bt));

	if (!c || !pc || !p || !bt)
		goto out;
	*p = (struct partner){.im = im, .cpu = rn->other_cpu, .c = pc, .bt = bt,
			      .burst = m == MD_BURST2};
	if (bench_thread_start(&p->tid, &p->state, partner_main, p, p->why, sizeof(p->why))) {
		bench_fail(rn->b, "%s %zu B 2T: second thread: %s", im->name, im->size, p->why);
		goto out;
	}
	measure_cell(rn, im, c, m);
	bench_thread_stop(p->tid, &p->state);
	if (p->failed)
		bench_fail(rn->b, "%s %zu B 2T: second thread: %s", im->name, im->size, p->why);
	else
		metric_aggregate(rn, m, im, p);
out:
	free(c);
	free(pc);
	free(p);
	free(bt);
}

static void table_modes(struct run *rn, enum mode m)
{
	static const char *const titles[MD_COUNT] = {
		"1 thread: alloc + ref + unref + unref (ns per cycle; 256 per sample)",
		"1 thread: alloc + unref, no second reference (ns per pair; 256 per sample)",
		"1 thread: 32 buffers alloc + ref, checked, then unref x2 each (ns per burst of "
		"32 cycles)",
		"2 threads, one allocator, each cycling its own buffers (ns per cycle on the "
		"measured thread)",
		"2 threads, one allocator, each doing bursts of 32 (ns per burst on the measured "
		"thread)",
	};
	bool two = m == MD_CYCLE2 || m == MD_BURST2;

	bench_table(rn->b, mode_names[m], titles[m], "ioalloc");
	for (size_t s = 0; s < NSIZES; s++)
		for (int i = 0; i < I_COUNT; i++) {
			struct impl *im = &rn->im[s][i];

			if (!im->up)
				skip_cell(rn, m, im->size, im->name, im->why);
			else if (two && rn->other_cpu < 0)
				skip_cell(rn, m, im->size, im->name, "one CPU only");
			else if (two)
				measure_2t(rn, im, m);
			else
				measure_1t(rn, im, m);
		}
}

/* The harness's own cost per call, and what four calls into libioalloc.so
 * cost as calls (ioa_buf_max_length reads one field). */
static int empty_run(void *arg)
{
	(void)arg;
	return 0;
}

static int four_calls(void *arg)
{
	struct cell *c = arg;
	ioa_buf_t *b = c->live[0];

	c->bad += ioa_buf_max_length(b) + ioa_buf_max_length(b) + ioa_buf_max_length(b) +
		  ioa_buf_max_length(b);
	return 0;
}

static void table_harness(struct run *rn)
{
	struct bench_op op = {.run = empty_run};
	struct impl *im = &rn->im[0][I_IOA];
	struct cell *c = new_cell(rn);

	bench_table(rn->b, "harness", "What every cell includes: the harness's call of the "
		    "operation (an empty one); and four calls into libioalloc.so that only read a "
		    "field (ioa_buf_max_length); ns per call, 256 per sample", NULL);
	bench_measure_batch(rn->b, "empty operation", "harness", &op, CYCLE_BATCH, &rn->bud);
	if (!c || !im->up || !(c->live[0] = ioa_alloc1(&im->main)))
		goto out;
	op = (struct bench_op){.run = four_calls, .arg = c};
	bench_measure_batch(rn->b, "4 x ioa_buf_max_length", "harness", &op, CYCLE_BATCH,
			    &rn->bud);
	ioa_buf_unref(c->live[0]);
out:
	free(c);
}

static void note_alignment(struct run *rn)
{
	for (int i = 0; i < I_COUNT; i++) {
		size_t a = ~(size_t)0;

		for (size_t s = 0; s < NSIZES; s++)
			if (rn->im[s][i].up && rn->im[s][i].min_align_seen < a)
				a = rn->im[s][i].min_align_seen;
		if (a != ~(size_t)0)
			bench_note(rn->b, "%s: every data address checked was a multiple of %zu "
				   "(required: %zu)", impl_names[i], a, rn->im[0][i].align);
	}
}

/* ---- main -------------------------------------------------------------------------- */

static void set_budget(struct run *rn)
{
	rn->bud = bench_budget_for(&rn->o, (struct bench_budget){300, 2000, 10 * 1000 * 1000ull},
				   (struct bench_budget){2000, 50000, 250 * 1000 * 1000ull});
	rn->nbuf = rn->o.selftest ? NBUF_SELFTEST : NBUF;
	rn->page = (size_t)sysconf(_SC_PAGESIZE);
}

int main(int argc, char **argv)
{
	struct run *rn = calloc(1, sizeof(*rn));
	cpu_set_t allowed;
	int r;

	if (!rn)
		return 1;
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) /* before the run pins itself */
		CPU_ZERO(&allowed);
	r = bench_parse_args(argc, argv, "buf", &rn->o);
	if (r)
		return r > 0 ? 0 : 2;
	rn->b = bench_begin("buf", &rn->o);
	if (!rn->b)
		return 1;
	set_budget(rn);
	bench_misuse_catch("bench_buf");
	peer_dpdk_start(&rn->dpdk, rn->b, "bench_buf", "mbufs and mempools in the EAL's "
			"--no-huge memory");
	rn->other_cpu = bench_other_cpu(&allowed, bench_cpu(rn->b));
	setup_all(rn);
	table_harness(rn);
	for (int m = 0; m < MD_COUNT; m++)
		table_modes(rn, (enum mode)m);
	note_alignment(rn);
	teardown_all(rn);
	bench_misuse_check(rn->b);
	peer_dpdk_stop(&rn->dpdk);
	r = bench_end(rn->b);
	free(rn);
	return r;
}
