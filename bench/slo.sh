#!/bin/sh
# Benchmarks the SLO engine: 100 SLOs over 30 days of per-minute facts
# (bench/slo_bench.c describes them). Builds wk_core in Release mode,
# runs the benchmark in a temporary directory and writes the figures
# between the slo markers of docs/benchmarks.md (creating the file or the
# markers when they are missing).
#
#   bench/slo.sh [BUILD_DIR]    default: /tmp/wk-bench-build
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-/tmp/wk-bench-build}
doc="$top/docs/benchmarks.md"
work=$(mktemp -d "${TMPDIR:-/tmp}/wk-slo-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target wk_core -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-I"$top" -I"$build" -o "$work/slo_bench" "$top/bench/slo_bench.c" \
	"$build/core/libwk_core.a" "$build/core/libwk_util.a" \
	$(pkg-config --libs jansson sqlite3) -lm

echo "slo.sh: running (writes about 3.5 million facts first)" >&2
"$work/slo_bench" "$work" >"$work/out"
cat "$work/out"

value() { awk -v k="$1" '$1 == k { print $2 }' "$work/out"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
cores=$(nproc 2>/dev/null || echo "?")
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")
sqlite=$(pkg-config --modversion sqlite3)
ccver=$(cc --version | head -n 1)
date=$(date -u +%Y-%m-%d)
load=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?")

section=$(cat <<MD
<!-- slo:begin -->
## SLO engine

Command: \`bench/slo.sh\` on $date. Machine: $cpu, $cores CPUs, $mem of
memory, load average $load at the end of the run; $ccver, -O2; SQLite
$sqlite; the store on the local disk of the temporary directory.

Data: 100 SLOs over 30 days of facts, which are one result a minute of
each of 80 probes and one run an hour of each of 10 pipelines. The SLOs
are 60 probe availability, 20 probe latency, 10 run success and 10 stage
latency SLIs, with windows of 30d, 28d, 7d and calendar months; 10 of them
count 5-minute timeslices.

| measure | goal | result |
|---|---|---|
| one tick of all 100 SLOs (count the minute's facts, evaluate, store), median of 60 ticks | under 50 ms | $(value tick_median_ms) ms (max $(value tick_max_ms) ms) |
| full recomputation of every window from the per-minute counts (\`slo_engine_recompute\`) | under 1 s | $(value recompute_ms) ms |
| first start: count 30 days of facts into per-minute counts, in ticks of bounded work | none | $(value catch_up_ms) ms in $(value catch_up_ticks) ticks, the longest $(value catch_up_tick_max_ms) ms |
| store size after 30 days, evaluations included | none | $(mib "$(value store_bytes)") MiB |

Rows and bytes (tables with their indexes, from SQLite's dbstat):

| table | rows | MiB |
|---|---|---|
$(awk '$1 == "table" { printf "| %s | %s | %.1f |\n", $2, $3, $4 / 1048576 }' "$work/out")

The evaluation series is filled with copies of the last evaluation, as
30 days of ticks would leave it: one row per SLO and minute for the last
two days, and one an hour before. The store thus has the size it would
have, without running 43,200 ticks.
<!-- slo:end -->
MD
)

if [ ! -f "$doc" ]; then
	printf '# Benchmarks\n\nMeasured figures, each with the command and the machine that produced it.\n' >"$doc"
fi
if grep -q '<!-- slo:begin -->' "$doc"; then
	awk -v repl="$section" '
		/<!-- slo:begin -->/ { print repl; skip = 1; next }
		/<!-- slo:end -->/ { skip = 0; next }
		!skip { print }' "$doc" >"$work/doc"
	cat "$work/doc" >"$doc"
else
	printf '\n%s\n' "$section" >>"$doc"
fi
echo "slo.sh: wrote the figures to $doc" >&2
