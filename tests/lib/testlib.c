/* SPDX-License-Identifier: MIT */
#include "testlib.h"

#ifdef IOA_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif

#include "platform/platform.h"

#include <ioalloc/debug.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

void ioa_test_skip(const char *fmt, ...)
{
	va_list ap;

	printf("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(IOA_TEST_SKIP);
}

bool ioa_test_has_cap(int cap)
{
	return ioa_plat_has_cap(cap);
}

uint64_t ioa_test_phys_of(const void *va)
{
	uint64_t phys = 0;

	ioa_plat_virt_to_phys(va, 1, 4096, &phys);
	return phys;
}

long ioa_test_hugepages_free(size_t size)
{
	char path[128];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages",
		 size / 1024);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IOA_T_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define IOA_T_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define IOA_T_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define IOA_T_TSAN 1
#endif

bool ioa_test_under_asan(void)
{
#ifdef IOA_T_ASAN
	return true;
#else
	return false;
#endif
}

bool ioa_test_under_tsan(void)
{
#ifdef IOA_T_TSAN
	return true;
#else
	return false;
#endif
}

bool ioa_test_under_valgrind(void)
{
#ifdef IOA_HAVE_VALGRIND
	return RUNNING_ON_VALGRIND;
#else
	return false;
#endif
}

unsigned ioa_test_misuses;
char ioa_test_last_misuse[512];

static void record_misuse(void *arg, const char *call, const char *object, const char *message)
{
	(void)arg;
	ioa_test_misuses++;
	snprintf(ioa_test_last_misuse, sizeof(ioa_test_last_misuse), "%s: %s: %s", call, object,
		 message);
}

void ioa_test_catch_misuse(void)
{
	ioa_test_misuses = 0;
	ioa_test_last_misuse[0] = '\0';
	ioa_set_misuse_handler(record_misuse, NULL);
}

void ioa_test_release_misuse(void)
{
	ioa_set_misuse_handler(NULL, NULL);
}

pid_t ioa_test_fork(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	return pid;
}

int ioa_test_exit_code(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int ioa_test_poke_in_child(volatile uint8_t *p)
{
	pid_t pid = ioa_test_fork();
	int st = 0;

	if (pid == 0) {
		struct sigaction sa;
		struct rlimit no_core = {0, 0};

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGSEGV, &sa, NULL);
		setrlimit(RLIMIT_CORE, &no_core);
		*p = 0x5a;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

bool ioa_test_segv(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}
