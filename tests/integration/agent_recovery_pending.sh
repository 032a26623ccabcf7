# Crash recovery of a run whose later stage had not started. After kill -9
# of the agent during the first stage, the next agent resumes the run: the
# waiting stage keeps its first attempt, which never ran, so its retry is
# still there, and no attempt stays pending.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "chain", "stages": [
      { "name": "first", "retries": 1, "retry_delay": "100ms",
        "command": "if [ -e started ]; then exit 0; fi; touch started; sleep 300" },
      { "name": "second", "depends_on": ["first"], "retries": 1,
        "retry_delay": "100ms", "command": "exit 1" }
    ] }
  ]
}
JSON
agent_state

run_agent
"$WATCHKEEP" run-now chain --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where stage = 'first' and state = 'running'" 1 "the first stage running"
stop_agent KILL

run_agent
wait_store "select state from runs where id = 1" failed "run 1 after recovery"
expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state, ' ') from (select * from stage_runs where run_id = 1 and stage = 'second' order by attempt)")" \
	"1=failed 2=failed" "attempts of the stage that had not started"
expect_eq "$(sql "$db" "select count(*) from stage_runs where state = 'pending'")" 0 "attempts left pending"

stop_agent
echo "$TEST_NAME: ok"
