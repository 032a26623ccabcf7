# A stage writes 2 GiB to stderr. The agent's peak RSS stays under 64 MiB.
# The log file keeps its head and tail around a marker with the dropped
# byte and line counts. The store keeps the first and last lines around a
# truncation marker row.
. "$(dirname "$0")/../lib.sh"

total=2147483648                  # bytes the stage writes
line=100                          # bytes a line, newline included
head_bytes=$((8 * 1024 * 1024))   # default logs.file_head
tail_bytes=$((2 * 1024 * 1024))   # default logs.file_tail
kept_lines=2000                   # default logs.head_lines and tail_lines
rss_max_kb=65536
# AddressSanitizer's shadow memory and quarantine add about 100 MiB of RSS:
# there the bound only shows that memory does not grow with the output.
if grep -qa __asan_init "$WATCHKEEP"; then
	rss_max_kb=524288
fi

x99=$(printf '%099d' 0 | tr 0 x)
cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    {
      "name": "big",
      "stages": [
        { "name": "flood",
          "command": "yes $x99 | head -c $total >&2; echo finished" }
      ]
    }
  ]
}
JSON

# Runs the agent in the background and samples its VmHWM until it exits.
started=$(date +%s)
"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" \
	--state-dir "$TEST_DIR/state" > "$TEST_DIR/out.txt" 2> "$TEST_DIR/err.txt" &
pid=$!
hwm=0
while :; do
	state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" \
		2>/dev/null || true)
	case "$state" in
	''|Z) break ;;
	esac
	v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' \
		"/proc/$pid/status" 2>/dev/null || true)
	[ -n "$v" ] && hwm=$v
	sleep 0.1
done
status=0
wait "$pid" || status=$?
elapsed=$(( $(date +%s) - started ))
echo "$TEST_NAME: 2 GiB to stderr in ${elapsed} s; agent VmHWM ${hwm} kB"

expect_eq "$status" 0 "exit status"
[ "$hwm" -gt 0 ] || fail "VmHWM of the agent was never read"
[ "$hwm" -lt "$rss_max_kb" ] || fail "agent VmHWM ${hwm} kB, expected < $rss_max_kb kB"

# The log file: head, marker, tail.
log="$TEST_DIR/state/runs/1/flood/stderr.log"
newlines=$((total / line))
last_partial=$((total % line))
head_newlines=$((head_bytes / line))
# Newlines among the last tail_bytes bytes: line k ends at offset
# k*line - 1, so the first in the tail is k = ceil((tail_start + 1) / line).
tail_start=$((total - tail_bytes))
tail_newlines=$((newlines - (tail_start + line) / line + 1))
dropped_bytes=$((total - head_bytes - tail_bytes))
dropped_newlines=$((newlines - head_newlines - tail_newlines))
grep -q "^\[watchkeep: $dropped_bytes bytes ($dropped_newlines lines) dropped here" "$log" ||
	fail "log file lacks the marker with $dropped_bytes bytes and $dropped_newlines lines"
size=$(wc -c < "$log")
[ "$size" -gt $((head_bytes + tail_bytes)) ] || fail "log file too small: $size bytes"
[ "$size" -lt $((head_bytes + tail_bytes + 1024)) ] || fail "log file not capped: $size bytes"
expect_eq "$(head -c 5 "$log")" "xxxxx" "start of the log file"
expect_eq "$(tail -c "$last_partial" "$log" | tr -d x | wc -c | tr -d ' ')" 0 \
	"end of the log file"

# The store: the first and last lines, and one marker between them.
db="$TEST_DIR/state/store.db"
lines=$((newlines + (last_partial > 0)))
expect_eq "$(sql "$db" "select count(*) from log_lines where stream = 2")" \
	$((2 * kept_lines + 1)) "stored stderr rows"
expect_eq "$(sql "$db" "select line_no || ' ' || dropped_lines || ' ' || dropped_bytes from log_lines where dropped_lines is not null")" \
	"$((kept_lines + 1)) $((lines - 2 * kept_lines)) $((total - 2 * kept_lines * line + line - last_partial))" \
	"truncation marker row"
expect_eq "$(sql "$db" "select max(line_no) from log_lines where stream = 2")" \
	"$lines" "last stored line number"
expect_eq "$(sql "$db" "select length(text) from log_lines where stream = 2 and line_no = $lines")" \
	"$last_partial" "last, unfinished line"

# watchkeep logs shows the marker and the stored tail.
"$WATCHKEEP" logs big/flood --stream stderr --errors --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/errors.txt"
grep -q "not stored" "$TEST_DIR/errors.txt" || fail "logs --errors lacks the marker"
"$WATCHKEEP" logs flood --stream stderr --tail 2 --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/tail.txt"
expect_eq "$(wc -l < "$TEST_DIR/tail.txt" | tr -d ' ')" 2 "lines of --tail 2"
grep -q "stderr *$((lines - 1)) | x" "$TEST_DIR/tail.txt" ||
	fail "--tail 2 lacks the second last stderr line"
grep -q "stderr *$lines | x" "$TEST_DIR/tail.txt" ||
	fail "--tail 2 lacks the last stderr line"
"$WATCHKEEP" logs flood --stream stdout --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/stdout.txt"
grep -q "stdout *1 | finished" "$TEST_DIR/stdout.txt" || fail "stdout line missing"
echo "$TEST_NAME: ok"
