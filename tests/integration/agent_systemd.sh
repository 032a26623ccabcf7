# The agent under a service manager: with NOTIFY_SOCKET and WATCHDOG_USEC
# set, as systemd sets them for Type=notify, it sends READY=1 once it
# serves, WATCHDOG=1 at half the interval, and STOPPING=1 on SIGTERM.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "p", "stages": [ { "name": "a", "command": ["true"] } ] } ] }
JSON
/usr/bin/python3 - "$TEST_DIR/notify.sock" "$TEST_DIR/received" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
with open(sys.argv[2], "w") as out:
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            data = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(data.replace("\n", " ") + "\n")
        out.flush()
        if "STOPPING=1" in data:
            break
PY
listener=$!
AT_EXIT='kill $listener 2>/dev/null'
i=0
while [ ! -S "$TEST_DIR/notify.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

NOTIFY_SOCKET="$TEST_DIR/notify.sock" WATCHDOG_USEC=400000 \
	"$WATCHKEEP" run -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" 2> "$TEST_DIR/agent.err" &
agent=$!
AT_EXIT='kill $listener $agent 2>/dev/null'
sleep 1.5
kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
wait $listener || true
AT_EXIT=""

grep -q "READY=1" "$TEST_DIR/received" || fail "no READY=1: $(cat "$TEST_DIR/received")"
pings=$(grep -c "WATCHDOG=1" "$TEST_DIR/received" || true)
# 1.5 s at one ping every 0.2 s: about 7; allow a slow machine.
[ "$pings" -ge 3 ] || fail "only $pings watchdog pings"
grep -q "STOPPING=1" "$TEST_DIR/received" || fail "no STOPPING=1"
# The stages never see the agent's own socket.
echo "$TEST_NAME: ok"
