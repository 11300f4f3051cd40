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
	if (!(ioa__debug_env() & IOA_DBG_NOABORT))
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

IOA_API void ioa_report_misuse(const char *call, const char *object, const char *fmt, ...)
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

/* ---- explaining a refused request -------------------------------------------- */

#define ULL(x) ((unsigned long long)(x))

static const char *constraint_fault(const struct ioa_constraint *c, char *buf, size_t n)
{
	if (c->size != sizeof(*c))
		snprintf(buf, n, "constraint size field is %zu, not %zu (use ioa_constraint_init)",
			 c->size, sizeof(*c));
	else if (!c->align || (c->align & (c->align - 1)))
		snprintf(buf, n, "constraint align %llu is not a power of two", ULL(c->align));
	else if (c->boundary & (c->boundary - 1))
		snprintf(buf, n, "constraint boundary 0x%llx is not a power of two", ULL(c->boundary));
	else if (c->min_addr > c->max_addr)
		snprintf(buf, n, "constraint window [0x%llx, 0x%llx] is empty", ULL(c->min_addr),
			 ULL(c->max_addr));
	else
		return NULL;
	return buf;
}

void ioa__debug_bad_request(const char *call, const char *object, uint64_t size,
			    const struct ioa_constraint *c, uint64_t lo, uint64_t hi)
{
	uint64_t sz = (size + 4095) & ~4095ull, min, max;
	char buf[200];

	if (!size || sz < size) {
		ioa__misuse(call, object, "size %llu cannot be allocated", ULL(size));
		return;
	}
	if (c && constraint_fault(c, buf, sizeof(buf))) {
		ioa__misuse(call, object, "%s", buf);
		return;
	}
	min = c && c->min_addr > lo ? c->min_addr : lo;
	max = c && c->max_addr < hi ? c->max_addr : hi;
	if (min > max)
		ioa__misuse(call, object, "constraint window [0x%llx, 0x%llx] misses the bus range "
			    "[0x%llx, 0x%llx]", ULL(c->min_addr), ULL(c->max_addr), ULL(lo), ULL(hi));
	else if (c && c->boundary && sz > c->boundary)
		ioa__misuse(call, object, "%llu bytes (%llu allocated) cannot avoid crossing the "
			    "boundary 0x%llx", ULL(size), ULL(sz), ULL(c->boundary));
	else if (sz - 1 > max - min)
		ioa__misuse(call, object, "%llu bytes (%llu allocated) do not fit the window "
			    "[0x%llx, 0x%llx]", ULL(size), ULL(sz), ULL(min), ULL(max));
	else
		ioa__misuse(call, object, "request for %llu bytes refused as invalid", ULL(size));
}
