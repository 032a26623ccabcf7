# Bounded load on the API and the overview page of a store with 30 days of
# history: wrk runs 3 s on each with 16 connections, and every response
# must be 2xx. /healthz responds at once while slow pages are read.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

command -v wrk > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: wrk is not installed"; exit 77; }

web_seed_store "$TEST_DIR/store.db" 30
port=$(free_port)
web_serve "$TEST_DIR/store.db" "$port" -c "$WEB_FIXTURE"
base="http://127.0.0.1:$port"

for path in /api/v1/status /; do
	timeout 30 wrk -t 2 -c 16 -d 3s --latency "$base$path" > "$TEST_DIR/wrk.txt" 2>&1 ||
		fail "wrk on $path failed: $(cat "$TEST_DIR/wrk.txt")"
	requests=$(awk '/requests in/ { print $1 }' "$TEST_DIR/wrk.txt")
	grep -q "Non-2xx" "$TEST_DIR/wrk.txt" && fail "non-2xx answers on $path: $(cat "$TEST_DIR/wrk.txt")"
	grep -q "Socket errors" "$TEST_DIR/wrk.txt" && fail "socket errors on $path: $(cat "$TEST_DIR/wrk.txt")"
	# A floor far below what any machine reaches, so that only a broken
	# server fails it.
	[ "${requests:-0}" -gt 300 ] || fail "only ${requests:-0} requests on $path in 3 s"
	echo "$TEST_NAME: $path: $requests requests in 3 s"
done

# The polling threads respond to /healthz, so it stays fast while the
# workers read long pages.
slow=""
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null "$base/runs?since=30d&limit=1000&n=$i" &
	slow="$slow $!"
done
t=$(curl -s -o /dev/null -w '%{time_total}' "$base/healthz")
for pid in $slow; do
	wait "$pid" || fail "a slow page failed"
done
awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || fail "/healthz took $t s during slow pages"
echo "$TEST_NAME: ok"
