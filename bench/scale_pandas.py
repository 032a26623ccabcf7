#!/usr/bin/python3
"""The per-user features of `churn features` at one cutoff, in pandas.

Reads a CDNOW-shaped CSV (customer_id,date,number_of_cds,dollar_value,
date as YYYYMMDD), counts rows equal in user, day and value once, as
churn ingest drops them, and writes the 14 features and the label of
every user with an event on or before the cutoff. Prints one JSON line
with the users, the churned users, the sum of frequency, the seconds and
the pandas version, for bench/scale.py.

Usage: scale_pandas.py CSV OUTPUT CUTOFF HORIZON_DAYS
"""
import json
import sys
import time

import numpy as np
import pandas as pd

COLUMNS = ["label", "recency_days", "frequency", "monetary", "active_days",
           "tenure_days", "mean_gap_days", "max_gap_days", "recent_events",
           "previous_events", "activity_ratio", "avg_value",
           "events_per_active_day", "recent_value", "max_value"]


def read_events(path):
    """Returns the distinct (user, day number, value) rows of the log."""
    raw = pd.read_csv(path, usecols=["customer_id", "date", "dollar_value"],
                      dtype={"customer_id": str, "date": str,
                             "dollar_value": np.float64})
    raw = raw.drop_duplicates()
    days = pd.to_datetime(raw["date"], format="%Y%m%d").values
    return pd.DataFrame({
        "u": raw["customer_id"].values,
        "d": days.astype("datetime64[D]").astype(np.int64),
        "v": raw["dollar_value"].values,
    })


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
    return f[COLUMNS]


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: scale_pandas.py CSV OUTPUT CUTOFF HORIZON_DAYS")
    path, output, cutoff, horizon = sys.argv[1:]
    start = time.monotonic()
    cutoff_day = int(np.datetime64(cutoff, "D").astype(np.int64))
    f = features(read_events(path), cutoff_day, int(horizon))
    f.to_csv(output, index_label="user_id")
    print(json.dumps({"users": len(f), "churned": int(f.label.sum()),
                      "frequency": int(f.frequency.sum()),
                      "seconds": time.monotonic() - start,
                      "version": pd.__version__}))


if __name__ == "__main__":
    main()
