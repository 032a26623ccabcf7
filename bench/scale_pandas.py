#!/usr/bin/python3
"""The per-user features of `churn features` at one cutoff, in pandas.

Reads a CDNOW-shaped CSV (customer_id,date,number_of_cds,dollar_value,
date as YYYYMMDD), counts rows equal in user, day and value once, as
churn ingest drops them, and writes the 14 features and the label of
every user with an event on or before the cutoff. Prints one JSON line
with the users, the churned users, the sum of frequency, the seconds,
the partitions and the pandas version, for bench/scale.py.

Memory is bounded by reading in two passes, as one would for a log
larger than memory. The first pass reads the CSV in chunks of
CHUNK_ROWS rows with compact dtypes (integer user ids and dates, float64
values) and appends each row to one of P binary partition files by
user id modulo P, with P chosen so a partition gets about
PARTITION_BYTES of CSV. Every event of a user thus lands in one
partition. The second pass loads one partition at a time, computes the
features of its users with one set of groupby queries, and appends them
to the output. Output rows are in partition order, sorted by user id
within a partition.

Usage: scale_pandas.py CSV OUTPUT CUTOFF HORIZON_DAYS
"""
import json
import math
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import pandas as pd

COLUMNS = ["label", "recency_days", "frequency", "monetary", "active_days",
           "tenure_days", "mean_gap_days", "max_gap_days", "recent_events",
           "previous_events", "activity_ratio", "avg_value",
           "events_per_active_day", "recent_value", "max_value"]
CHUNK_ROWS = 2_000_000          # CSV rows parsed at once
PARTITION_BYTES = 128 << 20     # bytes of CSV a partition is sized for
ID_WIDTH = 5                    # digits of the generator's zero-padded ids
EVENT = np.dtype([("u", "<i8"), ("d", "<i4"), ("v", "<f8")])


def to_days(yyyymmdd):
    """Converts YYYYMMDD integers to days since 1970-01-01 (int32)."""
    years = (yyyymmdd // 10000 - 1970).astype("datetime64[Y]")
    months = years.astype("datetime64[M]") + \
        (yyyymmdd // 100 % 100 - 1).astype("timedelta64[M]")
    days = months.astype("datetime64[D]") + \
        (yyyymmdd % 100 - 1).astype("timedelta64[D]")
    return days.astype(np.int64).astype(np.int32)


def partition(path, parts, tmp):
    """Splits the log into parts binary files by user id; returns them."""
    names = [os.path.join(tmp, "part%03d.bin" % p) for p in range(parts)]
    files = [open(name, "wb") for name in names]
    # NOTE: the ids are parsed as integers, so "007" and "7" would be one
    # user; the generator writes every id as one zero-padded number.
    reader = pd.read_csv(path, usecols=["customer_id", "date",
                                        "dollar_value"],
                         dtype={"customer_id": np.int64, "date": np.int32,
                                "dollar_value": np.float64},
                         chunksize=CHUNK_ROWS)
    for chunk in reader:
        rows = np.empty(len(chunk), dtype=EVENT)
        rows["u"] = chunk["customer_id"].to_numpy()
        rows["d"] = to_days(chunk["date"].to_numpy())
        rows["v"] = chunk["dollar_value"].to_numpy()
        part = rows["u"] % parts
        order = np.argsort(part, kind="stable")
        ends = np.cumsum(np.bincount(part, minlength=parts))
        for p, piece in enumerate(np.split(rows[order], ends[:-1])):
            piece.tofile(files[p])
    for f in files:
        f.close()
    return names


def read_events(name):
    """Returns the distinct (user, day number, value) rows of a partition."""
    rows = np.fromfile(name, dtype=EVENT)
    ev = pd.DataFrame({"u": rows["u"], "d": rows["d"].astype(np.int64),
                       "v": rows["v"]})
    return ev.drop_duplicates()


def day_features(obs):
    """Active days, the longest gap, and the first and last day a user."""
    days = obs[["u", "d"]].drop_duplicates().sort_values(["u", "d"])
    days["gap"] = days.groupby("u").d.diff()
    return days.groupby("u").agg(active_days=("d", "size"),
                                 max_gap=("gap", "max"),
                                 first_d=("d", "min"), last_d=("d", "max"))


def features(ev, cutoff, horizon):
    """Returns one row a user observed by the cutoff day."""
    obs = ev[ev.d <= cutoff]
    recent = obs.d > cutoff - 30
    previous = (obs.d > cutoff - 60) & (obs.d <= cutoff - 30)
    obs = obs.assign(recent=recent.astype(np.int64),
                     previous=previous.astype(np.int64),
                     rv=np.where(recent, obs.v, 0.0))
    f = obs.groupby("u").agg(frequency=("v", "size"), monetary=("v", "sum"),
                             max_value=("v", "max"),
                             recent_events=("recent", "sum"),
                             previous_events=("previous", "sum"),
                             recent_value=("rv", "sum"))
    f = f.join(day_features(obs))
    seen = ev[(ev.d > cutoff) & (ev.d <= cutoff + horizon)].u.unique()
    f["label"] = (~f.index.isin(seen)).astype(np.int64)
    f["recency_days"] = cutoff - f.last_d
    f["tenure_days"] = cutoff - f.first_d
    f["mean_gap_days"] = np.where(
        f.active_days > 1,
        (f.last_d - f.first_d) / (f.active_days - 1).clip(lower=1), 0.0)
    f["max_gap_days"] = f.max_gap.fillna(0)
    f["activity_ratio"] = (f.recent_events + 1) / (f.previous_events + 1)
    f["avg_value"] = f.monetary / f.frequency
    f["events_per_active_day"] = f.frequency / f.active_days
    f.index = f.index.astype(str).str.zfill(ID_WIDTH)
    return f[COLUMNS]


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: scale_pandas.py CSV OUTPUT CUTOFF HORIZON_DAYS")
    path, output, cutoff, horizon = sys.argv[1:]
    start = time.monotonic()
    cutoff_day = int(np.datetime64(cutoff, "D").astype(np.int64))
    parts = max(1, math.ceil(os.path.getsize(path) / PARTITION_BYTES))
    tmp = tempfile.mkdtemp(prefix="scale_pandas.",
                           dir=os.path.dirname(os.path.abspath(output)))
    users = churned = frequency = 0
    try:
        names = partition(path, parts, tmp)
        for p, name in enumerate(names):
            f = features(read_events(name), cutoff_day, int(horizon))
            os.unlink(name)
            f.to_csv(output, index_label="user_id", mode="w" if p == 0
                     else "a", header=p == 0)
            users += len(f)
            churned += int(f.label.sum())
            frequency += int(f.frequency.sum())
    finally:
        shutil.rmtree(tmp)
    print(json.dumps({"users": users, "churned": churned,
                      "frequency": frequency, "partitions": parts,
                      "seconds": time.monotonic() - start,
                      "version": pd.__version__}))


if __name__ == "__main__":
    main()
