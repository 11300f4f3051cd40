/* SPDX-License-Identifier: MIT */
/*
 * Accounts: quota nodes (the maximum-allowable-total semantics of
 * VideoPortAllocateBuffer). An account has a limit, a usage, a peak and a
 * failure count; a charge counts against the account and every ancestor, and
 * fails with -EDQUOT - distinct from -ENOMEM - if any of them would pass its
 * limit, leaving nothing charged anywhere. Charging is lock-free (atomics) and
 * safe on real-time threads.
 */
#ifndef IOALLOC_ACCOUNT_H
#define IOALLOC_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <ioalloc/api.h>

IOA_BEGIN_DECLS

typedef struct ioa_account ioa_account_t;

#define IOA_ACCOUNT_UNLIMITED UINT64_MAX

struct ioa_account_stats {
	size_t size;           /* sizeof(struct ioa_account_stats): the caller sets it */
	const char *name;      /* valid while the account lives */
	uint64_t limit;        /* IOA_ACCOUNT_UNLIMITED for none */
	uint64_t usage;        /* bytes charged now */
	uint64_t peak;         /* highest usage seen */
	uint64_t failures;     /* charges this account refused */
	uint64_t last_refused; /* size of the last refused charge */
	unsigned children;     /* live child accounts */
};

/* Create an account under parent (NULL: a root) with a limit in bytes; name
 * is copied (31 bytes kept). May block (allocates). 0, -EINVAL, -ENOMEM. */
IOA_API int ioa_account_create(ioa_account_t *parent, const char *name, uint64_t limit,
			       ioa_account_t **out);

/* Destroy an account with no usage and no children: 0; -EBUSY otherwise
 * (nothing changes); NULL is a no-op returning 0. */
IOA_API int ioa_account_destroy(ioa_account_t *a);

/* Charge bytes to a and its ancestors. Any thread, real-time safe, lock-free.
 * 0; -EDQUOT if a limit up the chain would be passed (nothing charged);
 * -EINVAL for NULL. */
IOA_API int ioa_account_charge(ioa_account_t *a, uint64_t bytes);

/* Give back bytes charged earlier. Any thread, real-time safe. Driving a usage
 * below zero is a misuse: nothing changes and the misuse handler is called
 * (the default one aborts); if it returns, the result is -EINVAL. */
IOA_API int ioa_account_uncharge(ioa_account_t *a, uint64_t bytes);

/* Change the limit; a limit below the usage makes later charges fail but
 * takes nothing back. Any thread. */
IOA_API int ioa_account_set_limit(ioa_account_t *a, uint64_t limit);

/* Snapshot of a's counters; st->size must be set. Any thread. */
IOA_API int ioa_account_stats(const ioa_account_t *a, struct ioa_account_stats *st);

/* Call fn for a and every account below it, depth first (a at depth 0),
 * until fn returns non-zero, which is returned; 0 after a full walk, -EINVAL
 * for NULL. Holds the tree's lock: fn must not create or destroy accounts.
 * May block (not for real-time threads). */
IOA_API int ioa_account_walk(ioa_account_t *a,
			     int (*fn)(void *arg, const ioa_account_t *a, unsigned depth),
			     void *arg);

/* The parent account, or NULL for a root. */
IOA_API ioa_account_t *ioa_account_parent(const ioa_account_t *a);

IOA_END_DECLS

#endif
