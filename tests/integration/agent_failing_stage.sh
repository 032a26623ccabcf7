# A stage that exits 3: the run fails, the stage that depends on it is not
# run, an independent stage still runs, and stderr is in the store.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "first", "command": ["sh", "-c", "echo first ok"] },
        { "name": "broken", "depends_on": ["first"],
          "command": "echo 'working on it'; echo 'ERROR: cannot read input.csv' >&2; exit 3" },
        { "name": "after", "depends_on": ["broken"],
          "command": ["sh", "-c", "echo must not run"] },
        { "name": "aside", "depends_on": ["first"],
          "command": ["sh", "-c", "echo independent"] }
      ]
    }
  ]
}
JSON

status=0
"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/out.txt" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 1 "exit status of a failed run"
grep -q "exit status 3" "$TEST_DIR/out.txt" || fail "summary lacks the exit status"
grep -q "cannot read input.csv" "$TEST_DIR/out.txt" || fail "summary lacks the error line"

db="$TEST_DIR/state/store.db"
expect_eq "$(sql "$db" "select state from runs")" failed "run state"
expect_eq "$(sql "$db" "select stage || '=' || state || ':' || coalesce(exit_code, '') from stage_runs order by stage")" \
"after=not_run:
aside=succeeded:0
broken=failed:3
first=succeeded:0" "stage states"
expect_eq "$(sql "$db" "select l.text || ':' || l.is_error from log_lines l join stage_runs s on s.id = l.stage_run_id where s.stage = 'broken' and l.stream = 2")" \
	"ERROR: cannot read input.csv:1" "stderr line in the store"
expect_eq "$(sql "$db" "select l.text from log_lines l join stage_runs s on s.id = l.stage_run_id where s.stage = 'broken' and l.stream = 1")" \
	"working on it" "stdout line in the store"
[ -s "$TEST_DIR/state/runs/1/broken/stderr.log" ] || fail "stderr.log is missing"
grep -q "dependency broken" "$TEST_DIR/out.txt" || fail "not-run reason missing"

# status reads the same run back, also as JSON.
"$WATCHKEEP" status -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" > "$TEST_DIR/status.txt"
grep -q "broken" "$TEST_DIR/status.txt" || fail "status lacks the stage"
"$WATCHKEEP" status --json -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" > "$TEST_DIR/status.json"
/usr/bin/python3 - "$TEST_DIR/status.json" <<'PY'
import json, sys
status = json.load(open(sys.argv[1]))
runs = status["runs"]
assert isinstance(status["growth"], list)
assert len(runs) == 1, runs
stages = {s["stage"]: s for s in runs[0]["stages"]}
assert stages["broken"]["exit_code"] == 3, stages["broken"]
assert stages["after"]["state"] == "not_run", stages["after"]
assert stages["first"]["duration_ms"] >= 0
PY
echo "$TEST_NAME: ok"
