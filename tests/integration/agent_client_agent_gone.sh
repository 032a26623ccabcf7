# A client waiting for a run (run-now, rerun) exits 1 with a message when
# the agent is killed while the run is in progress, instead of waiting for
# a store that no agent updates any more.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "slow", "stages": [
      { "name": "long", "command": "echo $$$$ > pid; sleep 300" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
client=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; [ -z "$client" ] || kill $client 2>/dev/null; for f in "$s"/runs/*/long/pid; do [ -r "$f" ] && kill -9 -"$(cat "$f")" 2>/dev/null; done; true'

# Waits up to 15 s for the client to exit and stores its exit status.
wait_client() {
	i=0
	while kill -0 $client 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 $client 2>/dev/null && fail "$1 still waits 15 s after the agent was killed"
	status=0
	wait $client || status=$?
	client=""
}

run_agent
"$WATCHKEEP" run-now slow --state-dir "$s" > "$TEST_DIR/out" 2> "$TEST_DIR/err" &
client=$!
wait_store "select count(*) from stage_runs where state = 'running'" 1 "stage running"
kill -9 $agent
wait $agent 2>/dev/null || true
agent=""
wait_client run-now
expect_eq "$status" 1 "exit status of run-now"
grep -q "exited while run 1 was in progress" "$TEST_DIR/err" ||
	fail "run-now did not say the agent exited: $(cat "$TEST_DIR/err")"

# The next agent settles run 1; rerun then waits for it and loses its agent.
run_agent
wait_store "select state from runs where id = 1" failed "run 1 after recovery"
"$WATCHKEEP" rerun --from slow/long --run 1 --state-dir "$s" > "$TEST_DIR/out" 2> "$TEST_DIR/err" &
client=$!
wait_store "select count(*) from stage_runs where state = 'running'" 1 "re-run stage running"
kill -9 $agent
wait $agent 2>/dev/null || true
agent=""
wait_client rerun
expect_eq "$status" 1 "exit status of rerun"
grep -q "exited while run 1 was in progress" "$TEST_DIR/err" ||
	fail "rerun did not say the agent exited: $(cat "$TEST_DIR/err")"
echo "$TEST_NAME: ok"
