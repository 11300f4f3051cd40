/* SPDX-License-Identifier: MIT */
/*
 * vmem against a brute-force model: for every constraint combination on a
 * small space, the allocator succeeds exactly when some placement exists, and
 * what it returns honours the constraint and was free. Randomised alloc/free
 * sequences (fixed seeds) keep the interval set exact; freeing everything
 * restores the initial free map. Bad input changes nothing.
 */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/vmem.h>

#define SPACE 512 /* model units (quantum 1) */

struct model {
	uint8_t used[SPACE];
	uint8_t exists[SPACE];
};

static bool model_free_range(const struct model *m, uint64_t a, uint64_t size)
{
	for (uint64_t i = a; i < a + size; i++)
		if (i >= SPACE || !m->exists[i] || m->used[i])
			return false;
	return true;
}

/* c honoured except that the start is phase (not 0) modulo c->align. */
static bool fits_phase(const struct ioa_constraint *c, uint64_t a, uint64_t size, uint64_t phase)
{
	struct ioa_constraint loose = *c;

	loose.align = 1;
	return a % c->align == phase && ioa_constraint_fits(&loose, a, size);
}

static bool model_any_fit(const struct model *m, uint64_t size, uint64_t phase,
			  const struct ioa_constraint *c)
{
	for (uint64_t a = 0; a + size <= SPACE; a++)
		if (fits_phase(c, a, size, phase) && model_free_range(m, a, size))
			return true;
	return false;
}

static void model_mark(struct model *m, uint64_t a, uint64_t size, uint8_t v)
{
	for (uint64_t i = a; i < a + size; i++)
		m->used[i] = v;
}

/* Spans [8, 200) in zone [0, 256) and [300, 500) in zone [256, 512). */
static ioa_vmem_t *make_space(struct model *m)
{
	ioa_vmem_t *vm;

	memset(m, 0, sizeof(*m));
	assert_int_equal(ioa_vmem_create("test", 1, &vm), 0);
	assert_int_equal(ioa_vmem_add_zone(vm, 0, 256), 0);
	assert_int_equal(ioa_vmem_add_zone(vm, 256, 256), 0);
	assert_int_equal(ioa_vmem_add(vm, 8, 192), 0);
	assert_int_equal(ioa_vmem_add(vm, 300, 200), 0);
	memset(m->exists + 8, 1, 192);
	memset(m->exists + 300, 1, 200);
	return vm;
}

/* Punch a fixed pattern of holes so searches meet fragmentation. */
static void fragment(ioa_vmem_t *vm, struct model *m, uint64_t *addrs, int *n)
{
	struct ioa_constraint any;
	uint64_t a;

	ioa_constraint_init(&any);
	*n = 0;
	while (ioa_vmem_xalloc(vm, 3, 0, &any, &a) == 0) {
		model_mark(m, a, 3, 1);
		addrs[(*n)++] = a;
	}
	for (int i = 0; i < *n; i += 3) {
		assert_int_equal(ioa_vmem_free(vm, addrs[i], 3), 0);
		model_mark(m, addrs[i], 3, 0);
	}
}

static void check_one(ioa_vmem_t *vm, struct model *m, uint64_t size, uint64_t phase,
		      const struct ioa_constraint *c)
{
	bool expect = model_any_fit(m, size, phase, c);
	uint64_t a = ~0ull;
	int r = ioa_vmem_xalloc(vm, size, phase, c, &a);

	if (!expect) {
		assert_int_equal(r, -ENOMEM);
		return;
	}
	assert_int_equal(r, 0);
	assert_true(fits_phase(c, a, size, phase));
	assert_true(model_free_range(m, a, size));
	assert_int_equal(ioa_vmem_free(vm, a, size), 0);
}

static void every_constraint_matches_brute_force(void **state)
{
	static const uint64_t aligns[] = {1, 2, 4, 16, 64};
	static const uint64_t bounds[] = {0, 8, 16, 64, 256};
	static const uint64_t mins[] = {0, 5, 130, 300, 333};
	static const uint64_t maxs[] = {20, 199, 255, 420, SPACE + 100};
	struct model m;
	uint64_t holes[SPACE];
	int nholes;
	long checks = 0;

	(void)state;
	for (int frag = 0; frag < 2; frag++) {
		ioa_vmem_t *vm = make_space(&m);

		if (frag)
			fragment(vm, &m, holes, &nholes);
		for (uint64_t size = 1; size <= 70; size += (size < 8 ? 1 : 7))
			for (unsigned ai = 0; ai < 5; ai++)
				for (unsigned bi = 0; bi < 5; bi++)
					for (unsigned mi = 0; mi < 5; mi++)
						for (unsigned xi = 0; xi < 5; xi++) {
							struct ioa_constraint c;
							uint64_t phase = aligns[ai] > 2 ? aligns[ai] / 2 : 0;

							ioa_constraint_init(&c);
							c.align = aligns[ai];
							c.boundary = bounds[bi];
							c.min_addr = mins[mi];
							c.max_addr = maxs[xi];
							if ((c.boundary && size > c.boundary) ||
							    c.min_addr > c.max_addr ||
							    size - 1 > c.max_addr - c.min_addr)
								continue;
							check_one(vm, &m, size, 0, &c);
							check_one(vm, &m, size, phase, &c);
							checks += 2;
						}
		ioa_vmem_destroy(vm);
	}
	assert_true(checks > 10000);
}

struct walk_state {
	const struct model *m;
	uint64_t next, free_runs;
};

/* Segments are sorted, disjoint, agree with the model, and free runs are
 * maximal (no two adjacent free segments in one zone). */
static int walk_check(void *arg, uint64_t start, uint64_t size, int allocated)
{
	struct walk_state *w = arg;

	assert_true(start >= w->next);
	for (uint64_t i = start; i < start + size; i++) {
		assert_true(w->m->exists[i]);
		assert_int_equal(w->m->used[i], allocated ? 1 : 0);
	}
	if (!allocated)
		w->free_runs++;
	w->next = start + size;
	return 0;
}

static void random_sequences_keep_the_interval_set(void **state)
{
	struct ioa_constraint any;

	(void)state;
	ioa_constraint_init(&any);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct model m;
		ioa_vmem_t *vm = make_space(&m);
		uint64_t live_a[256], live_s[256], rng = seed;
		int n = 0;

		for (int step = 0; step < 4000; step++) {
			uint64_t r = ioa_test_rand(&rng);

			if (n && (r & 3) == 0) {
				int k = (int)((r >> 8) % (uint64_t)n);

				assert_int_equal(ioa_vmem_free(vm, live_a[k], live_s[k]), 0);
				model_mark(&m, live_a[k], live_s[k], 0);
				live_a[k] = live_a[--n];
				live_s[k] = live_s[n];
			} else if (n < 256) {
				struct ioa_constraint c = any;
				uint64_t size = 1 + (r >> 8) % 24, a;

				c.align = 1ull << ((r >> 16) % 4);
				c.boundary = (r >> 20) & 1 ? 32 : 0;
				c.max_addr = (r >> 21) & 1 ? 255 : UINT64_MAX;
				bool can = model_any_fit(&m, size, 0, &c);
				int rc = ioa_vmem_xalloc(vm, size, 0, &c, &a);

				assert_int_equal(rc, can ? 0 : -ENOMEM);
				if (rc == 0) {
					assert_true(ioa_constraint_fits(&c, a, size));
					assert_true(model_free_range(&m, a, size));
					model_mark(&m, a, size, 1);
					live_a[n] = a;
					live_s[n++] = size;
				}
			}
			if (step % 500 == 0) {
				struct walk_state w = {&m, 0, 0};

				ioa_vmem_walk(vm, walk_check, &w);
			}
		}
		while (n--) {
			assert_int_equal(ioa_vmem_free(vm, live_a[n], live_s[n]), 0);
			model_mark(&m, live_a[n], live_s[n], 0);
		}
		struct walk_state w = {&m, 0, 0};
		ioa_vmem_walk(vm, walk_check, &w);
		assert_int_equal(w.free_runs, 2); /* exactly the two initial spans */
		ioa_vmem_destroy(vm);
	}
}

static void stats_of(ioa_vmem_t *vm, struct ioa_vmem_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	assert_int_equal(ioa_vmem_stats(vm, st), 0);
}

static void impossible_requests_are_einval_and_change_nothing(void **state)
{
	struct model m;
	ioa_vmem_t *vm = make_space(&m);
	struct ioa_constraint c;
	struct ioa_vmem_stats before, after;
	uint64_t a = 12345;

	(void)state;
	stats_of(vm, &before);
	ioa_constraint_init(&c);
	assert_int_equal(ioa_vmem_xalloc(vm, 0, 0, &c, &a), -EINVAL);       /* size 0 */
	c.align = 3;
	assert_int_equal(ioa_vmem_xalloc(vm, 4, 0, &c, &a), -EINVAL);       /* align not 2^n */
	ioa_constraint_init(&c);
	c.boundary = 12;
	assert_int_equal(ioa_vmem_xalloc(vm, 4, 0, &c, &a), -EINVAL);       /* boundary not 2^n */
	c.boundary = 8;
	assert_int_equal(ioa_vmem_xalloc(vm, 9, 0, &c, &a), -EINVAL);       /* size > boundary */
	ioa_constraint_init(&c);
	c.min_addr = 100;
	c.max_addr = 99;
	assert_int_equal(ioa_vmem_xalloc(vm, 1, 0, &c, &a), -EINVAL);       /* min > max */
	c.max_addr = 109;
	assert_int_equal(ioa_vmem_xalloc(vm, 11, 0, &c, &a), -EINVAL);      /* size > window */
	ioa_constraint_init(&c);
	c.align = 8;
	assert_int_equal(ioa_vmem_xalloc(vm, 1, 8, &c, &a), -EINVAL);       /* phase >= align */
	c.size = 0;
	assert_int_equal(ioa_vmem_xalloc(vm, 1, 0, &c, &a), -EINVAL);       /* not initialised */
	assert_int_equal(ioa_vmem_xalloc(vm, 1, 0, NULL, &a), -EINVAL);
	assert_int_equal(ioa_vmem_free(vm, 50, 1), -EINVAL);               /* never allocated */
	assert_int_equal(a, 12345);
	stats_of(vm, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	ioa_vmem_destroy(vm);
}

static void a_window_without_memory_is_enomem(void **state)
{
	struct model m;
	ioa_vmem_t *vm = make_space(&m);
	struct ioa_constraint c;
	uint64_t a;

	(void)state;
	ioa_constraint_init(&c);
	c.min_addr = 200; /* [200, 300) is a hole between the spans */
	c.max_addr = 299;
	assert_int_equal(ioa_vmem_xalloc(vm, 4, 0, &c, &a), -ENOMEM);
	ioa_vmem_destroy(vm);
}

static void exhaustion_then_refill(void **state)
{
	ioa_vmem_t *vm;
	uint64_t a, addrs[64];
	struct ioa_vmem_stats st;

	(void)state;
	assert_int_equal(ioa_vmem_create("exh", 4096, &vm), 0);
	assert_int_equal(ioa_vmem_add(vm, 0x100000, 64 * 4096), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(ioa_vmem_alloc(vm, 4096, &addrs[i]), 0);
	assert_int_equal(ioa_vmem_alloc(vm, 4096, &a), -ENOMEM);
	assert_int_equal(ioa_vmem_free(vm, addrs[10], 4095), 0); /* rounds to the quantum */
	assert_int_equal(ioa_vmem_free(vm, addrs[11], 8192), -EINVAL); /* wrong size */
	assert_int_equal(ioa_vmem_alloc(vm, 4096, &a), 0);
	assert_int_equal(a, addrs[10]);
	stats_of(vm, &st);
	assert_int_equal(st.alloc_segs, 64);
	assert_int_equal(st.free_bytes, 0);
	ioa_vmem_destroy(vm);
}

struct importer {
	uint64_t next, calls;
};

static int import_cb(void *arg, uint64_t size, const struct ioa_constraint *c, uint64_t *base,
		     uint64_t *len)
{
	struct importer *im = arg;

	(void)c;
	if (im->next >= 0x200000)
		return -ENOMEM;
	im->calls++;
	*base = im->next;
	*len = size < 0x10000 ? 0x10000 : size;
	im->next += *len;
	return 0;
}

static void import_grows_the_space_on_demand(void **state)
{
	ioa_vmem_t *vm;
	struct importer im = {0x100000, 0};
	struct ioa_constraint c;
	uint64_t a;
	int n = 0;

	(void)state;
	assert_int_equal(ioa_vmem_create("imp", 4096, &vm), 0);
	ioa_vmem_set_import(vm, import_cb, &im);
	ioa_constraint_init(&c);
	c.boundary = 0x10000;
	while (ioa_vmem_xalloc(vm, 0x3000, 0, &c, &a) == 0) {
		assert_true(ioa_constraint_fits(&c, a, 0x3000));
		n++;
	}
	assert_true(im.calls > 1);
	assert_true(n >= 16 * 5); /* 1 MiB in 64 KiB chunks, five per chunk */
	ioa_vmem_destroy(vm);
}

static void zones_do_not_overlap_or_merge(void **state)
{
	ioa_vmem_t *vm;
	struct ioa_vmem_stats st;
	uint64_t a;
	struct ioa_constraint c;

	(void)state;
	assert_int_equal(ioa_vmem_create("z", 1, &vm), 0);
	assert_int_equal(ioa_vmem_add_zone(vm, 0, 100), 0);
	assert_int_equal(ioa_vmem_add_zone(vm, 50, 100), -EINVAL);
	assert_int_equal(ioa_vmem_add_zone(vm, 100, 100), 0);
	assert_int_equal(ioa_vmem_add(vm, 0, 100), 0);
	assert_int_equal(ioa_vmem_add(vm, 100, 100), 0);
	assert_int_equal(ioa_vmem_add(vm, 90, 20), -EINVAL);  /* across zones */
	assert_int_equal(ioa_vmem_add(vm, 10, 5), -EINVAL);   /* overlaps a span */
	assert_int_equal(ioa_vmem_add_zone(vm, 300, 10), -EINVAL); /* spans exist */
	stats_of(vm, &st);
	assert_int_equal(st.free_segs, 2);
	assert_int_equal(st.zones[0].largest_free, 100);
	/* Unconstrained requests prefer the highest zone. */
	assert_int_equal(ioa_vmem_alloc(vm, 10, &a), 0);
	assert_true(a >= 100);
	ioa_constraint_init(&c);
	assert_int_equal(ioa_vmem_xalloc(vm, 101, 0, &c, &a), -ENOMEM); /* no merge */
	ioa_vmem_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_constraint_matches_brute_force),
		cmocka_unit_test(random_sequences_keep_the_interval_set),
		cmocka_unit_test(impossible_requests_are_einval_and_change_nothing),
		cmocka_unit_test(a_window_without_memory_is_enomem),
		cmocka_unit_test(exhaustion_then_refill),
		cmocka_unit_test(import_grows_the_space_on_demand),
		cmocka_unit_test(zones_do_not_overlap_or_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
