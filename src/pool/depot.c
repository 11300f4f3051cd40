/* SPDX-License-Identifier: MIT */
/*
 * The depot: what stands behind the per-thread magazines.
 *
 * Three lock-free stacks per pool: full magazines, empty magazines, and loose
 * objects (the remainder that does not fill a magazine, objects put by
 * threads without a cache, and what an exiting thread's partial magazines
 * held). Each stack is a Treiber stack whose head packs an index and a tag
 * into one 64-bit word; links live outside the objects (chunk->onext,
 * mag->next), so the depot never reads or writes object memory and a stale
 * link read is harmless (the memory is type-stable for the pool's life, and
 * the tag makes the compare-and-swap fail).
 *
 * Magazine transitions (Bonwick & Adams 2001, §3.1):
 *   get, loaded empty:  previous has objects -> swap; else trade previous
 *                       (empty) for a full one from the depot; else fill
 *                       loaded with loose objects; else the pool is empty.
 *   put, loaded full:   previous has room -> swap; else trade previous
 *                       (full) for an empty one; else the object goes loose.
 * Unlike Bonwick's, previous may be partly filled (a burst swaps to the
 * magazine that can serve it whole, see ioa__pool_swap_for); the depot only
 * ever receives a magazine that is exactly full or exactly empty, because
 * those are the only states in which the rules above trade one.
 * There are floor(n / rounds) + 2 * threads + 1 magazines, so a thread that
 * needs an empty one finds it: full magazines hold at most n objects.
 */
#include <stdatomic.h>
#include <ioalloc/pool.h>

#include "pool/pool_impl.h"

struct ioa_pool_mag_ ioa__pool_dummy_mag = {0, 0, IOA_POOL_NIL, IOA_POOL_NIL};

#define RELAXED memory_order_relaxed

static inline uint32_t rounds_of(const struct ioa_pool_mag_ *m)
{
	return __atomic_load_n(&m->rounds, __ATOMIC_RELAXED);
}

static inline void set_rounds(struct ioa_pool_mag_ *m, uint32_t r)
{
	__atomic_store_n(&m->rounds, r, __ATOMIC_RELAXED);
}

static inline const struct chunk *chunk_of(const ioa_pool_t *p, uint32_t idx)
{
	return &p->chunks[idx >> IOA_POOL_IDX_BITS];
}

static inline uint32_t pos_of(uint32_t idx)
{
	return idx & ((1u << IOA_POOL_IDX_BITS) - 1);
}

static struct ioa_pool_mag_ *mag_at(const ioa_pool_t *p, uint32_t idx)
{
	return (struct ioa_pool_mag_ *)(chunk_of(p, idx)->mags + (size_t)pos_of(idx) * p->mag_stride);
}

static _Atomic uint32_t *obj_link(const ioa_pool_t *p, uint32_t idx)
{
	return &chunk_of(p, idx)->onext[pos_of(idx)];
}

/* Slot i of a chunk: slots are stride apart, and with a boundary they come
 * per_window to a window so none crosses it. */
void *ioa__pool_obj_at(const ioa_pool_t *p, uint32_t idx)
{
	const struct chunk *ch = chunk_of(p, idx);
	uint32_t i = pos_of(idx);
	size_t off = ch->per_window ? (size_t)(i / ch->per_window) * p->boundary +
					      (size_t)(i % ch->per_window) * p->stride
				    : (size_t)i * p->stride;

	return ch->base + off + p->user_off;
}

static uint32_t index_in_chunk(const ioa_pool_t *p, const struct chunk *ch, size_t rel)
{
	size_t win = 0, pos;

	if (ch->per_window) {
		win = rel / p->boundary;
		rel %= p->boundary;
	}
	pos = rel / p->stride;
	if (rel % p->stride != p->user_off || (ch->per_window && pos >= ch->per_window))
		return IOA_POOL_NIL; /* interior pointer, or in a window's padding */
	pos += win * ch->per_window;
	return pos < ch->nobj ? (uint32_t)pos : IOA_POOL_NIL;
}

/* Index of obj, or IOA_POOL_NIL if it is not the start of one of p's objects. */
uint32_t ioa__pool_obj_index(const ioa_pool_t *p, const void *obj)
{
	uint32_t n = atomic_load_explicit(&p->nchunks, memory_order_acquire);

	for (uint32_t k = 0; k < n; k++) {
		const struct chunk *ch = &p->chunks[k];
		size_t rel = (size_t)((const uint8_t *)obj - ch->base);

		if ((const uint8_t *)obj >= ch->base && rel < ch->len) {
			uint32_t i = index_in_chunk(p, ch, rel);

			return i == IOA_POOL_NIL ? i : k << IOA_POOL_IDX_BITS | i;
		}
	}
	return IOA_POOL_NIL;
}

/* ---- Treiber stacks -------------------------------------------------------- */

typedef _Atomic uint32_t *(*link_fn)(const ioa_pool_t *p, uint32_t idx);

static void push(const ioa_pool_t *p, struct lfstack *s, link_fn link, uint32_t idx)
{
	uint64_t old = atomic_load_explicit(&s->head, RELAXED), nw;

	do {
		atomic_store_explicit(link(p, idx), (uint32_t)old, RELAXED);
		nw = ((old >> 32) + 1) << 32 | idx;
	} while (!atomic_compare_exchange_weak_explicit(&s->head, &old, nw, memory_order_release,
							 RELAXED));
	atomic_fetch_add_explicit(&s->count, 1, RELAXED);
}

static uint32_t pop(const ioa_pool_t *p, struct lfstack *s, link_fn link)
{
	uint64_t old = atomic_load_explicit(&s->head, memory_order_acquire), nw;
	uint32_t idx;

	do {
		idx = (uint32_t)old;
		if (idx == IOA_POOL_NIL)
			return idx;
		nw = ((old >> 32) + 1) << 32 | atomic_load_explicit(link(p, idx), RELAXED);
	} while (!atomic_compare_exchange_weak_explicit(&s->head, &old, nw, memory_order_acquire,
							 memory_order_acquire));
	atomic_fetch_sub_explicit(&s->count, 1, RELAXED);
	return idx;
}

static _Atomic uint32_t *mag_link(const ioa_pool_t *p, uint32_t idx)
{
	return &mag_at(p, idx)->next;
}

static void push_mag(ioa_pool_t *p, struct lfstack *s, struct ioa_pool_mag_ *m)
{
	push(p, s, mag_link, m->self);
}

static struct ioa_pool_mag_ *pop_mag(ioa_pool_t *p, struct lfstack *s)
{
	uint32_t idx = pop(p, s, mag_link);

	return idx == IOA_POOL_NIL ? NULL : mag_at(p, idx);
}

/* ---- loose objects --------------------------------------------------------- */

void ioa__pool_put_loose(ioa_pool_t *p, void *obj)
{
	push(p, &p->objs, obj_link, ioa__pool_obj_index(p, obj));
}

/* A loose object; failing that, break a full magazine into loose objects. */
void *ioa__pool_get_loose(ioa_pool_t *p)
{
	uint32_t idx = pop(p, &p->objs, obj_link);
	struct ioa_pool_mag_ *m;
	void *obj;

	if (idx != IOA_POOL_NIL)
		return ioa__pool_obj_at(p, idx);
	m = pop_mag(p, &p->full);
	if (!m)
		return NULL;
	obj = m->objs[--m->rounds];
	while (m->rounds)
		ioa__pool_put_loose(p, m->objs[--m->rounds]);
	push_mag(p, &p->empty, m);
	return obj;
}

/* ---- the magazine layer's slow paths ---------------------------------------- */

static struct ioa_pool_mag_ *loaded_of(const struct ioa_pool_cache_ *c)
{
	return __atomic_load_n(&c->loaded, __ATOMIC_RELAXED);
}

static struct ioa_pool_mag_ *previous_of(const struct ioa_pool_cache_ *c)
{
	return __atomic_load_n(&c->previous, __ATOMIC_RELAXED);
}

/* Bring the loaded magazine's round count up to date from the fast paths'
 * top pointer (the owning thread, on entry to a slow path). */
static void sync_in(struct ioa_pool_cache_ *c)
{
	struct ioa_pool_mag_ *l = loaded_of(c);

	set_rounds(l, (uint32_t)(ioa__pool_slot(c->top) - ioa__pool_slot(c->base)));
}

static void set_mags(struct ioa_pool_cache_ *c, struct ioa_pool_mag_ *loaded, struct ioa_pool_mag_ *previous)
{
	__atomic_store_n(&c->base, (uintptr_t)loaded->objs, __ATOMIC_RELAXED);
	__atomic_store_n(&c->end, (uintptr_t)(loaded->objs + loaded->cap), __ATOMIC_RELAXED);
	__atomic_store_n(&c->top, (uintptr_t)(loaded->objs + rounds_of(loaded)), __ATOMIC_RELAXED);
	__atomic_store_n(&c->loaded, loaded, __ATOMIC_RELAXED);
	__atomic_store_n(&c->previous, previous, __ATOMIC_RELAXED);
}

void ioa__pool_cache_init(struct ioa_pool_cache_ *c)
{
	set_mags(c, &ioa__pool_dummy_mag, &ioa__pool_dummy_mag);
}

static void *take(struct ioa_pool_mag_ *m)
{
	uint32_t r = rounds_of(m) - 1;

	set_rounds(m, r);
	return m->objs[r];
}

static void give(struct ioa_pool_mag_ *m, void *obj)
{
	uint32_t r = rounds_of(m);

	m->objs[r] = obj;
	set_rounds(m, r + 1);
}

/* Fill an empty loaded magazine with up to half its capacity of loose
 * objects: enough to make the next gets fast, not so many that one thread
 * hoards what others put loose. */
static void *fill_loose(ioa_pool_t *p, struct ioa_pool_cache_ *c)
{
	struct ioa_pool_mag_ *l = loaded_of(c);
	uint32_t want;
	void *obj;

	if (l == &ioa__pool_dummy_mag) {
		l = pop_mag(p, &p->empty);
		if (!l)
			return ioa__pool_get_loose(p);
	}
	want = l->cap / 2 ? l->cap / 2 : 1;
	while (rounds_of(l) < want) {
		uint32_t idx = pop(p, &p->objs, obj_link);

		if (idx == IOA_POOL_NIL)
			break;
		give(l, ioa__pool_obj_at(p, idx));
	}
	obj = rounds_of(l) ? take(l) : NULL;
	set_mags(c, l, previous_of(c));
	return obj;
}

/* Precondition: this thread's loaded magazine is empty (or the dummy). */
void *ioa__pool_get_slow(ioa_pool_t *p, struct ioa_pool_cache_ *c)
{
	struct ioa_pool_mag_ *l = loaded_of(c), *pv = previous_of(c), *m;
	void *obj;

	sync_in(c);
	if (rounds_of(pv)) { /* previous has objects */
		obj = take(pv);
		set_mags(c, pv, l);
		return obj;
	}
	m = pop_mag(p, &p->full);
	if (m) {
		if (pv != &ioa__pool_dummy_mag)
			push_mag(p, &p->empty, pv);
		obj = take(m);
		set_mags(c, m, l); /* loaded dummy implies previous dummy */
		return obj;
	}
	return fill_loose(p, c);
}

/* A burst of n: if the loaded magazine cannot serve it whole and the
 * previous one can, swap them (true). This thread's cache only. */
bool ioa__pool_swap_for(struct ioa_pool_cache_ *c, size_t n, bool get)
{
	struct ioa_pool_mag_ *pv = previous_of(c);
	size_t have;

	sync_in(c);
	have = get ? rounds_of(pv) : pv->cap - rounds_of(pv);
	if (have < n)
		return false;
	set_mags(c, pv, loaded_of(c));
	return true;
}

/* Precondition: this thread's loaded magazine is full (or the dummy). */
void ioa__pool_put_slow(ioa_pool_t *p, struct ioa_pool_cache_ *c, void *obj)
{
	struct ioa_pool_mag_ *l = loaded_of(c), *pv = previous_of(c), *e;

	sync_in(c);
	if (rounds_of(pv) < pv->cap) { /* previous has room */
		give(pv, obj);
		set_mags(c, pv, l);
		return;
	}
	e = pop_mag(p, &p->empty);
	if (!e) {
		ioa__pool_put_loose(p, obj);
		return;
	}
	if (pv != &ioa__pool_dummy_mag)
		push_mag(p, &p->full, pv);
	give(e, obj);
	set_mags(c, e, l);
}

static void flush_mag(ioa_pool_t *p, struct ioa_pool_mag_ *m)
{
	if (m == &ioa__pool_dummy_mag)
		return;
	if (rounds_of(m) == m->cap) {
		push_mag(p, &p->full, m);
		return;
	}
	while (rounds_of(m))
		ioa__pool_put_loose(p, take(m));
	push_mag(p, &p->empty, m);
}

/* Give a cache's magazines back (its thread is exiting or flushing). */
void ioa__pool_flush_cache(ioa_pool_t *p, struct ioa_pool_cache_ *c)
{
	struct ioa_pool_mag_ *l = loaded_of(c), *pv = previous_of(c);

	sync_in(c);
	set_mags(c, &ioa__pool_dummy_mag, &ioa__pool_dummy_mag);
	flush_mag(p, l);
	flush_mag(p, pv);
}

static size_t count_of(const struct lfstack *s)
{
	int64_t n = (int64_t)atomic_load_explicit(&s->count, RELAXED);

	return n > 0 ? (size_t)n : 0; /* counts lag their stacks by a moment */
}

/* Another thread's loaded rounds, read while it may be changing them: the
 * window can be seen half-updated, so anything outside one magazine counts 0. */
static size_t loaded_rounds(const struct ioa_pool_cache_ *c)
{
	uintptr_t top = __atomic_load_n(&c->top, __ATOMIC_RELAXED);
	uintptr_t base = __atomic_load_n(&c->base, __ATOMIC_RELAXED);
	uintptr_t end = __atomic_load_n(&c->end, __ATOMIC_RELAXED);

	return top >= base && top <= end ? (size_t)(top - base) / sizeof(void *) : 0;
}

size_t ioa__pool_free_count(const ioa_pool_t *p)
{
	size_t n = count_of(&p->full) * p->mag_cap + count_of(&p->objs);

	for (unsigned t = 0; t < p->f.nthreads; t++)
		n += loaded_rounds(ioa__pool_cache(p, t)) + rounds_of(previous_of(ioa__pool_cache(p, t)));
	return n;
}

/* Put chunk k's magazines and objects into the depot: as many full magazines
 * as its objects fill, the rest of the objects loose, the other magazines
 * empty. Called before anything of chunk k can be reached. */
void ioa__pool_depot_init(ioa_pool_t *p, uint32_t k)
{
	struct chunk *ch = &p->chunks[k];
	uint32_t o = 0;

	for (uint32_t i = 0; i < ch->nmag; i++) {
		struct ioa_pool_mag_ *m = (struct ioa_pool_mag_ *)(ch->mags + (size_t)i * p->mag_stride);

		m->cap = p->mag_cap;
		m->self = k << IOA_POOL_IDX_BITS | i;
		m->rounds = 0;
		while (m->rounds < m->cap && ch->nobj - o >= m->cap - m->rounds && o < ch->nobj)
			m->objs[m->rounds++] = ioa__pool_obj_at(p, k << IOA_POOL_IDX_BITS | o++);
		push_mag(p, m->rounds ? &p->full : &p->empty, m);
	}
	for (; o < ch->nobj; o++)
		push(p, &p->objs, obj_link, k << IOA_POOL_IDX_BITS | o);
}
