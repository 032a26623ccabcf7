# Headless Chromium loads every page of a store with 30 days of history.
# No page may log a console message (a Content-Security-Policy violation
# or a script error would be one), every built-in file returns 200, each
# chart draws the values of the matching /api/v1/ response, and a stage
# name and a log line made of HTML and script show as text. Screenshots
# are kept in a folder whose path is printed.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

command -v chromium > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: chromium is not installed"; exit 77; }
command -v curl > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: curl is not installed"; exit 77; }

shots=$(mktemp -d "${TMPDIR:-/tmp}/wk-web-screenshots-XXXXXX")
web_seed_store "$TEST_DIR/store.db" 30
port=$(free_port)
web_serve "$TEST_DIR/store.db" "$port" -c "$WEB_FIXTURE"
base="http://127.0.0.1:$port"

# The hostile run is the newest; a failed churn run has error lines.
hostile=$(curl -sf "$base/api/v1/runs?since=1d&limit=1" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["runs"][0]["id"])')
failed=$(curl -sf "$base/api/v1/runs?since=2d&pipeline=churn&limit=200" | /usr/bin/python3 -c '
import json, sys
runs = [r for r in json.load(sys.stdin)["runs"] if r["state"] == "failed" and r["logical_date"] != "2000-01-01"]
print(runs[0]["id"])')

# Loads $2 into dom/$1.html and dom/$1.log; fails on a console message.
load_page() {
	chromium_run --enable-logging=stderr --v=0 --dump-dom "$base$2" \
		> "$TEST_DIR/dom/$1.html" 2> "$TEST_DIR/dom/$1.log" ||
		fail "chromium could not load $2"
	grep -q "</html>" "$TEST_DIR/dom/$1.html" || fail "$2: no document"
	if grep -E ':CONSOLE|Refused to' "$TEST_DIR/dom/$1.log"; then
		fail "$2: the browser reported the messages above"
	fi
}

# Compares the charts of page $1 with the API; a period that ends "now"
# moves between the two requests, so a difference is checked once more.
check_page() {
	case $1 in
	overview | slo | trends | probe | incidents | run) ;;
	*) return 0 ;;
	esac
	/usr/bin/python3 "$WK_TEST_SRCDIR/tests/web/check_charts.py" "$base" \
		"$TEST_DIR/dom" "$1" "$failed" && return 0
	load_page "$1" "$2"
	/usr/bin/python3 "$WK_TEST_SRCDIR/tests/web/check_charts.py" "$base" \
		"$TEST_DIR/dom" "$1" "$failed" || fail "a chart of $2 differs from the API"
}

mkdir -p "$TEST_DIR/dom"
for page in \
	"overview /" \
	"slos /slos" \
	"slo /slos/churn-success" \
	"slo-month /slos/api-up" \
	"runs /runs" \
	"run /runs/$failed" \
	"hostile /runs/$hostile" \
	"trends /pipelines/churn" \
	"incidents /incidents" \
	"probes /probes" \
	"probe /probes/api?since=30d" \
	"errors /errors" \
	"report /report" \
	"report-ja /report?lang=ja" \
	"overview-ja /?lang=ja"; do
	name=${page%% *}
	path=${page#* }
	load_page "$name" "$path"
	check_page "$name" "$path"
	chromium_run --screenshot="$shots/$name.png" --window-size=1280,1600 \
		"$base$path" > /dev/null 2>&1 || fail "no screenshot of $path"
	[ -s "$shots/$name.png" ] || fail "empty screenshot of $path"
done
echo "$TEST_NAME: screenshots in $shots"

# The files the pages load.
for file in /static/app.css /static/app.js /static/icon.svg; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$base$file")
	expect_eq "$code" 200 "status of $file"
done

# The hostile stage name and log line are text, not markup: the browser's
# DOM has them escaped and has no element they would have made.
dom="$TEST_DIR/dom/hostile.html"
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$dom" || fail "the hostile stage name is not shown as text"
grep -q '&lt;script&gt;alert("xss")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;' "$dom" ||
	fail "the hostile log line is not shown as text"
[ "$(grep -o '<script' "$dom" | wc -l)" -eq 1 ] || fail "a script element was injected"
grep -q '<img' "$dom" && fail "an img element was injected"
grep -q '<b>bold' "$dom" && fail "a b element was injected"

# The page in Japanese declares its language.
grep -q '<html lang="ja"' "$TEST_DIR/dom/overview-ja.html" || fail "?lang=ja did not give a Japanese page"
echo "$TEST_NAME: ok"
