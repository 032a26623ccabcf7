# Cancelling a run while a stage waits for its next attempt keeps the
# failed attempt: the stage ends as attempt 1 with its exit status, the
# reason names the cancel, and the text and JSON reports agree.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
    { "name": "p", "stages": [
      { "name": "s", "retries": 2, "retry_delay": "60s",
        "command": ["sh", "-c", "exit 1"] },
      { "name": "after", "depends_on": ["s"], "command": ["true"] } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
run_agent

"$WATCHKEEP" run-now p --state-dir "$s" --json > "$TEST_DIR/run.json" 2> "$TEST_DIR/run.err" &
client=$!
wait_store "select state || ' ' || attempt from stage_runs where stage = 's' order by id desc limit 1" \
	"retry_wait 2" "the stage waiting for attempt 2"
"$WATCHKEEP" cancel 1 --state-dir "$s" > "$TEST_DIR/cancel.out" 2>&1 ||
	fail "cancel failed: $(cat "$TEST_DIR/cancel.out")"
status=0
wait $client || status=$?
expect_eq "$status" 1 "exit status of the cancelled run-now"

# The planned attempt never started, so only attempt 1 is stored.
expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state || '=' || exit_code, ' ') from stage_runs where stage = 's'")" \
	"1=failed=1" "attempts of the cancelled stage"
reason=$(sql "$db" "select reason from stage_runs where stage = 's'")
expect_eq "$reason" "exit status 1; the run was cancelled before attempt 2 started" "reason of the cancelled stage"
expect_eq "$(sql "$db" "select state || ' ' || reason from stage_runs where stage = 'after'")" \
	"not_run not run: the run was cancelled" "the dependent stage"
expect_eq "$(sql "$db" "select state || ' ' || reason from runs where id = 1")" "failed cancelled" "the run"

/usr/bin/python3 - "$TEST_DIR/run.json" "$reason" <<'PY' || fail "JSON report: $(cat "$TEST_DIR/run.json")"
import json, sys
stage = {s["stage"]: s for s in json.load(open(sys.argv[1]))[0]["stages"]}["s"]
assert stage["state"] == "failed", stage
assert stage["attempt"] == 1, stage
assert stage["exit_code"] == 1, stage
assert stage["reason"] == sys.argv[2], stage
PY

"$WATCHKEEP" status p --state-dir "$s" > "$TEST_DIR/status.out"
grep -Eq '^  s +failed +1 .* 1 ' "$TEST_DIR/status.out" ||
	fail "text report of the stage: $(cat "$TEST_DIR/status.out")"
grep -q "  s: $reason" "$TEST_DIR/status.out" ||
	fail "text report of the reason: $(cat "$TEST_DIR/status.out")"

# The same after a restart: the next agent resumes the wait that the
# killed one planned, and a cancel then keeps attempt 1 as well.
"$WATCHKEEP" run-now p --state-dir "$s" > /dev/null 2>&1 &
wait_store "select state || ' ' || attempt from stage_runs where run_id = 2 and stage = 's' order by id desc limit 1" \
	"retry_wait 2" "run 2 waiting for attempt 2"
kill -9 $agent
wait $agent 2>/dev/null || true
run_agent
i=0
while ! grep -q "run=2 stage=p/s: attempt 2 of 3 starts in" "$TEST_DIR/agent.err" && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
"$WATCHKEEP" cancel 2 --state-dir "$s" > "$TEST_DIR/cancel2.out" 2>&1 ||
	fail "cancel of the recovered run failed: $(cat "$TEST_DIR/cancel2.out")"
wait_store "select state from runs where id = 2" failed "the recovered run"
expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state || '=' || exit_code || '=' || reason, ' ') from stage_runs where run_id = 2 and stage = 's'")" \
	"1=failed=1=$reason" "attempts of the recovered stage"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
