#!/bin/sh
# Benchmark of supervision: the agent's CPU time and memory idle and while
# it starts stages, and its stage start latency, side by side with Monit
# 5.33 watching the same commands (bench/supervise.py describes what is
# measured).
#
#   bench/supervise.sh
#
# Environment: BENCH_RUNS (runs of each system, default 3), BENCH_SECONDS
# (measured seconds of a window, default 60), BENCH_WARMUP (seconds before
# measuring, default 10), BENCH_JOBS (pipelines and Monit checks, default
# 20), BENCH_STARTS (runs for the start latency, default 1000),
# BENCH_RESTARTS (Monit restarts for its latency, default 200), WATCHKEEP
# (the binary; default: a Release build in BENCH_BUILD_DIR, by default
# /tmp/watchkeep-bench-build).
#
# Monit runs in the foreground with its own monitrc, pid, id and state
# files in a temporary directory, and is stopped by its pid. The Debian
# package monit is installed when missing, with its service held back.
# The table goes between the supervise markers of docs/benchmarks.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-60}
warmup=${BENCH_WARMUP:-10}
jobs=${BENCH_JOBS:-20}
starts=${BENCH_STARTS:-1000}
restarts=${BENCH_RESTARTS:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/wk-bench-supervise-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# Installs monit without starting its service: an invoke-rc.d policy that
# exits 101 keeps every service from starting.
install_monit() {
	command -v monit >/dev/null 2>&1 && return 0
	policy=/usr/sbin/policy-rc.d
	added=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 755 "$policy"
		added=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends monit
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

# The command both supervisors start. Static, so that the start time it
# reads first thing in main() comes right after the execve.
build_stamp() {
	stamp_linking=static
	cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -static \
		-o "$work/stamp" "$top/bench/stamp.c" 2>/dev/null && return 0
	stamp_linking=dynamic
	cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L \
		-o "$work/stamp" "$top/bench/stamp.c"
}

# The floor of a start (bench/start_floor.c), linked to the same SQLite
# as the agent.
build_floor() {
	cc -std=c11 -O2 -o "$work/start_floor" "$top/bench/start_floor.c" \
		-lsqlite3
}

install_monit
build_watchkeep
build_stamp
build_floor
python3 "$top/bench/supervise.py" --watchkeep "$WATCHKEEP" \
	--stamp "$work/stamp" --stamp-linking "$stamp_linking" --floor "$work/start_floor" \
	--work "$work" --doc "$top/docs/benchmarks.md" \
	--runs "$runs" --seconds "$seconds" --warmup "$warmup" --jobs "$jobs" \
	--starts "$starts" --restarts "$restarts" --build "$wk_build" \
	--command "BENCH_RUNS=$runs BENCH_SECONDS=$seconds BENCH_WARMUP=$warmup BENCH_JOBS=$jobs BENCH_STARTS=$starts BENCH_RESTARTS=$restarts bench/supervise.sh"
