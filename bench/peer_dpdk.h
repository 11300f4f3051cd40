/* SPDX-License-Identifier: MIT */
/* DPDK as a benchmark peer: one EAL set-up for every benchmark that needs it. */
#ifndef IOA_BENCH_PEER_DPDK_H
#define IOA_BENCH_PEER_DPDK_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

struct peer_dpdk {
	bool up;          /* EAL is running: the DPDK cells can be measured */
	char why[128];    /* else why not, for "unavailable: ..." cells */
	char lcores[16];  /* the EAL -l argument used */
};

/* Start the EAL as every benchmark does (--no-huge --no-pci --no-shconf
 * --no-telemetry -m 512 -l 0-1, quiet), pin the thread back where the harness
 * put it, and note the set-up (or why it failed) in b; memory_note says what
 * DPDK's memory is under these options. Without libdpdk: up = false. */
void peer_dpdk_start(struct peer_dpdk *p, struct bench *b, const char *prog,
		     const char *memory_note);

/* Give the calling thread an lcore id (and so a mempool cache) if it has
 * none: rte_thread_register, *registered set when it did. 0, or -1 with the
 * reason in why. Without libdpdk: 0, nothing done. */
int peer_dpdk_thread_enter(bool *registered, char *why, size_t len);

/* Stop the EAL if it was started. */
void peer_dpdk_stop(struct peer_dpdk *p);

#endif
