/* SPDX-License-Identifier: MIT */
/*
 * Domains: one device-visible address space and the memory behind it.
 *
 * A domain owns an arena of real memory whose pages have bus addresses, maps
 * it linearly (va = base + (bus - bus_min), so translation is arithmetic),
 * and allocates bus ranges under constraints, charging every allocation to an
 * account (the domain's root account by default).
 *
 * Backends:
 *   memfd - the default, no privileges: memory from a memfd; bus addresses are
 *           assigned by the library from the configured ranges (an IOVA space).
 *   phys  - needs CAP_SYS_ADMIN: pinned pages whose bus address is the real
 *           physical address from /proc/self/pagemap; hugetlb pages preferred.
 */
#ifndef IOALLOC_DOMAIN_H
#define IOALLOC_DOMAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ioalloc/account.h>
#include <ioalloc/api.h>
#include <ioalloc/constraint.h>
#include <ioalloc/vmem.h>

IOA_BEGIN_DECLS

typedef struct ioa_domain ioa_domain_t;

enum ioa_backend {
	IOA_BACKEND_MEMFD = 0,
	IOA_BACKEND_PHYS = 1,
};

#define IOA_DOMAIN_MAX_RANGES 8

/* A range of bus addresses the memfd backend may hand out. */
struct ioa_range {
	uint64_t base;
	uint64_t size;
};

#define IOA_DOMAIN_F_LOCK (1u << 0)          /* mlock the arena as it grows */
#define IOA_DOMAIN_F_PREFAULT (1u << 1)      /* fault the arena in as it grows */
#define IOA_DOMAIN_F_DEBUG (1u << 2)         /* report refused frees, list leaks, guard mappings */
#define IOA_DOMAIN_F_HUGE_FALLBACK (1u << 3) /* no hugepages: use base pages */
#define IOA_DOMAIN_F_VALID 0xfu

struct ioa_domain_config {
	size_t size;              /* sizeof(struct ioa_domain_config), set by init */
	const char *name;         /* copied; "domain" if NULL */
	enum ioa_backend backend;
	uint64_t page_size;       /* 4 KiB, 2 MiB or 1 GiB */
	uint64_t size_limit;      /* most bytes of memory the arena may hold */
	uint64_t grow_chunk;      /* bytes added per growth (multiple of page_size) */
	unsigned nranges;         /* memfd: bus layout; 0 = one range at 1 MiB */
	struct ioa_range ranges[IOA_DOMAIN_MAX_RANGES];
	unsigned flags;           /* IOA_DOMAIN_F_* */
};

/* The defaults: memfd, 4 KiB pages, one range of 1 GiB at bus 0x100000,
 * 1 GiB limit grown 2 MiB at a time, locked and prefaulted. Any thread. */
IOA_API void ioa_domain_config_init(struct ioa_domain_config *cfg);

/* Apply a spec "key=value,key=value" (the IOALLOC_DOMAIN syntax, see
 * ioa_domain_config_parse(3)): backend=memfd|phys, pagesize=4K|2M|1G,
 * size=1G, base=0x100000, ranges=BASE+SIZE:BASE+SIZE..., chunk=2M,
 * lock=0|1, prefault=0|1, debug=0|1, hugefallback=0|1. -EINVAL on a malformed
 * spec, with a message naming the key in err (if errlen > 0); cfg is then
 * unchanged. Any thread. */
IOA_API int ioa_domain_config_parse(struct ioa_domain_config *cfg, const char *spec, char *err,
				    size_t errlen);

/* Create a domain. May block, calls the kernel. 0; -EINVAL (bad config),
 * -ENOMEM (no memory, or hugepages missing without HUGE_FALLBACK), -EPERM
 * (phys backend without CAP_SYS_ADMIN; a message says so), or the -errno of a
 * failing memfd_create/ftruncate/mmap (e.g. -EMFILE). */
IOA_API int ioa_domain_create(const struct ioa_domain_config *cfg, ioa_domain_t **out);

/* Destroy d: report allocations still live (count, bytes, kind) on stderr,
 * then free everything. Returns the number of leaked allocations (0 = clean);
 * NULL returns 0; the default domain is refused with -EBUSY (it lives as long
 * as the process). No other thread may use d during or after the call. */
IOA_API int ioa_domain_destroy(ioa_domain_t *d);

/* The process-wide default domain, configured by IOALLOC_DOMAIN and created
 * on first use; any thread. 0; -EINVAL (malformed IOALLOC_DOMAIN, reported on
 * stderr with the key); or ioa_domain_create's errors. */
IOA_API int ioa_domain_default(ioa_domain_t **out);

/* Allocate size bytes (rounded up to 4 KiB, the allocation quantum, whatever
 * the arena's page size) contiguous in bus space under c (NULL: anything),
 * charged to acct (NULL: the domain's root). The memory is mapped; it is zero
 * only when fresh from the system. Any thread; may block and call the kernel
 * when the arena grows. c's window is clamped to the domain's bus span.
 * 0; -EINVAL (size 0, malformed c, a window that misses the domain, size
 * larger than the window or the boundary); -EDQUOT (an account limit);
 * -ENOMEM (nothing satisfies c). Nothing changes on error. */
IOA_API int ioa_domain_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			     ioa_account_t *acct, uint64_t *bus);

/* Free an allocation: bus and size as allocated, acct as charged (NULL: the
 * root). -EINVAL if nothing was allocated there, with another size, or
 * charged to another account (a misuse report in debug mode); nothing
 * changes then. Any thread. */
IOA_API int ioa_domain_free(ioa_domain_t *d, uint64_t bus, uint64_t size, ioa_account_t *acct);

/* The virtual address of bus address bus, or NULL if outside the domain's
 * bus window. Only allocated addresses are backed: one in a gap between
 * ranges, or not yet grown, translates but faults when touched. Any thread,
 * real-time safe, O(1). */
IOA_API void *ioa_domain_virt(const ioa_domain_t *d, uint64_t bus);

/* The bus address of va: 0 and *bus; -EINVAL if va is outside the linear map.
 * Any thread, real-time safe, O(1). */
IOA_API int ioa_domain_bus(const ioa_domain_t *d, const void *va, uint64_t *bus);

/* The domain's root account (charged when callers pass NULL). */
IOA_API ioa_account_t *ioa_domain_account(ioa_domain_t *d);

/* The arena's page size in bytes. */
IOA_API uint64_t ioa_domain_page_size(const ioa_domain_t *d);

/* The domain's backend and name. */
IOA_API enum ioa_backend ioa_domain_backend(const ioa_domain_t *d);
IOA_API const char *ioa_domain_name(const ioa_domain_t *d);

struct ioa_domain_stats {
	size_t size;              /* sizeof(struct ioa_domain_stats): the caller sets it */
	uint64_t arena_bytes;     /* memory the arena holds (backed) */
	uint64_t arena_limit;     /* size_limit */
	uint64_t locked_bytes;    /* of arena_bytes, mlocked */
	uint64_t segments;        /* backed segments (mappings) */
	uint64_t live_allocs;     /* allocations not yet freed */
	struct ioa_vmem_stats vmem; /* bytes by state, zones, largest free runs */
	struct ioa_account_stats root; /* the root account */
};

/* Snapshot of d's state; st->size must be set. Any thread. */
IOA_API int ioa_domain_stats(ioa_domain_t *d, struct ioa_domain_stats *st);

/* Print d's statistics in human-readable form to f. */
IOA_API int ioa_domain_print_stats(ioa_domain_t *d, FILE *f);

IOA_END_DECLS

#endif
