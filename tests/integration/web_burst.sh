# Connections that send part of a request and then close or go silent
# must not hold the server's connection slots (the default limit is 64).
# First 200 such connections are closed after 3 s, and /healthz must
# return 200 within 4 s. Then 64 are left open, and the server must close
# them and return /healthz within 12 s, because a connection gets 5 s to
# send its first request.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

burst="$WK_TEST_SRCDIR/tests/web/partial_burst.py"
web_seed_store "$TEST_DIR/store.db" 3
port=$(free_port)
web_serve "$TEST_DIR/store.db" "$port" -c "$WEB_FIXTURE"

timeout 60 /usr/bin/python3 "$burst" "$port" 200 3 close 4 > "$TEST_DIR/close.txt" 2>&1 ||
	fail "after 200 partial connections closed: $(cat "$TEST_DIR/close.txt")"
sed "s/^/$TEST_NAME: closed: /" "$TEST_DIR/close.txt"

timeout 60 /usr/bin/python3 "$burst" "$port" 64 1 keep 12 > "$TEST_DIR/keep.txt" 2>&1 ||
	fail "with 64 partial connections left open: $(cat "$TEST_DIR/keep.txt")"
sed "s/^/$TEST_NAME: open: /" "$TEST_DIR/keep.txt"

# Pages still return 200 after both bursts.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/status")
[ "$code" = 200 ] || fail "/api/v1/status returned $code after the bursts"
echo "$TEST_NAME: ok"
