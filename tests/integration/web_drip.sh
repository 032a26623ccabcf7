# Clients that send their request one byte a second are never idle, so the
# idle timeout does not close them. Here such clients hold every connection
# slot (4). The server must close each one whose request has not arrived
# whole within the 10 s deadline and log it with the client address. It
# must then serve /healthz within 25 s of the clients' start.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

drip="$WK_TEST_SRCDIR/tests/web/drip.py"
slots=4
web_seed_store "$TEST_DIR/store.db" 1
/usr/bin/python3 - "$WEB_FIXTURE" "$TEST_DIR/config.json" "$slots" <<'EOF'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg.setdefault("web", {}).setdefault("limits", {})["connections"] = int(sys.argv[3])
json.dump(cfg, open(sys.argv[2], "w"))
EOF
port=$(free_port)
web_serve "$TEST_DIR/store.db" "$port" -c "$TEST_DIR/config.json"

timeout 90 /usr/bin/python3 "$drip" "$port" "$slots" 60 > "$TEST_DIR/drip.txt" 2>&1 &
drip_pid=$!
WEB_PIDS="$WEB_PIDS $drip_pid"
i=0
until grep -q '^open' "$TEST_DIR/drip.txt" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the drip clients did not connect: $(cat "$TEST_DIR/drip.txt")"
	sleep 0.1
done
start=$(date +%s)
sleep 2

# Every slot is held now; /healthz waits for one of them to close.
served=""
while [ $(( $(date +%s) - start )) -lt 25 ]; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"http://127.0.0.1:$port/healthz") || true
	if [ "$code" = 200 ]; then
		served=$(( $(date +%s) - start ))
		break
	fi
	sleep 0.5
done
[ -n "$served" ] ||
	fail "/healthz was not served within 25 s while drip clients held every slot: $(cat "$TEST_DIR/drip.txt")"
echo "$TEST_NAME: /healthz served $served s after the drip clients connected"

wait "$drip_pid" || fail "drip.py failed: $(cat "$TEST_DIR/drip.txt")"
sed "s/^/$TEST_NAME: drip: /" "$TEST_DIR/drip.txt"
grep -q '^left 0$' "$TEST_DIR/drip.txt" ||
	fail "the server left drip connections open: $(cat "$TEST_DIR/drip.txt")"
# Closed at the deadline, not before it.
awk '$1 == "closed" && ($2 < 9 || $2 > 20) { bad = 1 } END { exit bad }' \
	"$TEST_DIR/drip.txt" || fail "a drip connection closed outside 9..20 s: $(cat "$TEST_DIR/drip.txt")"

n=$(grep -c 'closed the connection from 127\.0\.0\.1:[0-9]*: its request did not arrive whole within 10 s' \
	"$TEST_DIR/web.log") || true
[ "$n" = "$slots" ] || fail "expected $slots deadline lines in the log, found $n: $(cat "$TEST_DIR/web.log")"
grep -q 'X-Pad' "$TEST_DIR/web.log" && fail "the log contains request headers"
echo "$TEST_NAME: ok"
