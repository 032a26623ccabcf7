# `watchkeep top` with Japanese stage names and log lines, in tmux: the
# columns stay aligned by display width, a name too long is cut without
# splitting a character, and a stored log line with escape sequences and
# HTML is shown as plain text: no sequence reaches the terminal.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tui_lib.sh"
AT_EXIT="$TUI_AT_EXIT"

cat > "$TEST_DIR/config.json" <<'JSON'
{ "pipelines": [ { "name": "p", "stages": [
  { "name": "a", "command": "echo 日本語のログ行です; echo ascii line" },
  { "name": "b", "depends_on": ["a"], "command": "echo two" },
  { "name": "c", "depends_on": ["b"], "command": "echo three" } ] } ] }
JSON
s="$TEST_DIR/s"
db="$s/store.db"
"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$s" > /dev/null 2>&1 ||
	fail "the run failed"

# Stage names are ASCII in a configuration; a store may hold any text.
/usr/bin/python3 - "$db" <<'PY' || fail "cannot edit the store"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE stage_runs SET stage = 'データ取込' WHERE stage = 'a'")
db.execute("UPDATE stage_runs SET stage = '特徴量エンジニアリング処理' WHERE stage = 'b'")
sid = db.execute("SELECT id FROM stage_runs WHERE stage = 'データ取込'").fetchone()[0]
hostile = ("\x1b]0;owned\x07\x1b[31mRED\x1b[0m <script>alert(1)</script> "
           "&amp; \x1b[2J\x1b[Hafter\x07bell")
db.execute("INSERT INTO log_lines (stage_run_id, stream, line_no, at, text, "
           "is_error) VALUES (?, 2, 1, 0, ?, 1)", (sid, hostile))
db.commit()
PY

start_top main 100 30 "--state-dir $s"
wait_for main "Run 1 · p ·"
screen main > "$TEST_DIR/overview.txt"
/usr/bin/python3 - "$TEST_DIR/overview.txt" <<'PY' || fail "the overview columns are not aligned: $(cat "$TEST_DIR/overview.txt")"
import sys, unicodedata
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
rows = [l for l in lines if "succeeded" in l and "Run 1" not in l]
assert len(rows) == 3, rows
starts = {cols(l[:l.index("succeeded")]) for l in rows}
assert len(starts) == 1, (starts, rows)
# 16 columns hold 8 wide characters of the long name and no half one.
long = [l for l in rows if "特徴量" in l][0]
assert "特徴量エンジニア " in long, long
assert "\ufffd" not in "".join(lines)
for l in lines:
    assert cols(l) <= 100, (cols(l), l)
PY

# The run detail has its own column widths.
keys main h
wait_for main "Runs of p: 1"
screen main > "$TEST_DIR/runs.txt"
grep -q "データ取込" "$TEST_DIR/runs.txt" || fail "the history lacks the stage column: $(cat "$TEST_DIR/runs.txt")"
keys main Enter
wait_for main "Run 1 of p"
screen main > "$TEST_DIR/run.txt"
/usr/bin/python3 - "$TEST_DIR/run.txt" <<'PY' || fail "the run detail columns are not aligned: $(cat "$TEST_DIR/run.txt")"
import sys, unicodedata
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = [l for l in lines if l.startswith("STAGE")][0]
rows = [l for l in lines if " succeeded " in l]
assert len(rows) == 3, rows
want = cols(head[:head.index("STATE")])
for l in rows:
    assert cols(l[:l.index("succeeded")]) == want, (want, l)
PY
keys main q q

# The log of the first stage: the stored escape sequences stay out.
keys main Enter
wait_for main "データ取込 · run 1"
wait_for main "日本語のログ行です"
wait_for main "RED <script>alert(1)</script> &amp;"
screen main > "$TEST_DIR/log.txt"
grep -q "after" "$TEST_DIR/log.txt" || fail "the text after the sequences is missing"
grep -q "\[31m\|\]0;\|\[2J" "$TEST_DIR/log.txt" && fail "escape sequences shown as text: $(cat "$TEST_DIR/log.txt")"
title=$(tm display -p -t main '#{pane_title}')
[ "$title" != "owned" ] || fail "a stored OSC sequence set the terminal title"
tm capture-pane -e -p -t main > "$TEST_DIR/log-raw.txt"
grep -q "$(printf '\033')\]" "$TEST_DIR/log-raw.txt" && fail "an OSC sequence reached the terminal"
keys main q q
expect_eq "$(wait_exit main)" 0 "exit status of top"
echo "$TEST_NAME: ok"
