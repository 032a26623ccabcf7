#!/bin/sh
# The five churn stages on the bundled Sparkify log, JSON Lines with null
# values, float time stamps and logged-out rows. The expected counts were
# computed independently from the log: 8,056 rows, 286 with an empty
# userId and 97 users. With the cutoff 2018-11-20 and a 10-day horizon, 89
# users have events by the cutoff and 18 of them have none in the horizon.
# The model trains at the cutoff 2018-11-10 (79 users, 12 churned) and is
# judged at 2018-11-20. AUC is not checked, because 89 users are too few
# for a stable figure.
set -eu

: "${CHURN:?CHURN must name the churn binary}"
: "${WK_TEST_SRCDIR:?WK_TEST_SRCDIR must name the source tree}"
events="$WK_TEST_SRCDIR/data/sparkify-2018-11/events.jsonl"
dir=$(mktemp -d /tmp/churn_sparkify.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ingest_args="--input $events --format jsonl --user-column userId
	--time-column ts --time-format epoch_ms --event-column page
	--value-column length"

# Without --skip-empty-user the logged-out rows are bad: 3.55% > 1%.
set +e
# shellcheck disable=SC2086
"$CHURN" ingest $ingest_args --output "$dir/x.wkev" 2>"$dir/err" >/dev/null
status=$?
set -e
[ "$status" -eq 65 ] || fail "ingest without --skip-empty-user exited $status"
grep -q "286 rows with an empty user id, lines 187, 193" "$dir/err" ||
	fail "empty user report: $(cat "$dir/err")"

# shellcheck disable=SC2086
ingest=$("$CHURN" ingest $ingest_args --skip-empty-user --output "$dir/events.wkev")
echo "$ingest"
case $ingest in
"ingest: 8056 rows, 0 bad, 286 skipped, 97 users, 2018-11-01..2018-11-30 -> "*) ;;
*) fail "ingest summary: $ingest" ;;
esac

features=$("$CHURN" features --events "$dir/events.wkev" \
	--cutoff 2018-11-20 --horizon 10d --train-cutoff 2018-11-10 \
	--train-output "$dir/train.csv" --output "$dir/features.csv")
echo "$features"
case $features in
*"training set: 79 users, 12 churned (15.2%), 19 features, cutoff 2018-11-10, horizon 10d -> "*) ;;
*) fail "training set summary: $features" ;;
esac
case $features in
*"
features: 89 users, 18 churned (20.2%), 19 features, cutoff 2018-11-20, horizon 10d -> "*) ;;
*) fail "features summary: $features" ;;
esac
header=$(head -n 1 "$dir/features.csv")
case $header in
*,event_nextsong,event_home,*) ;;
*) fail "no event-count columns for the most frequent pages: $header" ;;
esac
[ "$(head -n 1 "$dir/train.csv")" = "$header" ] ||
	fail "the training set has other columns than the evaluation set"

# Both models on 61 fit users, judged on the 89 users of the later cutoff.
train=$("$CHURN" train --features "$dir/train.csv" --evaluation "$dir/features.csv" \
	--output "$dir/model.json")
echo "$train"
summary=$(echo "$train" | tail -n 1)
case $summary in
"train: kept "*", holdout AUC "*"(logistic "*", xgboost "*"), "*"out-of-time, 61 fit / 18 validation / 89 holdout users -> "*) ;;
*) fail "train summary: $summary" ;;
esac

predict=$("$CHURN" predict --model "$dir/model.json" \
	--features "$dir/features.csv" --output "$dir/audience.csv")
echo "$predict"
case $predict in
"predict: 89 users scored, 9 high, 18 medium, 62 low -> "*) ;;
*) fail "predict summary: $predict" ;;
esac
[ "$(wc -l <"$dir/audience.csv")" -eq 90 ] || fail "audience rows"

"$CHURN" export --input "$dir/audience.csv" --output "$dir/audience.csv.gz"
(cd "$dir" && sha256sum -c audience.csv.gz.sha256) || fail "checksum"

# A scoring set: every user with events by the last day, no labels.
scoring=$("$CHURN" features --events "$dir/events.wkev" --cutoff 2018-11-30 \
	--no-label --output "$dir/scoring.csv")
echo "$scoring"
case $scoring in
"features: 97 users, no label (scoring set), 19 features, cutoff 2018-11-30 -> "*) ;;
*) fail "scoring summary: $scoring" ;;
esac
awk -F, 'NR > 1 && $2 != "" { exit 1 }' "$dir/scoring.csv" ||
	fail "a scoring row has a label"
"$CHURN" predict --model "$dir/model.json" --features "$dir/scoring.csv" \
	--output "$dir/scored.csv"
[ "$(wc -l <"$dir/scored.csv")" -eq 98 ] || fail "scored rows"

# A feature file of other columns is refused, naming the first mismatch.
"$CHURN" features --events "$dir/events.wkev" --cutoff 2018-11-20 \
	--horizon 10d --top-events 2 --output "$dir/narrow.csv" >/dev/null
set +e
"$CHURN" predict --model "$dir/model.json" --features "$dir/narrow.csv" \
	--output "$dir/x.csv" 2>"$dir/err"
status=$?
set -e
[ "$status" -eq 65 ] || fail "predict on other columns exited $status"
grep -q "narrow.csv:1: the file has 16 feature columns, the model" "$dir/err" ||
	fail "mismatch message: $(cat "$dir/err")"
echo "churn_sparkify: all checks passed"
