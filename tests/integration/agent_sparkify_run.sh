# The Sparkify example configuration: every stage runs, with the counts of
# the bundled November 2018 log.
. "$(dirname "$0")/../lib.sh"

state="$TEST_DIR/state"
"$WATCHKEEP" run --once -c "$WK_TEST_SRCDIR/examples/churn-sparkify.json" \
	--state-dir "$state" > "$TEST_DIR/out.txt" 2> "$TEST_DIR/err.txt" ||
	fail "the Sparkify run failed: $(cat "$TEST_DIR/out.txt")"
db="$state/store.db"

expect_eq "$(sql "$db" "select count(*) from stage_runs where state = 'succeeded'")" 5 "succeeded stages"
metric() {
	sql "$db" "select m.value from stage_metrics m join stage_runs s on s.id = m.stage_run_id where s.stage = '$1' and m.name = '$2'"
}
expect_eq "$(metric ingest rows_in)" 8056.0 "rows read"
expect_eq "$(metric ingest rows_skipped)" 286.0 "logged-out rows skipped"
expect_eq "$(metric ingest users)" 97.0 "users with an id"
expect_eq "$(metric predict scored_users)" "$(metric features users)" "scored users"
echo "$TEST_NAME: ok"
