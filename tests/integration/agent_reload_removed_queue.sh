# A reload that removes a pipeline drops its queued runs, in memory and in
# run_queue, with one warning that counts them. Its run in progress
# finishes, and the queued runs of the other pipelines stay.
. "$(dirname "$0")/../lib.sh"

# write_config PIPELINES: a configuration of the named pipelines. A run
# waits while the file hold-PIPELINE-DATE exists.
write_config() {
	{
		printf '{ "pipelines": ['
		sep=""
		for name in "$@"; do
			printf '%s\n  { "name": "%s", "overlap": "queue", "stages": [ { "name": "a", "command": "while [ -e %s/hold-%s-$WATCHKEEP_LOGICAL_DATE ]; do sleep 0.1; done" } ] }' \
				"$sep" "$name" "$TEST_DIR" "$name"
			sep=","
		done
		printf ' ],\n  "web": { "enabled": false } }\n'
	} > "$TEST_DIR/config.json"
}
write_config one two
agent_state

run_agent
hold_run one 2024-01-01 one-2024-01-01
hold_run two 2024-01-01 two-2024-01-01
for p in one two; do
	wk backfill "$p" --from 2024-01-02 --to 2024-01-03 > "$TEST_DIR/bf-$p.out" 2>&1 ||
		fail "backfill of $p failed: $(cat "$TEST_DIR/bf-$p.out")"
done
expect_eq "$(sql "$db" "select pipeline, count(*) from run_queue group by pipeline order by pipeline")" \
	"one|2
two|2" "queued runs before the reload"

write_config one
kill -HUP "$agent"
i=0
while ! grep -q "configuration reloaded" "$TEST_DIR/agent.err" && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -q "configuration reloaded" "$TEST_DIR/agent.err" || fail "no reload: $(cat "$TEST_DIR/agent.err")"

expect_eq "$(grep -c "reload: pipeline two is no longer in the configuration; dropped its 2 queued runs" "$TEST_DIR/agent.err")" \
	1 "warning for the removed pipeline"
grep -q "reload: pipeline one" "$TEST_DIR/agent.err" && fail "a warning names the kept pipeline"
expect_eq "$(sql "$db" "select pipeline || ':' || logical_date from run_queue order by id")" \
	"one:2024-01-02
one:2024-01-03" "queued runs after the reload"
wk status --json > "$TEST_DIR/status.json" 2>&1 || fail "status --json failed"
expect_eq "$(python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
print(" ".join(r["pipeline"] + ":" + r["state"] for r in runs if r["state"] == "queued"))' "$TEST_DIR/status.json")" \
	"one:queued one:queued" "queued runs the agent reports"

# The run in progress of the removed pipeline finishes and succeeds.
release two-2024-01-01
wait_store "select state from runs where pipeline = 'two' and logical_date = '2024-01-01'" succeeded \
	"run of the removed pipeline"

# The kept pipeline runs its queue; nothing of two starts or fails.
release one-2024-01-01
wait_store "select count(*) from runs where pipeline = 'one' and state = 'succeeded'" 3 "runs of one"
expect_eq "$(sql "$db" "select count(*) from runs where pipeline = 'two'")" 1 "runs of two"
expect_eq "$(sql "$db" "select count(*) from run_queue")" 0 "queued runs at the end"
grep -q "did not start" "$TEST_DIR/agent.err" && fail "a queued run failed to start: $(grep "did not start" "$TEST_DIR/agent.err")"

stop_agent
echo "$TEST_NAME: ok"
