/* SPDX-License-Identifier: MIT */
/*
 * Page lists (the native MDL).
 *
 * Theory. A list is a sequence of runs, each one domain allocation of kind
 * "pages" (whole domain pages, inside the window), plus the bus frame of every
 * page. Allocation asks the domain for as much as is left in one run and, when
 * the window cannot hold that, halves the request (down to one page, or one
 * chunk with CHUNKED): an unfragmented window gives one run, a fragmented one
 * as many runs as it must, and a nearly full one the pages it has (partial,
 * if the caller allows it). Nothing is kept on failure.
 *
 * Mapping. A list that is one contiguous run is already mapped, contiguous,
 * in the domain's linear map; when the domain prefaults its arena those page
 * tables exist, and ioa_pages_map hands out that address: no page tables are
 * made or torn down (a kernel maps contiguous memory through its direct map
 * the same way, and vmaps only scattered pages). Making them costs about
 * 300 ns per 4 KiB page here, 150 us for 2 MiB, against a 2 MiB memset's 21.
 * Any other list, every ring, and every list of a debug domain gets a new
 * range (twice the size for a ring) with each run's memfd extent mapped into
 * it with MAP_FIXED, populating the page tables (a read populate: the pages
 * exist, and shared writable PTEs come out writable) so the mapping never
 * faults - unless LAZY_MAP trades that for a map of a few microseconds. In
 * debug mode the new range keeps an inaccessible guard page on each side, so
 * an overrun or a touch after unmap faults there. One mapping at a time per
 * list.
 *
 * A list carries a magic number; a freed list is quarantined in debug mode,
 * so a second free or a map after free is reported, and bad requests are
 * reported through the misuse handler naming what is wrong.
 *
 * Locking: a list is not thread-safe (callers serialize, as with an MDL);
 * different lists may be used from different threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/pages.h>

#include "domain/domain_impl.h"
#include "debug/debug.h"
#include "core/bits.h"

#define PAGES_MAGIC 0x314c444du /* "MDL1": a live list */
#define DEAD_MAGIC 0x44414544u  /* "DEAD": freed (debug: quarantined) */

struct ioa_pages {
	uint32_t magic;
	ioa_domain_t *d;
	ioa_account_t *acct;
	uint64_t page;
	size_t npages, nruns, cap;
	struct ioa_run *runs;     /* allocation runs in list order */
	uint64_t *frames;         /* bus address of each page */
	uint8_t *map_base;        /* a new range, guards included; NULL: none */
	size_t map_len;
	uint8_t *map_va;          /* what the caller got; NULL: unmapped */
	bool lazy;                /* IOA_PAGES_F_LAZY_MAP: mappings are not populated */
};

static const char *pl_obj(const ioa_pages_t *pl, char *buf, size_t n)
{
	snprintf(buf, n, "page list %p of domain '%s'", (const void *)pl, pl->d->name);
	return buf;
}

/* A list the caller may use; else a misuse report naming call. */
static bool live(const ioa_pages_t *pl, const char *call)
{
	char obj[96];

	if (pl->magic == PAGES_MAGIC)
		return true;
	if (pl->magic == DEAD_MAGIC) {
		ioa__misuse(call, pl_obj(pl, obj, sizeof(obj)), "the list was already freed");
	} else {
		ioa__misuse(call, "page list", "%p is not a page list (magic 0x%08x)",
			    (const void *)pl, pl->magic);
	}
	return false;
}

static int add_run(ioa_pages_t *pl, uint64_t bus, uint64_t len)
{
	if (pl->nruns == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 8;
		struct ioa_run *r = realloc(pl->runs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		pl->runs = r;
		pl->cap = cap;
	}
	pl->runs[pl->nruns++] = (struct ioa_run){bus, len};
	pl->npages += len / pl->page;
	return 0;
}

static int release_runs(ioa_pages_t *pl)
{
	int r = 0;

	for (size_t i = 0; i < pl->nruns; i++)
		if (ioa__domain_free(pl->d, pl->runs[i].bus, pl->runs[i].len, pl->acct,
				     IOA_KIND_PAGES, "ioa_pages_free"))
			r = -EINVAL;
	pl->nruns = 0;
	pl->npages = 0;
	return r;
}

/* The constraint each run is allocated under, and the request's validity. */
static int run_constraint(const ioa_domain_t *d, uint64_t bytes, const struct ioa_constraint *c,
			  unsigned flags, uint64_t granule, struct ioa_constraint *rc)
{
	if (ioa__domain_window(d, c, rc) || rc->max_addr - rc->min_addr < granule - 1)
		return -EINVAL; /* malformed, outside the domain, or narrower than one page */
	if (!(flags & IOA_PAGES_F_PARTIAL_OK) && rc->max_addr - rc->min_addr < bytes - 1)
		return -EINVAL; /* can never hold it all */
	if (!(flags & IOA_PAGES_F_CONTIGUOUS)) {
		rc->align = granule; /* per run: pages (or chunks) */
		if (rc->boundary && rc->boundary < granule)
			return -EINVAL;
	} else if (rc->align < granule) {
		rc->align = granule;
	}
	return 0;
}

/* Allocate runs until bytes are held or not even one granule fits. */
static int fill(ioa_pages_t *pl, uint64_t bytes, const struct ioa_constraint *rc,
		unsigned flags, uint64_t granule)
{
	uint64_t left = bytes, want = bytes, bus;
	int r = 0, last_err = -ENOMEM;

	uint64_t window = ((rc->max_addr - rc->min_addr) + 1) & ~(granule - 1); /* >= granule */

	if (rc->boundary && want > rc->boundary && !(flags & IOA_PAGES_F_CONTIGUOUS))
		want = rc->boundary;
	if (window && want > window) /* a partial request in a small window */
		want = window;
	while (left) {
		r = ioa__domain_alloc(pl->d, want, rc, pl->acct, IOA_KIND_PAGES, &bus);
		if (r == 0) {
			r = add_run(pl, bus, want);
			if (r) {
				ioa__domain_free(pl->d, bus, want, pl->acct, IOA_KIND_PAGES, "ioa_pages_alloc");
				return r;
			}
			left -= want;
			want = want < left ? want : left;
			continue;
		}
		if (r != -ENOMEM && r != -EDQUOT)
			return r;
		last_err = r;
		if (want == granule || (flags & IOA_PAGES_F_CONTIGUOUS))
			break;
		want = (want / 2) & ~(granule - 1);
		if (want < granule)
			want = granule;
	}
	return left ? last_err : 0;
}

static int build_frames(ioa_pages_t *pl)
{
	size_t k = 0;

	pl->frames = malloc((pl->npages ? pl->npages : 1) * sizeof(*pl->frames));
	if (!pl->frames)
		return -ENOMEM;
	for (size_t i = 0; i < pl->nruns; i++)
		for (uint64_t off = 0; off < pl->runs[i].len; off += pl->page)
			pl->frames[k++] = pl->runs[i].bus + off;
	return 0;
}

static void zero_runs(ioa_pages_t *pl)
{
	for (size_t i = 0; i < pl->nruns; i++)
		memset(ioa_domain_virt(pl->d, pl->runs[i].bus), 0, pl->runs[i].len);
}

static int check_alloc_args(ioa_domain_t *d, uint64_t bytes, unsigned flags, uint64_t chunk,
			    ioa_pages_t **out, uint64_t *granule)
{
	uint64_t page = ioa_domain_page_size(d);

	if (!d || !out || !bytes || (flags & ~IOA_PAGES_F_VALID))
		return -EINVAL;
	if (flags & IOA_PAGES_F_CHUNKED) {
		if (!ioa_is_pow2(chunk) || chunk < page || (flags & IOA_PAGES_F_CONTIGUOUS))
			return -EINVAL;
		*granule = chunk;
	} else if (chunk) {
		return -EINVAL;
	} else {
		*granule = page;
	}
	return bytes + *granule - 1 < bytes ? -EINVAL : 0;
}

/* An invalid request (r): in debug mode, also a report saying what is wrong. */
static int bad_request(ioa_domain_t *d, uint64_t bytes, const struct ioa_constraint *c, int r)
{
	char obj[64];

	if (ioa__domain_debug(d)) {
		snprintf(obj, sizeof(obj), "domain '%s'", d->name);
		ioa__debug_bad_request("ioa_pages_alloc", obj, bytes, c, d->bus_min, d->bus_last);
	}
	return r;
}

IOA_API int ioa_pages_alloc(ioa_domain_t *d, uint64_t bytes, const struct ioa_constraint *c,
			    ioa_account_t *acct, unsigned flags, uint64_t chunk_size,
			    ioa_pages_t **out)
{
	struct ioa_constraint rc;
	ioa_pages_t *pl;
	uint64_t granule = 0;
	int r = check_alloc_args(d, bytes, flags, chunk_size, out, &granule);

	IOA_NOTE_SITE();
	if (r)
		return r;
	if ((flags & IOA_PAGES_F_CHUNKED) && bytes % granule)
		return -EINVAL; /* whole chunks only */
	bytes = (bytes + granule - 1) & ~(granule - 1);
	r = run_constraint(d, bytes, c, flags, granule, &rc);
	if (r)
		return bad_request(d, bytes, c, r);
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->d = d;
	pl->acct = acct;
	pl->page = ioa_domain_page_size(d);
	pl->lazy = flags & IOA_PAGES_F_LAZY_MAP;
	r = fill(pl, bytes, &rc, flags, granule);
	if (r && pl->npages && (flags & IOA_PAGES_F_PARTIAL_OK))
		r = 0;
	if (!r)
		r = build_frames(pl);
	if (r) {
		release_runs(pl);
		free(pl->runs);
		free(pl);
		return r == -EINVAL ? bad_request(d, bytes, c, r) : r;
	}
	if (!(flags & IOA_PAGES_F_NO_ZERO))
		zero_runs(pl);
	pl->magic = PAGES_MAGIC;
	*out = pl;
	return 0;
}

IOA_API int ioa_pages_free(ioa_pages_t *pl)
{
	int r;

	if (!pl)
		return 0;
	if (!live(pl, "ioa_pages_free"))
		return -EINVAL;
	if (pl->map_base)
		ioa_plat_release(pl->map_base, pl->map_len);
	r = release_runs(pl);
	free(pl->frames);
	free(pl->runs);
	pl->magic = DEAD_MAGIC;
	if (ioa__domain_debug(pl->d))
		ioa__quarantine(pl); /* a second free finds DEAD_MAGIC */
	else
		free(pl);
	return r;
}

IOA_API size_t ioa_pages_count(const ioa_pages_t *pl)
{
	return pl ? pl->npages : 0;
}

IOA_API uint64_t ioa_pages_page_size(const ioa_pages_t *pl)
{
	return pl ? pl->page : 0;
}

IOA_API uint64_t ioa_pages_bytes(const ioa_pages_t *pl)
{
	return pl ? pl->npages * pl->page : 0;
}

IOA_API int ioa_pages_frame(const ioa_pages_t *pl, size_t i, uint64_t *bus)
{
	if (!pl || !bus || i >= pl->npages)
		return -EINVAL;
	*bus = pl->frames[i];
	return 0;
}

/* Visit maximal contiguous runs (allocation runs merged where adjacent). */
static size_t merged_runs(const ioa_pages_t *pl, struct ioa_run *out, size_t max)
{
	size_t n = 0;
	struct ioa_run cur = {0, 0};

	for (size_t i = 0; i < pl->nruns; i++) {
		if (cur.len && cur.bus + cur.len == pl->runs[i].bus) {
			cur.len += pl->runs[i].len;
			continue;
		}
		if (cur.len && n < max)
			out[n] = cur;
		n += cur.len ? 1 : 0;
		cur = pl->runs[i];
	}
	if (cur.len && n < max)
		out[n] = cur;
	return n + (cur.len ? 1 : 0);
}

IOA_API size_t ioa_pages_runs(const ioa_pages_t *pl, struct ioa_run *runs, size_t max)
{
	if (!pl)
		return 0;
	return merged_runs(pl, runs, runs ? max : 0);
}

/* Split one run into device segments; returns the count, storing from sg[n]. */
static size_t split_run(struct ioa_run r, uint64_t max_seg, uint64_t boundary,
			struct ioa_run *sg, size_t n, size_t max)
{
	while (r.len) {
		uint64_t piece = r.len < max_seg ? r.len : max_seg;

		if (boundary) {
			uint64_t room = boundary - (r.bus & (boundary - 1));

			piece = piece < room ? piece : room;
		}
		if (sg && n < max)
			sg[n] = (struct ioa_run){r.bus, piece};
		n++;
		r.bus += piece;
		r.len -= piece;
	}
	return n;
}

IOA_API int ioa_pages_sg(const ioa_pages_t *pl, uint64_t max_seg, uint64_t boundary,
			 struct ioa_run *sg, size_t max, size_t *n)
{
	size_t nr, count = 0;
	struct ioa_run *runs;

	if (!pl || !n || !live(pl, "ioa_pages_sg"))
		return -EINVAL;
	if (!max_seg || (boundary && !ioa_is_pow2(boundary))) {
		char obj[96];

		if (ioa__domain_debug(pl->d))
			ioa__misuse("ioa_pages_sg", pl_obj(pl, obj, sizeof(obj)),
				    "segments of at most %llu bytes, boundary 0x%llx: %s",
				    (unsigned long long)max_seg, (unsigned long long)boundary,
				    max_seg ? "the boundary is not a power of two"
					    : "segments cannot be 0 bytes");
		return -EINVAL;
	}
	nr = merged_runs(pl, NULL, 0);
	runs = malloc((nr ? nr : 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	merged_runs(pl, runs, nr);
	for (size_t i = 0; i < nr; i++)
		count = split_run(runs[i], max_seg, boundary, sg, count, max);
	free(runs);
	*n = count;
	return count <= max && (sg || !count) ? 0 : -ENOSPC;
}

/* ---- mapping ----------------------------------------------------------------- */

/* Map every run's pages, in order, at va. */
static int map_copy(ioa_pages_t *pl, uint8_t *va)
{
	for (size_t i = 0; i < pl->nruns; i++) {
		uint64_t bus = pl->runs[i].bus, left = pl->runs[i].len;

		while (left) {
			uint64_t off, ext;
			int fd, r = ioa__domain_file(pl->d, bus, &fd, &off, &ext);

			if (r)
				return r;
			ext = ext < left ? ext : left;
			r = ioa_plat_map(va, ext, fd, off);
			if (!r && !pl->lazy) /* every PTE now: no faults on a real-time path */
				r = ioa_plat_populate_shared(va, ext, pl->page);
			if (r)
				return r;
			va += ext;
			bus += ext;
			left -= ext;
		}
	}
	return 0;
}

/* The list's address in the linear map if that can serve as its mapping:
 * one run, page tables already there (a prefaulted arena, or a LAZY_MAP list,
 * which accepts faults), not a debug domain (whose mappings have guards). */
static uint8_t *direct_va(const ioa_pages_t *pl)
{
	const ioa_domain_t *d = pl->d;

	if (ioa__domain_debug(d) || merged_runs(pl, NULL, 0) != 1)
		return NULL;
	if (!pl->lazy && !(d->cfg.flags & IOA_DOMAIN_F_PREFAULT))
		return NULL;
	return ioa_domain_virt(d, pl->runs[0].bus);
}

static int map_views(ioa_pages_t *pl, unsigned copies, void **out)
{
	uint64_t len = pl->npages * pl->page;
	size_t guard = ioa__domain_debug(pl->d) ? pl->page : 0;
	uint8_t *base = NULL;
	int r;

	if (!out || !live(pl, copies > 1 ? "ioa_pages_map_ring" : "ioa_pages_map"))
		return -EINVAL;
	if (pl->map_va)
		return -EBUSY;
	if (copies == 1 && (pl->map_va = direct_va(pl)) != NULL) {
		*out = pl->map_va;
		return 0;
	}
	r = ioa_plat_reserve(copies * len + 2 * guard, pl->page, (void **)&base);
	for (unsigned k = 0; !r && k < copies; k++)
		r = map_copy(pl, base + guard + k * len);
	if (r) {
		if (base)
			ioa_plat_release(base, copies * len + 2 * guard);
		return r;
	}
	pl->map_base = base;
	pl->map_len = copies * len + 2 * guard;
	pl->map_va = base + guard;
	*out = pl->map_va;
	return 0;
}

IOA_API int ioa_pages_map(ioa_pages_t *pl, void **va)
{
	return pl ? map_views(pl, 1, va) : -EINVAL;
}

IOA_API int ioa_pages_map_ring(ioa_pages_t *pl, void **va)
{
	return pl ? map_views(pl, 2, va) : -EINVAL;
}

IOA_API int ioa_pages_unmap(ioa_pages_t *pl, void *va)
{
	if (!pl || !live(pl, "ioa_pages_unmap"))
		return -EINVAL;
	if (!pl->map_va || va != pl->map_va) {
		char obj[96];

		if (ioa__domain_debug(pl->d) && pl->map_va)
			ioa__misuse("ioa_pages_unmap", pl_obj(pl, obj, sizeof(obj)),
				    "unmaps %p, but the list is mapped at %p", va, (void *)pl->map_va);
		else if (ioa__domain_debug(pl->d))
			ioa__misuse("ioa_pages_unmap", pl_obj(pl, obj, sizeof(obj)),
				    "unmaps %p, but the list is not mapped", va);
		return -EINVAL;
	}
	if (pl->map_base)
		ioa_plat_release(pl->map_base, pl->map_len);
	pl->map_base = NULL;
	pl->map_va = NULL;
	pl->map_len = 0;
	return 0;
}

IOA_API int ioa_pages_iovec(const ioa_pages_t *pl, struct iovec *iov, size_t max, size_t *n)
{
	size_t nr;
	struct ioa_run *runs;

	if (!pl || !n)
		return -EINVAL;
	if (pl->map_va) {
		*n = 1;
		if (!iov || !max)
			return -ENOSPC;
		iov[0] = (struct iovec){pl->map_va, pl->npages * pl->page};
		return 0;
	}
	nr = merged_runs(pl, NULL, 0);
	*n = nr;
	runs = malloc((nr ? nr : 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	merged_runs(pl, runs, nr);
	for (size_t i = 0; iov && i < nr && i < max; i++)
		iov[i] = (struct iovec){ioa_domain_virt(pl->d, runs[i].bus), runs[i].len};
	free(runs);
	return nr <= max && (iov || !nr) ? 0 : -ENOSPC;
}
