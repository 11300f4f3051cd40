/* SPDX-License-Identifier: MIT */
/*
 * Conformance with seed 003: VideoPortAllocateBuffer (video.h), with
 * VideoPortReleaseBuffer and the VideoPortAllocatePool pair it points to.
 *
 * Every check names the sentence it verifies: quoted from the seed document
 * (../shared/seeds/003_0540c37cc897ad91.txt), or, where the seed is silent,
 * from the semantics reference (../shared/research/seeds.md, section 4) or
 * issue #7, and said so. The default domain (IOALLOC_DOMAIN, set in
 * tests/conformance/meson.build) holds 36 MiB in all, so running it out of
 * memory is quick and deterministic.
 */
#include "conformance.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/account.h>
#include <ioalloc/debug.h>
#include <ioalloc/domain.h>
#include <ioalloc/win/video.h>

#include "win/win_impl.h"

/* Seed 003, quoted. */
#define S_RETURNS \
	"VideoPortAllocateBuffer returns NO_ERROR when it successfully completes the allocation " \
	"request, or ERROR_NOT_ENOUGH_MEMORY if it is unable to allocate a buffer of Size bytes."
#define S_QUOTA \
	"A return value of ERROR_INSUFFICIENT_BUFFER indicates that a miniport driver has " \
	"exceeded its maximum allowable allocation of memory."
#define S_REMARK \
	"A miniport driver can use the return value of this function to determine whether the " \
	"buffer allocation succeeded."
#define S_BUFFER \
	"Is the location in which the video port driver returns a pointer to a pointer to the " \
	"allocated pool memory."
#define S_SIZE "Specifies the size of the buffer to allocate, in bytes."
#define S_EXT "Pointer to the miniport driver's device extension."
#define S_POOL \
	"In its place, video miniport drivers should instead use VideoPortAllocatePool."
#define S_RELEASE "See also: VideoPortReleaseBuffer"
/* The semantics reference and the issue, where the seed is silent. */
#define R_QUOTA "research/seeds.md: \"No limit value is documented; make it a per-extension quota.\""
#define R_TAG \
	"research/seeds.md: \"the tag is pool metadata (crash dumps), not user-visible bytes. " \
	"Keep it in a hidden header.\""
#define R_PAIRS \
	"research/seeds.md: \"Never mix the pairs (AllocateBuffer<->ReleaseBuffer, " \
	"AllocatePool<->FreePool).\""
#define R_POOLNULL "research/seeds.md: \"AllocatePool returns NULL on failure.\""
#define R_NULLFREE "issue #7: \"releasing NULL is harmless\""
#define R_LEAKS "issue #7: \"deleting a miniport with live allocations reports them\""
#define R_NULL "issue #7: \"NULL out-pointers give ... invalid parameter\""
#define R_VALUES \
	"research/seeds.md: ERROR_NOT_ENOUGH_MEMORY 8, ERROR_INVALID_PARAMETER 87, " \
	"ERROR_INSUFFICIENT_BUFFER 122, NO_ERROR 0"

#define KiB 1024u
#define MiB (1024u * 1024u)
/* Buffers of this size cost one 4 KiB quantum each, the hidden header included. */
#define QUANTUM_FILL 4000u

static ioa_domain_t *dom;
static uint64_t live_at_start;
static unsigned children_at_start;
static void counts(uint64_t *live, unsigned *children)
{
	struct ioa_domain_stats st = {.size = sizeof(st)};

	assert_int_equal(ioa_domain_stats(dom, &st), 0);
	*live = st.live_allocs;
	*children = st.root.children;
}

static int setup(void **state)
{
	(void)state;
	ioa_test_catch_misuse();
	counts(&live_at_start, &children_at_start);
	return 0;
}

/* Every test gives back every buffer and every miniport (account) it made. */
static int teardown(void **state)
{
	uint64_t live;
	unsigned children;

	(void)state;
	ioa_test_release_misuse();
	counts(&live, &children);
	return live == live_at_start && children == children_at_start ? 0 : -1;
}

static PVOID new_miniport(ULONG ext_size, SIZE_T max_alloc)
{
	PVOID ext = NULL;

	assert_int_equal(IoaNewVideoMiniport(ext_size, max_alloc, &ext), NO_ERROR);
	assert_non_null(ext);
	return ext;
}

static void codes_have_their_windows_values(void **state)
{
	(void)state;
	check(NO_ERROR == 0 && ERROR_NOT_ENOUGH_MEMORY == 8, R_VALUES);
	check(ERROR_INVALID_PARAMETER == 87 && ERROR_INSUFFICIENT_BUFFER == 122, R_VALUES);
	check(sizeof(VP_STATUS) == 4 && sizeof(ULONG) == 4, R_VALUES);
}

static void a_buffer_of_size_bytes_is_returned(void **state)
{
	PVOID ext = new_miniport(256, 1 * MiB);
	PVOID buf = NULL;

	(void)state;
	check(VideoPortAllocateBuffer(ext, 10000, &buf) == NO_ERROR, S_RETURNS);
	check(buf != NULL, S_BUFFER);
	memset(buf, 0xa5, 10000); /* all Size bytes are the caller's */
	check(((uint8_t *)buf)[9999] == 0xa5, S_SIZE);
	check((uintptr_t)buf % 64 == 0, S_BUFFER);
	VideoPortReleaseBuffer(ext, buf);
	check(ioa_test_misuses == 0, S_RELEASE);
	IoaDeleteVideoMiniport(ext);
}

static void the_device_extension_is_the_miniports(void **state)
{
	uint8_t *ext = new_miniport(1000, 0);
	uint8_t zero[1000] = {0};

	(void)state;
	check(memcmp(ext, zero, sizeof(zero)) == 0, S_EXT);
	memset(ext, 0xff, 1000);
	check((uintptr_t)ext % 64 == 0, S_EXT);
	IoaDeleteVideoMiniport(ext);
}

static void past_the_quota_is_insufficient_buffer(void **state)
{
	PVOID ext = new_miniport(0, 64 * KiB);
	PVOID buf[17], extra = &extra;

	(void)state;
	for (int i = 0; i < 16; i++)
		check(VideoPortAllocateBuffer(ext, QUANTUM_FILL, &buf[i]) == NO_ERROR, S_RETURNS);
	check(VideoPortAllocateBuffer(ext, QUANTUM_FILL, &buf[16]) == ERROR_INSUFFICIENT_BUFFER,
	      S_QUOTA);
	check(buf[16] == NULL, S_REMARK);
	/* A single request larger than the whole allowance, with the domain roomy. */
	VideoPortReleaseBuffer(ext, buf[0]);
	check(VideoPortAllocateBuffer(ext, 1 * MiB, &extra) == ERROR_INSUFFICIENT_BUFFER, S_QUOTA);
	check(extra == NULL, S_REMARK);
	/* Released memory counts no more. */
	check(VideoPortAllocateBuffer(ext, QUANTUM_FILL, &buf[0]) == NO_ERROR, S_QUOTA);
	for (int i = 0; i < 16; i++)
		VideoPortReleaseBuffer(ext, buf[i]);
	IoaDeleteVideoMiniport(ext);
}

static void quotas_are_per_miniport(void **state)
{
	PVOID a = new_miniport(0, 8 * KiB), b = new_miniport(0, 8 * KiB);
	PVOID pa[2], pb[2], more;

	(void)state;
	for (int i = 0; i < 2; i++)
		check(VideoPortAllocateBuffer(a, QUANTUM_FILL, &pa[i]) == NO_ERROR, R_QUOTA);
	check(VideoPortAllocateBuffer(a, QUANTUM_FILL, &more) == ERROR_INSUFFICIENT_BUFFER, S_QUOTA);
	for (int i = 0; i < 2; i++)
		check(VideoPortAllocateBuffer(b, QUANTUM_FILL, &pb[i]) == NO_ERROR, R_QUOTA);
	for (int i = 0; i < 2; i++) {
		VideoPortReleaseBuffer(a, pa[i]);
		VideoPortReleaseBuffer(b, pb[i]);
	}
	IoaDeleteVideoMiniport(a);
	IoaDeleteVideoMiniport(b);
}

/* Out of memory is not the quota: the miniport is far below its allowance. */
static void out_of_memory_is_not_enough_memory(void **state)
{
	PVOID ext = new_miniport(0, 1024 * MiB);
	PVOID bufs[64], big = &big;
	unsigned n = 0;
	VP_STATUS st;

	(void)state;
	check(VideoPortAllocateBuffer(ext, 64 * MiB, &big) == ERROR_NOT_ENOUGH_MEMORY, S_RETURNS);
	check(big == NULL, S_REMARK);
	/* Fill the domain 2 MiB at a time until it says no. */
	while (n < 64 && (st = VideoPortAllocateBuffer(ext, 2 * MiB, &bufs[n])) == NO_ERROR)
		n++;
	check(n > 0 && n < 64, S_RETURNS);
	check(st == ERROR_NOT_ENOUGH_MEMORY, S_RETURNS);
	check(st != ERROR_INSUFFICIENT_BUFFER, S_QUOTA);
	while (n)
		VideoPortReleaseBuffer(ext, bufs[--n]);
	IoaDeleteVideoMiniport(ext);
}

static void null_pointers(void **state)
{
	PVOID ext = new_miniport(0, 0), buf = &buf;

	(void)state;
	check(VideoPortAllocateBuffer(ext, 16, NULL) == ERROR_INVALID_PARAMETER, R_NULL);
	check(VideoPortAllocateBuffer(NULL, 16, &buf) == ERROR_INVALID_PARAMETER, R_NULL);
	check(buf == NULL, S_REMARK);
	check(IoaNewVideoMiniport(0, 0, NULL) == ERROR_INVALID_PARAMETER, R_NULL);
	VideoPortReleaseBuffer(ext, NULL);
	VideoPortFreePool(ext, NULL);
	IoaDeleteVideoMiniport(NULL);
	check(ioa_test_misuses == 0, R_NULLFREE);
	/* Zero bytes is a valid, distinct allocation. */
	check(VideoPortAllocateBuffer(ext, 0, &buf) == NO_ERROR && buf != NULL, S_SIZE);
	VideoPortReleaseBuffer(ext, buf);
	IoaDeleteVideoMiniport(ext);
}

static void the_pool_pair_keeps_its_tag_hidden(void **state)
{
	PVOID ext = new_miniport(0, 16 * KiB);
	ULONG tag = 0;
	int type = -2;
	uint8_t *p, *q;

	(void)state;
	p = VideoPortAllocatePool(ext, VpNonPagedPoolCacheAligned, 9000, 0x7a797844 /* 'zyxD' */);
	check(p != NULL, S_POOL);
	memset(p, 0, 9000); /* every byte is the caller's: the tag is not in them */
	check(ioa__win_vp_pool_info(p, &tag, &type) == 0, R_TAG);
	check(tag == 0x7a797844 && type == VpNonPagedPoolCacheAligned, R_TAG);
	check((uintptr_t)p % 64 == 0, S_POOL);
	/* 9000 bytes + the header: 12 KiB of 16 charged, so 8000 more do not fit. */
	check(VideoPortAllocatePool(ext, VpPagedPool, 8000, 1) == NULL, R_POOLNULL);
	check(VideoPortAllocatePool(ext, (VP_POOL_TYPE)2, 16, 1) == NULL, R_POOLNULL);
	check(VideoPortAllocatePool(NULL, VpPagedPool, 16, 1) == NULL, R_POOLNULL);
	q = VideoPortAllocatePool(ext, VpPagedPool, 100, 2);
	check(q != NULL, S_POOL);
	VideoPortFreePool(ext, q);
	VideoPortFreePool(ext, p);
	check(ioa_test_misuses == 0, R_TAG);
	IoaDeleteVideoMiniport(ext);
}

static void mixing_the_pairs_is_reported(void **state)
{
	PVOID ext = new_miniport(0, 0), other = new_miniport(0, 0);
	PVOID buf, pool;

	(void)state;
	assert_int_equal(VideoPortAllocateBuffer(ext, 100, &buf), NO_ERROR);
	pool = VideoPortAllocatePool(ext, VpPagedPool, 100, 3);
	assert_non_null(pool);
	VideoPortReleaseBuffer(ext, pool);
	check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "VideoPortFreePool"), R_PAIRS);
	VideoPortFreePool(ext, buf);
	check(ioa_test_misuses == 2 && strstr(ioa_test_last_misuse, "VideoPortReleaseBuffer"), R_PAIRS);
	VideoPortReleaseBuffer(other, buf); /* another miniport's */
	check(ioa_test_misuses == 3 && strstr(ioa_test_last_misuse, "belongs to"), R_PAIRS);
	/* Refused releases changed nothing: the right calls still work, once. */
	VideoPortReleaseBuffer(ext, buf);
	VideoPortFreePool(ext, pool);
	check(ioa_test_misuses == 3, R_PAIRS);
	VideoPortReleaseBuffer(ext, buf);
	check(ioa_test_misuses == 4 && strstr(ioa_test_last_misuse, "already released"), R_PAIRS);
	IoaDeleteVideoMiniport(ext);
	IoaDeleteVideoMiniport(other);
}

static void deleting_with_live_buffers_reports_them(void **state)
{
	PVOID ext = new_miniport(64, 0);
	PVOID a, b;

	(void)state;
	assert_int_equal(VideoPortAllocateBuffer(ext, 100, &a), NO_ERROR);
	b = VideoPortAllocatePool(ext, VpNonPagedPool, 5000, 4);
	assert_non_null(b);
	IoaDeleteVideoMiniport(ext);
	check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "2 live allocations"), R_LEAKS);
	check(strstr(ioa_test_last_misuse, "12288 bytes") != NULL, R_LEAKS); /* 4 KiB + 8 KiB charged */
	/* They stay valid; the last release ends the miniport and its account. */
	memset(a, 1, 100);
	VideoPortReleaseBuffer(ext, a);
	VideoPortFreePool(ext, b);
	check(ioa_test_misuses == 1, R_LEAKS);
}

/* Two threads race for one miniport's allowance: together they never get
 * past it, and each refusal is the quota's. */
struct racer {
	PVOID ext;
	PVOID bufs[64];
	unsigned n, refused_other;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (unsigned i = 0; i < 64; i++) {
		VP_STATUS st = VideoPortAllocateBuffer(r->ext, QUANTUM_FILL, &r->bufs[r->n]);

		if (st == NO_ERROR)
			r->n++;
		else if (st != ERROR_INSUFFICIENT_BUFFER)
			r->refused_other++;
	}
	return NULL;
}

static void the_quota_holds_across_threads(void **state)
{
	PVOID ext = new_miniport(0, 40 * KiB); /* 10 quanta */
	struct racer r[2] = {{.ext = ext}, {.ext = ext}};
	pthread_t t[2];

	(void)state;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_join(t[i], NULL), 0);
		check(r[0].n + r[1].n == 10, S_QUOTA);
		check(r[0].refused_other + r[1].refused_other == 0, S_QUOTA);
		for (int i = 0; i < 2; i++)
			while (r[i].n)
				VideoPortReleaseBuffer(ext, r[i].bufs[--r[i].n]);
	}
	IoaDeleteVideoMiniport(ext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(codes_have_their_windows_values, setup, teardown),
		cmocka_unit_test_setup_teardown(a_buffer_of_size_bytes_is_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(the_device_extension_is_the_miniports, setup,
						teardown),
		cmocka_unit_test_setup_teardown(past_the_quota_is_insufficient_buffer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(quotas_are_per_miniport, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_memory_is_not_enough_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(null_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(the_pool_pair_keeps_its_tag_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(mixing_the_pairs_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(deleting_with_live_buffers_reports_them, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_quota_holds_across_threads, setup, teardown),
	};

	if (ioa_domain_default(&dom))
		ioa_test_skip("no default domain (IOALLOC_DOMAIN='%s')", getenv("IOALLOC_DOMAIN"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
