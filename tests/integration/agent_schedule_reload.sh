# A configuration reload catches nothing up, because the agent was running.
# The agent's wall clock runs 60 times as fast under libfaketime. An hourly
# schedule fires at 03:00, then is changed to every 5 minutes and reloaded
# with SIGHUP after 03:05: the 03:05 slot is not run, the 03:10 one is.
. "$(dirname "$0")/../lib.sh"

lib=""
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 /usr/lib/*/faketime/libfaketimeMT.so.1; do
	[ -f "$f" ] && lib=$f && break
done
[ -n "$lib" ] || { echo "$TEST_NAME: libfaketime not installed"; exit 77; }
# The AddressSanitizer runtime intercepts clock_gettime() before libfaketime
# is ready, so a preloaded sanitizer build hangs (see agent_clock_jump.sh).
if grep -q __asan_init "$WATCHKEEP"; then
	echo "$TEST_NAME: libfaketime cannot be preloaded into a sanitizer build: skipped"
	exit 77
fi

# write_config SCHEDULE
write_config() {
	cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
  { "name": "h", "schedule": "$1", "time_zone": "UTC", "catch_up": "once",
    "stages": [ { "name": "s", "command": ["true"] } ] } ],
  "web": { "enabled": false } }
JSON
}

s="$TEST_DIR/s"
db="$s/store.db"
slot_0300=1714532400    # 2024-05-01T03:00:00Z
slot_0310=1714533000    # 2024-05-01T03:10:00Z

write_config "0 * * * *"
TZ=UTC LD_PRELOAD="$lib" FAKETIME="@2024-05-01 02:59:30 x60" \
	"$WATCHKEEP" run -c "$TEST_DIR/config.json" --state-dir "$s" \
	2>> "$TEST_DIR/agent.err" &
agent=$!
AT_EXIT="kill $agent 2>/dev/null"
wait_store "select count(*) from runs where state = 'succeeded'" 1 "run at 03:00"
started=$(sql "$db" "select started_at / 1000 from runs")
[ "$started" -ge $slot_0300 ] && [ "$started" -lt $((slot_0300 + 120)) ] ||
	fail "the first run started at $started, expected 03:00 ($slot_0300)"

# Reload between 03:05 and 03:10 of the agent's clock, which is 5.5 to
# 10.5 s of real time after its start. The first run ends about 0.5 s after
# the start, so 7.5 s more reloads near 03:08, with 2 s to spare each side.
write_config "*/5 * * * *"
sleep 7.5
kill -HUP "$agent"
wait_store "select count(*) from runs where state = 'succeeded'" 2 "run at 03:10"
kill -TERM "$agent"
wait "$agent" || fail "the agent exited with status $?"
grep -q "configuration reloaded" "$TEST_DIR/agent.err" || fail "no reload in $TEST_DIR/agent.err"
if grep "missed while the agent was down" "$TEST_DIR/agent.err"; then
	fail "the reload was taken for a downtime"
fi
expect_eq "$(sql "$db" "select count(*) from runs where trigger <> 'schedule'")" 0 "runs not started by the schedule"
started=$(sql "$db" "select started_at / 1000 from runs where id = (select max(id) from runs)")
[ "$started" -ge $slot_0310 ] && [ "$started" -lt $((slot_0310 + 120)) ] ||
	fail "the second run started at $started, expected 03:10 ($slot_0310)"
echo "$TEST_NAME: ok"
