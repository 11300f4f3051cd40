/* SPDX-License-Identifier: MIT */
/*
 * vmem internals. Lock order: vm->lock is a leaf except for the import
 * callback, which runs under it and may take only the arena's own lock
 * (domain->grow_lock is never held while calling into vmem... the domain
 * calls vmem first, vmem calls import: order vm->lock -> arena state).
 */
#ifndef IOA_VMEM_IMPL_H
#define IOA_VMEM_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <ioalloc/vmem.h>

#define VMEM_NLISTS 64 /* one free list per power of two of a 64-bit size */

enum seg_type { SEG_FREE, SEG_ALLOC };

struct vmem_seg {
	uint64_t start, size;
	struct vmem_seg *anext, *aprev; /* all segments, address order */
	struct vmem_seg *fnext, *fprev; /* free: its free list; alloc: hash chain (fnext) */
	uintptr_t tag;                  /* alloc: owner cookie of the caller */
	uint8_t type;                   /* enum seg_type */
	uint8_t zone;                   /* index into vm->zones */
};

struct vmem_zone {
	uint64_t base, last;            /* inclusive range */
	uint64_t span_bytes, free_bytes;
	uint64_t freemap;               /* bit i: lists[i] non-empty */
	struct vmem_seg *lists[VMEM_NLISTS];
};

struct vmem_batch; /* a malloc'ed block of segment structures */

struct ioa_vmem {
	pthread_mutex_t lock;
	/* Written at creation, read-only after. */
	char name[32];
	uint64_t quantum;
	unsigned qshift;
	/* Written under lock. */
	unsigned nzones;
	bool zoned; /* zones were declared (else zone 0 covers everything) */
	struct vmem_zone zones[IOA_VMEM_MAX_ZONES];
	struct vmem_seg *seg_head;      /* address-ordered list */
	struct vmem_seg *seg_spare;     /* unused segment structs */
	struct vmem_batch *batches;
	uint64_t nbatches;
	struct vmem_seg **hash;
	uint64_t hash_mask, nalloc, alloc_bytes, nfree_segs, imports;
	ioa_vmem_import_fn import;
	void *import_arg;
};

/* As ioa_vmem_xalloc, recording tag (an owner cookie) with the allocation. */
int ioa__vmem_xalloc_tag(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
			 const struct ioa_constraint *c, uintptr_t tag, uint64_t *addr);

/* 0 if ioa_vmem_xalloc would accept the request (it may still find no
 * space), else its -EINVAL. Takes no lock. */
int ioa__vmem_validate(ioa_vmem_t *vm, uint64_t size, uint64_t phase,
		       const struct ioa_constraint *c);

/* What ioa__vmem_free_checked found at addr when it refused. */
struct vmem_found {
	uint64_t size;
	uintptr_t tag;
};

/* Free addr if it is allocated with exactly size bytes and (tag != 0) the
 * same tag: 0; -ENOENT: nothing allocated starts there; -EINVAL: the size
 * differs; -EACCES: the tag differs. *found (if not NULL) says what is there. */
int ioa__vmem_free_checked(ioa_vmem_t *vm, uint64_t addr, uint64_t size, uintptr_t tag,
			   struct vmem_found *found);

/* Look up the allocation starting at addr: 0 and its size/tag, or -ENOENT. */
int ioa__vmem_lookup(ioa_vmem_t *vm, uint64_t addr, struct vmem_found *found);

/* Walk allocated segments with their tags (under the lock). */
int ioa__vmem_walk_tags(ioa_vmem_t *vm,
			int (*fn)(void *arg, uint64_t start, uint64_t size, uintptr_t tag),
			void *arg);

#endif
