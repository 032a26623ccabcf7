"""Compares what the charts of a web page draw with the JSON API.

    check_charts.py BASE_URL DOM_DIR CHECK [RUN_ID]

DOM_DIR contains the DOM of each page after Chromium loaded it (NAME.html,
see tests/integration/web_pages.sh). Every SVG mark carries the value it
draws in data-* attributes; CHECK (overview, slo, trends, run, probe or
incidents) reads them and compares them with the response of the matching
/api/v1/ URL, fetched now. Periods end at the time of each request, so
run it right after Chromium loaded the page. Exits 1 with a message
naming the chart at the first difference.
"""
import html.parser
import json
import math
import sys
import urllib.request


class Svg(html.parser.HTMLParser):
    """Collects the SVG elements with their attributes and their parents."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.elements = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "parents": list(self.stack)}
        self.elements.append(element)
        if tag not in ("circle", "rect", "line", "polyline", "img", "br",
                       "meta", "link", "input"):
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs),
                              "parents": list(self.stack)})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break


def dom(dom_dir, name):
    parser = Svg()
    with open(f"{dom_dir}/{name}.html", encoding="utf-8") as f:
        parser.feed(f.read())
    return parser.elements


def api(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.load(r)


def close(a, b):
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def fail(chart, message):
    print(f"check_charts: {chart}: {message}", file=sys.stderr)
    sys.exit(1)


def in_chart(element, chart, key=None, kind=None):
    """Tells whether element lies in the SVG data-chart=chart, and in the
    series of member key and class c-KIND when they are given."""
    charts = [p for p in element["parents"] if p["attrs"].get("data-chart")]
    if not charts or charts[-1]["attrs"]["data-chart"] != chart:
        return False
    if key is None:
        return True
    series = [p for p in element["parents"] if "data-key" in p["attrs"]]
    if not series or series[-1]["attrs"]["data-key"] != key:
        return False
    return kind is None or f"c-{kind}" in series[-1]["attrs"].get("class", "").split()


def compare_series(chart, drawn, expected):
    """drawn and expected are lists of (t, v); both in order."""
    if len(drawn) != len(expected):
        fail(chart, f"{len(drawn)} points drawn, the API has {len(expected)}")
    for (t1, v1), (t2, v2) in zip(drawn, expected):
        if int(t1) != int(t2) or not close(v1, v2):
            fail(chart, f"point ({t1}, {v1}) drawn, the API has ({t2}, {v2})")


def points(elements, chart, key, kind=None):
    return [(e["attrs"]["data-t"], e["attrs"]["data-v"]) for e in elements
            if e["tag"] == "circle" and "data-t" in e["attrs"]
            and in_chart(e, chart, key, kind)]


def check_slo(base, dom_dir):
    m = api(base, "/api/v1/slos/churn-success")
    els = dom(dom_dir, "slo")
    if len(m["series"]) < 100:
        fail("slo", f"only {len(m['series'])} evaluations in 30 days of history")
    for chart, key in (("budget", "budget_remaining"), ("burn", "burn_1h"),
                       ("burn", "burn_3d")):
        expected = [(p["t"], p[key]) for p in m["series"] if p[key] is not None]
        compare_series(f"slo {chart}/{key}", points(els, chart, key), expected)
    weeks = [c for c in m["compliance"] if c["period"] == "week"]
    bars = [e["attrs"] for e in els if e["tag"] == "rect"
            and in_chart(e, "compliance-week")]
    if [b["data-label"] for b in bars] != [w["label"] for w in weeks]:
        fail("compliance-week", "the bars are not the API's weeks")
    for b, w in zip(bars, weeks):
        if (w["sli"] is None) != (b["data-v"] == ""):
            fail("compliance-week", f"week {w['label']}: missing value differs")
        if w["sli"] is not None and not close(b["data-v"], w["sli"]):
            fail("compliance-week", f"week {w['label']}: {b['data-v']} != {w['sli']}")


def check_trends(base, dom_dir):
    m = api(base, "/api/v1/pipelines/churn/trends")
    els = dom(dom_dir, "trends")
    if sum(len(s["points"]) for s in m["stages"]) < 100:
        fail("trends", "fewer than 100 points in 30 days of history")
    for stage in m["stages"]:
        if not stage["points"]:
            continue
        chart = "trend-" + stage["stage"]
        expected = [(p["t"], p["ms"]) for p in stage["points"]]
        compare_series(chart, points(els, chart, "ms", "primary"), expected)
        line = stage["forecast"].get("line")
        if line is None:
            fail(chart, "the API has no forecast line for 30 days of data")
        # The line's ends move with the time of the request: each point
        # drawn must lie on the API's line.
        (t0, y0), (t1, y1) = [(p["t"], p["ms"]) for p in line]
        drawn = points(els, chart, "ms", "forecast")
        if len(drawn) != 2:
            fail(chart, f"the forecast line has {len(drawn)} points, not 2")
        for t, v in drawn:
            expected = y0 + (y1 - y0) * (int(t) - t0) / (t1 - t0)
            if not math.isclose(float(v), expected, rel_tol=1e-6):
                fail(chart, f"forecast point ({t}, {v}) is off the API's line")
        limits = [e["attrs"] for e in els if e["tag"] == "line"
                  and "data-rule" in e["attrs"] and in_chart(e, chart)]
        if stage["timeout_ms"] is not None and (
                not limits or not close(limits[0]["data-v"], stage["timeout_ms"])):
            fail(chart, "the timeout line differs from the API's timeout_ms")


def check_run(base, dom_dir, run_id):
    m = api(base, f"/api/v1/runs/{run_id}")
    els = dom(dom_dir, "run")
    bars = [e["attrs"] for e in els if e["tag"] == "rect" and in_chart(e, "gantt")]
    expected = [a for a in m["attempts"] if a["started_at"] is not None]
    if len(bars) != len(expected):
        fail("gantt", f"{len(bars)} bars drawn, the API has {len(expected)} attempts")
    drawn = sorted((b["data-stage"], int(b["data-attempt"]), int(b["data-start"]),
                    int(b["data-end"])) for b in bars)
    api_bars = sorted((a["stage"], a["attempt"], a["started_at"], a["ended_at"] or 0)
                      for a in expected)
    if drawn != api_bars:
        fail("gantt", f"bars {drawn} differ from the API's {api_bars}")


def check_probe(base, dom_dir):
    m = api(base, "/api/v1/probes/api?since=30d")
    els = dom(dom_dir, "probe")
    expected = [(b["t"], b["availability"]) for b in m["buckets"]]
    compare_series("availability", points(els, "availability", "availability"),
                   expected)
    expected = [(b["t"], b["p95_ms"]) for b in m["buckets"] if b["p95_ms"] is not None]
    compare_series("latency p95", points(els, "latency", "p95_ms"), expected)


def check_overview(base, dom_dir):
    m = api(base, "/api/v1/status")
    els = dom(dom_dir, "overview")
    for p in m["pipelines"]:
        chart = "spark-" + p["name"]
        drawn = [e["attrs"]["data-v"] for e in els
                 if e["tag"] == "circle" and in_chart(e, chart)]
        expected = [r["duration_ms"] for r in p["recent"] if r["duration_ms"] is not None]
        if len(drawn) != len(expected) or not all(
                close(a, b) for a, b in zip(drawn, expected)):
            fail(chart, f"sparkline {drawn} differs from the API's {expected}")


def check_incidents(base, dom_dir):
    m = api(base, "/api/v1/incidents")
    els = dom(dom_dir, "incidents")
    bars = [e["attrs"] for e in els if e["tag"] == "rect"
            and in_chart(e, "incidents")]
    expected = m["incidents"][:len(bars)]
    if not bars or len(bars) != min(len(m["incidents"]), 40):
        fail("incidents", f"{len(bars)} bars for {len(m['incidents'])} incidents")
    for b, i in zip(bars, expected):
        if b["data-fingerprint"] != i["fingerprint"] or int(b["data-fired"]) != i["fired_at"]:
            fail("incidents", f"bar {b} differs from incident {i['fingerprint']}")


def main():
    base, dom_dir, check = sys.argv[1], sys.argv[2], sys.argv[3]
    checks = {"overview": check_overview, "slo": check_slo,
              "trends": check_trends, "probe": check_probe,
              "incidents": check_incidents}
    if check == "run":
        check_run(base, dom_dir, sys.argv[4])
    else:
        checks[check](base, dom_dir)
    print(f"check_charts: {check}: the charts draw the API's values")


main()
