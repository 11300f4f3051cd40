/* SPDX-License-Identifier: MIT */
/*
 * `ioalloc info [--json] [PATH]`: what this system offers for I/O and DMA buffers.
 *
 * Everything is probed first (sysprobe.c), then printed either as aligned "key: value"
 * sections for people, where every "no" says why and what to do, or as one JSON document
 * whose keys are listed in ioalloc(1) and stay stable.  PATH is checked before anything
 * is printed, so a bad PATH leaves stdout empty.
 */
#include "json.h"
#include "sysprobe.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ioalloc/ioalloc.h>

#define KEY_WIDTH 22 /* fits "transparent hugepages:" */

static void info_usage(FILE *f)
{
	fputs("Usage: ioalloc info [--json] [PATH]\n"
	      "\n"
	      "What this system offers for I/O and DMA buffers: page sizes, hugepages,\n"
	      "locked-memory limits, physical addresses, io_uring, IOMMU and VFIO.\n"
	      "With PATH (a file, directory or block device): its file system and the\n"
	      "alignment O_DIRECT needs there.\n"
	      "\n"
	      "Options:\n"
	      "  --json      one JSON document on stdout (keys in ioalloc(1))\n"
	      "  -h, --help  show this help\n", f);
}

/* ---- human-readable output ------------------------------------------------------ */

static void section(const char *title)
{
	printf("\n%s\n", title);
}

static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *key, const char *fmt, ...)
{
	char k[64];
	va_list ap;

	snprintf(k, sizeof(k), "%s:", key);
	printf("  %-*s ", KEY_WIDTH, k);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A continuation line under the value column: the why or the what-to-do of a "no". */
static void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hint(const char *fmt, ...)
{
	va_list ap;

	printf("  %*s ", KEY_WIDTH, "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *iec(uint64_t v)
{
	static char buf[4][32]; /* a few per printf call */
	static int next;

	next = (next + 1) % 4;
	return fmt_iec(v, buf[next], sizeof(buf[next]));
}

static void print_hugepage_size(const struct sys_hugepages *h)
{
	/* 128 MiB worth, at least one page: enough to try DMA pools, small enough to fit. */
	uint64_t n = h->page_size >= (128u << 20) ? 1 : (128u << 20) / h->page_size;
	char key[48];

	snprintf(key, sizeof(key), "hugepages %s", iec(h->page_size));
	kv(key, "total %ld, free %ld, reserved %ld, surplus %ld", h->total, h->free,
	   h->reserved, h->surplus);
	if (h->total == 0)
		hint("no %s hugepages reserved: as root, echo %llu > "
		     "/sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages", iec(h->page_size),
		     (unsigned long long)n, (unsigned long long)(h->page_size / 1024));
	else if (h->free == 0)
		hint("all in use: raise nr_hugepages to reserve more");
}

static void print_mounts(const struct sys_info *in)
{
	if (in->mnt_err) {
		kv("hugetlbfs mounts", "unknown: /proc/mounts: %s", strerror(-in->mnt_err));
		return;
	}
	if (in->n_mnt == 0) {
		kv("hugetlbfs mounts", "none (memfd_create(MFD_HUGETLB) needs none)");
		hint("to mount one, as root: mkdir -p /dev/hugepages && "
		     "mount -t hugetlbfs -o pagesize=2M none /dev/hugepages");
	}
	for (int i = 0; i < in->n_mnt; i++)
		kv(i ? "" : "hugetlbfs mounts", "%s (page size %s)", in->mnt[i].path,
		   iec(in->mnt[i].page_size));
}

static void print_thp(const struct sys_info *in)
{
	if (!in->thp_enabled[0]) {
		kv("transparent hugepages", "not available (kernel built without THP)");
		return;
	}
	kv("transparent hugepages", "%s", in->thp_enabled);
	if (strcmp(in->thp_enabled, "never") == 0)
		hint("off: as root, echo madvise > /sys/kernel/mm/transparent_hugepage/enabled");
	if (in->thp_shmem[0])
		kv("THP for shmem/memfd", "%s", in->thp_shmem);
	if (strcmp(in->thp_shmem, "never") == 0 || strcmp(in->thp_shmem, "deny") == 0)
		hint("memfd buffers get 4 KiB pages: as root, echo advise > "
		     "/sys/kernel/mm/transparent_hugepage/shmem_enabled");
}

static void print_pages(const struct sys_info *in)
{
	section("Pages");
	kv("base page size", "%s", iec((uint64_t)in->page_size));
	if (in->hp_err)
		kv("hugepages", "none: /sys/kernel/mm/hugepages: %s (kernel without HUGETLBFS?)",
		   strerror(-in->hp_err));
	for (int i = 0; i < in->n_hp; i++)
		print_hugepage_size(&in->hp[i]);
	print_mounts(in);
	print_thp(in);
}

static const char *limit(rlim_t v)
{
	return v == RLIM_INFINITY ? "unlimited" : iec((uint64_t)v);
}

static void print_locking(const struct sys_info *in)
{
	section("Locked memory");
	if (in->memlock_err)
		kv("RLIMIT_MEMLOCK", "unknown: %s", strerror(-in->memlock_err));
	else
		kv("RLIMIT_MEMLOCK", "%s soft, %s hard", limit(in->memlock.rlim_cur),
		   limit(in->memlock.rlim_max));
	if (in->caps_err)
		kv("capabilities", "unknown: no CapEff in /proc/self/status");
	kv("CAP_IPC_LOCK", "%s", in->cap_ipc_lock ? "yes (RLIMIT_MEMLOCK does not apply)" : "no");
	if (!in->cap_ipc_lock)
		hint("mlock and io_uring buffer registration stop at RLIMIT_MEMLOCK: raise it "
		     "(ulimit -l, limits.conf memlock) or grant cap_ipc_lock");
	kv("CAP_SYS_ADMIN", "%s", in->cap_sys_admin ? "yes" : "no");
	if (!in->cap_sys_admin)
		hint("needed to read physical addresses from /proc/self/pagemap");
}

static void print_phys(const struct sys_info *in)
{
	section("Physical addresses");
	kv("readable", "%s", in->phys_readable ? "yes (pagemap shows PFNs)" : "no");
	if (!in->phys_readable)
		hint("%s", in->phys_reason);
}

static void print_uring(const struct sys_info *in)
{
	static const char *const disabled[] = {
		"0 (any process may create rings)",
		"1 (only kernel.io_uring_group members and CAP_SYS_ADMIN)",
		"2 (disabled for all: as root, sysctl kernel.io_uring_disabled=0)",
	};

	section("io_uring");
	kv("available", "%s", in->uring_available ? "yes" : "no");
	if (!in->uring_available)
		hint("%s", in->uring_reason);
	if (in->uring_disabled >= 0 && in->uring_disabled <= 2)
		kv("io_uring_disabled", "%s", disabled[in->uring_disabled]);
	else if (in->uring_disabled > 2)
		kv("io_uring_disabled", "%ld", in->uring_disabled);
}

static void print_iommu(const struct sys_info *in)
{
	section("IOMMU and VFIO");
	kv("IOMMU groups", "%ld", in->iommu_groups < 0 ? 0 : in->iommu_groups);
	if (in->iommu_groups <= 0)
		hint("no IOMMU in use: enable VT-d/AMD-Vi in the firmware and boot with "
		     "intel_iommu=on (or amd_iommu=on) iommu=pt");
	kv("/dev/vfio", "%s", in->vfio_dir ? "present" : "absent");
	if (!in->vfio_dir)
		hint("VFIO not loaded: as root, modprobe vfio-pci");
	else
		kv("VFIO container", "%s, %d group(s)", in->vfio_container ? "/dev/vfio/vfio" :
		   "absent", in->vfio_groups);
	kv("VFIO no-IOMMU mode", "%s", in->vfio_noiommu < 0 ? "unknown (vfio not loaded)" :
	   in->vfio_noiommu ? "enabled (unsafe)" : "disabled");
}

static void print_path(const struct sys_path *p)
{
	const struct ioa_dio_align *d = &p->dio;

	section("Path");
	kv("path", "%s (%s)", p->path,
	   strcmp(p->kind, "block_device") == 0 ? "block device" : p->kind);
	if (p->fs_magic)
		kv("file system", "%s (magic 0x%lx)", p->fs_type ? p->fs_type : "unknown",
		   p->fs_magic);
	if (p->dio_err) {
		kv("direct I/O", "unknown: %s", strerror(-p->dio_err));
		return;
	}
	kv("direct I/O", "%s", d->supported ? "yes" : "no");
	if (!d->supported && strcmp(p->kind, "other") == 0)
		hint("only files, directories and block devices take O_DIRECT");
	else if (!d->supported)
		hint("the file system refuses O_DIRECT here: use buffered I/O or another file system");
	kv("buffer alignment", "%s", iec(d->mem_align));
	kv("offset/length align", "%s", iec(d->offset_align));
	kv("reported by", "%s", sys_dio_source_text(d->source));
}

static void print_human(const struct sys_info *in, const struct sys_path *p)
{
	printf("ioalloc %s on Linux %s\n", ioa_version(), in->kernel);
	print_pages(in);
	print_locking(in);
	print_phys(in);
	print_uring(in);
	print_iommu(in);
	if (p)
		print_path(p);
}

/* ---- JSON output ---------------------------------------------------------------- */

static void json_err(struct json *j, int err)
{
	json_kstr(j, "error", strerror(-err));
}

static void json_hugepages(struct json *j, const struct sys_info *in)
{
	json_karr_begin(j, "hugepages");
	for (int i = 0; i < in->n_hp; i++) {
		const struct sys_hugepages *h = &in->hp[i];

		json_obj_begin(j);
		json_kuint(j, "page_size", h->page_size);
		json_kint(j, "total", h->total);
		json_kint(j, "free", h->free);
		json_kint(j, "reserved", h->reserved);
		json_kint(j, "surplus", h->surplus);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (in->hp_err)
		json_kstr(j, "hugepages_error", strerror(-in->hp_err));
}

static void json_mounts(struct json *j, const struct sys_info *in)
{
	json_karr_begin(j, "hugetlbfs_mounts");
	for (int i = 0; i < in->n_mnt; i++) {
		json_obj_begin(j);
		json_kstr(j, "path", in->mnt[i].path);
		json_kuint(j, "page_size", in->mnt[i].page_size);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (in->mnt_err)
		json_kstr(j, "hugetlbfs_mounts_error", strerror(-in->mnt_err));
}

static void json_limit(struct json *j, const char *key, rlim_t v)
{
	if (v == RLIM_INFINITY)
		json_knull(j, key);
	else
		json_kuint(j, key, (uint64_t)v);
}

static void json_locking(struct json *j, const struct sys_info *in)
{
	json_kobj_begin(j, "memlock");
	if (in->memlock_err) {
		json_err(j, in->memlock_err);
	} else {
		json_limit(j, "soft", in->memlock.rlim_cur);
		json_limit(j, "hard", in->memlock.rlim_max);
	}
	json_kbool(j, "cap_ipc_lock", in->cap_ipc_lock);
	json_obj_end(j);
	json_kbool(j, "cap_sys_admin", in->cap_sys_admin);
	if (in->caps_err)
		json_kstr(j, "capabilities_error", "no CapEff in /proc/self/status");
}

static void json_reasoned(struct json *j, const char *key, const char *flag, bool yes,
			  const char *reason)
{
	json_kobj_begin(j, key);
	json_kbool(j, flag, yes);
	json_kstr(j, "reason", yes ? NULL : reason);
}

static void json_misc(struct json *j, const struct sys_info *in)
{
	json_kobj_begin(j, "thp");
	json_kstr(j, "enabled", in->thp_enabled[0] ? in->thp_enabled : NULL);
	json_kstr(j, "shmem", in->thp_shmem[0] ? in->thp_shmem : NULL);
	json_obj_end(j);
	json_reasoned(j, "physical_addresses", "readable", in->phys_readable, in->phys_reason);
	json_obj_end(j);
	json_reasoned(j, "io_uring", "available", in->uring_available, in->uring_reason);
	if (in->uring_disabled >= 0)
		json_kint(j, "disabled", in->uring_disabled);
	else
		json_knull(j, "disabled");
	json_obj_end(j);
}

static void json_vfio(struct json *j, const struct sys_info *in)
{
	json_kobj_begin(j, "iommu");
	json_kint(j, "groups", in->iommu_groups < 0 ? 0 : in->iommu_groups);
	json_obj_end(j);
	json_kobj_begin(j, "vfio");
	json_kbool(j, "present", in->vfio_dir);
	json_kbool(j, "container", in->vfio_container);
	json_kint(j, "groups", in->vfio_groups);
	if (in->vfio_noiommu < 0)
		json_knull(j, "noiommu");
	else
		json_kbool(j, "noiommu", in->vfio_noiommu);
	json_obj_end(j);
}

static void json_path(struct json *j, const struct sys_path *p)
{
	json_kobj_begin(j, "path");
	json_kstr(j, "path", p->path);
	json_kstr(j, "kind", p->kind);
	json_kstr(j, "fs_type", p->fs_type);
	if (p->fs_magic)
		json_kuint(j, "fs_magic", p->fs_magic);
	else
		json_knull(j, "fs_magic");
	json_kobj_begin(j, "dio");
	if (p->dio_err) {
		json_err(j, p->dio_err);
	} else {
		json_kbool(j, "supported", p->dio.supported);
		json_kuint(j, "mem_align", p->dio.mem_align);
		json_kuint(j, "offset_align", p->dio.offset_align);
		json_kstr(j, "source", sys_dio_source_name(p->dio.source));
	}
	json_obj_end(j);
	json_obj_end(j);
}

static void print_json(const struct sys_info *in, const struct sys_path *p)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kstr(&j, "version", ioa_version());
	json_kstr(&j, "kernel", in->kernel);
	json_kint(&j, "page_size", in->page_size);
	json_hugepages(&j, in);
	json_mounts(&j, in);
	json_locking(&j, in);
	json_misc(&j, in);
	json_vfio(&j, in);
	if (p)
		json_path(&j, p);
	json_obj_end(&j);
	json_finish(&j);
}

/* ---- the command ---------------------------------------------------------------- */

struct info_opts {
	bool json;
	const char *path;
};

/* EXIT_OK to run, else the exit status (help printed, or a usage error reported). */
static int parse_opts(int argc, char **argv, struct info_opts *o, bool *done)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'j') {
			o->json = true;
		} else if (c == 'h') {
			info_usage(stdout);
			*done = true;
			return EXIT_OK;
		} else {
			tool_error("info", "unknown option '%s'", argv[optind - 1]);
			info_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		tool_error("info", "at most one PATH, got %d", argc - optind);
		info_usage(stderr);
		return EXIT_USAGE;
	}
	o->path = argc > optind ? argv[optind] : NULL;
	return EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
	static struct sys_info in; /* ~70 KiB of mount paths: not on the stack */
	struct sys_path path;
	struct info_opts o = { 0 };
	bool done = false;
	int ret = parse_opts(argc, argv, &o, &done);

	if (ret != EXIT_OK || done)
		return ret;
	if (o.path && (ret = sys_probe_path(&path, o.path)) != 0) {
		tool_error("info", "%s: %s", o.path, strerror(-ret));
		return EXIT_ERROR;
	}
	sys_probe(&in);
	if (o.json)
		print_json(&in, o.path ? &path : NULL);
	else
		print_human(&in, o.path ? &path : NULL);
	return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_ERROR;
}
