# A re-run keeps the run's started_at, so the run's duration_ms stays
# ended_at - started_at, covering the first pass, the pause and the re-run.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "p", "stages": [
      { "name": "slow", "command": "sleep 0.5" },
      { "name": "fast", "depends_on": ["slow"], "command": ["true"] }
    ] }
  ]
}
JSON
db="$TEST_DIR/s/store.db"
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }

W run --once > /dev/null 2>&1 || fail "first run failed"
first=$(sql "$db" "select started_at || ' ' || duration_ms from runs where id = 1")
sleep 1
W rerun --from p/fast --run 1 > /dev/null 2>&1 || fail "re-run failed"

expect_eq "$(sql "$db" "select started_at from runs where id = 1")" "${first% *}" "started_at after the re-run"
expect_eq "$(sql "$db" "select duration_ms = ended_at - started_at from runs where id = 1")" 1 \
	"duration_ms equals ended_at - started_at"
# The first pass took 500 ms or more and the pause 1 s, so at least 1500 ms.
expect_eq "$(sql "$db" "select duration_ms >= 1500 from runs where id = 1")" 1 \
	"duration_ms covers the first pass ($(sql "$db" "select duration_ms from runs where id = 1") ms)"
echo "$TEST_NAME: ok"
