#!/bin/sh
# `make stress SECONDS=N`: the long stress run (tests/stress/stress.c). Phases:
#   plain       4 threads for N seconds, seed 1
#   debug       the same in debug mode (guard pages, quarantined handles), seed 2
#   fault SITE  N/4 seconds each (at least 1) with IOALLOC_FAULT=SITE:every=K,
#               for every platform call site that the services reach; pagemap only
#               where a phys domain can be made (root and 32 free 2 MiB hugepages)
# Each phase prints the program's summary line (operations, content mismatches,
# leaks, faults injected); the run fails if any phase does.
# Usage: scripts/stress.sh [SECONDS] [BUILD]   (defaults 60, build)
set -u
cd "$(dirname "$0")/.."
SECS=${1:-60}
BUILD=${2:-${BUILD:-build}}
EXE=$BUILD/tests/stress/stress

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" -Dwerror=true >/dev/null || exit 1
ninja -C "$BUILD" tests/stress/stress >/dev/null || exit 1

status=0
phase() { # NAME ENV-ASSIGNMENT-OR-EMPTY ARGS...
	name=$1 env=$2
	shift 2
	printf "%-16s " "$name"
	if [ -n "$env" ]; then
		out=$(env "$env" "$EXE" "$@" 2>"$BUILD/stress-$name.log")
	else
		out=$("$EXE" "$@" 2>"$BUILD/stress-$name.log")
	fi
	rc=$?
	echo "${out:-no summary (exit $rc)}"
	if [ "$rc" != 0 ]; then
		status=1
		tail -n 20 "$BUILD/stress-$name.log" >&2
	fi
}

quarter=$((SECS / 4))
[ "$quarter" -ge 1 ] || quarter=1
phase plain "" --threads 4 --seconds "$SECS" --seed 1
phase debug "" --threads 4 --seconds "$SECS" --seed 2 --debug
for f in memfd:every=3 ftruncate:every=3 mmap:every=20 mlock:every=5 all:every=50; do
	phase "fault-${f%%:*}" "IOALLOC_FAULT=$f:seed=7" --threads 4 --seconds "$quarter" --seed 3
done
free2m=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$(id -u)" = 0 ] && [ "$free2m" -ge 32 ]; then
	phase fault-pagemap "IOALLOC_FAULT=pagemap:every=2:seed=7" --threads 4 \
		--seconds "$quarter" --seed 4 --domain backend=phys,pagesize=2M,size=64M
else
	echo "fault-pagemap    skipped: needs root and 32 free 2 MiB hugepages for a phys domain"
fi
[ "$status" = 0 ] && echo "stress: every phase passed" || echo "stress: FAILED (logs: $BUILD/stress-*.log)"
exit $status
