/* SPDX-License-Identifier: MIT */
/* Small integer helpers shared by every subsystem. */
#ifndef IOA_CORE_BITS_H
#define IOA_CORE_BITS_H

#include <stdbool.h>
#include <stdint.h>

/* True if x is a power of two (0 is not). */
static inline bool ioa_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* x rounded up to a multiple of a (a power of two); wraps to 0 on overflow,
 * which callers check as "result < x". */
static inline uint64_t ioa_round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

#endif
