/*
 * The retrospective report page, printable, and its text form at
 * /report.txt (the same text `watchkeep report` prints and posts).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "web/web_int.h"
#include "web/web_page.h"

static void
report_form(struct web_req *r, const json_t *period)
{
	char from[16], to[16];
	int64_t f = wj_int(period, "from"), t = wj_int(period, "to");

	clk_format_date(from, sizeof from, f / WEB_MS_PER_DAY);
	clk_format_date(to, sizeof to, (t - 1) / WEB_MS_PER_DAY);
	web_put(&r->body, "<form class=\"noprint\" method=\"get\" "
	    "action=\"/report\"><label>");
	web_esc(&r->body, WT(r, N_("From")));
	web_put(&r->body, " <input type=\"date\" name=\"from\" value=\"%s\">"
	    "</label> <label>", from);
	web_esc(&r->body, WT(r, N_("to")));
	web_put(&r->body, " <input type=\"date\" name=\"to\" value=\"%s\">"
	    "</label> <button type=\"submit\">", to);
	web_esc(&r->body, WT(r, N_("Show")));
	web_put(&r->body, "</button> <a href=\"/report.txt");
	web_page_query(r, "lang", r->lang);
	web_put(&r->body, "\" id=\"report-text\">");
	web_esc(&r->body, WT(r, N_("Text for chat")));
	web_put(&r->body, "</a> <button type=\"button\" id=\"copy-report\" "
	    "hidden>");
	web_esc(&r->body, WT(r, N_("Copy text")));
	web_put(&r->body, "</button></form>\n");
}

static void
report_slos(struct web_req *r, const json_t *slos)
{
	static const char *const head[] = { N_("SLO"), N_("Objective"),
		N_("SLI in the period"), N_("Good"), N_("Total"), N_("Met"),
		N_("Budget left now") };
	const json_t *s;
	size_t i;

	web_page_section(r, WT(r, N_("Did we keep our SLOs?")));
	if (json_array_size(slos) == 0) {
		web_page_empty(r, WT(r, N_("No SLO is configured or stored.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 7);
	json_array_foreach(slos, i, s) {
		json_t *met = json_object_get(s, "period_met");

		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/slos/", wj_text(s, "name"), NULL);
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_pct(r, s, "objective", 3);
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_pct(r, s, "period_sli", 3);
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td "
		    "class=\"num\">%lld</td><td>", (long long)wj_int(s,
		    "period_good"), (long long)wj_int(s, "period_total"));
		if (json_is_boolean(met))
			web_page_state(r, json_is_true(met) ? "ok" : "failed");
		else
			web_put(&r->body, "-");
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_pct(r, s, "budget_remaining", 1);
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

static void
report_runs(struct web_req *r, const json_t *runs)
{
	static const char *const head[] = { N_("Pipeline"), N_("Runs"),
		N_("Succeeded"), N_("Failed"), N_("Success rate") };
	static const char *const fhead[] = { N_("Run"), N_("Pipeline"),
		N_("Date"), N_("Started"), N_("Reason") };
	const json_t *p;
	size_t i;

	web_page_section(r, WT(r, N_("What broke?")));
	web_put(&r->body, "<p>");
	if (wj_int(runs, "running") > 0)
		web_putesc(&r->body, WTN(r, N_("%lld run: %lld succeeded, %lld "
		    "failed, and %lld running."), N_("%lld runs: %lld "
		    "succeeded, %lld failed, and %lld running."),
		    wj_int(runs, "total")), (long long)wj_int(runs,
		    "total"), (long long)wj_int(runs, "succeeded"),
		    (long long)wj_int(runs, "failed"), (long long)wj_int(runs,
		    "running"));
	else
		web_putesc(&r->body, WTN(r, N_("%lld run: %lld succeeded, %lld "
		    "failed."), N_("%lld runs: %lld succeeded, %lld failed."),
		    wj_int(runs, "total")), (long long)wj_int(runs, "total"),
		    (long long)wj_int(runs, "succeeded"), (long long)wj_int(runs,
		    "failed"));
	web_put(&r->body, "</p><table class=\"grid\">");
	web_page_th(r, head, 5);
	json_array_foreach(json_object_get(runs, "by_pipeline"), i, p) {
		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/pipelines/", wj_text(p, "pipeline"), NULL);
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td "
		    "class=\"num\">%lld</td><td class=\"num\">%lld</td><td "
		    "class=\"num\">", (long long)wj_int(p, "runs"),
		    (long long)wj_int(p, "succeeded"), (long long)wj_int(p,
		    "failed"));
		web_page_pct(r, p, "success_rate", 1);
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
	if (json_array_size(json_object_get(runs, "failed_runs")) == 0)
		return;
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, fhead, 5);
	json_array_foreach(json_object_get(runs, "failed_runs"), i, p) {
		web_put(&r->body, "<tr><td><a href=\"/runs/%lld\">#%lld</a></td>"
		    "<td>", (long long)wj_int(p, "id"), (long long)wj_int(p,
		    "id"));
		web_esc(&r->body, wj_text(p, "pipeline"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(p, "logical_date"));
		web_put(&r->body, "</td><td>");
		web_page_time(r, wj_int(p, "started_at"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(p, "reason"));
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

static void
report_trends(struct web_req *r, const json_t *trends)
{
	static const char *const head[] = { N_("Stage"), N_("Growth a day"),
		N_("Duration now"), N_("Timeout"), N_("Reaches it") };
	const json_t *t;
	size_t i;

	web_page_section(r, WT(r, N_("Which stage is getting slower?")));
	if (json_array_size(trends) == 0) {
		web_page_empty(r, WT(r, N_("Too little history for trends.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 5);
	json_array_foreach(trends, i, t) {
		web_put(&r->body, "<tr><td>");
		web_page_link(r, "/pipelines/", wj_text(t, "pipeline"), NULL);
		web_put(&r->body, "/");
		web_esc(&r->body, wj_text(t, "stage"));
		web_put(&r->body, "</td><td class=\"num\">%s", wj_real(t,
		    "ms_per_day") < 0 ? "-" : "+");
		{
			char d[40];

			web_duration(d, sizeof d, fabs(wj_real(t, "ms_per_day")));
			web_esc(&r->body, d);
		}
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, t, "now_ms");
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, t, "timeout_ms");
		web_put(&r->body, "</td><td>");
		web_page_time(r, wj_int(t, "reach_at"));
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

int
web_page_report(struct web_req *r, json_t *m)
{
	const json_t *period = json_object_get(m, "period");

	web_page_begin(r, "report", WT(r, N_("Retrospective")));
	web_page_periods(r, period);
	report_form(r, period);
	report_slos(r, json_object_get(m, "slos"));
	web_page_csv_link(r, "/api/v1/report/slos.csv");
	report_runs(r, json_object_get(m, "runs"));
	web_page_csv_link(r, "/api/v1/report/pipelines.csv");
	web_page_section(r, WT(r, N_("How long did it take us to notice and to fix?")));
	web_page_incident_summary(r, json_object_get(m, "incident_summary"));
	web_page_incident_table(r, json_object_get(m, "incidents"));
	report_trends(r, json_object_get(m, "trends"));
	web_page_csv_link(r, "/api/v1/report/trends.csv");
	web_page_section(r, WT(r, N_("Which error keeps coming back?")));
	web_page_error_table(r, json_object_get(m, "errors"));
	web_page_section(r, WT(r, N_("Probes")));
	web_page_probe_states(r, json_object_get(m, "probes"), 1);
	web_page_end(r);
	return WK_OK;
}

int
web_page_report_text(struct web_req *r, json_t *m)
{
	const char *base = r->webcfg != NULL ? r->webcfg->base_url : NULL;

	if (base == NULL && r->cfg != NULL)
		base = r->cfg->alerting.base_url;

	return web_report_render(m, r->lang, base, &r->body);
}
