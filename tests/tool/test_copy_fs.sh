#!/bin/sh
# `ioalloc copy` where the file system matters (needs root to mount; skips otherwise):
#   - ramfs refuses O_DIRECT: a clear message and a buffered copy, or with
#     --direct=require an error and no destination;
#   - tmpfs (/dev/shm): a correct copy, O_DIRECT where this kernel takes it (6.6+);
#   - a full file system exits 1 naming the destination, which is removed, the source
#     untouched: a 4 MiB tmpfs refuses the preallocation (fallocate) up front; a 16 MiB
#     ext2 on a loop device (no fallocate there) fails a write mid-copy.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"
need_python
M=$TMP/mnt
mkdir "$M" || fail "mkdir $M"
trap 'umount "$M" 2>/dev/null; rm -rf "$TMP"' EXIT

if ! mount -t ramfs ioalloc-test "$M" 2>/dev/null; then
	echo "SKIP: cannot mount a ramfs or tmpfs here (needs root with CAP_SYS_ADMIN)"
	exit 77
fi
head -c $((3 * 1048576 + 5)) /dev/urandom >"$TMP/src" || fail "cannot write $TMP/src"
cp "$TMP/src" "$TMP/orig"

# ramfs: the fallback, said on stderr and in the JSON notes.
run copy --json "$TMP/src" "$M/dst"
[ "$rc" = 0 ] || fail "copy to ramfs exited $rc"
cmp -s "$TMP/src" "$M/dst" || fail "copy to ramfs differs"
echo "$err" | grep -q "^ioalloc copy: $M/dst: the file system (ramfs) refuses O_DIRECT; writing it through the page cache" ||
	fail "copy to ramfs: no fallback message: $err"
json_check 'not d["direct"] and not d["direct_write"]' \
	'any("refuses O_DIRECT" in n for n in d["notes"])'
# ... and from ramfs.
run copy "$M/dst" "$TMP/back"
[ "$rc" = 0 ] && cmp -s "$TMP/src" "$TMP/back" || fail "copy from ramfs: rc $rc"
echo "$err" | grep -q "refuses O_DIRECT; reading it through the page cache" ||
	fail "copy from ramfs: no fallback message: $err"
# --direct=require: an error, nothing left behind.
run copy --direct=require "$TMP/src" "$M/req"
[ "$rc" = 1 ] || fail "--direct=require on ramfs exited $rc, want 1"
echo "$err" | grep -q "ioalloc copy: $M/req: the file system (ramfs) refuses O_DIRECT" ||
	fail "--direct=require on ramfs: message: $err"
[ ! -e "$M/req" ] || fail "--direct=require on ramfs left $M/req"
[ -z "$out" ] || fail "--direct=require on ramfs wrote to stdout"
umount "$M" || fail "umount ramfs"

# tmpfs in /dev/shm: O_DIRECT or the fallback message, exact bytes either way.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	shm=$(mktemp /dev/shm/ioalloc-copy.XXXXXX) || fail "mktemp in /dev/shm"
	run copy --json "$TMP/src" "$shm"
	[ "$rc" = 0 ] && cmp -s "$TMP/src" "$shm" || { rm -f "$shm"; fail "copy to /dev/shm: rc $rc"; }
	rm -f "$shm"
	if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["direct_write"])' "$TMP/out"; then
		echo "$err" | grep -q "(tmpfs) refuses O_DIRECT" || fail "tmpfs fallback: no message: $err"
	fi
fi

# full HOW: copy 24 MiB + 3 to $M/full, with and without O_DIRECT: ENOSPC, exit 1,
# nothing left, the source untouched.  HOW: the failed call named in the message.
full() {
	for mode in auto never; do
		run copy --direct=$mode "$TMP/big" "$M/full"
		[ "$rc" = 1 ] || fail "ENOSPC, $1 ($mode): exit $rc, want 1"
		echo "$err" | grep -q "^ioalloc copy: $M/full: $1 failed: No space left on device" ||
			fail "ENOSPC, $1 ($mode): message: $err"
		echo "$err" | grep -q "$M/full: incomplete copy removed" || fail "ENOSPC ($mode): $err"
		[ ! -e "$M/full" ] || fail "ENOSPC, $1 ($mode): the partial destination is still there"
		[ -z "$out" ] || fail "ENOSPC, $1 ($mode): wrote to stdout: $out"
		cmp -s "$TMP/big" "$TMP/big.orig" || fail "ENOSPC, $1 ($mode): the source changed"
	done
}
head -c $((24 * 1048576 + 3)) /dev/urandom >"$TMP/big" || fail "cannot write $TMP/big"
cp "$TMP/big" "$TMP/big.orig"

# A 4 MiB tmpfs: fallocate says ENOSPC before anything is written.
mount -t tmpfs -o size=4m ioalloc-test "$M" || fail "mount tmpfs size=4m"
full fallocate
umount "$M" || fail "umount tmpfs"

# A 16 MiB ext2 (no fallocate, and O_DIRECT works): a write fails mid-copy.
if command -v mkfs.ext2 >/dev/null && truncate -s 16M "$TMP/ext2.img" &&
	mkfs.ext2 -q -F "$TMP/ext2.img" && mount -o loop "$TMP/ext2.img" "$M" 2>/dev/null; then
	full write
	umount "$M" || fail "umount ext2"
else
	echo "note: no ext2 on a loop device here (mkfs.ext2 or loop devices missing): the "
	echo "      mid-copy ENOSPC case was not run"
fi
cmp -s "$TMP/src" "$TMP/orig" || fail "the source changed"
echo "ok: copy on ramfs, tmpfs and a full file system"
