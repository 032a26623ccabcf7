#!/bin/sh
# Bad input through the churn stages. Each kind of bad row is counted by
# reason with its line numbers and copied to the quarantine file. Valid
# CSV forms (BOM, CRLF, quoted commas and line breaks) are accepted and
# not counted. Duplicates are dropped and rows out of order kept, both
# counted. Degenerate inputs (empty, header only, one user, one label)
# stop with exit status 65 and a message, never with a model.
set -eu

: "${CHURN:?CHURN must name the churn binary}"
dir=$(mktemp -d /tmp/churn_badinput.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_status WANT NAME CMD...: runs CMD, keeps stdout and stderr.
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
	grep -qF -- "$2" "$dir/$1" || fail "$1 lacks '$2': $(cat "$dir/$1")"
}

ingest() {
	"$CHURN" ingest --format csv --user-column user --time-column time \
		--time-format yyyymmdd --value-column value --max-date 1998-06-30 "$@"
}

# Line 1 starts with a byte order mark; lines 2 and 6 end in CRLF. The
# quoted user id of line 7 contains a line break, so the row takes lines 7
# and 8. Line 10 repeats line 2; line 11 is earlier than line 2 of u1.
printf '\357\273\277user,time,value\n' >"$dir/bad.csv"
printf 'u1,19970101,1.5\r\n' >>"$dir/bad.csv"
printf 'u2,1997x101,2\n' >>"$dir/bad.csv"
printf ',19970102,3\n' >>"$dir/bad.csv"
printf 'u4,19970104\n' >>"$dir/bad.csv"
printf '"u5,x",19970105,2\r\n' >>"$dir/bad.csv"
printf '"u6\nmulti",19970106,3\n' >>"$dir/bad.csv"
printf 'u7,19970107,\377\n' >>"$dir/bad.csv"
printf 'u1,19970101,1.5\n' >>"$dir/bad.csv"
printf 'u1,19961231,4\n' >>"$dir/bad.csv"
printf 'u8,19990101,1\n' >>"$dir/bad.csv"

# 5 of 10 rows are bad: more than the default 1%.
expect_status 65 too_many ingest --input "$dir/bad.csv" --output "$dir/a.wkev"
expect_in too_many.err "5 of 10 rows of '$dir/bad.csv' are bad (50.00%)"
expect_in too_many.err "raise --max-bad-fraction"
[ ! -e "$dir/a.wkev" ] || fail "a failed ingest left its event file"
# The rejected rows are in the quarantine all the same.
[ "$(($(wc -l <"$dir/a.wkev.quarantine.csv") - 1))" = 5 ] ||
	fail "quarantine of a failed ingest: $(cat "$dir/a.wkev.quarantine.csv")"

expect_status 0 allowed ingest --input "$dir/bad.csv" --max-bad-fraction 1 \
	--quarantine "$dir/q.csv" --output "$dir/b.wkev"
expect_in allowed.out "ingest: 10 rows, 5 bad, 1 duplicate dropped, 1 out of order, 3 users, 1996-12-31..1997-01-06 -> "
expect_in allowed.err "1 row with a time that does not parse, line 3 (first value: '1997x101')"
expect_in allowed.err "1 row with an empty user id, line 4;"
expect_in allowed.err "1 row with a field count other than the header's, line 5;"
expect_in allowed.err "1 row with text that is not valid UTF-8, line 9;"
expect_in allowed.err "1 row with a time after the end of --max-date, line 12 (first value: '19990101')"
expect_in allowed.err "1 row equal to an earlier row in user, time, event and value, line 10;"
expect_in allowed.err "1 row earlier than an earlier row of the same user, line 11;"
[ ! -e "$dir/b.wkev.quarantine.csv" ] || fail "--quarantine was not used"
cat >"$dir/q.want" <<'EOF'
line,reason,value,row
3,time,1997x101,"u2,1997x101,2"
4,empty_user,,",19970102,3"
5,columns,,"u4,19970104"
EOF
printf '9,utf8,,"u7,19970107,\377"\n' >>"$dir/q.want"
cat >>"$dir/q.want" <<'EOF'
12,after_max_date,19990101,"u8,19990101,1"
10,duplicate,2,"u1,19970101,1.5"
EOF
cmp -s "$dir/q.csv" "$dir/q.want" ||
	fail "quarantine: $(cat "$dir/q.csv")"

# The event file keeps u1 (2 events, sorted), "u5,x" and the user with a
# line break: a scoring set shows them.
"$CHURN" features --events "$dir/b.wkev" --cutoff 1997-01-10 --no-label \
	--output "$dir/b.csv" >/dev/null
[ "$(sed -n 2p "$dir/b.csv" | cut -d, -f1-4)" = "u1,,9,2" ] ||
	fail "u1 row: $(sed -n 2p "$dir/b.csv")"
grep -q '^"u5,x",' "$dir/b.csv" || fail "no row for \"u5,x\""
grep -q '^"u6$' "$dir/b.csv" || fail "no row for the user with a line break"

# --keep-duplicates keeps line 10 and reports it.
expect_status 0 kept ingest --input "$dir/bad.csv" --max-bad-fraction 1 \
	--keep-duplicates --output "$dir/c.wkev"
expect_in kept.out "1 duplicate kept"
expect_in kept.err "the stage keeps such rows, as --keep-duplicates asks"

# JSON Lines: not an object (line 2), a missing time field (line 3).
printf '{"u":"a","t":"2018-11-01"}\n[1]\n{"u":"b"}\n{"u":"a","t":"2018-11-02"}\n' \
	>"$dir/bad.jsonl"
expect_status 0 jsonl "$CHURN" ingest --input "$dir/bad.jsonl" --format jsonl \
	--user-column u --time-column t --time-format iso8601 \
	--max-bad-fraction 1 --output "$dir/j.wkev"
expect_in jsonl.err "1 row with text that is not one JSON object, line 2 (first value: '[1]')"
expect_in jsonl.err "1 row with a missing field or a field of the wrong type, line 3 (first field: 't')"
[ "$(cut -d, -f1,2 "$dir/j.wkev.quarantine.csv" | tr '\n' ' ')" = "line,reason 2,json 3,field " ] ||
	fail "JSON quarantine: $(cat "$dir/j.wkev.quarantine.csv")"

# --- degenerate inputs --------------------------------------------------------
: >"$dir/empty.csv"
expect_status 65 empty ingest --input "$dir/empty.csv" --output "$dir/e.wkev"
expect_in empty.err "is empty; a CSV log needs a header row and data rows"
printf 'user,time,value\r\n' >"$dir/header.csv"
expect_status 65 header ingest --input "$dir/header.csv" --output "$dir/h.wkev"
expect_in header.err "has no data rows"

# One user (churned: nothing from 1997-02-01 to 02-28): the stages
# before train work, train refuses.
printf 'user,time,value\nu1,19970101,1\nu1,19970301,1\n' >"$dir/one.csv"
ingest --input "$dir/one.csv" --output "$dir/one.wkev" >/dev/null
"$CHURN" features --events "$dir/one.wkev" --cutoff 1997-01-31 --horizon 28d \
	--output "$dir/one-f.csv" >/dev/null 2>&1
expect_status 65 one_user "$CHURN" train --features "$dir/one-f.csv" \
	--output "$dir/one.json"
expect_in one_user.err "has 1 user; training needs at least 2, of both labels"
[ ! -e "$dir/one.json" ] || fail "a model was written for one user"

# Forty users who all return on 1997-02-01 (none churned), then a log
# whose two users by the cutoff both stay away (all churned).
i=0
: >"$dir/all.csv"
echo "user,time,value" >"$dir/all.csv"
while [ $i -lt 40 ]; do
	echo "u$i,19970101,1" >>"$dir/all.csv"
	echo "u$i,19970201,1" >>"$dir/all.csv"
	i=$((i + 1))
done
ingest --input "$dir/all.csv" --output "$dir/all.wkev" >/dev/null
"$CHURN" features --events "$dir/all.wkev" --cutoff 1997-01-15 --horizon 17d \
	--output "$dir/none.csv" >"$dir/none.out" 2>"$dir/none.err"
expect_in none.err "every user of '$dir/none.csv' has label 0; training needs both labels"
expect_status 65 none_churned "$CHURN" train --features "$dir/none.csv" \
	--output "$dir/none.json"
expect_in none_churned.err "0 of them churned, but needs both labels"
printf 'user,time,value\nu1,19970101,1\nu2,19970102,1\nu3,19970301,1\n' \
	>"$dir/late.csv"
ingest --input "$dir/late.csv" --output "$dir/late.wkev" >/dev/null
"$CHURN" features --events "$dir/late.wkev" --cutoff 1997-01-10 \
	--horizon 30d --output "$dir/allc.csv" >/dev/null 2>"$dir/allc.err"
grep -q "has label 1" "$dir/allc.err" || fail "no warning: $(cat "$dir/allc.err")"
expect_status 65 all_churned "$CHURN" train --features "$dir/allc.csv" \
	--output "$dir/allc.json"
expect_in all_churned.err "but needs both labels"

# Churn events in a log without event names, and an unknown name.
expect_status 65 no_names "$CHURN" features --events "$dir/all.wkev" \
	--cutoff 1997-01-15 --horizon 17d --churn-events Cancel \
	--output "$dir/n.csv"
expect_in no_names.err "ingest the log with --event-column"
echo "churn_badinput: all checks passed"
