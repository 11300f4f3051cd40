/* SPDX-License-Identifier: MIT */
/*
 * IOALLOC_DEBUG: the process-wide debug switch, after libumem's UMEM_DEBUG.
 *
 * Syntax: comma-separated items, each "key" (on) or "key=0|1", applied left
 * to right, so "all,poison=0" is every check but poison. Keys come from one
 * table below; a bad item is reported (the first one names itself) and
 * skipped, never guessed at. The result is cached at the first call.
 */
#include "core/errmsg.h"
#include "debug.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

static const struct {
	const char *key;
	unsigned bits;
	bool inverted; /* abort=0 sets IOA_DBG_NOABORT */
	const char *what;
} keys[] = {
	{"guards", IOA_DBG_GUARDS, false, "guard pages around DMA buffers and page-list mappings"},
	{"redzones", IOA_DBG_REDZONES, false, "checked padding around pool objects"},
	{"poison", IOA_DBG_POISON, false, "a fill pattern in freed memory"},
	{"owner", IOA_DBG_OWNER, false, "report refused frees (owner, size, double free)"},
	{"leaks", IOA_DBG_LEAKS, false, "list live allocations at destroy, as misuse"},
	{"all", IOA_DBG_ALL, false, "every check above"},
	{"abort", IOA_DBG_NOABORT, true, "0: the default misuse handler prints and returns"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void note(char *err, size_t errlen, bool *failed, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(char *err, size_t errlen, bool *failed, const char *fmt, ...)
{
	va_list ap;

	if (*failed)
		return; /* the first bad item names itself */
	*failed = true;
	va_start(ap, fmt);
	ioa__vseterr(err, errlen, fmt, ap);
	va_end(ap);
}

/* One item [s, end): apply it to *bits, or say what is wrong. */
static void apply_item(const char *s, const char *end, unsigned *bits, char *err, size_t errlen,
		       bool *failed)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	size_t klen = (size_t)((eq ? eq : end) - s);
	bool on = true;

	if (eq && !(end - eq == 2 && (eq[1] == '0' || eq[1] == '1'))) {
		note(err, errlen, failed, "key '%.*s': bad value '%.*s' (expected 0 or 1)", (int)klen,
		     s, (int)(end - eq - 1), eq + 1);
		return;
	}
	if (eq)
		on = eq[1] == '1';
	for (size_t i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].key) != klen || strncmp(keys[i].key, s, klen))
			continue;
		if (on != keys[i].inverted)
			*bits |= keys[i].bits;
		else
			*bits &= ~keys[i].bits;
		return;
	}
	note(err, errlen, failed,
	     "unknown key '%.*s' (known: guards, redzones, poison, owner, leaks, all, abort=0|1)",
	     (int)klen, s);
}

int ioa__debug_parse(const char *spec, unsigned *bits, char *err, size_t errlen)
{
	bool failed = false;

	if (!bits)
		return -EINVAL;
	*bits = 0;
	if (!spec)
		return 0;
	for (const char *s = spec; *s;) {
		const char *end = strchr(s, ',');

		if (!end)
			end = s + strlen(s);
		if (end > s)
			apply_item(s, end, bits, err, errlen, &failed);
		s = *end ? end + 1 : end;
	}
	return failed ? -EINVAL : 0;
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static unsigned env_bits;

static void env_init(void)
{
	const char *spec = getenv("IOALLOC_DEBUG");
	char err[160];

	if (spec && ioa__debug_parse(spec, &env_bits, err, sizeof(err)))
		ioa_plat_warn("IOALLOC_DEBUG: %s; ignored", err);
}

unsigned ioa__debug_env(void)
{
	pthread_once(&env_once, env_init);
	return env_bits;
}
