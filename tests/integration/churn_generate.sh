#!/bin/sh
# churn generate. The same seed writes the same bytes. A CDNOW-shaped log
# of the real log's size matches its statistics within 20%. A
# Sparkify-shaped log has the bundled log's page shares, cancellations
# and upgrades. Models trained on either find the churn signal, with the
# holdout AUC in the ranges docs/pipeline.md states.
set -eu

: "${CHURN:?CHURN must name the churn binary}"
: "${WK_TEST_SRCDIR:?WK_TEST_SRCDIR must name the source tree}"
dir=$(mktemp -d /tmp/churn_generate.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# --- same seed, same bytes ------------------------------------------------------
"$CHURN" generate --users 2000 --days 546 --seed 7 --output "$dir/a.csv" >/dev/null
"$CHURN" generate --users 2000 --days 546 --seed 7 --output "$dir/b.csv" >/dev/null
"$CHURN" generate --users 2000 --days 546 --seed 8 --output "$dir/c.csv" >/dev/null
cmp -s "$dir/a.csv" "$dir/b.csv" || fail "seed 7 wrote two different logs"
! cmp -s "$dir/a.csv" "$dir/c.csv" || fail "seeds 7 and 8 wrote the same log"
"$CHURN" generate --users 300 --days 30 --shape sparkify --seed 7 \
	--output "$dir/a.jsonl" >/dev/null
"$CHURN" generate --users 300 --days 30 --shape sparkify --seed 7 \
	--output "$dir/b.jsonl" >/dev/null
cmp -s "$dir/a.jsonl" "$dir/b.jsonl" || fail "seed 7 wrote two Sparkify logs"

# --- CDNOW shape: statistics against the real log -------------------------------
line=$("$CHURN" generate --users 23570 --days 546 --seed 1 --output "$dir/cdnow.csv")
echo "$line"
case $line in
"generate: 23570 users, "*" events, cdnow shape, 546 days from 1997-01-01, seed 1 -> "*) ;;
*) fail "generate summary: $line" ;;
esac
[ "$(head -n 1 "$dir/cdnow.csv")" = "customer_id,date,number_of_cds,dollar_value" ] ||
	fail "CDNOW header: $(head -n 1 "$dir/cdnow.csv")"
/usr/bin/python3 - "$WK_TEST_SRCDIR/data/cdnow/events.csv" "$dir/cdnow.csv" <<'PY' ||
import csv, datetime, statistics, sys

def stats(path):
    rows, days = {}, {}
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for cid, date, *_ in reader:
            rows[cid] = rows.get(cid, 0) + 1
            days.setdefault(cid, set()).add(date)
    gaps = []
    for ds in days.values():
        d = sorted(datetime.date(int(x[:4]), int(x[4:6]), int(x[6:])) for x in ds)
        gaps += [(b - a).days for a, b in zip(d, d[1:])]
    n = list(rows.values())
    return {"one-time share": sum(x == 1 for x in n) / len(n),
            "purchases mean": statistics.fmean(n),
            "purchases sd": statistics.pstdev(n),
            "gap mean": statistics.fmean(gaps),
            "gap sd": statistics.pstdev(gaps)}

real, fake = stats(sys.argv[1]), stats(sys.argv[2])
bad = []
for key in real:
    ratio = fake[key] / real[key]
    print("%-15s real %8.3f generated %8.3f (%+.1f%%)" % (key, real[key],
          fake[key], 100 * (ratio - 1)))
    if not 0.8 <= ratio <= 1.2:
        bad.append(key)
sys.exit("more than 20%% off: %s" % ", ".join(bad) if bad else 0)
PY
	fail "CDNOW statistics"

"$CHURN" ingest --input "$dir/cdnow.csv" --format csv --user-column customer_id \
	--time-column date --time-format yyyymmdd --value-column dollar_value \
	--output "$dir/cdnow.wkev" >/dev/null
"$CHURN" features --events "$dir/cdnow.wkev" --cutoff 1997-09-30 --horizon 273d \
	--train-cutoff 1997-06-30 --train-output "$dir/cdnow-train.csv" \
	--output "$dir/cdnow-eval.csv" >/dev/null
train=$("$CHURN" train --features "$dir/cdnow-train.csv" \
	--evaluation "$dir/cdnow-eval.csv" --output "$dir/cdnow.json" | tail -n 1)
echo "$train"
auc=$(echo "$train" | sed -n 's/.*holdout AUC \([0-9.]*\) .*recency baseline \([0-9.]*\)).*/\1 \2/p')
echo "$auc" | awk '{ exit !($1 >= 0.78 && $1 <= 0.86 && $1 > $2) }' ||
	fail "CDNOW-shaped AUC and baseline out of range: $auc"

# --- Sparkify shape: pages, cancellations, upgrades ---------------------------
"$CHURN" generate --users 5000 --days 60 --shape sparkify --seed 1 \
	--output "$dir/spark.jsonl"
/usr/bin/python3 - "$WK_TEST_SRCDIR/data/sparkify-2018-11/events.jsonl" \
	"$dir/spark.jsonl" <<'PY' ||
import collections, json, sys

def shares(path):
    pages = collections.Counter()
    fields = None
    for line in open(path):
        obj = json.loads(line)
        fields = fields or sorted(obj)
        pages[obj["page"]] += 1
    total = sum(pages.values())
    return {p: n / total for p, n in pages.items()}, pages, fields

real, _, real_fields = shares(sys.argv[1])
fake, counts, fake_fields = shares(sys.argv[2])
if real_fields != fake_fields:
    sys.exit("fields %r, the bundled log has %r" % (fake_fields, real_fields))
bad = []
for page, share in sorted(real.items(), key=lambda x: -x[1]):
    print("%-17s real %.4f generated %.4f" % (page, share, fake.get(page, 0)))
    # Pages with at least 0.5% of the rows: within 20% of the real share.
    if share >= 0.005 and not 0.8 <= fake.get(page, 0) / share <= 1.2:
        bad.append(page)
for page in ("Cancel", "Cancellation Confirmation", "Upgrade", "Submit Upgrade"):
    print("%-26s %d rows" % (page, counts[page]))
    if counts[page] == 0:
        bad.append(page + " missing")
sys.exit("pages off: %s" % ", ".join(bad) if bad else 0)
PY
	fail "Sparkify page shares"

"$CHURN" ingest --input "$dir/spark.jsonl" --format jsonl --user-column userId \
	--time-column ts --time-format epoch_ms --event-column page \
	--value-column length --skip-empty-user --output "$dir/spark.wkev" >/dev/null
"$CHURN" features --events "$dir/spark.wkev" --cutoff 2018-12-10 --horizon 20d \
	--churn-events "Cancellation Confirmation" --train-cutoff 2018-11-20 \
	--train-output "$dir/spark-train.csv" --output "$dir/spark-eval.csv"
train=$("$CHURN" train --features "$dir/spark-train.csv" \
	--evaluation "$dir/spark-eval.csv" --output "$dir/spark.json" | tail -n 1)
echo "$train"
auc=$(echo "$train" | sed -n 's/.*holdout AUC \([0-9.]*\) .*recency baseline \([0-9.]*\)).*/\1 \2/p')
echo "$auc" | awk '{ exit !($1 >= 0.70 && $1 <= 0.82) }' ||
	fail "Sparkify-shaped AUC out of range: $auc"
echo "churn_generate: all checks passed"
