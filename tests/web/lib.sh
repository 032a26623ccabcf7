# Helpers of the web tests (sourced after tests/lib.sh).

WEB_SEED="$WK_TEST_BUILDDIR/bin/web_seed"
WEB_FIXTURE="$WK_TEST_SRCDIR/tests/web/fixture.json"
WEB_PIDS=""

# Prints a TCP port that is free on 127.0.0.1 now.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops the servers the test started, by pid.
web_stop_all() {
	for pid in $WEB_PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $WEB_PIDS; do
		i=0
		while is_alive "$pid" && [ "$i" -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
}
AT_EXIT="web_stop_all"

# Writes DAYS days of history into the store $1 (the fixture's pipelines).
web_seed_store() {
	[ -x "$WEB_SEED" ] || fail "web_seed is not built at $WEB_SEED"
	"$WEB_SEED" "${3:-$WEB_FIXTURE}" "$1" "$2" --hostile > "$TEST_DIR/seed.txt" ||
		fail "web_seed failed"
}

# Waits until http://127.0.0.1:$1/healthz returns 200.
web_wait() {
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$1/healthz"; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "the web server on port $1 did not start; see $TEST_DIR"
		sleep 0.1
	done
}

# Serves store $1 on port $2 with `watchkeep web`; further arguments follow.
web_serve() {
	db=$1
	port=$2
	shift 2
	"$WATCHKEEP" web --db "$db" --listen "127.0.0.1:$port" "$@" \
		>> "$TEST_DIR/web.log" 2>&1 &
	WEB_PIDS="$WEB_PIDS $!"
	web_wait "$port"
}

# Runs headless Chromium with the options every test uses.
chromium_run() {
	profile=$(mktemp -d "$TEST_DIR/chromium-XXXXXX")
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@"
}
