# Heartbeats over NOTIFY_SOCKET: systemd-notify works from a shell stage,
# a stage whose heartbeats stop is warned about, then stopped; a stage told
# to heartbeat that never does is caught too; "warn" keeps it running.
# WATCHDOG=trigger applies the heartbeat action at once, also without a
# heartbeat interval, and the stored reason names the trigger.
. "$(dirname "$0")/../lib.sh"

command -v systemd-notify >/dev/null 2>&1 || { echo "$TEST_NAME: no systemd-notify"; exit 77; }

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "beats", "stages": [
      { "name": "ok", "heartbeat": "1s",
        "command": "for i in 1 2 3 4; do systemd-notify WATCHDOG=1 STATUS=\"step $i\" X_WATCHKEEP_PROGRESS=0.$i X_WATCHKEEP_METRIC=rows=$i; sleep 0.5; done" }
    ] },
    { "name": "stops", "stages": [
      { "name": "hangs", "heartbeat": "1s", "timeout": "60s",
        "command": "systemd-notify WATCHDOG=1; sleep 0.2; systemd-notify WATCHDOG=1; sleep 30" }
    ] },
    { "name": "silent", "stages": [
      { "name": "never", "heartbeat": "1s", "timeout": "60s", "command": "sleep 30" }
    ] },
    { "name": "lenient", "stages": [
      { "name": "quiet", "heartbeat": "500ms", "heartbeat_action": "warn",
        "command": "sleep 2" }
    ] },
    { "name": "trigger", "stages": [
      { "name": "asks", "timeout": "60s",
        "command": "systemd-notify WATCHDOG=trigger; sleep 30" }
    ] },
    { "name": "trigger_beat", "stages": [
      { "name": "asks", "heartbeat": "1m", "timeout": "60s",
        "command": "systemd-notify WATCHDOG=trigger; sleep 30" }
    ] },
    { "name": "trigger_warn", "stages": [
      { "name": "asks", "heartbeat": "1m", "heartbeat_action": "warn",
        "command": "systemd-notify WATCHDOG=trigger; sleep 1" }
    ] }
  ]
}
JSON
W() { "$WATCHKEEP" run --once "$1" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }
db="$TEST_DIR/s/store.db"

W beats > "$TEST_DIR/beats.out" 2> "$TEST_DIR/beats.err" || fail "heartbeating stage failed: $(cat "$TEST_DIR/beats.err")"
expect_eq "$(sql "$db" "select status_text from stage_runs where stage = 'ok'")" "step 4" "STATUS= from systemd-notify"
expect_eq "$(sql "$db" "select m.value from stage_metrics m join stage_runs s on s.id = m.stage_run_id where s.stage = 'ok' and m.name = 'rows'")" \
	4.0 "metric from systemd-notify"
[ "$(sql "$db" "select heartbeat_at > 0 from stage_runs where stage = 'ok'")" = 1 ] || fail "no heartbeat stored"

for p in stops silent; do
	start=$(date +%s)
	status=0
	W $p > "$TEST_DIR/$p.out" 2> "$TEST_DIR/$p.err" || status=$?
	took=$(($(date +%s) - start))
	expect_eq "$status" 1 "$p: exit status"
	[ "$took" -lt 20 ] || fail "$p: stopped only after $took s"
	grep -q "no heartbeat for" "$TEST_DIR/$p.err" || fail "$p: no warning"
	grep -q "heartbeats stopped" "$TEST_DIR/$p.out" || fail "$p: no reason: $(cat "$TEST_DIR/$p.out")"
done

W lenient > "$TEST_DIR/lenient.out" 2> "$TEST_DIR/lenient.err" || fail "warn-only stage failed"
grep -q "no heartbeat for" "$TEST_DIR/lenient.err" || fail "lenient: no warning"

for p in trigger trigger_beat; do
	start=$(date +%s)
	status=0
	W $p > "$TEST_DIR/$p.out" 2> "$TEST_DIR/$p.err" || status=$?
	took=$(($(date +%s) - start))
	expect_eq "$status" 1 "$p: exit status"
	[ "$took" -lt 20 ] || fail "$p: stopped only after $took s"
	grep -q "run=[0-9]* stage=$p/asks: the stage sent WATCHDOG=trigger; stopping process group" \
		"$TEST_DIR/$p.err" || fail "$p: no log line: $(cat "$TEST_DIR/$p.err")"
	expect_eq "$(sql "$db" "select s.reason from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$p'")" \
		"the stage sent WATCHDOG=trigger; it was stopped" "$p: stored reason"
	grep -q "the stage sent WATCHDOG=trigger; it was stopped" "$TEST_DIR/$p.out" ||
		fail "$p: no reason: $(cat "$TEST_DIR/$p.out")"
	! grep -q "heartbeats stopped" "$TEST_DIR/$p.out" || fail "$p: reason names heartbeats"
done

W trigger_warn > "$TEST_DIR/trigger_warn.out" 2> "$TEST_DIR/trigger_warn.err" ||
	fail "trigger with heartbeat_action warn failed"
grep -q "stage=trigger_warn/asks: the stage sent WATCHDOG=trigger; heartbeat_action is \"warn\"" \
	"$TEST_DIR/trigger_warn.err" || fail "trigger_warn: no warning"
echo "$TEST_NAME: ok"
