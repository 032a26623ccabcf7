# Control requests under log load. Ten pipelines each write 28,000 lines to
# stdout per run and four readers poll the store, while 100 run-now
# requests arrive, 10 every 0.2 s. Each request gets its answer within 5 s
# and starts or queues a run. The store accounts for every line: it keeps
# the first and last lines under the default caps (logs.head_lines,
# logs.tail_lines) and a marker with the count of those left out.
. "$(dirname "$0")/../lib.sh"

lines=28000
pipelines=10
requests=100
# The stage's command as a JSON string: a shell loop that writes one line at
# a time, so the agent reads many small chunks.
writer='i=0; while [ $i -lt '$lines' ]; do echo \\"line $i of the output\\"; i=$((i + 1)); done'
{
	echo '{ "pipelines": ['
	n=1
	while [ $n -le $pipelines ]; do
		[ $n -eq 1 ] || echo ','
		echo "{ \"name\": \"p$n\", \"overlap\": \"queue\", \"stages\": [ { \"name\": \"w\", \"command\": \"$writer\" } ] }"
		n=$((n + 1))
	done
	echo '] }'
} > "$TEST_DIR/config.json"
s="$TEST_DIR/s"
db="$s/store.db"
run_agent

# Readers that poll the store, as users watching the agent do.
readers=""
for command in status runs status runs; do
	sh -c 'while :; do "$0" "$1" --state-dir "$2" > /dev/null 2>&1; done' "$WATCHKEEP" "$command" "$s" &
	readers="$readers $!"
done
AT_EXIT='kill $readers $agent 2>/dev/null'

# Each request has its own connection and thread. The client waits up to
# 30 s, so that a slow answer is measured, not lost.
/usr/bin/python3 - "$s/control.sock" "$pipelines" "$requests" > "$TEST_DIR/answers.txt" <<'PY'
import datetime, json, socket, sys, threading, time

path, pipelines, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = []
lock = threading.Lock()

def request(i):
    # A distinct logical date for each request of a pipeline, because the
    # agent queues one run per pipeline and date.
    day = datetime.date(2026, 1, 1) + datetime.timedelta(days=i // pipelines)
    message = {"command": "run-now", "pipeline": "p%d" % (i % pipelines + 1),
               "date": day.isoformat()}
    start = time.monotonic()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            # A blocking connect waits while the backlog is full.
            s.connect(path)
            s.settimeout(30)
            s.sendall((json.dumps(message) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        answer = json.loads(data)
    except (OSError, ValueError) as e:
        answer = {"ok": False, "error": repr(e)}
    with lock:
        results.append((i, time.monotonic() - start, answer))

threads = []
for i in range(requests):
    t = threading.Thread(target=request, args=(i,))
    t.start()
    threads.append(t)
    if i % 10 == 9:
        time.sleep(0.2)
for t in threads:
    t.join()
for i, seconds, answer in sorted(results):
    print(i, "%.3f" % seconds, answer.get("ok"), answer.get("error", ""))
PY

kill $readers 2>/dev/null || true
expect_eq "$(wc -l < "$TEST_DIR/answers.txt")" "$requests" "answers"
echo "$TEST_NAME: slowest answer (request, seconds, ok): $(sort -k2 -n -r "$TEST_DIR/answers.txt" | head -1)"
while read -r i seconds ok error; do
	[ "$ok" = True ] || fail "run-now request $i failed: $error"
	awk -v t="$seconds" 'BEGIN { exit !(t < 5) }' ||
		fail "run-now request $i waited $seconds s for its answer (at most 5 s expected)"
done < "$TEST_DIR/answers.txt"

# The runs take minutes under a sanitizer on a busy machine.
i=0
while [ "$(sql "$db" "select count(*) from runs where state = 'succeeded'")" != "$requests" ] && [ $i -lt 3000 ]; do
	sleep 0.1; i=$((i + 1))
done
expect_eq "$(sql "$db" "select count(*) from runs where state = 'succeeded'")" "$requests" "succeeded runs"

# Each run's stdout in the store: the lines kept plus those a marker counts
# as left out make all the lines written, up to the last line number.
expect_eq "$(sql "$db" "select count(*) from (select stage_run_id from log_lines
	where stream = 1 group by stage_run_id
	having sum(coalesce(dropped_lines, 0) = 0) + coalesce(sum(dropped_lines), 0) = $lines
	and max(line_no) = $lines)")" "$requests" "runs whose lines are all accounted for in the store"

# The same through the CLI for the last run of each pipeline: lines numbered
# from 1 without a gap, each with its own text, except where a marker counts
# the lines left out.
for run in $(sql "$db" "select max(id) from runs group by pipeline"); do
	pipeline=$(sql "$db" "select pipeline from runs where id = $run")
	"$WATCHKEEP" logs "$pipeline/w" --run "$run" --stream stdout --state-dir "$s" \
		> "$TEST_DIR/logs.txt" || fail "watchkeep logs failed for run $run"
	last=$(awk '
		$3 == "|" && $2 == next_no && $4 == "line" && $5 == $2 - 1 { next_no++; next }
		$3 == "~" && $2 == next_no { n = $4; sub(/^\[/, "", n); next_no += n; next }
		{ print "bad line: " $0; exit }
		END { print next_no - 1 }' next_no=1 "$TEST_DIR/logs.txt" | tail -1)
	expect_eq "$last" "$lines" "lines of run $run shown by watchkeep logs"
done

kill -TERM $agent
wait $agent || fail "the agent did not exit 0 on SIGTERM"
AT_EXIT=""
echo "$TEST_NAME: ok"
