# /metrics of a store with history: `promtool check metrics` accepts it,
# it has the families of runs, stages, probes, SLOs and alerts, and a real
# Prometheus on 127.0.0.1 scrapes it and returns them to a query.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

for tool in promtool prometheus curl; do
	command -v "$tool" > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: $tool is not installed"; exit 77; }
done

web_seed_store "$TEST_DIR/store.db" 10
port=$(free_port)
web_serve "$TEST_DIR/store.db" "$port" -c "$WEB_FIXTURE"

curl -sf "http://127.0.0.1:$port/metrics" > "$TEST_DIR/metrics.txt" || fail "GET /metrics failed"
promtool check metrics < "$TEST_DIR/metrics.txt" > "$TEST_DIR/promtool.txt" 2>&1 ||
	fail "promtool check metrics: $(cat "$TEST_DIR/promtool.txt")"
for family in watchkeep_run_last_success watchkeep_stage_last_duration_seconds \
	watchkeep_probe_up watchkeep_slo_sli watchkeep_slo_error_budget_remaining \
	watchkeep_slo_burn_rate watchkeep_alerts watchkeep_web_requests_total; do
	grep -q "^$family[{ ]" "$TEST_DIR/metrics.txt" || fail "no $family in /metrics"
done
grep -q '^watchkeep_slo_objective{slo="churn-success"} 0.9499999' "$TEST_DIR/metrics.txt" ||
	grep -q '^watchkeep_slo_objective{slo="churn-success"} 0.95$' "$TEST_DIR/metrics.txt" ||
	fail "the objective of churn-success is not 0.95"

prom_port=$(free_port)
cat > "$TEST_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: watchkeep
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF
prometheus --config.file="$TEST_DIR/prometheus.yml" \
	--storage.tsdb.path="$TEST_DIR/prometheus" \
	--web.listen-address="127.0.0.1:$prom_port" \
	> "$TEST_DIR/prometheus.log" 2>&1 &
WEB_PIDS="$WEB_PIDS $!"

# Waits up to 60 s for the first scrapes.
query='watchkeep_slo_objective{slo="churn-success"}'
i=0
while :; do
	answer=$(curl -s --get --data-urlencode "query=$query" \
		"http://127.0.0.1:$prom_port/api/v1/query" || true)
	value=$(printf '%s' "$answer" | /usr/bin/python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")')
	[ -n "$value" ] && break
	i=$((i + 1))
	[ "$i" -lt 120 ] || fail "Prometheus did not scrape /metrics: $(tail -5 "$TEST_DIR/prometheus.log")"
	sleep 0.5
done
expect_eq "$value" 0.95 "the objective Prometheus scraped"

# The target's scrapes succeeded.
up=$(curl -s --get --data-urlencode 'query=up{job="watchkeep"}' \
	"http://127.0.0.1:$prom_port/api/v1/query" | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
expect_eq "$up" 1 "up of the watchkeep target"
echo "$TEST_NAME: ok"
