/* SPDX-License-Identifier: MIT */
/*
 * Pools under 2 and 4 threads: random single and bulk gets and puts, and
 * objects handed to another thread to put (cross-thread frees). Every
 * object is stamped with its holder and a sequence number in every word when
 * got, and checked when put: two holders of one object, or a write by the
 * pool into a held object, shows as a mismatch. At the end every object is
 * free again. Runs under TSan in make check.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/pool.h>

#define OBJ 64
#define WORDS (OBJ / 8)
#define HOLD 256

struct shared {
	ioa_pool_t *p;
	pthread_mutex_t lock; /* the hand-off stack between threads */
	void *handoff[4096];
	size_t nhandoff;
	_Atomic uint64_t mismatches, ops, crossed;
	int iterations;
};

struct worker {
	struct shared *s;
	uint64_t id, seed, seq;
	void *held[HOLD];
	size_t nheld;
};

static void stamp(struct worker *w, uint64_t *o)
{
	uint64_t v = w->id << 48 | w->seq++;

	for (int i = 0; i < WORDS; i++)
		o[i] = v;
}

/* The stamp's words agree with each other and name holder (0: anyone). */
static bool intact(const uint64_t *o, uint64_t holder)
{
	for (int i = 1; i < WORDS; i++)
		if (o[i] != o[0])
			return false;
	return !holder || o[0] >> 48 == holder;
}

static void check_and_put(struct worker *w, void *o, uint64_t holder)
{
	if (!intact(o, holder))
		atomic_fetch_add(&w->s->mismatches, 1);
	ioa_pool_put(w->s->p, o);
}

static void take(struct worker *w)
{
	size_t n = 1 + ioa_test_rand(&w->seed) % 40;
	void *objs[40];

	if (n > HOLD - w->nheld)
		return;
	if (n > 1 && ioa_test_rand(&w->seed) % 2) {
		if (ioa_pool_get_bulk(w->s->p, objs, n))
			return;
	} else {
		for (size_t i = 0; i < n; i++)
			if (!(objs[i] = ioa_pool_get(w->s->p)))
				n = i;
	}
	for (size_t i = 0; i < n; i++) {
		stamp(w, objs[i]);
		w->held[w->nheld++] = objs[i];
	}
}

static void give_back(struct worker *w)
{
	size_t n = 1 + ioa_test_rand(&w->seed) % (w->nheld ? w->nheld : 1);

	while (n-- && w->nheld) {
		void *o = w->held[--w->nheld];

		if (ioa_test_rand(&w->seed) % 4 == 0) { /* another thread puts it */
			if (!intact(o, w->id))
				atomic_fetch_add(&w->s->mismatches, 1);
			pthread_mutex_lock(&w->s->lock);
			if (w->s->nhandoff < 4096) {
				w->s->handoff[w->s->nhandoff++] = o;
				o = NULL;
			}
			pthread_mutex_unlock(&w->s->lock);
			if (!o)
				continue;
		}
		check_and_put(w, o, w->id);
	}
}

static void put_handed(struct worker *w)
{
	void *o = NULL;

	pthread_mutex_lock(&w->s->lock);
	if (w->s->nhandoff)
		o = w->s->handoff[--w->s->nhandoff];
	pthread_mutex_unlock(&w->s->lock);
	if (o) {
		check_and_put(w, o, 0);
		atomic_fetch_add(&w->s->crossed, 1);
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->s->iterations; i++) {
		uint64_t r = ioa_test_rand(&w->seed) % 8;

		if (r < 3)
			take(w);
		else if (r < 6)
			give_back(w);
		else
			put_handed(w);
		for (size_t k = 0; k < w->nheld; k += 17) /* held objects stay ours */
			if (!intact(w->held[k], w->id))
				atomic_fetch_add(&w->s->mismatches, 1);
	}
	while (w->nheld)
		check_and_put(w, w->held[--w->nheld], w->id);
	atomic_fetch_add(&w->s->ops, w->seq);
	return NULL;
}

static void run(int threads, unsigned flags)
{
	struct ioa_pool_config cfg;
	struct shared s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct worker *w = calloc((size_t)threads, sizeof(*w));
	pthread_t t[4];

	ioa_pool_config_init(&cfg);
	cfg.name = "stress";
	cfg.obj_size = OBJ;
	cfg.count = 2048; /* fewer than the threads may want: exhaustion happens */
	cfg.flags = flags;
	assert_int_equal(ioa_pool_create(&cfg, &s.p), 0);
	s.iterations = ioa_test_under_tsan() ? 20000 : 200000;
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){.s = &s, .id = (uint64_t)i + 1, .seed = 0xabc0 + (uint64_t)i};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < threads; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	while (s.nhandoff)
		ioa_pool_put(s.p, s.handoff[--s.nhandoff]);
	print_message("%d threads, flags %#x: %llu objects stamped, %llu put cross-thread, "
		      "%llu mismatches\n", threads, flags, (unsigned long long)s.ops,
		      (unsigned long long)s.crossed, (unsigned long long)s.mismatches);
	assert_int_equal(s.mismatches, 0);
	assert_true(s.crossed > 0);
	assert_int_equal(ioa_pool_free_count(s.p), 2048); /* exited threads returned all */
	assert_int_equal(ioa_pool_destroy(s.p), 0);
	free(w);
}

static void two_threads(void **state)
{
	(void)state;
	run(2, 0);
}

static void four_threads(void **state)
{
	(void)state;
	run(4, 0);
}

static void four_threads_debug(void **state)
{
	(void)state;
	run(4, IOA_POOL_F_DEBUG);
}

static void two_threads_without_magazines(void **state)
{
	(void)state;
	run(2, IOA_POOL_F_NO_CACHE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_threads),
		cmocka_unit_test(four_threads),
		cmocka_unit_test(four_threads_debug),
		cmocka_unit_test(two_threads_without_magazines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
