# `watchkeep top` against a running agent, in tmux: the overview, every
# view and its keys (history, run detail, log search, wrap and follow,
# alerts, probes, SLO detail, help, the command line), a running stage's
# log followed, monochrome output under NO_COLOR, and q leaving with
# status 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tui_lib.sh"
. "$(dirname "$0")/../tui_config.sh"

write_tui_config "$TEST_DIR/config.json"
s="$TEST_DIR/s"
start_agent "$TEST_DIR/config.json" "$s"
AT_EXIT="$TUI_AT_EXIT; kill \$agent 2>/dev/null"
"$WATCHKEEP" run-now p -c "$TEST_DIR/config.json" --state-dir "$s" > "$TEST_DIR/run.txt" 2>&1 &&
	fail "the run with a failing stage succeeded"
top="-c $TEST_DIR/config.json --state-dir $s"

start_top main 100 30 "$top"
wait_for main "Run 1 · p ·"
wait_for main "Probes: 1 down of 2"
screen main > "$TEST_DIR/overview.txt"
for text in "prepare" "fit" "publish" "exit status 3" "not run" \
    "SLOs: budget left" "p-success" "db-available" "Alerts:" "Probes:" \
    "api-up" "Growth forecasts"; do
	grep -F -q -- "$text" "$TEST_DIR/overview.txt" ||
		fail "the overview lacks \"$text\": $(cat "$TEST_DIR/overview.txt")"
done
# The failed stage's row carries the failure mark and state.
grep -q "✗ fit  *failed" "$TEST_DIR/overview.txt" || fail "the fit row is wrong"

# History, then the run detail, then the log of the failed stage.
keys main h
wait_for main "Runs of p: 1, newest first"
wait_for main "Stage durations"
keys main Enter
wait_for main "Run 1 of p"
wait_for main "REASON OR STATUS"
keys main j
wait_for main "matrix is singular"
keys main Enter
wait_for main "p/fit · run 1 · attempt 1 · failed"
wait_for main "cannot fit: <script>alert(1)</script>"
wait_for main "Error signatures of this stage run"
keys main / s i n g u l a r Enter
wait_for main "/singular"
keys main w
wait_for main "[wrap]"
keys main f
wait_for main "[follow]"
keys main e
keys main n
keys main q q q
wait_for main "Tab pane"

# The log of a stage with 300 lines scrolls to its end with G.
keys main : l o g s Space p r e p a r e Enter
wait_for main "p/prepare · run 1"
keys main G
wait_for main " 300"
keys main g
wait_for main "prepared"
keys main q

keys main : a l e r t s Enter
wait_for main "Open alerts:"
wait_for main "stage_failed"
keys main H
wait_for main "Alerts, resolved too"
keys main q
keys main : p r o b e s Enter
wait_for main "RECENT RESULTS"
wait_for main "Selected probe"
keys main q
keys main : s l o Space d b - a v a i l a b l e Enter
wait_for main "SLO db-available (2 of 2)"
wait_for main "Burn rates"
keys main k
wait_for main "SLO p-success (1 of 2)"
keys main q
keys main : n o s u c h Enter
wait_for main "unknown command"
keys main : r u n Space 9 9 9 9 9 Enter
wait_for main "run 99999 is not in the store"
screen main | grep -q "Run 0 of" && fail ":run of a missing run opened an empty view"
keys main '?'
wait_for main "Keys"
keys main x
keys main Tab Enter
wait_for main "SLO detail"
keys main q

# Colours by default; none under NO_COLOR.
tm capture-pane -e -p -t main > "$TEST_DIR/color.txt"
grep -q "$(printf '\033')\[3[0-7]m\|38;5;" "$TEST_DIR/color.txt" ||
	fail "the default screen has no colour"
TOP_ENV="NO_COLOR=1" start_top mono 100 30 "$top"
wait_for mono "Run 1 · p ·"
tm capture-pane -e -p -t mono > "$TEST_DIR/mono.txt"
if grep -q "$(printf '\033')\[3[0-7]m\|38;5;\|$(printf '\033')\[4[0-7]m" "$TEST_DIR/mono.txt"; then
	fail "NO_COLOR still draws colours"
fi
keys mono q
expect_eq "$(wait_exit mono)" 0 "exit status of top under NO_COLOR"

# A running stage's log follows its new lines without a key.
"$WATCHKEEP" run-now slow -c "$TEST_DIR/config.json" --state-dir "$s" > /dev/null 2>&1 &
wait_for main "Run 2 · slow ·"
keys main : l o g s Space t i c k Enter
wait_for main "[follow]"
wait_for main "tick 20"
wait_for main "succeeded · 20 lines"
keys main q

keys main q
expect_eq "$(wait_exit main)" 0 "exit status of top"
echo "$TEST_NAME: ok"
