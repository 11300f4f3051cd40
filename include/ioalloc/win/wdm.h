/* SPDX-License-Identifier: MIT */
/*
 * wdm.h - the Windows Driver Model vocabulary of ioalloc's Windows DDI layer:
 * LLP64 integer types, NTSTATUS codes, PHYSICAL_ADDRESS, GUIDs, the MDL and
 * its accessor macros, DEVICE_DESCRIPTION, POOL_TYPE, and the kernel-mode
 * IUnknown (the WDK keeps that one in unknown.h; here it lives with the
 * types it needs).
 *
 * Contract: source compatibility with C code written against the WDK headers
 * (no MSVC binary compatibility). Names and values are the WDK's; integers
 * keep their Windows widths on every target (ULONG, LONG and DWORD are 32
 * bits even where Linux `long` is 64; ULONG_PTR, SIZE_T and PFN_NUMBER are
 * pointer-sized). Self-contained: code that includes only this directory
 * (`-I include/ioalloc/win`) compiles.
 *
 * The layer is thin: every object it hands out is a native ioa_ object from
 * the process default domain (ioa_domain_default, configured by
 * IOALLOC_DOMAIN), and a "physical address" is that domain's bus address.
 */
#ifndef IOALLOC_WIN_WDM_H
#define IOALLOC_WIN_WDM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memcmp, for IsEqualGUID */

/* The library's export and C++ linkage macros (include/ioalloc/api.h), copied
 * token for token so this directory needs no other -I; either header may come
 * first. */
#ifndef IOA_API
#if defined(IOA_BUILDING_LIBRARY)
#define IOA_API __attribute__((visibility("default")))
#else
#define IOA_API
#endif
#endif
#ifndef IOA_BEGIN_DECLS
#ifdef __cplusplus
#define IOA_BEGIN_DECLS extern "C" {
#define IOA_END_DECLS }
#else
#define IOA_BEGIN_DECLS
#define IOA_END_DECLS
#endif
#endif

IOA_BEGIN_DECLS

/* ---- annotations (no-ops here) --------------------------------------------- */

#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef _In_
#define _In_
#endif
#ifndef _In_opt_
#define _In_opt_
#endif
#ifndef _Out_
#define _Out_
#endif
#ifndef _Out_opt_
#define _Out_opt_
#endif
#ifndef _Inout_
#define _Inout_
#endif
#ifndef _Inout_opt_
#define _Inout_opt_
#endif

/* ---- basic types: LLP64 on every target ---------------------------------------- */

#ifndef VOID
#define VOID void
#endif
typedef void *PVOID;
typedef char CHAR, *PCHAR;
typedef char CCHAR;
typedef uint8_t UCHAR, *PUCHAR;
typedef uint8_t BYTE, *PBYTE;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef int16_t SHORT, *PSHORT;
typedef int16_t CSHORT;
typedef uint16_t USHORT, *PUSHORT;
typedef uint16_t WORD;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef uint32_t DWORD;
typedef int64_t LONGLONG, LONG64;
typedef uint64_t ULONGLONG, ULONG64, DWORD64;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef uintptr_t SIZE_T, *PSIZE_T;
typedef LONG NTSTATUS;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER; /* pointer-sized, not ULONG (a doc page says ULONG) */

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

/* The Rtl memory macros, as the WDK defines them. */
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))

/* ---- NTSTATUS ------------------------------------------------------------------ */

/* Success is any non-negative value (severity bits 00 and 01). */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

#define STATUS_SUCCESS ((NTSTATUS)0x00000000)
#define STATUS_PENDING ((NTSTATUS)0x00000103)
#define STATUS_BUFFER_OVERFLOW ((NTSTATUS)0x80000005)
#define STATUS_DEVICE_BUSY ((NTSTATUS)0x80000011)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001)
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002)
#define STATUS_ACCESS_VIOLATION ((NTSTATUS)0xC0000005)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000D)
#define STATUS_NO_SUCH_DEVICE ((NTSTATUS)0xC000000E)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010)
#define STATUS_NO_MEMORY ((NTSTATUS)0xC0000017)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023)
#define STATUS_QUOTA_EXCEEDED ((NTSTATUS)0xC0000044)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009A)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BB)
#define STATUS_DEVICE_CONFIGURATION_ERROR ((NTSTATUS)0xC0000182)
#define STATUS_NOINTERFACE ((NTSTATUS)0xC00002B9)

/* ---- 64-bit integers and physical addresses --------------------------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define IOA_WIN_LOHI_(lo_t, hi_t) hi_t HighPart; lo_t LowPart;
#else
#define IOA_WIN_LOHI_(lo_t, hi_t) lo_t LowPart; hi_t HighPart;
#endif

typedef union _LARGE_INTEGER {
	struct {
		IOA_WIN_LOHI_(ULONG, LONG)
	};
	struct {
		IOA_WIN_LOHI_(ULONG, LONG)
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
	struct {
		IOA_WIN_LOHI_(ULONG, ULONG)
	};
	struct {
		IOA_WIN_LOHI_(ULONG, ULONG)
	} u;
	ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

/* A bus address of the default domain (see the top of this file). */
typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

/* ---- GUIDs ----------------------------------------------------------------------- */

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
	ULONG Data1;
	USHORT Data2;
	USHORT Data3;
	UCHAR Data4[8];
} GUID;
#endif
typedef GUID IID, CLSID, *LPGUID;
typedef const GUID *REFGUID; /* C: references are pointers */
typedef const IID *REFIID;

#define IsEqualGUID(rguid1, rguid2) (!memcmp((rguid1), (rguid2), sizeof(GUID)))
#define IsEqualIID(riid1, riid2) IsEqualGUID(riid1, riid2)

/* DEFINE_GUID as in the WDK's guiddef.h: a declaration, or with INITGUID the
 * definition (in exactly one translation unit). */
#ifndef DEFINE_GUID
#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif
#endif

/* The interface IDs this layer answers are defined in every translation unit
 * that includes the header (static: nothing to link, compared by value). */
#define IOA_WIN_DEFINE_IID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	static const GUID name __attribute__((unused)) = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}

/* {00000000-0000-0000-C000-000000000046}, as in the SDK's unknwn.h. */
IOA_WIN_DEFINE_IID(IID_IUnknown, 0x00000000, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00,
		   0x00, 0x46);

/* ---- kernel-mode IUnknown (the WDK's unknown.h) ------------------------------------ */

#ifndef __IUnknown_INTERFACE_DEFINED__
#define __IUnknown_INTERFACE_DEFINED__
typedef struct IUnknown IUnknown, *PUNKNOWN;

typedef struct IUnknownVtbl {
	NTSTATUS (*QueryInterface)(IUnknown *This, REFIID InterfaceId, PVOID *Interface);
	ULONG (*AddRef)(IUnknown *This);
	ULONG (*Release)(IUnknown *This);
} IUnknownVtbl;

struct IUnknown {
	const IUnknownVtbl *lpVtbl;
};

/* Work on any interface pointer: every vtable starts with these three. */
#define IUnknown_QueryInterface(This, InterfaceId, Interface) \
	((This)->lpVtbl->QueryInterface((This), (InterfaceId), (Interface)))
#define IUnknown_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IUnknown_Release(This) ((This)->lpVtbl->Release(This))
#endif

/* ---- memory ---------------------------------------------------------------------- */

/* Windows pages are 4 KiB on every target, whatever the domain's page size. */
#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12L
#endif

#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~(ULONG_PTR)(PAGE_SIZE - 1)))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~(ULONG_PTR)(PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size) \
	(((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
	((BYTE_OFFSET(Va) + ((SIZE_T)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT)

typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	NonPagedPoolExecute = NonPagedPool,
	PagedPool = 1,
	NonPagedPoolMustSucceed = 2,
	DontUseThisType = 3,
	NonPagedPoolCacheAligned = 4,
	PagedPoolCacheAligned = 5,
	NonPagedPoolCacheAlignedMustS = 6,
	MaxPoolType = 7,
	NonPagedPoolBase = 0,
	NonPagedPoolBaseMustSucceed = 2,
	NonPagedPoolBaseCacheAligned = 4,
	NonPagedPoolBaseCacheAlignedMustS = 6,
	NonPagedPoolSession = 32,
	PagedPoolSession = 33,
	NonPagedPoolMustSucceedSession = 34,
	DontUseThisTypeSession = 35,
	NonPagedPoolCacheAlignedSession = 36,
	PagedPoolCacheAlignedSession = 37,
	NonPagedPoolCacheAlignedMustSSession = 38,
	NonPagedPoolNx = 512,
	NonPagedPoolNxCacheAligned = 516,
	NonPagedPoolSessionNx = 544,
} POOL_TYPE;

/* ioalloc's memory is ordinary cacheable memory whatever the type asked;
 * the values are the WDK's. */
typedef enum _MEMORY_CACHING_TYPE {
	MmNotMapped = -1,
	MmNonCached = 0,
	MmCached = 1,
	MmWriteCombined = 2,
	MmFrameBufferCached = 2,
	MmHardwareCoherentCached = 3,
	MmNonCachedUnordered = 4,
	MmUSWCCached = 5,
	MmMaximumCacheType = 6,
} MEMORY_CACHING_TYPE;

/* ---- MDL --------------------------------------------------------------------------- */

typedef struct _EPROCESS *PEPROCESS; /* opaque */

/* The WDK's layout (x64: Size at 0x08, Process 0x10, MappedSystemVa 0x18,
 * StartVa 0x20, ByteCount 0x28, ByteOffset 0x2C, sizeof 0x30); the PFN array
 * follows the structure. Size is 16 bits and wraps for MDLs of more than
 * about 4,000 pages: the page count comes from ByteOffset + ByteCount. */
typedef struct _MDL {
	struct _MDL *Next;
	CSHORT Size;
	CSHORT MdlFlags;
	struct _EPROCESS *Process;
	PVOID MappedSystemVa;
	PVOID StartVa;
	ULONG ByteCount;
	ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_PARENT_MAPPED_SYSTEM_VA 0x0100
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_ALLOCATED_MUST_SUCCEED 0x4000
#define MDL_INTERNAL 0x8000

#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))

/* ---- DMA ----------------------------------------------------------------------------- */

typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT; /* opaque */
typedef struct _DMA_ADAPTER DMA_ADAPTER, *PDMA_ADAPTER;       /* opaque */
typedef struct _ADAPTER_OBJECT ADAPTER_OBJECT, *PADAPTER_OBJECT; /* opaque */

typedef enum _INTERFACE_TYPE {
	InterfaceTypeUndefined = -1,
	Internal,
	Isa,
	Eisa,
	MicroChannel,
	TurboChannel,
	PCIBus,
	VMEBus,
	NuBus,
	PCMCIABus,
	CBus,
	MPIBus,
	MPSABus,
	ProcessorInternal,
	InternalPowerBus,
	PNPISABus,
	PNPBus,
	Vmcs,
	ACPIBus,
	MaximumInterfaceType
} INTERFACE_TYPE, *PINTERFACE_TYPE;

typedef enum _DMA_WIDTH {
	Width8Bits,
	Width16Bits,
	Width32Bits,
	Width64Bits,
	WidthNoWrap,
	MaximumDmaWidth
} DMA_WIDTH, *PDMA_WIDTH;

typedef enum _DMA_SPEED {
	Compatible,
	TypeA,
	TypeB,
	TypeC,
	TypeF,
	MaximumDmaSpeed
} DMA_SPEED, *PDMA_SPEED;

#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

/* A device's DMA limits. ioalloc reads Version, Master, Dma32BitAddresses,
 * Dma64BitAddresses, MaximumLength and (Version 3) DmaAddressWidth; the rest
 * is kept for source compatibility. */
typedef struct _DEVICE_DESCRIPTION {
	ULONG Version;
	BOOLEAN Master;
	BOOLEAN ScatterGather;
	BOOLEAN DemandMode;
	BOOLEAN AutoInitialize;
	BOOLEAN Dma32BitAddresses;
	BOOLEAN IgnoreCount;
	BOOLEAN Reserved1;
	BOOLEAN Dma64BitAddresses;
	ULONG BusNumber;
	ULONG DmaChannel;
	INTERFACE_TYPE InterfaceType;
	DMA_WIDTH DmaWidth;
	DMA_SPEED DmaSpeed;
	ULONG MaximumLength;
	ULONG DmaPort;
	/* DEVICE_DESCRIPTION_VERSION3 (Windows 8) */
	ULONG DmaAddressWidth;
	ULONG DmaControllerInstance;
	ULONG DmaRequestLine;
	PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

IOA_END_DECLS

#endif
