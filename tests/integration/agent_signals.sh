# Signals: SIGHUP with an invalid configuration keeps the agent running on
# the old one; SIGHUP with a valid one applies it; SIGTERM lets a running
# stage finish within the grace period and exits 0.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "p", "stages": [
  { "name": "a", "command": "sleep 1; echo finished" } ] } ] }
JSON
s="$TEST_DIR/s"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
run_agent

cp "$TEST_DIR/config.json" "$TEST_DIR/good.json"
echo '{ "pipelines": [ { "name": "p", "stages": [ { "name": "a", "comand": ["true"] } ] } ] }' \
	> "$TEST_DIR/config.json"
kill -HUP $agent
sleep 0.5
kill -0 $agent || fail "the agent died on an invalid configuration"
grep -q "reload failed, keeping the old configuration" "$TEST_DIR/agent.err" || fail "no reload error logged"
grep -q "config.json:1:.*comand" "$TEST_DIR/agent.err" || fail "the reload error lacks the position"
"$WATCHKEEP" run-now p --state-dir "$s" > "$TEST_DIR/run.txt" 2>&1 || fail "run on the old configuration failed"

# A valid file with a second pipeline is applied.
sed 's/"name": "p"/"name": "q"/' "$TEST_DIR/good.json" > "$TEST_DIR/config.json"
kill -HUP $agent
sleep 0.5
grep -q "configuration reloaded" "$TEST_DIR/agent.err" || fail "valid reload not logged"
"$WATCHKEEP" run-now q --state-dir "$s" > /dev/null 2>&1 || fail "the reloaded pipeline does not run"

# --state-dir wins over the file's state_dir, at start as at a reload, so
# a new state_dir in the file changes nothing and logs no warning
# (agent_reload_state_dir.sh covers an agent without --state-dir).
sed 's|^{ "pipelines"|{ "state_dir": "'"$TEST_DIR"'/elsewhere", "pipelines"|; s/"name": "p"/"name": "q"/' \
	"$TEST_DIR/good.json" > "$TEST_DIR/config.json"
kill -HUP $agent
sleep 0.5
expect_eq "$(grep -c "configuration reloaded" "$TEST_DIR/agent.err")" 2 "reloads"
if grep '"state_dir"' "$TEST_DIR/agent.err"; then
	fail "a state_dir overridden by --state-dir was reported as a change"
fi

# SIGTERM during a stage: the stage finishes, the agent exits 0, and it
# starts no new run meanwhile (run 2 is the first run of q).
"$WATCHKEEP" run-now q --state-dir "$s" > /dev/null 2>&1 &
sleep 0.3
kill -TERM $agent
sleep 0.1
if "$WATCHKEEP" rerun --run 2 --from q/a --state-dir "$s" > "$TEST_DIR/rerun.txt" 2>&1; then
	fail "a rerun started while the agent was stopping: $(cat "$TEST_DIR/rerun.txt")"
fi
grep -q "the agent is stopping" "$TEST_DIR/rerun.txt" ||
	fail "the rejected rerun does not say why: $(cat "$TEST_DIR/rerun.txt")"
wait $agent || fail "the agent did not exit 0 on SIGTERM"
AT_EXIT=""
expect_eq "$(sql "$s/store.db" "select state from runs order by id desc limit 1")" succeeded \
	"the run in progress at SIGTERM"
[ ! -e "$s/control.sock" ] || fail "the control socket was left behind"
# A reader that goes away after the first bytes of stderr: the one-shot
# agent goes on through the store migration and the run, without SIGPIPE.
( "$WATCHKEEP" run --once -c "$TEST_DIR/good.json" --state-dir "$TEST_DIR/pipe" \
	2>&1 > /dev/null; echo $? > "$TEST_DIR/pipe.rc" ) | head -c 1 > /dev/null
expect_eq "$(cat "$TEST_DIR/pipe.rc")" 0 "exit status with a closed stderr"
expect_eq "$(sql "$TEST_DIR/pipe/store.db" "select state from runs")" succeeded \
	"the run with a closed stderr"
echo "$TEST_NAME: ok"
