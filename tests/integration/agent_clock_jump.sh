# A wall clock moved back an hour during a run does not stretch a 5 s
# timeout: timeouts use CLOCK_MONOTONIC. libfaketime moves the agent's
# wall clock while its monotonic clock stays real.
. "$(dirname "$0")/../lib.sh"

lib=""
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/*/faketime/libfaketime.so.1; do
	[ -f "$f" ] && lib=$f && break
done
[ -n "$lib" ] || { echo "$TEST_NAME: libfaketime not installed"; exit 77; }
# libfaketime's start-up calls clock_gettime(), which the AddressSanitizer
# runtime intercepts before libfaketime is ready: the preloaded agent hangs.
# The gcc build without sanitizers runs this test.
if grep -q __asan_init "$WATCHKEEP"; then
	echo "$TEST_NAME: libfaketime cannot be preloaded into a sanitizer build: skipped"
	exit 77
fi

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "p", "stages": [
  { "name": "slow", "timeout": "5s", "grace": "1s", "command": ["sleep", "30"] } ] } ] }
JSON
echo "+0" > "$TEST_DIR/offset"
start=$(date +%s)
status=0
( sleep 1.5; echo "-3600s" > "$TEST_DIR/offset" ) &
LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$TEST_DIR/offset" FAKETIME_NO_CACHE=1 \
	FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1 \
	timeout 60 "$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" \
	> "$TEST_DIR/out.txt" 2> "$TEST_DIR/err.txt" || status=$?
took=$(($(date +%s) - start))
expect_eq "$status" 1 "exit status"
expect_eq "$(sql "$TEST_DIR/s/store.db" "select state from stage_runs")" timed_out "stage state"
# 5 s timeout plus 1 s grace at most; an hour if wall time were used.
[ "$took" -le 12 ] || fail "the timeout took $took s"
dur=$(sql "$TEST_DIR/s/store.db" "select duration_ms from stage_runs")
[ "$dur" -ge 4500 ] && [ "$dur" -le 9000 ] || fail "stage duration $dur ms"
# The stored wall times did move back, which shows the clock really jumped.
expect_eq "$(sql "$TEST_DIR/s/store.db" "select ended_at < started_at from stage_runs")" 1 "wall clock jumped back"
echo "$TEST_NAME: ok"
