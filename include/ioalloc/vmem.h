/* SPDX-License-Identifier: MIT */
/*
 * vmem: a constrained range allocator over an address space (after Bonwick &
 * Adams, "Magazines and Vmem", USENIX 2001, and illumos vmem_xalloc). It hands
 * out ranges of integers (bus addresses); it never touches memory itself.
 *
 * Zones (optional) split the space into regions that never coalesce with each
 * other, such as "below 16 MiB" and "below 4 GiB"; searches visit the highest
 * zone a request allows first, keeping scarce low memory for the devices that
 * need it. Spans add allocatable space; an import callback adds spans on
 * demand when a request finds nothing.
 */
#ifndef IOALLOC_VMEM_H
#define IOALLOC_VMEM_H

#include <stddef.h>
#include <stdint.h>
#include <ioalloc/api.h>
#include <ioalloc/constraint.h>

IOA_BEGIN_DECLS

typedef struct ioa_vmem ioa_vmem_t;

/* At most this many zones per vmem. */
#define IOA_VMEM_MAX_ZONES 8

/* Asked for more space: add a span of at least size bytes (a multiple of the
 * quantum) that can satisfy c, and return it in *base / *len; or -ENOMEM.
 * Called with the vmem's lock held: it must not call back into the vmem. */
typedef int (*ioa_vmem_import_fn)(void *arg, uint64_t size, const struct ioa_constraint *c,
				  uint64_t *base, uint64_t *len);

struct ioa_vmem_zone_stats {
	uint64_t base, size;   /* the zone's address range */
	uint64_t span_bytes;   /* space added to the zone so far */
	uint64_t free_bytes;   /* free space in the zone */
	uint64_t largest_free; /* the longest free run in the zone */
};

struct ioa_vmem_stats {
	size_t size;             /* sizeof(struct ioa_vmem_stats): the caller sets it */
	uint64_t span_bytes;     /* all space added */
	uint64_t alloc_bytes;    /* space handed out */
	uint64_t free_bytes;     /* span_bytes - alloc_bytes */
	uint64_t alloc_segs;     /* live allocations */
	uint64_t free_segs;      /* free runs (fragmentation) */
	uint64_t meta_bytes;     /* bytes of bookkeeping (segments and hash table) */
	uint64_t imports;        /* successful import calls */
	unsigned nzones;
	struct ioa_vmem_zone_stats zones[IOA_VMEM_MAX_ZONES];
};

/* Create an empty vmem handing out multiples of quantum (a power of two);
 * name is copied. May block. 0, -EINVAL, -ENOMEM. */
IOA_API int ioa_vmem_create(const char *name, uint64_t quantum, ioa_vmem_t **out);

/* Destroy vm and its bookkeeping, whether or not ranges are still allocated
 * (the caller reports leaks first, e.g. with ioa_vmem_walk). NULL is a no-op. */
IOA_API void ioa_vmem_destroy(ioa_vmem_t *vm);

/* Declare a zone [base, base + size) before adding spans to it. Zones must
 * not overlap. -EINVAL (bad range, overlap, spans already added), -ENOSPC
 * (more than IOA_VMEM_MAX_ZONES). */
IOA_API int ioa_vmem_add_zone(ioa_vmem_t *vm, uint64_t base, uint64_t size);

/* Add [base, base + size) as free space; it must lie inside one zone (if any
 * zones are declared), be quantum aligned and overlap no earlier span. May
 * block. 0, -EINVAL, -ENOMEM. */
IOA_API int ioa_vmem_add(ioa_vmem_t *vm, uint64_t base, uint64_t size);

/* Install the import callback (NULL removes it). */
IOA_API void ioa_vmem_set_import(ioa_vmem_t *vm, ioa_vmem_import_fn fn, void *arg);

/* Allocate size bytes (rounded up to the quantum) anywhere: instant fit,
 * constant time unless only the size's own class has room (then first fit
 * within that one list). Any thread; takes the vmem's lock. 0, -EINVAL (size 0),
 * -ENOMEM. */
IOA_API int ioa_vmem_alloc(ioa_vmem_t *vm, uint64_t size, uint64_t *addr);

/* Allocate size bytes whose start is phase modulo c->align, inside c's window,
 * not crossing c->boundary. Any thread; takes the vmem's lock.
 * -EINVAL: impossible request (size 0, malformed c, size > boundary, phase >=
 * align or not a multiple of the quantum, size larger than the window, NULL
 * addr); -ENOMEM: nothing free satisfies it.
 * Nothing changes on error. */
IOA_API int ioa_vmem_xalloc(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
			    const struct ioa_constraint *c, uint64_t *addr);

/* Free the allocation that starts at addr; size must be what was asked for
 * (rounded to the quantum as at allocation). -EINVAL if no allocation starts
 * at addr or the size differs; nothing changes then. */
IOA_API int ioa_vmem_free(ioa_vmem_t *vm, uint64_t addr, uint64_t size);

/* Fill st; st->size must be set by the caller. */
IOA_API int ioa_vmem_stats(ioa_vmem_t *vm, struct ioa_vmem_stats *st);

/* Call fn for every segment in address order: allocated (1) or free (0).
 * Stops early when fn returns non-zero, which is returned. Holds the lock:
 * fn must not call into vm. */
IOA_API int ioa_vmem_walk(ioa_vmem_t *vm,
			  int (*fn)(void *arg, uint64_t start, uint64_t size, int allocated),
			  void *arg);

IOA_END_DECLS

#endif
