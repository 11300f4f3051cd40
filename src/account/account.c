/* SPDX-License-Identifier: MIT */
/*
 * Accounts: a tree of quota nodes.
 *
 * Theory. A charge walks from the account to the root, reserving the bytes at
 * each node with a compare-and-swap that refuses to pass the node's limit. If
 * a node refuses, the nodes already reserved are released again, so a failed
 * charge leaves nothing charged (a concurrent charge may transiently see the
 * reserved bytes and fail: the conservative outcome). Uncharge is the mirror
 * walk with subtraction, refusing to go below zero. All of it is lock-free:
 * CAS retries under contention, no syscalls, no allocation, so it is safe on
 * real-time threads.
 *
 * Lifetime: the caller must not destroy an account while another thread
 * charges it (destroy refuses while usage or children are non-zero).
 *
 * The tree's shape (child and sibling links) changes only at create and
 * destroy, under one process-wide mutex that ioa_account_walk also takes;
 * charging never touches it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <ioalloc/account.h>

#include "debug/debug.h"

struct ioa_account {
	/* Hot, written by every charge: a cache line of its own. */
	_Alignas(64) _Atomic uint64_t usage;
	_Atomic uint64_t peak;
	_Atomic uint64_t failures;
	_Atomic uint64_t last_refused;
	/* Written rarely. */
	_Alignas(64) _Atomic uint64_t limit;
	_Atomic unsigned children;
	struct ioa_account *parent;
	struct ioa_account *first_child, *next_sibling; /* under tree_lock */
	char name[32];
};

static pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;

IOA_API int ioa_account_create(ioa_account_t *parent, const char *name, uint64_t limit,
			       ioa_account_t **out)
{
	ioa_account_t *a;

	if (!out)
		return -EINVAL;
	a = aligned_alloc(64, sizeof(*a));
	if (!a)
		return -ENOMEM;
	memset(a, 0, sizeof(*a));
	atomic_init(&a->limit, limit);
	a->parent = parent;
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "account");
	if (parent) {
		pthread_mutex_lock(&tree_lock);
		a->next_sibling = parent->first_child;
		parent->first_child = a;
		atomic_fetch_add(&parent->children, 1);
		pthread_mutex_unlock(&tree_lock);
	}
	*out = a;
	return 0;
}

static void unlink_child(ioa_account_t *a)
{
	ioa_account_t **pp = &a->parent->first_child;

	while (*pp && *pp != a)
		pp = &(*pp)->next_sibling;
	if (*pp)
		*pp = a->next_sibling;
}

IOA_API int ioa_account_destroy(ioa_account_t *a)
{
	if (!a)
		return 0;
	if (atomic_load(&a->usage) || atomic_load(&a->children))
		return -EBUSY;
	if (a->parent) {
		pthread_mutex_lock(&tree_lock);
		unlink_child(a);
		atomic_fetch_sub(&a->parent->children, 1);
		pthread_mutex_unlock(&tree_lock);
	}
	free(a);
	return 0;
}

static int walk(ioa_account_t *a, unsigned depth,
		int (*fn)(void *arg, const ioa_account_t *a, unsigned depth), void *arg)
{
	int r = fn(arg, a, depth);

	for (ioa_account_t *c = a->first_child; c && !r; c = c->next_sibling)
		r = walk(c, depth + 1, fn, arg);
	return r;
}

IOA_API int ioa_account_walk(ioa_account_t *a,
			     int (*fn)(void *arg, const ioa_account_t *a, unsigned depth),
			     void *arg)
{
	int r;

	if (!a || !fn)
		return -EINVAL;
	pthread_mutex_lock(&tree_lock);
	r = walk(a, 0, fn, arg);
	pthread_mutex_unlock(&tree_lock);
	return r;
}

static void raise_peak(ioa_account_t *a, uint64_t u)
{
	uint64_t p = atomic_load_explicit(&a->peak, memory_order_relaxed);

	while (u > p && !atomic_compare_exchange_weak(&a->peak, &p, u))
		;
}

/* Reserve bytes at one node: false if its limit would be passed. */
static bool reserve(ioa_account_t *a, uint64_t bytes)
{
	uint64_t u = atomic_load_explicit(&a->usage, memory_order_relaxed), n;

	do {
		n = u + bytes;
		if (n < u || n > atomic_load_explicit(&a->limit, memory_order_relaxed))
			return false;
	} while (!atomic_compare_exchange_weak(&a->usage, &u, n));
	raise_peak(a, n);
	return true;
}

IOA_API int ioa_account_charge(ioa_account_t *a, uint64_t bytes)
{
	if (!a)
		return -EINVAL;
	for (ioa_account_t *n = a; n; n = n->parent) {
		if (reserve(n, bytes))
			continue;
		atomic_fetch_add_explicit(&n->failures, 1, memory_order_relaxed);
		atomic_store_explicit(&n->last_refused, bytes, memory_order_relaxed);
		for (ioa_account_t *m = a; m != n; m = m->parent)
			atomic_fetch_sub(&m->usage, bytes);
		return -EDQUOT;
	}
	return 0;
}

/* Release bytes at one node: false (nothing changed) if usage < bytes. */
static bool release(ioa_account_t *a, uint64_t bytes)
{
	uint64_t u = atomic_load_explicit(&a->usage, memory_order_relaxed);

	do {
		if (u < bytes)
			return false;
	} while (!atomic_compare_exchange_weak(&a->usage, &u, u - bytes));
	return true;
}

IOA_API int ioa_account_uncharge(ioa_account_t *a, uint64_t bytes)
{
	char obj[48];

	if (!a)
		return -EINVAL;
	for (ioa_account_t *n = a; n; n = n->parent) {
		if (release(n, bytes))
			continue;
		for (ioa_account_t *m = a; m != n; m = m->parent)
			atomic_fetch_add(&m->usage, bytes);
		snprintf(obj, sizeof(obj), "account '%s'", n->name);
		ioa__misuse("ioa_account_uncharge", obj,
			    "uncharging %llu bytes would drive usage %llu below zero",
			    (unsigned long long)bytes, (unsigned long long)atomic_load(&n->usage));
		return -EINVAL;
	}
	return 0;
}

IOA_API int ioa_account_set_limit(ioa_account_t *a, uint64_t limit)
{
	if (!a)
		return -EINVAL;
	atomic_store(&a->limit, limit);
	return 0;
}

IOA_API int ioa_account_stats(const ioa_account_t *a, struct ioa_account_stats *st)
{
	if (!a || !st || st->size != sizeof(*st))
		return -EINVAL;
	st->name = a->name;
	st->limit = atomic_load(&a->limit);
	st->usage = atomic_load(&a->usage);
	st->peak = atomic_load(&a->peak);
	st->failures = atomic_load(&a->failures);
	st->last_refused = atomic_load(&a->last_refused);
	st->children = atomic_load(&a->children);
	return 0;
}

IOA_API ioa_account_t *ioa_account_parent(const ioa_account_t *a)
{
	return a ? a->parent : NULL;
}
