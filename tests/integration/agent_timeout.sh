# Timeouts: a stage that ignores SIGTERM and leaves a grandchild is stopped
# with its whole process group; a stage whose main process exits while a
# grandchild holds its pipes is recorded at once and the grandchild killed.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    { "name": "stuck", "stages": [
      { "name": "ignore-term", "timeout": "2s", "grace": "1s",
        "command": ["sh", "-c", "trap '' TERM; echo $$$$ > pgid; sleep 300 & sleep 300"] }
    ] },
    { "name": "quick", "stages": [
      { "name": "leaves-child",
        "command": ["sh", "-c", "sleep 60 & echo $! > child; echo ok"] }
    ] }
  ]
}
JSON

s="$TEST_DIR/s"
run_once_timed stuck stuck
expect_eq "$status" 1 "exit status after a timeout"
[ "$took" -lt 20 ] || fail "the timed-out run took $took s"
db="$TEST_DIR/s/store.db"
expect_eq "$(sql "$db" "select state || ':' || signal from stage_runs")" \
	"timed_out:9" "stage killed after SIGTERM was ignored"
pgid=$(cat "$TEST_DIR/s/runs/1/ignore-term/pgid")
if ps -eo pgid= | tr -d ' ' | grep -qx "$pgid"; then
	fail "processes of group $pgid are still alive"
fi
grep -q "sending SIGKILL" "$TEST_DIR/stuck.err" || fail "no SIGKILL in the log"

run_once_timed quick quick
[ "$status" -eq 0 ] || fail "the quick stage failed: $(cat "$TEST_DIR/quick.out" "$TEST_DIR/quick.err")"
[ "$took" -lt 10 ] || fail "waited $took s for a grandchild's pipe"
expect_eq "$(sql "$db" "select l.text from log_lines l join stage_runs s on s.id = l.stage_run_id where s.stage = 'leaves-child'")" \
	ok "captured output"
child=$(cat "$TEST_DIR/s/runs/2/leaves-child/child")
sleep 0.2
if is_alive "$child"; then
	fail "grandchild $child survived its stage"
fi
echo "$TEST_NAME: ok"
