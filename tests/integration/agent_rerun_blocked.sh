# Re-runs that cannot run a stage. A dry run and the re-run from a stage
# whose kept dependency failed both report that it does not run, and name
# the --from option that re-runs the dependency. --only-failed on a run
# whose selected stages all succeeded changes nothing and exits 0.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "rr", "stages": [
      { "name": "extract", "command": "echo run >> $TEST_DIR/extract.count" },
      { "name": "transform", "depends_on": ["extract"],
        "command": "test -f $TEST_DIR/flag" },
      { "name": "load", "depends_on": ["transform"],
        "command": "echo run >> $TEST_DIR/load.count" },
      { "name": "report", "depends_on": ["load"], "command": "true" }
    ] }
  ]
}
JSON
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }
db="$TEST_DIR/s/store.db"
hint="dependency transform did not succeed and is not part of this re-run; re-run with --from rr/transform"

W run --once > /dev/null 2>&1 && fail "the run with a failing transform succeeded"

# The dry run predicts what the re-run does: load does not run.
W rerun --from rr/load --dry-run > "$TEST_DIR/dry.txt" 2>&1 ||
	fail "dry run failed: $(cat "$TEST_DIR/dry.txt")"
expect_grep "$TEST_DIR/dry.txt" "transform  *kept" "dry run does not keep transform"
expect_grep "$TEST_DIR/dry.txt" "load  *would not run: $hint" \
	"dry run does not name the failed dependency"
expect_grep "$TEST_DIR/dry.txt" "report  *would not run: dependency load did not succeed" \
	"dry run would run the stage after load"
if grep -q "would run" "$TEST_DIR/dry.txt"; then
	fail "dry run predicts a stage that runs: $(cat "$TEST_DIR/dry.txt")"
fi

status=0
W rerun --from rr/load > "$TEST_DIR/real.txt" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of the re-run from load"
expect_grep "$TEST_DIR/real.txt" "load: not run: $hint" \
	"the re-run does not name the failed dependency"
[ ! -e "$TEST_DIR/load.count" ] || fail "load ran although transform failed"
expect_eq "$(sql "$db" "select reason from stage_runs where stage = 'load' order by id desc limit 1")" \
	"not run: $hint" "stored reason of load"

# A kept dependency that did not run because of the failure before it:
# the hint names the stage that failed.
W rerun --from rr/report --dry-run > "$TEST_DIR/dry3.txt" 2>&1 ||
	fail "dry run from report failed: $(cat "$TEST_DIR/dry3.txt")"
grep -q "report  *would not run: dependency load did not succeed and is not part of this re-run; re-run with --from rr/transform" \
	"$TEST_DIR/dry3.txt" || fail "dry run from report: $(cat "$TEST_DIR/dry3.txt")"

# A dependency that the re-run includes and that is predicted to run is
# no reason to stop its dependents.
W rerun --from rr/transform --dry-run > "$TEST_DIR/dry2.txt" 2>&1 ||
	fail "dry run from transform failed: $(cat "$TEST_DIR/dry2.txt")"
expect_grep "$TEST_DIR/dry2.txt" "load  *would run" "dry run from transform does not run load"

# After a re-run that succeeds, --only-failed has nothing to do. It prints
# that, exits 0 and leaves the run as it was.
touch "$TEST_DIR/flag"
W rerun --from rr/transform > "$TEST_DIR/fixed.txt" 2>&1 ||
	fail "the re-run from transform failed: $(cat "$TEST_DIR/fixed.txt")"
before=$(sql "$db" "select state, ended_at, duration_ms, (select count(*) from stage_runs) from runs where id = 1")
for dry in "" --dry-run; do
	W rerun --from rr/extract --only-failed $dry > "$TEST_DIR/none.txt" 2> "$TEST_DIR/none.err" ||
		fail "--only-failed $dry with nothing to re-run failed: $(cat "$TEST_DIR/none.txt" "$TEST_DIR/none.err")"
	expect_eq "$(cat "$TEST_DIR/none.txt")" \
		"nothing to re-run: every selected stage of run 1 succeeded" \
		"output of --only-failed $dry"
	if grep -q "re-running pipeline" "$TEST_DIR/none.err"; then
		fail "--only-failed $dry logs a re-run: $(cat "$TEST_DIR/none.err")"
	fi
	expect_eq "$(sql "$db" "select state, ended_at, duration_ms, (select count(*) from stage_runs) from runs where id = 1")" \
		"$before" "run 1 after --only-failed $dry"
done
expect_eq "$(wc -l < "$TEST_DIR/extract.count" | tr -d ' ')" 1 "extract runs"
echo "$TEST_NAME: ok"
