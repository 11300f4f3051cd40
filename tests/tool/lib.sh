# shellcheck shell=sh
# Shared by the tool tests: sourced with the tool's path as $1.
# fail MSG: print and exit 1.  run ARGS...: run the tool, capturing $out, $err and $rc.
# IOALLOC_TOOL_WRAPPER, if set, prefixes the tool (e.g. "valgrind --error-exitcode=99 -q"):
# meson's valgrind setup would check the shell, which leaks, rather than the tool.
TOOL=${1:?usage: $0 path/to/ioalloc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ioalloc-test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -s "$TMP/err" ] && { echo "--- stderr:" >&2; cat "$TMP/err" >&2; }
	exit 1
}

# shellcheck disable=SC2034 # rc, out and err are read by the sourcing script
run() {
	# shellcheck disable=SC2086 # the wrapper is a command line
	${IOALLOC_TOOL_WRAPPER:-} "$TOOL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

need_python() {
	command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
}

# json_check PYTHON-EXPR...: each expression, with d the parsed stdout, must be true.
json_check() {
	python3 - "$TMP/out" "$@" <<'PY' || fail "JSON check failed"
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr)
PY
}

# copy_exact DIR SIZE [OPTIONS...]: a random file of SIZE bytes, DIR/src, copies
# to DIR/dst with `ioalloc copy --json OPTIONS`, exit 0 and byte for byte; the
# JSON is left in $TMP/out for the caller's json_check.
copy_exact() {
	dir=$1
	size=$2
	shift 2
	head -c "$size" /dev/urandom >"$dir/src" || fail "cannot write $dir/src"
	rm -f "$dir/dst"
	run copy --json "$@" "$dir/src" "$dir/dst"
	[ "$rc" = 0 ] || fail "copy of $size bytes ($*) exited $rc"
	cmp "$dir/src" "$dir/dst" || fail "copy of $size bytes ($*) differs"
}
