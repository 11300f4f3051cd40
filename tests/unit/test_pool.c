/* SPDX-License-Identifier: MIT */
/*
 * Fixed-size pools, one thread at a time: bad configurations, a randomised
 * get/put sequence against a model, bulk all-or-nothing, exhaustion and
 * refill, domain pools (bus addresses, boundaries, quota), growth, thread
 * exit returning magazines, threads beyond the cache slots, and misuse
 * (foreign, interior and double puts, redzones, writes after put, leaks).
 */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/debug.h>
#include <ioalloc/pool.h>

static struct ioa_pool_config cfg_of(size_t obj, size_t count)
{
	struct ioa_pool_config cfg;

	ioa_pool_config_init(&cfg);
	cfg.name = "test";
	cfg.obj_size = obj;
	cfg.count = count;
	return cfg;
}

static ioa_pool_t *make(size_t obj, size_t count, unsigned flags, unsigned cache)
{
	struct ioa_pool_config cfg = cfg_of(obj, count);
	ioa_pool_t *p;

	cfg.flags = flags;
	cfg.cache = cache;
	assert_int_equal(ioa_pool_create(&cfg, &p), 0);
	return p;
}

static void bad_configurations_are_einval(void **state)
{
	struct ioa_pool_config cfg;
	struct ioa_constraint c;
	ioa_pool_t *p = NULL;

	(void)state;
	assert_int_equal(ioa_pool_create(NULL, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	assert_int_equal(ioa_pool_create(&cfg, NULL), -EINVAL);
	cfg = cfg_of(0, 16);
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(IOA_POOL_MAX_OBJ_SIZE + 1, 1);
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 0);
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, IOA_POOL_MAX_COUNT + 1);
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	cfg.flags = 1u << 30;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	cfg.align = 48;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	cfg.size = sizeof(cfg) - 1;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	cfg.cache = 100000;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	cfg.threads = 1u << 20;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	cfg = cfg_of(64, 16);
	ioa_constraint_init(&c);
	cfg.constraint = &c; /* a constraint without a domain: no bus addresses to honour */
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(ioa_pool_grow(NULL, 1), -EINVAL);
	assert_null(ioa_pool_get(NULL));
	ioa_pool_put(NULL, &c); /* harmless */
	assert_int_equal(ioa_pool_obj_size(NULL), 0);
	assert_int_equal(ioa_pool_destroy(NULL), 0);
}

/* A random get/put sequence on one thread against a model of what is out:
 * distinct, aligned objects that keep their contents; NULL exactly when
 * everything is out; an exact free count. */
static void run_model(size_t obj, size_t count, unsigned flags, unsigned cache, uint64_t seed)
{
	ioa_pool_t *p = make(obj, count, flags, cache);
	uint8_t **out = calloc(count, sizeof(*out));
	size_t live = 0;

	assert_non_null(out);
	for (int step = 0; step < 20000; step++) {
		bool get = live == 0 || (live < count && ioa_test_rand(&seed) % 100 < 55);

		if (get) {
			uint8_t *o = ioa_pool_get(p);

			assert_non_null(o);
			assert_int_equal((uintptr_t)o % 16, 0);
			memset(o, (int)(live & 0xff), obj);
			out[live++] = o;
		} else {
			size_t k = ioa_test_rand(&seed) % live;
			uint8_t *o = out[k];

			assert_int_equal(o[0], k & 0xff);
			assert_int_equal(o[obj - 1], k & 0xff);
			out[k] = out[--live];
			if (k < live) /* re-stamp the moved one with its new slot */
				memset(out[k], (int)(k & 0xff), obj);
			ioa_pool_put(p, o);
		}
		assert_int_equal(ioa_pool_free_count(p), count - live);
		if (live == count)
			assert_null(ioa_pool_get(p));
	}
	for (size_t i = 0; i < live; i++)
		for (size_t j = i + 1; j < live && j < i + 64; j++)
			assert_true(out[i] != out[j]);
	while (live)
		ioa_pool_put(p, out[--live]);
	assert_int_equal(ioa_pool_free_count(p), count);
	assert_int_equal(ioa_pool_destroy(p), 0);
	free(out);
}

static void single_thread_model(void **state)
{
	(void)state;
	run_model(64, 1000, 0, 0, 1);     /* default magazines (62 rounds) */
	run_model(24, 777, 0, 5, 2);      /* odd sizes, small magazines, loose remainder */
	run_model(128, 100, 0, 0, 3);     /* small pool: 12 rounds */
	run_model(8, 7, 0, 0, 4);         /* tiny: no magazines at all */
	run_model(48, 300, IOA_POOL_F_NO_CACHE, 0, 5);
	run_model(40, 500, IOA_POOL_F_DEBUG, 0, 6);
}

static void exhaustion_and_refill(void **state)
{
	ioa_pool_t *p = make(256, 500, 0, 0);
	void *objs[500], *again[500];

	(void)state;
	for (int i = 0; i < 500; i++)
		assert_non_null(objs[i] = ioa_pool_get(p));
	assert_null(ioa_pool_get(p));
	assert_null(ioa_pool_get(p)); /* still empty, never blocks */
	assert_int_equal(ioa_pool_free_count(p), 0);
	for (int i = 0; i < 500; i++)
		ioa_pool_put(p, objs[i]);
	for (int i = 0; i < 500; i++)
		assert_non_null(again[i] = ioa_pool_get(p));
	assert_null(ioa_pool_get(p));
	for (int i = 0; i < 500; i++) { /* the same 500 objects, in some order */
		bool found = false;

		for (int j = 0; j < 500 && !found; j++)
			found = again[i] == objs[j];
		assert_true(found);
	}
	ioa_pool_put_bulk(p, again, 500);
	assert_int_equal(ioa_pool_free_count(p), 500);
	assert_int_equal(ioa_pool_destroy(p), 0);
}

static void bulk_is_all_or_nothing(void **state)
{
	ioa_pool_t *p = make(64, 100, 0, 0);
	void *a[64], *b[101];

	(void)state;
	assert_int_equal(ioa_pool_get_bulk(p, a, 64), 0);
	assert_int_equal(ioa_pool_get_bulk(p, b, 64), -ENOMEM);
	assert_int_equal(ioa_pool_free_count(p), 36); /* nothing kept from the failed call */
	assert_int_equal(ioa_pool_get_bulk(p, b, 0), 0);
	assert_int_equal(ioa_pool_get_bulk(p, NULL, 1), -EINVAL);
	for (int i = 0; i < 64; i++)
		for (int j = i + 1; j < 64; j++)
			assert_true(a[i] != a[j]);
	ioa_pool_put_bulk(p, a, 64);
	assert_int_equal(ioa_pool_get_bulk(p, b, 101), -ENOMEM);
	assert_int_equal(ioa_pool_free_count(p), 100);
	assert_int_equal(ioa_pool_destroy(p), 0);
}

/* Bursts that straddle two magazines, and bursts larger than a magazine,
 * come back whole and distinct, and leave the pool whole. */
static void bulk_straddles_magazines(void **state)
{
	ioa_pool_t *p = make(32, 2000, 0, 0); /* 62-round magazines */
	void *held[40], *burst[300];

	(void)state;
	for (int i = 0; i < 40; i++)
		assert_non_null(held[i] = ioa_pool_get(p));
	for (int round = 0; round < 1000; round++) {
		size_t n = round % 10 == 0 ? 300 : 32;

		assert_int_equal(ioa_pool_get_bulk(p, burst, n), 0);
		for (size_t i = 0; i < n; i++)
			memset(burst[i], (int)i, 32);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(((uint8_t *)burst[i])[31], i & 0xff);
		ioa_pool_put_bulk(p, burst, n);
	}
	assert_int_equal(ioa_pool_free_count(p), 2000 - 40);
	ioa_pool_put_bulk(p, held, 40);
	assert_int_equal(ioa_pool_get_bulk(p, burst, 300), 0); /* far more than a magazine */
	assert_int_equal(ioa_pool_free_count(p), 2000 - 300);
	ioa_pool_put_bulk(p, burst, 300);
	assert_int_equal(ioa_pool_free_count(p), 2000);
	assert_int_equal(ioa_pool_destroy(p), 0);
}

static ioa_domain_t *make_domain(void)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "pooldom";
	assert_int_equal(ioa_domain_config_parse(&cfg,
		"ranges=0x100000+15M:0x100000000+64M,chunk=2M", err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	return d;
}

/* Objects of a domain pool honour the constraint, none crosses the
 * boundary, and their bus addresses agree with the domain's linear map. */
static void domain_pool_objects_honour_the_constraint(void **state)
{
	ioa_domain_t *d = make_domain();
	struct ioa_pool_config cfg = cfg_of(1000, 3000);
	struct ioa_constraint c;
	ioa_pool_t *p;
	uint64_t bus, back;
	void *objs[3000];

	(void)state;
	ioa_constraint_init(&c);
	c.boundary = 4096;
	ioa_constraint_set_dma_bits(&c, 32);
	cfg.domain = d;
	cfg.constraint = &c;
	cfg.align = 8;
	assert_int_equal(ioa_pool_create(&cfg, &p), 0);
	for (int i = 0; i < 3000; i++) {
		assert_non_null(objs[i] = ioa_pool_get(p));
		assert_int_equal(ioa_pool_bus(p, objs[i], &bus), 0);
		assert_true(ioa_constraint_fits(&c, bus, 1000));
		assert_int_equal(ioa_domain_bus(d, objs[i], &back), 0);
		assert_true(back == bus);
	}
	assert_null(ioa_pool_get(p));
	assert_int_equal(ioa_pool_bus(p, (uint8_t *)objs[0] + 1, &bus), -EINVAL);
	ioa_pool_put_bulk(p, objs, 3000);
	assert_int_equal(ioa_pool_destroy(p), 0);

	c.boundary = 512; /* smaller than an object: impossible */
	assert_int_equal(ioa_pool_create(&cfg, &p), -EINVAL);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void quota_is_charged_at_creation(void **state)
{
	ioa_domain_t *d = make_domain();
	struct ioa_pool_config cfg = cfg_of(4096, 1000);
	struct ioa_account_stats st = {.size = sizeof(st)};
	ioa_account_t *a;
	ioa_pool_t *p;

	(void)state;
	assert_int_equal(ioa_account_create(NULL, "client", 1 << 20, &a), 0);
	cfg.account = a;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EDQUOT); /* 4 MB > 1 MiB */
	assert_int_equal(ioa_account_stats(a, &st), 0);
	assert_int_equal(st.usage, 0);
	cfg.count = 200; /* 800 KiB */
	assert_int_equal(ioa_pool_create(&cfg, &p), 0);
	assert_int_equal(ioa_account_stats(a, &st), 0);
	assert_true(st.usage >= 200 * 4096);
	for (int i = 0; i < 1000; i++) /* gets and puts charge nothing more */
		ioa_pool_put(p, ioa_pool_get(p));
	assert_int_equal(ioa_account_stats(a, &st), 0);
	assert_true(st.usage >= 200 * 4096 && st.usage < (1 << 20));
	assert_int_equal(ioa_pool_destroy(p), 0);
	assert_int_equal(ioa_account_stats(a, &st), 0);
	assert_int_equal(st.usage, 0);

	cfg.domain = d; /* the same through a domain */
	cfg.count = 1000;
	assert_int_equal(ioa_pool_create(&cfg, &p), -EDQUOT);
	cfg.account = NULL;
	cfg.count = 100000; /* 400 MB: more than the domain's 79 MiB */
	assert_int_equal(ioa_pool_create(&cfg, &p), -ENOMEM);
	assert_int_equal(ioa_account_destroy(a), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void growth_adds_objects(void **state)
{
	ioa_pool_t *p = make(100, 10, IOA_POOL_F_GROW, 0);
	ioa_pool_t *q = make(100, 10, 0, 0);
	void *objs[30];

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_non_null(objs[i] = ioa_pool_get(p));
	assert_null(ioa_pool_get(p));
	assert_int_equal(ioa_pool_grow(p, 20), 0);
	assert_int_equal(ioa_pool_count(p), 30);
	for (int i = 10; i < 30; i++)
		assert_non_null(objs[i] = ioa_pool_get(p));
	assert_null(ioa_pool_get(p));
	ioa_pool_put_bulk(p, objs, 30);
	assert_int_equal(ioa_pool_free_count(p), 30);
	assert_int_equal(ioa_pool_grow(p, 0), -EINVAL);
	assert_int_equal(ioa_pool_grow(q, 10), -EINVAL); /* created without IOA_POOL_F_GROW */
	assert_int_equal(ioa_pool_destroy(p), 0);
	assert_int_equal(ioa_pool_destroy(q), 0);
}

static void *churn_and_exit(void *arg)
{
	ioa_pool_t *p = arg;
	void *objs[100];

	for (int i = 0; i < 100; i++)
		objs[i] = ioa_pool_get(p);
	for (int i = 0; i < 100; i++)
		ioa_pool_put(p, objs[i]);
	return NULL; /* its magazines still hold objects: thread exit returns them */
}

static void thread_exit_returns_magazines(void **state)
{
	ioa_pool_t *p = make(64, 1000, 0, 0);
	pthread_t t;
	void **objs = calloc(1000, sizeof(*objs));

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, churn_and_exit, p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(ioa_pool_free_count(p), 1000);
	for (int i = 0; i < 1000; i++) /* nothing stranded in the dead thread's cache */
		assert_non_null(objs[i] = ioa_pool_get(p));
	assert_null(ioa_pool_get(p));
	ioa_pool_put_bulk(p, objs, 1000);
	ioa_pool_thread_flush();
	assert_int_equal(ioa_pool_free_count(p), 1000);
	assert_int_equal(ioa_pool_destroy(p), 0);
	free(objs);
}

struct uncached {
	ioa_pool_t *p;
	int got;
};

static void *use_uncached(void *arg)
{
	struct uncached *u = arg;
	void *objs[200];

	for (u->got = 0; u->got < 200; u->got++)
		if (!(objs[u->got] = ioa_pool_get(u->p)))
			break;
	for (int i = 0; i < u->got; i++)
		ioa_pool_put(u->p, objs[i]);
	return NULL;
}

/* A pool with one cache slot: the main thread holds it (the lowest index),
 * another thread works through the depot's loose objects. */
static void threads_beyond_the_cache_slots_work(void **state)
{
	struct ioa_pool_config cfg = cfg_of(32, 200);
	struct uncached u;
	pthread_t t;
	ioa_pool_t *p;

	(void)state;
	cfg.threads = 1;
	cfg.cache = 10;
	assert_int_equal(ioa_pool_create(&cfg, &p), 0);
	ioa_pool_put(p, ioa_pool_get(p)); /* the main thread's cache now holds objects */
	u.p = p;
	assert_int_equal(pthread_create(&t, NULL, use_uncached, &u), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(u.got >= 200 - 2 * 10); /* at most two magazines held elsewhere */
	assert_int_equal(ioa_pool_free_count(p), 200);
	assert_int_equal(ioa_pool_destroy(p), 0);
}

/* ---- misuse ---------------------------------------------------------------------- */

static void expect_misuse(int before, const char *needle)
{
	assert_int_equal(ioa_test_misuses, before + 1);
	if (!strstr(ioa_test_last_misuse, needle))
		fail_msg("misuse message '%s' lacks '%s'", ioa_test_last_misuse, needle);
	assert_non_null(strstr(ioa_test_last_misuse, "pool 'test'"));
}

static void release_mode_catches_foreign_pointers(void **state)
{
	ioa_pool_t *p = make(64, 100, 0, 0);
	static uint8_t elsewhere[64];
	int n;

	(void)state;
	ioa_test_catch_misuse();
	n = ioa_test_misuses;
	ioa_pool_put(p, elsewhere);
	expect_misuse(n, "not an object of this pool");
	assert_int_equal(ioa_pool_free_count(p), 100); /* not taken in */
	ioa_test_release_misuse();
	assert_int_equal(ioa_pool_destroy(p), 0);
}

static void debug_mode_catches_misuse(void **state)
{
	ioa_pool_t *p = make(40, 100, IOA_POOL_F_DEBUG, 0);
	uint8_t *a, *b;
	int n;

	(void)state;
	ioa_test_catch_misuse();
	a = ioa_pool_get(p);
	b = ioa_pool_get(p);
	if (!ioa_test_under_valgrind()) /* to Valgrind, a fresh object is undefined */
		assert_int_equal(a[0], 0xa5); /* a fresh object carries the fresh poison */

	n = ioa_test_misuses;
	ioa_pool_put(p, a + 8);
	expect_misuse(n, "foreign or interior pointer");

	n = ioa_test_misuses;
	ioa_pool_put(p, a);
	assert_int_equal(ioa_test_misuses, n);
	ioa_pool_put(p, a);
	expect_misuse(n, "double put");

	if (!ioa_test_under_asan() && !ioa_test_under_valgrind()) {
		/* the checkers themselves stop these writes into poisoned bytes */
		n = ioa_test_misuses;
		b[40] = 1; /* one byte past the object */
		ioa_pool_put(p, b);
		expect_misuse(n, "back redzone");

		n = ioa_test_misuses;
		a = ioa_pool_get(p); /* LIFO: b again */
		assert_ptr_equal(a, b);
		ioa_pool_put(p, a);
		a[3] = 7; /* after its put */
		b = ioa_pool_get(p);
		expect_misuse(n, "written after its put");
		ioa_pool_put(p, b);
	}

	a = ioa_pool_get(p);
	n = ioa_test_misuses;
	assert_int_equal(ioa_pool_destroy(p), -EBUSY);
	assert_true((int)ioa_test_misuses >= n + 2); /* the count, then the object and its getter */
	assert_non_null(strstr(ioa_test_last_misuse, "still out, got from"));
	ioa_test_release_misuse();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_configurations_are_einval),
		cmocka_unit_test(single_thread_model),
		cmocka_unit_test(exhaustion_and_refill),
		cmocka_unit_test(bulk_is_all_or_nothing),
		cmocka_unit_test(bulk_straddles_magazines),
		cmocka_unit_test(domain_pool_objects_honour_the_constraint),
		cmocka_unit_test(quota_is_charged_at_creation),
		cmocka_unit_test(growth_adds_objects),
		cmocka_unit_test(thread_exit_returns_magazines),
		cmocka_unit_test(threads_beyond_the_cache_slots_work),
		cmocka_unit_test(release_mode_catches_foreign_pointers),
		cmocka_unit_test(debug_mode_catches_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
