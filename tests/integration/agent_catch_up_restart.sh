# Catch-up after a restart, with the agent's wall clock moved by
# libfaketime. A schedule of every minute misses 7711 slots in five days
# down: the agent runs once for the newest and logs "more than 4096". A
# daily pipeline that never fired before the downtime is caught up too,
# because the first start stored its time as the point to count from.
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

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
  { "name": "every", "schedule": "* * * * *", "time_zone": "UTC", "catch_up": "once",
    "stages": [ { "name": "s", "command": ["true"] } ] },
  { "name": "daily", "schedule": "0 6 * * *", "time_zone": "UTC", "catch_up": "once",
    "stages": [ { "name": "s", "command": ["true"] } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"

# start_at TIME: starts the agent with its wall clock at TIME (UTC).
start_at() {
	TZ=UTC LD_PRELOAD="$lib" FAKETIME="@$1" \
		"$WATCHKEEP" run -c "$TEST_DIR/config.json" --state-dir "$s" \
		2>> "$TEST_DIR/agent.err" &
	agent=$!
	AT_EXIT="kill $agent 2>/dev/null"
}

stop_agent() {
	kill -TERM "$agent"
	i=0
	while is_alive "$agent" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	is_alive "$agent" && fail "the agent did not stop"
	wait "$agent" || fail "the agent exited with status $?"
}

start_at "2024-03-01 01:29:58"
wait_store "select count(*) from runs where trigger = 'schedule' and state = 'succeeded'" 1 "run at 01:30"
stop_agent
expect_eq "$(sql "$db" "select logical_date from runs")" "2024-03-01" "first run"
# The daily pipeline has not fired, but its first start is recorded.
ref=$(sql "$db" "select value from agent_state where key = 'schedule.daily.last_slot'")
[ -n "$ref" ] && [ "$ref" -ge 1709256590 ] && [ "$ref" -le 1709256660 ] ||
	fail "reference time of daily: '$ref', expected 2024-03-01 01:29:58 or a little later"

start_at "2024-03-06 12:00:30"
wait_store "select count(*) from runs where trigger = 'catch-up' and state = 'succeeded'" 2 "catch-up runs"
stop_agent
expect_eq "$(sql "$db" "select logical_date from runs where pipeline = 'every' and trigger = 'catch-up'")" \
	"2024-03-06" "logical date of the catch-up of every"
expect_eq "$(sql "$db" "select logical_date from runs where pipeline = 'daily' and trigger = 'catch-up'")" \
	"2024-03-06" "logical date of the catch-up of daily"
# The newest missed slot is 12:00, which is stored as handled.
expect_eq "$(sql "$db" "select value from agent_state where key = 'schedule.every.last_slot'")" \
	1709726400 "last slot of every"
expect_eq "$(sql "$db" "select value from agent_state where key = 'schedule.daily.last_slot'")" \
	1709704800 "last slot of daily"
grep -q "pipeline every: more than 4096 slots were missed while the agent was down; running once for the latest" \
	"$TEST_DIR/agent.err" || fail "no \"more than 4096\" message in $TEST_DIR/agent.err"
grep -q "pipeline daily: 6 slots were missed while the agent was down; running once for the latest" \
	"$TEST_DIR/agent.err" || fail "no count of the daily pipeline's missed slots in $TEST_DIR/agent.err"
echo "$TEST_NAME: ok"
