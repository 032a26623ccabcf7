# Parallel stages and overlapping runs: two independent stages run at the
# same time under max_parallel 2; a run asked for while another runs is
# queued and starts after it (overlap "queue").
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "p", "max_parallel": 2, "overlap": "queue", "stages": [
      { "name": "left", "command": "date +%s%N > start; sleep 1; date +%s%N > end" },
      { "name": "right", "command": "date +%s%N > start; sleep 1; date +%s%N > end" },
      { "name": "join", "depends_on": ["left", "right"], "command": ["true"] }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
"$WATCHKEEP" run -c "$TEST_DIR/config.json" --state-dir "$s" 2> "$TEST_DIR/agent.err" &
agent=$!
AT_EXIT='kill $agent 2>/dev/null'
i=0
while [ ! -S "$s/control.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$s/control.sock" ] || fail "the agent did not open its control socket"

"$WATCHKEEP" run-now --state-dir "$s" > "$TEST_DIR/r1.txt" 2>&1 &
first=$!
sleep 0.3
"$WATCHKEEP" run-now --state-dir "$s" > "$TEST_DIR/r2.txt" 2>&1 || true
wait $first || fail "the first run failed: $(cat "$TEST_DIR/r1.txt")"
grep -q "queued" "$TEST_DIR/r2.txt" || fail "the second run was not queued: $(cat "$TEST_DIR/r2.txt")"

i=0
while [ "$(sql "$s/store.db" "select count(*) from runs where state = 'succeeded'")" != 2 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
expect_eq "$(sql "$s/store.db" "select count(*) from runs where state = 'succeeded'")" 2 "runs"

/usr/bin/python3 - "$s/runs/1" <<'PY'
import sys
d = sys.argv[1]
read = lambda stage, f: int(open(f"{d}/{stage}/{f}").read())
l0, l1, r0, r1 = read("left", "start"), read("left", "end"), read("right", "start"), read("right", "end")
assert l0 < r1 and r0 < l1, "left and right did not overlap"
PY
# The queued run started after the first one ended.
expect_eq "$(sql "$s/store.db" "select (select started_at from runs where id = 2) >= (select ended_at from runs where id = 1)")" \
	1 "queued run started after the first ended"
kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
AT_EXIT=""
echo "$TEST_NAME: ok"
