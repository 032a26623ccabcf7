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
