# The agent opens libmicrohttpd and libcurl only when it needs them. An
# agent with an alert receiver, whose web page was never requested and
# that has sent no alert, maps neither library. The first request to the
# web page opens libmicrohttpd, and the first alert opens libcurl, which
# then serves an http probe that a reload adds.
. "$(dirname "$0")/../lib.sh"

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/healthz"

# write_config PROBES_JSON: three pipelines, one of them failing, an alert
# receiver where nothing listens (port 9), the web page on $port.
write_config() {
	cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [
    { "name": "p1", "schedule": "0 0 1 1 *", "stages": [{ "name": "s", "command": ["true"] }] },
    { "name": "p2", "schedule": "0 0 1 1 *", "stages": [{ "name": "s", "command": ["true"] }] },
    { "name": "bad", "schedule": "0 0 1 1 *", "stages": [{ "name": "s", "command": ["false"] }] } ],
  "probes": $1,
  "alerting": { "group_wait": "0s",
    "receivers": [{ "name": "hook", "type": "json", "url": "http://127.0.0.1:9/hook" }],
    "routes": [{ "receivers": ["hook"] }] },
  "web": { "listen": "127.0.0.1:$port" } }
JSON
}

# mapped NAME: succeeds when the agent maps a file whose name contains NAME.
mapped() {
	grep -q "$1" "/proc/$agent/maps"
}

# wait_mapped NAME: waits up to 15 s for mapped NAME.
wait_mapped() {
	i=0
	until mapped "$1" || [ $i -ge 150 ]; do sleep 0.1; i=$((i + 1)); done
	mapped "$1"
}

write_config '[]'
s="$TEST_DIR/s"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
run_agent
grep -q "web: serving .*:$port/" "$TEST_DIR/agent.err" || fail "the web page is not listening on $port"

# Runs and stage processes come and go without loading either library.
"$WATCHKEEP" run-now p1 --state-dir "$s" > /dev/null 2>&1 || fail "run-now p1 failed"
mapped libmicrohttpd && fail "an agent without web requests maps libmicrohttpd"
mapped libcurl && fail "an agent that sent no alert and has no http probe maps libcurl"

# The first request starts the server, which then serves it.
status=$(/usr/bin/python3 - "$url" <<'PY'
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
PY
) || fail "GET $url failed"
expect_eq "$status" 200 "status of GET /healthz"
mapped libmicrohttpd || fail "libmicrohttpd is not mapped after a web request"
mapped libcurl && fail "a web request mapped libcurl"

# A failed run raises an alert, whose delivery opens libcurl.
"$WATCHKEEP" run-now bad --state-dir "$s" > /dev/null 2>&1 && fail "run-now bad succeeded"
wait_mapped libcurl || fail "libcurl is not mapped after an alert was sent"

# An http probe added by a reload checks the page through libcurl.
write_config "[{ \"name\": \"page\", \"type\": \"http\", \"url\": \"$url\", \"interval\": \"1s\", \"timeout\": \"500ms\" }]"
kill -HUP $agent
db="$s/store.db"
wait_store "select count(*) > 0 from probe_results where probe = 'page' and ok = 1" 1 \
	"passing checks of the http probe"
is_alive $agent || fail "the agent died"
