/* SPDX-License-Identifier: MIT */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> cap) & 1;
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
