# Alerts posted to a real Prometheus Alertmanager (Debian package
# prometheus-alertmanager) started on 127.0.0.1: the alert appears in its
# API with our labels, and is resolved later.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../alert_lib.sh"

AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [ -z "$AM" ]; then
	echo "$TEST_NAME: skipped: prometheus-alertmanager is not installed (build.sh test installs it)"
	exit 77
fi

port=$(free_port)
cat > "$TEST_DIR/am.yml" <<'YML'
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
YML
mkdir "$TEST_DIR/am-data"
"$AM" --config.file="$TEST_DIR/am.yml" --storage.path="$TEST_DIR/am-data" \
	--web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
	> "$TEST_DIR/am.out" 2>&1 &
echo $! > "$TEST_DIR/am.pid"

# am_get PATH: prints the response of Alertmanager to a GET of PATH.
am_get() {
	/usr/bin/python3 - "$port" "$1" <<'PY'
import sys, urllib.request
url = "http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2])
with urllib.request.urlopen(url, timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
}
i=0
until am_get /-/ready > /dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "Alertmanager did not start: $(tail -5 "$TEST_DIR/am.out")"
	sleep 0.2
done

write_config "$TEST_DIR/config.json" "[{\"name\": \"am\", \"type\": \"alertmanager\", \"url\": \"http://127.0.0.1:$port\"}]"
drive <<SCRIPT
open $TEST_DIR/config.json $TEST_DIR/store.db
fire stage_failed page pipeline=churn stage=train run=12 -- exit status 3
wait-idle 15000
close
SCRIPT
am_get /api/v2/alerts > "$TEST_DIR/firing.json"
/usr/bin/python3 - "$TEST_DIR/firing.json" <<'PY' || fail "the firing alert is not in Alertmanager as expected"
import json, sys
alerts = json.load(open(sys.argv[1]))
ours = [a for a in alerts if a["labels"].get("alertname") == "stage_failed"]
assert len(ours) == 1, alerts
a = ours[0]
assert a["labels"]["pipeline"] == "churn", a
assert a["labels"]["stage"] == "train", a
assert a["labels"]["severity"] == "page", a
assert "run" not in a["labels"], a
assert a["annotations"]["run"] == "12", a
assert a["annotations"]["summary"] == "exit status 3", a
assert a["status"]["state"] == "active", a
assert a["generatorURL"] == "https://watchkeep.example.com/runs/12", a
PY

drive <<SCRIPT
open $TEST_DIR/config.json $TEST_DIR/store.db
clear stage_failed pipeline=churn stage=train
wait-idle 15000
close
SCRIPT
sleep 1
am_get /api/v2/alerts > "$TEST_DIR/resolved.json"
/usr/bin/python3 - "$TEST_DIR/resolved.json" <<'PY' || fail "the alert is not resolved in Alertmanager"
import datetime, json, sys
alerts = json.load(open(sys.argv[1]))
now = datetime.datetime.now(datetime.timezone.utc)
for a in alerts:
    if a["labels"].get("alertname") != "stage_failed":
        continue
    ends = datetime.datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00"))
    assert ends <= now, a
    assert a["status"]["state"] != "active" or ends <= now, a
PY
expect_eq "$(sql "$TEST_DIR/store.db" "select group_concat(state) from alert_outbox")" "sent,sent" "outbox"
kill "$(cat "$TEST_DIR/am.pid")"
rm -f "$TEST_DIR/am.pid"
echo "$TEST_NAME: ok"
