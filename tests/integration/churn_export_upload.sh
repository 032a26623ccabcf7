#!/bin/sh
# churn export with zstd and an upload to a local S3-style server
# (s3_server.py, which checks the AWS SigV4 signature with botocore):
# the upload survives two HTTP 500 answers, the stored bytes equal the
# file and its checksum, a wrong secret key is refused with 77, a store
# that keeps failing gives 69 after the retries, and neither the URL
# nor a key ever appears in the output.
. "$(dirname "$0")/../lib.sh"
: "${CHURN:?CHURN must name the churn binary}"

if ! /usr/bin/python3 -c 'import botocore' 2>/dev/null; then
	echo "python3-botocore is not installed: skipped"
	exit 77
fi

server_pids=""
stop_servers() {
	for pid in $server_pids; do
		kill "$pid" 2>/dev/null || true
	done
}
AT_EXIT=stop_servers

# Starts s3_server.py with DIR and the options; sets $port.
start_server() {
	dir=$1
	shift
	mkdir -p "$dir"
	/usr/bin/python3 "$WK_TEST_SRCDIR/tests/integration/s3_server.py" \
		"$dir/port" "$dir" --access AKIDTEST --secret right-secret "$@" \
		2>>"$TEST_DIR/server.log" &
	server_pids="$server_pids $!"
	i=0
	while [ ! -s "$dir/port" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "server in $dir did not start"
		sleep 0.1
	done
	port=$(cat "$dir/port")
}

# The file to export: a few hundred kilobytes of CSV.
awk 'BEGIN { print "user_id,churn_probability,rank,segment";
	for (i = 1; i <= 20000; i++)
		printf "u%05d,%.6f,%d,low\n", i, 1 / (i + 1), i }' \
	>"$TEST_DIR/audience.csv"

# --- zstd without upload --------------------------------------------------
"$CHURN" export --input "$TEST_DIR/audience.csv" --compression zstd \
	--output "$TEST_DIR/plain.zst" >"$TEST_DIR/plain.out"
grep -q "bytes zstd" "$TEST_DIR/plain.out" || fail "summary: $(cat "$TEST_DIR/plain.out")"
zstd -q -d -c "$TEST_DIR/plain.zst" | cmp -s - "$TEST_DIR/audience.csv" ||
	fail "plain.zst does not unpack to audience.csv"
(cd "$TEST_DIR" && sha256sum -c plain.zst.sha256 >/dev/null) ||
	fail "plain.zst.sha256 does not verify"

# --- upload after two failures --------------------------------------------
start_server "$TEST_DIR/s3f" --fail 2
secret_query="X-Test-Token=do-not-print-me"
echo "http://127.0.0.1:$port/bucket/audience.csv.zst?$secret_query" \
	>"$TEST_DIR/url"
set +e
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=right-secret \
	"$CHURN" export --input "$TEST_DIR/audience.csv" --compression zstd \
	--output "$TEST_DIR/up.zst" --upload-url "@$TEST_DIR/url" \
	--aws-sigv4 aws:amz:us-east-1:s3 --upload-backoff 50ms \
	>"$TEST_DIR/up.out" 2>"$TEST_DIR/up.err"
status=$?
set -e
[ "$status" -eq 0 ] || fail "upload exited $status: $(cat "$TEST_DIR/up.err")"
grep -q ", uploaded$" "$TEST_DIR/up.out" || fail "summary: $(cat "$TEST_DIR/up.out")"
expect_eq "$(grep -c '"status": 500' "$TEST_DIR/s3f/requests.jsonl")" 2 "failed PUTs"
expect_eq "$(grep -c '"status": 200' "$TEST_DIR/s3f/requests.jsonl")" 1 "accepted PUTs"
expect_eq "$(grep -c 'upload attempt' "$TEST_DIR/up.err")" 2 "retry messages"
grep -q '"signed_headers": "[^"]*x-amz-content-sha256' "$TEST_DIR/s3f/requests.jsonl" ||
	fail "the payload hash was not signed: $(cat "$TEST_DIR/s3f/requests.jsonl")"
cmp -s "$TEST_DIR/s3f/object" "$TEST_DIR/up.zst" ||
	fail "the uploaded bytes differ from up.zst"
stored=$(sha256sum <"$TEST_DIR/s3f/object" | cut -d ' ' -f 1)
expect_eq "$stored" "$(cut -d ' ' -f 1 "$TEST_DIR/up.zst.sha256")" \
	"SHA-256 of the uploaded bytes"

# --- a wrong secret key ---------------------------------------------------
set +e
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=wrong-secret \
	"$CHURN" export --input "$TEST_DIR/audience.csv" \
	--output "$TEST_DIR/bad.gz" --upload-url "@$TEST_DIR/url" \
	--aws-sigv4 aws:amz:us-east-1:s3 --upload-backoff 50ms \
	>"$TEST_DIR/bad.out" 2>"$TEST_DIR/bad.err"
status=$?
set -e
expect_eq "$status" 77 "exit status with a wrong key"
grep -q "HTTP 403 (SignatureDoesNotMatch)" "$TEST_DIR/bad.err" ||
	fail "wrong key message: $(cat "$TEST_DIR/bad.err")"

# --- keys from files, a store that keeps failing --------------------------
stop_servers
server_pids=""
start_server "$TEST_DIR/s3down" --fail 1000
echo AKIDTEST >"$TEST_DIR/key_id"
echo right-secret >"$TEST_DIR/key"
set +e
UPLOAD_URL="http://127.0.0.1:$port/b/o?$secret_query" \
	"$CHURN" export --input "$TEST_DIR/audience.csv" \
	--output "$TEST_DIR/down.gz" --upload-url env:UPLOAD_URL \
	--aws-sigv4 aws:amz:us-east-1:s3 \
	--aws-access-key-id-file "$TEST_DIR/key_id" \
	--aws-secret-access-key-file "$TEST_DIR/key" \
	--upload-retries 2 --upload-backoff 20ms \
	>"$TEST_DIR/down.out" 2>"$TEST_DIR/down.err"
status=$?
set -e
expect_eq "$status" 69 "exit status when every attempt fails"
expect_eq "$(grep -c '"status": 500' "$TEST_DIR/s3down/requests.jsonl")" 3 "attempts"
grep -q "after 3 attempts" "$TEST_DIR/down.err" ||
	fail "retries message: $(cat "$TEST_DIR/down.err")"

# --- missing credentials fail before any work -----------------------------
set +e
env -u AWS_SECRET_ACCESS_KEY AWS_ACCESS_KEY_ID=AKIDTEST \
	"$CHURN" export --input "$TEST_DIR/audience.csv" \
	--output "$TEST_DIR/none.gz" --upload-url "@$TEST_DIR/url" \
	--aws-sigv4 aws:amz:us-east-1:s3 >/dev/null 2>"$TEST_DIR/none.err"
status=$?
set -e
expect_eq "$status" 78 "exit status without a secret key"
grep -q "AWS_SECRET_ACCESS_KEY" "$TEST_DIR/none.err" ||
	fail "missing key message: $(cat "$TEST_DIR/none.err")"
[ ! -e "$TEST_DIR/none.gz" ] || fail "export ran without its credentials"

# Neither the URL's secret nor a key was printed anywhere.
for f in "$TEST_DIR"/*.out "$TEST_DIR"/*.err; do
	if grep -q "do-not-print-me\|right-secret\|wrong-secret" "$f"; then
		fail "$f shows a secret: $(cat "$f")"
	fi
done
echo "churn_export_upload: all checks passed"
