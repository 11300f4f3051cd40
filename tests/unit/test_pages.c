/* SPDX-License-Identifier: MIT */
/*
 * Page lists on a memfd domain with an ISA zone (below 16 MiB) and a zone
 * above 4 GiB: every page lies in its window (read back frame by frame),
 * partial allocation in a nearly full window, contiguous and chunked lists,
 * mapping rules, the double-mapped ring, scatter-gather splitting against a
 * model, and an O_DIRECT read into a mapped list from a real file.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <ioalloc/pages.h>

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define ISA_TOP (16 * MiB - 1)

static ioa_domain_t *make(const char *spec, unsigned extra)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "pages";
	assert_int_equal(ioa_domain_config_parse(&cfg, spec, err, sizeof(err)), 0);
	cfg.flags |= extra;
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	return d;
}

static ioa_domain_t *two_zones(void)
{
	return make("ranges=0x100000+15M:0x100000000+256M,chunk=1M", 0);
}

static struct ioa_constraint below(uint64_t max)
{
	struct ioa_constraint c;

	ioa_constraint_init(&c);
	c.max_addr = max;
	return c;
}

static uint64_t root_usage(ioa_domain_t *d)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	assert_int_equal(ioa_domain_stats(d, &st), 0);
	return st.root.usage;
}

/* Every frame inside [0, max], runs consistent with frames. */
static void check_frames(ioa_pages_t *pl, uint64_t max)
{
	size_t n = ioa_pages_count(pl), nr = ioa_pages_runs(pl, NULL, 0), k = 0;
	struct ioa_run *runs = calloc(nr, sizeof(*runs));
	uint64_t bus;

	assert_int_equal(ioa_pages_runs(pl, runs, nr), nr);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ioa_pages_frame(pl, i, &bus), 0);
		assert_true(bus + ioa_pages_page_size(pl) - 1 <= max);
	}
	for (size_t r = 0; r < nr; r++) {
		if (r)
			assert_true(runs[r - 1].bus + runs[r - 1].len != runs[r].bus); /* maximal */
		for (uint64_t off = 0; off < runs[r].len; off += 4096, k++) {
			assert_int_equal(ioa_pages_frame(pl, k, &bus), 0);
			assert_true(bus == runs[r].bus + off);
		}
	}
	assert_int_equal(k, n);
	assert_int_equal(ioa_pages_frame(pl, n, &bus), -EINVAL); /* 0..count-1 only */
	free(runs);
}

static void pages_stay_below_the_limit_and_are_zeroed(void **state)
{
	ioa_domain_t *d = two_zones();
	struct ioa_constraint isa = below(ISA_TOP);
	ioa_pages_t *pl;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 100 * KiB + 1, &isa, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_count(pl), 26);         /* rounded up to whole pages */
	assert_int_equal(ioa_pages_bytes(pl), 26 * 4096);
	check_frames(pl, ISA_TOP);
	for (size_t i = 0; i < 26; i++) {
		uint64_t bus;
		uint8_t *p;

		ioa_pages_frame(pl, i, &bus);
		p = ioa_domain_virt(d, bus);
		assert_int_equal(p[0] | p[4095], 0);
	}
	assert_int_equal(root_usage(d), 26 * 4096);
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(root_usage(d), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void a_nearly_full_window_gives_what_it_has(void **state)
{
	ioa_domain_t *d = two_zones();
	struct ioa_constraint isa = below(ISA_TOP);
	ioa_pages_t *hog, *pl = NULL;

	(void)state;
	/* Leave exactly 5 pages free below 16 MiB. */
	assert_int_equal(ioa_pages_alloc(d, 15 * MiB - 5 * 4096, &isa, NULL, 0, 0, &hog), 0);
	assert_int_equal(ioa_pages_alloc(d, 64 * KiB, &isa, NULL, 0, 0, &pl), -ENOMEM);
	assert_null(pl);
	assert_int_equal(root_usage(d), 15 * MiB - 5 * 4096);   /* nothing charged */
	assert_int_equal(ioa_pages_alloc(d, 64 * KiB, &isa, NULL, IOA_PAGES_F_PARTIAL_OK, 0, &pl), 0);
	assert_int_equal(ioa_pages_count(pl), 5);
	check_frames(pl, ISA_TOP);
	ioa_pages_t *none = NULL;
	assert_int_equal(ioa_pages_alloc(d, 4096, &isa, NULL, IOA_PAGES_F_PARTIAL_OK, 0, &none),
			 -ENOMEM);                               /* not a single page */
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_pages_free(hog), 0);
	/* A window smaller than the request: PARTIAL_OK gives what the window holds. */
	isa.min_addr = 2 * MiB;
	isa.max_addr = 2 * MiB + 64 * KiB - 1;
	assert_int_equal(ioa_pages_alloc(d, 128 * KiB, &isa, NULL, 0, 0, &pl), -EINVAL);
	assert_int_equal(ioa_pages_alloc(d, 128 * KiB, &isa, NULL, IOA_PAGES_F_PARTIAL_OK, 0, &pl), 0);
	assert_int_equal(ioa_pages_bytes(pl), 64 * KiB);
	check_frames(pl, isa.max_addr);
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* Free every other page of a filled window: only single-page holes remain. */
static ioa_pages_t **checkerboard(ioa_domain_t *d, const struct ioa_constraint *c, size_t n)
{
	ioa_pages_t **singles = calloc(n, sizeof(*singles));

	for (size_t i = 0; i < n; i++)
		assert_int_equal(ioa_pages_alloc(d, 4096, c, NULL, 0, 0, &singles[i]), 0);
	for (size_t i = 0; i < n; i += 2) {
		ioa_pages_free(singles[i]);
		singles[i] = NULL;
	}
	return singles;
}

static void contiguous_lists_are_one_run_or_nothing(void **state)
{
	ioa_domain_t *d = make("size=4M,chunk=1M", 0);
	struct ioa_constraint any = below(UINT64_MAX);
	ioa_pages_t **singles, *pl = NULL;
	struct ioa_run run;
	size_t n = 1024; /* the whole 4 MiB */

	(void)state;
	singles = checkerboard(d, &any, n);
	assert_int_equal(ioa_pages_alloc(d, 8192, &any, NULL, IOA_PAGES_F_CONTIGUOUS, 0, &pl),
			 -ENOMEM);
	assert_int_equal(ioa_pages_alloc(d, 64 * KiB, &any, NULL, 0, 0, &pl), 0); /* scattered */
	assert_int_equal(ioa_pages_runs(pl, NULL, 0), 16);
	ioa_pages_free(pl);
	for (size_t i = 1; i < n; i += 2)
		ioa_pages_free(singles[i]);
	free(singles);
	assert_int_equal(ioa_pages_alloc(d, 1 * MiB, &any, NULL, IOA_PAGES_F_CONTIGUOUS, 0, &pl), 0);
	assert_int_equal(ioa_pages_runs(pl, &run, 1), 1);
	assert_int_equal(run.len, 1 * MiB);
	ioa_pages_free(pl);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void chunked_lists_are_whole_aligned_chunks(void **state)
{
	ioa_domain_t *d = make("size=8M,chunk=1M", 0);
	ioa_pages_t *pl = NULL;
	struct ioa_run runs[64];
	size_t nr;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 512 * KiB, NULL, NULL, IOA_PAGES_F_CHUNKED, 64 * KiB, &pl),
			 0);
	nr = ioa_pages_runs(pl, runs, 64);
	for (size_t i = 0; i < nr; i++) {
		assert_int_equal(runs[i].bus % (64 * KiB), 0);
		assert_int_equal(runs[i].len % (64 * KiB), 0);
	}
	ioa_pages_free(pl);
	pl = NULL;
	assert_int_equal(ioa_pages_alloc(d, 100 * KiB, NULL, NULL, IOA_PAGES_F_CHUNKED, 64 * KiB, &pl),
			 -EINVAL); /* not whole chunks */
	assert_int_equal(ioa_pages_alloc(d, 128 * KiB, NULL, NULL, IOA_PAGES_F_CHUNKED, 48 * KiB, &pl),
			 -EINVAL); /* chunk not a power of two */
	assert_int_equal(ioa_pages_alloc(d, 128 * KiB, NULL, NULL, 0, 64 * KiB, &pl), -EINVAL);
	assert_null(pl);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void mapping_rules(void **state)
{
	ioa_domain_t *d = two_zones();
	ioa_pages_t *pl;
	void *va, *va2;
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 64 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_unmap(pl, (void *)0x1000), -EINVAL); /* not mapped */
	assert_int_equal(ioa_pages_map(pl, &va), 0);
	assert_int_equal(ioa_pages_map(pl, &va2), -EBUSY);
	assert_int_equal(ioa_pages_map_ring(pl, &va2), -EBUSY);
	memset(va, 0x3c, 64 * KiB);                                   /* the same memory as... */
	ioa_pages_frame(pl, 15, &bus);
	assert_int_equal(((uint8_t *)ioa_domain_virt(d, bus))[4095], 0x3c); /* ...the linear map */
	assert_int_equal(ioa_pages_unmap(pl, (uint8_t *)va + 4096), -EINVAL); /* wrong address */
	assert_int_equal(ioa_pages_unmap(pl, va), 0);
	assert_int_equal(ioa_pages_unmap(pl, va), -EINVAL);
	assert_int_equal(ioa_pages_map(pl, &va), 0);
	assert_int_equal(ioa_pages_free(pl), 0);                      /* frees a mapped list */
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* One byte per page, uninstrumented: sanitizer shadow memory would fault
 * on its own and be counted. */
__attribute__((no_sanitize_address, no_sanitize_thread, noinline))
static void touch_pages(volatile uint8_t *va, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += 4096)
		va[off] = (uint8_t)off;
}

/* Write every page of a fresh mapping; the faults that took. */
static long faults_writing(ioa_pages_t *pl)
{
	uint8_t *va;
	long before;

	assert_int_equal(ioa_pages_map(pl, (void **)&va), 0);
	before = minor_faults();
	touch_pages(va, ioa_pages_bytes(pl));
	before = minor_faults() - before;
	assert_int_equal(ioa_pages_unmap(pl, va), 0);
	return before;
}

static void a_mapping_never_faults_unless_lazy(void **state)
{
	ioa_domain_t *d = two_zones();
	ioa_pages_t *pl;
	long faults;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 2 * MiB, NULL, NULL, 0, 0, &pl), 0);
	faults = faults_writing(pl);
	if (ioa_test_under_valgrind()) /* its translator faults on its own, now and then */
		print_message("under Valgrind: %ld faults, not checked\n", faults);
	else
		assert_int_equal(faults, 0); /* populated: writable PTEs, no faults */
	ioa_pages_free(pl);
	assert_int_equal(ioa_domain_destroy(d), 0);
	/* A lazy new range (a debug domain's lists always get one) faults on
	 * first touch; a lazy one-run list elsewhere maps at its linear address,
	 * whose page tables the prefaulted arena already has. */
	d = make("ranges=0x100000+15M:0x100000000+256M,chunk=1M", IOA_DOMAIN_F_DEBUG);
	assert_int_equal(ioa_pages_alloc(d, 2 * MiB, NULL, NULL, IOA_PAGES_F_LAZY_MAP, 0, &pl), 0);
	assert_true(faults_writing(pl) > 0);
	ioa_pages_free(pl);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* IOALLOC_DEBUG puts every domain in debug mode, whose lists never map
 * through the linear map. */
static bool debug_forced(void)
{
	const char *e = getenv("IOALLOC_DEBUG");

	return e && *e && strcmp(e, "0") != 0;
}

/* Map pl, check every page appears in order and is the linear map's memory,
 * and return where it went (still mapped). */
static uint8_t *map_and_check(ioa_domain_t *d, ioa_pages_t *pl)
{
	uint8_t *va;
	uint64_t bus;

	assert_int_equal(ioa_pages_map(pl, (void **)&va), 0);
	for (size_t i = 0; i < ioa_pages_count(pl); i++) {
		assert_int_equal(ioa_pages_frame(pl, i, &bus), 0);
		va[i * 4096 + 7] = (uint8_t)(i + 1);
		assert_int_equal(((uint8_t *)ioa_domain_virt(d, bus))[7], (uint8_t)(i + 1));
	}
	return va;
}

static void a_one_run_list_maps_at_its_linear_address(void **state)
{
	ioa_domain_t *d = make("size=1M,chunk=1M", 0), *dbg, *cold;
	struct ioa_constraint any = below(UINT64_MAX);
	ioa_pages_t **singles, *pl;
	uint8_t *va, *va2;
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 64 * KiB, &any, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_runs(pl, NULL, 0), 1);
	ioa_pages_frame(pl, 0, &bus);
	va = map_and_check(d, pl);
	if (debug_forced())
		print_message("IOALLOC_DEBUG is set: every mapping is a new range\n");
	else
		assert_ptr_equal(va, ioa_domain_virt(d, bus)); /* no new page tables */
	assert_int_equal(ioa_pages_map(pl, (void **)&va2), -EBUSY);  /* still one mapping */
	assert_int_equal(ioa_pages_unmap(pl, va + 4096), -EINVAL);
	assert_int_equal(ioa_pages_unmap(pl, va), 0);
	assert_int_equal(ioa_pages_unmap(pl, va), -EINVAL);          /* no longer mapped */
	assert_int_equal(ioa_pages_map_ring(pl, (void **)&va2), 0);  /* a ring: a new range */
	assert_ptr_not_equal(va2, ioa_domain_virt(d, bus));
	assert_int_equal(ioa_pages_unmap(pl, va2), 0);
	assert_non_null(map_and_check(d, pl));
	assert_int_equal(ioa_pages_free(pl), 0);                     /* frees a mapped list */
	assert_int_equal(ioa_domain_destroy(d), 0);

	d = make("size=256K,chunk=64K", 0);                          /* several runs: a new range */
	singles = checkerboard(d, &any, 64);
	assert_int_equal(ioa_pages_alloc(d, 32 * KiB, &any, NULL, 0, 0, &pl), 0);
	assert_true(ioa_pages_runs(pl, NULL, 0) > 1);
	ioa_pages_frame(pl, 0, &bus);
	va = map_and_check(d, pl);
	assert_ptr_not_equal(va, ioa_domain_virt(d, bus));
	assert_int_equal(ioa_pages_free(pl), 0);
	for (size_t i = 1; i < 64; i += 2)
		ioa_pages_free(singles[i]);
	free(singles);
	assert_int_equal(ioa_domain_destroy(d), 0);

	dbg = make("size=1M,chunk=1M", IOA_DOMAIN_F_DEBUG);           /* debug: guarded new range */
	cold = make("size=1M,chunk=1M,prefault=0", 0);               /* no page tables to reuse */
	for (int k = 0; k < 2; k++) {
		ioa_domain_t *x = k ? cold : dbg;

		assert_int_equal(ioa_pages_alloc(x, 64 * KiB, NULL, NULL, IOA_PAGES_F_NO_ZERO, 0, &pl), 0);
		ioa_pages_frame(pl, 0, &bus);
		va = map_and_check(x, pl);
		assert_ptr_not_equal(va, ioa_domain_virt(x, bus));
		assert_int_equal(ioa_pages_free(pl), 0);
	}
	/* A LAZY_MAP list accepts faults, so the cold domain's linear map serves. */
	assert_int_equal(ioa_pages_alloc(cold, 64 * KiB, NULL, NULL, IOA_PAGES_F_LAZY_MAP, 0, &pl), 0);
	ioa_pages_frame(pl, 0, &bus);
	va = map_and_check(cold, pl);
	if (!debug_forced())
		assert_ptr_equal(va, ioa_domain_virt(cold, bus));
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_domain_destroy(dbg), 0);
	assert_int_equal(ioa_domain_destroy(cold), 0);
}

static void the_ring_never_wraps(void **state)
{
	ioa_domain_t *d = make("size=256K,chunk=64K", 0); /* 64 pages, all checkerboarded */
	struct ioa_constraint any = below(UINT64_MAX);
	ioa_pages_t **singles, *pl;
	uint8_t *ring;
	uint64_t size = 32 * KiB;

	(void)state;
	singles = checkerboard(d, &any, 64); /* so the ring's pages are scattered */
	assert_int_equal(ioa_pages_alloc(d, size, &any, NULL, 0, 0, &pl), 0);
	assert_true(ioa_pages_runs(pl, NULL, 0) > 1);
	assert_int_equal(ioa_pages_map_ring(pl, (void **)&ring), 0);
	for (uint64_t i = 0; i < size; i++)
		ring[i] = (uint8_t)(i * 7 + 1);
	for (uint64_t i = 0; i < size; i++)
		assert_int_equal(ring[i + size], (uint8_t)(i * 7 + 1)); /* second view, same bytes */
	ring[size + 5] = 0xee;                                    /* and the other way round */
	assert_int_equal(ring[5], 0xee);
	assert_int_equal(ioa_pages_unmap(pl, ring), 0);
	ioa_pages_free(pl);
	for (size_t i = 1; i < 64; i += 2)
		ioa_pages_free(singles[i]);
	free(singles);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void sg_splitting_matches_the_model(void **state)
{
	ioa_domain_t *d = make("size=16M,chunk=1M", 0);
	struct ioa_constraint any = below(UINT64_MAX);
	ioa_pages_t **singles, *pl;
	uint64_t seed = 7;

	(void)state;
	singles = checkerboard(d, &any, 256);
	assert_int_equal(ioa_pages_alloc(d, 2 * MiB, &any, NULL, 0, 0, &pl), 0);
	for (int iter = 0; iter < 200; iter++) {
		uint64_t r = ioa_test_rand(&seed), max_seg = 1 + r % (300 * KiB);
		uint64_t boundary = (r >> 32) & 1 ? 1ull << (9 + (r >> 40) % 10) : 0;
		size_t n, nr = ioa_pages_runs(pl, NULL, 0), k = 0;
		struct ioa_run *runs = calloc(nr, sizeof(*runs)), *sg;

		ioa_pages_runs(pl, runs, nr);
		assert_int_equal(ioa_pages_sg(pl, max_seg, boundary, NULL, 0, &n), -ENOSPC);
		sg = calloc(n, sizeof(*sg));
		assert_int_equal(ioa_pages_sg(pl, max_seg, boundary, sg, n, &n), 0);
		/* The model: walking the runs byte-contiguously, segments tile them exactly,
		 * none longer than max_seg, none across a boundary, and each is cut only
		 * where a limit forced it (greedy is minimal for these limits). */
		for (size_t ri = 0; ri < nr; ri++) {
			uint64_t at = runs[ri].bus, end = runs[ri].bus + runs[ri].len;

			while (at < end) {
				uint64_t lim = end - at < max_seg ? end - at : max_seg;

				if (boundary && boundary - (at & (boundary - 1)) < lim)
					lim = boundary - (at & (boundary - 1));
				assert_true(k < n);
				assert_true(sg[k].bus == at && sg[k].len == lim);
				at += lim;
				k++;
			}
		}
		assert_int_equal(k, n);
		free(sg);
		free(runs);
	}
	size_t n;
	assert_int_equal(ioa_pages_sg(pl, 0, 0, NULL, 0, &n), -EINVAL);
	assert_int_equal(ioa_pages_sg(pl, 4096, 3000, NULL, 0, &n), -EINVAL);
	ioa_pages_free(pl);
	for (size_t i = 1; i < 256; i += 2)
		ioa_pages_free(singles[i]);
	free(singles);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void o_direct_reads_into_a_mapped_list(void **state)
{
	ioa_domain_t *d = two_zones();
	ioa_pages_t *pl;
	char path[] = "ioa_pages_direct_XXXXXX"; /* in the build directory: a real disk */
	uint64_t size = 256 * KiB;
	uint8_t *src = malloc(size), *va;
	struct iovec iov[64];
	size_t n;
	int fd;

	(void)state;
	for (uint64_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i ^ (i >> 9));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, size), (ssize_t)size);
	fsync(fd);
	close(fd);
	fd = open(path, O_RDONLY | O_DIRECT);
	unlink(path);
	if (fd < 0) {
		free(src);
		ioa_domain_destroy(d);
		print_message("SKIP part: O_DIRECT refused here (%s)\n", strerror(errno));
		skip();
	}
	assert_int_equal(ioa_pages_alloc(d, size, NULL, NULL, IOA_PAGES_F_NO_ZERO, 0, &pl), 0);
	/* Unmapped: one iovec per run through the linear map. */
	assert_int_equal(ioa_pages_iovec(pl, iov, 64, &n), 0);
	/* Too few entries: -ENOSPC with the count needed. */
	size_t need = 0;
	int rc = ioa_pages_iovec(pl, NULL, 0, &need);
	assert_int_equal(need, n);
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(preadv(fd, iov, (int)n, 0), (ssize_t)size);
	assert_int_equal(ioa_pages_map(pl, (void **)&va), 0);
	assert_memory_equal(va, src, size);
	memset(va, 0, size);
	/* Mapped: one iovec for the whole mapping. */
	assert_int_equal(ioa_pages_iovec(pl, iov, 64, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(preadv(fd, iov, 1, 0), (ssize_t)size);
	assert_memory_equal(va, src, size);
	close(fd);
	free(src);
	ioa_pages_free(pl);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void bad_input_is_einval_and_charges_nothing(void **state)
{
	ioa_domain_t *d = two_zones();
	struct ioa_constraint c = below(ISA_TOP);
	ioa_pages_t *pl = NULL;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 0, NULL, NULL, 0, 0, &pl), -EINVAL);
	assert_int_equal(ioa_pages_alloc(d, 4096, NULL, NULL, 1u << 9, 0, &pl), -EINVAL);
	assert_int_equal(ioa_pages_alloc(d, 16 * MiB, &c, NULL, 0, 0, &pl), -EINVAL); /* > window */
	c = below(0xfffff);                          /* below the domain's first byte */
	assert_int_equal(ioa_pages_alloc(d, 4096, &c, NULL, 0, 0, &pl), -EINVAL);
	c = below(ISA_TOP);
	c.min_addr = ISA_TOP - 100;                  /* narrower than a page */
	assert_int_equal(ioa_pages_alloc(d, 4096, &c, NULL, IOA_PAGES_F_PARTIAL_OK, 0, &pl), -EINVAL);
	c = below(ISA_TOP);
	c.align = 5;
	assert_int_equal(ioa_pages_alloc(d, 4096, &c, NULL, 0, 0, &pl), -EINVAL);
	assert_int_equal(ioa_pages_alloc(NULL, 4096, NULL, NULL, 0, 0, &pl), -EINVAL);
	assert_int_equal(ioa_pages_alloc(d, 4096, NULL, NULL, 0, 0, NULL), -EINVAL);
	assert_null(pl);
	assert_int_equal(root_usage(d), 0);
	assert_int_equal(ioa_pages_free(NULL), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

static void quota_refuses_with_edquot(void **state)
{
	ioa_domain_t *d = two_zones();
	ioa_account_t *a;
	ioa_pages_t *pl = NULL;

	(void)state;
	assert_int_equal(ioa_account_create(ioa_domain_account(d), "stream", 64 * KiB, &a), 0);
	assert_int_equal(ioa_pages_alloc(d, 128 * KiB, NULL, a, 0, 0, &pl), -EDQUOT);
	assert_null(pl);
	assert_int_equal(ioa_pages_alloc(d, 128 * KiB, NULL, a, IOA_PAGES_F_PARTIAL_OK, 0, &pl), 0);
	assert_int_equal(ioa_pages_bytes(pl), 64 * KiB); /* what the quota allows */
	ioa_pages_free(pl);
	assert_int_equal(ioa_account_destroy(a), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pages_stay_below_the_limit_and_are_zeroed),
		cmocka_unit_test(a_nearly_full_window_gives_what_it_has),
		cmocka_unit_test(contiguous_lists_are_one_run_or_nothing),
		cmocka_unit_test(chunked_lists_are_whole_aligned_chunks),
		cmocka_unit_test(mapping_rules),
		cmocka_unit_test(a_mapping_never_faults_unless_lazy),
		cmocka_unit_test(a_one_run_list_maps_at_its_linear_address),
		cmocka_unit_test(the_ring_never_wraps),
		cmocka_unit_test(sg_splitting_matches_the_model),
		cmocka_unit_test(o_direct_reads_into_a_mapped_list),
		cmocka_unit_test(bad_input_is_einval_and_charges_nothing),
		cmocka_unit_test(quota_refuses_with_edquot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
