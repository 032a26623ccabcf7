# Quality gates: when the generated data loses its signal, the model's AUC
# drops by more than the predict stage's gate allows (0.03 below the last
# good run's), so predict fails after exit status 0 and no audience is
# exported from the worse model.
. "$(dirname "$0")/../lib.sh"

cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [ { "name": "gated", "env": { "CHURN": "$CHURN" }, "stages": [
    { "name": "generate", "outputs": ["\${WATCHKEEP_STAGE_DIR}/events.csv"],
      "command": "\$CHURN generate --users 8000 --days 546 --seed 3 --signal \$(cat $TEST_DIR/signal) --output events.csv" },
    { "name": "ingest", "depends_on": ["generate"],
      "command": ["\${CHURN}", "ingest", "--input", "\${WATCHKEEP_RUN_DIR}/generate/events.csv",
                  "--format", "csv", "--user-column", "customer_id", "--time-column", "date",
                  "--time-format", "yyyymmdd", "--value-column", "dollar_value",
                  "--output", "\${WATCHKEEP_STAGE_DIR}/events.wkev"] },
    { "name": "features", "depends_on": ["ingest"],
      "command": ["\${CHURN}", "features", "--events", "\${WATCHKEEP_RUN_DIR}/ingest/events.wkev",
                  "--train-cutoff", "1997-06-30", "--train-output", "\${WATCHKEEP_STAGE_DIR}/train.csv",
                  "--cutoff", "1997-09-30", "--horizon", "273d",
                  "--output", "\${WATCHKEEP_STAGE_DIR}/features.csv"] },
    { "name": "train", "depends_on": ["features"],
      "command": ["\${CHURN}", "train", "--model", "logistic",
                  "--features", "\${WATCHKEEP_RUN_DIR}/features/train.csv",
                  "--evaluation", "\${WATCHKEEP_RUN_DIR}/features/features.csv",
                  "--output", "\${WATCHKEEP_STAGE_DIR}/model.json"] },
    { "name": "predict", "depends_on": ["train", "features"],
      "gates": [ { "metric": "model_auc", "max_drop": 0.03 },
                 { "metric": "scored_users", "max_change": 0.2 } ],
      "command": ["\${CHURN}", "predict", "--model", "\${WATCHKEEP_RUN_DIR}/train/model.json",
                  "--features", "\${WATCHKEEP_RUN_DIR}/features/features.csv",
                  "--output", "\${WATCHKEEP_STAGE_DIR}/audience.csv"] },
    { "name": "export", "depends_on": ["predict"],
      "command": ["\${CHURN}", "export", "--input", "\${WATCHKEEP_RUN_DIR}/predict/audience.csv",
                  "--output", "\${WATCHKEEP_STAGE_DIR}/audience.csv.gz"] }
  ] } ]
}
JSON
W() { "$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s"; }
db="$TEST_DIR/s/store.db"

echo 1 > "$TEST_DIR/signal"
W > "$TEST_DIR/good.txt" 2>&1 || fail "the run on data with signal failed: $(cat "$TEST_DIR/good.txt")"
echo 0.2 > "$TEST_DIR/signal"
status=0
W > "$TEST_DIR/bad.txt" 2>&1 || status=$?
expect_eq "$status" 1 "exit status when the gate fails"
expect_eq "$(sql "$db" "select s.stage || '=' || s.state || ':' || coalesce(s.exit_code, '') from stage_runs s where s.run_id = 2 and s.stage in ('predict', 'export') order by s.id")" \
	"predict=failed:0
export=not_run:" "predict failed by its gate, export not run"
reason=$(sql "$db" "select reason from stage_runs where run_id = 2 and stage = 'predict'")
case "$reason" in
*"quality gate: model_auc"*"below the last good run"*) ;;
*) fail "unexpected reason: $reason" ;;
esac
good=$(sql "$db" "select value from stage_metrics m join stage_runs s on s.id = m.stage_run_id where s.run_id = 1 and s.stage = 'predict' and m.name = 'model_auc'")
bad=$(sql "$db" "select value from stage_metrics m join stage_runs s on s.id = m.stage_run_id where s.run_id = 2 and s.stage = 'predict' and m.name = 'model_auc'")
/usr/bin/python3 -c "import sys; sys.exit(0 if $good - $bad > 0.03 else 1)" ||
	fail "AUC went from $good to $bad, not a drop above 0.03"
echo "$TEST_NAME: ok (model AUC $good -> $bad)"
