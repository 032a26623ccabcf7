# Crash recovery with processes that left the stage's process group with
# setsid: after kill -9 of the agent, the next start stops them as well as
# the group, and logs how many it stopped with the run and the stage. It
# finds them by the environment of the stage's main process while that
# still runs, and by the stage run's variables once it is gone.
. "$(dirname "$0")/../lib.sh"

s="$TEST_DIR/s"
db="$s/store.db"
agent=""
# Every stage process of this test carries this entry, and no other process.
marker="WATCHKEEP_STATE_DIR=$s"

# Prints the live processes of the test that run stage $1.
stage_pids() {
	for pid in $(marked_pids "$marker"); do
		if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null |
			grep -qxF "WATCHKEEP_STAGE=$1"; then
			echo "$pid"
		fi
	done
}

# Kills the agent and what a failed check left running, by pid.
kill_all() {
	[ -z "$agent" ] || kill -9 "$agent" 2>/dev/null
	for pid in $(marked_pids "$marker"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}
AT_EXIT=kill_all

# Prints the pid of the process of stage $1 whose command line is $2.
cmd_pid() {
	for pid in $(stage_pids "$1"); do
		if [ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" = "$2 " ]; then
			echo "$pid"
		fi
	done
}

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "alive", "stages": [
      { "name": "forks", "grace": "1s",
        "command": ["sh", "-c", "setsid sleep 330 & sleep 331"] }
    ] },
    { "name": "gone", "stages": [
      { "name": "forks", "grace": "1s",
        "command": ["sh", "-c", "setsid sleep 332 & sleep 1"] }
    ] }
  ]
}
JSON

# $1: pipeline, $2: command line of the escaped process. Kills the agent
# while the stage runs, waits $3 seconds, starts the agent again and checks
# that nothing of the stage is left and the count is logged and stored.
crash_and_recover() {
	"$WATCHKEEP" run-now "$1" --state-dir "$s" > /dev/null 2>&1 &
	wait_store "select count(*) from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$1' and s.state = 'running'" 1 "$1: stage running"
	i=0
	while [ -z "$(cmd_pid forks "$2")" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	escaped=$(cmd_pid forks "$2")
	[ -n "$escaped" ] || fail "$1: the stage did not start $2"
	[ "$(ps -o pgid= -p "$escaped" | tr -d ' ')" = "$escaped" ] ||
		fail "$1: $2 did not leave the stage's process group"
	kill -9 $agent
	wait $agent 2>/dev/null || true
	agent=""
	sleep "$3"
	is_alive "$escaped" || fail "$1: $2 died with the agent; the test needs it alive"
	run_agent
	wait_store "select state from runs where pipeline = '$1'" failed "$1: run after recovery"
	left=$(stage_pids forks)
	[ -z "$left" ] || fail "$1: the stage left processes running: $left"
	run=$(sql "$db" "select id from runs where pipeline = '$1'")
	grep -q "run=$run stage=$1/forks: stopped 1 process that had left process group [0-9]* (setsid or setpgid): $escaped (sleep)" \
		"$TEST_DIR/agent.err" || fail "$1: no log line: $(cat "$TEST_DIR/agent.err")"
	expect_eq "$(sql "$db" "select m.value from stage_metrics m join stage_runs r on r.id = m.stage_run_id where r.run_id = $run and m.name = 'watchkeep.escaped_processes'")" \
		1.0 "$1: stored count"
	kill -TERM $agent
	wait $agent || fail "$1: the agent did not exit 0"
	agent=""
}

run_agent
crash_and_recover alive "sleep 330" 0
grep -q "stage=alive/forks: process group [0-9]* of the previous agent is still running; stopping it" \
	"$TEST_DIR/agent.err" || fail "alive: the group was not stopped"

# The main process ends while no agent runs; the escaped one stays.
run_agent
crash_and_recover gone "sleep 332" 2
echo "$TEST_NAME: ok"
