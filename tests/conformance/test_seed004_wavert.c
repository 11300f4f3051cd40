/* SPDX-License-Identifier: MIT */
/*
 * Conformance with seed 004: IPortWaveRTStream::AllocatePagesForMdl
 * (portcls.h), with the methods it names: AllocateContiguousPagesForMdl,
 * MapAllocatedPages, and those an MDL's user needs (UnmapAllocatedPages,
 * FreePagesFromMdl, GetPhysicalPagesCount, GetPhysicalPageAddress).
 *
 * Every check names the sentence it verifies: quoted from the seed document
 * (../shared/seeds/004_b84fbbdab4625ddc.txt), or, where the seed is silent,
 * from the semantics reference (../shared/research/seeds.md, sections 5-6) or
 * issue #7, and said so. The default domain (IOALLOC_DOMAIN, set in
 * tests/conformance/meson.build) starts with a 4 MiB range at 1 MiB that
 * nothing else here touches: a HighAddress inside it gives a small window the
 * tests can fill page by page.
 */
#include "conformance.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/debug.h>
#include <ioalloc/domain.h>
#include <ioalloc/win/portcls.h>

/* Seed 004, quoted. */
#define S_RETURNS_MDL \
	"AllocatePagesforMdl returns a pointer to an MDL that describes a list of physical " \
	"memory pages."
#define S_NULL "If the method is unable to allocate the requested buffer, it returns NULL."
#define S_HIGH \
	"Specifies the high end of the address range from which the storage for the MDL can " \
	"be allocated. The low end of the address range is implicitly zero."
#define S_INTEGRAL "This method always allocates an integral number of memory pages."
#define S_NONCONTIG \
	"The physical memory pages in the MDL are not necessarily contiguous in physical " \
	"memory, but they all fall within the specified address range."
#define S_ROUNDED \
	"If sufficient memory is available, the memory allocation is the requested size " \
	"rounded up to the next page."
#define S_PARTIAL \
	"Otherwise, the memory allocation can be less than the requested size. The caller " \
	"must verify how many bytes are actually allocated."
#define S_CONTIG \
	"If the DMA controller of the audio device requires the physical memory pages in the " \
	"buffer to be contiguous, the driver must call " \
	"IPortWaveRTStream::AllocateContiguousPagesForMdl instead."
#define S_UNMAPPED \
	"the AllocatePagesforMdl method allocates memory pages that are locked (nonpaged) but " \
	"unmapped."
#define S_MAP \
	"the miniport driver must make a subsequent call to " \
	"IPortWaveRTStream::MapAllocatedPages to map the pages into kernel-mode address space."
/* The semantics reference and the issue, where the seed is silent. */
#define R_INCLUSIVE \
	"research/seeds.md: \"Treat HighAddress as inclusive (a page's last byte <= High).\""
#define R_ALL_OR_NULL \
	"research/seeds.md: AllocateContiguousPagesForMdl \"Physically contiguous, in [Low, " \
	"High], rounded up; all or NULL.\""
#define R_ONE_MAP "research/seeds.md: MapAllocatedPages \"One mapping per MDL.\""
#define R_FREE_MDL "research/seeds.md: FreePagesFromMdl \"Frees the pages and the MDL itself.\""
#define R_INDEX \
	"research/seeds.md: GetPhysicalPageAddress \"Off by one: valid range is 0..count-1.\""
#define R_COUNT "research/seeds.md: GetPhysicalPagesCount \"Page count.\""
#define R_LAYOUT "research/seeds.md section 6: the MDL field offsets and the PFN array after it"
#define R_MAPPED_FREE "research/seeds.md: \"Freeing while still mapped is allowed.\""
#define R_NULL "issue #7: \"NULL out-pointers give STATUS_INVALID_PARAMETER\""
#define R_IID "research/seeds.md: \"IID 1809ce5a-64bc-4e62-bd7d-95bce43de393\""

#define KiB 1024ull
#define MiB (1024ull * 1024ull)
#define LOW 0x100000ull             /* the first range of the test domain */
#define WINDOW (64 * KiB)           /* a HighAddress of LOW + WINDOW - 1: 16 pages */

#if defined(__x86_64__)
_Static_assert(offsetof(MDL, Size) == 0x08 && offsetof(MDL, MdlFlags) == 0x0A, R_LAYOUT);
_Static_assert(offsetof(MDL, Process) == 0x10 && offsetof(MDL, MappedSystemVa) == 0x18, R_LAYOUT);
_Static_assert(offsetof(MDL, StartVa) == 0x20 && offsetof(MDL, ByteCount) == 0x28, R_LAYOUT);
_Static_assert(offsetof(MDL, ByteOffset) == 0x2C && sizeof(MDL) == 0x30, R_LAYOUT);
_Static_assert(sizeof(PFN_NUMBER) == 8 && sizeof(ULONG) == 4, R_LAYOUT);
#endif

static ioa_domain_t *dom;
static PPORTWAVERTSTREAM stream;
static uint64_t live_at_start;
static uint64_t live_allocs(void)
{
	return conf_live_allocs(dom);
}

static int setup(void **state)
{
	(void)state;
	ioa_test_catch_misuse();
	live_at_start = live_allocs();
	return IoaNewPortWaveRTStream(&stream) == STATUS_SUCCESS ? 0 : -1;
}

/* Every test frees every MDL: the stream goes without a leak report. */
static int teardown(void **state)
{
	(void)state;
	IPortWaveRTStream_Release(stream);
	ioa_test_release_misuse();
	return live_allocs() == live_at_start && ioa_test_misuses == 0 ? 0 : -1;
}

static PHYSICAL_ADDRESS pa(uint64_t v)
{
	PHYSICAL_ADDRESS p;

	p.QuadPart = (LONGLONG)v;
	return p;
}

static PMDL alloc(uint64_t high, SIZE_T bytes)
{
	return IPortWaveRTStream_AllocatePagesForMdl(stream, pa(high), bytes);
}

static void free_mdl(PMDL m)
{
	IPortWaveRTStream_FreePagesFromMdl(stream, m);
}

static ULONG pages(PMDL m)
{
	return IPortWaveRTStream_GetPhysicalPagesCount(stream, m);
}

static uint64_t page_addr(PMDL m, ULONG i)
{
	return (uint64_t)IPortWaveRTStream_GetPhysicalPageAddress(stream, m, i).QuadPart;
}

/* Every page of m lies wholly in [low, high]. */
static bool within(PMDL m, uint64_t low, uint64_t high)
{
	for (ULONG i = 0; i < pages(m); i++)
		if (page_addr(m, i) < low || page_addr(m, i) + PAGE_SIZE - 1 > high)
			return false;
	return true;
}

static bool contiguous(PMDL m)
{
	PPFN_NUMBER pfn = MmGetMdlPfnArray(m);

	for (ULONG i = 1; i < pages(m); i++)
		if (pfn[i] != pfn[i - 1] + 1)
			return false;
	return true;
}

static void whole_pages_rounded_up(void **state)
{
	PMDL m = alloc(UINT64_MAX, 3 * PAGE_SIZE + 1);
	PPFN_NUMBER pfn;

	(void)state;
	check(m != NULL, S_RETURNS_MDL);
	check(MmGetMdlByteCount(m) == 4 * PAGE_SIZE, S_ROUNDED);
	check(MmGetMdlByteCount(m) % PAGE_SIZE == 0 && MmGetMdlByteOffset(m) == 0, S_INTEGRAL);
	check(pages(m) == 4, R_COUNT);
	pfn = MmGetMdlPfnArray(m);
	for (ULONG i = 0; i < 4; i++) {
		uint8_t *lin = ioa_domain_virt(dom, (uint64_t)pfn[i] << PAGE_SHIFT);

		check(lin != NULL, S_RETURNS_MDL); /* a page of the domain */
		check(lin[0] == 0 && lin[PAGE_SIZE - 1] == 0, S_RETURNS_MDL); /* zeroed */
		for (ULONG j = 0; j < i; j++)
			check(pfn[i] != pfn[j], S_RETURNS_MDL);
	}
	check(m->Size == (CSHORT)(sizeof(MDL) + 4 * sizeof(PFN_NUMBER)), R_LAYOUT);
	free_mdl(m);
}

static void locked_but_unmapped(void **state)
{
	PMDL m = alloc(UINT64_MAX, 2 * PAGE_SIZE);

	(void)state;
	check((m->MdlFlags & MDL_PAGES_LOCKED) != 0, S_UNMAPPED);
	check((m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) == 0, S_UNMAPPED);
	check(m->MappedSystemVa == NULL && MmGetMdlVirtualAddress(m) == NULL, S_UNMAPPED);
	free_mdl(m);
}

static void high_address_is_inclusive(void **state)
{
	uint64_t high = LOW + WINDOW - 1;
	PMDL m = alloc(high, WINDOW), more;

	(void)state;
	/* The window holds exactly 16 pages: getting them all takes the one
	 * whose last byte is HighAddress. */
	check(m != NULL && MmGetMdlByteCount(m) == WINDOW, S_HIGH);
	check(within(m, 0, high), S_NONCONTIG);
	check(page_addr(m, 0) >= LOW, S_HIGH);
	more = alloc(high, PAGE_SIZE);
	check(more == NULL, S_NULL);
	free_mdl(m);
	/* A HighAddress inside a page: that page is not wholly below it. */
	m = alloc(LOW + WINDOW + 100, WINDOW + PAGE_SIZE);
	check(m != NULL && MmGetMdlByteCount(m) == WINDOW, R_INCLUSIVE);
	check(within(m, 0, LOW + WINDOW + 100), S_NONCONTIG);
	free_mdl(m);
}

static void fewer_bytes_than_asked(void **state)
{
	uint64_t high = LOW + WINDOW - 1;
	PMDL m = alloc(high, 1 * MiB), first, rest, none;

	(void)state;
	check(m != NULL, S_PARTIAL);
	check(MmGetMdlByteCount(m) == WINDOW, S_PARTIAL); /* less than the 1 MiB asked */
	free_mdl(m);
	/* A nearly full window: 15 pages taken, one left. */
	first = alloc(high, WINDOW - PAGE_SIZE);
	check(first != NULL && MmGetMdlByteCount(first) == WINDOW - PAGE_SIZE, S_ROUNDED);
	rest = alloc(high, WINDOW);
	check(rest != NULL && MmGetMdlByteCount(rest) == PAGE_SIZE, S_PARTIAL);
	check(pages(rest) == 1 && within(rest, 0, high), S_PARTIAL);
	none = alloc(high, PAGE_SIZE);
	check(none == NULL, S_NULL); /* not a single page */
	free_mdl(first);
	free_mdl(rest);
}

static void nothing_below_high_is_null(void **state)
{
	(void)state;
	check(alloc(LOW - 1, PAGE_SIZE) == NULL, S_NULL); /* the domain starts at LOW */
	check(alloc(LOW + PAGE_SIZE - 2, PAGE_SIZE) == NULL, R_INCLUSIVE);
	check(alloc(UINT64_MAX, 0) == NULL, S_NULL);
}

/* 16 single pages, every other one freed: 8 holes, none adjacent. */
static void fragment(PMDL singles[16])
{
	for (int i = 0; i < 16; i++) {
		singles[i] = alloc(LOW + WINDOW - 1, PAGE_SIZE);
		assert_non_null(singles[i]);
	}
	for (int i = 0; i < 16; i += 2) {
		free_mdl(singles[i]);
		singles[i] = NULL;
	}
}

static void pages_need_not_be_contiguous(void **state)
{
	uint64_t high = LOW + WINDOW - 1;
	PMDL singles[16], m, c;

	(void)state;
	fragment(singles);
	m = alloc(high, 8 * PAGE_SIZE);
	check(m != NULL && MmGetMdlByteCount(m) == 8 * PAGE_SIZE, S_NONCONTIG);
	check(within(m, LOW, high), S_NONCONTIG);
	check(!contiguous(m), S_NONCONTIG);
	free_mdl(m);
	/* Contiguous: two adjacent pages do not exist here, one does. */
	c = IPortWaveRTStream_AllocateContiguousPagesForMdl(stream, pa(0), pa(high), 2 * PAGE_SIZE);
	check(c == NULL, R_ALL_OR_NULL);
	c = IPortWaveRTStream_AllocateContiguousPagesForMdl(stream, pa(0), pa(high), PAGE_SIZE);
	check(c != NULL && within(c, 0, high), S_CONTIG);
	free_mdl(c);
	for (int i = 1; i < 16; i += 2)
		free_mdl(singles[i]);
}

static void contiguous_means_one_run_or_null(void **state)
{
	uint64_t low = LOW + 8 * KiB, high = LOW + WINDOW - 1;
	PMDL c;

	(void)state;
	c = IPortWaveRTStream_AllocateContiguousPagesForMdl(stream, pa(low), pa(high), 32 * KiB - 5);
	check(c != NULL && MmGetMdlByteCount(c) == 32 * KiB, S_CONTIG);
	check(contiguous(c) && within(c, low, high), S_CONTIG);
	free_mdl(c);
	/* More than [low, high] holds: never a partial result. */
	c = IPortWaveRTStream_AllocateContiguousPagesForMdl(stream, pa(low), pa(high), WINDOW);
	check(c == NULL, R_ALL_OR_NULL);
	c = IPortWaveRTStream_AllocateContiguousPagesForMdl(stream, pa(high), pa(low), PAGE_SIZE);
	check(c == NULL, R_ALL_OR_NULL);
	/* Large and anywhere: one run. */
	c = IPortWaveRTStream_AllocateContiguousPagesForMdl(stream, pa(0), pa(UINT64_MAX), 1 * MiB);
	check(c != NULL && contiguous(c) && pages(c) == 256, S_CONTIG);
	free_mdl(c);
}

static void map_allocated_pages_gives_software_access(void **state)
{
	PMDL m = alloc(UINT64_MAX, 5 * PAGE_SIZE);
	uint8_t *va, *again;

	(void)state;
	va = IPortWaveRTStream_MapAllocatedPages(stream, m, MmCached);
	check(va != NULL, S_MAP);
	check(m->MappedSystemVa == va && (m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA), S_MAP);
	for (ULONG i = 0; i < 5; i++) {
		uint8_t *lin = ioa_domain_virt(dom, page_addr(m, i));

		memset(va + i * PAGE_SIZE, (int)(0x10 + i), PAGE_SIZE);
		check(lin[0] == 0x10 + i && lin[PAGE_SIZE - 1] == 0x10 + i, S_MAP);
	}
	again = IPortWaveRTStream_MapAllocatedPages(stream, m, MmCached);
	check(again == NULL, R_ONE_MAP);
	IPortWaveRTStream_UnmapAllocatedPages(stream, va, m);
	check(m->MappedSystemVa == NULL && !(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA), R_ONE_MAP);
	va = IPortWaveRTStream_MapAllocatedPages(stream, m, MmWriteCombined);
	check(va != NULL && va[PAGE_SIZE] == 0x11, R_ONE_MAP);
	check(IPortWaveRTStream_MapAllocatedPages(stream, m, MmMaximumCacheType) == NULL, S_MAP);
	free_mdl(m); /* still mapped */
	check(ioa_test_misuses == 0, R_MAPPED_FREE);
}

static void physical_page_addresses(void **state)
{
	PMDL m = alloc(UINT64_MAX, 7 * PAGE_SIZE);
	ULONG n = pages(m);

	(void)state;
	check(n == ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(m), MmGetMdlByteCount(m)),
	      R_COUNT);
	for (ULONG i = 0; i < n; i++)
		check(page_addr(m, i) == (uint64_t)MmGetMdlPfnArray(m)[i] << PAGE_SHIFT, R_INDEX);
	check(page_addr(m, n) == 0, R_INDEX); /* "to the count" is one too far */
	check(page_addr(m, 0xFFFFFFFF) == 0, R_INDEX);
	check(pages(NULL) == 0, R_COUNT);
	free_mdl(m);
}

/* Many MDLs live at once, of sizes on both sides of the layer's pooled MDL
 * blocks (up to 64 pages) and past the pool's first 64 blocks: each is its
 * own MDL with its own pages, and every one goes back. */
static void many_live_mdls(void **state)
{
	enum { N = 150 };
	static const ULONG npages[] = {1, 16, 64, 65, 3};
	PMDL m[N];
	uint64_t before = live_allocs();

	(void)state;
	for (int i = 0; i < N; i++) {
		ULONG want = npages[i % 5];

		m[i] = alloc(UINT64_MAX, want * PAGE_SIZE);
		assert_non_null(m[i]);
		check(pages(m[i]) == want && MmGetMdlByteCount(m[i]) == want * PAGE_SIZE, R_COUNT);
		for (ULONG k = 0; k < want; k++)
			check(page_addr(m[i], k) == (uint64_t)MmGetMdlPfnArray(m[i])[k] << PAGE_SHIFT,
			      R_INDEX);
		for (int j = 0; j < i; j++) /* distinct MDLs, distinct first pages */
			check(m[j] != m[i] && MmGetMdlPfnArray(m[j])[0] != MmGetMdlPfnArray(m[i])[0],
			      R_FREE_MDL);
	}
	for (int i = 0; i < N; i += 2)
		free_mdl(m[i]);
	for (int i = 1; i < N; i += 2)
		free_mdl(m[i]);
	check(live_allocs() == before, R_FREE_MDL);
}

static void free_pages_from_mdl_frees_the_mdl(void **state)
{
	uint64_t before = live_allocs();
	uint64_t fake[32];
	PMDL m = alloc(UINT64_MAX, 64 * KiB);

	(void)state;
	check(live_allocs() > before, R_FREE_MDL);
	free_mdl(m);
	check(live_allocs() == before, R_FREE_MDL); /* ASan/valgrind see the MDL go too */
	free_mdl(NULL);
	check(ioa_test_misuses == 0, R_FREE_MDL);
	/* An MDL it never made is refused and reported. */
	memset(fake, 0, sizeof(fake));
	free_mdl((PMDL)(void *)((char *)fake + 128));
	check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "FreePagesFromMdl"), R_FREE_MDL);
	ioa_test_misuses = 0;
}

static void the_stream_is_a_counted_iunknown(void **state)
{
	static const GUID want = {0x1809ce5a, 0x64bc, 0x4e62,
				  {0xbd, 0x7d, 0x95, 0xbc, 0xe4, 0x3d, 0xe3, 0x93}};
	PVOID p = &p;

	(void)state;
	check(IsEqualIID(&IID_IPortWaveRTStream, &want), R_IID);
	check(IPortWaveRTStream_QueryInterface(stream, &IID_IPortWaveRTStream, &p) ==
		      STATUS_SUCCESS && p == stream, R_IID);
	check(IPortWaveRTStream_QueryInterface(stream, &IID_IUnknown, &p) == STATUS_SUCCESS, R_IID);
	check(IPortWaveRTStream_QueryInterface(stream, &IID_IDmaChannel, &p) ==
		      STATUS_INVALID_PARAMETER && p == NULL, R_IID);
	check(IPortWaveRTStream_QueryInterface(stream, &IID_IUnknown, NULL) ==
		      STATUS_INVALID_PARAMETER, R_NULL);
	check(IPortWaveRTStream_Release(stream) == 2, R_IID);
	check(IUnknown_Release(stream) == 1, R_IID);
	check(IoaNewPortWaveRTStream(NULL) == STATUS_INVALID_PARAMETER, R_NULL);
}

static void releasing_a_stream_with_live_mdls_reports_them(void **state)
{
	PPORTWAVERTSTREAM other;
	PMDL m;

	(void)state;
	assert_int_equal(IoaNewPortWaveRTStream(&other), STATUS_SUCCESS);
	m = IPortWaveRTStream_AllocatePagesForMdl(other, pa(UINT64_MAX), 3 * PAGE_SIZE);
	assert_non_null(m);
	check(IPortWaveRTStream_Release(other) == 0, R_FREE_MDL);
	check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "1 MDLs not freed"), R_FREE_MDL);
	/* The MDL outlives its stream and is freed through another. */
	check(pages(m) == 3, R_FREE_MDL);
	free_mdl(m);
	check(ioa_test_misuses == 1, R_FREE_MDL);
	ioa_test_misuses = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(whole_pages_rounded_up, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_but_unmapped, setup, teardown),
		cmocka_unit_test_setup_teardown(high_address_is_inclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(fewer_bytes_than_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_below_high_is_null, setup, teardown),
		cmocka_unit_test_setup_teardown(pages_need_not_be_contiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(contiguous_means_one_run_or_null, setup, teardown),
		cmocka_unit_test_setup_teardown(map_allocated_pages_gives_software_access, setup,
						teardown),
		cmocka_unit_test_setup_teardown(physical_page_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(free_pages_from_mdl_frees_the_mdl, setup, teardown),
		cmocka_unit_test_setup_teardown(many_live_mdls, setup, teardown),
		cmocka_unit_test_setup_teardown(the_stream_is_a_counted_iunknown, setup, teardown),
		cmocka_unit_test_setup_teardown(releasing_a_stream_with_live_mdls_reports_them,
						setup, teardown),
	};

	if (ioa_domain_default(&dom))
		ioa_test_skip("no default domain (IOALLOC_DOMAIN='%s')", getenv("IOALLOC_DOMAIN"));
	if (ioa_domain_page_size(dom) != PAGE_SIZE)
		ioa_test_skip("the window tests assume a 4 KiB-page domain");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
