/* SPDX-License-Identifier: MIT */
/*
 * dmusicks.h - the DirectMusic kernel streaming allocator of ioalloc's Windows
 * DDI layer: DMUS_KERNEL_EVENT, IMXF and IAllocatorMXF, over two native
 * real-time pools (ioa_pool_*): one of events, one of data buffers for long
 * events.
 *
 * Interfaces are C structs whose first member is lpVtbl, with a call macro
 * per method in the MinGW/Wine style: IAllocatorMXF_GetMessage(p, &evt),
 * IAllocatorMXF_Release(p). The layout, flags and macros of DMUS_KERNEL_EVENT
 * are the WDK's. In Windows the DMus port driver creates the allocator and
 * hands it to IMiniportDMus::NewStream; IoaNewAllocatorMXF does that here.
 * See IoaNewAllocatorMXF(3).
 */
#ifndef IOALLOC_WIN_DMUSICKS_H
#define IOALLOC_WIN_DMUSICKS_H

#include "wdm.h"

IOA_BEGIN_DECLS

/* ---- from ks.h ------------------------------------------------------------------- */

typedef LONGLONG REFERENCE_TIME; /* 100-nanosecond units */

#ifndef IOALLOC_WIN_KSSTATE_DEFINED_
#define IOALLOC_WIN_KSSTATE_DEFINED_
typedef enum {
	KSSTATE_STOP,
	KSSTATE_ACQUIRE,
	KSSTATE_PAUSE,
	KSSTATE_RUN
} KSSTATE, *PKSSTATE;
#endif

/* ---- DMUS_KERNEL_EVENT --------------------------------------------------------------- */

#define DONT_HOLD_FOR_SEQUENCING 0x8000000000000000

/* The WDK's layout: 32 bytes with 4-byte pointers, 40 with 8-byte ones. */
typedef struct _DMUS_KERNEL_EVENT {         /*  size  offset */
	BYTE bReserved;                     /*  1     0      */
	BYTE cbStruct;                      /*  1     1      */
	USHORT cbEvent;                     /*  2     2      */
	USHORT usChannelGroup;              /*  2     4      */
	USHORT usFlags;                     /*  2     6      */
	REFERENCE_TIME ullPresTime100ns;    /*  8     8      */
	ULONGLONG ullBytePosition;          /*  8     16     */
	struct _DMUS_KERNEL_EVENT *pNextEvt; /* 4 (8) 24     */
	union {
		BYTE abData[sizeof(PBYTE)]; /*  4 (8) 28 (32) */
		PBYTE pbData;
		struct _DMUS_KERNEL_EVENT *pPackageEvt;
	} uData;
} DMUS_KERNEL_EVENT, *PDMUS_KERNEL_EVENT;

#define DMUS_KEF_EVENT_COMPLETE 0x0000
#define DMUS_KEF_EVENT_INCOMPLETE 0x0001 /* an incomplete package or SysEx: do not use the data */
#define DMUS_KEF_PACKAGE_EVENT 0x0002    /* uData.pPackageEvt is a chain of events */

#define kBytePositionNone (~(ULONGLONG)0) /* the event has no meaningful byte position */

#define SHORT_EVT(evt) ((evt)->cbEvent <= sizeof(PBYTE))
#define PACKAGE_EVT(evt) ((evt)->usFlags & DMUS_KEF_PACKAGE_EVENT)
#define INCOMPLETE_EVT(evt) ((evt)->usFlags & DMUS_KEF_EVENT_INCOMPLETE)
#define COMPLETE_EVT(evt) (((evt)->usFlags & DMUS_KEF_EVENT_INCOMPLETE) == 0)

#define SET_INCOMPLETE_EVT(evt) ((evt)->usFlags |= DMUS_KEF_EVENT_INCOMPLETE)
#define SET_COMPLETE_EVT(evt) ((evt)->usFlags &= (~DMUS_KEF_EVENT_INCOMPLETE))
#define SET_PACKAGE_EVT(evt) ((evt)->usFlags |= DMUS_KEF_PACKAGE_EVENT)
#define CLEAR_PACKAGE_EVT(evt) ((evt)->usFlags &= (~DMUS_KEF_PACKAGE_EVENT))

typedef enum {
	DMUS_STREAM_MIDI_INVALID = -1,
	DMUS_STREAM_MIDI_RENDER = 0,
	DMUS_STREAM_MIDI_CAPTURE,
	DMUS_STREAM_WAVE_SINK
} DMUS_STREAM_TYPE;

/* ---- interface IDs, as in the WDK's dmusicks.h ----------------------------------------- */

IOA_WIN_DEFINE_IID(IID_IMXF, 0xc096df9e, 0xfb09, 0x11d1, 0x81, 0xb0, 0x00, 0x60, 0x08, 0x33, 0x16,
		   0xc1);
IOA_WIN_DEFINE_IID(IID_IAllocatorMXF, 0xa5f0d62c, 0xb30f, 0x11d2, 0xb7, 0xa3, 0x00, 0x60, 0x08,
		   0x33, 0x16, 0xc1);

/* ---- IMXF ------------------------------------------------------------------------------ */

typedef struct IMXF IMXF, *PMXF;

typedef struct IMXFVtbl {
	/* IUnknown */
	NTSTATUS (*QueryInterface)(IMXF *This, REFIID InterfaceId, PVOID *Interface);
	ULONG (*AddRef)(IMXF *This);
	ULONG (*Release)(IMXF *This);
	/* IMXF */
	NTSTATUS (*SetState)(IMXF *This, KSSTATE State);
	NTSTATUS (*PutMessage)(IMXF *This, PDMUS_KERNEL_EVENT pDMKEvt);
	NTSTATUS (*ConnectOutput)(IMXF *This, PMXF sinkMXF);
	NTSTATUS (*DisconnectOutput)(IMXF *This, PMXF sinkMXF);
} IMXFVtbl;

struct IMXF {
	const IMXFVtbl *lpVtbl;
};

#define IMXF_QueryInterface(This, InterfaceId, Interface) \
	((This)->lpVtbl->QueryInterface((This), (InterfaceId), (Interface)))
#define IMXF_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IMXF_Release(This) ((This)->lpVtbl->Release(This))
#define IMXF_SetState(This, State) ((This)->lpVtbl->SetState((This), (State)))
#define IMXF_PutMessage(This, pDMKEvt) ((This)->lpVtbl->PutMessage((This), (pDMKEvt)))
#define IMXF_ConnectOutput(This, sinkMXF) ((This)->lpVtbl->ConnectOutput((This), (sinkMXF)))
#define IMXF_DisconnectOutput(This, sinkMXF) \
	((This)->lpVtbl->DisconnectOutput((This), (sinkMXF)))

/* ---- IAllocatorMXF ------------------------------------------------------------------------ */

/* PAllocatorMXF is the WDK's spelling; PALLOCATORMXF the usual one. */
typedef struct IAllocatorMXF IAllocatorMXF, *PAllocatorMXF, *PALLOCATORMXF;

typedef struct IAllocatorMXFVtbl {
	/* IUnknown */
	NTSTATUS (*QueryInterface)(IAllocatorMXF *This, REFIID InterfaceId, PVOID *Interface);
	ULONG (*AddRef)(IAllocatorMXF *This);
	ULONG (*Release)(IAllocatorMXF *This);
	/* IMXF */
	NTSTATUS (*SetState)(IAllocatorMXF *This, KSSTATE State);
	NTSTATUS (*PutMessage)(IAllocatorMXF *This, PDMUS_KERNEL_EVENT pDMKEvt);
	NTSTATUS (*ConnectOutput)(IAllocatorMXF *This, PMXF sinkMXF);
	NTSTATUS (*DisconnectOutput)(IAllocatorMXF *This, PMXF sinkMXF);
	/* IAllocatorMXF */
	NTSTATUS (*GetMessage)(IAllocatorMXF *This, PDMUS_KERNEL_EVENT *ppDMKEvt);
	USHORT (*GetBufferSize)(IAllocatorMXF *This);
	NTSTATUS (*GetBuffer)(IAllocatorMXF *This, PBYTE *ppBuffer);
	NTSTATUS (*PutBuffer)(IAllocatorMXF *This, PBYTE pBuffer);
} IAllocatorMXFVtbl;

struct IAllocatorMXF {
	const IAllocatorMXFVtbl *lpVtbl;
};

#define IAllocatorMXF_QueryInterface(This, InterfaceId, Interface) \
	((This)->lpVtbl->QueryInterface((This), (InterfaceId), (Interface)))
#define IAllocatorMXF_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IAllocatorMXF_Release(This) ((This)->lpVtbl->Release(This))
#define IAllocatorMXF_SetState(This, State) ((This)->lpVtbl->SetState((This), (State)))
#define IAllocatorMXF_PutMessage(This, pDMKEvt) ((This)->lpVtbl->PutMessage((This), (pDMKEvt)))
#define IAllocatorMXF_ConnectOutput(This, sinkMXF) \
	((This)->lpVtbl->ConnectOutput((This), (sinkMXF)))
#define IAllocatorMXF_DisconnectOutput(This, sinkMXF) \
	((This)->lpVtbl->DisconnectOutput((This), (sinkMXF)))
#define IAllocatorMXF_GetMessage(This, ppDMKEvt) ((This)->lpVtbl->GetMessage((This), (ppDMKEvt)))
#define IAllocatorMXF_GetBufferSize(This) ((This)->lpVtbl->GetBufferSize(This))
#define IAllocatorMXF_GetBuffer(This, ppBuffer) ((This)->lpVtbl->GetBuffer((This), (ppBuffer)))
#define IAllocatorMXF_PutBuffer(This, pBuffer) ((This)->lpVtbl->PutBuffer((This), (pBuffer)))

/* An allocator of BufferCount events and BufferCount data buffers of
 * BufferSize bytes, all allocated, locked and touched now, so GetMessage,
 * GetBuffer, PutMessage and PutBuffer never block, call the kernel or fault
 * (any thread, real-time safe). Reference count 1. May block.
 * STATUS_SUCCESS; STATUS_INVALID_PARAMETER (OutAllocator NULL, BufferSize 0,
 * BufferCount 0 or above 16777215); STATUS_INSUFFICIENT_RESOURCES (*OutAllocator
 * NULL). See IoaNewAllocatorMXF(3). */
IOA_API NTSTATUS IoaNewAllocatorMXF(USHORT BufferSize, ULONG BufferCount,
				    PALLOCATORMXF *OutAllocator);

IOA_END_DECLS

#endif
