# Helpers of the tests of `watchkeep top` (sourced after lib.sh): a tmux
# server of the test's own (-L), keys sent to it and the screen read back.
command -v tmux >/dev/null 2>&1 || {
	echo "$TEST_NAME: tmux is not installed; skipped" >&2
	exit 77
}
TMUX_SOCKET="wk-$TEST_NAME-$$"
tm() {
	tmux -L "$TMUX_SOCKET" "$@"
}
# Only this test's server is stopped; an agent the test started is stopped
# by the test's own AT_EXIT, which it sets after sourcing this file.
TUI_AT_EXIT='tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null'

# start_top SESSION COLS ROWS ARGS...: runs `watchkeep top ARGS` in a new
# session; its exit status goes to $TEST_DIR/SESSION.exit when it ends.
start_top() {
	session=$1 cols=$2 rows=$3
	shift 3
	tm new-session -d -s "$session" -x "$cols" -y "$rows" \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color ${TOP_ENV:-} $WATCHKEEP top $*; echo \$? > $TEST_DIR/$session.exit; sleep 600"
}

# screen SESSION: the text of the screen.
screen() {
	tm capture-pane -p -t "$1"
}

# keys SESSION KEY...: sends keys, as tmux send-keys names them.
keys() {
	session=$1
	shift
	tm send-keys -t "$session" "$@"
	sleep 0.2
}

# wait_for SESSION TEXT [SECONDS]: waits until the screen shows TEXT.
wait_for() {
	i=0
	limit=$((${3:-20} * 10))
	while [ $i -lt $limit ]; do
		screen "$1" | grep -F -q -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	screen "$1" > "$TEST_DIR/screen.txt" 2>&1 || true
	fail "the screen of $1 does not show \"$2\" after ${3:-20}s:
$(cat "$TEST_DIR/screen.txt")"
}

# wait_exit SESSION [SECONDS]: waits until top ended; prints its status.
wait_exit() {
	i=0
	limit=$((${2:-10} * 10))
	while [ ! -s "$TEST_DIR/$1.exit" ] && [ $i -lt $limit ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$TEST_DIR/$1.exit" ] || fail "watchkeep top in $1 did not end"
	cat "$TEST_DIR/$1.exit"
}

# wait_sql DB QUERY EXPECTED [SECONDS]: waits until QUERY returns EXPECTED.
wait_sql() {
	i=0
	limit=$((${4:-20} * 10))
	while [ $i -lt $limit ]; do
		[ "$(sql "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "\"$2\" returns '$(sql "$1" "$2")', not '$3'"
}

# start_agent CONFIG STATE_DIR: starts the long-running agent and waits
# for its control socket; sets $agent to its pid.
start_agent() {
	"$WATCHKEEP" run -c "$1" --state-dir "$2" 2> "$TEST_DIR/agent.err" &
	agent=$!
	i=0
	while [ ! -S "$2/control.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$2/control.sock" ] || fail "the agent did not start: $(cat "$TEST_DIR/agent.err")"
}
