#!/bin/sh
# The frame: --help and --version exit 0 on stdout; no subcommand, an unknown subcommand
# or an unknown global option exit 2 with usage on stderr.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"

run --help
[ "$rc" = 0 ] || fail "--help exited $rc"
echo "$out" | grep -q '^Usage: ioalloc <subcommand>' || fail "--help: no usage on stdout"
echo "$out" | grep -q '^  info ' || fail "--help does not list info"

run --version
[ "$rc" = 0 ] || fail "--version exited $rc"
echo "$out" | grep -Eq '^ioalloc [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version printed: $out"

for args in "" "frobnicate" "--frobnicate" "-z"; do
	# shellcheck disable=SC2086 # split on purpose
	run $args
	[ "$rc" = 2 ] || fail "'ioalloc $args' exited $rc, want 2"
	[ -z "$out" ] || fail "'ioalloc $args' wrote to stdout"
	echo "$err" | grep -q '^Usage: ioalloc <subcommand>' ||
		fail "'ioalloc $args': no usage on stderr"
done
run frobnicate
echo "$err" | grep -q "unknown subcommand 'frobnicate'" || fail "unknown subcommand not named"
echo "ok: usage"
