/* SPDX-License-Identifier: MIT */
/*
 * The phys backend. Privileged (CAP_SYS_ADMIN): every bus address the domain
 * reports equals the physical address pagemap gives for its virtual address,
 * page by page, and allocations honour constraints in real physical terms.
 * Unprivileged: creation fails with -EPERM (never fake addresses).
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <ioalloc/domain.h>

#define CAP_SYS_ADMIN 21

static bool huge;

static int create(ioa_domain_t **d)
{
	struct ioa_domain_config cfg;
	char err[128];
	const char *spec;

	huge = ioa_test_hugepages_free(2u << 20) >= 8;
	spec = huge ? "backend=phys,pagesize=2M,size=16M" : "backend=phys,size=8M,chunk=1M";

	ioa_domain_config_init(&cfg);
	cfg.name = "phys";
	assert_int_equal(ioa_domain_config_parse(&cfg, spec, err, sizeof(err)), 0);
	print_message("phys domain: %s\n", spec);
	return ioa_domain_create(&cfg, d);
}

static void bus_addresses_are_physical_addresses(void **state)
{
	ioa_domain_t *d;
	struct ioa_constraint c;
	uint64_t bus[16];

	(void)state;
	assert_int_equal(create(&d), 0);
	ioa_constraint_init(&c);
	c.boundary = 64 << 10;
	/* 4 KiB pages come back physically scattered: only hugepages promise runs. */
	for (int i = 0; i < 16; i++) {
		uint64_t size = huge ? 4096u << (i % 4) : 4096;
		uint8_t *va;

		assert_int_equal(ioa_domain_alloc(d, size, &c, NULL, &bus[i]), 0);
		assert_true(ioa_constraint_fits(&c, bus[i], size));
		va = ioa_domain_virt(d, bus[i]);
		memset(va, i, size);
		/* Contiguous in bus space means contiguous physically, page by page. */
		for (uint64_t off = 0; off < size; off += 4096)
			assert_true(ioa_test_phys_of(va + off) == bus[i] + off);
	}
	for (int i = 0; i < 16; i++)
		assert_int_equal(ioa_domain_free(d, bus[i], huge ? 4096u << (i % 4) : 4096, NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void without_privilege_phys_is_eperm(void **state)
{
	ioa_domain_t *d = NULL;

	(void)state;
	assert_int_equal(create(&d), -EPERM);
	assert_null(d);
}

int main(void)
{
	const struct CMUnitTest priv[] = {
		cmocka_unit_test(bus_addresses_are_physical_addresses),
	};
	const struct CMUnitTest unpriv[] = {
		cmocka_unit_test(without_privilege_phys_is_eperm),
	};
	if (ioa_test_has_cap(CAP_SYS_ADMIN))
		return cmocka_run_group_tests(priv, NULL, NULL);
	return cmocka_run_group_tests(unpriv, NULL, NULL);
}
