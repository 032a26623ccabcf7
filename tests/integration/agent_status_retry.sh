# status on a run in progress: the header gives the time since the start,
# and a stage waiting to retry shows when the next attempt starts and why
# the attempt before it failed, as text and as JSON.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "p", "stages": [
      { "name": "flaky", "command": "echo boom; exit 3", "retries": 2,
        "retry_delay": "10m", "retry_delay_max": "20m" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$s"; }
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$s" \
	> /dev/null 2> "$TEST_DIR/agent.err" &
agent=$!
wait_store "select state || ' ' || attempt from stage_runs order by id desc limit 1" \
	"retry_wait 2" "the stage waiting for attempt 2"

W status > "$TEST_DIR/status.txt" 2>&1 || fail "status failed: $(cat "$TEST_DIR/status.txt")"
grep -Eq "^Run 1 of pipeline p: running for [0-9.]+ (ms|s)$" "$TEST_DIR/status.txt" ||
	fail "header of the running run: $(cat "$TEST_DIR/status.txt")"
grep -Eq "^  flaky +waiting to retry +2 " "$TEST_DIR/status.txt" ||
	fail "state of the stage: $(cat "$TEST_DIR/status.txt")"
# The backoff is between 5 and 10 minutes, so the next attempt is minutes away.
grep -Eq "^  flaky: attempt 2 starts in [0-9]+m[0-9]{2}s; attempt 1 failed: exit status 3$" \
	"$TEST_DIR/status.txt" || fail "retry line: $(cat "$TEST_DIR/status.txt")"

W status --json > "$TEST_DIR/status.json" 2>&1 || fail "status --json failed"
/usr/bin/python3 - "$TEST_DIR/status.json" <<'PY' || fail "JSON of the run: $(cat "$TEST_DIR/status.json")"
import json, sys, time
run = json.load(open(sys.argv[1]))["runs"][0]
assert run["state"] == "running", run["state"]
assert isinstance(run["running_for_ms"], int) and run["running_for_ms"] >= 0, run
stage = run["stages"][0]
assert stage["state"] == "retry_wait", stage
assert stage["retry_after_reason"] == "exit status 3", stage
left_s = stage["retry_at_ms"] / 1000 - time.time()
assert 60 < left_s <= 600, left_s
PY

kill $agent
wait $agent || true
agent=""
W status --json > "$TEST_DIR/ended.json" 2>&1 || fail "status --json after the end failed"
/usr/bin/python3 - "$TEST_DIR/ended.json" <<'PY' || fail "JSON of the ended run: $(cat "$TEST_DIR/ended.json")"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
assert run["state"] != "running", run["state"]
assert run["running_for_ms"] is None, run
for stage in run["stages"]:
    assert stage["retry_at_ms"] is None, stage
    assert stage["retry_after_reason"] is None, stage
PY
echo "$TEST_NAME: ok"
