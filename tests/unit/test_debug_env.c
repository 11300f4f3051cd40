/* SPDX-License-Identifier: MIT */
/*
 * The environment switches: IOALLOC_DEBUG (parsed from one table; unknown
 * keys and bad values named; domains created under it are in debug mode;
 * abort=0 keeps the default misuse handler from aborting) and IOALLOC_FAULT
 * (arms the platform's fault injection at its first call; malformed values
 * inject nothing). Both are read once per process, so each case that sets
 * one runs in a forked child that has not touched the library yet.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ioalloc/account.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>

#include "debug/debug.h"
#include "domain/domain_impl.h"
#include "platform/platform.h"

/* ---- IOALLOC_DEBUG, the parser ---------------------------------------------- */

static void debug_parser_reads_its_table(void **state)
{
	static const struct {
		const char *spec;
		int ret;
		unsigned bits;
	} cases[] = {
		{"", 0, 0},
		{",,", 0, 0},
		{"guards", 0, IOA_DBG_GUARDS},
		{"redzones,poison", 0, IOA_DBG_REDZONES | IOA_DBG_POISON},
		{"owner=1,leaks", 0, IOA_DBG_OWNER | IOA_DBG_LEAKS},
		{"all", 0, IOA_DBG_ALL},
		{"all,poison=0", 0, IOA_DBG_ALL & ~IOA_DBG_POISON},
		{"all=1,all=0", 0, 0},
		{"abort=0", 0, IOA_DBG_NOABORT},
		{"abort=0,abort=1", 0, 0},
		{"abort", 0, 0},
		{"guards,bogus,leaks", -EINVAL, IOA_DBG_GUARDS | IOA_DBG_LEAKS},
		{"guards=2", -EINVAL, 0},
		{"guards=", -EINVAL, 0},
		{"Guards", -EINVAL, 0},
		{" guards", -EINVAL, 0},
		{"=1", -EINVAL, 0},
	};
	char err[160];
	unsigned bits;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		assert_int_equal(ioa__debug_parse(cases[i].spec, &bits, err, sizeof(err)),
				 cases[i].ret);
		assert_int_equal(bits, cases[i].bits);
		assert_true(cases[i].ret == 0 || err[0]);
	}
	assert_int_equal(ioa__debug_parse("guards,bogus,nope", &bits, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key 'bogus'")); /* the first bad one */
	assert_non_null(strstr(err, "known: guards, redzones"));
	assert_int_equal(ioa__debug_parse("leaks=yes", &bits, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "key 'leaks': bad value 'yes' (expected 0 or 1)");
	assert_int_equal(ioa__debug_parse(NULL, &bits, err, sizeof(err)), 0);
	assert_int_equal(bits, 0);
	assert_int_equal(ioa__debug_parse("bogus", &bits, NULL, 0), -EINVAL); /* no err buffer */
}

/* ---- forked children: the environment is read once per process -------------------- */

/* Run fn in a child with NAME=value set before its first library call; the
 * child's exit status (fn's return) is returned. stderr goes to errfile. */
static int child(const char *name, const char *value, int (*fn)(void), const char *errfile)
{
	pid_t pid = ioa_test_fork();

	if (pid == 0) {
		if (errfile) { /* unbuffered: the child leaves with _exit */
			int fd = open(errfile, O_WRONLY | O_TRUNC);

			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		setenv(name, value, 1);
		_exit(fn());
	}
	return ioa_test_exit_code(pid);
}

static bool file_has(const char *path, const char *text)
{
	char buf[1024] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return strstr(buf, text) != NULL;
}

static ioa_domain_t *plain_domain(void)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d = NULL;

	ioa_domain_config_init(&cfg);
	cfg.name = "env";
	cfg.size_limit = 8 << 20;
	cfg.flags = 0; /* no debug flag, no lock, no prefault */
	return ioa_domain_create(&cfg, &d) ? NULL : d;
}

/* 0 if a domain created without the flag is in debug mode; 1 if not. */
static int domain_is_debug(void)
{
	ioa_domain_t *d = plain_domain();
	int r = d && ioa__domain_debug(d) ? 0 : 1;

	ioa_domain_destroy(d);
	return r;
}

static int bits_are_guards_leaks(void)
{
	return ioa__debug_env() == (IOA_DBG_GUARDS | IOA_DBG_LEAKS) ? 0 : 1;
}

static void debug_env_makes_domains_debug(void **state)
{
	char errfile[] = "/tmp/ioalloc-debug-env.XXXXXX";
	int fd = mkstemp(errfile);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(child("IOALLOC_DEBUG", "guards", domain_is_debug, NULL), 0);
	assert_int_equal(child("IOALLOC_DEBUG", "all", domain_is_debug, NULL), 0);
	assert_int_equal(child("IOALLOC_DEBUG", "owner", domain_is_debug, NULL), 0);
	assert_int_equal(child("IOALLOC_DEBUG", "redzones", domain_is_debug, NULL), 1); /* pools only */
	assert_int_equal(child("IOALLOC_DEBUG", "", domain_is_debug, NULL), 1);
	assert_int_equal(child("IOALLOC_DEBUG", "all=0", domain_is_debug, NULL), 1);
	/* A bad item is named on stderr and skipped; the good ones apply. */
	assert_int_equal(child("IOALLOC_DEBUG", "guards,gaurds,leaks", bits_are_guards_leaks,
			       errfile), 0);
	assert_true(file_has(errfile, "ioalloc: IOALLOC_DEBUG: unknown key 'gaurds'"));
	unlink(errfile);
}

/* abort=0: the default handler prints the report and the call returns its
 * error: 0 when that happened. */
static int misuse_returns(void)
{
	ioa_account_t *a;
	int r;

	if (ioa_account_create(NULL, "client", IOA_ACCOUNT_UNLIMITED, &a))
		return 2;
	r = ioa_account_uncharge(a, 4096) == -EINVAL ? 0 : 1;
	ioa_account_destroy(a);
	return r;
}

static void debug_env_abort_0_keeps_the_default_handler_from_aborting(void **state)
{
	char errfile[] = "/tmp/ioalloc-debug-abort.XXXXXX";
	int fd = mkstemp(errfile);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(child("IOALLOC_DEBUG", "abort=0", misuse_returns, errfile), 0);
	assert_true(file_has(errfile, "ioalloc: misuse: ioa_account_uncharge: account 'client': "
				      "uncharging 4096 bytes would drive usage 0 below zero"));
	/* The default: print, then abort (SIGABRT, 128 + 6). */
	assert_int_equal(child("IOALLOC_DEBUG", "", misuse_returns, errfile), 128 + 6);
	assert_true(file_has(errfile, "ioalloc: misuse: ioa_account_uncharge"));
	unlink(errfile);
}

/* ---- IOALLOC_FAULT --------------------------------------------------------------- */

static void fault_parser_reads_sites_and_counts(void **state)
{
	static const struct {
		const char *spec;
		int ret, site;
		uint64_t nth, every, seed;
	} cases[] = {
		{"mmap:nth=3", 0, IOA_SITE_MMAP, 3, 0, 1},
		{"mlock:every=7:seed=1", 0, IOA_SITE_MLOCK, 0, 7, 1},
		{"all:every=3:seed=0x10", 0, IOA_SITE_COUNT, 0, 3, 16},
		{"memfd:nth=1", 0, IOA_SITE_MEMFD, 1, 0, 1},
		{"memfd_create:nth=2", 0, IOA_SITE_MEMFD, 2, 0, 1}, /* the platform's own name */
		{"ftruncate:nth=1", 0, IOA_SITE_FTRUNCATE, 1, 0, 1},
		{"pagemap:every=2", 0, IOA_SITE_PAGEMAP, 0, 2, 1},
		{"uring:nth=1", 0, IOA_SITE_URING, 1, 0, 1},
		{"seed=1:every=2", -EINVAL, 0, 0, 0, 0},
		{"mmap", -EINVAL, 0, 0, 0, 0},           /* neither nth nor every */
		{"mmap:nth=0", -EINVAL, 0, 0, 0, 0},
		{"mmap:nth=1:every=2", -EINVAL, 0, 0, 0, 0},
		{"mmap:nth=1:seed=3", -EINVAL, 0, 0, 0, 0},
		{"mmap:nth=1:nth=2", -EINVAL, 0, 0, 0, 0},
		{"mmap:nth=-1", -EINVAL, 0, 0, 0, 0},
		{"mmap:nth=18446744073709551616", -EINVAL, 0, 0, 0, 0}, /* 2^64 */
		{"mmap:nth=3:", -EINVAL, 0, 0, 0, 0},
		{"brk:nth=3", -EINVAL, 0, 0, 0, 0},
		{"mmap:often=3", -EINVAL, 0, 0, 0, 0},
		{"", -EINVAL, 0, 0, 0, 0},
	};
	struct ioa__fault_spec f;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0xee, sizeof(f));
		err[0] = 0;
		assert_int_equal(ioa__fault_parse(cases[i].spec, &f, err, sizeof(err)), cases[i].ret);
		if (cases[i].ret) {
			assert_true(err[0]);
			continue;
		}
		assert_int_equal(f.site, cases[i].site);
		assert_int_equal(f.nth, cases[i].nth);
		assert_int_equal(f.every, cases[i].every);
		assert_int_equal(f.seed, cases[i].seed);
	}
	assert_int_equal(ioa__fault_parse("brk:nth=3", &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown site 'brk'"));
}

/* A domain and a DMA buffer under whatever IOALLOC_FAULT says: exit 0 if
 * exactly `want` faults were injected (-1: at least one) and every call
 * either worked or failed cleanly with nothing left behind. */
static int run_faulted(long want)
{
	ioa_domain_t *d = plain_domain();
	ioa_dma_buf_t *b[8] = {NULL};
	uint64_t n;
	int r;

	if (d) { /* 8 x 1 MiB fill the 8 MiB arena: four 2 MiB growths, four mmaps */
		for (int i = 0; i < 8; i++) {
			r = ioa_dma_alloc(d, 1 << 20, NULL, NULL, 0, &b[i]);
			if (r && r != -ENOMEM)
				return 3;
		}
		for (int i = 0; i < 8; i++)
			if (ioa_dma_free(b[i]))
				return 4;
		if (ioa_domain_destroy(d) != 0)
			return 5;
	}
	n = ioa_plat_fault_count();
	if (want < 0)
		return n > 0 ? 0 : 1;
	return n == (uint64_t)want ? 0 : 1;
}

static int want_one(void)
{
	return run_faulted(1);
}

static int want_some(void)
{
	return run_faulted(-1);
}

static int want_none(void)
{
	return run_faulted(0);
}

/* The second mmap of a fresh process is the first arena growth: -ENOMEM. */
static int second_mmap_fails(void)
{
	ioa_domain_t *d = plain_domain();
	ioa_dma_buf_t *b;
	int r;

	if (!d)
		return 2;
	r = ioa_dma_alloc(d, 4096, NULL, NULL, 0, &b);
	if (r != -ENOMEM || ioa_plat_fault_count() != 1)
		return 1;
	if (ioa_dma_alloc(d, 4096, NULL, NULL, 0, &b) || ioa_dma_free(b))
		return 3; /* only the second failed */
	return ioa_domain_destroy(d) == 0 ? 0 : 4;
}

/* A test's own setting replaces the environment's. */
static int test_setting_wins(void)
{
	ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
	return run_faulted(0);
}

static void fault_env_drives_injection(void **state)
{
	char errfile[] = "/tmp/ioalloc-fault-env.XXXXXX";
	int fd = mkstemp(errfile);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(child("IOALLOC_FAULT", "mmap:nth=2", second_mmap_fails, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "mmap:nth=3", want_one, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "all:every=2:seed=7", want_some, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "ftruncate:nth=1", want_one, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "memfd:nth=1", want_one, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "mmap:nth=2", test_setting_wins, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "", want_none, NULL), 0);
	assert_int_equal(child("IOALLOC_FAULT", "mmap:nth=two", want_none, errfile), 0);
	assert_true(file_has(errfile, "ioalloc: IOALLOC_FAULT=mmap:nth=two: 'nth=two': expected "
				      "nth=N with N a positive number; no faults injected"));
	unlink(errfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debug_parser_reads_its_table),
		cmocka_unit_test(debug_env_makes_domains_debug),
		cmocka_unit_test(debug_env_abort_0_keeps_the_default_handler_from_aborting),
		cmocka_unit_test(fault_parser_reads_sites_and_counts),
		cmocka_unit_test(fault_env_drives_injection),
	};

	if (getenv("IOALLOC_DEBUG") || getenv("IOALLOC_FAULT"))
		ioa_test_skip("IOALLOC_DEBUG or IOALLOC_FAULT is set: this test sets them itself");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
