# Actions of `watchkeep top` against a running agent, in tmux: acknowledge
# an alert, silence alerts for a typed duration and end the silence, and
# re-run from a stage, each asked for and confirmed; a refused question
# changes nothing, and --read-only turns every action off.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tui_lib.sh"
. "$(dirname "$0")/../tui_config.sh"

write_tui_config "$TEST_DIR/config.json"
s="$TEST_DIR/s"
db="$s/store.db"
start_agent "$TEST_DIR/config.json" "$s"
AT_EXIT="$TUI_AT_EXIT; kill \$agent 2>/dev/null"
"$WATCHKEEP" run-now p -c "$TEST_DIR/config.json" --state-dir "$s" > /dev/null 2>&1 &&
	fail "the run with a failing stage succeeded"
top="-c $TEST_DIR/config.json --state-dir $s"
start_top main 100 30 "$top"
wait_for main "Probes: 1 down of 2"

# The alerts view lists firing pages first; the first is selected.
keys main : a l e r t s Enter
wait_for main "Open alerts:"
wait_for main "firing"
fp=$(screen main | sed -n 's/^ \([0-9a-f]\{16\}\) .*/\1/p' | head -n 1)
[ -n "$fp" ] || fail "no fingerprint in the detail pane: $(screen main)"

# A question answered with anything but y does nothing.
keys main a
wait_for main "Acknowledge alert $fp"
keys main n
wait_for main "cancelled"
expect_eq "$(sql "$db" "select count(*) from alerts where ack_at is not null")" 0 \
	"acknowledged alerts after a refused question"

keys main a
wait_for main "[y/N]"
keys main y
wait_for main "alert $fp acknowledged"
wait_sql "$db" "select count(*) from alerts where fingerprint = '$fp' and ack_at is not null" 1
wait_for main "acknowledged 20"

# Silence: the prompt offers 2h; 30m is typed instead, then confirmed.
keys main s
wait_for main "Silence alerts with labels"
keys main BSpace BSpace 3 0 m Enter
wait_for main "for 30m00?"
keys main y
wait_for main "silence 1 created"
wait_sql "$db" "select ends_at - starts_at from alert_silences where id = 1" 1800000
wait_for main "Silences: 1 active"

# A duration that does not parse is rejected with a hint.
keys main s
wait_for main "Silence alerts with labels"
keys main C-u s o o n Enter
wait_for main "invalid duration \"soon\""
expect_eq "$(sql "$db" "select count(*) from alert_silences")" 1 "silences after an invalid duration"

# End the silence from the silences pane.
keys main Tab u
wait_for main "End silence 1"
keys main y
wait_for main "silence 1 ended"
wait_sql "$db" "select count(*) from alert_silences where expired_at is not null" 1
keys main q

# Re-run from the failed stage, selected in the overview.
wait_for main "Tab pane"
keys main j r
wait_for main "Re-run p of run 1 from stage fit"
keys main y
wait_for main "re-run of run 1 from fit started"
wait_sql "$db" "select count(*) from stage_runs where stage = 'fit'" 2
wait_sql "$db" "select count(*) from stage_runs where stage = 'prepare'" 1

# Read-only: every action is refused before any question.
start_top ro 100 30 "--read-only $top"
wait_for ro "[read-only]"
keys ro r
wait_for ro "read-only: actions are off"
keys ro : a l e r t s Enter
wait_for ro "Open alerts:"
keys ro a
wait_for ro "read-only: actions are off"
keys ro s
wait_for ro "read-only: actions are off"
screen ro | grep -q "\[y/N\]" && fail "read-only top asked a question"
expect_eq "$(sql "$db" "select count(*) from alerts where ack_at is not null")" 1 \
	"acknowledged alerts after read-only keys"
expect_eq "$(sql "$db" "select count(*) from stage_runs where stage = 'fit'")" 2 \
	"attempts of fit after read-only keys"
keys ro q q
expect_eq "$(wait_exit ro)" 0 "exit status of read-only top"

keys main q
expect_eq "$(wait_exit main)" 0 "exit status of top"
echo "$TEST_NAME: ok"
