#!/bin/sh
# One man page per public function (STYLE.md 16): every IOA_API function declared in
# include/ioalloc/*.h and include/ioalloc/win/*.h has docs/man/<name>.3, which names the
# function itself or is a '.so man3/<page>.3' link to a page that does; every page in
# docs/man/ is listed in docs/man/meson.build (so it installs), and every listed page
# exists; every page that is not a link renders without groff warnings.
# Usage: test_manpages.sh SOURCE_ROOT
SRC=${1:?usage: $0 path/to/source/root}
MAN=$SRC/docs/man
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ioalloc-manpages.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
bad=0

fail() {
	echo "FAIL: $*" >&2
	bad=1
}

# The name of each IOA_API function: the identifier just before the first '(' of an
# 'IOA_API ...' declaration, which may span lines. '#define IOA_API' and comments do
# not start with IOA_API, so they are not declarations.
headers=$(ls "$SRC"/include/ioalloc/*.h "$SRC"/include/ioalloc/win/*.h 2>/dev/null)
[ -n "$headers" ] || { echo "FAIL: no headers under $SRC/include/ioalloc" >&2; exit 1; }
# shellcheck disable=SC2086 # one word per header path (no spaces in the tree)
awk '
/^[ \t]*IOA_API([ \t]|$)/ { decl = ""; on = 1 }
on {
	decl = decl " " $0
	p = index(decl, "(")
	if (p) {
		head = substr(decl, 1, p - 1)
		sub(/[ \t]+$/, "", head)
		n = split(head, w, /[^A-Za-z0-9_]+/)
		print w[n] "\t" FILENAME
		on = 0
	}
}' $headers | sort -u >"$TMP/functions"
nfunc=$(wc -l <"$TMP/functions")
[ "$nfunc" -gt 0 ] || { echo "FAIL: no IOA_API functions found" >&2; exit 1; }

# The page a page stands for: itself, or the target of its '.so man3/X.3' line.
resolve() {
	target=$(sed -n 's|^\.so[ \t][ \t]*man3/\([^ \t]*\)[ \t]*$|\1|p' "$1" | head -n 1)
	if [ -n "$target" ]; then echo "$MAN/$target"; else echo "$1"; fi
}

missing=""
while IFS="	" read -r fn header; do
	page=$MAN/$fn.3
	if [ ! -f "$page" ]; then
		missing="$missing $fn"
		fail "$fn (${header#"$SRC"/}) has no man page docs/man/$fn.3"
		continue
	fi
	real=$(resolve "$page")
	if [ ! -f "$real" ]; then
		fail "docs/man/$fn.3 links to ${real#"$MAN"/}, which does not exist"
	elif ! grep -qw -- "$fn" "$real"; then
		fail "docs/man/$fn.3 (${real#"$MAN"/}) does not mention $fn"
	fi
done <"$TMP/functions"

# Every page in docs/man is installed, and every installed page exists.
sed -n "s/^[ \t]*'\([^']*\)',.*$/\1/p" "$MAN/meson.build" | sort -u >"$TMP/listed"
(cd "$MAN" && ls -- *.[1-9] 2>/dev/null) | sort -u >"$TMP/present"
for p in $(comm -23 "$TMP/present" "$TMP/listed"); do
	fail "docs/man/$p is not listed in man_pages in docs/man/meson.build"
done
for p in $(comm -13 "$TMP/present" "$TMP/listed"); do
	fail "docs/man/meson.build lists $p, which is not in docs/man"
done

# Each page that is not a link renders without warnings.
if command -v groff >/dev/null 2>&1; then
	while read -r p; do
		grep -q '^\.so[ \t]' "$MAN/$p" && continue
		groff -man -ww -z "$MAN/$p" >"$TMP/out" 2>&1 || fail "groff failed on docs/man/$p"
		if [ -s "$TMP/out" ]; then
			fail "docs/man/$p renders with warnings:"
			cat "$TMP/out" >&2
		fi
	done <"$TMP/present"
else
	echo "SKIP (part): groff not found, pages not rendered"
fi

if [ "$bad" != 0 ]; then
	[ -n "$missing" ] && echo "undocumented IOA_API functions:$missing" >&2
	exit 1
fi
echo "ok: $nfunc IOA_API functions, each with a man page; $(wc -l <"$TMP/present") pages listed"
