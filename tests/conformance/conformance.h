/* SPDX-License-Identifier: MIT */
/* Shared by the conformance tests: every check names the sentence it verifies. */
#ifndef IOA_CONFORMANCE_H
#define IOA_CONFORMANCE_H

#include "testlib.h"

#include <stdint.h>
#include <ioalloc/domain.h>

/* Fail naming the condition and the sentence it checks. */
#define check(cond, sentence)                                                         \
	do {                                                                          \
		if (!(cond))                                                          \
			fail_msg("%s\n  checks: \"%s\"", #cond, sentence);            \
	} while (0)

/* Allocations live in domain d (its stats), to check that a test gave back
 * everything it took. */
static inline uint64_t conf_live_allocs(ioa_domain_t *d)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	assert_int_equal(ioa_domain_stats(d, &st), 0);
	return st.live_allocs;
}

/* Set-up and tear-down for tests with nothing else to check: misuse reports
 * are caught, and a test fails if it leaves one it did not check for (the
 * tests that expect one reset the count). */
static inline int conf_setup(void **state)
{
	(void)state;
	ioa_test_catch_misuse();
	return 0;
}

static inline int conf_teardown(void **state)
{
	(void)state;
	ioa_test_release_misuse();
	return ioa_test_misuses ? -1 : 0;
}

/* A test between conf_setup and conf_teardown. */
#define conf_test(fn) cmocka_unit_test_setup_teardown(fn, conf_setup, conf_teardown)

#endif
