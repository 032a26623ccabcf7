# Without --date, run-now and run --once run for today in the pipeline's
# time_zone (UTC when it sets none), with or without an agent, whatever the
# TZ of the caller and of the agent.
. "$(dirname "$0")/../lib.sh"

# A zone whose date differs from the UTC date now: Kiritimati (UTC+14) is a
# day ahead from 10:00 UTC on, Pago Pago (UTC-11) a day behind before 11:00.
if [ "$(date -u +%H)" -ge 10 ]; then
	zone=Pacific/Kiritimati
else
	zone=Pacific/Pago_Pago
fi
[ -e "/usr/share/zoneinfo/$zone" ] || { echo "$TEST_NAME: no tzdata, skipped"; exit 77; }

cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
  { "name": "zoned", "time_zone": "$zone", "overlap": "queue",
    "stages": [ { "name": "a", "command": "true" } ] },
  { "name": "plain", "overlap": "queue",
    "stages": [ { "name": "a", "command": "true" } ] } ],
  "web": { "enabled": false } }
JSON
agent_state

# zone_date ZONE: today's date in ZONE.
zone_date() {
	python3 -c 'import datetime, sys, zoneinfo
print(datetime.datetime.now(zoneinfo.ZoneInfo(sys.argv[1])).date())' "$1"
}

# expect_date RUN DATE ZONE WHAT: run RUN has DATE, today's date in ZONE
# read before the run, or today's date in ZONE now, in case midnight passed.
expect_date() {
	got=$(sql "$db" "select logical_date from runs where id = $1")
	[ "$got" = "$2" ] || [ "$got" = "$(zone_date "$3")" ] ||
		fail "$4: expected $2 ($3), got '$got'"
}

# The caller's TZ is UTC for the zoned pipeline and $zone for the plain
# one, so a date from the caller's TZ is wrong in both cases.
before=$(zone_date "$zone")
TZ=UTC wk run-now zoned > "$TEST_DIR/once1.out" 2>&1 ||
	fail "one-shot run-now failed: $(cat "$TEST_DIR/once1.out")"
expect_date 1 "$before" "$zone" "one-shot run-now of the zoned pipeline"

before=$(zone_date "$zone")
TZ=UTC wk run --once zoned > "$TEST_DIR/once2.out" 2>&1 ||
	fail "run --once failed: $(cat "$TEST_DIR/once2.out")"
expect_date 2 "$before" "$zone" "run --once of the zoned pipeline"

before=$(zone_date UTC)
TZ=$zone wk run-now plain > "$TEST_DIR/once3.out" 2>&1 ||
	fail "one-shot run-now of plain failed: $(cat "$TEST_DIR/once3.out")"
expect_date 3 "$before" UTC "one-shot run-now of the pipeline without time_zone"

# The agent runs with TZ=UTC; the callers' TZ differs again.
TZ=UTC
export TZ
run_agent
unset TZ
before=$(zone_date "$zone")
TZ=Europe/Berlin wk run-now zoned > "$TEST_DIR/agent1.out" 2>&1 ||
	fail "run-now through the agent failed: $(cat "$TEST_DIR/agent1.out")"
expect_date 4 "$before" "$zone" "run-now of the zoned pipeline through the agent"

before=$(zone_date UTC)
TZ=$zone wk run-now plain > "$TEST_DIR/agent2.out" 2>&1 ||
	fail "run-now of plain through the agent failed: $(cat "$TEST_DIR/agent2.out")"
expect_date 5 "$before" UTC "run-now of the pipeline without time_zone through the agent"

before=$(zone_date "$zone")
TZ=UTC wk run --once zoned > "$TEST_DIR/agent3.out" 2>&1 ||
	fail "run --once through the agent failed: $(cat "$TEST_DIR/agent3.out")"
expect_date 6 "$before" "$zone" "run --once of the zoned pipeline through the agent"
grep -q "asking it to run now" "$TEST_DIR/agent3.out" ||
	fail "run --once did not go through the agent: $(cat "$TEST_DIR/agent3.out")"

kill -TERM "$agent"
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
expect_eq "$(sql "$db" "select count(*) from runs where state = 'succeeded'")" 6 "succeeded runs"
echo "$TEST_NAME: ok"
