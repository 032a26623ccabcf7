# A `run --once` or `run-now` that finds a `run --once` holding the lock
# hands its run over to that one-shot agent. Each command prints and exits
# by its own runs only, the one-shot agent serves the handed-over run until
# it ends, and a SIGINT on the one-shot command cancels only its own run.
# A second SIGINT cancels the handed-over run too. Queued runs handed over
# stay in the store's run_queue when the one-shot agent stops, and the
# next agent runs them.
. "$(dirname "$0")/../lib.sh"

g="$TEST_DIR/gate"
mkdir "$g"
# Each stage writes its pid, marks that it started and waits for its gate.
cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
    { "name": "one", "stages": [ { "name": "s", "command":
      "echo \$\$\$\$ > pid; touch $g/one.started; while [ ! -e $g/one.go ]; do sleep 0.1; done; echo one" } ] },
    { "name": "two", "stages": [ { "name": "s", "command":
      "echo \$\$\$\$ > pid; touch $g/two.started; while [ ! -e $g/two.go ]; do sleep 0.1; done; echo two; exit 9" } ] },
    { "name": "three", "stages": [ { "name": "s", "command":
      "echo \$\$\$\$ > pid; touch $g/three.started; while [ ! -e $g/three.go ]; do sleep 0.1; done; echo three" } ] },
    { "name": "four", "overlap": "queue", "stages": [ { "name": "s", "command":
      "echo \$\$\$\$ > pid; touch $g/four.started; while [ ! -e $g/four.go ]; do sleep 0.1; done; echo four" } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
first=""
second=""
agent=""
AT_EXIT='for p in $first $second $agent; do kill -9 $p 2>/dev/null; done; for f in "$s"/runs/*/*/pid; do [ -r "$f" ] && kill -9 -"$(cat "$f")" 2>/dev/null; done; true'

# wait_file FILE: waits up to 20 s until FILE exists.
wait_file() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ] || fail "$1 did not appear within 20 s"
}

# wait_text FILE TEXT: waits up to 20 s until FILE contains TEXT.
wait_text() {
	i=0
	while ! grep -q "$2" "$1" && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q "$2" "$1" || fail "no '$2' in $1 within 20 s: $(cat "$1")"
}

# wait_exit PID: waits up to 20 s for the command PID and sets $status.
wait_exit() {
	i=0
	while is_alive "$1" && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	is_alive "$1" && { kill -9 "$1"; fail "command $1 still runs after 20 s"; }
	status=0
	wait "$1" || status=$?
}

# start NAME ARGS...: starts watchkeep ARGS in the background with its
# output in NAME.out and NAME.err, and sets $started to its pid.
start() {
	name=$1
	shift
	"$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$s" \
		> "$TEST_DIR/$name.out" 2> "$TEST_DIR/$name.err" &
	started=$!
}

# start_pair N PIPELINE ARGS...: starts `run --once one` as aN and then
# watchkeep ARGS PIPELINE as bN, each until its stage has started, and sets
# $first and $second to their pids.
start_pair() {
	n=$1
	pipeline=$2
	shift 2
	start "a$n" run --once one
	first=$started
	wait_file "$g/one.started"
	start "b$n" "$@" "$pipeline"
	second=$started
	wait_file "$g/$pipeline.started"
}

# end_first STATUS WHAT, end_second STATUS WHAT: waits for the first or the
# second command, clears its pid and fails unless it exited with STATUS.
end_first() {
	wait_exit "$first"
	first=""
	expect_eq "$status" "$1" "$2"
}
end_second() {
	wait_exit "$second"
	second=""
	expect_eq "$status" "$1" "$2"
}

# Run 1 (one) in the one-shot agent of the first command, run 2 (two)
# handed over by the second. Run 1 ends first: the first command prints
# it at once and waits for run 2 before it exits, with run 1's status.
start_pair 1 two run --once
touch "$g/one.go"
wait_text "$TEST_DIR/a1.out" "Run 1 of pipeline one: succeeded"
is_alive "$first" || fail "the first command exited while the handed-over run 2 was in progress"
touch "$g/two.go"
end_second 1 "exit status of the second command, whose run failed"
expect_grep "$TEST_DIR/b1.out" "Run 2 of pipeline two: failed" \
	"the second command did not print run 2"
grep -q "pipeline one" "$TEST_DIR/b1.out" &&
	fail "the second command printed run 1: $(cat "$TEST_DIR/b1.out")"
end_first 0 "exit status of the first command, whose run succeeded"
grep -q "pipeline two" "$TEST_DIR/a1.out" &&
	fail "the first command printed the handed-over run 2: $(cat "$TEST_DIR/a1.out")"
expect_eq "$(sql "$db" "select state from runs where id = 2")" failed "run 2"
rm -f "$g"/*

# SIGINT on the first command cancels its run 3 but not run 4, which
# run-now handed over; run-now gets its own result and exit status.
start_pair 2 three run-now
kill -INT "$first"
wait_text "$TEST_DIR/a2.out" "Run 3 of pipeline one: failed"
expect_eq "$(sql "$db" "select reason from stage_runs where run_id = 3")" cancelled "stage of run 3"
expect_eq "$(sql "$db" "select state from runs where id = 4")" running "run 4 after the SIGINT"
is_alive "$first" || fail "the first command exited while the handed-over run 4 was in progress"
expect_grep "$TEST_DIR/a2.err" "run=4.*pid $second handed over goes on until it ends" \
	"the first command did not say that run 4 goes on"
touch "$g/three.go"
end_second 0 "exit status of run-now, whose run succeeded"
expect_grep "$TEST_DIR/b2.out" "Run 4 of pipeline three: succeeded" "run-now did not print run 4"
end_first 1 "exit status of the interrupted first command"
grep -q "pipeline three" "$TEST_DIR/a2.out" &&
	fail "the first command printed the handed-over run 4: $(cat "$TEST_DIR/a2.out")"
rm -f "$g"/*

# The interrupted one-shot agent rejects new runs, and a second SIGINT
# cancels the handed-over run 6 too.
start_pair 3 three run-now
kill -INT "$first"
wait_text "$TEST_DIR/a3.out" "Run 5 of pipeline one: failed"
status=0
"$WATCHKEEP" run-now two -c "$TEST_DIR/config.json" --state-dir "$s" \
	> "$TEST_DIR/c3.out" 2> "$TEST_DIR/c3.err" || status=$?
expect_eq "$status" 1 "exit status of run-now sent to the interrupted agent"
expect_grep "$TEST_DIR/c3.err" "one-shot agent $first that holds the state directory was interrupted" \
	"run-now did not name the interrupted agent"
expect_eq "$(sql "$db" "select count(*) from runs where pipeline = 'two'")" 1 "runs of two"
kill -INT "$first"
end_second 1 "exit status of run-now, whose run was cancelled"
case $(sql "$db" "select reason from stage_runs where run_id = 6") in
cancelled*) ;;
*) fail "stage of run 6 was not cancelled: $(sql "$db" "select reason from stage_runs where run_id = 6")" ;;
esac
end_first 1 "exit status of the first command after two SIGINTs"
expect_grep "$TEST_DIR/a3.err" "again; cancelling the runs now" "no message on the second SIGINT"
rm -f "$g"/*

# A backfill and a run-now handed over while run 8 of four is in progress
# queue three runs in the one-shot agent. A SIGINT on the first command
# leaves them in run_queue, and the next agent runs them.
start_pair 4 four run-now
try_wk backfill four --from 2026-01-01 --to 2026-01-02
expect_eq "$status" 0 "exit status of the handed-over backfill"
expect_grep "$TEST_DIR/out" "the runs wait in the queue of a one-shot agent" \
	"the backfill did not say where its runs wait"
try_wk run-now four --date 2026-01-05
expect_eq "$status" 0 "exit status of the handed-over queued run-now"
expect_grep "$TEST_DIR/out" "the run waits in the queue of a one-shot agent" \
	"the queued run-now did not say where its run waits"
kill -INT "$first"
wait_text "$TEST_DIR/a4.out" "Run 7 of pipeline one: failed"
wait_text "$TEST_DIR/a4.err" "pipeline four: 3 queued runs stay in the store"
grep -q "dropped the queued run" "$TEST_DIR/a4.err" &&
	fail "the one-shot agent dropped a handed-over run: $(cat "$TEST_DIR/a4.err")"
expect_eq "$(sql "$db" "select group_concat(logical_date, ' ') from (select logical_date from run_queue where pipeline = 'four' order by id)")" \
	"2026-01-01 2026-01-02 2026-01-05" "stored queue after the SIGINT"
touch "$g/four.go"
end_second 0 "exit status of run-now, whose run 8 succeeded"
end_first 1 "exit status of the first command after the SIGINT"
expect_eq "$(sql "$db" "select count(*) from runs where pipeline = 'four'")" 1 \
	"runs of four before the next agent"
run_agent
wait_store "select group_concat(logical_date, ' ') from (select logical_date from runs where pipeline = 'four' and id > 8 and state = 'succeeded' order by logical_date)" \
	"2026-01-01 2026-01-02 2026-01-05" "queued runs in the next agent"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 0 "stored queue after the next agent ran it"
kill -TERM "$agent"
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
