/* SPDX-License-Identifier: MIT */
/*
 * Fixed-size real-time pools (the native service behind IAllocatorMXF).
 *
 * A pool hands out objects of one size. All of its memory is allocated,
 * locked and prefaulted at creation, so ioa_pool_get and ioa_pool_put never
 * block, never call the kernel and never fault: they run on a real-time
 * thread. Each thread keeps two magazines of objects (Bonwick & Adams 2001);
 * the shared depot behind them is lock-free. Objects may be put by another
 * thread than the one that got them.
 *
 * Objects come either from a domain (they then have bus addresses, and none
 * crosses the constraint's boundary) or from plain locked memory.
 */
#ifndef IOALLOC_POOL_H
#define IOALLOC_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <ioalloc/api.h>
#include <ioalloc/account.h>
#include <ioalloc/constraint.h>
#include <ioalloc/domain.h>

IOA_BEGIN_DECLS

typedef struct ioa_pool ioa_pool_t;

#define IOA_POOL_F_DEBUG (1u << 0)    /* redzones, poison, ownership checks */
#define IOA_POOL_F_GROW (1u << 1)     /* ioa_pool_grow may add objects later */
#define IOA_POOL_F_NO_CACHE (1u << 2) /* no per-thread magazines: every call uses the depot */
#define IOA_POOL_F_VALID (IOA_POOL_F_DEBUG | IOA_POOL_F_GROW | IOA_POOL_F_NO_CACHE)

/* Largest object and count a pool accepts: 16 MiB objects, 2^24 - 1 objects
 * per creation or growth step. */
#define IOA_POOL_MAX_OBJ_SIZE (16u << 20)
#define IOA_POOL_MAX_COUNT ((1u << 24) - 1)

struct ioa_pool_config {
	size_t size;            /* sizeof(struct ioa_pool_config), set by init */
	const char *name;       /* for messages; copied (31 characters kept) */
	size_t obj_size;        /* 1 .. IOA_POOL_MAX_OBJ_SIZE */
	size_t count;           /* 1 .. IOA_POOL_MAX_COUNT */
	size_t align;           /* power of two; 0: 16 */
	ioa_domain_t *domain;   /* NULL: plain locked memory, no bus addresses */
	const struct ioa_constraint *constraint; /* with a domain; NULL: none */
	ioa_account_t *account; /* charged for the whole pool at creation */
	unsigned flags;         /* IOA_POOL_F_* */
	unsigned cache;         /* objects per magazine; 0: chosen from count */
	unsigned threads;       /* threads with a magazine cache; 0: 64 */
};

/* Fill cfg with the defaults (name "pool"). Any thread. */
IOA_API void ioa_pool_config_init(struct ioa_pool_config *cfg);

/* Create a pool: 0, -EINVAL (bad config, unknown flags), -ENOMEM, -EDQUOT
 * (the account's limit), or a platform error. May block, calls the kernel. */
IOA_API int ioa_pool_create(const struct ioa_pool_config *cfg, ioa_pool_t **out);

/* Destroy a pool, reporting objects still out (misuse report in debug
 * mode): 0, or -EBUSY if objects were still out (they are gone all the same).
 * No other thread may use the pool during or after the call. */
IOA_API int ioa_pool_destroy(ioa_pool_t *p);

/* ---- get and put: inline fast paths (STYLE 4: a call into the shared
 * library costs about as much as the whole operation; bench_pool shows it) */

/* What the inline paths see of a pool and of a thread's cache in it: the
 * first member of the pool, and one cache line per thread. Internal: their
 * layout may change with the library's major version.
 *
 * The magazine window (top, base, end) and the put check (lo, span) are kept
 * as integers, not pointers: a store of an object pointer (void *) may alias
 * any pointer in GCC's eyes but never an integer, and a store to top may not
 * alias the pointer to the caches, so a get and a put in one function need
 * not reload the pool's fields after each other's stores (bench_pool
 * measures the difference; docs/BENCHMARKS.md). */
struct ioa_pool_mag_;
struct ioa_pool_cache_ {
	uintptr_t top, base, end;             /* the loaded magazine's slots (void **) */
	struct ioa_pool_mag_ *loaded, *previous;
	char pad_[64 - 5 * sizeof(void *)];
};
struct ioa_pool_fast_ {
	struct ioa_pool_cache_ *caches;       /* one per thread */
	uintptr_t lo;                         /* the first chunk: the cheap put check */
	size_t span;
	unsigned fast;                        /* threads with inline paths: 0 when checked */
	unsigned nthreads;
	unsigned char checked;                /* debug or a memory checker: slow path */
	unsigned char pad_[7];
};

/* This thread's pool index + 1 (0: not registered yet). */
extern __thread unsigned ioa_pool_tidx_
	__attribute__((visibility("default"), tls_model("initial-exec")));

/* The out-of-line halves of the calls below; call those instead. */
IOA_API void *ioa_pool_get_slow(ioa_pool_t *p);
IOA_API void ioa_pool_put_slow(ioa_pool_t *p, void *obj);
IOA_API int ioa_pool_get_bulk_slow(ioa_pool_t *p, void **objs, size_t n);
IOA_API void ioa_pool_put_bulk_slow(ioa_pool_t *p, void *const *objs, size_t n);

/* This thread's cache in p, in *c: false when there is none (no pool, no
 * cache yet, or a checked pool: the slow path decides). */
static inline int ioa_pool_cache_of_(ioa_pool_t *p, struct ioa_pool_cache_ **c)
{
	const struct ioa_pool_fast_ *f = (const struct ioa_pool_fast_ *)p;
	unsigned t = ioa_pool_tidx_ - 1;

	if (__builtin_expect(p && t < f->fast, 1)) {
		*c = f->caches + t;
		return 1;
	}
	return 0;
}

/* One object, or NULL when the pool (as this thread can see it) is empty.
 * Any thread, real-time safe: no locks, no system calls, no faults (a
 * thread's first call on any pool registers it, which takes a lock once). */
static inline void *ioa_pool_get(ioa_pool_t *p)
{
	struct ioa_pool_cache_ *c;

	if (__builtin_expect(ioa_pool_cache_of_(p, &c), 1)) {
		uintptr_t top = c->top;

		if (__builtin_expect(top != c->base, 1)) {
			top -= sizeof(void *);
			c->top = top;
			return *(void **)top;
		}
	}
	return ioa_pool_get_slow(p);
}

/* Return obj (from this pool, any thread). Real-time safe. A pointer outside
 * the pool's memory is reported as misuse; a double put is caught in debug
 * mode only. */
static inline void ioa_pool_put(ioa_pool_t *p, void *obj)
{
	struct ioa_pool_cache_ *c;

	if (__builtin_expect(ioa_pool_cache_of_(p, &c), 1)) {
		const struct ioa_pool_fast_ *f = (const struct ioa_pool_fast_ *)p;
		uintptr_t top = c->top;

		if (__builtin_expect(top != c->end && (uintptr_t)obj - f->lo < f->span, 1)) {
			*(void **)top = obj;
			c->top = top + sizeof(void *);
			return;
		}
	}
	ioa_pool_put_slow(p, obj);
}

/* n objects into objs, all or none: 0, or -ENOMEM (nothing taken). Real-time
 * safe. */
static inline int ioa_pool_get_bulk(ioa_pool_t *p, void **objs, size_t n)
{
	struct ioa_pool_cache_ *c;

	if (__builtin_expect(ioa_pool_cache_of_(p, &c) && objs, 1)) {
		uintptr_t top = c->top;

		if (__builtin_expect((top - c->base) / sizeof(void *) >= n, 1)) {
			top -= n * sizeof(void *);
			c->top = top;
			__builtin_memcpy(objs, (void **)top, n * sizeof(*objs));
			return 0;
		}
	}
	return ioa_pool_get_bulk_slow(p, objs, n);
}

/* Return n objects. Real-time safe. Unlike ioa_pool_put, the fast path does
 * not check that each pointer lies in the pool (a compare per object would
 * cost more than the copy); debug mode and memory checkers check every one. */
static inline void ioa_pool_put_bulk(ioa_pool_t *p, void *const *objs, size_t n)
{
	struct ioa_pool_cache_ *c;

	if (__builtin_expect(ioa_pool_cache_of_(p, &c) && objs, 1)) {
		uintptr_t top = c->top;

		if (__builtin_expect((c->end - top) / sizeof(void *) >= n, 1)) {
			__builtin_memcpy((void **)top, objs, n * sizeof(*objs));
			c->top = top + n * sizeof(void *);
			return;
		}
	}
	ioa_pool_put_bulk_slow(p, objs, n);
}

/* Add count objects (pools created with IOA_POOL_F_GROW): 0, -EINVAL, -ENOMEM,
 * -EDQUOT. Not real-time: allocates, locks and prefaults. Any thread. */
IOA_API int ioa_pool_grow(ioa_pool_t *p, size_t count);

/* The object size asked at creation; constant. Any thread. */
IOA_API size_t ioa_pool_obj_size(const ioa_pool_t *p);

/* Objects in the pool: all created so far. Any thread. */
IOA_API size_t ioa_pool_count(const ioa_pool_t *p);

/* Objects free, approximately (exact when no thread is using the pool).
 * Lock-free, any thread. */
IOA_API size_t ioa_pool_free_count(const ioa_pool_t *p);

/* Bus address of obj (domain pools): 0, or -EINVAL (not this pool's object,
 * or a pool of plain memory). Any thread. */
IOA_API int ioa_pool_bus(const ioa_pool_t *p, const void *obj, uint64_t *bus);

/* Return this thread's magazines of every pool to the depots (also done at
 * thread exit). Not real-time. */
IOA_API void ioa_pool_thread_flush(void);

IOA_END_DECLS

#endif
