# Pipeline and stage names outside ASCII: the configuration allows them,
# so the overview's link to /pipelines/NAME, ?pipeline=NAME and the trends
# API must work with a Japanese pipeline and stage name. A name the
# configuration rejects (one with an ideographic space) is not found, and
# errors show the value received, with controls and invalid UTF-8 as %XX.
. "$(dirname "$0")/../lib.sh"
. "$WK_TEST_SRCDIR/tests/web/lib.sh"

command -v curl > /dev/null 2>&1 || { echo "$TEST_NAME: skipped: curl is not installed"; exit 77; }

# The fixture with pipeline "billing" named ユニ and its stage "load" 読込.
/usr/bin/python3 - "$WEB_FIXTURE" "$TEST_DIR/fixture.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
for pipeline in config["pipelines"]:
    if pipeline["name"] != "billing":
        continue
    pipeline["name"] = "\u30e6\u30cb"
    for stage in pipeline["stages"]:
        if stage["name"] == "load":
            stage["name"] = "\u8aad\u8fbc"
        if "depends_on" in stage:
            stage["depends_on"] = ["\u8aad\u8fbc" if s == "load" else s
                                   for s in stage["depends_on"]]
json.dump(config, open(sys.argv[2], "w"), ensure_ascii=False)
PY
web_seed_store "$TEST_DIR/store.db" 3 "$TEST_DIR/fixture.json"
port=$(free_port)
web_serve "$TEST_DIR/store.db" "$port" -c "$TEST_DIR/fixture.json"
base="http://127.0.0.1:$port"
name_url="%E3%83%A6%E3%83%8B"

# Fetches $1 into $TEST_DIR/body and prints the HTTP status.
get() {
	curl -s -o "$TEST_DIR/body" -w '%{http_code}' "$base$1"
}

curl -sf "$base/" > "$TEST_DIR/overview.html" || fail "the overview failed"
grep -q "href=\"/pipelines/$name_url\"" "$TEST_DIR/overview.html" ||
	fail "the overview has no link to /pipelines/$name_url"

expect_eq "$(get "/pipelines/$name_url")" 200 "status of /pipelines/$name_url"
grep -q "<title>Pipeline ユニ - watchkeep" "$TEST_DIR/body" ||
	fail "/pipelines/$name_url does not show the pipeline name"
grep -q "読込" "$TEST_DIR/body" || fail "/pipelines/$name_url does not show stage 読込"

expect_eq "$(get "/api/v1/runs?pipeline=$name_url&since=3d")" 200 "status of ?pipeline=$name_url"
/usr/bin/python3 - "$TEST_DIR/body" <<'PY' || fail "?pipeline=$name_url returned the wrong runs"
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
assert runs, "no runs"
assert all(r["pipeline"] == "\u30e6\u30cb" for r in runs), "a run of another pipeline"
PY
expect_eq "$(get "/runs?pipeline=$name_url")" 200 "status of /runs?pipeline=$name_url"

expect_eq "$(get "/api/v1/pipelines/$name_url/trends")" 200 "status of the trends API"
/usr/bin/python3 - "$TEST_DIR/body" <<'PY' || fail "the trends API has no points of stage 読込"
import json, sys
stages = {s["stage"]: s for s in json.load(open(sys.argv[1]))["stages"]}
assert stages["\u8aad\u8fbc"]["points"], "no points"
PY

# U+3000, an ideographic space, is not allowed in a name.
expect_eq "$(get "/pipelines/%E3%80%80x")" 404 "status of a name with U+3000"

# Errors show the value received: control characters and invalid UTF-8
# as %XX, other characters as they are.
expect_eq "$(get "/api/v1/runs?pipeline=a%0Ab%FF%E3%83%A6")" 400 "status of an invalid pipeline="
grep -q 'invalid pipeline=a%0Ab%FFユ:' "$TEST_DIR/body" ||
	fail "the error does not show the value: $(cat "$TEST_DIR/body")"
expect_eq "$(get "/api/v1/runs.csv?since=x%01y")" 400 "status of an invalid since="
grep -q 'invalid since=x%01y:' "$TEST_DIR/body" ||
	fail "the error does not show the value: $(cat "$TEST_DIR/body")"

# A 404 page shows the path and the time it was made.
expect_eq "$(get "/nowhere/%E3%83%A6%01")" 404 "status of an unknown page"
grep -q 'there is no page at /nowhere/ユ%01;' "$TEST_DIR/body" ||
	fail "the 404 page does not show the path: $(cat "$TEST_DIR/body")"
grep -q '<footer>watchkeep [^<]*, generated 2[0-9][0-9][0-9]-' "$TEST_DIR/body" ||
	fail "the 404 footer has no time: $(grep -o '<footer>.*' "$TEST_DIR/body")"
echo "$TEST_NAME: ok"
