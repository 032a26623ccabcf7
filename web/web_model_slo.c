/*
 * Models of the SLO pages: the latest evaluation of every SLO, and for
 * one SLO its series (budget burn-down, burn rates) and its compliance
 * per week and per month.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config_slos.h"
#include "core/slo.h"
#include "core/slo_impl.h"
#include "core/store_report.h"
#include "core/tz.h"
#include "web/web_int.h"
#include "web/web_model.h"

#define SLO_SERIES_POINTS 720     /* points of a series at most */
#define SLO_COMPLIANCE_WEEKS 12   /* weeks shown */
#define SLO_COMPLIANCE_MONTHS 12  /* months shown */
#define SLO_MONTH_MINUTES (31 * 1440)

/* Indices of the burn rates the charts draw, in slo_burn_names. */
static const size_t slo_chart_burns[] = { 2, 4, 5, 6 };  /* 1h 6h 1d 3d */

static void
format_window(char *out, size_t size, int64_t minutes)
{
	if (minutes == 0)
		snprintf(out, size, "month");
	else if (minutes % 1440 == 0)
		snprintf(out, size, "%lldd", (long long)(minutes / 1440));
	else if (minutes % 60 == 0)
		snprintf(out, size, "%lldh", (long long)(minutes / 60));
	else
		snprintf(out, size, "%lldm", (long long)minutes);
}

static json_t *
num_json(const struct slo_num *n)
{
	return n->known ? wj_num(n->value) : json_null();
}

static json_t *
slo_config_json(const struct cfg_slo *c)
{
	char window[32];

	format_window(window, sizeof window, c->window_minutes);
	return json_pack("{s:o, s:f, s:s, s:s, s:s, s:o}", "description",
	    c->description != NULL ? wj_str(c->description) : json_null(),
	    "objective", c->objective, "window", window, "budgeting",
	    c->budgeting == CFG_BUDGET_TIMESLICES ? "timeslices" :
	    "occurrences", "sli_kind", cfg_sli_kind_name(c->sli.kind),
	    "time_zone", c->time_zone != NULL ? wj_str(c->time_zone) :
	    json_null());
}

static json_t *
slo_summary(struct web_req *r, const char *name)
{
	const struct cfg_slo *c = r->cfg != NULL ? cfg_find_slo(r->cfg, name) :
	    NULL;
	struct slo_status s;
	json_t *o, *burn;
	size_t i;

	o = c != NULL ? slo_config_json(c) : json_pack("{s:n, s:n, s:n, s:n, "
	    "s:n, s:n}", "description", "objective", "window", "budgeting",
	    "sli_kind", "time_zone");
	json_object_set_new(o, "name", wj_str(name));
	json_object_set_new(o, "configured", json_boolean(c != NULL));
	if (slo_read_latest(r->store, name, &s) != WK_OK) {
		json_object_set_new(o, "state", json_string("not_evaluated"));
		return o;
	}
	burn = json_object();
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		json_object_set_new(burn, slo_burn_names[i], num_json(&s.burn[i]));
	json_object_set_new(o, "state", json_string(slo_state_name(s.state)));
	json_object_set_new(o, "evaluated_at", json_integer(s.minute * 60000));
	json_object_set_new(o, "good", json_integer(s.good));
	json_object_set_new(o, "total", json_integer(s.total));
	json_object_set_new(o, "sli", num_json(&s.sli));
	json_object_set_new(o, "budget_remaining", num_json(&s.budget_remaining));
	json_object_set_new(o, "budget_exhausted",
	    json_boolean(s.budget_exhausted));
	json_object_set_new(o, "burn", burn);
	json_object_set_new(o, "detail", wj_str(s.detail));
	return o;
}

/* Reads the SLO names: configured ones first, then stored ones. */
static int
slo_names(struct web_req *r, char (*names)[64], size_t max, size_t *count)
{
	char (*stored)[64] = calloc(WEB_SLOS_MAX, sizeof *stored);
	size_t n_stored = 0, i, k;
	int rc;

	*count = 0;
	if (stored == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; r->cfg != NULL && r->cfg->slos != NULL &&
	    i < r->cfg->slos->count && *count < max; i++)
		snprintf(names[(*count)++], 64, "%s", r->cfg->slos->items[i].name);
	rc = store_report_slo_names(r->store, stored, WEB_SLOS_MAX, &n_stored);
	for (i = 0; rc == WK_OK && i < n_stored && *count < max; i++) {
		for (k = 0; k < *count && strcmp(names[k], stored[i]) != 0; k++)
			;
		if (k == *count)
			snprintf(names[(*count)++], 64, "%s", stored[i]);
	}
	free(stored);
	return rc;
}

int
web_model_slo_summaries(struct web_req *r, json_t *m, const char *key)
{
	char (*names)[64] = calloc(WEB_SLOS_MAX, sizeof *names);
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	rc = names == NULL ? WK_ERR_NOMEM :
	    slo_names(r, names, WEB_SLOS_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, slo_summary(r, names[i]));
	json_object_set_new(m, key, list);
	free(names);
	return rc;
}

json_t *
web_model_slos(struct web_req *r)
{
	json_t *m = json_object();

	if (web_model_slo_summaries(r, m, "slos") != WK_OK) {
		json_decref(m);
		return web_fail(r, 500, "%s", WT(r, N_("reading the store failed")));
	}
	return m;
}

/* ---- one SLO ---- */

static json_t *
slo_rules(const struct cfg_slo *c)
{
	struct slo_rule_eval rules[SLO_RULES_MAX];
	json_t *list = json_array();
	size_t n, i;

	if (c == NULL)
		return list;
	n = slo_rules_resolve(c, rules);
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:f}",
		    "severity", rules[i].page ? "page" : "ticket",
		    "long_minutes", (json_int_t)rules[i].long_minutes,
		    "short_minutes", (json_int_t)rules[i].short_minutes,
		    "burn_rate", rules[i].threshold));
	return list;
}

static json_t *
point_json(const struct slo_point *pt)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:I, s:I, s:o, s:o}", "minute",
	    (json_int_t)pt->minute, "t", (json_int_t)(pt->minute * 60000),
	    "state", slo_state_name(pt->state), "good", (json_int_t)pt->good,
	    "total", (json_int_t)pt->total, "sli", num_json(&pt->sli),
	    "budget_remaining", num_json(&pt->budget_remaining));
	char key[16];
	size_t i;

	for (i = 0; i < sizeof slo_chart_burns / sizeof slo_chart_burns[0];
	    i++) {
		snprintf(key, sizeof key, "burn_%s",
		    slo_burn_names[slo_chart_burns[i]]);
		json_object_set_new(o, key,
		    num_json(&pt->burn[slo_chart_burns[i]]));
	}
	return o;
}

/*
 * Appends the evaluations of [from, to) taken every step minutes (from a
 * multiple of step) to list; returns the store's code.
 */
static int
slo_series_part(struct web_req *r, const char *name, int64_t from,
		int64_t to, int64_t step, json_t *list, struct slo_point *pts)
{
	size_t n = 0, i;
	int rc;

	if (to <= from)
		return WK_OK;
	from -= ((from % step) + step) % step;
	rc = slo_read_series(r->store, name, from, to - 1, step, pts,
	    SLO_SERIES_POINTS + 2, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, point_json(&pts[i]));
	return rc;
}

/*
 * Reads the series of the last range_min minutes into member "series":
 * evaluations older than SLO_SERIES_FULL_MINUTES are kept hourly only,
 * so that part is read in whole hours, and the recent part more finely.
 */
static int
slo_series(struct web_req *r, const char *name, int64_t range_min,
	   json_t *m)
{
	int64_t to = r->now / 60000 + 1, from = to - range_min, split, step;
	struct slo_point *pts = calloc(SLO_SERIES_POINTS + 2, sizeof *pts);
	json_t *list = json_array();
	int rc = pts == NULL ? WK_ERR_NOMEM : WK_OK;

	split = to - SLO_SERIES_FULL_MINUTES;
	if (split < from)
		split = from;
	/* Half the points for the old part, half for the recent one. */
	step = (split - from + SLO_SERIES_POINTS / 2 - 1) /
	    (SLO_SERIES_POINTS / 2);
	step = ((step + 59) / 60) * 60;
	if (rc == WK_OK && split > from)
		rc = slo_series_part(r, name, from, split, step < 60 ? 60 : step,
		    list, pts);
	step = (to - split + SLO_SERIES_POINTS / 2 - 1) / (SLO_SERIES_POINTS / 2);
	if (rc == WK_OK)
		rc = slo_series_part(r, name, split, to, step < 1 ? 1 : step,
		    list, pts);
	json_object_set_new(m, "series", list);
	json_object_set_new(m, "series_from", json_integer(from * 60000));
	json_object_set_new(m, "series_to", json_integer(to * 60000));
	free(pts);
	return rc;
}

static json_t *
compliance_json(struct web_req *r, const char *name, const char *period,
		const char *label, int64_t from_min, int64_t to_min,
		double objective)
{
	int64_t good = 0, total = 0;
	double sli;

	if (store_report_sli_sum(r->store, name, from_min, to_min, &good,
	    &total) != WK_OK)
		return NULL;
	sli = total > 0 ? (double)good / (double)total : NAN;
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "period",
	    period, "label", label, "from", (json_int_t)(from_min * 60000),
	    "to", (json_int_t)(to_min * 60000), "good", (json_int_t)good,
	    "total", (json_int_t)total, "sli", wj_num(sli), "met",
	    total > 0 && isfinite(objective) ? json_boolean(sli >= objective) :
	    json_null());
}

/* Tells whether list has a period of the kind already. */
static int
compliance_started(const json_t *list, const char *period)
{
	const json_t *it;
	size_t i;

	json_array_foreach(list, i, it) {
		if (strcmp(wj_text(it, "period"), period) == 0)
			return 1;
	}
	return 0;
}

/* Weeks start on Monday 00:00 UTC; the epoch was a Thursday. */
static int
compliance_weeks(struct web_req *r, const char *name, double objective,
		 json_t *list)
{
	int64_t day = r->now / WEB_MS_PER_DAY;
	int64_t monday = day - ((day + 3) % 7), start;
	char label[32];
	json_t *o;
	int i;

	for (i = SLO_COMPLIANCE_WEEKS - 1; i >= 0; i--) {
		start = monday - 7 * (int64_t)i;
		clk_format_date(label, sizeof label, start);
		o = compliance_json(r, name, "week", label, start * 1440,
		    (start + 7) * 1440, objective);
		if (o == NULL)
			return WK_ERR_STORE;
		/* Weeks before the first event are left out. */
		if (wj_int(o, "total") == 0 && !compliance_started(list, "week"))
			json_decref(o);
		else
			json_array_append_new(list, o);
	}
	return WK_OK;
}

/* Minute (UTC) at which local month (year, month) of tz begins. */
static int64_t
month_start(const struct tz *tz, int64_t year, int month)
{
	int64_t local_s = clk_days_from_civil(year, month, 1) * 86400, utc;

	if (tz == NULL)
		return local_s / 60;
	tz_local_to_utc(tz, local_s, &utc, NULL);
	return utc / 60;
}

static int
compliance_months(struct web_req *r, const char *name, double objective,
		  const char *zone, json_t *list)
{
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;
	struct tz_civil now;
	int64_t year;
	char label[32];
	json_t *o;
	int i, month, rc = WK_OK;

	if (zone != NULL && tz_load(zone, &tz, &err) != WK_OK)
		tz = NULL;
	if (tz != NULL) {
		tz_civil_at(tz, r->now / 1000, &now);
	} else {
		clk_civil_from_days(r->now / WEB_MS_PER_DAY, &now.year,
		    &now.month, &now.day);
	}
	for (i = SLO_COMPLIANCE_MONTHS - 1; i >= 0 && rc == WK_OK; i--) {
		year = now.year;
		month = now.month - i;
		while (month < 1) {
			month += 12;
			year--;
		}
		snprintf(label, sizeof label, "%04lld-%02d", (long long)year,
		    month);
		o = compliance_json(r, name, "month", label,
		    month_start(tz, year, month), month_start(tz, month == 12 ?
		    year + 1 : year, month == 12 ? 1 : month + 1), objective);
		if (o == NULL)
			rc = WK_ERR_STORE;
		else if (wj_int(o, "total") == 0 &&
		    !compliance_started(list, "month"))
			json_decref(o);
		else
			json_array_append_new(list, o);
	}
	tz_free(tz);
	return rc;
}

static int64_t
series_range(struct web_req *r, const struct cfg_slo *c)
{
	struct web_period p;

	if (web_arg(r, "since") != NULL || web_arg(r, "from") != NULL) {
		if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK)
			return -1;
		return (p.to - p.from) / 60000;
	}
	if (c == NULL)
		return 30 * 1440;
	return c->window_minutes > 0 ? c->window_minutes : SLO_MONTH_MINUTES;
}

json_t *
web_model_slo(struct web_req *r)
{
	const char *name = web_model_seg_after(r, "slos");
	const struct cfg_slo *c;
	json_t *m, *compliance;
	int64_t range;
	int rc;

	c = name != NULL && r->cfg != NULL ? cfg_find_slo(r->cfg, name) : NULL;
	m = name != NULL ? slo_summary(r, name) : NULL;
	if (m == NULL || (c == NULL && strcmp(wj_text(m, "state"),
	    "not_evaluated") == 0)) {
		json_decref(m);
		return web_fail(r, 404, WT(r, N_("there is no SLO called %s")),
		    name != NULL ? name : "");
	}
	range = series_range(r, c);
	if (range < 0) {
		json_decref(m);
		return NULL;
	}
	json_object_set_new(m, "rules", slo_rules(c));
	compliance = json_array();
	json_object_set_new(m, "compliance", compliance);
	rc = slo_series(r, name, range, m);
	if (rc == WK_OK)
		rc = compliance_weeks(r, name, c != NULL ? c->objective : NAN,
		    compliance);
	if (rc == WK_OK)
		rc = compliance_months(r, name, c != NULL ? c->objective : NAN,
		    c != NULL ? c->time_zone : NULL, compliance);
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}
