/* SPDX-License-Identifier: MIT */
/*
 * The handle quarantine: in debug mode a freed handle (DMA buffer, channel,
 * page list) is not given back to malloc at once but parked here with a dead
 * magic number, so a second free or a late use reads "dead" instead of
 * whatever malloc put there next (ASan's quarantine, for handles only).
 * A FIFO of IOA_QUARANTINE_SLOTS: 256 handles of under 100 bytes is about
 * 25 KiB at most, and covers the distance between a free and a double free
 * in all the misuse cases we know of. The kept handles stay reachable from
 * here, so leak checkers do not count them.
 */
#include "debug.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *slots[IOA_QUARANTINE_SLOTS];
static unsigned next;

void ioa__quarantine(void *p)
{
	void *old;

	pthread_mutex_lock(&lock);
	old = slots[next];
	slots[next] = p;
	next = (next + 1) % IOA_QUARANTINE_SLOTS;
	pthread_mutex_unlock(&lock);
	free(old);
}
