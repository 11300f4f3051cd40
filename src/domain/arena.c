/* SPDX-License-Identifier: MIT */
/*
 * Arena backends: where a domain's memory comes from and which bus address
 * each byte gets. Both put memory into one memfd and map it into the linear
 * map; they differ in who picks the bus address.
 *
 *  memfd: the library picks. The bus window is the configured ranges; memfd
 *         offset = bus - bus_min (a sparse file), so backing a chunk is one
 *         MAP_FIXED mmap at its own bus position. Each range is a vmem zone;
 *         a bitmap per range tracks which grow_chunk units are backed, and
 *         growth backs the first free units inside the request's window,
 *         highest range first.
 *  phys:  the hardware picks. Fresh memfd pages are faulted in at a staging
 *         address, locked, and their physical addresses read from pagemap;
 *         each physically contiguous run is then mapped at va_base + phys and
 *         added to the vmem (split at the 16 MiB and 4 GiB zone lines). The
 *         window of a request cannot steer the kernel's choice of pages, so a
 *         constrained growth may bring nothing usable (the caller retries a
 *         bounded number of times).
 *
 * Hugetlb: a hugetlb memfd is probed at creation by mapping and faulting one
 * page; without free hugepages the mmap fails with ENOMEM (never MAP_NORESERVE,
 * which would turn it into SIGBUS later) and the domain either falls back to
 * base pages (IOA_DOMAIN_F_HUGE_FALLBACK) or fails with -ENOMEM and a message.
 *
 * Everything here runs under d->grow_lock (init and fini: single-threaded).
 */
#include "domain_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/bits.h"

/* 4 KiB phys pages each need their own mapping unless physically adjacent;
 * 64 MiB is at most 16384 mappings, a quarter of vm.max_map_count's 65530. */
#define PHYS_SMALL_PAGE_LIMIT (64ull << 20)
/* Without /proc/iomem, reserve a bus window of 1 TiB of address space. */
#define PHYS_DEFAULT_TOP (1ull << 40)

/* ---- shared pieces ---------------------------------------------------------- */

/* Record a backed mapping, keeping d->segs sorted by bus. */
static int seg_record(ioa_domain_t *d, uint64_t bus, uint64_t len, uint64_t off)
{
	size_t i;

	if (d->nsegs == d->segs_cap) {
		size_t cap = d->segs_cap ? d->segs_cap * 2 : 16;
		struct arena_seg *s = realloc(d->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		d->segs = s;
		d->segs_cap = cap;
	}
	for (i = d->nsegs; i > 0 && d->segs[i - 1].bus > bus; i--)
		d->segs[i] = d->segs[i - 1];
	d->segs[i] = (struct arena_seg){bus, len, off};
	d->nsegs++;
	return 0;
}

static void seg_unrecord(ioa_domain_t *d, uint64_t bus)
{
	for (size_t i = 0; i < d->nsegs; i++) {
		if (d->segs[i].bus != bus)
			continue;
		memmove(&d->segs[i], &d->segs[i + 1], (d->nsegs - i - 1) * sizeof(d->segs[0]));
		d->nsegs--;
		return;
	}
}

/* Prefault and lock a fresh mapping as the domain's flags ask. Prefaulting is
 * explicit, not left to mlock's side effect: sanitizer runtimes make mlock a
 * no-op, and a hugetlb shortage must show here as -ENOMEM. A failed mlock is
 * a warning (once), not an error: the memory works, unpinned. */
static int settle(ioa_domain_t *d, void *va, uint64_t len)
{
	int r = 0;

	if (d->cfg.flags & IOA_DOMAIN_F_PREFAULT)
		r = ioa_plat_prefault(va, len, d->page);
	if (!r && (d->cfg.flags & IOA_DOMAIN_F_LOCK) && ioa_plat_lock(va, len, false) == 0)
		d->locked += len;
	return r;
}

static void unsettle(ioa_domain_t *d, void *va, uint64_t len, bool locked)
{
	if (locked) {
		ioa_plat_unlock(va, len);
		d->locked -= len;
	}
	ioa_plat_unmap(va, len);
}

/* Map and fault in one page of a new hugetlb memfd: -ENOMEM if the pool has
 * no free page of that size. The page is given back afterwards. */
static int probe_huge(int fd, uint64_t page)
{
	void *va;
	int r = ioa_plat_resize(fd, page);

	if (!r)
		r = ioa_plat_reserve(page, page, &va);
	if (r)
		return r;
	r = ioa_plat_map(va, page, fd, 0);
	if (!r)
		r = ioa_plat_prefault(va, page, page);
	ioa_plat_release(va, page);
	ioa_plat_resize(fd, 0);
	return r;
}

static int open_memfd(ioa_domain_t *d)
{
	int r = ioa_plat_memfd(d->name, d->page, &d->fd);

	if (r || d->page == IOA_PAGE_4K || (r = probe_huge(d->fd, d->page)) == 0)
		return r;
	ioa_plat_close(d->fd);
	d->fd = -1;
	if (r != -ENOMEM)
		return r;
	if (!(d->cfg.flags & IOA_DOMAIN_F_HUGE_FALLBACK)) {
		ioa_plat_warn("domain '%s': could not map a %llu KiB hugepage (%ld free in the "
			      "pool); reserve more as root (echo 64 > /sys/kernel/mm/hugepages/"
			      "hugepages-%llukB/nr_hugepages) or allow hugefallback=1",
			      d->name, (unsigned long long)(d->page >> 10),
			      ioa_plat_hugepages_free(d->page), (unsigned long long)(d->page >> 10));
		return -ENOMEM;
	}
	ioa_plat_warn("domain '%s': no free %llu KiB hugepages; falling back to 4 KiB pages",
		      d->name, (unsigned long long)(d->page >> 10));
	d->page = IOA_PAGE_4K;
	return ioa_plat_memfd(d->name, d->page, &d->fd);
}

static int add_zone(ioa_domain_t *d, uint64_t base, uint64_t size)
{
	int r = ioa_vmem_add_zone(d->vm, base, size);

	if (!r) {
		d->zones[d->nzones].base = base;
		d->zones[d->nzones++].last = base + size - 1;
	}
	return r;
}

/* ---- memfd backend ------------------------------------------------------------ */

static int cmp_range(const void *a, const void *b)
{
	const struct ioa_range *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

static int memfd_layout(ioa_domain_t *d)
{
	struct ioa_domain_config *c = &d->cfg;

	if (!c->nranges) {
		c->nranges = 1;
		c->ranges[0].base = ioa_round_up(IOA_DOMAIN_DEFAULT_BASE, d->page);
		c->ranges[0].size = ioa_round_up(c->size_limit, d->page);
	}
	qsort(c->ranges, c->nranges, sizeof(c->ranges[0]), cmp_range);
	for (unsigned i = 0; i < c->nranges; i++) {
		const struct ioa_range *r = &c->ranges[i];

		if (!r->size || ((r->base | r->size) & (d->page - 1)) ||
		    r->base + r->size - 1 < r->base) {
			ioa_plat_warn("domain '%s': range 0x%llx+0x%llx is not aligned to the %llu "
				      "KiB page size", d->name, (unsigned long long)r->base,
				      (unsigned long long)r->size, (unsigned long long)(d->page >> 10));
			return -EINVAL;
		}
		if (i && c->ranges[i - 1].base + c->ranges[i - 1].size > r->base) {
			ioa_plat_warn("domain '%s': ranges overlap at 0x%llx", d->name,
				      (unsigned long long)r->base);
			return -EINVAL;
		}
	}
	d->bus_min = c->ranges[0].base;
	d->bus_last = c->ranges[c->nranges - 1].base + c->ranges[c->nranges - 1].size - 1;
	d->va_len = d->bus_last - d->bus_min + 1;
	return 0;
}

static int memfd_init(ioa_domain_t *d)
{
	struct ioa_domain_config *c = &d->cfg;
	int r = memfd_layout(d);

	for (unsigned i = 0; !r && i < c->nranges; i++) {
		uint64_t units = (c->ranges[i].size + c->grow_chunk - 1) / c->grow_chunk;

		r = add_zone(d, c->ranges[i].base, c->ranges[i].size);
		if (!r && !(d->chunk_map[i] = calloc((units + 7) / 8, 1)))
			r = -ENOMEM;
	}
	if (!r)
		r = ioa_plat_reserve(d->va_len, d->page, (void **)&d->va);
	if (!r)
		r = ioa_plat_resize(d->fd, d->va_len);
	return r;
}

static bool unit_backed(const uint8_t *map, uint64_t u)
{
	return map[u / 8] & (1u << (u % 8));
}

/* First run of n unbacked units in [u0, u1] of range i, or UINT64_MAX. */
static uint64_t find_units(const uint8_t *map, uint64_t u0, uint64_t u1, uint64_t n)
{
	for (uint64_t u = u0; u + n - 1 <= u1;) {
		uint64_t k = 0;

		while (k < n && !unit_backed(map, u + k))
			k++;
		if (k == n)
			return u;
		u += k + 1;
	}
	return UINT64_MAX;
}

static int memfd_back(ioa_domain_t *d, uint64_t bus, uint64_t len)
{
	uint8_t *va = d->va + (bus - d->bus_min);
	uint64_t locked_before = d->locked;
	int r = ioa_plat_map(va, len, d->fd, bus - d->bus_min);

	if (r)
		return r;
	r = settle(d, va, len);
	if (!r)
		r = seg_record(d, bus, len, bus - d->bus_min);
	if (!r && (r = ioa_vmem_add(d->vm, bus, len)))
		seg_unrecord(d, bus);
	if (r) {
		unsettle(d, va, len, d->locked != locked_before);
		/* Give the pages back to the system. */
		fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(bus - d->bus_min),
			  (off_t)len);
		return r;
	}
	d->backed += len;
	return 0;
}

static int memfd_grow_range(ioa_domain_t *d, unsigned i, uint64_t need,
			    const struct ioa_constraint *c)
{
	const struct ioa_range *rg = &d->cfg.ranges[i];
	uint64_t chunk = d->cfg.grow_chunk, last = rg->base + rg->size - 1;
	uint64_t lo = rg->base > c->min_addr ? rg->base : c->min_addr;
	uint64_t hi = last < c->max_addr ? last : c->max_addr;
	uint64_t n = (need + chunk - 1) / chunk, u, bus, len;
	int r;

	if (lo > hi)
		return -ENOMEM;
	u = find_units(d->chunk_map[i], (lo - rg->base) / chunk, (hi - rg->base) / chunk, n);
	if (u == UINT64_MAX)
		return -ENOMEM;
	bus = rg->base + u * chunk;
	len = n * chunk;
	if (len > last - bus + 1)
		len = last - bus + 1;
	if (len > d->cfg.size_limit - d->backed)
		len = (d->cfg.size_limit - d->backed) & ~(d->page - 1);
	if (len < need)
		return -ENOMEM;
	r = memfd_back(d, bus, len);
	for (uint64_t k = 0; !r && k < (len + chunk - 1) / chunk; k++)
		d->chunk_map[i][(u + k) / 8] |= (uint8_t)(1u << ((u + k) % 8));
	return r;
}

static int memfd_grow(ioa_domain_t *d, uint64_t need, const struct ioa_constraint *c)
{
	need = ioa_round_up(need, d->page);
	if (need > d->cfg.size_limit - d->backed)
		return -ENOMEM;
	for (unsigned i = d->cfg.nranges; i-- > 0;) {
		int r = memfd_grow_range(d, i, need, c);

		if (r != -ENOMEM)
			return r;
	}
	return -ENOMEM;
}

/* ---- phys backend ----------------------------------------------------------------- */

/* The end of the highest "System RAM" range in /proc/iomem (root sees real
 * addresses), rounded up to 1 GiB; PHYS_DEFAULT_TOP if unreadable. */
static uint64_t phys_top(void)
{
	unsigned long long lo, hi, top = 0;
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");

	if (!f)
		return PHYS_DEFAULT_TOP;
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, "System RAM") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2 && hi + 1 > top)
			top = hi + 1;
	fclose(f);
	return top > 1 ? ioa_round_up(top, 1ull << 30) : PHYS_DEFAULT_TOP;
}

static void phys_warn_small_pages(ioa_domain_t *d)
{
	char v = '1';
	FILE *f = fopen("/proc/sys/vm/compact_unevictable_allowed", "re");

	if (f) {
		v = (char)fgetc(f);
		fclose(f);
	}
	if (v != '0')
		ioa_plat_warn("domain '%s': phys backend with 4 KiB pages: the kernel may move "
			      "such pages under compaction, changing their physical address; set "
			      "/proc/sys/vm/compact_unevictable_allowed to 0 or use pagesize=2M",
			      d->name);
}

static int phys_init(ioa_domain_t *d)
{
	static const uint64_t cuts[] = {16ull << 20, 4ull << 30};
	uint64_t top, base = 0;
	int r;

	if (!ioa_plat_phys_readable()) {
		ioa_plat_warn("domain '%s': backend=phys needs CAP_SYS_ADMIN to read physical "
			      "addresses from /proc/self/pagemap (they read as 0 without it); "
			      "use backend=memfd", d->name);
		return -EPERM;
	}
	if (d->page == IOA_PAGE_4K) {
		phys_warn_small_pages(d);
		if (d->cfg.size_limit > PHYS_SMALL_PAGE_LIMIT) {
			ioa_plat_warn("domain '%s': phys with 4 KiB pages is limited to 64 MiB "
				      "(one mapping per page); use pagesize=2M", d->name);
			return -EINVAL;
		}
	}
	top = phys_top();
	for (unsigned i = 0; i <= 2; i++) {
		uint64_t end = i < 2 && cuts[i] < top ? cuts[i] : top;

		if (end > base && (r = add_zone(d, base, end - base)))
			return r;
		base = end;
	}
	d->bus_min = 0;
	d->bus_last = top - 1;
	d->va_len = top;
	return ioa_plat_reserve(d->va_len, d->page, (void **)&d->va);
}

/* Add [bus, bus + len) to the vmem, split where zones meet. */
static int phys_add_spans(ioa_domain_t *d, uint64_t bus, uint64_t len)
{
	static const uint64_t cuts[] = {16ull << 20, 4ull << 30};
	uint64_t end = bus + len;
	int r = 0;

	for (unsigned i = 0; i < 2 && !r; i++) {
		if (bus < cuts[i] && end > cuts[i]) {
			r = ioa_vmem_add(d->vm, bus, cuts[i] - bus);
			bus = cuts[i];
		}
	}
	return r ? r : ioa_vmem_add(d->vm, bus, end - bus);
}

struct phys_chunk {
	uint64_t len, npages, *pa;
	uint8_t *stage;
	uint64_t mapped; /* pages mapped into the linear map so far */
};

static int phys_stage(ioa_domain_t *d, struct phys_chunk *pc)
{
	int r = ioa_plat_resize(d->fd, d->file_next + pc->len);

	if (!r)
		r = ioa_plat_reserve(pc->len, d->page, (void **)&pc->stage);
	if (r)
		return r;
	r = ioa_plat_map(pc->stage, pc->len, d->fd, d->file_next);
	if (!r)
		r = ioa_plat_prefault(pc->stage, pc->len, d->page);
	if (!r)
		r = ioa_plat_virt_to_phys(pc->stage, pc->npages, d->page, pc->pa);
	for (uint64_t i = 0; !r && i < pc->npages; i++)
		if (!pc->pa[i] || pc->pa[i] + d->page - 1 > d->bus_last)
			r = pc->pa[i] ? -ENOMEM : -EPERM;
	return r;
}

/* Length in pages of the physically contiguous run starting at page i. */
static uint64_t phys_run(const struct phys_chunk *pc, uint64_t i, uint64_t page)
{
	uint64_t n = 1;

	while (i + n < pc->npages && pc->pa[i + n] == pc->pa[i] + n * page)
		n++;
	return n;
}

static int phys_place(ioa_domain_t *d, struct phys_chunk *pc)
{
	int r = 0;

	while (!r && pc->mapped < pc->npages) {
		uint64_t i = pc->mapped, n = phys_run(pc, i, d->page), bus = pc->pa[i];
		uint64_t len = n * d->page, off = d->file_next + i * d->page;

		r = ioa_plat_map(d->va + bus, len, d->fd, off);
		if (r)
			break;
		pc->mapped += n;
		r = settle(d, d->va + bus, len);
		if (!r)
			r = seg_record(d, bus, len, off);
		if (!r)
			r = phys_add_spans(d, bus, len);
	}
	return r;
}

/* Undo a failed growth: mappings, records and the pages themselves. Spans
 * already in the vmem cannot be taken back; phys_place adds a run's span
 * last, so only a failing vmem_add leaves a mapped run without a span. */
static void phys_undo(ioa_domain_t *d, struct phys_chunk *pc)
{
	for (uint64_t i = 0; i < pc->mapped;) {
		uint64_t n = phys_run(pc, i, d->page);

		seg_unrecord(d, pc->pa[i]);
		ioa_plat_unmap(d->va + pc->pa[i], n * d->page);
		i += n;
	}
	fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)d->file_next,
		  (off_t)pc->len);
	ioa_plat_resize(d->fd, d->file_next);
}

static int phys_grow(ioa_domain_t *d, uint64_t need, const struct ioa_constraint *c)
{
	struct phys_chunk pc = {0};
	int r;

	(void)c; /* the kernel picks physical pages; the caller checks the window */
	pc.len = ioa_round_up(need > d->cfg.grow_chunk ? need : d->cfg.grow_chunk, d->page);
	if (pc.len > d->cfg.size_limit - d->backed)
		pc.len = (d->cfg.size_limit - d->backed) & ~(d->page - 1);
	if (pc.len < need || !pc.len)
		return -ENOMEM;
	pc.npages = pc.len / d->page;
	pc.pa = calloc(pc.npages, sizeof(*pc.pa));
	if (!pc.pa)
		return -ENOMEM;
	r = phys_stage(d, &pc);
	if (!r)
		r = phys_place(d, &pc);
	ioa_plat_release(pc.stage, pc.len);
	if (r && pc.mapped == 0)
		phys_undo(d, &pc);
	if (!r || pc.mapped) {
		d->file_next += pc.len;
		d->backed += pc.len;
	}
	free(pc.pa);
	return r;
}

/* ---- dispatch ------------------------------------------------------------------------ */

int ioa__arena_init(ioa_domain_t *d)
{
	int r;

	d->page = d->cfg.page_size;
	d->cfg.grow_chunk = ioa_round_up(d->cfg.grow_chunk, d->cfg.page_size);
	r = open_memfd(d);
	if (r)
		return r;
	d->cfg.grow_chunk = ioa_round_up(d->cfg.grow_chunk, d->page);
	return d->cfg.backend == IOA_BACKEND_PHYS ? phys_init(d) : memfd_init(d);
}

void ioa__arena_fini(ioa_domain_t *d)
{
	if (d->va && d->locked)
		for (size_t i = 0; i < d->nsegs; i++)
			ioa_plat_unlock(d->va + (d->segs[i].bus - d->bus_min), d->segs[i].len);
	ioa_plat_release(d->va, d->va_len);
	ioa_plat_close(d->fd);
	for (unsigned i = 0; i < IOA_DOMAIN_MAX_RANGES; i++)
		free(d->chunk_map[i]);
	free(d->segs);
	d->va = NULL;
	d->fd = -1;
}

int ioa__arena_grow(ioa_domain_t *d, uint64_t need, const struct ioa_constraint *c)
{
	return d->cfg.backend == IOA_BACKEND_PHYS ? phys_grow(d, need, c) : memfd_grow(d, need, c);
}
