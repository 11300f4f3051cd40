/* SPDX-License-Identifier: MIT */
/*
 * IOALLOC_FAULT: drive the platform layer's fault injection from the
 * environment (Driver Verifier's low resources simulation), e.g.
 *
 *     IOALLOC_FAULT=mmap:nth=3           the third mmap fails
 *     IOALLOC_FAULT=all:every=7:seed=1   1 in 7 platform calls fails
 *
 * One site (or all) per process; parsed once, at the first platform call,
 * so a malformed value is reported once and injects nothing.
 */
#include "core/errmsg.h"
#include "debug.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

/* Short names first; the platform's own names (memfd_create, ...) also work. */
static const struct {
	const char *name;
	int site;
} sites[] = {
	{"memfd", IOA_SITE_MEMFD},     {"ftruncate", IOA_SITE_FTRUNCATE},
	{"mmap", IOA_SITE_MMAP},       {"mlock", IOA_SITE_MLOCK},
	{"pagemap", IOA_SITE_PAGEMAP}, {"uring", IOA_SITE_URING},
	{"all", IOA_SITE_COUNT},
};

static bool eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncmp(s, word, n);
}

static bool parse_site(const char *s, size_t n, int *site)
{
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		if (eq(s, n, sites[i].name)) {
			*site = sites[i].site;
			return true;
		}
	}
	for (int i = 0; i < IOA_SITE_COUNT; i++) {
		if (eq(s, n, ioa_plat_site_name((enum ioa_plat_site)i))) {
			*site = i;
			return true;
		}
	}
	return false;
}

/* Decimal, or hex after 0x; no sign, no space, no overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	bool hex = n > 2 && s[0] == '0' && (s[1] | 0x20) == 'x';
	uint64_t v = 0, base = hex ? 16 : 10;

	if (!n || (hex && n == 2))
		return false;
	for (size_t i = hex ? 2 : 0; i < n; i++) {
		int c = (unsigned char)s[i], d;

		if (isdigit(c))
			d = c - '0';
		else if (hex && isxdigit(c))
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

/* One "key=N" item after the site. */
static int apply_item(const char *s, size_t n, struct ioa__fault_spec *f, unsigned *seen,
		      char *err, size_t errlen)
{
	static const char *const names[] = {"nth", "every", "seed"};
	const char *e = memchr(s, '=', n);
	size_t klen = e ? (size_t)(e - s) : n;
	uint64_t v;

	for (unsigned i = 0; i < 3; i++) {
		if (!eq(s, klen, names[i]))
			continue;
		if (!e || !parse_u64(e + 1, n - klen - 1, &v) || (i < 2 && !v))
			return ioa__einval(err, errlen, "'%.*s': expected %s=N with N a %snumber", (int)n, s,
				    names[i], i < 2 ? "positive " : "");
		if (*seen & (1u << i))
			return ioa__einval(err, errlen, "'%s' given twice", names[i]);
		*seen |= 1u << i;
		*(i == 0 ? &f->nth : i == 1 ? &f->every : &f->seed) = v;
		return 0;
	}
	return ioa__einval(err, errlen, "unknown key '%.*s' (expected nth=N, every=N or seed=N)", (int)klen,
		    s);
}

int ioa__fault_parse(const char *spec, struct ioa__fault_spec *f, char *err, size_t errlen)
{
	struct ioa__fault_spec r = {IOA_SITE_COUNT, 0, 0, 1};
	const char *colon, *s;
	unsigned seen = 0;
	int e;

	if (!spec || !f)
		return ioa__einval(err, errlen, "no spec");
	colon = strchr(spec, ':');
	if (!parse_site(spec, colon ? (size_t)(colon - spec) : strlen(spec), &r.site))
		return ioa__einval(err, errlen, "unknown site '%.*s' (expected memfd, ftruncate, mmap, "
			    "mlock, pagemap, uring or all)",
			    (int)(colon ? (size_t)(colon - spec) : strlen(spec)), spec);
	for (s = colon; s;) {
		const char *item = s + 1;

		s = strchr(item, ':');
		e = apply_item(item, s ? (size_t)(s - item) : strlen(item), &r, &seen, err, errlen);
		if (e)
			return e;
	}
	if (!r.nth == !r.every)
		return ioa__einval(err, errlen, "give exactly one of nth=N (the Nth call fails) and every=N "
			    "(1 in N calls fails)");
	if (r.nth && (seen & 4))
		return ioa__einval(err, errlen, "seed=S goes with every=N, not nth=N");
	*f = r;
	return 0;
}

int ioa__fault_env(struct ioa__fault_spec *f)
{
	const char *spec = getenv("IOALLOC_FAULT");
	char err[160];

	if (!spec || !*spec)
		return 0;
	if (ioa__fault_parse(spec, f, err, sizeof(err))) {
		ioa_plat_warn("IOALLOC_FAULT=%s: %s; no faults injected", spec, err);
		return 0;
	}
	return 1;
}
