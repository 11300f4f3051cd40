/* SPDX-License-Identifier: MIT */
/* Shared helpers for ioalloc's tests: cmocka, skips (exit 77) and privilege probes. */
#ifndef IOA_TESTLIB_H
#define IOA_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

/* Exit code that Meson reports as SKIP. */
#define IOA_TEST_SKIP 77

/* Print why and exit 77: the whole test file is skipped. */
void ioa_test_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* True if this process has capability CAP in its effective set. */
bool ioa_test_has_cap(int cap);

/* Physical address of va from /proc/self/pagemap (0: not available). */
uint64_t ioa_test_phys_of(const void *va);

/* Free hugepages of SIZE bytes (2 MiB, 1 GiB); 0 if none or unknown. */
long ioa_test_hugepages_free(size_t size);

/* True when built with AddressSanitizer / ThreadSanitizer. */
bool ioa_test_under_asan(void);
bool ioa_test_under_tsan(void);

/* True when running under Valgrind (the build has its headers). */
bool ioa_test_under_valgrind(void);

/* Fork, with stdio flushed first (so a child leaving by exit does not write
 * the parent's buffers twice); the fork must work. */
pid_t ioa_test_fork(void);

/* Wait for child pid: its exit status, or 128 + the signal that killed it. */
int ioa_test_exit_code(pid_t pid);

/* Write one byte at p in a forked child that restores the default SIGSEGV
 * action (sanitizers install their own) and dumps no core: its wait status.
 * ioa_test_segv(status): the child died of SIGSEGV. */
int ioa_test_poke_in_child(volatile uint8_t *p);
bool ioa_test_segv(int status);

/* Misuse reports recorded instead of aborting. ioa_test_catch_misuse() zeroes
 * the count and installs the recorder (process-wide); each report bumps
 * ioa_test_misuses and leaves "call: object: message" in ioa_test_last_misuse.
 * ioa_test_release_misuse() puts the default handler back. */
extern unsigned ioa_test_misuses;
extern char ioa_test_last_misuse[512];
void ioa_test_catch_misuse(void);
void ioa_test_release_misuse(void);

/* A small deterministic PRNG (splitmix64) for randomised tests with fixed seeds. */
static inline uint64_t ioa_test_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
