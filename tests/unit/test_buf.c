/* SPDX-License-Identifier: MIT */
/*
 * Refcounted I/O buffers: INSSBuffer's length rules on the native buffer,
 * alignment per class, bad input, references across threads, misuse, domain
 * bus addresses, O_DIRECT into a page-aligned buffer (and EINVAL for a
 * misaligned one), and io_uring fixed-buffer reads into registered memory.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ioalloc/buf.h>
#include <ioalloc/debug.h>

#include "platform/platform.h"
#ifdef IOA_HAVE_URING
#include <liburing.h>
#endif
#ifdef IOA_HAVE_VALGRIND
#include <valgrind/memcheck.h>
#define KERNEL_WROTE(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define KERNEL_WROTE(p, n) ((void)(p), (void)(n))
#endif

static ioa_buf_allocator_t *make(unsigned flags, ioa_domain_t *d)
{
	struct ioa_buf_allocator_config cfg;
	ioa_buf_allocator_t *a;

	ioa_buf_allocator_config_init(&cfg);
	cfg.name = "test";
	cfg.flags = flags;
	cfg.domain = d;
	assert_int_equal(ioa_buf_allocator_create(&cfg, &a), 0);
	return a;
}

static void length_rules(void **state)
{
	ioa_buf_allocator_t *a = make(0, NULL);
	ioa_buf_t *b;

	(void)state;
	assert_int_equal(ioa_buf_alloc(a, 1000, 0, &b), 0);
	assert_int_equal(ioa_buf_length(b), 0);
	assert_int_equal(ioa_buf_max_length(b), 1000);
	assert_int_equal(ioa_buf_refcount(b), 1);
	assert_int_equal(ioa_buf_set_length(b, 1000), 0); /* SetLength(max) is S_OK */
	assert_int_equal(ioa_buf_length(b), 1000);
	assert_int_equal(ioa_buf_set_length(b, 1001), -EINVAL); /* max + 1 is E_INVALIDARG */
	assert_int_equal(ioa_buf_length(b), 1000);              /* and changes nothing */
	memset(ioa_buf_data(b), 0x5a, ioa_buf_length(b));
	assert_int_equal(ioa_buf_set_length(b, 10), 0);
	assert_int_equal(((uint8_t *)ioa_buf_data(b))[999], 0x5a); /* length is bookkeeping */
	assert_int_equal(ioa_buf_unref(b), 0);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
}

static void bad_input_is_einval(void **state)
{
	struct ioa_buf_allocator_config cfg;
	ioa_buf_allocator_t *a = make(0, NULL), *x = NULL;
	ioa_buf_t *b = NULL;

	(void)state;
	assert_int_equal(ioa_buf_alloc(a, 0, 0, &b), -EINVAL);
	assert_int_equal(ioa_buf_alloc(a, 10, 1u << 9, &b), -EINVAL);
	assert_int_equal(ioa_buf_alloc(a, 10, 0, NULL), -EINVAL);
	assert_int_equal(ioa_buf_alloc(NULL, 10, 0, &b), -EINVAL);
	assert_null(b);
	assert_int_equal(ioa_buf_unref(NULL), -EINVAL);
	assert_int_equal(ioa_buf_set_length(NULL, 0), -EINVAL);
	assert_null(ioa_buf_data(NULL));
	ioa_buf_allocator_config_init(&cfg);
	cfg.flags = 1u << 7;
	assert_int_equal(ioa_buf_allocator_create(&cfg, &x), -EINVAL);
	cfg.flags = 0;
	cfg.size = 3;
	assert_int_equal(ioa_buf_allocator_create(&cfg, &x), -EINVAL);
	assert_int_equal(ioa_buf_allocator_create(NULL, &x), -EINVAL);
	assert_null(x);
	assert_int_equal(ioa_buf_allocator_reserve(a, 0, 0, 1), -EINVAL);
	assert_int_equal(ioa_buf_allocator_reserve(a, IOA_BUF_MAX_POOLED + 1, 0, 1), -EINVAL);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
}

/* Page-aligned data starts on a page and owns whole pages; the rest is at
 * least 16-byte aligned; every size from a byte to 3 MiB (large). */
static void alignment_per_class(void **state)
{
	static const size_t sizes[] = {1, 17, 64, 65, 2048, 2049, 4096, 4097, 100000,
				       1 << 20, (1 << 20) + 1, 3 << 20};
	ioa_buf_allocator_t *a = make(0, NULL);
	ioa_buf_t *b[2 * 12];

	(void)state;
	for (int i = 0; i < 12; i++) {
		assert_int_equal(ioa_buf_alloc(a, sizes[i], IOA_BUF_F_PAGE_ALIGNED, &b[2 * i]), 0);
		assert_int_equal((uintptr_t)ioa_buf_data(b[2 * i]) % 4096, 0);
		assert_int_equal(ioa_buf_alloc(a, sizes[i], IOA_BUF_F_ZERO, &b[2 * i + 1]), 0);
		assert_int_equal((uintptr_t)ioa_buf_data(b[2 * i + 1]) % 16, 0);
		assert_int_equal(((uint8_t *)ioa_buf_data(b[2 * i + 1]))[sizes[i] - 1], 0);
		memset(ioa_buf_data(b[2 * i]), i, sizes[i]);
		memset(ioa_buf_data(b[2 * i + 1]), i + 100, sizes[i]);
	}
	for (int i = 0; i < 12; i++) { /* no overlaps */
		assert_int_equal(((uint8_t *)ioa_buf_data(b[2 * i]))[sizes[i] - 1], i);
		assert_int_equal(((uint8_t *)ioa_buf_data(b[2 * i + 1]))[0], i + 100);
		assert_int_equal(ioa_buf_unref(b[2 * i]), 0);
		assert_int_equal(ioa_buf_unref(b[2 * i + 1]), 0);
	}
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
}

/* Classes grow when dry: far more buffers than the initial 1 MiB per class. */
static void classes_grow(void **state)
{
	ioa_buf_allocator_t *a = make(0, NULL);
	static ioa_buf_t *b[5000];

	(void)state;
	for (int i = 0; i < 5000; i++) /* also more than the 4096 initial headers */
		assert_int_equal(ioa_buf_alloc(a, 1024, 0, &b[i]), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(ioa_buf_unref(b[i]), 0);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
}

struct race {
	ioa_buf_t *shared;
	ioa_buf_t *handoff[1000];
	ioa_buf_allocator_t *a;
	int n;
};

static void *ref_unref(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < r->n; i++) {
		ioa_buf_ref(r->shared);
		ioa_buf_ref(r->shared);
		ioa_buf_unref(r->shared);
		ioa_buf_unref(r->shared);
	}
	for (int i = 0; i < 1000; i++) /* buffers allocated by the other thread */
		ioa_buf_unref(r->handoff[i]);
	return NULL;
}

static void references_race_safely(void **state)
{
	ioa_buf_allocator_t *a = make(0, NULL);
	struct race r[2];
	pthread_t t[2];
	ioa_buf_t *shared;

	(void)state;
	assert_int_equal(ioa_buf_alloc(a, 256, 0, &shared), 0);
	for (int k = 0; k < 2; k++) {
		r[k].shared = shared;
		r[k].a = a;
		r[k].n = ioa_test_under_tsan() ? 20000 : 500000;
		for (int i = 0; i < 1000; i++)
			assert_int_equal(ioa_buf_alloc(a, 64 << (i % 8), 0, &r[k].handoff[i]), 0);
	}
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, ref_unref, &r[k]), 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	assert_int_equal(ioa_buf_refcount(shared), 1);
	assert_int_equal(ioa_buf_unref(shared), 0);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0); /* nothing live: all freed */
}

static void misuse_is_named(void **state)
{
	ioa_buf_allocator_t *a = make(IOA_BUF_ALLOCATOR_F_DEBUG, NULL);
	ioa_buf_t *b;
	int n;

	(void)state;
	ioa_test_catch_misuse();
	assert_int_equal(ioa_buf_alloc(a, 100, 0, &b), 0);
	n = ioa_test_misuses;
	assert_int_equal(ioa_buf_allocator_destroy(a), -EBUSY); /* refused: b is live */
	assert_int_equal(ioa_test_misuses, n + 1);
	assert_non_null(strstr(ioa_test_last_misuse, "1 buffers still live"));
	assert_non_null(strstr(ioa_test_last_misuse, "'test'"));
	assert_int_equal(ioa_buf_unref(b), 0);
	if (!ioa_test_under_asan() && !ioa_test_under_valgrind()) {
		/* the checkers stop this read of a freed header themselves */
		n = ioa_test_misuses;
		assert_int_equal(ioa_buf_unref(b), -EINVAL);
		assert_int_equal(ioa_test_misuses, n + 1);
		assert_non_null(strstr(ioa_test_last_misuse, "already freed"));
		assert_null(ioa_buf_ref(b));                   /* and a reference to it */
		assert_int_equal(ioa_test_misuses, n + 2);
		assert_non_null(strstr(ioa_test_last_misuse, "ioa_buf_ref"));
		assert_non_null(strstr(ioa_test_last_misuse, "already freed"));
	}
	ioa_test_release_misuse();
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
}

static void domain_buffers_have_bus_addresses(void **state)
{
	struct ioa_domain_config cfg;
	ioa_domain_t *d;
	ioa_buf_allocator_t *a;
	ioa_buf_t *b, *big;
	uint64_t bus, back;
	char err[128];

	(void)state;
	ioa_domain_config_init(&cfg);
	assert_int_equal(ioa_domain_config_parse(&cfg, "size=64M", err, sizeof(err)), 0);
	assert_int_equal(ioa_domain_create(&cfg, &d), 0);
	a = make(0, d);
	assert_int_equal(ioa_buf_alloc(a, 8192, IOA_BUF_F_PAGE_ALIGNED, &b), 0);
	assert_int_equal(ioa_buf_alloc(a, 2 << 20, 0, &big), 0);
	assert_int_equal(ioa_buf_bus(b, &bus), 0);
	assert_int_equal(ioa_domain_bus(d, ioa_buf_data(b), &back), 0);
	assert_true(bus == back && bus % 4096 == 0);
	assert_int_equal(ioa_buf_bus(big, &bus), 0);
	assert_ptr_equal(ioa_domain_virt(d, bus), ioa_buf_data(big));
	assert_int_equal(ioa_buf_unref(b), 0);
	assert_int_equal(ioa_buf_unref(big), 0);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
	assert_int_equal(ioa_domain_destroy(d), 0);
}

/* A file of n bytes on the build directory's filesystem (a real disk in CI),
 * byte i = i * 7 + 3; opened O_DIRECT, or -1 where that is refused. */
static int direct_file(char *path, size_t n)
{
	int fd;
	uint8_t *data = malloc(n);

	snprintf(path, 64, "test_buf_direct.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	fsync(fd);
	close(fd);
	free(data);
	return open(path, O_RDONLY | O_DIRECT);
}

static void direct_read_needs_page_alignment(void **state)
{
	ioa_buf_allocator_t *a = make(0, NULL);
	char path[64];
	ioa_buf_t *b;
	uint8_t *d;
	int fd = direct_file(path, 1 << 16);

	(void)state;
	if (fd < 0) {
		unlink(path);
		ioa_test_skip("O_DIRECT refused on this filesystem (%s)", strerror(errno));
	}
	assert_int_equal(ioa_buf_alloc(a, 1 << 16, IOA_BUF_F_PAGE_ALIGNED, &b), 0);
	d = ioa_buf_data(b);
	assert_int_equal(pread(fd, d + 1, 4096, 0), -1); /* misaligned memory */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pread(fd, d, 1 << 16, 0), 1 << 16);
	for (size_t i = 0; i < 1 << 16; i++)
		if (d[i] != (uint8_t)(i * 7 + 3))
			fail_msg("byte %zu differs", i);
	assert_int_equal(ioa_buf_unref(b), 0);
	close(fd);
	unlink(path);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
}

static void fixed_buffer_reads(void **state)
{
#ifdef IOA_HAVE_URING
	ioa_buf_allocator_t *a = make(0, NULL);
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	ioa_buf_t *b[4], *big;
	char path[64];
	unsigned idx;
	size_t off;
	int fd = direct_file(path, 1 << 18), r;

	(void)state;
	if (fd < 0)
		fd = open(path, O_RDONLY); /* buffered: fixed buffers still apply */
	assert_true(fd >= 0);
	assert_int_equal(io_uring_queue_init(8, &ring, 0), 0);
	assert_int_equal(ioa_buf_allocator_reserve(a, 1 << 16, IOA_BUF_F_PAGE_ALIGNED, 4), 0);
	ioa_plat_fault_set(IOA_SITE_URING, 1, 0, 0); /* the kernel refuses: a clean error */
	r = ioa_buf_allocator_register(a, &ring);
	ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
	assert_true(r < 0);
	assert_int_equal(ioa_buf_fixed(b[0] = NULL, &idx, &off), -EINVAL);
	r = ioa_buf_allocator_register(a, &ring); /* nothing half-registered is left */
	if (r == -ENOMEM && !ioa_test_has_cap(CAP_IPC_LOCK)) {
		/* pinning counts against RLIMIT_MEMLOCK without CAP_IPC_LOCK: documented */
		print_message("register: -ENOMEM under RLIMIT_MEMLOCK, as documented\n");
		goto out;
	}
	assert_int_equal(r, 0);
	assert_int_equal(ioa_buf_allocator_register(a, &ring), -EBUSY);
	assert_int_equal(ioa_buf_alloc(a, 4 << 20, 0, &big), 0);
	assert_int_equal(ioa_buf_fixed(big, &idx, &off), -ENOENT); /* large: not registered */
	for (int i = 0; i < 4; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		assert_int_equal(ioa_buf_alloc(a, 1 << 16, IOA_BUF_F_PAGE_ALIGNED, &b[i]), 0);
		assert_int_equal(ioa_buf_fixed(b[i], &idx, &off), 0);
		io_uring_prep_read_fixed(sqe, fd, ioa_buf_data(b[i]), 1 << 16,
					 (uint64_t)i << 16, (int)idx);
		sqe->user_data = (uint64_t)i;
	}
	assert_int_equal(io_uring_submit_and_wait(&ring, 4), 4);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(io_uring_wait_cqe(&ring, &cqe), 0);
		assert_int_equal(cqe->res, 1 << 16);
		io_uring_cqe_seen(&ring, cqe);
	}
	for (int i = 0; i < 4; i++) {
		uint8_t *d = ioa_buf_data(b[i]);

		KERNEL_WROTE(d, 1 << 16); /* io_uring wrote it behind Valgrind's back */
		for (size_t j = 0; j < 1 << 16; j++)
			if (d[j] != (uint8_t)(((size_t)i << 16 | j) * 7 + 3))
				fail_msg("buffer %d byte %zu differs", i, j);
		assert_int_equal(ioa_buf_unref(b[i]), 0);
	}
	assert_int_equal(ioa_buf_unref(big), 0);
	assert_int_equal(ioa_buf_allocator_destroy(a), -EBUSY); /* still registered */
	assert_int_equal(ioa_buf_allocator_unregister(a, &ring), 0);
	assert_int_equal(ioa_buf_allocator_unregister(a, &ring), -EINVAL);
out:
	io_uring_queue_exit(&ring);
	close(fd);
	unlink(path);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
#else
	(void)state;
	print_message("built without liburing: ioa_buf_allocator_register is -ENOSYS\n");
	assert_int_equal(ioa_buf_allocator_register(NULL, NULL), -ENOSYS);
#endif
}

/* A reservation that makes its class makes it in one chunk: every buffer of
 * it is in one registered range. 300 buffers of 4 KiB are more than the
 * default class memory (1 MiB) holds, so a class made at the default size and
 * then grown would be two chunks, two ranges. */
static void a_reservation_is_one_registered_range(void **state)
{
#ifdef IOA_HAVE_URING
	enum { N = 300 };
	ioa_buf_allocator_t *a = make(0, NULL);
	struct io_uring ring;
	ioa_buf_t *b[N];
	unsigned idx, first = 0;
	size_t off;
	int r;

	(void)state;
	assert_int_equal(io_uring_queue_init(4, &ring, 0), 0);
	assert_int_equal(ioa_buf_allocator_reserve(a, 4096, IOA_BUF_F_PAGE_ALIGNED, N), 0);
	r = ioa_buf_allocator_register(a, &ring);
	if (r == -ENOMEM && !ioa_test_has_cap(CAP_IPC_LOCK)) {
		print_message("register: -ENOMEM under RLIMIT_MEMLOCK, as documented\n");
		io_uring_queue_exit(&ring);
		assert_int_equal(ioa_buf_allocator_destroy(a), 0);
		return;
	}
	assert_int_equal(r, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ioa_buf_alloc(a, 4096, IOA_BUF_F_PAGE_ALIGNED, &b[i]), 0);
		assert_int_equal(ioa_buf_fixed(b[i], &idx, &off), 0);
		if (i == 0)
			first = idx;
		assert_int_equal(idx, first);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(ioa_buf_unref(b[i]), 0);
	assert_int_equal(ioa_buf_allocator_unregister(a, &ring), 0);
	io_uring_queue_exit(&ring);
	assert_int_equal(ioa_buf_allocator_destroy(a), 0);
#else
	(void)state;
	print_message("built without liburing: nothing is registered\n");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(length_rules),
		cmocka_unit_test(bad_input_is_einval),
		cmocka_unit_test(alignment_per_class),
		cmocka_unit_test(classes_grow),
		cmocka_unit_test(references_race_safely),
		cmocka_unit_test(misuse_is_named),
		cmocka_unit_test(domain_buffers_have_bus_addresses),
		cmocka_unit_test(fixed_buffer_reads),
		cmocka_unit_test(a_reservation_is_one_registered_range),
		cmocka_unit_test(direct_read_needs_page_alignment), /* last: it may skip */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
