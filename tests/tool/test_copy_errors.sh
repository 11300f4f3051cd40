#!/bin/sh
# `ioalloc copy` on bad input: a missing source, a destination in a missing directory,
# the destination being the source (same name, a hard link, a symlink), a directory as
# source exit 1 with the file named, nothing on stdout, the source untouched and no
# destination left behind; bad options and names exit 2 with the usage.
# shellcheck source=tests/tool/lib.sh
. "$(dirname "$0")/lib.sh"

head -c 70000 /dev/urandom >"$TMP/src" || fail "cannot write $TMP/src"
cp "$TMP/src" "$TMP/orig"

# fails1 WHAT TEXT ARGS...: exit 1, TEXT in the message, stdout empty, source intact.
fails1() {
	what=$1 text=$2
	shift 2
	run copy "$@"
	[ "$rc" = 1 ] || fail "$what: exit $rc, want 1"
	[ -z "$out" ] || fail "$what: wrote to stdout: $out"
	case $err in *"$text"*) ;; *) fail "$what: '$text' not in: $err" ;; esac
	cmp -s "$TMP/src" "$TMP/orig" || fail "$what: the source changed"
}

fails1 "missing source" "ioalloc copy: $TMP/nosuch: No such file or directory" \
	"$TMP/nosuch" "$TMP/dst"
[ ! -e "$TMP/dst" ] || fail "missing source: a destination was created"

fails1 "missing directory" "ioalloc copy: $TMP/nodir/dst: No such file or directory" \
	"$TMP/src" "$TMP/nodir/dst"

fails1 "same name" "$TMP/src: the same file as $TMP/src" "$TMP/src" "$TMP/src"
fails1 "same name, another spelling" "the same file as" "$TMP/src" "$TMP/./src"
ln "$TMP/src" "$TMP/hardlink" || fail "ln failed"
fails1 "hard link" "$TMP/hardlink: the same file as $TMP/src" "$TMP/src" "$TMP/hardlink"
[ -f "$TMP/hardlink" ] || fail "hard link: the link was removed"
ln -s src "$TMP/symlink" || fail "ln -s failed"
fails1 "symlink" "$TMP/symlink: the same file as" "$TMP/src" "$TMP/symlink"
[ -L "$TMP/symlink" ] || fail "symlink: the link was removed"
fails1 "same file via the directory" "the same file as" "$TMP/src" "$TMP"

mkdir "$TMP/dir"
fails1 "directory as source" "$TMP/dir: not a regular file" "$TMP/dir" "$TMP/dst"
[ ! -e "$TMP/dst" ] || fail "directory as source: a destination was created"

# An existing destination is left alone when a check fails before copying.
echo keep >"$TMP/keep"
run copy --block-size 1000 "$TMP/src" "$TMP/keep"
if [ "$rc" = 2 ]; then
	echo "$err" | grep -q "not a multiple of the O_DIRECT alignment" ||
		fail "--block-size 1000: message: $err"
	[ "$(cat "$TMP/keep")" = keep ] || fail "--block-size 1000: the destination changed"
fi
# ... unless O_DIRECT is off: then any block size goes.
run copy --block-size 1000 --direct=never "$TMP/src" "$TMP/dst"
[ "$rc" = 0 ] && cmp -s "$TMP/src" "$TMP/dst" || fail "--block-size 1000 --direct=never: rc $rc"

for args in "" "$TMP/src" "$TMP/src $TMP/a $TMP/b" "--bogus $TMP/src $TMP/a" \
	"--block-size 0 $TMP/src $TMP/a" "--block-size 1X $TMP/src $TMP/a" \
	"--block-size 1G $TMP/src $TMP/a" "--queue-depth 0 $TMP/src $TMP/a" \
	"--queue-depth 5000 $TMP/src $TMP/a" "-q 1024 -b 2M $TMP/src $TMP/a" \
	"--direct=sometimes $TMP/src $TMP/a" "--progress=yes $TMP/src $TMP/a" \
	"$TMP/src $TMP/a --block-size"; do
	# shellcheck disable=SC2086 # split on purpose
	run copy $args
	[ "$rc" = 2 ] || fail "copy $args: exit $rc, want 2"
	[ -z "$out" ] || fail "copy $args: wrote to stdout"
	echo "$err" | grep -q 'Usage: ioalloc copy' || echo "$err" | grep -q 'limit' ||
		fail "copy $args: no usage on stderr: $err"
	[ ! -e "$TMP/a" ] || fail "copy $args: created the destination"
done

run copy --help
[ "$rc" = 0 ] || fail "copy --help exited $rc"
echo "$out" | grep -q '^Usage: ioalloc copy' || fail "copy --help: no usage on stdout"
cmp -s "$TMP/src" "$TMP/orig" || fail "the source changed"
echo "ok: copy errors"
