# A reload replaces the alert engine. An alert whose delivery keeps failing
# before SIGHUP is retried after it on the new configuration. The agent
# stays up through reloads and re-runs, and frees the old configuration
# once no run uses it.
. "$(dirname "$0")/../lib.sh"

# Port 9 (discard) on loopback: nothing listens, every attempt fails.
cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "p", "stages": [
    { "name": "a", "command": ["sleep", "1"] },
    { "name": "b", "command": ["sh", "-c", "exit 1"], "depends_on": ["a"] } ] } ],
  "alerting": { "group_wait": "0s",
    "receivers": [ { "name": "down", "type": "json", "url": "http://127.0.0.1:9/hook" } ],
    "routes": [ { "receivers": ["down"] } ] },
  "web": { "enabled": false } }
JSON
s="$TEST_DIR/s"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
run_agent

"$WATCHKEEP" run-now p --state-dir "$s" > /dev/null 2>&1 && fail "the failing run succeeded"
i=0
until grep -q "attempt 1 failed" "$TEST_DIR/agent.err" || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -q "attempt 1 failed" "$TEST_DIR/agent.err" || fail "no failed delivery before the reload"

# Reload while a re-run uses the old configuration, which is freed when the
# re-run ends.
"$WATCHKEEP" rerun --from p/a --state-dir "$s" > /dev/null 2>&1 &
rerun=$!
i=0
until grep -q "stage=p/a: started attempt 2" "$TEST_DIR/agent.err" || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -HUP $agent
wait $rerun && fail "the failing re-run succeeded"
i=0
until grep -q "configuration reloaded" "$TEST_DIR/agent.err" || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -HUP $agent
i=0
until [ "$(grep -c "configuration reloaded" "$TEST_DIR/agent.err")" -ge 2 ] || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
"$WATCHKEEP" rerun --from p/b --state-dir "$s" > /dev/null 2>&1 && fail "the failing re-run succeeded"
# The engine retries the first message after the reloads, reading the
# receiver of the configuration it holds.
at=$(wc -l < "$TEST_DIR/agent.err")
i=0
until tail -n "+$((at + 1))" "$TEST_DIR/agent.err" | grep -q "message 1 attempt [0-9]* failed" ||
	[ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.5
is_alive $agent || { cat "$TEST_DIR/agent.err"; fail "the agent died after a reload"; }
tail -n "+$((at + 1))" "$TEST_DIR/agent.err" | grep -q "message 1 attempt [0-9]* failed" ||
	fail "no delivery attempt of the first message after the reload"
expect_eq "$(sql "$s/store.db" "select count(*) from alert_outbox where state = 'pending'")" 1 \
	"pending messages (one firing alert, not sent twice)"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
AT_EXIT=""
echo "$TEST_NAME: ok"
