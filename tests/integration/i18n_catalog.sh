# The Japanese catalog translates every message of the current sources:
# po/update.sh runs on a copy of the sources and of po/ja.po, and the merged
# catalog must have no untranslated or fuzzy entry and pass msgfmt --check.
# po/ itself is not modified.
. "$(dirname "$0")/../lib.sh"

for tool in xgettext msgmerge msgfmt msgattrib; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$TEST_NAME: $tool not found (Debian package gettext); skipped"
		exit 77
	fi
done

# The copy contains what po/update.sh reads and writes, so that the
# strings are extracted with exactly its xgettext options.
copy="$TEST_DIR/src"
mkdir -p "$copy/po"
for dir in core netlib agent probes tui web pipeline; do
	cp -R "$WK_TEST_SRCDIR/$dir" "$copy/$dir"
done
cp "$WK_TEST_SRCDIR/po/update.sh" "$WK_TEST_SRCDIR/po/ja.po" "$copy/po/"
(cd "$copy" && sh po/update.sh) 2> "$TEST_DIR/update.err" ||
	fail "po/update.sh failed: $(cat "$TEST_DIR/update.err")"

po="$copy/po/ja.po"
msgfmt --check --statistics -o /dev/null "$po" > "$TEST_DIR/stats.txt" 2>&1 ||
	fail "msgfmt --check rejects the merged po/ja.po:
$(cat "$TEST_DIR/stats.txt")"
stats=$(grep 'translated message' "$TEST_DIR/stats.txt") ||
	fail "no statistics from msgfmt: $(cat "$TEST_DIR/stats.txt")"

# Lists the msgids that msgattrib selects with option $1, header excluded.
list_msgids() {
	msgattrib "$1" --no-obsolete --no-wrap --no-location "$po" |
		grep '^msgid ' | grep -v '^msgid ""$' || true
}

missing=$(list_msgids --untranslated)
fuzzy=$(list_msgids --only-fuzzy)
if [ -n "$missing" ] || [ -n "$fuzzy" ]; then
	echo "$TEST_NAME: po/ja.po is incomplete ($stats)" >&2
	[ -z "$missing" ] || printf 'untranslated:\n%s\n' "$missing" >&2
	[ -z "$fuzzy" ] || printf 'fuzzy:\n%s\n' "$fuzzy" >&2
	fail "translate these entries: run sh po/update.sh, then edit po/ja.po"
fi
case "$stats" in
*fuzzy* | *untranslated*) fail "msgfmt counts missing entries: $stats" ;;
esac
echo "$TEST_NAME: ok ($stats)"
