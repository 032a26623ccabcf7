# Processes that leave a stage's process group with setsid. Without a
# stage cgroup the agent finds them by the stage run's variables in their
# environment and stops them with the group: after a success, after a
# timeout and at a cancel. It logs and stores how many it stopped, and also
# how many leftovers of the group it killed after a success.
. "$(dirname "$0")/../lib.sh"

s="$TEST_DIR/s"
db="$s/store.db"
# Every stage process of this test carries this entry, and no other process.
marker="WATCHKEEP_STATE_DIR=$s"

# Kills what a failed check left running, by pid.
kill_marked() {
	for pid in $(marked_pids "$marker"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}
AT_EXIT=kill_marked

# Fails when a process with the marker and stage $1 still runs.
expect_none_left() {
	left=""
	for pid in $(marked_pids "$marker"); do
		if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null |
			grep -qxF "WATCHKEEP_STAGE=$1"; then
			left="$left $pid"
		fi
	done
	[ -z "$left" ] || fail "stage $1 left processes running:$left"
}

# Prints the value of metric $2 of stage $1, or nothing.
metric() {
	sql "$db" "select m.value from stage_metrics m join stage_runs r on r.id = m.stage_run_id where r.stage = '$1' and m.name = '$2'"
}

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "daemon", "stages": [
      { "name": "daemonizes",
        "command": ["sh", "-c", "setsid sleep 300 & sleep 1; echo ok"] }
    ] },
    { "name": "hidden", "stages": [
      { "name": "hides", "timeout": "2s", "grace": "1s",
        "command": ["sh", "-c", "setsid sh -c \"trap '' TERM; sleep 300\" & sleep 300"] }
    ] },
    { "name": "interrupted", "stages": [
      { "name": "cancelme", "grace": "1s",
        "command": ["sh", "-c", "setsid sh -c \"trap '' TERM; echo > escaped.ready; sleep 300\" & sleep 300"] }
    ] },
    { "name": "leftover", "stages": [
      { "name": "leaves-child",
        "command": ["sh", "-c", "sleep 300 & echo ok"] }
    ] },
    { "name": "racing", "stages": [
      { "name": "races",
        "command": ["sh", "-c", "setsid sleep 300 & setsid sh -c 'setsid sleep 301 &' & echo ok"] }
    ] }
  ]
}
JSON

# A stage that succeeds and leaves a process in a new session. Its pause
# lets setsid(1) leave the group before the stage ends.
run_once_timed daemon daemon
[ "$status" -eq 0 ] || fail "the daemon stage failed: $(cat "$TEST_DIR/daemon.err")"
[ "$took" -lt 20 ] || fail "the daemon stage took $took s"
expect_eq "$(sql "$db" "select state from stage_runs where stage = 'daemonizes'")" \
	succeeded "state of the daemon stage"
expect_none_left daemonizes
grep -q "stage=daemon/daemonizes: stopped 1 process that had left process group [0-9]* (setsid or setpgid): [0-9]* (sleep)" \
	"$TEST_DIR/daemon.err" || fail "no escaped process in the log: $(cat "$TEST_DIR/daemon.err")"
grep -q "warn .*stopped 1 process that had left" "$TEST_DIR/daemon.err" ||
	fail "the escaped process is not logged at warn level"
expect_eq "$(metric daemonizes watchkeep.escaped_processes)" 1.0 \
	"stored count of escaped processes"
expect_eq "$(metric daemonizes watchkeep.leftover_processes)" "" \
	"stored count of leftovers of the daemon stage"

# A stage that times out while a process in a new session ignores SIGTERM.
run_once_timed hidden hidden
expect_eq "$status" 1 "exit status after the timeout"
[ "$took" -lt 20 ] || fail "the timed-out stage took $took s"
expect_eq "$(sql "$db" "select state from stage_runs where stage = 'hides'")" \
	timed_out "state of the hiding stage"
expect_none_left hides
grep -q "stage=hidden/hides: stopped [0-9]* process.* that had left process group .*(sleep)" \
	"$TEST_DIR/hidden.err" || fail "no escaped process in the log: $(cat "$TEST_DIR/hidden.err")"
escaped=$(metric hides watchkeep.escaped_processes)
[ -n "$escaped" ] || fail "no stored count of escaped processes after the timeout"

# A run cancelled by SIGINT while a process in a new session ignores
# SIGTERM.
"$WATCHKEEP" run --once interrupted -c "$TEST_DIR/config.json" --state-dir "$s" \
	> "$TEST_DIR/out4.txt" 2> "$TEST_DIR/err4.txt" &
client=$!
ready="$s/runs/3/cancelme/escaped.ready"
i=0
while [ ! -e "$ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$ready" ] || fail "the cancelled stage did not start its process"
kill -INT $client
i=0
while is_alive $client && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if is_alive $client; then
	kill -KILL $client
	fail "the cancelled run still runs 20 s after SIGINT"
fi
status=0
wait $client || status=$?
expect_eq "$status" 1 "exit status of the cancelled run"
expect_eq "$(sql "$db" "select reason from stage_runs where stage = 'cancelme'")" \
	cancelled "reason of the cancelled stage"
expect_none_left cancelme
grep -q "stage=interrupted/cancelme: stopped [0-9]* process.* that had left process group .*(sleep)" \
	"$TEST_DIR/err4.txt" || fail "no escaped process in the log: $(cat "$TEST_DIR/err4.txt")"

# A stage that succeeds and leaves a process in its group.
"$WATCHKEEP" run --once leftover -c "$TEST_DIR/config.json" --state-dir "$s" \
	> "$TEST_DIR/out3.txt" 2> "$TEST_DIR/err3.txt" ||
	fail "the leftover stage failed: $(cat "$TEST_DIR/err3.txt")"
expect_none_left leaves-child
grep -q "warn .*stage=leftover/leaves-child: killed 1 leftover process of process group [0-9]* after the stage ended" \
	"$TEST_DIR/err3.txt" || fail "no leftover in the log: $(cat "$TEST_DIR/err3.txt")"
if grep -q "had left process group" "$TEST_DIR/err3.txt"; then
	fail "a process of the group was logged as escaped"
fi
expect_eq "$(metric leaves-child watchkeep.leftover_processes)" 1.0 \
	"stored count of leftovers"
expect_eq "$(metric leaves-child watchkeep.escaped_processes)" "" \
	"stored count of escaped processes of the leftover stage"

# A stage that ends while its children are still calling setsid: a child
# may leave the group between the agent's search and its kill, or be forked
# by one that did. Each run is a new chance for that race, so ten of them.
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$WATCHKEEP" run --once racing -c "$TEST_DIR/config.json" --state-dir "$s" \
		> "$TEST_DIR/race.out" 2> "$TEST_DIR/race.err" ||
		fail "run $i of the racing stage failed: $(cat "$TEST_DIR/race.err")"
	expect_none_left races
done

# The run's result lists the counts with the stage's metrics.
grep -q "watchkeep.escaped_processes=1" "$TEST_DIR/daemon.out" ||
	fail "the result does not show the escaped process: $(cat "$TEST_DIR/daemon.out")"
grep -q "watchkeep.leftover_processes=1" "$TEST_DIR/out3.txt" ||
	fail "the result does not show the leftover: $(cat "$TEST_DIR/out3.txt")"
echo "$TEST_NAME: ok"
