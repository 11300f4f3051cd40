#!/bin/sh
# `ioalloc copy --phase-size`: reads of a phase, then its writes.  Byte-identical copies
# of awkward sizes (0, 1, block size - 1, block size, + 1, 100 MiB + 7, sizes that are
# no multiple of the phase) with phases of one block, a few blocks, a size that is no
# multiple of the block size, and larger than the file; --phase-size 0 (the pipeline)
# and auto; what --json and the summary say about it.  Files go to
# $IOALLOC_TEST_SCRATCH (the build tree: a real disk, set by meson), else $TMPDIR.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"
need_python
D=$(mktemp -d "${IOALLOC_TEST_SCRATCH:-$TMP}/copy-phase.XXXXXX") || fail "no scratch dir"
trap 'rm -rf "$TMP" "$D"' EXIT

# copy_ok SIZE [OPTIONS...]: a random file of SIZE bytes copies exactly.
copy_ok() {
	size=$1
	copy_exact "$D" "$@"
	json_check "d['bytes'] == $size" 'isinstance(d["phase_size"], int)'
}

# is_uring: did the last copy run on io_uring (phases need it; pread goes block by block)?
is_uring() {
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["engine"] != "io_uring")' \
		"$TMP/out"
}

mib=1048576
for size in 0 1 $((mib - 1)) $mib $((mib + 1)) $((3 * mib + 5)) $((100 * mib + 7)); do
	# One block a phase, three (a size no multiple of the phase), 3 MiB + 1 byte (rounded
	# up to 4 blocks), larger than the file.
	for phase in 1M 3M $((3 * mib + 1)) 1G; do
		copy_ok "$size" --phase-size $phase
		[ "$size" = 0 ] || ! is_uring || json_check 'd["phase_size"] > 0' \
			'd["phase_size"] % d["block_size"] == 0'
	done
done
# The last copy: 100 MiB + 7 in phases "of 1 GiB", i.e. of the whole file's 101 blocks.
is_uring && json_check 'd["phase_size"] == 101 * 1048576'

# Small blocks, a shallow queue, phases of 2 and 5 blocks: many turns of direction, the
# last phase short, the tail not a multiple of the block.
for size in 4095 4097 $((mib + 513)) $((5 * mib + 3)); do
	copy_ok "$size" --block-size 4K --queue-depth 3 --phase-size 8K
	copy_ok "$size" -b 4K -q 8 --phase-size 20K
done
# Blocks over the largest registrable buffer: plain SQEs, phases all the same.
copy_ok $((9 * mib + 3)) --block-size 2M --queue-depth 2 --phase-size 6M

# 0: the pipeline; auto (the default) either phases or not, and says which.
copy_ok $((7 * mib + 9)) --phase-size 0
json_check 'd["phase_size"] == 0'
copy_ok $((7 * mib + 9)) --phase-size auto
copy_ok $((7 * mib + 9))
head -c $((2 * mib + 1)) /dev/urandom >"$D/src"
run copy --verbose --phase-size 3M "$D/src" "$D/dst"
[ "$rc" = 0 ] || fail "--verbose --phase-size 3M: rc $rc"
cmp -s "$D/src" "$D/dst" || fail "--verbose --phase-size 3M: the copy differs"
echo "$err" | grep -q 'phases of 3 MiB' || fail "--verbose: no phases in: $err"
if echo "$out" | grep -q 'io_uring'; then
	echo "$out" | grep -q 'phases of 3 MiB in' || fail "summary: no phases in: $out"
fi
run copy --verbose --phase-size 0 "$D/src" "$D/dst"
echo "$err" | grep -q 'pipelined' || fail "--verbose --phase-size 0: no pipeline in: $err"

# Bad values: usage, exit 2, nothing created.
for args in "--phase-size x" "--phase-size -1" "--phase-size 5G" "--phase-size 1Q" \
	"--phase-size" "-b 512 --direct=never --phase-size 1G"; do
	# shellcheck disable=SC2086 # split on purpose
	run copy $args "$D/src" "$D/a"
	[ "$rc" = 2 ] || fail "copy $args: exit $rc, want 2"
	[ -z "$out" ] || fail "copy $args: wrote to stdout"
	echo "$err" | grep -q 'phase-size\|needs an argument' || fail "copy $args: message: $err"
	[ ! -e "$D/a" ] || fail "copy $args: created the destination"
done
echo "ok: copy phases"
