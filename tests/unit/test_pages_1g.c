/* SPDX-License-Identifier: MIT */
/*
 * 1 GiB of page lists (16 lists of 64 MiB, scattered by a checkerboard of
 * single pages first) mapped, written with a pattern through the mappings and
 * verified through the domain's linear map, page by page.
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>
#include <ioalloc/pages.h>

#define MiB (1ull << 20)
#define LISTS 16

static void a_gib_of_mapped_pages_round_trips(void **state)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	ioa_pages_t *pl[LISTS], *holes[256];
	uint64_t *va[LISTS], words = 64 * MiB / 8;
	char err[96];

	(void)state;
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, "size=1100M,chunk=16M", err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	for (int i = 0; i < 256; i++) /* leave scattered single-page holes */
		assert_int_equal(ioa_pages_alloc(d, 4096, NULL, NULL, 0, 0, &holes[i]), 0);
	for (int i = 0; i < 256; i += 2)
		ioa_pages_free(holes[i]);
	for (int i = 0; i < LISTS; i++) {
		assert_int_equal(ioa_pages_alloc(d, 64 * MiB, NULL, NULL, IOA_PAGES_F_NO_ZERO, 0, &pl[i]),
				 0);
		assert_int_equal(ioa_pages_map(pl[i], (void **)&va[i]), 0);
		for (uint64_t w = 0; w < words; w += 8) /* one word per cache line */
			va[i][w] = (uint64_t)i << 40 | w;
	}
	for (int i = 0; i < LISTS; i++) {
		for (size_t p = 0; p < ioa_pages_count(pl[i]); p++) {
			uint64_t bus, *lin;

			assert_int_equal(ioa_pages_frame(pl[i], p, &bus), 0);
			lin = ioa_domain_virt(d, bus);
			for (uint64_t w = 0; w < 512; w += 8)
				if (lin[w] != ((uint64_t)i << 40 | (p * 512 + w)))
					fail_msg("list %d page %zu word %llu differs", i, p,
						 (unsigned long long)w);
		}
		assert_int_equal(ioa_pages_unmap(pl[i], va[i]), 0);
		ioa_pages_free(pl[i]);
	}
	for (int i = 1; i < 256; i += 2)
		ioa_pages_free(holes[i]);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_gib_of_mapped_pages_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
