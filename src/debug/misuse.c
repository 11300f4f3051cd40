/* SPDX-License-Identifier: MIT */
/* The misuse handler: one process-wide, replaceable hook (after jemalloc's
 * safety_check_set_abort), so tests can watch detection fire without dying. */
#include "debug.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static ioa_misuse_fn handler;
static void *handler_arg;

static void default_handler(void *arg, const char *call, const char *object, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ioalloc: misuse: %s: %s: %s\n", call, object, msg);
	abort();
}

IOA_API ioa_misuse_fn ioa_set_misuse_handler(ioa_misuse_fn fn, void *arg)
{
	ioa_misuse_fn old;

	pthread_mutex_lock(&handler_lock);
	old = handler ? handler : default_handler;
	handler = fn;
	handler_arg = arg;
	pthread_mutex_unlock(&handler_lock);
	return old;
}

void ioa__misuse(const char *call, const char *object, const char *fmt, ...)
{
	char msg[512];
	ioa_misuse_fn fn;
	void *arg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&handler_lock);
	fn = handler ? handler : default_handler;
	arg = handler_arg;
	pthread_mutex_unlock(&handler_lock);
	fn(arg, call, object, msg);
}
