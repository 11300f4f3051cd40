/* SPDX-License-Identifier: MIT */
/*
 * System probes for `ioalloc info` (and later subcommands that report their setting).
 *
 * Each probe fills its part of struct sys_info and records failure in the struct rather
 * than returning it, so the report always comes out whole.  Sources: sysfs
 * (/sys/kernel/mm, /sys/kernel/iommu_groups, /sys/module/vfio), procfs (/proc/mounts,
 * /proc/self/{status,pagemap}, /proc/sys/kernel), getrlimit, io_uring_setup and statfs.
 */
#include "sysprobe.h"
#include "tool.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef IOA_HAVE_URING
#include <liburing.h>
#endif

#define HP_SYSFS "/sys/kernel/mm/hugepages"
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

/* ---- hugepages ---------------------------------------------------------------- */

static long hp_read(const char *dir, const char *file)
{
	char path[PATH_MAX];
	long v;

	snprintf(path, sizeof(path), HP_SYSFS "/%s/%s", dir, file);
	return read_long(path, &v) == 0 ? v : -1;
}

static void hp_add(struct sys_info *in, const char *dir, unsigned long kib)
{
	struct sys_hugepages *h = &in->hp[in->n_hp++];

	h->page_size = (uint64_t)kib * 1024;
	h->total = hp_read(dir, "nr_hugepages");
	h->free = hp_read(dir, "free_hugepages");
	h->reserved = hp_read(dir, "resv_hugepages");
	h->surplus = hp_read(dir, "surplus_hugepages");
}

static int hp_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct sys_hugepages *)a)->page_size;
	uint64_t y = ((const struct sys_hugepages *)b)->page_size;

	return (x > y) - (x < y);
}

static void probe_hugepages(struct sys_info *in)
{
	DIR *d = opendir(HP_SYSFS);
	struct dirent *e;
	unsigned long kib;
	char tail;

	if (!d) {
		in->hp_err = -errno;
		return;
	}
	while ((e = readdir(d)) && in->n_hp < SYS_MAX_HP_SIZES)
		if (sscanf(e->d_name, "hugepages-%lukB%c", &kib, &tail) == 1)
			hp_add(in, e->d_name, kib);
	closedir(d);
	qsort(in->hp, (size_t)in->n_hp, sizeof(in->hp[0]), hp_cmp);
}

/* ---- hugetlbfs mounts ----------------------------------------------------------- */

/* "Hugepagesize:    2048 kB" in /proc/meminfo: what a mount without pagesize= uses. */
static uint64_t default_hugepage_size(void)
{
	char line[128];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}

/* "pagesize=2M" (K, M, G suffixes, any case, or plain bytes); 0 if absent. */
static uint64_t mount_page_size(struct mntent *m)
{
	const char *opt = hasmntopt(m, "pagesize");
	char *end;
	uint64_t v;

	if (!opt || strncmp(opt, "pagesize=", 9) != 0)
		return 0;
	v = strtoull(opt + 9, &end, 10);
	switch (toupper((unsigned char)*end)) {
	case 'G': return v << 30;
	case 'M': return v << 20;
	case 'K': return v << 10;
	default:  return v;
	}
}

static void probe_mounts(struct sys_info *in)
{
	FILE *f = setmntent("/proc/mounts", "re");
	struct mntent *m;

	if (!f) {
		in->mnt_err = -errno;
		return;
	}
	while ((m = getmntent(f)) && in->n_mnt < SYS_MAX_MOUNTS) {
		struct sys_mount *s = &in->mnt[in->n_mnt];

		if (strcmp(m->mnt_type, "hugetlbfs") != 0)
			continue;
		snprintf(s->path, sizeof(s->path), "%s", m->mnt_dir);
		s->page_size = mount_page_size(m);
		if (!s->page_size)
			s->page_size = default_hugepage_size();
		in->n_mnt++;
	}
	endmntent(f);
}

/* "always [madvise] never" -> "madvise"; "" if the file is missing. */
static void read_bracketed(const char *path, char *out, size_t len)
{
	char buf[256];
	char *l, *r;

	out[0] = '\0';
	if (read_line(path, buf, sizeof(buf)) != 0)
		return;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r)
		snprintf(out, len, "%.*s", (int)(r - l - 1), l + 1);
}

static void probe_thp(struct sys_info *in)
{
	read_bracketed(THP_SYSFS "/enabled", in->thp_enabled, sizeof(in->thp_enabled));
	read_bracketed(THP_SYSFS "/shmem_enabled", in->thp_shmem, sizeof(in->thp_shmem));
}

/* ---- credentials and limits ----------------------------------------------------- */

int sys_cap_effective(unsigned long long *eff)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	int r = -ENOENT;

	*eff = 0;
	if (!f)
		return -errno;
	while (r && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", eff) == 1)
			r = 0;
	fclose(f);
	return r;
}

static void probe_caps(struct sys_info *in)
{
	unsigned long long eff;

	in->caps_err = sys_cap_effective(&eff);
	in->cap_ipc_lock = (eff >> CAP_IPC_LOCK) & 1;
	in->cap_sys_admin = (eff >> CAP_SYS_ADMIN) & 1;
}

static void probe_memlock(struct sys_info *in)
{
	if (getrlimit(RLIMIT_MEMLOCK, &in->memlock) != 0)
		in->memlock_err = -errno;
}

/* ---- physical addresses --------------------------------------------------------- */

#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1) /* bits 0-54 (Documentation/admin-guide/mm/pagemap) */

static void phys_no(struct sys_info *in, const char *why)
{
	in->phys_readable = false;
	snprintf(in->phys_reason, sizeof(in->phys_reason), "%s", why);
}

/* One pagemap entry for our own touched stack page; 0 or -errno. */
static int read_own_pagemap(uint64_t *entry)
{
	volatile uint64_t probe = 1; /* written, so its page is present */
	uintptr_t va = (uintptr_t)&probe;
	off_t off = (off_t)(va / (uintptr_t)sysconf(_SC_PAGESIZE) * sizeof(uint64_t));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, entry, sizeof(*entry), off);
	close(fd);
	if (n < 0)
		return -errno;
	return n == sizeof(*entry) && probe == 1 ? 0 : -EIO;
}

static void probe_phys(struct sys_info *in)
{
	uint64_t e = 0;
	int ret = read_own_pagemap(&e);

	if (ret != 0) {
		snprintf(in->phys_reason, sizeof(in->phys_reason),
			 "cannot read /proc/self/pagemap: %s", strerror(-ret));
	} else if (!(e & PM_PRESENT)) {
		phys_no(in, "a touched page reads as not present in /proc/self/pagemap");
	} else if ((e & PM_PFN_MASK) != 0) {
		in->phys_readable = true;
	} else if (!in->cap_sys_admin) {
		phys_no(in, "PFNs read as 0 without CAP_SYS_ADMIN (Linux 4.2+): run as root, "
			    "or use IOVA=VA through VFIO and an IOMMU");
	} else {
		phys_no(in, "PFNs read as 0 although CAP_SYS_ADMIN is held: a user namespace "
			    "or sandbox hides them; run in the initial namespace");
	}
}

/* ---- io_uring ------------------------------------------------------------------- */

static const char *uring_why(int err)
{
	switch (err) {
	case ENOSYS:
		return "the kernel has no io_uring (CONFIG_IO_URING) or a seccomp filter hides it";
	case EPERM:
		return "refused: kernel.io_uring_disabled or a container/seccomp policy forbids it";
	case ENOMEM:
		return "no memory for the rings: before 5.12 they count against RLIMIT_MEMLOCK; "
		       "raise ulimit -l";
	default:
		return NULL;
	}
}

static void probe_uring(struct sys_info *in)
{
	if (read_long("/proc/sys/kernel/io_uring_disabled", &in->uring_disabled) != 0)
		in->uring_disabled = -1;
#ifdef IOA_HAVE_URING
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, 0);
	const char *why = uring_why(-ret);

	in->uring_available = ret == 0;
	if (ret == 0)
		io_uring_queue_exit(&ring);
	else if (why)
		snprintf(in->uring_reason, sizeof(in->uring_reason), "%s", why);
	else
		snprintf(in->uring_reason, sizeof(in->uring_reason), "io_uring_setup: %s",
			 strerror(-ret));
#else
	(void)uring_why;
	snprintf(in->uring_reason, sizeof(in->uring_reason),
		 "ioalloc was built without liburing: install liburing-dev and rebuild");
#endif
}

/* ---- IOMMU and VFIO ------------------------------------------------------------- */

/* Entries of DIR other than . and .., counting only numeric names if DIGITS; -1 if none. */
static long count_entries(const char *dir, bool digits)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!digits || isdigit((unsigned char)e->d_name[0])))
			n++;
	closedir(d);
	return n;
}

static void probe_vfio(struct sys_info *in)
{
	char yn[8];
	long groups;

	in->iommu_groups = count_entries("/sys/kernel/iommu_groups", false);
	in->vfio_dir = access("/dev/vfio", F_OK) == 0;
	in->vfio_container = access("/dev/vfio/vfio", F_OK) == 0;
	groups = count_entries("/dev/vfio", true);
	in->vfio_groups = groups < 0 ? 0 : (int)groups;
	in->vfio_noiommu = -1;
	if (read_line("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode", yn,
		      sizeof(yn)) == 0)
		in->vfio_noiommu = yn[0] == 'Y' || yn[0] == '1';
}

/* ---- all of it ------------------------------------------------------------------ */

void sys_probe(struct sys_info *in)
{
	struct utsname u;

	*in = (struct sys_info){ .page_size = sysconf(_SC_PAGESIZE) };
	if (uname(&u) == 0)
		snprintf(in->kernel, sizeof(in->kernel), "%s", u.release);
	probe_hugepages(in);
	probe_mounts(in);
	probe_thp(in);
	probe_caps(in);
	probe_memlock(in);
	probe_phys(in);
	probe_uring(in);
	probe_vfio(in);
}

/* ---- a path --------------------------------------------------------------------- */

/* statfs(2) f_type values (linux/magic.h); ext2, ext3 and ext4 share 0xef53. */
static const struct {
	unsigned long magic;
	const char *name;
} fs_names[] = {
	{ 0xef53, "ext4" },          { 0x58465342, "xfs" },      { 0x9123683e, "btrfs" },
	{ 0x01021994, "tmpfs" },     { 0x794c7630, "overlay" },  { 0xf2f52010, "f2fs" },
	{ 0x2fc12fc1, "zfs" },       { 0xca451a4e, "bcachefs" }, { 0x6969, "nfs" },
	{ 0xff534d42, "cifs" },      { 0xfe534d42, "smb2" },     { 0x65735546, "fuse" },
	{ 0x958458f6, "hugetlbfs" }, { 0x858458f6, "ramfs" },    { 0x73717368, "squashfs" },
	{ 0x4d44, "vfat" },          { 0x2011bab0, "exfat" },    { 0x00c36400, "ceph" },
	{ 0x9fa0, "proc" },          { 0x62656572, "sysfs" },    { 0x1cd1, "devpts" },
};

static const char *fs_name(unsigned long magic)
{
	for (size_t i = 0; i < sizeof(fs_names) / sizeof(fs_names[0]); i++)
		if (fs_names[i].magic == magic)
			return fs_names[i].name;
	return NULL;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "directory";
	return S_ISBLK(mode) ? "block_device" : "other";
}

int sys_probe_path(struct sys_path *p, const char *path)
{
	struct statfs sf;
	struct stat st;

	*p = (struct sys_path){ .path = path, .dio.size = sizeof(p->dio) };
	if (stat(path, &st) != 0 || statfs(path, &sf) != 0)
		return -errno;
	p->kind = file_kind(st.st_mode);
	if (!S_ISBLK(st.st_mode)) { /* a device node's file system (devtmpfs) says nothing */
		p->fs_magic = (unsigned long)(uint32_t)sf.f_type;
		p->fs_type = fs_name(p->fs_magic);
	}
	p->dio_err = ioa_dio_align_path(path, &p->dio);
	return 0;
}

const char *sys_dio_source_name(int source)
{
	switch (source) {
	case IOA_DIO_SRC_STATX:  return "statx";
	case IOA_DIO_SRC_BLKDEV: return "blkdev";
	case IOA_DIO_SRC_SYSFS:  return "sysfs";
	default:                 return "none";
	}
}

const char *sys_dio_source_text(int source)
{
	switch (source) {
	case IOA_DIO_SRC_STATX:  return "the file system (statx STATX_DIOALIGN)";
	case IOA_DIO_SRC_BLKDEV: return "the block device (BLKSSZGET)";
	case IOA_DIO_SRC_SYSFS:  return "the device's queue/logical_block_size";
	default:                 return "nothing: the page size is assumed";
	}
}
