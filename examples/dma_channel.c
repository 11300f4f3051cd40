/* SPDX-License-Identifier: MIT */
/*
 * dma_channel: seed 001 (IDmaChannel::AllocateBuffer) as a PortCls audio
 * driver writes it. A 32-bit bus-master PCI device asks for a 16 KiB common
 * buffer that never crosses a 64 KiB line, fills it with samples, and checks
 * the rules the documentation states: only the constraint's bits vary across
 * the buffer, and a second AllocateBuffer is refused until FreeBuffer.
 *
 * Only the Windows headers are used:
 *     cc -I include/ioalloc/win dma_channel.c -lioalloc
 * Run it with IOALLOC_DOMAIN unset (1 GiB at bus 0x100000) or set.
 */
#include <stdio.h>
#include <portcls.h>

#define DMA_BUFFER_SIZE (16 * 1024)
#define NO_64K_CROSSING 0x000000000000FFFF

static NTSTATUS CreateDmaChannel(PDMACHANNEL *DmaChannel)
{
	DEVICE_DESCRIPTION DeviceDescription;

	RtlZeroMemory(&DeviceDescription, sizeof(DeviceDescription));
	DeviceDescription.Version = DEVICE_DESCRIPTION_VERSION;
	DeviceDescription.Master = TRUE;
	DeviceDescription.ScatterGather = FALSE;
	DeviceDescription.Dma32BitAddresses = TRUE;
	DeviceDescription.InterfaceType = PCIBus;
	DeviceDescription.MaximumLength = 64 * 1024;
	return PcNewDmaChannel(DmaChannel, NULL, NonPagedPool, &DeviceDescription, NULL);
}

static int Fail(const char *What, NTSTATUS Status)
{
	printf("dma_channel: %s: status 0x%08lX\n", What, (unsigned long)(ULONG)Status);
	return 1;
}

int main(void)
{
	PDMACHANNEL DmaChannel;
	PHYSICAL_ADDRESS Constraint, Physical;
	LONGLONG First, Last;
	SHORT Samples[256];
	PUCHAR Buffer;
	NTSTATUS Status;

	Status = CreateDmaChannel(&DmaChannel);
	if (!NT_SUCCESS(Status))
		return Fail("PcNewDmaChannel", Status);

	Constraint.QuadPart = NO_64K_CROSSING;
	Status = IDmaChannel_AllocateBuffer(DmaChannel, DMA_BUFFER_SIZE, &Constraint);
	if (!NT_SUCCESS(Status))
		return Fail("AllocateBuffer", Status);

	Buffer = IDmaChannel_SystemAddress(DmaChannel);
	Physical = IDmaChannel_PhysicalAddress(DmaChannel);
	First = Physical.QuadPart;
	Last = First + DMA_BUFFER_SIZE - 1;
	printf("common buffer: %lu bytes at %p, physical 0x%08lX:%08lX\n",
	       (unsigned long)IDmaChannel_AllocatedBufferSize(DmaChannel), (void *)Buffer,
	       (unsigned long)(ULONG)Physical.HighPart, (unsigned long)Physical.LowPart);
	if (((First ^ Last) & ~(LONGLONG)NO_64K_CROSSING) != 0 || Last > 0xFFFFFFFFLL) {
		printf("dma_channel: the buffer breaks its constraint\n");
		return 1;
	}

	/* Only once per channel unless FreeBuffer came first. */
	Status = IDmaChannel_AllocateBuffer(DmaChannel, DMA_BUFFER_SIZE, NULL);
	if (NT_SUCCESS(Status)) {
		printf("dma_channel: a second AllocateBuffer succeeded\n");
		return 1;
	}

	for (ULONG i = 0; i < sizeof(Samples) / sizeof(Samples[0]); i++)
		Samples[i] = (SHORT)(i * 64);
	IDmaChannel_CopyTo(DmaChannel, Buffer, Samples, sizeof(Samples));
	if (!RtlEqualMemory(Buffer, Samples, sizeof(Samples)))
		return Fail("CopyTo", STATUS_UNSUCCESSFUL);

	IDmaChannel_FreeBuffer(DmaChannel);
	Status = IDmaChannel_AllocateBuffer(DmaChannel, DMA_BUFFER_SIZE, &Constraint);
	if (!NT_SUCCESS(Status))
		return Fail("AllocateBuffer after FreeBuffer", Status);
	IDmaChannel_Release(DmaChannel); /* frees the buffer too */
	printf("dma_channel: ok\n");
	return 0;
}
