# Stages set to on_restart "adopt" write their log files themselves, so
# they outlive a kill -9 of the agent without dying of SIGPIPE. The next
# agent goes on reading the files where the last commit ended, so every
# line is stored once. A stage that ended while no agent ran is judged by
# its declared outputs, like one that ends after the restart.
. "$(dirname "$0")/../lib.sh"

# head_lines 10 puts most lines in the stored tail, which the next agent
# has to load back before it stores the tail again.
cat > "$TEST_DIR/config.json" <<'JSON'
{
  "logs": { "head_lines": 10, "tail_lines": 200 },
  "pipelines": [
    { "name": "ticker", "stages": [
      { "name": "tick", "on_restart": "adopt",
        "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; trap 'echo SIGPIPE > sigpipe; exit 141' PIPE; i=1; while [ $i -le 40 ]; do echo \"tick $i\"; echo \"warn $i\" >&2; i=$((i + 1)); sleep 0.1; done; echo done > out.txt" }
    ] },
    { "name": "quick", "stages": [
      { "name": "gone", "on_restart": "adopt",
        "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; echo before; while [ ! -e go ]; do sleep 0.05; done; echo after; if [ -e skip ]; then exit 0; fi; echo done > out.txt" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'

# Prints the stored lines of one stream of a stage's latest attempt.
stored_lines() {
	"$WATCHKEEP" logs "$1" --run "$2" --stream "$3" --state-dir "$s" 2>&1
}

# Checks that the stored lines of a stream are "$3 1" to "$3 40", once each.
check_numbered() {
	out=$(stored_lines "$1" "$2" "$4")
	for i in $(seq 1 40); do
		n=$(printf '%s\n' "$out" | grep -c -- " $3 $i\$" || true)
		[ "$n" = 1 ] || fail "$4 line '$3 $i' is stored $n times: $out"
	done
	total=$(printf '%s\n' "$out" | grep -c -- " $3 [0-9]*\$" || true)
	expect_eq "$total" 40 "numbered $4 lines stored"
}

# A stage that writes every 100 ms for 4 s; the agent is killed mid-way.
run_agent
"$WATCHKEEP" run-now ticker --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from log_lines where stream = 1 and text = 'tick 12'" 1 "line 12 stored"
kill -9 $agent
wait $agent 2>/dev/null || true
dir="$s/runs/1/tick"
pid=$(cat "$dir/pid")
sleep 0.5
is_alive "$pid" || fail "the stage died with the agent"

run_agent
wait_store "select state from runs where id = 1" succeeded "run 1 after adoption"
[ ! -e "$dir/sigpipe" ] || fail "the stage got SIGPIPE"
expect_eq "$(sql "$db" "select state || ':' || coalesce(exit_code, 'unknown') || ':' || coalesce(reason, '') from stage_runs where run_id = 1")" \
	"succeeded:unknown:" "adopted attempt"
check_numbered ticker/tick 1 tick stdout
check_numbered ticker/tick 1 warn stderr
expect_eq "$(sql "$db" "select stored_bytes from log_file_offsets where stream = 1 and stage_run_id = (select id from stage_runs where run_id = 1)")" \
	"$(wc -c < "$dir/stdout.log")" "stored read position of stdout"

# The log files hold what the stage wrote, each line once.
expect_eq "$(grep -c '^tick' "$dir/stdout.log")" 40 "lines in stdout.log"

# A stage that ends while no agent runs: with its output it succeeds.
"$WATCHKEEP" run-now quick --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from log_lines l join stage_runs s on s.id = l.stage_run_id where s.run_id = 2 and l.text = 'before'" 1 "first line of run 2"
kill -9 $agent
wait $agent 2>/dev/null || true
dir="$s/runs/2/gone"
pid=$(cat "$dir/pid")
touch "$dir/go"
i=0
while is_alive "$pid" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is_alive "$pid" && fail "the stage of run 2 did not end"
run_agent
wait_store "select state from runs where id = 2" succeeded "run 2 ended while no agent ran"
expect_eq "$(sql "$db" "select attempt || ':' || state || ':' || coalesce(exit_code, 'unknown') from stage_runs where run_id = 2")" \
	"1:succeeded:unknown" "attempt of run 2"
expect_eq "$(stored_lines quick/gone 2 stdout | grep -c -e ' before$' -e ' after$')" 2 \
	"lines of run 2 before and after the restart"
# Where no process reaps orphans, the ended stage stays a zombie. The agent
# then adopts it and finds it ended at once, and judges it the same way.
grep -q -e "process $pid of attempt 1 ended while no agent ran" \
	-e "adopted process $pid ended" "$TEST_DIR/agent.err" ||
	fail "no line about the stage that ended while no agent ran"

# The same stage without its output fails. It has no retries, so the run
# fails with it.
"$WATCHKEEP" run-now quick --state-dir "$s" > /dev/null 2>&1 &
wait_store "select count(*) from log_lines l join stage_runs s on s.id = l.stage_run_id where s.run_id = 3 and l.text = 'before'" 1 "first line of run 3"
kill -9 $agent
wait $agent 2>/dev/null || true
dir="$s/runs/3/gone"
pid=$(cat "$dir/pid")
touch "$dir/skip" "$dir/go"
i=0
while is_alive "$pid" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is_alive "$pid" && fail "the stage of run 3 did not end"
run_agent
wait_store "select state || ':' || coalesce(exit_code, 'unknown') from stage_runs where run_id = 3 and attempt = 1" \
	"failed:unknown" "attempt 1 of run 3 without its output"
expect_eq "$(sql "$db" "select reason from stage_runs where run_id = 3 and attempt = 1")" \
	"adopted after an agent restart; exit status unknown, declared outputs missing or older than the attempt" \
	"reason of attempt 1 of run 3"
expect_eq "$(stored_lines quick/gone 3 stdout | grep -c -e ' before$' -e ' after$')" 2 \
	"lines of run 3 before and after the restart"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
