# `watchkeep logs --follow`, started while a stage runs, shows its lines
# while it runs and prints every line in order. It exits by itself once
# the stage has ended. With --json it prints one JSON object a line.
. "$(dirname "$0")/../lib.sh"

# The stage writes four lines, then waits until the test has seen them
# through the follower and creates the file "go". The agent commits what it
# captured when more output comes at least 500 ms after its last commit,
# so the line written a second later makes the first four visible.
cat > "$TEST_DIR/stage.sh" <<SH
i=1
while [ \$i -le 4 ]; do echo "tick \$i"; i=\$((i + 1)); sleep 0.2; done
sleep 1
echo waiting
n=0
while [ ! -e "$TEST_DIR/go" ] && [ \$n -lt 600 ]; do sleep 0.1; n=\$((n + 1)); done
while [ \$i -le 8 ]; do echo "tick \$i"; i=\$((i + 1)); done
echo 'ERROR: last' >&2
SH
cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "p", "stages": [
      { "name": "slow", "command": ["sh", "$TEST_DIR/stage.sh"] } ] }
  ]
}
JSON
state="$TEST_DIR/state"
"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$state" \
	> "$TEST_DIR/run.txt" 2> "$TEST_DIR/run.err" &
agent=$!

# Waits up to 20 s for the stage run to start.
i=0
until [ -f "$state/store.db" ] &&
	[ "$(sql "$state/store.db" "select count(*) from stage_runs where state = 'running'" 2>/dev/null)" = 1 ]; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "the stage did not start within 20 s"
	sleep 0.1
done

"$WATCHKEEP" logs p/slow --follow --state-dir "$state" > "$TEST_DIR/follow.txt" \
	2> "$TEST_DIR/follow.err" &
follower=$!
"$WATCHKEEP" logs slow -f --json --state-dir "$state" > "$TEST_DIR/follow.jsonl" \
	2> "$TEST_DIR/follow-json.err" &
json_follower=$!

# The followers show the first lines while the stage still runs.
i=0
until grep -q "tick 4" "$TEST_DIR/follow.txt" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "logs --follow did not show tick 4 within 30 s"
	sleep 0.1
done
kill -0 "$agent" 2>/dev/null || fail "the run ended before the go file"
touch "$TEST_DIR/go"
wait "$agent" || fail "the run failed"

# Both followers end by themselves within 10 s of the run's end.
i=0
while kill -0 "$follower" 2>/dev/null || kill -0 "$json_follower" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then
		kill "$follower" "$json_follower" 2>/dev/null || true
		fail "logs --follow did not exit after the stage ended"
	fi
	sleep 0.1
done
wait "$follower" || fail "logs --follow failed: $(cat "$TEST_DIR/follow.err")"
wait "$json_follower" || fail "logs --follow --json failed"

expected=$(printf 'tick %d\n' 1 2 3 4; echo waiting; printf 'tick %d\n' 5 6 7 8)
expect_eq "$(sed -n 's/^stdout *[0-9]* | //p' "$TEST_DIR/follow.txt")" "$expected" \
	"followed stdout lines"
grep -q "^stderr *1 ! ERROR: last$" "$TEST_DIR/follow.txt" || fail "stderr line missing"
/usr/bin/python3 - "$TEST_DIR/follow.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = [r["text"] for r in rows if r["stream"] == "stdout"]
ticks = ["tick %d" % i for i in range(1, 9)]
assert out == ticks[:4] + ["waiting"] + ticks[4:], out
err = [r for r in rows if r["stream"] == "stderr"]
assert len(err) == 1, err
assert err[0]["error"] is True, err
PY
echo "$TEST_NAME: ok"
