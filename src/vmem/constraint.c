/* SPDX-License-Identifier: MIT */
/* Constraint values: init, check, intersect, fit test. Pure functions. */
#include <errno.h>
#include <ioalloc/constraint.h>
#include "core/bits.h"

IOA_API void ioa_constraint_init(struct ioa_constraint *c)
{
	c->size = sizeof(*c);
	c->min_addr = 0;
	c->max_addr = UINT64_MAX;
	c->align = 1;
	c->boundary = 0;
}

IOA_API int ioa_constraint_check(const struct ioa_constraint *c)
{
	if (!c || c->size != sizeof(*c))
		return -EINVAL;
	if (!ioa_is_pow2(c->align) || (c->boundary && !ioa_is_pow2(c->boundary)))
		return -EINVAL;
	return c->min_addr <= c->max_addr ? 0 : -EINVAL;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

IOA_API int ioa_constraint_intersect(const struct ioa_constraint *a,
				     const struct ioa_constraint *b, struct ioa_constraint *out)
{
	struct ioa_constraint r;

	if (ioa_constraint_check(a) || ioa_constraint_check(b) || !out)
		return -EINVAL;
	r.size = sizeof(r);
	r.min_addr = a->min_addr > b->min_addr ? a->min_addr : b->min_addr;
	r.max_addr = a->max_addr < b->max_addr ? a->max_addr : b->max_addr;
	r.align = a->align > b->align ? a->align : b->align;
	r.boundary = min_nonzero(a->boundary, b->boundary);
	if (r.min_addr > r.max_addr)
		return -EINVAL;
	*out = r;
	return 0;
}

IOA_API bool ioa_constraint_fits(const struct ioa_constraint *c, uint64_t addr, uint64_t size)
{
	uint64_t last = addr + size - 1;

	if (!size || last < addr || addr < c->min_addr || last > c->max_addr)
		return false;
	if (addr & (c->align - 1))
		return false;
	return !c->boundary || !((addr ^ last) & ~(c->boundary - 1));
}

IOA_API int ioa_constraint_set_dma_bits(struct ioa_constraint *c, unsigned bits)
{
	if (!c || bits < 1 || bits > 64)
		return -EINVAL;
	c->max_addr = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	return 0;
}
