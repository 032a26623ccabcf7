#!/bin/sh
# Benchmark of `watchkeep top` on a store with 30 days of history. It
# measures the CPU time of one frame of every view: read the store, draw,
# send the changes to a virtual screen on /dev/null. It also measures the
# time from the start of the process to its first frame.
#
#   bench/tui.sh
#
# Environment: BENCH_FRAMES (frames of each view, default 500),
# BENCH_STARTS (process starts timed, default 20), BENCH_DAYS (default 30),
# BENCH_SIZE (screen, default 80x24), WATCHKEEP (the binary; default: a
# Release build in BENCH_BUILD_DIR, by default /tmp/watchkeep-bench-build).
#
# The store is made by `watchkeep run --once` on bench/tui.json and filled
# by bench/tui_gen.py. The table goes between the tui markers of
# docs/benchmarks.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
frames=${BENCH_FRAMES:-500}
starts=${BENCH_STARTS:-20}
days=${BENCH_DAYS:-30}
size=${BENCH_SIZE:-80x24}
work=$(mktemp -d "${TMPDIR:-/tmp}/wk-bench-tui-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

if [ -n "${WATCHKEEP:-}" ]; then
	wk_build="the binary $WATCHKEEP"
else
	wk_build="a CMake Release build (-O3)"
	dir=${BENCH_BUILD_DIR:-${TMPDIR:-/tmp}/watchkeep-bench-build}
	cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_TESTING=OFF >/dev/null
	cmake --build "$dir" -j "$(nproc)" --target watchkeep >/dev/null
	WATCHKEEP="$dir/bin/watchkeep"
fi

state="$work/state"
"$WATCHKEEP" run --once -c "$top/bench/tui.json" --state-dir "$state" \
	> /dev/null 2>&1
python3 "$top/bench/tui_gen.py" "$state/store.db" "$days" > "$work/rows.json"

export COLUMNS="${size%x*}" LINES="${size#*x}" LC_ALL=C.UTF-8
"$WATCHKEEP" top -c "$top/bench/tui.json" --state-dir "$state" \
	--bench-frames "$frames" > "$work/frames.txt"

python3 - "$top/docs/benchmarks.md" "$work" "$WATCHKEEP" "$top/bench/tui.json" \
	"$state" "$starts" "$frames" "$days" "$size" "$wk_build" <<'PY'
import json, os, platform, re, statistics, subprocess, sys, time

doc, work, wk, config, state = sys.argv[1:6]
starts, frames, days = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
size, build = sys.argv[9], sys.argv[10]
rows = json.load(open(os.path.join(work, "rows.json")))
out = open(os.path.join(work, "frames.txt")).read().splitlines()
first = re.search(r"([0-9.]+) ms", out[0]).group(1)
views = [(l.split()[0], float(l.split()[1])) for l in out[1:]]

# Process start to exit: the first frame, then one frame of each view.
walls = []
for _ in range(starts):
    t = time.perf_counter()
    subprocess.run([wk, "top", "-c", config, "--state-dir", state,
                    "--bench-frames", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    walls.append((time.perf_counter() - t) * 1000)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "?")
size_mib = os.path.getsize(os.path.join(state, "store.db")) / 1048576
lines = [
    "<!-- tui:begin -->",
    "## Terminal UI",
    "",
    "`watchkeep top` on a store with %d days of history: %d runs (%d stage "
    "runs, %d log lines), %d probe results, %d SLO evaluations and %d "
    "alerts, %.0f MiB. A frame reads the store in one read transaction, "
    "draws the view and sends the changed cells to a %s virtual screen on "
    "/dev/null (`--bench-frames`). Goals: a frame under 5 ms of CPU, the "
    "first frame under 100 ms after the start." % (
        days, rows["runs"], rows["stage_runs"], rows["log_lines"],
        rows["probe_results"], rows["slo_evaluations"], rows["alerts"],
        size_mib, size),
    "",
    "| view | CPU a frame, mean of %d frames |" % frames,
    "|---|---:|",
]
lines += ["| %s | %.3f ms |" % (v, ms) for v, ms in views]
lines += [
    "",
    "| start | result |",
    "|---|---:|",
    "| first frame after the TUI started (store opened, forecasts fitted) "
    "| %s ms |" % first,
    "| process start to exit with `--bench-frames 1` (first frame and one "
    "frame of each view), median of %d | %.1f ms (max %.1f ms) |" % (
        starts, statistics.median(walls), max(walls)),
    "",
    "Command: `bench/tui.sh` (BENCH_FRAMES=%d, BENCH_STARTS=%d) with %s." % (
        frames, starts, build),
    "Machine: %s, %d logical CPUs, load average %.2f at the end of the "
    "run, %s %s; SQLite %s." % (
        cpu, os.cpu_count(), os.getloadavg()[0], platform.system(),
        platform.release(),
        subprocess.run(["python3", "-c", "import sqlite3; print(sqlite3.sqlite_version)"],
                       capture_output=True, text=True).stdout.strip()),
    "<!-- tui:end -->",
]
block = "\n".join(lines)
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
if "<!-- tui:begin -->" in text:
    text = re.sub(r"<!-- tui:begin -->.*?<!-- tui:end -->", lambda m: block,
                  text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
open(doc, "w").write(text)
print(block)
PY
