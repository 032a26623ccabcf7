# Helpers of the alert tests (sourced after lib.sh, not run): a mock
# webhook receiver on 127.0.0.1 and the alert_drive program.
DRIVE="$WK_TEST_BUILDDIR/bin/alert_drive"
MOCK="$WK_TEST_SRCDIR/tests/alert_mock.py"
[ -x "$DRIVE" ] || fail "$DRIVE is missing; build the alert_drive target"

# Stops every mock this test started, by the pids it recorded.
stop_mocks() {
	for pidfile in "$TEST_DIR"/*.pid; do
		[ -f "$pidfile" ] || continue
		kill "$(cat "$pidfile")" 2>/dev/null || true
		rm -f "$pidfile"
	done
}
trap 'st=$?; stop_mocks; (exit $st); cleanup' EXIT

# start_mock NAME PLAN [PORT]: starts a mock receiver logging to NAME.log;
# its port is in NAME.port once it listens.
start_mock() {
	rm -f "$TEST_DIR/$1.port"
	/usr/bin/python3 "$MOCK" --port "${3:-0}" --port-file "$TEST_DIR/$1.port" \
		--log "$TEST_DIR/$1.log" --plan "$2" 2>"$TEST_DIR/$1.err" &
	echo $! > "$TEST_DIR/$1.pid"
	i=0
	while [ ! -s "$TEST_DIR/$1.port" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "mock receiver $1 did not start: $(cat "$TEST_DIR/$1.err")"
		sleep 0.1
	done
	touch "$TEST_DIR/$1.log"
}

# stop_mock NAME: stops the mock by its pid.
stop_mock() {
	kill "$(cat "$TEST_DIR/$1.pid")" 2>/dev/null || true
	rm -f "$TEST_DIR/$1.pid"
}

# free_port: prints a port nothing listens on (it may be taken meanwhile).
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_config FILE RECEIVERS_JSON [MORE_ALERTING_KEYS]: a configuration
# with one trivial pipeline and the given alerting receivers.
write_config() {
	cat > "$1" <<JSON
{
  "pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}],
  "alerting": {
    "base_url": "https://watchkeep.example.com",
    "receivers": $2,
    "delivery": {"backoff_min": "100ms", "backoff_max": "2s"}${3:+,
    $3}
  }
}
JSON
}

# drive: runs alert_drive with the script on stdin; output in drive.out.
# Its stderr is kept in drive.err and appended to all.err.
drive() {
	st=0
	"$DRIVE" > "$TEST_DIR/drive.out" 2> "$TEST_DIR/drive.err" || st=$?
	cat "$TEST_DIR/drive.err" >> "$TEST_DIR/all.err"
	[ "$st" -eq 0 ] || fail "alert_drive failed: $(tail -5 "$TEST_DIR/drive.err")"
}
