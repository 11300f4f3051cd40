/* SPDX-License-Identifier: MIT */
/*
 * bench_pages: pinned page lists and DMA buffers, ioalloc against what a
 * user-space driver does without it, in one run.
 *
 * What is timed: one COMPLETE operation per sample.
 *
 * 1. Page lists of 1 MiB, 2 MiB and 64 MiB: pinned pages with known bus
 *    addresses, mapped into one virtual range, then given back.
 *      ioalloc             ioa_pages_alloc (32-bit device window) +
 *                          ioa_pages_map + ioa_pages_unmap + ioa_pages_free,
 *                          from a memfd domain "size=1G" (locked and
 *                          prefaulted by default) whose arena is WARM: the same
 *                          size is allocated and freed once before the cell,
 *                          and every cell checks the arena did not grow. Four
 *                          rows per size: default flags (the pages are zeroed
 *                          and the mapping populated), IOA_PAGES_F_NO_ZERO,
 *                          IOA_PAGES_F_LAZY_MAP, and both. A warm arena gives
 *                          one run, which ioa_pages_map maps at its linear-map
 *                          address: no page tables are made.
 *      mmap_mlock_pgmap    mmap(MAP_ANONYMOUS|MAP_PRIVATE) + mlock + one pread
 *                          of n*8 bytes of /proc/self/pagemap + munlock +
 *                          munmap: pinned pages with their frame numbers, what
 *                          a driver does today. When mlock is refused
 *                          (RLIMIT_MEMLOCK, no CAP_IPC_LOCK) the cell runs as
 *                          mmap_nolock_pgmap: MAP_POPULATE instead of mlock,
 *                          NOT pinned, and a note says why.
 *      dpdk_memzone        rte_memzone_reserve_bounded(name, size,
 *                          SOCKET_ID_ANY, 0, 4096, 0) + rte_memzone_free. A
 *                          size the heap cannot hold is "unavailable" with
 *                          DPDK's reason, never a number.
 *    The peers have no "do not zero" mode (the kernel zeroes anonymous pages
 *    as it faults them; rte_memzone_free zeroes the block), so in the
 *    NO_ZERO rows they are simply measured a second time, side by side.
 *
 *    The same four flag combinations on a hugetlb domain, "pagesize=2M,
 *    size=256M" (2 MiB pages: one PMD per page where 4 KiB pages need 512
 *    PTEs), in a second table, at 2 MiB and 64 MiB only: 1 MiB would round
 *    up to one 2 MiB page, so a "1M" row would time a 2 MiB list. Its arena
 *    is grown to the biggest list once at start. The peers in those rows:
 *      huge_mlock_pgmap    the mmap peer with MAP_HUGETLB (2 MiB pages), and
 *                          one 8-byte pagemap pread per 2 MiB page (a
 *                          hugepage's frames are contiguous: its first entry
 *                          is all a driver needs); huge_nolock_pgmap when
 *                          mlock is refused, as above.
 *      dpdk_memzone        as above, measured again in each row.
 *    The 4 KiB mmap peer is not repeated there (same operation as in the 4 KiB
 *    row of that size). Without free hugepages (the domain cannot be created
 *    or grown, or the peer's mmap is refused) those cells are "unavailable"
 *    with the reason, never estimated.
 *
 *    A third table times ioalloc's phases alone, on both domains:
 *    ioa_pages_alloc + _free (the list: frames, and every page in the linear
 *    map), zeroed and not, ioa_pages_map + _unmap (the list made and
 *    freed untimed), and ioa_pages_map_ring + _unmap: a new range with
 *    populated page tables, twice over, which is what mapping a scattered
 *    list costs per page.
 *
 * 2. DMA buffers of 4 KiB .. 2 MiB, aligned to 4 KiB, not crossing a 64 KiB
 *    boundary (a boundary below the size is impossible, so 256 KiB and 2 MiB
 *    use a boundary equal to their size, as bench_domain does):
 *      ioalloc / ioalloc_F_ZERO   ioa_dma_alloc + ioa_dma_free, without and
 *                                 with IOA_DMA_F_ZERO (same domain)
 *      dpdk_memzone               rte_memzone_reserve_bounded with the same
 *                                 align and bound + rte_memzone_free
 *      mmap_mlock_pgmap           mmap + mlock + pagemap pread + munmap: it
 *                                 pins and translates but guarantees no
 *                                 contiguity (the run counts what it got).
 *
 * Checking: every result is checked while it is alive, outside the timed
 * parts (the harness's split operation: run = get it, mid = check it, run2 =
 * give it back; the sample is run + run2). ioalloc page lists: page count and
 * size; every frame aligned to the domain's page, inside the window and the
 * domain, and equal to the runs' pages in order; runs disjoint; the mapping
 * reads zero (default flags) and is writable at its first and last byte, and
 * the linear map sees the same bytes through the first and last frames. DMA
 * buffers: ioa_constraint_fits, the linear map, va writable at both ends.
 * mmap peers: every pagemap entry present, with a non-zero PFN (2 MiB aligned
 * for a hugepage) when the process has CAP_SYS_ADMIN (else the kernel reports
 * 0: counted and noted), the memory zero and writable at both ends. Memzones:
 * iova alignment, bound and length, the memory writable at both ends. Any
 * violation or failure makes the run exit 1; --selftest runs a few checked
 * operations per cell and asserts nothing about time.
 */
#include "harness.h"
#include "peer_dpdk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ioalloc/constraint.h>
#include <ioalloc/dma.h>
#include <ioalloc/domain.h>
#include <ioalloc/pages.h>

#ifdef IOA_BENCH_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>
#endif

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

#define DOMAIN_SPEC "size=1G"
#define PAGE (4 * KiB)           /* the domain's and the kernel's base page */
/* 256 MiB is a limit, not a reservation: the arena holds what the biggest
 * list needs (64 MiB = 32 hugepages), grown once at start. */
#define HUGE_SPEC "pagesize=2M,size=256M"
#define HUGE_PAGE (2 * MiB)
#define HUGE_FREE_PATH "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define DMA_ALIGN (4 * KiB)
#define DMA_BOUNDARY (64 * KiB)
#define LIST_WINDOW_BITS 32      /* page lists: a 32-bit device's window */
#define BIG (8 * MiB)            /* cells above this take fewer samples */
#define PREAD_KEEP 4096          /* pagemap pread times kept per cell */
/* The targets (research/perf.md: mmap+mlock of 2 MiB ~ 500 us here; pagemap
 * 25 ns per page). */
#define TARGET_2M_NS 20000.0
#define PAGEMAP_REF_NS_PER_PAGE 25.0

#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_PRESENT (1ull << 63)
#ifndef MAP_HUGE_2MB /* glibc has only the shift (linux/mman.h has the rest) */
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT) /* log2(2 MiB) */
#endif

static const uint64_t list_sizes[] = {1 * MiB, 2 * MiB, 64 * MiB};
#define NLIST (sizeof(list_sizes) / sizeof(list_sizes[0]))
/* Hugetlb lists: no 1 MiB row, since 1 MiB rounds up to one 2 MiB page (the
 * row would time a 2 MiB list under a 1 MiB name). */
static const uint64_t huge_sizes[] = {2 * MiB, 64 * MiB};
#define NHUGE (sizeof(huge_sizes) / sizeof(huge_sizes[0]))
static const uint64_t dma_sizes[] = {4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 2 * MiB};
#define NDMA (sizeof(dma_sizes) / sizeof(dma_sizes[0]))

#define IMPL_IOA "ioalloc"
#define IMPL_IOA_ZERO "ioalloc_F_ZERO"
#define IMPL_MMAP "mmap_mlock_pgmap"
#define IMPL_MMAP_NOLOCK "mmap_nolock_pgmap"
#define IMPL_HUGE "huge_mlock_pgmap"          /* the mmap peer with MAP_HUGETLB */
#define IMPL_HUGE_NOLOCK "huge_nolock_pgmap"
#define IMPL_MZ "dpdk_memzone"

struct run {
	struct bench *b;
	struct bench_opts o;
	struct peer_dpdk dpdk;      /* the DPDK peer */
	ioa_domain_t *d;            /* 4 KiB pages: DOMAIN_SPEC */
	ioa_domain_t *dh;           /* 2 MiB hugetlb pages: HUGE_SPEC; NULL: see huge_why */
	char huge_why[320];         /* room for the reason an op gave (o->why) */
	long huge_free;             /* free 2 MiB hugepages at start (-1: unknown) */
	int pagemap_fd;
	bool cap_sys_admin, cap_ipc_lock;
	unsigned long mz_seq;       /* memzone names */
	char unlocked[400];         /* cells whose mlock was refused */
	int unlocked_err;
	size_t zero_pfns, pm_entries; /* pagemap entries checked, and how many read PFN 0 */
	double pread_per_page[3];   /* per list size: the peer's pagemap pread, p50 ns per page */
	size_t pread_samples[3];
};

/* One cell's operation, and what it holds between run and run2. */
struct op {
	struct run *rn;
	ioa_domain_t *d;            /* ioalloc: the domain asked */
	uint64_t size;
	uint64_t page;              /* ioalloc lists: the domain's page; mmap peer: its page */
	unsigned flags;             /* ioa_pages_* or ioa_dma_* flags */
	struct ioa_constraint c;    /* ioalloc: the constraint asked */
	uint64_t bound;             /* memzone: boundary (0: none) */
	bool lock, munlock;         /* mmap peer: mlock (else MAP_POPULATE); munlock before munmap */
	bool fresh_zero;            /* the memory must read zero at first and last byte */
	ioa_pages_t *pl;
	void *va;
	ioa_dma_buf_t *buf;
	const void *mz;             /* const struct rte_memzone * */
	uint64_t *pm;               /* pagemap entries */
	size_t npm;
	double pread_ns[PREAD_KEEP]; /* mmap peer: the pread alone, per sample */
	size_t npread;
	size_t runs_min, runs_max;  /* mmap peer: physically contiguous runs seen */
	char name[32];              /* memzone: a unique name, made untimed */
	char why[200];
};

static const char *size_name(uint64_t size, char *buf, size_t len)
{
	snprintf(buf, len, size >= MiB ? "%" PRIu64 "M" : "%" PRIu64 "K",
		 size >= MiB ? size / MiB : size / KiB);
	return buf;
}

static int op_err(struct op *o, const char *call, int err)
{
	snprintf(o->why, sizeof(o->why), "%s: %s", call, strerror(err < 0 ? -err : err));
	return 1;
}

/* The first and last byte of [va, va + len): zero if asked, then writable. */
static int check_ends(struct op *o, const char *what, volatile uint8_t *va, uint64_t len)
{
	volatile uint8_t *last = va + len - 1;

	if (o->fresh_zero && (*va != 0 || *last != 0)) {
		snprintf(o->why, sizeof(o->why), "VIOLATION: %s of %" PRIu64 " bytes does not read "
			 "zero at its first/last byte", what, len);
		return 1;
	}
	*va = 0xa5;
	*last = 0x5a;
	if (*va != 0xa5 || *last != 0x5a) {
		snprintf(o->why, sizeof(o->why), "VIOLATION: %s is not writable", what);
		return 1;
	}
	return 0;
}

/* ---- ioalloc page lists --------------------------------------------------------- */

static int run_pages(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_alloc(o->d, o->size, &o->c, NULL, o->flags, 0, &o->pl);

	if (r)
		return op_err(o, "ioa_pages_alloc", r);
	r = ioa_pages_map(o->pl, &o->va);
	if (r) {
		ioa_pages_free(o->pl);
		o->pl = NULL;
		return op_err(o, "ioa_pages_map", r);
	}
	return 0;
}

static int run2_pages(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_unmap(o->pl, o->va);
	int f = ioa_pages_free(o->pl);

	o->pl = NULL;
	if (r)
		return op_err(o, "ioa_pages_unmap", r);
	return f ? op_err(o, "ioa_pages_free", f) : 0;
}

static int cmp_run(const void *a, const void *b)
{
	uint64_t x = ((const struct ioa_run *)a)->bus, y = ((const struct ioa_run *)b)->bus;

	return (x > y) - (x < y);
}

/* The runs tile exactly the frames, in order, inside the window, disjoint. */
static int check_runs(struct op *o, size_t n)
{
	size_t nr = ioa_pages_runs(o->pl, NULL, 0), k = 0;
	struct ioa_run *runs = malloc((nr ? nr : 1) * sizeof(*runs));
	int bad = !runs || nr == 0;

	if (!bad)
		ioa_pages_runs(o->pl, runs, nr);
	for (size_t i = 0; !bad && i < nr; i++) {
		for (uint64_t off = 0; !bad && off < runs[i].len; off += o->page) {
			uint64_t f;

			bad = k >= n || ioa_pages_frame(o->pl, k++, &f) || f != runs[i].bus + off ||
			      f % o->page || !ioa_constraint_fits(&o->c, f, o->page) ||
			      !ioa_domain_virt(o->d, f) ||
			      !ioa_domain_virt(o->d, f + o->page - 1);
		}
	}
	if (!bad && k != n)
		bad = 1;
	if (!bad)
		qsort(runs, nr, sizeof(*runs), cmp_run);
	for (size_t i = 1; !bad && i < nr; i++)
		bad = runs[i - 1].bus + runs[i - 1].len > runs[i].bus;
	free(runs);
	if (bad)
		snprintf(o->why, sizeof(o->why), "VIOLATION: page list of %" PRIu64 " bytes: frames "
			 "outside the window/domain, misaligned, overlapping or not matching its "
			 "%zu runs", o->size, nr);
	return bad;
}

/* The list's size and frames (see check_runs). */
static int check_list(struct op *o)
{
	size_t n = ioa_pages_count(o->pl);

	if (n != o->size / o->page || ioa_pages_page_size(o->pl) != o->page ||
	    ioa_pages_bytes(o->pl) != o->size) {
		snprintf(o->why, sizeof(o->why), "VIOLATION: page list of %" PRIu64 " bytes holds %zu "
			 "pages of %" PRIu64 " bytes", o->size, n, ioa_pages_page_size(o->pl));
		return 1;
	}
	return check_runs(o, n);
}

/* The linear-map addresses of the list's first byte and last byte. */
static void list_ends(struct op *o, uint8_t **first, uint8_t **last)
{
	uint64_t f, l;

	ioa_pages_frame(o->pl, 0, &f);
	ioa_pages_frame(o->pl, ioa_pages_count(o->pl) - 1, &l);
	*first = ioa_domain_virt(o->d, f);
	*last = (uint8_t *)ioa_domain_virt(o->d, l) + o->page - 1;
}

/* A live, mapped list: its frames, its mapping (zero if zeroed, writable at
 * both ends), and the mapping is the memory of its first and last frame. */
static int mid_pages(void *arg)
{
	struct op *o = arg;
	uint8_t *lfirst, *llast;

	if (check_list(o) || check_ends(o, "the page list's mapping", o->va, o->size))
		return 1;
	list_ends(o, &lfirst, &llast);
	if (*lfirst != 0xa5 || *llast != 0x5a) {
		snprintf(o->why, sizeof(o->why), "VIOLATION: the mapping of a %" PRIu64 "-byte page "
			 "list is not the memory of its first/last frame", o->size);
		return 1;
	}
	return 0;
}

/* ---- ioalloc page lists, phase by phase ------------------------------------------- */

/* alloc + free: the list alone (frames, and every page in the linear map). */
static int run_list_alloc(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_alloc(o->d, o->size, &o->c, NULL, o->flags, 0, &o->pl);

	return r ? op_err(o, "ioa_pages_alloc", r) : 0;
}

static int run_list_free(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_free(o->pl);

	o->pl = NULL;
	return r ? op_err(o, "ioa_pages_free", r) : 0;
}

/* A live, unmapped list: its frames; zero (if zeroed) and writable at both
 * ends through the linear map. A one-page list (2 MiB on hugetlb) has one
 * page to check: checking it twice would find the first check's writes. */
static int mid_list(void *arg)
{
	struct op *o = arg;
	uint8_t *first, *last;

	if (check_list(o))
		return 1;
	list_ends(o, &first, &last);
	if (check_ends(o, "the list's first page (linear map)", first, o->page))
		return 1;
	return ioa_pages_count(o->pl) > 1 &&
	       check_ends(o, "the list's last page (linear map)", last - o->page + 1, o->page);
}

/* map + unmap: the list is made (untimed) in prep and freed in check. */
static int prep_map(void *arg)
{
	return run_list_alloc(arg);
}

static int run_map(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_map(o->pl, &o->va);

	return r ? op_err(o, "ioa_pages_map", r) : 0;
}

static int run_map_ring(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_map_ring(o->pl, &o->va);

	return r ? op_err(o, "ioa_pages_map_ring", r) : 0;
}

static int run_unmap(void *arg)
{
	struct op *o = arg;
	int r = ioa_pages_unmap(o->pl, o->va);

	return r ? op_err(o, "ioa_pages_unmap", r) : 0;
}

static int check_map_free(void *arg)
{
	return run_list_free(arg);
}

/* ---- ioalloc DMA buffers --------------------------------------------------------- */

static int run_dma(void *arg)
{
	struct op *o = arg;
	int r = ioa_dma_alloc(o->d, o->size, &o->c, NULL, o->flags, &o->buf);

	return r ? op_err(o, "ioa_dma_alloc", r) : 0;
}

static int run2_dma(void *arg)
{
	struct op *o = arg;
	int r = ioa_dma_free(o->buf);

	o->buf = NULL;
	return r ? op_err(o, "ioa_dma_free", r) : 0;
}

static int mid_dma(void *arg)
{
	struct op *o = arg;
	uint64_t bus = ioa_dma_bus(o->buf);
	uint8_t *va = ioa_dma_va(o->buf);

	if (ioa_dma_allocated_size(o->buf) != o->size ||
	    !ioa_constraint_fits(&o->c, bus, o->size) || va != ioa_domain_virt(o->d, bus)) {
		snprintf(o->why, sizeof(o->why), "VIOLATION: DMA buffer 0x%" PRIx64 "+%" PRIu64
			 " (allocated %" PRIu64 ") breaks align %" PRIu64 "/boundary %" PRIu64
			 " or the linear map", bus, o->size, ioa_dma_allocated_size(o->buf),
			 o->c.align, o->c.boundary);
		return 1;
	}
	return check_ends(o, "the DMA buffer", va, o->size);
}

/* ---- the mmap + mlock + pagemap peer ----------------------------------------------- */

/* 4 KiB anonymous pages, or 2 MiB hugetlb pages; MAP_POPULATE does mlock's
 * faulting when mlock is refused. */
static int mmap_flags(const struct op *o)
{
	return MAP_PRIVATE | MAP_ANONYMOUS | (o->lock ? 0 : MAP_POPULATE) |
	       (o->page == HUGE_PAGE ? MAP_HUGETLB | MAP_HUGE_2MB : 0);
}

/* The frames: one pread of every entry for 4 KiB pages; for hugepages one
 * 8-byte pread per 2 MiB page, since a hugepage's frames are contiguous and
 * its first entry is all a driver needs (reading all 512 would cost the peer
 * ~15 us per page for nothing). 0 or an errno. */
static int read_pagemap(struct op *o)
{
	size_t n = o->size / o->page, per = o->page == PAGE ? n : 1;

	for (size_t i = 0; i < n; i += per) {
		uintptr_t va = (uintptr_t)o->va + i * o->page;
		ssize_t got = pread(o->rn->pagemap_fd, o->pm + i, per * 8, (off_t)(va / PAGE * 8));

		if (got != (ssize_t)(per * 8))
			return got < 0 ? errno : EIO;
	}
	return 0;
}

static int run_mmap(void *arg)
{
	struct op *o = arg;
	uint64_t t0, t1;
	int e;

	o->va = mmap(NULL, o->size, PROT_READ | PROT_WRITE, mmap_flags(o), -1, 0);
	if (o->va == MAP_FAILED) {
		o->va = NULL;
		return op_err(o, "mmap", errno);
	}
	if (o->lock && mlock(o->va, o->size)) {
		e = errno;
		munmap(o->va, o->size);
		o->va = NULL;
		return op_err(o, "mlock", e);
	}
	/* The pread alone is also kept (two clock reads, ~40 ns of the sample). */
	t0 = bench_now_ns();
	e = read_pagemap(o);
	t1 = bench_now_ns();
	if (e) {
		munmap(o->va, o->size);
		o->va = NULL;
		return op_err(o, "pread /proc/self/pagemap", e);
	}
	if (o->npread < PREAD_KEEP)
		o->pread_ns[o->npread++] = (double)(t1 - t0);
	return 0;
}

static int run2_mmap(void *arg)
{
	struct op *o = arg;
	int r = 0;

	if (o->lock && o->munlock && munlock(o->va, o->size))
		r = op_err(o, "munlock", errno);
	if (munmap(o->va, o->size) && !r)
		r = op_err(o, "munmap", errno);
	o->va = NULL;
	return r;
}

/* Every page present; with CAP_SYS_ADMIN every PFN non-zero and, for a
 * hugepage, 2 MiB aligned (without it the kernel reports 0: counted). Counts
 * the physically contiguous runs. */
static int mid_mmap(void *arg)
{
	struct op *o = arg;
	size_t n = o->size / o->page, runs = 0, zero = 0;
	uint64_t prev = 0, stride = o->page / PAGE; /* PFNs per page */

	for (size_t i = 0; i < n; i++) {
		uint64_t e = o->pm[i], pfn = e & PM_PFN_MASK;

		if (!(e & PM_PRESENT) || (o->rn->cap_sys_admin && (!pfn || pfn % stride))) {
			snprintf(o->why, sizeof(o->why), "VIOLATION: pagemap entry %zu of a %s "
				 "%" PRIu64 "-byte mapping of %" PRIu64 "-byte pages is 0x%" PRIx64
				 " (not present%s)", i, o->lock ? "locked" : "populated", o->size,
				 o->page, e, o->rn->cap_sys_admin ? ", PFN 0 or misaligned with "
				 "CAP_SYS_ADMIN" : "");
			return 1;
		}
		zero += !pfn;
		runs += i == 0 || pfn != prev + stride;
		prev = pfn;
	}
	o->rn->zero_pfns += zero;
	o->rn->pm_entries += n;
	if (!zero) {
		o->runs_min = o->runs_min && o->runs_min < runs ? o->runs_min : runs;
		o->runs_max = o->runs_max > runs ? o->runs_max : runs;
	}
	return check_ends(o, "the mmap'd memory", o->va, o->size);
}

/* ---- DPDK --------------------------------------------------------------------------- */

#ifdef IOA_BENCH_HAVE_DPDK
static int prep_mz(void *arg)
{
	struct op *o = arg;

	snprintf(o->name, sizeof(o->name), "p%lu", o->rn->mz_seq++);
	return 0;
}

static int run_mz(void *arg)
{
	struct op *o = arg;

	o->mz = rte_memzone_reserve_bounded(o->name, o->size, SOCKET_ID_ANY, 0, DMA_ALIGN,
					    o->bound);
	if (!o->mz) {
		snprintf(o->why, sizeof(o->why), "rte_memzone_reserve_bounded: %s",
			 rte_strerror(rte_errno));
		return 1;
	}
	return 0;
}

static int run2_mz(void *arg)
{
	struct op *o = arg;
	int r = rte_memzone_free(o->mz);

	o->mz = NULL;
	return r ? op_err(o, "rte_memzone_free", r) : 0;
}

/* Aligned, long enough, not crossing the bound; the memory writable. */
static int mid_mz(void *arg)
{
	struct op *o = arg;
	const struct rte_memzone *mz = o->mz;
	uint64_t iova = mz->iova;
	bool ok = iova % DMA_ALIGN == 0 && mz->len >= o->size && mz->addr;

	if (ok && o->bound)
		ok = ((iova ^ (iova + o->size - 1)) & ~(o->bound - 1)) == 0;
	if (!ok) {
		snprintf(o->why, sizeof(o->why), "VIOLATION: memzone iova 0x%" PRIx64 "+%" PRIu64
			 " (len %zu) breaks align %" PRIu64 "/bound %" PRIu64, iova, o->size,
			 (size_t)mz->len, DMA_ALIGN, o->bound);
		return 1;
	}
	return check_ends(o, "the memzone", mz->addr, o->size);
}
#endif /* IOA_BENCH_HAVE_DPDK */

/* ---- cells --------------------------------------------------------------------------- */

/* Samples per cell: a complete 64 MiB operation takes milliseconds, so the
 * big cells are bounded by time, with a floor of a few samples. */
static struct bench_budget budget_for(const struct run *rn, uint64_t size)
{
	bool big = size > BIG;

	if (rn->o.selftest)
		return big ? (struct bench_budget){4, 4, 0} : (struct bench_budget){100, 100, 0};
	if (rn->o.quick)
		return big ? (struct bench_budget){3, 200, 60 * 1000 * 1000ull}
			   : (struct bench_budget){20, 2000, 20 * 1000 * 1000ull};
	return big ? (struct bench_budget){20, 2000, 1500 * 1000 * 1000ull}
		   : (struct bench_budget){200, 20000, 300 * 1000 * 1000ull};
}

static uint64_t arena_bytes(ioa_domain_t *d)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	return ioa_domain_stats(d, &st) == 0 ? st.arena_bytes : 0;
}

/* One complete checked operation, untimed (warming, probing). 0, or -1 with
 * the reason in o->why. */
static int one_op(const struct bench_op *op)
{
	if (op->prep && op->prep(op->arg))
		return -1;
	if (op->run(op->arg))
		return -1;
	if (op->mid && op->mid(op->arg)) {
		op->run2(op->arg);
		return -1;
	}
	if (op->run2(op->arg))
		return -1;
	return op->check && op->check(op->arg) ? -1 : 0;
}

/* An ioalloc cell: one warming operation of the same size (the arena grows
 * to hold it, if it must, here), then the samples; the arena must not grow. */
static void measure_ioa(struct run *rn, const char *cname, const char *impl, struct op *o,
			struct bench_op *op)
{
	struct bench_budget bud = budget_for(rn, o->size);
	uint64_t before;

	if (one_op(op)) {
		bench_fail(rn->b, "%s / %s: warming: %s", cname, impl, o->why);
		return;
	}
	before = arena_bytes(o->d);
	bench_measure(rn->b, cname, impl, op, &bud);
	if (arena_bytes(o->d) != before)
		bench_note(rn->b, "%s / %s: the arena grew during the cell (growth was timed)",
			   cname, impl);
}

/* Free 2 MiB hugepages now, or -1 if the kernel does not say. */
static long free_hugepages(void)
{
	FILE *f = fopen(HUGE_FREE_PATH, "re");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/* mlock once (untimed) on a mapping like the peer's: 0, the errno mlock was
 * refused with, or -errno if even the mmap failed. */
static int probe_mlock(struct op *o)
{
	void *va;
	int e = 0;

	o->lock = true; /* the probe maps without MAP_POPULATE */
	va = mmap(NULL, o->size, PROT_READ | PROT_WRITE, mmap_flags(o), -1, 0);
	if (va == MAP_FAILED)
		return -errno;
	if (mlock(va, o->size))
		e = errno;
	munmap(va, o->size);
	return e;
}

/* The probe's mmap failed: for 4 KiB pages a failure; for hugepages the pool
 * may simply be too small (other processes use it too), so unavailable. */
static void mmap_probe_failed(struct run *rn, const char *cname, struct op *o, int e)
{
	char why[200];

	if (o->page != HUGE_PAGE) {
		bench_fail(rn->b, "%s: probing mmap: %s", cname, strerror(e));
		return;
	}
	snprintf(why, sizeof(why), "unavailable: mmap(MAP_HUGETLB) of %" PRIu64 " MiB: %s "
		 "(%ld free 2 MiB hugepages now; the hugetlb arena holds %" PRIu64 ")",
		 o->size / MiB, strerror(e), free_hugepages(),
		 rn->dh ? arena_bytes(rn->dh) / HUGE_PAGE : 0);
	bench_skip(rn->b, cname, IMPL_HUGE, why);
	bench_note(rn->b, "%s / %s %s", cname, IMPL_HUGE, why);
}

static const char *mmap_impl(const struct op *o)
{
	if (o->page == HUGE_PAGE)
		return o->lock ? IMPL_HUGE : IMPL_HUGE_NOLOCK;
	return o->lock ? IMPL_MMAP : IMPL_MMAP_NOLOCK;
}

/* An mmap peer cell: probe mlock once (untimed); if refused, run unlocked
 * under another name and remember why. */
static void measure_mmap(struct run *rn, const char *cname, struct op *o, struct bench_op *op)
{
	struct bench_budget bud = budget_for(rn, o->size);
	int e = probe_mlock(o);

	if (e < 0) {
		mmap_probe_failed(rn, cname, o, -e);
		return;
	}
	o->lock = e == 0;
	if (e) {
		size_t l = strlen(rn->unlocked);

		rn->unlocked_err = e;
		snprintf(rn->unlocked + l, sizeof(rn->unlocked) - l, "%s%s", l ? ", " : "", cname);
	}
	o->pm = malloc(o->size / o->page * sizeof(*o->pm));
	if (!o->pm) {
		bench_fail(rn->b, "%s: out of memory", cname);
		return;
	}
	bench_measure(rn->b, cname, mmap_impl(o), op, &bud);
	free(o->pm);
	o->pm = NULL;
}

#ifdef IOA_BENCH_HAVE_DPDK
/* A memzone cell: one probing reservation (untimed); a size the heap cannot
 * hold is unavailable, with DPDK's reason. */
static void measure_mz(struct run *rn, const char *cname, struct op *o, struct bench_op *op)
{
	struct bench_budget bud = budget_for(rn, o->size);
	char why[256];

	if (one_op(op)) {
		if (strncmp(o->why, "VIOLATION", 9) == 0) {
			bench_fail(rn->b, "%s / %s: %s", cname, IMPL_MZ, o->why);
			return;
		}
		snprintf(why, sizeof(why), "unavailable: %s (-m 512, --no-huge)", o->why);
		bench_skip(rn->b, cname, IMPL_MZ, why);
		bench_note(rn->b, "%s / %s %s", cname, IMPL_MZ, why);
		return;
	}
	bench_measure(rn->b, cname, IMPL_MZ, op, &bud);
}
#endif

static void measure_peer_mz(struct run *rn, const char *cname, struct op *o)
{
#ifdef IOA_BENCH_HAVE_DPDK
	struct bench_op op = {.prep = prep_mz, .run = run_mz, .mid = mid_mz, .run2 = run2_mz,
			      .arg = o, .why = o->why, .why_len = sizeof(o->why)};

	if (rn->dpdk.up) {
		measure_mz(rn, cname, o, &op);
		return;
	}
#else
	(void)o;
#endif
	bench_unavailable(rn->b, cname, IMPL_MZ, rn->dpdk.why);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the peer's pagemap preads, per page (within its own samples). */
static void pread_metric(struct run *rn, struct op *o, size_t k)
{
	if (!o->npread)
		return;
	qsort(o->pread_ns, o->npread, sizeof(double), cmp_double);
	rn->pread_per_page[k] = o->pread_ns[(o->npread - 1) / 2] / (double)(o->size / PAGE);
	rn->pread_samples[k] = o->npread;
}

/* ---- page lists ----------------------------------------------------------------------- */

/* Row names: "list 2M", "list 2M NO_ZERO", "list 2M LAZY_MAP", ... */
static void list_case(uint64_t size, unsigned flags, char *buf, size_t len)
{
	char sz[16];

	snprintf(buf, len, "list %s%s%s", size_name(size, sz, sizeof(sz)),
		 flags & IOA_PAGES_F_NO_ZERO ? " NO_ZERO" : "",
		 flags & IOA_PAGES_F_LAZY_MAP ? " LAZY_MAP" : "");
}

/* The hugetlb domain's rows: "huge list 2M", ... (case names are unique in a
 * run, so the 4 KiB and 2 MiB rows of one size stay apart). */
static void huge_case(uint64_t size, unsigned flags, char *buf, size_t len)
{
	char l[48];

	list_case(size, flags, l, sizeof(l));
	snprintf(buf, len, "huge %s", l);
}

/* The flag combinations each list size is measured with. */
static const unsigned list_variants[] = {
	0, IOA_PAGES_F_NO_ZERO, IOA_PAGES_F_LAZY_MAP, IOA_PAGES_F_NO_ZERO | IOA_PAGES_F_LAZY_MAP,
};
#define NVARIANTS (sizeof(list_variants) / sizeof(list_variants[0]))

static void list_init(struct op *o, struct run *rn, ioa_domain_t *d, uint64_t size,
		      unsigned flags)
{
	memset(o, 0, sizeof(*o));
	o->rn = rn;
	o->d = d;
	o->page = ioa_domain_page_size(d);
	o->size = size;
	o->flags = flags;
	o->fresh_zero = !(flags & IOA_PAGES_F_NO_ZERO);
	ioa_constraint_init(&o->c);
	ioa_constraint_set_dma_bits(&o->c, LIST_WINDOW_BITS);
}

/* The mmap peer of a page list: pinned (munlock before munmap), zeroed. */
static void mmap_list_init(struct op *o, struct run *rn, uint64_t size, uint64_t page)
{
	memset(o, 0, sizeof(*o));
	o->rn = rn;
	o->size = size;
	o->page = page;
	o->munlock = true;
	o->fresh_zero = true;
}

static void mz_init(struct op *o, struct run *rn, uint64_t size)
{
	memset(o, 0, sizeof(*o));
	o->rn = rn;
	o->size = size;
}

static struct bench_op list_op(struct op *o)
{
	return (struct bench_op){.run = run_pages, .mid = mid_pages, .run2 = run2_pages,
				 .arg = o, .why = o->why, .why_len = sizeof(o->why)};
}

static struct bench_op mmap_op(struct op *o)
{
	return (struct bench_op){.run = run_mmap, .mid = mid_mmap, .run2 = run2_mmap,
				 .arg = o, .why = o->why, .why_len = sizeof(o->why)};
}

static void measure_list_row(struct run *rn, struct op *o, size_t k, unsigned flags)
{
	uint64_t size = list_sizes[k];
	struct bench_op op = list_op(o);
	char cname[64];

	list_case(size, flags, cname, sizeof(cname));
	list_init(o, rn, rn->d, size, flags);
	measure_ioa(rn, cname, IMPL_IOA, o, &op);

	mmap_list_init(o, rn, size, PAGE);
	op = mmap_op(o);
	measure_mmap(rn, cname, o, &op);
	if (!flags)
		pread_metric(rn, o, k);

	mz_init(o, rn, size);
	measure_peer_mz(rn, cname, o);
}

/* A hugetlb row: ioalloc on the hugetlb domain, the MAP_HUGETLB mmap peer and
 * the memzone. The 4 KiB mmap peer is not repeated: it is the same operation
 * as in the 4 KiB row of this size, and slower than either peer here. */
static void measure_huge_row(struct run *rn, struct op *o, uint64_t size, unsigned flags)
{
	struct bench_op op = list_op(o);
	char cname[64];

	huge_case(size, flags, cname, sizeof(cname));
	if (!rn->dh) {
		bench_skip(rn->b, cname, IMPL_IOA, rn->huge_why);
		return;
	}
	list_init(o, rn, rn->dh, size, flags);
	measure_ioa(rn, cname, IMPL_IOA, o, &op);

	mmap_list_init(o, rn, size, HUGE_PAGE);
	op = mmap_op(o);
	measure_mmap(rn, cname, o, &op);

	mz_init(o, rn, size);
	measure_peer_mz(rn, cname, o);
}

/* One size of one domain, phase by phase. */
static void measure_phase_row(struct run *rn, struct op *o, ioa_domain_t *d,
			      const char *cname, uint64_t size)
{
	struct bench_op alloc = {.run = run_list_alloc, .mid = mid_list, .run2 = run_list_free,
				 .arg = o, .why = o->why, .why_len = sizeof(o->why)};
	struct bench_op map = {.prep = prep_map, .run = run_map, .mid = mid_pages,
			       .run2 = run_unmap, .check = check_map_free, .arg = o,
			       .why = o->why, .why_len = sizeof(o->why)};

	list_init(o, rn, d, size, 0);
	measure_ioa(rn, cname, "alloc+free", o, &alloc);
	list_init(o, rn, d, size, IOA_PAGES_F_NO_ZERO);
	measure_ioa(rn, cname, "alloc+free_NOZERO", o, &alloc);
	list_init(o, rn, d, size, IOA_PAGES_F_NO_ZERO);
	measure_ioa(rn, cname, "map+unmap", o, &map);
	map.run = run_map_ring;
	list_init(o, rn, d, size, IOA_PAGES_F_NO_ZERO);
	measure_ioa(rn, cname, "ring_map+unmap", o, &map);
}

/* Where ioalloc's time goes: the list alone, and the mapping alone. */
static void measure_phases(struct run *rn, struct op *o)
{
	char cname[64];

	bench_table(rn->b, "pages_phases", "ioalloc page lists phase by phase: ioa_pages_alloc + "
		    "ioa_pages_free alone, ioa_pages_map + ioa_pages_unmap alone, and "
		    "ioa_pages_map_ring + ioa_pages_unmap alone (always a new range)", NULL);
	for (size_t i = 0; i < NLIST; i++) {
		list_case(list_sizes[i], 0, cname, sizeof(cname));
		measure_phase_row(rn, o, rn->d, cname, list_sizes[i]);
	}
	for (size_t i = 0; rn->dh && i < NHUGE; i++) {
		huge_case(huge_sizes[i], 0, cname, sizeof(cname));
		measure_phase_row(rn, o, rn->dh, cname, huge_sizes[i]);
	}
}

static void measure_lists(struct run *rn, struct op *o)
{
	bench_table(rn->b, "pages", "Page lists, warm arena: alloc + map + unmap + free (ioalloc) "
		    "against mmap + mlock + pagemap + munlock + munmap and DPDK memzones",
		    IMPL_IOA);
	for (size_t i = 0; i < NLIST; i++) {
		for (size_t v = 0; v < NVARIANTS; v++)
			measure_list_row(rn, o, i, list_variants[v]);
	}
}

static void measure_huge_lists(struct run *rn, struct op *o)
{
	bench_table(rn->b, "pages_huge", "Page lists on a hugetlb domain ('" HUGE_SPEC "': 2 MiB "
		    "pages), warm arena: alloc + map + unmap + free (ioalloc) against "
		    "mmap(MAP_HUGETLB) + mlock + pagemap + munlock + munmap and DPDK memzones",
		    IMPL_IOA);
	for (size_t i = 0; i < NHUGE; i++) {
		for (size_t v = 0; v < NVARIANTS; v++)
			measure_huge_row(rn, o, huge_sizes[i], list_variants[v]);
	}
}

/* ---- DMA buffers ---------------------------------------------------------------------- */

/* 64 KiB, or the size itself when larger (a smaller boundary is impossible). */
static uint64_t boundary_for(uint64_t size)
{
	return size > DMA_BOUNDARY ? size : DMA_BOUNDARY;
}

static void dma_init(struct op *o, struct run *rn, uint64_t size)
{
	memset(o, 0, sizeof(*o));
	o->rn = rn;
	o->d = rn->d;
	o->page = PAGE;
	o->size = size;
	o->bound = boundary_for(size);
	ioa_constraint_init(&o->c);
	o->c.align = DMA_ALIGN;
	o->c.boundary = boundary_for(size);
}

static void measure_dma_row(struct run *rn, struct op *o, uint64_t size)
{
	struct bench_op op = {.run = run_dma, .mid = mid_dma, .run2 = run2_dma, .arg = o,
			      .why = o->why, .why_len = sizeof(o->why)};
	char cname[64], sz[16];

	snprintf(cname, sizeof(cname), "dma %s", size_name(size, sz, sizeof(sz)));
	dma_init(o, rn, size);
	measure_ioa(rn, cname, IMPL_IOA, o, &op);
	dma_init(o, rn, size);
	o->flags = IOA_DMA_F_ZERO;
	o->fresh_zero = true;
	measure_ioa(rn, cname, IMPL_IOA_ZERO, o, &op);
	dma_init(o, rn, size);
	measure_peer_mz(rn, cname, o);
	dma_init(o, rn, size);
	o->fresh_zero = true;
	op = (struct bench_op){.run = run_mmap, .mid = mid_mmap, .run2 = run2_mmap, .arg = o,
			       .why = o->why, .why_len = sizeof(o->why)};
	measure_mmap(rn, cname, o, &op);
	if (o->runs_max)
		bench_note(rn->b, "%s / mmap peer: %zu to %zu physically contiguous runs per buffer "
			   "(from pagemap PFNs): no contiguity guarantee", cname, o->runs_min,
			   o->runs_max);
}

static void measure_dmas(struct run *rn, struct op *o)
{
	bench_table(rn->b, "dma", "DMA buffers, align 4 KiB, boundary 64 KiB (256K, 2M: boundary "
		    "= size): alloc + free", IMPL_IOA);
	for (size_t i = 0; i < NDMA; i++)
		measure_dma_row(rn, o, dma_sizes[i]);
}

/* ---- targets and notes ------------------------------------------------------------------ */

/* The mmap peers: 4 KiB or hugetlb, locked or not; a row has at most one. */
static const char *const mmap_impls[] = {IMPL_MMAP, IMPL_MMAP_NOLOCK, IMPL_HUGE,
					 IMPL_HUGE_NOLOCK};

/* The page-list peer's stats for case cname, whichever it ran as. */
static const struct bench_stats *mmap_stats(struct run *rn, const char *cname,
					    const char **impl)
{
	for (size_t i = 0; i < sizeof(mmap_impls) / sizeof(mmap_impls[0]); i++) {
		const struct bench_stats *s = bench_get(rn->b, cname, mmap_impls[i]);

		*impl = mmap_impls[i];
		if (s)
			return s;
	}
	return NULL;
}

/* ioalloc's p50 against the faster of the peers measured in the same row. */
static void target_faster(struct run *rn, const char *cname)
{
	const struct bench_stats *io = bench_get(rn->b, cname, IMPL_IOA), *mz, *mm;
	const char *mm_name;
	char what[256];
	double limit;

	mm = mmap_stats(rn, cname, &mm_name);
	mz = bench_get(rn->b, cname, IMPL_MZ);
	if (!io || (!mm && !mz))
		return;
	limit = mm && (!mz || mm->p50 < mz->p50) ? mm->p50 : mz->p50;
	snprintf(what, sizeof(what), "%s: ioalloc p50 below the faster peer's p50 (%s%s)", cname,
		 mm && (!mz || mm->p50 < mz->p50) ? mm_name : IMPL_MZ,
		 mm && mz ? "" : mm ? "; dpdk_memzone unavailable" : "; mmap peer not measured");
	bench_target(rn->b, what, io->p50, limit, false);
}

/* The figure: 2 MiB pinned, mapped and freed in 20 us. */
static void target_2m(struct run *rn, const char *cname)
{
	const struct bench_stats *s = bench_get(rn->b, cname, IMPL_IOA);
	char what[200];

	snprintf(what, sizeof(what), "%s: ioalloc pinned, mapped and freed, p50", cname);
	if (s)
		bench_target(rn->b, what, s->p50, TARGET_2M_NS, false);
}

static void report_list_targets(struct run *rn)
{
	char cname[64];

	for (size_t i = 0; i < NLIST; i++) {
		for (size_t v = 0; v < NVARIANTS; v++) {
			list_case(list_sizes[i], list_variants[v], cname, sizeof(cname));
			target_faster(rn, cname);
		}
	}
	for (size_t i = 0; i < NHUGE; i++) {
		for (size_t v = 0; v < NVARIANTS; v++) {
			huge_case(huge_sizes[i], list_variants[v], cname, sizeof(cname));
			target_faster(rn, cname);
		}
	}
	for (size_t v = 0; v < NVARIANTS; v++) {
		list_case(2 * MiB, list_variants[v], cname, sizeof(cname));
		target_2m(rn, cname);
	}
	for (size_t v = 0; v < NVARIANTS; v++) {
		huge_case(2 * MiB, list_variants[v], cname, sizeof(cname));
		target_2m(rn, cname);
	}
}

static void report_targets(struct run *rn)
{
	char cname[64], sz[16];

	report_list_targets(rn);
	for (size_t i = 0; i < NDMA; i++) {
		snprintf(cname, sizeof(cname), "dma %s", size_name(dma_sizes[i], sz, sizeof(sz)));
		target_faster(rn, cname);
	}
}

/* Per-page costs of the biggest list (research/perf.md: pagemap ~25 ns/page):
 * the complete operation, and the list alone (alloc + free, no mapping). */
static void report_per_page(struct run *rn)
{
	uint64_t size = list_sizes[NLIST - 1];
	double pages = (double)(size / PAGE);
	char cname[64], what[200], sz[16];
	const struct bench_stats *s;
	const char *impl;

	size_name(size, sz, sizeof(sz));
	for (int nz = 0; nz < 2; nz++) {
		list_case(size, nz ? IOA_PAGES_F_NO_ZERO : 0, cname, sizeof(cname));
		s = bench_get(rn->b, cname, IMPL_IOA);
		if (s) {
			snprintf(what, sizeof(what), "ioalloc_ns_per_page_%s%s", sz,
				 nz ? "_no_zero" : "");
			bench_metric(rn->b, what, s->p50 / pages, "ns/page");
			snprintf(what, sizeof(what), "%s: ioalloc alloc+map+unmap+free, ns per page "
				 "(p50), vs pagemap's ~25", cname);
			bench_target(rn->b, what, s->p50 / pages, PAGEMAP_REF_NS_PER_PAGE, true);
		}
		list_case(size, 0, cname, sizeof(cname));
		s = bench_get(rn->b, cname, nz ? "alloc+free_NOZERO" : "alloc+free");
		if (s) {
			snprintf(what, sizeof(what), "ioalloc_list_only_ns_per_page_%s%s", sz,
				 nz ? "_no_zero" : "");
			bench_metric(rn->b, what, s->p50 / pages, "ns/page");
			snprintf(what, sizeof(what), "%s: ioalloc alloc+free%s (no mapping), ns per "
				 "page (p50), vs pagemap's ~25", cname, nz ? " NO_ZERO" : "");
			bench_target(rn->b, what, s->p50 / pages, PAGEMAP_REF_NS_PER_PAGE, true);
		}
	}
	list_case(size, 0, cname, sizeof(cname));
	s = mmap_stats(rn, cname, &impl);
	if (s) {
		snprintf(what, sizeof(what), "mmap_peer_ns_per_page_%s", sz);
		bench_metric(rn->b, what, s->p50 / pages, "ns/page");
	}
	for (size_t k = 0; k < NLIST; k++) {
		if (!rn->pread_samples[k])
			continue;
		size_name(list_sizes[k], sz, sizeof(sz));
		snprintf(what, sizeof(what), "pagemap_pread_ns_per_page_%s", sz);
		bench_metric(rn->b, what, rn->pread_per_page[k], "ns/page");
		bench_note(rn->b, "pagemap: one pread of %" PRIu64 " entries (%s): p50 %.1f ns per "
			   "page over %zu calls of the mmap peer (this run; research/perf.md: ~25 "
			   "for 512)", list_sizes[k] / PAGE, sz, rn->pread_per_page[k],
			   rn->pread_samples[k]);
	}
}

static void read_thp(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	snprintf(buf, len, "unknown");
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void report_huge_notes(struct run *rn)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	if (!rn->dh) {
		bench_note(rn->b, "hugetlb rows skipped: %s", rn->huge_why);
		return;
	}
	if (ioa_domain_stats(rn->dh, &st) == 0)
		bench_note(rn->b, "ioalloc hugetlb domain '%s': arena %" PRIu64 " MiB held (grown "
			   "to the biggest list at start), %" PRIu64 " MiB of it locked; %ld free "
			   "2 MiB hugepages at start; no 1M row (1 MiB rounds up to one 2 MiB page)",
			   HUGE_SPEC, st.arena_bytes / MiB, st.locked_bytes / MiB, rn->huge_free);
	bench_note(rn->b, "hugetlb rows: " IMPL_HUGE " is mmap(MAP_PRIVATE|MAP_ANONYMOUS|"
		   "MAP_HUGETLB, 2 MiB pages) + mlock + one 8-byte pagemap pread per 2 MiB page "
		   "+ munlock + munmap; the 4 KiB mmap peer of the same size is in the first table");
}

static void report_notes(struct run *rn)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};
	struct rlimit rl = {0, 0};
	char thp[96];

	read_thp(thp, sizeof(thp));
	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (ioa_domain_stats(rn->d, &st) == 0)
		bench_note(rn->b, "ioalloc domain '%s': arena %" PRIu64 " MiB held (warm), %" PRIu64
			   " MiB of it locked; each size was allocated and freed once before its "
			   "cell, and no cell saw the arena grow unless a note says so", DOMAIN_SPEC,
			   st.arena_bytes / MiB, st.locked_bytes / MiB);
	report_huge_notes(rn);
	bench_note(rn->b, "page lists: window = a %d-bit device's (max bus address 4 GiB - 1); "
		   "default flags zero the pages, NO_ZERO rows skip that; the peers always hand "
		   "out zeroed memory, so their NO_ZERO rows are a second measurement",
		   LIST_WINDOW_BITS);
	bench_note(rn->b, "DMA buffers: ioalloc contents unspecified unless IOA_DMA_F_ZERO "
		   "(ioalloc_F_ZERO column); mmap pages are zero, DPDK zeroes on free");
	bench_note(rn->b, "mmap peer: anonymous 4 KiB pages (THP: %s), no contiguity guarantee; "
		   "page lists call munlock before munmap, DMA rows only munmap", thp);
	bench_note(rn->b, "privileges: CAP_SYS_ADMIN %s, CAP_IPC_LOCK %s, RLIMIT_MEMLOCK %s",
		   rn->cap_sys_admin ? "yes" : "no", rn->cap_ipc_lock ? "yes" : "no",
		   rl.rlim_cur == RLIM_INFINITY ? "unlimited" : "limited");
	if (rl.rlim_cur != RLIM_INFINITY)
		bench_note(rn->b, "RLIMIT_MEMLOCK = %llu bytes", (unsigned long long)rl.rlim_cur);
	if (rn->unlocked[0]) { /* two notes: the list of cells can be long */
		bench_note(rn->b, "mmap peer: mlock refused (%s): those cells ran as "
			   IMPL_MMAP_NOLOCK " or " IMPL_HUGE_NOLOCK " (MAP_POPULATE, pages NOT "
			   "pinned)", strerror(rn->unlocked_err));
		bench_note(rn->b, "mmap peer unlocked at: %s", rn->unlocked);
	}
	if (rn->pm_entries)
		bench_note(rn->b, "pagemap: %zu of %zu entries checked read PFN 0%s", rn->zero_pfns,
			   rn->pm_entries, rn->zero_pfns ? " (no CAP_SYS_ADMIN: the kernel hides "
			   "PFNs; presence was still checked)" : "");
}

/* ---- main ---------------------------------------------------------------------------- */

static void start_dpdk(struct run *rn)
{
	peer_dpdk_start(&rn->dpdk, rn->b, "bench_pages", "IOVA as VA; memzone memory is not pinned here");
}

static void stop_dpdk(struct run *rn)
{
	peer_dpdk_stop(&rn->dpdk);
}

static int setup(struct run *rn)
{
	struct ioa_domain_config cfg;
	char err[128];
	int r;

	rn->cap_sys_admin = bench_has_cap(21); /* CAP_SYS_ADMIN */
	rn->cap_ipc_lock = bench_has_cap(14);   /* CAP_IPC_LOCK */
	rn->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (rn->pagemap_fd < 0) {
		bench_fail(rn->b, "cannot open /proc/self/pagemap: %s", strerror(errno));
		return -1;
	}
	ioa_domain_config_init(&cfg);
	cfg.name = "bench";
	r = ioa_domain_config_parse(&cfg, DOMAIN_SPEC, err, sizeof(err));
	if (!r)
		r = ioa_domain_create(&cfg, &rn->d);
	if (r) {
		bench_fail(rn->b, "cannot create the domain '%s': %s", DOMAIN_SPEC,
			   r == -EINVAL ? err : strerror(-r));
		return -1;
	}
	return 0;
}

static void drop_huge(struct run *rn)
{
	if (ioa_domain_destroy(rn->dh))
		bench_fail(rn->b, "the bench leaked hugetlb domain allocations");
	rn->dh = NULL;
}

/* Grow the hugetlb arena once to the biggest list, so that no cell asks the
 * pool for pages another process may have taken by then. A shortage makes
 * the rows unavailable; a wrong list is a failure. */
static void warm_huge(struct run *rn, struct op *o)
{
	struct bench_op op = list_op(o);

	list_init(o, rn, rn->dh, huge_sizes[NHUGE - 1], IOA_PAGES_F_NO_ZERO);
	if (!one_op(&op))
		return;
	if (strncmp(o->why, "VIOLATION", 9) == 0)
		bench_fail(rn->b, "hugetlb domain, warming: %s", o->why);
	snprintf(rn->huge_why, sizeof(rn->huge_why), "unavailable: growing the hugetlb arena to "
		 "%" PRIu64 " MiB: %s (%ld free 2 MiB hugepages at start)",
		 huge_sizes[NHUGE - 1] / MiB, o->why, rn->huge_free);
	drop_huge(rn);
}

/* The hugetlb domain, or rn->huge_why saying why its rows are skipped. */
static void setup_huge(struct run *rn, struct op *o)
{
	struct ioa_domain_config cfg;
	char err[128];
	int r;

	rn->huge_free = free_hugepages();
	ioa_domain_config_init(&cfg);
	cfg.name = "bench_huge";
	r = ioa_domain_config_parse(&cfg, HUGE_SPEC, err, sizeof(err));
	if (r) {
		bench_fail(rn->b, "the domain spec '%s': %s", HUGE_SPEC, err);
		snprintf(rn->huge_why, sizeof(rn->huge_why), "unavailable: bad spec");
		return;
	}
	r = ioa_domain_create(&cfg, &rn->dh);
	if (r) {
		rn->dh = NULL;
		snprintf(rn->huge_why, sizeof(rn->huge_why), "unavailable: cannot create the "
			 "hugetlb domain '%s': %s (%ld free 2 MiB hugepages)", HUGE_SPEC,
			 strerror(-r), rn->huge_free);
		return;
	}
	if (ioa_domain_page_size(rn->dh) != HUGE_PAGE) { /* never time a fallback as hugetlb */
		snprintf(rn->huge_why, sizeof(rn->huge_why), "unavailable: the domain '%s' has "
			 "%" PRIu64 "-byte pages", HUGE_SPEC, ioa_domain_page_size(rn->dh));
		drop_huge(rn);
		return;
	}
	warm_huge(rn, o);
}

int main(int argc, char **argv)
{
	struct run rn = {.pagemap_fd = -1};
	struct op *o = calloc(1, sizeof(*o));
	int r = bench_parse_args(argc, argv, "pages", &rn.o);

	if (r || !o) {
		free(o);
		return r > 0 ? 0 : 2;
	}
	rn.b = bench_begin("pages", &rn.o);
	if (!rn.b) {
		free(o);
		return 1;
	}
	start_dpdk(&rn);
	if (setup(&rn) == 0) {
		setup_huge(&rn, o);
		measure_lists(&rn, o);
		measure_huge_lists(&rn, o);
		measure_phases(&rn, o);
		measure_dmas(&rn, o);
		report_targets(&rn);
		report_per_page(&rn);
		report_notes(&rn);
	}
	if (rn.d && ioa_domain_destroy(rn.d))
		bench_fail(rn.b, "the bench leaked domain allocations");
	if (rn.dh)
		drop_huge(&rn);
	if (rn.pagemap_fd >= 0)
		close(rn.pagemap_fd);
	free(o);
	stop_dpdk(&rn);
	return bench_end(rn.b);
}
