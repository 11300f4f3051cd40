/* SPDX-License-Identifier: MIT */
/*
 * DMA common buffers and channels.
 *
 * Theory. A buffer is one domain allocation of kind "dma": contiguous in bus
 * space, so contiguous in the linear map too, and its virtual address is the
 * linear-map address - no mapping of its own. The constraint is the domain
 * vmem's (align, boundary, window), so every buffer honours it by
 * construction; the allocation asserts it before returning.
 *
 * A channel adds IDmaChannel's state rules: one buffer at a time (-EBUSY),
 * free on an empty channel is harmless, a maximum size fixed at creation, and
 * the device's constraint intersected with each call's. A channel is not
 * thread-safe (like IDmaChannel: callers serialize); buffers may be used from
 * any thread.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/dma.h>

#include "domain/domain_impl.h"
#include "core/bits.h"

struct ioa_dma_buf {
	ioa_domain_t *d;
	ioa_account_t *acct;
	uint8_t *va;
	uint64_t bus, alloc_size, buffer_size;
};

struct ioa_dma_channel {
	ioa_domain_t *d;
	ioa_account_t *acct;
	struct ioa_constraint c;
	uint64_t max_size;
	ioa_dma_buf_t *buf;
};

IOA_API int ioa_dma_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			  ioa_account_t *acct, unsigned flags, ioa_dma_buf_t **out)
{
	ioa_dma_buf_t *b;
	int r;

	if (!d || !out || !size || (flags & ~IOA_DMA_F_VALID))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->alloc_size = ioa_round_up(size, IOA_PAGE_4K);
	r = ioa__domain_alloc(d, size, c, acct, IOA_KIND_DMA, &b->bus);
	if (r) {
		free(b);
		return r;
	}
	assert(!c || ioa_constraint_fits(c, b->bus, b->alloc_size));
	b->d = d;
	b->acct = acct;
	b->va = ioa_domain_virt(d, b->bus);
	b->buffer_size = size;
	if (flags & IOA_DMA_F_ZERO)
		memset(b->va, 0, b->alloc_size);
	*out = b;
	return 0;
}

IOA_API int ioa_dma_free(ioa_dma_buf_t *b)
{
	int r;

	if (!b)
		return 0;
	r = ioa__domain_free(b->d, b->bus, b->alloc_size, b->acct, IOA_KIND_DMA, "ioa_dma_free");
	if (!r)
		free(b);
	return r;
}

IOA_API void *ioa_dma_va(const ioa_dma_buf_t *b)
{
	return b ? b->va : NULL;
}

IOA_API uint64_t ioa_dma_bus(const ioa_dma_buf_t *b)
{
	return b ? b->bus : 0;
}

IOA_API uint64_t ioa_dma_allocated_size(const ioa_dma_buf_t *b)
{
	return b ? b->alloc_size : 0;
}

IOA_API uint64_t ioa_dma_buffer_size(const ioa_dma_buf_t *b)
{
	return b ? b->buffer_size : 0;
}

IOA_API int ioa_dma_set_buffer_size(ioa_dma_buf_t *b, uint64_t size)
{
	if (!b || !size || size > b->alloc_size)
		return -EINVAL;
	b->buffer_size = size;
	return 0;
}

static bool range_ok(const ioa_dma_buf_t *b, uint64_t off, uint64_t len)
{
	return b && off <= b->alloc_size && len <= b->alloc_size - off;
}

IOA_API int ioa_dma_sync_for_device(ioa_dma_buf_t *b, uint64_t off, uint64_t len)
{
	if (!range_ok(b, off, len))
		return -EINVAL;
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_sfence(); /* drains non-temporal and write-combining stores too */
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
	return 0;
}

IOA_API int ioa_dma_sync_for_cpu(ioa_dma_buf_t *b, uint64_t off, uint64_t len)
{
	if (!range_ok(b, off, len))
		return -EINVAL;
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_mfence(); /* no load passes it: device data is read after */
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
	return 0;
}

/* ---- channels ------------------------------------------------------------- */

IOA_API int ioa_dma_channel_create(ioa_domain_t *d, const struct ioa_constraint *c,
				   uint64_t max_size, ioa_account_t *acct,
				   ioa_dma_channel_t **out)
{
	ioa_dma_channel_t *ch;

	if (!d || !out || (c && ioa_constraint_check(c)))
		return -EINVAL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->d = d;
	ch->acct = acct;
	ch->max_size = max_size ? max_size : UINT64_MAX;
	if (c)
		ch->c = *c;
	else
		ioa_constraint_init(&ch->c);
	*out = ch;
	return 0;
}

IOA_API int ioa_dma_channel_destroy(ioa_dma_channel_t *ch)
{
	int r;

	if (!ch)
		return 0;
	r = ioa_dma_channel_free(ch);
	if (!r)
		free(ch);
	return r;
}

IOA_API int ioa_dma_channel_alloc(ioa_dma_channel_t *ch, uint64_t size,
				  const struct ioa_constraint *extra)
{
	struct ioa_constraint c;

	if (!ch || !size)
		return -EINVAL;
	if (ch->buf)
		return -EBUSY; /* once per channel unless freed, whatever the size */
	if (size > ch->max_size)
		return -EINVAL;
	if (extra && ioa_constraint_intersect(&ch->c, extra, &c))
		return -EINVAL;
	return ioa_dma_alloc(ch->d, size, extra ? &c : &ch->c, ch->acct, 0, &ch->buf);
}

IOA_API int ioa_dma_channel_free(ioa_dma_channel_t *ch)
{
	int r;

	if (!ch)
		return -EINVAL;
	r = ioa_dma_free(ch->buf);
	if (!r)
		ch->buf = NULL;
	return r;
}

IOA_API ioa_dma_buf_t *ioa_dma_channel_buffer(const ioa_dma_channel_t *ch)
{
	return ch ? ch->buf : NULL;
}

IOA_API uint64_t ioa_dma_channel_max_size(const ioa_dma_channel_t *ch)
{
	return ch ? ch->max_size : 0;
}

IOA_API int ioa_dma_channel_constraint(const ioa_dma_channel_t *ch, struct ioa_constraint *c)
{
	if (!ch || !c)
		return -EINVAL;
	*c = ch->c;
	return 0;
}
