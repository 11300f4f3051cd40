/* SPDX-License-Identifier: MIT */
/*
 * portcls.h - the PortCls audio interfaces of ioalloc's Windows DDI layer:
 * IDmaChannel (a DMA common buffer, over ioa_dma_channel_*) and
 * IPortWaveRTStream (whole pages described by an MDL, over ioa_pages_*).
 *
 * Interfaces are C structs whose first member is lpVtbl, with a call macro
 * per method in the MinGW/Wine style: IDmaChannel_AllocateBuffer(p, size,
 * constraint), IDmaChannel_Release(p). Methods returning PHYSICAL_ADDRESS
 * return it by value, as the WDK declares them (source, not MSVC binary,
 * compatibility). Objects are not thread-safe: as with PortCls, callers
 * serialize calls on one object.
 *
 * IAllocatorMXF is in dmusicks.h.
 */
#ifndef IOALLOC_WIN_PORTCLS_H
#define IOALLOC_WIN_PORTCLS_H

#include "wdm.h"

IOA_BEGIN_DECLS

/* Interface IDs, as in the WDK's portcls.h. */
IOA_WIN_DEFINE_IID(IID_IDmaChannel, 0x22C6AC61, 0x851B, 0x11D0, 0x9A, 0x7F, 0x00, 0xAA, 0x00, 0x38,
		   0xAC, 0xFE);
IOA_WIN_DEFINE_IID(IID_IPortWaveRTStream, 0x1809ce5a, 0x64bc, 0x4e62, 0xbd, 0x7d, 0x95, 0xbc, 0xe4,
		   0x3d, 0xe3, 0x93);

/* ---- IDmaChannel ---------------------------------------------------------------- */

typedef struct IDmaChannel IDmaChannel, *PDMACHANNEL;

typedef struct IDmaChannelVtbl {
	/* IUnknown */
	NTSTATUS (*QueryInterface)(IDmaChannel *This, REFIID InterfaceId, PVOID *Interface);
	ULONG (*AddRef)(IDmaChannel *This);
	ULONG (*Release)(IDmaChannel *This);
	/* IDmaChannel, in the WDK header's order */
	NTSTATUS (*AllocateBuffer)(IDmaChannel *This, ULONG BufferSize,
				   PPHYSICAL_ADDRESS PhysicalAddressConstraint);
	VOID (*FreeBuffer)(IDmaChannel *This);
	ULONG (*TransferCount)(IDmaChannel *This);
	ULONG (*MaximumBufferSize)(IDmaChannel *This);
	ULONG (*AllocatedBufferSize)(IDmaChannel *This);
	ULONG (*BufferSize)(IDmaChannel *This);
	VOID (*SetBufferSize)(IDmaChannel *This, ULONG BufferSize);
	PVOID (*SystemAddress)(IDmaChannel *This);
	PHYSICAL_ADDRESS (*PhysicalAddress)(IDmaChannel *This);
	PADAPTER_OBJECT (*GetAdapterObject)(IDmaChannel *This);
	VOID (*CopyTo)(IDmaChannel *This, PVOID Destination, PVOID Source, ULONG ByteCount);
	VOID (*CopyFrom)(IDmaChannel *This, PVOID Destination, PVOID Source, ULONG ByteCount);
} IDmaChannelVtbl;

struct IDmaChannel {
	const IDmaChannelVtbl *lpVtbl;
};

#define IDmaChannel_QueryInterface(This, InterfaceId, Interface) \
	((This)->lpVtbl->QueryInterface((This), (InterfaceId), (Interface)))
#define IDmaChannel_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IDmaChannel_Release(This) ((This)->lpVtbl->Release(This))
#define IDmaChannel_AllocateBuffer(This, BufferSize, PhysicalAddressConstraint) \
	((This)->lpVtbl->AllocateBuffer((This), (BufferSize), (PhysicalAddressConstraint)))
#define IDmaChannel_FreeBuffer(This) ((This)->lpVtbl->FreeBuffer(This))
#define IDmaChannel_TransferCount(This) ((This)->lpVtbl->TransferCount(This))
#define IDmaChannel_MaximumBufferSize(This) ((This)->lpVtbl->MaximumBufferSize(This))
#define IDmaChannel_AllocatedBufferSize(This) ((This)->lpVtbl->AllocatedBufferSize(This))
#define IDmaChannel_BufferSize(This) ((This)->lpVtbl->BufferSize(This))
#define IDmaChannel_SetBufferSize(This, BufferSize) \
	((This)->lpVtbl->SetBufferSize((This), (BufferSize)))
#define IDmaChannel_SystemAddress(This) ((This)->lpVtbl->SystemAddress(This))
#define IDmaChannel_PhysicalAddress(This) ((This)->lpVtbl->PhysicalAddress(This))
#define IDmaChannel_GetAdapterObject(This) ((This)->lpVtbl->GetAdapterObject(This))
#define IDmaChannel_CopyTo(This, Destination, Source, ByteCount) \
	((This)->lpVtbl->CopyTo((This), (Destination), (Source), (ByteCount)))
#define IDmaChannel_CopyFrom(This, Destination, Source, ByteCount) \
	((This)->lpVtbl->CopyFrom((This), (Destination), (Source), (ByteCount)))

/* A DMA channel with the limits of *DeviceDescription (see
 * PcNewDmaChannel(3)): buffers of at most MaximumLength bytes; any address
 * with Dma64BitAddresses, below 4 GiB with Dma32BitAddresses, below 16 MiB
 * (ISA) with neither. Reference count 1. OuterUnknown, PoolType and
 * DeviceObject (may be NULL) are not used. May block. STATUS_SUCCESS,
 * STATUS_INVALID_PARAMETER, STATUS_INSUFFICIENT_RESOURCES, or
 * STATUS_DEVICE_CONFIGURATION_ERROR (IOALLOC_DOMAIN is malformed). */
IOA_API NTSTATUS PcNewDmaChannel(PDMACHANNEL *OutDmaChannel, PUNKNOWN OuterUnknown,
				 POOL_TYPE PoolType, PDEVICE_DESCRIPTION DeviceDescription,
				 PDEVICE_OBJECT DeviceObject);

/* ---- IPortWaveRTStream ------------------------------------------------------------ */

typedef struct IPortWaveRTStream IPortWaveRTStream, *PPORTWAVERTSTREAM;

typedef struct IPortWaveRTStreamVtbl {
	/* IUnknown */
	NTSTATUS (*QueryInterface)(IPortWaveRTStream *This, REFIID InterfaceId, PVOID *Interface);
	ULONG (*AddRef)(IPortWaveRTStream *This);
	ULONG (*Release)(IPortWaveRTStream *This);
	/* IPortWaveRTStream */
	PMDL (*AllocatePagesForMdl)(IPortWaveRTStream *This, PHYSICAL_ADDRESS HighAddress,
				    SIZE_T TotalBytes);
	PMDL (*AllocateContiguousPagesForMdl)(IPortWaveRTStream *This, PHYSICAL_ADDRESS LowAddress,
					      PHYSICAL_ADDRESS HighAddress, SIZE_T TotalBytes);
	PVOID (*MapAllocatedPages)(IPortWaveRTStream *This, PMDL MemoryDescriptorList,
				   MEMORY_CACHING_TYPE CacheType);
	VOID (*UnmapAllocatedPages)(IPortWaveRTStream *This, PVOID BaseAddress,
				    PMDL MemoryDescriptorList);
	VOID (*FreePagesFromMdl)(IPortWaveRTStream *This, PMDL MemoryDescriptorList);
	ULONG (*GetPhysicalPagesCount)(IPortWaveRTStream *This, PMDL MemoryDescriptorList);
	PHYSICAL_ADDRESS (*GetPhysicalPageAddress)(IPortWaveRTStream *This,
						   PMDL MemoryDescriptorList, ULONG Index);
} IPortWaveRTStreamVtbl;

struct IPortWaveRTStream {
	const IPortWaveRTStreamVtbl *lpVtbl;
};

#define IPortWaveRTStream_QueryInterface(This, InterfaceId, Interface) \
	((This)->lpVtbl->QueryInterface((This), (InterfaceId), (Interface)))
#define IPortWaveRTStream_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IPortWaveRTStream_Release(This) ((This)->lpVtbl->Release(This))
#define IPortWaveRTStream_AllocatePagesForMdl(This, HighAddress, TotalBytes) \
	((This)->lpVtbl->AllocatePagesForMdl((This), (HighAddress), (TotalBytes)))
#define IPortWaveRTStream_AllocateContiguousPagesForMdl(This, LowAddress, HighAddress, TotalBytes) \
	((This)->lpVtbl->AllocateContiguousPagesForMdl((This), (LowAddress), (HighAddress),      \
						       (TotalBytes)))
#define IPortWaveRTStream_MapAllocatedPages(This, MemoryDescriptorList, CacheType) \
	((This)->lpVtbl->MapAllocatedPages((This), (MemoryDescriptorList), (CacheType)))
#define IPortWaveRTStream_UnmapAllocatedPages(This, BaseAddress, MemoryDescriptorList) \
	((This)->lpVtbl->UnmapAllocatedPages((This), (BaseAddress), (MemoryDescriptorList)))
#define IPortWaveRTStream_FreePagesFromMdl(This, MemoryDescriptorList) \
	((This)->lpVtbl->FreePagesFromMdl((This), (MemoryDescriptorList)))
#define IPortWaveRTStream_GetPhysicalPagesCount(This, MemoryDescriptorList) \
	((This)->lpVtbl->GetPhysicalPagesCount((This), (MemoryDescriptorList)))
#define IPortWaveRTStream_GetPhysicalPageAddress(This, MemoryDescriptorList, Index) \
	((This)->lpVtbl->GetPhysicalPageAddress((This), (MemoryDescriptorList), (Index)))

/* A stream object (in Windows the WaveRT port driver creates it and hands
 * it to the miniport; here the caller does). Reference count 1. May block.
 * STATUS_SUCCESS, STATUS_INVALID_PARAMETER (OutStream NULL),
 * STATUS_INSUFFICIENT_RESOURCES, or STATUS_DEVICE_CONFIGURATION_ERROR
 * (IOALLOC_DOMAIN is malformed). See IoaNewPortWaveRTStream(3). */
IOA_API NTSTATUS IoaNewPortWaveRTStream(PPORTWAVERTSTREAM *OutStream);

IOA_END_DECLS

#endif
