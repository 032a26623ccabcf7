# `watchkeep test-alert` against a mock receiver for every format, and
# `watchkeep alerts` over a store the alert engine wrote.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../alert_lib.sh"

start_mock ok ""
start_mock broken "500x10"
ok="http://127.0.0.1:$(cat "$TEST_DIR/ok.port")"
receivers="["
for type in slack mattermost discord teams google_chat json; do
	receivers="$receivers{\"name\": \"r-$type\", \"type\": \"$type\", \"url\": \"$ok/hook/$type/s3cr3t\"},"
done
receivers="$receivers{\"name\": \"r-ja\", \"type\": \"slack\", \"language\": \"ja\", \"url\": \"$ok/hook/ja/s3cr3t\"},"
receivers="$receivers{\"name\": \"r-am\", \"type\": \"alertmanager\", \"url\": \"$ok\"},"
receivers="$receivers{\"name\": \"broken\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/broken.port")/s3cr3t\"}]"
write_config "$TEST_DIR/config.json" "$receivers"

for name in r-slack r-mattermost r-discord r-teams r-google_chat r-json r-ja r-am; do
	"$WATCHKEEP" test-alert "$name" -c "$TEST_DIR/config.json" > "$TEST_DIR/out.txt" 2>&1 ||
		fail "test-alert $name failed: $(cat "$TEST_DIR/out.txt")"
	grep -q "receiver $name (127.0.0.1): HTTP 200 in" "$TEST_DIR/out.txt" ||
		fail "test-alert $name printed: $(cat "$TEST_DIR/out.txt")"
done
/usr/bin/python3 - "$TEST_DIR/ok.log" <<'PY' || fail "the test messages are wrong"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 8, len(reqs)
paths = [r["path"] for r in reqs]
assert paths[-1] == "/api/v2/alerts", paths
assert paths[0] == "/hook/slack/s3cr3t", paths
for r in reqs:
    assert r["method"] == "POST", r
    assert r["headers"]["content-type"] == "application/json", r
    assert r["utf8"], r
    body = json.loads(r["body"])
    assert body, r
assert "blocks" in json.loads(reqs[0]["body"])
assert json.loads(reqs[3]["body"])["type"] == "message"
assert json.loads(reqs[5]["body"])["version"] == 1
assert json.loads(reqs[7]["body"])[0]["labels"]["alertname"] == "stage_failed"
PY

status=0
"$WATCHKEEP" test-alert broken -c "$TEST_DIR/config.json" > "$TEST_DIR/out.txt" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of test-alert on a 500"
grep -q "receiver broken (127.0.0.1): failed after" "$TEST_DIR/out.txt" ||
	fail "test-alert broken printed: $(cat "$TEST_DIR/out.txt")"
grep -q "HTTP 500" "$TEST_DIR/out.txt" || fail "the failure lacks the status"
grep -q "s3cr3t" "$TEST_DIR/out.txt" && fail "test-alert showed the URL"

status=0
"$WATCHKEEP" test-alert nobody -c "$TEST_DIR/config.json" > "$TEST_DIR/out.txt" 2>&1 || status=$?
expect_eq "$status" 2 "exit status of test-alert on an unknown receiver"
grep -q "r-slack" "$TEST_DIR/out.txt" || fail "the error lacks the receiver names"
stop_mock broken

# The engine writes the store; `alerts` reads it.
mkdir -p "$TEST_DIR/state"
drive <<EOF
open $TEST_DIR/config.json $TEST_DIR/state/store.db
fire probe_down page probe=web -- web answers 503
run 300
close
EOF
"$WATCHKEEP" alerts --state-dir "$TEST_DIR/state" > "$TEST_DIR/alerts.txt" ||
	fail "watchkeep alerts failed"
grep -q "firing" "$TEST_DIR/alerts.txt" || fail "alerts lacks the firing alert: $(cat "$TEST_DIR/alerts.txt")"
grep -q "probe=web" "$TEST_DIR/alerts.txt" || fail "alerts lacks the labels"
grep -q "Outbox:" "$TEST_DIR/alerts.txt" || fail "alerts lacks the outbox line"
"$WATCHKEEP" alerts --json --state-dir "$TEST_DIR/state" > "$TEST_DIR/alerts.json"
/usr/bin/python3 - "$TEST_DIR/alerts.json" <<'PY' || fail "alerts --json is wrong"
import json, sys
alerts = json.load(open(sys.argv[1]))
assert len(alerts) == 1, alerts
assert alerts[0]["source"] == "probe_down", alerts
assert alerts[0]["labels"] == {"probe": "web"}, alerts
assert alerts[0]["state"] == "firing", alerts
assert len(alerts[0]["fingerprint"]) == 16, alerts
PY

# An id past the range of a 64-bit integer is invalid, not clamped.
status=0
"$WATCHKEEP" unsilence 999999999999999999999 --state-dir "$TEST_DIR/state" \
	2> "$TEST_DIR/unsilence.err" || status=$?
expect_eq "$status" 2 "exit status of unsilence with a huge id"
grep -q 'invalid silence id "999999999999999999999"' "$TEST_DIR/unsilence.err" ||
	fail "unsilence does not name the invalid id"
echo "$TEST_NAME: ok"
