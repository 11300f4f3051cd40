/* SPDX-License-Identifier: MIT */
/*
 * DirectMusic kernel streaming: IAllocatorMXF over two ioa_pool_* pools.
 *
 * Theory. The allocator is the end of every MXF chain: it hands out
 * DMUS_KERNEL_EVENT structures (GetMessage) and data buffers for long events
 * (GetBuffer), and takes both back. Each comes from a fixed native pool made
 * at creation (BufferCount objects each, locked and prefaulted), so every
 * get and put is an ioa_pool_get or ioa_pool_put: no lock, no system call, no
 * page fault, on any thread, like the nonpaged lookaside lists PortCls uses at
 * DISPATCH_LEVEL. What is handed out is zeroed. The layer adds no
 * allocation of its own: GetBufferSize is BufferSize, the buffer pool's
 * object size.
 *
 * PutMessage recycles a whole chain: every event along pNextEvt; for a long
 * event (cbEvent > sizeof(PBYTE), not a package) its pbData buffer too; for a
 * package event (DMUS_KEF_PACKAGE_EVENT) the chain in uData.pPackageEvt,
 * packages within packages included. It works without recursion, in two
 * passes: the first makes the chain one flat list (each package's chain
 * spliced in after it), counting; the second puts. The first pass visits an
 * event at most twice (once to find a package chain's end, once in turn), so
 * a walk longer than twice the pool is a cycle or an event linked twice:
 * then nothing is put, and the pool stays sound.
 *
 * Empty is "as this thread sees it": objects in another thread's magazine
 * cache (ioa_pool_get) are not visible until that thread's magazine fills or
 * it exits (ioa_pool_thread_flush).
 *
 * Lifetime: an atomic reference count; the last Release destroys both
 * pools. Objects still out then are reported to the misuse handler and the
 * pools are kept (never freed), so those pointers stay valid memory.
 *
 * Debug: a buffer or event from elsewhere given to PutBuffer or PutMessage is
 * reported by the pool (ioa_pool_put's foreign-pointer check); a cyclic chain
 * by PutMessage.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/debug.h>
#include <ioalloc/pool.h>
#include <ioalloc/win/dmusicks.h>


/* The WDK's layout (its header states the offsets). */
_Static_assert(offsetof(DMUS_KERNEL_EVENT, cbEvent) == 2, "DMUS_KERNEL_EVENT layout");
_Static_assert(offsetof(DMUS_KERNEL_EVENT, usFlags) == 6, "DMUS_KERNEL_EVENT layout");
_Static_assert(offsetof(DMUS_KERNEL_EVENT, ullPresTime100ns) == 8, "DMUS_KERNEL_EVENT layout");
_Static_assert(offsetof(DMUS_KERNEL_EVENT, ullBytePosition) == 16, "DMUS_KERNEL_EVENT layout");
_Static_assert(offsetof(DMUS_KERNEL_EVENT, pNextEvt) == 24, "DMUS_KERNEL_EVENT layout");
_Static_assert(offsetof(DMUS_KERNEL_EVENT, uData) == 24 + sizeof(void *),
	       "DMUS_KERNEL_EVENT layout");
_Static_assert(sizeof(DMUS_KERNEL_EVENT) == 24 + 2 * sizeof(void *), "DMUS_KERNEL_EVENT size");

struct allocator_mxf {
	IAllocatorMXF iface;  /* first: the interface pointer is the object */
	_Atomic ULONG refs;
	USHORT buffer_size;   /* GetBufferSize: the buffer pool's object size */
	ULONG count;          /* objects in each pool (they never grow) */
	ioa_pool_t *events;   /* DMUS_KERNEL_EVENT */
	ioa_pool_t *buffers;  /* buffer_size bytes each */
	char name[24];        /* "mxf.N", for messages and the pools' names */
};

static _Atomic unsigned allocator_seq;

static struct allocator_mxf *am_of(IAllocatorMXF *This)
{
	return (struct allocator_mxf *)This;
}

static ULONG am_add_ref(IAllocatorMXF *This)
{
	return atomic_fetch_add(&am_of(This)->refs, 1) + 1;
}

/* Objects of p not back in it (exact: no other thread uses the pool now). */
static size_t out_of(const ioa_pool_t *p)
{
	size_t count = ioa_pool_count(p), free = ioa_pool_free_count(p);

	return free < count ? count - free : 0;
}

static ULONG am_release(IAllocatorMXF *This)
{
	struct allocator_mxf *am = am_of(This);
	ULONG left = atomic_fetch_sub(&am->refs, 1) - 1;
	size_t events, buffers;
	char obj[40];

	if (left)
		return left;
	events = out_of(am->events);
	buffers = out_of(am->buffers);
	if (events || buffers) {
		snprintf(obj, sizeof(obj), "IAllocatorMXF '%s'", am->name);
		ioa_report_misuse("IAllocatorMXF::Release", obj,
			    "last reference released with %zu events and %zu buffers not put back; "
			    "their memory is kept", events, buffers);
	} else {
		ioa_pool_destroy(am->events);
		ioa_pool_destroy(am->buffers);
	}
	free(am);
	return 0;
}

static NTSTATUS am_query_interface(IAllocatorMXF *This, REFIID InterfaceId, PVOID *Interface)
{
	if (!Interface)
		return STATUS_INVALID_PARAMETER;
	if (InterfaceId && (IsEqualIID(InterfaceId, &IID_IUnknown) ||
			    IsEqualIID(InterfaceId, &IID_IMXF) ||
			    IsEqualIID(InterfaceId, &IID_IAllocatorMXF))) {
		am_add_ref(This);
		*Interface = This; /* IAllocatorMXF's vtable extends IMXF's */
		return STATUS_SUCCESS;
	}
	*Interface = NULL;
	return STATUS_INVALID_PARAMETER; /* what the WDK samples' QueryInterface returns */
}

/* The allocator recycles in every state: any KSSTATE is accepted. */
static NTSTATUS am_set_state(IAllocatorMXF *This, KSSTATE State)
{
	(void)This;
	return (unsigned)State <= KSSTATE_RUN ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

/* Make the chain from head one flat list along pNextEvt: each package
 * event's chain goes right after it (the package links to its chain, the
 * chain's last event to what followed the package), nested ones as the walk
 * reaches them. The number of events, or 0 when the walk exceeds budget
 * steps (a cycle, or an event in the chain twice). */
static size_t flatten(PDMUS_KERNEL_EVENT head, size_t budget)
{
	PDMUS_KERNEL_EVENT e, last;
	size_t n = 0;

	for (e = head; e; e = e->pNextEvt, n++) {
		if (!budget--)
			return 0;
		if (!PACKAGE_EVT(e) || !e->uData.pPackageEvt)
			continue;
		for (last = e->uData.pPackageEvt; last->pNextEvt; last = last->pNextEvt)
			if (!budget--)
				return 0;
		last->pNextEvt = e->pNextEvt;
		e->pNextEvt = e->uData.pPackageEvt;
	}
	return n;
}

static NTSTATUS am_put_message(IAllocatorMXF *This, PDMUS_KERNEL_EVENT pDMKEvt)
{
	struct allocator_mxf *am = am_of(This);
	PDMUS_KERNEL_EVENT e = pDMKEvt, next;
	char obj[40];
	size_t n;

	if (!e)
		return STATUS_INVALID_PARAMETER;
	n = flatten(e, 2 * (size_t)am->count);
	if (!n) {
		snprintf(obj, sizeof(obj), "IAllocatorMXF '%s'", am->name);
		ioa_report_misuse("IAllocatorMXF::PutMessage", obj, "the chain from %p holds more "
			    "events than the allocator has (a cycle, or an event in it twice); "
			    "nothing was put back", (void *)pDMKEvt);
		return STATUS_INVALID_PARAMETER;
	}
	for (; n--; e = next) {
		next = e->pNextEvt; /* read before the put: a debug pool poisons e */
		if (!PACKAGE_EVT(e) && !SHORT_EVT(e) && e->uData.pbData)
			ioa_pool_put(am->buffers, e->uData.pbData);
		ioa_pool_put(am->events, e);
	}
	return STATUS_SUCCESS;
}

/* The allocator is the end of every chain: it has no output to connect. */
static NTSTATUS am_connect_output(IAllocatorMXF *This, PMXF sinkMXF)
{
	(void)This;
	return sinkMXF ? STATUS_NOT_IMPLEMENTED : STATUS_INVALID_PARAMETER;
}

/* Nothing is connected: its messages already end in the allocator. */
static NTSTATUS am_disconnect_output(IAllocatorMXF *This, PMXF sinkMXF)
{
	(void)This;
	(void)sinkMXF;
	return STATUS_SUCCESS;
}

static NTSTATUS am_get_message(IAllocatorMXF *This, PDMUS_KERNEL_EVENT *ppDMKEvt)
{
	PDMUS_KERNEL_EVENT e;

	if (!ppDMKEvt)
		return STATUS_INVALID_PARAMETER;
	e = ioa_pool_get(am_of(This)->events);
	*ppDMKEvt = e;
	if (!e)
		return STATUS_INSUFFICIENT_RESOURCES;
	memset(e, 0, sizeof(*e));
	return STATUS_SUCCESS;
}

static USHORT am_get_buffer_size(IAllocatorMXF *This)
{
	return am_of(This)->buffer_size;
}

static NTSTATUS am_get_buffer(IAllocatorMXF *This, PBYTE *ppBuffer)
{
	struct allocator_mxf *am = am_of(This);
	PBYTE b;

	if (!ppBuffer)
		return STATUS_INVALID_PARAMETER;
	b = ioa_pool_get(am->buffers);
	*ppBuffer = b;
	if (!b)
		return STATUS_INSUFFICIENT_RESOURCES;
	memset(b, 0, am->buffer_size);
	return STATUS_SUCCESS;
}

static NTSTATUS am_put_buffer(IAllocatorMXF *This, PBYTE pBuffer)
{
	if (!pBuffer)
		return STATUS_INVALID_PARAMETER;
	ioa_pool_put(am_of(This)->buffers, pBuffer);
	return STATUS_SUCCESS;
}

static const IAllocatorMXFVtbl allocator_mxf_vtbl = {
	.QueryInterface = am_query_interface,
	.AddRef = am_add_ref,
	.Release = am_release,
	.SetState = am_set_state,
	.PutMessage = am_put_message,
	.ConnectOutput = am_connect_output,
	.DisconnectOutput = am_disconnect_output,
	.GetMessage = am_get_message,
	.GetBufferSize = am_get_buffer_size,
	.GetBuffer = am_get_buffer,
	.PutBuffer = am_put_buffer,
};

static int make_pool(const struct allocator_mxf *am, const char *what, size_t obj_size,
		     size_t align, ULONG count, ioa_pool_t **out)
{
	struct ioa_pool_config pc;
	char name[48];

	ioa_pool_config_init(&pc);
	snprintf(name, sizeof(name), "%s/%s", am->name, what);
	pc.name = name;
	pc.obj_size = obj_size;
	pc.align = align;
	pc.count = count; /* plain locked memory: no device sees MIDI events */
	return ioa_pool_create(&pc, out);
}

IOA_API NTSTATUS IoaNewAllocatorMXF(USHORT BufferSize, ULONG BufferCount,
				    PALLOCATORMXF *OutAllocator)
{
	struct allocator_mxf *am;

	if (!OutAllocator)
		return STATUS_INVALID_PARAMETER;
	*OutAllocator = NULL;
	if (!BufferSize || !BufferCount || BufferCount > IOA_POOL_MAX_COUNT)
		return STATUS_INVALID_PARAMETER;
	am = calloc(1, sizeof(*am));
	if (!am)
		return STATUS_INSUFFICIENT_RESOURCES;
	snprintf(am->name, sizeof(am->name), "mxf.%u", atomic_fetch_add(&allocator_seq, 1) + 1);
	if (make_pool(am, "events", sizeof(DMUS_KERNEL_EVENT), _Alignof(DMUS_KERNEL_EVENT),
		      BufferCount, &am->events)) {
		free(am);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	if (make_pool(am, "buffers", BufferSize, 0, BufferCount, &am->buffers)) {
		ioa_pool_destroy(am->events);
		free(am);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	am->iface.lpVtbl = &allocator_mxf_vtbl;
	atomic_init(&am->refs, 1);
	am->buffer_size = BufferSize;
	am->count = BufferCount;
	*OutAllocator = &am->iface;
	return STATUS_SUCCESS;
}
