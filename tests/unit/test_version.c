/* SPDX-License-Identifier: MIT */
/* The library reports the version its header promises. */
#include "testlib.h"

#include <string.h>
#include <ioalloc/ioalloc.h>

static void version_matches_header(void **state)
{
	(void)state;
	assert_string_equal(ioa_version(), IOALLOC_VERSION_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_matches_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
