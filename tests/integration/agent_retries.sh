# Retries: a stage that fails at once with 4 retries gets five attempts
# whose gaps grow, are jittered and stay under the cap; fatal exit codes
# are not retried.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "flaky", "stages": [
      { "name": "fails", "retries": 4, "retry_delay": "200ms",
        "retry_delay_max": "800ms", "command": ["sh", "-c", "exit 1"] }
    ] },
    { "name": "fatal", "stages": [
      { "name": "bad-input", "retries": 4, "fatal_exit_codes": [65],
        "retry_delay": "100ms", "command": ["sh", "-c", "exit 65"] }
    ] }
  ]
}
JSON

status=0
"$WATCHKEEP" run --once flaky -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" \
	> "$TEST_DIR/out.txt" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 1 "exit status"
db="$TEST_DIR/s/store.db"
expect_eq "$(sql "$db" "select count(*) from stage_runs where stage = 'fails'")" 5 "attempts"
expect_eq "$(sql "$db" "select group_concat(attempt || '=' || state, ' ') from (select * from stage_runs order by attempt)")" \
	"1=failed 2=failed 3=failed 4=failed 5=failed" "attempt states"

# Gaps between the starts of the attempts, in ms.
sql "$db" "select started_at from stage_runs where stage = 'fails' order by attempt" > "$TEST_DIR/starts"
/usr/bin/python3 - "$TEST_DIR/starts" <<'PY'
import sys
starts = [int(x) for x in open(sys.argv[1]).read().split()]
gaps = [b - a for a, b in zip(starts, starts[1:])]
print("gaps (ms):", gaps)
nominal = [200, 400, 800, 800]
for gap, d in zip(gaps, nominal):
    # Equal jitter: the delay lies in [d/2, d]; allow 300 ms of slack for
    # a loaded machine on top, never below.
    assert d // 2 <= gap <= d + 300, (gap, d)
# Growing until the cap: with delays jittered into [d/2, d] and d doubling,
# each gap is at least the one before (20 ms of slack for process start).
# Past the cap the delays are drawn from the same [d/2, d].
for i in range(1, len(gaps)):
    if nominal[i] > nominal[i - 1]:
        assert gaps[i] >= gaps[i - 1] - 20, gaps
# Capped: the last two share the 800 ms cap.
assert max(gaps) <= 800 + 300, gaps
# Jittered: not every delay sits on its nominal value.
assert any(abs(g - d) > 10 for g, d in zip(gaps, nominal)), gaps
PY
grep -q "attempt 5 of 5 starts in" "$TEST_DIR/err.txt" || fail "no retry log line"

status=0
"$WATCHKEEP" run --once fatal -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" \
	> /dev/null 2>&1 || status=$?
expect_eq "$status" 1 "exit status of a fatal exit code"
expect_eq "$(sql "$db" "select count(*) from stage_runs where stage = 'bad-input'")" 1 \
	"attempts after a fatal exit code"

# A fatal exit code wins over the timeout: the stage exits with 65 on
# SIGTERM after its timeout fired, and is not retried.
cat > "$TEST_DIR/fatal-timeout.json" <<'JSON'
{ "pipelines": [ { "name": "fatal_timeout", "stages": [
  { "name": "s", "timeout": "1s", "grace": "5s", "retries": 2, "retry_delay": "10ms",
    "fatal_exit_codes": [65],
    "command": "trap 'echo bad input data >&2; exit 65' TERM; sleep 30 & wait" } ] } ] }
JSON
"$WATCHKEEP" run --once fatal_timeout -c "$TEST_DIR/fatal-timeout.json" --state-dir "$TEST_DIR/s" \
	> /dev/null 2>&1 || true
expect_eq "$(sql "$db" "select count(*), max(exit_code) from stage_runs s join runs r on r.id = s.run_id where r.pipeline = 'fatal_timeout'")" "1|65" \
	"attempts and exit code after a timeout ended by a fatal exit code"
echo "$TEST_NAME: ok"
