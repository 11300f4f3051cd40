/* SPDX-License-Identifier: MIT */
/*
 * The misuse cases of ecosystem.md section 6, one test each, for the services
 * that exist (vmem, domains, accounts, page lists, DMA buffers and channels):
 * each detection fires through the misuse handler - installed here so it
 * records instead of aborting - naming the call and the object, and the call
 * returns its error with nothing changed. Cases that only pools, buffers or
 * io_uring registration can have are listed as pending in docs/RELIABILITY.md.
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ioalloc/account.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>
#include <ioalloc/vmem.h>

#include "debug/debug.h"
#include "platform/platform.h"

#define KiB (1ull << 10)

static struct seen {
	int count;
	char call[64], object[128], message[512];
} seen;

static void record(void *arg, const char *call, const char *object, const char *message)
{
	(void)arg;
	seen.count++;
	snprintf(seen.call, sizeof(seen.call), "%s", call);
	snprintf(seen.object, sizeof(seen.object), "%s", object);
	snprintf(seen.message, sizeof(seen.message), "%s", message);
}

/* One report since the last call, by call, about an object containing obj,
 * saying something containing msg. */
#define assert_reported(c, obj, msg)                                  \
	do {                                                          \
		assert_int_equal(seen.count, 1);                      \
		assert_string_equal(seen.call, c);                    \
		assert_non_null(strstr(seen.object, obj));            \
		if (!strstr(seen.message, msg))                       \
			fail_msg("message: %s", seen.message);        \
		seen.count = 0;                                       \
	} while (0)

#define assert_quiet() assert_int_equal(seen.count, 0)

static ioa_misuse_fn old_handler;

static int setup(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	old_handler = ioa_set_misuse_handler(record, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ioa_set_misuse_handler(old_handler, NULL);
	return 0;
}

static ioa_domain_t *make(unsigned flags)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	char err[128];

	ioa_domain_config_init(&cfg);
	cfg.name = "misuse";
	assert_int_equal(ioa_domain_config_parse(&cfg, "ranges=0x100000+15M:0x100000000+64M,chunk=2M",
						 err, sizeof(err)), 0);
	cfg.flags |= flags;
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	return d;
}

/* Checks that need IOALLOC_DEBUG, which is read once per process: this
 * program runs again with it set and "--child NAME" (see main). */
static const char *self;

static int with_debug_env(const char *spec, const char *name)
{
	pid_t pid = ioa_test_fork();

	if (pid == 0) {
		setenv("IOALLOC_DEBUG", spec, 1);
		execl(self, self, "--child", name, (char *)NULL);
		_exit(127);
	}
	return ioa_test_exit_code(pid);
}

/* ---- 1. double free / double unref -------------------------------------------- */

static int vmem_double_free_is_reported(void)
{
	ioa_vmem_t *vm;
	uint64_t a;

	ioa_set_misuse_handler(record, NULL);
	if (ioa_vmem_create("ids", 1, &vm) || ioa_vmem_add(vm, 0, 100) || ioa_vmem_alloc(vm, 10, &a))
		return 2;
	if (ioa_vmem_free(vm, a, 10) || ioa_vmem_free(vm, a, 10) != -EINVAL)
		return 3;
	ioa_vmem_destroy(vm);
	return seen.count == 1 && !strcmp(seen.call, "ioa_vmem_free") &&
			       !strcmp(seen.object, "vmem 'ids'") &&
			       strstr(seen.message, "never allocated or is already free")
		       ? 0
		       : 1;
}

static void case01_double_free(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	ioa_dma_channel_t *ch;
	ioa_account_t *a;
	ioa_dma_buf_t *b;
	ioa_pages_t *pl;
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_domain_alloc(d, 8192, NULL, NULL, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus, 8192, NULL), 0);
	assert_int_equal(ioa_domain_free(d, bus, 8192, NULL), -EINVAL);
	assert_reported("ioa_domain_free", "domain 'misuse'", "never allocated or is already free");

	assert_int_equal(ioa_dma_alloc(d, 8192, NULL, NULL, 0, &b), 0);
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(ioa_dma_free(b), -EINVAL); /* quarantined in debug mode: not UB */
	assert_reported("ioa_dma_free", "DMA buffer at bus 0x", "already freed");

	assert_int_equal(ioa_pages_alloc(d, 16 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_pages_free(pl), -EINVAL);
	assert_reported("ioa_pages_free", "page list", "already freed");

	assert_int_equal(ioa_dma_channel_create(d, NULL, 0, NULL, &ch), 0);
	assert_int_equal(ioa_dma_channel_destroy(ch), 0);
	assert_int_equal(ioa_dma_channel_destroy(ch), -EINVAL);
	assert_reported("ioa_dma_channel_destroy", "DMA channel", "already destroyed");

	/* Unref below zero: an account (always on, any domain). */
	assert_int_equal(ioa_account_create(NULL, "client7", IOA_ACCOUNT_UNLIMITED, &a), 0);
	assert_int_equal(ioa_account_charge(a, 4096), 0);
	assert_int_equal(ioa_account_uncharge(a, 8192), -EINVAL);
	assert_reported("ioa_account_uncharge", "account 'client7'", "below zero");
	assert_int_equal(ioa_account_uncharge(a, 4096), 0); /* nothing changed */
	assert_int_equal(ioa_account_destroy(a), 0);

	/* A raw vmem: under IOALLOC_DEBUG=owner. */
	assert_int_equal(with_debug_env("owner", "vmem_double_free"), 0);
	assert_quiet();
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 2. a pointer never allocated, or an interior one --------------------------- */

static int vmem_interior_free_is_reported(void)
{
	ioa_vmem_t *vm;
	uint64_t a;

	ioa_set_misuse_handler(record, NULL);
	if (ioa_vmem_create("ids", 1, &vm) || ioa_vmem_add(vm, 0, 100) || ioa_vmem_alloc(vm, 10, &a))
		return 2;
	if (ioa_vmem_free(vm, a + 1, 9) != -EINVAL || ioa_vmem_free(vm, a, 10))
		return 3;
	ioa_vmem_destroy(vm);
	return seen.count == 1 && strstr(seen.message, "never allocated") ? 0 : 1;
}

static void case02_never_allocated_or_interior(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	uint64_t fake[32] = {0}; /* zeroes: no magic number */
	ioa_pages_t *pl;
	uint64_t bus;
	void *va;

	(void)state;
	assert_int_equal(ioa_domain_alloc(d, 8192, NULL, NULL, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus + 4096, 4096, NULL), -EINVAL);
	assert_reported("ioa_domain_free", "domain 'misuse'", "never allocated");
	assert_int_equal(ioa_domain_free(d, 0x100000000ull - 4096, 4096, NULL), -EINVAL);
	assert_reported("ioa_domain_free", "domain 'misuse'", "never allocated");
	assert_int_equal(ioa_domain_free(d, bus, 8192, NULL), 0);

	assert_int_equal(ioa_dma_free((ioa_dma_buf_t *)fake), -EINVAL);
	assert_reported("ioa_dma_free", "DMA buffer", "is not a DMA buffer (magic 0x00000000)");
	assert_int_equal(ioa_pages_free((ioa_pages_t *)fake), -EINVAL);
	assert_reported("ioa_pages_free", "page list", "is not a page list");
	assert_int_equal(ioa_dma_channel_free((ioa_dma_channel_t *)fake), -EINVAL);
	assert_reported("ioa_dma_channel_free", "DMA channel", "is not a DMA channel");

	/* Unmapping an address the list did not map it at. */
	assert_int_equal(ioa_pages_alloc(d, 16 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_unmap(pl, fake), -EINVAL);
	assert_reported("ioa_pages_unmap", "page list", "but the list is not mapped");
	assert_int_equal(ioa_pages_map(pl, &va), 0);
	assert_int_equal(ioa_pages_unmap(pl, (char *)va + 4096), -EINVAL);
	assert_reported("ioa_pages_unmap", "page list", "but the list is mapped at");
	assert_int_equal(ioa_pages_unmap(pl, va), 0);
	assert_int_equal(ioa_pages_free(pl), 0);

	assert_int_equal(with_debug_env("owner", "vmem_interior_free"), 0);
	assert_quiet();
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 3. freeing to the wrong client or as the wrong type --------------------------- */

static void case03_wrong_client_or_type(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	ioa_account_t *alice;
	ioa_dma_buf_t *b;
	ioa_pages_t *pl;
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_account_create(ioa_domain_account(d), "alice", IOA_ACCOUNT_UNLIMITED,
					    &alice), 0);
	assert_int_equal(ioa_domain_alloc(d, 8192, NULL, alice, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus, 8192, NULL), -EINVAL); /* the root, not alice */
	assert_reported("ioa_domain_free", "domain 'misuse'",
			"as raw of account 'misuse', but it is raw of account 'alice'");
	assert_int_equal(ioa_domain_free(d, bus, 8192, alice), 0);

	/* A DMA buffer's memory given back as a raw allocation: in debug mode the
	 * buffer sits inside a guarded span, so its bus address starts nothing. */
	assert_int_equal(ioa_dma_alloc(d, 8192, NULL, NULL, 0, &b), 0);
	assert_int_equal(ioa_domain_free(d, ioa_dma_bus(b), 8192, NULL), -EINVAL);
	assert_reported("ioa_domain_free", "domain 'misuse'", "never allocated or is already free");
	assert_int_equal(ioa_dma_free(b), 0);

	/* A page list's run given back as a raw allocation. */
	assert_int_equal(ioa_pages_alloc(d, 16 * KiB, NULL, NULL, IOA_PAGES_F_CONTIGUOUS, 0, &pl), 0);
	assert_int_equal(ioa_pages_frame(pl, 0, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus, 16 * KiB, NULL), -EINVAL);
	assert_reported("ioa_domain_free", "domain 'misuse'", "but it is pages of account");
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_account_destroy(alice), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 4. freeing with the wrong size ----------------------------------------------------- */

static int vmem_wrong_size_is_reported(void)
{
	ioa_vmem_t *vm;
	uint64_t a;

	ioa_set_misuse_handler(record, NULL);
	if (ioa_vmem_create("ids", 1, &vm) || ioa_vmem_add(vm, 0, 100) || ioa_vmem_alloc(vm, 10, &a))
		return 2;
	if (ioa_vmem_free(vm, a, 20) != -EINVAL || ioa_vmem_free(vm, a, 10))
		return 3;
	ioa_vmem_destroy(vm);
	return seen.count == 1 && strstr(seen.message, "different size [allocated 10] [freed 20]")
		       ? 0
		       : 1;
}

static void case04_wrong_size(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_domain_alloc(d, 8192, NULL, NULL, &bus), 0);
	assert_int_equal(ioa_domain_free(d, bus, 4096, NULL), -EINVAL);
	assert_reported("ioa_domain_free", "domain 'misuse'",
			"different size [allocated 8192] [freed 4096]");
	assert_int_equal(ioa_domain_free(d, bus, 8192, NULL), 0);
	assert_int_equal(with_debug_env("owner", "vmem_wrong_size"), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 5. overrun into a guard page ------------------------------------------------------- */

static void case05_overrun_into_guard(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	ioa_dma_buf_t *b;
	ioa_pages_t *pl;
	uint8_t *va;

	(void)state;
	assert_int_equal(ioa_dma_alloc(d, 8192, NULL, NULL, 0, &b), 0);
	va = ioa_dma_va(b);
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va + 8192)));
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va - 1)));
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(ioa_pages_alloc(d, 16 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_map_ring(pl, (void **)&va), 0);
	assert_true(ioa_test_segv(ioa_test_poke_in_child(va + 32 * KiB))); /* past the second copy */
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_quiet(); /* a fault, not a report; hugetlb slack: test_dma_guards */
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 6. use after free ------------------------------------------------------------------- */

static void case06_use_after_free(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	ioa_dma_channel_t *ch;
	ioa_dma_buf_t *b;
	ioa_pages_t *pl;
	uint8_t *va;
	void *map;
	size_t n;

	(void)state;
	assert_int_equal(ioa_dma_alloc(d, 8192, NULL, NULL, 0, &b), 0);
	va = ioa_dma_va(b);
	memset(va, 0x42, 8192);
	assert_int_equal(ioa_dma_free(b), 0);
	assert_int_equal(va[0], 0xdf); /* stale reads see the poison */
	assert_int_equal(ioa_dma_sync_for_device(b, 0, 8192), -EINVAL);
	assert_reported("ioa_dma_sync_for_device", "DMA buffer", "already freed");
	assert_int_equal(ioa_dma_set_buffer_size(b, 100), -EINVAL);
	assert_reported("ioa_dma_set_buffer_size", "DMA buffer", "already freed");

	assert_int_equal(ioa_pages_alloc(d, 16 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_pages_map(pl, &map), -EINVAL); /* would map freed pages */
	assert_reported("ioa_pages_map", "page list", "already freed");
	assert_int_equal(ioa_pages_sg(pl, 4096, 0, NULL, 0, &n), -EINVAL);
	assert_reported("ioa_pages_sg", "page list", "already freed");

	assert_int_equal(ioa_dma_channel_create(d, NULL, 0, NULL, &ch), 0);
	assert_int_equal(ioa_dma_channel_destroy(ch), 0);
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, NULL), -EINVAL);
	assert_reported("ioa_dma_channel_alloc", "DMA channel", "already destroyed");
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 7. destroying with live allocations --------------------------------------------------- */

static void case07_destroy_with_live_allocations(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	uint64_t a, b;
	char path[] = "/tmp/ioalloc-leaks.XXXXXX", text[4096] = "";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(ioa_domain_alloc(d, 4096, NULL, NULL, &a), 0);
	assert_int_equal(ioa_domain_alloc(d, 8192, NULL, NULL, &b), 0);
	fflush(stderr);
	dup2(fd, 2); /* the listing goes to stderr */
	assert_int_equal(ioa_domain_destroy(d), 2); /* and everything freed */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	text[n] = '\0';
	if (!strstr(text, "allocated at ") || strstr(text, "allocated at unknown"))
		fail_msg("the leak list does not say where each allocation was made:\n%s", text);
	assert_reported("ioa_domain_destroy", "domain 'misuse'",
			"destroyed with 2 live allocations (12288 bytes): 2 raw (12288 bytes)");
	d = make(0);
	assert_int_equal(ioa_domain_alloc(d, 4096, NULL, NULL, &a), 0);
	assert_int_equal(ioa_domain_destroy(d), 1); /* without debug: a warning, no report */
	assert_quiet();
}

/* ---- 9. invalid constraints ----------------------------------------------------------------- */

static void case09_invalid_constraints(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	struct ioa_constraint c;
	ioa_dma_channel_t *ch;
	ioa_dma_buf_t *b;
	ioa_pages_t *pl;
	uint64_t bus;

	(void)state;
	ioa_constraint_init(&c);
	c.align = 3;
	assert_int_equal(ioa_domain_alloc(d, 4096, &c, NULL, &bus), -EINVAL);
	assert_reported("ioa_domain_alloc", "domain 'misuse'", "align 3 is not a power of two");

	ioa_constraint_init(&c);
	c.boundary = 32 * KiB;
	assert_int_equal(ioa_dma_alloc(d, 64 * KiB, &c, NULL, 0, &b), -EINVAL);
	assert_reported("ioa_dma_alloc", "domain 'misuse'", "cannot avoid crossing the boundary 0x8000");

	ioa_constraint_init(&c);
	c.boundary = 12345;
	assert_int_equal(ioa_dma_alloc(d, 4096, &c, NULL, 0, &b), -EINVAL);
	assert_reported("ioa_dma_alloc", "domain 'misuse'", "boundary 0x3039 is not a power of two");

	ioa_constraint_init(&c);
	c.min_addr = 0x200000000ull; /* above the domain's bus range */
	assert_int_equal(ioa_pages_alloc(d, 16 * KiB, &c, NULL, 0, 0, &pl), -EINVAL);
	assert_reported("ioa_pages_alloc", "domain 'misuse'", "misses the bus range");

	ioa_constraint_init(&c);
	ioa_constraint_set_dma_bits(&c, 24); /* 15 MiB of the domain below 16 MiB */
	assert_int_equal(ioa_dma_alloc(d, 32ull << 20, &c, NULL, 0, &b), -EINVAL);
	assert_reported("ioa_dma_alloc", "domain 'misuse'", "do not fit the window");

	ioa_constraint_init(&c);
	c.min_addr = 2;
	c.max_addr = 1;
	assert_int_equal(ioa_dma_channel_create(d, &c, 0, NULL, &ch), -EINVAL);
	assert_reported("ioa_dma_channel_create", "domain 'misuse'", "is empty");
	c.size = 0;
	assert_int_equal(ioa_domain_alloc(d, 4096, &c, NULL, &bus), -EINVAL);
	assert_reported("ioa_domain_alloc", "domain 'misuse'", "constraint size field is 0");

	/* A channel's own rules (IDmaChannel). */
	ioa_constraint_init(&c);
	assert_int_equal(ioa_dma_channel_create(d, &c, 8192, NULL, &ch), 0);
	assert_int_equal(ioa_dma_channel_alloc(ch, 16 * KiB, NULL), -EINVAL);
	assert_reported("ioa_dma_channel_alloc", "DMA channel", "above the channel's maximum 8192");
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, NULL), 0);
	assert_int_equal(ioa_dma_channel_alloc(ch, 4096, NULL), -EBUSY);
	assert_reported("ioa_dma_channel_alloc", "DMA channel", "still allocated");
	assert_int_equal(ioa_dma_sync_for_cpu(ioa_dma_channel_buffer(ch), 4000, 100), -EINVAL);
	assert_reported("ioa_dma_sync_for_cpu", "DMA buffer", "outside the allocated 4096 bytes");
	assert_int_equal(ioa_dma_set_buffer_size(ioa_dma_channel_buffer(ch), 8192), -EINVAL);
	assert_reported("ioa_dma_set_buffer_size", "DMA buffer", "outside 1..4096");
	assert_int_equal(ioa_dma_channel_destroy(ch), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);

	/* Without debug mode: the same -EINVAL, no report. */
	d = make(0);
	c.align = 3;
	assert_int_equal(ioa_domain_alloc(d, 4096, &c, NULL, &bus), -EINVAL);
	assert_quiet();
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 10. physical addresses without privilege ----------------------------------------------- */

static void case10_phys_without_privilege(void **state)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;

	(void)state;
	if (ioa_plat_phys_readable()) {
		print_message("SKIP part: this process can read physical addresses (the "
			      "unprivileged rerun checks -EPERM)\n");
		skip();
	}
	ioa_domain_config_init(&cfg);
	cfg.backend = IOA_BACKEND_PHYS;
	cfg.flags |= IOA_DOMAIN_F_DEBUG;
	assert_int_equal(ioa_domain_create(&cfg, &d), -EPERM); /* never a silent VA */
	assert_quiet(); /* an error and a message, not a misuse */
}

/* ---- 11. exceeding a quota ----------------------------------------------------------------- */

static void case11_quota(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	struct ioa_account_stats st = {.size = sizeof(st)};
	ioa_account_t *a;
	ioa_dma_buf_t *b;
	uint64_t bus;

	(void)state;
	assert_int_equal(ioa_account_create(ioa_domain_account(d), "capped", 64 * KiB, &a), 0);
	assert_int_equal(ioa_domain_alloc(d, 48 * KiB, NULL, a, &bus), 0);
	assert_int_equal(ioa_dma_alloc(d, 32 * KiB, NULL, a, 0, &b), -EDQUOT); /* not -ENOMEM */
	assert_int_equal(ioa_account_stats(a, &st), 0);
	assert_true(st.limit == 64 * KiB && st.usage == 48 * KiB);
	assert_true(st.last_refused >= 32 * KiB); /* the request (with guards in debug mode) */
	assert_true(st.failures >= 1);
	assert_quiet();
	assert_int_equal(ioa_domain_free(d, bus, 48 * KiB, a), 0);
	assert_int_equal(ioa_account_destroy(a), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* ---- 13. scatter-gather segments ------------------------------------------------------------- */

static void case13_scatter_gather(void **state)
{
	ioa_domain_t *d = make(IOA_DOMAIN_F_DEBUG);
	struct ioa_run sg[64];
	ioa_pages_t *pl;
	size_t n;

	(void)state;
	assert_int_equal(ioa_pages_alloc(d, 256 * KiB, NULL, NULL, 0, 0, &pl), 0);
	assert_int_equal(ioa_pages_sg(pl, 0, 0, sg, 64, &n), -EINVAL);
	assert_reported("ioa_pages_sg", "page list", "segments cannot be 0 bytes");
	assert_int_equal(ioa_pages_sg(pl, 4096, 3000, sg, 64, &n), -EINVAL);
	assert_reported("ioa_pages_sg", "page list", "boundary is not a power of two");
	/* The split itself never crosses a boundary nor exceeds max_seg (fuzz_pages
	 * checks it against a model for every list it builds). */
	assert_int_equal(ioa_pages_sg(pl, 12 * KiB, 16 * KiB, sg, 64, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(sg[i].len <= 12 * KiB);
		assert_true(sg[i].bus / (16 * KiB) == (sg[i].bus + sg[i].len - 1) / (16 * KiB));
	}
	assert_int_equal(ioa_pages_free(pl), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} children[] = {
		{"vmem_double_free", vmem_double_free_is_reported},
		{"vmem_interior_free", vmem_interior_free_is_reported},
		{"vmem_wrong_size", vmem_wrong_size_is_reported},
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(case01_double_free, setup, teardown),
		cmocka_unit_test_setup_teardown(case02_never_allocated_or_interior, setup, teardown),
		cmocka_unit_test_setup_teardown(case03_wrong_client_or_type, setup, teardown),
		cmocka_unit_test_setup_teardown(case04_wrong_size, setup, teardown),
		cmocka_unit_test_setup_teardown(case05_overrun_into_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(case06_use_after_free, setup, teardown),
		cmocka_unit_test_setup_teardown(case07_destroy_with_live_allocations, setup, teardown),
		cmocka_unit_test_setup_teardown(case09_invalid_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(case10_phys_without_privilege, setup, teardown),
		cmocka_unit_test_setup_teardown(case11_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(case13_scatter_gather, setup, teardown),
	};

	self = argv[0];
	if (argc == 3 && !strcmp(argv[1], "--child")) {
		for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++)
			if (!strcmp(argv[2], children[i].name))
				return children[i].fn();
		return 126;
	}
	if (getenv("IOALLOC_DEBUG"))
		ioa_test_skip("IOALLOC_DEBUG is set: this test sets it itself");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
