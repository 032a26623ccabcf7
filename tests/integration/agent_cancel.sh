# watchkeep cancel stops a run in progress and kills its stage's group.
# A cancelled run raises no alert, but a stage that fails on its own does.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
    { "name": "slow", "stages": [ { "name": "wait", "command": "echo $$$$ > pid; sleep 300" } ] },
    { "name": "bad", "stages": [ { "name": "fails", "command": ["sh", "-c", "exit 3"] } ] } ],
  "alerting": { "group_wait": "0s",
    "receivers": [ { "name": "down", "type": "json", "url": "http://127.0.0.1:9/hook" } ],
    "routes": [ { "receivers": ["down"] } ] },
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; for f in "$s"/runs/*/wait/pid; do [ -r "$f" ] && kill -9 -"$(cat "$f")" 2>/dev/null; done; true'
run_agent

"$WATCHKEEP" run-now slow --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where state = 'running'" 1 "stage running"
i=0
while [ ! -s "$s/runs/1/wait/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pid=$(cat "$s/runs/1/wait/pid")
"$WATCHKEEP" cancel 1 --state-dir "$s" > "$TEST_DIR/cancel.out" 2>&1 || fail "cancel failed: $(cat "$TEST_DIR/cancel.out")"
wait_store "select state from runs where id = 1" failed "the cancelled run"
is_alive "$pid" && fail "the cancelled stage's process $pid still runs"
expect_eq "$(sql "$db" "select count(*) from alerts")" 0 "alerts raised by a cancel"

"$WATCHKEEP" run-now bad --state-dir "$s" > /dev/null 2>&1 && fail "the failing run succeeded"
wait_store "select count(*) from alerts where state = 'firing'" 2 "alerts of a stage that failed on its own"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
