/* SPDX-License-Identifier: MIT */
/*
 * On the phys backend (CAP_SYS_ADMIN), the bus frames a page list reports and
 * a DMA buffer's bus address are the physical addresses pagemap gives, through
 * the linear map and through the list's own mapping alike.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>

#define CAP_SYS_ADMIN 21

static void frames_and_buffers_are_physical(void **state)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	ioa_pages_t *pl;
	ioa_dma_buf_t *b;
	struct ioa_constraint c;
	uint8_t *va;
	char err[96];
	bool huge = ioa_test_hugepages_free(2u << 20) >= 8;

	(void)state;
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, huge ? "backend=phys,pagesize=2M,size=16M"
							    : "backend=phys,size=8M,chunk=1M",
						 err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	assert_int_equal(ioa_pages_alloc(d, 2 * ioa_domain_page_size(d), NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_map(pl, (void **)&va), 0);
	for (size_t i = 0; i < ioa_pages_count(pl); i++) {
		uint64_t bus, pg = ioa_pages_page_size(pl);

		assert_int_equal(ioa_pages_frame(pl, i, &bus), 0);
		for (uint64_t off = 0; off < pg; off += 4096) {
			assert_true(ioa_test_phys_of((uint8_t *)ioa_domain_virt(d, bus) + off) == bus + off);
			assert_true(ioa_test_phys_of(va + i * pg + off) == bus + off);
		}
	}
	/* 4 KiB pages come back physically scattered: ask those for one page only. */
	uint64_t dma_size = huge ? 40960 : 4096;

	ioa_constraint_init(&c);
	c.boundary = 64 << 10;
	assert_int_equal(ioa_dma_alloc(d, dma_size, &c, NULL, 0, &b), 0);
	for (uint64_t off = 0; off < dma_size; off += 4096)
		assert_true(ioa_test_phys_of((uint8_t *)ioa_dma_va(b) + off) == ioa_dma_bus(b) + off);
	assert_true(ioa_constraint_fits(&c, ioa_dma_bus(b), dma_size));
	ioa_dma_free(b);
	ioa_pages_free(pl);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_and_buffers_are_physical),
	};
	if (!ioa_test_has_cap(CAP_SYS_ADMIN))
		ioa_test_skip("needs CAP_SYS_ADMIN to read physical addresses (the phys backend "
			      "refuses with -EPERM without it; test_domain_phys checks that)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
