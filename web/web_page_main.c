/* The overview, the runs, one run and a pipeline's duration trends. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "web/web_int.h"
#include "web/web_page.h"

/* ---- overview ---- */

static void
overview_pipelines(struct web_req *r, const json_t *list)
{
	static const char *const head[] = { N_("Pipeline"), N_("Last run"),
		N_("Started"), N_("Duration"), N_("Runs"), N_("Failed"),
		N_("Success rate"), N_("Recent durations") };
	const json_t *p, *last;
	char id[96];
	size_t i;

	web_page_section(r, WT(r, N_("Pipelines")));
	if (json_array_size(list) == 0) {
		web_page_empty(r, WT(r, N_("No pipeline has run yet.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 8);
	json_array_foreach(list, i, p) {
		last = json_object_get(p, "last_run");
		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/pipelines/", wj_text(p, "name"), NULL);
		web_put(&r->body, "</td><td>");
		if (json_is_object(last)) {
			web_page_state(r, wj_text(last, "state"));
			web_put(&r->body, " <a href=\"/runs/%lld\">#%lld</a>",
			    (long long)wj_int(last, "id"),
			    (long long)wj_int(last, "id"));
		} else {
			web_put(&r->body, "-");
		}
		web_put(&r->body, "</td><td>");
		web_page_time(r, json_is_object(last) ? wj_int(last,
		    "started_at") : 0);
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, last, "duration_ms");
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td "
		    "class=\"num\">%lld</td><td class=\"num\">",
		    (long long)wj_int(p, "runs"), (long long)wj_int(p, "failed"));
		web_page_pct(r, p, "success_rate", 1);
		web_put(&r->body, "</td><td>");
		snprintf(id, sizeof id, "spark-%s", wj_text(p, "name"));
		web_svg_spark(r, id, json_object_get(p, "recent"),
		    "duration_ms");
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
	web_page_csv_link(r, "/api/v1/pipelines.csv");
}

/*
 * Writes the table of member "queued" of a model: the runs the agent has
 * queued, which have no run page yet. csv_path is its CSV export.
 */
static void
queued_table(struct web_req *r, const json_t *queued, const char *csv_path)
{
	static const char *const head[] = { N_("Pipeline"), N_("Place"),
		N_("State"), N_("Logical date"), N_("Trigger"), N_("Queued"),
		N_("Waiting") };
	const json_t *items = json_object_get(queued, "items"), *q;
	size_t i;

	web_put(&r->body, "<table class=\"grid queued\">");
	web_page_th(r, head, 7);
	json_array_foreach(items, i, q) {
		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/pipelines/", wj_text(q, "pipeline"), NULL);
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td>",
		    (long long)wj_int(q, "position"));
		web_page_state(r, wj_text(q, "state"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(q, "logical_date"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(q, "trigger"));
		web_put(&r->body, "</td><td>");
		web_page_time(r, wj_int(q, "queued_at"));
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, q, "waiting_ms");
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
	if (json_is_true(json_object_get(queued, "truncated")))
		web_page_empty(r, WT(r, N_("More runs are queued than the 1000 this list shows.")));
	web_page_csv_link(r, csv_path);
}

static void
overview_queued(struct web_req *r, const json_t *queued)
{
	web_page_section(r, WT(r, N_("Queued runs")));
	if (json_array_size(json_object_get(queued, "items")) == 0)
		web_page_empty(r, WT(r, N_("No run is queued.")));
	else
		queued_table(r, queued, "/api/v1/queued.csv");
}

void
web_page_slo_table(struct web_req *r, const json_t *list)
{
	static const char *const head[] = { N_("SLO"), N_("State"), N_("SLI"),
		N_("Objective"), N_("Window"), N_("Budget left") };
	const json_t *s;
	size_t i;

	if (json_array_size(list) == 0) {
		web_page_empty(r, WT(r, N_("No SLO is configured or stored.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 6);
	json_array_foreach(list, i, s) {
		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/slos/", wj_text(s, "name"), NULL);
		web_put(&r->body, "</td><td>");
		web_page_state(r, wj_text(s, "state"));
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_pct(r, s, "sli", 3);
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_pct(r, s, "objective", 3);
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(s, "window"));
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_pct(r, s, "budget_remaining", 1);
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

static void
overview_alerts(struct web_req *r, const json_t *alerts)
{
	static const char *const head[] = { N_("State"), N_("Severity"),
		N_("Summary"), N_("Since"), N_("Acknowledged") };
	const json_t *items = json_object_get(alerts, "items"), *a;
	size_t i;

	web_page_section(r, WT(r, N_("Open alerts")));
	if (json_array_size(items) == 0) {
		web_page_empty(r, WT(r, N_("No alert is firing.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 5);
	json_array_foreach(items, i, a) {
		web_put(&r->body, "<tr><td>");
		web_page_state(r, wj_text(a, "state"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(a, "severity"));
		web_put(&r->body, "</td><td><a href=\"");
		web_esc(&r->body, wj_text(a, "link"));
		web_put(&r->body, "\">");
		web_esc(&r->body, wj_text(a, "summary"));
		web_put(&r->body, "</a></td><td>");
		web_page_time(r, wj_int(a, "since"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, json_is_true(json_object_get(a,
		    "acknowledged")) ? WT(r, N_("yes")) : WT(r, N_("no")));
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
	web_page_csv_link(r, "/api/v1/alerts.csv");
}

void
web_page_probe_states(struct web_req *r, const json_t *list, int stats)
{
	static const char *const head[] = { N_("Probe"), N_("Type"),
		N_("State"), N_("Since"), N_("Last latency"), N_("Checks"),
		N_("Availability"), N_("p50"), N_("p95"), N_("p99") };
	const json_t *p;
	size_t i;

	if (json_array_size(list) == 0) {
		web_page_empty(r, WT(r, N_("No probe has reported yet.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, stats ? 10 : 5);
	json_array_foreach(list, i, p) {
		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/probes/", wj_text(p, "name"), NULL);
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(p, "type"));
		web_put(&r->body, "</td><td>");
		web_page_state(r, wj_text(p, "state"));
		web_put(&r->body, "</td><td>");
		web_page_time(r, wj_int(p, "since"));
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, p, "latency_ms");
		if (stats) {
			web_put(&r->body, "</td><td class=\"num\">%lld</td><td "
			    "class=\"num\">", (long long)wj_int(p, "checks"));
			web_page_pct(r, p, "availability", 3);
			web_put(&r->body, "</td><td class=\"num\">");
			web_page_ms(r, p, "p50_ms");
			web_put(&r->body, "</td><td class=\"num\">");
			web_page_ms(r, p, "p95_ms");
			web_put(&r->body, "</td><td class=\"num\">");
			web_page_ms(r, p, "p99_ms");
		}
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

void
web_page_error_table(struct web_req *r, const json_t *list)
{
	static const char *const head[] = { N_("Count"), N_("Stage runs"),
		N_("Where"), N_("Signature"), N_("Last seen"), N_("Last run") };
	const json_t *g;
	size_t i;

	if (json_array_size(list) == 0) {
		web_page_empty(r, WT(r, N_("No error lines in this period.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 6);
	json_array_foreach(list, i, g) {
		web_put(&r->body, "<tr><td class=\"num\">%lld</td><td "
		    "class=\"num\">%lld</td><td>", (long long)wj_int(g, "count"),
		    (long long)wj_int(g, "stage_runs"));
		web_esc(&r->body, wj_text(g, "pipeline"));
		web_put(&r->body, "/");
		web_esc(&r->body, wj_text(g, "stage"));
		web_put(&r->body, "</td><td><code>");
		web_esc(&r->body, wj_text(g, "signature"));
		web_put(&r->body, "</code><br><span class=\"sample\">");
		web_esc(&r->body, wj_text(g, "sample"));
		web_put(&r->body, "</span></td><td>");
		web_page_time(r, wj_int(g, "last_seen"));
		web_put(&r->body, "</td><td>");
		if (wj_int(g, "last_run_id") > 0)
			web_put(&r->body, "<a href=\"/runs/%lld\">#%lld</a>",
			    (long long)wj_int(g, "last_run_id"),
			    (long long)wj_int(g, "last_run_id"));
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

int
web_page_overview(struct web_req *r, json_t *m)
{
	web_page_begin(r, "overview", WT(r, N_("Overview")));
	web_page_periods(r, json_object_get(m, "period"));
	overview_pipelines(r, json_object_get(m, "pipelines"));
	overview_queued(r, json_object_get(m, "queued"));
	web_page_section(r, WT(r, N_("Service level objectives")));
	web_page_slo_table(r, json_object_get(m, "slos"));
	overview_alerts(r, json_object_get(m, "alerts"));
	web_page_section(r, WT(r, N_("Probes")));
	web_page_probe_states(r, json_object_get(m, "probes"), 0);
	web_page_section(r, WT(r, N_("Most frequent errors")));
	web_page_error_table(r, json_object_get(m, "errors"));
	web_page_end(r);
	return r->body.len < r->body.max ? WK_OK : WK_ERR_LIMIT;
}

/* ---- runs ---- */

int
web_page_runs(struct web_req *r, json_t *m)
{
	static const char *const head[] = { N_("Run"), N_("Pipeline"),
		N_("Date"), N_("Trigger"), N_("State"), N_("Started"),
		N_("Duration"), N_("Stages") };
	const json_t *runs = json_object_get(m, "runs"), *run;
	const json_t *queued = json_object_get(m, "queued");
	int64_t longest = 1;
	char id[32];
	size_t i;

	web_page_begin(r, "runs", WT(r, N_("Runs")));
	web_page_periods(r, json_object_get(m, "period"));
	/* The queued runs come first, as they start before any new run. */
	if (json_array_size(json_object_get(queued, "items")) > 0) {
		web_page_section(r, WT(r, N_("Queued runs")));
		queued_table(r, queued, "/api/v1/runs/queued.csv");
		web_page_section(r, WT(r, N_("Runs")));
	}
	json_array_foreach(runs, i, run) {
		int64_t d = wj_int(run, "duration_ms");

		if (d > longest)
			longest = d;
	}
	if (json_array_size(runs) == 0) {
		web_page_empty(r, WT(r, N_("No run started in this period.")));
		web_page_end(r);
		return WK_OK;
	}
	web_put(&r->body, "<table class=\"grid runs\">");
	web_page_th(r, head, 8);
	json_array_foreach(runs, i, run) {
		int64_t started = wj_int(run, "started_at");

		web_put(&r->body, "<tr><td><a href=\"/runs/%lld\">#%lld</a></td>"
		    "<td>", (long long)wj_int(run, "id"),
		    (long long)wj_int(run, "id"));
		web_page_link(r, "/pipelines/", wj_text(run, "pipeline"), NULL);
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(run, "logical_date"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(run, "trigger"));
		web_put(&r->body, "</td><td>");
		web_page_state(r, wj_text(run, "state"));
		web_put(&r->body, "</td><td>");
		web_page_time(r, started);
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, run, "duration_ms");
		web_put(&r->body, "</td><td>");
		snprintf(id, sizeof id, "gantt-%lld", (long long)wj_int(run,
		    "id"));
		/* One time scale for all rows: the longest run fills a cell. */
		web_svg_gantt(r, id, json_object_get(run, "attempts"), started,
		    started + longest, 1);
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
	if (json_is_true(json_object_get(m, "truncated")))
		web_page_empty(r, WT(r, N_("More runs started in this period; choose a shorter one or a pipeline.")));
	web_page_csv_link(r, "/api/v1/runs.csv");
	web_page_end(r);
	return WK_OK;
}

/* ---- one run ---- */

static void
run_attempt_rows(struct web_req *r, const json_t *attempts)
{
	static const char *const head[] = { N_("Stage"), N_("Attempt"),
		N_("State"), N_("Started"), N_("Duration"), N_("Exit"),
		N_("CPU"), N_("Max RSS"), N_("Reason") };
	const json_t *a;
	size_t i;

	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 9);
	json_array_foreach(attempts, i, a) {
		web_put(&r->body, "<tr><td>");
		web_esc(&r->body, wj_text(a, "stage"));
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td>",
		    (long long)wj_int(a, "attempt"));
		web_page_state(r, wj_text(a, "state"));
		web_put(&r->body, "</td><td>");
		web_page_time(r, wj_int(a, "started_at"));
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, a, "duration_ms");
		web_put(&r->body, "</td><td class=\"num\">");
		if (json_is_integer(json_object_get(a, "signal")))
			web_put(&r->body, "SIG %lld", (long long)wj_int(a,
			    "signal"));
		else if (json_is_integer(json_object_get(a, "exit_code")))
			web_put(&r->body, "%lld", (long long)wj_int(a,
			    "exit_code"));
		web_put(&r->body, "</td><td class=\"num\">");
		if (json_is_integer(json_object_get(a, "user_cpu_ms")))
			web_put(&r->body, "%.1f s", (double)(wj_int(a,
			    "user_cpu_ms") + wj_int(a, "sys_cpu_ms")) / 1000.0);
		web_put(&r->body, "</td><td class=\"num\">");
		if (json_is_integer(json_object_get(a, "max_rss_kb")))
			web_put(&r->body, "%.1f MiB", (double)wj_int(a,
			    "max_rss_kb") / 1024.0);
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(a, "reason"));
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

static void
run_attempt_details(struct web_req *r, const json_t *a)
{
	const json_t *metrics = json_object_get(a, "metrics");
	const json_t *lines = json_object_get(a, "error_lines"), *l, *v;
	const char *key;
	size_t i;

	if (json_object_size(metrics) == 0 && json_array_size(lines) == 0)
		return;
	web_put(&r->body, "<section class=\"attempt\"><h3>");
	web_esc(&r->body, wj_text(a, "stage"));
	web_put(&r->body, " #%lld</h3>", (long long)wj_int(a, "attempt"));
	if (json_object_size(metrics) > 0) {
		web_put(&r->body, "<dl class=\"metrics\">");
		json_object_foreach((json_t *)metrics, key, v) {
			web_put(&r->body, "<dt>");
			web_esc(&r->body, key);
			web_put(&r->body, "</dt><dd>%.6g</dd>",
			    json_number_value(v));
		}
		web_put(&r->body, "</dl>");
	}
	if (json_array_size(lines) > 0) {
		web_put(&r->body, "<pre class=\"log\">");
		json_array_foreach(lines, i, l) {
			if (json_is_integer(json_object_get(l, "dropped_lines")))
				web_putesc(&r->body, WTN(r, N_("[%lld line left out]\n"),
				    N_("[%lld lines left out]\n"),
				    wj_int(l, "dropped_lines")),
				    (long long)wj_int(l, "dropped_lines"));
			else {
				web_esc(&r->body, wj_text(l, "text"));
				web_put(&r->body, "\n");
			}
		}
		web_put(&r->body, "</pre>");
	}
	web_put(&r->body, "</section>\n");
}

static void
run_signature_rows(struct web_req *r, const json_t *list)
{
	static const char *const head[] = { N_("Stage"), N_("Count here"),
		N_("Count, all time"), N_("First seen"), N_("Signature") };
	const json_t *g;
	size_t i;

	web_page_section(r, WT(r, N_("Error signatures")));
	if (json_array_size(list) == 0) {
		web_page_empty(r, WT(r, N_("No error lines in this run.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 5);
	json_array_foreach(list, i, g) {
		web_put(&r->body, "<tr><td>");
		web_esc(&r->body, wj_text(g, "stage"));
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td "
		    "class=\"num\">%lld</td><td>", (long long)wj_int(g, "count"),
		    (long long)wj_int(g, "total"));
		web_page_time(r, wj_int(g, "first_seen"));
		web_put(&r->body, "</td><td><code>");
		web_esc(&r->body, wj_text(g, "signature"));
		web_put(&r->body, "</code></td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

int
web_page_run(struct web_req *r, json_t *m)
{
	const json_t *attempts = json_object_get(m, "attempts"), *a;
	int64_t start = wj_int(m, "started_at"), end = wj_int(m, "ended_at");
	char title[128], api[64];
	size_t i;

	snprintf(title, sizeof title, WT(r, N_("Run #%lld")),
	    (long long)wj_int(m, "id"));
	web_page_begin(r, "runs", title);
	web_put(&r->body, "<p class=\"facts\">");
	web_page_link(r, "/pipelines/", wj_text(m, "pipeline"), NULL);
	web_put(&r->body, " &middot; ");
	web_esc(&r->body, wj_text(m, "logical_date"));
	web_put(&r->body, " &middot; ");
	web_page_state(r, wj_text(m, "state"));
	web_put(&r->body, " &middot; ");
	web_page_time(r, start);
	web_put(&r->body, " &middot; ");
	web_page_ms(r, m, "duration_ms");
	if (wj_text(m, "reason")[0] != '\0') {
		web_put(&r->body, " &middot; ");
		web_esc(&r->body, wj_text(m, "reason"));
	}
	web_put(&r->body, "</p>\n");
	web_page_section(r, WT(r, N_("Timeline")));
	web_svg_gantt(r, "gantt", attempts, start, end > 0 ? end : r->now, 0);
	web_page_section(r, WT(r, N_("Stages")));
	run_attempt_rows(r, attempts);
	snprintf(api, sizeof api, "/api/v1/runs/%lld/attempts.csv",
	    (long long)wj_int(m, "id"));
	web_page_csv_link(r, api);
	web_page_section(r, WT(r, N_("Metrics and error lines")));
	json_array_foreach(attempts, i, a)
		run_attempt_details(r, a);
	run_signature_rows(r, json_object_get(m, "signatures"));
	snprintf(api, sizeof api, "/api/v1/runs/%lld/signatures.csv",
	    (long long)wj_int(m, "id"));
	web_page_csv_link(r, api);
	web_page_end(r);
	return WK_OK;
}

/* ---- trends ---- */

static void
trend_chart(struct web_req *r, const char *id, const char *title,
	    const json_t *series_obj, const json_t *period, int64_t t_to,
	    int64_t limit_ms, const char *limit_label)
{
	const json_t *fc = json_object_get(series_obj, "forecast");
	struct web_svg_series s[2] = {
		{ WT(r, N_("duration")), "ms", "primary", 1, NULL },
		{ WT(r, N_("forecast")), "ms", "forecast", 0,
		  json_object_get(fc, "line") },
	};
	struct web_svg_rule rule = { (double)limit_ms, limit_label, "limit" };
	struct web_svg_chart c;

	memset(&c, 0, sizeof c);
	c.id = id;
	c.title = title;
	c.points = json_object_get(series_obj, "points");
	c.t_key = "t";
	c.series = s;
	c.n_series = json_is_array(s[1].points) ? 2 : 1;
	c.rules = &rule;
	c.n_rules = limit_ms > 0 ? 1 : 0;
	c.t_from = wj_int(period, "from");
	c.t_to = t_to;
	c.y_unit = "ms";
	web_svg_time_chart(r, &c);
}

static void
trend_facts(struct web_req *r, const json_t *fc)
{
	char rate[48], when[40];
	const char *outlook = wj_text(fc, "outlook");

	web_put(&r->body, "<p class=\"facts\">");
	if (!json_is_true(json_object_get(fc, "ok"))) {
		web_esc(&r->body, WT(r, N_("Too little history for a trend (three days of succeeded runs are needed).")));
		web_put(&r->body, "</p>\n");
		return;
	}
	web_duration(rate, sizeof rate, fabs(wj_real(fc, "ms_per_day")));
	web_putesc(&r->body, wj_real(fc, "ms_per_day") >= 0 ?
	    WT(r, N_("Growing by %s a day over %lld runs.")) :
	    WT(r, N_("Shrinking by %s a day over %lld runs.")), rate,
	    (long long)wj_int(fc, "n"));
	web_put(&r->body, " ");
	if (strcmp(outlook, "at") == 0) {
		web_time(when, sizeof when, wj_int(fc, "reach_at"));
		web_putesc(&r->body, WT(r, N_("At this pace it reaches its limit on %s.")),
		    when);
	} else if (strcmp(outlook, "already") == 0) {
		web_esc(&r->body, WT(r, N_("It is already at its limit.")));
	} else if (strcmp(outlook, "never") == 0) {
		web_esc(&r->body, WT(r, N_("At this pace it does not reach its limit.")));
	}
	web_put(&r->body, "</p>\n");
}

int
web_page_trends(struct web_req *r, json_t *m)
{
	const json_t *period = json_object_get(m, "period");
	const json_t *run = json_object_get(m, "run"), *st;
	int64_t t_to = wj_int(m, "chart_to");
	char title[160], id[96], api[160];
	size_t i;

	snprintf(title, sizeof title, WT(r, N_("Pipeline %s")),
	    wj_text(m, "pipeline"));
	web_page_begin(r, "runs", title);
	web_page_periods(r, period);
	web_put(&r->body, "<p><a href=\"/runs?pipeline=");
	web_urlenc(&r->body, wj_text(m, "pipeline"));
	web_put(&r->body, "\">");
	web_esc(&r->body, WT(r, N_("Runs of this pipeline")));
	web_put(&r->body, "</a></p>");
	web_page_section(r, WT(r, N_("Run duration")));
	trend_chart(r, "trend-run", WT(r, N_("Run duration")), run, period,
	    t_to, wj_int(json_object_get(run, "forecast"), "limit_ms"),
	    WT(r, N_("deadline")));
	trend_facts(r, json_object_get(run, "forecast"));
	json_array_foreach(json_object_get(m, "stages"), i, st) {
		snprintf(title, sizeof title, WT(r, N_("Stage %s")),
		    wj_text(st, "stage"));
		web_page_section(r, title);
		snprintf(id, sizeof id, "trend-%s", wj_text(st, "stage"));
		trend_chart(r, id, title, st, period, t_to, wj_int(st,
		    "timeout_ms"), WT(r, N_("timeout")));
		trend_facts(r, json_object_get(st, "forecast"));
	}
	snprintf(api, sizeof api, "/api/v1/pipelines/%s/trends.csv",
	    wj_text(m, "pipeline"));
	web_page_csv_link(r, api);
	web_page_end(r);
	return WK_OK;
}
