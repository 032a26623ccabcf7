# `watchkeep cancel` without a RUN: with no run in progress it says so, and
# with several it lists them. An id out of range is a usage error. A second
# cancel of a run that is still stopping sends SIGKILL to its stages at
# once instead of waiting for their grace period.
. "$(dirname "$0")/../lib.sh"

# The stage ignores SIGTERM (sleep inherits the ignored signal), so only
# SIGKILL stops it before its 120 s grace period ends.
cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [
    { "name": "a", "stages": [ { "name": "hold", "grace": "120s",
      "command": "trap '' TERM; echo $$$$ > pid; sleep 300" } ] },
    { "name": "b", "stages": [ { "name": "hold", "grace": "120s",
      "command": "trap '' TERM; echo $$$$ > pid; sleep 300" } ] } ],
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; for f in "$s"/runs/*/hold/pid; do [ -r "$f" ] && kill -9 -"$(cat "$f")" 2>/dev/null; done; true'
W() { "$WATCHKEEP" "$@" --state-dir "$s"; }
run_agent

status=0
W cancel > "$TEST_DIR/none.out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of cancel with no run in progress"
grep -q "no run is in progress, so there is nothing to cancel" "$TEST_DIR/none.out" ||
	fail "cancel with no run in progress: $(cat "$TEST_DIR/none.out")"

for id in 99999999999999999999 0 12x ""; do
	status=0
	W cancel "$id" > "$TEST_DIR/range.out" 2>&1 || status=$?
	expect_eq "$status" 2 "exit status of cancel \"$id\""
	grep -q "invalid run id \"$id\"" "$TEST_DIR/range.out" ||
		fail "cancel \"$id\": $(cat "$TEST_DIR/range.out")"
done
grep -q "out of range" "$TEST_DIR/range.out" && fail "an empty id reported as out of range"
W cancel 99999999999999999999 2>&1 | grep -q "out of range" ||
	fail "a run id past the range of a 64-bit integer is not called out of range"

W run-now a > /dev/null 2>&1 &
W run-now b > /dev/null 2>&1 &
wait_store "select count(*) from stage_runs where state = 'running'" 2 "two stages running"
status=0
W cancel > "$TEST_DIR/two.out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of cancel with two runs in progress"
grep -q "2 runs are in progress; name the one to cancel" "$TEST_DIR/two.out" ||
	fail "cancel with two runs: $(cat "$TEST_DIR/two.out")"
for p in a b; do
	id=$(sql "$db" "select id from runs where pipeline = '$p'")
	grep -Eq "^  run $id +pipeline $p\$" "$TEST_DIR/two.out" ||
		fail "run $id of $p is not listed: $(cat "$TEST_DIR/two.out")"
done

# The first cancel sends SIGTERM, which the stage ignores.
id=$(sql "$db" "select id from runs where pipeline = 'a'")
i=0
while [ ! -s "$s/runs/$id/hold/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pid=$(cat "$s/runs/$id/hold/pid")
W cancel "$id" > "$TEST_DIR/first.out" 2>&1 || fail "first cancel: $(cat "$TEST_DIR/first.out")"
expect_eq "$(cat "$TEST_DIR/first.out")" "run $id: cancelling" "output of the first cancel"
sleep 1
is_alive "$pid" || fail "the stage that ignores SIGTERM ended after the first cancel"
expect_eq "$(sql "$db" "select state from runs where id = $id")" running "run after the first cancel"

W cancel "$id" > "$TEST_DIR/second.out" 2>&1 || fail "second cancel: $(cat "$TEST_DIR/second.out")"
expect_eq "$(cat "$TEST_DIR/second.out")" \
	"run $id: already cancelling; sent SIGKILL to the process group of 1 running stage" \
	"output of the second cancel"
wait_store "select state from runs where id = $id" failed "run after the second cancel"
is_alive "$pid" && fail "process $pid still runs after the second cancel"
expect_eq "$(sql "$db" "select reason from stage_runs where run_id = $id")" cancelled \
	"reason of the killed stage"

status=0
W cancel "$id" > "$TEST_DIR/third.out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of a cancel of an ended run"
grep -q "run $id is not in progress" "$TEST_DIR/third.out" || fail "third cancel: $(cat "$TEST_DIR/third.out")"

other=$(sql "$db" "select id from runs where pipeline = 'b'")
W cancel "$other" > /dev/null 2>&1 || fail "cancel of run $other failed"
W cancel "$other" > /dev/null 2>&1 || fail "second cancel of run $other failed"
wait_store "select state from runs where id = $other" failed "run $other"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
agent=""
echo "$TEST_NAME: ok"
