/* SPDX-License-Identifier: MIT */
/*
 * Domains: an arena of real memory with bus addresses, mapped linearly,
 * allocated by a vmem under constraints, every allocation charged to an
 * account.
 *
 * Theory. The linear map reserves the whole bus window [bus_min, bus_last]
 * once as inaccessible address space; the arena backs parts of it with memfd
 * memory as it grows (arena.c). So va = va_base + (bus - bus_min) for every
 * byte, a bus-contiguous range is virtually contiguous, and translation both
 * ways is a subtraction and a bounds check (like the kernel's direct map).
 *
 * Allocation: charge the account (lock-free, -EDQUOT), then visit the zones
 * the constraint allows from the highest down; in each, search the vmem, and
 * on a miss take grow_lock, search again (another thread may have grown the
 * arena), grow the arena inside the zone and retry, a bounded number of
 * times. -ENOMEM only when no zone can hold the request. Any failure
 * uncharges: nothing changes on error.
 *
 * Each allocation's vmem tag is its account pointer with the kind (raw, dma,
 * pages, pool, buf) in the low bits, so a free checks owner, size and start in
 * one hash lookup, and destroy can report leaks by kind.
 *
 * Debug mode (IOA_DOMAIN_F_DEBUG, or IOALLOC_DEBUG for every domain): a
 * refused free or an invalid request is also reported through the misuse
 * handler, naming the domain, the call and what was wrong; the leak report
 * lists every live allocation and is a misuse report too. It cannot see
 * writes outside an allocation (guard pages come with the DMA and page-list
 * services).
 */
#include "domain_impl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/debug.h"
#include "core/bits.h"

/* Growth retries: a constrained request may need the arena to grow in the
 * right zone more than once (a fresh chunk can land next to an allocation). */
#define GROW_ATTEMPTS 4

static const char *const kind_names[IOA_KIND_COUNT] = {"raw", "dma", "pages", "pool", "buf"};

static int check_config(const struct ioa_domain_config *cfg)
{
	if (!cfg || cfg->size != sizeof(*cfg) || (cfg->flags & ~IOA_DOMAIN_F_VALID))
		return -EINVAL;
	if (cfg->backend != IOA_BACKEND_MEMFD && cfg->backend != IOA_BACKEND_PHYS)
		return -EINVAL;
	if (cfg->page_size != IOA_PAGE_4K && cfg->page_size != IOA_PAGE_2M &&
	    cfg->page_size != IOA_PAGE_1G)
		return -EINVAL;
	if (!cfg->size_limit || !cfg->grow_chunk || !ioa_is_pow2(cfg->page_size))
		return -EINVAL;
	return cfg->nranges <= IOA_DOMAIN_MAX_RANGES ? 0 : -EINVAL;
}

IOA_API int ioa_domain_create(const struct ioa_domain_config *cfg, ioa_domain_t **out)
{
	ioa_domain_t *d;
	int r = check_config(cfg);

	if (r || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	if (ioa__debug_env() & IOA_DBG_DOMAIN)
		d->cfg.flags |= IOA_DOMAIN_F_DEBUG; /* IOALLOC_DEBUG asks it of every domain */
	d->fd = -1;
	snprintf(d->name, sizeof(d->name), "%s", cfg->name ? cfg->name : "domain");
	d->cfg.name = d->name;
	pthread_mutex_init(&d->grow_lock, NULL);
	pthread_mutex_init(&d->site_lock, NULL);
	r = ioa_vmem_create(d->name, IOA_PAGE_4K, &d->vm);
	if (!r)
		r = ioa_account_create(NULL, d->name, IOA_ACCOUNT_UNLIMITED, &d->root);
	if (!r)
		r = ioa__arena_init(d);
	if (r) {
		ioa__arena_fini(d);
		ioa_account_destroy(d->root);
		ioa_vmem_destroy(d->vm);
		pthread_mutex_destroy(&d->grow_lock);
		pthread_mutex_destroy(&d->site_lock);
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

/* The process default domain (see ioa_domain_default). */
static ioa_domain_t *default_domain;

/* ---- allocation sites (debug) ------------------------------------------------ */

__thread const void *ioa__alloc_site;

static void site_add(ioa_domain_t *d, uint64_t bus)
{
	pthread_mutex_lock(&d->site_lock);
	if (d->nsites == d->sites_cap) {
		size_t cap = d->sites_cap ? 2 * d->sites_cap : 64;
		struct alloc_site *n = realloc(d->sites, cap * sizeof(*n));

		if (n) { /* without room the site is only missing from the report */
			d->sites = n;
			d->sites_cap = cap;
		}
	}
	if (d->nsites < d->sites_cap)
		d->sites[d->nsites++] = (struct alloc_site){bus, ioa__alloc_site};
	pthread_mutex_unlock(&d->site_lock);
}

static void site_del(ioa_domain_t *d, uint64_t bus)
{
	pthread_mutex_lock(&d->site_lock);
	for (size_t i = d->nsites; i-- > 0;)
		if (d->sites[i].bus == bus) {
			d->sites[i] = d->sites[--d->nsites];
			break;
		}
	pthread_mutex_unlock(&d->site_lock);
}

/* "main+0x1c (./prog)", or the bare address; "unknown" if none was noted. */
static void site_name(const ioa_domain_t *d, uint64_t bus, char *buf, size_t len)
{
	const void *site = NULL;
	Dl_info di;

	for (size_t i = 0; i < d->nsites && !site; i++)
		if (d->sites[i].bus == bus)
			site = d->sites[i].site;
	if (!site)
		snprintf(buf, len, "unknown");
	else if (dladdr(site, &di) && di.dli_sname)
		snprintf(buf, len, "%s+0x%tx (%s)", di.dli_sname,
			 (const char *)site - (const char *)di.dli_saddr, di.dli_fname);
	else
		snprintf(buf, len, "%p", site);
}

/* ---- leak report ----------------------------------------------------------- */

struct leak_report {
	ioa_domain_t *d;
	uint64_t count[IOA_KIND_COUNT], bytes[IOA_KIND_COUNT], total, total_bytes;
	bool list;
};

static ioa_account_t *tag_account(uintptr_t tag)
{
	return (ioa_account_t *)(tag & ~(uintptr_t)63);
}

static enum ioa_kind tag_kind(uintptr_t tag)
{
	return (enum ioa_kind)(tag & 63);
}

static int leak_one(void *arg, uint64_t start, uint64_t size, uintptr_t tag)
{
	struct leak_report *lr = arg;
	enum ioa_kind k = tag_kind(tag);
	struct ioa_account_stats st = {.size = sizeof(st)};

	lr->count[k]++;
	lr->bytes[k] += size;
	lr->total++;
	lr->total_bytes += size;
	ioa_account_stats(tag_account(tag), &st);
	if (lr->list) {
		char site[160];

		site_name(lr->d, start, site, sizeof(site));
		ioa_plat_warn("  leaked %s allocation: bus 0x%llx, %llu bytes, account '%s', "
			      "allocated at %s", kind_names[k], (unsigned long long)start,
			      (unsigned long long)size, st.name, site);
	}
	ioa_account_uncharge(tag_account(tag), size);
	return 0;
}

static int report_leaks(ioa_domain_t *d)
{
	struct leak_report lr = {.d = d, .list = d->cfg.flags & IOA_DOMAIN_F_DEBUG};
	char kinds[160] = "";
	size_t n = 0;

	ioa__vmem_walk_tags(d->vm, leak_one, &lr);
	if (!lr.total)
		return 0;
	for (int k = 0; k < IOA_KIND_COUNT; k++)
		if (lr.count[k] && n < sizeof(kinds))
			n += (size_t)snprintf(kinds + n, sizeof(kinds) - n, "%s%llu %s (%llu bytes)",
					      n ? ", " : "", (unsigned long long)lr.count[k],
					      kind_names[k], (unsigned long long)lr.bytes[k]);
	ioa_plat_warn("domain '%s' destroyed with %llu live allocations, %llu bytes: %s", d->name,
		      (unsigned long long)lr.total, (unsigned long long)lr.total_bytes, kinds);
	if (lr.list) { /* debug: a leak is misuse (Driver Verifier's pool tracking) */
		char obj[64];

		snprintf(obj, sizeof(obj), "domain '%s'", d->name);
		ioa__misuse("ioa_domain_destroy", obj, "destroyed with %llu live allocations "
			    "(%llu bytes): %s", (unsigned long long)lr.total,
			    (unsigned long long)lr.total_bytes, kinds);
	}
	return (int)(lr.total > INT32_MAX ? INT32_MAX : lr.total);
}

IOA_API int ioa_domain_destroy(ioa_domain_t *d)
{
	int leaks;

	if (!d)
		return 0;
	if (d == default_domain)
		return -EBUSY; /* lives as long as the process */
	leaks = report_leaks(d);
	ioa__arena_fini(d);
	ioa_vmem_destroy(d->vm);
	/* Accounts created under the root must be destroyed before the domain. */
	if (ioa_account_destroy(d->root))
		ioa_plat_warn("domain '%s': child accounts outlive the domain", d->name);
	pthread_mutex_destroy(&d->grow_lock);
	pthread_mutex_destroy(&d->site_lock);
	free(d->sites);
	free(d);
	return leaks;
}

int ioa__domain_window(const ioa_domain_t *d, const struct ioa_constraint *c,
		       struct ioa_constraint *out)
{
	if (c && ioa_constraint_check(c))
		return -EINVAL;
	if (c)
		*out = *c;
	else
		ioa_constraint_init(out);
	if (out->max_addr < d->bus_min || out->min_addr > d->bus_last)
		return -EINVAL;
	if (out->min_addr < d->bus_min)
		out->min_addr = d->bus_min;
	if (out->max_addr > d->bus_last)
		out->max_addr = d->bus_last;
	return 0;
}

/* ---- allocation ------------------------------------------------------------- */

/* Bytes of fresh arena that surely hold an aligned, boundary-respecting run. */
static uint64_t grow_need(const ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c)
{
	uint64_t slack = c->boundary && c->align < c->boundary ? c->boundary : c->align;

	/* New memory starts on an arena page: alignment up to a page needs no slack
	 * (a 64 MiB list on 2 MiB pages takes 32 hugepages, not 33). */
	return size + (slack > d->page ? slack : 0);
}

/* Search zone z (narrowed constraint zc), growing the arena there under
 * grow_lock when the search misses. */
static int alloc_in_zone(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *zc,
			 uintptr_t tag, bool may_grow, uint64_t *bus)
{
	int r = ioa__vmem_xalloc_tag(d->vm, size, 0, zc, tag, bus);

	if (r != -ENOMEM || !may_grow)
		return r;
	pthread_mutex_lock(&d->grow_lock);
	for (int i = 0; i < GROW_ATTEMPTS && r == -ENOMEM; i++) {
		r = ioa__vmem_xalloc_tag(d->vm, size, 0, zc, tag, bus);
		if (r == -ENOMEM && ioa__arena_grow(d, grow_need(d, size, zc), zc))
			break;
	}
	if (r == -ENOMEM)
		r = ioa__vmem_xalloc_tag(d->vm, size, 0, zc, tag, bus);
	pthread_mutex_unlock(&d->grow_lock);
	return r;
}

/* Zones from the highest the window allows down: a zone is searched and grown
 * before a lower one is touched, so scarce low memory (ISA, 32-bit) is left to
 * the requests that need it. The phys backend cannot aim its growth at a zone,
 * so it grows only for the first zone tried. */
static int alloc_zoned(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
		       uintptr_t tag, uint64_t *bus)
{
	bool may_grow = true;

	for (unsigned i = d->nzones; i-- > 0;) {
		struct ioa_constraint zc = *c;
		int r;

		if (d->zones[i].last < c->min_addr || d->zones[i].base > c->max_addr)
			continue;
		zc.min_addr = c->min_addr > d->zones[i].base ? c->min_addr : d->zones[i].base;
		zc.max_addr = c->max_addr < d->zones[i].last ? c->max_addr : d->zones[i].last;
		if (zc.max_addr - zc.min_addr < size - 1)
			continue;
		r = alloc_in_zone(d, size, &zc, tag, may_grow, bus);
		if (r != -ENOMEM)
			return r;
		may_grow = d->cfg.backend == IOA_BACKEND_MEMFD;
	}
	return -ENOMEM;
}

int ioa__domain_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
		      ioa_account_t *acct, enum ioa_kind kind, uint64_t *bus)
{
	struct ioa_constraint cc;
	uint64_t sz = ioa_round_up(size, IOA_PAGE_4K), at = 0;
	uintptr_t tag;
	int r;

	if (!d || !bus || !size || sz < size)
		return -EINVAL;
	r = ioa__domain_window(d, c, &cc);
	if (!r)
		r = ioa__vmem_validate(d->vm, sz, 0, &cc);
	if (r)
		return r;
	acct = acct ? acct : d->root;
	r = ioa_account_charge(acct, sz);
	if (r)
		return r;
	tag = (uintptr_t)acct | (uintptr_t)kind;
	r = alloc_zoned(d, sz, &cc, tag, &at);
	if (r) {
		ioa_account_uncharge(acct, sz);
		return r;
	}
	if (ioa__domain_debug(d))
		site_add(d, at);
	atomic_fetch_add_explicit(&d->live, 1, memory_order_relaxed);
	*bus = at;
	return 0;
}

IOA_API int ioa_domain_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			     ioa_account_t *acct, uint64_t *bus)
{
	int r;

	IOA_NOTE_SITE();
	r = ioa__domain_alloc(d, size, c, acct, IOA_KIND_RAW, bus);

	if (r == -EINVAL && d && bus && ioa__domain_debug(d)) {
		char obj[64];

		snprintf(obj, sizeof(obj), "domain '%s'", d->name);
		ioa__debug_bad_request("ioa_domain_alloc", obj, size, c, d->bus_min, d->bus_last);
	}
	return r;
}

static void report_bad_free(ioa_domain_t *d, const char *call, uint64_t bus, uint64_t size,
			    uintptr_t tag, int why, const struct vmem_found *f)
{
	struct ioa_account_stats want = {.size = sizeof(want)}, have = {.size = sizeof(have)};
	char obj[64];

	snprintf(obj, sizeof(obj), "domain '%s'", d->name);
	if (why == -ENOENT) {
		ioa__misuse(call, obj, "frees bus 0x%llx (%llu bytes), which was never allocated or "
			    "is already free", (unsigned long long)bus, (unsigned long long)size);
	} else if (why == -EINVAL) {
		ioa__misuse(call, obj, "frees bus 0x%llx with a different size [allocated %llu] "
			    "[freed %llu]", (unsigned long long)bus, (unsigned long long)f->size,
			    (unsigned long long)size);
	} else {
		ioa_account_stats(tag_account(tag), &want);
		ioa_account_stats(tag_account(f->tag), &have);
		ioa__misuse(call, obj, "frees bus 0x%llx as %s of account '%s', but it is %s of "
			    "account '%s'", (unsigned long long)bus, kind_names[tag_kind(tag)],
			    want.name, kind_names[tag_kind(f->tag)], have.name);
	}
}

int ioa__domain_free(ioa_domain_t *d, uint64_t bus, uint64_t size, ioa_account_t *acct,
		     enum ioa_kind kind, const char *call)
{
	uint64_t sz = ioa_round_up(size, IOA_PAGE_4K);
	struct vmem_found f = {0, 0};
	uintptr_t tag;
	int r;

	if (!d || !size || sz < size)
		return -EINVAL;
	acct = acct ? acct : d->root;
	tag = (uintptr_t)acct | (uintptr_t)kind;
	r = ioa__vmem_free_checked(d->vm, bus, sz, tag, &f);
	if (r) {
		if (d->cfg.flags & IOA_DOMAIN_F_DEBUG)
			report_bad_free(d, call, bus, size, tag, r, &f);
		return -EINVAL;
	}
	ioa_account_uncharge(acct, sz);
	if (ioa__domain_debug(d))
		site_del(d, bus);
	atomic_fetch_sub_explicit(&d->live, 1, memory_order_relaxed);
	return 0;
}

IOA_API int ioa_domain_free(ioa_domain_t *d, uint64_t bus, uint64_t size, ioa_account_t *acct)
{
	return ioa__domain_free(d, bus, size, acct, IOA_KIND_RAW, "ioa_domain_free");
}

/* ---- translation and accessors ------------------------------------------------ */

IOA_API void *ioa_domain_virt(const ioa_domain_t *d, uint64_t bus)
{
	if (!d || bus < d->bus_min || bus > d->bus_last)
		return NULL;
	return d->va + (bus - d->bus_min);
}

IOA_API int ioa_domain_bus(const ioa_domain_t *d, const void *va, uint64_t *bus)
{
	uintptr_t v = (uintptr_t)va, base;

	if (!d || !bus)
		return -EINVAL;
	base = (uintptr_t)d->va;
	if (v < base || v - base >= d->va_len)
		return -EINVAL;
	*bus = d->bus_min + (v - base);
	return 0;
}

IOA_API ioa_account_t *ioa_domain_account(ioa_domain_t *d)
{
	return d ? d->root : NULL;
}

IOA_API uint64_t ioa_domain_page_size(const ioa_domain_t *d)
{
	return d ? d->page : 0;
}

IOA_API enum ioa_backend ioa_domain_backend(const ioa_domain_t *d)
{
	return d->cfg.backend;
}

IOA_API const char *ioa_domain_name(const ioa_domain_t *d)
{
	return d ? d->name : NULL;
}

/* Index of the arena segment holding bus, or -1 (grow_lock held). */
static long seg_index(const ioa_domain_t *d, uint64_t bus)
{
	size_t lo = 0, hi = d->nsegs;

	while (lo < hi) { /* segs are sorted by bus */
		size_t mid = (lo + hi) / 2;
		const struct arena_seg *s = &d->segs[mid];

		if (bus < s->bus)
			hi = mid;
		else if (bus - s->bus >= s->len)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

int ioa__domain_file(ioa_domain_t *d, uint64_t bus, int *fd, uint64_t *off, uint64_t *extent)
{
	long i;
	uint64_t end, file_end;

	pthread_mutex_lock(&d->grow_lock);
	i = seg_index(d, bus);
	if (i >= 0) {
		const struct arena_seg *s = &d->segs[i];

		*fd = d->fd;
		*off = s->file_off + (bus - s->bus);
		end = s->bus + s->len;
		file_end = s->file_off + s->len;
		/* Extend over following segments contiguous in both bus and file. */
		while ((size_t)++i < d->nsegs && d->segs[i].bus == end &&
		       d->segs[i].file_off == file_end) {
			end += d->segs[i].len;
			file_end += d->segs[i].len;
		}
		*extent = end - bus;
	}
	pthread_mutex_unlock(&d->grow_lock);
	return i >= 0 ? 0 : -EINVAL;
}

/* ---- statistics ------------------------------------------------------------------ */

IOA_API int ioa_domain_stats(ioa_domain_t *d, struct ioa_domain_stats *st)
{
	if (!d || !st || st->size != sizeof(*st))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	pthread_mutex_lock(&d->grow_lock);
	st->arena_bytes = d->backed;
	st->locked_bytes = d->locked;
	st->segments = d->nsegs;
	pthread_mutex_unlock(&d->grow_lock);
	st->arena_limit = d->cfg.size_limit;
	st->live_allocs = atomic_load(&d->live);
	st->vmem.size = sizeof(st->vmem);
	ioa_vmem_stats(d->vm, &st->vmem);
	st->root.size = sizeof(st->root);
	ioa_account_stats(d->root, &st->root);
	return 0;
}

static const char *human(uint64_t v, char *buf, size_t n)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	double x = (double)v;

	while (x >= 1024 && u < 4) {
		x /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", x, units[u]);
	return buf;
}

/* One line of the account tree, indented by depth. */
static int print_account(void *arg, const ioa_account_t *acct, unsigned depth)
{
	struct ioa_account_stats st = {.size = sizeof(st)};
	char u[32], p[32], l[32];

	ioa_account_stats(acct, &st);
	fprintf(arg, "    %*s'%s': usage %s, peak %s, limit %s, refused %llu\n", (int)depth * 2, "",
		st.name, human(st.usage, u, sizeof(u)), human(st.peak, p, sizeof(p)),
		st.limit == IOA_ACCOUNT_UNLIMITED ? "none" : human(st.limit, l, sizeof(l)),
		(unsigned long long)st.failures);
	return 0;
}

IOA_API int ioa_domain_print_stats(ioa_domain_t *d, FILE *f)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};
	char a[32], b[32], c[32], e[32];

	if (!f || ioa_domain_stats(d, &st))
		return -EINVAL;
	fprintf(f, "domain '%s': backend %s, %s pages, bus 0x%llx-0x%llx\n", d->name,
		d->cfg.backend == IOA_BACKEND_PHYS ? "phys" : "memfd", human(d->page, a, sizeof(a)),
		(unsigned long long)d->bus_min, (unsigned long long)d->bus_last);
	fprintf(f, "  arena: %s of %s (%s locked), %llu segments\n",
		human(st.arena_bytes, a, sizeof(a)), human(st.arena_limit, b, sizeof(b)),
		human(st.locked_bytes, c, sizeof(c)), (unsigned long long)st.segments);
	fprintf(f, "  allocated: %s in %llu allocations; free %s in %llu runs; metadata %s\n",
		human(st.vmem.alloc_bytes, a, sizeof(a)), (unsigned long long)st.vmem.alloc_segs,
		human(st.vmem.free_bytes, b, sizeof(b)), (unsigned long long)st.vmem.free_segs,
		human(st.vmem.meta_bytes, c, sizeof(c)));
	for (unsigned i = 0; i < st.vmem.nzones; i++)
		fprintf(f, "  zone 0x%llx+%s: %s backed, %s free, largest free run %s\n",
			(unsigned long long)st.vmem.zones[i].base,
			human(st.vmem.zones[i].size, a, sizeof(a)),
			human(st.vmem.zones[i].span_bytes, b, sizeof(b)),
			human(st.vmem.zones[i].free_bytes, c, sizeof(c)),
			human(st.vmem.zones[i].largest_free, e, sizeof(e)));
	fprintf(f, "  accounts:\n");
	return ioa_account_walk(d->root, print_account, f);
}

/* ---- the default domain --------------------------------------------------------------- */

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static int default_err;

static void default_init(void)
{
	struct ioa_domain_config cfg;
	const char *spec = getenv("IOALLOC_DOMAIN");
	char err[160];

	ioa_domain_config_init(&cfg);
	cfg.name = "default";
	if (spec && ioa_domain_config_parse(&cfg, spec, err, sizeof(err))) {
		ioa_plat_warn("IOALLOC_DOMAIN: %s", err);
		default_err = -EINVAL;
		return;
	}
	default_err = ioa_domain_create(&cfg, &default_domain);
}

IOA_API int ioa_domain_default(ioa_domain_t **out)
{
	if (!out)
		return -EINVAL;
	pthread_once(&default_once, default_init);
	if (default_err)
		return default_err;
	*out = default_domain;
	return 0;
}
