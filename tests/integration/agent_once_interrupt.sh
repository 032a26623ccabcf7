# `watchkeep run --once` handed to a running agent: SIGINT or SIGTERM on
# the waiting client asks the agent to cancel the run, and the client
# prints the result and exits 1. A second signal stops the wait at once.
. "$(dirname "$0")/../lib.sh"

# hold ignores SIGTERM (sleep inherits the ignored signal), so its run
# stays in its 120 s grace period until SIGKILL.
cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
    { "name": "slow", "stages": [ { "name": "wait",
      "command": "echo $$$$ > pid; sleep 300" } ] },
    { "name": "stubborn", "stages": [ { "name": "hold", "grace": "120s",
      "command": "trap '' TERM; echo $$$$ > pid; sleep 300" } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; for f in "$s"/runs/*/*/pid; do [ -r "$f" ] && kill -9 -"$(cat "$f")" 2>/dev/null; done; true'
run_agent

# wait_pid FILE: waits up to 5 s for a stage to write its pid file.
wait_pid() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$1" ] || fail "no pid file $1"
}

# exits_within PID SECONDS: waits until process PID has exited.
exits_within() {
	i=0
	while is_alive "$1" && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	! is_alive "$1"
}

"$WATCHKEEP" run --once slow -c "$TEST_DIR/config.json" --state-dir "$s" \
	> "$TEST_DIR/slow.out" 2> "$TEST_DIR/slow.err" &
client=$!
wait_pid "$s/runs/1/wait/pid"
pid=$(cat "$s/runs/1/wait/pid")
kill -INT $client
exits_within $client 20 || { kill -9 $client; fail "the client still waits 20 s after SIGINT"; }
status=0
wait $client || status=$?
expect_eq "$status" 1 "exit status of the interrupted run --once"
grep -q "interrupted; the agent is cancelling run 1" "$TEST_DIR/slow.err" ||
	fail "no message about the cancel: $(cat "$TEST_DIR/slow.err")"
grep -q "Run 1 of pipeline slow: failed" "$TEST_DIR/slow.out" ||
	fail "no result printed: $(cat "$TEST_DIR/slow.out")"
expect_eq "$(sql "$db" "select state from runs where id = 1")" failed "run 1"
expect_eq "$(sql "$db" "select reason from stage_runs where run_id = 1")" cancelled "stage of run 1"
is_alive "$pid" && fail "the stage process $pid of the interrupted run still runs"
grep -q "uid [0-9]* ran cancel: ok" "$TEST_DIR/agent.err" || fail "the agent logged no cancel request"

"$WATCHKEEP" run --once stubborn -c "$TEST_DIR/config.json" --state-dir "$s" \
	> "$TEST_DIR/stubborn.out" 2> "$TEST_DIR/stubborn.err" &
client=$!
wait_pid "$s/runs/2/hold/pid"
kill -TERM $client
i=0
while ! grep -q "cancelling run 2" "$TEST_DIR/stubborn.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "cancelling run 2" "$TEST_DIR/stubborn.err" || fail "no cancel of run 2: $(cat "$TEST_DIR/stubborn.err")"
is_alive $client || fail "the client exited after the first signal, before the run ended"
kill -TERM $client
exits_within $client 3 || { kill -9 $client; fail "the client did not exit at once on the second signal"; }
status=0
wait $client || status=$?
expect_eq "$status" 1 "exit status after a second signal"
grep -q "interrupted again; no longer waiting for run 2" "$TEST_DIR/stubborn.err" ||
	fail "no message on the second signal: $(cat "$TEST_DIR/stubborn.err")"
expect_eq "$(sql "$db" "select state from runs where id = 2")" running "run 2 left to the agent"

"$WATCHKEEP" cancel 2 --state-dir "$s" > /dev/null 2>&1 || fail "the second cancel of run 2 failed"
wait_store "select state from runs where id = 2" failed "run 2 after SIGKILL"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
