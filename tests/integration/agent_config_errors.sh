# Invalid configurations: a misspelt key gives file:line:column and a hint,
# a cycle is named, and both exit 3 before anything runs.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/typo.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "a", "command": ["true"], "timout": "5s" }
      ]
    }
  ]
}
JSON
status=0
"$WATCHKEEP" run --once -c "$TEST_DIR/typo.json" --state-dir "$TEST_DIR/state" \
	2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for an invalid configuration"
grep -q "typo.json:6:45:" "$TEST_DIR/err.txt" || fail "no position in: $(cat "$TEST_DIR/err.txt")"
grep -q '"timeout"' "$TEST_DIR/err.txt" || fail "no hint in: $(cat "$TEST_DIR/err.txt")"
[ ! -e "$TEST_DIR/state/store.db" ] || fail "a store was created for an invalid configuration"

cat > "$TEST_DIR/cycle.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "a", "command": ["true"], "depends_on": ["c"] },
        { "name": "b", "command": ["true"], "depends_on": ["a"] },
        { "name": "c", "command": ["true"], "depends_on": ["b"] }
      ]
    }
  ]
}
JSON
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/cycle.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for a cycle"
grep -q "cycle" "$TEST_DIR/err.txt" || fail "cycle not named: $(cat "$TEST_DIR/err.txt")"
for s in a b c; do
	grep -q "$s" "$TEST_DIR/err.txt" || fail "stage $s missing from the cycle message"
done

"$WATCHKEEP" check-config > "$TEST_DIR/ok.txt" || fail "the embedded default is invalid"
echo "$TEST_NAME: ok"
