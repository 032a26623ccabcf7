# `watchkeep runs` and `watchkeep status` reject a pipeline that is neither
# configured nor in the store: they list the known ones and exit 1, with
# or without a store. A configured pipeline without a store is no error.
# run, run-now, backfill, rerun and cancel --queued report an unknown
# pipeline or stage the same way, with or without an agent, and a missing
# pipeline name with exit status 2.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
    { "name": "ran", "stages": [{ "name": "s", "command": ["true"] }] },
    { "name": "idle", "stages": [{ "name": "s", "command": ["true"] }] } ],
  "web": { "enabled": false } }
JSON
W() { "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json"; }

# No store yet.
status=0
W status nosuch --state-dir "$TEST_DIR/empty" > "$TEST_DIR/out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of status for an unknown pipeline without a store"
grep -q 'no pipeline named "nosuch".*known pipelines: ran, idle' "$TEST_DIR/out" ||
	fail "status without a store: $(cat "$TEST_DIR/out")"
W status idle --state-dir "$TEST_DIR/empty" > /dev/null 2>&1 ||
	fail "status of a configured pipeline without a store failed"

W run --once --state-dir "$TEST_DIR/s" > /dev/null 2>&1 || fail "the run failed"
for cmd in runs status; do
	status=0
	W "$cmd" nosuch --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 || status=$?
	expect_eq "$status" 1 "exit status of $cmd for an unknown pipeline"
	grep -q "watchkeep $cmd: no pipeline named \"nosuch\".*known pipelines: ran, idle" \
		"$TEST_DIR/out" || fail "$cmd: $(cat "$TEST_DIR/out")"
	W "$cmd" ran --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 ||
		fail "$cmd ran failed: $(cat "$TEST_DIR/out")"
done

# Without -c, the pipelines with runs in the store are known.
status=0
"$WATCHKEEP" runs nosuch --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 || status=$?
expect_eq "$status" 1 "exit status of runs without a configuration"
grep -q "known pipelines: idle, ran$" "$TEST_DIR/out" || fail "runs without -c: $(cat "$TEST_DIR/out")"
"$WATCHKEEP" runs ran --state-dir "$TEST_DIR/s" > /dev/null 2>&1 || fail "runs ran without -c failed"

# expect_reply WHAT STATUS PATTERN ARGS...: runs watchkeep ARGS and checks
# the exit status and that the output matches PATTERN (grep -E).
expect_reply() {
	what=$1 want=$2 pattern=$3
	shift 3
	status=0
	W "$@" --state-dir "$TEST_DIR/s" > "$TEST_DIR/out" 2>&1 || status=$?
	expect_eq "$status" "$want" "exit status of $what"
	grep -Eq -- "$pattern" "$TEST_DIR/out" || fail "$what: $(cat "$TEST_DIR/out")"
}

s="$TEST_DIR/s"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
for mode in one-shot agent; do
	if [ "$mode" = agent ]; then run_agent; fi
	expect_reply "run-now rna ($mode)" 1 \
		'no pipeline named "rna"; did you mean "ran"\? known pipelines: ran, idle$' run-now rna
	expect_reply "backfill idel ($mode)" 1 \
		'no pipeline named "idel"; did you mean "idle"\? known pipelines: ran, idle$' \
		backfill idel --from 2026-01-01 --to 2026-01-02
	expect_reply "rerun --from ran/t ($mode)" 1 \
		'pipeline ran has no stage "t"; did you mean "s"\? its stages: s$' rerun --from ran/t
	expect_reply "run-now without a pipeline ($mode)" 2 \
		'name the pipeline: the configuration has several; known pipelines: ran, idle$' run-now
	expect_reply "backfill without a pipeline ($mode)" 2 \
		'name the pipeline: the configuration has several; known pipelines: ran, idle$' \
		backfill --from 2026-01-01 --to 2026-01-02
	expect_reply "rerun without a pipeline ($mode)" 2 \
		'several pipelines; known pipelines: ran, idle$' rerun --from s
	expect_reply "cancel --queued rna ($mode)" 1 \
		'no pipeline named "rna" and no queued runs of it; did you mean "ran"\? known pipelines: ran, idle$' \
		cancel --queued rna
done
kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
agent=""

expect_reply "run --once rna" 1 \
	'watchkeep run: no pipeline named "rna" in .*; did you mean "ran"\? known pipelines: ran, idle$' \
	run --once rna
echo "$TEST_NAME: ok"
