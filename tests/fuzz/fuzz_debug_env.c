/* SPDX-License-Identifier: MIT */
/*
 * The IOALLOC_DEBUG and IOALLOC_FAULT parsers. The first byte picks the
 * parser and the error buffer's size; the rest is the value. Checked: the
 * result is 0 or -EINVAL; the message stays in its buffer and is terminated;
 * IOALLOC_DEBUG gives only known bits, the same bits for a value given twice
 * (each item sets or clears, so applying the list again changes nothing) and
 * for its canonical spelling; IOALLOC_FAULT gives a known site and exactly
 * one of nth / every, and its canonical spelling parses to the same setting.
 */
#include <errno.h>
#include <inttypes.h>

#include "debug/debug.h"
#include "platform/platform.h"
#include "fuzz.h"

static void debug_env(const char *spec, size_t errlen)
{
	static const struct {
		const char *key;
		unsigned bit;
	} keys[] = {{"guards", IOA_DBG_GUARDS}, {"redzones", IOA_DBG_REDZONES},
		    {"poison", IOA_DBG_POISON}, {"owner", IOA_DBG_OWNER}, {"leaks", IOA_DBG_LEAKS}};
	char err[200], twice[2100], canon[128] = "";
	unsigned bits, bits2;
	int r, r2;

	memset(err, 0x7f, sizeof(err));
	r = ioa__debug_parse(spec, &bits, err, errlen);
	CHECK(r == 0 || r == -EINVAL, "debug parse: %d", r);
	for (size_t i = errlen; i < sizeof(err); i++)
		CHECK(err[i] == 0x7f, "message past its %zu-byte buffer", errlen);
	CHECK(!r || !errlen || memchr(err, 0, errlen), "message not terminated");
	CHECK(!(bits & ~(IOA_DBG_ALL | IOA_DBG_NOABORT)), "unknown bits 0x%x", bits);
	snprintf(twice, sizeof(twice), "%s,%s", spec, spec);
	r2 = ioa__debug_parse(twice, &bits2, NULL, 0);
	CHECK(r2 == r && bits2 == bits, "'%s' twice: %d 0x%x, once: %d 0x%x", spec, r2, bits2, r,
	      bits);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (bits & keys[i].bit)
			snprintf(canon + strlen(canon), sizeof(canon) - strlen(canon), "%s,",
				 keys[i].key);
	if (bits & IOA_DBG_NOABORT)
		strcat(canon, "abort=0");
	CHECK(ioa__debug_parse(canon, &bits2, NULL, 0) == 0 && bits2 == bits,
	      "canonical '%s' gives 0x%x, not 0x%x", canon, bits2, bits);
}

static void fault_env(const char *spec, size_t errlen)
{
	struct ioa__fault_spec f, g;
	char err[200], canon[128];
	const char *site;
	int r;

	memset(&f, 0x55, sizeof(f));
	memset(err, 0x7f, sizeof(err));
	r = ioa__fault_parse(spec, &f, err, errlen);
	CHECK(r == 0 || r == -EINVAL, "fault parse: %d", r);
	for (size_t i = errlen; i < sizeof(err); i++)
		CHECK(err[i] == 0x7f, "message past its %zu-byte buffer", errlen);
	if (r) {
		CHECK(!errlen || memchr(err, 0, errlen), "message not terminated");
		return;
	}
	CHECK(f.site >= 0 && f.site <= IOA_SITE_COUNT, "site %d", f.site);
	CHECK(!f.nth != !f.every, "nth %llu every %llu", ULL(f.nth), ULL(f.every));
	site = f.site == IOA_SITE_COUNT ? "all" : ioa_plat_site_name((enum ioa_plat_site)f.site);
	if (f.nth)
		snprintf(canon, sizeof(canon), "%s:nth=%" PRIu64, site, f.nth);
	else
		snprintf(canon, sizeof(canon), "%s:every=%" PRIu64 ":seed=%" PRIu64, site, f.every,
			 f.seed);
	CHECK(ioa__fault_parse(canon, &g, NULL, 0) == 0 && f.site == g.site && f.nth == g.nth &&
	      f.every == g.every && (f.nth || f.seed == g.seed), "canonical '%s' differs", canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t errlens[4] = {0, 1, 8, 160};
	char spec[1024];
	uint8_t sel = size ? data[0] : 0;

	if (size)
		data++, size--;
	if (size >= sizeof(spec))
		size = sizeof(spec) - 1;
	memcpy(spec, data, size);
	spec[size] = 0;
	if (sel & 1)
		fault_env(spec, errlens[(sel >> 1) % 4]);
	else
		debug_env(spec, errlens[(sel >> 1) % 4]);
	return 0;
}
