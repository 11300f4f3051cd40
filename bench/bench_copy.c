/* SPDX-License-Identifier: MIT */
/*
 * bench_copy: `ioalloc copy` against fio, dd and cp, in one run.
 *
 * What is timed: one copy of a file of random bytes (2 GiB; --quick 256 MiB;
 * --selftest 3 MiB + 5 bytes) from and to a directory on a disk, wall clock
 * from fork to exit of the program(s) doing it. Before every sample, untimed:
 * the previous destination is removed, sync(2), and the page cache is dropped
 * (echo 3 > /proc/sys/vm/drop_caches, root only; noted when not permitted) so
 * the source is read from the disk each time.
 *
 * Implementations (block size 1 MiB, queue depth 16 wherever there is one):
 *   ioalloc   ioalloc copy --block-size 1M --queue-depth 16 --json SRC DST:
 *             O_DIRECT reads and writes through io_uring into registered
 *             ioa_buf buffers, 16 in flight, in phases (its default: read
 *             512 MiB, then write them, ...).
 *   ioalloc_pipeline  the same with --phase-size 0: each block written as
 *             soon as it is read, reads and writes mixed (for reference).
 *   fio       fio 2 jobs, one after the other (stonewall), io_uring engine,
 *             O_DIRECT, registered buffers and files, 1 MiB x 16: job 1 reads
 *             SRC, job 2 writes a new file of the same size. What a copy at
 *             that block size and depth costs the device, read then write,
 *             with fio's own buffers (it copies nothing: the bytes written
 *             are fio's). The exact command line is printed in the notes.
 *   fio_concurrent  the same two jobs at the same time (no stonewall), 8 in
 *             flight each: 16 requests, reads and writes mixed, as a pipelined
 *             copy issues them. For reference: what mixing costs the device.
 *   dd        dd bs=1M iflag=direct oflag=direct: O_DIRECT, one request at a
 *             time (queue depth 1).
 *   cp        cp SRC DST (coreutils: copy_file_range through the page cache);
 *             it returns once the bytes are in the page cache, before they
 *             reach the disk.
 *   cp+fsync  cp, then `sync DST` (fsync): the same bytes on the disk.
 *
 * The samples are taken in rounds, each round one copy per implementation,
 * the order rotated from round to round, so that a slower or busier minute of
 * a shared machine falls on every implementation alike; each round is a row
 * of the table (3 rounds, --quick 1). The targets and the MiB/s metrics use
 * the median over the rounds.
 *
 * Checked after every sample (untimed): the exit status; for ioalloc, dd and
 * the cps that the destination hashes like the source; for ioalloc that its
 * --json says "direct": true where the directory takes O_DIRECT; for fio that
 * its two jobs moved the whole file. Besides wall time, the self-reported
 * figures are kept: ioalloc's --json "seconds", fio's read and write job
 * runtimes (terse output), as a second, startup-free comparison.
 *
 * Environment: IOALLOC_BENCH_COPY_DIR (default /var/tmp) holds the files,
 * which need 2 x the size free and are removed at the end; IOALLOC_TOOL names
 * the ioalloc program (default: the build tree's when run from it, else the
 * installed one, else ioalloc on PATH).
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IOA_BUILD_ROOT
#define IOA_BUILD_ROOT ""
#endif
#ifndef IOA_TOOL_BUILD_PATH
#define IOA_TOOL_BUILD_PATH ""
#endif
#ifndef IOA_TOOL_INSTALL_PATH
#define IOA_TOOL_INSTALL_PATH "/usr/local/bin/ioalloc"
#endif

#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define FULL_SIZE (2 * GiB)
#define QUICK_SIZE (256 * MiB)
#define SELFTEST_SIZE (3 * MiB + 5) /* a tail that is no multiple of any alignment */
#define FULL_ROUNDS 3
#define BLOCK "1M"
#define BLOCK_BYTES MiB
#define DEPTH "16"
#define HALF_DEPTH "8" /* fio_concurrent: two jobs of 8, 16 in flight */
#define FIO_TARGET 0.95    /* ioalloc >= 95% of fio's throughput (docs/BENCHMARKS.md) */
#define CHUNK (1 * MiB)
#define SEED 0x5eed0c0911ull
#define MAX_ROUNDS 8
#define MAX_ARGS 40

enum { IMPL_IOALLOC, IMPL_FIO, IMPL_FIO_CONC, IMPL_IOALLOC_PIPE, IMPL_DD, IMPL_CP,
       IMPL_CP_FSYNC, N_IMPLS };

static const char *const impl_names[N_IMPLS] = { "ioalloc", "fio", "fio_concurrent",
						  "ioalloc_pipeline", "dd", "cp", "cp+fsync" };

struct cb {
	struct bench *b;
	const struct bench_opts *o;
	cpu_set_t cpus;          /* the affinity we started with, given back to children */
	const char *tool;
	char dir[PATH_MAX - 32];
	char src[PATH_MAX], dst[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	const char *fs_type;
	bool dio_ok;             /* the directory takes O_DIRECT (ioalloc said so) */
	uint64_t size, hash;
	bool drop_ok;
	bool fio_fixed;          /* fio may register its buffers (memlock allows) */
	char size_arg[32];
	int impl;                /* being measured */
	char *why;
	size_t why_len;
	/* per implementation, per round: self-reported seconds (ioalloc; fio read, write) */
	double self[N_IMPLS][MAX_ROUNDS], fio_read[MAX_ROUNDS], fio_write[MAX_ROUNDS];
	size_t nself[N_IMPLS];
	double wall[N_IMPLS][MAX_ROUNDS];
	size_t nwall[N_IMPLS];
	bool have[N_IMPLS];
};

/* ---- files ------------------------------------------------------------------------ */

/* A 64-bit hash of 8-byte words (the tail zero-padded), mixed with the length. */
static uint64_t hash_words(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;

		memcpy(&w, p + i, n - i < 8 ? n - i : 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

/* Read fd to the end in CHUNK pieces (only the last may be short); the hash and size. */
static int hash_fd(int fd, uint64_t *hash, uint64_t *size)
{
	unsigned char *buf = malloc(CHUNK);
	uint64_t h = 0xcbf29ce484222325ull, n = 0;
	size_t fill = 0;
	ssize_t r = 1;

	if (!buf)
		return -ENOMEM;
	while (r > 0) {
		r = read(fd, buf + fill, CHUNK - fill);
		if (r > 0)
			fill += (size_t)r;
		if (fill == CHUNK || (r == 0 && fill)) {
			h = hash_words(h, buf, fill);
			n += fill;
			fill = 0;
		}
	}
	free(buf);
	*hash = h ^ n;
	*size = n;
	return r < 0 ? -errno : 0;
}

static int hash_file(const char *path, uint64_t *hash, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = hash_fd(fd, hash, size);
	close(fd);
	return r;
}

/* The source: SIZE random bytes (xorshift64*), written and synced. */
static int make_source(struct cb *c)
{
	uint64_t st = SEED, left = c->size, *buf = malloc(CHUNK);
	int fd = open(c->src, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = 0;

	if (fd < 0 || !buf) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while (left && r == 0) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		for (size_t i = 0; i < CHUNK / 8; i++)
			buf[i] = bench_rand(&st);
		if (write(fd, buf, n) != (ssize_t)n)
			r = errno ? -errno : -EIO;
		left -= n;
	}
	if (r == 0 && fsync(fd) != 0)
		r = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

/* ---- running programs -------------------------------------------------------------- */

/* Run argv with stdout to OUT (NULL: /dev/null), stderr to c->err; the exit status,
 * or -1 (could not run, or a signal). */
static int spawn(struct cb *c, char *const argv[], const char *out)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(c->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* The harness pinned us to one CPU: the programs get what we started with. */
		sched_setaffinity(0, sizeof(c->cpus), &c->cpus);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line of c->err, for a failure's reason. */
static void first_err_line(const struct cb *c, char *buf, size_t len)
{
	FILE *f = fopen(c->err, "re");

	buf[0] = '\0';
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static int why(struct cb *c, const char *fmt, const char *a, int status)
{
	char line[160];

	first_err_line(c, line, sizeof(line));
	snprintf(c->why, c->why_len, fmt, a, status, line);
	return -1;
}

/* On PATH? */
static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char exe[PATH_MAX + 64];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(exe, sizeof(exe), "%.*s/%s", (int)n, n ? p : ".", name);
		if (access(exe, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* ---- the implementations ------------------------------------------------------------ */

/* argv of implementation i: the command line (for cp+fsync, the cp part). */
static int impl_argv(struct cb *c, int i, char **argv)
{
	static char fio_size[48], fio_read[PATH_MAX + 16], fio_write[PATH_MAX + 16];
	static char dd_if[PATH_MAX + 8], dd_of[PATH_MAX + 8];
	int n = 0;

	switch (i) {
	case IMPL_IOALLOC:
	case IMPL_IOALLOC_PIPE:
		argv[n++] = (char *)c->tool;
		argv[n++] = "copy";
		argv[n++] = "--block-size=" BLOCK;
		argv[n++] = "--queue-depth=" DEPTH;
		if (i == IMPL_IOALLOC_PIPE)
			argv[n++] = "--phase-size=0";
		argv[n++] = "--progress=never";
		argv[n++] = "--json";
		argv[n++] = c->src;
		argv[n++] = c->dst;
		break;
	case IMPL_FIO:
	case IMPL_FIO_CONC:
		snprintf(fio_size, sizeof(fio_size), "--size=%s", c->size_arg);
		snprintf(fio_read, sizeof(fio_read), "--filename=%s", c->src);
		snprintf(fio_write, sizeof(fio_write), "--filename=%s", c->dst);
		argv[n++] = "fio";
		argv[n++] = "--output-format=terse";
		argv[n++] = "--terse-version=3";
		argv[n++] = "--ioengine=io_uring";
		argv[n++] = "--direct=1";
		argv[n++] = "--bs=" BLOCK;
		argv[n++] = i == IMPL_FIO ? "--iodepth=" DEPTH : "--iodepth=" HALF_DEPTH;
		argv[n++] = c->fio_fixed ? "--fixedbufs=1" : "--fixedbufs=0";
		argv[n++] = "--registerfiles=1";
		argv[n++] = fio_size;
		argv[n++] = "--name=read";
		argv[n++] = "--rw=read";
		argv[n++] = fio_read;
		argv[n++] = "--name=write";
		if (i == IMPL_FIO)
			argv[n++] = "--stonewall";
		argv[n++] = "--rw=write";
		argv[n++] = fio_write;
		break;
	case IMPL_DD:
		snprintf(dd_if, sizeof(dd_if), "if=%s", c->src);
		snprintf(dd_of, sizeof(dd_of), "of=%s", c->dst);
		argv[n++] = "dd";
		argv[n++] = dd_if;
		argv[n++] = dd_of;
		argv[n++] = "bs=" BLOCK;
		argv[n++] = "iflag=direct";
		argv[n++] = "oflag=direct";
		argv[n++] = "status=none";
		break;
	default: /* cp, cp+fsync */
		argv[n++] = "cp";
		argv[n++] = c->src;
		argv[n++] = c->dst;
		break;
	}
	argv[n] = NULL;
	return n;
}

static int op_prep(void *arg)
{
	struct cb *c = arg;
	int fd;

	unlink(c->dst);
	if (!c->drop_ok)
		return 0;
	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "3", 1) != 1)
		c->drop_ok = false; /* noted at the end */
	if (fd >= 0)
		close(fd);
	return 0;
}

static int op_run(void *arg)
{
	struct cb *c = arg;
	char *argv[MAX_ARGS];
	int st;

	impl_argv(c, c->impl, argv);
	st = spawn(c, argv, c->impl <= IMPL_IOALLOC_PIPE ? c->out : NULL);
	if (st != 0)
		return why(c, "%s exited %d: %s", argv[0], st);
	if (c->impl == IMPL_CP_FSYNC) {
		char *sync_argv[] = { "sync", c->dst, NULL };

		st = spawn(c, sync_argv, NULL);
		if (st != 0)
			return why(c, "%s exited %d: %s", "sync", st);
	}
	return 0;
}

/* The number after "key": in a small JSON document; NAN when absent. */
static double json_number(const char *doc, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(doc, pat);
	return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = f ? calloc(1, 1 << 16) : NULL;

	if (buf)
		fread(buf, 1, (1 << 16) - 1, f);
	if (f)
		fclose(f);
	return buf;
}

static int check_ioalloc(struct cb *c)
{
	char *doc = slurp(c->out);
	double secs = doc ? json_number(doc, "seconds") : NAN;
	bool direct = doc && strstr(doc, "\"direct\": true");

	free(doc);
	if (!(secs >= 0)) {
		snprintf(c->why, c->why_len, "no \"seconds\" in ioalloc's --json output");
		return -1;
	}
	if (c->dio_ok && !direct) {
		snprintf(c->why, c->why_len, "ioalloc did not use O_DIRECT in %s", c->dir);
		return -1;
	}
	if (c->nself[c->impl] < MAX_ROUNDS)
		c->self[c->impl][c->nself[c->impl]++] = secs;
	return 0;
}

/* fio terse v3: field 3 the job name, 6 read KiB, 9 read runtime ms, 47 write KiB,
 * 50 write runtime ms (1-based). */
static int fio_line(const char *line, char *job, size_t job_len, double f[64])
{
	const char *p = line;
	int n = 0;

	job[0] = '\0';
	while (p && n < 64) {
		if (n == 2)
			snprintf(job, job_len, "%.*s", (int)strcspn(p, ";"), p);
		f[n++] = strtod(p, NULL);
		p = strchr(p, ';');
		p = p ? p + 1 : NULL;
	}
	return n;
}

static int check_fio(struct cb *c)
{
	FILE *f = fopen(c->out, "re");
	char line[4096], job[32];
	double fl[64], rd = NAN, wr = NAN;
	uint64_t want = c->size / BLOCK_BYTES * BLOCK_BYTES / 1024; /* fio stops at a block */
	bool rd_ok = false, wr_ok = false;

	while (f && fgets(line, sizeof(line), f)) {
		if (fio_line(line, job, sizeof(job), fl) < 50)
			continue;
		if (strcmp(job, "read") == 0) {
			rd_ok = (uint64_t)fl[5] == want;
			rd = fl[8] / 1e3;
		} else if (strcmp(job, "write") == 0) {
			wr_ok = (uint64_t)fl[46] == want;
			wr = fl[49] / 1e3;
		}
	}
	if (f)
		fclose(f);
	if (!rd_ok || !wr_ok) {
		snprintf(c->why, c->why_len, "fio moved other than %" PRIu64 " KiB each way "
			 "(read %s, write %s)", want, rd_ok ? "ok" : "short", wr_ok ? "ok" : "short");
		return -1;
	}
	if (c->impl == IMPL_FIO_CONC && c->nself[IMPL_FIO_CONC] < MAX_ROUNDS)
		c->self[IMPL_FIO_CONC][c->nself[IMPL_FIO_CONC]++] = rd > wr ? rd : wr;
	if (c->impl == IMPL_FIO && c->nself[IMPL_FIO] < MAX_ROUNDS) {
		c->fio_read[c->nself[IMPL_FIO]] = rd;
		c->fio_write[c->nself[IMPL_FIO]] = wr;
		c->self[IMPL_FIO][c->nself[IMPL_FIO]++] = rd + wr;
	}
	return 0;
}

static int op_check(void *arg)
{
	struct cb *c = arg;
	uint64_t h, n;
	int r;

	if (c->impl == IMPL_FIO || c->impl == IMPL_FIO_CONC)
		return check_fio(c);
	r = hash_file(c->dst, &h, &n);
	if (r != 0 || n != c->size || h != c->hash) {
		snprintf(c->why, c->why_len, "%s: %s", c->dst,
			 r ? strerror(-r) : n != c->size ? "wrong size" : "bytes differ");
		return -1;
	}
	return c->impl == IMPL_IOALLOC || c->impl == IMPL_IOALLOC_PIPE ? check_ioalloc(c) : 0;
}

/* ---- the run ------------------------------------------------------------------------ */

/* Can fio register 16 MiB of buffers? Locking is unlimited with CAP_IPC_LOCK (bit 14
 * of CapEff), else RLIMIT_MEMLOCK counts them (8 MiB by default for users). */
static bool memlock_allows(uint64_t bytes)
{
	struct rlimit rl;

	if (bench_has_cap(14))
		return true;
	return getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	       (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= bytes);
}

static struct cb *live; /* for the signal handler: its files go on ^C */

static void on_signal(int sig)
{
	if (live) {
		unlink(live->src);
		unlink(live->dst);
		unlink(live->out);
		unlink(live->err);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *pick_tool(void)
{
	const char *env = getenv("IOALLOC_TOOL");
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t root = strlen(IOA_BUILD_ROOT);

	if (env && env[0])
		return env;
	if (n > 0 && root && (exe[n] = '\0', strncmp(exe, IOA_BUILD_ROOT, root) == 0) &&
	    access(IOA_TOOL_BUILD_PATH, X_OK) == 0)
		return IOA_TOOL_BUILD_PATH;
	return access(IOA_TOOL_INSTALL_PATH, X_OK) == 0 ? IOA_TOOL_INSTALL_PATH : "ioalloc";
}

static const char *fs_name(long magic)
{
	switch ((unsigned long)(uint32_t)magic) {
	case 0xef53: return "ext4";
	case 0x58465342: return "xfs";
	case 0x9123683e: return "btrfs";
	case 0x01021994: return "tmpfs";
	case 0x794c7630: return "overlay";
	case 0xf2f52010: return "f2fs";
	default: return "other";
	}
}

/* The scratch directory: its file system, free space, names of the files. */
static int setup_dir(struct cb *c)
{
	const char *d = getenv("IOALLOC_BENCH_COPY_DIR");
	struct statvfs vs;
	struct statfs fs;

	snprintf(c->dir, sizeof(c->dir), "%s", d && d[0] ? d : "/var/tmp");
	if (statvfs(c->dir, &vs) != 0 || statfs(c->dir, &fs) != 0) {
		bench_fail(c->b, "%s: %s (set IOALLOC_BENCH_COPY_DIR)", c->dir, strerror(errno));
		return -1;
	}
	c->fs_type = fs_name(fs.f_type);
	if ((uint64_t)vs.f_bavail * vs.f_frsize < 2 * c->size + 256 * MiB) {
		bench_fail(c->b, "%s: needs %" PRIu64 " MiB free, has %" PRIu64 " MiB (set "
			   "IOALLOC_BENCH_COPY_DIR)", c->dir, (2 * c->size + 256 * MiB) / MiB,
			   (uint64_t)vs.f_bavail * vs.f_frsize / MiB);
		return -1;
	}
	snprintf(c->src, sizeof(c->src), "%s/bench_copy.%d.src", c->dir, (int)getpid());
	snprintf(c->dst, sizeof(c->dst), "%s/bench_copy.%d.dst", c->dir, (int)getpid());
	snprintf(c->out, sizeof(c->out), "%s/bench_copy.%d.out", c->dir, (int)getpid());
	snprintf(c->err, sizeof(c->err), "%s/bench_copy.%d.err", c->dir, (int)getpid());
	return 0;
}

static void cleanup(struct cb *c)
{
	unlink(c->src);
	unlink(c->dst);
	unlink(c->out);
	unlink(c->err);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (the lower middle one for even n); NAN for none. */
static double median(const double *v, size_t n)
{
	double s[MAX_ROUNDS];

	if (n == 0)
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return s[(n - 1) / 2];
}

/* ARG with the scratch file names shortened to SRC and DST, the tool to ioalloc. */
static void short_arg(const struct cb *c, const char *arg, char *buf, size_t len)
{
	const char *names[3] = { c->src, c->dst, c->tool }, *subst[3] = { "SRC", "DST", "ioalloc" };

	for (int k = 0; k < 3; k++) {
		const char *p = strstr(arg, names[k]);

		if (p && strcmp(p, names[k]) == 0) { /* a suffix: "if=/x/src" -> "if=SRC" */
			snprintf(buf, len, "%.*s%s", (int)(p - arg), arg, subst[k]);
			return;
		}
	}
	snprintf(buf, len, "%s", arg);
}

static void command_note(struct cb *c, int i)
{
	char *argv[MAX_ARGS], line[1024], a[PATH_MAX + 32];
	size_t len = 0;

	impl_argv(c, i, argv);
	for (int k = 0; argv[k] && len < sizeof(line); k++) {
		short_arg(c, argv[k], a, sizeof(a));
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", k ? " " : "", a);
	}
	bench_note(c->b, "%s: %s%s", impl_names[i], line,
		   i == IMPL_CP_FSYNC ? "; then sync DST (fsync)" : "");
}

/* One round: every implementation once, the order rotated by the round. */
static void round_once(struct cb *c, int round, const struct bench_budget *bud)
{
	char case_name[64], why_buf[512];
	struct bench_op op = { .prep = op_prep, .run = op_run, .check = op_check, .arg = c,
			       .why = why_buf, .why_len = sizeof(why_buf) };

	snprintf(case_name, sizeof(case_name), "%s, round %d", c->size_arg, round + 1);
	c->why = why_buf;
	c->why_len = sizeof(why_buf);
	for (int k = 0; k < N_IMPLS; k++) {
		int i = (k + round) % N_IMPLS;
		const struct bench_stats *s;

		if (!c->have[i]) {
			bench_skip(c->b, case_name, impl_names[i],
				   i == IMPL_FIO || i == IMPL_FIO_CONC ?
				   "unavailable: fio not on PATH (apt-get install fio)" :
				   "unavailable: not on PATH");
			continue;
		}
		fprintf(stderr, "bench_copy: %s: %s\n", case_name, impl_names[i]);
		c->impl = i;
		bench_measure(c->b, case_name, impl_names[i], &op, bud);
		s = bench_get(c->b, case_name, impl_names[i]);
		if (s && c->nwall[i] < MAX_ROUNDS)
			c->wall[i][c->nwall[i]++] = s->p50 / 1e9;
	}
}

static double mib_s(const struct cb *c, double secs)
{
	return secs > 0 ? (double)c->size / (double)MiB / secs : NAN;
}

static void report(struct cb *c)
{
	double w[N_IMPLS], io_self = median(c->self[IMPL_IOALLOC], c->nself[IMPL_IOALLOC]);
	double fio_self = median(c->self[IMPL_FIO], c->nself[IMPL_FIO]);
	char what[160];

	for (int i = 0; i < N_IMPLS; i++) {
		w[i] = median(c->wall[i], c->nwall[i]);
		snprintf(what, sizeof(what), "%s MiB/s (wall, median of rounds)", impl_names[i]);
		if (c->nwall[i])
			bench_metric(c->b, what, mib_s(c, w[i]), "MiB/s");
	}
	if (c->nself[IMPL_IOALLOC])
		bench_metric(c->b, "ioalloc MiB/s (its --json seconds)", mib_s(c, io_self), "MiB/s");
	if (c->nself[IMPL_IOALLOC_PIPE])
		bench_metric(c->b, "ioalloc_pipeline MiB/s (its --json seconds)", mib_s(c,
				median(c->self[IMPL_IOALLOC_PIPE], c->nself[IMPL_IOALLOC_PIPE])),
			     "MiB/s");
	if (c->nself[IMPL_FIO]) {
		bench_metric(c->b, "fio read job MiB/s", mib_s(c, median(c->fio_read,
				c->nself[IMPL_FIO])), "MiB/s");
		bench_metric(c->b, "fio write job MiB/s", mib_s(c, median(c->fio_write,
				c->nself[IMPL_FIO])), "MiB/s");
		bench_metric(c->b, "fio read+write MiB/s (size / job runtimes)", mib_s(c, fio_self),
			     "MiB/s");
	}
	if (c->nself[IMPL_FIO_CONC])
		bench_metric(c->b, "fio_concurrent MiB/s (size / longer job)", mib_s(c,
				median(c->self[IMPL_FIO_CONC], c->nself[IMPL_FIO_CONC])), "MiB/s");
	if (c->o->selftest)
		return;
	/* Against fio, the figures each program reports for its own I/O: fio's wall time
	 * holds about 0.3 s of start-up and job hand-over per job, which would flatter
	 * ioalloc; the wall-time comparison is listed for reference. */
	snprintf(what, sizeof(what), "ioalloc copy >= %.0f%% of fio read+write throughput "
		 "(self-reported: ioalloc --json seconds vs fio read + write job runtimes)",
		 FIO_TARGET * 100);
	if (c->nself[IMPL_IOALLOC] && c->nself[IMPL_FIO])
		bench_target(c->b, what, io_self * 1e9, fio_self * 1e9 / FIO_TARGET, false);
	snprintf(what, sizeof(what), "reference: ioalloc copy vs fio / %.2f, wall time (fio's "
		 "start-up included)", FIO_TARGET);
	if (c->nwall[IMPL_IOALLOC] && c->nwall[IMPL_FIO])
		bench_target(c->b, what, w[IMPL_IOALLOC] * 1e9, w[IMPL_FIO] * 1e9 / FIO_TARGET, true);
	if (c->nwall[IMPL_IOALLOC] && c->nwall[IMPL_DD])
		bench_target(c->b, "ioalloc copy faster than dd iflag=direct oflag=direct (wall, "
			     "median)", w[IMPL_IOALLOC] * 1e9, w[IMPL_DD] * 1e9, false);
}

/* Does the directory take O_DIRECT? Ask ioalloc on a small file there. */
static void probe_direct(struct cb *c)
{
	char *argv[] = { (char *)c->tool, "copy", "--json", "--progress=never", c->src, c->dst,
			 NULL };
	char *doc = NULL;

	if (c->have[IMPL_IOALLOC] && spawn(c, argv, c->out) == 0)
		doc = slurp(c->out);
	c->dio_ok = doc && strstr(doc, "\"direct\": true");
	free(doc);
	unlink(c->dst);
}

static void setup_notes(struct cb *c, int rounds)
{
	bench_note(c->b, "%s bytes of random data, SRC = %s, DST = %s (%s); %d round%s, each "
		   "copy timed from fork to exit", c->size_arg, c->src, c->dst, c->fs_type, rounds,
		   rounds == 1 ? "" : "s");
	for (int i = 0; i < N_IMPLS; i++)
		if (c->have[i])
			command_note(c, i);
	bench_note(c->b, "fio copies nothing: job 1 reads SRC, then (stonewall) job 2 writes a "
		   "new file of the same size; fio_concurrent runs both at once, 8 deep each; "
		   "fio's wall time includes its start-up and laying out the file");
	if (!c->fio_fixed)
		bench_note(c->b, "fio without --fixedbufs: RLIMIT_MEMLOCK is too low to register "
			   "its buffers (no CAP_IPC_LOCK); ioalloc falls back to plain SQEs alike");
	bench_note(c->b, "cp returns before its dirty pages reach the disk (writeback happens "
		   "in the next sample's untimed sync); cp+fsync includes it");
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct cb *c = calloc(1, sizeof(*c));
	int rounds, r = bench_parse_args(argc, argv, "copy", &o);
	struct bench_budget bud = { 1, 1, 0 };

	if (r != 0 || !c)
		return r > 0 ? 0 : 2;
	c->o = &o;
	sched_getaffinity(0, sizeof(c->cpus), &c->cpus);
	c->b = bench_begin("copy", &o);
	if (!c->b)
		return 1;
	c->size = o.selftest ? SELFTEST_SIZE : o.quick ? QUICK_SIZE : FULL_SIZE;
	rounds = o.selftest || o.quick ? 1 : FULL_ROUNDS;
	snprintf(c->size_arg, sizeof(c->size_arg), "%" PRIu64, c->size);
	if (c->size % MiB == 0)
		snprintf(c->size_arg, sizeof(c->size_arg), "%" PRIu64 "M", c->size / MiB);
	c->tool = pick_tool();
	c->have[IMPL_IOALLOC] = access(c->tool, X_OK) == 0 || have_program(c->tool);
	c->have[IMPL_IOALLOC_PIPE] = c->have[IMPL_IOALLOC];
	c->have[IMPL_FIO] = c->have[IMPL_FIO_CONC] = have_program("fio");
	/* 16 MiB of fio buffers, twice over (pinned and, for the concurrent run, two jobs). */
	c->fio_fixed = memlock_allows(32 * MiB);
	c->have[IMPL_DD] = have_program("dd");
	c->have[IMPL_CP] = c->have[IMPL_CP_FSYNC] = have_program("cp") && have_program("sync");
	/* --selftest runs under `make check`: no system-wide sync and cache drop there. */
	c->drop_ok = !o.selftest && access("/proc/sys/vm/drop_caches", W_OK) == 0;
	if (setup_dir(c) == 0) {
		live = c;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		fprintf(stderr, "bench_copy: writing %s (%s)\n", c->src, c->size_arg);
		if ((r = make_source(c)) != 0 || (r = hash_file(c->src, &c->hash, &c->size)) != 0) {
			bench_fail(c->b, "%s: %s", c->src, strerror(-r));
		} else {
			probe_direct(c);
			setup_notes(c, rounds);
			bench_table(c->b, "copy", "copy SRC DST: wall time per copy (ns)", "ioalloc");
			for (int k = 0; k < rounds; k++)
				round_once(c, k, &bud);
			report(c);
			if (!c->dio_ok)
				bench_note(c->b, "O_DIRECT is refused in %s: ioalloc copied through the "
					   "page cache; dd's direct flags failed", c->dir);
		}
		cleanup(c);
	}
	bench_note(c->b, c->drop_ok ? "page cache dropped before every copy (sync; echo 3 > "
		   "/proc/sys/vm/drop_caches)" : o.selftest ? "page cache not dropped (--selftest)" :
		   "page cache NOT dropped (needs root): sources may be read from memory");
	r = bench_end(c->b);
	free(c);
	return r;
}
