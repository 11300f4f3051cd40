#!/bin/sh
# `ioalloc info --json` is one valid JSON document with the keys documented in ioalloc(1).
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"
need_python

run info --json
[ "$rc" = 0 ] || fail "info --json exited $rc"
[ -z "$err" ] || fail "info --json wrote to stderr"
json_check \
	'set(d) >= {"version", "kernel", "page_size", "hugepages", "hugetlbfs_mounts",
	            "memlock", "cap_sys_admin", "thp", "physical_addresses", "io_uring",
	            "iommu", "vfio"}' \
	'"path" not in d' \
	'isinstance(d["page_size"], int) and d["page_size"] >= 4096' \
	'all(set(h) == {"page_size", "total", "free", "reserved", "surplus"}
	     for h in d["hugepages"])' \
	'all(set(m) == {"path", "page_size"} for m in d["hugetlbfs_mounts"])' \
	'set(d["memlock"]) >= {"soft", "hard", "cap_ipc_lock"}' \
	'd["memlock"]["soft"] is None or isinstance(d["memlock"]["soft"], int)' \
	'isinstance(d["cap_sys_admin"], bool)' \
	'set(d["thp"]) == {"enabled", "shmem"}' \
	'isinstance(d["physical_addresses"]["readable"], bool)' \
	'd["physical_addresses"]["readable"] or d["physical_addresses"]["reason"]' \
	'isinstance(d["io_uring"]["available"], bool)' \
	'd["io_uring"]["available"] or d["io_uring"]["reason"]' \
	'"disabled" in d["io_uring"]' \
	'isinstance(d["iommu"]["groups"], int)' \
	'set(d["vfio"]) == {"present", "container", "groups", "noiommu"}'
echo "ok: info --json"
