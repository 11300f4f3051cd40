/* SPDX-License-Identifier: MIT */
/*
 * Refcounted I/O buffers (the native service behind INSSBuffer and
 * IWMSBufferAllocator::AllocatePageSizeBuffer).
 *
 * A buffer has data, a length (0 at allocation), a maximum length and a
 * reference count (1 at allocation). Page-aligned buffers start on a page
 * boundary and own whole pages: they take O_DIRECT reads and writes.
 * Buffers up to IOA_BUF_MAX_POOLED bytes come from per-size-class pools, so
 * once a class is warm an allocation never calls the kernel; larger ones
 * are allocated directly. An allocator's pooled memory can be registered
 * with an io_uring as fixed buffers.
 */
#ifndef IOALLOC_BUF_H
#define IOALLOC_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <ioalloc/api.h>
#include <ioalloc/account.h>
#include <ioalloc/domain.h>

IOA_BEGIN_DECLS

typedef struct ioa_buf_allocator ioa_buf_allocator_t;
typedef struct ioa_buf ioa_buf_t;
struct io_uring;

/* Allocation flags. */
#define IOA_BUF_F_PAGE_ALIGNED (1u << 0) /* data on a page boundary, whole pages */
#define IOA_BUF_F_ZERO (1u << 1)         /* data zeroed up to the maximum length */
#define IOA_BUF_F_VALID (IOA_BUF_F_PAGE_ALIGNED | IOA_BUF_F_ZERO)

/* Allocator flags. */
#define IOA_BUF_ALLOCATOR_F_DEBUG (1u << 0) /* pool debug checks, unref below zero named */
#define IOA_BUF_ALLOCATOR_F_VALID IOA_BUF_ALLOCATOR_F_DEBUG

/* Size classes: 64 B .. 2 KiB (16-byte aligned) and 4 KiB .. 1 MiB (page
 * aligned), powers of two. Above 1 MiB buffers are allocated one by one. */
#define IOA_BUF_MAX_POOLED (1u << 20)

struct ioa_buf_allocator_config {
	size_t size;              /* sizeof(struct ioa_buf_allocator_config), set by init */
	const char *name;
	ioa_domain_t *domain;     /* NULL: plain locked memory; else buffers have bus addresses */
	ioa_account_t *account;   /* charged for every pool and large buffer */
	unsigned flags;           /* IOA_BUF_ALLOCATOR_F_* */
	size_t class_bytes;       /* memory per size class at creation; 0: 1 MiB */
	size_t max_buffers;       /* buffer headers made at creation (more when needed); 0: 4096 */
};

/* Defaults into cfg. Any thread. */
IOA_API void ioa_buf_allocator_config_init(struct ioa_buf_allocator_config *cfg);

/* Create an allocator: 0, -EINVAL, -ENOMEM, -EDQUOT. Size-class pools are
 * created on first use of their class (and grow when empty), so warm-up
 * calls the kernel and later allocations do not. May block. */
IOA_API int ioa_buf_allocator_create(const struct ioa_buf_allocator_config *cfg,
				     ioa_buf_allocator_t **out);

/* Destroy: 0; -EBUSY if buffers are still live or memory is registered with
 * an io_uring (nothing is freed then). */
IOA_API int ioa_buf_allocator_destroy(ioa_buf_allocator_t *a);

/* A buffer of max_len bytes (length 0, one reference): 0, -EINVAL (max_len 0
 * or unknown flags), -ENOMEM, -EDQUOT. Any thread; real-time safe once the
 * size class is warm, unless the class must grow. */
IOA_API int ioa_buf_alloc(ioa_buf_allocator_t *a, size_t max_len, unsigned flags,
			  ioa_buf_t **out);

/* Accessors; any thread. */
IOA_API void *ioa_buf_data(const ioa_buf_t *b);
IOA_API size_t ioa_buf_length(const ioa_buf_t *b);
IOA_API size_t ioa_buf_max_length(const ioa_buf_t *b);

/* Set the used length: 0, or -EINVAL above the maximum length (equal is fine). */
IOA_API int ioa_buf_set_length(ioa_buf_t *b, size_t len);

/* Take a reference; returns b, or NULL for NULL or a buffer with no
 * references left (a freed one: misuse, named; recognised for certain in
 * debug mode). Any thread, lock-free. */
IOA_API ioa_buf_t *ioa_buf_ref(ioa_buf_t *b);

/* Drop a reference; the last one frees the buffer. Returns the references
 * left (0: freed), or -EINVAL for NULL. An unref below zero is misuse (named
 * in debug mode; undefined otherwise). Any thread, lock-free. */
IOA_API int ioa_buf_unref(ioa_buf_t *b);

/* Current reference count (approximate while other threads ref/unref). */
IOA_API unsigned ioa_buf_refcount(const ioa_buf_t *b);

/* Bus address of the data (allocators on a domain): 0 or -EINVAL. */
IOA_API int ioa_buf_bus(const ioa_buf_t *b, uint64_t *bus);

/* ---- io_uring ------------------------------------------------------------- */

/* Make sure the size class of max_len bytes (with flags) holds at least
 * count buffers now, so it can be registered before use (a class not made
 * yet is made with room for count in one chunk, one registered range): 0,
 * -EINVAL, -ENOMEM, -EDQUOT. May block. */
IOA_API int ioa_buf_allocator_reserve(ioa_buf_allocator_t *a, size_t max_len, unsigned flags,
				      size_t count);

/* Register all of the allocator's pooled memory with ring as fixed buffers
 * (io_uring_register_buffers, one iovec per pool chunk, none over 1 GiB):
 * 0; -EBUSY (already registered); -ENOMEM (RLIMIT_MEMLOCK); -ENOSYS (built
 * without liburing); other -errno from the kernel. Memory added later (a
 * class growing) is not registered. One ring per allocator. */
IOA_API int ioa_buf_allocator_register(ioa_buf_allocator_t *a, struct io_uring *ring);

/* Undo ioa_buf_allocator_register: 0, or -EINVAL if not registered with ring. */
IOA_API int ioa_buf_allocator_unregister(ioa_buf_allocator_t *a, struct io_uring *ring);

/* The fixed-buffer index and the offset of b's data in it, for
 * io_uring_prep_read_fixed/write_fixed: 0; -ENOENT if b's memory is not
 * registered (a large buffer, or memory added after registering). */
IOA_API int ioa_buf_fixed(const ioa_buf_t *b, unsigned *buf_index, size_t *offset);

IOA_END_DECLS

#endif
