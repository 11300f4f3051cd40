/* SPDX-License-Identifier: MIT */
/*
 * ioalloc's misuse reports in a benchmark: counted and printed rather than
 * aborting the process, so the run still prints its report, and then failed.
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdio.h>

#include <ioalloc/debug.h>

static _Atomic unsigned misuse_count;
static char misuse_first[200];
static const char *misuse_prog = "bench";

static void on_misuse(void *arg, const char *call, const char *object, const char *message)
{
	(void)arg;
	if (atomic_fetch_add(&misuse_count, 1) == 0)
		snprintf(misuse_first, sizeof(misuse_first), "%s: %s: %s", call, object, message);
	fprintf(stderr, "%s: ioalloc reported misuse: %s: %s: %s\n", misuse_prog, call, object,
		message);
}

void bench_misuse_catch(const char *prog)
{
	misuse_prog = prog;
	ioa_set_misuse_handler(on_misuse, NULL);
}

void bench_misuse_check(struct bench *b)
{
	unsigned n = atomic_load(&misuse_count);

	if (n)
		bench_fail(b, "ioalloc reported misuse %u times; the first: %s", n, misuse_first);
}
