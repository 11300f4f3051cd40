/* SPDX-License-Identifier: MIT */
/*
 * Stress: threads doing a randomized mix of everything the library has -
 * raw domain allocations, page lists (allocated, mapped, ring-mapped,
 * unmapped, freed), DMA buffers and channels, objects of a shared domain
 * pool and refcounted buffers of a shared allocator (both put or unref'd by
 * whichever thread ends up holding them), charged to a small tree of
 * accounts (one of them capped, so -EDQUOT happens), and private domains
 * created and destroyed - with objects handed from thread to thread (after
 * mimalloc's test-stress). Every object carries content stamps: the thread
 * that allocates it writes its id, a sequence number and the bus address at
 * the start of every page and in its last bytes, and whoever frees it checks
 * them first, so an overlap or a lost write shows as a content mismatch.
 * Randomness is a fixed-seed splitmix64 per thread.
 *
 * At the end everything is freed and checked: no live allocation, no charge
 * left on any account, no leaked file descriptor, the domain destroyed with
 * zero leaks. Under IOALLOC_FAULT (platform fault injection) every refused
 * call must fail cleanly, and the same holds.
 *
 * Usage: stress [--threads N] [--seconds S] [--seed N] [--domain SPEC] [--debug]
 * Prints one summary line; exit 0 only with zero mismatches, zero leaks and
 * no unexpected error.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ioalloc/account.h>
#include <ioalloc/buf.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>
#include <ioalloc/pool.h>

#include "platform/platform.h"

#define MAX_THREADS 64
#define SLOTS 16          /* objects a thread holds at most */
#define EXCHANGE 64       /* objects in flight between threads */
#define PAGE 4096u

enum kind { K_RAW, K_DMA, K_PAGES, K_CHAN, K_POOL, K_BUF, K_NKINDS };

#define POOL_OBJ 512u /* a pool object: one stamp and the last bytes */

struct obj {
	enum kind kind;
	uint64_t owner, seq;      /* who stamped it, and when */
	ioa_account_t *acct;
	uint64_t bus, size;       /* K_RAW */
	ioa_dma_buf_t *b;         /* K_DMA */
	ioa_dma_channel_t *ch;    /* K_CHAN (its buffer: ioa_dma_channel_buffer) */
	ioa_pages_t *pl;          /* K_PAGES */
	void *pobj;               /* K_POOL */
	ioa_buf_t *buf;           /* K_BUF */
	void *map;
	bool ring;
};

/* The stamp at the start of each page (and, for the last bytes, a copy). */
struct stamp {
	uint64_t magic, owner, seq, where;
};
#define STAMP_MAGIC 0x5354524553533031ull /* "STRESS01" */

static struct {
	ioa_domain_t *d;
	ioa_pool_t *pool;        /* shared by every thread */
	ioa_buf_allocator_t *ba; /* shared by every thread */
	ioa_account_t *acct[5]; /* [0]: root; [4]: capped */
	unsigned threads;
	double seconds;
	uint64_t seed;
	const char *spec;
	bool debug;
	_Atomic bool stop;
	_Atomic uint64_t mismatches, unexpected;
	pthread_mutex_t xlock;
	struct obj *exchange[EXCHANGE];
	unsigned nx;
} G = {.threads = 4, .seconds = 2, .seed = 1, .spec = "size=128M,chunk=2M"};

enum { OP_ALLOC, OP_FREE, OP_MAP, OP_UNMAP, OP_SYNC, OP_HANDOFF, OP_TAKE, OP_DOMAIN,
       OP_REFUSED, OP_N };
static const char *const op_names[OP_N] = {"alloc", "free", "map", "unmap", "sync", "handoff",
					   "take", "domain", "refused"};

struct thread {
	pthread_t tid;
	unsigned id;
	uint64_t rng, seq;
	uint64_t ops[OP_N];
	struct obj *slot[SLOTS];
};

static uint64_t rnd(struct thread *t)
{
	uint64_t z = (t->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void unexpected(const char *what, int r)
{
	fprintf(stderr, "stress: %s: unexpected %d (%s)\n", what, r, strerror(-r));
	atomic_fetch_add(&G.unexpected, 1);
}

/* A refusal the library may give under load or injected faults. */
static bool refusal(int r)
{
	return r == -ENOMEM || r == -EDQUOT || r == -EPERM;
}

/* ---- stamps ---------------------------------------------------------------------- */

/* The memory of o as ranges in the linear map: calls fn for each run. */
static void each_range(ioa_domain_t *d, struct obj *o, void (*fn)(uint8_t *, uint64_t, struct obj *))
{
	struct ioa_run runs[256];
	ioa_dma_buf_t *b = o->kind == K_CHAN ? ioa_dma_channel_buffer(o->ch) : o->b;
	size_t n;

	switch (o->kind) {
	case K_RAW:
		fn(ioa_domain_virt(d, o->bus), (o->size + PAGE - 1) & ~(uint64_t)(PAGE - 1), o);
		break;
	case K_DMA:
	case K_CHAN:
		if (b)
			fn(ioa_dma_va(b), ioa_dma_allocated_size(b), o);
		break;
	case K_PAGES:
		n = ioa_pages_runs(o->pl, runs, 256);
		for (size_t i = 0; i < n && i < 256; i++)
			fn(ioa_domain_virt(d, runs[i].bus), runs[i].len, o);
		break;
	case K_POOL:
		fn(o->pobj, POOL_OBJ, o);
		break;
	case K_BUF:
		fn(ioa_buf_data(o->buf), ioa_buf_max_length(o->buf), o);
		break;
	default:
		break;
	}
}

/* Stamps go at page starts that leave room for the stamp and the last bytes'
 * copy (buffers and pool objects need not be whole pages). */
#define STAMP_FITS(off, len) ((off) + sizeof(struct stamp) + sizeof(uint64_t) <= (len))

static void write_range(uint8_t *va, uint64_t len, struct obj *o)
{
	for (uint64_t off = 0; STAMP_FITS(off, len); off += PAGE) {
		struct stamp s = {STAMP_MAGIC, o->owner, o->seq, (uint64_t)(uintptr_t)(va + off)};

		memcpy(va + off, &s, sizeof(s));
	}
	memcpy(va + len - sizeof(o->seq), &o->seq, sizeof(o->seq));
}

static void check_range(uint8_t *va, uint64_t len, struct obj *o)
{
	for (uint64_t off = 0; STAMP_FITS(off, len); off += PAGE) {
		struct stamp s;

		memcpy(&s, va + off, sizeof(s));
		if (s.magic != STAMP_MAGIC || s.owner != o->owner || s.seq != o->seq ||
		    s.where != (uint64_t)(uintptr_t)(va + off)) {
			fprintf(stderr, "stress: content mismatch at %p: owner %llu seq %llu, expected "
				"%llu %llu\n", (void *)(va + off), (unsigned long long)s.owner,
				(unsigned long long)s.seq, (unsigned long long)o->owner,
				(unsigned long long)o->seq);
			atomic_fetch_add(&G.mismatches, 1);
			return;
		}
	}
	if (memcmp(va + len - sizeof(o->seq), &o->seq, sizeof(o->seq)))
		atomic_fetch_add(&G.mismatches, 1);
}

/* Through a page list's mapping: page i there is frame i. */
static void check_mapping(struct obj *o)
{
	uint8_t *m = o->map;
	uint64_t bytes = ioa_pages_bytes(o->pl), bus;
	size_t n = ioa_pages_count(o->pl);

	for (size_t i = 0; i < n; i += 1 + i / 4) {
		struct stamp s, *lin;

		ioa_pages_frame(o->pl, i, &bus);
		lin = ioa_domain_virt(G.d, bus);
		memcpy(&s, m + i * PAGE, sizeof(s));
		if (memcmp(&s, lin, sizeof(s)) || (o->ring && memcmp(&s, m + bytes + i * PAGE, sizeof(s))))
			atomic_fetch_add(&G.mismatches, 1);
	}
}

/* ---- objects ----------------------------------------------------------------------- */

static ioa_account_t *pick_account(struct thread *t)
{
	return G.acct[rnd(t) % 5];
}

static void random_constraint(struct thread *t, struct ioa_constraint *c)
{
	ioa_constraint_init(c);
	switch (rnd(t) % 4) {
	case 0: c->align = 1ull << (12 + rnd(t) % 5); break;
	case 1: c->boundary = 64u << 10; break;
	case 2: ioa_constraint_set_dma_bits(c, 28); break; /* the lower part of the range */
	default: break;
	}
}

static struct obj *alloc_obj(struct thread *t)
{
	struct obj *o = calloc(1, sizeof(*o));
	struct ioa_constraint c;
	int r = 0;

	if (!o)
		return NULL;
	o->kind = (enum kind)(rnd(t) % K_NKINDS);
	o->owner = t->id;
	o->seq = ++t->seq;
	o->acct = pick_account(t);
	random_constraint(t, &c);
	switch (o->kind) {
	case K_RAW:
		o->size = 1 + rnd(t) % (256u << 10);
		if (o->size > 64u << 10 && c.boundary)
			c.boundary = 0;
		r = ioa_domain_alloc(G.d, o->size, &c, o->acct, &o->bus);
		break;
	case K_DMA:
		r = ioa_dma_alloc(G.d, 1 + rnd(t) % (64u << 10), &c, o->acct,
				  rnd(t) & 1 ? IOA_DMA_F_ZERO : 0, &o->b);
		break;
	case K_PAGES:
		c.boundary = 0;
		r = ioa_pages_alloc(G.d, PAGE * (1 + rnd(t) % 256), &c, o->acct,
				    rnd(t) % 4 ? 0 : IOA_PAGES_F_PARTIAL_OK, 0, &o->pl);
		break;
	case K_POOL:
		o->pobj = ioa_pool_get(G.pool);
		r = o->pobj ? 0 : -ENOMEM; /* empty as this thread sees it: a refusal */
		break;
	case K_BUF:
		r = ioa_buf_alloc(G.ba, 64 + rnd(t) % (96u << 10),
				  rnd(t) & 1 ? IOA_BUF_F_PAGE_ALIGNED : 0, &o->buf);
		break;
	case K_CHAN:
		r = ioa_dma_channel_create(G.d, &c, 128u << 10, o->acct, &o->ch);
		if (!r && (r = ioa_dma_channel_alloc(o->ch, 1 + rnd(t) % (64u << 10), NULL))) {
			ioa_dma_channel_destroy(o->ch);
		}
		break;
	default:
		break;
	}
	if (r) {
		if (!refusal(r))
			unexpected("allocation", r);
		t->ops[OP_REFUSED]++;
		free(o);
		return NULL;
	}
	each_range(G.d, o, write_range);
	t->ops[OP_ALLOC]++;
	return o;
}

static void free_obj(struct thread *t, struct obj *o)
{
	int r = 0;

	if (o->map)
		check_mapping(o);
	each_range(G.d, o, check_range);
	switch (o->kind) {
	case K_RAW: r = ioa_domain_free(G.d, o->bus, o->size, o->acct); break;
	case K_DMA: r = ioa_dma_free(o->b); break;
	case K_PAGES: r = ioa_pages_free(o->pl); break;
	case K_CHAN: r = ioa_dma_channel_destroy(o->ch); break;
	case K_POOL: ioa_pool_put(G.pool, o->pobj); break;
	case K_BUF: r = ioa_buf_unref(o->buf); break; /* the last reference: 0 left */
	default: break;
	}
	if (r)
		unexpected("free", r);
	if (t)
		t->ops[OP_FREE]++;
	free(o);
}

static void touch_obj(struct thread *t, struct obj *o)
{
	int r;

	switch (o->kind) {
	case K_PAGES:
		if (o->map) {
			check_mapping(o);
			if ((r = ioa_pages_unmap(o->pl, o->map)))
				unexpected("unmap", r);
			o->map = NULL;
			t->ops[OP_UNMAP]++;
			return;
		}
		o->ring = rnd(t) & 1;
		r = o->ring ? ioa_pages_map_ring(o->pl, &o->map) : ioa_pages_map(o->pl, &o->map);
		if (r) {
			o->map = NULL;
			if (!refusal(r))
				unexpected("map", r);
			t->ops[OP_REFUSED]++;
			return;
		}
		check_mapping(o);
		t->ops[OP_MAP]++;
		return;
	case K_DMA:
		if ((r = ioa_dma_sync_for_device(o->b, 0, ioa_dma_allocated_size(o->b))) ||
		    (r = ioa_dma_sync_for_cpu(o->b, 0, PAGE)))
			unexpected("sync", r);
		each_range(G.d, o, check_range);
		t->ops[OP_SYNC]++;
		return;
	case K_BUF: /* a second holder comes and goes */
		if (ioa_buf_ref(o->buf) != o->buf || ioa_buf_refcount(o->buf) != 2 ||
		    ioa_buf_unref(o->buf) != 1)
			unexpected("ref/unref", -EINVAL);
		each_range(G.d, o, check_range);
		t->ops[OP_SYNC]++;
		return;
	default:
		each_range(G.d, o, check_range);
		t->ops[OP_SYNC]++;
		return;
	}
}

/* A private domain, used and destroyed: must come back with zero leaks. */
static void domain_churn(struct thread *t)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	ioa_dma_buf_t *b = NULL;
	ioa_pages_t *pl = NULL;
	void *va;
	int r, leaks;

	ioa_domain_config_init(&cfg);
	cfg.name = "churn";
	cfg.size_limit = 4u << 20;
	cfg.grow_chunk = 1u << 20;
	if (G.debug)
		cfg.flags |= IOA_DOMAIN_F_DEBUG;
	r = ioa_domain_create(&cfg, &d);
	if (r) {
		if (!refusal(r))
			unexpected("domain_create", r);
		t->ops[OP_REFUSED]++;
		return;
	}
	r = ioa_dma_alloc(d, 8192, NULL, NULL, IOA_DMA_F_ZERO, &b);
	if (r && !refusal(r))
		unexpected("churn dma_alloc", r);
	r = ioa_pages_alloc(d, 1u << 20, NULL, NULL, 0, 0, &pl);
	if (r && !refusal(r))
		unexpected("churn pages_alloc", r);
	if (!r) {
		r = ioa_pages_map(pl, &va);
		if (!r)
			memset(va, 1, 1u << 20);
		else if (!refusal(r))
			unexpected("churn pages_map", r);
	}
	if (ioa_dma_free(b) || ioa_pages_free(pl))
		unexpected("churn free", -EINVAL);
	leaks = ioa_domain_destroy(d);
	if (leaks) {
		fprintf(stderr, "stress: a private domain leaked %d allocations\n", leaks);
		atomic_fetch_add(&G.unexpected, 1);
	}
	t->ops[OP_DOMAIN]++;
}

/* ---- threads ------------------------------------------------------------------------ */

static bool handoff(struct thread *t, unsigned s)
{
	bool done = false;

	pthread_mutex_lock(&G.xlock);
	if (G.nx < EXCHANGE) {
		G.exchange[G.nx++] = t->slot[s];
		done = true;
	}
	pthread_mutex_unlock(&G.xlock);
	if (done) {
		t->slot[s] = NULL;
		t->ops[OP_HANDOFF]++;
	}
	return done;
}

static struct obj *take(struct thread *t)
{
	struct obj *o = NULL;

	pthread_mutex_lock(&G.xlock);
	if (G.nx) {
		unsigned i = (unsigned)(rnd(t) % G.nx);

		o = G.exchange[i];
		G.exchange[i] = G.exchange[--G.nx];
	}
	pthread_mutex_unlock(&G.xlock);
	if (o)
		t->ops[OP_TAKE]++;
	return o;
}

static void step(struct thread *t)
{
	unsigned s = (unsigned)(rnd(t) % SLOTS), what = (unsigned)(rnd(t) % 100);

	if (what == 0) {
		domain_churn(t);
	} else if (!t->slot[s]) {
		t->slot[s] = what < 15 ? take(t) : alloc_obj(t);
	} else if (what < 50) {
		free_obj(t, t->slot[s]);
		t->slot[s] = NULL;
	} else if (what < 60) {
		handoff(t, s);
	} else {
		touch_obj(t, t->slot[s]);
	}
}

static void *run(void *arg)
{
	struct thread *t = arg;

	while (!atomic_load_explicit(&G.stop, memory_order_relaxed))
		for (int k = 0; k < 16; k++)
			step(t);
	for (unsigned s = 0; s < SLOTS; s++)
		if (t->slot[s])
			free_obj(t, t->slot[s]);
	return NULL;
}

/* ---- set-up and checks ----------------------------------------------------------------- */

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

static int setup(void)
{
	struct ioa_domain_config cfg;
	char err[160];
	int r = -ENOMEM;

	ioa_domain_config_init(&cfg);
	cfg.name = "stress";
	if (ioa_domain_config_parse(&cfg, G.spec, err, sizeof(err))) {
		fprintf(stderr, "stress: --domain: %s\n", err);
		return -EINVAL;
	}
	if (G.debug)
		cfg.flags |= IOA_DOMAIN_F_DEBUG;
	/* Under IOALLOC_FAULT the domain itself may be refused: try again. */
	for (int i = 0; i < 1000 && r; i++)
		r = ioa_domain_create(&cfg, &G.d);
	if (r) {
		fprintf(stderr, "stress: cannot create the domain: %s\n", strerror(-r));
		return r;
	}
	r = -ENOMEM;
	for (int i = 0; i < 1000 && r; i++) {
		struct ioa_pool_config pc;
		struct ioa_constraint c;

		ioa_pool_config_init(&pc);
		ioa_constraint_init(&c);
		c.boundary = PAGE; /* no object straddles a page */
		pc.name = "stress";
		pc.obj_size = POOL_OBJ;
		pc.count = 2048;
		pc.domain = G.d;
		pc.constraint = &c;
		pc.flags = G.debug ? IOA_POOL_F_DEBUG : 0;
		r = ioa_pool_create(&pc, &G.pool);
	}
	for (int i = 0; i < 1000 && !r; i++) {
		struct ioa_buf_allocator_config bc;

		ioa_buf_allocator_config_init(&bc);
		bc.name = "stress";
		bc.domain = G.d;
		bc.class_bytes = 256u << 10;
		bc.flags = G.debug ? IOA_BUF_ALLOCATOR_F_DEBUG : 0;
		if (!(r = ioa_buf_allocator_create(&bc, &G.ba)))
			break;
		r = i < 999 ? 0 : r;
	}
	if (r) {
		fprintf(stderr, "stress: cannot create the pool or buffers: %s\n", strerror(-r));
		return r;
	}
	G.acct[0] = NULL; /* the root */
	ioa_account_create(ioa_domain_account(G.d), "alice", IOA_ACCOUNT_UNLIMITED, &G.acct[1]);
	ioa_account_create(G.acct[1], "alice/rt", IOA_ACCOUNT_UNLIMITED, &G.acct[2]);
	ioa_account_create(ioa_domain_account(G.d), "bob", IOA_ACCOUNT_UNLIMITED, &G.acct[3]);
	ioa_account_create(G.acct[3], "bob/capped", 1u << 20, &G.acct[4]);
	return 0;
}

/* Everything freed: nothing live, nothing charged; then destroy. */
static int teardown(void)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};
	int bad = 0, r;

	/* Every thread has exited (its magazines went back): all objects are in. */
	if (ioa_pool_free_count(G.pool) != ioa_pool_count(G.pool) || (r = ioa_pool_destroy(G.pool))) {
		fprintf(stderr, "stress: pool: %zu of %zu objects back\n",
			ioa_pool_free_count(G.pool), ioa_pool_count(G.pool));
		bad++;
	}
	if ((r = ioa_buf_allocator_destroy(G.ba))) {
		fprintf(stderr, "stress: buffer allocator: %s\n", strerror(-r));
		bad++;
	}

	ioa_domain_stats(G.d, &st);
	if (st.live_allocs || st.vmem.alloc_bytes || st.root.usage) {
		fprintf(stderr, "stress: after the run: %llu live allocations, %llu bytes, root "
			"usage %llu\n", (unsigned long long)st.live_allocs,
			(unsigned long long)st.vmem.alloc_bytes, (unsigned long long)st.root.usage);
		bad++;
	}
	for (int i = 4; i >= 1; i--)
		if (ioa_account_destroy(G.acct[i])) {
			fprintf(stderr, "stress: account %d still charged\n", i);
			bad++;
		}
	return bad + ioa_domain_destroy(G.d);
}

static void usage(void)
{
	fprintf(stderr, "usage: stress [--threads N] [--seconds S] [--seed N] [--domain SPEC] "
		"[--debug]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--debug")) {
			G.debug = true;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--threads"))
			G.threads = (unsigned)atoi(v);
		else if (!strcmp(a, "--seconds"))
			G.seconds = atof(v);
		else if (!strcmp(a, "--seed"))
			G.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--domain"))
			G.spec = v;
		else
			usage();
		i++;
	}
	if (!G.threads || G.threads > MAX_THREADS || G.seconds <= 0)
		usage();
}

int main(int argc, char **argv)
{
	static struct thread th[MAX_THREADS];
	struct timespec t0, t1, nap;
	uint64_t ops[OP_N] = {0}, total = 0;
	int fds, leaks;
	double secs;
	char line[512];
	size_t n = 0;

	parse_args(argc, argv);
	pthread_mutex_init(&G.xlock, NULL);
	fds = count_fds();
	if (setup())
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < G.threads; i++) {
		th[i].id = i + 1;
		th[i].rng = G.seed * 1000003u + i;
		pthread_create(&th[i].tid, NULL, run, &th[i]);
	}
	nap.tv_sec = (time_t)G.seconds;
	nap.tv_nsec = (long)((G.seconds - (double)nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	atomic_store(&G.stop, true);
	for (unsigned i = 0; i < G.threads; i++)
		pthread_join(th[i].tid, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	while (G.nx) /* objects still in flight */
		free_obj(NULL, G.exchange[--G.nx]);
	leaks = teardown();
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (unsigned i = 0; i < G.threads; i++)
		for (int k = 0; k < OP_N; k++)
			ops[k] += th[i].ops[k];
	for (int k = 0; k < OP_N; k++) {
		total += ops[k];
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %llu", k ? ", " : "",
				      op_names[k], (unsigned long long)ops[k]);
	}
	if (count_fds() != fds) {
		fprintf(stderr, "stress: %d file descriptors before, %d after\n", fds, count_fds());
		leaks++;
	}
	printf("stress: %u threads, %.1f s, seed %llu%s: %llu operations (%s); %llu content "
	       "mismatches, %d leaks, %llu unexpected errors, %llu faults injected\n",
	       G.threads, secs, (unsigned long long)G.seed, G.debug ? ", debug" : "",
	       (unsigned long long)total, line, (unsigned long long)atomic_load(&G.mismatches),
	       leaks, (unsigned long long)atomic_load(&G.unexpected),
	       (unsigned long long)ioa_plat_fault_count());
	return atomic_load(&G.mismatches) || leaks || atomic_load(&G.unexpected) ? 1 : 0;
}
