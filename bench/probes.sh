#!/bin/sh
# Benchmark of the HTTP probes: 1,000 probes every 10 seconds against a
# local server, watchkeep's CPU time and memory side by side with
# prometheus-blackbox-exporter driven by prometheus at the same load.
#
#   bench/probes.sh
#
# Environment: BENCH_RUNS (runs of each system, default 3), BENCH_SECONDS
# (measured seconds of a run, default 60), BENCH_WARMUP (seconds before
# measuring, default 25), BENCH_PROBES (default 1000), WATCHKEEP (the
# binary; default: a Release build in BENCH_BUILD_DIR, by default
# /tmp/watchkeep-bench-build).
#
# Every server runs on 127.0.0.1 on a free port and is stopped by its pid.
# The Debian packages prometheus and prometheus-blackbox-exporter are
# installed when missing, with their services held back. The table goes
# between the probes markers of docs/benchmarks.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-60}
warmup=${BENCH_WARMUP:-25}
probes=${BENCH_PROBES:-1000}
work=$(mktemp -d "${TMPDIR:-/tmp}/wk-bench-probes-XXXXXX")
pids=""

stop_all() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null || true
	done
	pids=""
}
trap 'stop_all; rm -rf "$work"' EXIT INT TERM

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# Installs the two packages without starting their services, because an
# invoke-rc.d policy that exits 101 keeps every service from starting.
install_prometheus() {
	command -v prometheus >/dev/null 2>&1 &&
		command -v prometheus-blackbox-exporter >/dev/null 2>&1 && return 0
	policy=/usr/sbin/policy-rc.d
	added=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 755 "$policy"
		added=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends prometheus prometheus-blackbox-exporter
	[ -z "$added" ] || as_root rm -f "$policy"
}

build_watchkeep() {
	if [ -n "${WATCHKEEP:-}" ]; then
		wk_build="the binary $WATCHKEEP"
		return 0
	fi
	wk_build="a CMake Release build (-O3)"
	dir=${BENCH_BUILD_DIR:-${TMPDIR:-/tmp}/watchkeep-bench-build}
	cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_TESTING=OFF >/dev/null
	cmake --build "$dir" -j "$(nproc)" --target watchkeep >/dev/null
	WATCHKEEP="$dir/bin/watchkeep"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The target: one asyncio process answering every path with 200 and a
# small JSON body, one connection a request. GET /count returns the number
# of requests served so far.
write_target() {
	cat > "$work/target.py" <<'PY'
import asyncio, sys
count = 0
BODY = b'{"status": "ok"}'
async def handle(reader, writer):
    global count
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except Exception:
        writer.close()
        return
    if head.startswith(b"GET /count "):
        body = str(count).encode()
    else:
        count += 1
        body = BODY
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    try:
        await writer.drain()
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
}

start_target() {
	target_port=$(free_port)
	python3 "$work/target.py" "$target_port" 2>"$work/target.log" &
	pids="$pids $!"
	wait_http "http://127.0.0.1:$target_port/count"
}

wait_http() {
	tries=0
	until python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; do
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || { echo "probes.sh: $1 did not respond" >&2; exit 1; }
		sleep 0.2
	done
}

requests_served() {
	python3 -c "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1]).read().decode())" \
		"http://127.0.0.1:$target_port/count"
}

# CPU ticks (user + system) used so far by process $1.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Resident memory of process $1 in KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Samples the CPU time of each pid over the measured window, after the
# warm-up, and appends one line to $1. The line has, for each pid, its CPU
# in percent of one core and its RSS in MiB, then the requests served.
measure() {
	out=$1
	shift
	sleep "$warmup"
	for pid in "$@"; do
		cpu_ticks "$pid" > "$work/ticks.$pid"
	done
	r0=$(requests_served)
	sleep "$seconds"
	r1=$(requests_served)
	hz=$(getconf CLK_TCK)
	line=""
	for pid in "$@"; do
		used=$(( $(cpu_ticks "$pid") - $(cat "$work/ticks.$pid") ))
		line="$line $(awk -v c="$used" -v hz="$hz" -v s="$seconds" \
			-v rss="$(rss_kib "$pid")" \
			'BEGIN { printf "%.2f %.1f", 100 * c / hz / s, rss / 1024 }')"
	done
	echo "$line $((r1 - r0))" >> "$out"
}

watchkeep_config() {
	python3 - "$work/wk.json" "$target_port" "$probes" <<'PY'
import json, sys
path, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
probes = [{"name": "p%04d" % i, "type": "http",
           "url": "http://127.0.0.1:%s/p/%d" % (port, i),
           "interval": "10s", "timeout": "5s"} for i in range(n)]
cfg = {"pipelines": [{"name": "p", "stages": [{"name": "s", "command": ["true"]}]}],
       "log_level": "warn", "probes": probes}
json.dump(cfg, open(path, "w"))
PY
}

run_watchkeep() {
	rm -rf "$work/wk-state"
	"$WATCHKEEP" probe --loop "$((warmup + seconds + 5))s" -c "$work/wk.json" \
		--state-dir "$work/wk-state" > "$work/wk.out" 2> "$work/wk.err" &
	wk_pid=$!
	pids="$pids $wk_pid"
	measure "$work/watchkeep.txt" "$wk_pid"
	wait "$wk_pid" || true
	pids=$(echo "$pids" | sed "s/ $wk_pid\$//")
}

prometheus_config() {
	bb_port=$1
	cat > "$work/blackbox.yml" <<'EOF'
modules:
  http_2xx:
    prober: http
    timeout: 5s
EOF
	python3 - "$work/prometheus.yml" "$target_port" "$probes" "$bb_port" <<'PY'
import sys
path, port, n, bb = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
targets = "\n".join("        - http://127.0.0.1:%s/p/%d" % (port, i) for i in range(n))
open(path, "w").write("""global:
  scrape_interval: 10s
  scrape_timeout: 5s
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_2xx]
    static_configs:
      - targets:
%s
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:%s
""" % (targets, bb))
PY
}

run_prometheus() {
	bb_port=$(free_port)
	prom_port=$(free_port)
	prometheus_config "$bb_port"
	rm -rf "$work/tsdb"
	prometheus-blackbox-exporter --config.file="$work/blackbox.yml" \
		--web.listen-address="127.0.0.1:$bb_port" 2> "$work/bb.log" &
	bb_pid=$!
	pids="$pids $bb_pid"
	wait_http "http://127.0.0.1:$bb_port/metrics"
	prometheus --config.file="$work/prometheus.yml" \
		--storage.tsdb.path="$work/tsdb" \
		--web.listen-address="127.0.0.1:$prom_port" 2> "$work/prom.log" &
	prom_pid=$!
	pids="$pids $prom_pid"
	measure "$work/prometheus.txt" "$bb_pid" "$prom_pid"
	kill "$prom_pid" "$bb_pid"
	wait "$prom_pid" "$bb_pid" 2>/dev/null || true
	pids=$(echo "$pids" | sed "s/ $bb_pid//; s/ $prom_pid//")
}

install_prometheus
build_watchkeep
write_target
start_target
watchkeep_config
run=1
while [ "$run" -le "$runs" ]; do
	echo "probes.sh: run $run of $runs: watchkeep" >&2
	run_watchkeep
	echo "probes.sh: run $run of $runs: blackbox exporter and prometheus" >&2
	run_prometheus
	run=$((run + 1))
done

# The table: medians over the runs, written between the markers.
python3 - "$work" "$top/docs/benchmarks.md" "$probes" "$runs" "$seconds" \
	"$warmup" "$wk_build" <<'PY'
import os, platform, re, statistics, subprocess, sys
work, doc, probes, runs, seconds, warmup, build = sys.argv[1:8]
def rows(name):
    return [[float(x) for x in line.split()] for line in open(os.path.join(work, name))]
def med(table, col):
    return statistics.median(r[col] for r in table)
w, p = rows("watchkeep.txt"), rows("prometheus.txt")
wk_cpu, wk_rss, wk_n = med(w, 0), med(w, 1), med(w, 2)
bb_cpu, bb_rss, pr_cpu, pr_rss, p_n = (med(p, i) for i in range(5))
both_cpu = statistics.median(r[0] + r[2] for r in p)
both_rss = statistics.median(r[1] + r[3] for r in p)
def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "?"
    except OSError:
        return "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "?")
debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
rate = lambda n: n / float(seconds)
lines = [
    "<!-- probes:begin -->",
    "%s HTTP probes, each every 10 s with a 5 s timeout, against one local "
    "asyncio server on 127.0.0.1 that answers 200 with a small JSON body; "
    "a new connection for every check. CPU is user plus system time over "
    "%s s, after %s s of warm-up, in percent of one core; RSS is read at "
    "the end of the window. Medians of %s runs of each system, run one "
    "after the other. watchkeep: %s." % (probes, seconds, warmup, runs, build),
    "",
    "| system | CPU (% of a core) | RSS (MiB) | checks/s |",
    "|---|---:|---:|---:|",
    "| watchkeep `probe --loop` (results into SQLite) | %.2f | %.1f | %.1f |" % (wk_cpu, wk_rss, rate(wk_n)),
    "| prometheus-blackbox-exporter | %.2f | %.1f | %.1f |" % (bb_cpu, bb_rss, rate(p_n)),
    "| prometheus (scheduling, TSDB) | %.2f | %.1f | |" % (pr_cpu, pr_rss),
    "| blackbox exporter + prometheus | %.2f | %.1f | %.1f |" % (both_cpu, both_rss, rate(p_n)),
    "",
    "watchkeep used %.2f of the CPU of blackbox exporter and prometheus "
    "together (%.2f of the blackbox exporter's alone); the goal is at most "
    "0.33." % (wk_cpu / both_cpu if both_cpu else float("nan"),
              wk_cpu / bb_cpu if bb_cpu else float("nan")),
    "",
    "Command: `BENCH_RUNS=%s BENCH_SECONDS=%s BENCH_WARMUP=%s BENCH_PROBES=%s "
    "bench/probes.sh`." % (runs, seconds, warmup, probes),
    "Machine: %s, %d cores, %s %s, Debian %s; %s; %s; %s." % (
        cpu, os.cpu_count(), platform.system(), platform.release(), debian,
        version(["prometheus", "--version"]).split(" (")[0],
        version(["prometheus-blackbox-exporter", "--version"]).split(" (")[0],
        version(["curl-config", "--version"])),
    "<!-- probes:end -->",
]
block = "\n".join(lines)
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
if "<!-- probes:begin -->" in text:
    text = re.sub(r"<!-- probes:begin -->.*?<!-- probes:end -->", lambda m: block,
                  text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n## HTTP probes\n\n" + block + "\n"
open(doc, "w").write(text)
print(block)
PY
