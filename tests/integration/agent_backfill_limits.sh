# Input checks of backfill and rerun: invalid dates, ranges over the limit
# and options without a value are rejected before any run starts.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "daily", "stages": [ { "name": "a", "command": ["true"] } ] },
    { "name": "hourly", "schedule": "0 * * * *",
      "stages": [ { "name": "a", "command": ["true"] } ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"

try_wk backfill daily --from 2026-02-30 --to 2026-03-01
expect_eq "$status" 2 "exit status for February 30"
expect_err 'invalid date "2026-02-30" for --from' "February 30"
[ ! -e "$s" ] || fail "an invalid date created the state directory"

try_wk run-now daily --date 2026-02-30
expect_eq "$status" 2 "exit status of run-now for February 30"
expect_err 'invalid date "2026-02-30" for --date' "run-now February 30"
[ ! -e "$s" ] || fail "an invalid run-now date created the state directory"

try_wk backfill daily --from 2026-01-01 --to 2026-13-01
expect_eq "$status" 2 "exit status for month 13"
expect_err 'invalid date "2026-13-01" for --to' "month 13"

try_wk backfill daily --from 1969-12-31 --to 1970-01-02
expect_eq "$status" 2 "exit status for 1969"
expect_err '"1969-12-31" for --from is before 1970-01-01' "1969"

try_wk backfill daily --from 2026-03-02 --to 2026-03-01
expect_eq "$status" 2 "exit status for a reversed range"
expect_err "is after --to" "reversed range"

try_wk backfill daily --from 2026-03-01 --to -c
expect_eq "$status" 2 "exit status for --to without a value"
expect_err "--to needs a value" "--to without a value"

# 2020-01-01 to 2026-01-01 has 2193 days: rejected whole, nothing runs.
try_wk backfill daily --from 2020-01-01 --to 2026-01-01
expect_eq "$status" 1 "exit status for 2193 daily slots"
expect_err "holds 2193 slots of pipeline daily, more than the 1024" "daily limit"
expect_eq "$(sql "$db" "select count(*) from runs")" 0 "runs after the rejected daily range"

# The limit counts dates, not slots: 1097 dates of an hourly schedule.
try_wk backfill hourly --from 2020-01-01 --to 2023-01-01
expect_eq "$status" 1 "exit status for too many hourly dates"
expect_err "holds more than 1024 dates on which pipeline hourly is scheduled" "hourly limit"
expect_eq "$(sql "$db" "select count(*) from runs")" 0 "runs after the rejected hourly range"

# A range within the limit is accepted: one run for the date of its 24
# hourly slots.
try_wk backfill hourly --from 2026-01-01 --to 2026-01-01
expect_eq "$status" 0 "exit status of a one-day hourly backfill"
expect_eq "$(sql "$db" "select count(*) || ' ' || min(state) || ' ' || logical_date from runs where trigger = 'backfill'")" \
	"1 succeeded 2026-01-01" "runs of the one-day hourly backfill"
expect_err "fires up to 24 times a day" "note of the hourly backfill"

# rerun takes no option as the value of --from.
try_wk rerun --from -c
expect_eq "$status" 2 "exit status of rerun --from -c"
expect_err "--from needs a value, but the option -c follows it" "rerun --from -c"
try_wk rerun --from ''
expect_eq "$status" 2 "exit status of rerun --from ''"
expect_err "--from needs a value" "rerun --from ''"
echo "$TEST_NAME: ok"
