#!/bin/sh
# `make check`: build and test in three builds (plain, ASan+UBSan, TSan), rerun the
# plain suite unprivileged, then print one closing line from Meson's test logs.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

setup() { # DIR ARGS...
	d=$1; shift
	if [ ! -f "$d/build.ninja" ]; then
		meson setup "$d" -Dwerror=true "$@" >"$d.setup.log" 2>&1 || { cat "$d.setup.log"; return 1; }
	fi
	ninja -C "$d" -j "$JOBS" >"$d.build.log" 2>&1 || { tail -n 60 "$d.build.log"; return 1; }
}

status=0
rm -f build*/meson-logs/testlog*.json
setup build || status=1
setup build-asan -Db_sanitize=address,undefined -Dbench=false || status=1
setup build-tsan -Db_sanitize=thread -Dbench=false || status=1

# Each suite runs even when an earlier one failed; the summary reads them all.
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
[ -f build/build.ninja ] && { meson test -C build --print-errorlogs --num-processes "$JOBS" || status=1; }
[ -f build/build.ninja ] && { meson test -C build --setup unpriv --print-errorlogs --num-processes "$JOBS" || status=1; }
[ -f build-asan/build.ninja ] && { meson test -C build-asan --print-errorlogs --num-processes "$JOBS" || status=1; }
[ -f build-tsan/build.ninja ] && { meson test -C build-tsan --print-errorlogs --num-processes "$JOBS" || status=1; }

python3 scripts/test-summary.py build build-asan build-tsan || status=1
exit $status
