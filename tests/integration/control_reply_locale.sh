# The agent writes the texts of its control-socket answers in the client's
# message locale and its own log lines in its locale: a Japanese client
# of an agent under LC_ALL=C gets Japanese errors while the agent logs in
# English, and a client under LC_ALL=C of a Japanese agent gets English.
. "$(dirname "$0")/../lib.sh"

need_ja_catalog
unset WATCHKEEP_LOCALE_DIR

# A run waits while the file hold-DATE of its logical date exists.
hold_config daily queue
agent_state

# ja MSGID: prints the Japanese translation of MSGID from the catalog.
ja() {
	/usr/bin/python3 - "$mo" "$1" <<'PY'
import gettext, sys
print(gettext.GNUTranslations(open(sys.argv[1], "rb")).gettext(sys.argv[2]))
PY
}

# start_agent LOCALE: starts the agent with LANG and LC_ALL set to LOCALE
# and waits until it answers `status`.
start_agent() {
	LANG=$1 LC_ALL=$1 "$WATCHKEEP" run -c "$TEST_DIR/config.json" --state-dir "$s" \
		2>> "$TEST_DIR/agent.err" &
	agent=$!
	i=0
	until "$WATCHKEEP" status --state-dir "$s" > /dev/null 2>&1 &&
		[ -S "$s/control.sock" ]; do
		[ $i -lt 100 ] || fail "the agent under $1 did not start: $(cat "$TEST_DIR/agent.err")"
		sleep 0.1; i=$((i + 1))
	done
}

# client LOCALE ARGS...: runs watchkeep under LC_ALL=LOCALE; sets $out.
client() {
	locale=$1
	shift
	LC_ALL=$locale "$WATCHKEEP" "$@" -c "$TEST_DIR/config.json" --state-dir "$s" \
		> "$TEST_DIR/client.out" 2>&1 || true
	out=$(cat "$TEST_DIR/client.out")
}
expect_in() {
	case $out in
	*"$1"*) ;;
	*) fail "$2: expected '$1' in: $out" ;;
	esac
}

no_pipeline_ja=$(ja 'no pipeline named "%s"; %s' | sed 's/%s/nosuch/; s/%s.*//')
case $no_pipeline_ja in
*パイプライン*) ;;
*) fail "the catalog has no Japanese text for 'no pipeline named': $no_pipeline_ja" ;;
esac
queued_ja=$(ja 'pipeline %s: a run for %s is queued already; it was not queued again' |
	sed 's/%s/daily/; s/%s/2024-03-30/')

# An agent under C answers a Japanese client in Japanese.
start_agent C
client ja_JP.UTF-8 run-now nosuch
expect_in "$no_pipeline_ja" "error of run-now for a Japanese client"
client C run-now nosuch
expect_in 'no pipeline named "nosuch"' "error of run-now for a client under C"

# The reply to a run-now of a queued date is Japanese, and the agent's log
# line about it, written while it composes that reply, stays English.
hold_run daily 2024-01-01
client C backfill daily --from 2024-03-30 --to 2024-03-30
expect_in "queued 1 run in the agent" "backfill of 2024-03-30"
client ja_JP.UTF-8 run-now daily --date 2024-03-30
expect_in "$queued_ja" "refused run-now for a Japanese client"
grep -q "pipeline daily: run for 2024-03-30 (manual) not queued because a run for that date is queued already" \
	"$TEST_DIR/agent.err" || fail "the agent's log line is not English: $(cat "$TEST_DIR/agent.err")"
release 2024-01-01
stop_agent

# An agent under ja_JP.UTF-8 answers a client under C in English, and a
# Japanese client in Japanese.
start_agent ja_JP.UTF-8
client C run-now nosuch
expect_in 'no pipeline named "nosuch"' "error of a Japanese agent for a client under C"
case $out in
*パイプライン*) fail "a client under C got Japanese: $out" ;;
esac
client ja_JP.UTF-8 run-now nosuch
expect_in "$no_pipeline_ja" "error of a Japanese agent for a Japanese client"
audit_ja=$(ja 'control: uid %d ran %s: %s' | sed 's/:.*//')
grep -q "$audit_ja" "$TEST_DIR/agent.err" ||
	fail "the Japanese agent does not log in Japanese: $(tail -n 5 "$TEST_DIR/agent.err")"
stop_agent
echo "$TEST_NAME: ok"
