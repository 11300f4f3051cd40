/* SPDX-License-Identifier: MIT */
/*
 * video.h - the video port pool services of ioalloc's Windows DDI layer:
 * VideoPortAllocateBuffer / VideoPortReleaseBuffer and VideoPortAllocatePool
 * / VideoPortFreePool, charged to a miniport's quota.
 *
 * A miniport is made with IoaNewVideoMiniport (in Windows, VideoPortInitialize
 * creates the device extension): it owns a native account whose limit is the
 * miniport's maximum allowable allocation. Memory comes from the default
 * domain charged to that account, in whole 4 KiB quanta that include a
 * 64-byte hidden header (size, owner, pool tag). A charge past the limit is
 * ERROR_INSUFFICIENT_BUFFER; the domain out of memory is
 * ERROR_NOT_ENOUGH_MEMORY.
 */
#ifndef IOALLOC_WIN_VIDEO_H
#define IOALLOC_WIN_VIDEO_H

#include "wdm.h"

IOA_BEGIN_DECLS

typedef LONG VP_STATUS, *PVP_STATUS;

/* Win32 error codes, the values of winerror.h. */
#ifndef NO_ERROR
#define NO_ERROR 0L
#endif
#ifndef ERROR_INVALID_FUNCTION
#define ERROR_INVALID_FUNCTION 1L
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8L
#endif
#ifndef ERROR_DEV_NOT_EXIST
#define ERROR_DEV_NOT_EXIST 55L
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87L
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
#define ERROR_INSUFFICIENT_BUFFER 122L
#endif
#ifndef ERROR_MORE_DATA
#define ERROR_MORE_DATA 234L
#endif
#ifndef ERROR_IO_PENDING
#define ERROR_IO_PENDING 997L
#endif

/* The values coincide with POOL_TYPE's by design. */
typedef enum VP_POOL_TYPE {
	VpNonPagedPool = 0,
	VpPagedPool = 1,
	VpNonPagedPoolCacheAligned = 4,
	VpPagedPoolCacheAligned = 5,
} VP_POOL_TYPE, *PVP_POOL_TYPE;

/* Allocate Size bytes charged to the miniport whose device extension is
 * HwDeviceExtension; *Buffer gets the memory (64-byte aligned, contents
 * unspecified), or NULL on failure. Any thread; may block.
 * NO_ERROR; ERROR_INSUFFICIENT_BUFFER (the miniport's maximum allowable
 * allocation would be passed); ERROR_NOT_ENOUGH_MEMORY (the domain has no
 * room); ERROR_INVALID_PARAMETER (Buffer or HwDeviceExtension NULL). */
IOA_API VP_STATUS VideoPortAllocateBuffer(PVOID HwDeviceExtension, ULONG Size, PVOID *Buffer);

/* Release a VideoPortAllocateBuffer buffer; NULL is harmless. Any thread. A
 * pointer from elsewhere (VideoPortAllocatePool included) or from another
 * miniport is reported to the misuse handler. */
IOA_API VOID VideoPortReleaseBuffer(PVOID HwDeviceExtension, PVOID Buffer);

/* Allocate NumberOfBytes bytes of pool memory tagged Tag (kept in the hidden
 * header, not in the memory), charged like VideoPortAllocateBuffer: the
 * memory (64-byte aligned), or NULL when over quota, out of memory, or for an
 * unknown PoolType. Any thread; may block. */
IOA_API PVOID VideoPortAllocatePool(PVOID HwDeviceExtension, VP_POOL_TYPE PoolType,
				    SIZE_T NumberOfBytes, ULONG Tag);

/* Free VideoPortAllocatePool memory; NULL is harmless. Misuse as for
 * VideoPortReleaseBuffer. Any thread. */
IOA_API VOID VideoPortFreePool(PVOID HwDeviceExtension, PVOID Ptr);

/* Create a miniport with a zeroed device extension of DeviceExtensionSize
 * bytes (*HwDeviceExtension, 64-byte aligned) and a maximum allowable
 * allocation of MaximumAllocation bytes (0: no limit). May block.
 * NO_ERROR; ERROR_INVALID_PARAMETER (HwDeviceExtension NULL, or
 * IOALLOC_DOMAIN malformed); ERROR_NOT_ENOUGH_MEMORY. */
IOA_API VP_STATUS IoaNewVideoMiniport(ULONG DeviceExtensionSize, SIZE_T MaximumAllocation,
				      PVOID *HwDeviceExtension);

/* Delete a miniport; NULL is harmless. Allocations still live are reported to
 * the misuse handler (count and bytes); they stay valid and may still be
 * released, the last release ending the miniport. */
IOA_API VOID IoaDeleteVideoMiniport(PVOID HwDeviceExtension);

IOA_END_DECLS

#endif
