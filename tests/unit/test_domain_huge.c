/* SPDX-License-Identifier: MIT */
/*
 * Hugetlb arenas: with free 2 MiB hugepages a pagesize=2M domain hands out
 * memory in hugepage-aligned mappings; without them (1 GiB pages are not
 * reserved here) creation fails with -ENOMEM, or falls back to 4 KiB pages
 * when hugefallback=1 asks for it.
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>
#include <ioalloc/domain.h>

static int create(const char *spec, ioa_domain_t **d)
{
	struct ioa_domain_config cfg;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "huge";
	assert_int_equal(ioa_domain_config_parse(&cfg, spec, err, sizeof(err)), 0);
	return ioa_domain_create(&cfg, d);
}

static void two_mib_pages_back_the_arena(void **state)
{
	ioa_domain_t *d;
	uint64_t bus, bus2;
	uint8_t *va;

	(void)state;
	if (ioa_test_hugepages_free(2u << 20) < 4) {
		print_message("SKIP part: fewer than 4 free 2 MiB hugepages\n");
		skip();
	}
	assert_int_equal(create("pagesize=2M,size=8M", &d), 0);
	assert_int_equal(ioa_domain_page_size(d), 2u << 20);
	assert_int_equal(ioa_domain_alloc(d, 4096, NULL, NULL, &bus), 0);
	assert_int_equal(ioa_domain_alloc(d, 3u << 20, NULL, NULL, &bus2), 0);
	va = ioa_domain_virt(d, bus2);
	assert_int_equal((uintptr_t)ioa_domain_virt(d, 2u << 20) % (2u << 20), 0);
	memset(va, 0x5a, 3u << 20);
	assert_int_equal(ioa_domain_free(d, bus, 4096, NULL), 0);
	assert_int_equal(ioa_domain_free(d, bus2, 3u << 20, NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void missing_hugepages_fail_or_fall_back(void **state)
{
	ioa_domain_t *d = NULL;
	uint64_t bus;

	(void)state;
	if (ioa_test_hugepages_free(1u << 30) > 0) {
		print_message("SKIP part: 1 GiB hugepages are free here\n");
		skip();
	}
	assert_int_equal(create("pagesize=1G,size=1G", &d), -ENOMEM);
	assert_null(d);
	assert_int_equal(create("pagesize=1G,size=1G,hugefallback=1", &d), 0);
	assert_int_equal(ioa_domain_page_size(d), 4096);
	assert_int_equal(ioa_domain_alloc(d, 1u << 20, NULL, NULL, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus, 1u << 20, NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_mib_pages_back_the_arena),
		cmocka_unit_test(missing_hugepages_fail_or_fall_back),
	};
	if (ioa_test_hugepages_free(2u << 20) < 4 && ioa_test_hugepages_free(1u << 30) > 0)
		ioa_test_skip("no free 2 MiB hugepages and 1 GiB ones are free: nothing to test");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
