#!/bin/sh
# `make run`: the tool's main job on this machine: what it offers (ioalloc info), then a
# 1 GiB file copied with O_DIRECT through io_uring (ioalloc copy) and its throughput.
# The file is random data written once into the build directory (a real disk, unlike a
# tmpfs /tmp); both copies are removed at the end, also on ^C.
set -eu
B=${1:-build}
T="$B/tools/ioalloc/ioalloc"
SIZE_MIB=1024

echo "== ioalloc info"
"$T" info .

echo
echo "== ioalloc copy: $SIZE_MIB MiB"
D="$B/run-copy"
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
avail_kib=$(df -Pk "$D" | awk 'NR == 2 { print $4 }')
if [ "$avail_kib" -lt $((2 * SIZE_MIB * 1024 + 65536)) ]; then
	echo "skipped: $D has $((avail_kib / 1024)) MiB free, the copy needs $((2 * SIZE_MIB + 64))"
	exit 0
fi
echo "file system of $D: $(findmnt -n -o FSTYPE -T "$D" 2>/dev/null || stat -f -c %T "$D")"
echo "writing $D/src: $SIZE_MIB MiB from /dev/urandom ..."
dd if=/dev/urandom of="$D/src" bs=1M count=$SIZE_MIB status=none
sync "$D/src" 2>/dev/null || sync
# Read the source from the disk, not from the page cache: drop its cached pages
# (posix_fadvise DONTNEED on this one file; no root needed, nothing else evicted).
dd if="$D/src" iflag=nocache count=0 status=none 2>/dev/null || true
"$T" copy --verbose "$D/src" "$D/dst"
if cmp -s "$D/src" "$D/dst"; then
	echo "verified: $D/dst is byte-identical to $D/src"
else
	echo "ERROR: $D/dst differs from $D/src" >&2
	exit 1
fi
