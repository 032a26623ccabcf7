# watchkeep backup copies the store while the agent runs. It rejects a
# destination that is the store itself or its WAL file, because that would
# cut the agent off from what it stores next.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "p", "stages": [ { "name": "a", "command": ["true"] } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
run_agent
"$WATCHKEEP" run-now p --state-dir "$s" > /dev/null 2>&1 || fail "the first run failed"

"$WATCHKEEP" backup "$TEST_DIR/copy.db" --state-dir "$s" > "$TEST_DIR/backup.out" ||
	fail "backup failed while the agent runs"
expect_eq "$(sql "$TEST_DIR/copy.db" "select count(*) from runs")" 1 "runs in the copy"

for target in "$s/store.db" "$s/store.db-wal" "$s/../s/store.db"; do
	status=0
	"$WATCHKEEP" backup "$target" --state-dir "$s" 2> "$TEST_DIR/own.err" || status=$?
	expect_eq "$status" 1 "exit status of a backup onto $target"
	grep -q "is the store itself" "$TEST_DIR/own.err" || fail "no reason given for $target"
done
ln "$s/store.db" "$TEST_DIR/link.db"
"$WATCHKEEP" backup "$TEST_DIR/link.db" --state-dir "$s" 2> /dev/null &&
	fail "a backup onto a hard link of the store was accepted"

# A state directory without a store has nothing to copy.
status=0
"$WATCHKEEP" backup "$TEST_DIR/none.db" --state-dir "$TEST_DIR/empty" 2> "$TEST_DIR/none.err" ||
	status=$?
expect_eq "$status" 4 "exit status of a backup without a store"
grep -q "does not exist" "$TEST_DIR/none.err" || fail "no reason given for a missing store"
[ ! -e "$TEST_DIR/none.db" ] || fail "a backup without a store wrote a file"

# The agent still writes to the store it opened.
"$WATCHKEEP" run-now p --state-dir "$s" > /dev/null 2>&1 || fail "the second run failed"
kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
AT_EXIT=""
expect_eq "$(sql "$s/store.db" "select count(*) from runs")" 2 "runs in the store after the backups"
echo "$TEST_NAME: ok"
