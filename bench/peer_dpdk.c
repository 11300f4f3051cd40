/* SPDX-License-Identifier: MIT */
#include "peer_dpdk.h"

#include <stdio.h>
#include <unistd.h>

#ifdef IOA_BENCH_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

static void eal_init(struct peer_dpdk *p, const char *prog)
{
	char *argv[] = {(char *)prog, "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
			"-m", "512", "-l", p->lcores, "--log-level=3", NULL};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	snprintf(p->lcores, sizeof(p->lcores), "%s",
		 sysconf(_SC_NPROCESSORS_ONLN) > 1 ? "0-1" : "0");
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(p->why, sizeof(p->why), "rte_eal_init failed: %s", rte_strerror(rte_errno));
		return;
	}
	p->up = true;
}
#endif

void peer_dpdk_start(struct peer_dpdk *p, struct bench *b, const char *prog,
		     const char *memory_note)
{
	p->up = false;
#ifdef IOA_BENCH_HAVE_DPDK
	eal_init(p, prog);
	if (p->up && bench_pin(b) != 0)
		bench_note(b, "could not re-pin after rte_eal_init");
	if (!p->up)
		bench_note(b, "DPDK cells unavailable: %s", p->why);
	else
		bench_note(b, "DPDK EAL: --no-huge --no-pci --no-shconf --no-telemetry -m 512 "
			   "-l %s --log-level=3 (%s)", p->lcores, memory_note);
#else
	(void)prog;
	(void)memory_note;
	snprintf(p->why, sizeof(p->why), "built without libdpdk");
	bench_note(b, "DPDK cells unavailable: this build found no libdpdk (pkg-config)");
#endif
}

int peer_dpdk_thread_enter(bool *registered, char *why, size_t len)
{
#ifdef IOA_BENCH_HAVE_DPDK
	if (rte_lcore_id() != LCORE_ID_ANY)
		return 0;
	if (rte_thread_register() || rte_lcore_id() == LCORE_ID_ANY) {
		snprintf(why, len, "rte_thread_register: %s", rte_strerror(rte_errno));
		return -1;
	}
	*registered = true;
#else
	(void)registered;
	(void)why;
	(void)len;
#endif
	return 0;
}

void peer_dpdk_stop(struct peer_dpdk *p)
{
#ifdef IOA_BENCH_HAVE_DPDK
	if (p->up)
		rte_eal_cleanup();
#endif
	p->up = false;
}
