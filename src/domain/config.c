/* SPDX-License-Identifier: MIT */
/*
 * Domain configuration: defaults and the IOALLOC_DOMAIN parser.
 *
 * Syntax: comma-separated key=value pairs, parsed from one table. Sizes take
 * a decimal or 0x-hex number with an optional binary suffix K, M, G or T. A
 * malformed value is an error that names the key: never a silent default.
 */
#include "core/errmsg.h"
#include "domain_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

IOA_API void ioa_domain_config_init(struct ioa_domain_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->backend = IOA_BACKEND_MEMFD;
	cfg->page_size = IOA_PAGE_4K;
	cfg->size_limit = 1ull << 30;
	cfg->grow_chunk = 2ull << 20;
	cfg->nranges = 0; /* one range: [IOA_DOMAIN_DEFAULT_BASE, + size_limit) */
	cfg->flags = IOA_DOMAIN_F_LOCK | IOA_DOMAIN_F_PREFAULT;
}

/* "64K", "0x100000", "1G" -> bytes: decimal, or hex after 0x (a leading 0
 * is not octal); false on junk, signs, spaces or overflow. */
static bool parse_size(const char *s, const char *end, uint64_t *out)
{
	char *e;
	unsigned shift = 0;
	uint64_t v;
	bool hex = end - s > 2 && s[0] == '0' && (s[1] | 0x20) == 'x';

	if (s == end || !(hex ? isxdigit((unsigned char)s[2]) : isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	v = strtoull(s, &e, hex ? 16 : 10);
	if (errno || e == s)
		return false;
	if (e < end) {
		const char *units = "KMGT";
		const char *u = strchr(units, *e & ~0x20);

		if (!u || !*e)
			return false;
		shift = 10 * (unsigned)(u - units + 1);
		e++;
	}
	if (e != end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}

static bool parse_bool(const char *s, const char *end, bool *out)
{
	size_t n = (size_t)(end - s);

	if (n == 1 && (*s == '0' || *s == '1')) {
		*out = *s == '1';
		return true;
	}
	return false;
}

struct parse {
	struct ioa_domain_config *cfg;
	bool have_size, have_ranges, have_base, have_pagesize;
	uint64_t base;
};

typedef bool (*key_fn)(struct parse *p, const char *v, const char *end);

static bool key_backend(struct parse *p, const char *v, const char *end)
{
	size_t n = (size_t)(end - v);

	if (n == 5 && !strncmp(v, "memfd", 5))
		p->cfg->backend = IOA_BACKEND_MEMFD;
	else if (n == 4 && !strncmp(v, "phys", 4))
		p->cfg->backend = IOA_BACKEND_PHYS;
	else
		return false;
	return true;
}

static bool key_pagesize(struct parse *p, const char *v, const char *end)
{
	uint64_t s;

	if (!parse_size(v, end, &s) || (s != IOA_PAGE_4K && s != IOA_PAGE_2M && s != IOA_PAGE_1G))
		return false;
	p->have_pagesize = true;
	p->cfg->page_size = s;
	return true;
}

static bool key_size(struct parse *p, const char *v, const char *end)
{
	p->have_size = true;
	return parse_size(v, end, &p->cfg->size_limit) && p->cfg->size_limit;
}

static bool key_base(struct parse *p, const char *v, const char *end)
{
	p->have_base = true;
	return parse_size(v, end, &p->base);
}

static bool key_chunk(struct parse *p, const char *v, const char *end)
{
	return parse_size(v, end, &p->cfg->grow_chunk) && p->cfg->grow_chunk;
}

/* ranges=BASE+SIZE:BASE+SIZE... */
static bool key_ranges(struct parse *p, const char *v, const char *end)
{
	struct ioa_domain_config *c = p->cfg;

	c->nranges = 0;
	while (v < end) {
		const char *colon = memchr(v, ':', (size_t)(end - v));
		const char *item_end = colon ? colon : end;
		const char *plus = memchr(v, '+', (size_t)(item_end - v));
		struct ioa_range r;

		if (!plus || c->nranges == IOA_DOMAIN_MAX_RANGES)
			return false;
		if (!parse_size(v, plus, &r.base) ||
		    !parse_size(plus + 1, item_end, &r.size) || !r.size)
			return false;
		c->ranges[c->nranges++] = r;
		v = colon ? colon + 1 : end;
	}
	p->have_ranges = c->nranges > 0;
	return p->have_ranges;
}

static bool set_flag(struct parse *p, const char *v, const char *end, unsigned flag)
{
	bool on;

	if (!parse_bool(v, end, &on))
		return false;
	p->cfg->flags = on ? p->cfg->flags | flag : p->cfg->flags & ~flag;
	return true;
}

static bool key_lock(struct parse *p, const char *v, const char *e)
{
	return set_flag(p, v, e, IOA_DOMAIN_F_LOCK);
}

static bool key_prefault(struct parse *p, const char *v, const char *e)
{
	return set_flag(p, v, e, IOA_DOMAIN_F_PREFAULT);
}

static bool key_debug(struct parse *p, const char *v, const char *e)
{
	return set_flag(p, v, e, IOA_DOMAIN_F_DEBUG);
}

static bool key_fallback(struct parse *p, const char *v, const char *e)
{
	return set_flag(p, v, e, IOA_DOMAIN_F_HUGE_FALLBACK);
}

static const struct {
	const char *key;
	key_fn fn;
	const char *expect;
} keys[] = {
	{"backend", key_backend, "memfd or phys"},
	{"pagesize", key_pagesize, "4K, 2M or 1G"},
	{"size", key_size, "a non-zero size such as 1G"},
	{"base", key_base, "an address such as 0x100000"},
	{"ranges", key_ranges, "BASE+SIZE[:BASE+SIZE...], at most 8"},
	{"chunk", key_chunk, "a non-zero size such as 2M"},
	{"lock", key_lock, "0 or 1"},
	{"prefault", key_prefault, "0 or 1"},
	{"debug", key_debug, "0 or 1"},
	{"hugefallback", key_fallback, "0 or 1"},
};

static int apply_pair(struct parse *p, const char *s, const char *end, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	int klen = (int)((eq ? eq : end) - s);

	if (!eq)
		return ioa__einval(err, errlen, "'%.*s': expected key=value", klen, s);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) != (size_t)klen || strncmp(keys[i].key, s, (size_t)klen))
			continue;
		if (keys[i].fn(p, eq + 1, end))
			return 0;
		return ioa__einval(err, errlen, "key '%s': bad value '%.*s' (expected %s)", keys[i].key,
			    (int)(end - eq - 1), eq + 1, keys[i].expect);
	}
	return ioa__einval(err, errlen, "unknown key '%.*s'", klen, s);
}

IOA_API int ioa_domain_config_parse(struct ioa_domain_config *cfg, const char *spec, char *err,
				    size_t errlen)
{
	struct ioa_domain_config c;
	struct parse p = {&c, false, false, false, false, IOA_DOMAIN_DEFAULT_BASE};
	int r;

	if (!cfg || !spec || cfg->size != sizeof(*cfg))
		return ioa__einval(err, errlen, "no configuration or spec");
	c = *cfg;
	for (const char *s = spec; *s;) {
		const char *end = strchr(s, ',');

		if (!end)
			end = s + strlen(s);
		if (end > s && (r = apply_pair(&p, s, end, err, errlen)))
			return r;
		s = *end ? end + 1 : end;
	}
	/* phys prefers hugetlb pages (physically stable, 2 MiB contiguous) and falls
	 * back to base pages, unless a page size was asked for. */
	if (c.backend == IOA_BACKEND_PHYS && !p.have_pagesize && c.page_size == IOA_PAGE_4K) {
		c.page_size = IOA_PAGE_2M;
		c.flags |= IOA_DOMAIN_F_HUGE_FALLBACK;
	}
	if (p.have_ranges && p.have_base)
		return ioa__einval(err, errlen, "key 'base': give either base (with size) or ranges");
	if (p.have_base) {
		c.nranges = 1;
		c.ranges[0].base = p.base;
		c.ranges[0].size = c.size_limit;
	} else if (p.have_size && c.nranges == 1 && !p.have_ranges) {
		c.ranges[0].size = c.size_limit;
	}
	if (p.have_ranges && !p.have_size) {
		c.size_limit = 0;
		for (unsigned i = 0; i < c.nranges; i++)
			c.size_limit += c.ranges[i].size;
	}
	*cfg = c;
	return 0;
}
