# Security of the web server. check-config, `watchkeep web` and the agent
# reject a non-loopback address without users or tokens. Basic
# authentication (yescrypt hash) and bearer tokens let requests in, and
# wrong ones get 401. The agent's push pings need their probe's token: a
# wrong one gets 403 and is not recorded. Paths outside the routes get
# 404, too large a request is rejected, no page shows a secret, and the
# security headers are set.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

command -v curl > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: curl is not installed"; exit 77; }

web_seed_store "$TEST_DIR/store.db" 2

# ---- a non-loopback address needs authentication ----
port=$(free_port)
cat > "$TEST_DIR/open.json" <<EOF
{ "pipelines": [{ "name": "p", "stages": [{ "name": "s", "command": ["true"] }] }],
  "web": { "listen": "0.0.0.0:$port" } }
EOF
status=0
"$WATCHKEEP" check-config -c "$TEST_DIR/open.json" > "$TEST_DIR/out.txt" 2>&1 || status=$?
expect_eq "$status" 3 "check-config of a non-loopback address without auth"
grep -q 'open.json:2:22: "listen" 0.0.0.0 is not a loopback address' "$TEST_DIR/out.txt" ||
	fail "the error does not name the place: $(cat "$TEST_DIR/out.txt")"
status=0
"$WATCHKEEP" web --db "$TEST_DIR/store.db" --listen "0.0.0.0:$port" > "$TEST_DIR/out.txt" 2>&1 || status=$?
expect_eq "$status" 3 "watchkeep web on 0.0.0.0 without auth"
grep -q "not a loopback address" "$TEST_DIR/out.txt" || fail "no reason given: $(cat "$TEST_DIR/out.txt")"
status=0
timeout 20 "$WATCHKEEP" run -c "$TEST_DIR/open.json" --state-dir "$TEST_DIR/open-state" \
	> "$TEST_DIR/out.txt" 2>&1 || status=$?
expect_eq "$status" 3 "the agent with a non-loopback address without auth"

# ---- users and tokens ----
hash=$(printf 'correct horse\n' | "$WATCHKEEP" web --hash-password)
case $hash in
'$y$'*) ;;
*) fail "--hash-password printed '$hash', not a yescrypt hash" ;;
esac
token=s3cret-token-for-grafana-0123456789
sha=$(printf %s "$token" | sha256sum | cut -d ' ' -f 1)
port=$(free_port)
cat > "$TEST_DIR/auth.json" <<EOF
{ "pipelines": [{ "name": "p", "stages": [{ "name": "s", "command": ["true"] }] }],
  "alerting": { "receivers": [{ "name": "team", "type": "slack",
    "url": "https://hooks.example.invalid/services/T0/B0/SECRETWEBHOOK" }] },
  "web": { "listen": "127.0.0.1:$port",
    "auth": { "users": [{ "name": "alice", "password_hash": "$hash" }],
              "tokens": [{ "name": "grafana", "sha256": "$sha" }] },
    "limits": { "request_bytes": 8192 } } }
EOF
"$WATCHKEEP" check-config -c "$TEST_DIR/auth.json" > /dev/null || fail "the auth configuration is invalid"
web_serve "$TEST_DIR/store.db" "$port" -c "$TEST_DIR/auth.json"
base="http://127.0.0.1:$port"

code() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}
expect_eq "$(code "$base/")" 401 "no credentials"
expect_eq "$(code -u alice:wrong "$base/")" 401 "a wrong password"
expect_eq "$(code -u bob:correct\ horse "$base/")" 401 "an unknown user"
expect_eq "$(code -u 'alice:correct horse' "$base/")" 200 "the right password"
expect_eq "$(code -u 'alice:correct horse' "$base/static/app.css")" 200 "a file with the right password"
expect_eq "$(code "$base/static/app.css")" 401 "a file without credentials"
expect_eq "$(code -H "Authorization: Bearer $token" "$base/api/v1/status")" 200 "the right token"
expect_eq "$(code -H "Authorization: Bearer $token-x" "$base/api/v1/status")" 401 "a wrong token"
expect_eq "$(code -H "Authorization: Bearer $token" "$base/metrics")" 200 "/metrics with a token"
expect_eq "$(code "$base/healthz")" 200 "/healthz needs no credentials"
curl -s -D "$TEST_DIR/h401.txt" -o /dev/null "$base/runs"
grep -qi '^WWW-Authenticate: Basic realm="watchkeep"' "$TEST_DIR/h401.txt" || fail "401 without WWW-Authenticate"

# Security headers.
curl -s -D "$TEST_DIR/h.txt" -o /dev/null -u 'alice:correct horse' "$base/"
for header in "Content-Security-Policy: default-src 'none'; script-src 'self'" \
	"X-Content-Type-Options: nosniff" "frame-ancestors 'none'"; do
	grep -qi "$header" "$TEST_DIR/h.txt" || fail "no '$header' header"
done

# Paths outside the routes, methods, sizes.
expect_eq "$(code -u 'alice:correct horse' --path-as-is "$base/static/../../../etc/passwd")" 404 "path traversal"
expect_eq "$(code -u 'alice:correct horse' "$base/runs/..%2f..%2fetc%2fpasswd")" 404 "encoded traversal"
expect_eq "$(code -u 'alice:correct horse' --path-as-is "$base/slos/..")" 404 "a dot-dot name"
expect_eq "$(code -u 'alice:correct horse' -X DELETE "$base/")" 405 "DELETE"
expect_eq "$(code -u 'alice:correct horse' -X POST -d x=1 "$base/runs")" 405 "POST to a page"
big=$(/usr/bin/python3 -c 'print("x" * 20000)')
status=$(code -u 'alice:correct horse' -H "X-Big: $big" "$base/")
[ "$status" -ge 400 ] || [ "$status" = 000 ] || fail "a 20 kB header got $status"

# No secret on any page, API response or export.
for path in / /slos /runs /incidents /probes /errors /report /report.txt /metrics \
	/api/v1/status /api/v1/report /api/v1/runs.csv /api/v1/probes; do
	curl -s -u 'alice:correct horse' "$base$path" >> "$TEST_DIR/all.txt"
done
grep -q SECRETWEBHOOK "$TEST_DIR/all.txt" && fail "a receiver URL is shown"
grep -qF "$hash" "$TEST_DIR/all.txt" && fail "a password hash is shown"
grep -qF "$sha" "$TEST_DIR/all.txt" && fail "a token digest is shown"
expect_eq "$(code -u 'alice:correct horse' "$base/ping/nightly/0123456789abcdef")" 503 "a ping to the standalone server"

# ---- push pings through the agent ----
port=$(free_port)
cat > "$TEST_DIR/agent.json" <<EOF
{ "pipelines": [{ "name": "p", "stages": [{ "name": "s", "command": ["true"] }] }],
  "probes": [{ "name": "nightly", "type": "push", "period": "1d",
               "token": "push-token-0123456789" }],
  "web": { "listen": "127.0.0.1:$port" } }
EOF
"$WATCHKEEP" run -c "$TEST_DIR/agent.json" --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/agent.log" 2>&1 &
WEB_PIDS="$WEB_PIDS $!"
web_wait "$port"
base="http://127.0.0.1:$port"
db="$TEST_DIR/state/store.db"
pings() {
	sql "$db" "select coalesce(success_at, 0) || ' ' || coalesce(start_at, 0) || ' ' || coalesce(fail_at, 0) from probe_push where probe = 'nightly'"
}
before=$(pings)
expect_eq "$(code "$base/ping/nightly/wrong-token-0123456789")" 403 "a ping with a wrong token"
expect_eq "$(code "$base/ping/other/push-token-0123456789")" 404 "a ping of an unknown probe"
expect_eq "$(pings)" "$before" "pings recorded after wrong tokens"
expect_eq "$(code "$base/ping/nightly/push-token-0123456789/start")" 200 "a start ping"
expect_eq "$(code -X POST -d 'ok' "$base/ping/nightly/push-token-0123456789")" 200 "a success ping by POST"
after=$(pings)
set -- $after
[ "$1" -gt 0 ] && [ "$2" -gt 0 ] || fail "the pings were not recorded: '$after'"
grep -q push-token-0123456789 "$TEST_DIR/agent.log" && fail "the token appeared in the log"
expect_eq "$(code "$base/api/v1/status")" 200 "the agent's API on loopback"
echo "$TEST_NAME: ok"
