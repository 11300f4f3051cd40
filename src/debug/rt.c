/* SPDX-License-Identifier: MIT */
/*
 * Real-time sections (misuse case 12: a call that is not real-time safe made
 * on the real-time path).
 *
 * A thread marks its real-time path with ioa_rt_enter/ioa_rt_leave (a depth
 * in thread-local storage, so sections nest). Every system call the library
 * makes goes through the platform layer, which asks ioa__rt_syscall first:
 * inside a section that is reported as misuse, naming the system call, and
 * the call then proceeds (the report is the point; the handler may abort).
 * Outside a section the check is one thread-local load. Like Linux's
 * might_sleep(), it sees what the library does, not what the caller does.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <ioalloc/debug.h>

#include "debug/debug.h"

static __thread unsigned rt_depth;

IOA_API void ioa_rt_enter(void)
{
	rt_depth++;
}

IOA_API void ioa_rt_leave(void)
{
	if (rt_depth) {
		rt_depth--;
		return;
	}
	ioa__misuse("ioa_rt_leave", "this thread", "ioa_rt_leave without ioa_rt_enter");
}

void ioa__rt_syscall(const char *what)
{
	char object[48];
	unsigned depth = rt_depth;

	if (__builtin_expect(!depth, 1))
		return;
	rt_depth = 0; /* the handler may call the library itself */
	snprintf(object, sizeof(object), "real-time thread %ld", (long)syscall(SYS_gettid));
	ioa__misuse(what, object, "a system call inside ioa_rt_enter/ioa_rt_leave "
		    "(not real-time safe)");
	rt_depth = depth;
}
