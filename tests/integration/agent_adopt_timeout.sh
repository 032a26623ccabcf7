# An adopted stage keeps its timeout across a kill -9 of the agent: the
# deadline is the stored start plus the timeout. At the deadline the next
# agent sends SIGTERM to the group, SIGKILL after the grace period, waits
# for the group to be empty and records the attempt as timed out. A
# deadline that passed while no agent ran fires as soon as the stage is
# adopted.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "toad", "stages": [
      { "name": "s", "on_restart": "adopt", "timeout": "5s", "grace": "1s",
        "command": "echo $$$$ > pid; sleep 20" }
    ] },
    { "name": "stubborn", "stages": [
      { "name": "s", "on_restart": "adopt", "timeout": "5s", "grace": "1s",
        "command": "echo $$$$ > pid; trap '' TERM; sleep 20" }
    ] },
    { "name": "late", "stages": [
      { "name": "s", "on_restart": "adopt", "timeout": "2s", "grace": "1s",
        "command": "echo $$$$ > pid; sleep 20" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'

# Prints the processes of group $1 that are not zombies.
group_members() {
	ps -e -o pgid=,stat=,pid= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { print $3 }'
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

run_agent
for p in toad stubborn late; do
	"$WATCHKEEP" run-now $p --state-dir "$s" > /dev/null 2>&1 &
done
wait_store "select count(*) from stage_runs where state = 'running'" 3 "stages running"
kill -9 $agent
wait $agent 2>/dev/null || true
for p in toad stubborn late; do
	run=$(sql "$db" "select id from runs where pipeline = '$p'")
	eval "pid_$p=\$(cat \"$s/runs/$run/s/pid\")"
done
is_alive "$pid_toad" || fail "the stage died with the agent; the test needs it alive"

# The deadline of "late" (2 s) passes while no agent runs.
late_start=$(sql "$db" "select s.started_at from stage_runs s join runs r on r.id = s.run_id where r.pipeline = 'late'")
while [ $(( $(date +%s%3N) - late_start )) -lt 3000 ]; do sleep 0.1; done
is_alive "$pid_late" || fail "the stage of late ended by itself"
restart=$(date +%s%3N)
run_agent
grep -q "adopting process group $pid_toad" "$TEST_DIR/agent.err" || fail "no adoption in the log"
grep -q "stage=toad/s: the timeout of 5.00 s of the adopted stage ends in" "$TEST_DIR/agent.err" ||
	fail "no deadline of the adopted stage in the log"

for p in toad stubborn late; do
	wait_state $p failed
	expect_eq "$(sql "$db" "select group_concat(s.attempt || '=' || s.state || ':' || s.reason, ' ') from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$p'")" \
		"1=timed_out:timed out" "attempts of $p"
	expect_eq "$(sql "$db" "select reason from runs where pipeline = '$p'")" \
		"stage s failed: timed out" "reason of the run of $p"
	eval "pid=\$pid_$p"
	if is_alive "$pid"; then fail "process $pid of $p survived its timeout"; fi
	expect_eq "$(group_members "$pid")" "" "processes left in the group of $p"
done

# ended_at - started_at, in ms, of the attempt of pipeline $1.
took() {
	sql "$db" "select s.ended_at - s.started_at from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$1'"
}
t=$(took toad)
[ "$t" -ge 4900 ] && [ "$t" -lt 8000 ] || fail "toad ended $t ms after its start, expected 5 s (timeout) plus at most 3 s"
t=$(took stubborn)
[ "$t" -ge 5900 ] && [ "$t" -lt 9000 ] || fail "stubborn ended $t ms after its start, expected 6 s (timeout and grace) plus at most 3 s"
grep -q "stage=stubborn/s: process group $pid_stubborn still running 1000 ms after SIGTERM; sending SIGKILL" \
	"$TEST_DIR/agent.err" || fail "no SIGKILL of the group that ignores SIGTERM"
t=$(( $(sql "$db" "select s.ended_at from stage_runs s join runs r on r.id = s.run_id where r.pipeline = 'late'") - restart ))
[ "$t" -lt 4000 ] || fail "late was stopped $t ms after the restart; its deadline had passed"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
