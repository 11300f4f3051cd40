/* SPDX-License-Identifier: MIT */
/*
 * Direct-I/O alignment: how a buffer, a file offset and a length must be aligned for
 * O_DIRECT to succeed on a given file.
 *
 * The answer is taken from the most trusted source that has one:
 *
 *   1. statx(STATX_DIOALIGN) (Linux 6.1): the file system's own answer for a regular file.
 *      The bit set with both values 0 means "this file cannot do direct I/O" (statx(2)).
 *   2. ioctl(BLKSSZGET) for a block device, else its sysfs queue/logical_block_size.
 *   3. queue/logical_block_size of the device behind st_dev, walking from a partition to
 *      its disk (/sys/dev/block/MAJ:MIN/../queue).  A lower bound that is right for the
 *      common block file systems on kernels before 6.1.
 *   4. Nothing: the page size, which satisfies every known file system.
 *
 * Sources 3 and 4 cannot tell whether the file system accepts O_DIRECT at all (tmpfs
 * refused it before 6.6), so a regular file is reopened with O_DIRECT through
 * /proc/self/fd to find out.  A directory stands for "a new file in this directory": an
 * unnamed O_TMPFILE is created there and examined instead, and vanishes on close.
 *
 * Invariants on success: mem_align and offset_align are non-zero powers of two, also when
 * supported is false (then they are the page size), so callers may pass them straight to
 * posix_memalign().  No state is kept; every call asks the kernel again.
 */
#include <ioalloc/dio.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "core/bits.h"

static void set_align(struct ioa_dio_align *a, uint32_t mem, uint32_t off, int source)
{
	a->mem_align = mem;
	a->offset_align = off;
	a->source = source;
}

static uint32_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint32_t)ps : 4096;
}

/* Case 1; true when statx answered (supported or not). */
static bool from_statx(int fd, const struct stat *st, struct ioa_dio_align *a)
{
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (!S_ISREG(st->st_mode))
		return false;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) != 0)
		return false;
	if (!(stx.stx_mask & STATX_DIOALIGN))
		return false;
	if (stx.stx_dio_mem_align == 0 && stx.stx_dio_offset_align == 0) {
		a->supported = false; /* statx(2): "both zero: direct I/O not supported" */
		set_align(a, page_size(), page_size(), IOA_DIO_SRC_STATX);
		return true;
	}
	if (!ioa_is_pow2(stx.stx_dio_mem_align) || !ioa_is_pow2(stx.stx_dio_offset_align))
		return false;
	a->supported = true;
	set_align(a, stx.stx_dio_mem_align, stx.stx_dio_offset_align, IOA_DIO_SRC_STATX);
	return true;
#else
	(void)fd, (void)st, (void)a;
	return false;
#endif
}

static bool read_pow2(const char *path, uint32_t *v)
{
	unsigned long n = 0;
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%lu", &n) == 1 && n <= UINT32_MAX && ioa_is_pow2(n);
	fclose(f);
	if (ok)
		*v = (uint32_t)n;
	return ok;
}

/* Cases 2 and 3: the logical block size of block device DEV (a partition asks its disk). */
static bool from_sysfs(dev_t dev, struct ioa_dio_align *a)
{
	static const char *const where[] = { "queue", "../queue" };
	char path[96];
	uint32_t lbs;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s/logical_block_size",
			 major(dev), minor(dev), where[i]);
		if (read_pow2(path, &lbs)) {
			set_align(a, lbs, lbs, IOA_DIO_SRC_SYSFS);
			return true;
		}
	}
	return false;
}

/* Case 2; BLKSSZGET needs a real descriptor, so an O_PATH one falls through to sysfs. */
static void from_blkdev(int fd, const struct stat *st, struct ioa_dio_align *a)
{
	int ssz = 0;

	a->supported = true;
	if (ioctl(fd, BLKSSZGET, &ssz) == 0 && ioa_is_pow2((uint64_t)ssz))
		set_align(a, (uint32_t)ssz, (uint32_t)ssz, IOA_DIO_SRC_BLKDEV);
	else if (!from_sysfs(st->st_rdev, a))
		set_align(a, page_size(), page_size(), IOA_DIO_SRC_NONE);
}

/* 1: the file opens with O_DIRECT, 0: refused (EINVAL), -1: cannot tell. */
static int probe_odirect(int fd)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	char path[64];
	int dfd = -1;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (size_t i = 0; i < 2 && dfd < 0; i++) {
		dfd = open(path, modes[i] | O_DIRECT | O_CLOEXEC | O_NOCTTY);
		if (dfd < 0 && errno == EINVAL)
			return 0;
		if (dfd < 0 && errno != EACCES)
			return -1;
	}
	if (dfd < 0)
		return -1;
	close(dfd);
	return 1;
}

/* Cases 3 and 4 for a regular file, or a directory no temporary file could be made in. */
static void from_backing_dev(int fd, const struct stat *st, struct ioa_dio_align *a)
{
	if (!from_sysfs(st->st_dev, a))
		set_align(a, page_size(), page_size(), IOA_DIO_SRC_NONE);
	a->supported = !S_ISREG(st->st_mode) || probe_odirect(fd) != 0;
}

static void describe(int fd, const struct stat *st, struct ioa_dio_align *a)
{
	if (S_ISBLK(st->st_mode))
		from_blkdev(fd, st, a);
	else if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
		if (!from_statx(fd, st, a))
			from_backing_dev(fd, st, a);
	} else {
		a->supported = false; /* pipes, sockets, character devices */
		set_align(a, page_size(), page_size(), IOA_DIO_SRC_NONE);
	}
}

/* A directory is described by an unnamed file created in it, when one can be. */
static void describe_dir(int fd, const struct stat *st, struct ioa_dio_align *a)
{
	struct stat tst;
	int tfd = openat(fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (tfd >= 0 && fstat(tfd, &tst) == 0)
		describe(tfd, &tst, a);
	else
		describe(fd, st, a);
	if (tfd >= 0)
		close(tfd);
}

/* Copy R into OUT honouring OUT->size: 0 means ours; a larger (newer) caller's tail is
 * zeroed, and OUT->size tells it how much this library filled. */
static void copy_out(const struct ioa_dio_align *r, struct ioa_dio_align *out)
{
	size_t want = out->size ? out->size : sizeof(*r);

	memset((char *)out + sizeof(*r), 0, want - sizeof(*r));
	memcpy(out, r, sizeof(*r));
}

IOA_API int ioa_dio_align(int fd, struct ioa_dio_align *out)
{
	struct ioa_dio_align r = { .size = sizeof(r) };
	struct stat st;

	if (!out || (out->size != 0 && out->size < sizeof(*out)))
		return -EINVAL;
	if (fstat(fd, &st) != 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		describe_dir(fd, &st, &r);
	else
		describe(fd, &st, &r);
	assert(ioa_is_pow2(r.mem_align) && ioa_is_pow2(r.offset_align));
	copy_out(&r, out);
	return 0;
}

IOA_API int ioa_dio_align_path(const char *path, struct ioa_dio_align *out)
{
	int fd, ret;

	if (!path || !out)
		return -EINVAL;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioa_dio_align(fd, out);
	close(fd);
	return ret;
}
