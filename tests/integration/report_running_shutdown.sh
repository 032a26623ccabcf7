# `report` counts only finished runs in a pipeline's success rate and names
# the runs in progress apart. A run that the agent cancels when its
# shutdown grace period ends has the stop in its reason.
. "$(dirname "$0")/../lib.sh"

# A run waits while hold-DATE exists and fails when fail-DATE exists.
hold_config apia allow "[ ! -e $TEST_DIR/fail-\$WATCHKEEP_LOGICAL_DATE ]"
agent_state

wk run-now --date 2024-01-01 > /dev/null 2>&1 || fail "the first run failed"
touch "$TEST_DIR/fail-2024-01-02"
wk run-now --date 2024-01-02 > /dev/null 2>&1 && fail "the second run succeeded"

run_agent
hold_run apia 2024-01-03
expect_eq "$(sql "$db" "select count(*) from runs where state = 'running'")" 1 "runs in progress"

wk report --since 1h > "$TEST_DIR/report.txt" 2>&1 ||
	fail "report failed: $(cat "$TEST_DIR/report.txt")"
expect_line "$TEST_DIR/report.txt" "  3 runs: 1 succeeded, 1 failed, and 1 running" "total line of the report"
expect_line "$TEST_DIR/report.txt" "  apia: 2 finished runs, 50.0% succeeded, and 1 running" "pipeline line of the report"

# SIGTERM: the run in progress gets the grace period of 30 s, then the
# agent cancels it with the stop as the cause.
kill -TERM "$agent"
i=0
while is_alive "$agent" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
grep -q "runs still in progress after the shutdown grace period" "$TEST_DIR/agent.err" ||
	fail "the grace period did not end: $(tail -5 "$TEST_DIR/agent.err")"
expect_eq "$(sql "$db" "select state || ' ' || reason from runs where logical_date = '2024-01-03'")" \
	"failed cancelled: the agent was stopping (SIGTERM)" "the run cancelled by the stop"
expect_eq "$(sql "$db" "select s.reason from stage_runs s join runs r on r.id = s.run_id where r.logical_date = '2024-01-03'")" \
	"cancelled: the agent was stopping (SIGTERM)" "its stage"

wk report --since 1h > "$TEST_DIR/report2.txt" 2>&1 ||
	fail "report failed: $(cat "$TEST_DIR/report2.txt")"
expect_line "$TEST_DIR/report2.txt" "  3 runs: 1 succeeded, 2 failed" "total line after the stop"
expect_line "$TEST_DIR/report2.txt" "  apia: 3 runs, 33.3% succeeded" "pipeline line after the stop"
expect_grep "$TEST_DIR/report2.txt" "failed: run 3 of apia for 2024-01-03: cancelled: the agent was stopping (SIGTERM)" \
	"failed run after the stop"
echo "$TEST_NAME: ok"
