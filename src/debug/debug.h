/* SPDX-License-Identifier: MIT */
/*
 * Internal debugging services (see include/ioalloc/debug.h for the public
 * misuse handler):
 *
 *  - misuse reporting through the replaceable handler (misuse.c);
 *  - IOALLOC_DEBUG, the process-wide debug switch, parsed once from one
 *    table (env.c; libumem's UMEM_DEBUG);
 *  - IOALLOC_FAULT, which arms the platform layer's fault injection at its
 *    first call (fault.c parses, platform.c arms);
 *  - a quarantine for freed handles, so a double free in debug mode finds a
 *    dead magic number instead of reused memory (quarantine.c);
 *  - the explanation of a refused allocation request (misuse.c).
 *
 * Tiers (STYLE.md 11): cheap checks always on (magic numbers, refused frees,
 * account underflow); a debug flag per domain or pool; IOALLOC_DEBUG turning
 * that flag on for every domain and pool the process creates.
 */
#ifndef IOA_DEBUG_INTERNAL_H
#define IOA_DEBUG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <ioalloc/constraint.h>
#include <ioalloc/debug.h>

/* The platform layer is about to make system call `what`: inside an
 * ioa_rt_enter section that is reported as misuse (rt.c). Any thread. */
void ioa__rt_syscall(const char *what);

/* Report a misuse through the installed handler (the default prints and
 * aborts, or only prints under IOALLOC_DEBUG=abort=0): the library's own
 * name for the public ioa_report_misuse. */
#define ioa__misuse ioa_report_misuse

/* ---- IOALLOC_DEBUG ------------------------------------------------------- */

/* What IOALLOC_DEBUG asks for, one bit per key of its table. */
#define IOA_DBG_GUARDS (1u << 0)   /* guards: inaccessible pages around DMA buffers and mappings */
#define IOA_DBG_REDZONES (1u << 1) /* redzones: pools pad objects with checked patterns */
#define IOA_DBG_POISON (1u << 2)   /* poison: freed memory is filled with a pattern */
#define IOA_DBG_OWNER (1u << 3)    /* owner: refused frees/puts (owner, size, double) are reported */
#define IOA_DBG_LEAKS (1u << 4)    /* leaks: destroy lists live allocations and reports misuse */
#define IOA_DBG_ALL 0x1fu          /* all: every check above */
#define IOA_DBG_NOABORT (1u << 8)  /* abort=0: the default handler prints and returns */
/* The keys that turn a domain's one debug mode (IOA_DOMAIN_F_DEBUG) on: all
 * but redzones, which only pools have. */
#define IOA_DBG_DOMAIN (IOA_DBG_GUARDS | IOA_DBG_POISON | IOA_DBG_OWNER | IOA_DBG_LEAKS)

/* IOALLOC_DEBUG as IOA_DBG_* bits: parsed at the first call (a malformed
 * item is reported once on stderr and ignored), cached after. 0 when unset.
 * Any thread; after the first call a load and a branch (pthread_once). */
unsigned ioa__debug_env(void);

/* Parse an IOALLOC_DEBUG spec: comma-separated items "key" or "key=0|1"
 * (guards, redzones, poison, owner, leaks, all, abort). 0 and *bits; or
 * -EINVAL naming the first bad item in err (if errlen > 0), with *bits still
 * holding the valid items. Pure; any thread. */
int ioa__debug_parse(const char *spec, unsigned *bits, char *err, size_t errlen);

/* ---- IOALLOC_FAULT ------------------------------------------------------- */

/* One fault-injection setting (the arguments of ioa_plat_fault_set). */
struct ioa__fault_spec {
	int site;            /* enum ioa_plat_site; IOA_SITE_COUNT: every site */
	uint64_t nth, every, seed;
};

/* Parse "SITE:nth=N" or "SITE:every=N[:seed=S]" (SITE: memfd, ftruncate,
 * mmap, mlock, pagemap, uring or all). 0; -EINVAL with a message in err.
 * Pure; any thread. */
int ioa__fault_parse(const char *spec, struct ioa__fault_spec *f, char *err, size_t errlen);

/* Read IOALLOC_FAULT: 1 and *f if it is set and well formed; 0 if unset or
 * empty; 0 with a message on stderr if malformed. Called once, by the
 * platform layer at its first call. */
int ioa__fault_env(struct ioa__fault_spec *f);

/* ---- handles --------------------------------------------------------------- */

/* Take a freed handle (its magic already set to a dead value) instead of
 * free(): the most recent IOA_QUARANTINE_SLOTS are kept, the oldest freed.
 * Any thread. */
#define IOA_QUARANTINE_SLOTS 256
void ioa__quarantine(void *p);

/* ---- requests ---------------------------------------------------------------- */

/* Report why an allocation of size bytes under c (NULL: anything) in an
 * address space [lo, hi] was refused with -EINVAL: the malformed field, the
 * window that misses, the boundary or window it cannot fit. */
void ioa__debug_bad_request(const char *call, const char *object, uint64_t size,
			    const struct ioa_constraint *c, uint64_t lo, uint64_t hi);

#endif
