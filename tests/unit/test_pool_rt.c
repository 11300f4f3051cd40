/* SPDX-License-Identifier: MIT */
/*
 * The real-time promise, measured: after creation, a long loop of gets and
 * puts (single, bulk, across the depot) takes no page fault (getrusage's
 * minor and major fault counts) and makes no system call (a forked child
 * runs the loop under a seccomp filter that traps every system call but
 * write and exit into a counting SIGSYS handler). Each check is shown to
 * work by one deliberate fault / system call that it must count.
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ioalloc/pool.h>

#define LOOPS 2000000

static ioa_pool_t *make(void)
{
	struct ioa_pool_config cfg;
	ioa_pool_t *p;

	ioa_pool_config_init(&cfg);
	cfg.name = "rt";
	cfg.obj_size = 128;
	cfg.count = 4096;
	assert_int_equal(ioa_pool_create(&cfg, &p), 0);
	return p;
}

/* Gets and puts that cross magazines and the depot: bursts of up to 200
 * objects (over three magazines) as well as single pairs. */
static __attribute__((noinline)) unsigned long churn(ioa_pool_t *p, long loops)
{
	static void *held[200];
	unsigned long sum = 0;

	for (long i = 0; i < loops; i++) {
		unsigned n = i % 64 == 0 ? 200 : 1;

		for (unsigned k = 0; k < n; k++)
			held[k] = ioa_pool_get(p);
		sum += (uintptr_t)held[0];
		for (unsigned k = 0; k < n; k++)
			ioa_pool_put(p, held[k]);
		if (i % 97 == 0 && !ioa_pool_get_bulk(p, held, 32))
			ioa_pool_put_bulk(p, held, 32);
	}
	return sum;
}

static long faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void no_page_faults(void **state)
{
	ioa_pool_t *p;
	long before, after;
	uint8_t *fresh;

	(void)state;
	if (ioa_test_under_asan() || ioa_test_under_tsan())
		ioa_test_skip("sanitizer shadow memory faults on its own");
	p = make();
	churn(p, 1000); /* warm: this thread's index, code pages, the stack */
	before = faults();
	churn(p, LOOPS);
	after = faults();
	print_message("%d get/put rounds: %ld page faults\n", LOOPS, after - before);
	assert_int_equal(after - before, 0);

	fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fresh != MAP_FAILED);
	before = faults();
	fresh[0] = 1; /* the counter sees a fault when there is one */
	assert_int_equal(faults() - before, 1);
	munmap(fresh, 4096);
	assert_int_equal(ioa_pool_destroy(p), 0);
}

static volatile sig_atomic_t trapped;

static void on_sigsys(int sig)
{
	(void)sig;
	trapped++;
}

/* Trap every system call except the few the child needs to report and end. */
static int trap_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -errno : 0;
}

/* In the child: counts[0] = system calls in the loop, counts[1] = in one
 * deliberate getppid(). */
static void child(int fd)
{
	struct sigaction sa = {.sa_handler = on_sigsys};
	ioa_pool_t *p = make();
	long counts[2];

	sigaction(SIGSYS, &sa, NULL);
	alarm(120); /* a child stuck on a trapped call dies instead of hanging the test */
	churn(p, 1000);
	if (trap_syscalls())
		_exit(3);
	churn(p, LOOPS);
	counts[0] = trapped;
	syscall(__NR_getppid);
	counts[1] = trapped - counts[0];
	_exit(write(fd, counts, sizeof(counts)) == sizeof(counts) ? 0 : 4);
}

static void no_system_calls(void **state)
{
	int fds[2], code;
	long counts[2] = {-1, -1};
	pid_t pid;

	(void)state;
	if (ioa_test_under_tsan() || ioa_test_under_asan())
		ioa_test_skip("sanitizer runtimes make their own system calls");
	assert_int_equal(pipe(fds), 0);
	pid = ioa_test_fork();
	if (pid == 0)
		child(fds[1]);
	close(fds[1]);
	code = ioa_test_exit_code(pid);
	assert_true(code < 128); /* exited, not killed (say, by the seccomp filter) */
	if (code == 3)
		ioa_test_skip("seccomp filters are not available here");
	assert_int_equal(code, 0);
	assert_int_equal(read(fds[0], counts, sizeof(counts)), sizeof(counts));
	close(fds[0]);
	print_message("%d get/put rounds: %ld system calls (one deliberate call counted %ld)\n",
		      LOOPS, counts[0], counts[1]);
	assert_int_equal(counts[0], 0);
	assert_int_equal(counts[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_system_calls),
		cmocka_unit_test(no_page_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
