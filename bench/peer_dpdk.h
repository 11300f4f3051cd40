/* SPDX-License-Identifier: MIT */
/* DPDK as a benchmark peer: one EAL set-up for every benchmark that needs it. */
#ifndef IOA_BENCH_PEER_DPDK_H
#define IOA_BENCH_PEER_DPDK_H

#include <stdbool.h>

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

/* Stop the EAL if it was started. */
void peer_dpdk_stop(struct peer_dpdk *p);

#endif
