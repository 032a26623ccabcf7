# Queued runs are kept in the store. `runs` and `status` list them, and
# they survive a SIGTERM and a kill -9 of the agent and then run in their
# order, once each. A date that is queued or running already is not queued
# again. `cancel --queued` drops a pipeline's queued runs, with or without
# an agent.
. "$(dirname "$0")/../lib.sh"

# A run waits while the file hold-DATE of its logical date exists.
hold_config daily queue 'echo date=$WATCHKEEP_LOGICAL_DATE'
agent_state

run_agent
hold_run daily 2024-01-01

wk backfill daily --from 2024-03-30 --to 2024-04-01 > "$TEST_DIR/bf1.out" 2>&1 ||
	fail "backfill failed: $(cat "$TEST_DIR/bf1.out")"
expect_eq "$(cat "$TEST_DIR/bf1.out")" "queued 3 runs in the agent" "first backfill"
expect_eq "$(sql "$db" "select group_concat(logical_date || ':' || trigger, ' ') from (select * from run_queue order by id)")" \
	"2024-03-30:backfill 2024-03-31:backfill 2024-04-01:backfill" "stored queue"

# `runs` and `status` list the queued runs with their date and trigger.
wk runs > "$TEST_DIR/runs.out" 2>&1 || fail "runs failed: $(cat "$TEST_DIR/runs.out")"
expect_eq "$(grep -c ' queued .*backfill' "$TEST_DIR/runs.out")" 3 "queued lines of runs"
grep -q '^ *1 .*queued *2024-03-30 *backfill' "$TEST_DIR/runs.out" ||
	fail "runs does not show 2024-03-30 first: $(cat "$TEST_DIR/runs.out")"
wk status > "$TEST_DIR/status.out" 2>&1 || fail "status failed"
expect_eq "$(grep -c ' queued .*backfill' "$TEST_DIR/status.out")" 3 "queued lines of status"
wk status --json > "$TEST_DIR/status.json" 2>&1 || fail "status --json failed"
expect_eq "$(python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
print(" ".join(r["state"] + ":" + r["logical_date"] + ":" + r["trigger"] for r in runs))' "$TEST_DIR/status.json")" \
	"running:2024-01-01:manual queued:2024-03-30:backfill queued:2024-03-31:backfill queued:2024-04-01:backfill" \
	"runs of status --json"

# Dates queued or running already are left out, and the output names them.
wk backfill daily --from 2024-03-31 --to 2024-04-02 > "$TEST_DIR/bf2.out" 2>&1 ||
	fail "second backfill failed: $(cat "$TEST_DIR/bf2.out")"
grep -q "^queued 1 run in the agent$" "$TEST_DIR/bf2.out" || fail "second backfill: $(cat "$TEST_DIR/bf2.out")"
grep -q "already: 2 runs, dates: 2024-03-31 2024-04-01$" "$TEST_DIR/bf2.out" ||
	fail "second backfill does not name the queued dates: $(cat "$TEST_DIR/bf2.out")"
wk backfill daily --from 2024-01-01 --to 2024-01-01 > "$TEST_DIR/bf3.out" 2>&1 || fail "third backfill failed"
grep -q "^queued 0 runs in the agent$" "$TEST_DIR/bf3.out" || fail "third backfill: $(cat "$TEST_DIR/bf3.out")"
grep -q "dates: 2024-01-01$" "$TEST_DIR/bf3.out" || fail "the running date is not named: $(cat "$TEST_DIR/bf3.out")"
wk run-now daily --date 2024-03-30 > "$TEST_DIR/now.out" 2>&1 && fail "a run-now of a queued date was accepted"
grep -q "is queued already; it was not queued again" "$TEST_DIR/now.out" || fail "run-now: $(cat "$TEST_DIR/now.out")"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 4 "queued runs after the duplicates"

# SIGTERM: the run in progress ends, the queued runs stay for the next start.
kill -TERM "$agent"
i=0
while ! grep -q "4 queued runs stay in the store" "$TEST_DIR/agent.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "pipeline daily: 4 queued runs stay in the store" "$TEST_DIR/agent.err" ||
	fail "the stop does not log the queued runs: $(cat "$TEST_DIR/agent.err")"
release 2024-01-01
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
expect_eq "$(sql "$db" "select count(*) from runs")" 1 "runs started while stopping"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 4 "queued runs after SIGTERM"

# The restarted agent runs them in order; the first one holds.
touch "$TEST_DIR/hold-2024-03-30"
run_agent
grep -q "pipeline daily: restored 4 queued runs" "$TEST_DIR/agent.err" ||
	fail "the restart does not log the restored runs: $(cat "$TEST_DIR/agent.err")"
wait_store "select logical_date || ':' || state from runs where id = 2" "2024-03-30:running" "first restored run"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 3 "queued runs behind the first"

# kill -9: the queued runs are still there after the next start.
stop_agent KILL
release 2024-03-30
run_agent
wait_store "select count(*) from runs where trigger = 'backfill' and state != 'running'" 4 "backfill runs ended"
expect_eq "$(sql "$db" "select group_concat(logical_date, ' ') from (select logical_date from runs where trigger = 'backfill' order by id)")" \
	"2024-03-30 2024-03-31 2024-04-01 2024-04-02" "backfill runs in order, once each"
expect_eq "$(sql "$db" "select count(*) from runs where trigger = 'backfill' and logical_date != '2024-03-30' and state = 'succeeded'")" 3 \
	"backfill runs that succeeded after the kill"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 0 "queue after the runs"

# cancel --queued drops the queued runs of a pipeline, and is audited.
hold_run daily 2024-05-01
wk backfill daily --from 2024-05-02 --to 2024-05-06 > /dev/null 2>&1 || fail "backfill for the cancel failed"
wk cancel --queued daily > "$TEST_DIR/cancel.out" 2>&1 || fail "cancel --queued failed: $(cat "$TEST_DIR/cancel.out")"
expect_eq "$(cat "$TEST_DIR/cancel.out")" "pipeline daily: dropped 5 queued runs" "cancel --queued"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 0 "queue after cancel --queued"
expect_eq "$(sql "$db" "select result from control_audit where command = 'cancel-queued'")" ok "audit of cancel --queued"
wk runs > "$TEST_DIR/runs2.out" 2>&1 || fail "runs failed"
grep -q ' queued ' "$TEST_DIR/runs2.out" && fail "runs still lists queued runs: $(cat "$TEST_DIR/runs2.out")"
wk cancel --queued nosuch > "$TEST_DIR/cancel2.out" 2>&1 && fail "cancel --queued of an unknown pipeline succeeded"
grep -q 'no pipeline named "nosuch"' "$TEST_DIR/cancel2.out" || fail "cancel --queued nosuch: $(cat "$TEST_DIR/cancel2.out")"

# Without an agent, cancel --queued drops the stored rows under the lock.
wk backfill daily --from 2024-05-02 --to 2024-05-03 > /dev/null 2>&1 || fail "backfill before the stop failed"
kill -TERM "$agent"
release 2024-05-01
wait "$agent" || fail "the agent did not exit 0 on the last SIGTERM"
agent=""
expect_eq "$(sql "$db" "select count(*) from runs where logical_date >= '2024-05-02'")" 0 "cancelled runs that started"
wk cancel --queued daily > "$TEST_DIR/cancel3.out" 2>&1 || fail "cancel --queued without an agent failed: $(cat "$TEST_DIR/cancel3.out")"
expect_eq "$(cat "$TEST_DIR/cancel3.out")" "pipeline daily: dropped 2 queued runs" "cancel --queued without an agent"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 0 "queue after cancel --queued without an agent"
echo "$TEST_NAME: ok"
