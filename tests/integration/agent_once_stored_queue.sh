# A one-shot agent leaves out the dates that a stopped agent left queued in
# the store, as the long-running agent does: a backfill skips them and
# names them, and run-now or run --once for such a date is rejected. The
# next agent then runs each date once.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "daily", "overlap": "queue", "stages": [
  { "name": "a", "command": "echo date=$WATCHKEEP_LOGICAL_DATE" } ] } ],
  "web": { "enabled": false } }
JSON
agent_state

try_wk run --once --date 2024-01-01
expect_eq "$status" 0 "exit status of the first run"

# The rows a long-running agent leaves in run_queue when it stops.
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for date, slot in (("2024-03-30", 1711756800000), ("2024-03-31", 1711843200000),
                   ("2024-04-01", 1711929600000)):
    db.execute("INSERT INTO run_queue (pipeline, logical_date, trigger, "
               "scheduled_at, queued_at) VALUES ('daily', ?, 'backfill', ?, 0)",
               (date, slot))
db.commit()
PY

try_wk backfill daily --from 2024-03-31 --to 2024-04-02
expect_eq "$status" 0 "exit status of the one-shot backfill"
expect_err "already: 2 runs, dates: 2024-03-31 2024-04-01" "dates left out by the one-shot backfill"
expect_eq "$(sql "$db" "select group_concat(logical_date, ' ') from (select logical_date from runs where trigger = 'backfill' order by id)")" \
	"2024-04-02" "runs of the one-shot backfill"

try_wk run-now daily --date 2024-03-30
expect_eq "$status" 1 "exit status of a one-shot run-now of a queued date"
expect_err "pipeline daily: a run for 2024-03-30 is queued already and starts when the agent runs" \
	"one-shot run-now of a queued date"
try_wk run --once daily --date 2024-03-31
expect_eq "$status" 1 "exit status of run --once for a queued date"
expect_err "a run for 2024-03-31 is queued already" "run --once for a queued date"
expect_eq "$(sql "$db" "select count(*) from runs where logical_date between '2024-03-30' and '2024-04-01'")" 0 \
	"runs of the queued dates before the agent starts"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 3 "stored queue after the one-shot commands"

# The next agent runs the queued dates, so each date ran once.
run_agent
wait_store "select count(*) from runs where trigger = 'backfill' and state = 'succeeded'" 4 "backfill runs"
expect_eq "$(sql "$db" "select group_concat(logical_date, ' ') from (select logical_date from runs where trigger = 'backfill' order by logical_date)")" \
	"2024-03-30 2024-03-31 2024-04-01 2024-04-02" "each date once"
kill -TERM "$agent"
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
