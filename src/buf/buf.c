/* SPDX-License-Identifier: MIT */
/*
 * Refcounted I/O buffers.
 *
 * Theory. A buffer is a header (data, length, maximum, reference count) from
 * the allocator's header pool and data from one of its size-class pools:
 * powers of two from 64 bytes to 2 KiB, 16-byte aligned, and from 4 KiB to
 * 1 MiB, page aligned (a page-aligned request of under a page takes a page).
 * A class's pool is created on the class's first use and grows (doubling)
 * when it runs dry; both happen under the allocator's lock and call the
 * kernel, and after that an allocation is two pool gets: no lock, no system
 * call. Buffers over 1 MiB are allocated one by one (domain or mmap).
 *
 * References are counted with one atomic; the last unref puts data and
 * header back. In debug mode the header pool poisons freed headers, so a
 * ref or unref of a freed buffer finds the poison instead of a count and is
 * named.
 *
 * io_uring: the pools' chunks are registered as fixed buffers (split at
 * 1 GiB, the kernel's limit per iovec); a buffer's fixed index is found by
 * searching the registered ranges. While registered, the allocator refuses
 * to be destroyed, so the kernel never keeps a pinned reference to freed
 * memory.
 *
 * Locking: a->lock guards class creation, growth and registration; buffers
 * themselves need no lock.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <ioalloc/buf.h>
#include <ioalloc/pool.h>

#include "core/bits.h"
#include "debug/debug.h"
#include "domain/domain_impl.h"
#include "platform/platform.h"
#include "pool/pool_impl.h"

#ifdef IOA_HAVE_URING
#include <liburing.h>
#endif

#define NCLASS 15                 /* 64 B .. 1 MiB */
#define FIRST_PAGE_CLASS 6        /* 4 KiB */
#define CLASS_LARGE 0xff
#define MIN_CLASS_SHIFT 6
#define HEADERS_DEFAULT 4096
#define CLASS_BYTES_DEFAULT (1u << 20)
#define MIN_PER_CLASS 4
#define GIB (1ull << 30)
#define POISON_REFS 0x6b6b6b6b    /* a freed header in a debug pool */

struct ioa_buf {
	void *data;
	size_t len, max;
	_Atomic int refs;
	uint8_t cls;
	ioa_buf_allocator_t *a;
	uint64_t large_len;       /* large buffers: bytes mapped or taken */
	uint64_t large_bus;       /* large buffers on a domain */
};

struct reg_range {
	uint8_t *base;
	size_t len;
};

struct ioa_buf_allocator {
	struct ioa_buf_allocator_config cfg;
	char name[32];
	size_t page;              /* the kernel's page (O_DIRECT's unit), not 4 KiB */
	ioa_pool_t *hdr;
	_Atomic(ioa_pool_t *) cls[NCLASS];
	pthread_mutex_t lock;
	struct io_uring *ring;    /* registered with, or NULL */
	struct reg_range *reg;
	size_t nreg;
};

/* ---- size classes ----------------------------------------------------------- */

static unsigned class_of(const ioa_buf_allocator_t *a, size_t max_len, unsigned flags)
{
	unsigned c = 0;

	if (flags & IOA_BUF_F_PAGE_ALIGNED && max_len < a->page)
		max_len = a->page;
	while (((size_t)1 << (c + MIN_CLASS_SHIFT)) < max_len)
		c++;
	return c;
}

static size_t class_size(unsigned c)
{
	return (size_t)1 << (c + MIN_CLASS_SHIFT);
}

static int make_class(ioa_buf_allocator_t *a, unsigned c, size_t count, ioa_pool_t **out)
{
	struct ioa_pool_config pc;
	char name[64];

	ioa_pool_config_init(&pc);
	snprintf(name, sizeof(name), "%s/%zu", a->name, class_size(c));
	pc.name = name;
	pc.obj_size = class_size(c);
	pc.count = count;
	pc.align = class_size(c) >= a->page ? a->page : 16;
	pc.domain = a->cfg.domain;
	pc.account = a->cfg.account;
	pc.flags = IOA_POOL_F_GROW | (a->cfg.flags & IOA_BUF_ALLOCATOR_F_DEBUG ? IOA_POOL_F_DEBUG : 0);
	return ioa_pool_create(&pc, out);
}

static size_t initial_count(const ioa_buf_allocator_t *a, unsigned c)
{
	size_t n = a->cfg.class_bytes / class_size(c);

	return n < MIN_PER_CLASS ? MIN_PER_CLASS : n;
}

/* The class's pool, created on first use with room for at least min
 * buffers (one chunk: one registered range). */
static int class_pool(ioa_buf_allocator_t *a, unsigned c, size_t min, ioa_pool_t **out)
{
	ioa_pool_t *p = atomic_load_explicit(&a->cls[c], memory_order_acquire);
	int r = 0;

	if (p) {
		*out = p;
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	p = atomic_load(&a->cls[c]);
	if (!p) {
		size_t n = initial_count(a, c);

		r = make_class(a, c, n > min ? n : min, &p);
		if (!r)
			atomic_store_explicit(&a->cls[c], p, memory_order_release);
	}
	pthread_mutex_unlock(&a->lock);
	*out = p;
	return r;
}

/* Get from p, growing it (doubling) when it is dry. */
static void *get_or_grow(ioa_buf_allocator_t *a, ioa_pool_t *p, int *err)
{
	void *o = ioa_pool_get(p);

	while (!o) {
		pthread_mutex_lock(&a->lock);
		o = ioa_pool_get(p); /* another thread may have grown it */
		if (!o) /* double, within what one growth step may add */
			*err = ioa_pool_grow(p, ioa_pool_count(p) < IOA_POOL_MAX_COUNT ?
						ioa_pool_count(p) : IOA_POOL_MAX_COUNT);
		pthread_mutex_unlock(&a->lock);
		if (!o && *err)
			return NULL;
		if (!o)
			o = ioa_pool_get(p);
	}
	return o;
}

/* ---- large buffers ------------------------------------------------------------ */

static int large_alloc(ioa_buf_allocator_t *a, ioa_buf_t *b, size_t max_len)
{
	void *va;
	int r;

	b->large_len = ioa_round_up(max_len, a->page);
	if (a->cfg.domain) {
		struct ioa_constraint c;

		ioa_constraint_init(&c);
		c.align = a->page;
		r = ioa__domain_alloc(a->cfg.domain, b->large_len, &c, a->cfg.account, IOA_KIND_BUF,
				      &b->large_bus);
		if (!r)
			b->data = ioa_domain_virt(a->cfg.domain, b->large_bus);
		return r;
	}
	if (a->cfg.account && (r = ioa_account_charge(a->cfg.account, b->large_len)))
		return r;
	r = ioa_plat_reserve(b->large_len, a->page, &va);
	if (!r && (r = ioa_plat_protect(va, b->large_len, true)))
		ioa_plat_release(va, b->large_len);
	if (r) {
		if (a->cfg.account)
			ioa_account_uncharge(a->cfg.account, b->large_len);
		return r;
	}
	ioa_plat_lock(va, b->large_len, false);
	b->data = va;
	return 0;
}

static void large_free(ioa_buf_allocator_t *a, ioa_buf_t *b)
{
	if (a->cfg.domain) {
		ioa__domain_free(a->cfg.domain, b->large_bus, b->large_len, a->cfg.account,
				 IOA_KIND_BUF, "ioa_buf_unref");
		return;
	}
	ioa_plat_unlock(b->data, b->large_len);
	ioa_plat_release(b->data, b->large_len);
	if (a->cfg.account)
		ioa_account_uncharge(a->cfg.account, b->large_len);
}

/* ---- allocator -------------------------------------------------------------------- */

IOA_API void ioa_buf_allocator_config_init(struct ioa_buf_allocator_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->name = "buffers";
}

static int make_headers(ioa_buf_allocator_t *a)
{
	struct ioa_pool_config pc;
	char name[64];

	ioa_pool_config_init(&pc);
	snprintf(name, sizeof(name), "%s/headers", a->name);
	pc.name = name;
	pc.obj_size = sizeof(struct ioa_buf);
	pc.count = a->cfg.max_buffers;
	pc.flags = IOA_POOL_F_GROW | (a->cfg.flags & IOA_BUF_ALLOCATOR_F_DEBUG ? IOA_POOL_F_DEBUG : 0);
	return ioa_pool_create(&pc, &a->hdr);
}

IOA_API int ioa_buf_allocator_create(const struct ioa_buf_allocator_config *cfg,
				     ioa_buf_allocator_t **out)
{
	ioa_buf_allocator_t *a;
	int r;

	if (!cfg || !out || cfg->size < sizeof(*cfg) || (cfg->flags & ~IOA_BUF_ALLOCATOR_F_VALID) ||
	    cfg->max_buffers > IOA_POOL_MAX_COUNT)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->page = ioa_plat_base_page();
	if (!a->cfg.class_bytes)
		a->cfg.class_bytes = CLASS_BYTES_DEFAULT;
	if (!a->cfg.max_buffers)
		a->cfg.max_buffers = HEADERS_DEFAULT;
	snprintf(a->name, sizeof(a->name), "%s", cfg->name ? cfg->name : "buffers");
	a->cfg.name = a->name;
	pthread_mutex_init(&a->lock, NULL);
	r = make_headers(a);
	if (r) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return r;
	}
	*out = a;
	return 0;
}

static size_t live_buffers(const ioa_buf_allocator_t *a)
{
	return ioa_pool_count(a->hdr) - ioa_pool_free_count(a->hdr);
}

IOA_API int ioa_buf_allocator_destroy(ioa_buf_allocator_t *a)
{
	char name[64];
	size_t live;

	if (!a)
		return 0;
	live = live_buffers(a);
	if (a->ring || live) {
		snprintf(name, sizeof(name), "buffer allocator '%s'", a->name);
		if (live)
			ioa__misuse("ioa_buf_allocator_destroy", name, "%zu buffers still live", live);
		return -EBUSY;
	}
	for (unsigned c = 0; c < NCLASS; c++)
		ioa_pool_destroy(atomic_load(&a->cls[c]));
	ioa_pool_destroy(a->hdr);
	pthread_mutex_destroy(&a->lock);
	free(a->reg);
	free(a);
	return 0;
}

IOA_API int ioa_buf_allocator_reserve(ioa_buf_allocator_t *a, size_t max_len, unsigned flags,
				      size_t count)
{
	unsigned c;
	ioa_pool_t *p;
	int r;

	if (!a || !max_len || max_len > IOA_BUF_MAX_POOLED || (flags & ~IOA_BUF_F_VALID) || !count)
		return -EINVAL;
	c = class_of(a, max_len, flags);
	r = class_pool(a, c, count, &p);
	if (r)
		return r;
	pthread_mutex_lock(&a->lock);
	if (ioa_pool_free_count(p) < count)
		r = ioa_pool_grow(p, count - ioa_pool_free_count(p));
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* ---- buffers ------------------------------------------------------------------------ */

static int fill(ioa_buf_allocator_t *a, ioa_buf_t *b, size_t max_len, unsigned flags)
{
	int r = 0;

	ioa_pool_t *p;

	if (max_len > IOA_BUF_MAX_POOLED) {
		b->cls = CLASS_LARGE;
		return large_alloc(a, b, max_len);
	}
	b->cls = (uint8_t)class_of(a, max_len, flags);
	r = class_pool(a, b->cls, 0, &p);
	if (!r)
		b->data = get_or_grow(a, p, &r);
	return r;
}

IOA_API int ioa_buf_alloc(ioa_buf_allocator_t *a, size_t max_len, unsigned flags, ioa_buf_t **out)
{
	ioa_buf_t *b;
	int r = 0;

	IOA_NOTE_SITE();
	if (!a || !out || !max_len || (flags & ~IOA_BUF_F_VALID))
		return -EINVAL;
	if (max_len > SIZE_MAX / 4)
		return -ENOMEM; /* no such memory; and rounding it up would wrap */
	b = get_or_grow(a, a->hdr, &r);
	if (!b)
		return r;
	b->a = a;
	b->len = 0;
	b->max = max_len;
	r = fill(a, b, max_len, flags);
	if (r) {
		ioa_pool_put(a->hdr, b);
		return r;
	}
	if (flags & IOA_BUF_F_ZERO) /* page-aligned: the whole pages O_DIRECT may fill */
		memset(b->data, 0, flags & IOA_BUF_F_PAGE_ALIGNED ? ioa_round_up(max_len, a->page)
								  : max_len);
	atomic_store_explicit(&b->refs, 1, memory_order_relaxed);
	*out = b;
	return 0;
}

IOA_API void *ioa_buf_data(const ioa_buf_t *b)
{
	return b ? b->data : NULL;
}

IOA_API size_t ioa_buf_length(const ioa_buf_t *b)
{
	return b ? b->len : 0;
}

IOA_API size_t ioa_buf_max_length(const ioa_buf_t *b)
{
	return b ? b->max : 0;
}

IOA_API int ioa_buf_set_length(ioa_buf_t *b, size_t len)
{
	if (!b || len > b->max)
		return -EINVAL;
	b->len = len;
	return 0;
}

/* A count that no live buffer has: report it for call, true. */
static bool dead_count(const ioa_buf_t *b, int refs, const char *call)
{
	char name[48];

	if (refs > 0 && refs != POISON_REFS)
		return false;
	snprintf(name, sizeof(name), "buffer %p", (const void *)b);
	ioa__misuse(call, name, "%s", refs == POISON_REFS ? "the buffer was already freed"
							  : "the reference count is not positive");
	return true;
}

/* Validated before it changes, as in ioa_buf_unref: a reference to a freed
 * buffer would otherwise bring it back to life in the pool's hands. */
IOA_API ioa_buf_t *ioa_buf_ref(ioa_buf_t *b)
{
	int old;

	if (!b)
		return NULL;
	old = atomic_load_explicit(&b->refs, memory_order_relaxed);
	do {
		if (dead_count(b, old, "ioa_buf_ref"))
			return NULL;
	} while (!atomic_compare_exchange_weak_explicit(&b->refs, &old, old + 1,
							memory_order_relaxed, memory_order_relaxed));
	return b;
}

static void release(ioa_buf_t *b)
{
	ioa_buf_allocator_t *a = b->a;

	if (b->cls == CLASS_LARGE)
		large_free(a, b);
	else
		ioa_pool_put(atomic_load_explicit(&a->cls[b->cls], memory_order_relaxed), b->data);
	ioa_pool_put(a->hdr, b);
}

/* The count is validated before it changes (a compare-and-swap loop costs
 * what a fetch-and-subtract does), so an unref below zero, or of a freed
 * buffer whose header a debug pool poisoned, is named and changes nothing. */
IOA_API int ioa_buf_unref(ioa_buf_t *b)
{
	int old;

	if (!b)
		return -EINVAL;
	old = atomic_load_explicit(&b->refs, memory_order_relaxed);
	do {
		if (dead_count(b, old, "ioa_buf_unref"))
			return -EINVAL;
	} while (!atomic_compare_exchange_weak_explicit(&b->refs, &old, old - 1,
							memory_order_acq_rel, memory_order_relaxed));
	if (old == 1)
		release(b);
	return old - 1;
}

IOA_API unsigned ioa_buf_refcount(const ioa_buf_t *b)
{
	int n = b ? atomic_load_explicit(&b->refs, memory_order_relaxed) : 0;

	return n > 0 ? (unsigned)n : 0;
}

IOA_API int ioa_buf_bus(const ioa_buf_t *b, uint64_t *bus)
{
	if (!b || !bus || !b->a->cfg.domain)
		return -EINVAL;
	if (b->cls == CLASS_LARGE) {
		*bus = b->large_bus;
		return 0;
	}
	return ioa_domain_bus(b->a->cfg.domain, b->data, bus);
}

/* ---- io_uring ---------------------------------------------------------------------------- */

/* Every pool chunk, cut at 1 GiB: the ranges registered, in index order. */
static int collect_ranges(ioa_buf_allocator_t *a)
{
	uint8_t *base[IOA_POOL_MAX_CHUNKS];
	size_t len[IOA_POOL_MAX_CHUNKS], cap = 16;

	a->nreg = 0;
	a->reg = malloc(cap * sizeof(*a->reg));
	if (!a->reg)
		return -ENOMEM;
	for (unsigned c = 0; c < NCLASS; c++) {
		ioa_pool_t *p = atomic_load(&a->cls[c]);
		size_t n = p ? ioa__pool_regions(p, base, len, IOA_POOL_MAX_CHUNKS) : 0;

		for (size_t k = 0; k < n; k++)
			for (size_t off = 0; off < len[k]; off += GIB) {
				if (a->nreg == cap) {
					struct reg_range *r = realloc(a->reg, 2 * cap * sizeof(*r));

					if (!r)
						return -ENOMEM;
					a->reg = r;
					cap *= 2;
				}
				a->reg[a->nreg++] = (struct reg_range){
					base[k] + off, len[k] - off < GIB ? len[k] - off : GIB};
			}
	}
	return 0;
}

IOA_API int ioa_buf_allocator_register(ioa_buf_allocator_t *a, struct io_uring *ring)
{
#ifdef IOA_HAVE_URING
	struct iovec *iov;
	int r;

	if (!a || !ring)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	r = a->ring ? -EBUSY : collect_ranges(a);
	if (!r && !a->nreg)
		r = -ENOENT; /* nothing to register yet: reserve a class first */
	iov = r ? NULL : calloc(a->nreg, sizeof(*iov));
	if (!r && !iov)
		r = -ENOMEM;
	for (size_t i = 0; !r && i < a->nreg; i++)
		iov[i] = (struct iovec){a->reg[i].base, a->reg[i].len};
	if (!r) {
		ioa__rt_syscall("io_uring_register");
		r = ioa_plat_fault(IOA_SITE_URING);
	}
	if (!r)
		r = io_uring_register_buffers(ring, iov, (unsigned)a->nreg);
	if (!r)
		a->ring = ring;
	if (r && !a->ring) {
		free(a->reg);
		a->reg = NULL;
		a->nreg = 0;
	}
	pthread_mutex_unlock(&a->lock);
	free(iov);
	return r;
#else
	(void)a;
	(void)ring;
	return -ENOSYS;
#endif
}

IOA_API int ioa_buf_allocator_unregister(ioa_buf_allocator_t *a, struct io_uring *ring)
{
#ifdef IOA_HAVE_URING
	int r;

	if (!a || !ring)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	r = a->ring == ring ? io_uring_unregister_buffers(ring) : -EINVAL;
	if (!r) {
		a->ring = NULL;
		free(a->reg);
		a->reg = NULL;
		a->nreg = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return r;
#else
	(void)a;
	(void)ring;
	return -EINVAL;
#endif
}

IOA_API int ioa_buf_fixed(const ioa_buf_t *b, unsigned *buf_index, size_t *offset)
{
	const ioa_buf_allocator_t *a;

	if (!b || !buf_index || !offset)
		return -EINVAL;
	a = b->a;
	for (size_t i = 0; a->ring && i < a->nreg; i++) {
		size_t off = (size_t)((uint8_t *)b->data - a->reg[i].base);

		if ((uint8_t *)b->data >= a->reg[i].base && off + b->max <= a->reg[i].len) {
			*buf_index = (unsigned)i;
			*offset = off;
			return 0;
		}
	}
	return -ENOENT;
}
