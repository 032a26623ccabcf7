# Skipping unchanged stages across runs. A second `run --once` with the
# same inputs, command and logical date skips the stages, and the report
# names the skips. A changed input, a changed command or another logical
# date runs them. Inputs changed back to older content run again, because
# a later run overwrote the outputs. The dry run of a re-run predicts what
# the re-run then does.
. "$(dirname "$0")/../lib.sh"

data="$TEST_DIR/data"
mkdir -p "$data"
# write_config COMMAND_OF_A: stage a copies in.txt, stage b copies a's output.
write_config() {
	cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "p", "stages": [
      { "name": "a", "working_dir": "$data",
        "inputs": ["$data/in.txt"], "outputs": ["$data/a.out"],
        "command": "echo run >> $TEST_DIR/a.count; $1" },
      { "name": "b", "depends_on": ["a"], "working_dir": "$data",
        "inputs": ["$data/a.out"], "outputs": ["$data/b.out"],
        "command": "echo run >> $TEST_DIR/b.count; cat a.out > b.out" }
    ] }
  ]
}
JSON
}
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }
count() { cat "$TEST_DIR/$1.count" 2>/dev/null | wc -l | tr -d ' '; }
db="$TEST_DIR/s/store.db"
# state STAGE: the state of the stage's latest attempt in the latest run.
state() {
	sql "$db" "select state from stage_runs where stage = '$1' order by id desc limit 1"
}

write_config "cat in.txt > a.out"
echo v1 > "$data/in.txt"
W run --once --date 2026-03-01 > "$TEST_DIR/run1.txt" 2>&1 ||
	fail "run 1 failed: $(cat "$TEST_DIR/run1.txt")"
expect_eq "$(count a)/$(count b)" "1/1" "runs of a/b after run 1"
grep -q "^  a  *watchkeep.input_bytes=3$" "$TEST_DIR/run1.txt" ||
	fail "the report of run 1 has no metrics line of a: $(cat "$TEST_DIR/run1.txt")"

# Nothing changed: both stages are skipped, and the report names them.
W run --once --date 2026-03-01 > "$TEST_DIR/run2.txt" 2>&1 ||
	fail "run 2 failed: $(cat "$TEST_DIR/run2.txt")"
expect_eq "$(count a)/$(count b)" "1/1" "runs of a/b after the unchanged run 2"
expect_eq "$(state a)/$(state b)" "skipped/skipped" "states in run 2"
grep -q "^  a  *skipped: inputs, command and settings unchanged since run 1 attempt 1" \
	"$TEST_DIR/run2.txt" || fail "the report of run 2 does not say a was skipped: $(cat "$TEST_DIR/run2.txt")"
grep -q "^  b  *skipped: inputs, command and settings unchanged since run 1 attempt 1" \
	"$TEST_DIR/run2.txt" || fail "the report of run 2 does not say b was skipped"
# Every metrics line names its stage or follows the summary line that does.
for f in run1 run2; do
	awk '/watchkeep.input_bytes=/ && !/^  [ab] / && prev !~ /^  [ab] / { bad = 1 }
		{ prev = $0 } END { exit bad }' "$TEST_DIR/$f.txt" ||
		fail "a metrics line of $f names no stage: $(cat "$TEST_DIR/$f.txt")"
done

# The dry run predicts the skips, and the re-run does what it predicted.
W rerun --from p/a --dry-run > "$TEST_DIR/dry1.txt" 2>&1 ||
	fail "dry run 1 failed: $(cat "$TEST_DIR/dry1.txt")"
grep -q "^  a  *would be skipped (unchanged since run 1 attempt 1)$" "$TEST_DIR/dry1.txt" ||
	fail "dry run 1 does not predict that a is skipped: $(cat "$TEST_DIR/dry1.txt")"
grep -q "^  b  *would be skipped (unchanged since run 1 attempt 1)$" "$TEST_DIR/dry1.txt" ||
	fail "dry run 1 does not predict that b is skipped: $(cat "$TEST_DIR/dry1.txt")"
W rerun --from p/a > "$TEST_DIR/rerun1.txt" 2>&1 ||
	fail "rerun 1 failed: $(cat "$TEST_DIR/rerun1.txt")"
expect_eq "$(count a)/$(count b)" "1/1" "runs of a/b after rerun 1"
expect_eq "$(state a)/$(state b)" "skipped/skipped" "states in rerun 1"

# Same size, other content: a runs. The dry run cannot know whether a's new
# output differs, so it predicts the skip of b only if a leaves it unchanged.
echo v2 > "$data/in.txt"
W rerun --from p/a --dry-run > "$TEST_DIR/dry2.txt" 2>&1 ||
	fail "dry run 2 failed: $(cat "$TEST_DIR/dry2.txt")"
grep -q "^  a  *would run$" "$TEST_DIR/dry2.txt" ||
	fail "dry run 2 does not predict that a runs: $(cat "$TEST_DIR/dry2.txt")"
grep -q "^  b  *would be skipped (unchanged since run 1 attempt 1) unless the stages before it change its inputs$" \
	"$TEST_DIR/dry2.txt" || fail "dry run 2 does not qualify b: $(cat "$TEST_DIR/dry2.txt")"
W rerun --from p/a > "$TEST_DIR/rerun2.txt" 2>&1 ||
	fail "rerun 2 failed: $(cat "$TEST_DIR/rerun2.txt")"
expect_eq "$(count a)/$(count b)" "2/2" "runs of a/b after the input changed"
expect_eq "$(cat "$data/b.out")" "v2" "b's output after the input changed"

# A changed command runs a; its output is the same, so b is skipped.
write_config "cat in.txt > a.out; true"
W run --once --date 2026-03-01 > "$TEST_DIR/run3.txt" 2>&1 ||
	fail "run 3 failed: $(cat "$TEST_DIR/run3.txt")"
expect_eq "$(count a)/$(count b)" "3/2" "runs of a/b after the command changed"
expect_eq "$(state a)/$(state b)" "succeeded/skipped" "states in run 3"

# Another logical date is other work: both run. The same date again skips.
W run --once --date 2026-03-02 > "$TEST_DIR/run4.txt" 2>&1 ||
	fail "run 4 failed: $(cat "$TEST_DIR/run4.txt")"
expect_eq "$(count a)/$(count b)" "4/3" "runs of a/b on another logical date"
W run --once --date 2026-03-02 > "$TEST_DIR/run5.txt" 2>&1 ||
	fail "run 5 failed: $(cat "$TEST_DIR/run5.txt")"
expect_eq "$(count a)/$(count b)" "4/3" "runs of a/b on the same date again"

# Back to the first command and date: runs 3 and 4 overwrote the outputs
# since run 1, so an earlier matching success is not enough to skip.
write_config "cat in.txt > a.out"
echo v1 > "$data/in.txt"
W run --once --date 2026-03-01 > "$TEST_DIR/run6.txt" 2>&1 ||
	fail "run 6 failed: $(cat "$TEST_DIR/run6.txt")"
expect_eq "$(count a)/$(count b)" "5/4" "runs of a/b with the inputs of run 1 again"
expect_eq "$(cat "$data/b.out")" "v1" "b's output with the inputs of run 1 again"

# The dry run with --force and the forced re-run both run every stage.
W rerun --from p/a --force --dry-run > "$TEST_DIR/dry3.txt" 2>&1 ||
	fail "dry run 3 failed: $(cat "$TEST_DIR/dry3.txt")"
expect_eq "$(grep -c "would run$" "$TEST_DIR/dry3.txt")" 2 "stages the forced dry run runs"
W rerun --from p/a --force > /dev/null 2>&1 || fail "forced rerun failed"
expect_eq "$(count a)/$(count b)" "6/5" "runs of a/b after the forced rerun"

# An input that cannot be read: the dry run predicts that the stage fails.
rm "$data/in.txt"
W rerun --from p/a --dry-run > "$TEST_DIR/dry4.txt" 2>&1 ||
	fail "dry run 4 failed: $(cat "$TEST_DIR/dry4.txt")"
grep -q "^  a  *would fail: .*$data/in.txt" "$TEST_DIR/dry4.txt" ||
	fail "dry run 4 does not predict that a fails: $(cat "$TEST_DIR/dry4.txt")"
grep -q "^  b  *would not run" "$TEST_DIR/dry4.txt" ||
	fail "dry run 4 does not predict that b does not run"
W rerun --from p/a > /dev/null 2>&1 && fail "the rerun without its input succeeded"
expect_eq "$(state a)/$(state b)" "failed/not_run" "states after the rerun without input"
echo "$TEST_NAME: ok"
