/* The incidents, probes and error signature pages. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "web/web_int.h"
#include "web/web_page.h"

/* ---- incidents ---- */

void
web_page_incident_summary(struct web_req *r, const json_t *s)
{
	web_put(&r->body, "<dl class=\"facts\"><dt>");
	web_esc(&r->body, WT(r, N_("Incidents")));
	web_put(&r->body, "</dt><dd data-v=\"%lld\">%lld</dd>"
	    "<dt>", (long long)wj_int(s, "count"), (long long)wj_int(s,
	    "count"));
	web_esc(&r->body, WT(r, N_("Mean time to acknowledge (MTTA)")));
	web_put(&r->body, "</dt><dd>");
	web_page_ms(r, s, "mtta_ms");
	web_put(&r->body, "</dd><dt>");
	web_esc(&r->body, WT(r, N_("Mean time to resolve (MTTR)")));
	web_put(&r->body, "</dt><dd>");
	web_page_ms(r, s, "mttr_ms");
	web_put(&r->body, "</dd><dt>");
	web_esc(&r->body, WT(r, N_("Acknowledged / resolved")));
	web_put(&r->body, "</dt><dd>%lld / %lld</dd></dl>\n",
	    (long long)wj_int(s, "acknowledged"),
	    (long long)wj_int(s, "resolved"));
}

void
web_page_incident_table(struct web_req *r, const json_t *list)
{
	static const char *const head[] = { N_("Fired"), N_("Severity"),
		N_("Source"), N_("Summary"), N_("Detected after"),
		N_("Acknowledged after"), N_("Resolved after"), N_("State") };
	const json_t *it;
	size_t i;

	if (json_array_size(list) == 0) {
		web_page_empty(r, WT(r, N_("No incident in this period.")));
		return;
	}
	web_put(&r->body, "<table class=\"grid\">");
	web_page_th(r, head, 8);
	json_array_foreach(list, i, it) {
		web_put(&r->body, "<tr><td>");
		web_page_time(r, wj_int(it, "fired_at"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(it, "severity"));
		web_put(&r->body, "</td><td>");
		web_esc(&r->body, wj_text(it, "source"));
		web_put(&r->body, "</td><td><a href=\"");
		web_esc(&r->body, wj_text(it, "link"));
		web_put(&r->body, "\">");
		web_esc(&r->body, wj_text(it, "summary"));
		web_put(&r->body, "</a></td><td class=\"num\">");
		web_page_ms(r, it, "detect_ms");
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, it, "tta_ms");
		web_put(&r->body, "</td><td class=\"num\">");
		web_page_ms(r, it, "ttr_ms");
		web_put(&r->body, "</td><td>");
		web_page_state(r, wj_text(it, "state"));
		web_put(&r->body, "</td></tr>\n");
	}
	web_put(&r->body, "</table>\n");
}

int
web_page_incidents(struct web_req *r, json_t *m)
{
	const json_t *period = json_object_get(m, "period");
	const json_t *list = json_object_get(m, "incidents");

	web_page_begin(r, "incidents", WT(r, N_("Incidents")));
	web_page_periods(r, period);
	web_page_incident_summary(r, json_object_get(m, "summary"));
	web_page_section(r, WT(r, N_("Timeline")));
	web_svg_incidents(r, list, wj_int(period, "from"), wj_int(period,
	    "to"));
	web_page_section(r, WT(r, N_("Every incident")));
	web_page_incident_table(r, list);
	web_page_csv_link(r, "/api/v1/incidents.csv");
	web_page_end(r);
	return WK_OK;
}

/* ---- probes ---- */

int
web_page_probes(struct web_req *r, json_t *m)
{
	web_page_begin(r, "probes", WT(r, N_("Probes")));
	web_page_periods(r, json_object_get(m, "period"));
	web_page_probe_states(r, json_object_get(m, "probes"), 1);
	web_page_csv_link(r, "/api/v1/probes.csv");
	web_page_end(r);
	return WK_OK;
}

int
web_page_probe(struct web_req *r, json_t *m)
{
	const json_t *period = json_object_get(m, "period");
	struct web_svg_series avail = { WT(r, N_("availability")),
		"availability", "primary", 1, NULL };
	struct web_svg_series lat[2] = {
		{ "p50", "p50_ms", "b1", 1, NULL },
		{ "p95", "p95_ms", "b3", 1, NULL },
	};
	struct web_svg_chart c;
	json_t *list = json_array();
	char title[128], api[160];

	snprintf(title, sizeof title, WT(r, N_("Probe %s")), wj_text(m,
	    "name"));
	web_page_begin(r, "probes", title);
	web_page_periods(r, period);
	json_array_append(list, m);
	web_page_probe_states(r, list, 1);
	json_decref(list);
	if (wj_text(m, "detail")[0] != '\0') {
		web_put(&r->body, "<p class=\"detail\">");
		web_esc(&r->body, wj_text(m, "detail"));
		web_put(&r->body, "</p>\n");
	}
	memset(&c, 0, sizeof c);
	c.points = json_object_get(m, "buckets");
	c.t_key = "t";
	c.t_from = wj_int(period, "from");
	c.t_to = wj_int(period, "to");
	web_page_section(r, WT(r, N_("Availability")));
	c.id = "availability";
	c.title = WT(r, N_("Share of checks that succeeded, per interval"));
	c.series = &avail;
	c.n_series = 1;
	c.percent = 1;
	c.y_min = 0;
	c.y_max = 1;
	web_svg_time_chart(r, &c);
	web_page_section(r, WT(r, N_("Latency")));
	c.id = "latency";
	c.title = WT(r, N_("Latency percentiles per interval"));
	c.series = lat;
	c.n_series = 2;
	c.percent = 0;
	c.y_min = c.y_max = 0;
	c.y_unit = "ms";
	web_svg_time_chart(r, &c);
	snprintf(api, sizeof api, "/api/v1/probes/%s/buckets.csv",
	    wj_text(m, "name"));
	web_page_csv_link(r, api);
	web_page_end(r);
	return WK_OK;
}

/* ---- errors ---- */

int
web_page_errors(struct web_req *r, json_t *m)
{
	web_page_begin(r, "errors", WT(r, N_("Error signatures")));
	web_page_periods(r, json_object_get(m, "period"));
	web_page_error_table(r, json_object_get(m, "errors"));
	web_page_csv_link(r, "/api/v1/errors.csv");
	web_page_end(r);
	return WK_OK;
}
