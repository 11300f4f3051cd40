#!/bin/sh
# `make run`: the tool's main job on this machine.
set -eu
B=${1:-build}
T="$B/tools/ioalloc/ioalloc"
echo "== ioalloc info"
"$T" info .
