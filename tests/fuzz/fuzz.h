/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the libFuzzer harnesses: a reader that turns the input
 * into numbers (zeros once it runs out, so every input is a valid program),
 * and CHECK, which reports a broken promise and aborts - a crash libFuzzer
 * saves, and a failure when the corpus is replayed as a test.
 */
#ifndef IOA_FUZZ_H
#define IOA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,  \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static inline uint8_t take8(struct in *in)
{
	return (uint8_t)take(in, 1);
}

static inline uint16_t take16(struct in *in)
{
	return (uint16_t)take(in, 2);
}

static inline uint64_t take64(struct in *in)
{
	return take(in, 8);
}

#define ULL(x) ((unsigned long long)(x))

#endif
