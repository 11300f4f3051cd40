/* SPDX-License-Identifier: MIT */
/*
 * Internals of the Windows DDI layer (src/win). The layer calls public native
 * functions only, plus the misuse reporter (debug/debug.h) for misuse that a
 * VOID Windows function cannot return.
 *
 * Locking: none. Objects live by atomic reference counts (a WaveRT stream's
 * memory also by one per live MDL, a video miniport's by one per live
 * buffer); calls on one object are serialized by the caller, as in Windows.
 */
#ifndef IOA_WIN_IMPL_H
#define IOA_WIN_IMPL_H

#include <errno.h>
#include <ioalloc/domain.h>
#include <ioalloc/win/wdm.h>

/* Native -errno -> NTSTATUS. -EINVAL from ioa_domain_default means a
 * malformed IOALLOC_DOMAIN: a configuration error, not a bad argument. */
static inline NTSTATUS ioa__win_nt_status(int err)
{
	switch (err) {
	case 0:
		return STATUS_SUCCESS;
	case -EINVAL:
		return STATUS_INVALID_PARAMETER;
	case -EBUSY:
		return STATUS_UNSUCCESSFUL;
	default: /* -ENOMEM, -EDQUOT, a failing system call */
		return STATUS_INSUFFICIENT_RESOURCES;
	}
}

static inline NTSTATUS ioa__win_default_domain(ioa_domain_t **d)
{
	int r = ioa_domain_default(d);

	return r == -EINVAL ? STATUS_DEVICE_CONFIGURATION_ERROR : ioa__win_nt_status(r);
}

/* For tests: the tag and VP_POOL_TYPE a VideoPortAllocatePool block carries in
 * its hidden header. 0, or -EINVAL if p is not a live pool block. */
int ioa__win_vp_pool_info(const void *p, ULONG *tag, int *pool_type);

#endif
