#!/usr/bin/env python3
"""Fills a store with 30 days of history for bench/tui.sh.

Usage: tui_gen.py STORE [DAYS]

STORE must exist with the current schema (bench/tui.sh creates it with
`watchkeep run --once`). Adds, for the pipeline and SLOs of
bench/tui.json: one run an hour with five stages, 40 log lines a stage
run (error lines and signatures in the failed ones), one result every
30 seconds of three probes, the SLO evaluations the agent keeps (every
minute of the last two days, every hour before) and 500 alerts, 6 of
them firing. Durations grow over the days, so that the forecasts have a
trend to fit. The random generator has a fixed seed.
"""
import json
import random
import sqlite3
import sys

MINUTE = 60000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
STAGES = ["ingest", "features", "train", "predict", "export"]
BASE_MS = {"ingest": 40000, "features": 120000, "train": 600000,
           "predict": 60000, "export": 20000}
PROBES = ["scores-api", "warehouse-db", "audience-file"]
SLOS = ["churn-success", "train-20m", "scores-api-up", "warehouse-up"]


def add_runs(db, rng, now, days):
    start = now - days * DAY
    run_at = start - start % HOUR
    sig_ids = {}
    while run_at < now - HOUR:
        age_days = (now - run_at) / DAY
        failed_stage = rng.choice(STAGES) if rng.random() < 0.05 else None
        cur = db.execute(
            "INSERT INTO runs (pipeline, logical_date, trigger, state, "
            "started_at, ended_at, duration_ms, reason) VALUES "
            "('churn', date(?/1000, 'unixepoch'), 'schedule', ?, ?, 0, 0, ?)",
            (run_at, "failed" if failed_stage else "succeeded", run_at,
             "stage %s failed" % failed_stage if failed_stage else None))
        run_id = cur.lastrowid
        t = run_at
        state = "succeeded"
        for stage in STAGES:
            if state != "succeeded":
                db.execute("INSERT INTO stage_runs (run_id, stage, attempt, "
                           "state, reason) VALUES (?, ?, 1, 'not_run', "
                           "'dependency failed')", (run_id, stage))
                continue
            growth = 1 + (days - age_days) * 0.01
            ms = int(BASE_MS[stage] * growth * rng.uniform(0.9, 1.1))
            state = "failed" if stage == failed_stage else "succeeded"
            cur = db.execute(
                "INSERT INTO stage_runs (run_id, stage, attempt, state, pid, "
                "started_at, ended_at, duration_ms, exit_code, signal, "
                "user_cpu_ms, sys_cpu_ms, max_rss_kb, reason, progress) "
                "VALUES (?, ?, 1, ?, 1000, ?, ?, ?, ?, 0, ?, ?, 50000, ?, 1)",
                (run_id, stage, state, t, t + ms, ms,
                 0 if state == "succeeded" else 3, ms // 2, ms // 20,
                 "exit status 3" if state == "failed" else None))
            add_lines(db, cur.lastrowid, t, ms, state == "failed", sig_ids,
                      stage)
            t += ms
        db.execute("UPDATE runs SET ended_at = ?, duration_ms = ? "
                   "WHERE id = ?", (t, t - run_at, run_id))
        run_at += HOUR


def add_lines(db, stage_run_id, t, ms, failed, sig_ids, stage):
    rows = []
    for i in range(1, 41):
        rows.append((stage_run_id, 1, i, t + ms * i // 40,
                     "processed block %d of 40 (%d rows)" % (i, i * 1000), 0))
    if failed:
        for i in range(1, 4):
            rows.append((stage_run_id, 2, i, t + ms,
                         "ERROR matrix is singular at column %d" % i, 1))
        key = (stage, "ERROR matrix is singular at column <n>")
        if key not in sig_ids:
            sig_ids[key] = db.execute(
                "INSERT INTO log_signatures (pipeline, stage, signature, "
                "count, first_seen, last_seen, sample, last_stage_run_id) "
                "VALUES ('churn', ?, ?, 0, ?, ?, ?, ?)",
                (stage, key[1], t, t, rows[-1][4], stage_run_id)).lastrowid
        db.execute("UPDATE log_signatures SET count = count + 3, "
                   "last_seen = ?, last_stage_run_id = ? WHERE id = ?",
                   (t + ms, stage_run_id, sig_ids[key]))
        db.execute("INSERT INTO log_signature_hits VALUES (?, ?, 3, ?, ?)",
                   (sig_ids[key], stage_run_id, t + ms, t + ms))
    db.executemany("INSERT INTO log_lines (stage_run_id, stream, line_no, "
                   "at, text, is_error) VALUES (?, ?, ?, ?, ?, ?)", rows)


def add_probes(db, rng, now, days):
    for probe in PROBES:
        rows = []
        at = now - days * DAY
        while at < now:
            ok = rng.random() > 0.01
            rows.append((probe, at, int(ok),
                         rng.uniform(5, 80) if ok else None,
                         None if ok else "timed out after 10s"))
            at += 30000
        db.executemany("INSERT INTO probe_results VALUES (?, ?, ?, ?, ?)",
                       rows)
        db.execute("INSERT OR REPLACE INTO probe_state VALUES "
                   "(?, 'exec', 'up', ?, ?, 1, ?, 'exit status 0')",
                   (probe, now - days * DAY, rows[-1][1], 12.5))


def add_evaluations(db, rng, now, days):
    last = now // MINUTE
    for slo in SLOS:
        rows = []
        minute = last - days * 1440
        minute -= minute % 60
        while minute <= last:
            if minute < last - 2 * 1440 and minute % 60 != 0:
                minute += 1
                continue
            left = 1 - (minute - (last - days * 1440)) / (days * 1440) * 0.6
            burns = [rng.uniform(0, 2) for _ in range(7)]
            rows.append((slo, minute, "ok", 700, 720, 700 / 720, 36.0,
                         20.0, left, *burns, None))
            minute += 1
        db.executemany("INSERT OR REPLACE INTO slo_evaluations VALUES "
                       "(%s)" % ", ".join("?" * 17), rows)


def add_alerts(db, rng, now):
    for i in range(500):
        firing = i >= 494
        at = now - (500 - i) * HOUR
        labels = json.dumps({"pipeline": "churn", "run": str(i + 1),
                             "stage": rng.choice(STAGES)})
        db.execute(
            "INSERT INTO alerts (fingerprint, source, severity, labels, "
            "summary, details, link, state, active_since, fired_at, "
            "resolved_at, updated_at) VALUES (?, 'stage_failed', ?, ?, ?, "
            "?, '/runs', ?, ?, ?, ?, ?)",
            ("%016x" % rng.getrandbits(64),
             "page" if i % 3 == 0 else "ticket", labels,
             "stage failed in run %d: exit status 3" % (i + 1),
             "ERROR matrix is singular at column 1\nERROR giving up",
             "firing" if firing else "resolved", at, at,
             None if firing else at + HOUR, at))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: tui_gen.py STORE [DAYS]")
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    db = sqlite3.connect(sys.argv[1])
    rng = random.Random(42)
    now = int(db.execute("SELECT CAST(strftime('%s','now') AS INTEGER)"
                         ).fetchone()[0]) * 1000
    with db:
        add_runs(db, rng, now, days)
        add_probes(db, rng, now, days)
        add_evaluations(db, rng, now, days)
        add_alerts(db, rng, now)
    counts = {t: db.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
              for t in ("runs", "stage_runs", "log_lines", "probe_results",
                        "slo_evaluations", "alerts")}
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
