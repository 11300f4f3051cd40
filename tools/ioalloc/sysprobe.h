/* SPDX-License-Identifier: MIT */
/* What this system offers for I/O and DMA buffers, gathered from sysfs, procfs and a few
 * system calls.  Probes never fail as a whole: a probe that cannot answer records why. */
#ifndef IOALLOC_TOOL_SYSPROBE_H
#define IOALLOC_TOOL_SYSPROBE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include <ioalloc/dio.h>

/* x86-64 has 2 sizes, arm64 up to 4, ppc64 and ia64 a handful: 8 is ample. */
#define SYS_MAX_HP_SIZES 8
/* More hugetlbfs mounts than this are listed up to the limit. */
#define SYS_MAX_MOUNTS 16
#define SYS_REASON_LEN 256

struct sys_hugepages {
	uint64_t page_size;
	long total, free, reserved, surplus; /* -1: the sysfs file could not be read */
};

struct sys_mount {
	char path[PATH_MAX];
	uint64_t page_size;
};

struct sys_info {
	char kernel[65];
	long page_size;

	struct sys_hugepages hp[SYS_MAX_HP_SIZES];
	int n_hp;
	int hp_err;                         /* -errno reading /sys/kernel/mm/hugepages */
	struct sys_mount mnt[SYS_MAX_MOUNTS];
	int n_mnt;
	int mnt_err;                        /* -errno reading /proc/mounts */
	char thp_enabled[32], thp_shmem[32]; /* "" when the kernel has no THP */

	bool phys_readable;
	char phys_reason[SYS_REASON_LEN];

	struct rlimit memlock;
	int memlock_err;
	bool cap_ipc_lock, cap_sys_admin;
	int caps_err;                       /* -errno: CapEff not found in /proc/self/status */

	bool uring_available;
	char uring_reason[SYS_REASON_LEN];
	long uring_disabled;                /* kernel.io_uring_disabled; -1 if absent */

	long iommu_groups;                  /* -1: no /sys/kernel/iommu_groups */
	bool vfio_dir, vfio_container;
	int vfio_groups;
	int vfio_noiommu;                   /* 1 Y, 0 N, -1 vfio not loaded */
};

struct sys_path {
	const char *path;
	const char *kind;                   /* "file", "directory", "block_device", "other" */
	unsigned long fs_magic;             /* of the file system holding PATH; 0 for devices */
	const char *fs_type;                /* NULL if not in the table or a block device */
	struct ioa_dio_align dio;
	int dio_err;                        /* -errno from ioa_dio_align_path */
};

/* Fill INFO; may call the kernel, never fails. */
void sys_probe(struct sys_info *info);

/* The effective capability set (CapEff in /proc/self/status) into *eff: 0, or
 * -errno (-ENOENT: no CapEff line), *eff 0. */
int sys_cap_effective(unsigned long long *eff);

/* Describe PATH; 0 or -errno when PATH cannot be examined at all. */
int sys_probe_path(struct sys_path *p, const char *path);

/* "statx", "blkdev", "sysfs", "none". */
const char *sys_dio_source_name(int source);
/* What the source means, for people. */
const char *sys_dio_source_text(int source);

#endif
