# Crash recovery: after kill -9 of the agent during a stage, the next start
# kills the stage's leftover process group, marks the attempt failed with
# "agent restarted", retries it by its policy, and leaves no run "running";
# a stage without retries fails the run. A stage set to adopt is kept, and
# its end is noticed when its process exits.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "retried", "stages": [
      { "name": "long", "retries": 1, "retry_delay": "100ms",
        "command": "echo $$$$ >> pids; if [ $(wc -l < pids) -ge 2 ]; then echo second; else sleep 300; fi" }
    ] },
    { "name": "once", "stages": [
      { "name": "long", "command": "echo $$$$ > pid; sleep 300" },
      { "name": "after", "depends_on": ["long"], "command": ["true"] }
    ] },
    { "name": "adopted", "stages": [
      { "name": "long", "on_restart": "adopt",
        "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; sleep 2; echo done > out.txt" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'


# Kill -9 while "retried/long" sleeps; its group is left behind.
run_agent
"$WATCHKEEP" run-now retried --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where state = 'running'" 1 "stage running"
sleep 0.3
kill -9 $agent
wait $agent 2>/dev/null || true
old=$(head -1 "$s/runs/1/long/pids")
is_alive "$old" || fail "the stage died with the agent; the test needs it alive"

run_agent
wait_store "select state from runs where id = 1" succeeded "run 1 after recovery"
expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state || ':' || coalesce(reason, ''), ' | ') from (select * from stage_runs where run_id = 1 order by attempt)")" \
	"1=failed:agent restarted; the stage's process group was stopped | 2=succeeded:" "attempts of run 1"
if is_alive "$old"; then fail "the old stage process $old survived"; fi

# A stage without retries left: the run fails and nothing stays running.
"$WATCHKEEP" run-now once --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where state = 'running'" 1 "second stage running"
kill -9 $agent
wait $agent 2>/dev/null || true
run_agent
wait_store "select state from runs where pipeline = 'once'" failed "run without retries"
expect_eq "$(sql "$db" "select s.state from stage_runs s join runs r on r.id = s.run_id where r.pipeline = 'once' and s.stage = 'after'")" \
	not_run "dependent stage"
expect_eq "$(sql "$db" "select count(*) from runs where state = 'running'")" 0 "runs left running"

# An adopted stage keeps running and is judged by its outputs.
"$WATCHKEEP" run-now adopted --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where state = 'running'" 1 "adopted stage running"
kill -9 $agent
wait $agent 2>/dev/null || true
run_agent
grep -q "adopting process group" "$TEST_DIR/agent.err" || fail "no adoption in the log"
wait_store "select state from runs where pipeline = 'adopted'" succeeded "adopted run"
# The end is noticed when the process exits, not at a later poll: the
# stage wrote out.txt just before it exited.
ended=$(sql "$db" "select s.ended_at from stage_runs s join runs r on r.id = s.run_id where r.pipeline = 'adopted'")
run=$(sql "$db" "select id from runs where pipeline = 'adopted'")
written=$(/usr/bin/python3 -c 'import os, sys; print(os.stat(sys.argv[1]).st_mtime_ns // 1000000)' \
	"$s/runs/$run/long/out.txt")
late=$((ended - written))
[ "$late" -lt 300 ] || fail "the adopted stage's end was noticed $late ms after it wrote its output"
grep -q "stage=adopted/long: adopted process" "$TEST_DIR/agent.err" ||
	fail "the adopted stage's log lines do not name pipeline/stage"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
