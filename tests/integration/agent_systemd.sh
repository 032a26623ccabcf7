# The agent under a service manager: with NOTIFY_SOCKET and WATCHDOG_USEC
# set, as systemd sets them for Type=notify, it sends READY=1 once it
# serves, WATCHDOG=1 at half the interval, RELOADING=1 with MONOTONIC_USEC
# and then READY=1 on SIGHUP (Type=notify-reload), also when the new
# configuration is invalid, and STOPPING=1 on SIGTERM.
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
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            data = s.recv(4096).decode()
        except socket.timeout:
            break
        # The receive time on CLOCK_MONOTONIC, in us, as systemd reads it.
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        out.write("%d %s\n" % (now, data.replace("\n", " ")))
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

# A reload of a valid file, then of an invalid one.
kill -HUP $agent
i=0
while [ "$(grep -c "configuration reloaded from" "$TEST_DIR/agent.err")" -lt 1 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3
echo '{ "pipelines": [' > "$TEST_DIR/config.json"
kill -HUP $agent
i=0
while [ "$(grep -c "reload failed" "$TEST_DIR/agent.err")" -lt 1 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
wait $listener || true
AT_EXIT=""

grep -q "READY=1" "$TEST_DIR/received" || fail "no READY=1: $(cat "$TEST_DIR/received")"
pings=$(grep -c "WATCHDOG=1" "$TEST_DIR/received" || true)
# 1.5 s at one ping every 0.2 s: about 7; allow a slow machine.
[ "$pings" -ge 3 ] || fail "only $pings watchdog pings"
grep -q "STOPPING=1" "$TEST_DIR/received" || fail "no STOPPING=1"

# Two reloads: each RELOADING=1 with a MONOTONIC_USEC no later than its
# receipt, and a READY=1 after it.
expect_eq "$(grep -c "RELOADING=1 MONOTONIC_USEC=[0-9]*$" "$TEST_DIR/received")" 2 "RELOADING=1 messages"
/usr/bin/python3 - "$TEST_DIR/received" <<'PY' || fail "reload notifications out of order: $(cat "$TEST_DIR/received")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
reloads = [i for i, l in enumerate(lines) if "RELOADING=1" in l]
assert len(reloads) == 2, lines
for i in reloads:
    received = int(lines[i].split()[0])
    sent = int(re.search(r"MONOTONIC_USEC=(\d+)", lines[i]).group(1))
    assert 0 < sent <= received, (sent, received)
    assert received - sent < 5000000, (sent, received)
    after = [l for l in lines[i + 1:] if "READY=1" in l or "RELOADING=1" in l]
    assert after and "READY=1" in after[0], after
ok = [l for l in lines[reloads[0] + 1:reloads[1]] if "READY=1" in l]
assert "STATUS=supervising" in ok[0], ok
failed = [l for l in lines[reloads[1] + 1:] if "READY=1" in l]
assert "STATUS=reload failed: " in failed[0], failed
PY
# The stages never see the agent's own socket.
echo "$TEST_NAME: ok"
