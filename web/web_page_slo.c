/*
 * The SLO pages: every SLO's state, and for one SLO its error budget
 * burn-down over the window, its burn rates against the alert rules, and
 * its compliance per week and per month.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "web/web_int.h"
#include "web/web_page.h"

int
web_page_slos(struct web_req *r, json_t *m)
{
	web_page_begin(r, "slos", WT(r, N_("Service level objectives")));
	web_page_slo_table(r, json_object_get(m, "slos"));
	web_page_csv_link(r, "/api/v1/slos.csv");
	web_page_end(r);
	return WK_OK;
}

static void
slo_facts(struct web_req *r, const json_t *m)
{
	char text[64];

	web_put(&r->body, "<dl class=\"facts\"><dt>");
	web_esc(&r->body, WT(r, N_("State")));
	web_put(&r->body, "</dt><dd>");
	web_page_state(r, wj_text(m, "state"));
	web_put(&r->body, "</dd><dt>");
	web_esc(&r->body, WT(r, N_("SLI")));
	web_put(&r->body, "</dt><dd>");
	web_page_pct(r, m, "sli", 3);
	web_putesc(&r->body, WT(r, N_(" (%lld good of %lld)")),
	    (long long)wj_int(m, "good"), (long long)wj_int(m, "total"));
	web_put(&r->body, "</dd><dt>");
	web_esc(&r->body, WT(r, N_("Objective")));
	web_put(&r->body, "</dt><dd>");
	web_page_pct(r, m, "objective", 3);
	web_put(&r->body, " / ");
	web_esc(&r->body, wj_text(m, "window"));
	web_put(&r->body, "</dd><dt>");
	web_esc(&r->body, WT(r, N_("Error budget left")));
	web_put(&r->body, "</dt><dd>");
	web_page_pct(r, m, "budget_remaining", 1);
	web_put(&r->body, "</dd><dt>");
	web_esc(&r->body, WT(r, N_("Evaluated")));
	web_put(&r->body, "</dt><dd>");
	web_page_time(r, wj_int(m, "evaluated_at"));
	web_put(&r->body, "</dd></dl>\n");
	if (wj_text(m, "description")[0] != '\0') {
		web_put(&r->body, "<p>");
		web_esc(&r->body, wj_text(m, "description"));
		web_put(&r->body, "</p>\n");
	}
	snprintf(text, sizeof text, "%s", wj_text(m, "detail"));
	if (text[0] != '\0') {
		web_put(&r->body, "<p class=\"detail\">");
		web_esc(&r->body, wj_text(m, "detail"));
		web_put(&r->body, "</p>\n");
	}
}

static void
slo_budget_chart(struct web_req *r, const json_t *m)
{
	struct web_svg_series s = { WT(r, N_("budget left")),
		"budget_remaining", "primary", 0, NULL };
	struct web_svg_rule zero = { 0, WT(r, N_("exhausted")), "limit" };
	struct web_svg_chart c;
	double lo = 0;
	const json_t *pt;
	size_t i;

	json_array_foreach(json_object_get(m, "series"), i, pt) {
		double v = wj_real(pt, "budget_remaining");

		if (isfinite(v) && v < lo)
			lo = v;
	}
	memset(&c, 0, sizeof c);
	c.id = "budget";
	c.title = WT(r, N_("Error budget left over the window"));
	c.points = json_object_get(m, "series");
	c.t_key = "t";
	c.series = &s;
	c.n_series = 1;
	c.rules = &zero;
	c.n_rules = 1;
	c.t_from = wj_int(m, "series_from");
	c.t_to = wj_int(m, "series_to");
	c.y_min = lo;
	c.y_max = 1;
	c.percent = 1;
	web_svg_time_chart(r, &c);
}

static void
slo_burn_chart(struct web_req *r, const json_t *m)
{
	struct web_svg_series s[4] = {
		{ "1h", "burn_1h", "b1", 0, NULL },
		{ "6h", "burn_6h", "b2", 0, NULL },
		{ "1d", "burn_1d", "b3", 0, NULL },
		{ "3d", "burn_3d", "b4", 0, NULL },
	};
	struct web_svg_rule rules[8];
	struct web_svg_chart c;
	char labels[8][48];
	const json_t *rule;
	size_t i, n = 0;

	json_array_foreach(json_object_get(m, "rules"), i, rule) {
		if (n == 8)
			break;
		snprintf(labels[n], sizeof labels[n], "%s %.4g",
		    strcmp(wj_text(rule, "severity"), "page") == 0 ?
		    WT(r, N_("page")) : WT(r, N_("ticket")),
		    wj_real(rule, "burn_rate"));
		rules[n].y = wj_real(rule, "burn_rate");
		rules[n].label = labels[n];
		rules[n].kind = strcmp(wj_text(rule, "severity"), "page") == 0 ?
		    "page" : "ticket";
		n++;
	}
	memset(&c, 0, sizeof c);
	c.id = "burn";
	c.title = WT(r, N_("Burn rates (1 spends the budget exactly over the window)"));
	c.points = json_object_get(m, "series");
	c.t_key = "t";
	c.series = s;
	c.n_series = 4;
	c.rules = rules;
	c.n_rules = n;
	c.t_from = wj_int(m, "series_from");
	c.t_to = wj_int(m, "series_to");
	web_svg_time_chart(r, &c);
}

/* Draws and lists the compliance of one kind of period. */
static void
slo_compliance(struct web_req *r, const json_t *m, const char *period,
	       const char *title)
{
	static const char *const head[] = { N_("Period"), N_("Good"),
		N_("Total"), N_("SLI"), N_("Met") };
	json_t *items = json_array();
	const json_t *it;
	char id[32];
	size_t i;

	json_array_foreach(json_object_get(m, "compliance"), i, it) {
		if (strcmp(wj_text(it, "period"), period) == 0)
			json_array_append(items, (json_t *)it);
	}
	web_page_section(r, title);
	snprintf(id, sizeof id, "compliance-%s", period);
	web_svg_bars(r, id, items, "label", "sli", wj_real(m, "objective"));
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 5);
	json_array_foreach(items, i, it) {
		json_t *met = json_object_get(it, "met");

		web_put(&r->body, "<tr><td>");
		web_esc(&r->body, wj_text(it, "label"));
		web_put(&r->body, "</td><td class=\"num\">%lld</td><td "
		    "class=\"num\">%lld</td><td class=\"num\">",
		    (long long)wj_int(it, "good"), (long long)wj_int(it, "total"));
		web_page_pct(r, it, "sli", 3);
		web_put(&r->body, "</td><td>");
		if (json_is_boolean(met))
			web_page_state(r, json_is_true(met) ? "ok" : "failed");
		else
			web_put(&r->body, "-");
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
	json_decref(items);
}

int
web_page_slo(struct web_req *r, json_t *m)
{
	char title[128], api[160];

	snprintf(title, sizeof title, WT(r, N_("SLO %s")), wj_text(m, "name"));
	web_page_begin(r, "slos", title);
	slo_facts(r, m);
	web_page_section(r, WT(r, N_("Error budget burn-down")));
	slo_budget_chart(r, m);
	web_page_section(r, WT(r, N_("Burn rates")));
	slo_burn_chart(r, m);
	slo_compliance(r, m, "week", WT(r, N_("Compliance per week")));
	slo_compliance(r, m, "month", WT(r, N_("Compliance per month")));
	/* NOTE: compliance counts events even for timeslice SLOs. */
	snprintf(api, sizeof api, "/api/v1/slos/%s/series.csv",
	    wj_text(m, "name"));
	web_page_csv_link(r, api);
	snprintf(api, sizeof api, "/api/v1/slos/%s/compliance.csv",
	    wj_text(m, "name"));
	web_page_csv_link(r, api);
	web_page_end(r);
	return WK_OK;
}
