#!/bin/sh
# `ioalloc copy` interrupted: SIGINT while copying exits 130, SIGTERM 143; the partial
# destination is removed and the source untouched.  The source is a sparse 1 GiB file
# (no disk space) copied in 4 KiB blocks one at a time, so the copy is still running
# when the signal comes: once the progress line shows bytes copied; pipelined, and in
# phases of 16 blocks.  Files go to $IOALLOC_TEST_SCRATCH (set by meson), else $TMPDIR.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"
D=$(mktemp -d "${IOALLOC_TEST_SCRATCH:-$TMP}/copy-sigint.XXXXXX") || fail "no scratch dir"
trap 'rm -rf "$TMP" "$D"' EXIT

# A script's background jobs start with SIGINT ignored, and copy keeps it ignored (as
# dd does); env --default-signal (coreutils 8.31+) gives the job the default back.
env --default-signal=INT true 2>/dev/null ||
	{ echo "SKIP: env --default-signal not supported (coreutils < 8.31)"; exit 77; }
truncate -s 1G "$D/src" || fail "cannot create a sparse file in $D"

# interrupt SIGNAL STATUS PHASE: --phase-size PHASE (0: the pipeline)
interrupt() {
	rm -f "$D/dst"
	# Empty the log first: the job truncates it only once it runs, and until then the
	# wait below would find the previous copy's progress and signal too early.
	: >"$TMP/err"
	# shellcheck disable=SC2086 # the wrapper is a command line
	env --default-signal=INT ${IOALLOC_TOOL_WRAPPER:-} "$TOOL" copy --block-size 4K \
		--queue-depth 1 --phase-size "$3" --progress=always "$D/src" "$D/dst" \
		>"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# Wait (up to 10 s) until it has copied something: "12.0 MiB / 1 GiB (1%)".
	i=0
	while ! grep -q '[KMG]iB / 1 GiB' "$TMP/err" && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ $i -lt 200 ] || { kill -KILL $pid; fail "$1: the copy did not start within 10 s"; }
	kill -"$1" $pid
	wait $pid
	rc=$?
	err=$(cat "$TMP/err")
	[ "$rc" = "$2" ] || fail "$1: exit $rc, want $2"
	echo "$err" | grep -q "^ioalloc copy: interrupted by SIG$1 after .* of 1 GiB" ||
		fail "$1: message: $err"
	echo "$err" | grep -q "$D/dst: incomplete copy removed" || fail "$1: $err"
	[ ! -e "$D/dst" ] || fail "$1: the partial destination is still there"
	[ ! -s "$TMP/out" ] || fail "$1: wrote to stdout"
	[ "$(stat -c %s "$D/src")" = 1073741824 ] || fail "$1: the source changed"
}

interrupt INT 130 0
interrupt TERM 143 0
interrupt INT 130 64K
interrupt TERM 143 64K
echo "ok: copy interrupted"
