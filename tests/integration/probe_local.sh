# `watchkeep probe` with the probes that need no server: exec, file, disk,
# process and push; configuration errors; the push token.
. "$(dirname "$0")/../lib.sh"

old="$TEST_DIR/old.csv"
echo "id,churn" > "$TEST_DIR/predictions.csv"
echo "id,churn" > "$old"
touch -d "3 days ago" "$old"
echo $$ > "$TEST_DIR/self.pid"

cat > "$TEST_DIR/config.json" <<EOF
{
  "pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}],
  "probes": [
    {"name": "check-ok", "type": "exec", "command": ["sh", "-c", "echo all good"]},
    {"name": "check-warn", "type": "exec",
     "command": ["sh", "-c", "echo 'WARNING: load 7.2'; echo detail >&2; exit 1"]},
    {"name": "no-such-command", "type": "exec", "command": ["/nonexistent/check"]},
    {"name": "predictions", "type": "file", "path": "$TEST_DIR/predictions.csv",
     "max_age": "1h", "min_size": 5},
    {"name": "stale", "type": "file", "path": "$old", "max_age": "2d"},
    {"name": "too-small", "type": "file", "path": "$TEST_DIR/predictions.csv",
     "min_size": "1KiB"},
    {"name": "missing", "type": "file", "path": "$TEST_DIR/none.csv"},
    {"name": "disk", "type": "disk", "path": "$TEST_DIR", "min_free": "1B"},
    {"name": "disk-full", "type": "disk", "path": "$TEST_DIR", "min_free": "1000TiB"},
    {"name": "shell", "type": "process", "pid_file": "$TEST_DIR/self.pid"},
    {"name": "no-daemon", "type": "process", "process_name": "no-such-daemon-x"},
    {"name": "nightly", "type": "push", "period": "1d"}
  ]
}
EOF

status=0
"$WATCHKEEP" probe --json -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/out.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 1 "exit status with probes down"
/usr/bin/python3 - "$TEST_DIR/out.json" <<'PY'
import json, sys
probes = {p["name"]: p for p in json.load(open(sys.argv[1]))}
def check(name, state, part):
    p = probes[name]
    assert p["state"] == state, (name, p)
    assert part in p["detail"], (name, part, p["detail"])
check("check-ok", "up", "exit status 0: all good")
check("check-warn", "down", "exit status 1: WARNING: load 7.2 | detail")
check("no-such-command", "down", "cannot run /nonexistent/check")
check("predictions", "up", "9 B, modified")
check("stale", "down", "more than max_age 2d0h")
check("too-small", "down", "less than min_size 1.0 KiB")
check("missing", "down", "No such file or directory")
check("disk", "up", "GiB free on")
check("disk-full", "down", "less than min_free")
check("shell", "up", "pid ")
check("no-daemon", "down", "no process named no-such-daemon-x")
check("nightly", "up", "waiting for the first ping")
assert probes["check-ok"]["latency_ms"] is not None
assert probes["predictions"]["latency_ms"] is None
PY

# A one-off check records nothing: the store is the agent's.
[ ! -e "$TEST_DIR/state/store.db" ] || fail "a one-off check created the store"

# The push token: generated once by a run that writes the store, then shown.
status=0
"$WATCHKEEP" probe --token nightly -c "$TEST_DIR/config.json" \
	--state-dir "$TEST_DIR/state" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 1 "exit status of --token before any token exists"
grep -q "has no token yet" "$TEST_DIR/err.txt" || fail "missing token not explained"
# The first check may come later than 1s: the state may stay unknown (1).
status=0
"$WATCHKEEP" probe --loop 1s nightly -c "$TEST_DIR/config.json" \
	--state-dir "$TEST_DIR/state" > /dev/null 2>&1 || status=$?
[ "$status" -le 1 ] || fail "--loop with a push probe exited $status"
token=$("$WATCHKEEP" probe --token nightly -c "$TEST_DIR/config.json" \
	--state-dir "$TEST_DIR/state")
expr "$token" : '[0-9a-f]\{40\}$' > /dev/null || fail "token '$token' is not 40 hex digits"
grep -rq "$token" "$TEST_DIR"/*.txt && fail "the token appeared in a log"
stored=$(sql "$TEST_DIR/state/store.db" "select token from probe_push where probe = 'nightly'")
expect_eq "$stored" "$token" "stored token"

# Configuration errors name the place and the fix.
cat > "$TEST_DIR/bad.json" <<'EOF'
{
  "pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}],
  "probes": [
    {"name": "api", "type": "http", "url": "http://127.0.0.1:1/", "intervall": "10s"}
  ]
}
EOF
status=0
"$WATCHKEEP" probe -c "$TEST_DIR/bad.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 3 "exit status for an invalid configuration"
grep -q 'bad.json:4:67: unknown key "intervall" in a probe; did you mean "interval"?' \
	"$TEST_DIR/err.txt" || fail "unexpected error: $(cat "$TEST_DIR/err.txt")"
"$WATCHKEEP" check-config -c "$TEST_DIR/config.json" > /dev/null \
	|| fail "check-config rejects the probes section"

cat > "$TEST_DIR/none.json" <<'EOF'
{"pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}]}
EOF
status=0
"$WATCHKEEP" probe -c "$TEST_DIR/none.json" 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 1 "exit status without probes"
grep -q "no probes are configured" "$TEST_DIR/err.txt" || fail "no hint without probes"
echo "$TEST_NAME: ok"
