"""Supervision benchmark of the agent against Monit; bench/supervise.sh runs it.

Measures, in one run and side by side with a private Monit that watches the
same commands:

- idle: `watchkeep run` with JOBS pipelines whose schedule fires once a
  year, against Monit with JOBS program checks on the same yearly cron
  schedule, at `set daemon 1` and `set daemon 30`;
- supervising: JOBS one-stage pipelines, each started once a second with
  run-now on the control socket, against JOBS program checks that Monit
  runs every cycle at `set daemon 1`;
- watching: JOBS one-stage pipelines whose stage runs through the whole
  window (started once with run-now, with a timeout), against JOBS process
  checks of the same long-lived command at `set daemon 1` and `set daemon
  30`;
- floor: bench/start_floor.c does, at the supervising pace and on a copy
  of the agent's store, the work the stage contract and the store ask of
  each start, without the agent's loop, control socket and logging. It runs
  in full, then without the store, then without the run directories;
- start latency: the agent's own fork-to-execve time (its debug log), and
  the time from the end of a stage to the first instruction of the stage
  that depends on it, against the time from the end of a process that
  Monit watches to the first instruction of its restart.

CPU is user plus system time of the supervisor alone (not of the commands
it starts), from /proc/PID/stat over the window, in percent of one core.
Memory is VmRSS, VmHWM and RssAnon from /proc/PID/status at the end of the
window. The table goes between the supervise markers of the doc file.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

YEARLY = "0 0 1 1 *"
MONIT_PROCESS_LIFE_MS = 500
WATCH_TIMEOUT = "2h"
FLOOR_SECONDS = 15
FLOOR_MODES = ("full", "no-store", "no-dirs")
METRICS = ("cpu", "rss", "hwm", "anon", "starts", "cpu_per_1000")
EXEC_LINE = re.compile(r"execve succeeded (\d+) us after the stage start began, "
                       r"(\d+) us after fork")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--watchkeep", required=True)
    p.add_argument("--stamp", required=True)
    p.add_argument("--stamp-linking", default="static")
    p.add_argument("--floor", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--doc", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--jobs", type=int, default=20)
    p.add_argument("--starts", type=int, default=1000)
    p.add_argument("--restarts", type=int, default=200)
    p.add_argument("--build", default="")
    p.add_argument("--command", default="bench/supervise.sh")
    return p.parse_args()


def count_lines(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def read_stamps(path):
    """Read the stamp lines of path as (tag, mono_start, mono_end) tuples."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 6:
                rows.append((parts[0], int(parts[1]), int(parts[2])))
    return rows


def exec_times(log):
    """Return the fork-to-execve and start-to-execve times of the agent's log, in us."""
    fork_exec, start_exec = [], []
    with open(log) as f:
        for line in f:
            m = EXEC_LINE.search(line)
            if m:
                start_exec.append(int(m.group(1)))
                fork_exec.append(int(m.group(2)))
    return fork_exec, start_exec


def handoffs(stamps):
    """Return the time from the end of stage a to the start of b of each run, in us."""
    ends, times = {}, []
    rows = read_stamps(stamps)
    for tag, _, end in rows:
        if tag.startswith("a:"):
            ends[tag[2:]] = end
    for tag, begin, _ in rows:
        if tag.startswith("b:") and tag[2:] in ends:
            times.append((begin - ends[tag[2:]]) / 1000.0)
    return times


class Bench:
    def __init__(self, args):
        self.args = args
        self.reaper = bl.Reaper(as_subreaper=True)
        self.serial = 0
        self.env = dict(os.environ, LC_ALL="C", LANG="C")
        self.env.pop("LANGUAGE", None)

    def new_dir(self, name):
        self.serial += 1
        path = os.path.join(self.args.work, "%02d-%s" % (self.serial, name))
        os.makedirs(path)
        return path

    # watchkeep

    def watch_life_ms(self):
        """Return how long a watched command lives: past the window's end."""
        return int((self.args.warmup + self.args.seconds + 3.0) * 1000)

    def wk_config(self, d, kind):
        """Write the agent's configuration; kind is idle, supervise, watch or latency."""
        stamps = os.path.join(d, "stamps.txt")
        pipelines = []
        for i in range(1, self.args.jobs + 1):
            if kind == "watch":
                stages = [{"name": "s", "timeout": WATCH_TIMEOUT,
                           "command": [self.args.stamp, stamps, "p%02d" % i,
                                       "-s", str(self.watch_life_ms())]}]
            elif kind == "latency":
                stages = [
                    {"name": "a", "command": [self.args.stamp, stamps, "a:${WATCHKEEP_RUN_ID}"]},
                    {"name": "b", "depends_on": ["a"],
                     "command": [self.args.stamp, stamps, "b:${WATCHKEEP_RUN_ID}"]},
                ]
            else:
                stages = [{"name": "s", "command": [self.args.stamp, stamps, "p%02d" % i]}]
            pipelines.append({"name": "p%02d" % i, "schedule": YEARLY,
                              "catch_up": "skip", "stages": stages})
        cfg = {"log_level": "debug" if kind == "latency" else "info",
               "pipelines": pipelines}
        path = os.path.join(d, "watchkeep.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        return path, stamps

    def wk_start(self, d, config):
        state = os.path.join(d, "state")
        pid = bl.spawn([self.args.watchkeep, "run", "-c", config, "--state-dir", state],
                       os.path.join(d, "agent.out"), os.path.join(d, "agent.log"),
                       self.env)

        def answers():
            try:
                return bl.control(state, {"command": "status"}).get("ok", False)
            except OSError:
                return False
        bl.wait_for(answers, 30, "the agent's control socket")
        return pid, state

    # Monit

    def monit_config(self, d, kind, cycle_s):
        """Write a private monitrc (mode 0600); kind as for wk_config."""
        stamps = os.path.join(d, "stamps.txt")
        lines = ["set daemon %d" % cycle_s,
                 "set pidfile %s/monit.pid" % d,
                 "set idfile %s/monit.id" % d,
                 "set statefile %s/monit.state" % d,
                 "set logfile %s/monit.log" % d]
        for i in range(1, self.args.jobs + 1):
            name = "p%02d" % i
            if kind in ("latency", "watch"):
                life = MONIT_PROCESS_LIFE_MS if kind == "latency" else self.watch_life_ms()
                lines += ['check process %s with pidfile %s/%s.pid' % (name, d, name),
                          '  start program = "%s %s %s -p %s/%s.pid -s %d"'
                          % (self.args.stamp, stamps, name, d, name, life)]
                continue
            lines.append('check program %s with path "%s %s %s"'
                         % (name, self.args.stamp, stamps, name))
            if kind == "idle":
                lines.append('  every "%s"' % YEARLY)
            lines.append("  if status != 0 then alert")
        path = os.path.join(d, "monitrc")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)
        return path, stamps

    def monit_start(self, d, config):
        pid = bl.spawn(["monit", "-I", "-c", config], os.path.join(d, "monit.out"),
                       os.path.join(d, "monit.err"), self.env)
        log = os.path.join(d, "monit.log")

        def started():
            if not os.path.exists(log):
                return False
            with open(log) as f:
                return "started" in f.read()
        bl.wait_for(started, 30, "monit to start")
        return pid

    # Measurement

    def window(self, pid, stamps, tick=None):
        """Call tick() at its own pace through warm-up and window, and sample pid."""
        a = self.args
        start = time.monotonic()
        t_begin, t_end = start + a.warmup, start + a.warmup + a.seconds
        first = None
        next_tick = start
        while True:
            now = time.monotonic()
            if first is None and now >= t_begin:
                first = (bl.cpu_ticks(pid), count_lines(stamps), now)
            if now >= t_end:
                break
            if tick is not None and now >= next_tick:
                # Late ticks are dropped, not sent in a burst.
                next_tick = max(next_tick + tick(), now)
            wake = t_end if first is not None else t_begin
            if tick is not None:
                wake = min(wake, next_tick)
            time.sleep(max(0.0, wake - time.monotonic()))
        ticks, starts, now = bl.cpu_ticks(pid), count_lines(stamps), time.monotonic()
        mem = bl.memory_kib(pid)
        elapsed = now - first[2]
        cpu_s = (ticks - first[0]) / float(bl.CLK_TCK)
        n = starts - first[1]
        return {"cpu": 100.0 * cpu_s / elapsed, "rss": mem["VmRSS"] / 1024.0,
                "hwm": mem["VmHWM"] / 1024.0, "anon": mem["RssAnon"] / 1024.0,
                "starts": n / elapsed,
                "cpu_per_1000": 1e6 * cpu_s / n if n else float("nan")}

    def run_now_driver(self, state, stats):
        """Return a tick that sends run-now to the next pipeline, JOBS a second."""
        names = ["p%02d" % i for i in range(1, self.args.jobs + 1)]
        position = [0]

        def tick():
            name = names[position[0] % len(names)]
            position[0] += 1
            answer = bl.control(state, {"command": "run-now", "pipeline": name})
            stats["sent"] = stats.get("sent", 0) + 1
            if not answer.get("ok"):
                stats["rejected"] = stats.get("rejected", 0) + 1
            return 1.0 / len(names)
        return tick

    def start_all(self, state):
        """Start one run of every pipeline now, for the watch phase."""
        for i in range(1, self.args.jobs + 1):
            answer = bl.control(state, {"command": "run-now", "pipeline": "p%02d" % i})
            if not answer.get("ok"):
                raise RuntimeError("run-now p%02d: %s" % (i, answer))

    def wk_phase(self, kind):
        d = self.new_dir("watchkeep-" + kind)
        config, stamps = self.wk_config(d, kind)
        pid, state = self.wk_start(d, config)
        stats = {}
        if kind == "watch":
            self.start_all(state)
        tick = self.run_now_driver(state, stats) if kind == "supervise" else None
        try:
            result = self.window(pid, stamps, tick)
        finally:
            self.reaper.stop(pid)
        result["rejected"] = stats.get("rejected", 0)
        result["dir"] = d
        return result

    def floor_phase(self, sup_dir):
        """Return the CPU ms per start of start_floor in each mode, on a
        copy of the store that the supervising agent left in sup_dir."""
        out = {}
        for mode in FLOOR_MODES:
            d = self.new_dir("floor-" + mode)
            store = os.path.join(d, "store.db")
            shutil.copy(os.path.join(sup_dir, "state", "store.db"), store)
            runs = os.path.join(d, "runs")
            os.makedirs(runs)
            argv = [self.args.floor, store, runs, self.args.stamp,
                    str(self.args.jobs * FLOOR_SECONDS),
                    str(1000 // self.args.jobs), mode]
            line = subprocess.check_output(argv, env=self.env, text=True)
            out[mode] = json.loads(line)["cpu_ms_per_start"]
        return out

    def monit_phase(self, kind, cycle_s):
        d = self.new_dir("monit-%s-%ds" % (kind, cycle_s))
        config, stamps = self.monit_config(d, kind, cycle_s)
        pid = self.monit_start(d, config)
        try:
            result = self.window(pid, stamps)
        finally:
            self.reaper.stop(pid)
        return result

    # Start latency

    def wk_latency(self):
        """Return fork-to-execve, start-to-execve and a-to-b samples in us."""
        load = bl.load_average()
        d = self.new_dir("watchkeep-latency")
        config, stamps = self.wk_config(d, "latency")
        pid, state = self.wk_start(d, config)
        tick = self.run_now_driver(state, {})
        limit = time.monotonic() + 3.0 * self.args.starts / self.args.jobs + 60
        try:
            next_tick = time.monotonic()
            while sum(1 for t, _, _ in read_stamps(stamps) if t.startswith("b:")) < self.args.starts:
                if time.monotonic() > limit:
                    raise TimeoutError("the agent ran fewer than %d runs" % self.args.starts)
                next_tick += tick()
                time.sleep(max(0.0, next_tick - time.monotonic()))
            time.sleep(1.0)
        finally:
            self.reaper.stop(pid)
        fork_exec, start_exec = exec_times(os.path.join(d, "agent.log"))
        return {"fork_exec": fork_exec, "start_exec": start_exec,
                "handoff": handoffs(stamps), "load": load}

    def monit_latency(self):
        """Return the times from the end of a process to the first
        instruction of its restart, and between two restarts in a row, in us."""
        load = bl.load_average()
        d = self.new_dir("monit-latency")
        config, stamps = self.monit_config(d, "latency", 1)
        pid = self.monit_start(d, config)
        jobs = self.args.jobs
        limit = time.monotonic() + 10.0 * self.args.restarts / jobs + 60
        try:
            while count_lines(stamps) - jobs < self.args.restarts:
                if time.monotonic() > limit:
                    break
                time.sleep(0.5)
        finally:
            self.reaper.stop(pid)
            time.sleep(MONIT_PROCESS_LIFE_MS / 1000.0 + 0.5)
            self.reaper.reap()
        by_tag = {}
        rows = read_stamps(stamps)
        for tag, begin, end in rows:
            by_tag.setdefault(tag, []).append((begin, end))
        gaps = []
        for runs in by_tag.values():
            runs.sort()
            for (_, end), (begin, _) in zip(runs, runs[1:]):
                gaps.append((begin - end) / 1000.0)
        starts = sorted(begin for _, begin, _ in rows)
        spacing = [(b - a) / 1000.0 for a, b in zip(starts, starts[1:])]
        return {"gaps": gaps, "spacing": spacing, "load": load}


def fmt(x, digits=2):
    return "n/a" if x != x else "%.*f" % (digits, x)


def ratio(pairs):
    """Return the median over runs of watchkeep / monit, skipping runs where monit is 0."""
    values = [w / m for w, m in pairs if m > 0]
    return bl.median(values) if values else float("nan")


def latency_row(label, runs, key):
    """Format one row: samples, medians over runs of p50 and p99, and max."""
    per_run = [[v / 1000.0 for v in run[key]] for run in runs]
    every = [v for values in per_run for v in values]
    return "| %s | %d | %s | %s | %s |" % (
        label, len(every),
        fmt(bl.median([bl.percentile(v, 50) for v in per_run]), 3),
        fmt(bl.median([bl.percentile(v, 99) for v in per_run]), 3),
        fmt(max(every) if every else float("nan"), 3))


def render_latency(args, wk, monit):
    """Return the lines of the start latency paragraph and table."""
    spacing = [v for run in monit for v in run["spacing"]]
    loads = sorted(float(run["load"]) for run in wk + monit)
    out = [
        "Start latency, measured in each run with the same %d jobs. The agent "
        "runs at log level debug and gets one run-now a second for each "
        "pipeline. For every stage it starts, it logs the time from the "
        "beginning of the stage start (`sup_start` in agent/sup.c: stage "
        "directory, log files, notify socket, environment) and from fork to the "
        "moment it sees execve succeed. %d two-stage runs (`a`, then `b` that "
        "depends on it) give two of those each. The hand-off is the time from "
        "the end time `a` writes just before it exits to the start time `b` "
        "writes first thing in main(): it covers reaping `a`, storing its end, "
        "deciding that `b` may start and starting it. Monit's comparable figure "
        "is the time from the end of a process it watches (`check process` with "
        "a pid file; the process writes its start time, lives %d ms, writes its "
        "end time and exits) to the start time of its restart, %d restarts a "
        "run. Monit notices an exit only at its next cycle (1 s here) and "
        "restarts one process at a time, waiting for each to run before the "
        "next check: the median time between two restarts in a row was %s ms, "
        "so one pass over %d exited processes takes about %d times that. Its "
        "own fork-to-execve time cannot be read from outside without tracing, "
        "which would slow it down, so it is not compared. p50 and p99 are "
        "medians of the per-run values; the load average was %s to %s when "
        "these measurements began."
        % (args.jobs, args.starts, MONIT_PROCESS_LIFE_MS, args.restarts,
           fmt(bl.median(spacing) / 1000.0, 0), args.jobs, args.jobs,
           fmt(loads[0]), fmt(loads[-1])),
        "",
        "| measure | samples | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|",
        latency_row("watchkeep: fork to execve", wk, "fork_exec"),
        latency_row("watchkeep: stage start began to execve", wk, "start_exec"),
        latency_row("watchkeep: end of stage `a` to first instruction of `b`", wk,
                    "handoff"),
        latency_row("monit: end of a watched process to first instruction of "
                    "its restart", monit, "gaps"),
        "",
        "The goal for the stage start is under 2 ms: p99 of the hand-off %s ms, "
        "p99 of fork to execve %s ms."
        % (fmt(bl.median([bl.percentile(r["handoff"], 99) / 1000.0 for r in wk]), 3),
           fmt(bl.median([bl.percentile(r["fork_exec"], 99) / 1000.0 for r in wk]), 3)),
    ]
    return out


ROWS = (("idle", "watchkeep `run`", "wk_idle"),
        ("idle", "monit, `set daemon 1`", "monit_idle_1"),
        ("idle", "monit, `set daemon 30`", "monit_idle_30"),
        ("supervising", "watchkeep `run`, run-now once a second per pipeline", "wk_sup"),
        ("supervising", "monit, `set daemon 1`", "monit_sup"),
        ("watching", "watchkeep `run`, one running stage per pipeline", "wk_watch"),
        ("watching", "monit, `set daemon 1`", "monit_watch_1"),
        ("watching", "monit, `set daemon 30`", "monit_watch_30"))


def render_usage(args, results):
    """Return the lines of the CPU and memory paragraph, table and ratios."""
    out = [
        "%d pipelines against Monit with %d checks, both running the same "
        "command: `bench/stamp.c`, a %s program that appends its start and end "
        "times (CLOCK_MONOTONIC) to a file and exits. Idle: each pipeline has "
        "one stage and the schedule `%s` with `catch_up` `skip`, and each Monit "
        "check is a `check program` with `every \"%s\"`. Supervising: the agent "
        "gets one run-now a second for each pipeline on its control socket, "
        "and Monit runs each `check program` every cycle. The run-now requests "
        "are part of the agent's work: it parses, audits in the store and "
        "answers each. Watching: each pipeline's stage runs through the whole "
        "window (the same program, set to live %g s, with a `timeout` of %s) "
        "and is started once by run-now before the warm-up. Monit watches the "
        "same program with a `check process` and a pid file, and starts it in "
        "its first cycle. CPU is user plus system time of the supervisor alone, "
        "not of the commands it starts, over %g s after %g s of warm-up, in "
        "percent of one core. Memory is read from /proc/PID/status at the end "
        "of the window: RSS (VmRSS), peak (VmHWM) and private (RssAnon; the "
        "rest is pages of shared libraries and the executable). Medians of %d "
        "runs, and in each run the systems ran one after the other. The agent "
        "logs at level info. watchkeep: %s."
        % (args.jobs, args.jobs, args.stamp_linking, YEARLY, YEARLY,
           args.warmup + args.seconds + 3.0, WATCH_TIMEOUT, args.seconds,
           args.warmup, args.runs, args.build),
        "",
        "| state | system | CPU (% of a core) | RSS (MiB) | peak RSS (MiB) "
        "| private RSS (MiB) | starts/s | CPU ms per 1,000 starts |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for state, label, key in ROWS:
        med = {k: bl.median([r[k] for r in results[key]]) for k in METRICS}
        per_start = fmt(med["cpu_per_1000"], 0) if state == "supervising" else ""
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            state, label, fmt(med["cpu"]), fmt(med["rss"], 1), fmt(med["hwm"], 1),
            fmt(med["anon"], 1), fmt(med["starts"], 1), per_start))

    def ratio_of(a, b, k):
        return fmt(ratio(list(zip([r[k] for r in results[a]], [r[k] for r in results[b]]))))
    rejected = sum(r["rejected"] for r in results["wk_sup"])
    out += [
        "",
        "watchkeep / monit at `set daemon 1`, medians of the per-run ratios: idle "
        "CPU %s (against `set daemon 30`: %s), idle RSS %s, idle private RSS %s; "
        "supervising CPU %s, CPU per start %s, RSS %s, private RSS %s; watching "
        "CPU %s (against `set daemon 30`: %s), RSS %s, private RSS %s. The goal "
        "is less CPU and RSS than Monit, that is ratios below 1. The agent "
        "rejected %d of the run-now requests because the pipeline's previous "
        "run was still in progress."
        % (ratio_of("wk_idle", "monit_idle_1", "cpu"),
           ratio_of("wk_idle", "monit_idle_30", "cpu"),
           ratio_of("wk_idle", "monit_idle_1", "rss"),
           ratio_of("wk_idle", "monit_idle_1", "anon"),
           ratio_of("wk_sup", "monit_sup", "cpu"),
           ratio_of("wk_sup", "monit_sup", "cpu_per_1000"),
           ratio_of("wk_sup", "monit_sup", "rss"),
           ratio_of("wk_sup", "monit_sup", "anon"),
           ratio_of("wk_watch", "monit_watch_1", "cpu"),
           ratio_of("wk_watch", "monit_watch_30", "cpu"),
           ratio_of("wk_watch", "monit_watch_1", "rss"),
           ratio_of("wk_watch", "monit_watch_1", "anon"), rejected),
    ]
    return out


def render_floor(args, results):
    """Return the paragraph on the floor of a start."""
    floor = {m: bl.median([r[m] for r in results["floor"]]) for m in FLOOR_MODES}
    agent = bl.median([r["cpu_per_1000"] for r in results["wk_sup"]]) / 1000.0
    monit = bl.median([r["cpu_per_1000"] for r in results["monit_sup"]]) / 1000.0
    return [
        "The floor of a start: `bench/start_floor.c`, in the same runs and at "
        "the same pace (%d starts, one every %d ms, on a copy of the agent's "
        "store), does what the stage contract and the store ask of each start "
        "and nothing else: the audit, run and stage rows in one transaction, "
        "the run and stage directories, a notify socket, two pipes, vfork and "
        "execve, the start time from /proc, then the end rows in a second "
        "transaction. It has no event loop, control socket, log or timer. "
        "CPU ms per start, medians of %d runs:" % (
            args.jobs * FLOOR_SECONDS, 1000 // args.jobs, args.runs),
        "",
        "| work per start | CPU ms per start |",
        "|---|---:|",
        "| floor: contract and store | %s |" % fmt(floor["full"], 3),
        "| floor without the two transactions | %s |" % fmt(floor["no-store"], 3),
        "| floor without the two directories | %s |" % fmt(floor["no-dirs"], 3),
        "| watchkeep `run` (supervising row) | %s |" % fmt(agent, 3),
        "| monit, `set daemon 1` (supervising row) | %s |" % fmt(monit, 3),
        "",
        "The floor is %s times Monit's CPU per start: the two transactions cost "
        "about %s ms and the two directories about %s ms of it. The agent's "
        "own part (event loop, control request, logs, timers) is the rest, "
        "about %s ms." % (
            fmt(floor["full"] / monit), fmt(floor["full"] - floor["no-store"], 3),
            fmt(floor["full"] - floor["no-dirs"], 3), fmt(agent - floor["full"], 3)),
    ]


def render(args, results):
    """Return the section's text."""
    monit = bl.first_line(["monit", "-V"]).replace("This is Monit version", "Monit")
    out = render_usage(args, results)
    out.append("")
    out += render_floor(args, results)
    out.append("")
    out += render_latency(args, results["wk_latency"], results["monit_latency"])
    out += [
        "",
        "Command: `%s`.  " % args.command,
        "Machine: %s; %s; load average %s at the end.  "
        % (bl.machine(), monit, bl.load_average()),
        "Date: %s." % bl.today(),
    ]
    return "\n".join(out) + "\n"


def main():
    args = parse_args()
    bl.exit_on_sigterm()
    bench = Bench(args)
    phases = (
        ("wk_idle", "watchkeep idle", lambda: bench.wk_phase("idle")),
        ("monit_idle_1", "monit idle, cycle 1 s", lambda: bench.monit_phase("idle", 1)),
        ("monit_idle_30", "monit idle, cycle 30 s", lambda: bench.monit_phase("idle", 30)),
        ("wk_sup", "watchkeep supervising", lambda: bench.wk_phase("supervise")),
        ("floor", "floor of a start",
         lambda: bench.floor_phase(results["wk_sup"][-1]["dir"])),
        ("monit_sup", "monit supervising", lambda: bench.monit_phase("supervise", 1)),
        ("wk_watch", "watchkeep watching", lambda: bench.wk_phase("watch")),
        ("monit_watch_1", "monit watching, cycle 1 s",
         lambda: bench.monit_phase("watch", 1)),
        ("monit_watch_30", "monit watching, cycle 30 s",
         lambda: bench.monit_phase("watch", 30)),
        ("wk_latency", "watchkeep start latency", bench.wk_latency),
        ("monit_latency", "monit restart latency", bench.monit_latency))
    results = {key: [] for key, _, _ in phases}
    for run in range(1, args.runs + 1):
        for key, what, call in phases:
            print("supervise: run %d of %d: %s" % (run, args.runs, what), file=sys.stderr)
            results[key].append(call())
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f)
    body = render(args, results)
    print(bl.write_section(args.doc, "supervise", "Supervision against Monit", body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
