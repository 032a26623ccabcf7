# Crash recovery of a run with two stages running side by side. After
# kill -9 of the agent, the next agent stops the leftover process group of
# the stage set to kill and ends its attempt. It adopts the other stage.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "mixed", "max_parallel": 2, "stages": [
      { "name": "killed", "retries": 1, "retry_delay": "100ms",
        "command": "echo $$$$ >> pids; if [ $(wc -l < pids) -ge 2 ]; then echo second; else sleep 300; fi" },
      { "name": "adopted", "on_restart": "adopt",
        "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; sleep 5; echo done > out.txt" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'


run_agent
"$WATCHKEEP" run-now mixed --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where state = 'running'" 2 "both stages running"
sleep 0.3
kill -9 $agent
wait $agent 2>/dev/null || true
old=$(head -1 "$s/runs/1/killed/pids")
is_alive "$old" || fail "the stage died with the agent; the test needs it alive"

run_agent
expect_eq "$(grep -c "started: state directory" "$TEST_DIR/agent.err")" 2 "start lines of two agents"
grep -q "adopting process group" "$TEST_DIR/agent.err" || fail "no adoption in the log"
wait_store "select state from runs where id = 1" succeeded "run 1 after recovery"
if is_alive "$old"; then fail "the old process $old of the kill stage survived"; fi
expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state || ':' || coalesce(reason, ''), ' | ') from (select * from stage_runs where run_id = 1 and stage = 'killed' order by attempt)")" \
	"1=failed:agent restarted; the stage's process group was stopped | 2=succeeded:" "attempts of the kill stage"
expect_eq "$(sql "$db" "select group_concat(state, ' ') from stage_runs where run_id = 1 and stage = 'adopted'")" \
	succeeded "attempts of the adopted stage"
expect_eq "$(sql "$db" "select count(*) from stage_runs where state = 'running'")" 0 "attempts left running"

report=$("$WATCHKEEP" status --state-dir "$s" 2>&1 || true)
case $report in
*"Failures:"*) fail "the report of a succeeded run lists failures: $report" ;;
esac

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
