/* SPDX-License-Identifier: MIT */
/*
 * Conformance with seed 001: IDmaChannel::AllocateBuffer (portcls.h).
 *
 * Every check names the sentence it verifies: quoted from the seed document
 * (../shared/seeds/001_ced1ffdcc7a271f4.txt), or, where the seed is silent,
 * from the semantics reference (../shared/research/seeds.md, section 2) and
 * said so. The default domain comes from IOALLOC_DOMAIN (tests/conformance/
 * meson.build): an ISA range at 1 MiB, 16 MiB just below 4 GiB and 16 MiB
 * above it, so each address limit selects a real zone.
 */
#include "conformance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/constraint.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>
#include <ioalloc/domain.h>
#include <ioalloc/win/portcls.h>

/* Seed 001, quoted. */
#define S_DESCRIPTION \
	"The AllocateBuffer method allocates a common buffer that can be accessed by the port " \
	"driver and DMA hardware."
#define S_SIZE "Specifies the size in bytes of the buffer to be allocated."
#define S_OPTIONAL "Specifies an optional constraint to place on the physical address of the buffer."
#define S_CONSTRAINT \
	"If this parameter is non-NULL, only the bits that are set in the constraint address " \
	"will vary from the beginning to the end of the buffer."
#define S_64K \
	"For example, to request a buffer that does not cross a 64-kilobyte boundary, specify " \
	"the physical address constraint 0x000000000000FFFF."
#define S_RETURNS \
	"AllocateBuffer returns STATUS_SUCCESS if the call was successful. Otherwise, the method " \
	"returns an appropriate error code."
#define S_ONCE \
	"This method must be called only once following the creation of the DMA-channel object " \
	"unless the previously allocated buffer is first freed by calling FreeBuffer."
/* The semantics reference (research/seeds.md), where the seed is silent. */
#define R_FREE "research/seeds.md: \"FreeBuffer on an empty channel is a silent no-op\""
#define R_IMPLICIT "research/seeds.md: FreeBuffer \"Also implicit on object destruction.\""
#define R_MAXLEN "research/seeds.md: \"MaximumBufferSize | ULONG () | NewXxxDmaChannel MaximumLength.\""
#define R_LIMITS \
	"issue #7: \"Dma64BitAddresses -> any address, Dma32BitAddresses -> below 4 GiB, " \
	"neither -> below 16 MiB (ISA)\""
#define R_BUFSIZE \
	"research/seeds.md: \"BufferSize / SetBufferSize | Advisory; = allocated size until " \
	"SetBufferSize\""
#define R_COPY "research/seeds.md: CopyTo / CopyFrom \"Plain copy; both take (Destination, Source) order.\""
#define R_IID "research/seeds.md: \"IID_IDmaChannel 22C6AC61-851B-11D0-9A7F-00AA0038ACFE\""
#define R_NULL "issue #7: \"NULL out-pointers give STATUS_INVALID_PARAMETER\""

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static ioa_domain_t *dom;
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
	return 0;
}

/* Every test gives back everything it took. */
static int teardown(void **state)
{
	(void)state;
	ioa_test_release_misuse();
	return live_allocs() == live_at_start ? 0 : -1;
}

static PDMACHANNEL new_channel(BOOLEAN master, BOOLEAN dma32, BOOLEAN dma64, ULONG max_length)
{
	DEVICE_DESCRIPTION dd;
	PDMACHANNEL ch = NULL;

	memset(&dd, 0, sizeof(dd));
	dd.Version = DEVICE_DESCRIPTION_VERSION;
	dd.Master = master;
	dd.Dma32BitAddresses = dma32;
	dd.Dma64BitAddresses = dma64;
	dd.InterfaceType = master ? PCIBus : Isa;
	dd.MaximumLength = max_length;
	assert_int_equal(PcNewDmaChannel(&ch, NULL, NonPagedPool, &dd, NULL), STATUS_SUCCESS);
	assert_non_null(ch);
	return ch;
}

static uint64_t bus_of(PDMACHANNEL ch)
{
	return (uint64_t)IDmaChannel_PhysicalAddress(ch).QuadPart;
}

static bool meets_mask(uint64_t start, uint64_t size, uint64_t mask)
{
	return ((start ^ (start + size - 1)) & ~mask) == 0;
}

static void a_common_buffer_is_shared_by_software_and_hardware(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 64 * 1024);
	uint8_t *va, *seen;
	uint64_t back;

	(void)state;
	check(IDmaChannel_AllocateBuffer(ch, 10000, NULL) == STATUS_SUCCESS, S_RETURNS);
	va = IDmaChannel_SystemAddress(ch);
	check(va != NULL, S_DESCRIPTION);
	/* The port driver's view (va) and the hardware's (bus) are one memory. */
	assert_int_equal(ioa_domain_bus(dom, va, &back), 0);
	check(back == bus_of(ch), S_DESCRIPTION);
	memset(va, 0x5a, 10000);
	seen = ioa_domain_virt(dom, bus_of(ch));
	check(seen == va && seen[9999] == 0x5a, S_DESCRIPTION);
	check(IDmaChannel_AllocatedBufferSize(ch) == 10000, S_SIZE);
	check(IDmaChannel_BufferSize(ch) == 10000, S_SIZE);
	IDmaChannel_FreeBuffer(ch);
	assert_int_equal(IDmaChannel_Release(ch), 0);
}

/* Constrained buffers among odd-sized neighbours (so the allocator would
 * cross lines if it ignored the mask): each stays inside its window. */
static void only_the_mask_bits_vary_across_the_buffer(void **state)
{
	static const uint64_t masks[] = {0xFFFF, 0x3FFF, 0x1FFFF, 0xFFF, 0xFF, 0x7FFFF};
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);
	struct ioa_constraint below4g;
	uint64_t seed = 1, filler[64], fsize[64];
	unsigned nfill = 0;

	(void)state;
	ioa_constraint_init(&below4g);
	ioa_constraint_set_dma_bits(&below4g, 32);
	for (unsigned i = 0; i < 600; i++) {
		uint64_t mask = masks[i % 6], size;
		PHYSICAL_ADDRESS pa;

		if (nfill < 64) { /* 4-20 KiB neighbours: lines fall at every offset */
			fsize[nfill] = 4096 * (1 + ioa_test_rand(&seed) % 5);
			assert_int_equal(ioa_domain_alloc(dom, fsize[nfill], &below4g, NULL,
							  &filler[nfill]), 0);
			nfill++;
		}
		size = 1 + ioa_test_rand(&seed) % (mask + 1);
		pa.QuadPart = (LONGLONG)mask;
		check(IDmaChannel_AllocateBuffer(ch, (ULONG)size, &pa) == STATUS_SUCCESS, S_RETURNS);
		check(meets_mask(bus_of(ch), size, mask), S_CONSTRAINT);
		IDmaChannel_FreeBuffer(ch);
	}
	for (unsigned i = 0; i < nfill; i++)
		assert_int_equal(ioa_domain_free(dom, filler[i], fsize[i], NULL), 0);
	IDmaChannel_Release(ch);
}

static void the_64k_example_never_crosses_a_64k_line(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, FALSE, TRUE, 0);
	PHYSICAL_ADDRESS pa;

	(void)state;
	pa.QuadPart = 0x000000000000FFFF;
	for (ULONG size = 4096; size <= 65536; size += 4096) {
		check(IDmaChannel_AllocateBuffer(ch, size, &pa) == STATUS_SUCCESS, S_64K);
		check((bus_of(ch) >> 16) == ((bus_of(ch) + size - 1) >> 16), S_64K);
		IDmaChannel_FreeBuffer(ch);
	}
	/* A whole 64 KiB buffer can only be the 64 KiB block itself. */
	check(IDmaChannel_AllocateBuffer(ch, 65536, &pa) == STATUS_SUCCESS, S_64K);
	check(bus_of(ch) % 65536 == 0, S_CONSTRAINT);
	IDmaChannel_FreeBuffer(ch);
	IDmaChannel_Release(ch);
}

static void a_constraint_no_buffer_can_meet_fails(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);
	PHYSICAL_ADDRESS pa;
	NTSTATUS st;

	(void)state;
	pa.QuadPart = 0xFFFF; /* 64 KiB + 1 byte must vary bit 16: impossible */
	st = IDmaChannel_AllocateBuffer(ch, 65537, &pa);
	check(!NT_SUCCESS(st) && st == STATUS_INSUFFICIENT_RESOURCES, S_RETURNS);
	check(IDmaChannel_SystemAddress(ch) == NULL, S_RETURNS);
	check(IDmaChannel_AllocatedBufferSize(ch) == 0, S_RETURNS);
	/* No bit may vary: a one-byte buffer only. */
	pa.QuadPart = 0;
	check(IDmaChannel_AllocateBuffer(ch, 2, &pa) == STATUS_INSUFFICIENT_RESOURCES, S_CONSTRAINT);
	check(IDmaChannel_AllocateBuffer(ch, 1, &pa) == STATUS_SUCCESS, S_CONSTRAINT);
	IDmaChannel_FreeBuffer(ch);
	/* The constraint is optional: without it the same size is fine. */
	check(IDmaChannel_AllocateBuffer(ch, 65537, NULL) == STATUS_SUCCESS, S_OPTIONAL);
	IDmaChannel_Release(ch); /* frees the buffer too */
}

static void only_once_unless_freed(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);
	PVOID va;
	uint64_t bus;
	NTSTATUS st;

	(void)state;
	check(IDmaChannel_AllocateBuffer(ch, 8192, NULL) == STATUS_SUCCESS, S_RETURNS);
	va = IDmaChannel_SystemAddress(ch);
	bus = bus_of(ch);
	st = IDmaChannel_AllocateBuffer(ch, 8192, NULL);
	check(!NT_SUCCESS(st) && st == STATUS_UNSUCCESSFUL, S_ONCE);
	st = IDmaChannel_AllocateBuffer(ch, 100, NULL);
	check(!NT_SUCCESS(st), S_ONCE);
	/* The refused call leaves the first buffer as it was. */
	check(IDmaChannel_SystemAddress(ch) == va && bus_of(ch) == bus, S_ONCE);
	check(IDmaChannel_AllocatedBufferSize(ch) == 8192, S_ONCE);
	IDmaChannel_FreeBuffer(ch);
	check(IDmaChannel_AllocateBuffer(ch, 100, NULL) == STATUS_SUCCESS, S_ONCE);
	check(IDmaChannel_AllocatedBufferSize(ch) == 100, S_ONCE);
	IDmaChannel_FreeBuffer(ch);
	IDmaChannel_Release(ch);
}

static void free_buffer_on_an_empty_channel_is_harmless(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);

	(void)state;
	IDmaChannel_FreeBuffer(ch);
	check(IDmaChannel_AllocateBuffer(ch, 4096, NULL) == STATUS_SUCCESS, R_FREE);
	IDmaChannel_FreeBuffer(ch);
	IDmaChannel_FreeBuffer(ch);
	check(IDmaChannel_SystemAddress(ch) == NULL && bus_of(ch) == 0, R_FREE);
	check(IDmaChannel_AllocatedBufferSize(ch) == 0 && IDmaChannel_BufferSize(ch) == 0, R_FREE);
	check(ioa_test_misuses == 0, R_FREE);
	IDmaChannel_Release(ch);
}

static void the_device_description_sets_the_limits(void **state)
{
	PDMACHANNEL isa_master = new_channel(TRUE, FALSE, FALSE, 0);
	PDMACHANNEL isa_slave = new_channel(FALSE, FALSE, FALSE, 0);
	PDMACHANNEL pci32 = new_channel(TRUE, TRUE, FALSE, 0);
	PDMACHANNEL pci64 = new_channel(TRUE, TRUE, TRUE, 0);

	(void)state;
	check(IDmaChannel_AllocateBuffer(isa_master, 128 * 1024, NULL) == STATUS_SUCCESS, R_LIMITS);
	check(bus_of(isa_master) + 128 * 1024 - 1 < 16 * MiB, R_LIMITS);
	/* A slave uses the system DMA controller: below 16 MiB, no 64 KiB line. */
	check(IDmaChannel_AllocateBuffer(isa_slave, 40000, NULL) == STATUS_SUCCESS, R_LIMITS);
	check(bus_of(isa_slave) + 40000 - 1 < 16 * MiB, R_LIMITS);
	check(meets_mask(bus_of(isa_slave), 40000, 0xFFFF), R_LIMITS);
	IDmaChannel_FreeBuffer(isa_slave);
	check(IDmaChannel_AllocateBuffer(isa_slave, 65537, NULL) == STATUS_INSUFFICIENT_RESOURCES,
	      R_LIMITS);
	check(IDmaChannel_AllocateBuffer(pci32, 1 * MiB, NULL) == STATUS_SUCCESS, R_LIMITS);
	check(bus_of(pci32) + MiB - 1 <= 0xFFFFFFFFull, R_LIMITS);
	/* Any address: the domain's memory above 4 GiB (if it has any) is allowed. */
	check(IDmaChannel_AllocateBuffer(pci64, 1 * MiB, NULL) == STATUS_SUCCESS, R_LIMITS);
	check(bus_of(pci64) >= 4 * GiB || !ioa_domain_virt(dom, 4 * GiB), R_LIMITS);
	IDmaChannel_FreeBuffer(isa_master);
	/* 24 bits: 16 MiB is more than any window below 16 MiB holds. */
	check(IDmaChannel_AllocateBuffer(isa_master, 16 * MiB, NULL) ==
		      STATUS_INSUFFICIENT_RESOURCES, R_LIMITS);
	IDmaChannel_Release(isa_master);
	IDmaChannel_Release(isa_slave);
	IDmaChannel_Release(pci32);
	IDmaChannel_Release(pci64);
}

static void a_version3_address_width_wins(void **state)
{
	DEVICE_DESCRIPTION dd;
	PDMACHANNEL ch;

	(void)state;
	memset(&dd, 0, sizeof(dd));
	dd.Version = DEVICE_DESCRIPTION_VERSION3;
	dd.Master = TRUE;
	dd.Dma64BitAddresses = TRUE;
	dd.DmaAddressWidth = 28; /* below 256 MiB: only the ISA range of this domain */
	assert_int_equal(PcNewDmaChannel(&ch, NULL, NonPagedPool, &dd, NULL), STATUS_SUCCESS);
	check(IDmaChannel_AllocateBuffer(ch, 65536, NULL) == STATUS_SUCCESS, R_LIMITS);
	check(bus_of(ch) + 65536 - 1 < (1ull << 28), R_LIMITS);
	IDmaChannel_Release(ch);
	dd.DmaAddressWidth = 65;
	check(PcNewDmaChannel(&ch, NULL, NonPagedPool, &dd, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	dd.Version = 4; /* unknown */
	dd.DmaAddressWidth = 0;
	check(PcNewDmaChannel(&ch, NULL, NonPagedPool, &dd, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(ch == NULL, R_NULL);
}

static void maximum_length_bounds_the_buffer(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 16384);

	(void)state;
	check(IDmaChannel_MaximumBufferSize(ch) == 16384, R_MAXLEN);
	check(IDmaChannel_AllocateBuffer(ch, 16385, NULL) == STATUS_INVALID_PARAMETER, R_MAXLEN);
	check(IDmaChannel_AllocateBuffer(ch, 0, NULL) == STATUS_INVALID_PARAMETER, S_SIZE);
	check(IDmaChannel_AllocateBuffer(ch, 16384, NULL) == STATUS_SUCCESS, R_MAXLEN);
	check(IDmaChannel_TransferCount(ch) == 0, R_MAXLEN);
	IDmaChannel_Release(ch);
}

static void buffer_size_is_advisory(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);

	(void)state;
	check(IDmaChannel_AllocateBuffer(ch, 12000, NULL) == STATUS_SUCCESS, S_RETURNS);
	check(IDmaChannel_BufferSize(ch) == 12000, R_BUFSIZE);
	IDmaChannel_SetBufferSize(ch, 4000);
	check(IDmaChannel_BufferSize(ch) == 4000, R_BUFSIZE);
	check(IDmaChannel_AllocatedBufferSize(ch) == 12000, R_BUFSIZE);
	IDmaChannel_SetBufferSize(ch, 12001); /* more than allocated: a misuse */
	check(ioa_test_misuses == 1 && IDmaChannel_BufferSize(ch) == 4000, R_BUFSIZE);
	IDmaChannel_Release(ch);
}

static void copy_to_and_from_the_buffer(void **state)
{
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);
	uint8_t src[3000], dst[3000];
	uint8_t *va;

	(void)state;
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7);
	check(IDmaChannel_AllocateBuffer(ch, 4096, NULL) == STATUS_SUCCESS, S_RETURNS);
	va = IDmaChannel_SystemAddress(ch);
	IDmaChannel_CopyTo(ch, va + 100, src, sizeof(src));
	check(memcmp(va + 100, src, sizeof(src)) == 0, R_COPY);
	IDmaChannel_CopyFrom(ch, dst, va + 100, sizeof(dst));
	check(memcmp(dst, src, sizeof(src)) == 0, R_COPY);
	IDmaChannel_Release(ch);
}

static void null_out_pointers_are_invalid_parameters(void **state)
{
	DEVICE_DESCRIPTION dd;
	PDMACHANNEL ch = (PDMACHANNEL)&dd;
	PVOID p;

	(void)state;
	memset(&dd, 0, sizeof(dd));
	dd.Master = TRUE;
	check(PcNewDmaChannel(NULL, NULL, NonPagedPool, &dd, NULL) == STATUS_INVALID_PARAMETER,
	      R_NULL);
	check(PcNewDmaChannel(&ch, NULL, NonPagedPool, NULL, NULL) == STATUS_INVALID_PARAMETER,
	      R_NULL);
	check(ch == NULL, R_NULL);
	ch = new_channel(TRUE, TRUE, FALSE, 0);
	check(IDmaChannel_QueryInterface(ch, &IID_IDmaChannel, NULL) == STATUS_INVALID_PARAMETER,
	      R_NULL);
	check(IDmaChannel_QueryInterface(ch, NULL, &p) == STATUS_INVALID_PARAMETER && p == NULL,
	      R_NULL);
	IDmaChannel_Release(ch);
}

static void the_object_is_a_counted_iunknown(void **state)
{
	static const GUID want = {0x22C6AC61, 0x851B, 0x11D0,
				  {0x9A, 0x7F, 0x00, 0xAA, 0x00, 0x38, 0xAC, 0xFE}};
	PDMACHANNEL ch = new_channel(TRUE, TRUE, FALSE, 0);
	PUNKNOWN unk = NULL;
	PVOID other = &unk;
	uint64_t live;

	(void)state;
	check(IsEqualIID(&IID_IDmaChannel, &want), R_IID);
	check(IDmaChannel_QueryInterface(ch, &IID_IUnknown, (PVOID *)&unk) == STATUS_SUCCESS, R_IID);
	check((void *)unk == (void *)ch, R_IID);
	check(IDmaChannel_QueryInterface(ch, &IID_IPortWaveRTStream, &other) ==
		      STATUS_INVALID_PARAMETER && other == NULL, R_IID);
	check(IDmaChannel_AddRef(ch) == 3, R_IID);
	check(IDmaChannel_AllocateBuffer(ch, 4096, NULL) == STATUS_SUCCESS, S_RETURNS);
	live = live_allocs();
	check(IUnknown_Release(unk) == 2, R_IID);
	check(IDmaChannel_Release(ch) == 1, R_IID);
	check(live_allocs() == live, R_IMPLICIT);
	/* The native channel behind the adapter object holds the buffer. */
	check(ioa_dma_bus(ioa_dma_channel_buffer((ioa_dma_channel_t *)(void *)
						 IDmaChannel_GetAdapterObject(ch))) == bus_of(ch),
	      R_IID);
	check(IDmaChannel_Release(ch) == 0, R_IMPLICIT);
	check(live_allocs() == live - 1, R_IMPLICIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_common_buffer_is_shared_by_software_and_hardware,
						setup, teardown),
		cmocka_unit_test_setup_teardown(only_the_mask_bits_vary_across_the_buffer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_64k_example_never_crosses_a_64k_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_constraint_no_buffer_can_meet_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(only_once_unless_freed, setup, teardown),
		cmocka_unit_test_setup_teardown(free_buffer_on_an_empty_channel_is_harmless, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_device_description_sets_the_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_version3_address_width_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(maximum_length_bounds_the_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_size_is_advisory, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_to_and_from_the_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(null_out_pointers_are_invalid_parameters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_object_is_a_counted_iunknown, setup, teardown),
	};

	if (ioa_domain_default(&dom))
		ioa_test_skip("no default domain (IOALLOC_DOMAIN='%s')", getenv("IOALLOC_DOMAIN"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
