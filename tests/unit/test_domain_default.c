/* SPDX-License-Identifier: MIT */
/*
 * The process default domain, configured by IOALLOC_DOMAIN on first use.
 * Each case runs in a child process because the default is created once.
 */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ioalloc/domain.h>

/* Run fn in a child with IOALLOC_DOMAIN=spec (NULL: unset); its exit code. */
static int in_child(const char *spec, int (*fn)(void))
{
	pid_t pid = ioa_test_fork();

	if (pid == 0) {
		if (spec)
			setenv("IOALLOC_DOMAIN", spec, 1);
		else
			unsetenv("IOALLOC_DOMAIN");
		_exit(fn());
	}
	return ioa_test_exit_code(pid);
}

static int malformed(void)
{
	ioa_domain_t *d = NULL;

	if (ioa_domain_default(&d) != -EINVAL || d)
		return 1;
	return ioa_domain_default(&d) == -EINVAL ? 0 : 2; /* stays refused */
}

static int layered(void)
{
	ioa_domain_t *d, *again;
	struct ioa_constraint c;
	uint64_t bus;

	ioa_constraint_init(&c);
	ioa_constraint_set_dma_bits(&c, 24);
	if (ioa_domain_default(&d) || ioa_domain_default(&again) || d != again)
		return 1;
	if (ioa_domain_alloc(d, 8192, NULL, NULL, &bus) || bus < 0x100000000ull)
		return 2;
	if (ioa_domain_free(d, bus, 8192, NULL))
		return 3;
	if (ioa_domain_alloc(d, 8192, &c, NULL, &bus) || bus < 0x100000 || bus >= 0x1000000)
		return 4;
	return ioa_domain_free(d, bus, 8192, NULL) ? 5 : 0;
}

static int unset(void)
{
	ioa_domain_t *d;
	uint64_t bus;

	if (ioa_domain_default(&d) || ioa_domain_page_size(d) != 4096 ||
	    ioa_domain_backend(d) != IOA_BACKEND_MEMFD)
		return 1;
	if (ioa_domain_alloc(d, 4096, NULL, NULL, &bus) || bus < 0x100000)
		return 2;
	if (ioa_domain_destroy(d) != -EBUSY) /* the default lives as long as the process */
		return 4;
	return ioa_domain_free(d, bus, 4096, NULL) ? 3 : 0;
}

static void a_malformed_spec_is_refused(void **state)
{
	(void)state;
	assert_int_equal(in_child("size=lots", malformed), 0);
	assert_int_equal(in_child("pagesize=2M,wibble=1", malformed), 0);
}

static void the_spec_shapes_the_default_domain(void **state)
{
	(void)state;
	assert_int_equal(in_child("ranges=0x100000+15M:0x100000000+64M", layered), 0);
}

static void unset_means_the_documented_defaults(void **state)
{
	(void)state;
	assert_int_equal(in_child(NULL, unset), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_malformed_spec_is_refused),
		cmocka_unit_test(the_spec_shapes_the_default_domain),
		cmocka_unit_test(unset_means_the_documented_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
