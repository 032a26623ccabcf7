#!/bin/sh
# Measures churn ingest + features on generated logs of about 10 M and
# 100 M events against DuckDB and pandas computing the same features, and
# churn train against scikit-learn on about 1 M users x 30 features
# (bench/scale.py says how). Builds churn in Release mode, installs
# DuckDB's Node package with npm into the work directory, and writes the
# tables between the scale and training markers of docs/benchmarks.md.
#
#   bench/scale.sh [BUILD_DIR]        default: /tmp/wk-scale-build
#
# Environment: BENCH_RUNS (runs of the 10 M log, default 3),
# BENCH_SMALL_USERS (default 1300000), BENCH_LARGE_USERS (default
# 13000000), BENCH_SKIP_LARGE=1 to leave out the 100 M log,
# BENCH_PARTS (scale,training), BENCH_WORK (a directory to keep the logs
# in; by default a temporary one, removed at the end). A log in BENCH_WORK
# written with the same options and generator sources is reused. Needs
# about 10 GB of disk in the work directory, node and npm, and Debian's
# python3-pandas and python3-sklearn.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-/tmp/wk-scale-build}
runs=${BENCH_RUNS:-3}
small=${BENCH_SMALL_USERS:-1300000}
large=${BENCH_LARGE_USERS:-13000000}
parts=${BENCH_PARTS:-scale,training}

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
	>/dev/null
cmake --build "$build" --target churn -j "$(nproc 2>/dev/null || echo 2)" \
	>/dev/null

if [ -n "${BENCH_WORK:-}" ]; then
	work=$BENCH_WORK
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/wk-scale-bench-XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
fi

cc=$(awk -F= '/^CMAKE_C_COMPILER:/ { print $2 }' "$build/CMakeCache.txt")
ccver=$("$cc" --version | head -n 1)
command="bench/scale.sh"
[ "$runs" = 3 ] || command="BENCH_RUNS=$runs $command"
[ -z "${BENCH_SKIP_LARGE:-}" ] || command="BENCH_SKIP_LARGE=1 $command"
[ "$parts" = scale,training ] || command="BENCH_PARTS=$parts $command"
skip=""
[ -z "${BENCH_SKIP_LARGE:-}" ] || skip=--skip-large

# shellcheck disable=SC2086
/usr/bin/python3 "$top/bench/scale.py" --churn "$build/bin/churn" \
	--work "$work" --docs "$top/docs/benchmarks.md" --runs "$runs" \
	--small-users "$small" --large-users "$large" --parts "$parts" \
	--command "$command" --build "a CMake Release build, $ccver" $skip
