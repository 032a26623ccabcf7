#!/bin/sh
# churn train --model xgboost with and without --xgb-no-refit on the
# bundled CDNOW log, trained at 1997-06-30 and judged at 1997-09-30. The
# model file records whether the early-stopped booster was kept, the kept
# booster contains only its best rounds, and churn predict scores with it.
set -eu

: "${CHURN:?CHURN must name the churn binary}"
: "${WK_TEST_SRCDIR:?WK_TEST_SRCDIR must name the source tree}"
events="$WK_TEST_SRCDIR/data/cdnow/events.csv"
dir=$(mktemp -d /tmp/churn_xgb_no_refit.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

"$CHURN" ingest --input "$events" --format csv \
	--user-column customer_id --time-column date --time-format yyyymmdd \
	--value-column dollar_value --max-date 1998-06-30 \
	--output "$dir/events.wkev" >/dev/null 2>&1 || fail "churn ingest"
"$CHURN" features --events "$dir/events.wkev" --cutoff 1997-09-30 \
	--horizon 273d --train-cutoff 1997-06-30 \
	--train-output "$dir/train.csv" --output "$dir/features.csv" \
	>/dev/null || fail "churn features"

# train NAME [OPTION]...: trains XGBoost into $dir/NAME.json.
train() {
	name=$1
	shift
	"$CHURN" train --model xgboost --features "$dir/train.csv" \
		--evaluation "$dir/features.csv" --output "$dir/$name.json" \
		"$@" >"$dir/$name.out" 2>"$dir/$name.err" ||
		fail "churn train $*: $(cat "$dir/$name.err")"
}
train refit
train kept --xgb-no-refit

grep -q "refit on all fit users)" "$dir/refit.out" ||
	fail "refit report: $(cat "$dir/refit.out")"
grep -q "early-stopped model kept)" "$dir/kept.out" ||
	fail "kept report: $(cat "$dir/kept.out")"

# check.py FILE REFIT checks the recorded choice, the rounds of the
# booster itself (XGBoost's num_trees, one tree a round for
# binary:logistic) and a holdout AUC above the recency baseline.
cat >"$dir/check.py" <<'EOF'
import json
import sys

path, refit = sys.argv[1], sys.argv[2] == "true"
m = json.load(open(path))
xgb = m["candidates"]["xgboost"]
booster = json.loads(m["xgboost"]["model"])
trees = int(booster["learner"]["gradient_booster"]["model"]
            ["gbtree_model_param"]["num_trees"])
checks = [
    ("refit", xgb["refit"] == refit),
    ("params.no_refit", xgb["params"]["no_refit"] == (not refit)),
    ("stopped early", xgb["rounds_run"] > xgb["rounds"] >= 1),
    ("booster rounds", trees == xgb["rounds"] == m["xgboost"]["rounds"]),
    ("beats recency", xgb["holdout"]["auc"] > m["baseline"]["holdout_auc"]),
]
bad = [name for name, ok in checks if not ok]
if bad:
    sys.exit("%s: %s wrong: trees %d, %s" % (path, ", ".join(bad), trees,
             {k: v for k, v in xgb.items() if k not in ("validation",
                                                        "holdout")}))
print(xgb["rounds"], xgb["rounds_run"], xgb["fit"]["seconds"])
EOF
refit=$(/usr/bin/python3 "$dir/check.py" "$dir/refit.json" true) ||
	fail "refit model"
kept=$(/usr/bin/python3 "$dir/check.py" "$dir/kept.json" false) ||
	fail "kept model"
echo "refit: $refit; kept: $kept (rounds, rounds run, fit seconds)"

# Both stop on the same fold after the same rounds. Only the refit differs.
[ "${refit% *}" = "${kept% *}" ] ||
	fail "early stopping differs: $refit against $kept"
cmp -s "$dir/refit.json" "$dir/kept.json" && fail "the two models are equal"

predict=$("$CHURN" predict --model "$dir/kept.json" \
	--features "$dir/features.csv" --output "$dir/audience.csv")
case $predict in
"predict: 23570 users scored, "*) ;;
*) fail "predict summary: $predict" ;;
esac
echo "PASS"
