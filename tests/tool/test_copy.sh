#!/bin/sh
# `ioalloc copy`: byte-identical copies of awkward sizes (0, 1, block size - 1, block
# size, + 1, 100 MiB + 7) with O_DIRECT really used on a disk file system, odd block
# sizes, --direct=never, the --json summary, progress on stderr only when asked.
# Files go to $IOALLOC_TEST_SCRATCH (the build tree: a real disk, set by meson), else
# $TMPDIR.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"
need_python
D=$(mktemp -d "${IOALLOC_TEST_SCRATCH:-$TMP}/copy-test.XXXXXX") || fail "no scratch dir"
trap 'rm -rf "$TMP" "$D"' EXIT

# Does O_DIRECT work in $D? Then every copy there must use it.
run info --json "$D"
[ "$rc" = 0 ] || fail "info --json $D exited $rc"
dio=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"]["dio"]["supported"])' "$TMP/out")
fs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"]["fs_type"])' "$TMP/out")

# copy_ok SIZE [OPTIONS...]: a random file of SIZE bytes copies exactly, --json valid.
copy_ok() {
	size=$1
	copy_exact "$D" "$@"
	python3 -m json.tool "$TMP/out" >/dev/null || fail "--json output is not JSON: $out"
	json_check "d['bytes'] == $size" 'd["destination"].endswith("/dst")' \
		'set(d) >= {"source", "destination", "bytes", "seconds", "bytes_per_second",
		  "block_size", "queue_depth", "direct", "direct_read", "direct_write",
		  "dio_alignment", "preallocated", "engine", "fixed_buffers",
		  "registered_buffers", "notes"}' \
		'isinstance(d["seconds"], float) and d["seconds"] >= 0' \
		'isinstance(d["notes"], list)'
}

mib=1048576
for size in 0 1 $((mib - 1)) $mib $((mib + 1)) $((100 * mib + 7)); do
	copy_ok $size
	json_check 'd["block_size"] == 1048576' 'd["queue_depth"] == 16'
	if [ "$dio" = True ] && [ "$size" != 0 ]; then
		json_check 'd["direct"] and d["direct_read"] and d["direct_write"]' \
			'd["dio_alignment"] > 0' 'd["engine"] in ("io_uring", "pread")' \
			'isinstance(d["preallocated"], bool)'
	fi
done
[ "$dio" = True ] || echo "note: O_DIRECT not supported in $D ($fs): buffered copies only"

# Small and odd block sizes: 4 KiB requests, 3 in flight; 12 KiB (not a power of two);
# 2 MiB, over the largest registrable buffer, so plain SQEs for those.
for size in 4095 4096 4097 $((mib + 513)); do
	copy_ok $size --block-size 4K --queue-depth 3
	json_check 'd["block_size"] == 4096' 'd["queue_depth"] == 3'
done
copy_ok $((mib + 513)) -b 12K -q 5
copy_ok $((5 * mib + 3)) --block-size 2M --queue-depth 2
json_check 'd["block_size"] == 2097152'
if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["engine"] != "io_uring")' "$TMP/out"; then
	json_check 'd["registered_buffers"] < 2 and not d["fixed_buffers"]' \
		'any("fixed buffers" in n for n in d["notes"])'
fi

# Buffered on request.
copy_ok $((3 * mib + 11)) --direct=never
json_check 'not d["direct"] and not d["direct_read"] and not d["direct_write"]' \
	'd["dio_alignment"] is None'

# Without CAP_IPC_LOCK and with a 1 MiB RLIMIT_MEMLOCK, registering 16 MiB fails: plain
# SQEs, said in the notes, and still exact bytes (root only: it drops the capability).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v prlimit >/dev/null; then
	head -c $((4 * mib + 1)) /dev/urandom >"$D/src"
	prlimit --memlock=1048576:1048576 -- setpriv --inh-caps=-ipc_lock \
		--bounding-set=-ipc_lock -- "$TOOL" copy --json "$D/src" "$D/dst" \
		>"$TMP/out" 2>"$TMP/err" || fail "copy under a 1 MiB memlock limit failed"
	cmp "$D/src" "$D/dst" || fail "copy under a 1 MiB memlock limit differs"
	# (and the automatic phase, bounded by what may be locked, falls back to the pipeline)
	json_check 'not d["fixed_buffers"] and d["registered_buffers"] == 0' \
		'd["engine"] != "io_uring" or any("RLIMIT_MEMLOCK" in n for n in d["notes"])' \
		'd["phase_size"] == 0'
fi

# The human summary on stdout; no progress when stderr is not a terminal ...
head -c 300000 /dev/urandom >"$D/src"
run copy "$D/src" "$D/dst"
[ "$rc" = 0 ] || fail "copy exited $rc"
echo "$out" | grep -q '^copied .* (300000 bytes) in .* s: .*/s' || fail "no summary: $out"
# (The library's own warning that it could not mlock, under a low RLIMIT_MEMLOCK, aside.)
[ -z "$(echo "$err" | grep -v '^ioalloc: mlock of')" ] ||
	fail "stderr not empty without a terminal: $err"
# ... and with --progress=always: redrawn with CR + ESC[K, ending in a newline.
run copy --progress=always -b 4K "$D/src" "$D/dst"
[ "$rc" = 0 ] || fail "copy --progress=always exited $rc"
printf '%s' "$err" | grep -q "$(printf '\r\033\\[K')" || fail "no progress line: $err"
printf '%s' "$err" | grep -q '300000\|293.0 KiB / 293.0 KiB (100%)' || fail "no final progress: $err"
[ "$(tail -c 1 "$TMP/err" | od -An -c | tr -d ' ')" = '\n' ] || fail "progress: no final newline"
cmp "$D/src" "$D/dst" || fail "copy with progress differs"

# A new destination takes the source's permission bits.
chmod 640 "$D/src"
rm -f "$D/dst"
run copy "$D/src" "$D/dst"
[ "$(stat -c %a "$D/dst")" = 640 ] || fail "mode $(stat -c %a "$D/dst"), want 640"
# An existing, longer destination is truncated, then holds exactly the source.
head -c 5000000 /dev/urandom >"$D/dst"
run copy "$D/src" "$D/dst"
[ "$rc" = 0 ] && cmp "$D/src" "$D/dst" || fail "overwriting a longer file: rc $rc"
# DST a directory: copy into it under SRC's name.
mkdir "$D/dir"
run copy "$D/src" "$D/dir"
[ "$rc" = 0 ] && cmp "$D/src" "$D/dir/src" || fail "copy into a directory: rc $rc"
echo "ok: copy"
