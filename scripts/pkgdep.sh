#!/bin/sh
# Install every Debian package that ioalloc's build, tests and benchmarks need.
# Idempotent: installs only what is missing. Not root: prints the apt-get line.
# Usage: scripts/pkgdep.sh [--print]   (--print: only say what is missing)
set -eu

PKGS="meson ninja-build pkgconf gcc libc6-dev make python3
libcmocka-dev liburing-dev valgrind util-linux libcap2-bin
clang-14 libclang-rt-14-dev
libdpdk-dev libmimalloc-dev libjemalloc-dev
fio gnuplot-nox jq strace coreutils"

missing=""
for p in $PKGS; do
	# dpkg-query prints "install ok installed" for a package that is present.
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--print" ]; then
	echo "missing:$missing"
	exit 1
fi

if [ "$(id -u)" != 0 ]; then
	echo "pkgdep: these packages are missing:$missing" >&2
	echo "pkgdep: install them as root with:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

echo "pkgdep: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
