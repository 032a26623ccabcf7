# `watchkeep top` resized 200 times in a row in tmux, from 5x2 to 300x80,
# on every view: it keeps running, shows "Terminal too small" below its
# minimum and the whole overview again at 80x24.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tui_lib.sh"
. "$(dirname "$0")/../tui_config.sh"
AT_EXIT="$TUI_AT_EXIT"

write_tui_config "$TEST_DIR/config.json"
s="$TEST_DIR/s"
"$WATCHKEEP" run --once p -c "$TEST_DIR/config.json" --state-dir "$s" > /dev/null 2>&1 &&
	fail "the run with a failing stage succeeded"
start_top main 80 24 "-c $TEST_DIR/config.json --state-dir $s"
wait_for main "Run 1 · p ·"

sizes="5x2 300x80 80x24 40x10 39x9 120x40 1x1 200x50 60x15 100x30 7x3 80x24 250x70"
# 15 keys, one every 13th resize, at 250x70: history, run detail, log,
# back to the overview, the alerts view and back.
views="h Enter Enter q q q : a l e r t s Enter q"
i=0
while [ $i -lt 200 ]; do
	for size in $sizes; do
		[ $i -lt 200 ] || break
		tm resize-window -t main -x "${size%x*}" -y "${size#*x}"
		i=$((i + 1))
		# Some resizes come in a burst, others after a frame was drawn.
		[ $((i % 3)) -ne 0 ] || sleep 0.05
		# Every 13th resize, a key that changes the view.
		if [ $((i % 13)) -eq 0 ]; then
			key=$(echo "$views" | cut -d' ' -f$((i / 13)))
			tm send-keys -t main "$key"
		fi
	done
	[ ! -s "$TEST_DIR/main.exit" ] || fail "top ended after $i resizes with status $(cat "$TEST_DIR/main.exit")"
done
expect_eq "$i" 200 "resizes"

tm resize-window -t main -x 30 -y 8
wait_for main "Terminal too small: 30x8"
tm resize-window -t main -x 5 -y 2
wait_for main "Termi"
tm resize-window -t main -x 300 -y 80
keys main : t o p Enter
wait_for main "Growth forecasts"
tm resize-window -t main -x 80 -y 24
wait_for main "Growth forecasts"
screen main > "$TEST_DIR/end.txt"
for text in "Run 1 · p" "fit" "SLOs" "Alerts" "Probes" "Tab pane"; do
	grep -F -q "$text" "$TEST_DIR/end.txt" ||
		fail "at 80x24 the overview lacks \"$text\": $(cat "$TEST_DIR/end.txt")"
done
[ ! -s "$TEST_DIR/main.exit" ] || fail "top ended"
keys main q
expect_eq "$(wait_exit main)" 0 "exit status of top"
echo "$TEST_NAME: ok"
