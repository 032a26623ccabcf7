# `watchkeep slo`: SLOs before any evaluation, an unknown name with a hint,
# stored evaluations as text and JSON (null for a missing figure, a stale
# evaluation marked), and an invalid "slos" section rejected with its place.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/slo.json" <<JSON
{
  "state_dir": "$TEST_DIR/state",
  "pipelines": [
    { "name": "p", "stages": [ { "name": "s", "command": ["true"] } ] }
  ],
  "slos": [
    { "name": "p-success", "description": "The daily run succeeds",
      "sli": { "kind": "run_success", "pipeline": "p" },
      "objective": 0.9, "window": "30d" },
    { "name": "p-by-six",
      "sli": { "kind": "deadline", "pipeline": "p", "deadline": "06:00",
               "time_zone": "Asia/Tokyo" },
      "objective": 0.95, "window": "month", "time_zone": "Asia/Tokyo" }
  ]
}
JSON

# Before the first run there is no store: every SLO is not evaluated yet.
"$WATCHKEEP" slo -c "$TEST_DIR/slo.json" > "$TEST_DIR/out.txt"
grep -q "^p-success$" "$TEST_DIR/out.txt" || fail "no p-success in: $(cat "$TEST_DIR/out.txt")"
grep -q "not evaluated yet" "$TEST_DIR/out.txt" || fail "no 'not evaluated yet' in: $(cat "$TEST_DIR/out.txt")"
grep -q "page when 6h and 30m burn above 6" "$TEST_DIR/out.txt" || fail "no alert rules in: $(cat "$TEST_DIR/out.txt")"

status=0
"$WATCHKEEP" slo -c "$TEST_DIR/slo.json" p-sucess 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status for an unknown SLO"
grep -q 'did you mean "p-success"' "$TEST_DIR/err.txt" || fail "no hint in: $(cat "$TEST_DIR/err.txt")"

status=0
"$WATCHKEEP" slo -c "$TEST_DIR/slo.json" --window 1d 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status for an unknown option"

# A run creates and migrates the store; then two evaluations are stored as
# the agent stores them: a current one and one 100 minutes old.
"$WATCHKEEP" run --once -c "$TEST_DIR/slo.json" > /dev/null 2>&1 || fail "the run failed"
now=$(date +%s)
/usr/bin/python3 - "$TEST_DIR/state/store.db" "$now" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
minute = int(sys.argv[2]) // 60
db.execute("INSERT INTO slo_evaluations VALUES ('p-success', ?, 'page', 29, 30,"
           " 29.0 / 30, 3.0, 1.0, 1 - 1 / 3.0, NULL, 10, 10, 10, 10, 10,"
           " 10 / 3.0, NULL)", (minute,))
db.execute("INSERT INTO slo_evaluations VALUES ('p-by-six', ?, 'no_data', 0, 0,"
           " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
           " 'no events in the window')", (minute - 100,))
db.commit()
PY

"$WATCHKEEP" slo -c "$TEST_DIR/slo.json" --json > "$TEST_DIR/out.json"
/usr/bin/python3 - "$TEST_DIR/out.json" <<'PY' || fail "unexpected JSON: $(cat "$TEST_DIR/out.json")"
import json, math, sys
slos = json.load(open(sys.argv[1]))
assert [s["name"] for s in slos] == ["p-success", "p-by-six"], slos
a, b = slos
assert a["state"] == "page", a["state"]
assert a["good"] == 29 and a["total"] == 30
assert abs(a["sli_value"] - 29 / 30) < 1e-9, a["sli_value"]
assert a["budget"]["allowed_bad"] == 3.0
assert abs(a["budget"]["remaining"] - 2 / 3) < 1e-9
assert a["budget"]["exhausted"] is False
assert a["burn_rates"]["5m"] is None, a["burn_rates"]
assert abs(a["burn_rates"]["3d"] - 10 / 3) < 1e-9
assert a["objective"] == 0.9 and a["window"] == "30d"
assert a["sli"]["kind"] == "run_success"
assert [r["long_window"] for r in a["alert_rules"]] == ["1h", "6h", "3d"]
assert b["state"] == "no_data" and b["sli_value"] is None
assert b["budget"]["remaining"] is None
assert all(v is None for v in b["burn_rates"].values())
assert b["detail"] == "no events in the window"
assert b["window"] == "month" and b["time_zone"] == "Asia/Tokyo"
PY

"$WATCHKEEP" slo -c "$TEST_DIR/slo.json" > "$TEST_DIR/out.txt"
grep -q "SLI *96.667% (29 of 30 events good)" "$TEST_DIR/out.txt" || fail "no SLI line in: $(cat "$TEST_DIR/out.txt")"
grep -q "budget left *66.7% (1 bad of 3.00 allowed)" "$TEST_DIR/out.txt" || fail "no budget line in: $(cat "$TEST_DIR/out.txt")"
grep -q "5m no data, 30m 10.00" "$TEST_DIR/out.txt" || fail "no burn rates in: $(cat "$TEST_DIR/out.txt")"
# 101 when a minute turns between storing the row and printing it.
grep -qE "no_data, evaluated .* \(10[01] minutes ago: is the agent running\?\)" "$TEST_DIR/out.txt" ||
	fail "no stale mark in: $(cat "$TEST_DIR/out.txt")"

"$WATCHKEEP" slo -c "$TEST_DIR/slo.json" p-by-six > "$TEST_DIR/one.txt"
grep -q "^p-success" "$TEST_DIR/one.txt" && fail "p-success printed for p-by-six"
grep -q "calendar month in Asia/Tokyo" "$TEST_DIR/one.txt" || fail "no window in: $(cat "$TEST_DIR/one.txt")"

# An invalid "slos" section is rejected with its place and a hint.
sed 's/"objective": 0.9,/"objectiv": 0.9,/' "$TEST_DIR/slo.json" > "$TEST_DIR/bad.json"
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/bad.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for an invalid SLO"
grep -q 'bad.json:9:7: unknown key "objectiv" in an SLO; did you mean "objective"?' "$TEST_DIR/err.txt" \
	|| fail "unexpected error: $(cat "$TEST_DIR/err.txt")"
