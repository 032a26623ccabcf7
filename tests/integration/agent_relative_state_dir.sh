# A relative --state-dir is made absolute before the stages get it: a
# stage runs in its own directory, where the relative path would point
# somewhere else.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
    { "name": "p", "stages": [
      { "name": "s", "command": "echo \"$WATCHKEEP_STAGE_DIR\" > \"$WATCHKEEP_STAGE_DIR/where.txt\"; echo \"$WATCHKEEP_RUN_DIR\" >> \"$WATCHKEEP_STAGE_DIR/where.txt\"" }
    ] } ] }
JSON
cd "$TEST_DIR"
"$WATCHKEEP" run --once -c config.json --state-dir rel > out.txt 2>&1 ||
	fail "the run failed: $(cat out.txt)"
[ -f rel/runs/1/s/where.txt ] || fail "the stage did not find its directory: $(cat out.txt)"
expect_eq "$(sed -n 1p rel/runs/1/s/where.txt)" "$TEST_DIR/rel/runs/1/s" "WATCHKEEP_STAGE_DIR"
expect_eq "$(sed -n 2p rel/runs/1/s/where.txt)" "$TEST_DIR/rel/runs/1" "WATCHKEEP_RUN_DIR"
"$WATCHKEEP" runs p --state-dir rel > /dev/null 2>&1 || fail "runs with the relative state dir failed"
echo "$TEST_NAME: ok"
