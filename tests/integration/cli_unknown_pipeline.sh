# `watchkeep runs` and `watchkeep status` reject a pipeline that is neither
# configured nor in the store: they list the known ones and exit 1, with
# or without a store. A configured pipeline without a store is no error.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
    { "name": "ran", "stages": [{ "name": "s", "command": ["true"] }] },
    { "name": "idle", "stages": [{ "name": "s", "command": ["true"] }] } ] }
JSON
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json"; }

# No store yet.
status=0
W status nosuch --state-dir "$TEST_DIR/empty" > "$TEST_DIR/out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of status for an unknown pipeline without a store"
grep -q 'no pipeline named "nosuch".*known pipelines: ran, idle' "$TEST_DIR/out" ||
	fail "status without a store: $(cat "$TEST_DIR/out")"
W status idle --state-dir "$TEST_DIR/empty" > /dev/null 2>&1 ||
	fail "status of a configured pipeline without a store failed"

W run --once --state-dir "$TEST_DIR/s" > /dev/null 2>&1 || fail "the run failed"
for cmd in runs status; do
	status=0
	W "$cmd" nosuch --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 || status=$?
	expect_eq "$status" 1 "exit status of $cmd for an unknown pipeline"
	grep -q "watchkeep $cmd: no pipeline named \"nosuch\".*known pipelines: ran, idle" \
		"$TEST_DIR/out" || fail "$cmd: $(cat "$TEST_DIR/out")"
	W "$cmd" ran --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 ||
		fail "$cmd ran failed: $(cat "$TEST_DIR/out")"
done

# Without -c, the pipelines with runs in the store are known.
status=0
"$WATCHKEEP" runs nosuch --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of runs without a configuration"
grep -q "known pipelines: idle, ran$" "$TEST_DIR/out" || fail "runs without -c: $(cat "$TEST_DIR/out")"
"$WATCHKEEP" runs ran --state-dir "$TEST_DIR/s" > /dev/null 2>&1 || fail "runs ran without -c failed"
echo "$TEST_NAME: ok"
