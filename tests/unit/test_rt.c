/* SPDX-License-Identifier: MIT */
/*
 * Real-time sections (misuse case 12): inside ioa_rt_enter/ioa_rt_leave the
 * real-time calls (pool get/put, buffer ref/unref) report nothing, and every
 * call that makes a system call (creating or growing a pool, allocating
 * from a growing domain) is reported, naming the system call; sections nest;
 * a leave without an enter is reported.
 */
#include "testlib.h"

#include <stdio.h>
#include <string.h>
#include <ioalloc/debug.h>
#include <ioalloc/pool.h>

static ioa_pool_t *make(unsigned flags)
{
	struct ioa_pool_config cfg;
	ioa_pool_t *p;

	ioa_pool_config_init(&cfg);
	cfg.obj_size = 64;
	cfg.count = 1000;
	cfg.flags = flags;
	assert_int_equal(ioa_pool_create(&cfg, &p), 0);
	return p;
}

static void real_time_calls_are_quiet_and_others_are_named(void **state)
{
	ioa_pool_t *p = make(IOA_POOL_F_GROW), *q;
	void *objs[100];

	(void)state;
	ioa_test_catch_misuse();
	ioa_pool_put(p, ioa_pool_get(p)); /* registers this thread outside the section */

	ioa_rt_enter();
	for (int i = 0; i < 100; i++)
		assert_non_null(objs[i] = ioa_pool_get(p));
	ioa_pool_put_bulk(p, objs, 100);
	assert_int_equal(ioa_test_misuses, 0); /* the real-time path makes no system call */

	assert_int_equal(ioa_pool_grow(p, 100), 0); /* allocates, locks, prefaults */
	assert_true(ioa_test_misuses >= 1);
	assert_non_null(strstr(ioa_test_last_misuse, "real-time thread"));
	assert_non_null(strstr(ioa_test_last_misuse, "not real-time safe"));
	if (!strstr(ioa_test_last_misuse, "mmap") && !strstr(ioa_test_last_misuse, "mlock") &&
	    !strstr(ioa_test_last_misuse, "madvise") && !strstr(ioa_test_last_misuse, "mprotect"))
		fail_msg("the report does not name the system call: %s", ioa_test_last_misuse);

	ioa_test_misuses = 0;
	ioa_rt_enter(); /* nested */
	q = make(0);
	ioa_rt_leave();
	assert_true(ioa_test_misuses >= 1); /* still inside the outer section */
	ioa_rt_leave();

	ioa_test_misuses = 0;
	assert_int_equal(ioa_pool_destroy(q), 0); /* outside: quiet */
	assert_int_equal(ioa_test_misuses, 0);

	ioa_rt_leave(); /* one leave too many */
	assert_int_equal(ioa_test_misuses, 1);
	assert_non_null(strstr(ioa_test_last_misuse, "ioa_rt_leave without ioa_rt_enter"));
	ioa_test_release_misuse();
	assert_int_equal(ioa_pool_destroy(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_time_calls_are_quiet_and_others_are_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
