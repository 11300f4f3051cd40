/* SPDX-License-Identifier: MIT */
/*
 * Pool internals.
 *
 * Lock order: registry lock (pool.c: the list of pools and the thread
 * index allocator) -> p->grow_lock -> the domain's locks. The real-time
 * paths (get, put, the depot) take no lock at all.
 *
 * Indices. Objects and magazines are named by 32-bit indices so a depot
 * stack head is one 64-bit word: 32 bits of index and 32 bits of tag, bumped
 * on every change (ABA-safe unless one thread sleeps through exactly 2^32
 * changes of one stack between its load and its compare-and-swap). An index
 * is chunk << 24 | position: up to IOA_POOL_MAX_CHUNKS creation/growth
 * steps of up to 2^24 - 1 objects each.
 */
#ifndef IOA_POOL_IMPL_H
#define IOA_POOL_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <ioalloc/pool.h>

#define IOA_POOL_MAX_CHUNKS 64
#define IOA_POOL_NIL UINT32_MAX
#define IOA_POOL_IDX_BITS 24
#define IOA_POOL_MAX_THREADS 1024 /* thread indices handed out process-wide */

/* A magazine: a stack of object pointers (Bonwick & Adams 2001, §3).
 * rounds is written only by the thread holding the magazine; other threads
 * read it (relaxed) for the approximate free count. next links depot stacks. */
struct ioa_pool_mag_ {
	uint32_t rounds;
	uint32_t cap;
	_Atomic uint32_t next;
	uint32_t self;
	void *objs[];
};

/* A thread's cache in one pool (struct ioa_pool_cache_, pool.h): Bonwick's
 * loaded and previous magazines. Invariant: previous is full, empty, or the
 * zero-capacity dummy. The fast paths (inline, in pool.h) work on
 * top/base/end, a window on the loaded magazine's objs[]; loaded->rounds is
 * brought up to date from top on the slow paths. Only the owning thread
 * writes a cache; other threads read it (relaxed) for the free count. */

/* A lock-free stack of indices (Treiber), alone on its cache line. */
struct lfstack {
	_Atomic uint64_t head; /* tag << 32 | index */
	_Atomic uint64_t count;
	char pad[64 - 2 * sizeof(uint64_t)];
};

/* One creation or growth step: its objects and its magazines. */
struct chunk {
	uint8_t *base;            /* first slot */
	size_t len;               /* bytes of slots, padding included */
	uint32_t nobj, nmag;
	uint32_t per_window;      /* slots per boundary window; 0: no windows */
	uint64_t bus;             /* domain pools: bus address of base */
	uint64_t alloc_len;       /* what was taken from the domain or mmap */
	uint8_t *meta;            /* mmap: magazines, object links, states */
	size_t meta_len;
	uint8_t *mags;            /* nmag magazines, mag_stride apart */
	_Atomic uint32_t *onext;  /* object stack links, one per object */
	_Atomic uint8_t *state;   /* debug: OBJ_FREE / OBJ_OUT per object */
	const void **site;        /* debug: who got each object (leak reports) */
};

enum { OBJ_FREE = 0, OBJ_OUT = 1 };

struct ioa_pool {
	/* Read-only after creation; the inline fast paths read only this. */
	struct ioa_pool_fast_ f;  /* caches, fast, nthreads, checked, lo/span */

	size_t obj_size, stride, user_off; /* slot = [redzone][object][redzone] */
	size_t align;
	uint64_t boundary;        /* domain pools: objects never cross it; 0: none */
	unsigned flags, mag_cap;
	size_t mag_stride;
	ioa_domain_t *d;
	ioa_account_t *acct;
	struct ioa_constraint c;
	char name[32];

	/* The depot: any thread, lock-free. */
	struct lfstack full;      /* magazines with mag_cap rounds */
	struct lfstack empty;     /* magazines with none */
	struct lfstack objs;      /* loose objects (remainders, uncached threads) */

	/* Growth: written under grow_lock; readers see nchunks (acquire). */
	pthread_mutex_t grow_lock;
	_Atomic uint32_t nchunks;
	_Atomic size_t count;
	struct chunk chunks[IOA_POOL_MAX_CHUNKS];

	/* The registry's list of live pools (registry lock). */
	struct ioa_pool *reg_prev, *reg_next;
};

/* depot.c: the magazine and object stacks, and the slow paths. */
void ioa__pool_depot_init(ioa_pool_t *p, uint32_t chunk);
void *ioa__pool_get_slow(ioa_pool_t *p, struct ioa_pool_cache_ *c);
void ioa__pool_put_slow(ioa_pool_t *p, struct ioa_pool_cache_ *c, void *obj);
void *ioa__pool_get_loose(ioa_pool_t *p);
void ioa__pool_put_loose(ioa_pool_t *p, void *obj);
void ioa__pool_flush_cache(ioa_pool_t *p, struct ioa_pool_cache_ *c);
bool ioa__pool_swap_for(struct ioa_pool_cache_ *c, size_t n, bool get);
void ioa__pool_cache_init(struct ioa_pool_cache_ *c);
size_t ioa__pool_free_count(const ioa_pool_t *p);
uint32_t ioa__pool_obj_index(const ioa_pool_t *p, const void *obj);
void *ioa__pool_obj_at(const ioa_pool_t *p, uint32_t idx);

/* Thread t's cache; the window of pool.h's fast paths as pointers. */
static inline struct ioa_pool_cache_ *ioa__pool_cache(const ioa_pool_t *p, unsigned t)
{
	return p->f.caches + t;
}

static inline void **ioa__pool_slot(uintptr_t a)
{
	return (void **)a;
}

/* The memory of p's chunks (for registering with the kernel): stores up to
 * max of them, returns how many there are. Any thread. */
size_t ioa__pool_regions(const ioa_pool_t *p, uint8_t **base, size_t *len, size_t max);

extern struct ioa_pool_mag_ ioa__pool_dummy_mag;

/* This thread's index + 1 (0: not registered yet) is pool.h's ioa_pool_tidx_. */
unsigned ioa__pool_register_thread(void);

#endif
