# Without libcurl and libmicrohttpd the agent keeps running its stages and
# its other probes, and a reload keeps them running. The http probes, alert
# delivery and the web page each log an error that names the library and
# the Debian package to install, and the http probes report down with it
# at every check. `watchkeep web` and
# `watchkeep test-alert` fail with the same message. The libraries are
# hidden by mounting /dev/null over them in a private mount namespace,
# which needs root and unshare(1); without them the test is skipped.

# find_lib SONAME: prints the file the dynamic linker loads for SONAME.
find_lib() {
	path=$(/sbin/ldconfig -p 2>/dev/null | awk -v so="$1" '$1 == so { print $NF; exit }')
	[ -n "$path" ] && readlink -f "$path"
}

if [ -z "${WK_NETLIB_HIDDEN:-}" ]; then
	curl_file=$(find_lib libcurl.so.4) || curl_file=""
	mhd_file=$(find_lib libmicrohttpd.so.12) || mhd_file=""
	if [ -z "$curl_file" ] || [ -z "$mhd_file" ] ||
		! unshare -m sh -c "mount --bind /dev/null '$curl_file'" 2>/dev/null; then
		echo "netlib_missing: needs root, unshare(1) and both libraries; skipped"
		exit 77
	fi
	exec unshare -m env WK_NETLIB_HIDDEN=1 WK_CURL_FILE="$curl_file" \
		WK_MHD_FILE="$mhd_file" sh "$0"
fi

. "$(dirname "$0")/../lib.sh"

mount --bind /dev/null "$WK_CURL_FILE" || fail "cannot hide $WK_CURL_FILE"
mount --bind /dev/null "$WK_MHD_FILE" || fail "cannot hide $WK_MHD_FILE"

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
    { "name": "good", "schedule": "0 0 1 1 *", "stages": [{ "name": "s", "command": ["true"] }] },
    { "name": "bad", "schedule": "0 0 1 1 *", "stages": [{ "name": "s", "command": ["sh", "-c", "exit 1"] }] } ],
  "probes": [{ "name": "page", "type": "http", "url": "http://127.0.0.1:9/",
               "interval": "1s", "timeout": "500ms" },
             { "name": "local", "type": "exec", "command": ["true"],
               "interval": "1s", "timeout": "900ms" }],
  "alerting": { "group_wait": "0s",
    "receivers": [{ "name": "hook", "type": "json", "url": "http://127.0.0.1:9/hook" }],
    "routes": [{ "receivers": ["hook"] }] },
  "web": { "listen": "127.0.0.1:$port" } }
JSON

# wait_log TEXT: waits up to 15 s for TEXT in the agent's log.
wait_log() {
	i=0
	until grep -qF "$1" "$TEST_DIR/agent.err" || [ $i -ge 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -qF "$1" "$TEST_DIR/agent.err"
}

s="$TEST_DIR/s"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
run_agent

wait_log "cannot load libcurl.so.4" || fail "no error about libcurl for the probes"
grep -q "needed by the http probes; install the Debian package libcurl4" "$TEST_DIR/agent.err" ||
	fail "the probe error does not name the probes and the package"

# The exec probe still runs; the http probe reports down with the cause.
wait_rows() {
	i=0
	until [ "$(sql "$s/store.db" "$1")" -ge 1 ] 2>/dev/null || [ $i -ge 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(sql "$s/store.db" "$1")" -ge 1 ]
}
wait_rows "select count(*) from probe_results where probe = 'local' and ok = 1" ||
	fail "the exec probe did not run without libcurl"
wait_rows "select count(*) from probe_results where probe = 'page' and ok = 0 and detail like '%libcurl4%'" ||
	fail "the http probe does not report why it cannot run"

# A reload keeps the probes running and logs its success.
kill -HUP $agent
wait_log "configuration reloaded from" || fail "the reload was not logged"
grep -q "did not start" "$TEST_DIR/agent.err" && fail "an engine did not start after the reload"

# Stages run, and a failed one raises an alert whose delivery fails.
"$WATCHKEEP" run-now good --state-dir "$s" > /dev/null 2>&1 || fail "run-now good failed"
"$WATCHKEEP" run-now bad --state-dir "$s" > /dev/null 2>&1 && fail "run-now bad succeeded"
wait_log "needed by alert delivery; install the Debian package libcurl4" ||
	fail "no delivery error naming libcurl4"

# The first web request finds no libmicrohttpd: the agent stops listening.
if /usr/bin/python3 - "http://127.0.0.1:$port/healthz" 2> /dev/null <<'PY'
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=10)
PY
then
	fail "the web page answered"
fi
wait_log "needed by the web server; install the Debian package libmicrohttpd12; the agent runs without its web page" ||
	fail "no web error naming libmicrohttpd12"
is_alive $agent || fail "the agent died"
"$WATCHKEEP" run-now good --state-dir "$s" > /dev/null 2>&1 || fail "run-now good failed after the errors"

# The commands that need a library fail with the same message.
status=0
"$WATCHKEEP" web --listen "127.0.0.1:$(free_port)" --state-dir "$s" \
	> /dev/null 2> "$TEST_DIR/web.err" || status=$?
[ "$status" -ne 0 ] || fail "watchkeep web ran without libmicrohttpd"
grep -q "libmicrohttpd.so.12.*install the Debian package libmicrohttpd12" "$TEST_DIR/web.err" ||
	fail "watchkeep web: $(cat "$TEST_DIR/web.err")"
status=0
"$WATCHKEEP" test-alert hook -c "$TEST_DIR/config.json" > "$TEST_DIR/alert.err" 2>&1 ||
	status=$?
expect_eq "$status" 1 "exit status of test-alert"
grep -q "libcurl.so.4.*install the Debian package libcurl4" "$TEST_DIR/alert.err" ||
	fail "watchkeep test-alert: $(cat "$TEST_DIR/alert.err")"
echo "$TEST_NAME: ok"
