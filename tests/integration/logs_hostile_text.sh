# Output with invalid UTF-8, colour, title and cursor escapes, C1 and bidi
# controls, HTML and a carriage-return progress bar is stored and printed
# back by `watchkeep logs` without a control character. Two error lines
# that differ in a path share one signature in `watchkeep errors`. The
# commands reject invalid options and unknown stages with a clear message.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/stage.sh" <<'SH'
printf 'start\n'
printf 'bad \377\376 utf8, \033[31mred\033[0m, \033]0;pwned\007title, \033[2J\033[Hcursor, \033(Bcharset, <script>alert(1)</script> &amp; c1 \302\233 bidi \342\200\256x bell \007 bs \010 end\n'
i=1
while [ $i -le 1000 ]; do
	printf '\rprogress %d/1000' $i
	i=$((i + 1))
done
printf ' done\n'
echo 'error: cannot open /data/2024-01-05/x.csv: errno 2' >&2
echo 'error: cannot open /data/2024-01-06/y.csv: errno 2' >&2
SH
cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "p", "stages": [ { "name": "s", "command": ["sh", "$TEST_DIR/stage.sh"] } ] }
  ]
}
JSON

state="$TEST_DIR/state"
for i in 1 2; do
	"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$state" \
		> "$TEST_DIR/run$i.txt" 2> "$TEST_DIR/run$i.err" ||
		fail "run $i failed"
done

# Fails unless the file contains valid UTF-8 without control characters
# other than newlines. $2 names the file in the message.
check_clean() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")  # raises on invalid UTF-8
for ch in text:
    c = ord(ch)
    bad = (c < 0x20 and ch != "\n") or 0x7f <= c <= 0x9f or \
        0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069
    assert not bad, "%s: control character U+%04X" % (sys.argv[2], c)
PY
}

"$WATCHKEEP" logs p/s --state-dir "$state" > "$TEST_DIR/logs.txt"
check_clean "$TEST_DIR/logs.txt" "watchkeep logs" || fail "logs output is not clean"
expected='bad �� utf8, red, title, cursor, charset, <script>alert(1)</script> &amp; c1 � bidi �x bell � bs � end'
grep -qF "stdout        2 | $expected" "$TEST_DIR/logs.txt" ||
	fail "hostile line not shown as expected: $(sed -n 2p "$TEST_DIR/logs.txt")"
expect_eq "$(grep -c progress "$TEST_DIR/logs.txt")" 1 "progress lines"
grep -q "stdout        3 | progress 1000/1000 done$" "$TEST_DIR/logs.txt" ||
	fail "progress bar not stored as its last state"
grep -q "stderr        1 ! error: cannot open /data/2024-01-05/x.csv: errno 2" \
	"$TEST_DIR/logs.txt" || fail "error line not flagged"

# The store contains the same clean text.
db="$state/store.db"
sql "$db" "select text from log_lines" > "$TEST_DIR/stored.txt"
check_clean "$TEST_DIR/stored.txt" "the store" || fail "stored text is not clean"

# JSON: the same lines, and the error flag.
"$WATCHKEEP" logs s --json --run 1 --state-dir "$state" > "$TEST_DIR/logs.json"
/usr/bin/python3 - "$TEST_DIR/logs.json" "$expected" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["pipeline"] == "p", doc
assert doc["stage"] == "s", doc
assert doc["run_id"] == 1, doc
assert doc["attempt"] == 1, doc
texts = [l["text"] for l in doc["lines"]]
assert sys.argv[2] in texts, texts
errors = [l["text"] for l in doc["lines"] if l["error"]]
assert len(errors) == 2, errors
assert all(t.startswith("error: cannot open") for t in errors), errors
PY

# One signature for both error lines, counted in both runs.
"$WATCHKEEP" errors --json --state-dir "$state" > "$TEST_DIR/errors.json"
"$WATCHKEEP" errors --since 1h --json --state-dir "$state" > "$TEST_DIR/errors-1h.json"
"$WATCHKEEP" errors --pipeline other --json --state-dir "$state" > "$TEST_DIR/errors-other.json"
/usr/bin/python3 - "$TEST_DIR" <<'PY'
import json, sys
d = sys.argv[1]
for name in ("errors.json", "errors-1h.json"):
    sigs = json.load(open(d + "/" + name))
    assert len(sigs) == 1, sigs
    g = sigs[0]
    assert g["signature"] == "error: cannot open <path>: errno <n>", g
    assert g["count"] == 4, g
    assert g["total_count"] == 4, g
    assert g["stage_runs"] == 2, g
    assert g["last_run_id"] == 2, g
    assert g["sample"] == "error: cannot open /data/2024-01-06/y.csv: errno 2", g
    assert g["first_seen_ms"] <= g["last_seen_ms"], g
assert json.load(open(d + "/errors-other.json")) == []
PY
"$WATCHKEEP" errors --state-dir "$state" > "$TEST_DIR/errors.txt"
grep -q "error: cannot open <path>: errno <n>" "$TEST_DIR/errors.txt" ||
	fail "errors text lacks the signature"
check_clean "$TEST_DIR/errors.txt" "watchkeep errors" || fail "errors output is not clean"

# Errors on the command line and unknown stages.
status=0
"$WATCHKEEP" logs p/nope --state-dir "$state" 2> "$TEST_DIR/nope.err" || status=$?
expect_eq "$status" 1 "exit status for an unknown stage"
grep -q "stages it has run: s" "$TEST_DIR/nope.err" || fail "unknown stage: no list of stages"
status=0
"$WATCHKEEP" logs p/s --run 99 --state-dir "$state" 2> "$TEST_DIR/run99.err" || status=$?
expect_eq "$status" 1 "exit status for an unknown run"
grep -q "run 99 has no stage p/s" "$TEST_DIR/run99.err" || fail "unknown run: no message"
status=0
"$WATCHKEEP" logs p/s --attempt 3 --state-dir "$state" 2> "$TEST_DIR/att.err" || status=$?
expect_eq "$status" 1 "exit status for an unknown attempt"
grep -q "latest attempt is 1" "$TEST_DIR/att.err" || fail "unknown attempt: no message"
for args in "logs p/s --stream both" "logs p/s --tail -1" "logs p/s --run x" \
	"logs" "logs a/b/c" "errors --since 0" "errors --limit 0" "errors extra"; do
	status=0
	# shellcheck disable=SC2086
	"$WATCHKEEP" $args --state-dir "$state" 2> "$TEST_DIR/usage.err" || status=$?
	expect_eq "$status" 2 "exit status of watchkeep $args"
	grep -q "watchkeep" "$TEST_DIR/usage.err" || fail "no message for watchkeep $args"
done
"$WATCHKEEP" logs --help > /dev/null || fail "logs --help failed"
"$WATCHKEEP" errors --help > /dev/null || fail "errors --help failed"
echo "$TEST_NAME: ok"
