# The embedded default configuration runs the five churn stages on the
# bundled CDNOW log; the store holds what the acceptance asks for.
. "$(dirname "$0")/../lib.sh"

state="$TEST_DIR/state"
"$WATCHKEEP" run --once --state-dir "$state" > "$TEST_DIR/out.txt" \
	2> "$TEST_DIR/err.txt" || fail "the default run failed: $(cat "$TEST_DIR/out.txt")"
db="$state/store.db"

expect_eq "$(sql "$db" "select pipeline || ':' || state from runs")" "churn:succeeded" "run"
expect_eq "$(sql "$db" "select group_concat(stage || '=' || state || ':' || exit_code, ' ') from (select * from stage_runs order by id)")" \
	"ingest=succeeded:0 features=succeeded:0 train=succeeded:0 predict=succeeded:0 export=succeeded:0" \
	"stage runs"
expect_eq "$(sql "$db" "select count(*) from stage_runs where duration_ms >= 0 and started_at > 0 and ended_at >= started_at and user_cpu_ms >= 0 and max_rss_kb > 0")" \
	5 "timings and resource use of every stage"

metric() {
	sql "$db" "select m.value from stage_metrics m join stage_runs s on s.id = m.stage_run_id where s.stage = '$1' and m.name = '$2'"
}
expect_eq "$(metric ingest rows_in)" 69659.0 "rows read"
expect_eq "$(metric ingest users)" 23570.0 "users"
expect_eq "$(metric features churned)" 16512.0 "churned users"
auc=$(metric train holdout_auc)
baseline=$(metric train baseline_auc)
/usr/bin/python3 -c "import sys; sys.exit(0 if $auc > $baseline else 1)" ||
	fail "holdout AUC $auc is not above the recency baseline $baseline"
# Both models were trained and judged out-of-time on the later cutoff.
expect_eq "$(metric train out_of_time)" 1.0 "out-of-time evaluation"
expect_eq "$(metric train holdout_users)" 23570.0 "holdout users"
for m in logistic_auc xgboost_auc chosen_c model_kept pr_auc brier \
	top10_precision top10_recall; do
	[ -n "$(metric train $m)" ] || fail "no train metric $m"
done

# One audience row per scored user, and the export matches its checksum.
audience="$state/runs/1/predict/audience.csv"
rows=$(($(wc -l < "$audience") - 1))
expect_eq "$rows" "$(metric predict scored_users | cut -d. -f1)" "audience rows"
expect_eq "$rows" 23570 "audience rows against users"
(cd "$state/published/churn" && sha256sum -c --quiet audience.csv.gz.sha256) ||
	fail "checksum of the exported audience"
# events.wkev, features.csv, train.csv, model.json, audience.csv, the
# export and its checksum.
expect_eq "$(sql "$db" "select count(*) from stage_outputs")" 7 "recorded outputs"

# The printed result names the AUC, the audience file and the store.
grep -q "holdout AUC" "$TEST_DIR/out.txt" || fail "no holdout AUC in the output"
grep -q "audience.csv.gz" "$TEST_DIR/out.txt" || fail "no audience file in the output"
grep -q "store.db" "$TEST_DIR/out.txt" || fail "no store path in the output"
for stage in ingest features train predict export; do
	[ -s "$state/runs/1/$stage/stdout.log" ] || fail "no stdout.log for $stage"
done

# status shows the same run afterwards; a second run gets id 2.
"$WATCHKEEP" status --state-dir "$state" > "$TEST_DIR/status.txt"
grep -q "churn" "$TEST_DIR/status.txt" || fail "status lacks the run"
"$WATCHKEEP" run --once --state-dir "$state" > /dev/null 2>&1 || fail "second run failed"
expect_eq "$(sql "$db" "select count(*) from runs where state = 'succeeded'")" 2 "runs after a second run"
echo "$TEST_NAME: ok"
