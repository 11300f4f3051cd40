/* SPDX-License-Identifier: MIT */
/*
 * DMA common buffers: memory contiguous in bus space under a constraint
 * (align, boundary, window), shared by software (its virtual address) and a
 * device (its bus address). A channel holds at most one buffer at a time and
 * carries the device's constraint and maximum size (IDmaChannel's rules).
 *
 * Coherence: ioalloc's memory is ordinary cacheable memory. On cache-coherent
 * x86 the sync calls are ordering fences (stores visible before the device is
 * told; device writes read after the completion is seen); on other
 * architectures they are where cache maintenance would go.
 */
#ifndef IOALLOC_DMA_H
#define IOALLOC_DMA_H

#include <stddef.h>
#include <stdint.h>
#include <ioalloc/api.h>
#include <ioalloc/domain.h>

IOA_BEGIN_DECLS

typedef struct ioa_dma_buf ioa_dma_buf_t;
typedef struct ioa_dma_channel ioa_dma_channel_t;

#define IOA_DMA_F_ZERO (1u << 0) /* zero the buffer (default: contents unspecified) */
#define IOA_DMA_F_VALID 0x1u

/* Allocate size bytes (allocated size: rounded up to 4 KiB) contiguous in bus
 * space under c (NULL: anything), charged to acct (NULL: domain root). May
 * block and call the kernel. 0; -EINVAL (size 0, unknown flags, malformed c,
 * size larger than c's window or boundary); -ENOMEM; -EDQUOT. */
IOA_API int ioa_dma_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			  ioa_account_t *acct, unsigned flags, ioa_dma_buf_t **out);

/* Free a buffer; NULL is a no-op. Any thread. */
IOA_API int ioa_dma_free(ioa_dma_buf_t *b);

/* The buffer's virtual address, bus address and allocated size. Any thread,
 * real-time safe. */
IOA_API void *ioa_dma_va(const ioa_dma_buf_t *b);
IOA_API uint64_t ioa_dma_bus(const ioa_dma_buf_t *b);
IOA_API uint64_t ioa_dma_allocated_size(const ioa_dma_buf_t *b);

/* The buffer size in use (IDmaChannel's BufferSize): the requested size
 * until set; set_buffer_size accepts 1..allocated size, else -EINVAL. */
IOA_API uint64_t ioa_dma_buffer_size(const ioa_dma_buf_t *b);
IOA_API int ioa_dma_set_buffer_size(ioa_dma_buf_t *b, uint64_t size);

/* Make CPU writes to [off, off + len) visible to the device before it is
 * started (sfence on x86: also drains non-temporal and write-combining
 * stores), and device writes visible to the CPU after completion (mfence). -EINVAL if the range leaves the buffer. Any
 * thread, real-time safe. */
IOA_API int ioa_dma_sync_for_device(ioa_dma_buf_t *b, uint64_t off, uint64_t len);
IOA_API int ioa_dma_sync_for_cpu(ioa_dma_buf_t *b, uint64_t off, uint64_t len);

/* A channel for a device with constraint c (NULL: anything) and buffers of at
 * most max_size bytes (0: no limit). May block. 0, -EINVAL, -ENOMEM. */
IOA_API int ioa_dma_channel_create(ioa_domain_t *d, const struct ioa_constraint *c,
				   uint64_t max_size, ioa_account_t *acct,
				   ioa_dma_channel_t **out);

/* Destroy a channel, freeing its buffer if it has one. NULL is a no-op. */
IOA_API int ioa_dma_channel_destroy(ioa_dma_channel_t *ch);

/* Allocate the channel's buffer under the channel's constraint narrowed by
 * extra (NULL: none). -EBUSY if it already has one, whatever the size (free
 * it first); -EINVAL above the channel's maximum size or when extra cannot
 * meet the channel's constraint; else ioa_dma_alloc's errors. */
IOA_API int ioa_dma_channel_alloc(ioa_dma_channel_t *ch, uint64_t size,
				  const struct ioa_constraint *extra);

/* Free the channel's buffer; harmless (0) when it has none. */
IOA_API int ioa_dma_channel_free(ioa_dma_channel_t *ch);

/* The channel's buffer, or NULL; its maximum size; its constraint. */
IOA_API ioa_dma_buf_t *ioa_dma_channel_buffer(const ioa_dma_channel_t *ch);
IOA_API uint64_t ioa_dma_channel_max_size(const ioa_dma_channel_t *ch);
IOA_API int ioa_dma_channel_constraint(const ioa_dma_channel_t *ch, struct ioa_constraint *c);

IOA_END_DECLS

#endif
