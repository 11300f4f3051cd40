/* SPDX-License-Identifier: MIT */
/*
 * Domains on the memfd backend with a deterministic three-zone layout (ISA
 * below 16 MiB, a 32-bit zone, memory above 4 GiB): every allocation honours
 * its constraint and lands in backed, writable memory at va = base + bus;
 * quota is -EDQUOT and exhaustion -ENOMEM; bad input changes nothing; a bad
 * free is refused and, in debug mode, reported; destroy reports leaks.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ioalloc/debug.h>
#include <ioalloc/domain.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static const char *const layout = "ranges=0x100000+15M:0xf0000000+64M:0x100000000+64M,chunk=1M";

static ioa_domain_t *make(const char *spec, unsigned extra_flags)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "test";
	assert_int_equal(ioa_domain_config_parse(&cfg, spec, err, sizeof(err)), 0);
	cfg.flags |= extra_flags;
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	return d;
}

static bool in_layout(uint64_t bus, uint64_t size)
{
	static const uint64_t r[3][2] = {{0x100000, 15 * MiB}, {0xf0000000, 64 * MiB},
					 {0x100000000, 64 * MiB}};

	for (int i = 0; i < 3; i++)
		if (bus >= r[i][0] && bus + size <= r[i][0] + r[i][1])
			return true;
	return false;
}

static void check_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			uint64_t *bus)
{
	uint8_t *va;
	uint64_t back;

	assert_int_equal(ioa_domain_alloc(d, size, c, NULL, bus), 0);
	assert_true(ioa_constraint_fits(c, *bus, size));
	assert_true(in_layout(*bus, size));
	va = ioa_domain_virt(d, *bus);
	assert_non_null(va);
	memset(va, 0xa5, size); /* backed and writable */
	assert_int_equal(ioa_domain_bus(d, va + size - 1, &back), 0);
	assert_true(back == *bus + size - 1);
}

static void constraints_pick_the_right_zone(void **state)
{
	ioa_domain_t *d = make(layout, 0);
	struct ioa_constraint isa, dma32, any, bound;
	uint64_t a, b, e, f;

	(void)state;
	ioa_constraint_init(&any);
	ioa_constraint_init(&isa);
	ioa_constraint_set_dma_bits(&isa, 24);
	ioa_constraint_init(&dma32);
	ioa_constraint_set_dma_bits(&dma32, 32);
	ioa_constraint_init(&bound);
	bound.boundary = 64 << 10;
	bound.align = 16 << 10;
	check_alloc(d, 12288, &isa, &a);
	assert_true(a < 16 * MiB);
	check_alloc(d, 1 * MiB, &dma32, &b);
	assert_true(b >= 0xf0000000 && b < 4 * GiB);   /* the highest zone it allows */
	check_alloc(d, 8192, &any, &e);
	assert_true(e >= 4 * GiB);                     /* unconstrained: highest zone first */
	for (int i = 0; i < 50; i++)
		check_alloc(d, 20480, &bound, &f);         /* leaked into the report below */
	assert_int_equal(ioa_domain_destroy(d), 53);
}

static void a_window_without_memory_is_enomem(void **state)
{
	ioa_domain_t *d = make(layout, 0);
	struct ioa_constraint hole;
	struct ioa_domain_stats st = {.size = sizeof(st)};
	uint64_t bus = 7;

	(void)state;
	ioa_constraint_init(&hole);
	hole.min_addr = 16 * MiB;
	hole.max_addr = 0xf0000000 - 1;
	assert_int_equal(ioa_domain_alloc(d, 4096, &hole, NULL, &bus), -ENOMEM);
	assert_int_equal(bus, 7);
	assert_int_equal(ioa_domain_stats(d, &st), 0);
	assert_int_equal(st.root.usage, 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void bad_input_is_einval_and_charges_nothing(void **state)
{
	ioa_domain_t *d = make(layout, 0);
	struct ioa_constraint c;
	struct ioa_domain_stats st = {.size = sizeof(st)};
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_domain_alloc(d, 0, NULL, NULL, &bus), -EINVAL);
	assert_int_equal(ioa_domain_alloc(d, 4096, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ioa_domain_alloc(NULL, 4096, NULL, NULL, &bus), -EINVAL);
	ioa_constraint_init(&c);
	c.boundary = 4096;
	assert_int_equal(ioa_domain_alloc(d, 8192, &c, NULL, &bus), -EINVAL); /* > boundary */
	c.boundary = 3 << 12;
	assert_int_equal(ioa_domain_alloc(d, 4096, &c, NULL, &bus), -EINVAL); /* not 2^n */
	ioa_constraint_init(&c);
	c.min_addr = 0x100000;
	c.max_addr = 0x100fff;
	assert_int_equal(ioa_domain_alloc(d, 8192, &c, NULL, &bus), -EINVAL); /* > window */
	assert_int_equal(ioa_domain_stats(d, &st), 0);
	assert_int_equal(st.root.usage, 0);
	assert_int_equal(st.root.peak, 0);
	assert_int_equal(st.live_allocs, 0);
	assert_null(ioa_domain_virt(d, 0x1000));         /* below the bus window */
	assert_int_equal(ioa_domain_bus(d, &st, &bus), -EINVAL);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void quota_is_edquot_and_exhaustion_enomem(void **state)
{
	ioa_domain_t *d = make("size=8M,chunk=1M", 0);
	ioa_account_t *client;
	uint64_t bus[8], extra;
	int n = 0;

	(void)state;
	assert_int_equal(ioa_account_create(ioa_domain_account(d), "client", 3 * MiB, &client), 0);
	assert_int_equal(ioa_domain_alloc(d, 2 * MiB, NULL, client, &bus[0]), 0);
	assert_int_equal(ioa_domain_alloc(d, 2 * MiB, NULL, client, &extra), -EDQUOT);
	assert_int_equal(ioa_domain_free(d, bus[0], 2 * MiB, client), 0);
	assert_int_equal(ioa_account_destroy(client), 0);
	while (n < 8 && ioa_domain_alloc(d, 1 * MiB, NULL, NULL, &bus[n]) == 0)
		n++;
	assert_int_equal(n, 8);                                   /* the whole 8 MiB */
	assert_int_equal(ioa_domain_alloc(d, 4096, NULL, NULL, &extra), -ENOMEM);
	assert_int_equal(ioa_domain_free(d, bus[3], 1 * MiB, NULL), 0);
	assert_int_equal(ioa_domain_alloc(d, 1 * MiB, NULL, NULL, &extra), 0);
	assert_int_equal(extra, bus[3]);
	bus[3] = extra;
	while (n--)
		assert_int_equal(ioa_domain_free(d, bus[n], 1 * MiB, NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

struct seen {
	int count;
	char object[64], message[256];
};

static void record(void *arg, const char *call, const char *object, const char *message)
{
	struct seen *s = arg;

	s->count++;
	assert_string_equal(call, "ioa_domain_free");
	snprintf(s->object, sizeof(s->object), "%s", object);
	snprintf(s->message, sizeof(s->message), "%s", message);
}

static void bad_frees_are_refused_and_reported_in_debug(void **state)
{
	ioa_domain_t *d = make("size=16M", IOA_DOMAIN_F_DEBUG);
	ioa_account_t *a;
	struct seen s = {0};
	ioa_misuse_fn old = ioa_set_misuse_handler(record, &s);
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_account_create(ioa_domain_account(d), "alice", IOA_ACCOUNT_UNLIMITED,
					    &a), 0);
	assert_int_equal(ioa_domain_alloc(d, 8192, NULL, a, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus, 4096, a), -EINVAL);       /* wrong size */
	assert_int_equal(s.count, 1);
	assert_string_equal(s.object, "domain 'test'");
	assert_non_null(strstr(s.message, "different size"));
	assert_int_equal(ioa_domain_free(d, bus, 8192, NULL), -EINVAL);    /* wrong account */
	assert_non_null(strstr(s.message, "account 'alice'"));
	assert_int_equal(ioa_domain_free(d, bus + 4096, 4096, a), -EINVAL); /* interior */
	assert_non_null(strstr(s.message, "never allocated"));
	assert_int_equal(ioa_domain_free(d, bus, 8192, a), 0);
	assert_int_equal(ioa_domain_free(d, bus, 8192, a), -EINVAL);       /* double free */
	assert_int_equal(s.count, 4);
	ioa_set_misuse_handler(old, NULL);
	assert_int_equal(ioa_account_destroy(a), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void bad_frees_without_debug_are_still_refused(void **state)
{
	ioa_domain_t *d = make("size=16M", 0);
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_domain_alloc(d, 4096, NULL, NULL, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus + 4096, 4096, NULL), -EINVAL);
	assert_int_equal(ioa_domain_free(d, bus, 4096, NULL), 0);
	assert_int_equal(ioa_domain_free(d, bus, 4096, NULL), -EINVAL);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void config_parser_names_the_bad_key(void **state)
{
	struct ioa_domain_config cfg, before;
	char err[160];

	(void)state;
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg,
		"backend=memfd,pagesize=2M,size=64M,base=0x200000,chunk=4M,lock=0,debug=1", err,
		sizeof(err)), 0);
	assert_int_equal(cfg.page_size, 2 * MiB);
	assert_int_equal(cfg.size_limit, 64 * MiB);
	assert_int_equal(cfg.nranges, 1);
	assert_int_equal(cfg.ranges[0].base, 0x200000);
	assert_int_equal(cfg.grow_chunk, 4 * MiB);
	assert_false(cfg.flags & IOA_DOMAIN_F_LOCK);
	assert_true(cfg.flags & IOA_DOMAIN_F_DEBUG);
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, "backend=phys", err, sizeof(err)), 0);
	assert_int_equal(cfg.page_size, 2 * MiB); /* phys prefers hugetlb pages... */
	assert_true(cfg.flags & IOA_DOMAIN_F_HUGE_FALLBACK); /* ...and falls back */
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, "backend=phys,pagesize=4K", err, sizeof(err)),
			 0);
	assert_int_equal(cfg.page_size, 4096);
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, layout, err, sizeof(err)), 0);
	assert_int_equal(cfg.nranges, 3);
	assert_int_equal(cfg.ranges[2].base, 0x100000000ull);
	assert_int_equal(cfg.size_limit, 143 * MiB); /* the ranges' sum */
	assert_int_equal(ioa_domain_config_parse(&cfg, "size=010", err, sizeof(err)), 0);
	assert_int_equal(cfg.size_limit, 10);         /* decimal: a leading 0 is not octal */
	static const struct {
		const char *spec, *key;
	} bad[] = {
		{"pagesize=3K", "pagesize"}, {"backend=gpu", "backend"}, {"size=", "size"},
		{"size=12Q", "size"}, {"size=0", "size"}, {"ranges=0x1000", "ranges"},
		{"ranges=1M+0", "ranges"}, {"lock=yes", "lock"}, {"colour=blue", "colour"},
		{"size=99999999999999999999", "size"}, {"size", "size"}, {"base=-1", "base"},
		{"ranges=1M+1M,base=0x200000", "base"}, {"size= 1M", "size"}, {"size=-1", "size"},
		{"size=0x", "size"}, {"chunk=+4M", "chunk"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ioa_domain_config_init(&cfg);
		before = cfg;
		err[0] = 0;
		assert_int_equal(ioa_domain_config_parse(&cfg, bad[i].spec, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i].key));
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
}

static void bad_configs_are_refused(void **state)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d = NULL;
	char err[128];

	(void)state;
	ioa_domain_config_init(&cfg);
	cfg.flags |= 1u << 20;
	assert_int_equal(ioa_domain_create(&cfg, &d), -EINVAL);
	ioa_domain_config_init(&cfg);
	cfg.page_size = 8192;
	assert_int_equal(ioa_domain_create(&cfg, &d), -EINVAL);
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, "ranges=0x1000+8M:0x400000+8M", err,
						 sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), -EINVAL); /* overlapping ranges */
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, "ranges=0x1800+8M", err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), -EINVAL); /* not page aligned */
	ioa_domain_config_init(&cfg);
	cfg.size = 3;
	assert_int_equal(ioa_domain_create(&cfg, &d), -EINVAL);
	assert_int_equal(ioa_domain_create(NULL, &d), -EINVAL);
	assert_null(d);
}

static void the_arena_grows_on_demand_and_stats_say_so(void **state)
{
	ioa_domain_t *d = make("size=64M,chunk=2M", 0);
	struct ioa_domain_stats st = {.size = sizeof(st)};
	uint64_t bus[20];

	(void)state;
	assert_int_equal(ioa_domain_stats(d, &st), 0);
	assert_int_equal(st.arena_bytes, 0);                       /* nothing until used */
	for (int i = 0; i < 20; i++)
		assert_int_equal(ioa_domain_alloc(d, 1 * MiB, NULL, NULL, &bus[i]), 0);
	assert_int_equal(ioa_domain_stats(d, &st), 0);
	assert_int_equal(st.arena_bytes, 20 * MiB);
	assert_int_equal(st.live_allocs, 20);
	assert_int_equal(st.vmem.alloc_bytes, 20 * MiB);
	assert_int_equal(st.root.usage, 20 * MiB);
	assert_true(st.locked_bytes == st.arena_bytes || !ioa_test_has_cap(14 /* IPC_LOCK */));
	for (int i = 0; i < 20; i++)
		assert_int_equal(ioa_domain_free(d, bus[i], 1 * MiB, NULL), 0);
	assert_int_equal(ioa_domain_stats(d, &st), 0);
	assert_int_equal(st.vmem.free_segs, 1);                    /* coalesced again */
	assert_int_equal(st.root.usage, 0);
	assert_int_equal(st.root.peak, 20 * MiB);
	ioa_account_t *client;
	char text[4096] = "";
	FILE *mem = fmemopen(text, sizeof(text) - 1, "w");

	assert_int_equal(ioa_account_create(ioa_domain_account(d), "client9", 1 * MiB, &client), 0);
	assert_int_equal(ioa_domain_print_stats(d, mem), 0);
	fclose(mem);
	assert_non_null(strstr(text, "  'client9': usage 0 B")); /* the account tree */
	assert_non_null(strstr(text, "limit 1.0 MiB"));
	assert_int_equal(ioa_account_destroy(client), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(constraints_pick_the_right_zone),
		cmocka_unit_test(a_window_without_memory_is_enomem),
		cmocka_unit_test(bad_input_is_einval_and_charges_nothing),
		cmocka_unit_test(quota_is_edquot_and_exhaustion_enomem),
		cmocka_unit_test(bad_frees_are_refused_and_reported_in_debug),
		cmocka_unit_test(bad_frees_without_debug_are_still_refused),
		cmocka_unit_test(config_parser_names_the_bad_key),
		cmocka_unit_test(bad_configs_are_refused),
		cmocka_unit_test(the_arena_grows_on_demand_and_stats_say_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
