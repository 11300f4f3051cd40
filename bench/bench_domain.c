/* SPDX-License-Identifier: MIT */
/*
 * bench_domain: constrained allocation, ioalloc against DPDK, in one run.
 *
 * What is timed: one alloc+free PAIR per sample, for 4 KiB .. 2 MiB, in two
 * modes - unconstrained, and constrained to a 4 KiB alignment, a 64 KiB
 * boundary and bus addresses below 4 GiB (a boundary smaller than the size
 * is impossible, so 256 KiB and 2 MiB use a boundary equal to their size) -
 * on three arena states: empty; fragmented (2,000 holes of 4-16 KiB between
 * 2,000 live blocks); busy (1,000 live blocks of 4-64 KiB).
 *
 * Implementations:
 *   ioalloc       ioa_domain_alloc/free on a memfd domain whose bus layout has
 *                 ranges below and above 4 GiB (LAYOUT), so the max-address
 *                 limit really selects a zone: unconstrained requests land
 *                 above 4 GiB, constrained ones in the range just below. The
 *                 arena is grown (locked, prefaulted) before measuring and
 *                 every cell checks it did not grow, so growth is never timed.
 *                 Fragmented and busy states are built in both zones, so each
 *                 request class meets the full 2,000 holes or 1,000 live.
 *   ioa_vmem      ioa_vmem_xalloc/free on a bare vmem with the same zones and
 *                 spans: the domain's overhead over its range allocator.
 *   dpdk_memzone  rte_memzone_reserve_bounded/rte_memzone_free, same align and
 *                 boundary; it has no address window, so the below-4 GiB part
 *                 of the constraint is not asked of it (nor checked).
 *   dpdk_malloc   rte_malloc_socket/rte_free with 4 KiB alignment: no boundary,
 *                 so it is measured in the unconstrained mode only.
 * DPDK's memzones and rte_malloc share one heap: its holes are made with
 * rte_malloc for both (4,000 memzones would pass RTE_MAX_MEMZONE, 2,560),
 * its busy state is 1,000 live memzones or 1,000 live rte_malloc blocks.
 *
 * Every block returned, timed or not, is checked against what was asked
 * (ioa_constraint_fits; for memzones the iova, alignment and boundary); any
 * violation or failure makes the run exit 1. --selftest runs a few hundred
 * pairs per cell for exactly that check and asserts nothing about time.
 *
 * Also measured: vmem metadata bytes per GiB and per allocation (a 1 GiB
 * domain filled with 4 KiB allocations), and the cost of ioa_domain_bus() and
 * ioa_domain_virt() at random addresses next to a /proc/self/pagemap pread.
 */
#include "harness.h"
#include "peer_dpdk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ioalloc/constraint.h>
#include <ioalloc/domain.h>
#include <ioalloc/vmem.h>

#ifdef IOA_BENCH_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#endif

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

/* A 15 MiB ISA-style range, 256 MiB just below 4 GiB, 512 MiB above it: the
 * shape of a device with a 32-bit and a 64-bit DMA window. */
#define LAYOUT "ranges=0x100000+15M:0xf0000000+256M:0x100000000+512M"
#define LOW_RANGES 2 /* the first two ranges lie below 4 GiB */
/* Bytes grown per request class before measuring: the fragmented state holds
 * at most 4,000 x 16 KiB = 62.5 MiB, busy 1,000 x 64 KiB, a pair 2 MiB. */
#define WARM_BYTES (192 * MiB)
#define MAX_4G (4 * GiB - 1)
#define BOUNDARY (64 * KiB)
#define ALIGN (4 * KiB)
#define FRAG_BLOCKS 4000 /* every other one freed: 2,000 holes */
#define BUSY_BLOCKS 1000
#define SEED 0x1234abcdu
/* The targets (docs/BENCHMARKS.md, research/perf.md section 4). */
#define TARGET_P99_NS 300.0
#define DPDK_1000_ZONES_REF_NS 7000.0 /* perf.md: 7.25 us with 1,000 live memzones */

static const uint64_t sizes[] = {4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 2 * MiB};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

enum arena_state { ST_EMPTY, ST_FRAGMENTED, ST_BUSY, ST_COUNT };
static const char *const state_names[ST_COUNT] = {"empty", "fragmented", "busy"};
static const char *const state_titles[ST_COUNT] = {
	"Empty arena: alloc+free pair",
	"Fragmented arena (2,000 holes of 4-16 KiB between 2,000 live blocks): alloc+free pair",
	"Busy arena (1,000 live blocks of 4-64 KiB): alloc+free pair",
};

enum mode { M_CONSTRAINED, M_ANY, M_COUNT };
static const char *const mode_names[M_COUNT] = {"constrained", "unconstrained"};

/* A block of some implementation: its address and the handle to free it. */
struct blk {
	uint64_t addr, size;
	void *h;
};

/* An allocator under test, for building arena states (untimed). */
struct impl {
	const char *name;
	int (*alloc)(struct impl *im, uint64_t size, enum mode m, struct blk *out);
	int (*release)(struct impl *im, struct blk *b);
	enum mode classes[M_COUNT]; /* request classes a state is built for */
	unsigned nclasses;
	ioa_domain_t *d;
	ioa_vmem_t *vm;
	unsigned long seq;          /* memzone names */
	struct blk *live;           /* the state's live blocks */
	size_t nlive;
};

/* One timed cell: a pair of size bytes in mode m. */
struct pair {
	struct impl *im;
	uint64_t size;
	enum mode m;
	struct ioa_constraint c;    /* ioalloc: the constraint asked */
	uint64_t align, bound;      /* DPDK: the same, as its arguments */
	char name[32];              /* memzone: a unique name, made untimed */
	uint64_t got, got_len;      /* what the last run returned */
	char why[160];
};

struct run {
	struct bench *b;
	struct bench_opts o;
	struct bench_budget bud;
	struct peer_dpdk dpdk;      /* the DPDK peer */
};

/* The boundary used for size: 64 KiB, or the size itself when larger. */
static uint64_t boundary_for(uint64_t size)
{
	return size > BOUNDARY ? size : BOUNDARY;
}

static void constraint_for(uint64_t size, enum mode m, struct ioa_constraint *c)
{
	ioa_constraint_init(c);
	if (m == M_ANY)
		return;
	c->max_addr = MAX_4G;
	c->align = ALIGN;
	c->boundary = boundary_for(size);
}

static const char *size_name(uint64_t size, char *buf, size_t len)
{
	snprintf(buf, len, size >= MiB ? "%" PRIu64 "M" : "%" PRIu64 "K",
		 size >= MiB ? size / MiB : size / KiB);
	return buf;
}

/* The requests the state builder makes: 4 KiB multiples in [lo, hi]. */
static uint64_t rand_size(uint64_t *seed, uint64_t lo, uint64_t hi)
{
	return lo + (bench_rand(seed) % ((hi - lo) / (4 * KiB) + 1)) * 4 * KiB;
}

/* ---- ioalloc: domain and vmem ---------------------------------------------------- */

/* The window a state block of class m is allocated in (no boundary, so the
 * state's blocks are packed as tightly as the allocator likes). */
static void state_constraint(enum mode m, struct ioa_constraint *c)
{
	ioa_constraint_init(c);
	if (m == M_CONSTRAINED)
		c->max_addr = MAX_4G;
}

static int domain_alloc(struct impl *im, uint64_t size, enum mode m, struct blk *out)
{
	struct ioa_constraint c;
	int r;

	state_constraint(m, &c);
	r = ioa_domain_alloc(im->d, size, &c, NULL, &out->addr);
	out->size = size;
	if (!r && !ioa_constraint_fits(&c, out->addr, size))
		r = -EFAULT;
	return r;
}

static int domain_release(struct impl *im, struct blk *b)
{
	return ioa_domain_free(im->d, b->addr, b->size, NULL);
}

static int vmem_alloc(struct impl *im, uint64_t size, enum mode m, struct blk *out)
{
	struct ioa_constraint c;
	int r;

	state_constraint(m, &c);
	r = ioa_vmem_xalloc(im->vm, size, 0, &c, &out->addr);
	out->size = size;
	if (!r && !ioa_constraint_fits(&c, out->addr, size))
		r = -EFAULT;
	return r;
}

static int vmem_release(struct impl *im, struct blk *b)
{
	return ioa_vmem_free(im->vm, b->addr, b->size);
}

static int pair_err(struct pair *p, const char *call, int r)
{
	snprintf(p->why, sizeof(p->why), "%s: %s", call, strerror(r < 0 ? -r : r));
	return 1;
}

static int run_domain(void *arg)
{
	struct pair *p = arg;
	uint64_t bus;
	int r = ioa_domain_alloc(p->im->d, p->size, p->m == M_ANY ? NULL : &p->c, NULL, &bus);

	if (r)
		return pair_err(p, "ioa_domain_alloc", r);
	p->got = bus;
	r = ioa_domain_free(p->im->d, bus, p->size, NULL);
	return r ? pair_err(p, "ioa_domain_free", r) : 0;
}

static int run_vmem(void *arg)
{
	struct pair *p = arg;
	uint64_t addr;
	int r = ioa_vmem_xalloc(p->im->vm, p->size, 0, &p->c, &addr);

	if (r)
		return pair_err(p, "ioa_vmem_xalloc", r);
	p->got = addr;
	r = ioa_vmem_free(p->im->vm, addr, p->size);
	return r ? pair_err(p, "ioa_vmem_free", r) : 0;
}

/* Every ioalloc block: inside the constraint asked (for "unconstrained",
 * page aligned), and for the domain, inside the arena's linear map. */
static int check_ioa(void *arg)
{
	struct pair *p = arg;
	bool ok = ioa_constraint_fits(&p->c, p->got, p->size) && p->got % ALIGN == 0;

	if (ok && p->im->d)
		ok = ioa_domain_virt(p->im->d, p->got) &&
		     ioa_domain_virt(p->im->d, p->got + p->size - 1);
	if (!ok)
		snprintf(p->why, sizeof(p->why), "VIOLATION: %s returned 0x%" PRIx64 "+%" PRIu64
			 " outside its constraint", p->im->name, p->got, p->size);
	return !ok;
}

static int domain_create(const char *spec, ioa_domain_t **d)
{
	struct ioa_domain_config cfg;
	char err[128];
	int r;

	ioa_domain_config_init(&cfg);
	cfg.name = "bench";
	r = ioa_domain_config_parse(&cfg, spec, err, sizeof(err));
	if (r) {
		fprintf(stderr, "bench_domain: config '%s': %s\n", spec, err);
		return r;
	}
	return ioa_domain_create(&cfg, d);
}

/* Grow the arena where each request class lands, then give it back. */
static int domain_warm(struct impl *im)
{
	for (unsigned i = 0; i < im->nclasses; i++) {
		struct blk b;
		int r = domain_alloc(im, WARM_BYTES, im->classes[i], &b);

		if (!r)
			r = domain_release(im, &b);
		if (r)
			return r;
	}
	return 0;
}

static int vmem_setup(ioa_vmem_t **out)
{
	struct ioa_domain_config cfg;
	char err[128];
	int r;

	ioa_domain_config_init(&cfg);
	r = ioa_domain_config_parse(&cfg, LAYOUT, err, sizeof(err));
	if (!r)
		r = ioa_vmem_create("bench", 4 * KiB, out);
	/* Zones first: a vmem takes no zone once it holds a span. */
	for (unsigned i = 0; !r && i < cfg.nranges; i++)
		r = ioa_vmem_add_zone(*out, cfg.ranges[i].base, cfg.ranges[i].size);
	for (unsigned i = 0; !r && i < cfg.nranges; i++)
		r = ioa_vmem_add(*out, cfg.ranges[i].base, cfg.ranges[i].size);
	return r;
}

static uint64_t arena_bytes(ioa_domain_t *d)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	return d && ioa_domain_stats(d, &st) == 0 ? st.arena_bytes : 0;
}

/* ---- DPDK ------------------------------------------------------------------------- */

#ifdef IOA_BENCH_HAVE_DPDK
static int mz_alloc(struct impl *im, uint64_t size, enum mode m, struct blk *out)
{
	char name[32];
	const struct rte_memzone *mz;

	(void)m;
	snprintf(name, sizeof(name), "s%lu", im->seq++);
	mz = rte_memzone_reserve_bounded(name, size, SOCKET_ID_ANY, 0, ALIGN, 0);
	if (!mz)
		return -rte_errno;
	*out = (struct blk){mz->iova, size, (void *)(uintptr_t)mz};
	return mz->iova % ALIGN ? -EFAULT : 0;
}

static int mz_release(struct impl *im, struct blk *b)
{
	(void)im;
	return rte_memzone_free(b->h);
}

static int rmalloc_alloc(struct impl *im, uint64_t size, enum mode m, struct blk *out)
{
	void *p = rte_malloc_socket(NULL, size, ALIGN, SOCKET_ID_ANY);

	(void)im;
	(void)m;
	if (!p)
		return -ENOMEM;
	*out = (struct blk){(uintptr_t)p, size, p};
	return (uintptr_t)p % ALIGN ? -EFAULT : 0;
}

static int rmalloc_release(struct impl *im, struct blk *b)
{
	(void)im;
	rte_free(b->h);
	return 0;
}

static int prep_mz(void *arg)
{
	struct pair *p = arg;

	snprintf(p->name, sizeof(p->name), "b%lu", p->im->seq++);
	return 0;
}

static int run_mz(void *arg)
{
	struct pair *p = arg;
	const struct rte_memzone *mz =
		rte_memzone_reserve_bounded(p->name, p->size, SOCKET_ID_ANY, 0, p->align, p->bound);

	if (!mz)
		return pair_err(p, "rte_memzone_reserve_bounded", rte_errno);
	p->got = mz->iova;
	p->got_len = mz->len;
	return rte_memzone_free(mz) ? pair_err(p, "rte_memzone_free", EINVAL) : 0;
}

static int run_rmalloc(void *arg)
{
	struct pair *p = arg;
	void *v = rte_malloc_socket(NULL, p->size, p->align, SOCKET_ID_ANY);

	if (!v)
		return pair_err(p, "rte_malloc_socket", ENOMEM);
	p->got = (uintptr_t)v;
	p->got_len = p->size;
	rte_free(v);
	return 0;
}

/* Free and allocated elements of the heap (rte_malloc_get_socket_stats). */
static void dpdk_heap_counts(uint64_t *nfree, uint64_t *nlive)
{
	struct rte_malloc_socket_stats ms;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &ms) == 0)
		*nfree = ms.free_count, *nlive = ms.alloc_count;
}

/* A DPDK block: aligned, long enough, and not crossing the boundary asked. */
static int check_dpdk(void *arg)
{
	struct pair *p = arg;
	bool ok = p->got % p->align == 0 && p->got_len >= p->size;

	if (ok && p->bound)
		ok = ((p->got ^ (p->got + p->size - 1)) & ~(p->bound - 1)) == 0;
	if (!ok)
		snprintf(p->why, sizeof(p->why), "VIOLATION: %s returned iova 0x%" PRIx64 "+%" PRIu64
			 " (len %" PRIu64 ") breaking align %" PRIu64 "/bound %" PRIu64,
			 p->im->name, p->got, p->size, p->got_len, p->align, p->bound);
	return !ok;
}
#endif /* IOA_BENCH_HAVE_DPDK */

/* ---- arena states ------------------------------------------------------------------ */

static void state_clear(struct run *rn, struct impl *im)
{
	for (size_t i = 0; i < im->nlive; i++)
		if (im->live[i].size && im->release(im, &im->live[i]))
			bench_fail(rn->b, "%s: freeing a state block failed", im->name);
	im->nlive = 0;
}

/* Allocate n blocks of class m with sizes in [lo, hi] onto im->live. */
static int state_fill(struct impl *im, enum mode m, size_t n, uint64_t lo, uint64_t hi,
		      uint64_t *seed)
{
	for (size_t i = 0; i < n; i++) {
		struct blk *b = &im->live[im->nlive];
		int r = im->alloc(im, rand_size(seed, lo, hi), m, b);

		if (r)
			return r;
		im->nlive++;
	}
	return 0;
}

/* Free every other block allocated since index from (the holes). */
static int state_punch(struct impl *im, size_t from)
{
	for (size_t i = from; i < im->nlive; i += 2) {
		int r = im->release(im, &im->live[i]);

		if (r)
			return r;
		im->live[i].size = 0; /* freed: state_clear skips it */
	}
	return 0;
}

static int state_build(struct run *rn, struct impl *im, enum arena_state st)
{
	uint64_t seed = SEED;
	int r = 0;

	for (unsigned k = 0; k < im->nclasses && !r; k++) {
		size_t from = im->nlive;

		if (st == ST_FRAGMENTED)
			r = state_fill(im, im->classes[k], FRAG_BLOCKS, 4 * KiB, 16 * KiB, &seed);
		if (st == ST_FRAGMENTED && !r)
			r = state_punch(im, from);
		if (st == ST_BUSY)
			r = state_fill(im, im->classes[k], BUSY_BLOCKS, 4 * KiB, 64 * KiB, &seed);
	}
	if (r)
		bench_fail(rn->b, "%s: building the %s state failed: %s", im->name,
			   state_names[st], strerror(-r));
	return r;
}

/* ---- cells ------------------------------------------------------------------------- */

static void case_name(enum arena_state st, uint64_t size, enum mode m, char *buf, size_t len)
{
	char sz[16];

	snprintf(buf, len, "%s/%s/%s", state_names[st], size_name(size, sz, sizeof(sz)),
		 mode_names[m]);
}

static void measure_cell(struct run *rn, struct impl *im, const char *cname, struct pair *p,
			 int (*run)(void *), int (*prep)(void *), int (*check)(void *))
{
	struct bench_op op = {.prep = prep, .run = run, .check = check, .arg = p,
			      .why = p->why, .why_len = sizeof(p->why)};
	uint64_t before = arena_bytes(im->d);

	bench_measure(rn->b, cname, im->name, &op, &rn->bud);
	if (im->d && arena_bytes(im->d) != before)
		bench_note(rn->b, "%s: the arena grew during %s (growth was timed)", im->name,
			   cname);
}

static void pair_init(struct pair *p, struct impl *im, uint64_t size, enum mode m)
{
	memset(p, 0, sizeof(*p));
	p->im = im;
	p->size = size;
	p->m = m;
	constraint_for(size, m, &p->c);
	p->align = ALIGN;
	p->bound = m == M_CONSTRAINED ? boundary_for(size) : 0;
}

static void measure_ioa(struct run *rn, struct impl *im, enum arena_state st)
{
	for (unsigned m = 0; m < M_COUNT; m++) {
		for (size_t i = 0; i < NSIZES; i++) {
			struct pair p;
			char cname[64];

			pair_init(&p, im, sizes[i], (enum mode)m);
			case_name(st, sizes[i], (enum mode)m, cname, sizeof(cname));
			measure_cell(rn, im, cname, &p, im->d ? run_domain : run_vmem, NULL,
				     check_ioa);
		}
	}
}

#ifdef IOA_BENCH_HAVE_DPDK
static void measure_dpdk(struct run *rn, struct impl *im, enum arena_state st, bool malloc_)
{
	for (unsigned m = 0; m < M_COUNT; m++) {
		for (size_t i = 0; i < NSIZES; i++) {
			struct pair p;
			char cname[64];

			if (malloc_ && m == M_CONSTRAINED)
				continue; /* no boundary argument: not comparable */
			pair_init(&p, im, sizes[i], (enum mode)m);
			case_name(st, sizes[i], (enum mode)m, cname, sizeof(cname));
			measure_cell(rn, im, cname, &p, malloc_ ? run_rmalloc : run_mz,
				     malloc_ ? NULL : prep_mz, check_dpdk);
		}
	}
}
#endif

static void skip_impl(struct run *rn, const char *impl, enum arena_state st, bool malloc_)
{
	for (unsigned m = 0; m < M_COUNT; m++) {
		for (size_t i = 0; i < NSIZES; i++) {
			char cname[64];

			if (malloc_ && m == M_CONSTRAINED)
				continue;
			case_name(st, sizes[i], (enum mode)m, cname, sizeof(cname));
			bench_unavailable(rn->b, cname, impl, rn->dpdk.why);
		}
	}
}

/* ---- the allocation tables ------------------------------------------------------------ */

struct impls {
	struct impl domain, vmem, mz, rmalloc;
};

static int impls_setup(struct run *rn, struct impls *is)
{
	size_t cap = 2 * FRAG_BLOCKS + 2 * BUSY_BLOCKS;
	int r;

	is->domain = (struct impl){"ioalloc", domain_alloc, domain_release,
				   {M_CONSTRAINED, M_ANY}, 2, NULL, NULL, 0, NULL, 0};
	is->vmem = (struct impl){"ioa_vmem", vmem_alloc, vmem_release,
				 {M_CONSTRAINED, M_ANY}, 2, NULL, NULL, 0, NULL, 0};
#ifdef IOA_BENCH_HAVE_DPDK
	is->mz = (struct impl){"dpdk_memzone", mz_alloc, mz_release, {M_ANY}, 1, NULL, NULL,
			       0, NULL, 0};
	is->rmalloc = (struct impl){"dpdk_malloc", rmalloc_alloc, rmalloc_release, {M_ANY}, 1,
				    NULL, NULL, 0, NULL, 0};
#endif
	is->domain.live = calloc(cap, sizeof(struct blk));
	is->vmem.live = calloc(cap, sizeof(struct blk));
	is->mz.live = calloc(cap, sizeof(struct blk));
	is->rmalloc.live = calloc(cap, sizeof(struct blk));
	r = is->domain.live && is->vmem.live && is->mz.live && is->rmalloc.live ? 0 : -ENOMEM;
	if (!r)
		r = domain_create(LAYOUT, &is->domain.d);
	if (!r)
		r = domain_warm(&is->domain);
	if (!r)
		r = vmem_setup(&is->vmem.vm);
	if (r)
		bench_fail(rn->b, "setting up the ioalloc domain/vmem failed: %s", strerror(-r));
	return r;
}

static void impls_teardown(struct impls *is)
{
	if (is->domain.d && ioa_domain_destroy(is->domain.d))
		fprintf(stderr, "bench_domain: the bench leaked domain allocations\n");
	ioa_vmem_destroy(is->vmem.vm);
	free(is->domain.live);
	free(is->vmem.live);
	free(is->mz.live);
	free(is->rmalloc.live);
}

/* Free runs and live blocks after a state was built, from each allocator's own
 * statistics: the evidence the state is what its title says. */
static void state_describe(struct run *rn, struct impl *im, enum arena_state st)
{
	struct ioa_domain_stats ds = {.size = sizeof(ds)};
	struct ioa_vmem_stats vs = {.size = sizeof(vs)};
	uint64_t nfree = 0, nlive = 0;
	bool dpdk = !im->d && !im->vm;

	if (im->d && ioa_domain_stats(im->d, &ds) == 0)
		nfree = ds.vmem.free_segs, nlive = ds.vmem.alloc_segs;
	else if (im->vm && ioa_vmem_stats(im->vm, &vs) == 0)
		nfree = vs.free_segs, nlive = vs.alloc_segs;
#ifdef IOA_BENCH_HAVE_DPDK
	else if (dpdk)
		dpdk_heap_counts(&nfree, &nlive);
#endif
	bench_note(rn->b, "%s state, %s: %" PRIu64 " free runs, %" PRIu64 " live blocks (%s)",
		   state_names[st], im->name, nfree, nlive,
		   dpdk ? "the DPDK heap's elements" : "all zones");
}

/* Build state st in one implementation, measure it, take the state down. */
static void measure_state_of(struct run *rn, struct impl *im, enum arena_state st,
			     bool dpdk_malloc)
{
	if (state_build(rn, im, st) == 0) {
		if (st != ST_EMPTY || im->d)
			state_describe(rn, im, st);
		if (im->d || im->vm)
			measure_ioa(rn, im, st);
#ifdef IOA_BENCH_HAVE_DPDK
		else
			measure_dpdk(rn, im, st, dpdk_malloc);
#else
		(void)dpdk_malloc;
#endif
	}
	state_clear(rn, im);
}

#ifdef IOA_BENCH_HAVE_DPDK
/* DPDK's shared heap gets its holes from rte_malloc (see the top comment). */
static void measure_state_dpdk(struct run *rn, struct impls *is, enum arena_state st)
{
	if (st == ST_FRAGMENTED) {
		if (state_build(rn, &is->rmalloc, st) == 0) {
			state_describe(rn, &is->rmalloc, st);
			measure_dpdk(rn, &is->mz, st, false);
			measure_dpdk(rn, &is->rmalloc, st, true);
		}
		state_clear(rn, &is->rmalloc);
		return;
	}
	measure_state_of(rn, &is->mz, st, false);
	measure_state_of(rn, &is->rmalloc, st, true);
}
#endif

static void measure_state(struct run *rn, struct impls *is, enum arena_state st)
{
	bench_table(rn->b, state_names[st], state_titles[st], "ioalloc");
	measure_state_of(rn, &is->domain, st, false);
	measure_state_of(rn, &is->vmem, st, false);
#ifdef IOA_BENCH_HAVE_DPDK
	if (rn->dpdk.up) {
		measure_state_dpdk(rn, is, st);
		return;
	}
#endif
	skip_impl(rn, "dpdk_memzone", st, false);
	skip_impl(rn, "dpdk_malloc", st, true);
}

/* The worst constrained p99 of impl over the sizes, in state st. */
static double worst_p99(struct run *rn, const char *impl, enum arena_state st, char *at,
			size_t len)
{
	double worst = -1;

	for (size_t i = 0; i < NSIZES; i++) {
		char cname[64];
		const struct bench_stats *s;

		case_name(st, sizes[i], M_CONSTRAINED, cname, sizeof(cname));
		s = bench_get(rn->b, cname, impl);
		if (s && s->p99 > worst) {
			worst = s->p99;
			snprintf(at, len, "%s", cname);
		}
	}
	return worst;
}

static void report_targets(struct run *rn)
{
	const struct bench_stats *s;
	char what[200], at[64];

	for (unsigned st = 0; st < ST_COUNT; st++) {
		double w = worst_p99(rn, "ioalloc", (enum arena_state)st, at, sizeof(at));

		if (w < 0)
			continue;
		snprintf(what, sizeof(what), "ioalloc constrained pair p99, %s arena, worst size "
			 "(%s)", state_names[st], at);
		bench_target(rn->b, what, w, TARGET_P99_NS, false);
	}
	s = bench_get(rn->b, "busy/4K/constrained", "dpdk_memzone");
	if (s)
		bench_target(rn->b, "dpdk_memzone 4K bounded pair p50, 1,000 live zones (perf.md: "
			     "~7 us for the reserve alone)", s->p50, DPDK_1000_ZONES_REF_NS, true);
}

static void allocation_notes(struct run *rn)
{
	bench_note(rn->b, "constrained = align 4 KiB, boundary 64 KiB (256K: 256 KiB, 2M: 2 MiB, "
		   "since a boundary below the size is impossible), bus address <= 4 GiB - 1");
	bench_note(rn->b, "ioalloc domain layout: %s; arena grown %" PRIu64 " MiB per request "
		   "class (locked, prefaulted) before measuring; no cell saw it grow unless a "
		   "note says so", LAYOUT, WARM_BYTES / MiB);
	bench_note(rn->b, "dpdk_memzone: rte_memzone_reserve_bounded has no address window, so "
		   "its constrained rows honour align and boundary only (checked on mz->iova)");
	bench_note(rn->b, "dpdk_malloc: rte_malloc_socket has no boundary, so it runs "
		   "unconstrained only (align 4 KiB); rte_free zeroes the block, an O(size) "
		   "cost included in its pairs");
	bench_note(rn->b, "ioalloc's fragmented/busy states are built in both of its zones "
		   "(each request class meets the full count); DPDK's heap is one: holes made "
		   "with rte_malloc, busy = 1,000 live memzones or rte_malloc blocks");
}

/* ---- metadata overhead -------------------------------------------------------------- */

static uint64_t meta_bytes(ioa_domain_t *d, uint64_t *span)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	if (ioa_domain_stats(d, &st))
		return 0;
	if (span)
		*span = st.vmem.span_bytes;
	return st.vmem.meta_bytes;
}

/* Fill d with 4 KiB allocations until -ENOMEM; the count, or 0 on error. */
static size_t fill_4k(struct run *rn, ioa_domain_t *d, uint64_t **out)
{
	size_t n = 0, cap = GiB / (4 * KiB);
	uint64_t *bus = malloc(cap * sizeof(*bus));
	int r = 0;

	*out = bus;
	while (bus && n < cap && (r = ioa_domain_alloc(d, 4 * KiB, NULL, NULL, &bus[n])) == 0) {
		if (!ioa_domain_virt(d, bus[n]) || bus[n] % (4 * KiB))
			bench_fail(rn->b, "metadata fill: bad block 0x%" PRIx64, bus[n]);
		n++;
	}
	if (!bus || (r && r != -ENOMEM))
		bench_fail(rn->b, "metadata fill: %s", strerror(bus ? -r : ENOMEM));
	return n;
}

static void measure_metadata(struct run *rn)
{
	ioa_domain_t *d;
	uint64_t *bus = NULL, span = 0, empty, full;
	size_t n;
	int r = domain_create("size=1G,lock=0,prefault=0", &d);

	if (r) {
		bench_fail(rn->b, "metadata: cannot create a 1 GiB domain: %s", strerror(-r));
		return;
	}
	empty = meta_bytes(d, NULL);
	n = fill_4k(rn, d, &bus);
	full = meta_bytes(d, &span);
	for (size_t i = 0; i < n; i++)
		if (ioa_domain_free(d, bus[i], 4 * KiB, NULL))
			bench_fail(rn->b, "metadata: freeing block %zu failed", i);
	bench_metric(rn->b, "meta_bytes_empty_arena", (double)empty, "bytes");
	bench_metric(rn->b, "allocs_4k_to_fill_1gib", (double)n, "allocations");
	bench_metric(rn->b, "meta_bytes_full_arena", (double)full, "bytes");
	if (span)
		bench_metric(rn->b, "meta_bytes_per_gib_full", (double)full * (double)GiB /
			     (double)span, "bytes/GiB");
	if (n)
		bench_metric(rn->b, "meta_bytes_per_alloc", (double)(full - empty) / (double)n,
			     "bytes");
	bench_metric(rn->b, "meta_bytes_after_freeing_all", (double)meta_bytes(d, NULL), "bytes");
	free(bus);
	ioa_domain_destroy(d);
	bench_note(rn->b, "metadata: a domain 'size=1G,lock=0,prefault=0' (never touched, so no "
		   "memory is used) filled with 4 KiB allocations; vmem meta_bytes from "
		   "ioa_domain_stats");
}

/* ---- translation ------------------------------------------------------------------- */

#define NADDR 4096 /* random addresses, a power of two */
#define XLATE_BATCH 256

struct xlate {
	ioa_domain_t *d;
	uint64_t base_bus;
	uint8_t *base_va;
	uint8_t *va[NADDR];
	unsigned i;
	uint64_t bus;     /* the last result */
	void *virt;
	int fd;           /* /proc/self/pagemap */
	uint64_t entry;
	size_t reads, pfns; /* pagemap entries read, and how many held a PFN */
	char why[160];
};

static int run_bus(void *arg)
{
	struct xlate *x = arg;

	x->i = (x->i + 1) & (NADDR - 1);
	return ioa_domain_bus(x->d, x->va[x->i], &x->bus);
}

static int run_virt(void *arg)
{
	struct xlate *x = arg;

	x->i = (x->i + 1) & (NADDR - 1);
	x->virt = ioa_domain_virt(x->d, x->base_bus + (uint64_t)(x->va[x->i] - x->base_va));
	return 0;
}

static int run_pagemap(void *arg)
{
	struct xlate *x = arg;
	off_t off = (off_t)((uintptr_t)x->va[x->i] / 4096 * 8);

	x->i = (x->i + 1) & (NADDR - 1);
	return pread(x->fd, &x->entry, 8, off) == 8 ? 0 : 1;
}

/* The last translation agrees with the linear map both ways. */
static int check_xlate(void *arg)
{
	struct xlate *x = arg;
	uint8_t *va = x->va[x->i];
	uint64_t bus = x->base_bus + (uint64_t)(va - x->base_va), back;
	bool ok = ioa_domain_virt(x->d, bus) == va && ioa_domain_bus(x->d, va, &back) == 0 &&
		  back == bus;

	if (!ok)
		snprintf(x->why, sizeof(x->why), "VIOLATION: translation of %p is inconsistent",
			 (void *)va);
	return !ok;
}

static int check_pagemap(void *arg)
{
	struct xlate *x = arg;

	x->reads++;
	x->pfns += (x->entry & ((1ull << 55) - 1)) != 0; /* bits 0-54: the PFN */
	return 0;
}

static void xlate_setup(struct xlate *x, ioa_domain_t *d, uint64_t bus, uint64_t len)
{
	uint64_t seed = SEED;

	x->d = d;
	x->base_bus = bus;
	x->base_va = ioa_domain_virt(d, bus);
	for (unsigned k = 0; k < NADDR; k++)
		x->va[k] = x->base_va + bench_rand(&seed) % len;
	x->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

static void measure_xlate_cells(struct run *rn, struct xlate *x)
{
	struct bench_op op = {.run = run_bus, .check = check_xlate, .arg = x, .why = x->why,
			      .why_len = sizeof(x->why)};

	bench_measure_batch(rn->b, "random address", "ioa_domain_bus", &op, XLATE_BATCH,
			    &rn->bud);
	op.run = run_virt;
	bench_measure_batch(rn->b, "random address", "ioa_domain_virt", &op, XLATE_BATCH,
			    &rn->bud);
	if (x->fd < 0) {
		bench_skip(rn->b, "random address", "pagemap_pread", strerror(errno));
		return;
	}
	op.run = run_pagemap;
	op.check = check_pagemap;
	bench_measure(rn->b, "random address", "pagemap_pread", &op, &rn->bud);
	bench_note(rn->b, "pagemap: %zu of %zu entries read held a PFN%s", x->pfns, x->reads,
		   x->pfns ? "" : " (none: no CAP_SYS_ADMIN; the preads were still timed)");
}

static void measure_xlate(struct run *rn, ioa_domain_t *d)
{
	struct xlate *x = calloc(1, sizeof(*x));
	uint64_t len = 64 * MiB, bus;

	bench_table(rn->b, "translate", "Translation at random addresses of a 64 MiB block "
		    "(ns per call; ioa_domain_* timed in batches of 256)", "ioa_domain_bus");
	if (!x || ioa_domain_alloc(d, len, NULL, NULL, &bus)) {
		bench_fail(rn->b, "translation: cannot allocate the 64 MiB block");
		free(x);
		return;
	}
	xlate_setup(x, d, bus, len);
	measure_xlate_cells(rn, x);
	if (x->fd >= 0)
		close(x->fd);
	if (ioa_domain_free(d, bus, len, NULL))
		bench_fail(rn->b, "translation: freeing the block failed");
	free(x);
}

/* ---- main -------------------------------------------------------------------------- */

static void set_budget(struct run *rn)
{
	rn->bud = bench_budget_for(&rn->o, (struct bench_budget){500, 5000, 20 * 1000 * 1000ull},
				   (struct bench_budget){2000, 50000, 300 * 1000 * 1000ull});
}

static void start_dpdk(struct run *rn)
{
	peer_dpdk_start(&rn->dpdk, rn->b, "bench_domain", "IOVA as VA: iova = virtual address");
}

static void stop_dpdk(struct run *rn)
{
	peer_dpdk_stop(&rn->dpdk);
}

int main(int argc, char **argv)
{
	struct run rn = {0};
	struct impls is;
	int r = bench_parse_args(argc, argv, "domain", &rn.o);

	if (r)
		return r > 0 ? 0 : 2;
	memset(&is, 0, sizeof(is));
	rn.b = bench_begin("domain", &rn.o);
	if (!rn.b)
		return 1;
	set_budget(&rn);
	start_dpdk(&rn);
	if (impls_setup(&rn, &is) == 0) {
		for (unsigned st = 0; st < ST_COUNT; st++)
			measure_state(&rn, &is, (enum arena_state)st);
		measure_xlate(&rn, is.domain.d);
	}
	measure_metadata(&rn);
	report_targets(&rn);
	allocation_notes(&rn);
	impls_teardown(&is);
	stop_dpdk(&rn);
	return bench_end(rn.b);
}
