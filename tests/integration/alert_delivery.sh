# Durable delivery of alerts to a mock receiver on 127.0.0.1: retries after
# 500, Retry-After of a 429 (seconds and HTTP date), a receiver that is down
# across an engine restart, a flapping condition and grouping.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../alert_lib.sh"

# check NAME SCRIPT: runs a Python check over the requests of mock NAME.
check() {
	/usr/bin/python3 - "$TEST_DIR/$1.log" "$TEST_DIR/drive.out" <<PY || fail "$1: check failed"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
fires = [int(l.split()[1]) / 1000.0 for l in open(sys.argv[2]) if l.startswith("at ")]
bodies = [json.loads(r["body"]) for r in reqs]
$2
PY
}

# 1. 500 three times, then 200: four requests of one message, one success.
start_mock retry "500x3"
write_config "$TEST_DIR/retry.json" "[{\"name\": \"hook\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/retry.port")/hook\"}]"
drive <<EOF
open $TEST_DIR/retry.json $TEST_DIR/retry.db
fire stage_failed page pipeline=churn stage=train run=12 -- exit status 3
wait-idle 20000
close
EOF
stop_mock retry
check retry '
assert len(reqs) == 4, len(reqs)
keys = {r["headers"]["idempotency-key"] for r in reqs}
assert len(keys) == 1, keys
assert len({r["body"] for r in reqs}) == 1
assert bodies[0]["alerts"][0]["status"] == "firing"
'
expect_eq "$(sql "$TEST_DIR/retry.db" "select state || ':' || attempts || ':' || last_status from alert_outbox")" \
	"sent:4:200" "outbox row after retries"

# 2. 429 with Retry-After: 3: no retry before 3 s.
start_mock slow "429:3"
write_config "$TEST_DIR/slow.json" "[{\"name\": \"hook\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/slow.port")/hook\"}]"
drive <<EOF
open $TEST_DIR/slow.json $TEST_DIR/slow.db
fire probe_down page probe=web -- web is down
wait-idle 20000
close
EOF
stop_mock slow
check slow '
assert len(reqs) == 2, len(reqs)
gap = reqs[1]["t"] - reqs[0]["t"]
assert gap >= 2.95, gap
assert gap < 8, gap
'

# 3. Retry-After as an HTTP date 3 s ahead (whole seconds): at least 2 s.
start_mock date "429d:3"
write_config "$TEST_DIR/date.json" "[{\"name\": \"hook\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/date.port")/hook\"}]"
drive <<EOF
open $TEST_DIR/date.json $TEST_DIR/date.db
fire probe_down page probe=web -- web is down
wait-idle 20000
close
EOF
stop_mock date
check date '
assert len(reqs) == 2, len(reqs)
gap = reqs[1]["t"] - reqs[0]["t"]
assert gap >= 1.95, gap
'

# 4. The receiver is down while the engine runs and restarts; once it is
#    up the message arrives once.
port=$(free_port)
write_config "$TEST_DIR/down.json" "[{\"name\": \"hook\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$port/hook\"}]"
drive <<EOF
open $TEST_DIR/down.json $TEST_DIR/down.db
fire stage_failed page pipeline=churn stage=export run=7 -- disk full
run 1500
restart
run 500
close
EOF
expect_eq "$(sql "$TEST_DIR/down.db" "select state from alert_outbox")" pending "outbox while down"
start_mock down "" "$port"
drive <<EOF
open $TEST_DIR/down.json $TEST_DIR/down.db
wait-idle 20000
run 500
close
EOF
stop_mock down
check down '
assert len(reqs) == 1, len(reqs)
assert bodies[0]["alerts"][0]["summary"] == "disk full"
'
expect_eq "$(sql "$TEST_DIR/down.db" "select count(*) || ':' || min(state) from alert_outbox")" "1:sent" "outbox after the restart"

# 5. A condition flapping at its threshold: one firing message, at most one
#    resolved one.
start_mock flap ""
write_config "$TEST_DIR/flap.json" "[{\"name\": \"hook\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/flap.port")/hook\"}]" \
	'"timing": {"probe_down": {"resolve_after": "1s"}}'
drive <<EOF
open $TEST_DIR/flap.json $TEST_DIR/flap.db
flap probe_down page 12 300 probe=api
run 2500
wait-idle 10000
close
EOF
stop_mock flap
check flap '
states = [a["status"] for b in bodies for a in b["alerts"]]
assert states.count("firing") == 1, states
assert states.count("resolved") <= 1, states
assert states[0] == "firing", states
'

# 6. Three stage failures of one run: one message, posted within 1 s.
start_mock group ""
write_config "$TEST_DIR/group.json" "[{\"name\": \"hook\", \"type\": \"json\", \"url\": \"http://127.0.0.1:$(cat "$TEST_DIR/group.port")/hook\"}]"
drive <<EOF
open $TEST_DIR/group.json $TEST_DIR/group.db
fire stage_failed page pipeline=churn stage=features run=20 -- exit status 1
fire stage_timed_out page pipeline=churn stage=train run=20 -- timed out
fire stage_failed page pipeline=churn stage=export run=20 -- exit status 2
wait-idle 10000
close
EOF
stop_mock group
check group '
assert len(reqs) == 1, len(reqs)
assert len(bodies[0]["alerts"]) == 3, bodies[0]
assert bodies[0]["group_key"] == "pipeline=churn,run=20", bodies[0]["group_key"]
latency = reqs[0]["t"] - fires[0]
assert 0 <= latency < 1.0, latency
'
grep -q "/hook" "$TEST_DIR/all.err" && fail "the URL path appears in the log"
grep -q "receiver hook (127.0.0.1)" "$TEST_DIR/all.err" || fail "the log lacks the receiver and host"
echo "$TEST_NAME: ok"
