# Invalid configurations: a misspelt key gives file:line:column and a hint,
# a cycle is named, and both exit 3 before anything runs. A setting without
# effect is a warning with file:line:column, and the configuration loads.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/typo.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "a", "command": ["true"], "timout": "5s" }
      ]
    }
  ]
}
JSON
status=0
"$WATCHKEEP" run --once -c "$TEST_DIR/typo.json" --state-dir "$TEST_DIR/state" \
	2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for an invalid configuration"
grep -q "typo.json:6:45:" "$TEST_DIR/err.txt" || fail "no position in: $(cat "$TEST_DIR/err.txt")"
grep -q '"timeout"' "$TEST_DIR/err.txt" || fail "no hint in: $(cat "$TEST_DIR/err.txt")"
[ ! -e "$TEST_DIR/state/store.db" ] || fail "a store was created for an invalid configuration"

cat > "$TEST_DIR/cycle.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "a", "command": ["true"], "depends_on": ["c"] },
        { "name": "b", "command": ["true"], "depends_on": ["a"] },
        { "name": "c", "command": ["true"], "depends_on": ["b"] }
      ]
    }
  ]
}
JSON
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/cycle.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for a cycle"
grep -q "cycle" "$TEST_DIR/err.txt" || fail "cycle not named: $(cat "$TEST_DIR/err.txt")"
for s in a b c; do
	grep -q "$s" "$TEST_DIR/err.txt" || fail "stage $s missing from the cycle message"
done

# An empty path is a usage error that names the option and the empty value.
for option in "-c" "--config" "--state-dir"; do
	status=0
	"$WATCHKEEP" check-config "$option" '' 2> "$TEST_DIR/err.txt" || status=$?
	expect_eq "$status" 2 "exit status for $option ''"
	grep -q "option $option has the empty value \"\"" "$TEST_DIR/err.txt" ||
		fail "no message for $option '': $(cat "$TEST_DIR/err.txt")"
done
status=0
"$WATCHKEEP" check-config --config= 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status for --config="
expect_eq "$(grep -c . "$TEST_DIR/err.txt")" 1 "lines of the message for --config="

# Impossible settings are rejected with the place and the value.
cat > "$TEST_DIR/never.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p", "schedule": "0 0 31 2 *",
      "stages": [ { "name": "a", "command": ["true"] } ]
    }
  ]
}
JSON
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/never.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for a schedule that never fires"
grep -q 'never.json:4:37: invalid schedule "0 0 31 2 \*"' "$TEST_DIR/err.txt" ||
	fail "schedule not named: $(cat "$TEST_DIR/err.txt")"

# Contradicting settings are errors; settings without effect are warnings
# that check-config prints and the agent logs at start, with the place.
cat > "$TEST_DIR/both.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "a", "command": ["true"],
          "retry_exit_codes": [75], "fatal_exit_codes": [75] }
      ]
    }
  ]
}
JSON
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/both.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for an exit code in both lists"
grep -q 'both.json:7:58: exit code 75 is in both "retry_exit_codes" (line 7, column 32) and "fatal_exit_codes"' \
	"$TEST_DIR/err.txt" || fail "exit code not named: $(cat "$TEST_DIR/err.txt")"

cat > "$TEST_DIR/noeffect.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "p",
      "stages": [
        { "name": "a", "command": ["true"], "memory_mode": "auto" }
      ]
    }
  ],
  "web": { "enabled": false }
}
JSON
warning='noeffect.json:6:45: warning: "memory_mode" is "auto", the default, but the stage has no "memory_limit", so the key has no effect'
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/noeffect.json" > "$TEST_DIR/out.txt" \
	2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 0 "exit status for a warning"
grep -q "$warning" "$TEST_DIR/err.txt" || fail "no warning in: $(cat "$TEST_DIR/err.txt")"
grep -q "valid, 1 pipeline" "$TEST_DIR/out.txt" || fail "no summary in: $(cat "$TEST_DIR/out.txt")"
"$WATCHKEEP" run --once -c "$TEST_DIR/noeffect.json" --state-dir "$TEST_DIR/warned" \
	> /dev/null 2> "$TEST_DIR/err.txt" || fail "the run failed: $(cat "$TEST_DIR/err.txt")"
grep -q "$warning" "$TEST_DIR/err.txt" || fail "the agent did not log the warning: $(cat "$TEST_DIR/err.txt")"

"$WATCHKEEP" check-config > "$TEST_DIR/ok.txt" 2> "$TEST_DIR/err.txt" || fail "the embedded default is invalid"
[ ! -s "$TEST_DIR/err.txt" ] || fail "the embedded default has warnings: $(cat "$TEST_DIR/err.txt")"
echo "$TEST_NAME: ok"
