#!/usr/bin/python3
"""Cross-check of churn train against scikit-learn on the same data.

Runs churn ingest, features and train on the bundled CDNOW log, in-time
(a fifth of the users of one feature file held out) and out-of-time
(trained at 1997-06-30, judged on every user at 1997-09-30). Then it
reads churn's own feature files and split (--split-output), fits
scikit-learn's LogisticRegression (solver liblinear, the C churn chose,
the same standardization) and HistGradientBoostingClassifier on the fit
users, and compares their holdout ROC AUC with churn's.

Exit status: 0 when every logistic AUC matches within --tolerance, 1 when
one does not, 77 when scikit-learn or pandas is missing (a skipped test).

Usage: crosscheck.py --churn BIN --source DIR --work DIR
                     [--docs FILE] [--tolerance 0.002]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import textwrap

try:
    import pandas as pd
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler
except ImportError as exc:
    print("crosscheck: skipped, %s; install python3-sklearn and "
          "python3-pandas" % exc, file=sys.stderr)
    sys.exit(77)

BEGIN = "<!-- crosscheck:begin -->"
END = "<!-- crosscheck:end -->"


def run(cmd):
    """Runs a churn command and returns its last stdout line."""
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        sys.exit("crosscheck: %s exited %d: %s" % (" ".join(cmd),
                                                    done.returncode,
                                                    done.stderr))
    return done.stdout.strip().splitlines()[-1]


def prepare(churn, source, work):
    """Writes the event file, both feature files, and trains both ways."""
    events = os.path.join(work, "events.wkev")
    run([churn, "ingest", "--input",
         os.path.join(source, "data/cdnow/events.csv"), "--format", "csv",
         "--user-column", "customer_id", "--time-column", "date",
         "--time-format", "yyyymmdd", "--value-column", "dollar_value",
         "--output", events])
    run([churn, "features", "--events", events, "--cutoff", "1997-09-30",
         "--horizon", "273d", "--train-cutoff", "1997-06-30",
         "--train-output", os.path.join(work, "train.csv"),
         "--output", os.path.join(work, "eval.csv")])
    cases = {
        "in-time": ["--features", os.path.join(work, "eval.csv")],
        "out-of-time": ["--features", os.path.join(work, "train.csv"),
                        "--evaluation", os.path.join(work, "eval.csv")],
    }
    for name, args in cases.items():
        run([churn, "train"] + args + [
            "--split-output", os.path.join(work, name + ".split.csv"),
            "--output", os.path.join(work, name + ".model.json")])
    return list(cases)


def load(work, name):
    """Returns the fit and holdout rows of a case, and churn's model."""
    with open(os.path.join(work, name + ".model.json")) as f:
        model = json.load(f)
    split = pd.read_csv(os.path.join(work, name + ".split.csv"),
                        dtype={"user_id": str})
    tables = {
        "features": pd.read_csv(model["training_data"]["file"],
                                dtype={"user_id": str}),
        "evaluation": pd.read_csv(model["evaluation_data"]["file"],
                                  dtype={"user_id": str}),
    }

    def part(which):
        rows = split[split.part == which]
        source = rows.source.iloc[0]
        return tables[source].merge(rows[["user_id"]], on="user_id")

    return part("fit"), part("holdout"), model


def compare(work, name):
    """Fits scikit-learn's models on churn's fit users; returns a row."""
    fit, hold, model = load(work, name)
    feats = model["features"]
    cands = model["candidates"]
    c = cands["logistic_regression"]["c"]
    scaler = StandardScaler().fit(fit[feats])
    lr = LogisticRegression(solver="liblinear", C=c)
    lr.fit(scaler.transform(fit[feats]), fit.label)
    lr_auc = roc_auc_score(hold.label,
                           lr.predict_proba(scaler.transform(hold[feats]))[:, 1])
    hgb = HistGradientBoostingClassifier(random_state=0).fit(fit[feats],
                                                             fit.label)
    hgb_auc = roc_auc_score(hold.label, hgb.predict_proba(hold[feats])[:, 1])
    return {
        "case": name, "fit": len(fit), "holdout": len(hold), "c": c,
        "ours_lr": cands["logistic_regression"]["holdout"]["auc"],
        "sk_lr": lr_auc,
        "ours_xgb": cands["xgboost"]["holdout"]["auc"],
        "sk_hgb": hgb_auc,
        "baseline": model["baseline"]["holdout_auc"],
        "kept": model["selection"]["kept"],
    }


def machine():
    """Describes the host: CPU model, logical CPUs, OS."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d logical CPUs (nproc), %s %s" % (
        cpu, os.cpu_count() or 0, platform.system(), platform.release())


def table(rows):
    """Formats the results as a Markdown table."""
    lines = [
        "| evaluation | fit / holdout users | C | churn logistic | "
        "scikit-learn logistic | difference | churn XGBoost | "
        "scikit-learn HistGradientBoosting | recency alone | kept |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            "| %s | %d / %d | %g | %.4f | %.4f | %+.4f | %.4f | %.4f | "
            "%.4f | %s |" % (r["case"], r["fit"], r["holdout"], r["c"],
                             r["ours_lr"], r["sk_lr"],
                             r["ours_lr"] - r["sk_lr"], r["ours_xgb"],
                             r["sk_hgb"], r["baseline"], r["kept"]))
    return "\n".join(lines)


def write_docs(path, rows):
    """Replaces the text between the crosscheck markers of path."""
    body = "\n".join([
        BEGIN,
        "## Cross-check against scikit-learn",
        "",
        textwrap.fill(
            "Holdout ROC AUC on the bundled CDNOW log (cutoff 1997-09-30, "
            "horizon 273d). churn writes the feature files and the split. "
            "On the same fit users, scikit-learn %s fits LogisticRegression "
            "(solver liblinear, the C churn chose by cross-validation, "
            "features standardized on the fit users) and "
            "HistGradientBoostingClassifier (defaults, random_state 0), and "
            "both score the same holdout users. In-time holds out a fifth "
            "of the users of one file. Out-of-time trains at 1997-06-30 and "
            "judges every user at 1997-09-30." % sklearn.__version__,
            width=72, break_on_hyphens=False),
        "",
        table(rows),
        "",
        "Command: `bench/crosscheck.sh` (runs `bench/crosscheck.py`).  ",
        "Machine: %s.  " % machine(),
        "Date: %s." % datetime.date.today().isoformat(),
        END,
    ])
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + body + rest.split(END, 1)[1]
    else:
        if not text:
            text = "# Benchmarks\n\nMeasured figures, each with its "\
                   "command and machine.\n"
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--churn", required=True, help="the churn binary")
    ap.add_argument("--source", required=True, help="the source tree")
    ap.add_argument("--work", required=True, help="a scratch directory")
    ap.add_argument("--docs", help="benchmark page to update")
    ap.add_argument("--tolerance", type=float, default=0.002,
                    help="largest allowed logistic AUC difference")
    args = ap.parse_args()

    rows = [compare(args.work, name)
            for name in prepare(args.churn, args.source, args.work)]
    print(table(rows))
    if args.docs:
        write_docs(args.docs, rows)
    bad = [r["case"] for r in rows
           if abs(r["ours_lr"] - r["sk_lr"]) > args.tolerance]
    if bad:
        print("crosscheck: logistic AUC differs by more than %g in: %s" %
              (args.tolerance, ", ".join(bad)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
