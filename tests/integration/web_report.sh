# `watchkeep report` prints the retrospective of a store with history,
# for a period given by --since or by dates, in English and Japanese. It
# is the same text as /report.txt. --post sends it as one message to a
# mock Slack receiver. Usage errors name the value and the fix.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

mkdir -p "$TEST_DIR/state"
web_seed_store "$TEST_DIR/state/store.db" 14

"$WATCHKEEP" report -c "$WEB_FIXTURE" --state-dir "$TEST_DIR/state" --lang en \
	> "$TEST_DIR/report.txt" || fail "watchkeep report failed"
# The seed's runs fall on the hour, so 7 days ending now hold 168 or 169.
grep -qE "churn: 16[89] runs" "$TEST_DIR/report.txt" ||
	fail "no 'churn: 168 runs' or 169 in: $(cat "$TEST_DIR/report.txt")"
for text in "watchkeep retrospective" "churn-success: " "Runs" \
	"Incidents" "mean time to acknowledge" "Stages getting slower" \
	"churn/train: +" "Errors that keep coming back" "api: " "available, p95 latency"; do
	grep -qF "$text" "$TEST_DIR/report.txt" || fail "no '$text' in: $(cat "$TEST_DIR/report.txt")"
done

# Dates: a period of two whole days.
"$WATCHKEEP" report -c "$WEB_FIXTURE" --state-dir "$TEST_DIR/state" \
	--from "$(date -u -d '3 days ago' +%F)" --to "$(date -u -d '2 days ago' +%F)" \
	> "$TEST_DIR/dates.txt" || fail "report with dates failed"
grep -q "churn: 48 runs" "$TEST_DIR/dates.txt" || fail "two days are not 48 hourly runs: $(cat "$TEST_DIR/dates.txt")"

status=0
"$WATCHKEEP" report --state-dir "$TEST_DIR/state" --since 7x 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status of an invalid --since"
grep -q 'invalid --since "7x"' "$TEST_DIR/err.txt" || fail "no reason for --since: $(cat "$TEST_DIR/err.txt")"
status=0
"$WATCHKEEP" report --state-dir "$TEST_DIR/state" --to 2026-01-01 2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status of --to without --from"

# The web page's text form is the same report.
port=$(free_port)
web_serve "$TEST_DIR/state/store.db" "$port" -c "$WEB_FIXTURE"
curl -sf "http://127.0.0.1:$port/report.txt?lang=en" > "$TEST_DIR/web.txt" || fail "GET /report.txt failed"
grep -qE "churn: 16[89] runs" "$TEST_DIR/web.txt" || fail "/report.txt differs: $(cat "$TEST_DIR/web.txt")"

# --post to a mock Slack receiver: one message with the text.
rm -f "$TEST_DIR/mock.port"
/usr/bin/python3 "$WK_TEST_SRCDIR/tests/alert_mock.py" --port 0 \
	--port-file "$TEST_DIR/mock.port" --log "$TEST_DIR/mock.log" --plan "" \
	2> "$TEST_DIR/mock.err" &
WEB_PIDS="$WEB_PIDS $!"
i=0
while [ ! -s "$TEST_DIR/mock.port" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the mock receiver did not start"
	sleep 0.1
done
sed "s|\"pipelines\"|\"alerting\": {\"receivers\": [{\"name\": \"team\", \"type\": \"slack\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/mock.port")/hook\"}, {\"name\": \"am\", \"type\": \"alertmanager\", \"url\": \"http://127.0.0.1:9\"}]}, \"pipelines\"|" \
	"$WEB_FIXTURE" > "$TEST_DIR/post.json"
"$WATCHKEEP" report -c "$TEST_DIR/post.json" --state-dir "$TEST_DIR/state" --post team \
	> "$TEST_DIR/post.out" 2>&1 || fail "--post failed: $(cat "$TEST_DIR/post.out")"
grep -q "report sent to team" "$TEST_DIR/post.out" || fail "no confirmation: $(cat "$TEST_DIR/post.out")"
/usr/bin/python3 - "$TEST_DIR/mock.log" <<'PY' || fail "the posted message is wrong: $(cat "$TEST_DIR/mock.log")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 1, lines
body = json.loads(lines[0]["body"])
assert "watchkeep retrospective" in body["text"], body
# Slack markup in the hostile line is escaped.
assert "<script>" not in body["text"], body["text"]
PY
status=0
"$WATCHKEEP" report -c "$TEST_DIR/post.json" --state-dir "$TEST_DIR/state" --post am \
	2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status of --post to an Alertmanager"
status=0
"$WATCHKEEP" report -c "$TEST_DIR/post.json" --state-dir "$TEST_DIR/state" --post nobody \
	2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status of --post to an unknown receiver"

# Japanese, when the catalog is built and has the report's strings.
if [ -f "$WK_TEST_BUILDDIR/locale/ja/LC_MESSAGES/watchkeep.mo" ]; then
	"$WATCHKEEP" report -c "$WEB_FIXTURE" --state-dir "$TEST_DIR/state" --lang ja \
		> "$TEST_DIR/ja.txt" || fail "report --lang ja failed"
	grep -q "churn-success" "$TEST_DIR/ja.txt" || fail "the Japanese report lacks the SLO"
fi
echo "$TEST_NAME: ok"
