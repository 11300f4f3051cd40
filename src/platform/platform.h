/* SPDX-License-Identifier: MIT */
/*
 * The OS contract: every system call ioalloc makes for memory goes through
 * here (memfd, hugetlb, address-space reservation, MAP_FIXED mappings, mlock,
 * prefaulting, /proc/self/pagemap). Functions return 0 or -errno and never
 * print, except ioa_plat_lock's one-time RLIMIT_MEMLOCK warning.
 *
 * Preconditions common to all: lengths and offsets are multiples of the page
 * size of the mapping they describe; addresses lie inside a range obtained from
 * ioa_plat_reserve. Nothing here takes a lock; all of it may call the kernel,
 * so none of it is real-time safe.
 */
#ifndef IOA_PLATFORM_H
#define IOA_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOA_PAGE_4K (4096ull)
#define IOA_PAGE_2M (2ull << 20)
#define IOA_PAGE_1G (1ull << 30)

/* Platform call sites, for fault injection and messages. */
enum ioa_plat_site {
	IOA_SITE_MEMFD,
	IOA_SITE_FTRUNCATE,
	IOA_SITE_MMAP,
	IOA_SITE_MLOCK,
	IOA_SITE_PAGEMAP,
	IOA_SITE_URING,
	IOA_SITE_COUNT
};

/* Name of a site ("memfd_create", ...); any thread. */
const char *ioa_plat_site_name(enum ioa_plat_site site);

/* Fault injection: 0 means "proceed", else the -errno the call must fail with.
 * Configured by ioa_plat_fault_set (tests) or IOALLOC_FAULT; any thread. */
int ioa_plat_fault(enum ioa_plat_site site);
/* Fail the nth (1-based) call at site (or every site if site == IOA_SITE_COUNT),
 * or 1 in `every` calls pseudo-randomly when every > 0; nth = every = 0 disables. */
void ioa_plat_fault_set(enum ioa_plat_site site, uint64_t nth, uint64_t every, uint64_t seed);
/* How many faults were injected so far. */
uint64_t ioa_plat_fault_count(void);

/* The base page size (sysconf). */
size_t ioa_plat_base_page(void);

/* Create a memfd whose pages are page_size bytes (4K, 2M or 1G: MFD_HUGETLB);
 * sealing allowed. -EINVAL for other sizes, -errno from memfd_create. */
int ioa_plat_memfd(const char *name, size_t page_size, int *fd);
/* Set the file's size (ftruncate). */
int ioa_plat_resize(int fd, uint64_t size);
void ioa_plat_close(int fd);

/* Reserve size bytes of address space aligned to align (power of two), no
 * access, no memory: the home of later MAP_FIXED mappings. */
int ioa_plat_reserve(size_t size, size_t align, void **out);
/* Give a reservation (and whatever is mapped in it) back. */
void ioa_plat_release(void *addr, size_t size);
/* Map len bytes of fd at off, read/write and shared, over addr inside a
 * reservation. A hugetlb memfd without free hugepages fails here: -ENOMEM. */
int ioa_plat_map(void *addr, size_t len, int fd, uint64_t off);
/* Turn [addr, addr+len) back into reserved, inaccessible address space. */
int ioa_plat_unmap(void *addr, size_t len);
/* Make [addr, addr+len) inaccessible (a guard) or accessible again. */
int ioa_plat_protect(void *addr, size_t len, bool accessible);

/* mlock; on failure returns -errno and warns once per process, naming
 * RLIMIT_MEMLOCK, unless quiet. */
int ioa_plat_lock(void *addr, size_t len, bool quiet);
void ioa_plat_unlock(void *addr, size_t len);
/* Fault every page in for writing (MADV_POPULATE_WRITE, else touch). A
 * hugetlb mapping whose pages run out fails with -ENOMEM, not SIGBUS. */
int ioa_plat_prefault(void *addr, size_t len, size_t page_size);

/* Set up the page tables of a shared mapping of pages that already exist in
 * their memfd (MADV_POPULATE_READ: about 3x cheaper than a write populate on
 * shmem, and the PTEs of a shared writable shmem/hugetlb mapping come out
 * writable, so later writes do not fault). Falls back to ioa_plat_prefault. */
int ioa_plat_populate_shared(void *addr, size_t len, size_t page_size);

/* Physical address of each of n pages of page_size starting at va (which
 * must be resident). 0 in phys[i] means "not available" (no CAP_SYS_ADMIN:
 * the kernel reads PFNs as 0). -errno if pagemap cannot be read at all. */
int ioa_plat_virt_to_phys(const void *va, size_t n, size_t page_size, uint64_t *phys);
/* True when this process can read real physical addresses. */
bool ioa_plat_phys_readable(void);

/* Free hugepages of page_size bytes in the system pool (sysfs); -1 unknown. */
long ioa_plat_hugepages_free(size_t page_size);

/* Effective capability test (CapEff in /proc/self/status). */
bool ioa_plat_has_cap(int cap);

/* The library's one diagnostic printer: "ioalloc: " + message on stderr. */
void ioa_plat_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
