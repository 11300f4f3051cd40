/* SPDX-License-Identifier: MIT */
/* Quota trees: limits up the chain, -EDQUOT leaves nothing charged, peaks,
 * refusal counts, underflow reported as misuse, and concurrent charging from
 * two threads never passes a limit and balances exactly. */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <ioalloc/account.h>
#include <ioalloc/debug.h>

static struct ioa_account_stats stats(ioa_account_t *a)
{
	struct ioa_account_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	assert_int_equal(ioa_account_stats(a, &st), 0);
	return st;
}

static void limits_apply_up_the_chain(void **state)
{
	ioa_account_t *root, *mid, *leaf;

	(void)state;
	assert_int_equal(ioa_account_create(NULL, "root", 1000, &root), 0);
	assert_int_equal(ioa_account_create(root, "mid", 600, &mid), 0);
	assert_int_equal(ioa_account_create(mid, "leaf", IOA_ACCOUNT_UNLIMITED, &leaf), 0);
	assert_int_equal(ioa_account_charge(leaf, 500), 0);
	assert_int_equal(ioa_account_charge(leaf, 101), -EDQUOT); /* mid refuses */
	assert_int_equal(stats(leaf).usage, 500);                 /* nothing charged */
	assert_int_equal(stats(mid).usage, 500);
	assert_int_equal(stats(root).usage, 500);
	assert_int_equal(stats(mid).failures, 1);
	assert_int_equal(stats(mid).last_refused, 101);
	assert_int_equal(stats(leaf).failures, 0);
	assert_int_equal(ioa_account_charge(root, 500), 0);
	assert_int_equal(ioa_account_charge(leaf, 1), -EDQUOT);   /* root full */
	assert_int_equal(stats(root).failures, 1);
	assert_int_equal(ioa_account_charge(leaf, 0), 0);
	assert_int_equal(ioa_account_uncharge(root, 500), 0);
	assert_int_equal(ioa_account_uncharge(leaf, 500), 0);
	assert_int_equal(stats(root).peak, 1000);
	assert_int_equal(stats(root).usage, 0);
	assert_int_equal(stats(root).children, 1);
	assert_int_equal(ioa_account_destroy(root), -EBUSY);      /* has a child */
	assert_int_equal(ioa_account_destroy(leaf), 0);
	assert_int_equal(ioa_account_destroy(mid), 0);
	assert_int_equal(ioa_account_destroy(root), 0);
}

struct seen_tree {
	char line[256];
	size_t n;
};

static int note(void *arg, const ioa_account_t *a, unsigned depth)
{
	struct seen_tree *t = arg;
	struct ioa_account_stats st = {.size = sizeof(st)};

	ioa_account_stats(a, &st);
	t->n += (size_t)snprintf(t->line + t->n, sizeof(t->line) - t->n, "%u:%s ", depth, st.name);
	return strcmp(st.name, "stop") == 0 ? 42 : 0;
}

static void the_tree_can_be_walked(void **state)
{
	ioa_account_t *root, *a, *b, *a1;
	struct seen_tree t = {"", 0};

	(void)state;
	assert_int_equal(ioa_account_create(NULL, "root", 100, &root), 0);
	assert_int_equal(ioa_account_create(root, "a", 100, &a), 0);
	assert_int_equal(ioa_account_create(root, "b", 100, &b), 0);
	assert_int_equal(ioa_account_create(a, "a1", 100, &a1), 0);
	assert_int_equal(ioa_account_walk(root, note, &t), 0);
	assert_string_equal(t.line, "0:root 1:b 1:a 2:a1 "); /* depth first, newest first */
	assert_int_equal(ioa_account_destroy(b), 0);
	t.n = 0;
	ioa_account_walk(root, note, &t);
	assert_string_equal(t.line, "0:root 1:a 2:a1 ");
	ioa_account_t *stop;
	assert_int_equal(ioa_account_create(a, "stop", 1, &stop), 0);
	t.n = 0;
	assert_int_equal(ioa_account_walk(root, note, &t), 42); /* fn's value ends the walk */
	assert_string_equal(t.line, "0:root 1:a 2:stop ");
	assert_int_equal(ioa_account_walk(NULL, note, &t), -EINVAL);
	assert_int_equal(ioa_account_walk(root, NULL, NULL), -EINVAL);
	ioa_account_destroy(stop);
	ioa_account_destroy(a1);
	ioa_account_destroy(a);
	assert_int_equal(ioa_account_destroy(root), 0);
}

static void busy_accounts_are_not_destroyed(void **state)
{
	ioa_account_t *a;

	(void)state;
	assert_int_equal(ioa_account_create(NULL, "busy", 10, &a), 0);
	assert_int_equal(ioa_account_charge(a, 10), 0);
	assert_int_equal(ioa_account_destroy(a), -EBUSY);
	assert_int_equal(ioa_account_set_limit(a, 5), 0);           /* below usage */
	assert_int_equal(ioa_account_charge(a, 1), -EDQUOT);
	assert_int_equal(ioa_account_uncharge(a, 10), 0);
	assert_int_equal(ioa_account_destroy(a), 0);
	assert_int_equal(ioa_account_destroy(NULL), 0);
	assert_int_equal(ioa_account_charge(NULL, 1), -EINVAL);
	assert_int_equal(ioa_account_create(NULL, "x", 1, NULL), -EINVAL);
}

static int misuse_seen;
static char misuse_object[128];

static void record_misuse(void *arg, const char *call, const char *object, const char *msg)
{
	(void)arg;
	(void)msg;
	misuse_seen++;
	assert_string_equal(call, "ioa_account_uncharge");
	snprintf(misuse_object, sizeof(misuse_object), "%s", object);
}

static void underflow_is_reported_and_changes_nothing(void **state)
{
	ioa_account_t *root, *leaf;
	ioa_misuse_fn old;

	(void)state;
	assert_int_equal(ioa_account_create(NULL, "root", 100, &root), 0);
	assert_int_equal(ioa_account_create(root, "client7", 100, &leaf), 0);
	assert_int_equal(ioa_account_charge(leaf, 10), 0);
	assert_int_equal(ioa_account_uncharge(root, 5), 0); /* root 5, leaf 10 */
	old = ioa_set_misuse_handler(record_misuse, NULL);
	assert_int_equal(ioa_account_uncharge(leaf, 10), -EINVAL); /* root would go below 0 */
	ioa_set_misuse_handler(old, NULL);
	assert_int_equal(misuse_seen, 1);
	assert_string_equal(misuse_object, "account 'root'");
	assert_int_equal(stats(leaf).usage, 10);
	assert_int_equal(stats(root).usage, 5);
	assert_int_equal(ioa_account_uncharge(leaf, 5), 0);
	/* leaf 5 left without root share: give it back directly. */
	assert_int_equal(ioa_account_charge(root, 5), 0);
	assert_int_equal(ioa_account_uncharge(leaf, 5), 0);
	assert_int_equal(ioa_account_destroy(leaf), 0);
	assert_int_equal(ioa_account_destroy(root), 0);
}

struct worker {
	ioa_account_t *acct;
	uint64_t ok, refused, seed;
};

#define LIMIT 4096
static void *charge_loop(void *arg)
{
	struct worker *w = arg;
	uint64_t held = 0;

	for (int i = 0; i < 200000; i++) {
		uint64_t n = 1 + ioa_test_rand(&w->seed) % 64;

		if (ioa_account_charge(w->acct, n) == 0) {
			w->ok++;
			held += n;
		} else {
			w->refused++;
		}
		if (held > 512) {
			assert_int_equal(ioa_account_uncharge(w->acct, held), 0);
			held = 0;
		}
	}
	assert_int_equal(ioa_account_uncharge(w->acct, held), 0);
	return NULL;
}

static void two_threads_charge_concurrently(void **state)
{
	ioa_account_t *root, *a, *b;
	struct worker w[2];
	pthread_t t[2];

	(void)state;
	assert_int_equal(ioa_account_create(NULL, "root", 1000, &root), 0);
	assert_int_equal(ioa_account_create(root, "a", 700, &a), 0);
	assert_int_equal(ioa_account_create(root, "b", 700, &b), 0);
	w[0] = (struct worker){a, 0, 0, 1};
	w[1] = (struct worker){b, 0, 0, 2};
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, charge_loop, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(stats(root).usage, 0);
	assert_int_equal(stats(a).usage, 0);
	assert_true(stats(root).peak <= 1000);
	assert_true(stats(a).peak <= 700);
	assert_true(w[0].ok > 0 && w[1].ok > 0);
	assert_int_equal(ioa_account_destroy(a), 0);
	assert_int_equal(ioa_account_destroy(b), 0);
	assert_int_equal(ioa_account_destroy(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limits_apply_up_the_chain),
		cmocka_unit_test(the_tree_can_be_walked),
		cmocka_unit_test(busy_accounts_are_not_destroyed),
		cmocka_unit_test(underflow_is_reported_and_changes_nothing),
		cmocka_unit_test(two_threads_charge_concurrently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
