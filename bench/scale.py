#!/usr/bin/python3
"""Ingest and features at scale, and training speed, against the tools a
data team would use instead.

The scale part generates CDNOW-shaped logs (churn generate --shape cdnow)
of about 10 M and 100 M events and computes the per-user features of
`churn features` at one cutoff three ways from the same CSV: churn
ingest + churn features, DuckDB (@duckdb/node-api, 2 threads, installed
with npm into the work directory) and pandas (Debian's python3-pandas).
It checks that all three find the same users, churned users and events,
and records wall time and peak resident memory (/usr/bin/time -v).

The training part fits one logistic regression at a fixed C and the
gradient-boosted trees on about 1 M users x 30 features (--feature-set
extended), with churn train and with scikit-learn on the same fit and
holdout users.

Both write their tables into docs/benchmarks.md between their markers.
Usage: see bench/scale.sh.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

SCALE_BEGIN, SCALE_END = "<!-- scale:begin -->", "<!-- scale:end -->"
TRAIN_BEGIN, TRAIN_END = "<!-- training:begin -->", "<!-- training:end -->"
DAYS = 5460          # days of the generated logs: about 7.7 events a user
CUTOFF = "2004-06-30"
HORIZON_DAYS = 365
TRAIN_CUTOFF = "2003-06-30"
TRAIN_C = 0.1
HERE = os.path.dirname(os.path.abspath(__file__))
# Sources whose change can change the bytes `churn generate` writes.
GENERATOR_SOURCES = ("pipeline/gen.c", "pipeline/gen.h", "pipeline/genrand.c",
                     "pipeline/genrand.h")


def fail(message):
    sys.exit("scale.py: " + message)


def timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time -v; returns seconds, peak KiB, stdout."""
    rss_file = os.path.join(ARGS.work, "time.out")
    start = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-v", "-o", rss_file] + cmd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, cwd=cwd)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(cmd), done.returncode,
                                   done.stderr[-2000:]))
    with open(rss_file) as f:
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                            f.read()).group(1))
    return seconds, rss, done.stdout


def machine():
    """The CPU model, logical CPUs, memory, OS and the load average."""
    cpu, mem = "unknown CPU", 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1048576.0
    return {"cpu": cpu, "nproc": os.cpu_count() or 0, "mem_gib": mem,
            "os": "%s %s" % (platform.system(), platform.release())}


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def mem_available_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1048576.0
    return 0.0


def generator_params(users):
    """Returns the generator options and a SHA-256 digest of the generator
    sources, the inputs that decide the bytes of a generated log."""
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        with open(os.path.join(HERE, "..", name), "rb") as f:
            digest.update(f.read())
    return {"shape": "cdnow", "users": users, "days": DAYS, "seed": 1,
            "generator_sha256": digest.hexdigest()}


def reusable(path, params):
    """Tells whether path was written with params and is still whole."""
    try:
        with open(path + ".params") as f:
            stored = json.load(f)
    except (OSError, ValueError):
        return False
    return (stored.get("params") == params and os.path.exists(path) and
            os.path.getsize(path) == stored.get("bytes"))


def save_params(path, params, rows):
    with open(path + ".params", "w") as f:
        json.dump({"params": params, "rows": rows,
                   "bytes": os.path.getsize(path)}, f)


def generate(users, path):
    """Writes the CDNOW-shaped log unless the work directory contains one of
    the same options and generator sources; returns its rows.

    `churn generate` writes the same bytes for the same options (checked
    with two runs of 1.3 M users, Release and Debug builds), so a log is
    reused when its .params file matches and its size is unchanged."""
    params = generator_params(users)
    if not reusable(path, params):
        _, _, out = timed([ARGS.churn, "generate", "--shape", "cdnow",
                           "--users", str(users), "--days", str(DAYS),
                           "--seed", "1", "--output", path])
        rows = int(re.search(r"(\d+) events", out).group(1))
        save_params(path, params, rows)
    with open(path + ".params") as f:
        return json.load(f)["rows"]


def sort_by_time(src, dst):
    """Writes src sorted by its date column (stable), as a log in time
    order, unless dst was sorted from a log of the same parameters."""
    with open(src + ".params") as f:
        source = json.load(f)
    params = dict(source["params"], sorted_by="date")
    if reusable(dst, params):
        return
    with open(dst, "w") as out:
        with open(src) as f:
            out.write(f.readline())
        out.flush()
        subprocess.run(["sh", "-c", 'tail -n +2 "$0" | LC_ALL=C sort -t, '
                        '-k2,2 -s -S 1G -T "$1"', src, ARGS.work],
                       stdout=out, check=True)
    save_params(dst, params, source["rows"])


def frequency_sum(path):
    """Sums the frequency column (the fourth) of a feature CSV."""
    done = subprocess.run(["awk", "-F,", "NR > 1 { s += $4 } END "
                           "{ printf \"%d\", s }", path],
                          stdout=subprocess.PIPE, text=True, check=True)
    return int(done.stdout)


def run_churn(csv):
    """churn ingest and churn features; returns the measurements."""
    events = os.path.join(ARGS.work, "events.wkev")
    feats = os.path.join(ARGS.work, "churn_features.csv")
    t1, r1, _ = timed([ARGS.churn, "ingest", "--input", csv, "--format",
                       "csv", "--user-column", "customer_id",
                       "--time-column", "date", "--time-format", "yyyymmdd",
                       "--value-column", "dollar_value", "--output", events])
    t2, r2, out = timed([ARGS.churn, "features", "--events", events,
                         "--cutoff", CUTOFF, "--horizon",
                         "%dd" % HORIZON_DAYS, "--output", feats])
    m = re.search(r"features: (\d+) users, (\d+) churned", out)
    return {"seconds": t1 + t2, "rss": max(r1, r2), "ingest": t1,
            "features": t2, "ingest_rss": r1, "features_rss": r2,
            "users": int(m.group(1)), "churned": int(m.group(2)),
            "output": feats}


def run_duckdb(csv):
    out = os.path.join(ARGS.work, "duckdb_features.csv")
    seconds, rss, text = timed(["node", "scale_duckdb.mjs", csv, out, CUTOFF,
                                str(HORIZON_DAYS), "2"], cwd=DUCKDB_DIR)
    res = json.loads(text.strip().splitlines()[-1])
    res.update({"seconds": seconds, "rss": rss})
    os.unlink(out)
    return res


def run_pandas(csv):
    out = os.path.join(ARGS.work, "pandas_features.csv")
    seconds, rss, text = timed(["/usr/bin/python3",
                                os.path.join(HERE, "scale_pandas.py"), csv,
                                out, CUTOFF, str(HORIZON_DAYS)])
    res = json.loads(text.strip().splitlines()[-1])
    res.update({"seconds": seconds, "rss": rss})
    os.unlink(out)
    return res


def install_duckdb():
    """Installs @duckdb/node-api with npm into the work directory."""
    global DUCKDB_DIR
    DUCKDB_DIR = os.path.join(ARGS.work, "duckdb")
    os.makedirs(DUCKDB_DIR, exist_ok=True)
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node or npm is not installed"
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                           "--prefix", DUCKDB_DIR, "@duckdb/node-api"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if done.returncode != 0:
        return "npm install @duckdb/node-api failed: %s" % \
            done.stdout.strip().splitlines()[-1:]
    shutil.copy(os.path.join(HERE, "scale_duckdb.mjs"), DUCKDB_DIR)
    return None


def median_run(fn, csv, runs):
    """Runs fn runs times; returns the run of median wall time."""
    results = sorted((fn(csv) for _ in range(runs)),
                     key=lambda r: r["seconds"])
    best = dict(results[len(results) // 2])
    best["runs"] = runs
    best["all"] = [r["seconds"] for r in results]
    return best


def check_same(name, ours, theirs):
    for key in ("users", "churned", "frequency"):
        if ours[key] != theirs[key]:
            fail("%s found %s %s, churn %s" % (name, key, theirs[key],
                                               ours[key]))


def measure_log(label, csv, rows, runs, duck_error, with_pandas):
    """Measures one log with every system; returns the table rows."""
    rows_out = []
    ours = median_run(run_churn, csv, runs)
    ours["frequency"] = frequency_sum(ours["output"])
    rows_out.append((label, "churn ingest + features", ours))
    if duck_error is None and mem_available_gib() < 12:
        duck_error = "not run: less than 12 GiB of memory available"
    if duck_error is None:
        duck = median_run(run_duckdb, csv, runs)
        check_same("DuckDB", ours, duck)
        rows_out.append((label, "DuckDB %s, 2 threads" % duck["version"],
                         duck))
    else:
        rows_out.append((label, "DuckDB", {"error": duck_error}))
    if with_pandas:
        pand = median_run(run_pandas, csv, runs)
        check_same("pandas", ours, pand)
        rows_out.append((label, "pandas %s, %d partitions" % (
            pand["version"], pand["partitions"]), pand))
    for _, _, r in rows_out:
        r["rows"] = rows
    return rows_out


def format_scale_table(results):
    lines = ["| log | system | runs | wall time (s) | events/s | "
             "peak RSS (MiB) | time / churn's | memory / churn's |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    ours = None
    for label, system, r in results:
        if "error" in r:
            lines.append("| %s | %s | | %s | | | | |" % (label, system,
                                                       r["error"]))
            continue
        if system.startswith("churn"):
            ours = r
        lines.append("| %s | %s | %d | %.2f | %s | %.0f | %.1fx | %.1fx |" % (
            label, system, r["runs"], r["seconds"],
            "{:,.0f}".format(r["rows"] / r["seconds"]), r["rss"] / 1024.0,
            r["seconds"] / ours["seconds"], r["rss"] / float(ours["rss"])))
    return lines


def goal_line(results):
    """States the goal and how the largest log measured against it."""
    ours = duck = None
    for label, system, r in results:
        if "error" in r:
            continue
        if system.startswith("churn"):
            ours, duck = (label, r), None
        elif system.startswith("DuckDB"):
            duck = (label, r)
    text = "Goal: 5 times DuckDB's speed in a quarter of its memory."
    if ours is None or duck is None:
        return text
    return text + (" On the last log measured (%s) churn took %.2f of "
                   "DuckDB's time (%.1fx its speed) and %.2f of its memory: "
                   "the speed goal is %s, the memory goal %s." % (
                       ours[0], ours[1]["seconds"] / duck[1]["seconds"],
                       duck[1]["seconds"] / ours[1]["seconds"],
                       ours[1]["rss"] / float(duck[1]["rss"]),
                       "met" if duck[1]["seconds"] >= 5 * ours[1]["seconds"]
                       else "not met",
                       "met" if 4 * ours[1]["rss"] <= duck[1]["rss"]
                       else "not met"))


def format_stages(results):
    lines = ["| log | ingest (s) | features (s) | ingest peak RSS (MiB) | "
             "features peak RSS (MiB) | users | churned |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, system, r in results:
        if system.startswith("churn"):
            lines.append("| %s | %.2f | %.2f | %.0f | %.0f | %s | %s |" % (
                label, r["ingest"], r["features"], r["ingest_rss"] / 1024.0,
                r["features_rss"] / 1024.0, "{:,}".format(r["users"]),
                "{:,}".format(r["churned"])))
    return lines


def machine_line(m, loads):
    return ("Machine: %s, %d logical CPUs (nproc), %.0f GiB of memory, %s; "
            "load average %s at the start and %s at the end." % (
                m["cpu"], m["nproc"], m["mem_gib"], m["os"], loads[0],
                loads[1]))


def write_section(begin, end, body):
    """Replaces the text between begin and end in the docs file."""
    path = ARGS.docs
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = begin + "\n" + body.rstrip("\n") + "\n" + end
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def scale_part():
    small_csv = os.path.join(ARGS.work, "cdnow_small.csv")
    large_csv = os.path.join(ARGS.work, "cdnow_large.csv")
    timed_csv = os.path.join(ARGS.work, "cdnow_small_by_time.csv")
    loads = [load_average()]
    duck_error = install_duckdb()
    small = generate(ARGS.small_users, small_csv)
    sort_by_time(small_csv, timed_csv)
    results = []
    results += measure_log("%s rows, grouped by user" %
                           "{:,}".format(small), small_csv, small,
                           ARGS.runs, duck_error, True)
    results += measure_log("%s rows, in time order" % "{:,}".format(small),
                           timed_csv, small, ARGS.runs, duck_error, False)
    if not ARGS.skip_large:
        large = generate(ARGS.large_users, large_csv)
        results += measure_log(
            "%s rows, grouped by user" % "{:,}".format(large), large_csv,
            large, 1, duck_error, True)
    loads.append(load_average())
    print("\n".join(format_scale_table(results)))
    body = scale_doc(results, loads, duck_error)
    write_section(SCALE_BEGIN, SCALE_END, body)


def scale_doc(results, loads, duck_error):
    import scale_pandas
    m = machine()
    text = [
        "## Ingest and features at scale", "",
        "The per-user features of `churn features` at the cutoff %s with a "
        "%d-day horizon: the 14 base features and the label of every user "
        "with an event by the cutoff, from the rows left after equal rows "
        "(user, day, value) are dropped. churn computes them in its two "
        "stages, `churn ingest` (parse, check, quarantine, duplicates, "
        "event file) and `churn features` (one CSV), each writing its "
        "output atomically with fsync. DuckDB and pandas compute the same "
        "columns from the same CSV and write one CSV. DuckDB runs one query "
        "(`bench/scale_duckdb.mjs`). pandas (`bench/scale_pandas.py`) runs "
        "the same way on every log, with its memory bounded as for a log "
        "larger than memory: it reads the CSV in chunks of %s rows with "
        "integer user ids (the generated ids are zero-padded numbers) and "
        "dates, appends every row to one of P binary "
        "partition files on disk by user id modulo P, with one partition "
        "per %d MiB of CSV (P is shown beside pandas), then loads one "
        "partition at a time, computes its users' features with groupby "
        "queries and appends them to its CSV. All events of a user "
        "are in one partition, so the features are those of the whole "
        "log. The users, churned users and summed frequencies of the three "
        "outputs are checked to be equal." % (
            CUTOFF, HORIZON_DAYS, "{:,}".format(scale_pandas.CHUNK_ROWS),
            scale_pandas.PARTITION_BYTES >> 20), "",
        "The logs come from `churn generate --shape cdnow --days %d "
        "--seed 1` (about 7.7 events a user, 24 bytes a row), with "
        "`--users %d` and `--users %d`. The generator writes users one "
        "after the other, so its logs are grouped by user; the copy in "
        "time order is the same rows sorted by date (GNU sort, stable), "
        "which churn reads twice (`docs/pipeline.md`). Wall time and peak "
        "RSS come from `/usr/bin/time -v`; churn's are the sums and the "
        "larger of its two stages, DuckDB's include node. The time is the "
        "median of the runs shown." % (DAYS, ARGS.small_users,
                                       ARGS.large_users), "",
    ]
    text += format_scale_table(results)
    text += ["", goal_line(results)]
    text += ["", "churn's stages:", ""] + format_stages(results)
    text += ["", "Command: `%s`.  " % ARGS.command,
             machine_line(m, loads) + "  ",
             "churn: %s.  " % ARGS.build,
             "Date: %s." % datetime.date.today().isoformat()]
    if duck_error is not None:
        text.append("")
        text.append("DuckDB could not be installed: %s." % duck_error)
    return "\n".join(text) + "\n"


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--churn", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small-users", type=int, default=1300000)
    ap.add_argument("--large-users", type=int, default=13000000)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--parts", default="scale,training")
    ap.add_argument("--command", default="bench/scale.sh")
    ap.add_argument("--build", default="a Release build")
    ARGS = ap.parse_args()
    parts = ARGS.parts.split(",")
    if "scale" in parts:
        scale_part()
    if "training" in parts:
        import scale_training
        scale_training.run(ARGS, timed, generate, machine, machine_line,
                           load_average, write_section)
    return 0


ARGS = None
DUCKDB_DIR = None

if __name__ == "__main__":
    sys.exit(main())
