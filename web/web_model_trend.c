/*
 * Models of the duration trends: every succeeded attempt of every stage
 * of a pipeline over a period, with the forecast line of core/forecast.h
 * and the stage's timeout or the pipeline's deadline as the limit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/forecast.h"
#include "core/store_logs.h"
#include "web/web_int.h"
#include "web/web_model.h"

#define TREND_STAGES_MAX 256      /* stages of one pipeline shown */
#define TREND_HISTORY_MAX 2000    /* points of one series */

static const char *
outlook_name(enum trend_outlook o)
{
	switch (o) {
	case TREND_NEVER:
		return "never";
	case TREND_ALREADY:
		return "already";
	case TREND_AT:
		return "at";
	default:
		return "unknown";
	}
}

/* The forecast as JSON, with its line drawn from t_from to t_to. */
static json_t *
forecast_json(const struct forecast *f, int64_t now, int64_t t_from,
	      int64_t t_to)
{
	json_t *o = json_pack("{s:b, s:I, s:o, s:o, s:o, s:s, s:o}", "ok",
	    f->ok, "n", (json_int_t)f->n, "ms_per_day", f->ok ?
	    wj_num(f->ms_per_day) : json_null(), "now_ms", f->ok ?
	    wj_num(f->now_ms) : json_null(), "limit_ms", f->limit_ms > 0 ?
	    json_integer(f->limit_ms) : json_null(), "outlook",
	    outlook_name(f->outlook), "reach_at", f->outlook == TREND_AT ?
	    json_integer(f->reach_at) : json_null());
	double a, b;

	if (!f->ok)
		return o;
	a = f->now_ms + f->ms_per_day * (double)(t_from - now) /
	    (double)WEB_MS_PER_DAY;
	b = f->now_ms + f->ms_per_day * (double)(t_to - now) /
	    (double)WEB_MS_PER_DAY;
	json_object_set_new(o, "line", json_pack("[{s:I, s:o}, {s:I, s:o}]",
	    "t", (json_int_t)t_from, "ms", wj_num(a), "t", (json_int_t)t_to,
	    "ms", wj_num(b)));
	return o;
}

/* Forecasts a stage; stage may be NULL (not configured: no timeout). */
static int
stage_forecast(struct store *st, const char *pipeline, const char *name,
	       const struct cfg_stage *stage, int64_t now, struct forecast *f)
{
	struct cfg_stage bare;

	if (stage != NULL)
		return forecast_stage(st, pipeline, stage, now, f);
	memset(&bare, 0, sizeof bare);
	bare.name = (char *)name;
	return forecast_stage(st, pipeline, &bare, now, f);
}

static int
run_forecast(struct store *st, const char *pipeline,
	     const struct cfg_pipeline *p, int64_t now, struct forecast *f)
{
	struct cfg_pipeline bare;

	if (p != NULL)
		return forecast_run(st, p, now, f);
	memset(&bare, 0, sizeof bare);
	bare.name = (char *)pipeline;
	bare.deadline_minute = -1;
	return forecast_run(st, &bare, now, f);
}

/* Appends the history rows as points of series to list and flat. */
static json_t *
history_points(const struct store_history *h, size_t n, const char *series,
	       json_t *flat)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_array_append_new(list, json_pack("{s:I, s:I}", "t",
		    (json_int_t)h[i].ended_at, "ms",
		    (json_int_t)h[i].duration_ms));
		json_array_append_new(flat, json_pack("{s:o, s:I, s:I}",
		    "series", wj_str(series), "t", (json_int_t)h[i].ended_at,
		    "ms", (json_int_t)h[i].duration_ms));
	}
	return list;
}

/* Reads the stage names: configured ones, then those only stored. */
static int
trend_stages(struct web_req *r, const char *pipeline,
	     const struct cfg_pipeline *cp, char (*names)[STORE_NAME_MAX],
	     size_t *count)
{
	char (*stored)[STORE_NAME_MAX] = calloc(TREND_STAGES_MAX,
	    sizeof *stored);
	size_t n = 0, i, k;
	int rc;

	*count = 0;
	if (stored == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; cp != NULL && i < cp->n_stages && *count < TREND_STAGES_MAX;
	    i++)
		snprintf(names[(*count)++], STORE_NAME_MAX, "%s",
		    cp->stages[cp->order[i]].name);
	rc = store_logs_stages(r->store, pipeline, stored, TREND_STAGES_MAX,
	    &n);
	for (i = 0; rc == WK_OK && i < n && *count < TREND_STAGES_MAX; i++) {
		for (k = 0; k < *count && strcmp(names[k], stored[i]) != 0; k++)
			;
		if (k == *count)
			snprintf(names[(*count)++], STORE_NAME_MAX, "%s",
			    stored[i]);
	}
	free(stored);
	return rc;
}

struct trend_ctx {
	struct web_req *r;             /* the request */
	const char *pipeline;          /* its pipeline */
	const struct cfg_pipeline *cp; /* configured, or NULL */
	struct web_period p;           /* period of the points */
	int64_t t_end;                 /* right end of the charts */
	struct store_history *h;       /* TREND_HISTORY_MAX rows */
	json_t *flat;                  /* every point, for CSV */
};

static int
trend_stage(struct trend_ctx *t, const char *name, json_t *list)
{
	const struct cfg_stage *cs = t->cp != NULL ? cfg_find_stage(t->cp,
	    name) : NULL;
	struct forecast f;
	size_t n = 0;
	int rc;

	rc = store_stage_history(t->r->store, t->pipeline, name, t->p.from,
	    t->h, TREND_HISTORY_MAX, &n);
	if (rc == WK_OK)
		rc = stage_forecast(t->r->store, t->pipeline, name, cs,
		    t->r->now, &f);
	if (rc != WK_OK)
		return rc;
	json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o}", "stage",
	    wj_str(name), "timeout_ms", cs != NULL && cs->timeout_ms > 0 ?
	    json_integer(cs->timeout_ms) : json_null(), "points",
	    history_points(t->h, n, name, t->flat), "forecast",
	    forecast_json(&f, t->r->now, t->p.from, t->t_end)));
	return WK_OK;
}

static int
trend_run(struct trend_ctx *t, json_t *m)
{
	struct forecast f;
	size_t n = 0;
	char deadline[16] = "";
	int rc;

	rc = store_run_history(t->r->store, t->pipeline, t->p.from, t->h,
	    TREND_HISTORY_MAX, &n);
	if (rc == WK_OK)
		rc = run_forecast(t->r->store, t->pipeline, t->cp, t->r->now, &f);
	if (rc != WK_OK)
		return rc;
	if (t->cp != NULL && t->cp->deadline_minute >= 0)
		snprintf(deadline, sizeof deadline, "%02d:%02d",
		    t->cp->deadline_minute / 60, t->cp->deadline_minute % 60);
	json_object_set_new(m, "deadline", deadline[0] != '\0' ?
	    json_string(deadline) : json_null());
	json_object_set_new(m, "run", json_pack("{s:o, s:o}", "points",
	    history_points(t->h, n, "run", t->flat), "forecast",
	    forecast_json(&f, t->r->now, t->p.from, t->t_end)));
	return WK_OK;
}

static int
pipeline_known(struct web_req *r, const char *name)
{
	struct store_run run;
	size_t n = 0;

	if (r->cfg != NULL && cfg_find_pipeline(r->cfg, name) != NULL)
		return 1;
	return store_runs_recent(r->store, name, &run, 1, &n) == WK_OK && n > 0;
}

json_t *
web_model_trends(struct web_req *r)
{
	char (*names)[STORE_NAME_MAX] = NULL;
	struct trend_ctx t;
	json_t *m = NULL, *stages;
	size_t n = 0, i;
	int rc;

	memset(&t, 0, sizeof t);
	t.r = r;
	t.pipeline = web_model_seg_after(r, "pipelines");
	if (t.pipeline == NULL || !pipeline_known(r, t.pipeline))
		return web_fail(r, 404, WT(r, N_("there is no pipeline called %s")),
		    t.pipeline != NULL ? t.pipeline : "");
	if (web_period(r, 30 * WEB_MS_PER_DAY, &t.p) != WK_OK)
		return NULL;
	t.cp = r->cfg != NULL ? cfg_find_pipeline(r->cfg, t.pipeline) : NULL;
	/* The charts reach a third of the period into the future. */
	t.t_end = r->now + (t.p.to - t.p.from) / 3;
	t.h = calloc(TREND_HISTORY_MAX, sizeof *t.h);
	names = calloc(TREND_STAGES_MAX, sizeof *names);
	t.flat = json_array();
	stages = json_array();
	m = json_pack("{s:o, s:o, s:I, s:o, s:o}", "pipeline",
	    wj_str(t.pipeline), "period", web_model_period(&t.p), "chart_to",
	    (json_int_t)t.t_end, "stages", stages, "points", t.flat);
	rc = t.h == NULL || names == NULL ? WK_ERR_NOMEM :
	    trend_stages(r, t.pipeline, t.cp, names, &n);
	if (rc == WK_OK)
		rc = trend_run(&t, m);
	for (i = 0; rc == WK_OK && i < n; i++)
		rc = trend_stage(&t, names[i], stages);
	free(t.h);
	free(names);
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}

/* ---- for the report ---- */

struct trend_item {
	char pipeline[STORE_NAME_MAX];   /* pipeline name */
	char stage[STORE_NAME_MAX];      /* stage name */
	struct forecast f;               /* its forecast */
	int64_t timeout_ms;              /* 0: none */
};

static int
compare_growth(const void *a, const void *b)
{
	const struct trend_item *x = a, *y = b;

	return x->f.ms_per_day < y->f.ms_per_day ? 1 :
	    x->f.ms_per_day > y->f.ms_per_day ? -1 : 0;
}

static json_t *
trend_item_json(const struct trend_item *t, int64_t now)
{
	json_t *o = json_pack("{s:o, s:o, s:o}", "pipeline",
	    wj_str(t->pipeline), "stage", wj_str(t->stage), "timeout_ms",
	    t->timeout_ms > 0 ? json_integer(t->timeout_ms) : json_null());

	json_object_update_new(o, forecast_json(&t->f, now, now, now));
	json_object_del(o, "line");
	return o;
}

int
web_model_trend_list(struct store *st, const struct cfg *cfg, int64_t now,
		     size_t max, json_t *m)
{
	struct trend_item *items;
	json_t *list = json_array();
	size_t n = 0, i, k, cap = 0;
	int rc = WK_OK;

	for (i = 0; cfg != NULL && i < cfg->n_pipelines; i++)
		cap += cfg->pipelines[i].n_stages;
	items = calloc(cap + 1, sizeof *items);
	for (i = 0; items != NULL && cfg != NULL && rc == WK_OK &&
	    i < cfg->n_pipelines; i++) {
		const struct cfg_pipeline *p = &cfg->pipelines[i];

		for (k = 0; k < p->n_stages && rc == WK_OK; k++) {
			struct trend_item *t = &items[n];

			snprintf(t->pipeline, sizeof t->pipeline, "%s", p->name);
			snprintf(t->stage, sizeof t->stage, "%s",
			    p->stages[k].name);
			t->timeout_ms = p->stages[k].timeout_ms;
			rc = forecast_stage(st, p->name, &p->stages[k], now,
			    &t->f);
			if (rc == WK_OK && t->f.ok)
				n++;
		}
	}
	/* NOTE: without a configuration the report lists no trends. */
	qsort(items, n, sizeof *items, compare_growth);
	for (i = 0; i < n && i < max; i++)
		json_array_append_new(list, trend_item_json(&items[i], now));
	json_object_set_new(m, "trends", list);
	if (items == NULL && cap > 0)
		rc = WK_ERR_NOMEM;
	free(items);
	return rc;
}
