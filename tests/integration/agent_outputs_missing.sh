# A stage that exits 0 without several of its declared outputs fails with
# a reason that names the missing ones: all of them up to three, then the
# first three and how many more. The outputs that exist are recorded.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "two", "stages": [
      { "name": "s", "command": "mkdir -p rel && touch rel/here.txt",
        "outputs": ["\${WATCHKEEP_STAGE_DIR}/missing.txt", "rel/here.txt",
                    "rel/also-missing"] }
    ] },
    { "name": "many", "stages": [
      { "name": "s", "command": "touch b",
        "outputs": ["a", "b", "c", "d", "e", "f"] }
    ] }
  ]
}
JSON
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }
db="$TEST_DIR/s/store.db"

W run --once two > /dev/null 2>&1 && fail "the run without its outputs succeeded"
dir="$TEST_DIR/s/runs/1/s"
expect_eq "$(sql "$db" "select reason from stage_runs where run_id = 1")" \
	"declared outputs $dir/missing.txt, $dir/rel/also-missing are missing after exit status 0" \
	"reason with two missing outputs"
expect_eq "$(sql "$db" "select group_concat(path) from stage_outputs")" "$dir/rel/here.txt" \
	"recorded outputs"

W run --once many > /dev/null 2>&1 && fail "the run without its outputs succeeded"
dir="$TEST_DIR/s/runs/2/s"
expect_eq "$(sql "$db" "select reason from stage_runs where run_id = 2")" \
	"declared outputs $dir/a, $dir/c, $dir/d and 2 more are missing after exit status 0" \
	"reason with five missing outputs"
echo "$TEST_NAME: ok"
