# An adopted stage that declares no outputs cannot be judged after a kill
# -9 of the agent, because its exit status is unknown. It ends as failed
# with that reason and follows its own retry policy. With retries 0 the run
# fails and nothing runs twice. With retries left, the next attempt starts
# after the backoff. retry_exit_codes cannot match an unknown status.
# check-config warns about such stages.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "bare", "stages": [
      { "name": "s", "on_restart": "adopt",
        "command": "echo $$$$ >> pids; while [ ! -e go ]; do sleep 0.05; done" },
      { "name": "after", "depends_on": ["s"], "command": ["true"] }
    ] },
    { "name": "again", "stages": [
      { "name": "s", "on_restart": "adopt", "retries": 1, "retry_delay": "2s",
        "command": "echo $$$$ >> pids; if [ $(wc -l < pids) -ge 2 ]; then exit 0; fi; while [ ! -e go ]; do sleep 0.05; done" }
    ] },
    { "name": "picky", "stages": [
      { "name": "s", "on_restart": "adopt", "retries": 2, "retry_delay": "100ms",
        "retry_exit_codes": [75],
        "command": "echo $$$$ >> pids; while [ ! -e go ]; do sleep 0.05; done" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
unknown="adopted after an agent restart; exit status unknown and no declared outputs to check"

# check-config accepts the stages and warns about each.
"$WATCHKEEP" check-config -c "$TEST_DIR/config.json" > "$TEST_DIR/check.out" 2> "$TEST_DIR/check.err" ||
	fail "check-config rejected the configuration: $(cat "$TEST_DIR/check.err")"
expect_eq "$(grep -c 'warning: stage s of pipeline [a-z]* is set to on_restart "adopt" but declares no outputs' "$TEST_DIR/check.err")" \
	3 "check-config warnings"
grep -q "^$TEST_DIR/config.json:4:7: warning: stage s of pipeline bare" "$TEST_DIR/check.err" ||
	fail "the warning does not give the stage's position: $(cat "$TEST_DIR/check.err")"
grep -q 'declare the files it writes in "outputs"' "$TEST_DIR/check.err" ||
	fail "the warning does not say what to do"

# Stage directory of pipeline $1.
stage_dir() {
	echo "$s/runs/$(sql "$db" "select id from runs where pipeline = '$1'")/s"
}

# wait_state PIPELINE STATE: waits up to 30 s for the run of PIPELINE.
wait_state() {
	i=0
	while [ "$(sql "$db" "select state from runs where pipeline = '$1'")" != "$2" ] &&
		[ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	expect_eq "$(sql "$db" "select state from runs where pipeline = '$1'")" "$2" "run of $1"
}

# Prints attempt=state:reason of every attempt of stage s of pipeline $1.
attempts() {
	sql "$db" "select group_concat(attempt || '=' || state || ':' || coalesce(reason, ''), ' | ') from (select s.* from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$1' and s.stage = 's' order by s.attempt)"
}

run_agent
for p in bare again picky; do
	"$WATCHKEEP" run-now $p --state-dir "$s" > /dev/null 2>&1 &
done
wait_store "select count(*) from stage_runs where state = 'running'" 3 "stages running"
kill -9 $agent
wait $agent 2>/dev/null || true
run_agent
expect_eq "$(grep -c "adopting process group" "$TEST_DIR/agent.err")" 3 "adopted stages"
sleep 0.5
for p in bare again picky; do
	touch "$(stage_dir $p)/go"
done

# retries 0: one attempt, the run fails, the dependent stage does not run.
wait_state bare failed
expect_eq "$(attempts bare)" "1=failed:$unknown" "attempts of bare"
expect_eq "$(sql "$db" "select reason from runs where pipeline = 'bare'")" \
	"stage s failed: $unknown" "reason of the run of bare"
expect_eq "$(sql "$db" "select s.state from stage_runs s join runs r on r.id = s.run_id where r.pipeline = 'bare' and s.stage = 'after'")" \
	not_run "stage after s"
expect_eq "$(wc -l < "$(stage_dir bare)/pids")" 1 "processes started for bare"

# retries 1: attempt 2 starts after the backoff, 1 to 2 s, and succeeds.
wait_state again succeeded
expect_eq "$(attempts again)" "1=failed:$unknown | 2=succeeded:" "attempts of again"
gap=$(sql "$db" "select b.started_at - a.ended_at from stage_runs a join stage_runs b on b.run_id = a.run_id join runs r on r.id = a.run_id where r.pipeline = 'again' and a.attempt = 1 and b.attempt = 2")
[ "$gap" -ge 900 ] && [ "$gap" -lt 5000 ] || fail "attempt 2 of again started $gap ms after attempt 1 ended, expected the 1 to 2 s backoff"
grep -q "stage=again/s: attempt 1 failed: $unknown; attempt 2 of 2 starts in" "$TEST_DIR/agent.err" ||
	fail "no planned retry of again in the log"

# retry_exit_codes lists 75; the unknown status is not retried.
wait_state picky failed
expect_eq "$(attempts picky)" "1=failed:$unknown" "attempts of picky"

expect_eq "$(grep -c "started attempt 2" "$TEST_DIR/agent.err")" 1 "second attempts started (only again)"
grep -q "from stage (any)" "$TEST_DIR/agent.err" && fail "the log names no stage of the re-run"
grep -q "re-running pipeline again from the first unfinished stage, s" "$TEST_DIR/agent.err" ||
	fail "the resumed run does not name its first stage"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
