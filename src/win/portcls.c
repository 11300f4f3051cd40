/* SPDX-License-Identifier: MIT */
/*
 * PortCls: IDmaChannel over ioa_dma_channel_*, IPortWaveRTStream over
 * ioa_pages_*.
 *
 * Theory. Each object is a struct whose first member is the interface (the
 * lpVtbl pointer), so the pointer handed out is the object; a reference count
 * (atomic) ends it at the last Release. The layer translates, it does not
 * allocate: Windows limits become a native constraint, native errors become
 * NTSTATUS, and a native page list becomes a real MDL.
 *
 * IDmaChannel. DEVICE_DESCRIPTION -> the channel's constraint: 64, 32 or 24
 * (ISA) address bits (DmaAddressWidth wins in a version-3 description) and,
 * for a slave (system DMA controller) device, no 64 KiB crossing, as the HAL's
 * HalAllocateCommonBuffer does (ReactOS hal/halx86 dma.c); MaximumLength ->
 * the channel's maximum size. PhysicalAddressConstraint -> a boundary (see
 * mask_boundary). The native channel enforces "once unless freed".
 * AllocatedBufferSize reports the size asked for (PortCls's rule); the
 * allocation itself is rounded to 4 KiB natively.
 *
 * IPortWaveRTStream. An MDL is returned inside a hidden block: the native page
 * list and the owning stream, then the MDL and its PFN array (the
 * bus address of each 4 KiB page >> PAGE_SHIFT; a 2 MiB domain page gives 512
 * entries). HighAddress is inclusive: every byte of every page is <= it.
 * The blocks of MDLs up to 64 pages (256 KiB) come from a pool of the
 * stream's, so a small MDL costs a pool get and put, not a malloc and free;
 * larger ones come from malloc, whose cost is small beside the pages'.
 * Lifetime: the stream counts its interface references and, apart, the
 * references that keep its memory (one for the interface, one per live
 * MDL): a last Release with MDLs still live reports them, and the memory goes
 * with the last of them (two atomics per MDL, no lock).
 *
 * Debug: a foreign or freed MDL, a wrong unmap address, and a bad
 * SetBufferSize go to the misuse handler (VOID methods cannot return them).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/constraint.h>
#include <ioalloc/debug.h>
#include <ioalloc/dma.h>
#include <ioalloc/pages.h>
#include <ioalloc/pool.h>
#include <ioalloc/win/portcls.h>

#include "win_impl.h"

#define ISA_ADDRESS_BITS 24
/* The 8237 system DMA controller cannot carry across a 64 KiB line. */
#define SLAVE_BOUNDARY 0x10000ull
/* Native allocations start on 4 KiB (the domain's quantum). */
#define NATIVE_QUANTUM 0x1000ull
/* The most an MDL describes: ByteCount is a ULONG (MmAllocatePagesForMdl's
 * limit is 4 GiB - PAGE_SIZE as well). */
#define MDL_MAX_BYTES 0xFFFFF000ull
#define MDL_MAGIC 0x6c646d2e616f69ull /* "ioa.mdl" */
/* MDL blocks from the stream's pool: up to this many PFNs, this many blocks
 * at a time (the pool grows by as many when it runs dry). */
#define MDL_POOL_PFNS 64
#define MDL_POOL_STEP 64

/* ---- IDmaChannel ---------------------------------------------------------------- */

struct dma_channel {
	IDmaChannel iface;        /* first: the interface pointer is the object */
	_Atomic ULONG refs;
	ioa_dma_channel_t *ch;
	ULONG max_length;         /* DEVICE_DESCRIPTION.MaximumLength (0: no limit) */
	ULONG allocated;          /* AllocateBuffer's BufferSize; 0: no buffer */
};

static struct dma_channel *dc_of(IDmaChannel *This)
{
	return (struct dma_channel *)This;
}

static ioa_dma_buf_t *dc_buf(IDmaChannel *This)
{
	return ioa_dma_channel_buffer(dc_of(This)->ch);
}

static ULONG dc_add_ref(IDmaChannel *This)
{
	return atomic_fetch_add(&dc_of(This)->refs, 1) + 1;
}

static ULONG dc_release(IDmaChannel *This)
{
	struct dma_channel *dc = dc_of(This);
	ULONG left = atomic_fetch_sub(&dc->refs, 1) - 1;

	if (!left) {
		ioa_dma_channel_destroy(dc->ch); /* FreeBuffer is implicit */
		free(dc);
	}
	return left;
}

static NTSTATUS dc_query_interface(IDmaChannel *This, REFIID InterfaceId, PVOID *Interface)
{
	if (!Interface)
		return STATUS_INVALID_PARAMETER;
	if (InterfaceId && (IsEqualIID(InterfaceId, &IID_IUnknown) ||
			    IsEqualIID(InterfaceId, &IID_IDmaChannel))) {
		dc_add_ref(This);
		*Interface = This;
		return STATUS_SUCCESS;
	}
	*Interface = NULL;
	return STATUS_INVALID_PARAMETER; /* what the WDK samples' QueryInterface returns */
}

/* PhysicalAddressConstraint as a boundary. Only the mask's bits may differ
 * between the buffer's first and last byte, so the buffer lies in one aligned
 * block of 2^t bytes, t the mask's trailing one bits: exact for masks 2^t - 1
 * (the only kind the documentation shows), stricter for others. Allocations
 * start on 4 KiB, so a block under 4 KiB needs only the size check. -1 when no
 * buffer of size bytes can meet the mask. */
static int mask_boundary(uint64_t mask, ULONG size, uint64_t *boundary)
{
	unsigned t = ~mask ? (unsigned)__builtin_ctzll(~mask) : 64;

	if (t == 64) {
		*boundary = 0;
		return 0;
	}
	if (size > (1ull << t))
		return -1;
	*boundary = (1ull << t) < NATIVE_QUANTUM ? NATIVE_QUANTUM : 1ull << t;
	return 0;
}

static NTSTATUS dc_allocate_buffer(IDmaChannel *This, ULONG BufferSize,
				   PPHYSICAL_ADDRESS PhysicalAddressConstraint)
{
	struct dma_channel *dc = dc_of(This);
	struct ioa_constraint extra;
	uint64_t mask = 0;
	int r;

	if (!BufferSize || (dc->max_length && BufferSize > dc->max_length))
		return STATUS_INVALID_PARAMETER;
	ioa_constraint_init(&extra);
	if (PhysicalAddressConstraint) {
		mask = (uint64_t)PhysicalAddressConstraint->QuadPart;
		if (mask_boundary(mask, BufferSize, &extra.boundary))
			return STATUS_INSUFFICIENT_RESOURCES;
	}
	/* The native channel holds one buffer at a time: -EBUSY is a second
	 * AllocateBuffer without FreeBuffer. -EINVAL here: the device's window
	 * or boundary cannot hold the buffer. Tests check every buffer against
	 * the mask (conformance 001). */
	r = ioa_dma_channel_alloc(dc->ch, BufferSize, PhysicalAddressConstraint ? &extra : NULL);
	if (r)
		return r == -EBUSY ? STATUS_UNSUCCESSFUL : STATUS_INSUFFICIENT_RESOURCES;
	dc->allocated = BufferSize;
	return STATUS_SUCCESS;
}

static VOID dc_free_buffer(IDmaChannel *This)
{
	struct dma_channel *dc = dc_of(This);

	if (ioa_dma_channel_free(dc->ch) == 0) /* harmless on an empty channel */
		dc->allocated = 0;
}

static ULONG dc_transfer_count(IDmaChannel *This)
{
	(void)This;
	return 0; /* a master channel has no slave transfer in progress */
}

static ULONG dc_maximum_buffer_size(IDmaChannel *This)
{
	return dc_of(This)->max_length;
}

static ULONG dc_allocated_buffer_size(IDmaChannel *This)
{
	return dc_of(This)->allocated;
}

static ULONG dc_buffer_size(IDmaChannel *This)
{
	return (ULONG)ioa_dma_buffer_size(dc_buf(This));
}

static VOID dc_set_buffer_size(IDmaChannel *This, ULONG BufferSize)
{
	ioa_dma_buf_t *b = dc_buf(This);
	char obj[48];

	if (b && BufferSize && BufferSize <= dc_of(This)->allocated) {
		ioa_dma_set_buffer_size(b, BufferSize);
		return;
	}
	snprintf(obj, sizeof(obj), "IDmaChannel %p", (void *)This);
	ioa_report_misuse("IDmaChannel::SetBufferSize", obj,
		    "buffer size %lu with %lu bytes allocated (must be 1..allocated)",
		    (unsigned long)BufferSize, (unsigned long)dc_of(This)->allocated);
}

static PVOID dc_system_address(IDmaChannel *This)
{
	return ioa_dma_va(dc_buf(This));
}

static PHYSICAL_ADDRESS dc_physical_address(IDmaChannel *This)
{
	PHYSICAL_ADDRESS pa;

	pa.QuadPart = (LONGLONG)ioa_dma_bus(dc_buf(This));
	return pa;
}

/* The native channel (ioa_dma_channel_t *) stands in for the adapter. */
static PADAPTER_OBJECT dc_get_adapter_object(IDmaChannel *This)
{
	return (PADAPTER_OBJECT)(void *)dc_of(This)->ch;
}

/* Copy into the buffer, then order the stores before the device is told. */
static VOID dc_copy_to(IDmaChannel *This, PVOID Destination, PVOID Source, ULONG ByteCount)
{
	ioa_dma_buf_t *b = dc_buf(This);

	if (ByteCount)
		memcpy(Destination, Source, ByteCount);
	if (b)
		ioa_dma_sync_for_device(b, 0, ioa_dma_allocated_size(b));
}

/* Order the device's writes before the loads, then copy out. */
static VOID dc_copy_from(IDmaChannel *This, PVOID Destination, PVOID Source, ULONG ByteCount)
{
	ioa_dma_buf_t *b = dc_buf(This);

	if (b)
		ioa_dma_sync_for_cpu(b, 0, ioa_dma_allocated_size(b));
	if (ByteCount)
		memcpy(Destination, Source, ByteCount);
}

static const IDmaChannelVtbl dma_channel_vtbl = {
	.QueryInterface = dc_query_interface,
	.AddRef = dc_add_ref,
	.Release = dc_release,
	.AllocateBuffer = dc_allocate_buffer,
	.FreeBuffer = dc_free_buffer,
	.TransferCount = dc_transfer_count,
	.MaximumBufferSize = dc_maximum_buffer_size,
	.AllocatedBufferSize = dc_allocated_buffer_size,
	.BufferSize = dc_buffer_size,
	.SetBufferSize = dc_set_buffer_size,
	.SystemAddress = dc_system_address,
	.PhysicalAddress = dc_physical_address,
	.GetAdapterObject = dc_get_adapter_object,
	.CopyTo = dc_copy_to,
	.CopyFrom = dc_copy_from,
};

/* The device's constraint; -1 for a description this layer does not know. */
static int device_constraint(const DEVICE_DESCRIPTION *dd, struct ioa_constraint *c)
{
	unsigned bits = dd->Dma64BitAddresses ? 64 : dd->Dma32BitAddresses ? 32 : ISA_ADDRESS_BITS;

	if (dd->Version > DEVICE_DESCRIPTION_VERSION3)
		return -1;
	if (dd->Version == DEVICE_DESCRIPTION_VERSION3 && dd->DmaAddressWidth) {
		if (dd->DmaAddressWidth > 64)
			return -1;
		bits = dd->DmaAddressWidth;
	}
	ioa_constraint_init(c);
	ioa_constraint_set_dma_bits(c, bits);
	if (!dd->Master)
		c->boundary = SLAVE_BOUNDARY;
	return 0;
}

IOA_API NTSTATUS PcNewDmaChannel(PDMACHANNEL *OutDmaChannel, PUNKNOWN OuterUnknown,
				 POOL_TYPE PoolType, PDEVICE_DESCRIPTION DeviceDescription,
				 PDEVICE_OBJECT DeviceObject)
{
	struct ioa_constraint c;
	struct dma_channel *dc;
	ioa_domain_t *d;
	NTSTATUS st;
	int r;

	(void)OuterUnknown; /* no aggregation: the channel is its own IUnknown */
	(void)PoolType;     /* the memory is the domain's, whatever the pool */
	(void)DeviceObject;
	if (!OutDmaChannel)
		return STATUS_INVALID_PARAMETER;
	*OutDmaChannel = NULL;
	if (!DeviceDescription || device_constraint(DeviceDescription, &c))
		return STATUS_INVALID_PARAMETER;
	st = ioa__win_default_domain(&d);
	if (!NT_SUCCESS(st))
		return st;
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return STATUS_INSUFFICIENT_RESOURCES;
	r = ioa_dma_channel_create(d, &c, DeviceDescription->MaximumLength, NULL, &dc->ch);
	if (r) {
		free(dc);
		return ioa__win_nt_status(r);
	}
	dc->iface.lpVtbl = &dma_channel_vtbl;
	atomic_init(&dc->refs, 1);
	dc->max_length = DeviceDescription->MaximumLength;
	*OutDmaChannel = &dc->iface;
	return STATUS_SUCCESS;
}

/* ---- IPortWaveRTStream ------------------------------------------------------------ */

struct wavert_stream {
	IPortWaveRTStream iface;  /* first: the interface pointer is the object */
	_Atomic ULONG refs;       /* interface references (AddRef/Release) */
	_Atomic size_t keep;      /* 1 while refs > 0, + 1 per live MDL */
	ioa_domain_t *d;
	uint64_t page;            /* the domain's page size */
	struct ioa_constraint open; /* ioa_constraint_init's: copied, then narrowed */
	ioa_pool_t *blocks;       /* MDL blocks of up to MDL_POOL_PFNS PFNs */
};

/* The hidden block around an MDL. */
struct wavert_mdl {
	uint64_t magic;               /* MDL_MAGIC while live */
	uint64_t pooled;              /* from owner->blocks, else malloc */
	ioa_pages_t *pl;
	struct wavert_stream *owner;  /* kept alive by this MDL */
	MDL mdl;                      /* handed out */
	PFN_NUMBER pfn[];             /* MmGetMdlPfnArray(&mdl) */
};

_Static_assert(offsetof(struct wavert_mdl, pfn) == offsetof(struct wavert_mdl, mdl) + sizeof(MDL),
	       "the PFN array must follow the MDL");

static struct wavert_stream *ws_of(IPortWaveRTStream *This)
{
	return (struct wavert_stream *)This;
}

static void ws_put(struct wavert_stream *s)
{
	if (atomic_fetch_sub_explicit(&s->keep, 1, memory_order_acq_rel) == 1) {
		ioa_pool_destroy(s->blocks);
		free(s);
	}
}

/* A block for an MDL of npfn PFNs, or NULL. */
static struct wavert_mdl *block_get(struct wavert_stream *s, size_t npfn)
{
	struct wavert_mdl *w;

	if (npfn > MDL_POOL_PFNS) {
		w = malloc(sizeof(*w) + npfn * sizeof(PFN_NUMBER));
		if (w)
			w->pooled = 0;
		return w;
	}
	w = ioa_pool_get(s->blocks);
	if (!w && !ioa_pool_grow(s->blocks, MDL_POOL_STEP))
		w = ioa_pool_get(s->blocks);
	if (w)
		w->pooled = 1;
	return w;
}

static void block_put(struct wavert_stream *s, struct wavert_mdl *w)
{
	if (w->pooled)
		ioa_pool_put(s->blocks, w);
	else
		free(w);
}

/* The block of an MDL this layer made, or NULL after a misuse report. */
static struct wavert_mdl *mdl_block(PMDL Mdl, const char *call)
{
	struct wavert_mdl *w = (struct wavert_mdl *)((char *)Mdl - offsetof(struct wavert_mdl, mdl));
	char obj[40];

	if (w->magic == MDL_MAGIC)
		return w;
	snprintf(obj, sizeof(obj), "MDL %p", (void *)Mdl);
	ioa_report_misuse(call, obj, "not allocated by IPortWaveRTStream, or already freed");
	return NULL;
}

/* Runs read in one call: an unfragmented window gives one, a fragmented one a
 * few; a list with more is read page by page (a cost only where the native
 * allocation already paid for the fragmentation). */
#define RUNS_ON_STACK 8

/* One PFN per 4 KiB page, in list order: from the nruns runs read (then
 * arithmetic only), or page by page when there were more than fit. */
static void fill_pfns(PFN_NUMBER *pfn, const ioa_pages_t *pl, uint64_t page,
		      const struct ioa_run *runs, size_t nruns)
{
	size_t k = 0;
	uint64_t bus;

	if (nruns <= RUNS_ON_STACK) {
		for (size_t i = 0; i < nruns; i++) {
			PFN_NUMBER first = (PFN_NUMBER)(runs[i].bus >> PAGE_SHIFT);
			size_t n = (size_t)(runs[i].len >> PAGE_SHIFT);

			for (size_t j = 0; j < n; j++)
				pfn[k + j] = first + j;
			k += n;
		}
		return;
	}
	for (size_t i = 0; i < ioa_pages_count(pl); i++) {
		ioa_pages_frame(pl, i, &bus);
		for (uint64_t off = 0; off < page; off += PAGE_SIZE)
			pfn[k++] = (PFN_NUMBER)((bus + off) >> PAGE_SHIFT);
	}
}

/* Pages under c as a new MDL (see the top of the file), or NULL. */
static PMDL alloc_mdl(struct wavert_stream *s, uint64_t bytes, const struct ioa_constraint *c,
		      unsigned flags)
{
	uint64_t limit = MDL_MAX_BYTES & ~(s->page - 1), held = 0;
	struct ioa_run runs[RUNS_ON_STACK];
	struct wavert_mdl *w;
	ioa_pages_t *pl;
	size_t npfn, nruns;

	if (!bytes || (bytes > limit && (flags & IOA_PAGES_F_CONTIGUOUS)))
		return NULL;
	if (bytes > limit)
		bytes = limit; /* the most an MDL holds: a partial result */
	if (ioa_pages_alloc(s->d, bytes, c, NULL, flags, 0, &pl))
		return NULL;
	nruns = ioa_pages_runs(pl, runs, RUNS_ON_STACK);
	if (nruns <= RUNS_ON_STACK)
		for (size_t i = 0; i < nruns; i++)
			held += runs[i].len;
	else
		held = ioa_pages_bytes(pl);
	npfn = (size_t)(held >> PAGE_SHIFT);
	w = block_get(s, npfn);
	if (!w) {
		ioa_pages_free(pl);
		return NULL;
	}
	memset(&w->mdl, 0, sizeof(w->mdl));
	w->magic = MDL_MAGIC;
	w->pl = pl;
	w->owner = s;
	/* Size wraps past ~4,000 pages, as in Windows: CSHORT. */
	w->mdl.Size = (CSHORT)(uint16_t)(sizeof(MDL) + npfn * sizeof(PFN_NUMBER));
	w->mdl.MdlFlags = MDL_PAGES_LOCKED; /* locked (nonpaged) but unmapped */
	w->mdl.ByteCount = (ULONG)held;
	fill_pfns(w->pfn, pl, s->page, runs, nruns);
	atomic_fetch_add_explicit(&s->keep, 1, memory_order_relaxed);
	return &w->mdl;
}

static ULONG ws_add_ref(IPortWaveRTStream *This)
{
	return atomic_fetch_add(&ws_of(This)->refs, 1) + 1;
}

static ULONG ws_release(IPortWaveRTStream *This)
{
	struct wavert_stream *s = ws_of(This);
	ULONG left = atomic_fetch_sub(&s->refs, 1) - 1;
	size_t live;
	char obj[48];

	if (left)
		return left;
	live = atomic_load(&s->keep) - 1;
	if (live) {
		snprintf(obj, sizeof(obj), "IPortWaveRTStream %p", (void *)s);
		ioa_report_misuse("IPortWaveRTStream::Release", obj,
			    "last reference released with %zu MDLs not freed by FreePagesFromMdl; "
			    "they stay valid", live);
	}
	ws_put(s);
	return 0;
}

static NTSTATUS ws_query_interface(IPortWaveRTStream *This, REFIID InterfaceId, PVOID *Interface)
{
	if (!Interface)
		return STATUS_INVALID_PARAMETER;
	if (InterfaceId && (IsEqualIID(InterfaceId, &IID_IUnknown) ||
			    IsEqualIID(InterfaceId, &IID_IPortWaveRTStream))) {
		ws_add_ref(This);
		*Interface = This;
		return STATUS_SUCCESS;
	}
	*Interface = NULL;
	return STATUS_INVALID_PARAMETER;
}

static PMDL ws_allocate_pages_for_mdl(IPortWaveRTStream *This, PHYSICAL_ADDRESS HighAddress,
				      SIZE_T TotalBytes)
{
	struct wavert_stream *s = ws_of(This);
	struct ioa_constraint c = s->open; /* the low end is implicitly zero */

	c.max_addr = (uint64_t)HighAddress.QuadPart;
	return alloc_mdl(s, TotalBytes, &c, IOA_PAGES_F_PARTIAL_OK);
}

static PMDL ws_allocate_contiguous_pages_for_mdl(IPortWaveRTStream *This,
						 PHYSICAL_ADDRESS LowAddress,
						 PHYSICAL_ADDRESS HighAddress, SIZE_T TotalBytes)
{
	struct wavert_stream *s = ws_of(This);
	struct ioa_constraint c = s->open;

	c.min_addr = (uint64_t)LowAddress.QuadPart;
	c.max_addr = (uint64_t)HighAddress.QuadPart;
	return alloc_mdl(s, TotalBytes, &c, IOA_PAGES_F_CONTIGUOUS);
}

static PVOID ws_map_allocated_pages(IPortWaveRTStream *This, PMDL MemoryDescriptorList,
				    MEMORY_CACHING_TYPE CacheType)
{
	struct wavert_mdl *w;
	void *va;

	(void)This;
	if (!MemoryDescriptorList || CacheType < MmNonCached || CacheType >= MmMaximumCacheType)
		return NULL;
	w = mdl_block(MemoryDescriptorList, "IPortWaveRTStream::MapAllocatedPages");
	if (!w || ioa_pages_map(w->pl, &va)) /* -EBUSY: one mapping per MDL */
		return NULL;
	w->mdl.MappedSystemVa = va;
	w->mdl.MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
	return va;
}

static VOID ws_unmap_allocated_pages(IPortWaveRTStream *This, PVOID BaseAddress,
				     PMDL MemoryDescriptorList)
{
	struct wavert_mdl *w;
	char obj[40];

	(void)This;
	if (!MemoryDescriptorList)
		return;
	w = mdl_block(MemoryDescriptorList, "IPortWaveRTStream::UnmapAllocatedPages");
	if (!w)
		return;
	if (ioa_pages_unmap(w->pl, BaseAddress)) {
		snprintf(obj, sizeof(obj), "MDL %p", (void *)MemoryDescriptorList);
		ioa_report_misuse("IPortWaveRTStream::UnmapAllocatedPages", obj,
			    "%p is not where MapAllocatedPages mapped it (%p)", BaseAddress,
			    w->mdl.MappedSystemVa);
		return;
	}
	w->mdl.MappedSystemVa = NULL;
	w->mdl.MdlFlags &= (CSHORT)~MDL_MAPPED_TO_SYSTEM_VA;
}

/* Frees the pages and the MDL itself; a mapping still there goes too. */
static VOID ws_free_pages_from_mdl(IPortWaveRTStream *This, PMDL MemoryDescriptorList)
{
	struct wavert_stream *s;
	struct wavert_mdl *w;

	(void)This;
	if (!MemoryDescriptorList)
		return;
	w = mdl_block(MemoryDescriptorList, "IPortWaveRTStream::FreePagesFromMdl");
	if (!w)
		return;
	w->magic = 0;
	ioa_pages_free(w->pl);
	s = w->owner;
	block_put(s, w);
	ws_put(s); /* may destroy the pool: after the block is back */
}

static ULONG ws_get_physical_pages_count(IPortWaveRTStream *This, PMDL MemoryDescriptorList)
{
	(void)This;
	if (!MemoryDescriptorList)
		return 0;
	return (ULONG)ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(MemoryDescriptorList),
						     MmGetMdlByteCount(MemoryDescriptorList));
}

/* Valid for 0..count-1 (the documentation's "to the count" is off by one);
 * 0 outside. Reads the PFN array: no mapping is made. */
static PHYSICAL_ADDRESS ws_get_physical_page_address(IPortWaveRTStream *This,
						     PMDL MemoryDescriptorList, ULONG Index)
{
	PHYSICAL_ADDRESS pa;

	pa.QuadPart = 0;
	if (Index < ws_get_physical_pages_count(This, MemoryDescriptorList))
		pa.QuadPart = (LONGLONG)((uint64_t)MmGetMdlPfnArray(MemoryDescriptorList)[Index]
					 << PAGE_SHIFT);
	return pa;
}

static const IPortWaveRTStreamVtbl wavert_stream_vtbl = {
	.QueryInterface = ws_query_interface,
	.AddRef = ws_add_ref,
	.Release = ws_release,
	.AllocatePagesForMdl = ws_allocate_pages_for_mdl,
	.AllocateContiguousPagesForMdl = ws_allocate_contiguous_pages_for_mdl,
	.MapAllocatedPages = ws_map_allocated_pages,
	.UnmapAllocatedPages = ws_unmap_allocated_pages,
	.FreePagesFromMdl = ws_free_pages_from_mdl,
	.GetPhysicalPagesCount = ws_get_physical_pages_count,
	.GetPhysicalPageAddress = ws_get_physical_page_address,
};

IOA_API NTSTATUS IoaNewPortWaveRTStream(PPORTWAVERTSTREAM *OutStream)
{
	struct ioa_pool_config pc;
	struct wavert_stream *s;
	ioa_domain_t *d;
	NTSTATUS st;

	if (!OutStream)
		return STATUS_INVALID_PARAMETER;
	*OutStream = NULL;
	st = ioa__win_default_domain(&d);
	if (!NT_SUCCESS(st))
		return st;
	s = calloc(1, sizeof(*s));
	if (!s)
		return STATUS_INSUFFICIENT_RESOURCES;
	ioa_pool_config_init(&pc);
	pc.name = "IPortWaveRTStream MDLs";
	pc.obj_size = sizeof(struct wavert_mdl) + MDL_POOL_PFNS * sizeof(PFN_NUMBER);
	pc.count = MDL_POOL_STEP;
	pc.align = _Alignof(struct wavert_mdl);
	pc.flags = IOA_POOL_F_GROW;
	if (ioa_pool_create(&pc, &s->blocks)) {
		free(s);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	s->iface.lpVtbl = &wavert_stream_vtbl;
	atomic_init(&s->refs, 1);
	atomic_init(&s->keep, 1);
	s->d = d;
	s->page = ioa_domain_page_size(d);
	ioa_constraint_init(&s->open);
	*OutStream = &s->iface;
	return STATUS_SUCCESS;
}
