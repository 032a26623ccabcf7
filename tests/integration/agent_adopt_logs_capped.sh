# The log files a stage set to on_restart "adopt" writes itself are capped
# by logs.file_head and logs.file_tail like those the agent writes. Once
# the stage ends, each keeps its first and last bytes around a marker line
# that counts the bytes and lines dropped. This holds for a stage adopted
# after a restart as for one the agent started.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "logs": { "file_head": "1000B", "file_tail": "700B" },
  "pipelines": [
    { "name": "big", "stages": [
      { "name": "bytes", "on_restart": "adopt",
        "command": "echo $$$$ > pid; head -c 4000000 /dev/zero | tr -c x x | fold -w 99; while [ ! -e end ]; do sleep 0.05; done" }
    ] },
    { "name": "flood", "stages": [
      { "name": "lines", "on_restart": "adopt",
        "outputs": ["${WATCHKEEP_STAGE_DIR}/out.txt"],
        "command": "echo $$$$ > pid; while [ ! -e go ]; do sleep 0.05; done; i=1; while [ $i -le 2000 ]; do echo \"line $i\"; i=$((i + 1)); done; echo done > out.txt" }
    ] }
  ]
}
JSON
s="$TEST_DIR/s"
db="$s/store.db"
agent=""
AT_EXIT='[ -z "$agent" ] || kill -9 $agent 2>/dev/null'
export LC_ALL=C LANGUAGE=

# Compares a stage's stdout.log with the 2000 lines capped by hand.
check_capped() {
	/usr/bin/python3 - "$1/stdout.log" <<'PY' || fail "$1/stdout.log is not capped as expected"
import sys
head, tail = 1000, 700
full = "".join("line %d\n" % i for i in range(1, 2001)).encode()
kept_tail = full[-tail:]
lines = full.count(b"\n") - full[:head].count(b"\n") - kept_tail.count(b"\n")
marker = ("" if full[head - 1:head] == b"\n" else "\n") + (
    "[watchkeep: %d bytes (%d lines) dropped here; this file keeps the "
    "first %d and the last %d bytes of the output]\n"
    % (len(full) - head - tail, lines, head, tail))
expected = full[:head] + marker.encode() + kept_tail
got = open(sys.argv[1], "rb").read()
if got != expected:
    sys.stderr.write("got %d bytes, expected %d; got:\n%s\n" % (len(got), len(expected), got.decode(errors="replace")))
    sys.exit(1)
PY
}

# Started by this agent: it writes its files itself, and they are capped
# when it ends.
run_agent
"$WATCHKEEP" run-now flood --state-dir "$s" > /dev/null 2>&1 &
dir="$s/runs/1/lines"
i=0
while [ ! -s "$dir/pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
touch "$dir/go"
wait_store "select state from runs where id = 1" succeeded "run 1"
check_capped "$dir"

# Adopted after a kill -9 of the agent, then ends.
"$WATCHKEEP" run-now flood --state-dir "$s" > /dev/null 2>&1 &
dir="$s/runs/2/lines"
i=0
while [ ! -s "$dir/pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$dir/pid" ] || fail "run 2 did not start"
kill -9 $agent
wait $agent 2>/dev/null || true
run_agent
touch "$dir/go"
wait_store "select state from runs where id = 2" succeeded "run 2 after adoption"
check_capped "$dir"
# The store keeps its own caps: every line here, within head_lines and
# tail_lines.
expect_eq "$(sql "$db" "select count(*) from log_lines l join stage_runs s on s.id = l.stage_run_id where s.run_id = 2 and l.stream = 1 and l.text like 'line %'")" \
	2000 "stored lines of run 2"

# While a stage runs, what was read past the head and before the tail
# takes no disk space, where the file system has holes.
"$WATCHKEEP" run-now big --state-dir "$s" > /dev/null 2>&1 &
dir="$s/runs/3/bytes"
wait_store "select count(*) from log_lines l join stage_runs s on s.id = l.stage_run_id where s.run_id = 3 and l.line_no = 40404" 1 \
	"last line of run 3 stored"
sleep 0.5
size=$(stat -c %s "$dir/stdout.log")
used=$(($(stat -c %b "$dir/stdout.log") * $(stat -c %B "$dir/stdout.log")))
expect_eq "$size" 4040404 "size of the growing stdout.log"
truncate -s 4000000 "$dir/sparse"
if [ "$(stat -c %b "$dir/sparse")" -gt 0 ]; then
	echo "$TEST_NAME: the file system of $dir has no holes; not checked"
else
	[ "$used" -lt 2000000 ] || fail "stdout.log of run 3 takes $used bytes of disk"
fi
touch "$dir/end"
wait_store "select state from runs where id = 3" succeeded "run 3"
[ "$(stat -c %s "$dir/stdout.log")" -lt 2000 ] || fail "stdout.log of run 3 was not cut at the end"

kill -TERM $agent
wait $agent || fail "the agent did not exit 0"
agent=""
echo "$TEST_NAME: ok"
