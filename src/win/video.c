/* SPDX-License-Identifier: MIT */
/*
 * Video port pool: VideoPortAllocateBuffer / VideoPortAllocatePool over
 * ioa_domain_alloc, charged to the miniport's account.
 *
 * Theory. A miniport (IoaNewVideoMiniport) is a header followed by its device
 * extension, which is the handle every call takes; the header holds a native
 * account whose limit is the maximum allowable allocation. A buffer is one
 * domain allocation of size + 64 bytes charged to that account: a 64-byte
 * hidden header (owner, bus address, size, pool tag, which pair made it), then
 * the caller's memory, cache-line aligned. The native allocator tells quota
 * (-EDQUOT: ERROR_INSUFFICIENT_BUFFER) from memory (-ENOMEM:
 * ERROR_NOT_ENOUGH_MEMORY); the layer only maps the two. The quota counts what
 * the domain charges: whole 4 KiB quanta, header included.
 *
 * Lifetime: one atomic reference for the device extension plus one per live
 * buffer. Deleting a miniport with live buffers reports them to the misuse
 * handler and drops the extension's reference; the buffers stay valid and the
 * last release ends the miniport (and its account).
 *
 * Debug: releasing memory that is not a live buffer of this miniport, or with
 * the other pair's function, goes to the misuse handler. The checks read the
 * header before the pointer, so a wild pointer can still fault, as free() can.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/account.h>
#include <ioalloc/debug.h>
#include <ioalloc/win/video.h>

#include "win_impl.h"

#define VP_LINE 64 /* the header and the extension's alignment: one cache line */
#define MINIPORT_MAGIC 0x74726f706e696d56ull /* "Vminport" */
#define DELETED_MAGIC 0x646574656c65645aull  /* "Zdeleted" */
#define BUFFER_MAGIC 0x7275626f65646956ull   /* "Videobur" */
#define POOL_MAGIC 0x6c6f6f706f656456ull     /* "Vdeopool" */
#define BUFFER_POOL_TYPE (-1)                /* VideoPortAllocateBuffer's, in the header */

struct vp_miniport {
	uint64_t magic;           /* MINIPORT_MAGIC; DELETED_MAGIC once deleted */
	ioa_domain_t *d;
	ioa_account_t *acct;      /* limit: the maximum allowable allocation */
	_Atomic uint64_t refs;    /* 1 until deleted, + 1 per live buffer */
	char name[24];            /* the account's name, "videoport.N" */
};

/* The device extension starts at the first line after the header. */
#define MINIPORT_HEADER ((sizeof(struct vp_miniport) + VP_LINE - 1) & ~(size_t)(VP_LINE - 1))

union vp_block {
	struct {
		uint64_t magic;          /* BUFFER_MAGIC or POOL_MAGIC; 0 once released */
		struct vp_miniport *mp;
		uint64_t bus;            /* of the allocation, header included */
		uint64_t size;           /* as allocated: the caller's bytes + VP_LINE */
		ULONG tag;               /* VideoPortAllocatePool's Tag */
		int32_t pool_type;       /* VP_POOL_TYPE, or BUFFER_POOL_TYPE */
	} h;
	uint8_t line[VP_LINE];
};

_Static_assert(sizeof(union vp_block) == VP_LINE, "the hidden header is one line");

static _Atomic unsigned miniport_seq;

static struct vp_miniport *miniport_of(PVOID HwDeviceExtension)
{
	return (struct vp_miniport *)((char *)HwDeviceExtension - MINIPORT_HEADER);
}

/* The live miniport (or, if deleted_ok, a deleted one still holding buffers)
 * of a device extension; NULL after a misuse report. */
static struct vp_miniport *miniport_check(PVOID HwDeviceExtension, const char *call,
					  bool deleted_ok)
{
	struct vp_miniport *mp = miniport_of(HwDeviceExtension);

	if (mp->magic == MINIPORT_MAGIC || (deleted_ok && mp->magic == DELETED_MAGIC))
		return mp;
	ioa_report_misuse(call, "video miniport", "HwDeviceExtension %p is not the device extension "
		    "of a live miniport (IoaNewVideoMiniport)", HwDeviceExtension);
	return NULL;
}

static void miniport_put(struct vp_miniport *mp)
{
	if (atomic_fetch_sub_explicit(&mp->refs, 1, memory_order_acq_rel) != 1)
		return;
	ioa_account_destroy(mp->acct); /* nothing charged: every buffer is back */
	mp->magic = 0;
	free(mp);
}

static VP_STATUS vp_status(int err)
{
	switch (err) {
	case 0:
		return NO_ERROR;
	case -EDQUOT:
		return ERROR_INSUFFICIENT_BUFFER; /* the miniport's maximum allowable allocation */
	default: /* -ENOMEM, or -EINVAL: larger than the whole domain */
		return ERROR_NOT_ENOUGH_MEMORY;
	}
}

static int vp_alloc(struct vp_miniport *mp, uint64_t bytes, uint64_t magic, ULONG tag,
		    int32_t pool_type, PVOID *out)
{
	uint64_t size = bytes + VP_LINE, bus;
	union vp_block *b;
	int r;

	if (size < bytes)
		return -ENOMEM;
	atomic_fetch_add_explicit(&mp->refs, 1, memory_order_relaxed);
	r = ioa_domain_alloc(mp->d, size, NULL, mp->acct, &bus);
	if (r) {
		atomic_fetch_sub_explicit(&mp->refs, 1, memory_order_relaxed);
		return r;
	}
	b = ioa_domain_virt(mp->d, bus);
	b->h.magic = magic;
	b->h.mp = mp;
	b->h.bus = bus;
	b->h.size = size;
	b->h.tag = tag;
	b->h.pool_type = pool_type;
	*out = b + 1;
	return 0;
}

static void block_misuse(struct vp_miniport *mp, PVOID p, const char *call, const char *why,
			 const char *other)
{
	char obj[48];

	snprintf(obj, sizeof(obj), "miniport '%s'", mp->name);
	ioa_report_misuse(call, obj, "%p %s%s", p, why, other);
}

/* The header of p if p is a live buffer of mp made by the pair of want;
 * NULL after a misuse report. */
static union vp_block *block_check(struct vp_miniport *mp, PVOID p, uint64_t want,
				   const char *call)
{
	union vp_block *b = (union vp_block *)p - 1;
	uint64_t bus;

	if (ioa_domain_bus(mp->d, b, &bus)) {
		block_misuse(mp, p, call, "is not memory of the video port", "");
		return NULL;
	}
	if (b->h.magic == want && b->h.mp == mp)
		return b;
	if (b->h.magic == BUFFER_MAGIC || b->h.magic == POOL_MAGIC) {
		if (b->h.magic != want)
			block_misuse(mp, p, call, b->h.magic == BUFFER_MAGIC ?
				     "came from VideoPortAllocateBuffer (release it with " :
				     "came from VideoPortAllocatePool (free it with ",
				     b->h.magic == BUFFER_MAGIC ? "VideoPortReleaseBuffer)" :
				     "VideoPortFreePool)");
		else
			block_misuse(mp, p, call, "belongs to miniport ", b->h.mp->name);
		return NULL;
	}
	block_misuse(mp, p, call, "was never allocated, or is already released", "");
	return NULL;
}

static void vp_free(PVOID HwDeviceExtension, PVOID p, uint64_t want, const char *call)
{
	struct vp_miniport *mp;
	union vp_block *b;

	if (!p || !HwDeviceExtension)
		return;
	mp = miniport_check(HwDeviceExtension, call, true);
	b = mp ? block_check(mp, p, want, call) : NULL;
	if (!b)
		return;
	b->h.magic = 0;
	if (ioa_domain_free(mp->d, b->h.bus, b->h.size, mp->acct) == 0)
		miniport_put(mp);
}

IOA_API VP_STATUS VideoPortAllocateBuffer(PVOID HwDeviceExtension, ULONG Size, PVOID *Buffer)
{
	struct vp_miniport *mp;

	if (!Buffer)
		return ERROR_INVALID_PARAMETER;
	*Buffer = NULL;
	if (!HwDeviceExtension)
		return ERROR_INVALID_PARAMETER;
	mp = miniport_check(HwDeviceExtension, "VideoPortAllocateBuffer", false);
	if (!mp)
		return ERROR_INVALID_PARAMETER;
	return vp_status(vp_alloc(mp, Size, BUFFER_MAGIC, 0, BUFFER_POOL_TYPE, Buffer));
}

IOA_API VOID VideoPortReleaseBuffer(PVOID HwDeviceExtension, PVOID Buffer)
{
	vp_free(HwDeviceExtension, Buffer, BUFFER_MAGIC, "VideoPortReleaseBuffer");
}

IOA_API PVOID VideoPortAllocatePool(PVOID HwDeviceExtension, VP_POOL_TYPE PoolType,
				    SIZE_T NumberOfBytes, ULONG Tag)
{
	struct vp_miniport *mp;
	PVOID p = NULL;

	if (!HwDeviceExtension || (PoolType != VpNonPagedPool && PoolType != VpPagedPool &&
				   PoolType != VpNonPagedPoolCacheAligned &&
				   PoolType != VpPagedPoolCacheAligned))
		return NULL;
	mp = miniport_check(HwDeviceExtension, "VideoPortAllocatePool", false);
	if (!mp || vp_alloc(mp, NumberOfBytes, POOL_MAGIC, Tag, (int32_t)PoolType, &p))
		return NULL;
	return p;
}

IOA_API VOID VideoPortFreePool(PVOID HwDeviceExtension, PVOID Ptr)
{
	vp_free(HwDeviceExtension, Ptr, POOL_MAGIC, "VideoPortFreePool");
}

IOA_API VP_STATUS IoaNewVideoMiniport(ULONG DeviceExtensionSize, SIZE_T MaximumAllocation,
				      PVOID *HwDeviceExtension)
{
	size_t total = MINIPORT_HEADER + (((size_t)DeviceExtensionSize + VP_LINE - 1) &
					  ~(size_t)(VP_LINE - 1));
	struct vp_miniport *mp;
	ioa_domain_t *d;
	int r;

	if (!HwDeviceExtension)
		return ERROR_INVALID_PARAMETER;
	*HwDeviceExtension = NULL;
	r = ioa_domain_default(&d);
	if (r)
		return r == -EINVAL ? ERROR_INVALID_PARAMETER : ERROR_NOT_ENOUGH_MEMORY;
	mp = aligned_alloc(VP_LINE, total);
	if (!mp)
		return ERROR_NOT_ENOUGH_MEMORY;
	memset(mp, 0, total); /* the device extension starts zeroed, as in Windows */
	snprintf(mp->name, sizeof(mp->name), "videoport.%u", atomic_fetch_add(&miniport_seq, 1) + 1);
	r = ioa_account_create(ioa_domain_account(d), mp->name,
			       MaximumAllocation ? (uint64_t)MaximumAllocation : IOA_ACCOUNT_UNLIMITED,
			       &mp->acct);
	if (r) {
		free(mp);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	mp->d = d;
	atomic_init(&mp->refs, 1);
	mp->magic = MINIPORT_MAGIC;
	*HwDeviceExtension = (char *)mp + MINIPORT_HEADER;
	return NO_ERROR;
}

IOA_API VOID IoaDeleteVideoMiniport(PVOID HwDeviceExtension)
{
	struct ioa_account_stats st = {.size = sizeof(st)};
	struct vp_miniport *mp;
	uint64_t live;
	char obj[48];

	if (!HwDeviceExtension)
		return;
	mp = miniport_check(HwDeviceExtension, "IoaDeleteVideoMiniport", false);
	if (!mp)
		return;
	mp->magic = DELETED_MAGIC;
	live = atomic_load(&mp->refs) - 1;
	if (live) {
		ioa_account_stats(mp->acct, &st);
		snprintf(obj, sizeof(obj), "miniport '%s'", mp->name);
		ioa_report_misuse("IoaDeleteVideoMiniport", obj,
			    "deleted with %llu live allocations (%llu bytes charged); they stay "
			    "valid until released", (unsigned long long)live,
			    (unsigned long long)st.usage);
	}
	miniport_put(mp);
}

int ioa__win_vp_pool_info(const void *p, ULONG *tag, int *pool_type)
{
	const union vp_block *b = (const union vp_block *)p - 1;

	if (!p || b->h.magic != POOL_MAGIC)
		return -EINVAL;
	*tag = b->h.tag;
	*pool_type = b->h.pool_type;
	return 0;
}
