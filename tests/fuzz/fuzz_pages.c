/* SPDX-License-Identifier: MIT */
/*
 * Page lists, DMA buffers, channels and raw domain allocations under random
 * constraints, in two domains with the same three-zone layout: one plain, one
 * in debug mode (guard pages, magic numbers, misuse reports). Every result is
 * checked:
 *  - bus addresses against the constraint (window, align, boundary), the
 *    domain's ranges, and every other live object's pages (an owner map);
 *  - a page list's frames against its runs (merged independently from the
 *    frames), its byte count, CONTIGUOUS and CHUNKED rules, zeroing;
 *  - the scatter-gather split against its definition: the segments tile the
 *    runs in order, none exceeds max_seg or crosses a boundary, and each one
 *    is as long as those rules allow (so it is the greedy split);
 *  - iovecs, frames, mappings (every page seen through the mapping, a ring's
 *    second copy the same memory) and contents: each object stamps its pages
 *    through the linear map and checks the stamp before it is freed;
 *  - error codes: DMA and raw requests are -EINVAL exactly when the model
 *    says the request is malformed; no call returns anything but its
 *    documented errors; in the debug domain each refused call is reported
 *    through the misuse handler exactly once, in the plain one never;
 *  - at the end of each input, with everything freed: no live allocation, no
 *    charge left on any account.
 */
#include <errno.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>
#include <sys/uio.h>

#include "domain/domain_impl.h"
#include "fuzz.h"

#define PAGE 4096ull
#define MAX_OBJS 24

/* The layout: three zones (ISA, 32-bit, above 4 GiB), 23 MiB in all. */
static const struct {
	uint64_t base, size;
} ranges[3] = {{0x100000, 7 << 20}, {0xf0000000, 8 << 20}, {0x100000000, 8 << 20}};
#define NPAGES ((7 + 8 + 8) << 8)
#define BUS_MIN 0x100000ull
#define BUS_LAST (0x100000000ull + (8 << 20) - 1)

enum kind { K_PAGES, K_DMA, K_RAW, K_CHAN };

struct obj {
	bool live;
	enum kind kind;
	int dom;
	uint64_t id;
	ioa_account_t *acct;
	ioa_pages_t *pl;
	void *map;
	bool ring;
	ioa_dma_buf_t *b;        /* K_DMA, or K_CHAN's buffer (may be NULL) */
	ioa_dma_channel_t *ch;
	uint64_t bus, size;      /* K_RAW */
};

static struct {
	ioa_domain_t *d[2];
	bool debug[2];
	ioa_account_t *capped[2];
	uint16_t owner[2][NPAGES]; /* object index + 1 holding each page */
	struct obj o[MAX_OBJS];
	uint64_t next_id;
	int reports;
	char last[600];
} S;

/* FUZZ_STATS=1: how often each call succeeded and failed, printed at exit. */
enum { C_PAGES, C_SG, C_MAP, C_DMA, C_CHAN, C_RAW, C_BADFREE, C_N };
static const char *const count_names[C_N] = {"pages_alloc", "pages_sg", "pages_map", "dma_alloc",
					      "channel_alloc", "domain_alloc", "bad_free"};
static uint64_t counts[C_N][2];

static void count(int what, int r)
{
	counts[what][r != 0]++;
}

static void print_counts(void)
{
	for (int i = 0; i < C_N; i++)
		fprintf(stderr, "%-14s %10llu ok %10llu refused\n", count_names[i],
			ULL(counts[i][0]), ULL(counts[i][1]));
}

static void record(void *arg, const char *call, const char *object, const char *message)
{
	(void)arg;
	S.reports++;
	snprintf(S.last, sizeof(S.last), "%s: %s: %s", call, object, message);
}

/* Exactly `want` misuse reports since the last check. */
static void reports_are(int want, const char *what)
{
	CHECK(S.reports == want, "%s: %d misuse reports, expected %d (last: %s)", what, S.reports,
	      want, S.reports ? S.last : "-");
	S.reports = 0;
}

static void init_once(void)
{
	struct ioa_domain_config cfg;
	char err[128];

	if (S.d[0])
		return;
	ioa_set_misuse_handler(record, NULL);
	if (getenv("FUZZ_STATS"))
		atexit(print_counts);
	for (int k = 0; k < 2; k++) {
		ioa_domain_config_init(&cfg);
		cfg.name = k ? "fuzz-debug" : "fuzz";
		CHECK(ioa_domain_config_parse(&cfg, "ranges=0x100000+7M:0xf0000000+8M:0x100000000+8M,"
					      "chunk=256K,lock=0,prefault=0", err, sizeof(err)) == 0,
		      "parse: %s", err);
		if (k)
			cfg.flags |= IOA_DOMAIN_F_DEBUG;
		CHECK(ioa_domain_create(&cfg, &S.d[k]) == 0, "create domain %d", k);
		S.debug[k] = ioa__domain_debug(S.d[k]); /* IOALLOC_DEBUG may set the plain one */
	}
}

/* ---- the owner map and stamps ------------------------------------------------------ */

static long page_index(uint64_t bus)
{
	long off = 0;

	for (int i = 0; i < 3; i++) {
		if (bus >= ranges[i].base && bus - ranges[i].base < ranges[i].size)
			return off + (long)((bus - ranges[i].base) / PAGE);
		off += (long)(ranges[i].size / PAGE);
	}
	return -1;
}

static bool in_ranges(uint64_t bus, uint64_t len)
{
	return page_index(bus) >= 0 && page_index(bus + len - 1) >= 0 &&
	       page_index(bus + len - 1) - page_index(bus) == (long)((len - 1) / PAGE);
}

/* Claim (or give back) the pages [bus, bus + len) for object i. */
static void own(int dom, uint64_t bus, uint64_t len, int i, bool take)
{
	CHECK(bus % PAGE == 0 && len % PAGE == 0 && in_ranges(bus, len),
	      "range 0x%llx+%llu outside the domain's ranges", ULL(bus), ULL(len));
	for (uint64_t off = 0; off < len; off += PAGE) {
		uint16_t *o = &S.owner[dom][page_index(bus + off)];

		CHECK(*o == (take ? 0 : i + 1), "page 0x%llx: owner %d, expected %d", ULL(bus + off),
		      *o - 1, take ? -1 : i);
		*o = take ? (uint16_t)(i + 1) : 0;
	}
}

/* Write (or check) object i's stamp at the start of each page of a range. */
static void stamp(int dom, uint64_t bus, uint64_t len, uint64_t id, bool check)
{
	for (uint64_t off = 0; off < len; off += PAGE) {
		uint64_t *p = ioa_domain_virt(S.d[dom], bus + off);

		CHECK(p, "no virtual address for bus 0x%llx", ULL(bus + off));
		if (check)
			CHECK(p[0] == id && p[1] == bus + off, "stamp at bus 0x%llx: %llx/%llx, "
			      "expected %llx", ULL(bus + off), ULL(p[0]), ULL(p[1]), ULL(id));
		p[0] = id;
		p[1] = bus + off;
	}
}

static bool is_zero(const uint8_t *p, uint64_t n)
{
	static const uint8_t zero[PAGE];

	for (uint64_t off = 0; off < n; off += PAGE)
		if (memcmp(p + off, zero, n - off < PAGE ? n - off : PAGE))
			return false;
	return true;
}

/* ---- constraints ---------------------------------------------------------------------- */

/* NULL (anything) or a constraint from the input: windows around the layout's
 * ranges and the DMA-bit limits, alignments, boundaries, sometimes malformed. */
static const struct ioa_constraint *make_constraint(struct in *in, struct ioa_constraint *c)
{
	uint8_t sel = take8(in), w = take8(in);

	if (sel % 5 == 0)
		return NULL;
	ioa_constraint_init(c);
	switch (w % 8) {
	case 0: break;
	case 1: ioa_constraint_set_dma_bits(c, 24); break;
	case 2: ioa_constraint_set_dma_bits(c, 32); break;
	case 3: case 4: { /* a window inside one range */
		int r = (w >> 3) % 3;

		c->min_addr = ranges[r].base + take16(in) * 64ull;
		c->max_addr = c->min_addr + take16(in) * 64ull + (w & 0x80 ? 0 : PAGE - 1);
		break;
	}
	case 5: c->min_addr = 0xf0000000 + take16(in) * PAGE; break;
	case 6: c->min_addr = BUS_LAST + 1 + take8(in); break; /* misses the domain */
	default: c->min_addr = ranges[(w >> 3) % 3].base; c->max_addr = c->min_addr + take8(in);
	}
	if (sel & 0x08)
		c->align = 1ull << (take8(in) % 22);
	if (sel & 0x10)
		c->boundary = 1ull << (9 + take8(in) % 14); /* 512 B .. 4 MiB */
	if (sel % 41 == 1)
		c->align = 3;
	if (sel % 43 == 2)
		c->boundary = 3 * PAGE;
	if (sel % 47 == 3) {
		c->min_addr = 2;
		c->max_addr = 1;
	}
	if (sel % 53 == 4)
		c->size = 1;
	return c;
}

static bool constraint_ok(const struct ioa_constraint *c)
{
	return !c || ioa_constraint_check(c) == 0;
}

/* Malformed for a domain allocation of size bytes (ioa_domain_alloc(3)). */
static bool bad_domain_request(const struct ioa_constraint *c, uint64_t size)
{
	uint64_t sz = (size + PAGE - 1) & ~(PAGE - 1), lo = BUS_MIN, hi = BUS_LAST;

	if (!size || sz < size || !constraint_ok(c))
		return true;
	if (c) {
		if (c->max_addr < lo || c->min_addr > hi)
			return true;
		lo = c->min_addr > lo ? c->min_addr : lo;
		hi = c->max_addr < hi ? c->max_addr : hi;
		if (c->boundary && sz > c->boundary)
			return true;
	}
	return sz - 1 > hi - lo;
}

static bool fits(const struct ioa_constraint *c, uint64_t bus, uint64_t len)
{
	return !c || ioa_constraint_fits(c, bus, len);
}

/* ---- objects -------------------------------------------------------------------------------- */

static int free_slot(void)
{
	for (int i = 0; i < MAX_OBJS; i++)
		if (!S.o[i].live)
			return i;
	return -1;
}

static int pick(struct in *in, int kind)
{
	int n = take8(in) % MAX_OBJS;

	for (int k = 0; k < MAX_OBJS; k++) {
		int i = (n + k) % MAX_OBJS;

		if (S.o[i].live && (kind < 0 || (int)S.o[i].kind == kind))
			return i;
	}
	return -1;
}

static ioa_account_t *pick_account(struct in *in, int dom)
{
	return take8(in) & 1 ? S.capped[dom] : NULL;
}

static bool alloc_error(int r)
{
	return r == -EINVAL || r == -ENOMEM || r == -EDQUOT;
}

/* ---- page lists ------------------------------------------------------------------------------ */

/* The maximal contiguous runs of the list's frames, merged here. */
static size_t model_runs(ioa_pages_t *pl, struct ioa_run *runs, size_t max)
{
	size_t n = 0;
	uint64_t bus;

	for (size_t i = 0; i < ioa_pages_count(pl); i++) {
		CHECK(ioa_pages_frame(pl, i, &bus) == 0, "frame %zu", i);
		if (n && runs[n - 1].bus + runs[n - 1].len == bus) {
			runs[n - 1].len += PAGE;
		} else {
			CHECK(n < max, "too many runs");
			runs[n++] = (struct ioa_run){bus, PAGE};
		}
	}
	return n;
}

static void check_list(int i, const struct ioa_constraint *c, unsigned flags, uint64_t chunk)
{
	struct obj *o = &S.o[i];
	static struct ioa_run runs[600], got[600];
	size_t n = model_runs(o->pl, runs, 600), count = ioa_pages_count(o->pl);
	uint64_t bus;

	CHECK(ioa_pages_bytes(o->pl) == count * PAGE && ioa_pages_page_size(o->pl) == PAGE, "bytes");
	CHECK(ioa_pages_frame(o->pl, count, &bus) == -EINVAL, "frame past the end");
	CHECK(ioa_pages_runs(o->pl, NULL, 0) == n, "runs: %zu, model %zu",
	      ioa_pages_runs(o->pl, NULL, 0), n);
	CHECK(ioa_pages_runs(o->pl, got, 600) == n && !memcmp(got, runs, n * sizeof(*runs)),
	      "runs differ from the frames");
	for (size_t k = 0; k < n; k++) {
		CHECK(runs[k].bus >= (c ? c->min_addr : 0) &&
		      runs[k].bus + runs[k].len - 1 <= (c ? c->max_addr : UINT64_MAX),
		      "run 0x%llx+%llu outside the window", ULL(runs[k].bus), ULL(runs[k].len));
		if (flags & IOA_PAGES_F_CHUNKED)
			CHECK(runs[k].bus % chunk == 0 && runs[k].len % chunk == 0,
			      "run 0x%llx+%llu not in %llu-byte chunks", ULL(runs[k].bus),
			      ULL(runs[k].len), ULL(chunk));
		own(o->dom, runs[k].bus, runs[k].len, i, true);
		if (!(flags & IOA_PAGES_F_NO_ZERO))
			CHECK(is_zero(ioa_domain_virt(S.d[o->dom], runs[k].bus), runs[k].len),
			      "list not zeroed");
		stamp(o->dom, runs[k].bus, runs[k].len, o->id, false);
	}
	if (flags & IOA_PAGES_F_CONTIGUOUS) {
		struct ioa_constraint cc;

		CHECK(n == 1, "CONTIGUOUS list in %zu runs", n);
		if (c) {
			cc = *c;
			cc.align = cc.align > PAGE ? cc.align : PAGE;
			CHECK(ioa_constraint_fits(&cc, runs[0].bus, runs[0].len),
			      "CONTIGUOUS run 0x%llx+%llu misses its constraint", ULL(runs[0].bus),
			      ULL(runs[0].len));
		}
	}
}

static void op_pages_alloc(struct in *in, int dom)
{
	static const unsigned flag_sets[] = {0, IOA_PAGES_F_CONTIGUOUS, IOA_PAGES_F_PARTIAL_OK,
					     IOA_PAGES_F_CHUNKED, IOA_PAGES_F_NO_ZERO,
					     IOA_PAGES_F_LAZY_MAP,
					     IOA_PAGES_F_CHUNKED | IOA_PAGES_F_PARTIAL_OK};
	struct ioa_constraint cs;
	const struct ioa_constraint *c = make_constraint(in, &cs);
	uint8_t sel = take8(in);
	unsigned flags = flag_sets[sel % 7] | (sel & 0x80 ? IOA_PAGES_F_NO_ZERO : 0);
	uint64_t bytes = 1 + take16(in) * 16ull, chunk = 0, granule = PAGE;
	int i = free_slot(), r;
	bool bad_args;

	if (sel % 61 == 9)
		flags |= 1u << 30;                               /* unknown flag */
	if (flags & IOA_PAGES_F_CHUNKED) {
		chunk = 1ull << (11 + take8(in) % 9);            /* 2 KiB .. 512 KiB */
		granule = chunk;
		bytes = (bytes + chunk - 1) / chunk * chunk;
		if (sel & 0x40)
			bytes += PAGE;                           /* not whole chunks */
	}
	bad_args = (flags & ~IOA_PAGES_F_VALID) ||
		   ((flags & IOA_PAGES_F_CHUNKED) && (chunk < PAGE || bytes % chunk));
	if (i < 0)
		return;
	S.o[i] = (struct obj){.kind = K_PAGES, .dom = dom, .id = ++S.next_id,
			      .acct = pick_account(in, dom)};
	r = ioa_pages_alloc(S.d[dom], bytes, c, S.o[i].acct, flags, chunk, &S.o[i].pl);
	count(C_PAGES, r);
	if (r) {
		CHECK(alloc_error(r), "pages_alloc: %d", r);
		CHECK(!bad_args || r == -EINVAL, "bad arguments accepted");
		/* Anything but a plain malformed-argument refusal is explained. */
		reports_are(r == -EINVAL && !bad_args && S.debug[dom] ? 1 : 0, "pages_alloc");
		if (!c && !bad_args && !(flags & IOA_PAGES_F_CHUNKED))
			CHECK(r != -EINVAL, "a plain page list of %llu bytes refused as invalid",
			      ULL(bytes));
		return;
	}
	reports_are(0, "pages_alloc");
	CHECK(!bad_args, "bad arguments accepted");
	bytes = (bytes + granule - 1) / granule * granule;
	if (flags & IOA_PAGES_F_PARTIAL_OK)
		CHECK(ioa_pages_bytes(S.o[i].pl) > 0 && ioa_pages_bytes(S.o[i].pl) <= bytes,
		      "partial list of %llu bytes for %llu", ULL(ioa_pages_bytes(S.o[i].pl)),
		      ULL(bytes));
	else
		CHECK(ioa_pages_bytes(S.o[i].pl) == bytes, "list of %llu bytes for %llu",
		      ULL(ioa_pages_bytes(S.o[i].pl)), ULL(bytes));
	S.o[i].live = true;
	check_list(i, c, flags, chunk);
}

/* Scatter-gather: the segments tile the runs, honour max_seg and boundary,
 * and each ends only where it must (so the split is the greedy one). */
static void op_pages_sg(struct in *in)
{
	static struct ioa_run runs[600], sg[2048];
	int i = pick(in, K_PAGES);
	uint64_t max_seg = 1 + take16(in) * (take8(in) % 4 == 0 ? 64ull : 1ull);
	uint64_t boundary = take8(in) % 3 ? 1ull << (9 + take8(in) % 14) : 0;
	size_t n, cnt, k = 0, max;
	struct obj *o;
	int r;

	if (i < 0)
		return;
	o = &S.o[i];
	n = model_runs(o->pl, runs, 600);
	r = ioa_pages_sg(o->pl, max_seg, boundary, NULL, 0, &cnt);
	CHECK(r == (cnt ? -ENOSPC : 0), "sg count: %d", r);
	max = take8(in) % 4 || cnt / 2 > 2048 ? 2048 : cnt / 2;
	r = ioa_pages_sg(o->pl, max_seg, boundary, sg, max, &cnt);
	reports_are(0, "sg");
	if (cnt > max) {
		CHECK(r == -ENOSPC, "sg into %zu of %zu: %d", max, cnt, r);
		return;
	}
	CHECK(r == 0 && cnt <= 2048, "sg: %d", r);
	count(C_SG, 0);
	for (size_t ri = 0; ri < n; ri++) {
		uint64_t at = runs[ri].bus, end = runs[ri].bus + runs[ri].len;

		while (at < end) {
			uint64_t last;

			CHECK(k < cnt, "segments end before the runs do");
			last = sg[k].bus + sg[k].len - 1;
			CHECK(sg[k].bus == at && sg[k].len && sg[k].len <= end - at,
			      "segment %zu 0x%llx+%llu does not continue run 0x%llx+%llu", k,
			      ULL(sg[k].bus), ULL(sg[k].len), ULL(runs[ri].bus), ULL(runs[ri].len));
			CHECK(sg[k].len <= max_seg, "segment %zu longer than %llu", k, ULL(max_seg));
			CHECK(!boundary || sg[k].bus / boundary == last / boundary,
			      "segment %zu crosses 0x%llx", k, ULL(boundary));
			CHECK(last + 1 == end || sg[k].len == max_seg ||
				      (boundary && (last + 1) % boundary == 0),
			      "segment %zu ends early", k);
			at += sg[k++].len;
		}
	}
	CHECK(k == cnt, "%zu segments left over", cnt - k);
	/* Bad parameters: refused, reported in debug mode. */
	if (take8(in) % 8 == 0) {
		CHECK(ioa_pages_sg(o->pl, 0, boundary, sg, 2048, &cnt) == -EINVAL, "max_seg 0");
		reports_are(S.debug[o->dom], "sg max_seg 0");
	}
}

static void op_pages_iovec(struct in *in)
{
	static struct ioa_run runs[600];
	static struct iovec iov[600];
	int i = pick(in, K_PAGES);
	size_t n, cnt;
	struct obj *o;

	if (i < 0)
		return;
	o = &S.o[i];
	n = model_runs(o->pl, runs, 600);
	CHECK(ioa_pages_iovec(o->pl, iov, 600, &cnt) == 0, "iovec");
	if (o->map) {
		CHECK(cnt == 1 && iov[0].iov_base == o->map &&
		      iov[0].iov_len == ioa_pages_bytes(o->pl), "iovec of a mapped list");
		return;
	}
	CHECK(cnt == n, "%zu iovecs for %zu runs", cnt, n);
	for (size_t k = 0; k < n; k++)
		CHECK(iov[k].iov_base == ioa_domain_virt(S.d[o->dom], runs[k].bus) &&
		      iov[k].iov_len == runs[k].len, "iovec %zu", k);
}

static void op_pages_map(struct in *in)
{
	int i = pick(in, K_PAGES);
	uint8_t how = take8(in);
	uint64_t bytes, page;
	struct obj *o;
	void *va;
	int r;

	if (i < 0)
		return;
	o = &S.o[i];
	bytes = ioa_pages_bytes(o->pl);
	if (o->map && how % 4 == 0) {               /* unmap with a wrong address */
		CHECK(ioa_pages_unmap(o->pl, (uint8_t *)o->map + PAGE) == -EINVAL, "bad unmap");
		reports_are(S.debug[o->dom], "bad unmap");
		return;
	}
	if (o->map) {
		CHECK(ioa_pages_unmap(o->pl, o->map) == 0, "unmap");
		o->map = NULL;
		return;
	}
	o->ring = how & 1;
	r = o->ring ? ioa_pages_map_ring(o->pl, &va) : ioa_pages_map(o->pl, &va);
	CHECK(r == 0 || r == -ENOMEM, "map: %d", r);
	count(C_MAP, r);
	reports_are(0, "map");
	if (r)
		return;
	CHECK(ioa_pages_map(o->pl, &o->map) == -EBUSY, "second map");
	o->map = va;
	/* Every page through the mapping is the page at its frame. */
	for (size_t k = 0; k < ioa_pages_count(o->pl); k++) {
		uint64_t *m = (uint64_t *)((uint8_t *)va + k * PAGE), bus;

		CHECK(ioa_pages_frame(o->pl, k, &bus) == 0, "frame");
		CHECK(m[0] == o->id && m[1] == bus, "page %zu through the mapping", k);
		if (o->ring)
			CHECK(!memcmp(m, (uint8_t *)m + bytes, 16), "ring copy of page %zu", k);
	}
	page = (how >> 1) % ioa_pages_count(o->pl);
	((uint8_t *)va)[page * PAGE + 100] ^= 0xff; /* write through it, read through the linear map */
	{
		uint64_t bus;

		ioa_pages_frame(o->pl, page, &bus);
		CHECK(((uint8_t *)ioa_domain_virt(S.d[o->dom], bus))[100] ==
			      ((uint8_t *)va)[page * PAGE + 100], "write through the mapping lost");
	}
}

static void free_pages(int i)
{
	struct obj *o = &S.o[i];
	static struct ioa_run runs[600];
	size_t n = model_runs(o->pl, runs, 600);

	for (size_t k = 0; k < n; k++) {
		stamp(o->dom, runs[k].bus, runs[k].len, o->id, true);
		own(o->dom, runs[k].bus, runs[k].len, i, false);
	}
	CHECK(ioa_pages_free(o->pl) == 0, "pages_free");
	o->live = false;
}

/* ---- DMA buffers and channels ------------------------------------------------------------------ */

static void check_buffer(int i, ioa_dma_buf_t *b, const struct ioa_constraint *c, uint64_t size,
			 bool zero)
{
	struct obj *o = &S.o[i];
	uint64_t alloc = (size + PAGE - 1) & ~(PAGE - 1), back;
	uint8_t *va = ioa_dma_va(b);

	CHECK(ioa_dma_allocated_size(b) == alloc && ioa_dma_buffer_size(b) == size, "sizes");
	CHECK(fits(c, ioa_dma_bus(b), alloc), "buffer 0x%llx+%llu misses its constraint",
	      ULL(ioa_dma_bus(b)), ULL(alloc));
	CHECK(va == ioa_domain_virt(S.d[o->dom], ioa_dma_bus(b)), "va is not the linear map's");
	CHECK(ioa_domain_bus(S.d[o->dom], va + alloc - 1, &back) == 0 &&
	      back == ioa_dma_bus(b) + alloc - 1, "bus of the last byte");
	if (zero)
		CHECK(is_zero(va, alloc), "ZERO buffer not zero");
	own(o->dom, ioa_dma_bus(b), alloc, i, true);
	memset(va, (int)(o->id & 0xff), alloc); /* every byte writable: no guard inside */
	stamp(o->dom, ioa_dma_bus(b), alloc, o->id, false);
}

static void op_dma_alloc(struct in *in, int dom)
{
	struct ioa_constraint cs;
	const struct ioa_constraint *c = make_constraint(in, &cs);
	uint64_t size = take16(in) % 3 == 0 ? take8(in) : 1 + take16(in) * 4ull;
	unsigned flags = take8(in) % 3 == 0 ? IOA_DMA_F_ZERO : 0;
	int i = free_slot(), r;
	bool bad;

	if (i < 0)
		return;
	if (take8(in) % 50 == 0)
		flags |= 0x100;
	bad = bad_domain_request(c, size) || (flags & ~IOA_DMA_F_VALID);
	S.o[i] = (struct obj){.kind = K_DMA, .dom = dom, .id = ++S.next_id,
			      .acct = pick_account(in, dom)};
	r = ioa_dma_alloc(S.d[dom], size, c, S.o[i].acct, flags, &S.o[i].b);
	count(C_DMA, r);
	reports_are(bad && S.debug[dom] && size && !(flags & ~IOA_DMA_F_VALID), "dma_alloc");
	if (bad) {
		CHECK(r == -EINVAL, "malformed DMA request: %d", r);
		return;
	}
	CHECK(r == 0 || r == -ENOMEM || r == -EDQUOT, "dma_alloc %llu: %d", ULL(size), r);
	if (r)
		return;
	S.o[i].live = true;
	check_buffer(i, S.o[i].b, c, size, flags & IOA_DMA_F_ZERO);
}

static void op_dma_sync(struct in *in)
{
	int i = pick(in, K_DMA);
	uint64_t off, len, alloc;
	bool ok;
	struct obj *o;
	int r;

	if (i < 0)
		return;
	o = &S.o[i];
	alloc = ioa_dma_allocated_size(o->b);
	off = take8(in) % 4 == 0 ? take64(in) : take16(in) * 16ull;
	len = take8(in) % 4 == 0 ? take64(in) : take16(in) * 16ull;
	ok = off <= alloc && len <= alloc - off;
	r = take8(in) & 1 ? ioa_dma_sync_for_device(o->b, off, len)
			  : ioa_dma_sync_for_cpu(o->b, off, len);
	CHECK(r == (ok ? 0 : -EINVAL), "sync [%llu, +%llu) of %llu: %d", ULL(off), ULL(len),
	      ULL(alloc), r);
	reports_are(!ok && S.debug[o->dom], "sync");
	len = take8(in) % 4 == 0 ? take64(in) : 1 + take16(in) * 4ull;
	ok = len && len <= alloc;
	CHECK(ioa_dma_set_buffer_size(o->b, len) == (ok ? 0 : -EINVAL), "set_buffer_size");
	reports_are(!ok && S.debug[o->dom], "set_buffer_size");
	if (ok)
		CHECK(ioa_dma_buffer_size(o->b) == len, "buffer size");
}

static void free_buffer(int i, ioa_dma_buf_t *b)
{
	struct obj *o = &S.o[i];
	uint64_t alloc = ioa_dma_allocated_size(b);

	stamp(o->dom, ioa_dma_bus(b), alloc, o->id, true);
	own(o->dom, ioa_dma_bus(b), alloc, i, false);
}

static void op_chan(struct in *in, int dom)
{
	struct ioa_constraint cs, es;
	int i = pick(in, K_CHAN), r;
	struct obj *o;

	if (i < 0) { /* create one */
		const struct ioa_constraint *c = make_constraint(in, &cs);
		uint64_t max = take8(in) % 4 ? take16(in) * 16ull : 0;

		i = free_slot();
		if (i < 0)
			return;
		S.o[i] = (struct obj){.kind = K_CHAN, .dom = dom, .id = ++S.next_id,
				      .acct = pick_account(in, dom)};
		r = ioa_dma_channel_create(S.d[dom], c, max, S.o[i].acct, &S.o[i].ch);
		CHECK(r == (constraint_ok(c) ? 0 : -EINVAL), "channel_create: %d", r);
		reports_are(!constraint_ok(c) && S.debug[dom], "channel_create");
		S.o[i].live = r == 0;
		return;
	}
	o = &S.o[i];
	switch (take8(in) % 4) {
	case 0: case 1: { /* allocate (maybe while holding one: -EBUSY) */
		const struct ioa_constraint *e = make_constraint(in, &es), *use;
		struct ioa_constraint ch, both;
		uint64_t size = 1 + take16(in) * 4ull;
		bool busy = o->b != NULL, too_big, meet;
		int want_reports;

		ioa_dma_channel_constraint(o->ch, &ch);
		too_big = size > ioa_dma_channel_max_size(o->ch);
		meet = !e || ioa_constraint_intersect(&ch, e, &both) == 0;
		use = e ? &both : &ch;
		r = ioa_dma_channel_alloc(o->ch, size, e);
		count(C_CHAN, r);
		want_reports = busy || too_big || !meet || bad_domain_request(use, size);
		reports_are(want_reports && S.debug[o->dom], "channel_alloc");
		if (busy || too_big || !meet || bad_domain_request(use, size)) {
			CHECK(r == (busy ? -EBUSY : -EINVAL), "channel_alloc: %d", r);
			return;
		}
		CHECK(r == 0 || r == -ENOMEM || r == -EDQUOT, "channel_alloc: %d", r);
		if (r)
			return;
		o->b = ioa_dma_channel_buffer(o->ch);
		CHECK(o->b, "no channel buffer");
		check_buffer(i, o->b, use, size, false);
		return;
	}
	case 2: /* free (harmless when empty) */
		if (o->b)
			free_buffer(i, o->b);
		CHECK(ioa_dma_channel_free(o->ch) == 0, "channel_free");
		CHECK(!ioa_dma_channel_buffer(o->ch), "buffer after free");
		o->b = NULL;
		return;
	default: /* destroy (frees the buffer) */
		if (o->b)
			free_buffer(i, o->b);
		CHECK(ioa_dma_channel_destroy(o->ch) == 0, "channel_destroy");
		o->live = false;
		if (S.debug[o->dom] && take8(in) & 1) { /* quarantined: a second destroy is reported */
			CHECK(ioa_dma_channel_destroy(o->ch) == -EINVAL, "second destroy");
			reports_are(1, "second destroy");
		}
	}
}

/* ---- raw allocations ------------------------------------------------------------------------------ */

static void op_raw_alloc(struct in *in, int dom)
{
	struct ioa_constraint cs;
	const struct ioa_constraint *c = make_constraint(in, &cs);
	uint64_t size = take16(in) % 3 == 0 ? take8(in) : 1 + take16(in) * 4ull, bus = 0;
	int i = free_slot(), r;
	bool bad = bad_domain_request(c, size);

	if (i < 0)
		return;
	S.o[i] = (struct obj){.kind = K_RAW, .dom = dom, .id = ++S.next_id,
			      .acct = pick_account(in, dom), .size = size};
	r = ioa_domain_alloc(S.d[dom], size, c, S.o[i].acct, &bus);
	count(C_RAW, r);
	reports_are(bad && S.debug[dom], "domain_alloc");
	if (bad) {
		CHECK(r == -EINVAL, "malformed raw request: %d", r);
		return;
	}
	CHECK(r == 0 || r == -ENOMEM || r == -EDQUOT, "domain_alloc: %d", r);
	if (r)
		return;
	size = (size + PAGE - 1) & ~(PAGE - 1);
	CHECK(fits(c, bus, size), "raw 0x%llx+%llu misses its constraint", ULL(bus), ULL(size));
	S.o[i].bus = bus;
	S.o[i].live = true;
	own(dom, bus, size, i, true);
	stamp(dom, bus, size, S.o[i].id, false);
}

/* A free that is usually wrong; the model says when it is right. */
static void op_raw_bad_free(struct in *in, int dom)
{
	uint8_t how = take8(in);
	int i = pick(in, -1);
	uint64_t bus = i >= 0 && S.o[i].kind == K_RAW ? S.o[i].bus : BUS_MIN + take16(in) * PAGE;
	uint64_t size = i >= 0 && S.o[i].kind == K_RAW ? S.o[i].size : PAGE;
	ioa_account_t *acct = i >= 0 ? S.o[i].acct : NULL;
	long pg;

	if (how & 1)
		size += PAGE;
	if (how & 2)
		bus += PAGE;
	if (how & 4)
		acct = acct ? NULL : S.capped[dom];
	pg = page_index(bus);
	if (pg >= 0 && S.owner[dom][pg]) {
		struct obj *o = &S.o[S.owner[dom][pg] - 1];

		if (o->kind == K_RAW && o->bus == bus && o->dom == dom && o->acct == acct &&
		    (o->size + PAGE - 1) / PAGE == (size + PAGE - 1) / PAGE)
			return; /* that would be a correct free */
	}
	if (!size)
		return;
	count(C_BADFREE, 1);
	CHECK(ioa_domain_free(S.d[dom], bus, size, acct) == -EINVAL, "bad free of 0x%llx+%llu "
	      "accepted", ULL(bus), ULL(size));
	reports_are(S.debug[dom], "bad free");
}

/* ---- freeing anything ------------------------------------------------------------------------------- */

static void free_obj(int i, bool probe_double)
{
	struct obj *o = &S.o[i];
	uint64_t size;

	switch (o->kind) {
	case K_PAGES:
		free_pages(i);
		if (probe_double && S.debug[o->dom]) { /* quarantined handle: reported, not UB */
			CHECK(ioa_pages_free(o->pl) == -EINVAL, "double pages_free");
			reports_are(1, "double pages_free");
		}
		break;
	case K_DMA:
		free_buffer(i, o->b);
		CHECK(ioa_dma_free(o->b) == 0, "dma_free");
		if (probe_double && S.debug[o->dom]) {
			CHECK(ioa_dma_free(o->b) == -EINVAL, "double dma_free");
			reports_are(1, "double dma_free");
		}
		break;
	case K_RAW:
		size = (o->size + PAGE - 1) & ~(PAGE - 1);
		stamp(o->dom, o->bus, size, o->id, true);
		own(o->dom, o->bus, size, i, false);
		CHECK(ioa_domain_free(S.d[o->dom], o->bus, o->size, o->acct) == 0, "raw free");
		if (probe_double) {
			CHECK(ioa_domain_free(S.d[o->dom], o->bus, o->size, o->acct) == -EINVAL,
			      "double raw free");
			reports_are(S.debug[o->dom], "double raw free");
		}
		break;
	case K_CHAN:
		if (o->b)
			free_buffer(i, o->b);
		CHECK(ioa_dma_channel_destroy(o->ch) == 0, "channel_destroy");
		break;
	}
	o->live = false;
	reports_are(0, "free");
}

/* ---- the driver ------------------------------------------------------------------------------------ */

static void check_empty(int dom)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};
	struct ioa_account_stats a = {.size = sizeof(a)};

	CHECK(ioa_domain_stats(S.d[dom], &st) == 0, "stats");
	CHECK(st.live_allocs == 0 && st.vmem.alloc_bytes == 0 && st.root.usage == 0,
	      "domain %d not empty: %llu live, %llu bytes, root usage %llu", dom,
	      ULL(st.live_allocs), ULL(st.vmem.alloc_bytes), ULL(st.root.usage));
	CHECK(ioa_account_stats(S.capped[dom], &a) == 0 && a.usage == 0, "capped usage %llu",
	      ULL(a.usage));
	for (long p = 0; p < NPAGES; p++)
		CHECK(!S.owner[dom][p], "page %ld still owned", p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	uint64_t limit = (64ull << 10) << (take8(&in) % 8);

	init_once();
	memset(S.o, 0, sizeof(S.o));
	S.reports = 0;
	for (int k = 0; k < 2; k++)
		CHECK(ioa_account_create(ioa_domain_account(S.d[k]), "capped", limit,
					 &S.capped[k]) == 0, "account");
	for (unsigned op = 0; op < 300 && in.n; op++) {
		uint8_t sel = take8(&in);
		int dom = sel >> 7, i;

		switch (sel % 12) {
		case 0: case 1: op_pages_alloc(&in, dom); break;
		case 2: op_pages_sg(&in); break;
		case 3: op_pages_iovec(&in); break;
		case 4: op_pages_map(&in); break;
		case 5: case 6: op_dma_alloc(&in, dom); break;
		case 7: op_dma_sync(&in); break;
		case 8: op_chan(&in, dom); break;
		case 9: op_raw_alloc(&in, dom); break;
		case 10: op_raw_bad_free(&in, dom); break;
		default:
			i = pick(&in, -1);
			if (i >= 0)
				free_obj(i, take8(&in) % 4 == 0);
		}
	}
	for (int i = 0; i < MAX_OBJS; i++)
		if (S.o[i].live)
			free_obj(i, false);
	for (int k = 0; k < 2; k++) {
		check_empty(k);
		CHECK(ioa_account_destroy(S.capped[k]) == 0, "account destroy");
	}
	reports_are(0, "end");
	return 0;
}
