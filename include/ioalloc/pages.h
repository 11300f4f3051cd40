/* SPDX-License-Identifier: MIT */
/*
 * Page lists: whole pages inside an address window, not necessarily
 * contiguous, described page by page (like a Windows MDL's PFN array) and by
 * maximal contiguous runs; mapped on demand into one contiguous virtual
 * range, or twice back to back for a ring that never wraps.
 *
 * The pages are the domain's pages (4 KiB, or 2 MiB on a hugetlb domain),
 * pinned as the domain's arena is. Every page is also reachable through the
 * domain's linear map (ioa_domain_virt), mapped or not; a list that is one
 * run maps at its linear-map address.
 */
#ifndef IOALLOC_PAGES_H
#define IOALLOC_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <ioalloc/api.h>
#include <ioalloc/domain.h>

IOA_BEGIN_DECLS

typedef struct ioa_pages ioa_pages_t;

#define IOA_PAGES_F_CONTIGUOUS (1u << 0) /* one run, or -ENOMEM */
#define IOA_PAGES_F_PARTIAL_OK (1u << 1) /* fewer pages than asked are fine (not none) */
#define IOA_PAGES_F_NO_ZERO (1u << 2)    /* skip zeroing (the default zeroes) */
#define IOA_PAGES_F_CHUNKED (1u << 3)    /* runs are whole chunks of chunk_size, aligned to it */
#define IOA_PAGES_F_LAZY_MAP (1u << 4)   /* map without populating: fast, faults on first touch */
#define IOA_PAGES_F_VALID 0x1fu

/* A run of contiguous bus addresses. */
struct ioa_run {
	uint64_t bus;
	uint64_t len;
};

/* Allocate bytes (rounded up to whole pages) of pages whose every byte lies
 * in c's window [min_addr, max_addr] (inclusive; NULL: anywhere), charged to
 * acct (NULL: the domain's root). With CONTIGUOUS the pages form one run that
 * also honours c's align and boundary; otherwise runs are aligned to the page
 * (or chunk) and each run honours c's boundary. With CHUNKED, chunk_size (a
 * power of two, a multiple of the page size; bytes a multiple of it) sets the
 * run granule; otherwise chunk_size must be 0. With PARTIAL_OK the list may
 * hold fewer bytes than asked, even when the window is smaller than bytes
 * (check ioa_pages_bytes); without it, all or nothing.
 * May block and call the kernel.
 * 0; -EINVAL (bytes 0, unknown flags, malformed c, a window smaller than one
 * page or outside the domain, bad chunk_size, bad combination); -ENOMEM (not
 * a single page, or not all without PARTIAL_OK); -EDQUOT (the account refused
 * even the smallest request). Nothing is allocated or charged on error. */
IOA_API int ioa_pages_alloc(ioa_domain_t *d, uint64_t bytes, const struct ioa_constraint *c,
			    ioa_account_t *acct, unsigned flags, uint64_t chunk_size,
			    ioa_pages_t **out);

/* Free the pages (unmapping the list first if it is mapped) and the list.
 * NULL is a no-op. 0, or -EINVAL if the domain refused a run (a misuse). */
IOA_API int ioa_pages_free(ioa_pages_t *pl);

/* Number of pages, page size, and bytes held (count * page size). */
IOA_API size_t ioa_pages_count(const ioa_pages_t *pl);
IOA_API uint64_t ioa_pages_page_size(const ioa_pages_t *pl);
IOA_API uint64_t ioa_pages_bytes(const ioa_pages_t *pl);

/* Bus address of page i (0 <= i < count): 0 and *bus, or -EINVAL. */
IOA_API int ioa_pages_frame(const ioa_pages_t *pl, size_t i, uint64_t *bus);

/* The maximal contiguous runs, in list order: fills up to max entries and
 * returns how many runs there are (call with max 0 to count). */
IOA_API size_t ioa_pages_runs(const ioa_pages_t *pl, struct ioa_run *runs, size_t max);

/* Split the list into a scatter-gather list for a device whose segments are at
 * most max_seg bytes and never cross a multiple of boundary (a power of two,
 * 0: none). *n is set to the number of segments needed; 0 if they fit in max,
 * -ENOSPC if not (sg may be NULL to count), -EINVAL for max_seg 0 or a bad
 * boundary. */
IOA_API int ioa_pages_sg(const ioa_pages_t *pl, uint64_t max_seg, uint64_t boundary,
			 struct ioa_run *sg, size_t max, size_t *n);

/* Map the pages into one contiguous virtual range: *va. A list that is one
 * contiguous run, of a domain that prefaults its arena (the default) and is
 * not in debug mode, is given its address in the linear map, where its page
 * tables already exist: no kernel call. Any other list gets a new range
 * whose page tables are populated. Either way touching the mapping never
 * faults (unless the list was allocated with IOA_PAGES_F_LAZY_MAP: then a
 * new range takes a few microseconds to map and each page faults once on
 * first touch). One mapping per list: -EBUSY if already mapped. May block;
 * may call the kernel. -ENOMEM when the address space or mapping count runs
 * out. */
IOA_API int ioa_pages_map(ioa_pages_t *pl, void **va);

/* Map the pages twice back to back: byte i and byte i + bytes are the same
 * memory, so a reader never wraps. Same rules as ioa_pages_map. */
IOA_API int ioa_pages_map_ring(ioa_pages_t *pl, void **va);

/* Undo ioa_pages_map or _map_ring; va must be what it returned. -EINVAL if
 * the list is not mapped or va differs. */
IOA_API int ioa_pages_unmap(ioa_pages_t *pl, void *va);

/* The list as iovecs for preadv/pwritev/io_uring: one entry per run through
 * the domain's linear map (or one entry for the whole mapping when mapped; for
 * a ring, its first copy). Same counting convention as ioa_pages_sg: *n is
 * the number needed, the first max are filled, -ENOSPC if they do not fit. */
IOA_API int ioa_pages_iovec(const ioa_pages_t *pl, struct iovec *iov, size_t max, size_t *n);

IOA_END_DECLS

#endif
