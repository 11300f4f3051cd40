/* SPDX-License-Identifier: MIT */
/*
 * DMA common buffers: every buffer is contiguous, honours its constraint
 * (read back from its bus address) and is writable at its virtual address;
 * buffer-size and sync range rules; IDmaChannel's state rules on a channel.
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>
#include <ioalloc/dma.h>

#define KiB (1ull << 10)
#define MiB (1ull << 20)

static ioa_domain_t *make(void)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "dma";
	assert_int_equal(ioa_domain_config_parse(&cfg,
		"ranges=0x100000+15M:0xf0000000+64M:0x100000000+64M,chunk=2M", err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	return d;
}

static void buffers_honour_their_constraints(void **state)
{
	ioa_domain_t *d = make();
	ioa_dma_buf_t *b[40];
	uint64_t back;

	(void)state;
	for (int i = 0; i < 40; i++) {
		uint64_t size = 4 * KiB << (i % 10); /* 4 KiB .. 2 MiB */
		struct ioa_constraint c;

		ioa_constraint_init(&c);
		c.boundary = size <= 64 * KiB ? 64 * KiB : size;
		c.align = i % 3 ? 4096 : 16 * KiB;
		if (i % 4 == 1)
			ioa_constraint_set_dma_bits(&c, 32);
		if (i % 4 == 2)
			ioa_constraint_set_dma_bits(&c, 24);
		assert_int_equal(ioa_dma_alloc(d, size, &c, NULL, IOA_DMA_F_ZERO, &b[i]), 0);
		assert_true(ioa_constraint_fits(&c, ioa_dma_bus(b[i]), size));
		assert_int_equal(ioa_dma_allocated_size(b[i]), size);
		assert_int_equal(((uint8_t *)ioa_dma_va(b[i]))[size - 1], 0);
		memset(ioa_dma_va(b[i]), i, size);
		assert_int_equal(ioa_domain_bus(d, ioa_dma_va(b[i]), &back), 0);
		assert_true(back == ioa_dma_bus(b[i]));
	}
	for (int i = 0; i < 40; i++) {
		assert_int_equal(((uint8_t *)ioa_dma_va(b[i]))[0], i); /* no overlap */
		assert_int_equal(ioa_dma_free(b[i]), 0);
	}
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void sizes_and_syncs(void **state)
{
	ioa_domain_t *d = make();
	ioa_dma_buf_t *b;

	(void)state;
	assert_int_equal(ioa_dma_alloc(d, 5000, NULL, NULL, 0, &b), 0);
	assert_int_equal(ioa_dma_allocated_size(b), 8192);
	assert_int_equal(ioa_dma_buffer_size(b), 5000);      /* the requested size until set */
	assert_int_equal(ioa_dma_set_buffer_size(b, 8192), 0);
	assert_int_equal(ioa_dma_set_buffer_size(b, 8193), -EINVAL);
	assert_int_equal(ioa_dma_set_buffer_size(b, 0), -EINVAL);
	assert_int_equal(ioa_dma_buffer_size(b), 8192);
	assert_int_equal(ioa_dma_sync_for_device(b, 0, 8192), 0);
	assert_int_equal(ioa_dma_sync_for_cpu(b, 4096, 4096), 0);
	assert_int_equal(ioa_dma_sync_for_device(b, 4096, 4097), -EINVAL); /* outside */
	assert_int_equal(ioa_dma_sync_for_cpu(b, 8193, 0), -EINVAL);
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(ioa_dma_free(NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void bad_input_changes_nothing(void **state)
{
	ioa_domain_t *d = make();
	ioa_dma_buf_t *b = NULL;
	struct ioa_constraint c;
	struct ioa_domain_stats st = {.size = sizeof(st)};

	(void)state;
	ioa_constraint_init(&c);
	c.boundary = 64 * KiB;
	assert_int_equal(ioa_dma_alloc(d, 128 * KiB, &c, NULL, 0, &b), -EINVAL); /* > boundary */
	assert_int_equal(ioa_dma_alloc(d, 0, NULL, NULL, 0, &b), -EINVAL);
	assert_int_equal(ioa_dma_alloc(d, 4096, NULL, NULL, 0x80, &b), -EINVAL); /* flags */
	ioa_constraint_init(&c);
	c.max_addr = 0xfffff;                                         /* below the domain */
	assert_int_equal(ioa_dma_alloc(d, 4096, &c, NULL, 0, &b), -EINVAL);
	ioa_constraint_init(&c);
	c.min_addr = 16 * MiB;
	c.max_addr = 0xf0000000 - 1;                                  /* a hole: no memory */
	assert_int_equal(ioa_dma_alloc(d, 4096, &c, NULL, 0, &b), -ENOMEM);
	assert_null(b);
	assert_int_equal(ioa_domain_stats(d, &st), 0);
	assert_int_equal(st.root.usage, 0);
	assert_int_equal(st.live_allocs, 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void channel_state_rules(void **state)
{
	ioa_domain_t *d = make();
	ioa_dma_channel_t *ch;
	struct ioa_constraint isa, extra, got;
	ioa_dma_buf_t *b;

	(void)state;
	ioa_constraint_init(&isa);
	ioa_constraint_set_dma_bits(&isa, 24);
	assert_int_equal(ioa_dma_channel_create(d, &isa, 64 * KiB, NULL, &ch), 0);
	assert_int_equal(ioa_dma_channel_max_size(ch), 64 * KiB);
	assert_int_equal(ioa_dma_channel_free(ch), 0);               /* empty: harmless */
	assert_null(ioa_dma_channel_buffer(ch));
	assert_int_equal(ioa_dma_channel_alloc(ch, 64 * KiB + 1, NULL), -EINVAL); /* > max */
	ioa_constraint_init(&extra);
	extra.boundary = 64 * KiB;
	assert_int_equal(ioa_dma_channel_alloc(ch, 48 * KiB, &extra), 0);
	b = ioa_dma_channel_buffer(ch);
	assert_non_null(b);
	assert_true(ioa_dma_bus(b) + 48 * KiB - 1 < 16 * MiB);       /* the channel's limit */
	assert_true(ioa_constraint_fits(&extra, ioa_dma_bus(b), 48 * KiB));
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, NULL), -EBUSY); /* one at a time */
	assert_int_equal(ioa_dma_channel_alloc(ch, 1 * MiB, NULL), -EBUSY); /* even oversized */
	assert_true(ioa_dma_channel_buffer(ch) == b);
	assert_int_equal(ioa_dma_channel_free(ch), 0);
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, NULL), 0);   /* again after a free */
	assert_int_equal(ioa_dma_channel_constraint(ch, &got), 0);
	assert_int_equal(got.max_addr, 16 * MiB - 1);
	extra.min_addr = 32 * MiB;                                    /* cannot meet the ISA window */
	assert_int_equal(ioa_dma_channel_free(ch), 0);
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, &extra), -EINVAL);
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, NULL), 0);
	assert_int_equal(ioa_dma_channel_destroy(ch), 0);              /* frees the buffer */
	assert_int_equal(ioa_domain_destroy(d), 0);                   /* nothing leaked */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffers_honour_their_constraints),
		cmocka_unit_test(sizes_and_syncs),
		cmocka_unit_test(bad_input_changes_nothing),
		cmocka_unit_test(channel_state_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
