/* SPDX-License-Identifier: MIT */
/*
 * Two threads allocate and free under random constraints from one domain,
 * each charging its own account; every allocation is stamped with its owner
 * and sequence number when made and checked when freed, so any overlap
 * between live allocations shows as a mismatch. Fixed seeds.
 */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <ioalloc/domain.h>

#define LIVE 64

struct worker {
	ioa_domain_t *d;
	ioa_account_t *acct;
	uint64_t seed, ops, mismatches, refused;
	int id;
};

struct live {
	uint64_t bus, size, stamp;
};

static void stamp(ioa_domain_t *d, const struct live *l)
{
	uint64_t *p = ioa_domain_virt(d, l->bus);

	for (uint64_t i = 0; i < l->size / 8; i += 512)
		p[i] = l->stamp;
	p[l->size / 8 - 1] = l->stamp;
}

static bool intact(ioa_domain_t *d, const struct live *l)
{
	uint64_t *p = ioa_domain_virt(d, l->bus);

	for (uint64_t i = 0; i < l->size / 8; i += 512)
		if (p[i] != l->stamp)
			return false;
	return p[l->size / 8 - 1] == l->stamp;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct live live[LIVE];
	int n = 0;

	for (uint64_t op = 0; op < 20000; op++) {
		uint64_t r = ioa_test_rand(&w->seed);

		if (n == LIVE || (n && (r & 1))) {
			int k = (int)((r >> 8) % (uint64_t)n);

			w->mismatches += !intact(w->d, &live[k]);
			assert_int_equal(ioa_domain_free(w->d, live[k].bus, live[k].size, w->acct), 0);
			live[k] = live[--n];
		} else {
			struct ioa_constraint c;
			struct live l = {0, 4096u << ((r >> 8) % 5), (uint64_t)w->id << 56 | op};

			ioa_constraint_init(&c);
			c.boundary = (r >> 16) & 1 ? 1u << 16 : 0;
			c.align = 4096u << ((r >> 17) % 3);
			if ((r >> 20) & 1)
				ioa_constraint_set_dma_bits(&c, 32);
			int rc = ioa_domain_alloc(w->d, l.size, &c, w->acct, &l.bus);
			if (rc) {
				assert_int_equal(rc, -ENOMEM);
				w->refused++;
				continue;
			}
			assert_true(ioa_constraint_fits(&c, l.bus, l.size));
			stamp(w->d, &l);
			live[n++] = l;
		}
		w->ops++;
	}
	while (n--) {
		w->mismatches += !intact(w->d, &live[n]);
		assert_int_equal(ioa_domain_free(w->d, live[n].bus, live[n].size, w->acct), 0);
	}
	return NULL;
}

static void two_threads_never_overlap(void **state)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	struct worker w[2];
	pthread_t t[2];
	char err[96];

	(void)state;
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg,
		"ranges=0x100000+15M:0xf0000000+32M:0x100000000+32M,chunk=1M", err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){.d = d, .seed = 42 + (uint64_t)i, .id = i + 1};
		assert_int_equal(ioa_account_create(ioa_domain_account(d), "worker",
						    IOA_ACCOUNT_UNLIMITED, &w[i].acct), 0);
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].mismatches, 0);
		assert_true(w[i].ops > 10000);
		assert_int_equal(ioa_account_destroy(w[i].acct), 0);
	}
	print_message("ops %llu + %llu, mismatches 0\n", (unsigned long long)w[0].ops,
		      (unsigned long long)w[1].ops);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_threads_never_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
