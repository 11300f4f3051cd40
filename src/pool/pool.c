/* SPDX-License-Identifier: MIT */
/*
 * Fixed-size real-time pools.
 *
 * Theory. A pool is one or more chunks of equal-size slots, each chunk taken
 * at once from a domain (bus addresses; slots never straddle the
 * constraint's boundary) or from locked anonymous memory, prefaulted, with
 * its metadata (magazines, object links) in locked memory too. After
 * creation nothing on the get/put paths calls the kernel, takes a lock or
 * touches a page that is not resident: the real-time promise.
 *
 * Each thread that uses a pool gets an index (once per thread, process-wide,
 * under the registry lock) and, in every pool, the cache slot of that index:
 * two magazines (pool_impl.h). The fast paths are: load the loaded magazine,
 * test its round count, move one pointer. Everything else is depot.c.
 * Threads beyond the pool's cache slots, and pools without magazines, use the
 * depot's loose-object stack directly (still lock-free).
 *
 * Quota is charged once for the whole chunk at creation or growth, never per
 * object.
 *
 * Debug (IOA_POOL_F_DEBUG): each slot is [8-byte cookie][object][8-byte
 * cookie], cookies encoding the object size; a free object holds the poison
 * byte 0x6b, a fresh one 0xa5; every put checks the pointer is an object of
 * this pool and not already free (a state byte per object, exchanged
 * atomically, so cross-thread double puts are caught too), and the cookies;
 * every get checks that nobody wrote to the object while it was free. It
 * cannot see a write through a pointer kept after a put that happens to
 * store 0x6b, nor reads after a put; ASan and Valgrind can (track.h), and a
 * pool routes through the annotated path whenever one of them is present.
 * Without debug, a put of a pointer outside the pool's memory is still
 * reported (one compare); an interior pointer or a double put is undefined.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/pool.h>

#include "pool/pool_impl.h"
#include "core/bits.h"
#include "core/track.h"
#include "debug/debug.h"
#include "domain/domain_impl.h"
#include "platform/platform.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* 62 rounds make a magazine 512 bytes (8 cache lines) with its 16-byte
 * header, and let a burst of 32 (DPDK's default) go in and out of one
 * magazine in either direction without touching the depot; a depot exchange
 * then moves 62 objects per pair of compare-and-swaps, which spreads a
 * cache-line transfer between cores (~26 ns, research/perf.md) under 0.5 ns
 * per object. */
#define MAG_ROUNDS_DEFAULT 62
#define MAG_ROUNDS_MAX 1024
#define THREADS_DEFAULT 64
#define ALIGN_DEFAULT 16
#define REDZONE 8
#define POISON_FREE 0x6b
#define POISON_FRESH 0xa5
#define COOKIE_MAGIC 0xc0de5a1e00000000ull

__thread unsigned ioa_pool_tidx_ __attribute__((tls_model("initial-exec")));

/* ---- the registry: live pools and thread indices ------------------------------ */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static ioa_pool_t *reg_head;
static uint64_t tidx_used[IOA_POOL_MAX_THREADS / 64];
static pthread_key_t tidx_key;
static pthread_once_t tidx_once = PTHREAD_ONCE_INIT;

#define TIDX_NONE (~0u) /* out of indices: this thread uses loose objects */

static void flush_thread(unsigned t)
{
	for (ioa_pool_t *p = reg_head; p; p = p->reg_next)
		if (t < p->f.nthreads)
			ioa__pool_flush_cache(p, ioa__pool_cache(p, t));
}

/* Thread exit: give the magazines back and the index up. */
static void thread_exit(void *v)
{
	unsigned t = (unsigned)(uintptr_t)v - 1;

	pthread_mutex_lock(&reg_lock);
	flush_thread(t);
	tidx_used[t / 64] &= ~(1ull << (t % 64));
	pthread_mutex_unlock(&reg_lock);
	ioa_pool_tidx_ = 0;
}

static void make_key(void)
{
	if (pthread_key_create(&tidx_key, thread_exit))
		abort(); /* only at PTHREAD_KEYS_MAX keys: nothing sensible to do */
}

static unsigned lowest_free_index(void)
{
	for (unsigned w = 0; w < IOA_POOL_MAX_THREADS / 64; w++)
		if (~tidx_used[w]) {
			unsigned b = (unsigned)__builtin_ctzll(~tidx_used[w]);

			tidx_used[w] |= 1ull << b;
			return w * 64 + b;
		}
	return TIDX_NONE;
}

/* Give this thread an index (the lowest free one, so indices stay below a
 * pool's cache count as long as few threads live at once). */
unsigned ioa__pool_register_thread(void)
{
	unsigned t;

	pthread_once(&tidx_once, make_key);
	pthread_mutex_lock(&reg_lock);
	t = lowest_free_index();
	pthread_mutex_unlock(&reg_lock);
	if (t != TIDX_NONE && pthread_setspecific(tidx_key, (void *)(uintptr_t)(t + 1))) {
		pthread_mutex_lock(&reg_lock);
		tidx_used[t / 64] &= ~(1ull << (t % 64));
		pthread_mutex_unlock(&reg_lock);
		t = TIDX_NONE;
	}
	ioa_pool_tidx_ = t == TIDX_NONE ? TIDX_NONE : t + 1;
	return ioa_pool_tidx_;
}

IOA_API void ioa_pool_thread_flush(void)
{
	unsigned t = ioa_pool_tidx_ - 1;

	if (t >= IOA_POOL_MAX_THREADS)
		return;
	pthread_mutex_lock(&reg_lock);
	flush_thread(t);
	pthread_mutex_unlock(&reg_lock);
}

static void reg_add(ioa_pool_t *p)
{
	pthread_mutex_lock(&reg_lock);
	p->reg_next = reg_head;
	if (reg_head)
		reg_head->reg_prev = p;
	reg_head = p;
	pthread_mutex_unlock(&reg_lock);
}

static void reg_del(ioa_pool_t *p)
{
	pthread_mutex_lock(&reg_lock);
	if (p->reg_prev)
		p->reg_prev->reg_next = p->reg_next;
	else
		reg_head = p->reg_next;
	if (p->reg_next)
		p->reg_next->reg_prev = p->reg_prev;
	pthread_mutex_unlock(&reg_lock);
}

/* ---- the fast paths ---------------------------------------------------------------- */

/* This thread's cache in p, registering the thread on its first call; NULL:
 * none (loose objects). */
static struct ioa_pool_cache_ *cache_of(ioa_pool_t *p)
{
	unsigned t = ioa_pool_tidx_;

	if (!t)
		t = ioa__pool_register_thread();
	return t - 1 < p->f.nthreads ? ioa__pool_cache(p, t - 1) : NULL;
}

static void *raw_get_other(ioa_pool_t *p)
{
	struct ioa_pool_cache_ *c = cache_of(p);

	if (!c)
		return ioa__pool_get_loose(p);
	return ioa__pool_get_slow(p, c);
}

static inline void *raw_get(ioa_pool_t *p)
{
	unsigned t = ioa_pool_tidx_ - 1;

	if (likely(t < p->f.nthreads)) {
		struct ioa_pool_cache_ *c = ioa__pool_cache(p, t);
		void **top = ioa__pool_slot(c->top);

		if (likely(top != ioa__pool_slot(c->base))) {
			__atomic_store_n(&c->top, (uintptr_t)(top - 1), __ATOMIC_RELAXED);
			return top[-1];
		}
		return ioa__pool_get_slow(p, c);
	}
	return raw_get_other(p);
}

static void raw_put_other(ioa_pool_t *p, void *obj)
{
	struct ioa_pool_cache_ *c = cache_of(p);

	if (!c)
		ioa__pool_put_loose(p, obj);
	else
		ioa__pool_put_slow(p, c, obj);
}

static inline void raw_put(ioa_pool_t *p, void *obj)
{
	unsigned t = ioa_pool_tidx_ - 1;

	if (likely(t < p->f.nthreads)) {
		struct ioa_pool_cache_ *c = ioa__pool_cache(p, t);
		void **top = ioa__pool_slot(c->top);

		if (likely(top != ioa__pool_slot(c->end))) {
			*top = obj;
			__atomic_store_n(&c->top, (uintptr_t)(top + 1), __ATOMIC_RELAXED);
			return;
		}
		ioa__pool_put_slow(p, c, obj);
		return;
	}
	raw_put_other(p, obj);
}

/* ---- debug and tracking ---------------------------------------------------------------- */

static uint64_t cookie_for(const ioa_pool_t *p)
{
	return COOKIE_MAGIC ^ p->obj_size;
}

static void object_name(const ioa_pool_t *p, char *buf, size_t len)
{
	snprintf(buf, len, "pool '%s'", p->name);
}

/* Which cookie (if any) is broken: 0 none, 1 front, 2 back. */
static int check_cookies(const ioa_pool_t *p, uint8_t *obj)
{
	uint64_t want = cookie_for(p), front, back;

	IOA_TRACK_OPEN(obj - REDZONE, REDZONE);
	IOA_TRACK_OPEN(obj + p->obj_size, REDZONE);
	memcpy(&front, obj - REDZONE, sizeof(front));
	memcpy(&back, obj + p->obj_size, sizeof(back));
	IOA_TRACK_CLOSE(obj - REDZONE, REDZONE);
	IOA_TRACK_CLOSE(obj + p->obj_size, REDZONE);
	return front != want ? 1 : back != want ? 2 : 0;
}

static void write_cookies(const ioa_pool_t *p, uint8_t *obj)
{
	uint64_t c = cookie_for(p);

	memcpy(obj - REDZONE, &c, sizeof(c));
	memcpy(obj + p->obj_size, &c, sizeof(c));
}

static size_t first_not(const uint8_t *b, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return i;
	return n;
}

static void debug_on_get(ioa_pool_t *p, uint8_t *obj, const void *site)
{
	uint32_t idx = ioa__pool_obj_index(p, obj);
	struct chunk *ch = &p->chunks[idx >> IOA_POOL_IDX_BITS];
	uint32_t i = idx & ((1u << IOA_POOL_IDX_BITS) - 1);
	char name[48];
	size_t at;

	object_name(p, name, sizeof(name));
	if (atomic_exchange(&ch->state[i], OBJ_OUT) != OBJ_FREE)
		ioa__misuse("ioa_pool_get", name, "object %p handed out while out", (void *)obj);
	ch->site[i] = site;
	at = first_not(obj, p->obj_size, POISON_FREE);
	if (at < p->obj_size)
		ioa__misuse("ioa_pool_get", name,
			    "object %p was written after its put (byte %zu is 0x%02x, not poison 0x%02x)",
			    (void *)obj, at, obj[at], POISON_FREE);
	if (check_cookies(p, obj))
		ioa__misuse("ioa_pool_get", name, "redzone of free object %p overwritten",
			    (void *)obj);
	memset(obj, POISON_FRESH, p->obj_size);
}

/* True if obj may go back into the pool. */
static bool debug_on_put(ioa_pool_t *p, uint8_t *obj)
{
	uint32_t idx = ioa__pool_obj_index(p, obj);
	char name[48];
	int broken;

	object_name(p, name, sizeof(name));
	if (idx == IOA_POOL_NIL) {
		ioa__misuse("ioa_pool_put", name, "%p is not an object of this pool "
			    "(foreign or interior pointer)", (void *)obj);
		return false;
	}
	if (atomic_exchange(&p->chunks[idx >> IOA_POOL_IDX_BITS]
				     .state[idx & ((1u << IOA_POOL_IDX_BITS) - 1)],
			    OBJ_FREE) != OBJ_OUT) {
		ioa__misuse("ioa_pool_put", name, "double put of object %p", (void *)obj);
		return false;
	}
	broken = check_cookies(p, obj);
	if (broken) {
		ioa__misuse("ioa_pool_put", name, "%s redzone of object %p overwritten "
			    "(object size %zu)", broken == 1 ? "front" : "back", (void *)obj,
			    p->obj_size);
		IOA_TRACK_OPEN(obj - REDZONE, REDZONE); /* repaired: one report per overrun */
		IOA_TRACK_OPEN(obj + p->obj_size, REDZONE);
		write_cookies(p, obj);
		IOA_TRACK_CLOSE(obj - REDZONE, REDZONE);
		IOA_TRACK_CLOSE(obj + p->obj_size, REDZONE);
	}
	memset(obj, POISON_FREE, p->obj_size);
	return true;
}

static __attribute__((noinline)) void *checked_get(ioa_pool_t *p, const void *site)
{
	uint8_t *obj = raw_get(p);

	if (!obj)
		return NULL;
	if (p->flags & IOA_POOL_F_DEBUG) { /* read the poison before the checker sees a get */
		IOA_TRACK_OPEN(obj, p->obj_size);
		debug_on_get(p, obj, site);
	}
	IOA_TRACK_ALLOC(p, obj, p->obj_size);
	return obj;
}

static bool foreign(ioa_pool_t *p, void *obj);

static __attribute__((noinline)) void checked_put(ioa_pool_t *p, void *obj)
{
	if ((p->flags & IOA_POOL_F_DEBUG) ? !debug_on_put(p, obj) : foreign(p, obj))
		return;
	IOA_TRACK_FREE(p, obj, p->obj_size);
	raw_put(p, obj);
}

/* The release-mode check that costs nothing: outside the pool's memory. */
static __attribute__((noinline)) bool foreign(ioa_pool_t *p, void *obj)
{
	char name[48];

	/* Only whether obj lies in one of the chunks: no division, since every put
	 * of an object from a grown chunk comes here. */
	for (uint32_t k = 0; k < atomic_load_explicit(&p->nchunks, memory_order_acquire); k++)
		if ((uint8_t *)obj >= p->chunks[k].base &&
		    (uint8_t *)obj < p->chunks[k].base + p->chunks[k].len)
			return false; /* inside: interior pointers are undefined here */
	object_name(p, name, sizeof(name));
	ioa__misuse("ioa_pool_put", name, "%p is not an object of this pool", obj);
	return true;
}

static inline bool outside_first_chunk(const ioa_pool_t *p, const void *obj)
{
	return (uintptr_t)obj - p->f.lo >= p->f.span;
}

/* ---- the out-of-line halves of pool.h's get and put ------------------------------ */

IOA_API void *ioa_pool_get_slow(ioa_pool_t *p)
{
	if (unlikely(!p))
		return NULL;
	if (likely(!p->f.checked))
		return raw_get(p);
	return checked_get(p, __builtin_return_address(0));
}

IOA_API void ioa_pool_put_slow(ioa_pool_t *p, void *obj)
{
	if (unlikely(!p || !obj))
		return;
	if (likely(!p->f.checked)) {
		if (unlikely(outside_first_chunk(p, obj)) && foreign(p, obj))
			return;
		raw_put(p, obj);
		return;
	}
	checked_put(p, obj);
}

/* One at a time, all or none (checked pools, threads without a cache). */
static int get_each(ioa_pool_t *p, void **objs, size_t n, const void *site)
{
	for (size_t i = 0; i < n; i++) {
		objs[i] = p->f.checked ? checked_get(p, site) : raw_get(p);
		if (!objs[i]) {
			ioa_pool_put_bulk_slow(p, objs, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/* A burst the loaded magazine cannot serve whole: swap to the previous one
 * if it can (then the pair of magazines settles and later bursts stay on the
 * fast path); else the loaded magazine's objects first, then whatever the
 * magazine layer swaps in, one copy per magazine, so a burst larger than a
 * magazine goes through in magazine-sized copies. */
static int get_bulk_cached(ioa_pool_t *p, struct ioa_pool_cache_ *c, void **objs, size_t n)
{
	size_t k = 0;

	if (ioa__pool_swap_for(c, n, true)) /* the previous magazine serves it whole */
		return ioa_pool_get_bulk(p, objs, n);

	while (k < n) {
		void **top = ioa__pool_slot(__atomic_load_n(&c->top, __ATOMIC_RELAXED));
		size_t m = (size_t)(top - ioa__pool_slot(c->base));

		m = m < n - k ? m : n - k;
		memcpy(objs + k, top - m, m * sizeof(*objs));
		__atomic_store_n(&c->top, (uintptr_t)(top - m), __ATOMIC_RELAXED);
		k += m;
		if (k < n && !(objs[k++] = ioa__pool_get_slow(p, c))) {
			ioa_pool_put_bulk_slow(p, objs, k - 1);
			return -ENOMEM;
		}
	}
	return 0;
}

IOA_API int ioa_pool_get_bulk_slow(ioa_pool_t *p, void **objs, size_t n)
{
	unsigned t = ioa_pool_tidx_ - 1;

	if (unlikely(!p || (!objs && n)))
		return -EINVAL;
	if (likely(t < p->f.nthreads && !p->f.checked))
		return get_bulk_cached(p, ioa__pool_cache(p, t), objs, n);
	return get_each(p, objs, n, __builtin_return_address(0));
}

static void put_bulk_cached(ioa_pool_t *p, struct ioa_pool_cache_ *c, void *const *objs, size_t n)
{
	size_t k = 0;

	if (ioa__pool_swap_for(c, n, false)) {
		ioa_pool_put_bulk(p, objs, n);
		return;
	}

	while (k < n) {
		void **top = ioa__pool_slot(__atomic_load_n(&c->top, __ATOMIC_RELAXED));
		size_t m = (size_t)(ioa__pool_slot(c->end) - top);

		m = m < n - k ? m : n - k;
		memcpy(top, objs + k, m * sizeof(*objs));
		__atomic_store_n(&c->top, (uintptr_t)(top + m), __ATOMIC_RELAXED);
		k += m;
		if (k < n)
			ioa__pool_put_slow(p, c, objs[k++]);
	}
}

IOA_API void ioa_pool_put_bulk_slow(ioa_pool_t *p, void *const *objs, size_t n)
{
	unsigned t = ioa_pool_tidx_ - 1;

	if (unlikely(!p || !objs))
		return;
	if (likely(t < p->f.nthreads && !p->f.checked)) {
		put_bulk_cached(p, ioa__pool_cache(p, t), objs, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		ioa_pool_put_slow(p, objs[i]);
}

/* ---- memory ------------------------------------------------------------------------------------- */

/* Anonymous memory, locked (a failure warns once, see ioa_plat_lock) and
 * prefaulted: what the real-time paths may touch. */
static int map_locked(size_t len, uint8_t **out)
{
	void *a;
	int r = ioa_plat_reserve(len, ioa_plat_base_page(), &a);

	if (r)
		return r;
	r = ioa_plat_protect(a, len, true);
	if (!r) {
		ioa_plat_lock(a, len, false);
		r = ioa_plat_prefault(a, len, ioa_plat_base_page());
	}
	if (r) {
		ioa_plat_release(a, len);
		return r;
	}
	*out = a;
	return 0;
}

static void unmap_locked(void *a, size_t len)
{
	if (!a)
		return;
	ioa_plat_unlock(a, len);
	ioa_plat_release(a, len);
}

/* Bytes of slots for n objects, and the chunk's window layout. */
static uint64_t slots_bytes(const ioa_pool_t *p, size_t n, uint32_t *per_window)
{
	uint64_t per;

	*per_window = 0;
	if (!p->boundary || (uint64_t)n * p->stride <= p->boundary)
		return (uint64_t)n * p->stride;
	per = p->boundary / p->stride;
	*per_window = (uint32_t)per;
	return (n - 1) / per * p->boundary + ((n - 1) % per + 1) * p->stride;
}

static int alloc_domain_slots(ioa_pool_t *p, struct chunk *ch)
{
	struct ioa_constraint c = p->c;
	int r;

	ch->alloc_len = ioa_round_up(ch->len, 4096);
	if (c.align < p->align)
		c.align = p->align;
	if (ch->per_window) { /* windows start on boundaries; the chunk spans several */
		c.align = c.align > p->boundary ? c.align : p->boundary;
		c.boundary = 0;
	}
	r = ioa__domain_alloc(p->d, ch->alloc_len, &c, p->acct, IOA_KIND_POOL, &ch->bus);
	if (r)
		return r;
	ch->base = ioa_domain_virt(p->d, ch->bus);
	return ioa_plat_prefault(ch->base, ch->alloc_len, ioa_plat_base_page());
}

static int alloc_plain_slots(ioa_pool_t *p, struct chunk *ch)
{
	int r;

	ch->alloc_len = ioa_round_up(ch->len, ioa_plat_base_page());
	if (p->acct) {
		r = ioa_account_charge(p->acct, ch->alloc_len);
		if (r)
			return r;
	}
	r = p->align > ioa_plat_base_page() ? -EINVAL : map_locked(ch->alloc_len, &ch->base);
	if (r && p->acct)
		ioa_account_uncharge(p->acct, ch->alloc_len);
	return r;
}

static void free_slots(ioa_pool_t *p, struct chunk *ch)
{
	if (!ch->base)
		return;
	IOA_TRACK_REMOVE(ch->base, ch->alloc_len);
	if (p->d) {
		ioa__domain_free(p->d, ch->bus, ch->alloc_len, p->acct, IOA_KIND_POOL,
				 "ioa_pool_destroy");
	} else {
		unmap_locked(ch->base, ch->alloc_len);
		if (p->acct)
			ioa_account_uncharge(p->acct, ch->alloc_len);
	}
	ch->base = NULL;
}

/* Metadata: [caches (chunk 0)][magazines][object links][debug states, sites]. */
static int alloc_meta(ioa_pool_t *p, struct chunk *ch, bool first)
{
	size_t caches = first ? (size_t)p->f.nthreads * sizeof(struct ioa_pool_cache_) : 0;
	size_t mags = (size_t)ch->nmag * p->mag_stride;
	size_t links = ioa_round_up((uint64_t)ch->nobj * sizeof(uint32_t), 64);
	size_t states = p->flags & IOA_POOL_F_DEBUG ? ioa_round_up(ch->nobj, 64) : 0;
	size_t sites = p->flags & IOA_POOL_F_DEBUG ? (size_t)ch->nobj * sizeof(void *) : 0;
	int r;

	ch->meta_len = ioa_round_up(caches + mags + links + states + sites, ioa_plat_base_page());
	r = map_locked(ch->meta_len, &ch->meta);
	if (r)
		return r;
	if (first)
		p->f.caches = (struct ioa_pool_cache_ *)ch->meta;
	ch->mags = ch->meta + caches;
	ch->onext = (_Atomic uint32_t *)(ch->mags + mags);
	ch->state = states ? (_Atomic uint8_t *)((uint8_t *)ch->onext + links) : NULL;
	ch->site = sites ? (const void **)((uint8_t *)ch->onext + links + states) : NULL;
	return 0;
}

/* Lay out a new chunk's slots: debug cookies and poison, checker state. */
static void init_slots(ioa_pool_t *p, uint32_t k)
{
	struct chunk *ch = &p->chunks[k];

	if (p->flags & IOA_POOL_F_DEBUG)
		for (uint32_t i = 0; i < ch->nobj; i++) {
			uint8_t *obj = ioa__pool_obj_at(p, k << IOA_POOL_IDX_BITS | i);

			write_cookies(p, obj);
			memset(obj, POISON_FREE, p->obj_size);
		}
	IOA_TRACK_ADD(ch->base, ch->alloc_len);
}

/* Add chunk k of n objects. Caller holds grow_lock (or owns p). */
static int add_chunk(ioa_pool_t *p, uint32_t k, size_t n)
{
	struct chunk *ch = &p->chunks[k];
	int r;

	memset(ch, 0, sizeof(*ch));
	ch->nobj = (uint32_t)n;
	ch->len = slots_bytes(p, n, &ch->per_window);
	ch->nmag = p->mag_cap ? (uint32_t)(n / p->mag_cap) + 1 + (k ? 0 : 2 * p->f.nthreads) : 0;
	r = p->d ? alloc_domain_slots(p, ch) : alloc_plain_slots(p, ch);
	if (!r)
		r = alloc_meta(p, ch, k == 0);
	if (r) {
		free_slots(p, ch);
		return r;
	}
	init_slots(p, k);
	if (k == 0) {
		p->f.lo = (uintptr_t)ch->base;
		p->f.span = ch->len;
	}
	atomic_store_explicit(&p->nchunks, k + 1, memory_order_release);
	ioa__pool_depot_init(p, k);
	atomic_fetch_add(&p->count, n);
	return 0;
}

/* ---- creation -------------------------------------------------------------------------------- */

IOA_API void ioa_pool_config_init(struct ioa_pool_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->name = "pool";
}

static bool config_valid(const struct ioa_pool_config *cfg)
{
	if (!cfg || cfg->size < sizeof(*cfg) || !cfg->obj_size ||
	    cfg->obj_size > IOA_POOL_MAX_OBJ_SIZE || !cfg->count || cfg->count > IOA_POOL_MAX_COUNT)
		return false;
	if ((cfg->flags & ~IOA_POOL_F_VALID) || (cfg->align && !ioa_is_pow2(cfg->align)) ||
	    cfg->align > IOA_POOL_MAX_OBJ_SIZE)
		return false;
	if (cfg->cache > MAG_ROUNDS_MAX || cfg->threads > IOA_POOL_MAX_THREADS)
		return false;
	return cfg->domain || !cfg->constraint; /* a constraint needs bus addresses */
}

/* Magazine rounds: the configured count, or 62 (see MAG_ROUNDS_DEFAULT) for
 * pools of at least 8 magazines' worth; smaller pools get count / 8, so one
 * thread's two magazines never hold more than a quarter of the objects. */
static unsigned mag_rounds(const struct ioa_pool_config *cfg)
{
	if (cfg->flags & IOA_POOL_F_NO_CACHE)
		return 0;
	if (cfg->cache)
		return cfg->cache;
	return cfg->count >= 8 * MAG_ROUNDS_DEFAULT ? MAG_ROUNDS_DEFAULT
						    : (unsigned)(cfg->count / 8);
}

static int setup_layout(ioa_pool_t *p, const struct ioa_pool_config *cfg)
{
	/* IOALLOC_DEBUG's redzones, poison or owner keys make every pool a debug one. */
	bool dbg = (cfg->flags & IOA_POOL_F_DEBUG) ||
		   (ioa__debug_env() & (IOA_DBG_REDZONES | IOA_DBG_POISON | IOA_DBG_OWNER));

	p->obj_size = cfg->obj_size;
	p->align = cfg->align ? cfg->align : ALIGN_DEFAULT;
	p->user_off = dbg ? ioa_round_up(REDZONE, p->align) : 0;
	p->stride = ioa_round_up(p->user_off + p->obj_size + (dbg ? REDZONE : 0), p->align);
	p->flags = cfg->flags | (dbg ? IOA_POOL_F_DEBUG : 0);
	p->mag_cap = mag_rounds(cfg);
	p->mag_stride = ioa_round_up(sizeof(struct ioa_pool_mag_) + (size_t)p->mag_cap * sizeof(void *), 64);
	p->f.nthreads = p->mag_cap ? (cfg->threads ? cfg->threads : THREADS_DEFAULT) : 0;
	p->d = cfg->domain;
	p->acct = cfg->account;
	p->f.checked = dbg || IOA_TRACK_ACTIVE();
	p->f.fast = p->f.checked ? 0 : p->f.nthreads;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name ? cfg->name : "pool");
	if (p->d && ioa__domain_window(p->d, cfg->constraint, &p->c))
		return -EINVAL;
	p->boundary = p->d ? p->c.boundary : 0;
	return p->boundary && p->stride > p->boundary ? -EINVAL : 0;
}

static void init_stack(struct lfstack *s)
{
	atomic_init(&s->head, IOA_POOL_NIL);
	atomic_init(&s->count, 0);
}

IOA_API int ioa_pool_create(const struct ioa_pool_config *cfg, ioa_pool_t **out)
{
	ioa_pool_t *p;
	int r;

	IOA_NOTE_SITE();
	if (!config_valid(cfg) || !out)
		return -EINVAL;
	p = aligned_alloc(64, ioa_round_up(sizeof(*p), 64));
	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	r = setup_layout(p, cfg);
	if (r) {
		free(p);
		return r;
	}
	IOA_TRACK_CREATE(p);
	init_stack(&p->full);
	init_stack(&p->empty);
	init_stack(&p->objs);
	pthread_mutex_init(&p->grow_lock, NULL);
	for (unsigned t = 0; t < IOA_POOL_MAX_CHUNKS; t++)
		p->chunks[t].base = NULL;
	r = add_chunk(p, 0, cfg->count);
	if (r) {
		IOA_TRACK_DESTROY(p);
		pthread_mutex_destroy(&p->grow_lock);
		free(p);
		return r;
	}
	for (unsigned t = 0; t < p->f.nthreads; t++)
		ioa__pool_cache_init(ioa__pool_cache(p, t));
	reg_add(p);
	*out = p;
	return 0;
}

IOA_API int ioa_pool_grow(ioa_pool_t *p, size_t count)
{
	uint32_t k;
	int r;

	IOA_NOTE_SITE();
	if (!p || !(p->flags & IOA_POOL_F_GROW) || !count || count > IOA_POOL_MAX_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&p->grow_lock);
	k = atomic_load(&p->nchunks);
	r = k < IOA_POOL_MAX_CHUNKS ? add_chunk(p, k, count) : -ENOMEM;
	pthread_mutex_unlock(&p->grow_lock);
	return r;
}

/* ---- destruction ------------------------------------------------------------------------------ */

/* In debug mode, report objects still out and name up to 8 with their getters. */
static void report_out(ioa_pool_t *p, size_t out)
{
	char name[48];
	unsigned shown = 0;

	if (!(p->flags & IOA_POOL_F_DEBUG))
		return; /* release mode: -EBUSY says it */
	object_name(p, name, sizeof(name));
	ioa__misuse("ioa_pool_destroy", name, "%zu objects (%zu bytes) still out", out,
		    out * p->obj_size);
	for (uint32_t k = 0; k < atomic_load(&p->nchunks); k++)
		for (uint32_t i = 0; i < p->chunks[k].nobj && shown < 8; i++)
			if (atomic_load(&p->chunks[k].state[i]) == OBJ_OUT) {
				ioa__misuse("ioa_pool_destroy", name,
					    "object %p still out, got from %p", 
					    ioa__pool_obj_at(p, k << IOA_POOL_IDX_BITS | i),
					    p->chunks[k].site[i]);
				shown++;
			}
}

IOA_API int ioa_pool_destroy(ioa_pool_t *p)
{
	size_t out;

	if (!p)
		return 0;
	reg_del(p);
	out = atomic_load(&p->count) - ioa__pool_free_count(p);
	if (out)
		report_out(p, out);
	for (uint32_t k = 0; k < atomic_load(&p->nchunks); k++) {
		free_slots(p, &p->chunks[k]);
		unmap_locked(p->chunks[k].meta, p->chunks[k].meta_len);
	}
	IOA_TRACK_DESTROY(p);
	pthread_mutex_destroy(&p->grow_lock);
	free(p);
	return out ? -EBUSY : 0;
}

/* ---- queries ----------------------------------------------------------------------------------- */

IOA_API size_t ioa_pool_obj_size(const ioa_pool_t *p)
{
	return p ? p->obj_size : 0;
}

IOA_API size_t ioa_pool_count(const ioa_pool_t *p)
{
	return p ? atomic_load(&p->count) : 0;
}

IOA_API size_t ioa_pool_free_count(const ioa_pool_t *p)
{
	return p ? ioa__pool_free_count(p) : 0;
}

size_t ioa__pool_regions(const ioa_pool_t *p, uint8_t **base, size_t *len, size_t max)
{
	uint32_t n = atomic_load_explicit(&p->nchunks, memory_order_acquire);

	for (uint32_t k = 0; k < n && k < max; k++) {
		base[k] = p->chunks[k].base;
		len[k] = p->chunks[k].alloc_len;
	}
	return n;
}

IOA_API int ioa_pool_bus(const ioa_pool_t *p, const void *obj, uint64_t *bus)
{
	uint32_t idx;

	if (!p || !bus || !p->d)
		return -EINVAL;
	idx = ioa__pool_obj_index(p, obj);
	if (idx == IOA_POOL_NIL)
		return -EINVAL;
	*bus = p->chunks[idx >> IOA_POOL_IDX_BITS].bus +
	       (uint64_t)((const uint8_t *)obj - p->chunks[idx >> IOA_POOL_IDX_BITS].base);
	return 0;
}
