# `watchkeep probe --loop`: probes run on their schedule and every result
# lands in probe_results. A probe whose server hangs until its timeout
# does not delay the others: the fast probes keep their one-second
# cadence meanwhile. Margins are wide, for slow and sanitized builds.
. "$(dirname "$0")/../lib.sh"

server_pid=""
stop_server() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
}
trap 'stop_server; cleanup' EXIT

/usr/bin/python3 "$WK_TEST_SRCDIR/tests/integration/probe_server.py" \
	"$TEST_DIR/port" 2>"$TEST_DIR/server.log" &
server_pid=$!
i=0
while [ ! -s "$TEST_DIR/port" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the test server did not start"
	sleep 0.1
done
base="http://127.0.0.1:$(cat "$TEST_DIR/port")"
echo "id,churn" > "$TEST_DIR/predictions.csv"

cat > "$TEST_DIR/config.json" <<EOF
{
  "pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}],
  "probes": [
    {"name": "fast-http", "type": "http", "url": "$base/ok",
     "interval": "1s", "timeout": "800ms"},
    {"name": "hanging", "type": "http", "url": "$base/slow",
     "interval": "2s", "timeout": "1500ms",
     "failure_threshold": 2, "failure_window": 3},
    {"name": "hanging-exec", "type": "exec",
     "command": ["sh", "-c", "echo \$\$ >> $TEST_DIR/exec.pids; exec sleep 30"],
     "interval": "2s", "timeout": "1500ms"},
    {"name": "output", "type": "file", "path": "$TEST_DIR/predictions.csv",
     "interval": "1s", "timeout": "500ms", "max_age": "1h"}
  ]
}
EOF

status=0
"$WATCHKEEP" probe --loop 12s -c "$TEST_DIR/config.json" \
	--state-dir "$TEST_DIR/state" > "$TEST_DIR/out.txt" 2> "$TEST_DIR/err.txt" \
	|| status=$?
expect_eq "$status" 1 "exit status with a probe down"

db="$TEST_DIR/state/store.db"
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
def times(probe):
    return [r[0] for r in db.execute(
        "select at from probe_results where probe = ? order by at", (probe,))]
for probe in ("fast-http", "output"):
    at = times(probe)
    # About 12 checks in 12 s; the first one may start up to 1 s late.
    assert len(at) >= 8, (probe, len(at))
    gaps = [b - a for a, b in zip(at, at[1:])]
    # Interval 1 s, jitter 100 ms: a gap near 1.5 s or the 2 s of the
    # hanging probes' timeouts would mean the loop waited for them.
    assert max(gaps) <= 1400, (probe, gaps)
    assert min(gaps) >= 600, (probe, gaps)
    oks = [r[0] for r in db.execute(
        "select ok from probe_results where probe = ?", (probe,))]
    assert all(oks), (probe, oks)
for probe in ("hanging", "hanging-exec"):
    rows = list(db.execute(
        "select ok, detail, latency_ms from probe_results where probe = ?", (probe,)))
    assert len(rows) >= 4, (probe, rows)
    for ok, detail, latency in rows:
        assert ok == 0, (probe, ok)
        assert detail == "timed out after 1.50 s", (probe, detail)
        assert 1400 <= latency < 3000, (probe, latency)
states = dict(db.execute("select probe, state from probe_state"))
assert states == {"fast-http": "up", "hanging": "down", "hanging-exec": "down",
                  "output": "up"}, states
fast_since = db.execute(
    "select since from probe_state where probe = 'hanging'").fetchone()[0]
first_two = times("hanging")[:2]
# failure_threshold 2: the state changed at the second failure.
assert fast_since == first_two[1], (fast_since, first_two)
PY
grep -q "probe=hanging: unknown -> down: timed out" "$TEST_DIR/err.txt" || fail "the state change of hanging was not logged"
# Every command the timeouts killed is gone, or a zombie not yet reaped.
[ -s "$TEST_DIR/exec.pids" ] || fail "the exec probe did not run"
while read -r pid; do
	if [ -r "/proc/$pid/stat" ]; then
		state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
		[ "$state" = Z ] || fail "exec probe process $pid survived its timeout"
	fi
done < "$TEST_DIR/exec.pids"
echo "$TEST_NAME: ok"
