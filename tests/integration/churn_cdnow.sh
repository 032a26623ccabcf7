#!/bin/sh
# The five churn stages on the bundled CDNOW log, checked against counts
# computed independently from the log (data/README.md): 23,570 customers,
# of whom 16,512 bought nothing between 1997-10-01 and 1998-06-30.
# Also checks the exit statuses and messages of bad inputs and usage.
set -eu

: "${CHURN:?CHURN must name the churn binary}"
: "${WK_TEST_SRCDIR:?WK_TEST_SRCDIR must name the source tree}"
events="$WK_TEST_SRCDIR/data/cdnow/events.csv"
dir=$(mktemp -d /tmp/churn_cdnow.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_status WANT NAME CMD...: runs CMD, keeps stderr in $dir/NAME.err.
expect_status() {
	want=$1
	name=$2
	shift 2
	set +e
	"$@" >"$dir/$name.out" 2>"$dir/$name.err"
	got=$?
	set -e
	[ "$got" -eq "$want" ] ||
		fail "$name: exit status $got, expected $want: $(cat "$dir/$name.err")"
}

expect_in() {
	grep -q -- "$2" "$dir/$1" || fail "$1 lacks '$2': $(cat "$dir/$1")"
}

# --- the pipeline -----------------------------------------------------------
ingest=$("$CHURN" ingest --input "$events" --format csv \
	--user-column customer_id --time-column date --time-format yyyymmdd \
	--value-column dollar_value --output "$dir/events.wkev")
echo "$ingest"
case $ingest in
"ingest: 69659 rows, 0 bad, 23570 users, 1997-01-01..1998-06-30 -> "*) ;;
*) fail "ingest summary: $ingest" ;;
esac

features=$("$CHURN" features --events "$dir/events.wkev" \
	--cutoff 1997-09-30 --horizon 273d --output "$dir/features.csv")
echo "$features"
case $features in
"features: 23570 users, 16512 churned (70.1%), 14 features, cutoff 1997-09-30, horizon 273d -> "*) ;;
*) fail "features summary: $features" ;;
esac
counts=$(awk -F, 'NR > 1 { n[$2]++ } END { print NR - 1, n["1"] + 0, n["0"] + 0 }' \
	"$dir/features.csv")
[ "$counts" = "23570 16512 7058" ] ||
	fail "features.csv rows, churned, not churned: $counts"

train=$("$CHURN" train --features "$dir/features.csv" --output "$dir/model.json")
echo "$train"
auc=$(echo "$train" | sed -n 's/^train: holdout AUC \([0-9.]*\) (recency baseline \([0-9.]*\)).*/\1 \2/p')
[ -n "$auc" ] || fail "train summary: $train"
echo "$auc" | awk '{ exit !($1 > $2 && $1 < 1) }' ||
	fail "holdout AUC is not above the recency baseline: $auc"
grep -q '"format": "watchkeep-churn-model"' "$dir/model.json" ||
	fail "model.json lacks its format name"

predict=$("$CHURN" predict --model "$dir/model.json" \
	--features "$dir/features.csv" --output "$dir/audience.csv")
echo "$predict"
case $predict in
"predict: 23570 users scored, 2357 high, 4714 medium, 16499 low -> "*) ;;
*) fail "predict summary: $predict" ;;
esac
[ "$(head -n 1 "$dir/audience.csv")" = "user_id,churn_probability,rank,segment" ] ||
	fail "audience header: $(head -n 1 "$dir/audience.csv")"
audience=$(awk -F, 'NR > 1 {
		n++; if ($3 != n) bad = "rank " $3 " on row " n
		if (seen[$1]++) bad = "user " $1 " twice"
		if (NR > 2 && $2 > last) bad = "probability rises at rank " $3
		last = $2; s[$4]++
	} END { print n, s["high"], s["medium"], s["low"], bad }' "$dir/audience.csv")
[ "$audience" = "23570 2357 4714 16499 " ] ||
	fail "audience rows, high, medium, low, problem: $audience"

export_line=$("$CHURN" export --input "$dir/audience.csv" \
	--output "$dir/audience.csv.gz")
echo "$export_line"
(cd "$dir" && sha256sum -c audience.csv.gz.sha256) || fail "checksum does not verify"
gzip -dc "$dir/audience.csv.gz" | cmp -s - "$dir/audience.csv" ||
	fail "audience.csv.gz does not unpack to audience.csv"

# --- errors -----------------------------------------------------------------
# A row with a bad date on line 3 of the file.
sed '3s/,1997[0-9]*,/,1997-02-30,/' "$events" >"$dir/bad.csv"
expect_status 65 bad_row "$CHURN" ingest --input "$dir/bad.csv" --format csv \
	--user-column customer_id --time-column date --time-format yyyymmdd \
	--max-bad-fraction 0 --output "$dir/bad.wkev"
expect_in bad_row.err "line 3 (first value: '1997-02-30')"
expect_in bad_row.err "--max-bad-fraction"
[ ! -e "$dir/bad.wkev" ] || fail "a failed ingest left its output"

expect_status 65 horizon "$CHURN" features --events "$dir/events.wkev" \
	--cutoff 1997-09-30 --horizon 274d --output "$dir/f2.csv"
expect_in horizon.err "ends on 1998-07-01"
expect_in horizon.err "--no-label"

expect_status 64 unknown_flag "$CHURN" ingest --input "$events" --colour
expect_in unknown_flag.err "unknown option '--colour'"
expect_in unknown_flag.err "--max-bad-fraction FRACTION"
expect_status 64 missing_value "$CHURN" train --features
expect_in missing_value.err "needs a value"
expect_status 66 no_input "$CHURN" features --events "$dir/missing.wkev" \
	--cutoff 1997-09-30 --horizon 273d --output "$dir/f3.csv"
expect_status 73 no_output_dir "$CHURN" export --input "$dir/audience.csv" \
	--output "$dir/no/such/dir/a.gz"
expect_status 65 not_events "$CHURN" features --events "$dir/features.csv" \
	--cutoff 1997-09-30 --horizon 273d --output "$dir/f4.csv"
expect_in not_events.err "is not a valid event file"

# Every subcommand documents every flag it takes.
expect_status 0 help "$CHURN" features --help
for flag in --events --cutoff --horizon --window --top-events --no-label --output; do
	expect_in help.out "$flag"
done

# --- stage protocol ---------------------------------------------------------
if command -v python3 >/dev/null 2>&1; then
	NOTIFY_SOCKET="$dir/notify" python3 - "$CHURN" "$dir" <<'PY' || fail "notify messages"
import os, socket, subprocess, sys
churn, d = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(os.environ["NOTIFY_SOCKET"])
subprocess.run([churn, "export", "--input", d + "/audience.csv",
                "--output", d + "/again.gz"], check=True, stdout=subprocess.DEVNULL)
# The stage has exited: all its datagrams wait in the socket's queue.
s.setblocking(False)
msgs = []
try:
    while True:
        msgs.append(s.recv(4096).decode())
except BlockingIOError:
    pass
text = "".join(msgs)
for want in ("READY=1\n", "STATUS=", "X_WATCHKEEP_PROGRESS=1.000\n",
             "X_WATCHKEEP_METRIC=bytes_in=", "X_WATCHKEEP_METRIC=bytes_out="):
    if want not in text:
        sys.exit("missing %r in %r" % (want, text))
PY
else
	echo "python3 not found: stage protocol check skipped"
fi
echo "churn_cdnow: all checks passed"
