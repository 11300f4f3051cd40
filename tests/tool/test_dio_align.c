/* SPDX-License-Identifier: MIT */
/* ioa_dio_align(): sane alignment that O_DIRECT really accepts, and its errors. */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ioalloc/dio.h>

#define FILE_BYTES (64 * 1024) /* a multiple of every logical block size in use */

static bool is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static void assert_sane(const struct ioa_dio_align *a)
{
	assert_int_equal(a->size, sizeof(*a));
	assert_true(is_pow2(a->mem_align));
	assert_true(is_pow2(a->offset_align));
	assert_in_range(a->source, IOA_DIO_SRC_NONE, IOA_DIO_SRC_SYSFS);
}

/* An unlinked file of FILE_BYTES in DIR (O_TMPFILE where possible, else mkstemp); -1 if
 * DIR is unusable. */
static int make_file(const char *dir)
{
	char path[256], buf[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/ioalloc-dio-XXXXXX", dir);
		fd = mkstemp(path);
		if (fd < 0)
			return -1;
		unlink(path);
	}
	memset(buf, 0xa5, sizeof(buf));
	for (int i = 0; i < FILE_BYTES / (int)sizeof(buf); i++)
		assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	return fd;
}

static void test_file_direct_read(void **state)
{
	struct ioa_dio_align a = { .size = sizeof(a) };
	int fd = make_file("/var/tmp"), dfd;
	char path[64];
	void *buf = NULL;

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(ioa_dio_align(fd, &a), 0);
	assert_sane(&a);
	if (!a.supported) {
		close(fd);
		skip(); /* /var/tmp on a file system without O_DIRECT */
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(posix_memalign(&buf, a.mem_align, a.offset_align), 0);
	assert_int_equal(pread(dfd, buf, a.offset_align, a.offset_align), a.offset_align);
	assert_int_equal(((unsigned char *)buf)[0], 0xa5);
	free(buf);
	close(dfd);
	close(fd);
}

static void test_path_directory(void **state)
{
	struct ioa_dio_align a = { 0 }; /* size 0: "the caller's struct is this one" */

	(void)state;
	assert_int_equal(ioa_dio_align_path(".", &a), 0);
	assert_sane(&a);
}

/* tmpfs refused O_DIRECT before Linux 6.6 and reports no alignment after. */
static void test_tmpfs(void **state)
{
	struct ioa_dio_align a = { .size = sizeof(a) };
	int fd = make_file("/dev/shm");

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(ioa_dio_align(fd, &a), 0);
	assert_sane(&a);
	if (a.supported)
		assert_true(a.mem_align <= 65536 && a.offset_align <= 65536);
	close(fd);
}

static void test_errors(void **state)
{
	struct ioa_dio_align a = { .size = sizeof(a) };
	struct ioa_dio_align small = { .size = sizeof(a) - 1 };

	(void)state;
	assert_int_equal(ioa_dio_align(-1, &a), -EBADF);
	assert_int_equal(ioa_dio_align(STDIN_FILENO, NULL), -EINVAL);
	assert_int_equal(ioa_dio_align_path("/nonexistent/ioalloc", &a), -ENOENT);
	assert_int_equal(ioa_dio_align_path(".", NULL), -EINVAL);
	assert_int_equal(ioa_dio_align_path(NULL, &a), -EINVAL);
	assert_int_equal(ioa_dio_align_path(".", &small), -EINVAL);
}

/* A caller built against a larger (future) struct gets its tail zeroed and learns the
 * size this library filled. */
static void test_larger_caller(void **state)
{
	struct {
		struct ioa_dio_align a;
		uint64_t future[4];
	} big;

	(void)state;
	memset(&big, 0xff, sizeof(big));
	big.a.size = sizeof(big);
	assert_int_equal(ioa_dio_align_path(".", &big.a), 0);
	assert_sane(&big.a);
	for (int i = 0; i < 4; i++)
		assert_int_equal(big.future[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_direct_read),
		cmocka_unit_test(test_path_directory),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_larger_caller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
