# A stage set to on_restart "adopt" keeps sending to the NOTIFY_SOCKET it
# was started with. The agent that adopts it binds that address again, so
# the stage's STATUS, progress and metrics are stored after the restart,
# and its heartbeats are checked: when they stop, heartbeat_action "kill"
# stops the adopted stage and it fails.
. "$(dirname "$0")/../lib.sh"

command -v systemd-notify >/dev/null 2>&1 || { echo "$TEST_NAME: no systemd-notify"; exit 77; }

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "beats", "stages": [
      { "name": "long", "on_restart": "adopt", "heartbeat": "1s",
        "timeout": "120s", "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; i=0; while [ ! -e stop ]; do i=$((i + 1)); systemd-notify WATCHDOG=1 \"STATUS=beat $i\" X_WATCHKEEP_PROGRESS=0.$((i % 10)) X_WATCHKEEP_METRIC=beats=$i 2>/dev/null; sleep 0.2; done; sleep 60; echo done > out.txt" }
    ] }
  ]
}
JSON
agent_state
dir="$s/runs/1/long"
AT_EXIT="$AT_EXIT"'; [ ! -s "$dir/pid" ] || kill -9 -"$(cat "$dir/pid")" 2>/dev/null'

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

stop_agent
echo "$TEST_NAME: ok"
