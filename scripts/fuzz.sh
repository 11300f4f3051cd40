#!/bin/sh
# `make fuzz SECONDS=N`: build the libFuzzer harnesses of tests/fuzz with clang-14
# (ASan + UBSan, coverage over the whole library) and run each for N seconds,
# one after the other, starting from its committed seeds (tests/fuzz/corpus/<h>/)
# plus what earlier runs found (BUILD/fuzz-corpus/<h>/). Prints the executions of
# each harness; a crash is saved as BUILD/fuzz-crashes/<h>-crash-* and fails the run.
# Reproduce one with: BUILD/tests/fuzz/fuzz_<h> BUILD/fuzz-crashes/<h>-crash-...
# Usage: scripts/fuzz.sh [SECONDS] [HARNESS...]   (env: BUILD_FUZZ, default build-fuzz)
set -u
cd "$(dirname "$0")/.."
SECS=${1:-60}
[ $# -gt 0 ] && shift
BUILD=${BUILD_FUZZ:-build-fuzz}
HARNESSES=${*:-$(sed -n "s/^fuzz_harnesses = \[\(.*\)\]/\1/p" tests/fuzz/meson.build | tr -d "',")}
CLANG=${CLANG:-clang-14}

command -v "$CLANG" >/dev/null 2>&1 || {
	echo "fuzz: $CLANG not found (scripts/pkgdep.sh installs clang-14 and libclang-rt-14-dev)" >&2
	exit 1
}
if [ ! -f "$BUILD/build.ninja" ]; then
	# Coverage instrumentation everywhere (fuzzer-no-link); the harnesses link
	# libFuzzer's main themselves, and the static library. Only those targets
	# are built: clang's ASan cannot link the shared library with -z defs.
	CC=$CLANG CFLAGS="-fsanitize=fuzzer-no-link" meson setup "$BUILD" -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbench=false \
		>"$BUILD.setup.log" 2>&1 || { cat "$BUILD.setup.log"; exit 1; }
fi
targets=""
for h in $HARNESSES; do targets="$targets tests/fuzz/fuzz_$h"; done
# shellcheck disable=SC2086 # one word per target
ninja -C "$BUILD" $targets >"$BUILD.build.log" 2>&1 || { tail -n 40 "$BUILD.build.log"; exit 1; }

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$BUILD/fuzz-crashes"
status=0
total=0
printf "%-16s %12s %10s %8s %8s\n" harness executions "exec/s" corpus crashes
for h in $HARNESSES; do
	work=$BUILD/fuzz-corpus/$h
	log=$BUILD/fuzz-$h.log
	mkdir -p "$work"
	before=$(ls "$BUILD/fuzz-crashes" | grep -c "^$h-" || true)
	"$BUILD/tests/fuzz/fuzz_$h" -max_total_time="$SECS" -print_final_stats=1 -timeout=30 \
		-rss_limit_mb=2048 -artifact_prefix="$BUILD/fuzz-crashes/$h-" \
		"$work" "tests/fuzz/corpus/$h" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	corpus=$(ls "$work" | wc -l)
	crashes=$(( $(ls "$BUILD/fuzz-crashes" | grep -c "^$h-" || true) - before ))
	printf "%-16s %12s %10s %8s %8s\n" "$h" "${execs:-?}" "${rate:-?}" "$corpus" "$crashes"
	total=$((total + ${execs:-0}))
	if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
		status=1
		echo "fuzz: $h failed (exit $rc); the end of $log:" >&2
		tail -n 30 "$log" >&2
	fi
done
echo "fuzz: $total executions in total, ${SECS}s per harness; logs in $BUILD/fuzz-*.log"
exit $status
