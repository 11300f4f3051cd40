/* SPDX-License-Identifier: MIT */
/*
 * Domain internals.
 *
 * Lock order: d->grow_lock -> vm->lock (growth adds spans to the vmem).
 * Allocation never holds grow_lock while searching; it takes it only after a
 * search failed, grows the arena, and searches again.
 */
#ifndef IOA_DOMAIN_IMPL_H
#define IOA_DOMAIN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <ioalloc/domain.h>

#include "platform/platform.h"
#include "vmem/vmem_impl.h"

#define IOA_DOMAIN_DEFAULT_BASE 0x100000ull /* 1 MiB: bus 0 stays invalid-looking */

/* What an allocation serves; kept in the low bits of its vmem tag (accounts
 * are 64-byte aligned) so leak reports can name the kind. */
enum ioa_kind {
	IOA_KIND_RAW = 0,
	IOA_KIND_DMA = 1,
	IOA_KIND_PAGES = 2,
	IOA_KIND_POOL = 3,
	IOA_KIND_BUF = 4,
	IOA_KIND_COUNT
};

/* One backed mapping of the arena: bus range -> memfd offset. */
struct arena_seg {
	uint64_t bus, len, file_off;
};

struct ioa_domain {
	/* Set at creation, read-only after: translation reads only these. */
	uint8_t *va;              /* linear map: va = va + (bus - bus_min) */
	uint64_t bus_min, bus_last;
	size_t va_len;
	uint64_t page;            /* arena page size actually in use */
	int fd;
	ioa_vmem_t *vm;
	ioa_account_t *root;
	struct ioa_domain_config cfg;
	char name[32];
	unsigned nzones;          /* the vmem's zones, ascending: ranges or phys zones */
	struct {
		uint64_t base, last;
	} zones[IOA_VMEM_MAX_ZONES];

	/* Written under grow_lock. */
	pthread_mutex_t grow_lock;
	uint64_t backed, locked;
	struct arena_seg *segs;
	size_t nsegs, segs_cap;
	uint8_t *chunk_map[IOA_DOMAIN_MAX_RANGES]; /* memfd: backed chunk bitmap per range */
	uint64_t file_next;       /* phys: next memfd offset to fill */

	/* Any thread. */
	_Atomic uint64_t live;

	/* Debug mode: who allocated each live allocation (leak reports), an
	 * unordered array under site_lock; debug mode pays for the search. */
	pthread_mutex_t site_lock;
	struct alloc_site {
		uint64_t bus;
		const void *site;
	} *sites;
	size_t nsites, sites_cap;
};

/* The caller of the public call now running on this thread, set by each
 * public entry that allocates from a domain (IOA_NOTE_SITE), recorded with
 * the allocation in debug mode. */
extern __thread const void *ioa__alloc_site;
#define IOA_NOTE_SITE() (ioa__alloc_site = __builtin_return_address(0))

/* Backend operations (arena.c). All run under grow_lock except init/fini. */
int ioa__arena_init(ioa_domain_t *d);
void ioa__arena_fini(ioa_domain_t *d);
/* Add at least need bytes of memory usable under c, as vmem spans. */
int ioa__arena_grow(ioa_domain_t *d, uint64_t need, const struct ioa_constraint *c);

/* The memfd and file offset behind bus (for remapping pages elsewhere), and
 * how many bytes from bus on are contiguous in both bus space and the file:
 * 0, or -EINVAL if bus is not backed. Any thread. */
int ioa__domain_file(ioa_domain_t *d, uint64_t bus, int *fd, uint64_t *off, uint64_t *extent);

/* out = c (NULL: anything) with its window clamped to the domain's bus span:
 * 0, or -EINVAL if c is malformed or its window misses the domain. */
int ioa__domain_window(const ioa_domain_t *d, const struct ioa_constraint *c,
		       struct ioa_constraint *out);

/* True if d was created with IOA_DOMAIN_F_DEBUG. */
static inline bool ioa__domain_debug(const ioa_domain_t *d)
{
	return d->cfg.flags & IOA_DOMAIN_F_DEBUG;
}

/* Kind-tagged allocation for the library's services. */
int ioa__domain_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
		      ioa_account_t *acct, enum ioa_kind kind, uint64_t *bus);
int ioa__domain_free(ioa_domain_t *d, uint64_t bus, uint64_t size, ioa_account_t *acct,
		     enum ioa_kind kind, const char *call);

#endif
