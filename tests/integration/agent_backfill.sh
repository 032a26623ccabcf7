# Backfill: one run per scheduled slot of a past range, one after another,
# each with its slot's local date as its logical date, which stages see.
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
echo "$TEST_NAME: ok"
