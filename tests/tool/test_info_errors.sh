#!/bin/sh
# Bad input: a missing PATH exits 1 naming it; an unknown option or too many PATHs exit 2
# with usage on stderr; stdout stays empty.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"

missing=/nonexistent/ioalloc-test-path
run info --json "$missing"
[ "$rc" = 1 ] || fail "missing PATH exited $rc, want 1"
[ -z "$out" ] || fail "missing PATH wrote to stdout: $out"
[ "$err" = "ioalloc info: $missing: No such file or directory" ] ||
	fail "missing PATH message: $err"

for args in "--bogus" "-x" "--json --bogus" ". ."; do
	# shellcheck disable=SC2086 # split on purpose
	run info $args
	[ "$rc" = 2 ] || fail "info $args exited $rc, want 2"
	[ -z "$out" ] || fail "info $args wrote to stdout"
	echo "$err" | grep -q '^Usage: ioalloc info' || fail "info $args: no usage on stderr"
done

run info --help
[ "$rc" = 0 ] || fail "info --help exited $rc"
echo "$out" | grep -q '^Usage: ioalloc info' || fail "info --help: no usage on stdout"
echo "ok: info errors"
