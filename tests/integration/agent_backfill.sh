# Backfill: one run per scheduled date of a past range, one after another,
# each with that local date as its logical date, which stages see. A
# schedule that fires several times a day still gets one run per date.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "nightly", "schedule": "30 2 * * *",
  "time_zone": "Asia/Tokyo", "stages": [
  { "name": "a", "command": "echo date=$WATCHKEEP_LOGICAL_DATE" } ] } ] }
JSON
"$WATCHKEEP" backfill nightly --from 2024-02-27 --to 2024-03-01 \
	-c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" > "$TEST_DIR/out.txt" 2>&1 ||
	fail "backfill failed: $(cat "$TEST_DIR/out.txt")"
db="$TEST_DIR/s/store.db"
expect_eq "$(sql "$db" "select group_concat(logical_date || ':' || trigger || ':' || state, ' ') from (select * from runs order by id)")" \
	"2024-02-27:backfill:succeeded 2024-02-28:backfill:succeeded 2024-02-29:backfill:succeeded 2024-03-01:backfill:succeeded" \
	"backfilled runs"
expect_eq "$(sql "$db" "select l.text from log_lines l join stage_runs s on s.id = l.stage_run_id where s.run_id = 3")" \
	"date=2024-02-29" "logical date seen by the stage"
# 02:30 in Tokyo is 17:30 UTC the day before.
expect_eq "$(sql "$db" "select scheduled_at from runs where id = 1")" 1708968600000 "scheduled slot"

# Every 5 minutes: one run per date, for the first slot (00:00 local), and
# the output says why, with and without an agent.
cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "frequent", "schedule": "*/5 * * * *",
  "time_zone": "Asia/Tokyo", "stages": [ { "name": "a", "command": "true" } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s2"
db="$s/store.db"
"$WATCHKEEP" backfill frequent --from 2024-03-01 --to 2024-03-03 \
	-c "$TEST_DIR/config.json" --state-dir "$s" > "$TEST_DIR/out2.txt" 2> "$TEST_DIR/err2.txt" ||
	fail "backfill of frequent failed: $(cat "$TEST_DIR/err2.txt")"
expect_eq "$(sql "$db" "select group_concat(logical_date || ':' || scheduled_at, ' ') from (select * from runs order by id)")" \
	"2024-03-01:1709218800000 2024-03-02:1709305200000 2024-03-03:1709391600000" \
	"one run per date of frequent, each for the date's first slot"
grep -q "one run per date, .* fires up to 288 times a day" "$TEST_DIR/err2.txt" ||
	fail "no note on the daily firings: $(cat "$TEST_DIR/err2.txt")"

agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
run_agent
"$WATCHKEEP" backfill frequent --from 2024-04-01 --to 2024-04-02 \
	-c "$TEST_DIR/config.json" --state-dir "$s" > "$TEST_DIR/out3.txt" 2>&1 ||
	fail "backfill through the agent failed: $(cat "$TEST_DIR/out3.txt")"
expect_eq "$(head -n 1 "$TEST_DIR/out3.txt")" "queued 2 runs in the agent" "answer of the agent"
grep -q "^one run per date, .* fires up to 288 times a day$" "$TEST_DIR/out3.txt" ||
	fail "the agent's answer has no note: $(cat "$TEST_DIR/out3.txt")"
wait_store "select count(*) from runs where trigger = 'backfill' and logical_date >= '2024-04-01' and state = 'succeeded'" 2 \
	"runs of the backfill through the agent"
kill -TERM "$agent"
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
