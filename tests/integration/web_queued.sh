# The overview page and /api/v1/status list the runs the agent has queued,
# read while the agent runs: pipeline, place, state "queued", logical
# date, trigger and when it was queued, first to start first, with
# /api/v1/queued.csv for the table. The runs page and /api/v1/runs list
# them before the runs that started. The list empties once the queue is
# dropped, and a queued row with HTML in its fields is shown as text.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

command -v curl > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: curl is not installed"; exit 77; }

# A run waits while the file hold-DATE of its logical date exists.
hold_config daily queue 'echo date=$WATCHKEEP_LOGICAL_DATE'
agent_state
AT_EXIT="web_stop_all; $AT_EXIT"
run_agent

# One finished run, one run in progress and three queued behind it.
queue_behind_held_run

port=$(free_port)
web_serve "$db" "$port" -c "$TEST_DIR/config.json"
base="http://127.0.0.1:$port"

# The API: every queued run with its fields, in the order they start;
# a backfill run's slot is its date's midnight UTC.
curl -sf "$base/api/v1/status" > "$TEST_DIR/status.json" || fail "/api/v1/status failed"
expect_eq "$(/usr/bin/python3 - "$TEST_DIR/status.json" <<'PY'
import json, sys
queued = json.load(open(sys.argv[1]))["queued"]
print(queued["count"], queued["truncated"])
for q in queued["items"]:
    print(q["pipeline"], q["position"], q["state"], q["logical_date"],
          q["trigger"], q["queued_at"] > 0, q["scheduled_at"],
          q["waiting_ms"] >= 0)
PY
)" "3 False
daily 1 queued 2024-03-30 backfill True 1711756800000 True
daily 2 queued 2024-03-31 backfill True 1711843200000 True
daily 3 queued 2024-04-01 backfill True 1711929600000 True" "queued runs of /api/v1/status"

# The page: a table row for each, with the state as a badge.
curl -sf "$base/" > "$TEST_DIR/overview.html" || fail "the overview failed"
grep -q '<h2>Queued runs</h2>' "$TEST_DIR/overview.html" ||
	fail "the overview has no queued runs section"
expect_eq "$(grep -o '<span class="state s-queued">queued</span>' "$TEST_DIR/overview.html" | wc -l)" 3 \
	"queued badges on the overview"
/usr/bin/python3 - "$TEST_DIR/overview.html" <<'PY' || fail "the queued runs table is wrong"
import re, sys
html = open(sys.argv[1]).read()
table = re.search(r'<table class="grid queued">(.*?)</table>', html, re.S).group(1)
rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
dates = [re.search(r"<td>(\d{4}-\d\d-\d\d)</td>", r).group(1) for r in rows]
assert dates == ["2024-03-30", "2024-03-31", "2024-04-01"], dates
for row in rows:
    assert 'href="/pipelines/daily"' in row, row
    assert ">backfill<" in row, row
    assert "<time data-ms=" in row, row
PY

# The CSV export of the table.
curl -sf "$base/api/v1/queued.csv" > "$TEST_DIR/queued.csv" || fail "/api/v1/queued.csv failed"
head -1 "$TEST_DIR/queued.csv" | grep -q "^pipeline,logical_date,trigger,state,position,queued_at," ||
	fail "the CSV header is wrong: $(head -1 "$TEST_DIR/queued.csv")"
expect_eq "$(grep -c '^daily,2024-0[34]-[0-9]*,backfill,queued,' "$TEST_DIR/queued.csv")" 3 "CSV rows"

# The runs page and its API list them too, before the runs that started.
curl -sf "$base/api/v1/runs?pipeline=daily" > "$TEST_DIR/runs.json" || fail "/api/v1/runs failed"
expect_eq "$(/usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["queued"]["count"], " ".join(q["logical_date"] + ":" + str(q["position"]) for q in m["queued"]["items"]),
      " ".join(r["logical_date"] + ":" + r["state"] for r in m["runs"]))' "$TEST_DIR/runs.json")" \
	"3 2024-03-30:1 2024-03-31:2 2024-04-01:3 2024-01-01:running 2023-12-31:succeeded" "queued runs of /api/v1/runs"
curl -sf "$base/runs" > "$TEST_DIR/runs.html" || fail "the runs page failed"
/usr/bin/python3 - "$TEST_DIR/runs.html" <<'PY' || fail "the runs page does not list the queued runs first"
import sys
html = open(sys.argv[1]).read()
queued, runs = html.index('<table class="grid queued">'), html.index('<table class="grid runs">')
assert queued < runs, (queued, runs)
assert html.count('<span class="state s-queued">queued</span>') == 3
assert 'href="/api/v1/runs/queued.csv"' in html
PY
expect_eq "$(curl -sf "$base/api/v1/runs/queued.csv?pipeline=daily" | grep -c '^daily,2024-0[34]-[0-9]*,backfill,queued,')" 3 \
	"CSV rows of the runs page's queued table"

# Dropped through the agent, they leave the page once the server reads
# the change.
wk cancel --queued daily > /dev/null 2>&1 || fail "cancel --queued failed"
i=0
until curl -sf "$base/" | grep -q "No run is queued."; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the overview still lists queued runs after cancel --queued"
	sleep 0.2
done
expect_eq "$(curl -sf "$base/api/v1/status" | /usr/bin/python3 -c 'import json, sys; q = json.load(sys.stdin)["queued"]; print(q["count"], len(q["items"]))')" \
	"0 0" "queued runs of /api/v1/status after the drop"

# A stored row with markup in its fields shows as text. The trigger fits
# the 15 bytes the reader keeps of it.
kill -TERM "$agent"
release 2024-01-01
wait "$agent" || fail "the agent did not exit 0 on SIGTERM"
agent=""
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("insert into run_queue (pipeline, logical_date, trigger, scheduled_at, queued_at) "
           "values ('<b>p</b>', '2024-07-01', '<script>x', 0, 1700000000000)")
db.commit()
PY
i=0
until curl -sf "$base/" > "$TEST_DIR/hostile.html" && grep -q "2024-07-01" "$TEST_DIR/hostile.html"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the overview does not show the stored row"
	sleep 0.2
done
grep -q '<td>&lt;script&gt;x</td>' "$TEST_DIR/hostile.html" ||
	fail "the trigger is not escaped"
grep -q '&lt;b&gt;p&lt;/b&gt;' "$TEST_DIR/hostile.html" || fail "the pipeline is not escaped"
grep -q '<script>x' "$TEST_DIR/hostile.html" && fail "a script element was injected"
grep -q '<b>p' "$TEST_DIR/hostile.html" && fail "a b element was injected"
echo "$TEST_NAME: ok"
