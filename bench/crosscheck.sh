#!/bin/sh
# Compares the holdout AUC of churn train with scikit-learn's on the same
# feature files and split, and writes the table into docs/benchmarks.md
# (between its crosscheck markers).
#
#   bench/crosscheck.sh [CHURN]
#
# CHURN is the churn binary, by default build/bin/churn. Needs Debian's
# python3-sklearn and python3-pandas (build.sh test installs them).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
churn=${1:-"$top/build/bin/churn"}
[ -x "$churn" ] || {
	echo "crosscheck.sh: no churn binary at $churn; build first or pass its path" >&2
	exit 2
}
work=$(mktemp -d "${TMPDIR:-/tmp}/crosscheck.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
/usr/bin/python3 "$top/bench/crosscheck.py" --churn "$churn" --source "$top" \
	--work "$work" --docs "$top/docs/benchmarks.md"
