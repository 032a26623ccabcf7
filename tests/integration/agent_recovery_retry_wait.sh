# Crash recovery while a stage waits for its next attempt: the restarted
# agent keeps the planned attempt and its retry_at, so every allowed
# attempt runs and the backoff holds. A retry_at that passed while no
# agent ran starts the attempt at once.
. "$(dirname "$0")/../lib.sh"

# Each backoff is drawn between 2 s and 4 s (retry_delay, capped).
cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "flaky", "stages": [
      { "name": "s", "retries": 2, "retry_delay": "4s", "retry_delay_max": "4s",
        "command": "echo $$$$ >> tries; exit 1" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'

# Prints a column of attempt $2 of run $1.
col() {
	sql "$db" "select $3 from stage_runs where run_id = $1 and attempt = $2"
}

# wait_failed RUN: waits up to 40 s for the run to fail.
wait_failed() {
	i=0
	while [ "$(sql "$db" "select state from runs where id = $1")" != failed ] && [ $i -lt 400 ]; do
		sleep 0.1; i=$((i + 1))
	done
	expect_eq "$(sql "$db" "select state from runs where id = $1")" failed "run $1"
}

# check_attempts RUN: three attempts ran, each after a backoff of 2 to 4 s.
check_attempts() {
	expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state || ':' || exit_code, ' ') from (select * from stage_runs where run_id = $1 order by attempt)")" \
		"1=failed:1 2=failed:1 3=failed:1" "attempts of run $1"
	expect_eq "$(wc -l < "$s/runs/$1/s/tries")" 3 "processes started for run $1"
	gap=$(( $(col "$1" 3 started_at) - $(col "$1" 2 ended_at) ))
	[ "$gap" -ge 1900 ] && [ "$gap" -lt 6000 ] || fail "attempt 3 of run $1 started $gap ms after attempt 2 ended, expected 2 to 4 s"
}

# Run 1: the agent is killed and restarted at once; attempt 2 keeps its time.
run_agent
"$WATCHKEEP" run-now flaky --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where run_id = 1 and state = 'retry_wait'" 1 "attempt 2 of run 1 planned"
kill -9 $agent
wait $agent 2>/dev/null || true
due=$(col 1 2 retry_at)
ended=$(col 1 1 ended_at)
[ $((due - ended)) -ge 1900 ] || fail "attempt 2 was planned $((due - ended)) ms after attempt 1 ended"
run_agent
[ "$(date +%s%3N)" -lt "$due" ] || fail "the agent restarted after attempt 2 was due; the test needs it earlier"
wait_failed 1
check_attempts 1
started=$(col 1 2 started_at)
[ "$started" -ge $((due - 100)) ] && [ "$started" -lt $((due + 2000)) ] ||
	fail "attempt 2 of run 1 started $((started - due)) ms after its planned time"
grep -q "stage=flaky/s: attempt 2 of 3 starts in .*, at the time planned after attempt 1 failed" "$TEST_DIR/agent.err" ||
	fail "no wait for the planned attempt in the log"
grep -q "from stage (any)" "$TEST_DIR/agent.err" && fail "the log names no stage of the re-run"

# Run 2: attempt 2 falls due while no agent runs; it starts on the restart.
"$WATCHKEEP" run-now flaky --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where run_id = 2 and state = 'retry_wait'" 1 "attempt 2 of run 2 planned"
kill -9 $agent
wait $agent 2>/dev/null || true
due=$(col 2 2 retry_at)
while [ "$(date +%s%3N)" -lt $((due + 500)) ]; do sleep 0.1; done
restart=$(date +%s%3N)
run_agent
wait_failed 2
check_attempts 2
late=$(( $(col 2 2 started_at) - restart ))
[ "$late" -lt 3000 ] || fail "attempt 2 of run 2 started $late ms after the restart; it was due before"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
