/* SPDX-License-Identifier: MIT */
/*
 * Constraints: the one vocabulary for every device addressing limit.
 * A constraint is a value {min_addr, max_addr, align, boundary}: an allocation
 * [addr, addr + size) honours it when min_addr <= addr, addr + size - 1 <=
 * max_addr (both inclusive), addr % align == 0, and, if boundary != 0, the
 * range does not cross a multiple of boundary:
 *     ((addr ^ (addr + size - 1)) & ~(boundary - 1)) == 0
 * (the PhysicalAddressConstraint rule of IDmaChannel::AllocateBuffer).
 */
#ifndef IOALLOC_CONSTRAINT_H
#define IOALLOC_CONSTRAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ioalloc/api.h>

IOA_BEGIN_DECLS

struct ioa_constraint {
	size_t size;       /* sizeof(struct ioa_constraint), set by ioa_constraint_init */
	uint64_t min_addr; /* lowest bus address allowed, inclusive */
	uint64_t max_addr; /* highest bus address allowed, inclusive */
	uint64_t align;    /* power of two >= 1 */
	uint64_t boundary; /* power of two, or 0 for none */
};

/* Set c to "anything": [0, UINT64_MAX], align 1, no boundary; any thread. */
IOA_API void ioa_constraint_init(struct ioa_constraint *c);

/* 0 if c is well formed; -EINVAL if c is NULL, its size field is unknown,
 * align or boundary is not a power of two, or min_addr > max_addr. */
IOA_API int ioa_constraint_check(const struct ioa_constraint *c);

/* out = the tightest constraint both a and b allow (a device's limits narrowed
 * by a call's): the windows intersected, the larger alignment, the smaller
 * non-zero boundary. -EINVAL if either is malformed or the windows do not
 * meet; out is then unchanged. out may alias a or b. */
IOA_API int ioa_constraint_intersect(const struct ioa_constraint *a,
				     const struct ioa_constraint *b,
				     struct ioa_constraint *out);

/* True if [addr, addr + size) honours c (size > 0); any thread. */
IOA_API bool ioa_constraint_fits(const struct ioa_constraint *c, uint64_t addr, uint64_t size);

/* Set c's max_addr for a device that drives `bits` address lines (24: ISA,
 * 32, 64); -EINVAL for bits outside 1..64. */
IOA_API int ioa_constraint_set_dma_bits(struct ioa_constraint *c, unsigned bits);

IOA_END_DECLS

#endif
