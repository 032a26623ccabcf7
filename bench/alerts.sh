#!/bin/sh
# Benchmark of alert delivery: time from a stage failure to the POST at a
# local receiver, with the default group_wait (200ms) and with 0
# (bench/alerts.py describes the method).
#
#   bench/alerts.sh
#
# Environment: BENCH_RUNS (runs of each setting, default 3),
# BENCH_FAILURES (failures a run, default 200), WATCHKEEP (the binary;
# default: a Release build in BENCH_BUILD_DIR, by default
# /tmp/watchkeep-bench-build).
#
# The receiver is tests/alert_mock.py on 127.0.0.1, stopped by its pid.
# The table goes between the alerts markers of docs/benchmarks.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-3}
failures=${BENCH_FAILURES:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/wk-bench-alerts-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

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

build_watchkeep
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$work/stamp" "$top/bench/stamp.c"
python3 "$top/bench/alerts.py" --watchkeep "$WATCHKEEP" --stamp "$work/stamp" \
	--mock "$top/tests/alert_mock.py" --work "$work" \
	--doc "$top/docs/benchmarks.md" --runs "$runs" --failures "$failures" \
	--build "$wk_build" \
	--command "BENCH_RUNS=$runs BENCH_FAILURES=$failures bench/alerts.sh"
