# Re-runs: from the middle stage, twice in a row, never re-run the first
# stage and reuse its output; a stage with unchanged declared inputs is
# skipped and the run says so; --dry-run changes nothing; a run whose other
# branch failed names that stage as the reason.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "p", "stages": [
      { "name": "first", "outputs": ["\${WATCHKEEP_STAGE_DIR}/one.txt"],
        "command": "echo run >> $TEST_DIR/first.count; echo 1 > one.txt" },
      { "name": "middle", "depends_on": ["first"],
        "command": "echo run >> $TEST_DIR/middle.count; cat ../first/one.txt" },
      { "name": "last", "depends_on": ["middle"],
        "inputs": ["$TEST_DIR/input.txt"],
        "outputs": ["\${WATCHKEEP_STAGE_DIR}/done.txt"],
        "command": "echo run >> $TEST_DIR/last.count; cp $TEST_DIR/input.txt done.txt" }
    ] }
  ]
}
JSON
echo v1 > "$TEST_DIR/input.txt"
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }
count() { wc -l < "$TEST_DIR/$1.count" | tr -d ' '; }

W run --once > /dev/null 2>&1 || fail "first run failed"
W rerun --from p/middle --dry-run > "$TEST_DIR/dry.txt" 2>&1 || fail "dry run failed"
grep -q "first.*kept" "$TEST_DIR/dry.txt" || fail "dry run would re-run first: $(cat "$TEST_DIR/dry.txt")"
grep -q "middle.*would run" "$TEST_DIR/dry.txt" || fail "dry run skips middle"
expect_eq "$(count middle)" 1 "middle runs after the dry run"

W rerun --from middle > "$TEST_DIR/r1.txt" 2>&1 || fail "rerun 1 failed: $(cat "$TEST_DIR/r1.txt")"
W rerun --from middle > "$TEST_DIR/r2.txt" 2>&1 || fail "rerun 2 failed: $(cat "$TEST_DIR/r2.txt")"
expect_eq "$(count first)" 1 "first stage runs"
expect_eq "$(count middle)" 3 "middle stage runs"
# The last stage's inputs did not change: both re-runs skip it.
expect_eq "$(count last)" 1 "last stage runs"
grep -q "skipped: inputs, command and settings unchanged" "$TEST_DIR/r2.txt" ||
	fail "the re-run does not say it skipped: $(cat "$TEST_DIR/r2.txt")"
db="$TEST_DIR/s/store.db"
expect_eq "$(sql "$db" "select group_concat(stage || attempt || '=' || state, ' ') from (select * from stage_runs order by id)")" \
	"first1=succeeded middle1=succeeded last1=succeeded middle2=succeeded last2=skipped middle3=succeeded last3=skipped" \
	"attempts of the run"
expect_eq "$(sql "$db" "select count(*) from runs")" 1 "runs"

# A changed input runs the stage again; --force runs it regardless.
echo v2 > "$TEST_DIR/input.txt"
W rerun --from last > /dev/null 2>&1 || fail "rerun after input change failed"
expect_eq "$(count last)" 2 "last stage runs after its input changed"
W rerun --from last --force > /dev/null 2>&1 || fail "forced rerun failed"
expect_eq "$(count last)" 3 "last stage runs with --force"

# A re-run of one branch while the other branch's failure stays: the run
# fails and names that stage, not a cancel.
cat > "$TEST_DIR/branches.json" <<JSON
{
  "pipelines": [
    { "name": "b", "stages": [
      { "name": "root", "command": "true" },
      { "name": "good", "depends_on": ["root"], "command": "true" },
      { "name": "bad", "depends_on": ["root"], "command": "exit 3" }
    ] }
  ]
}
JSON
B() { "$WATCHKEEP" "$@" -c "$TEST_DIR/branches.json" --state-dir "$TEST_DIR/b"; }
B run --once > /dev/null 2>&1 && fail "the run with a failing branch succeeded"
B rerun --from b/good > "$TEST_DIR/branch.txt" 2>&1 &&
	fail "the re-run of the good branch succeeded"
reason=$(sql "$TEST_DIR/b/store.db" "select reason from runs where id = 1")
expect_eq "$reason" "stage bad failed in an earlier pass and was not re-run" \
	"reason of the re-run run"
echo "$TEST_NAME: ok"
