/* SPDX-License-Identifier: MIT */
/*
 * The IOALLOC_DOMAIN parser, ioa_domain_config_parse(3). The first byte picks
 * the size of the error buffer (0, 1, 8 or 160 bytes), the rest is the spec.
 * Checked: the result is 0 or -EINVAL; on -EINVAL the configuration is
 * untouched and the message is a terminated string inside its buffer; on 0
 * the configuration is one ioa_domain_create(3) could be asked for (known
 * backend and page size, non-zero sizes, at most 8 ranges), and writing it
 * back out as a spec and parsing that gives the same configuration. A small
 * memfd configuration is also created and destroyed, so a value the parser
 * lets through that the domain cannot take fails cleanly, not badly.
 */
#include <errno.h>
#include <inttypes.h>
#include <ioalloc/domain.h>

#include "fuzz.h"

/* cfg as a spec that sets every field the parser can set. */
static void write_spec(const struct ioa_domain_config *c, char *s, size_t n)
{
	size_t k = (size_t)snprintf(s, n, "backend=%s,pagesize=%" PRIu64 ",size=%" PRIu64
				    ",chunk=%" PRIu64 ",lock=%d,prefault=%d,debug=%d,"
				    "hugefallback=%d", c->backend == IOA_BACKEND_PHYS ? "phys" : "memfd",
				    c->page_size, c->size_limit, c->grow_chunk,
				    !!(c->flags & IOA_DOMAIN_F_LOCK), !!(c->flags & IOA_DOMAIN_F_PREFAULT),
				    !!(c->flags & IOA_DOMAIN_F_DEBUG),
				    !!(c->flags & IOA_DOMAIN_F_HUGE_FALLBACK));

	for (unsigned i = 0; i < c->nranges && k < n; i++)
		k += (size_t)snprintf(s + k, n - k, "%s0x%" PRIx64 "+0x%" PRIx64, i ? ":" : ",ranges=",
				      c->ranges[i].base, c->ranges[i].size);
}

static bool same(const struct ioa_domain_config *a, const struct ioa_domain_config *b)
{
	if (a->backend != b->backend || a->page_size != b->page_size ||
	    a->size_limit != b->size_limit || a->grow_chunk != b->grow_chunk ||
	    a->flags != b->flags || a->nranges != b->nranges)
		return false;
	return !memcmp(a->ranges, b->ranges, a->nranges * sizeof(a->ranges[0]));
}

/* Small enough to create quickly: memfd, 4 KiB pages, a bus window that
 * reserves at most 64 GiB of address space and a 256 MiB arena limit. */
static bool cheap(const struct ioa_domain_config *c)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	if (c->backend != IOA_BACKEND_MEMFD || c->page_size != 4096 || c->size_limit > (256u << 20))
		return false;
	for (unsigned i = 0; i < c->nranges; i++) {
		if (c->ranges[i].base + c->ranges[i].size < c->ranges[i].base)
			return false;
		lo = c->ranges[i].base < lo ? c->ranges[i].base : lo;
		hi = c->ranges[i].base + c->ranges[i].size > hi ? c->ranges[i].base + c->ranges[i].size
								 : hi;
	}
	return !c->nranges || hi - lo <= (64ull << 30);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t errlens[4] = {0, 1, 8, 160};
	struct ioa_domain_config cfg, before, again;
	char spec[1024], out[1024], err[200];
	size_t errlen = size ? errlens[data[0] % 4] : 160;
	ioa_domain_t *d;
	int r;

	if (size)
		data++, size--;
	if (size >= sizeof(spec))
		size = sizeof(spec) - 1;
	memcpy(spec, data, size);
	spec[size] = 0;
	ioa_domain_config_init(&cfg);
	before = cfg;
	memset(err, 0x7f, sizeof(err));
	r = ioa_domain_config_parse(&cfg, spec, err, errlen);
	CHECK(r == 0 || r == -EINVAL, "parse: %d", r);
	for (size_t i = errlen; i < sizeof(err); i++)
		CHECK(err[i] == 0x7f, "message written past its %zu-byte buffer", errlen);
	if (r) {
		CHECK(!memcmp(&cfg, &before, sizeof(cfg)), "configuration changed on error");
		CHECK(!errlen || memchr(err, 0, errlen), "message not terminated");
		CHECK(errlen < 2 || err[0], "empty message");
		return 0;
	}
	CHECK(cfg.size == sizeof(cfg) && cfg.name == NULL, "size or name changed");
	CHECK(cfg.backend == IOA_BACKEND_MEMFD || cfg.backend == IOA_BACKEND_PHYS, "backend %d",
	      cfg.backend);
	CHECK(cfg.page_size == 4096 || cfg.page_size == 2u << 20 || cfg.page_size == 1u << 30,
	      "page size %llu", ULL(cfg.page_size));
	CHECK(cfg.size_limit && cfg.grow_chunk && cfg.nranges <= IOA_DOMAIN_MAX_RANGES,
	      "sizes %llu %llu, %u ranges", ULL(cfg.size_limit), ULL(cfg.grow_chunk), cfg.nranges);
	CHECK(!(cfg.flags & ~IOA_DOMAIN_F_VALID), "flags 0x%x", cfg.flags);
	for (unsigned i = 0; i < cfg.nranges; i++)
		CHECK(cfg.ranges[i].size, "range %u empty", i);
	/* Round trip. */
	write_spec(&cfg, out, sizeof(out));
	ioa_domain_config_init(&again);
	CHECK(ioa_domain_config_parse(&again, out, err, sizeof(err)) == 0, "re-parse of '%s': %s",
	      out, err);
	CHECK(same(&cfg, &again), "'%s' parses differently", out);
	if (cheap(&cfg)) {
		cfg.flags &= ~(IOA_DOMAIN_F_LOCK | IOA_DOMAIN_F_PREFAULT);
		r = ioa_domain_create(&cfg, &d);
		CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "create: %d", r);
		if (!r)
			CHECK(ioa_domain_destroy(d) == 0, "destroy");
	}
	return 0;
}
