/*
 * The retrospective of a period: were the SLOs kept, how many runs
 * failed, what broke and how long it took to notice (acknowledge) and to
 * fix (resolve), which stages grow slower, which errors keep coming back,
 * and how available the probes were. The page, /api/v1/report, the text
 * for chat and `watchkeep report` all render this one model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_slos.h"
#include "core/slo.h"
#include "core/store_report.h"
#include "web/web_int.h"
#include "web/web_model.h"

#define REPORT_FAILED_RUNS 20     /* failed runs listed */
#define REPORT_TRENDS 10          /* growing stages listed */
#define REPORT_ERRORS 10          /* signatures listed */

/* Adds the events of each SLO in the period, and whether it met its goal. */
static int
report_slos(struct web_req *r, const struct web_period *p, json_t *m)
{
	json_t *slos, *s;
	size_t i;
	int rc = web_model_slo_summaries(r, m, "slos");

	slos = json_object_get(m, "slos");
	json_array_foreach(slos, i, s) {
		int64_t good = 0, total = 0;
		double objective = wj_real(s, "objective"), sli;

		if (rc == WK_OK)
			rc = store_report_sli_sum(r->store, wj_text(s, "name"),
			    p->from / 60000, p->to / 60000, &good, &total);
		sli = total > 0 ? (double)good / (double)total : NAN;
		json_object_set_new(s, "period_good", json_integer(good));
		json_object_set_new(s, "period_total", json_integer(total));
		json_object_set_new(s, "period_sli", wj_num(sli));
		json_object_set_new(s, "period_met", total > 0 &&
		    isfinite(objective) ? json_boolean(sli >= objective) :
		    json_null());
	}
	return rc;
}

static int
report_runs(struct web_req *r, const struct web_period *p, json_t *m)
{
	char names[CFG_MAX_PIPELINES][STORE_NAME_MAX];
	struct store_report_run_counts c, all;
	struct store_run *runs = calloc(WEB_RUNS_MAX, sizeof *runs);
	json_t *by = json_array(), *failed = json_array();
	size_t n = 0, i;
	int rc;

	rc = runs == NULL ? WK_ERR_NOMEM :
	    web_model_pipelines(r, names, CFG_MAX_PIPELINES, &n);
	for (i = 0; rc == WK_OK && i < n; i++) {
		rc = store_report_run_counts(r->store, names[i], p->from, p->to,
		    &c);
		json_array_append_new(by, json_pack("{s:o, s:I, s:I, s:I, s:I, "
		    "s:o}", "pipeline", wj_str(names[i]), "runs",
		    (json_int_t)c.total, "succeeded", (json_int_t)c.succeeded,
		    "failed", (json_int_t)c.failed, "running",
		    (json_int_t)c.running, "success_rate", c.succeeded + c.failed >
		    0 ? json_real((double)c.succeeded / (double)(c.succeeded +
		    c.failed)) : json_null()));
	}
	if (rc == WK_OK)
		rc = store_report_run_counts(r->store, NULL, p->from, p->to,
		    &all);
	n = 0;
	if (rc == WK_OK)
		rc = store_report_runs(r->store, NULL, p->from, p->to, runs,
		    WEB_RUNS_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++) {
		if (strcmp(runs[i].state, STORE_RUN_FAILED) == 0 &&
		    json_array_size(failed) < REPORT_FAILED_RUNS)
			json_array_append_new(failed, web_model_run_json(&runs[i]));
	}
	json_object_set_new(m, "runs", json_pack("{s:I, s:I, s:I, s:I, s:o, "
	    "s:o}", "total", (json_int_t)(rc == WK_OK ? all.total : 0),
	    "succeeded", (json_int_t)(rc == WK_OK ? all.succeeded : 0),
	    "failed", (json_int_t)(rc == WK_OK ? all.failed : 0), "running",
	    (json_int_t)(rc == WK_OK ? all.running : 0), "by_pipeline", by,
	    "failed_runs", failed));
	free(runs);
	return rc;
}

json_t *
web_report_build(struct web_req *r, const struct web_period *p)
{
	json_t *m = json_pack("{s:o, s:I}", "period", web_model_period(p),
	    "generated_at", (json_int_t)r->now);
	int rc;

	rc = report_slos(r, p, m);
	if (rc == WK_OK)
		rc = report_runs(r, p, m);
	if (rc == WK_OK) {
		json_t *inc = json_object();

		rc = web_model_incident_list(r->store, p->from, p->to, r->now,
		    inc);
		json_object_set(m, "incidents", json_object_get(inc,
		    "incidents"));
		json_object_set(m, "incident_summary", json_object_get(inc,
		    "summary"));
		json_decref(inc);
	}
	if (rc == WK_OK)
		rc = web_model_trend_list(r->store, r->cfg, r->now,
		    REPORT_TRENDS, m);
	if (rc == WK_OK)
		rc = web_model_signatures(r, p, NULL, REPORT_ERRORS, m, "errors");
	if (rc == WK_OK)
		rc = web_model_probe_list(r->store, p->from, p->to, m);
	if (rc != WK_OK) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *
web_model_report(struct web_req *r)
{
	struct web_period p;
	json_t *m;

	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK)
		return NULL;
	m = web_report_build(r, &p);
	if (m == NULL)
		return web_fail(r, 500, "%s", WT(r, N_("reading the store failed")));
	return m;
}

int
web_report_text(struct store *st, const struct cfg *cfg, int64_t from_ms,
		int64_t to_ms, const char *lang, const char *base_url,
		struct buf *out)
{
	struct web_req *r = calloc(1, sizeof *r);
	struct web_period p;
	json_t *m;
	int rc;

	if (r == NULL)
		return WK_ERR_NOMEM;
	web_i18n_init();
	r->store = st;
	r->cfg = cfg;
	r->now = to_ms;
	snprintf(r->lang, sizeof r->lang, "%s", strcmp(lang, "ja") == 0 ?
	    "ja" : "en");
	p.from = from_ms;
	p.to = to_ms;
	snprintf(p.label, sizeof p.label, "%s", "");
	m = web_report_build(r, &p);
	rc = m != NULL ? web_report_render(m, r->lang, base_url, out) :
	    WK_ERR_STORE;
	json_decref(m);
	free(r);
	return rc;
}
