/* SPDX-License-Identifier: MIT */
/*
 * One macro layer for memory-checker annotations (like mimalloc's track.h):
 * Valgrind's mempool client requests and ASan's manual poisoning. Objects a
 * pool holds are "no access" to the checker; a get makes one addressable,
 * a put takes it back. Without either checker the macros vanish.
 *
 * IOA_TRACK_ACTIVE() tells at run time whether any checker listens, so a pool
 * can leave its annotated slow path off when nobody would see it.
 */
#ifndef IOA_CORE_TRACK_H
#define IOA_CORE_TRACK_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define IOA_ASAN_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define IOA_ASAN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define IOA_ASAN_ACTIVE 1
#else
#define IOA_ASAN_POISON(p, n) ((void)(p), (void)(n))
#define IOA_ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#define IOA_ASAN_ACTIVE 0
#endif

#if defined(IOA_HAVE_VALGRIND)
#include <valgrind/memcheck.h>
#define IOA_VG_ACTIVE() (RUNNING_ON_VALGRIND != 0)
#define IOA_VG_POOL_CREATE(pool) VALGRIND_CREATE_MEMPOOL((pool), 0, 0)
#define IOA_VG_POOL_DESTROY(pool) VALGRIND_DESTROY_MEMPOOL(pool)
#define IOA_VG_ALLOC(pool, p, n) VALGRIND_MEMPOOL_ALLOC((pool), (p), (n))
#define IOA_VG_FREE(pool, p) VALGRIND_MEMPOOL_FREE((pool), (p))
#define IOA_VG_NOACCESS(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define IOA_VG_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define IOA_VG_ACTIVE() false
#define IOA_VG_POOL_CREATE(pool) ((void)(pool))
#define IOA_VG_POOL_DESTROY(pool) ((void)(pool))
#define IOA_VG_ALLOC(pool, p, n) ((void)(pool), (void)(p), (void)(n))
#define IOA_VG_FREE(pool, p) ((void)(pool), (void)(p))
#define IOA_VG_NOACCESS(p, n) ((void)(p), (void)(n))
#define IOA_VG_DEFINED(p, n) ((void)(p), (void)(n))
#endif

/* Is a checker listening? (Valgrind is known only at run time.) */
#define IOA_TRACK_ACTIVE() (IOA_ASAN_ACTIVE || IOA_VG_ACTIVE())

/* A pool is born / dies (Valgrind's mempool anchor). */
#define IOA_TRACK_CREATE(pool) IOA_VG_POOL_CREATE(pool)
#define IOA_TRACK_DESTROY(pool) IOA_VG_POOL_DESTROY(pool)

/* Object memory [p, p+n) joins a pool: nothing in it is addressable. */
#define IOA_TRACK_ADD(p, n)                                                           \
	do {                                                                          \
		IOA_VG_NOACCESS((p), (n));                                            \
		IOA_ASAN_POISON((p), (n));                                            \
	} while (0)

/* The memory goes back to where it came from: addressable again. */
#define IOA_TRACK_REMOVE(p, n)                                                        \
	do {                                                                          \
		IOA_VG_DEFINED((p), (n));                                             \
		IOA_ASAN_UNPOISON((p), (n));                                          \
	} while (0)

/* Object [p, p+n) handed out / taken back. */
#define IOA_TRACK_ALLOC(pool, p, n)                                                   \
	do {                                                                          \
		IOA_ASAN_UNPOISON((p), (n));                                          \
		IOA_VG_ALLOC((pool), (p), (n));                                       \
	} while (0)
#define IOA_TRACK_FREE(pool, p, n)                                                    \
	do {                                                                          \
		IOA_VG_FREE((pool), (p));                                             \
		IOA_ASAN_POISON((p), (n));                                            \
	} while (0)

/* The library itself reads or writes a tracked object (debug poison and
 * redzones): make [p, p+n) addressable for the duration. */
#define IOA_TRACK_OPEN(p, n)                                                          \
	do {                                                                          \
		IOA_ASAN_UNPOISON((p), (n));                                          \
		IOA_VG_DEFINED((p), (n));                                             \
	} while (0)
#define IOA_TRACK_CLOSE(p, n)                                                         \
	do {                                                                          \
		IOA_VG_NOACCESS((p), (n));                                            \
		IOA_ASAN_POISON((p), (n));                                            \
	} while (0)

#endif
