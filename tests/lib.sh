# Shared helpers of the integration tests (sourced, not run).
# ctest sets WATCHKEEP, CHURN, WK_TEST_SRCDIR and WK_TEST_BUILDDIR.
set -eu

: "${WATCHKEEP:?set WATCHKEEP to the watchkeep binary}"
: "${WK_TEST_SRCDIR:?set WK_TEST_SRCDIR to the source tree}"

TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wk-$TEST_NAME-XXXXXX")
export LC_ALL=C.UTF-8 LANGUAGE=
# A test that starts a server or an agent sets AT_EXIT to the command
# that stops it; it runs before the test's files are removed or kept.
AT_EXIT=""
cleanup() {
	status=$?
	[ -z "$AT_EXIT" ] || eval "$AT_EXIT" || true
	if [ "$status" -eq 0 ]; then
		rm -rf "$TEST_DIR"
	else
		echo "$TEST_NAME: FAILED (status $status); files kept in $TEST_DIR" >&2
	fi
}
trap cleanup EXIT

fail() {
	echo "$TEST_NAME: $*" >&2
	exit 1
}

# Runs a SQL query against a store with Python's sqlite3 module.
sql() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}

# Fails unless "$1" equals "$2"; $3 says what was compared.
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# Succeeds when process $1 exists and is not a zombie (a killed process
# stays a zombie until its parent, maybe PID 1, reaps it).
is_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# Prints the live processes whose environment contains the entry $1.
marked_pids() {
	for environ in /proc/[0-9]*/environ; do
		pid=${environ#/proc/}
		pid=${pid%/environ}
		[ "$pid" != "$$" ] || continue
		tr '\0' '\n' 2>/dev/null < "$environ" | grep -qxF "$1" || continue
		if is_alive "$pid"; then
			echo "$pid"
		fi
	done
}

# run_agent: starts `watchkeep run` on $TEST_DIR/config.json and the state
# directory $s with stderr appended to $TEST_DIR/agent.err, and sets $agent.
# It waits for the start line, because a killed agent's socket file stays
# behind and does not show that a new agent is up.
run_agent() {
	: >> "$TEST_DIR/agent.err"
	before=$(grep -c "started: state directory" "$TEST_DIR/agent.err" || true)
	"$WATCHKEEP" run -c "$TEST_DIR/config.json" --state-dir "$s" 2>> "$TEST_DIR/agent.err" &
	agent=$!
	i=0
	while [ "$(grep -c "started: state directory" "$TEST_DIR/agent.err" || true)" -le "$before" ] &&
		[ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ $i -lt 100 ] || fail "the agent did not start"
}

# wait_store QUERY VALUE WHAT: waits up to 15 s until QUERY on $db prints
# VALUE, then compares them.
wait_store() {
	i=0
	while [ "$(sql "$db" "$1")" != "$2" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	expect_eq "$(sql "$db" "$1")" "$2" "$3"
}

# wk ARGS...: runs watchkeep ARGS on $TEST_DIR/config.json and the state
# directory $s.
wk() { "$WATCHKEEP" "$@" --state-dir "$s" -c "$TEST_DIR/config.json"; }

# try_wk ARGS...: runs watchkeep ARGS on $TEST_DIR/config.json and $s, with
# stdout in $TEST_DIR/out and stderr in $TEST_DIR/err. Sets $status to the
# exit status and $err to the stderr text.
try_wk() {
	status=0
	"$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$s" \
		> "$TEST_DIR/out" 2> "$TEST_DIR/err" || status=$?
	err=$(cat "$TEST_DIR/err")
}

# expect_err TEXT WHAT: fails unless $err, from try_wk, contains TEXT.
expect_err() {
	case $err in
	*"$1"*) ;;
	*) fail "$2: expected '$1' in: $err" ;;
	esac
}

# expect_grep FILE PATTERN WHAT: fails, with FILE's text, unless a line of
# FILE matches the basic regular expression PATTERN.
expect_grep() {
	grep -q -- "$2" "$1" || fail "$3: $(cat "$1")"
}

# expect_line FILE LINE WHAT: fails, with FILE's text, unless FILE has a
# line that is LINE, a basic regular expression, as a whole.
expect_line() {
	grep -qx -- "$2" "$1" || fail "$3: $(cat "$1")"
}

# agent_state: sets $s to the state directory $TEST_DIR/s, $db to its store
# and $agent to empty, and sets AT_EXIT to remove the hold files of
# hold_config and to kill -9 the agent whose pid is in $agent.
agent_state() {
	s="$TEST_DIR/s"
	db="$s/store.db"
	agent=""
	AT_EXIT='rm -f "$TEST_DIR"/hold-*; [ -z "$agent" ] || kill -9 $agent 2>/dev/null; true'
}

# stop_agent [SIGNAL]: sends SIGNAL (TERM without one) to the agent $agent,
# waits for it and sets $agent to empty. It fails unless the agent exits 0,
# except after KILL.
stop_agent() {
	sig=${1:-TERM}
	kill "-$sig" "$agent"
	wait "$agent" || [ "$sig" = KILL ] || fail "the agent did not exit 0 on SIG$sig"
	agent=""
}

# hold_config PIPELINE OVERLAP [THEN]: writes $TEST_DIR/config.json, web
# off, with one pipeline PIPELINE of one stage "a". The stage waits while
# the file $TEST_DIR/hold-DATE of its logical date DATE exists, then runs
# the shell command THEN, which goes into a JSON string as it is.
hold_config() {
	then_cmd=""
	[ $# -lt 3 ] || then_cmd="; $3"
	cat > "$TEST_DIR/config.json" <<JSON
{ "pipelines": [ { "name": "$1", "overlap": "$2", "stages": [
  { "name": "a", "command": "while [ -e $TEST_DIR/hold-\$WATCHKEEP_LOGICAL_DATE ]; do sleep 0.1; done$then_cmd" } ] } ],
  "web": { "enabled": false } }
JSON
}

# hold_run PIPELINE DATE [HOLD]: creates the file $TEST_DIR/hold-HOLD (HOLD
# is DATE without it), starts a run-now of PIPELINE for DATE in the
# background and waits until that run is running.
hold_run() {
	touch "$TEST_DIR/hold-${3:-$2}"
	wk run-now "$1" --date "$2" > /dev/null 2>&1 &
	wait_store "select count(*) from runs where pipeline = '$1' and logical_date = '$2' and state = 'running'" 1 \
		"run of $1 for $2 in progress"
}

# release HOLD: removes the file $TEST_DIR/hold-HOLD, so that the runs that
# wait for it go on.
release() { rm -f "$TEST_DIR/hold-$1"; }

# queue_behind_held_run: needs an agent and the pipeline "daily" of
# hold_config with the overlap "queue". Stores a succeeded run of
# 2023-12-31 and starts the run of 2024-01-01, which waits for its hold
# file. Then it queues the backfill runs of 2024-03-30 to 2024-04-01.
queue_behind_held_run() {
	wk run-now daily --date 2023-12-31 > "$TEST_DIR/first.out" 2>&1 ||
		fail "the first run failed: $(cat "$TEST_DIR/first.out")"
	hold_run daily 2024-01-01
	expect_eq "$(sql "$db" "select count(*) from runs where state = 'running'")" 1 "runs in progress"
	wk backfill daily --from 2024-03-30 --to 2024-04-01 > "$TEST_DIR/bf.out" 2>&1 ||
		fail "backfill failed: $(cat "$TEST_DIR/bf.out")"
	wait_store "select count(*) from run_queue" 3 "queued runs"
}

# need_ja_catalog: exits 77 (skipped) when the locale ja_JP.UTF-8 is
# missing, and fails when the build tree lacks the Japanese catalog. Sets
# $mo to the catalog's path.
need_ja_catalog() {
	if [ "$(LC_ALL=ja_JP.UTF-8 locale charmap 2>/dev/null)" != "UTF-8" ]; then
		echo "$TEST_NAME: locale ja_JP.UTF-8 is missing (generate it with" \
			"localedef -i ja_JP -f UTF-8 ja_JP.UTF-8); skipped"
		trap - EXIT
		rm -rf "$TEST_DIR"
		exit 77
	fi
	mo="$WK_TEST_BUILDDIR/locale/ja/LC_MESSAGES/watchkeep.mo"
	[ -s "$mo" ] || fail "$mo is missing; build the translations target"
}

# run_once_timed NAME ARGS...: runs `watchkeep run --once ARGS` on the
# test's configuration and $s, with stdout in $TEST_DIR/NAME.out and stderr
# in $TEST_DIR/NAME.err. Sets $status to its exit status and $took to the
# seconds it took.
run_once_timed() {
	name=$1
	shift
	start=$(date +%s)
	status=0
	"$WATCHKEEP" run --once "$@" -c "$TEST_DIR/config.json" --state-dir "$s" \
		> "$TEST_DIR/$name.out" 2> "$TEST_DIR/$name.err" || status=$?
	took=$(($(date +%s) - start))
}
