/* SPDX-License-Identifier: MIT */
/*
 * wavert_mdl: seed 004 (IPortWaveRTStream::AllocatePagesForMdl) as a WaveRT
 * miniport writes its AllocateAudioBuffer. A device with 32 address lines asks
 * for a cyclic buffer below 4 GiB, checks how many bytes it really got (the
 * allocation may be smaller than asked), maps the pages for the CPU, and reads
 * the physical address of each page to program its DMA engine.
 *
 * Only the Windows headers are used:
 *     cc -I include/ioalloc/win wavert_mdl.c -lioalloc
 */
#include <stdio.h>
#include <portcls.h>

#define REQUESTED_SIZE 10000 /* not a page multiple: rounded up to 3 pages */

int main(void)
{
	PPORTWAVERTSTREAM PortStream;
	PHYSICAL_ADDRESS HighAddress, PageAddress;
	PMDL AudioBufferMdl;
	ULONG ActualSize, PageCount;
	PUCHAR Buffer;
	NTSTATUS Status;

	Status = IoaNewPortWaveRTStream(&PortStream);
	if (!NT_SUCCESS(Status)) {
		printf("wavert_mdl: IoaNewPortWaveRTStream: 0x%08lX\n", (unsigned long)(ULONG)Status);
		return 1;
	}

	HighAddress.QuadPart = 0xFFFFFFFF; /* 32-bit DMA */
	AudioBufferMdl = IPortWaveRTStream_AllocatePagesForMdl(PortStream, HighAddress,
							       REQUESTED_SIZE);
	if (!AudioBufferMdl) {
		printf("wavert_mdl: AllocatePagesForMdl returned NULL\n");
		return 1;
	}

	/* The caller must verify how many bytes are actually allocated. */
	ActualSize = MmGetMdlByteCount(AudioBufferMdl);
	if (ActualSize < REQUESTED_SIZE)
		printf("partial allocation: %lu of %u bytes\n", (unsigned long)ActualSize,
		       REQUESTED_SIZE);

	Buffer = IPortWaveRTStream_MapAllocatedPages(PortStream, AudioBufferMdl, MmCached);
	if (!Buffer) {
		printf("wavert_mdl: MapAllocatedPages returned NULL\n");
		return 1;
	}
	RtlZeroMemory(Buffer, ActualSize); /* silence */

	PageCount = IPortWaveRTStream_GetPhysicalPagesCount(PortStream, AudioBufferMdl);
	printf("cyclic buffer: %lu bytes in %lu pages, mapped at %p\n", (unsigned long)ActualSize,
	       (unsigned long)PageCount, (void *)Buffer);
	for (ULONG i = 0; i < PageCount; i++) {
		PageAddress = IPortWaveRTStream_GetPhysicalPageAddress(PortStream, AudioBufferMdl, i);
		printf("  page %lu: physical 0x%08lX (PFN 0x%lX)\n", (unsigned long)i,
		       (unsigned long)PageAddress.LowPart,
		       (unsigned long)MmGetMdlPfnArray(AudioBufferMdl)[i]);
		if (PageAddress.QuadPart + PAGE_SIZE - 1 > HighAddress.QuadPart)
			return 1;
	}
	if (ActualSize != ROUND_TO_PAGES(REQUESTED_SIZE) || PageCount != 3)
		return 1; /* this domain has room: the whole request, rounded up */

	IPortWaveRTStream_UnmapAllocatedPages(PortStream, Buffer, AudioBufferMdl);
	IPortWaveRTStream_FreePagesFromMdl(PortStream, AudioBufferMdl); /* and the MDL */
	IPortWaveRTStream_Release(PortStream);
	printf("wavert_mdl: ok\n");
	return 0;
}
