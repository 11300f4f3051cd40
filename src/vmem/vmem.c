/* SPDX-License-Identifier: MIT */
/*
 * vmem: constrained range allocation (Bonwick & Adams, USENIX 2001; illumos
 * vmem_xalloc).
 *
 * Theory. The space is a set of segments in address order (boundary tags),
 * each free or allocated. Free segments also sit on one of 64 power-of-two
 * free lists per zone: list i holds free runs of [2^i, 2^(i+1)) bytes, and a
 * bitmap says which lists are non-empty. Allocated segments sit in a hash
 * table keyed by start address, so a free finds its segment in O(1) and
 * coalesces with its address neighbours in O(1).
 *
 * Invariants (checked by the tests' model and ioa_vmem_walk):
 *  - segments never overlap and are sorted by start;
 *  - two address-adjacent free segments of one zone never both exist (they
 *    were coalesced);
 *  - a free segment is on exactly the list of its size's highest bit;
 *  - zone free_bytes + allocated bytes in the zone == zone span_bytes.
 *
 * Allocation. Unconstrained requests use instant fit: the first segment of the
 * lowest non-empty list whose every member is large enough (list ceil(log2
 * size)); constant time. A constrained request (align, phase, boundary,
 * window) enumerates cases:
 *   1. lists below the "guaranteed" list: up to 16 segments are tried exactly
 *      (small holes get reused before large runs are split);
 *   2. lists from the guaranteed one up, where any segment wholly inside the
 *      window fits (a run of size + boundary - 1, or size + align - 1, bytes
 *      holds an aligned, boundary-respecting start): usually the first try;
 *   3. only if step 1 ran out of budget: the rest of the lower lists,
 *      exhaustively, so the search never fails while a fit exists.
 * Zones are visited from the highest the window allows, so low zones (ISA,
 * 32-bit) are left for requests that need them. When nothing fits, the import
 * callback is asked for a span that can hold the request, once per call.
 *
 * Locking: one mutex per vmem; the import callback runs under it.
 * Debug: ioa_vmem_walk exposes every segment to verifiers; a free of an
 * unknown address or with a wrong size is refused (-EINVAL), never guessed,
 * and reported through the misuse handler under IOALLOC_DEBUG=owner.
 */
#include "vmem_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "debug/debug.h"

/* 63 segments + the link make one batch 4040 bytes: about one page per batch. */
#define SEGS_PER_BATCH 63
/* Step 1's budget: enough to reuse a hole in a lightly fragmented list, small
 * enough (about 16 cache misses, < 200 ns) to keep constrained calls bounded. */
#define SMALL_LIST_BUDGET 16
/* The hash starts with 256 buckets and grows x4 past 2 allocations per bucket. */
#define HASH_MIN_BUCKETS 256

struct vmem_batch {
	struct vmem_batch *next;
	struct vmem_seg segs[SEGS_PER_BATCH];
};

static unsigned floor_log2(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

static unsigned ceil_log2(uint64_t x)
{
	return x <= 1 ? 0 : floor_log2(x - 1) + 1;
}

static uint64_t seg_last(const struct vmem_seg *s)
{
	return s->start + s->size - 1;
}

/* ---- segment structs -------------------------------------------------- */

static int seg_reserve(ioa_vmem_t *vm, unsigned n)
{
	unsigned have = 0;

	for (struct vmem_seg *s = vm->seg_spare; s && have < n; s = s->fnext)
		have++;
	if (have >= n)
		return 0;
	struct vmem_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->next = vm->batches;
	vm->batches = b;
	vm->nbatches++;
	for (unsigned i = 0; i < SEGS_PER_BATCH; i++) {
		b->segs[i].fnext = vm->seg_spare;
		vm->seg_spare = &b->segs[i];
	}
	return 0;
}

static struct vmem_seg *seg_get(ioa_vmem_t *vm)
{
	struct vmem_seg *s = vm->seg_spare;

	vm->seg_spare = s->fnext;
	memset(s, 0, sizeof(*s));
	return s;
}

static void seg_put(ioa_vmem_t *vm, struct vmem_seg *s)
{
	s->fnext = vm->seg_spare;
	vm->seg_spare = s;
}

/* ---- address list ------------------------------------------------------ */

static void alist_insert_after(ioa_vmem_t *vm, struct vmem_seg *prev, struct vmem_seg *s)
{
	s->aprev = prev;
	s->anext = prev ? prev->anext : vm->seg_head;
	if (s->anext)
		s->anext->aprev = s;
	if (prev)
		prev->anext = s;
	else
		vm->seg_head = s;
}

static void alist_remove(ioa_vmem_t *vm, struct vmem_seg *s)
{
	if (s->aprev)
		s->aprev->anext = s->anext;
	else
		vm->seg_head = s->anext;
	if (s->anext)
		s->anext->aprev = s->aprev;
}

/* ---- free lists -------------------------------------------------------- */

static void flist_insert(ioa_vmem_t *vm, struct vmem_seg *s)
{
	struct vmem_zone *z = &vm->zones[s->zone];
	unsigned i = floor_log2(s->size);

	s->type = SEG_FREE;
	s->fprev = NULL;
	s->fnext = z->lists[i];
	if (s->fnext)
		s->fnext->fprev = s;
	z->lists[i] = s;
	z->freemap |= 1ull << i;
	z->free_bytes += s->size;
	vm->nfree_segs++;
}

static void flist_remove(ioa_vmem_t *vm, struct vmem_seg *s)
{
	struct vmem_zone *z = &vm->zones[s->zone];
	unsigned i = floor_log2(s->size);

	if (s->fprev)
		s->fprev->fnext = s->fnext;
	else
		z->lists[i] = s->fnext;
	if (s->fnext)
		s->fnext->fprev = s->fprev;
	if (!z->lists[i])
		z->freemap &= ~(1ull << i);
	z->free_bytes -= s->size;
	vm->nfree_segs--;
}

/* ---- hash of allocated segments ---------------------------------------- */

static uint64_t hash_slot(const ioa_vmem_t *vm, uint64_t start)
{
	return ((start >> vm->qshift) * 0x9e3779b97f4a7c15ull >> 20) & vm->hash_mask;
}

static void hash_insert_raw(ioa_vmem_t *vm, struct vmem_seg *s)
{
	struct vmem_seg **b = &vm->hash[hash_slot(vm, s->start)];

	s->fnext = *b;
	*b = s;
}

/* Grow the table x4 when it averages more than two per bucket; on malloc
 * failure keep the old one (longer chains, still correct). */
static void hash_maybe_grow(ioa_vmem_t *vm)
{
	uint64_t old_n = vm->hash_mask + 1, n = old_n * 4;
	struct vmem_seg **old = vm->hash, **nh;

	if (vm->nalloc <= 2 * old_n || !(nh = calloc(n, sizeof(*nh))))
		return;
	vm->hash = nh;
	vm->hash_mask = n - 1;
	for (uint64_t i = 0; i < old_n; i++) {
		for (struct vmem_seg *s = old[i], *next; s; s = next) {
			next = s->fnext;
			hash_insert_raw(vm, s);
		}
	}
	free(old);
}

static struct vmem_seg **hash_find(ioa_vmem_t *vm, uint64_t start)
{
	struct vmem_seg **pp = &vm->hash[hash_slot(vm, start)];

	while (*pp && (*pp)->start != start)
		pp = &(*pp)->fnext;
	return pp;
}

/* ---- creation ----------------------------------------------------------- */

IOA_API int ioa_vmem_create(const char *name, uint64_t quantum, ioa_vmem_t **out)
{
	ioa_vmem_t *vm;

	if (!out || !quantum || (quantum & (quantum - 1)))
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->hash = calloc(HASH_MIN_BUCKETS, sizeof(*vm->hash));
	if (!vm->hash) {
		free(vm);
		return -ENOMEM;
	}
	vm->hash_mask = HASH_MIN_BUCKETS - 1;
	vm->quantum = quantum;
	vm->qshift = floor_log2(quantum);
	vm->nzones = 1;
	vm->zones[0].last = UINT64_MAX;
	snprintf(vm->name, sizeof(vm->name), "%s", name ? name : "vmem");
	pthread_mutex_init(&vm->lock, NULL);
	*out = vm;
	return 0;
}

IOA_API void ioa_vmem_destroy(ioa_vmem_t *vm)
{
	if (!vm)
		return;
	while (vm->batches) {
		struct vmem_batch *b = vm->batches;

		vm->batches = b->next;
		free(b);
	}
	free(vm->hash);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

static bool range_ok(uint64_t base, uint64_t size)
{
	return size && base + (size - 1) >= base;
}

IOA_API int ioa_vmem_add_zone(ioa_vmem_t *vm, uint64_t base, uint64_t size)
{
	int r = 0;
	unsigned i;

	if (!vm || !range_ok(base, size))
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	if (vm->seg_head) {
		r = -EINVAL;
	} else if (vm->zoned && vm->nzones == IOA_VMEM_MAX_ZONES) {
		r = -ENOSPC;
	} else {
		unsigned n = vm->zoned ? vm->nzones : 0;

		/* Keep zones sorted by base; refuse overlaps. */
		for (i = 0; i < n && vm->zones[i].base < base; i++)
			;
		if ((i > 0 && vm->zones[i - 1].last >= base) ||
		    (i < n && base + size - 1 >= vm->zones[i].base)) {
			r = -EINVAL;
		} else {
			memmove(&vm->zones[i + 1], &vm->zones[i], (n - i) * sizeof(vm->zones[0]));
			memset(&vm->zones[i], 0, sizeof(vm->zones[0]));
			vm->zones[i].base = base;
			vm->zones[i].last = base + size - 1;
			vm->nzones = n + 1;
			vm->zoned = true;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

static int zone_of(const ioa_vmem_t *vm, uint64_t base, uint64_t last)
{
	for (unsigned i = 0; i < vm->nzones; i++)
		if (base >= vm->zones[i].base && last <= vm->zones[i].last)
			return (int)i;
	return -1;
}

static bool adjacent_free(const struct vmem_seg *a, const struct vmem_seg *b)
{
	return a && b && a->type == SEG_FREE && b->type == SEG_FREE && a->zone == b->zone &&
	       seg_last(a) + 1 == b->start;
}

/* s is a free segment already in the address list but on no free list:
 * merge it with free neighbours, then list it. */
static void coalesce_and_list(ioa_vmem_t *vm, struct vmem_seg *s)
{
	struct vmem_seg *p = s->aprev, *n = s->anext;

	if (adjacent_free(p, s)) {
		flist_remove(vm, p);
		p->size += s->size;
		alist_remove(vm, s);
		seg_put(vm, s);
		s = p;
	}
	if (adjacent_free(s, n)) {
		flist_remove(vm, n);
		s->size += n->size;
		alist_remove(vm, n);
		seg_put(vm, n);
	}
	flist_insert(vm, s);
}

static int add_locked(ioa_vmem_t *vm, uint64_t base, uint64_t size)
{
	uint64_t last = base + size - 1;
	struct vmem_seg *prev = NULL, *s;
	int z = zone_of(vm, base, last);

	if (z < 0 || ((base | size) & (vm->quantum - 1)))
		return -EINVAL;
	for (s = vm->seg_head; s && s->start < base; s = s->anext)
		prev = s;
	if ((prev && seg_last(prev) >= base) || (s && s->start <= last))
		return -EINVAL; /* overlaps an earlier span */
	if (seg_reserve(vm, 1))
		return -ENOMEM;
	s = seg_get(vm);
	s->start = base;
	s->size = size;
	s->zone = (uint8_t)z;
	s->type = SEG_FREE;
	alist_insert_after(vm, prev, s);
	vm->zones[z].span_bytes += size;
	coalesce_and_list(vm, s);
	return 0;
}

IOA_API int ioa_vmem_add(ioa_vmem_t *vm, uint64_t base, uint64_t size)
{
	int r;

	if (!vm || !range_ok(base, size))
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	r = add_locked(vm, base, size);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

IOA_API void ioa_vmem_set_import(ioa_vmem_t *vm, ioa_vmem_import_fn fn, void *arg)
{
	pthread_mutex_lock(&vm->lock);
	vm->import = fn;
	vm->import_arg = arg;
	pthread_mutex_unlock(&vm->lock);
}

/* ---- the fit test -------------------------------------------------------- */

/* A request after validation: align >= quantum, phase < align. */
struct req {
	uint64_t size, phase, align, boundary, min, max;
};

/* Smallest a >= x with a % align == phase; false on overflow. */
static bool align_phase(uint64_t x, uint64_t align, uint64_t phase, uint64_t *a)
{
	uint64_t c = (x & ~(align - 1)) + phase;

	if (c < x) {
		if (c + align < c)
			return false;
		c += align;
	}
	*a = c;
	return true;
}

static bool crosses(uint64_t a, uint64_t size, uint64_t boundary)
{
	return boundary && ((a ^ (a + size - 1)) & ~(boundary - 1));
}

/* Where in free segment s the request fits, if it does. */
static bool seg_fit(const struct vmem_seg *s, const struct req *q, uint64_t *out)
{
	uint64_t lo = s->start > q->min ? s->start : q->min;
	uint64_t hi = seg_last(s) < q->max ? seg_last(s) : q->max;
	uint64_t a;

	if (lo > hi || hi - lo < q->size - 1 || !align_phase(lo, q->align, q->phase, &a))
		return false;
	if (crosses(a, q->size, q->boundary)) {
		uint64_t b = (a | (q->boundary - 1)) + 1;

		if (!b || !align_phase(b, q->align, q->phase, &a) || crosses(a, q->size, q->boundary))
			return false;
	}
	if (a > hi || hi - a < q->size - 1)
		return false;
	*out = a;
	return true;
}

/* Walk lists [from, to) of z in order; try at most *budget segments (NULL:
 * no limit). */
static struct vmem_seg *walk_lists(struct vmem_zone *z, unsigned from, unsigned to,
				   const struct req *q, unsigned *budget, uint64_t *at)
{
	for (unsigned i = from; i < to; i++) {
		if (!(z->freemap & (1ull << i)))
			continue;
		for (struct vmem_seg *s = z->lists[i]; s; s = s->fnext) {
			if (budget && (*budget)-- == 0)
				return NULL;
			if (seg_fit(s, q, at))
				return s;
		}
	}
	return NULL;
}

/* Instant fit: the head of the lowest list whose members all hold size. */
static struct vmem_seg *instant_fit(struct vmem_zone *z, const struct req *q, uint64_t *at)
{
	unsigned want = ceil_log2(q->size);
	uint64_t mask = want < 64 ? z->freemap & (~0ull << want) : 0;
	struct vmem_seg *s;

	if (mask) {
		s = z->lists[__builtin_ctzll(mask)];
		*at = s->start;
		return s;
	}
	/* Only list floor(log2 size) can still hold it: first fit there. */
	return walk_lists(z, floor_log2(q->size), floor_log2(q->size) + 1, q, NULL, at);
}

static struct vmem_seg *zone_find(ioa_vmem_t *vm, struct vmem_zone *z, const struct req *q,
				  uint64_t *at)
{
	bool inside = q->min <= z->base && q->max >= z->last;
	uint64_t slack, guaranteed;
	unsigned lo = floor_log2(q->size), gi, budget = SMALL_LIST_BUDGET;
	struct vmem_seg *s;

	if (inside && q->align == vm->quantum && !q->phase && !q->boundary)
		return instant_fit(z, q, at);
	slack = q->boundary && q->align < q->boundary ? q->boundary : q->align;
	guaranteed = q->size + slack + q->phase - vm->quantum;
	gi = guaranteed < q->size ? 64 : ceil_log2(guaranteed); /* overflow: none */
	if (gi > 64)
		gi = 64;
	s = walk_lists(z, lo, gi, q, &budget, at);                  /* case 1 */
	if (!s)
		s = walk_lists(z, gi, VMEM_NLISTS, q, NULL, at);      /* case 2 */
	if (!s && budget == UINT32_MAX)
		s = walk_lists(z, lo, gi, q, NULL, at);               /* case 3 */
	return s;
}

static struct vmem_seg *find_fit(ioa_vmem_t *vm, const struct req *q, uint64_t *at)
{
	for (unsigned i = vm->nzones; i-- > 0;) {
		struct vmem_zone *z = &vm->zones[i];
		struct vmem_seg *s;

		if (!z->freemap || z->last < q->min || z->base > q->max)
			continue;
		s = zone_find(vm, z, q, at);
		if (s)
			return s;
	}
	return NULL;
}

/* Turn [at, at + size) of free segment s into an allocation. Two spare
 * segment structs must be reserved. */
static void carve(ioa_vmem_t *vm, struct vmem_seg *s, uint64_t at, uint64_t size, uintptr_t tag)
{
	flist_remove(vm, s);
	if (at > s->start) {
		struct vmem_seg *left = seg_get(vm);

		left->start = s->start;
		left->size = at - s->start;
		left->zone = s->zone;
		alist_insert_after(vm, s->aprev, left);
		flist_insert(vm, left);
		s->start = at;
		s->size -= left->size;
	}
	if (s->size > size) {
		struct vmem_seg *right = seg_get(vm);

		right->start = at + size;
		right->size = s->size - size;
		right->zone = s->zone;
		alist_insert_after(vm, s, right);
		flist_insert(vm, right);
		s->size = size;
	}
	s->type = SEG_ALLOC;
	s->tag = tag;
	hash_insert_raw(vm, s);
	vm->nalloc++;
	vm->alloc_bytes += size;
	hash_maybe_grow(vm);
}

static int import_locked(ioa_vmem_t *vm, const struct req *q, const struct ioa_constraint *c)
{
	uint64_t need = q->size + (q->boundary ? q->boundary : q->align) + q->phase, base, len;
	int r;

	if (need < q->size)
		need = q->size;
	need = (need + vm->quantum - 1) & ~(vm->quantum - 1);
	r = vm->import(vm->import_arg, need, c, &base, &len);
	if (r)
		return r;
	r = add_locked(vm, base, len);
	if (!r)
		vm->imports++;
	return r;
}

static int make_req(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
		    const struct ioa_constraint *c, struct req *q)
{
	if (!vm || !size || ioa_constraint_check(c))
		return -EINVAL;
	q->size = (size + vm->quantum - 1) & ~(vm->quantum - 1);
	q->align = c->align > vm->quantum ? c->align : vm->quantum;
	q->phase = phase;
	q->boundary = c->boundary;
	q->min = c->min_addr;
	q->max = c->max_addr;
	if (q->size < size || phase >= q->align || (phase & (vm->quantum - 1)))
		return -EINVAL;
	if ((q->boundary && q->size > q->boundary) || q->size - 1 > q->max - q->min)
		return -EINVAL;
	return 0;
}

int ioa__vmem_validate(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
		       const struct ioa_constraint *c)
{
	struct req q;

	return make_req(vm, size, phase, c, &q);
}

int ioa__vmem_xalloc_tag(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
			 const struct ioa_constraint *c, uintptr_t tag, uint64_t *addr)
{
	struct req q;
	struct vmem_seg *s;
	uint64_t at = 0;
	int r = make_req(vm, size, phase, c, &q);

	if (r || !addr)
		return r ? r : -EINVAL;
	pthread_mutex_lock(&vm->lock);
	r = seg_reserve(vm, 2);
	if (!r) {
		s = find_fit(vm, &q, &at);
		if (!s && vm->import && import_locked(vm, &q, c) == 0 && seg_reserve(vm, 2) == 0)
			s = find_fit(vm, &q, &at);
		if (s)
			carve(vm, s, at, q.size, tag);
		r = s ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&vm->lock);
	if (!r)
		*addr = at;
	return r;
}

IOA_API int ioa_vmem_xalloc(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
			    const struct ioa_constraint *c, uint64_t *addr)
{
	return ioa__vmem_xalloc_tag(vm, size, phase, c, 0, addr);
}

IOA_API int ioa_vmem_alloc(ioa_vmem_t *vm, uint64_t size, uint64_t *addr)
{
	struct ioa_constraint any;

	ioa_constraint_init(&any);
	return ioa__vmem_xalloc_tag(vm, size, 0, &any, 0, addr);
}

/* ---- free ------------------------------------------------------------------ */

int ioa__vmem_free_checked(ioa_vmem_t *vm, uint64_t addr, uint64_t size, uintptr_t tag,
			   struct vmem_found *found)
{
	struct vmem_seg **pp, *s;
	int r = 0;

	if (!vm)
		return -EINVAL;
	size = (size + vm->quantum - 1) & ~(vm->quantum - 1);
	pthread_mutex_lock(&vm->lock);
	pp = hash_find(vm, addr);
	s = *pp;
	if (!s)
		r = -ENOENT;
	else if (s->size != size)
		r = -EINVAL;
	else if (tag && s->tag != tag)
		r = -EACCES;
	if (s && found) {
		found->size = s->size;
		found->tag = s->tag;
	}
	if (!r) {
		*pp = s->fnext;
		vm->nalloc--;
		vm->alloc_bytes -= s->size;
		s->tag = 0;
		s->type = SEG_FREE;
		coalesce_and_list(vm, s);
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

IOA_API int ioa_vmem_free(ioa_vmem_t *vm, uint64_t addr, uint64_t size)
{
	struct vmem_found f = {0, 0};
	int r = ioa__vmem_free_checked(vm, addr, size, 0, &f);
	char obj[48];

	if (r && vm && (ioa__debug_env() & IOA_DBG_OWNER)) { /* IOALLOC_DEBUG=owner */
		snprintf(obj, sizeof(obj), "vmem '%s'", vm->name);
		if (r == -ENOENT)
			ioa__misuse("ioa_vmem_free", obj, "frees 0x%llx (%llu bytes), which was never "
				    "allocated or is already free", (unsigned long long)addr,
				    (unsigned long long)size);
		else
			ioa__misuse("ioa_vmem_free", obj, "frees 0x%llx with a different size "
				    "[allocated %llu] [freed %llu]", (unsigned long long)addr,
				    (unsigned long long)f.size, (unsigned long long)size);
	}
	return r == -ENOENT ? -EINVAL : r;
}

int ioa__vmem_lookup(ioa_vmem_t *vm, uint64_t addr, struct vmem_found *found)
{
	struct vmem_seg *s;

	pthread_mutex_lock(&vm->lock);
	s = *hash_find(vm, addr);
	if (s && found) {
		found->size = s->size;
		found->tag = s->tag;
	}
	pthread_mutex_unlock(&vm->lock);
	return s ? 0 : -ENOENT;
}

/* ---- introspection ----------------------------------------------------------- */

static uint64_t zone_largest(const struct vmem_zone *z)
{
	uint64_t best = 0;

	if (!z->freemap)
		return 0;
	for (struct vmem_seg *s = z->lists[floor_log2(z->freemap)]; s; s = s->fnext)
		if (s->size > best)
			best = s->size;
	return best;
}

IOA_API int ioa_vmem_stats(ioa_vmem_t *vm, struct ioa_vmem_stats *st)
{
	if (!vm || !st || st->size != sizeof(*st))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nzones; i++) {
		const struct vmem_zone *z = &vm->zones[i];
		struct ioa_vmem_zone_stats *zs = &st->zones[i];

		zs->base = z->base;
		zs->size = z->last - z->base + 1; /* 0 for the unzoned "everything" */
		zs->span_bytes = z->span_bytes;
		zs->free_bytes = z->free_bytes;
		zs->largest_free = zone_largest(z);
		st->span_bytes += z->span_bytes;
		st->free_bytes += z->free_bytes;
	}
	st->nzones = vm->nzones;
	st->alloc_bytes = vm->alloc_bytes;
	st->alloc_segs = vm->nalloc;
	st->free_segs = vm->nfree_segs;
	st->imports = vm->imports;
	st->meta_bytes = sizeof(*vm) + vm->nbatches * sizeof(struct vmem_batch) +
			 (vm->hash_mask + 1) * sizeof(*vm->hash);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

IOA_API int ioa_vmem_walk(ioa_vmem_t *vm,
			  int (*fn)(void *arg, uint64_t start, uint64_t size, int allocated),
			  void *arg)
{
	int r = 0;

	if (!vm || !fn)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	for (struct vmem_seg *s = vm->seg_head; s && !r; s = s->anext)
		r = fn(arg, s->start, s->size, s->type == SEG_ALLOC);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int ioa__vmem_walk_tags(ioa_vmem_t *vm,
			int (*fn)(void *arg, uint64_t start, uint64_t size, uintptr_t tag),
			void *arg)
{
	int r = 0;

	pthread_mutex_lock(&vm->lock);
	for (struct vmem_seg *s = vm->seg_head; s && !r; s = s->anext)
		if (s->type == SEG_ALLOC)
			r = fn(arg, s->start, s->size, s->tag);
	pthread_mutex_unlock(&vm->lock);
	return r;
}
