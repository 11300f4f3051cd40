/* SPDX-License-Identifier: MIT */
/*
 * The platform layer: thin, checked wrappers over the Linux memory calls.
 *
 * Every wrapper first asks ioa_plat_fault() whether to fail (fault injection,
 * off unless configured), so each call site of the library can be driven into
 * its error path by a test. Hugetlb memory is never mapped with MAP_NORESERVE:
 * a hugetlb memfd can be created and sized with no pages in the pool, and the
 * shortage then shows at mmap as ENOMEM instead of a SIGBUS at first touch.
 */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "debug/debug.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static const char *const site_names[IOA_SITE_COUNT] = {
	[IOA_SITE_MEMFD] = "memfd_create",
	[IOA_SITE_FTRUNCATE] = "ftruncate",
	[IOA_SITE_MMAP] = "mmap",
	[IOA_SITE_MLOCK] = "mlock",
	[IOA_SITE_PAGEMAP] = "pagemap",
	[IOA_SITE_URING] = "io_uring_setup",
};

const char *ioa_plat_site_name(enum ioa_plat_site site)
{
	return site < IOA_SITE_COUNT ? site_names[site] : "?";
}

/* ---- fault injection ------------------------------------------------- */

static struct {
	_Atomic int armed;        /* 0: off (the only cost on every call is this load) */
	int site;                 /* IOA_SITE_COUNT: every site */
	uint64_t nth, every;
	_Atomic uint64_t calls, injected, rng;
} fault;

static void fault_arm(int site, uint64_t nth, uint64_t every, uint64_t seed)
{
	atomic_store(&fault.armed, 0);
	fault.site = site;
	fault.nth = nth;
	fault.every = every;
	atomic_store(&fault.calls, 0);
	atomic_store(&fault.rng, seed ? seed : 1);
	atomic_store(&fault.armed, nth || every);
}

/* IOALLOC_FAULT (parsed by debug/fault.c) arms injection at the first call
 * here, before anything a test sets, which then overrides it. */
static pthread_once_t fault_env_once = PTHREAD_ONCE_INIT;

static void fault_from_env(void)
{
	struct ioa__fault_spec f;

	if (ioa__fault_env(&f))
		fault_arm(f.site, f.nth, f.every, f.seed);
}

void ioa_plat_fault_set(enum ioa_plat_site site, uint64_t nth, uint64_t every, uint64_t seed)
{
	pthread_once(&fault_env_once, fault_from_env);
	fault_arm(site, nth, every, seed);
}

uint64_t ioa_plat_fault_count(void)
{
	return atomic_load(&fault.injected);
}

static uint64_t fault_rand(void)
{
	uint64_t z = atomic_fetch_add(&fault.rng, 0x9e3779b97f4a7c15ull) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int ioa_plat_fault(enum ioa_plat_site site)
{
	uint64_t n;
	bool fail;

	pthread_once(&fault_env_once, fault_from_env);
	if (!atomic_load_explicit(&fault.armed, memory_order_relaxed))
		return 0;
	if (fault.site != IOA_SITE_COUNT && fault.site != (int)site)
		return 0;
	n = atomic_fetch_add(&fault.calls, 1) + 1;
	fail = fault.nth ? n == fault.nth : fault_rand() % fault.every == 0;
	if (!fail)
		return 0;
	atomic_fetch_add(&fault.injected, 1);
	return site == IOA_SITE_MLOCK ? -EPERM : -ENOMEM;
}

#define FAULT_POINT(site)                     \
	do {                                  \
		int e_ = ioa_plat_fault(site); \
		if (e_)                       \
			return e_;            \
	} while (0)

/* ---- messages -------------------------------------------------------- */

void ioa_plat_warn(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ioalloc: %s\n", buf);
}

/* ---- memfd ----------------------------------------------------------- */

size_t ioa_plat_base_page(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

static int memfd_page_flags(size_t page_size, unsigned *flags)
{
	if (page_size == ioa_plat_base_page())
		*flags = 0;
	else if (page_size == IOA_PAGE_2M)
		*flags = MFD_HUGETLB | (21u << MFD_HUGE_SHIFT);
	else if (page_size == IOA_PAGE_1G)
		*flags = MFD_HUGETLB | (30u << MFD_HUGE_SHIFT);
	else
		return -EINVAL;
	return 0;
}

int ioa_plat_memfd(const char *name, size_t page_size, int *fd)
{
	unsigned flags;
	int r = memfd_page_flags(page_size, &flags);

	ioa__rt_syscall("memfd_create");

	if (r)
		return r;
	FAULT_POINT(IOA_SITE_MEMFD);
	r = memfd_create(name, flags | MFD_CLOEXEC);
	if (r < 0)
		return -errno;
	*fd = r;
	return 0;
}

int ioa_plat_resize(int fd, uint64_t size)
{
	ioa__rt_syscall("ftruncate");
	FAULT_POINT(IOA_SITE_FTRUNCATE);
	return ftruncate(fd, (off_t)size) ? -errno : 0;
}

void ioa_plat_close(int fd)
{
	ioa__rt_syscall("close");
	if (fd >= 0)
		close(fd);
}

/* ---- address space --------------------------------------------------- */

int ioa_plat_reserve(size_t size, size_t align, void **out)
{
	size_t span = size + align;
	uint8_t *p, *a;

	ioa__rt_syscall("mmap");
	FAULT_POINT(IOA_SITE_MMAP);
	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Trim the slack so the reservation starts on an align boundary. */
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + size < p + span)
		munmap(a + size, (size_t)(p + span - (a + size)));
	*out = a;
	return 0;
}

void ioa_plat_release(void *addr, size_t size)
{
	ioa__rt_syscall("munmap");
	if (addr && size)
		munmap(addr, size);
}

int ioa_plat_map(void *addr, size_t len, int fd, uint64_t off)
{
	void *p;

	ioa__rt_syscall("mmap");
	FAULT_POINT(IOA_SITE_MMAP);
	p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
	if (p == MAP_FAILED) {
		int e = errno;
		/* A failed MAP_FIXED may have unmapped the range: re-reserve it. */
		mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		     -1, 0);
		return -e;
	}
	return 0;
}

int ioa_plat_unmap(void *addr, size_t len)
{
	void *p;

	ioa__rt_syscall("mmap");
	p = mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0);
	return p == MAP_FAILED ? -errno : 0;
}

int ioa_plat_protect(void *addr, size_t len, bool accessible)
{
	ioa__rt_syscall("mprotect");
	return mprotect(addr, len, accessible ? PROT_READ | PROT_WRITE : PROT_NONE) ? -errno : 0;
}

/* ---- pinning and prefaulting ----------------------------------------- */

static atomic_flag memlock_warned = ATOMIC_FLAG_INIT;

static void warn_memlock(size_t len, int err)
{
	struct rlimit rl;

	if (atomic_flag_test_and_set(&memlock_warned))
		return;
	getrlimit(RLIMIT_MEMLOCK, &rl);
	ioa_plat_warn("mlock of %zu bytes failed (%s); memory stays unlocked and may be paged. "
		      "RLIMIT_MEMLOCK is %llu bytes: raise it (ulimit -l, limits.conf) or grant "
		      "CAP_IPC_LOCK for pinned buffers",
		      len, strerror(err), (unsigned long long)rl.rlim_cur);
}

int ioa_plat_lock(void *addr, size_t len, bool quiet)
{
	ioa__rt_syscall("mlock");
	int e = ioa_plat_fault(IOA_SITE_MLOCK);

	if (!e && mlock(addr, len) == 0)
		return 0;
	e = e ? -e : errno;
	if (!quiet)
		warn_memlock(len, e);
	return -e;
}

void ioa_plat_unlock(void *addr, size_t len)
{
	ioa__rt_syscall("munlock");
	munlock(addr, len);
}

int ioa_plat_prefault(void *addr, size_t len, size_t page_size)
{
	volatile uint8_t *p = addr;

	ioa__rt_syscall("madvise");
	if (madvise(addr, len, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* Kernels before 5.14: touch one byte per page (write, keeping its value). */
	for (size_t off = 0; off < len; off += page_size)
		p[off] = p[off];
	return 0;
}

int ioa_plat_populate_shared(void *addr, size_t len, size_t page_size)
{
	ioa__rt_syscall("madvise");
	if (madvise(addr, len, MADV_POPULATE_READ) == 0)
		return 0;
	return errno == EINVAL ? ioa_plat_prefault(addr, len, page_size) : -errno;
}

/* ---- physical addresses ---------------------------------------------- */

#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_PRESENT (1ull << 63)

int ioa_plat_virt_to_phys(const void *va, size_t n, size_t page_size, uint64_t *phys)
{
	size_t base = ioa_plat_base_page();
	uint64_t ent;
	int fd, r = 0;

	ioa__rt_syscall("pread (pagemap)");
	FAULT_POINT(IOA_SITE_PAGEMAP);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		uintptr_t v = (uintptr_t)va + i * page_size;
		off_t off = (off_t)(v / base * sizeof(ent));

		if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent)) {
			r = -EIO;
			break;
		}
		phys[i] = (ent & PM_PRESENT) && (ent & PM_PFN_MASK)
				  ? (ent & PM_PFN_MASK) * base + v % base
				  : 0;
	}
	close(fd);
	return r;
}

bool ioa_plat_phys_readable(void)
{
	static volatile uint64_t probe = 1;
	uint64_t phys = 0;

	probe++;
	return ioa_plat_virt_to_phys((const void *)&probe, 1, ioa_plat_base_page(), &phys) == 0 &&
	       phys != 0;
}

long ioa_plat_hugepages_free(size_t page_size)
{
	char path[96];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages",
		 page_size >> 10);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

bool ioa_plat_has_cap(int cap)
{
	char line[128];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return cap >= 0 && cap < 64 && ((eff >> cap) & 1);
}
