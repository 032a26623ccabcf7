# A stage set to on_restart "adopt" keeps sending to the NOTIFY_SOCKET it
# was started with. The agent that adopts it binds that address again, so
# the stage's STATUS, progress and metrics are stored after the restart,
# and its heartbeats are checked: when they stop, heartbeat_action "kill"
# stops the adopted stage and it fails. WATCHDOG=trigger stops it too, and
# the stored reason names the trigger.
. "$(dirname "$0")/../lib.sh"

command -v systemd-notify >/dev/null 2>&1 || { echo "$TEST_NAME: no systemd-notify"; exit 77; }

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "beats", "stages": [
      { "name": "long", "on_restart": "adopt", "heartbeat": "1s",
        "timeout": "120s", "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; i=0; while [ ! -e stop ]; do i=$((i + 1)); systemd-notify WATCHDOG=1 \"STATUS=beat $i\" X_WATCHKEEP_PROGRESS=0.$((i % 10)) X_WATCHKEEP_METRIC=beats=$i 2>/dev/null; sleep 0.2; done; sleep 60; echo done > out.txt" }
    ] },
    { "name": "trigger", "stages": [
      { "name": "asks", "on_restart": "adopt", "heartbeat": "1m",
        "timeout": "120s",
        "command": "echo $$$$ > pid; while [ ! -e go ]; do sleep 0.1; done; systemd-notify WATCHDOG=trigger; sleep 60" }
    ] }
  ]
}
JSON
agent_state
dir="$s/runs/1/long"
dir2="$s/runs/2/asks"
AT_EXIT="$AT_EXIT"'; [ ! -s "$dir/pid" ] || kill -9 -"$(cat "$dir/pid")" 2>/dev/null'
AT_EXIT="$AT_EXIT"'; [ ! -s "$dir2/pid" ] || kill -9 -"$(cat "$dir2/pid")" 2>/dev/null'

run_agent
"$WATCHKEEP" run-now beats --state-dir "$s" > /dev/null 2>&1 &
wait_store "select status_text like 'beat %' from stage_runs where run_id = 1" 1 "STATUS before the restart"
stop_agent KILL
pid=$(cat "$dir/pid")
sleep 0.5
is_alive "$pid" || fail "the stage died with the agent"
status_before=$(sql "$db" "select status_text from stage_runs where run_id = 1")
metric_before=$(sql "$db" "select value from stage_metrics where name = 'beats'")

run_agent
grep -q "receiving the notify datagrams of adopted process $pid at " "$TEST_DIR/agent.err" ||
	fail "no line about the notify socket bound again: $(cat "$TEST_DIR/agent.err")"
wait_store "select cast(substr(status_text, 6) as integer) > ${status_before#beat } from stage_runs where run_id = 1" 1 \
	"STATUS newer than '$status_before' stored after the restart"
[ "$(sql "$db" "select value > $metric_before from stage_metrics where name = 'beats'")" = 1 ] ||
	fail "metric not stored after the restart"
[ "$(sql "$db" "select progress is not null from stage_runs where run_id = 1")" = 1 ] ||
	fail "no progress stored"
# Beats go on for 3 s: two intervals pass and the stage must stay.
sleep 3
is_alive "$pid" || fail "the adopted stage was stopped while it sent heartbeats"

# The heartbeats stop: past two intervals the adopted stage is stopped.
touch "$dir/stop"
wait_store "select state || ':' || coalesce(reason, '') from stage_runs where run_id = 1" \
	"failed:heartbeats stopped; the stage was stopped" "adopted stage after its heartbeats stopped"
wait_store "select state from runs where id = 1" failed "run 1"
grep -q "run=1 stage=beats/long: no heartbeat for [0-9]* ms (interval 1000 ms); stopping process group $pid" \
	"$TEST_DIR/agent.err" || fail "no line about the stop: $(cat "$TEST_DIR/agent.err")"
is_alive "$pid" && fail "the adopted stage still runs"

# An adopted stage that sends WATCHDOG=trigger is stopped at once.
"$WATCHKEEP" run-now trigger --state-dir "$s" > /dev/null 2>&1 &
wait_store "select state from stage_runs where run_id = 2" running "trigger stage running"
i=0
while [ ! -s "$dir2/pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
stop_agent KILL
pid2=$(cat "$dir2/pid")
run_agent
i=0
while ! grep -q "receiving the notify datagrams of adopted process $pid2 at " "$TEST_DIR/agent.err" &&
	[ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
touch "$dir2/go"
wait_store "select state || ':' || coalesce(reason, '') from stage_runs where run_id = 2" \
	"failed:the stage sent WATCHDOG=trigger; it was stopped" "adopted stage after WATCHDOG=trigger"
grep -q "run=2 stage=trigger/asks: the stage sent WATCHDOG=trigger; stopping process group $pid2" \
	"$TEST_DIR/agent.err" || fail "no line about the trigger: $(cat "$TEST_DIR/agent.err")"

stop_agent
echo "$TEST_NAME: ok"
