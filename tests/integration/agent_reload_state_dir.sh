# SIGHUP and state_dir: the agent keeps its state directory until it is
# restarted, and warns only when the reloaded file selects another one.
# The new value is resolved as at start, so "./s", "s/" and a symbolic link
# to the directory in use do not warn. A change back to the directory in
# use, after an edit that named another one, does not warn either. The
# warnings of the loader are logged at each reload.
. "$(dirname "$0")/../lib.sh"

# write_config STATE_DIR [STAGE_KEYS]
write_config() {
	cat > "$TEST_DIR/config.json" <<JSON
{ "state_dir": "$1", "pipelines": [ { "name": "p", "stages": [
  { "name": "a", "command": ["true"]${2:-} } ] } ],
  "web": { "enabled": false } }
JSON
}

# reload STATE_DIR [STAGE_KEYS]: writes the file, sends SIGHUP and waits
# for the reload.
reload() {
	write_config "$@"
	before=$(grep -c "configuration reloaded" "$TEST_DIR/agent.err" || true)
	kill -HUP "$agent"
	i=0
	while [ "$(grep -c "configuration reloaded" "$TEST_DIR/agent.err" || true)" -le "$before" ] &&
		[ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ $i -lt 100 ] || fail "no reload logged for state_dir \"$1\""
}

# expect_warnings COUNT WHAT
expect_warnings() {
	expect_eq "$(grep -c '"state_dir" now selects' "$TEST_DIR/agent.err" || true)" "$1" \
		"state_dir warnings after $2"
}

s="$TEST_DIR/s"
mkdir "$s"
ln -s s "$TEST_DIR/link"
write_config "$s"
# The agent takes a relative state_dir from the directory it runs in.
cd "$TEST_DIR"
"$WATCHKEEP" run -c "$TEST_DIR/config.json" 2>> "$TEST_DIR/agent.err" &
agent=$!
AT_EXIT="kill $agent 2>/dev/null"
i=0
while ! grep -q "started: state directory" "$TEST_DIR/agent.err" && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ $i -lt 100 ] || fail "the agent did not start: $(cat "$TEST_DIR/agent.err")"

reload "./s"
expect_warnings 0 "a relative path to the same directory"
reload "s/"
expect_warnings 0 "a trailing slash"
reload "$TEST_DIR/link"
expect_warnings 0 "a symbolic link to the same directory"

reload "$TEST_DIR/elsewhere"
expect_warnings 1 "a change to another directory"
grep -q "\"state_dir\" now selects $TEST_DIR/elsewhere, but the agent keeps the state directory $s until it is restarted" \
	"$TEST_DIR/agent.err" || fail "the warning names the wrong directories: $(grep state_dir "$TEST_DIR/agent.err")"
[ ! -e "$TEST_DIR/elsewhere" ] || fail "the reload created the other directory"

# Back to the directory in use: the file changed, the directory did not.
reload "$s"
expect_warnings 1 "a change back to the directory in use"

reload "$s" ', "memory_mode": "auto"'
grep -q 'config.json:2:39: warning: "memory_mode" is "auto", the default, but the stage has no "memory_limit"' \
	"$TEST_DIR/agent.err" || fail "the reload did not log the warning of the loader"

kill -TERM "$agent"
wait "$agent" || fail "the agent exited with status $?"
AT_EXIT=""
echo "$TEST_NAME: ok"
