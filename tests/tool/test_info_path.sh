#!/bin/sh
# `ioalloc info [--json] PATH` describes PATH: file system and direct-I/O alignment.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"
need_python

pow2='lambda v: isinstance(v, int) and v > 0 and v & (v - 1) == 0'

run info --json .
[ "$rc" = 0 ] || fail "info --json . exited $rc"
json_check \
	'd["path"]["path"] == "."' 'd["path"]["kind"] == "directory"' \
	'set(d["path"]["dio"]) == {"supported", "mem_align", "offset_align", "source"}' \
	"($pow2)(d['path']['dio']['mem_align'])" \
	"($pow2)(d['path']['dio']['offset_align'])" \
	'd["path"]["dio"]["source"] in ("statx", "blkdev", "sysfs", "none")'

# A regular file, and a name that needs escaping: quote, backslash, newline, bad UTF-8.
odd=$(printf '%s/we"ird\\na\nme\377' "$TMP")
{ mkdir "$odd" && : >"$odd/f"; } || fail "cannot create $odd"
run info --json "$odd/f"
[ "$rc" = 0 ] || fail "info --json on an odd name exited $rc"
json_check 'd["path"]["kind"] == "file"' 'd["path"]["path"].endswith("/f")' \
	'"\n" in d["path"]["path"] and "\"" in d["path"]["path"]' \
	'"\ufffd" in d["path"]["path"]'

run info .
[ "$rc" = 0 ] || fail "info . exited $rc"
echo "$out" | grep -q '^  direct I/O: *\(yes\|no\)' || fail "no direct I/O line in: $out"
echo "ok: info PATH"
