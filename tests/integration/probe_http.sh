# `watchkeep probe` against local HTTP and HTTPS servers that misbehave:
# a hanging endpoint, a connection reset, a 500, a wrong body, a JSON
# field with the wrong value, an expired certificate and one about to
# expire. Every probe gets the right state and detail, and the hanging
# one costs only its own timeout.
. "$(dirname "$0")/../lib.sh"

server_pids=""
stop_servers() {
	for pid in $server_pids; do
		kill "$pid" 2>/dev/null || true
	done
}
trap 'stop_servers; cleanup' EXIT

# Starts probe_server.py with the arguments and waits for its port file.
start_server() {
	port_file=$1
	shift
	/usr/bin/python3 "$WK_TEST_SRCDIR/tests/integration/probe_server.py" \
		"$port_file" "$@" 2>>"$TEST_DIR/servers.log" &
	server_pids="$server_pids $!"
	i=0
	while [ ! -s "$port_file" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "server $port_file did not start"
		sleep 0.1
	done
}

# A test CA; certificates with dates in the past come from `openssl ca`,
# whose -startdate and -enddate take any date.
ca="$TEST_DIR/ca"
mkdir -p "$ca/db"
: > "$ca/db/index.txt"
echo 01 > "$ca/db/serial"
cat > "$ca/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $ca/db/index.txt
serial = $ca/db/serial
new_certs_dir = $ca/db
certificate = $ca/ca.pem
private_key = $ca/ca.key
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca/ca.key" \
	-out "$ca/ca.pem" -days 30 -subj "/CN=watchkeep test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$ca/srv.key" -out "$ca/srv.csr" \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
openssl ca -batch -config "$ca/ca.cnf" -in "$ca/srv.csr" -out "$ca/expired.pem" \
	-startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
openssl ca -batch -config "$ca/ca.cnf" -in "$ca/srv.csr" -out "$ca/soon.pem" \
	-days 5 2>/dev/null

start_server "$TEST_DIR/port"
start_server "$TEST_DIR/expired_port" "$ca/expired.pem" "$ca/srv.key"
start_server "$TEST_DIR/soon_port" "$ca/soon.pem" "$ca/srv.key"
port=$(cat "$TEST_DIR/port")
expired_port=$(cat "$TEST_DIR/expired_port")
soon_port=$(cat "$TEST_DIR/soon_port")
base="http://127.0.0.1:$port"

cat > "$TEST_DIR/config.json" <<EOF
{
  "pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}],
  "probes": [
    {"name": "ok", "type": "http", "url": "$base/ok",
     "json_path": "data.items[0].ok", "json_equals": true,
     "body_regex": "\"status\": *\"ok\"", "body_contains": "items"},
    {"name": "hanging", "type": "http", "url": "$base/slow", "timeout": "2s"},
    {"name": "reset", "type": "http", "url": "$base/reset"},
    {"name": "error", "type": "http", "url": "$base/error"},
    {"name": "error-accepted", "type": "http", "url": "$base/error",
     "expect_status": ["2xx", 500]},
    {"name": "wrong-body", "type": "http", "url": "$base/wrongbody",
     "body_contains": "status"},
    {"name": "wrong-json", "type": "http", "url": "$base/json-bad",
     "json_path": "data.items[0].ok", "json_equals": true},
    {"name": "expired", "type": "http", "url": "https://127.0.0.1:$expired_port/ok",
     "ca_file": "$ca/ca.pem"},
    {"name": "expired-unverified", "type": "http",
     "url": "https://127.0.0.1:$expired_port/ok", "insecure": true},
    {"name": "expiring", "type": "http", "url": "https://127.0.0.1:$soon_port/ok",
     "ca_file": "$ca/ca.pem", "tls_warn_days": 14},
    {"name": "port-open", "type": "tcp", "address": "127.0.0.1:$port"},
    {"name": "port-by-name", "type": "tcp", "address": "localhost:$port"}
  ]
}
EOF

start=$(date +%s)
status=0
"$WATCHKEEP" probe --json -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/out.json" 2> "$TEST_DIR/err.txt" || status=$?
elapsed=$(( $(date +%s) - start ))
expect_eq "$status" 1 "exit status with probes down"
# All probes ran at once: the hanging one (timeout 2s) sets the pace.
[ "$elapsed" -le 10 ] || fail "one-off check took ${elapsed}s; the probes did not run concurrently"

/usr/bin/python3 - "$TEST_DIR/out.json" <<'PY'
import json, sys
probes = {p["name"]: p for p in json.load(open(sys.argv[1]))}
def check(name, state, *parts):
    p = probes[name]
    assert p["state"] == state, (name, p)
    for part in parts:
        assert part in p["detail"], (name, part, p["detail"])
check("ok", "up", "HTTP 200")
check("hanging", "down", "timed out after 2.00 s")
assert 1900 <= probes["hanging"]["latency_ms"] < 5000, probes["hanging"]
check("reset", "down", "reset")
check("error", "down", "HTTP 500, expected 200-299")
check("error-accepted", "up", "HTTP 500")
check("wrong-body", "down", "does not contain")
check("wrong-json", "down", "JSON field data.items[0].ok is false, expected true")
check("expired", "down", "certificate has expired")
check("expired-unverified", "down", "certificate expired on 2020-02-01")
check("expiring", "up", "certificate expires in 4 days")
check("port-open", "up", "connected to 127.0.0.1")
check("port-by-name", "up", "connected to localhost")
assert probes["ok"]["latency_ms"] >= 0, probes["ok"]
assert probes["ok"]["ok"] is True, probes["ok"]
assert len(probes) == 12, sorted(probes)
PY
grep -q "expires in 4 days" "$TEST_DIR/err.txt" || fail "no warning about the expiring certificate"

# Only the named probes; all up gives exit status 0 and a table.
"$WATCHKEEP" probe ok expiring port-open -c "$TEST_DIR/config.json" \
	--state-dir "$TEST_DIR/state" > "$TEST_DIR/table.txt" \
	|| fail "exit status $? with every named probe up"
grep -q "^NAME  *TYPE  *STATE  *LATENCY  *DETAIL" "$TEST_DIR/table.txt" || fail "no table header"
expect_eq "$(grep -c ' up ' "$TEST_DIR/table.txt")" 3 "probes up in the table"

status=0
"$WATCHKEEP" probe okk -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" \
	2> "$TEST_DIR/err.txt" || status=$?
expect_eq "$status" 2 "exit status for an unknown probe name"
grep -q 'no probe named "okk"' "$TEST_DIR/err.txt" || fail "unknown name not reported"
echo "$TEST_NAME: ok"
