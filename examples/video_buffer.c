/* SPDX-License-Identifier: MIT */
/*
 * video_buffer: seed 003 (VideoPortAllocateBuffer) as a video miniport
 * writes it. The miniport may hold 256 KiB; it takes 16 KiB buffers until the
 * video port says no, and tells the two refusals apart:
 * ERROR_INSUFFICIENT_BUFFER (its maximum allowable allocation) and
 * ERROR_NOT_ENOUGH_MEMORY (the system's). Then the VideoPortAllocatePool pair,
 * which the documentation recommends in its place.
 *
 * Only the Windows headers are used:
 *     cc -I include/ioalloc/win video_buffer.c -lioalloc
 */
#include <stdio.h>
#include <video.h>

#define MAXIMUM_ALLOCATION (256 * 1024)
#define SCRATCH_SIZE (16 * 1024)
#define MAX_SCRATCH 64
#define POOL_TAG 0x6d70564f /* 'mpVO', shows as "OVpm" */

typedef struct _HW_DEVICE_EXTENSION {
	ULONG ScratchCount;
	PVOID Scratch[MAX_SCRATCH];
} HW_DEVICE_EXTENSION, *PHW_DEVICE_EXTENSION;

int main(void)
{
	PHW_DEVICE_EXTENSION HwDeviceExtension;
	PVOID Buffer, Pool;
	VP_STATUS Status;

	Status = IoaNewVideoMiniport(sizeof(HW_DEVICE_EXTENSION), MAXIMUM_ALLOCATION,
				     (PVOID *)&HwDeviceExtension);
	if (Status != NO_ERROR) {
		printf("video_buffer: IoaNewVideoMiniport: %ld\n", (long)Status);
		return 1;
	}

	do {
		Status = VideoPortAllocateBuffer(HwDeviceExtension, SCRATCH_SIZE, &Buffer);
		if (Status == NO_ERROR)
			HwDeviceExtension->Scratch[HwDeviceExtension->ScratchCount++] = Buffer;
	} while (Status == NO_ERROR && HwDeviceExtension->ScratchCount < MAX_SCRATCH);

	printf("%lu buffers of %u bytes, then %s\n", (unsigned long)HwDeviceExtension->ScratchCount,
	       SCRATCH_SIZE,
	       Status == ERROR_INSUFFICIENT_BUFFER ? "ERROR_INSUFFICIENT_BUFFER (the quota)"
	       : Status == ERROR_NOT_ENOUGH_MEMORY ? "ERROR_NOT_ENOUGH_MEMORY (the system)"
						   : "another status");
	if (Status != ERROR_INSUFFICIENT_BUFFER || Buffer != NULL)
		return 1;

	/* Beyond what the system has: the other error. */
	Status = VideoPortAllocateBuffer(HwDeviceExtension, 0xFFFFFFFF, &Buffer);
	if (Status != ERROR_INSUFFICIENT_BUFFER && Status != ERROR_NOT_ENOUGH_MEMORY)
		return 1;

	while (HwDeviceExtension->ScratchCount)
		VideoPortReleaseBuffer(HwDeviceExtension,
				       HwDeviceExtension->Scratch[--HwDeviceExtension->ScratchCount]);
	VideoPortReleaseBuffer(HwDeviceExtension, NULL); /* harmless */

	Pool = VideoPortAllocatePool(HwDeviceExtension, VpPagedPool, 100 * 1024, POOL_TAG);
	if (!Pool) {
		printf("video_buffer: VideoPortAllocatePool failed\n");
		return 1;
	}
	RtlFillMemory(Pool, 100 * 1024, 0xcc);
	VideoPortFreePool(HwDeviceExtension, Pool);

	IoaDeleteVideoMiniport(HwDeviceExtension);
	printf("video_buffer: ok\n");
	return 0;
}
