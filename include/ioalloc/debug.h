/* SPDX-License-Identifier: MIT */
/*
 * Misuse reporting. Misuse that cannot be returned as an error code (double
 * free, a pointer the library never gave out, an overrun into a redzone,
 * usage driven below zero) goes to one replaceable handler. The default
 * handler prints "ioalloc: misuse: CALL: OBJECT: MESSAGE" on stderr and
 * aborts; tests install their own to check that detection fires.
 */
#ifndef IOALLOC_DEBUG_H
#define IOALLOC_DEBUG_H

#include <ioalloc/api.h>

IOA_BEGIN_DECLS

/* call: the public function that saw it ("ioa_domain_free"); object: what it
 * concerns ("domain 'default'", "account 'client7'"); message: what is wrong. */
typedef void (*ioa_misuse_fn)(void *arg, const char *call, const char *object,
			      const char *message);

/* Install fn (NULL: the default, print and abort). Process-wide; any thread.
 * Returns the previous handler. */
IOA_API ioa_misuse_fn ioa_set_misuse_handler(ioa_misuse_fn fn, void *arg);

/* Report a misuse through the installed handler, as the library does:
 * call, the object it concerns, and a printf-style message (up to 511
 * characters). For layers built on ioalloc (its Windows layer uses it).
 * Any thread; with the default handler it does not return. */
IOA_API void ioa_report_misuse(const char *call, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Mark the calling thread's real-time path (sections nest). Until the
 * matching ioa_rt_leave, any system call the library would make on this
 * thread - mapping, locking, growing an arena or a pool, io_uring set-up - is
 * reported as misuse (naming the system call) before it is made. Real-time
 * safe; outside a section the check costs one thread-local load. */
IOA_API void ioa_rt_enter(void);
IOA_API void ioa_rt_leave(void);

IOA_END_DECLS

#endif
