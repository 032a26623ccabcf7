#!/bin/sh
# Benchmarks the web server with wrk: requests per second and 99th
# percentile latency of /api/v1/status and of the overview page over a
# store with 30 days of history. A private nginx on 127.0.0.1 serves static
# files of the same sizes in the same run, for comparison. The figures go
# between the web markers of docs/benchmarks.md.
#
#   bench/web.sh [BUILD_DIR]    default: /tmp/wk-bench-web
#
# Environment: BENCH_SECONDS (default 10) per measurement, BENCH_CONNECTIONS
# (default 32), BENCH_THREADS (default 2). Needs wrk and nginx; missing
# Debian packages are installed with apt-get, with a policy-rc.d that keeps
# the nginx service from starting.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-/tmp/wk-bench-web}
doc="$top/docs/benchmarks.md"
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/wk-web-bench-XXXXXX")
pids=""
cleanup() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs wrk and nginx when missing, without starting any service.
install_tools() {
	missing=""
	command -v wrk > /dev/null 2>&1 || missing="$missing wrk"
	command -v nginx > /dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
	[ -n "$missing" ] || return 0
	policy=/usr/sbin/policy-rc.d
	added=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" > /dev/null
		as_root chmod 755 "$policy"
		added=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
	[ -z "$added" ] || as_root rm -f "$policy"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
	i=0
	until curl -sf -o /dev/null "$1"; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || { echo "web.sh: no response from $1 after 10 s" >&2; exit 1; }
		sleep 0.1
	done
}

# Runs wrk on $1 and prints "REQUESTS_PER_SECOND P99_MS".
measure() {
	wrk -t "$threads" -c "$conns" -d "${seconds}s" --latency "$1" > "$work/wrk.txt"
	if grep -q "Non-2xx" "$work/wrk.txt"; then
		echo "web.sh: non-2xx responses from $1" >&2
		cat "$work/wrk.txt" >&2
		exit 1
	fi
	awk '
		/Requests\/sec:/ { rps = $2 }
		$1 == "99%" {
			v = $2
			if (v ~ /us$/) { sub(/us$/, "", v); ms = v / 1000 }
			else if (v ~ /ms$/) { sub(/ms$/, "", v); ms = v }
			else if (v ~ /s$/) { sub(/s$/, "", v); ms = v * 1000 }
		}
		END { printf "%.0f %.2f\n", rps, ms }' "$work/wrk.txt"
}

install_tools
nginx_bin=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" --target watchkeep web_seed -j "$(nproc 2>/dev/null || echo 2)" > /dev/null

echo "web.sh: writing 30 days of history" >&2
"$build/bin/web_seed" "$top/tests/web/fixture.json" "$work/store.db" 30 > /dev/null
port=$(free_port)
"$build/bin/watchkeep" web --db "$work/store.db" -c "$top/tests/web/fixture.json" \
	--listen "127.0.0.1:$port" 2> "$work/web.log" &
pids="$pids $!"
wait_http "http://127.0.0.1:$port/healthz"

# Static copies of the same responses, for nginx.
mkdir -p "$work/www"
curl -sf "http://127.0.0.1:$port/api/v1/status" > "$work/www/status.json"
curl -sf "http://127.0.0.1:$port/" > "$work/www/overview.html"
# nginx's workers run as an unprivileged user when started by root.
chmod 711 "$work"
chmod -R a+rX "$work/www"
nport=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$nport;
		root $work/www;
	}
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work" 2> "$work/nginx.log" &
pids="$pids $!"
wait_http "http://127.0.0.1:$nport/status.json"

# Median time to build a response that is not cached: an unknown query
# argument makes each request a cache miss.
uncached() {
	i=0
	while [ "$i" -lt 21 ]; do
		curl -s -o /dev/null -w '%{time_total}\n' "$1?miss=$i"
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[11] * 1000 }'
}
cold_status=$(uncached "http://127.0.0.1:$port/api/v1/status")
cold_page=$(uncached "http://127.0.0.1:$port/")

# Warm-up fills the page cache, as any request after a data change does.
wrk -t 1 -c 4 -d 1s "http://127.0.0.1:$port/api/v1/status" > /dev/null
wrk -t 1 -c 4 -d 1s "http://127.0.0.1:$port/" > /dev/null

set -- $(measure "http://127.0.0.1:$port/api/v1/status"); wk_status_rps=$1; wk_status_p99=$2
set -- $(measure "http://127.0.0.1:$nport/status.json"); ng_status_rps=$1; ng_status_p99=$2
set -- $(measure "http://127.0.0.1:$port/"); wk_page_rps=$1; wk_page_p99=$2
set -- $(measure "http://127.0.0.1:$nport/overview.html"); ng_page_rps=$1; ng_page_p99=$2
status_bytes=$(wc -c < "$work/www/status.json")
page_bytes=$(wc -c < "$work/www/overview.html")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
cores=$(nproc 2>/dev/null || echo "?")
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")
nginx_version=$("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //')
wrk_version=$(wrk -v 2>&1 | head -n 1 | cut -d ' ' -f 1-2)
mhd=$(pkg-config --modversion libmicrohttpd 2>/dev/null || echo "?")
date=$(date -u +%Y-%m-%d)

section=$(cat <<MD
<!-- web:begin -->
## Web server

Command: \`bench/web.sh\` on $date (wrk -t $threads -c $conns, ${seconds} s a
measurement, after a 1 s warm-up of each watchkeep URL). Machine: $cpu,
$cores CPUs, $mem of memory; wrk, the server and nginx share the CPUs.
watchkeep: a CMake Release build, libmicrohttpd $mhd, 2 polling threads and
4 workers, over a store with 30 days of history written by tests/web_seed.c
(2 pipelines with a run an hour, 2 probes with a result a minute, 4 SLOs).
Responses come from the page cache, which keeps a response until the
store changes or for 30 s. nginx: $nginx_version, \`worker_processes auto\`, the
same bytes as static files. $wrk_version.

| URL | bytes | watchkeep req/s | watchkeep p99 | nginx req/s | nginx p99 | watchkeep / nginx |
|---|---:|---:|---:|---:|---:|---:|
| /api/v1/status | $status_bytes | $wk_status_rps | $wk_status_p99 ms | $ng_status_rps | $ng_status_p99 ms | $(ratio "$wk_status_rps" "$ng_status_rps") |
| / (overview) | $page_bytes | $wk_page_rps | $wk_page_p99 ms | $ng_page_rps | $ng_page_p99 ms | $(ratio "$wk_page_rps" "$ng_page_rps") |

Building a response that is not in the cache (the first request after the
agent wrote to the store), median of 21 requests with curl: $cold_status ms
for /api/v1/status, $cold_page ms for the overview.

Goal: at least half of nginx's rate, and a p99 under 20 ms.
<!-- web:end -->
MD
)
printf '%s\n' "$section"

if [ ! -f "$doc" ]; then
	printf '# Benchmarks\n\n' > "$doc"
fi
if grep -q '<!-- web:begin -->' "$doc"; then
	printf '%s\n' "$section" > "$work/section.md"
	awk -v file="$work/section.md" '
		/<!-- web:begin -->/ { while ((getline line < file) > 0) print line; skip = 1; next }
		/<!-- web:end -->/ { skip = 0; next }
		!skip { print }' "$doc" > "$work/doc.md"
	cat "$work/doc.md" > "$doc"
else
	printf '\n%s\n' "$section" >> "$doc"
fi
echo "web.sh: wrote the figures to $doc" >&2
