#!/bin/sh
# churn's logistic regression against scikit-learn's on churn's own
# feature files and split: the holdout AUCs must agree within 0.002,
# in-time and out-of-time. Skipped (exit 77) without python3-sklearn or
# python3-pandas.
set -eu

: "${CHURN:?CHURN must name the churn binary}"
: "${WK_TEST_SRCDIR:?WK_TEST_SRCDIR must name the source tree}"
dir=$(mktemp -d /tmp/churn_crosscheck.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

set +e
/usr/bin/python3 "$WK_TEST_SRCDIR/bench/crosscheck.py" --churn "$CHURN" \
	--source "$WK_TEST_SRCDIR" --work "$dir" --tolerance 0.002
status=$?
set -e
case $status in
0) echo "churn_crosscheck: all checks passed" ;;
77) echo "churn_crosscheck: skipped, scikit-learn or pandas is missing" ;;
*) echo "FAIL: churn_crosscheck: crosscheck.py exited $status" >&2 ;;
esac
exit "$status"
