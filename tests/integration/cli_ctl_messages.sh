# Messages of the commands that act on runs: counts use singular and plural
# forms, a backfill over a range without a scheduled slot fails, the agent
# logs a queued run as behind a run only when one is in progress, and
# rerun --from rejects an unknown pipeline or an empty part.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
    { "name": "monthly", "schedule": "0 0 31 * *", "time_zone": "UTC",
      "stages": [ { "name": "a", "command": ["true"] } ] },
    { "name": "daily", "stages": [ { "name": "a", "command": ["true"] } ] },
    { "name": "queued", "overlap": "queue",
      "stages": [ { "name": "a", "command": ["sleep", "1"] } ] },
    { "name": "held", "overlap": "queue",
      "stages": [ { "name": "a", "command": "while [ -e \"$WATCHKEEP_STATE_DIR/hold\" ]; do sleep 0.1; done" } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$s"; }

# Without an agent: a one-shot agent rejects the range.
status=0
W backfill monthly --from 2026-02-01 --to 2026-02-28 > "$TEST_DIR/local.out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of a one-shot backfill without a slot"
grep -q 'the schedule "0 0 31 \* \*" of pipeline monthly has no slot from 2026-02-01 to 2026-02-28' \
	"$TEST_DIR/local.out" || fail "one-shot backfill without a slot: $(cat "$TEST_DIR/local.out")"

# A date before 1970-01-01 is rejected by run --once as by backfill.
for args in "run --once daily --date 1969-12-31" \
	"backfill daily --from 1969-12-31 --to 1970-01-02"; do
	status=0
	# shellcheck disable=SC2086 # the words of args are separate arguments
	W $args > "$TEST_DIR/date.out" 2>&1 || status=$?
	expect_eq "$status" 2 "exit status of $args"
	grep -q 'date "1969-12-31" for --[a-z]* is before 1970-01-01; give a later date' "$TEST_DIR/date.out" ||
		fail "$args: $(cat "$TEST_DIR/date.out")"
done
[ -e "$db" ] && [ "$(sql "$db" "select count(*) from runs")" != 0 ] &&
	fail "run --once with a date before 1970 started a run"

# rerun before any run, then after one.
W run --once daily > /dev/null 2>&1 || fail "the run of daily failed"
for from in zz/a nosuch/x; do
	status=0
	W rerun --from "$from" > "$TEST_DIR/rerun.out" 2>&1 || status=$?
	expect_eq "$status" 1 "exit status of rerun --from $from"
	grep -q "no pipeline named \"${from%/*}\".*known pipelines: monthly, daily, queued" "$TEST_DIR/rerun.out" ||
		fail "rerun --from $from: $(cat "$TEST_DIR/rerun.out")"
	grep -q "has no runs yet" "$TEST_DIR/rerun.out" && fail "rerun --from $from: $(cat "$TEST_DIR/rerun.out")"
done
for from in /a rr/ / daily/; do
	status=0
	W rerun --from "$from" > "$TEST_DIR/rerun.out" 2>&1 || status=$?
	expect_eq "$status" 2 "exit status of rerun --from $from"
	grep -q "invalid --from \"$from\": the pipeline or the stage is empty" "$TEST_DIR/rerun.out" ||
		fail "rerun --from $from: $(cat "$TEST_DIR/rerun.out")"
done
W rerun --from daily/a --dry-run > "$TEST_DIR/dry.out" 2>&1 || fail "rerun --from daily/a: $(cat "$TEST_DIR/dry.out")"

# A count of 1 takes the singular in the report.
W report --since 1h > "$TEST_DIR/report.txt" 2>&1 || fail "report failed: $(cat "$TEST_DIR/report.txt")"
grep -qx "  1 run: 1 succeeded, 0 failed" "$TEST_DIR/report.txt" ||
	fail "total line of the report: $(cat "$TEST_DIR/report.txt")"
grep -qx "  daily: 1 run, 100.0% succeeded" "$TEST_DIR/report.txt" ||
	fail "pipeline line of the report: $(cat "$TEST_DIR/report.txt")"

# With an agent.
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
run_agent
status=0
W backfill monthly --from 2026-02-01 --to 2026-02-28 > "$TEST_DIR/agent.out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of a backfill without a slot"
grep -q "has no slot from 2026-02-01 to 2026-02-28" "$TEST_DIR/agent.out" ||
	fail "backfill without a slot: $(cat "$TEST_DIR/agent.out")"
grep -q "queued 0" "$TEST_DIR/agent.out" && fail "backfill without a slot: $(cat "$TEST_DIR/agent.out")"

W backfill monthly --from 2026-01-01 --to 2026-01-31 > "$TEST_DIR/one.out" 2>&1 ||
	fail "backfill of one slot: $(cat "$TEST_DIR/one.out")"
expect_eq "$(head -n 1 "$TEST_DIR/one.out")" "queued 1 run in the agent" "message of a backfill of one slot"
wait_store "select count(*) from runs where pipeline = 'monthly' and state = 'succeeded'" 1 "the backfilled run"
grep -q "monthly: run for 2026-01-31 queued; 1 run is in the queue" "$TEST_DIR/agent.err" ||
	fail "agent log of the queued run: $(grep queued "$TEST_DIR/agent.err")"
grep -q "queued behind" "$TEST_DIR/agent.err" &&
	fail "the agent says a run was queued behind a run in progress when none was"

W backfill daily --from 2026-01-01 --to 2026-01-02 > "$TEST_DIR/two.out" 2>&1 ||
	fail "backfill of two slots: $(cat "$TEST_DIR/two.out")"
expect_eq "$(head -n 1 "$TEST_DIR/two.out")" "queued 2 runs in the agent" "message of a backfill of two slots"
wait_store "select count(*) from runs where pipeline = 'daily' and trigger = 'backfill' and state = 'succeeded'" 2 \
	"the backfilled runs of daily"
grep -q "daily: run for 2026-01-02 queued; 2 runs are in the queue" "$TEST_DIR/agent.err" ||
	fail "agent log of the second queued run: $(grep queued "$TEST_DIR/agent.err")"

# A run queued while another run of its pipeline is in progress.
W run-now queued > /dev/null 2>&1 &
wait_store "select count(*) from runs where pipeline = 'queued' and state = 'running'" 1 "the first run of queued"
first=$(sql "$db" "select id from runs where pipeline = 'queued'")
W run-now queued --date 2026-01-05 > "$TEST_DIR/behind.out" 2>&1 || fail "run-now queued: $(cat "$TEST_DIR/behind.out")"
grep -q "queued: run for 2026-01-05 queued behind run $first, which is in progress" "$TEST_DIR/agent.err" ||
	fail "agent log of a run queued behind another: $(grep queued "$TEST_DIR/agent.err")"
wait_store "select count(*) from runs where pipeline = 'queued' and state = 'succeeded'" 2 "the runs of queued"

# One queued run dropped on request, and one left in the store at stop.
touch "$s/hold"
AT_EXIT='rm -f "$s/hold"; [ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
W run-now held > /dev/null 2>&1 &
wait_store "select count(*) from runs where pipeline = 'held' and state = 'running'" 1 "the run of held"
W run-now held --date 2026-01-06 > /dev/null 2>&1 || fail "queueing a run of held failed"
W cancel --queued held > "$TEST_DIR/drop.out" 2>&1 || fail "cancel --queued held: $(cat "$TEST_DIR/drop.out")"
expect_eq "$(cat "$TEST_DIR/drop.out")" "pipeline held: dropped 1 queued run" "output of cancel --queued"
grep -q "pipeline held: dropped 1 queued run on request" "$TEST_DIR/agent.err" ||
	fail "agent log of the dropped run: $(grep dropped "$TEST_DIR/agent.err")"
W run-now held --date 2026-01-07 > /dev/null 2>&1 || fail "queueing a run of held failed"
rm -f "$s/hold"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
