/*
 * The data of the overview: the run shown with an estimate for each
 * stage, the agent's queued runs, the SLOs, the open alerts, the probes
 * and the forecast warnings.
 * Durations and forecasts, which read weeks of history, are read again
 * once a minute or when the run changes; the rest once a refresh.
 */
#include "tui/tui_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/slo_impl.h"
#include "core/store_alerts.h"

#define TUI_RUNNING_MAX 16  /* runs in progress looked at */

size_t
tui_pipelines(const struct tui *t, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < t->cfg->n_pipelines && n < max; i++)
		names[n++] = t->cfg->pipelines[i].name;
	if (t->m.pipeline[0] != '\0' && n < max &&
	    cfg_find_pipeline(t->cfg, t->m.pipeline) == NULL)
		names[n++] = t->m.pipeline;
	return n;
}

/* Picks the run to show: of the chosen pipeline, else running, else last. */
static int
tui_model_pick_run(struct tui *t)
{
	struct store_run running[TUI_RUNNING_MAX];
	const char *names[CFG_MAX_PIPELINES + 1];
	size_t n = 0, n_names;
	int rc;

	t->m.has_run = 0;
	n_names = tui_pipelines(t, names, CFG_MAX_PIPELINES + 1);
	if (t->pipeline_index < n_names) {
		rc = store_runs_recent(t->store, names[t->pipeline_index],
		    &t->m.run, 1, &n);
		t->m.has_run = rc == WK_OK && n == 1;
		snprintf(t->m.pipeline, sizeof t->m.pipeline, "%s",
		    names[t->pipeline_index]);
		return rc;
	}
	rc = store_runs_in_state(t->store, STORE_RUN_RUNNING, running,
	    TUI_RUNNING_MAX, &n);
	if (rc == WK_OK && n > 0)
		t->m.run = running[n - 1];
	else if (rc == WK_OK)
		rc = store_runs_recent(t->store, NULL, &t->m.run, 1, &n);
	t->m.has_run = rc == WK_OK && n > 0;
	if (t->m.has_run)
		snprintf(t->m.pipeline, sizeof t->m.pipeline, "%s",
		    t->m.run.pipeline);
	return rc;
}

/* Adds a stage row, or returns the existing one of that name. */
static struct tui_stage *
tui_model_stage(struct tui_model *m, const char *name)
{
	struct tui_stage *s;
	size_t i;

	for (i = 0; i < m->n_stages; i++)
		if (strcmp(m->stages[i].name, name) == 0)
			return &m->stages[i];
	if (m->n_stages >= CFG_MAX_STAGES)
		return NULL;
	s = &m->stages[m->n_stages++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->typical_ms = -1;
	s->left_ms = -1;
	s->done = -1;
	return s;
}

/* Lists the stages: configured ones in execution order, then stored. */
static int
tui_model_stages(struct tui *t, struct store_stage_run *stored)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(t->cfg,
	    t->m.pipeline);
	int64_t typical[CFG_MAX_STAGES];
	double slope[CFG_MAX_STAGES];
	size_t i, n_old = t->m.n_stages, n = 0;
	struct tui_stage *s;
	int rc = WK_OK;

	/* The estimates stay while the list is rebuilt in the same order. */
	for (i = 0; i < CFG_MAX_STAGES; i++) {
		typical[i] = i < n_old ? t->m.stages[i].typical_ms : -1;
		slope[i] = i < n_old && t->m.stages[i].has_slope ?
		    t->m.stages[i].ms_per_day : NAN;
	}
	t->m.n_stages = 0;
	for (i = 0; p != NULL && i < p->n_stages; i++)
		tui_model_stage(&t->m, p->stages[p->order[i]].name);
	if (t->m.has_run)
		rc = store_stage_runs_latest(t->store, t->m.run.id, stored,
		    CFG_MAX_STAGES, &n);
	if (rc != WK_OK)
		n = 0;

	for (i = 0; i < n; i++) {
		s = tui_model_stage(&t->m, stored[i].stage);
		if (s != NULL)
			s->sr = stored[i];
	}
	for (i = 0; i < t->m.n_stages; i++) {
		t->m.stages[i].typical_ms = typical[i];
		t->m.stages[i].has_slope = !isnan(slope[i]);
		t->m.stages[i].ms_per_day = isnan(slope[i]) ? 0 : slope[i];
	}
	return rc;
}

/* Reads the median duration of the recent successes of every stage. */
static int
tui_model_typical(struct tui *t)
{
	struct store_history h[TUI_HISTORY_MAX];
	int64_t ms[TUI_HISTORY_MAX];
	size_t i, k, n;
	int rc = WK_OK;

	for (i = 0; i < t->m.n_stages && rc == WK_OK; i++) {
		struct tui_stage *s = &t->m.stages[i];

		rc = store_stage_history(t->store, t->m.pipeline, s->name,
		    t->m.now_ms - TUI_HISTORY_DAYS * CLK_MS_PER_DAY, h,
		    TUI_HISTORY_MAX, &n);
		if (rc != WK_OK)
			break;
		k = 0;
		/* The newest ones: h is oldest first. */
		for (; n > 0 && k < TUI_HISTORY_USED; n--)
			ms[k++] = h[n - 1].duration_ms;
		s->typical_ms = tui_median(ms, k);
	}
	return rc;
}

/* Estimates the share done and the time left of a running stage. */
static void
tui_model_estimate(struct tui_model *m, struct tui_stage *s)
{
	double p = s->sr.progress;
	int64_t elapsed;

	s->left_ms = -1;
	s->done = -1;
	if (strcmp(s->sr.state, STORE_STAGE_RUNNING) != 0 ||
	    s->sr.started_at <= 0)
		return;
	elapsed = m->now_ms - s->sr.started_at;
	if (elapsed < 0)
		elapsed = 0;

	/* The stage's own progress first, then its history. */
	if (p > 0.02 && p <= 1) {
		s->done = p;
		s->left_ms = (int64_t)((double)elapsed / p) - elapsed;
	} else if (s->typical_ms > 0) {
		s->done = fmin(0.99, (double)elapsed / (double)s->typical_ms);
		s->left_ms = s->typical_ms > elapsed ? s->typical_ms - elapsed :
		    0;
	}
}

static int
tui_model_run(struct tui *t, struct store_stage_run *stored)
{
	int64_t mono = tui_mono_ms();
	int slow;
	size_t i;
	int rc;

	rc = tui_model_pick_run(t);
	if (rc == WK_OK)
		rc = tui_model_stages(t, stored);
	if (rc != WK_OK)
		return rc;

	slow = !t->m.has_run || t->m.typical_run != t->m.run.id ||
	    mono - t->m.slow_at_ms >= TUI_SLOW_REFRESH_MS;
	if (slow && t->m.has_run) {
		rc = tui_model_typical(t);
		t->m.typical_run = t->m.run.id;
	}
	for (i = 0; i < t->m.n_stages; i++)
		tui_model_estimate(&t->m, &t->m.stages[i]);
	return rc;
}

/* Reads the queued runs of every pipeline, first to start first. */
static int
tui_model_queued(struct tui *t)
{
	size_t n = 0;
	int rc;

	rc = store_queue_list(t->store, NULL, t->m.queued, TUI_QUEUED_MAX + 1,
	    &n);
	if (rc != WK_OK)
		n = 0;
	t->m.queued_more = n > TUI_QUEUED_MAX;
	t->m.n_queued = n > TUI_QUEUED_MAX ? TUI_QUEUED_MAX : n;
	return rc;
}

size_t
tui_queued_place(const struct tui *t, size_t i)
{
	size_t j, place = 1;

	for (j = 0; j < i && j < t->m.n_queued; j++)
		place += strcmp(t->m.queued[j].pipeline,
		    t->m.queued[i].pipeline) == 0;
	return place;
}

size_t
tui_queued_count(const struct tui *t, const char *pipeline)
{
	size_t i, n = 0;

	for (i = 0; i < t->m.n_queued; i++)
		n += strcmp(t->m.queued[i].pipeline, pipeline) == 0;
	return n;
}

/* Finds the thresholds that colour each reported burn rate. */
static void
tui_model_thresholds(struct tui_slo *s)
{
	size_t i, w;

	s->n_rules = slo_rules_resolve(s->cfg, s->rules);
	for (w = 0; w < SLO_BURN_WINDOWS; w++) {
		int64_t minutes = slo_burn_minutes[w];

		for (i = 0; i < s->n_rules; i++) {
			const struct slo_rule_eval *r = &s->rules[i];
			double *at = r->page ? &s->page_at[w] :
			    &s->ticket_at[w];

			if (r->long_minutes != minutes &&
			    r->short_minutes != minutes)
				continue;
			if (*at == 0 || r->threshold < *at)
				*at = r->threshold;
		}
	}
}

static int
tui_model_slos(struct tui *t)
{
	const struct cfg_slos *slos = t->cfg->slos;
	size_t i, n = slos != NULL ? slos->count : 0;
	int rc;

	if (n > TUI_SLOS_MAX)
		n = TUI_SLOS_MAX;
	for (i = 0; i < n; i++) {
		struct tui_slo *s = &t->m.slos[i];

		if (s->cfg != &slos->items[i]) {
			memset(s, 0, sizeof *s);
			s->cfg = &slos->items[i];
			tui_model_thresholds(s);
		}
		rc = slo_read_latest(t->store, s->cfg->name, &s->st);
		if (rc != WK_OK && rc != WK_ERR_NOTFOUND)
			return rc;
		s->has_status = rc == WK_OK;
	}
	t->m.n_slos = n;
	return WK_OK;
}

static int
tui_model_probes(struct tui *t)
{
	struct store_view_probe_point pts[TUI_SPARK_MAX];
	struct store_probe_state states[TUI_PROBES_MAX];
	size_t i, k, n = 0, n_pts;
	int rc;

	rc = store_probe_states_get(t->store, states, TUI_PROBES_MAX, &n);
	for (i = 0; i < n && rc == WK_OK; i++) {
		struct tui_probe *p = &t->m.probes[i];

		p->ps = states[i];
		rc = store_view_probe_series(t->store, p->ps.probe, pts,
		    TUI_SPARK_MAX, &n_pts);
		p->n_up = 0;
		for (k = 0; rc == WK_OK && k < n_pts; k++) {
			p->lat[k] = pts[k].ok ? fmax(pts[k].latency_ms, 0) : -1;
			p->n_up += pts[k].ok != 0;
		}
		p->n_lat = rc == WK_OK ? n_pts : 0;
	}
	t->m.n_probes = rc == WK_OK ? n : 0;
	return rc;
}

/* Tells whether a forecast passes its limit within TUI_FORECAST_DAYS. */
static int
tui_forecast_warns(const struct forecast *f, int64_t now_ms)
{
	int64_t horizon = now_ms + TUI_FORECAST_DAYS * CLK_MS_PER_DAY;

	if (f->outlook == TREND_ALREADY || f->size_outlook == TREND_ALREADY)
		return 1;
	return (f->outlook == TREND_AT && f->reach_at <= horizon) ||
	    (f->size_outlook == TREND_AT && f->size_reach_at <= horizon);
}

static void
tui_forecast_add(struct tui_model *m, const char *pipeline,
		 const char *stage, const struct forecast *f)
{
	struct tui_forecast *w;

	if (m->n_forecasts >= TUI_FORECASTS_MAX ||
	    !tui_forecast_warns(f, m->now_ms))
		return;
	w = &m->forecasts[m->n_forecasts++];
	snprintf(w->pipeline, sizeof w->pipeline, "%s", pipeline);
	snprintf(w->stage, sizeof w->stage, "%s", stage);
	w->f = *f;
}

/* Keeps the growth of a stage of the overview's pipeline for the history. */
static void
tui_forecast_slope(struct tui_model *m, const char *pipeline,
		   const char *stage, const struct forecast *f)
{
	size_t i;

	if (strcmp(pipeline, m->pipeline) != 0)
		return;
	for (i = 0; i < m->n_stages; i++) {
		if (strcmp(m->stages[i].name, stage) == 0) {
			m->stages[i].has_slope = f->ok;
			m->stages[i].ms_per_day = f->ms_per_day;
		}
	}
}

static int
tui_model_forecasts(struct tui *t)
{
	const struct cfg *cfg = t->cfg;
	struct forecast f;
	size_t i, k;
	int rc = WK_OK;

	t->m.n_forecasts = 0;
	for (i = 0; i < cfg->n_pipelines && rc == WK_OK; i++) {
		const struct cfg_pipeline *p = &cfg->pipelines[i];

		for (k = 0; k < p->n_stages && rc == WK_OK; k++) {
			rc = forecast_stage(t->store, p->name, &p->stages[k],
			    t->m.now_ms, &f);
			if (rc != WK_OK)
				break;
			tui_forecast_add(&t->m, p->name, p->stages[k].name,
			    &f);
			tui_forecast_slope(&t->m, p->name, p->stages[k].name,
			    &f);
		}
		if (rc == WK_OK)
			rc = forecast_run(t->store, p, t->m.now_ms, &f);
		if (rc == WK_OK)
			tui_forecast_add(&t->m, p->name, "", &f);
	}
	return rc;
}

int
tui_model_refresh(struct tui *t)
{
	struct store_stage_run *stored;
	int64_t mono = tui_mono_ms();
	int rc;

	stored = calloc(CFG_MAX_STAGES, sizeof *stored);
	if (stored == NULL)
		return WK_ERR_NOMEM;
	t->m.now_ms = clk_wall_ms();

	rc = tui_model_run(t, stored);
	if (rc == WK_OK)
		rc = tui_model_queued(t);
	if (rc == WK_OK)
		rc = tui_model_slos(t);
	if (rc == WK_OK)
		rc = tui_alerts_read(t, 0, t->m.alerts, TUI_ALERTS_MAX,
		    &t->m.n_alerts, &t->m.n_firing);
	if (rc == WK_OK)
		rc = tui_model_probes(t);
	if (rc == WK_OK && (t->m.slow_at_ms == 0 ||
	    mono - t->m.slow_at_ms >= TUI_SLOW_REFRESH_MS)) {
		rc = tui_model_forecasts(t);
		t->m.slow_at_ms = mono;
	}
	free(stored);
	return rc;
}
