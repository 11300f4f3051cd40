/* SPDX-License-Identifier: MIT */
/*
 * `ioalloc copy [options] SRC DST`: copy a file with O_DIRECT reads and writes through
 * io_uring, into registered page-aligned ioa_buf buffers.
 *
 * Slots.  Each slot owns one ioa_buf of BLOCK_SIZE bytes (one allocator,
 * IOA_BUF_F_PAGE_ALIGNED, the size class reserved up front in one chunk and registered
 * with the ring as fixed buffers); a block is read into a slot and written from it at
 * the same offset of the destination, so no byte is copied in memory.  At most
 * QUEUE_DEPTH requests are in flight; a short transfer is resubmitted for the rest.
 *
 * Phases (the default).  PHASE_SIZE / BLOCK_SIZE slots take the blocks in file order:
 * a phase reads its blocks, then writes them, then the next phase begins, so reads and
 * writes do not mix, which some devices serve much more slowly than either alone (a
 * virtio disk measured at about 3/4 of the throughput, docs/BENCHMARKS.md).  The
 * direction turns as soon as every request of the current one is issued: the first
 * writes go out as the phase's last reads land and the next phase's first reads go
 * into the slots whose writes have landed, so the queue stays full across a turn and
 * the two directions overlap by at most QUEUE_DEPTH requests.  The automatic phase is
 * 512 MiB within 1/8 of the RAM and what RLIMIT_MEMLOCK lets the process lock, and
 * half the file when that is less (see auto_phase_size).
 *
 * The pipeline (--phase-size 0).  QUEUE_DEPTH slots: a free slot reads the next block,
 * and writes it as soon as the read completes, so reads and writes are mixed; it needs
 * only QUEUE_DEPTH buffers.
 *
 * The tail.  With O_DIRECT every offset and length must be a multiple of the file
 * system's alignment (statx STATX_DIOALIGN through ioa_dio_align; BLOCK_SIZE must be a
 * multiple of it).  A last block that is not is read rounded up (the kernel stops at the
 * end of the file), its slack is zeroed, it is written rounded up, and the destination
 * is cut back to the source's size with ftruncate at the end: one code path, every
 * request direct, the bytes exact.
 *
 * The destination is opened without O_TRUNC and compared with the source (st_dev and
 * st_ino) before anything is written, so `copy f f`, a hard link or a symlink to the
 * source never destroys it.  A new destination gets the source's permission bits.
 *
 * Fallbacks, each said on stderr (the first) or with --verbose and in the JSON "notes":
 *   - a file system that refuses O_DIRECT (fcntl F_SETFL O_DIRECT fails with EINVAL,
 *     e.g. ramfs): that side goes through the page cache; --direct=require: an error;
 *   - registering the buffers fails (RLIMIT_MEMLOCK without CAP_IPC_LOCK): plain
 *     read/write SQEs; a buffer outside the registered memory (blocks over
 *     IOA_BUF_MAX_POOLED are allocated one by one): plain SQEs for it;
 *   - the allocator cannot provide the buffers: aligned_alloc, not registered;
 *   - no io_uring (built without liburing, or io_uring_disabled): pread/pwrite, one
 *     block at a time.
 *
 * Errors and signals.  On an error, SIGINT, SIGTERM or SIGHUP nothing new is submitted,
 * what is in flight is waited for, and a destination this command created or truncated
 * is removed, so no partial copy is left under DST's name; the source is only read.
 * A signal exits 128 + its number (SIGINT: 130).  Signals ignored when the command
 * starts (a background job of a script) stay ignored, as in dd.
 */
#include "json.h"
#include "sysprobe.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef IOA_HAVE_URING
#include <liburing.h>
#endif

#include <ioalloc/buf.h>

/* 1 MiB: the largest pooled, hence registrable, buffer (IOA_BUF_MAX_POOLED), and where
 * sequential throughput of disks and virtio devices stops growing with the block size. */
#define DEFAULT_BLOCK_SIZE ((uint64_t)IOA_BUF_MAX_POOLED)
/* 16 x 1 MiB in flight keeps an NVMe or virtio queue busy; fio's examples use 16-32. */
#define DEFAULT_QUEUE_DEPTH 16u
#define MAX_BLOCK_SIZE ((uint64_t)256 << 20)
#define MAX_QUEUE_DEPTH 1024u        /* SQ entries; io_uring allows 32768 */
#define MAX_BUFFER_BYTES ((uint64_t)1 << 30) /* block size x queue depth */
#define MAX_PHASE_SIZE ((uint64_t)4 << 30)
/* A phase's buffers are one ioa_buf each: 65536 headers and slots are a few MiB. */
#define MAX_PHASE_BLOCKS 65536u
/* The automatic phase (see auto_phase_size): at most AUTO_PHASE_SIZE, measured best
 * on a virtio disk (docs/BENCHMARKS.md, bench_copy; 256 MiB turns too often, 1 GiB
 * takes 0.4 s to allocate and fault in); at most 1/AUTO_PHASE_RAM_SHARE of the RAM; and
 * not under AUTO_PHASE_MIN_QUEUES queues' worth of blocks, below which each turn of
 * direction, a queue drained and refilled, costs more than the mixing it saves. */
#define AUTO_PHASE_SIZE ((uint64_t)512 << 20)
#define AUTO_PHASE_RAM_SHARE 8u
#define AUTO_PHASE_MIN_QUEUES 4u
#define PROGRESS_NS 100000000ull     /* redraw at most 10 times a second */
#define MAX_NOTES 8
#define NOTE_LEN 256

enum { DIRECT_AUTO, DIRECT_REQUIRE, DIRECT_NEVER };
enum { PROGRESS_AUTO, PROGRESS_ALWAYS, PROGRESS_NEVER };

/* Set by the signal handler: the signal's number. */
static volatile sig_atomic_t copy_signal;

struct copy_file {
	const char *path;
	int fd;
	struct stat st;
	bool direct;            /* O_DIRECT is on */
	const char *fs_type;    /* "ext4", ...; NULL when unknown */
	struct ioa_dio_align dio;
};

/* One block in flight: read into data, then written from it. */
struct slot {
	ioa_buf_t *buf;         /* NULL when the memory came from aligned_alloc */
	char *data;
	bool fixed;             /* data lies in registered buffer index */
	unsigned index;
	bool busy, writing;
	bool ready;             /* phased: read, its write not yet issued */
	uint64_t off;           /* file offset of the block */
	size_t len;             /* bytes of the block (the last one may be short) */
	size_t io_len;          /* bytes the current phase moves: len, rounded up for O_DIRECT */
	size_t pos;             /* bytes of io_len already moved */
};

struct copy {
	/* options */
	uint64_t block_size;
	unsigned queue_depth;
	uint64_t phase_size;    /* 0: the pipeline */
	bool phase_given;
	int direct_mode, progress_mode;
	bool json, verbose, block_size_given;
	char dst_path[PATH_MAX];

	/* files, set up before copying */
	struct copy_file src, dst;
	bool dst_made;          /* created or truncated here: removed on failure */
	bool preallocated;      /* fallocate gave DST its blocks and size */
	uint64_t size;          /* bytes to copy: the source's size when opened */
	uint32_t align;         /* O_DIRECT offset and length alignment; 1 without O_DIRECT */

	/* buffers and engine */
	ioa_buf_allocator_t *alloc;
	struct slot *slots;
	unsigned nslots;        /* queue_depth, or the blocks of a phase */
	const char *engine;     /* "io_uring" or "pread" */
	bool phased;            /* phases on io_uring (pread goes block by block anyway) */
	unsigned fixed;         /* slots with registered buffers */
	bool fixed_files;

	/* progress, written by the engine */
	uint64_t next;          /* offset of the next block to read */
	uint64_t wnext;         /* phased: offset of the next block to write */
	uint64_t phase_end;     /* phased: where the reads of this phase stop */
	bool phase_writing;     /* phased: issuing writes */
	uint64_t done;          /* bytes written */
	unsigned inflight;
	int err;                /* first error: -errno */
	const char *err_path;   /* the file it concerns */
	const char *err_what;   /* "read", "write", ... */
	uint64_t t0, t1, last_draw;
	bool show_progress;

	char notes[MAX_NOTES][NOTE_LEN];
	int nnotes;
};

static void copy_usage(FILE *f)
{
	fputs("Usage: ioalloc copy [options] SRC DST\n"
	      "\n"
	      "Copy the file SRC to DST (a file, or a directory to copy into) with O_DIRECT\n"
	      "reads and writes through io_uring, into registered page-aligned buffers.\n"
	      "\n"
	      "Options:\n"
	      "  -b, --block-size SIZE       bytes per request (default 1M; K, M, G suffixes);\n"
	      "                              a multiple of the O_DIRECT alignment\n"
	      "  -q, --queue-depth N         requests in flight (default 16)\n"
	      "      --phase-size SIZE|auto  read SIZE bytes, then write them, and so on, so\n"
	      "                              reads and writes do not mix (default auto: 512M\n"
	      "                              or half the file, within 1/8 of the RAM and\n"
	      "                              RLIMIT_MEMLOCK); 0: a pipeline, each block\n"
	      "                              written once read\n"
	      "      --direct=auto|require|never\n"
	      "                              O_DIRECT where the file system takes it, else the\n"
	      "                              page cache (auto, the default); or fail; or never\n"
	      "      --progress=auto|always|never\n"
	      "                              progress on stderr (auto: when it is a terminal)\n"
	      "      --json                  one JSON summary on stdout (keys in ioalloc(1))\n"
	      "  -v, --verbose               say how the copy is done on stderr\n"
	      "  -h, --help                  show this help\n"
	      "\n"
	      "Exit status: 0 copied, 1 failed (DST removed), 2 usage, 128+N on signal N\n"
	      "(130 for SIGINT; DST removed).\n", f);
}

/* ---- small helpers ---------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static const char *iec(uint64_t v)
{
	static char buf[4][32]; /* a few per printf call */
	static int next;

	next = (next + 1) % 4;
	return fmt_iec(v, buf[next], sizeof(buf[next]));
}

static void note(struct copy *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct copy *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nnotes == MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(c->notes[c->nnotes++], NOTE_LEN, fmt, ap);
	va_end(ap);
}

/* Record the first error: -errno, the file, what was being done. Returns err. */
static int set_error(struct copy *c, int err, const char *path, const char *what)
{
	if (c->err == 0) {
		c->err = err;
		c->err_path = path;
		c->err_what = what;
	}
	return err;
}

/* ---- options ---------------------------------------------------------------------- */

/* "4096", "64K", "1M", "1MiB", "2G": 0 or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	static const char *const suffix[] = { "", "K", "M", "G" };
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(suffix[i]);

		if (strncasecmp(end, suffix[i], n) != 0 ||
		    (end[n] && strcmp(end + n, i ? "iB" : "B") != 0))
			continue;
		if (v > (UINT64_MAX >> (10 * i)))
			return -EINVAL;
		*out = (uint64_t)v << (10 * i);
		return 0;
	}
	return -EINVAL;
}

/* ARG as an index of WORDS ("auto", "always", "never"): 0 or -EINVAL. */
static int parse_word(const char *arg, const char *const words[3], int *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(arg, words[i]) == 0) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

static int option_error(const char *fmt, const char *arg)
{
	tool_error("copy", fmt, arg);
	copy_usage(stderr);
	return EXIT_USAGE;
}

static int parse_value(struct copy *c, int opt, const char *arg)
{
	static const char *const direct[3] = { "auto", "require", "never" };
	static const char *const progress[3] = { "auto", "always", "never" };
	uint64_t v;

	switch (opt) {
	case 'b':
		if (parse_size(arg, &v) || v == 0 || v > MAX_BLOCK_SIZE)
			return option_error("bad --block-size '%s' (1 byte to 256M)", arg);
		c->block_size = v;
		c->block_size_given = true;
		return EXIT_OK;
	case 'q':
		if (parse_size(arg, &v) || v == 0 || v > MAX_QUEUE_DEPTH)
			return option_error("bad --queue-depth '%s' (1 to 1024)", arg);
		c->queue_depth = (unsigned)v;
		return EXIT_OK;
	case 'P':
		if (strcmp(arg, "auto") == 0) {
			c->phase_size = 0;
			c->phase_given = false;
			return EXIT_OK;
		}
		if (parse_size(arg, &v) || v > MAX_PHASE_SIZE)
			return option_error("bad --phase-size '%s' (auto, 0 for the pipeline, or up "
					    "to 4G)", arg);
		c->phase_size = v;
		c->phase_given = true;
		return EXIT_OK;
	case 'd':
		return parse_word(arg, direct, &c->direct_mode)
			       ? option_error("bad --direct '%s' (auto, require or never)", arg)
			       : EXIT_OK;
	default: /* 'p' */
		return parse_word(arg, progress, &c->progress_mode)
			       ? option_error("bad --progress '%s' (auto, always or never)", arg)
			       : EXIT_OK;
	}
}

/* Options and the two names; EXIT_OK with *done set after --help. */
static int parse_options(int argc, char **argv, struct copy *c, bool *done)
{
	static const struct option longopts[] = {
		{"block-size", required_argument, NULL, 'b'},
		{"queue-depth", required_argument, NULL, 'q'},
		{"phase-size", required_argument, NULL, 'P'},
		{"direct", required_argument, NULL, 'd'},
		{"progress", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "b:q:vh", longopts, NULL)) != -1) {
		if (opt == 'j') {
			c->json = true;
		} else if (opt == 'v') {
			c->verbose = true;
		} else if (opt == 'h') {
			copy_usage(stdout);
			*done = true;
			return EXIT_OK;
		} else if (opt == '?' || opt == ':') {
			return option_error(strchr("bqPdp", optopt) && optopt
						    ? "option '%s' needs an argument"
						    : "unknown option '%s'",
					    argv[optind - 1]);
		} else if ((r = parse_value(c, opt, optarg)) != EXIT_OK) {
			return r;
		}
	}
	if (argc - optind != 2) {
		tool_error("copy", "need SRC and DST, got %d name%s", argc - optind,
			   argc - optind == 1 ? "" : "s");
		copy_usage(stderr);
		return EXIT_USAGE;
	}
	if ((uint64_t)c->queue_depth * c->block_size > MAX_BUFFER_BYTES) {
		tool_error("copy", "--block-size x --queue-depth is %s, over the %s limit",
			   iec(c->block_size * c->queue_depth), iec(MAX_BUFFER_BYTES));
		return EXIT_USAGE;
	}
	if (c->phase_given && c->phase_size / c->block_size > MAX_PHASE_BLOCKS) {
		tool_error("copy", "--phase-size %s is over %u blocks of %s: take larger blocks "
			   "or a smaller phase", iec(c->phase_size), MAX_PHASE_BLOCKS,
			   iec(c->block_size));
		return EXIT_USAGE;
	}
	c->src.path = argv[optind];
	c->dst.path = argv[optind + 1];
	return EXIT_OK;
}

/* ---- the files -------------------------------------------------------------------- */

static int open_src(struct copy *c)
{
	struct copy_file *f = &c->src;

	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &f->st) != 0) {
		tool_error("copy", "%s: %s", f->path, strerror(errno));
		return EXIT_ERROR;
	}
	if (!S_ISREG(f->st.st_mode)) {
		tool_error("copy", "%s: not a regular file", f->path);
		return EXIT_ERROR;
	}
	c->size = (uint64_t)f->st.st_size;
	return EXIT_OK;
}

/* DST naming a directory means DIR/basename(SRC), as cp does. */
static int resolve_dst(struct copy *c)
{
	const char *base = strrchr(c->src.path, '/');
	struct stat st;

	if (stat(c->dst.path, &st) != 0 || !S_ISDIR(st.st_mode))
		return EXIT_OK;
	base = base ? base + 1 : c->src.path;
	if ((size_t)snprintf(c->dst_path, sizeof(c->dst_path), "%s/%s", c->dst.path, base) >=
	    sizeof(c->dst_path)) {
		tool_error("copy", "%s/%s: %s", c->dst.path, base, strerror(ENAMETOOLONG));
		return EXIT_ERROR;
	}
	c->dst.path = c->dst_path;
	return EXIT_OK;
}

/* Open (or create, with the source's permission bits) without truncating: the checks
 * against the source come first. */
static int open_dst(struct copy *c)
{
	struct copy_file *f = &c->dst;

	f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, c->src.st.st_mode & 0777);
	if (f->fd >= 0)
		c->dst_made = true;
	else if (errno == EEXIST)
		f->fd = open(f->path, O_WRONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &f->st) != 0) {
		tool_error("copy", "%s: %s", f->path, strerror(errno));
		return EXIT_ERROR;
	}
	if (f->st.st_dev == c->src.st.st_dev && f->st.st_ino == c->src.st.st_ino) {
		tool_error("copy", "%s: the same file as %s (nothing copied)", f->path,
			   c->src.path);
		return EXIT_ERROR;
	}
	if (!S_ISREG(f->st.st_mode)) {
		tool_error("copy", "%s: not a regular file", f->path);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* Turn O_DIRECT on for F where the mode and the file system allow; EXIT_ERROR when
 * --direct=require cannot be met. */
static int setup_direct(struct copy *c, struct copy_file *f, const char *side)
{
	struct sys_path p;
	long page = sysconf(_SC_PAGESIZE);
	int fl = fcntl(f->fd, F_GETFL);

	if (sys_probe_path(&p, f->path) == 0) {
		f->fs_type = p.fs_type;
		f->dio = p.dio;
	}
	if (c->direct_mode == DIRECT_NEVER)
		return EXIT_OK;
	if (f->dio.mem_align > (uint32_t)page) {
		errno = EINVAL; /* page-aligned buffers would not do */
	} else if (fl >= 0 && fcntl(f->fd, F_SETFL, fl | O_DIRECT) == 0) {
		f->direct = true;
		if (f->dio.offset_align > c->align)
			c->align = f->dio.offset_align;
		return EXIT_OK;
	}
	if (c->direct_mode == DIRECT_REQUIRE) {
		tool_error("copy", "%s: the file system (%s) refuses O_DIRECT: %s "
			   "(--direct=require)", f->path, f->fs_type ? f->fs_type : "unknown",
			   strerror(errno));
		return EXIT_ERROR;
	}
	note(c, "%s %s: the file system (%s) refuses O_DIRECT (%s): %s through the page cache",
	     side, f->path, f->fs_type ? f->fs_type : "unknown", strerror(errno),
	     f == &c->src ? "reading" : "writing");
	tool_error("copy", "%s: the file system (%s) refuses O_DIRECT; %s it through the page "
		   "cache", f->path, f->fs_type ? f->fs_type : "unknown",
		   f == &c->src ? "reading" : "writing");
	return EXIT_OK;
}

/* The block size must be a whole number of O_DIRECT units. */
static int check_block_size(struct copy *c)
{
	if (!c->src.direct && !c->dst.direct)
		return EXIT_OK;
	if (c->block_size % c->align == 0)
		return EXIT_OK;
	if (!c->block_size_given) {
		c->block_size = round_up(c->block_size, c->align);
		return EXIT_OK;
	}
	tool_error("copy", "--block-size %" PRIu64 " is not a multiple of the O_DIRECT "
		   "alignment %" PRIu32 " of %s (or use --direct=never)", c->block_size, c->align,
		   c->src.direct && c->src.dio.offset_align == c->align ? c->src.path : c->dst.path);
	return EXIT_USAGE;
}

/* Empty the destination: from here on it holds a partial copy until the end. */
static int truncate_dst(struct copy *c)
{
	if (ftruncate(c->dst.fd, 0) != 0) {
		tool_error("copy", "%s: %s", c->dst.path, strerror(errno));
		return EXIT_ERROR;
	}
	c->dst_made = true;
	return EXIT_OK;
}

/* Allocate DST's blocks up front (fallocate, which also sets its size): O_DIRECT writes
 * then overwrite allocated blocks inside the file instead of extending it, which ext4
 * serialises and journals write by write (measured here: writes about 20% faster, as
 * fast as fio's into the file it lays out first); and a destination that cannot fit
 * fails before the first byte is copied.  Where there is no fallocate (ext2, ramfs,
 * NFS v3) blocks are allocated as written, and a full disk shows up as a failed write. */
static int preallocate_dst(struct copy *c)
{
	uint64_t len = c->dst.direct ? round_up(c->size, c->align) : c->size;

	if (c->size == 0)
		return EXIT_OK;
	if (fallocate(c->dst.fd, 0, 0, (off_t)len) == 0) {
		c->preallocated = true;
		return EXIT_OK;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) {
		note(c, "destination %s: no fallocate here (%s): blocks allocated as written",
		     c->dst.path, strerror(errno));
		return EXIT_OK;
	}
	set_error(c, -errno, c->dst.path, "fallocate");
	return EXIT_ERROR;
}

/* ---- buffers ---------------------------------------------------------------------- */

static int buffers_from_allocator(struct copy *c)
{
	struct ioa_buf_allocator_config cfg;
	int ret;

	ioa_buf_allocator_config_init(&cfg);
	cfg.name = "ioalloc copy";
	cfg.max_buffers = c->nslots + 1;
	ret = ioa_buf_allocator_create(&cfg, &c->alloc);
	if (ret == 0 && c->block_size <= IOA_BUF_MAX_POOLED) /* larger ones have no class */
		ret = ioa_buf_allocator_reserve(c->alloc, c->block_size, IOA_BUF_F_PAGE_ALIGNED,
						c->nslots);
	for (unsigned i = 0; ret == 0 && i < c->nslots; i++) {
		struct slot *s = &c->slots[i];

		ret = ioa_buf_alloc(c->alloc, c->block_size, IOA_BUF_F_PAGE_ALIGNED, &s->buf);
		if (ret == 0)
			s->data = ioa_buf_data(s->buf);
	}
	return ret;
}

static void buffers_put(struct copy *c)
{
	for (unsigned i = 0; c->slots && i < c->nslots; i++) {
		if (c->slots[i].buf)
			ioa_buf_unref(c->slots[i].buf);
		else
			free(c->slots[i].data);
	}
	free(c->slots);
	c->slots = NULL;
	if (c->alloc && ioa_buf_allocator_destroy(c->alloc) != 0 && c->verbose)
		tool_error("copy", "ioa_buf_allocator_destroy: buffers still live");
	c->alloc = NULL;
}

/* nslots buffers of block_size bytes, page aligned: from one ioa_buf allocator,
 * else (said in a note) aligned_alloc. */
static int buffers_get(struct copy *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int ret;

	c->slots = calloc(c->nslots, sizeof(*c->slots));
	if (!c->slots)
		return set_error(c, -ENOMEM, "buffers", "allocate");
	ret = buffers_from_allocator(c);
	if (ret == 0)
		return 0;
	note(c, "ioa_buf allocator: %s; buffers from aligned_alloc, not registered",
	     strerror(-ret));
	for (unsigned i = 0; i < c->nslots; i++) {
		if (c->slots[i].buf)
			ioa_buf_unref(c->slots[i].buf);
		c->slots[i] = (struct slot){0};
	}
	if (c->alloc)
		ioa_buf_allocator_destroy(c->alloc);
	c->alloc = NULL;
	for (unsigned i = 0; i < c->nslots; i++) {
		c->slots[i].data = aligned_alloc(page, round_up(c->block_size, page));
		if (!c->slots[i].data)
			return set_error(c, -ENOMEM, "buffers", "allocate");
	}
	return 0;
}

/* ---- one block's state machine (both engines) ------------------------------------- */

/* Take the next block of the source into slot s. */
static void start_read(struct copy *c, struct slot *s)
{
	s->off = c->next;
	s->len = (size_t)(c->size - c->next < c->block_size ? c->size - c->next : c->block_size);
	s->io_len = c->src.direct ? (size_t)round_up(s->len, c->align) : s->len;
	s->pos = 0;
	s->busy = true;
	s->writing = false;
	c->next += s->len;
}

static void start_write(struct copy *c, struct slot *s)
{
	s->io_len = c->dst.direct ? (size_t)round_up(s->len, c->align) : s->len;
	if (s->io_len > s->len) /* O_DIRECT tail: never write stale bytes, even past EOF */
		memset(s->data + s->len, 0, s->io_len - s->len);
	if (s->buf)
		ioa_buf_set_length(s->buf, s->len);
	s->pos = 0;
	s->writing = true;
}

/* A transfer of RES bytes (or -errno) finished for s. True if s has another request
 * to issue; false when it is free again or the copy failed. */
static bool advance(struct copy *c, struct slot *s, long res)
{
	if (res <= 0) {
		s->busy = false;
		if (res < 0)
			set_error(c, (int)res, s->writing ? c->dst.path : c->src.path,
				  s->writing ? "write" : "read");
		else if (s->writing) /* a write of nothing: the kernel gave no reason */
			set_error(c, -EIO, c->dst.path, "write");
		else /* end of file before the size fstat gave */
			set_error(c, -ENODATA, c->src.path, "read");
		return false;
	}
	s->pos += (size_t)res;
	if (!s->writing) {
		if (s->pos < s->len)
			return true;
		start_write(c, s);
		s->ready = c->phased; /* phased: written in its turn; else right away */
		return !s->ready;
	}
	if (s->pos < s->io_len)
		return true;
	c->done += s->len;
	s->busy = false;
	return false;
}

/* ---- progress --------------------------------------------------------------------- */

static void eta_text(double secs, char *buf, size_t len)
{
	unsigned long t = (unsigned long)(secs + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/* Redraw the progress line (at most every PROGRESS_NS unless final). */
static void progress(struct copy *c, bool final)
{
	uint64_t now = now_ns();
	double secs, rate;
	char eta[32];

	if (!c->show_progress || (!final && now - c->last_draw < PROGRESS_NS))
		return;
	c->last_draw = now;
	secs = (double)(now - c->t0) / 1e9;
	rate = secs > 0 ? (double)c->done / secs : 0;
	fprintf(stderr, "\r\033[K%s / %s (%.0f%%)  %s/s", iec(c->done), iec(c->size),
		c->size ? 100.0 * (double)c->done / (double)c->size : 100.0, iec((uint64_t)rate));
	if (!final && rate > 0) {
		eta_text((double)(c->size - c->done) / rate, eta, sizeof(eta));
		fprintf(stderr, "  ETA %s", eta);
	}
	fputs(final ? "\n" : "", stderr);
	fflush(stderr);
}

static bool stopping(const struct copy *c)
{
	return c->err != 0 || copy_signal != 0;
}

/* ---- engine: pread/pwrite, one block at a time ------------------------------------ */

static void pump_sync(struct copy *c)
{
	struct slot *s = &c->slots[0];

	while (!stopping(c) && c->next < c->size) {
		bool more = true;

		start_read(c, s);
		while (more) {
			ssize_t r = s->writing ? pwrite(c->dst.fd, s->data + s->pos,
							s->io_len - s->pos, (off_t)(s->off + s->pos))
					       : pread(c->src.fd, s->data + s->pos,
						       s->io_len - s->pos, (off_t)(s->off + s->pos));

			if (r < 0 && errno == EINTR && !copy_signal)
				continue;
			if (r < 0 && errno == EINTR)
				break;
			more = advance(c, s, r < 0 ? -errno : r);
		}
		progress(c, false);
	}
}

/* ---- engine: io_uring ------------------------------------------------------------- */

#ifdef IOA_HAVE_URING
static void prep(struct copy *c, struct io_uring *ring, struct slot *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring); /* a slot has 1 SQE at most */
	int fd = c->fixed_files ? (s->writing ? 1 : 0) : (s->writing ? c->dst.fd : c->src.fd);
	char *p = s->data + s->pos;
	unsigned n = (unsigned)(s->io_len - s->pos);
	uint64_t off = s->off + s->pos;

	if (s->fixed && s->writing)
		io_uring_prep_write_fixed(sqe, fd, p, n, off, (int)s->index);
	else if (s->fixed)
		io_uring_prep_read_fixed(sqe, fd, p, n, off, (int)s->index);
	else if (s->writing)
		io_uring_prep_write(sqe, fd, p, n, off);
	else
		io_uring_prep_read(sqe, fd, p, n, off);
	if (c->fixed_files)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, s);
	c->inflight++;
}

/* Handle every completion there is; while stopping, free slots without new requests. */
static void reap(struct copy *c, struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		struct slot *s = io_uring_cqe_get_data(cqe);

		n++;
		c->inflight--;
		if (stopping(c))
			s->busy = false;
		else if (advance(c, s, cqe->res))
			prep(c, ring, s);
	}
	io_uring_cq_advance(ring, n);
}

/* The pipeline: every free slot reads the next block (and writes it when it lands). */
static void issue_pipeline(struct copy *c, struct io_uring *ring)
{
	for (unsigned i = 0; i < c->queue_depth && c->next < c->size; i++)
		if (!c->slots[i].busy) {
			start_read(c, &c->slots[i]);
			prep(c, ring, &c->slots[i]);
		}
}

/* The slot of the block at offset off: blocks go round the slots in file order. */
static struct slot *slot_of(struct copy *c, uint64_t off)
{
	return &c->slots[off / c->block_size % c->nslots];
}

/* Phases: the reads of a phase's nslots blocks, then their writes, in file order, at
 * most queue_depth in flight.  The direction turns once every request of the current
 * one is issued, not once they have landed: waiting for the queue to drain at each turn
 * gave about 30% less throughput on a virtio disk (docs/BENCHMARKS.md) than letting the
 * two directions overlap by the requests still in flight. */
static void issue_phased(struct copy *c, struct io_uring *ring)
{
	while (c->inflight < c->queue_depth) {
		struct slot *s;

		if (c->phase_writing && c->wnext == c->next) { /* the phase is written */
			if (c->next == c->size)
				return;
			c->phase_writing = false;
			c->phase_end = c->next + (uint64_t)c->nslots * c->block_size;
			if (c->phase_end > c->size)
				c->phase_end = c->size;
		} else if (!c->phase_writing && c->next == c->phase_end) { /* the phase is read */
			c->phase_writing = true;
		} else if (c->phase_writing) {
			s = slot_of(c, c->wnext);
			if (!s->ready) /* its read has not landed yet */
				return;
			s->ready = false;
			c->wnext += s->len;
			prep(c, ring, s);
		} else {
			s = slot_of(c, c->next);
			if (s->busy) /* its previous block is still being written */
				return;
			start_read(c, s);
			prep(c, ring, s);
		}
	}
}

static void pump_uring(struct copy *c, struct io_uring *ring)
{
	c->phase_writing = true; /* phased: nothing to write, so the first phase begins */
	while (!stopping(c) && c->done < c->size) {
		int ret;

		if (c->phased)
			issue_phased(c, ring);
		else
			issue_pipeline(c, ring);
		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0 && ret != -EINTR)
			set_error(c, ret, "io_uring", "submit");
		reap(c, ring);
		progress(c, false);
	}
	while (c->inflight) { /* stopping: let what is in flight land before DST goes */
		int ret = io_uring_submit_and_wait(ring, 1);

		if (ret < 0 && ret != -EINTR)
			break;
		reap(c, ring);
	}
}

static void note_register_failure(struct copy *c, int ret)
{
	struct rlimit rl;

	if (ret == -ENOMEM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		note(c, "fixed buffers: registering %s failed: %s (RLIMIT_MEMLOCK is %s; raise "
		     "it or run with CAP_IPC_LOCK): plain read/write SQEs",
		     iec(c->block_size * c->nslots), strerror(-ret), iec(rl.rlim_cur));
	else
		note(c, "fixed buffers: registering failed: %s: plain read/write SQEs",
		     strerror(-ret));
}

/* Register the allocator's memory and the two files; what fails is noted. */
static bool uring_register(struct copy *c, struct io_uring *ring)
{
	int fds[2] = { c->src.fd, c->dst.fd };
	bool registered = false;
	int ret;

	c->fixed_files = io_uring_register_files(ring, fds, 2) == 0;
	if (!c->alloc)
		return false;
	if (c->block_size > IOA_BUF_MAX_POOLED) {
		note(c, "fixed buffers: none, blocks over %s are allocated one by one and not "
		     "registered: plain read/write SQEs", iec(IOA_BUF_MAX_POOLED));
		return false;
	}
	ret = ioa_buf_allocator_register(c->alloc, ring);
	if (ret != 0) {
		note_register_failure(c, ret);
		return false;
	}
	registered = true;
	for (unsigned i = 0; i < c->nslots; i++) {
		size_t off;

		c->slots[i].fixed = ioa_buf_fixed(c->slots[i].buf, &c->slots[i].index, &off) == 0;
		c->fixed += c->slots[i].fixed;
	}
	if (c->fixed < c->nslots)
		note(c, "fixed buffers: %u of %u buffers lie outside the registered memory: "
		     "plain read/write SQEs for them", c->nslots - c->fixed, c->nslots);
	return registered;
}

/* 0, or -errno when io_uring is not available here. */
static int copy_uring(struct copy *c)
{
	struct io_uring ring;
	bool registered;
	int ret;

	/* One submitter thread, which runs completion work itself when it waits
	 * (DEFER_TASKRUN, 6.1; fio's choice too), else without interrupting it
	 * (COOP_TASKRUN, 5.19), else plain. */
	ret = io_uring_queue_init(c->queue_depth, &ring,
				  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	if (ret == -EINVAL)
		ret = io_uring_queue_init(c->queue_depth, &ring, IORING_SETUP_COOP_TASKRUN);
	if (ret == -EINVAL)
		ret = io_uring_queue_init(c->queue_depth, &ring, 0);
	if (ret < 0)
		return ret;
	c->engine = "io_uring";
	registered = uring_register(c, &ring);
	c->phased = c->phase_size != 0;
	pump_uring(c, &ring);
	if (registered)
		ioa_buf_allocator_unregister(c->alloc, &ring);
	if (c->fixed_files) /* now, not in the ring's deferred teardown: DST's file system
			     * is no longer busy when we exit (umount right after works) */
		io_uring_unregister_files(&ring);
	io_uring_queue_exit(&ring);
	return 0;
}
#else
static int copy_uring(struct copy *c)
{
	(void)c;
	return -ENOSYS;
}
#endif

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Bytes this process may lock (and register with io_uring): no limit with
 * CAP_IPC_LOCK, else RLIMIT_MEMLOCK. */
static uint64_t lockable_bytes(void)
{
	unsigned long long eff;
	struct rlimit rl;

	sys_cap_effective(&eff); /* unreadable: no capability, the limit counts */
	if ((eff >> CAP_IPC_LOCK) & 1)
		return UINT64_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return 0;
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

/* The phase when --phase-size is not given: AUTO_PHASE_SIZE, within a share of the RAM,
 * the memory this process may lock and MAX_PHASE_BLOCKS; 0 (the pipeline) when that
 * leaves less than AUTO_PHASE_MIN_QUEUES queues' worth.  For a file under two phases,
 * half the file (but not under that minimum): allocating and faulting in the buffers
 * costs about a third of the time of copying through them, one more turn costs less
 * (256 MiB copied in two phases measured 0.87 of fio, in one 0.80; docs/BENCHMARKS.md). */
static uint64_t auto_phase_size(const struct copy *c)
{
	uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t least = (uint64_t)AUTO_PHASE_MIN_QUEUES * c->queue_depth * c->block_size;
	uint64_t v = min_u64(AUTO_PHASE_SIZE, ram / AUTO_PHASE_RAM_SHARE);

	v = min_u64(v, lockable_bytes());
	v = min_u64(v, (uint64_t)MAX_PHASE_BLOCKS * c->block_size);
	if (v < least)
		return 0;
	if (c->size / 2 < v)
		v = c->size / 2 < least ? least : c->size / 2;
	return v;
}

/* How many buffers: queue_depth for the pipeline; a phase's blocks, no more than the
 * file has. */
static void plan_slots(struct copy *c)
{
	uint64_t blocks = (c->size + c->block_size - 1) / c->block_size;
	uint64_t phase;

	phase = (c->phase_size + c->block_size - 1) / c->block_size;
	c->nslots = c->queue_depth;
	if (c->phase_size)
		c->nslots = (unsigned)min_u64(phase, blocks);
}

/* Copy the bytes with io_uring, else pread/pwrite. */
static void copy_data(struct copy *c)
{
	int ret;

	if (c->size == 0) { /* nothing to read: no ring, no buffers */
		c->engine = "none";
		c->t0 = now_ns();
		return;
	}
	c->t0 = now_ns(); /* the buffers and the ring are part of the copy's time */
	plan_slots(c);
	if (buffers_get(c) != 0)
		return;
	ret = copy_uring(c);
	if (ret == 0)
		return;
	note(c, "io_uring: %s: pread/pwrite, one block at a time",
	     ret == -ENOSYS ? "not built in" : strerror(-ret));
	c->engine = "pread";
	pump_sync(c);
}

/* Cut an O_DIRECT tail back to the source's size, close DST (close reports late errors
 * on some file systems). */
static void finish_dst(struct copy *c)
{
	if (c->err == 0 && !copy_signal && c->dst.direct && c->size % c->align != 0 &&
	    ftruncate(c->dst.fd, (off_t)c->size) != 0)
		set_error(c, -errno, c->dst.path, "truncate");
	if (close(c->dst.fd) != 0 && c->err == 0 && !copy_signal)
		set_error(c, -errno, c->dst.path, "close");
	c->dst.fd = -1;
	c->t1 = now_ns();
}

/* ---- the report ------------------------------------------------------------------- */

static double seconds(const struct copy *c)
{
	return (double)(c->t1 - c->t0) / 1e9;
}

static double rate(const struct copy *c)
{
	return seconds(c) > 0 ? (double)c->size / seconds(c) : 0;
}

/* "O_DIRECT", "O_DIRECT reads, buffered writes", ... */
static const char *direct_text(const struct copy *c)
{
	if (c->src.direct && c->dst.direct)
		return "O_DIRECT";
	if (c->src.direct)
		return "O_DIRECT reads, buffered writes";
	return c->dst.direct ? "buffered reads, O_DIRECT writes" : "buffered";
}

/* Bytes per phase, as copied: 0 for the pipeline (also when pread ran instead). */
static uint64_t phase_bytes(const struct copy *c)
{
	return c->phased ? (uint64_t)c->nslots * c->block_size : 0;
}

static void print_summary(const struct copy *c)
{
	const char *bufs = c->fixed == c->nslots ? "registered buffers" :
			   c->fixed ? "buffers (some registered)" : "buffers";

	printf("copied %s (%" PRIu64 " bytes) in %.2f s: %s/s; %s, %s", iec(c->size), c->size,
	       seconds(c), iec((uint64_t)rate(c)), direct_text(c), c->engine);
	if (c->size && c->phased)
		printf(", %u x %s in flight, phases of %s in %s", c->queue_depth,
		       iec(c->block_size), iec(phase_bytes(c)), bufs);
	else if (c->size)
		printf(", %u x %s %s", c->queue_depth, iec(c->block_size), bufs);
	putchar('\n');
}

static void print_json(const struct copy *c)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kstr(&j, "source", c->src.path);
	json_kstr(&j, "destination", c->dst.path);
	json_kuint(&j, "bytes", c->size);
	json_kdouble(&j, "seconds", seconds(c), 6);
	json_kuint(&j, "bytes_per_second", (uint64_t)rate(c));
	json_kuint(&j, "block_size", c->block_size);
	json_kuint(&j, "queue_depth", c->queue_depth);
	json_kuint(&j, "phase_size", phase_bytes(c));
	json_kbool(&j, "direct", c->src.direct && c->dst.direct);
	json_kbool(&j, "direct_read", c->src.direct);
	json_kbool(&j, "direct_write", c->dst.direct);
	if (c->src.direct || c->dst.direct)
		json_kuint(&j, "dio_alignment", c->align);
	else
		json_knull(&j, "dio_alignment");
	json_kbool(&j, "preallocated", c->preallocated);
	json_kstr(&j, "engine", c->engine);
	json_kbool(&j, "fixed_buffers", c->size && c->fixed == c->nslots);
	json_kuint(&j, "registered_buffers", c->fixed);
	json_karr_begin(&j, "notes");
	for (int i = 0; i < c->nnotes; i++)
		json_str(&j, c->notes[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

static void print_plan(const struct copy *c)
{
	if (!c->verbose)
		return;
	fprintf(stderr, "ioalloc copy: %s -> %s: %" PRIu64 " bytes; %s", c->src.path,
		c->dst.path, c->size, direct_text(c));
	if (c->src.direct || c->dst.direct)
		fprintf(stderr, " (alignment %" PRIu32 " B, from %s)", c->align,
			sys_dio_source_text(c->src.direct ? c->src.dio.source : c->dst.dio.source));
	fprintf(stderr, "; block %s, queue depth %u; ", iec(c->block_size), c->queue_depth);
	if (c->phase_size)
		fprintf(stderr, "phases of %s%s\n", iec(c->phase_size),
			c->phase_given ? "" : " (auto)");
	else
		fprintf(stderr, "pipelined%s\n", c->phase_given ? "" : " (auto)");
}

static void print_notes(const struct copy *c)
{
	if (!c->verbose)
		return;
	fprintf(stderr, "ioalloc copy: engine %s, %u of %u buffers registered with the ring\n",
		c->engine, c->fixed, c->size ? c->nslots : 0);
	for (int i = 0; i < c->nnotes; i++)
		fprintf(stderr, "ioalloc copy: %s\n", c->notes[i]);
}

/* ---- the subcommand --------------------------------------------------------------- */

static void on_signal(int sig)
{
	copy_signal = sig;
}

/* SIGINT, SIGTERM, SIGHUP stop the copy, unless ignored when we started. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal }, old;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL); /* no SA_RESTART: waits return EINTR */
}

/* Everything up to the first byte: open, check, O_DIRECT, block size, truncate. */
static int prepare(struct copy *c)
{
	int r = open_src(c);

	if (r == EXIT_OK)
		r = resolve_dst(c);
	if (r == EXIT_OK)
		r = open_dst(c);
	if (r == EXIT_OK)
		r = setup_direct(c, &c->src, "source");
	if (r == EXIT_OK)
		r = setup_direct(c, &c->dst, "destination");
	if (r == EXIT_OK)
		r = check_block_size(c);
	if (r == EXIT_OK)
		r = truncate_dst(c);
	if (r == EXIT_OK)
		r = preallocate_dst(c);
	return r;
}

/* After a failure or a signal: remove what this command made of DST. */
static void remove_partial(struct copy *c)
{
	if (c->dst.fd >= 0)
		close(c->dst.fd);
	c->dst.fd = -1;
	if (!c->dst_made)
		return;
	if (unlink(c->dst.path) != 0)
		tool_error("copy", "%s: cannot remove the incomplete copy: %s", c->dst.path,
			   strerror(errno));
	else if (c->done > 0 || c->err != 0 || copy_signal)
		tool_error("copy", "%s: incomplete copy removed", c->dst.path);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

static int report_failure(struct copy *c)
{
	progress(c, true);
	if (copy_signal) {
		tool_error("copy", "interrupted by %s after %s of %s", signal_name(copy_signal),
			   iec(c->done), iec(c->size));
		remove_partial(c);
		return 128 + copy_signal;
	}
	if (c->err == -ENODATA && c->err_path == c->src.path)
		tool_error("copy", "%s: ended after %s of %s: did it shrink while being copied?",
			   c->src.path, iec(c->next), iec(c->size));
	else
		tool_error("copy", "%s: %s failed: %s", c->err_path, c->err_what,
			   strerror(-c->err));
	remove_partial(c);
	return EXIT_ERROR;
}

static int run_copy(struct copy *c)
{
	int r = prepare(c);

	if (r != EXIT_OK && c->err)
		return report_failure(c);
	if (r != EXIT_OK) {
		remove_partial(c);
		return r;
	}
	c->show_progress = c->progress_mode == PROGRESS_ALWAYS ||
			   (c->progress_mode == PROGRESS_AUTO && !c->json && isatty(STDERR_FILENO));
	if (!c->phase_given)
		c->phase_size = auto_phase_size(c);
	print_plan(c);
	copy_data(c);
	buffers_put(c); /* freeing them is part of the copy's time too */
	if (stopping(c))
		return report_failure(c);
	finish_dst(c);
	if (c->err)
		return report_failure(c);
	progress(c, true);
	print_notes(c);
	if (c->json)
		print_json(c);
	else
		print_summary(c);
	return EXIT_OK;
}

int cmd_copy(int argc, char **argv)
{
	struct copy *c = calloc(1, sizeof(*c));
	bool done = false;
	int r;

	if (!c) {
		tool_error("copy", "out of memory");
		return EXIT_ERROR;
	}
	c->block_size = DEFAULT_BLOCK_SIZE;
	c->queue_depth = DEFAULT_QUEUE_DEPTH;
	c->align = 1;
	c->src.fd = c->dst.fd = -1;
	r = parse_options(argc, argv, c, &done);
	if (r == EXIT_OK && !done) {
		catch_signals();
		r = run_copy(c);
	}
	buffers_put(c);
	if (c->src.fd >= 0)
		close(c->src.fd);
	free(c);
	return r;
}
