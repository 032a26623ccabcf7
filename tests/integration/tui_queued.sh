# `watchkeep top` shows the runs the agent has queued. The overview has a
# pane with their pipeline, logical date, trigger, age and place. The
# history lists them after the run in progress and before the finished
# runs. Their state "queued" is written out and has its own colour. c
# drops the queued runs of the pipeline through the agent, from either
# view.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tui_lib.sh"

# A run waits while the file hold-DATE of its logical date exists.
hold_config daily queue 'echo date=$WATCHKEEP_LOGICAL_DATE'
agent_state
start_agent "$TEST_DIR/config.json" "$s"
AT_EXIT="$TUI_AT_EXIT; $AT_EXIT"

# One finished run, one run in progress and three queued behind it.
queue_behind_held_run
top="-c $TEST_DIR/config.json --state-dir $s"

# The overview's pane lists them, first to start first.
start_top main 120 30 "$top"
wait_for main "Queued runs: 3, in the order they start"
screen main > "$TEST_DIR/overview.txt"
for date in 2024-03-30 2024-03-31 2024-04-01; do
	grep -q "⋯ daily  *queued  *$date  *backfill .*place" "$TEST_DIR/overview.txt" ||
		fail "the overview lacks the queued run of $date: $(cat "$TEST_DIR/overview.txt")"
done
line() { grep -n -- "$1" "$2" | head -1 | cut -d: -f1; }
[ "$(line 2024-03-30 "$TEST_DIR/overview.txt")" -lt "$(line 2024-04-01 "$TEST_DIR/overview.txt")" ] ||
	fail "the queued runs are not in their order: $(cat "$TEST_DIR/overview.txt")"
grep -q "2024-03-30 .*place 1" "$TEST_DIR/overview.txt" || fail "2024-03-30 is not in place 1"
grep -q "2024-04-01 .*place 3" "$TEST_DIR/overview.txt" || fail "2024-04-01 is not in place 3"

# The state has a colour of its own (magenta) besides its name.
tm capture-pane -e -p -t main > "$TEST_DIR/color.txt"
grep -q "$(printf '\033')\[35mqueued" "$TEST_DIR/color.txt" ||
	fail "the state queued is not drawn in magenta: $(cat -v "$TEST_DIR/color.txt" | grep queued)"

# The history: the run in progress, the queued runs, the finished run.
keys main h
wait_for main "Runs of daily: 2, newest first, and 3 queued"
screen main > "$TEST_DIR/history.txt"
running=$(line " running " "$TEST_DIR/history.txt")
first=$(line "2024-03-30 .*queued" "$TEST_DIR/history.txt")
last=$(line "2024-04-01 .*queued" "$TEST_DIR/history.txt")
done_at=$(line " succeeded " "$TEST_DIR/history.txt")
[ -n "$running" ] && [ -n "$first" ] && [ -n "$last" ] && [ -n "$done_at" ] ||
	fail "the history lacks a row: $(cat "$TEST_DIR/history.txt")"
[ "$running" -lt "$first" ] && [ "$first" -lt "$last" ] && [ "$last" -lt "$done_at" ] ||
	fail "the history rows are out of order: $(cat "$TEST_DIR/history.txt")"
grep -q "2024-03-30  *backfill  *queued .*place 1 in the queue" "$TEST_DIR/history.txt" ||
	fail "the queued row lacks its fields: $(cat "$TEST_DIR/history.txt")"

# Enter on a queued run explains; c asks, then drops the pipeline's queue.
keys main j
keys main Enter
wait_for main "is queued and has not started"
keys main '?'
wait_for main "on a queued run: drop all queued runs of the pipeline"
keys main x
keys main c
wait_for main "Drop all 3 queued runs of daily, not only the selected one?"
keys main n
wait_for main "cancelled"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 3 "queue after no"
keys main c
wait_for main "Drop all 3 queued runs of daily"
keys main y
wait_sql "$db" "select count(*) from run_queue" 0
wait_for main "pipeline daily: dropped 3 queued runs"
wait_for main "Runs of daily: 2, newest first"
screen main | grep -q "backfill  *queued" && fail "the history still shows queued runs: $(screen main)"

# From the overview's pane: Tab to it, c drops them; the pane goes away.
wk backfill daily --from 2024-05-01 --to 2024-05-02 > /dev/null 2>&1 ||
	fail "the second backfill failed"
keys main q
wait_for main "Queued runs: 2, in the order they start"
keys main c
wait_for main "select a queued run first"
keys main '?'
wait_for main "queued runs pane: drop its pipeline's queue"
keys main x
keys main Tab c
wait_for main "Drop all 2 queued runs of daily"
keys main y
wait_sql "$db" "select count(*) from run_queue" 0
wait_for main "pipeline daily: dropped 2 queued runs"
i=0
while screen main | grep -q "Queued runs:"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the queued runs pane stays when none are queued: $(screen main)"
	sleep 0.1
done
# With no run queued, c says so instead of pointing to a pane that is gone.
keys main c
wait_for main "no run is queued"

# Without colours the state is still written out.
wk backfill daily --from 2024-06-01 --to 2024-06-01 > /dev/null 2>&1 ||
	fail "the third backfill failed"
TOP_ENV="NO_COLOR=1 " start_top mono 100 30 "--ascii $top"
wait_for mono "Queued runs: 1, in the order they start"
wait_for mono ": daily"
screen mono | grep -q ": daily  *queued  *2024-06-01  *backfill" ||
	fail "the ASCII marker or the state text is missing: $(screen mono)"
keys mono q
expect_eq "$(wait_exit mono)" 0 "exit status of top under NO_COLOR"

release 2024-01-01
keys main q
expect_eq "$(wait_exit main)" 0 "exit status of top"
echo "$TEST_NAME: ok"
