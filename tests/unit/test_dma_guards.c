/* SPDX-License-Identifier: MIT */
/*
 * Guard pages around DMA buffers in debug mode: a buffer still honours its
 * constraint (align, boundary, window) and is writable to its last allocated
 * byte, but one byte past either end faults - a forked child that overruns
 * must die with SIGSEGV. A constraint with no room for guards still gets its
 * buffer (unguarded). On free the guards become ordinary memory again and the
 * buffer is poisoned (0xdf). On a 2 MiB hugetlb domain the slack between the
 * buffer and the guard is checked at free instead.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>

#define KiB (1ull << 10)
#define MiB (1ull << 20)

static ioa_domain_t *make(const char *spec, unsigned flags)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "guards";
	assert_int_equal(ioa_domain_config_parse(&cfg, spec, err, sizeof(err)), 0);
	cfg.flags |= flags;
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	return d;
}

static const char *const layout = "ranges=0x100000+15M:0xf0000000+64M:0x100000000+64M,chunk=2M";

/* b honours c, is writable end to end, and its neighbours fault. */
static void check_guarded(ioa_dma_buf_t *b, const struct ioa_constraint *c)
{
	uint8_t *va = ioa_dma_va(b);
	uint64_t size = ioa_dma_allocated_size(b);

	assert_true(ioa_constraint_fits(c, ioa_dma_bus(b), size));
	memset(va, 0x11, size);
	assert_int_equal(ioa_test_poke_in_child(va + size - 1), 0);
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va + size)));  /* overrun */
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va - 1)));     /* underrun */
}

static void overruns_and_underruns_fault(void **state)
{
	ioa_domain_t *d = make(layout, IOA_DOMAIN_F_DEBUG);
	struct ioa_constraint c[6];
	static const uint64_t sizes[6] = {4 * KiB, 10000, 64 * KiB, 64 * KiB, 8 * KiB, 12 * KiB};
	ioa_dma_buf_t *b[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		ioa_constraint_init(&c[i]);
	c[2].align = 64 * KiB;                 /* aligned start */
	c[3].boundary = 64 * KiB;              /* a whole boundary block: starts on its line */
	c[4].boundary = 64 * KiB;              /* small: the span stays inside one block */
	ioa_constraint_set_dma_bits(&c[5], 24); /* ISA window */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ioa_dma_alloc(d, sizes[i], &c[i], NULL, IOA_DMA_F_ZERO, &b[i]), 0);
		assert_int_equal(ioa_dma_allocated_size(b[i]), (sizes[i] + 4095) & ~4095ull);
		check_guarded(b[i], &c[i]);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(ioa_dma_free(b[i]), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void freed_guards_are_memory_again(void **state)
{
	ioa_domain_t *d = make("size=4M,chunk=4M", IOA_DOMAIN_F_DEBUG);
	ioa_dma_buf_t *b;
	uint8_t *va, *all;
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_dma_alloc(d, 8 * KiB, NULL, NULL, 0, &b), 0);
	va = ioa_dma_va(b);
	memset(va, 1, 8 * KiB);
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(va[0], 0xdf); /* poisoned */
	assert_int_equal(va[8 * KiB - 1], 0xdf);
	/* The whole arena in one allocation: every byte, guards included, writable. */
	assert_int_equal(ioa_domain_alloc(d, 4 * MiB, NULL, NULL, &bus), 0);
	all = ioa_domain_virt(d, bus);
	memset(all, 2, 4 * MiB);
	assert_int_equal(ioa_domain_free(d, bus, 4 * MiB, NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void no_room_for_guards_still_allocates(void **state)
{
	ioa_domain_t *d = make(layout, IOA_DOMAIN_F_DEBUG);
	struct ioa_constraint c;
	ioa_dma_buf_t *b;

	(void)state;
	ioa_constraint_init(&c);
	c.min_addr = 0x200000;
	c.max_addr = 0x200000 + 16 * KiB - 1; /* exactly the buffer: no room either side */
	assert_int_equal(ioa_dma_alloc(d, 16 * KiB, &c, NULL, 0, &b), 0);
	assert_true(ioa_dma_bus(b) == 0x200000);
	memset(ioa_dma_va(b), 3, 16 * KiB);
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void without_debug_there_are_no_guards(void **state)
{
	ioa_domain_t *d = make(layout, 0);
	ioa_dma_buf_t *a, *b;

	(void)state;
	assert_int_equal(ioa_dma_alloc(d, 4 * KiB, NULL, NULL, 0, &a), 0);
	assert_int_equal(ioa_dma_alloc(d, 4 * KiB, NULL, NULL, 0, &b), 0);
	assert_true(ioa_dma_bus(b) == ioa_dma_bus(a) + 4 * KiB); /* packed, nothing between */
	assert_int_equal(ioa_dma_free(a), 0);
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void mapped_page_lists_have_guards_too(void **state)
{
	ioa_domain_t *d = make(layout, IOA_DOMAIN_F_DEBUG);
	ioa_pages_t *pl;
	uint8_t *va;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 64 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_map(pl, (void **)&va), 0);
	assert_int_equal(ioa_test_poke_in_child(va + 64 * KiB - 1), 0);
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va + 64 * KiB)));
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va - 1)));
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

struct seen {
	int count;
	char message[256];
};

static void record(void *arg, const char *call, const char *object, const char *message)
{
	struct seen *s = arg;

	(void)object;
	s->count++;
	assert_string_equal(call, "ioa_dma_free");
	snprintf(s->message, sizeof(s->message), "%s", message);
}

static void hugetlb_slack_is_checked_at_free(void **state)
{
	ioa_domain_t *d;
	ioa_dma_buf_t *b;
	struct seen s = {0};
	ioa_misuse_fn old;
	uint8_t *va;

	(void)state;
	if (ioa_test_hugepages_free(2 * MiB) < 8) {
		print_message("SKIP part: fewer than 8 free 2 MiB hugepages\n");
		skip();
	}
	d = make("pagesize=2M,size=16M,chunk=8M", IOA_DOMAIN_F_DEBUG);
	assert_int_equal(ioa_dma_alloc(d, 12 * KiB, NULL, NULL, 0, &b), 0);
	va = ioa_dma_va(b);
	assert_true(ioa_dma_bus(b) % (2 * MiB) == 0); /* starts after a whole guard page */
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va - 1)));
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va + 2 * MiB))); /* the back guard */
	va[12 * KiB + 100] = 0; /* into the slack: not protectable, caught at free */
	old = ioa_set_misuse_handler(record, &s);
	assert_int_equal(ioa_dma_free(b), 0);
	ioa_set_misuse_handler(old, NULL);
	assert_int_equal(s.count, 1);
	assert_non_null(strstr(s.message, "overrun: byte 100 past the allocated size"));
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overruns_and_underruns_fault),
		cmocka_unit_test(freed_guards_are_memory_again),
		cmocka_unit_test(no_room_for_guards_still_allocates),
		cmocka_unit_test(without_debug_there_are_no_guards),
		cmocka_unit_test(mapped_page_lists_have_guards_too),
		cmocka_unit_test(hugetlb_slack_is_checked_at_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
