"""Helpers shared by bench/supervise.py and bench/alerts.py.

Process start and stop by pid, /proc readers for CPU time and memory, the
agent's control socket, percentiles, the machine description and the
section writer for docs/benchmarks.md.
"""
import datetime
import json
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def exit_on_sigterm():
    """Turn SIGTERM into SystemExit, so that finally blocks stop what was started."""
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(128 + signo))


def spawn(argv, stdout_path, stderr_path, env=None):
    """Start argv with stdout and stderr to files; return its pid."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout_path,
         os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, stderr_path,
         os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
    ]
    return os.posix_spawnp(argv[0], argv, env if env is not None else os.environ,
                           file_actions=actions)


class Reaper:
    """Reaps every child, own or orphaned, and keeps the statuses of own ones.

    With as_subreaper, processes that a started program leaves behind (a
    daemon forked by monit's start program) are re-parented here instead of
    to pid 1, and are reaped at once, as init would.
    """

    def __init__(self, as_subreaper=False):
        self.exited = {}
        if as_subreaper:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_child_subreaper = 36
            if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        signal.signal(signal.SIGCHLD, lambda signo, frame: self.reap())

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.exited[pid] = status

    def stop(self, pid, timeout=40.0):
        """Send SIGTERM to pid and wait for it; SIGKILL after timeout."""
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while pid not in self.exited and time.monotonic() < deadline:
            time.sleep(0.05)
            self.reap()
        if pid not in self.exited:
            os.kill(pid, signal.SIGKILL)
            while pid not in self.exited:
                time.sleep(0.05)
                self.reap()
        return self.exited.pop(pid)


def cpu_ticks(pid):
    """User plus system time of pid so far, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def memory_kib(pid):
    """VmRSS, VmHWM and RssAnon of pid, in KiB."""
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon"):
                values[key] = int(rest.split()[0])
    return values


def control(state_dir, request, timeout=10.0):
    """Send one request to the agent's control socket and return its response."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(os.path.join(state_dir, "control.sock"))
        s.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def wait_for(predicate, timeout, what):
    """Poll predicate every 10 ms until it is true; raise after timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.01)


def percentile(values, p):
    """Nearest-rank percentile: the smallest value with p % at or below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return float("nan")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def first_line(argv):
    """Return the first line argv prints, or "?"."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


def machine():
    """Describe the machine: CPU model, logical CPUs, memory, kernel, distribution."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    debian = "?"
    if os.path.exists("/etc/debian_version"):
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    return "%s, %d logical CPUs (nproc), %.0f GiB of memory, Linux %s, Debian %s" % (
        cpu, len(os.sched_getaffinity(0)), mem_kib / 1048576.0,
        platform.release(), debian)


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def write_section(doc, name, title, body):
    """Replace the text between the name markers of doc, or append it."""
    begin, end = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
    block = "%s\n## %s\n\n%s\n%s" % (begin, title, body.rstrip("\n"), end)
    text = "# Benchmarks\n"
    if os.path.exists(doc):
        with open(doc) as f:
            text = f.read()
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end),
                      lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)
    return block
