# The notify socket of a stage accepts datagrams only from the stage's own
# processes: its process group, its session or its cgroup. A process of
# the same user outside the stage that sends heartbeats and STATUS to it
# is ignored and logged, so its heartbeats do not keep a silent stage
# alive.
. "$(dirname "$0")/../lib.sh"

command -v systemd-notify >/dev/null 2>&1 || { echo "$TEST_NAME: no systemd-notify"; exit 77; }

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "guarded", "stages": [
      { "name": "quiet", "heartbeat": "1s", "timeout": "60s",
        "command": "systemd-notify STATUS=own; echo \"$NOTIFY_SOCKET\" > socket; sleep 30" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
dir="$s/runs/1/quiet"

start=$(date +%s)
"$WATCHKEEP" run --once guarded -c "$TEST_DIR/config.json" --state-dir "$s" \
	> "$TEST_DIR/run.out" 2> "$TEST_DIR/run.err" &
run=$!
sender=""
AT_EXIT='kill $run $sender 2>/dev/null'
i=0
while [ ! -s "$dir/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$dir/socket" ] || fail "the stage did not write its NOTIFY_SOCKET"

# A foreign sender in its own session: heartbeats and STATUS every 200 ms
# for 8 s, well past the two intervals after which the stage is stopped.
setsid /usr/bin/python3 - "$(cat "$dir/socket")" "$TEST_DIR/sender.pid" <<'PY' &
import os, socket, sys, time
address = sys.argv[1]
if address.startswith("@"):
    address = "\0" + address[1:]
with open(sys.argv[2], "w") as f:
    f.write(str(os.getpid()))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
deadline = time.time() + 8
while time.time() < deadline:
    try:
        s.sendto(b"WATCHDOG=1\nSTATUS=foreign\nX_WATCHKEEP_METRIC=rows=7", address)
    except OSError:
        break
    time.sleep(0.2)
PY
sender=$!

status=0
wait $run || status=$?
took=$(($(date +%s) - start))
kill $sender 2>/dev/null || true
wait $sender 2>/dev/null || true
AT_EXIT=""

expect_eq "$status" 1 "exit status of the silent stage"
[ "$took" -lt 20 ] || fail "stopped only after $took s"
grep -q "heartbeats stopped" "$TEST_DIR/run.out" || fail "no heartbeat reason: $(cat "$TEST_DIR/run.out")"
expect_eq "$(sql "$db" "select status_text from stage_runs where stage = 'quiet'")" "own" \
	"STATUS kept from the stage's own systemd-notify"
expect_eq "$(sql "$db" "select count(*) from stage_metrics where name = 'rows'")" 0 \
	"metrics of the foreign sender"
sender_pid=$(cat "$TEST_DIR/sender.pid")
grep -q "dropped a notify datagram from pid $sender_pid, which is outside the stage's process group" \
	"$TEST_DIR/run.err" || fail "no warning naming pid $sender_pid: $(cat "$TEST_DIR/run.err")"
# Rate-limited: one warning for about 40 datagrams.
expect_eq "$(grep -c "dropped a notify datagram" "$TEST_DIR/run.err")" 1 "warnings about the foreign sender"
grep "dropped a notify datagram" "$TEST_DIR/run.err" | grep -q "guarded/quiet" ||
	fail "the warning does not name the stage"
echo "$TEST_NAME: ok"
