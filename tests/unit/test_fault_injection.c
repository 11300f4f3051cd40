/* SPDX-License-Identifier: MIT */
/*
 * Fault injection over every platform call site: for each site and each n,
 * the nth call there fails while a scenario runs through the domain, page
 * lists and DMA buffers. Every public call must then either succeed or return
 * a clean -errno, and afterwards nothing may be left behind: no live
 * allocation (the domain's leak count), no charge, no file descriptor, no
 * mapping (counted in /proc/self), and no heap block (LSan in the ASan build).
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>

#include "platform/platform.h"

#ifdef IOA_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

/* Mappings of this process. Under Valgrind the tool's own mappings come and
 * go in the same list, so the count is not ours: -1 (not compared) there. */
static int count_maps(void)
{
	char line[512];
	FILE *f;
	int n = 0;

	if (RUNNING_ON_VALGRIND)
		return -1;
	f = fopen("/proc/self/maps", "r");
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static bool clean_error(int r)
{
	return r == 0 || r == -ENOMEM || r == -EPERM || r == -EINVAL || r == -EDQUOT;
}

/* The scenario: every service once, undone in order. Returns how many calls
 * failed (cleanly). */
static int scenario(const char *spec)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	ioa_pages_t *pl = NULL;
	ioa_dma_buf_t *b = NULL;
	uint64_t bus = 0;
	void *va;
	char err[96];
	int r, failed = 0, got_bus;

	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, spec, err, sizeof(err)), 0);
	r = ioa_domain_create(&cfg, &d);
	assert_true(clean_error(r));
	if (r)
		return 1;
	got_bus = ioa_domain_alloc(d, 12288, NULL, NULL, &bus);
	assert_true(clean_error(got_bus));
	r = ioa_pages_alloc(d, 3 << 20, NULL, NULL, 0, 0, &pl);
	assert_true(clean_error(r));
	failed += r != 0;
	if (!r) {
		r = ioa_pages_map_ring(pl, &va);
		assert_true(clean_error(r));
		failed += r != 0;
		if (!r)
			memset(va, 1, 4096);
	}
	r = ioa_dma_alloc(d, 65536, NULL, NULL, IOA_DMA_F_ZERO, &b);
	assert_true(clean_error(r));
	failed += r != 0 || got_bus != 0;
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(ioa_pages_free(pl), 0);
	if (!got_bus)
		assert_int_equal(ioa_domain_free(d, bus, 12288, NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0); /* no leaked allocation */
	return failed;
}

static void sweep(const char *spec, const char *what)
{
	int fds = count_fds(), maps = count_maps(), injected = 0, failures = 0;

	scenario(spec); /* once without faults: warm lazy state (stdio, pagemap probe) */
	fds = count_fds();
	maps = count_maps();
	for (int site = 0; site < IOA_SITE_COUNT; site++) {
		for (uint64_t nth = 1; nth <= 12; nth++) {
			uint64_t before = ioa_plat_fault_count();

			ioa_plat_fault_set((enum ioa_plat_site)site, nth, 0, 0);
			failures += scenario(spec);
			ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
			injected += (int)(ioa_plat_fault_count() - before);
			assert_int_equal(count_fds(), fds);
			assert_int_equal(count_maps(), maps);
		}
	}
	/* Random faults at every site at once: 1 in 3 calls fails. */
	for (uint64_t seed = 1; seed <= 30; seed++) {
		uint64_t before = ioa_plat_fault_count();

		ioa_plat_fault_set(IOA_SITE_COUNT, 0, 3, seed);
		failures += scenario(spec);
		ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
		injected += (int)(ioa_plat_fault_count() - before);
		assert_int_equal(count_fds(), fds);
		assert_int_equal(count_maps(), maps);
	}
	print_message("%s: %d faults injected, %d scenarios saw a clean failure, nothing leaked\n",
		      what, injected, failures);
	assert_true(injected > 40);
	assert_true(failures > 0);
}

static void memfd_domains_fail_cleanly(void **state)
{
	(void)state;
	sweep("size=64M,chunk=1M", "memfd");
}

static void hugetlb_and_phys_domains_fail_cleanly(void **state)
{
	(void)state;
	if (ioa_test_hugepages_free(2u << 20) < 8) {
		print_message("SKIP part: fewer than 8 free 2 MiB hugepages\n");
		skip();
	}
	sweep("pagesize=2M,size=16M", "memfd 2M");
	if (ioa_plat_phys_readable())
		sweep("backend=phys,pagesize=2M,size=16M", "phys 2M");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memfd_domains_fail_cleanly),
		cmocka_unit_test(hugetlb_and_phys_domains_fail_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
