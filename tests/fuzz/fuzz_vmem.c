/* SPDX-License-Identifier: MIT */
/*
 * vmem operation sequences against a model.
 *
 * The model is the address space cut into NUNITS quanta, each outside every
 * span, free, or held by one allocation, plus the zone of each quantum. The
 * space sits at a base the input picks - 0, 1 MiB, just under 4 GiB, or
 * ending at 2^64 - 1 - so overflow at the top of the address space is
 * exercised too. Every call's result is checked:
 *  - add / add_zone succeed exactly when the model says the range is new,
 *    aligned and inside one zone;
 *  - an allocation lands on free quanta of one zone and honours its
 *    constraint (align + phase, window, boundary);
 *  - xalloc is -EINVAL exactly when the request is malformed, and -ENOMEM
 *    only when a brute-force search of the model finds no place at all (the
 *    promise "never fails while a fit exists");
 *  - a free succeeds exactly for a live allocation and its size (rounded to
 *    the quantum), and a refused free changes nothing;
 *  - ioa_vmem_walk shows exactly the model's allocations and maximal free
 *    runs, and ioa_vmem_stats its byte counts and largest runs per zone.
 */
#include <errno.h>
#include <ioalloc/vmem.h>

#include "fuzz.h"

#define NUNITS 256
#define MAX_ALLOCS 64
#define MAX_OPS 400

enum { OUT = -1, FREE = 0 }; /* unit state; > 0: allocation id + 1 */

struct alloc {
	uint64_t addr, size; /* size: as asked */
	unsigned first, n;   /* units */
	bool live;
};

struct model {
	ioa_vmem_t *vm;
	uint64_t q, base;
	int state[NUNITS];
	int zone[NUNITS];    /* zone index, -1 outside every zone */
	unsigned nzones;
	struct { unsigned first, end; } zones[3];
	bool zoned;
	struct alloc a[MAX_ALLOCS];
	unsigned na;
};

static uint64_t unit_addr(const struct model *m, unsigned u)
{
	return m->base + (uint64_t)u * m->q;
}

/* ---- set-up ------------------------------------------------------------------- */

static void setup(struct model *m, struct in *in)
{
	static const unsigned zone_splits[3][4] = {{0, 256}, {0, 64, 256}, {0, 16, 100, 256}};
	uint8_t sel = take8(in);

	memset(m, 0, sizeof(*m));
	m->q = 1ull << (sel % 13); /* 1 B .. 4 KiB */
	switch ((sel >> 4) & 3) {
	case 0: m->base = 0; break;
	case 1: m->base = 0x100000; break;
	case 2: m->base = (1ull << 32) - 64 * m->q; break;
	default: m->base = 0 - (uint64_t)NUNITS * m->q; break; /* last unit ends at 2^64 - 1 */
	}
	CHECK(ioa_vmem_create("fuzz", m->q, &m->vm) == 0, "create");
	for (unsigned u = 0; u < NUNITS; u++) {
		m->state[u] = OUT;
		m->zone[u] = 0;
	}
	m->zoned = sel & 0x40;
	if (!m->zoned) {
		m->nzones = 1; /* everything */
		return;
	}
	/* 1-3 zones; with bit 7 the first zone leaves a gap below it. */
	const unsigned *cut = zone_splits[take8(in) % 3];
	unsigned gap = (sel & 0x80) ? 8 : 0;

	for (unsigned u = 0; u < NUNITS; u++)
		m->zone[u] = -1;
	for (unsigned z = 0; cut[z + 1]; z++) {
		unsigned first = cut[z] + (z == 0 ? gap : 0), end = cut[z + 1];

		CHECK(ioa_vmem_add_zone(m->vm, unit_addr(m, first), (uint64_t)(end - first) * m->q) == 0,
		      "zone %u", z);
		m->zones[z].first = first;
		m->zones[z].end = end;
		for (unsigned u = first; u < end; u++)
			m->zone[u] = (int)z;
		m->nzones++;
		if (end == NUNITS)
			break;
	}
}

/* ---- operations -------------------------------------------------------------- */

static void op_add(struct model *m, struct in *in)
{
	unsigned first = take8(in) % NUNITS, n = 1 + take8(in) % 48;
	uint64_t skew = take8(in) % 8 == 0 && m->q > 1 ? 1 : 0; /* misaligned: refused */
	bool ok = !skew;
	int r;

	if (first + n > NUNITS)
		n = NUNITS - first; /* stay inside the modelled space */
	for (unsigned u = first; u < first + n; u++)
		ok = ok && m->state[u] == OUT && m->zone[u] >= 0 && m->zone[u] == m->zone[first];
	r = ioa_vmem_add(m->vm, unit_addr(m, first) + skew, (uint64_t)n * m->q);
	CHECK(r == (ok ? 0 : -EINVAL), "add units %u+%u (skew %llu): %d, model says %s", first, n,
	      ULL(skew), r, ok ? "ok" : "refuse");
	for (unsigned u = first; r == 0 && u < first + n; u++)
		m->state[u] = FREE;
}

static bool constraint_fits(const struct ioa_constraint *c, uint64_t align, uint64_t phase,
			    uint64_t a, uint64_t size)
{
	uint64_t last = a + size - 1;

	if (last < a || a < c->min_addr || last > c->max_addr || a % align != phase)
		return false;
	return !c->boundary || a / c->boundary == last / c->boundary;
}

/* Free quanta [first, first + n) all in one zone. */
static bool units_free(const struct model *m, unsigned first, unsigned n)
{
	if (first + n > NUNITS)
		return false;
	for (unsigned u = first; u < first + n; u++)
		if (m->state[u] != FREE || m->zone[u] != m->zone[first])
			return false;
	return true;
}

static unsigned addr_unit(const struct model *m, uint64_t a, bool *inside)
{
	uint64_t off = a - m->base;

	*inside = off % m->q == 0 && off / m->q < NUNITS;
	return (unsigned)(off / m->q);
}

static void took(struct model *m, uint64_t addr, uint64_t size, unsigned n)
{
	bool inside;
	unsigned first = addr_unit(m, addr, &inside);
	unsigned id = m->na;

	CHECK(inside, "allocation at 0x%llx outside the modelled space", ULL(addr));
	CHECK(units_free(m, first, n), "allocation 0x%llx+%u units overlaps or crosses a zone",
	      ULL(addr), n);
	if (id == MAX_ALLOCS) { /* table full: reuse a dead slot */
		for (id = 0; id < MAX_ALLOCS && m->a[id].live; id++)
			;
		CHECK(id < MAX_ALLOCS, "allocation table full");
	} else {
		m->na++;
	}
	m->a[id] = (struct alloc){addr, size, first, n, true};
	for (unsigned u = first; u < first + n; u++)
		m->state[u] = (int)id + 1;
}

static unsigned live_count(const struct model *m)
{
	unsigned k = 0;

	for (unsigned i = 0; i < m->na; i++)
		k += m->a[i].live;
	return k;
}

static void op_alloc(struct model *m, struct in *in)
{
	uint64_t size = 1 + take16(in) % (40 * m->q), addr = 0;
	unsigned n = (unsigned)((size + m->q - 1) / m->q);
	bool any = false;
	int r;

	if (live_count(m) == MAX_ALLOCS)
		return;
	r = ioa_vmem_alloc(m->vm, size, &addr);
	for (unsigned u = 0; u < NUNITS && !any; u++)
		any = units_free(m, u, n);
	if (r == 0)
		took(m, addr, size, n);
	else
		CHECK(r == -ENOMEM && !any, "alloc %llu: %d although a fit exists", ULL(size), r);
}

/* A constraint from the input: mostly sensible, sometimes malformed. */
static void make_constraint(const struct model *m, struct in *in, struct ioa_constraint *c,
			    uint64_t *phase)
{
	uint8_t sel = take8(in), w = take8(in);
	uint64_t lo = take8(in), hi = take8(in);

	ioa_constraint_init(c);
	c->align = sel & 1 ? 1ull << (take8(in) % 20) : 1;
	if (sel % 29 == 5)
		c->align = 3 * c->align;                  /* not a power of two */
	if (sel & 2)
		c->boundary = m->q << (take8(in) % 8);
	if (sel % 31 == 7)
		c->boundary = c->boundary ? c->boundary + 1 : 0;
	if (sel & 4) {
		c->min_addr = unit_addr(m, (unsigned)lo) + (w & 1 ? take8(in) : 0);
		c->max_addr = unit_addr(m, (unsigned)hi) + (w & 2 ? take8(in) : 0) - (w & 4 ? 1 : 0);
	}
	if (sel % 37 == 11)
		c->size = 0;                              /* an unknown struct size */
	*phase = 0;
	if (sel & 8) {
		uint64_t a = c->align > m->q ? c->align : m->q;

		*phase = (take8(in) * m->q) % a;
		if (sel & 16)
			*phase += 1;                      /* off quantum or >= align */
	}
}

/* Malformed, by the rules of ioa_vmem_xalloc(3), written out independently. */
static bool malformed(const struct model *m, const struct ioa_constraint *c, uint64_t size,
		      uint64_t phase)
{
	uint64_t rsize = (size + m->q - 1) & ~(m->q - 1), align;

	if (c->size != sizeof(*c) || !c->align || (c->align & (c->align - 1)))
		return true;
	if ((c->boundary & (c->boundary - 1)) || c->min_addr > c->max_addr)
		return true;
	if (!size || rsize < size)
		return true;
	align = c->align > m->q ? c->align : m->q;
	if (phase >= align || phase % m->q)
		return true;
	if (c->boundary && rsize > c->boundary)
		return true;
	return rsize - 1 > c->max_addr - c->min_addr;
}

static void op_xalloc(struct model *m, struct in *in)
{
	struct ioa_constraint c;
	uint64_t phase, size = 1 + take16(in) % (24 * m->q), addr = 0, align;
	unsigned n = (unsigned)((size + m->q - 1) / m->q);
	bool bad;
	int r;

	make_constraint(m, in, &c, &phase);
	if (live_count(m) == MAX_ALLOCS)
		return;
	bad = malformed(m, &c, size, phase);
	r = ioa_vmem_xalloc(m->vm, size, phase, &c, &addr);
	if (bad) {
		CHECK(r == -EINVAL, "xalloc %llu phase %llu align %llu boundary 0x%llx window "
		      "[0x%llx, 0x%llx]: %d, model says malformed", ULL(size), ULL(phase),
		      ULL(c.align), ULL(c.boundary), ULL(c.min_addr), ULL(c.max_addr), r);
		return;
	}
	align = c.align > m->q ? c.align : m->q;
	if (r == 0) {
		CHECK(constraint_fits(&c, align, phase, addr, n * m->q),
		      "xalloc gave 0x%llx+%llu outside its constraint", ULL(addr), ULL(size));
		took(m, addr, size, n);
		return;
	}
	CHECK(r == -ENOMEM, "xalloc: %d", r);
	for (unsigned u = 0; u < NUNITS; u++)
		CHECK(!units_free(m, u, n) ||
			      !constraint_fits(&c, align, phase, unit_addr(m, u), n * m->q),
		      "xalloc %llu (align %llu phase %llu boundary 0x%llx window [0x%llx, 0x%llx]) "
		      "failed but unit %u fits", ULL(size), ULL(align), ULL(phase), ULL(c.boundary),
		      ULL(c.min_addr), ULL(c.max_addr), u);
}

static struct alloc *pick_live(struct model *m, struct in *in)
{
	unsigned k = live_count(m), i = 0, want;

	if (!k)
		return NULL;
	want = take8(in) % k;
	for (;; i++)
		if (m->a[i].live && want-- == 0)
			return &m->a[i];
}

static void release(struct model *m, struct alloc *a)
{
	for (unsigned u = a->first; u < a->first + a->n; u++)
		m->state[u] = FREE;
	a->live = false;
}

static void op_free(struct model *m, struct in *in)
{
	struct alloc *a = pick_live(m, in);
	uint64_t size;

	if (!a)
		return;
	/* Any size that rounds to the same quanta is the allocation's size. */
	size = (uint64_t)a->n * m->q - take8(in) % m->q;
	CHECK(ioa_vmem_free(m->vm, a->addr, size) == 0, "free 0x%llx size %llu", ULL(a->addr),
	      ULL(size));
	release(m, a);
}

/* A free that is usually wrong (wrong size, interior, double, never
 * allocated); the model says whether it is in fact right. */
static void op_bad_free(struct model *m, struct in *in)
{
	uint8_t how = take8(in);
	struct alloc *a = pick_live(m, in);
	uint64_t addr, size;
	struct alloc *hit = NULL;
	bool inside;
	unsigned u;
	int r;

	if (a && how % 3 == 0) {          /* wrong size */
		addr = a->addr;
		size = (uint64_t)(a->n + 1 + how % 5) * m->q;
	} else if (a && how % 3 == 1) {   /* interior (or the next block) */
		addr = a->addr + 1 + how % (a->n * m->q);
		size = a->size;
	} else {                          /* anywhere: free, dead or live */
		addr = unit_addr(m, take8(in));
		size = 1 + take8(in) % (4 * m->q);
	}
	u = addr_unit(m, addr, &inside);
	if (inside && m->state[u] > 0 && m->a[m->state[u] - 1].addr == addr &&
	    (size + m->q - 1) / m->q == m->a[m->state[u] - 1].n)
		hit = &m->a[m->state[u] - 1];
	r = ioa_vmem_free(m->vm, addr, size);
	CHECK(r == (hit ? 0 : -EINVAL), "free 0x%llx size %llu: %d, model says %s", ULL(addr),
	      ULL(size), r, hit ? "ok" : "refuse");
	if (hit)
		release(m, hit);
}

/* ---- whole-state checks ------------------------------------------------------- */

struct walk {
	const struct model *m;
	unsigned next; /* next unit expected */
	bool ok;
	char why[160];
};

/* Length of the maximal run of units starting at u with the same state
 * (free runs stop at zone lines: zones never coalesce). */
static unsigned run_len(const struct model *m, unsigned u)
{
	unsigned e = u + 1;

	while (e < NUNITS && m->state[e] == m->state[u] &&
	       (m->state[u] != FREE || m->zone[e] == m->zone[u]))
		e++;
	return e - u;
}

static unsigned next_in_span(const struct model *m, unsigned u)
{
	while (u < NUNITS && m->state[u] == OUT)
		u++;
	return u;
}

static int walk_one(void *arg, uint64_t start, uint64_t size, int allocated)
{
	struct walk *w = arg;
	const struct model *m = w->m;
	unsigned u = next_in_span(m, w->next), n;

	if (!w->ok)
		return 1;
	if (u >= NUNITS) {
		snprintf(w->why, sizeof(w->why), "segment 0x%llx beyond the model", ULL(start));
		return w->ok = false, 1;
	}
	n = m->state[u] > 0 ? m->a[m->state[u] - 1].n : run_len(m, u);
	if (start != unit_addr(m, u) || size != n * m->q || allocated != (m->state[u] > 0)) {
		snprintf(w->why, sizeof(w->why), "segment 0x%llx+%llu %s, model 0x%llx+%llu %s",
			 ULL(start), ULL(size), allocated ? "alloc" : "free", ULL(unit_addr(m, u)),
			 ULL(n * m->q), m->state[u] > 0 ? "alloc" : "free");
		return w->ok = false, 1;
	}
	w->next = u + n;
	return 0;
}

static void check_state(const struct model *m)
{
	struct walk w = {m, 0, true, ""};
	struct ioa_vmem_stats st = {.size = sizeof(st)};
	uint64_t span = 0, used = 0, nalloc = 0, nfree = 0, zfree[3] = {0}, zbig[3] = {0};

	ioa_vmem_walk(m->vm, walk_one, &w);
	CHECK(w.ok, "walk: %s", w.why);
	CHECK(next_in_span(m, w.next) == NUNITS, "walk ended early at unit %u", w.next);
	for (unsigned u = 0; u < NUNITS;) {
		unsigned n;

		if (m->state[u] == OUT) {
			u++;
			continue;
		}
		n = m->state[u] > 0 ? m->a[m->state[u] - 1].n : run_len(m, u);
		span += n * m->q;
		if (m->state[u] > 0) {
			used += n * m->q;
			nalloc++;
		} else {
			int z = m->zoned ? m->zone[u] : 0;

			nfree++;
			zfree[z] += n * m->q;
			zbig[z] = n * m->q > zbig[z] ? n * m->q : zbig[z];
		}
		u += n;
	}
	CHECK(ioa_vmem_stats(m->vm, &st) == 0, "stats");
	CHECK(st.span_bytes == span && st.alloc_bytes == used && st.free_bytes == span - used,
	      "stats bytes %llu/%llu/%llu, model %llu/%llu", ULL(st.span_bytes), ULL(st.alloc_bytes),
	      ULL(st.free_bytes), ULL(span), ULL(used));
	CHECK(st.alloc_segs == nalloc && st.free_segs == nfree, "stats segs %llu/%llu, model "
	      "%llu/%llu", ULL(st.alloc_segs), ULL(st.free_segs), ULL(nalloc), ULL(nfree));
	CHECK(st.nzones == m->nzones, "zones %u, model %u", st.nzones, m->nzones);
	for (unsigned z = 0; z < m->nzones; z++)
		CHECK(st.zones[z].free_bytes == zfree[z] && st.zones[z].largest_free == zbig[z],
		      "zone %u free %llu largest %llu, model %llu %llu", z,
		      ULL(st.zones[z].free_bytes), ULL(st.zones[z].largest_free), ULL(zfree[z]),
		      ULL(zbig[z]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	static struct model m;

	setup(&m, &in);
	for (unsigned op = 0; op < MAX_OPS && in.n; op++) {
		switch (take8(&in) % 8) {
		case 0: op_add(&m, &in); break;
		case 1: op_alloc(&m, &in); break;
		case 2: case 3: op_xalloc(&m, &in); break;
		case 4: case 5: op_free(&m, &in); break;
		case 6: op_bad_free(&m, &in); break;
		default: check_state(&m); break;
		}
	}
	/* Zones cannot be declared once space exists. */
	if (next_in_span(&m, 0) < NUNITS)
		CHECK(ioa_vmem_add_zone(m.vm, 0, 1) == -EINVAL, "zone after spans accepted");
	check_state(&m);
	for (unsigned i = 0; i < m.na; i++)
		if (m.a[i].live) {
			CHECK(ioa_vmem_free(m.vm, m.a[i].addr, m.a[i].size) == 0, "final free");
			release(&m, &m.a[i]);
		}
	check_state(&m);
	ioa_vmem_destroy(m.vm);
	return 0;
}
