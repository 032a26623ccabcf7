/*
 * The run history (the runs of a pipeline with the duration of every
 * stage, and the trend of each stage over them) and the run detail (the
 * stages of one run with their resources, metrics and last errors). The
 * history lists the pipeline's queued runs after its runs in progress
 * and before its finished runs, as `watchkeep runs` does.
 */
#include "tui/tui_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/text.h"

#define TUI_STAGE_COLS 7      /* columns of a stage's duration */
#define TUI_GRID_STAGES 16    /* stage columns of the history */
#define TUI_TREND_POINTS 200  /* durations in a trend sparkline */
#define TUI_TREND_X 36        /* column where a trend sparkline starts */

/* Returns the pipeline of the history: the overview's. */
static const char *
tui_runs_pipeline(const struct tui *t)
{
	return t->m.pipeline;
}

/*
 * Picks the pipeline's queued runs out of the model's queue.
 * NOTE: the model reads the first TUI_QUEUED_MAX queued runs of all
 * pipelines, so a longer queue is listed and counted in part.
 */
static void
tui_runs_queued(struct tui *t)
{
	struct tui_runs *v = &t->runs;
	size_t i;

	for (i = 0; i < t->m.n_queued && v->n_queued < TUI_QUEUED_MAX; i++)
		if (strcmp(t->m.queued[i].pipeline, tui_runs_pipeline(t)) == 0)
			v->queued[v->n_queued++] = i;
	while (v->n_lead < v->n_runs && strcmp(v->runs[v->n_lead].state,
	    STORE_RUN_RUNNING) == 0)
		v->n_lead++;
}

/* Returns the rows of the history: runs and queued runs. */
static size_t
tui_runs_rows(const struct tui_runs *v)
{
	return v->n_runs + v->n_queued;
}

/*
 * Returns the run of history row i, or NULL when the row is a queued
 * run; then *queued is its index in m.queued.
 */
static const struct store_run *
tui_runs_at(const struct tui_runs *v, size_t i, size_t *queued)
{
	if (i < v->n_lead)
		return &v->runs[i];
	if (i < v->n_lead + v->n_queued) {
		*queued = v->queued[i - v->n_lead];
		return NULL;
	}
	return &v->runs[i - v->n_queued];
}

int
tui_runs_refresh(struct tui *t)
{
	struct tui_runs *v = &t->runs;
	int rc;

	v->n_runs = 0;
	v->n_cells = 0;
	v->n_queued = 0;
	v->n_lead = 0;
	if (tui_runs_pipeline(t)[0] == '\0')
		return WK_OK;
	rc = store_runs_recent(t->store, tui_runs_pipeline(t), v->runs,
	    TUI_RUNS_MAX, &v->n_runs);
	tui_runs_queued(t);
	if (rc == WK_OK && v->n_runs > 0)
		rc = store_view_stage_grid(t->store, tui_runs_pipeline(t),
		    v->runs[v->n_runs - 1].id, v->cells, TUI_GRID_MAX,
		    &v->n_cells);
	return rc;
}

/* Finds the cell of run_id and stage, or NULL. */
static const struct store_view_cell *
tui_runs_cell(const struct tui_runs *v, int64_t run_id, const char *stage)
{
	size_t lo = 0, hi = v->n_cells, i;

	/* Cells are sorted by run id: find the first of the run. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->cells[mid].run_id < run_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < v->n_cells && v->cells[i].run_id == run_id; i++)
		if (strcmp(v->cells[i].stage, stage) == 0)
			return &v->cells[i];
	return NULL;
}

/* Sets the trend pane's rows: the stages of the overview's run. */
static size_t
tui_runs_trend_rows(const struct tui *t, int rows)
{
	size_t n = t->m.n_stages;

	if ((int)n + 1 > rows / 3)
		n = rows / 3 > 1 ? (size_t)(rows / 3 - 1) : 0;
	return n;
}

static void
tui_runs_row(struct tui *t, int y, struct tui_col *c, size_t n_cols,
	     const struct store_run *r, int selected)
{
	char id[32], dur[32];
	const struct store_view_cell *cell;
	size_t k;

	snprintf(id, sizeof id, "%lld", (long long)r->id);
	tui_fmt_duration(r->duration_ms, dur, sizeof dur);
	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], selected ? TUI_S_SELECT : TUI_S_NORMAL, id);
	tui_cell(t, y, &c[1], TUI_S_NORMAL, r->logical_date);
	tui_cell(t, y, &c[2], TUI_S_DIM, r->trigger);
	tui_cell(t, y, &c[3], tui_state_style(r->state),
	    tui_state_name(r->state));
	tui_cell(t, y, &c[4], TUI_S_NORMAL, dur);
	for (k = 5; k < n_cols; k++) {
		cell = tui_runs_cell(&t->runs, r->id, t->m.stages[k - 5].name);
		if (cell == NULL) {
			tui_cell(t, y, &c[k], TUI_S_DIM, "-");
			continue;
		}
		tui_fmt_duration(cell->duration_ms, dur, sizeof dur);
		tui_cell(t, y, &c[k], tui_state_style(cell->state),
		    strcmp(cell->state, STORE_STAGE_SUCCEEDED) == 0 ||
		    cell->duration_ms >= 0 ? dur : tui_state_name(cell->state));
	}
}

/*
 * Draws queued run m.queued[q] as a history row: no run id yet, its time
 * in the queue in DURATION, and its place in the queue over the stages.
 */
static void
tui_runs_queued_row(struct tui *t, int y, struct tui_col *c, size_t n_cols,
		    size_t q, int selected)
{
	const struct store_queued_run *r = &t->m.queued[q];
	char age[16], place[64];

	tui_fmt_age(t->m.now_ms - r->queued_at, age, sizeof age);
	snprintf(place, sizeof place, _("place %zu in the queue"),
	    tui_queued_place(t, q));
	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], selected ? TUI_S_SELECT : TUI_S_QUEUED,
	    tui_state_symbol(t, STORE_RUN_QUEUED));
	tui_cell(t, y, &c[1], TUI_S_NORMAL, r->logical_date);
	tui_cell(t, y, &c[2], TUI_S_DIM, r->trigger);
	tui_cell(t, y, &c[3], TUI_S_QUEUED, tui_state_name(STORE_RUN_QUEUED));
	tui_cell(t, y, &c[4], TUI_S_NORMAL, age);
	if (n_cols > 5)
		tui_put(t, y, c[5].x, t->cols - c[5].x, 0, TUI_S_DIM, place);
}

/*
 * Shifts the durations down to just below the shortest one, so that the
 * sparkline, which starts at 0, shows how they vary rather than their size.
 */
static void
tui_runs_zoom(double *v, size_t n)
{
	double lo = INFINITY;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] >= 0 && v[i] < lo)
			lo = v[i];
	for (i = 0; isfinite(lo) && i < n; i++)
		if (v[i] >= 0)
			v[i] -= lo * 0.9;
}

/* Draws the trend of one stage: sparkline, median and slope a day. */
static void
tui_runs_trend(struct tui *t, int y, const struct tui_stage *s)
{
	double v[TUI_TREND_POINTS];
	int64_t ms[TUI_TREND_POINTS];
	char spark[TUI_TEXT_MAX], med[32], slope[32], text[256];
	const struct store_view_cell *cell;
	size_t i, n = 0, k = 0;
	int w = t->cols - TUI_TREND_X;

	/* Oldest first, as the runs are newest first. */
	for (i = t->runs.n_runs; i > 0 && n < TUI_TREND_POINTS; i--) {
		cell = tui_runs_cell(&t->runs, t->runs.runs[i - 1].id,
		    s->name);
		if (cell == NULL)
			continue;
		/* A stage that did not run is a gap, one that failed a '!'. */
		if (strcmp(cell->state, STORE_STAGE_SUCCEEDED) == 0)
			v[n] = (double)cell->duration_ms;
		else
			v[n] = tui_state_style(cell->state) == TUI_S_FAIL ? -1 :
			    NAN;
		if (v[n] >= 0)
			ms[k++] = cell->duration_ms;
		n++;
	}
	tui_runs_zoom(v, n);
	tui_fmt_duration(tui_median(ms, k), med, sizeof med);
	tui_fmt_duration((int64_t)fabs(s->ms_per_day), slope, sizeof slope);
	if (s->has_slope)
		snprintf(text, sizeof text, _("%s, %s%s/d"), med,
		    s->ms_per_day < 0 ? "-" : "+", slope);
	else
		snprintf(text, sizeof text, "%s", med);
	tui_put(t, y, 1, 16, 0, TUI_S_NORMAL, s->name);
	tui_put_right(t, y, 18, TUI_TREND_X - 19, TUI_S_DIM, text);
	tui_spark(v, n, w > 0 ? (size_t)w : 0, t->ascii, spark, sizeof spark);
	tui_put(t, y, TUI_TREND_X, w, 0, TUI_S_RUN, spark);
}

void
tui_runs_draw(struct tui *t)
{
	struct tui_col c[5 + TUI_GRID_STAGES] = {
		{ _("RUN"), 5, 1, 0, 9, 0, 0 },
		{ _("DATE"), 10, 0, 0, 8, 0, 0 },
		{ _("TRIGGER"), 8, 0, 0, 2, 0, 0 },
		{ _("STATE"), 9, 0, 0, 9, 0, 0 },
		{ _("DURATION"), 6, 1, 0, 7, 0, 0 },
	};
	struct tui_runs *v = &t->runs;
	size_t n_cols = 5, i, n_trend, q = 0;
	const struct store_run *r;
	int rows, row;
	char title[256];

	for (i = 0; i < t->m.n_stages && i < TUI_GRID_STAGES; i++)
		c[n_cols++] = (struct tui_col){ t->m.stages[i].name,
		    TUI_STAGE_COLS, 1, 0, 6 - (int)(i > 5 ? 5 : i), 0, 0 };
	n_trend = tui_runs_trend_rows(t, t->rows - 2);
	rows = t->rows - 4 - (n_trend > 0 ? (int)n_trend + 1 : 0);
	if (v->n_queued > 0)
		snprintf(title, sizeof title, _("Runs of %s: %zu, newest "
		    "first, and %zu queued"), tui_runs_pipeline(t), v->n_runs,
		    v->n_queued);
	else
		snprintf(title, sizeof title, _("Runs of %s: %zu, newest "
		    "first"), tui_runs_pipeline(t)[0] != '\0' ?
		    tui_runs_pipeline(t) : "-", v->n_runs);
	tui_rule(t, 1, title, 1);
	tui_table_layout(c, n_cols, t->cols);
	tui_table_head(t, 2, c, n_cols);

	tui_list_fix(&v->list, tui_runs_rows(v), rows);
	for (row = 0, i = v->list.top; row < rows && i < tui_runs_rows(v);
	    row++, i++) {
		r = tui_runs_at(v, i, &q);
		if (r != NULL)
			tui_runs_row(t, 3 + row, c, n_cols, r,
			    i == v->list.sel);
		else
			tui_runs_queued_row(t, 3 + row, c, n_cols, q,
			    i == v->list.sel);
	}
	if (tui_runs_rows(v) == 0)
		tui_put(t, 3, 1, t->cols - 1, 0, TUI_S_DIM, _("no runs yet"));
	if (n_trend > 0)
		tui_rule(t, 3 + rows, _("Stage durations: median, growth a "
		    "day, oldest to newest run"), 0);
	for (i = 0; i < n_trend; i++)
		tui_runs_trend(t, 4 + rows + (int)i, &t->m.stages[i]);
	tui_draw_footer(t, _("j/k move  Enter run detail  : command  "
	    "? help  q back"));
}

/* Acts on the selected history row: Enter opens it, c cancels it. */
static void
tui_runs_act(struct tui *t, int cancel)
{
	struct tui_runs *v = &t->runs;
	const struct store_run *r;
	struct tui_pending p;
	size_t q = 0;

	if (v->list.sel >= tui_runs_rows(v))
		return;
	r = tui_runs_at(v, v->list.sel, &q);
	if (r == NULL && cancel) {
		tui_queued_cancel_ask(t, t->m.queued[q].pipeline);
	} else if (r == NULL) {
		tui_say(t, 0, _("the run of %s for %s is queued and has not "
		    "started, so it has no detail yet"), t->m.queued[q].pipeline,
		    t->m.queued[q].logical_date);
	} else if (cancel) {
		memset(&p, 0, sizeof p);
		p.act = TUI_ACT_CANCEL;
		p.run_id = r->id;
		tui_confirm(t, &p, _("Cancel run %lld?"), (long long)r->id);
	} else {
		tui_run_open(t, r->id);
	}
}

void
tui_runs_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_runs *v = &t->runs;
	size_t n = tui_runs_rows(v);
	long page = t->rows / 2;

	if ((!fk && ch == 'j') || (fk && ch == KEY_DOWN))
		tui_list_move(&v->list, n, 1);
	else if ((!fk && ch == 'k') || (fk && ch == KEY_UP))
		tui_list_move(&v->list, n, -1);
	else if (fk && ch == KEY_NPAGE)
		tui_list_move(&v->list, n, page);
	else if (fk && ch == KEY_PPAGE)
		tui_list_move(&v->list, n, -page);
	else if ((!fk && ch == 'g') || (fk && ch == KEY_HOME))
		v->list.sel = 0;
	else if ((!fk && ch == 'G') || (fk && ch == KEY_END))
		tui_list_move(&v->list, n, (long)n);
	else if ((!fk && (ch == '\r' || ch == '\n')) ||
	    (fk && ch == KEY_ENTER))
		tui_runs_act(t, 0);
	else if (!fk && ch == 'c')
		tui_runs_act(t, 1);
}

void
tui_run_open(struct tui *t, int64_t run_id)
{
	if (t->run.run_id != run_id) {
		t->run.list.sel = 0;
		t->run.list.top = 0;
	}
	t->run.run_id = run_id;
	t->run.n_stages = 0;
	tui_push(t, TUI_RUN);
}

void
tui_rerun_ask(struct tui *t, const char *pipeline, int64_t run_id,
	      const char *stage)
{
	struct tui_pending p;

	memset(&p, 0, sizeof p);
	p.act = TUI_ACT_RERUN;
	p.run_id = run_id;
	snprintf(p.pipeline, sizeof p.pipeline, "%s", pipeline);
	snprintf(p.stage, sizeof p.stage, "%s", stage);
	tui_confirm(t, &p, _("Re-run %s of run %lld from stage %s, with the "
	    "stages that depend on it?"), pipeline, (long long)run_id, stage);
}

void
tui_queued_cancel_ask(struct tui *t, const char *pipeline)
{
	size_t n = tui_queued_count(t, pipeline);
	struct tui_pending p;

	memset(&p, 0, sizeof p);
	p.act = TUI_ACT_CANCEL_QUEUED;
	snprintf(p.pipeline, sizeof p.pipeline, "%s", pipeline);
	tui_confirm(t, &p, P_("Drop the %zu queued run of %s?",
	    "Drop all %zu queued runs of %s, not only the selected one?", n),
	    n, pipeline);
}

/* Reads the metrics and the last error lines of the selected stage. */
static int
tui_run_selected(struct tui *t, int64_t stage_run_id)
{
	struct store_logs_row *rows = NULL;
	struct store_logs_query q;
	size_t n = 0, i;
	int rc;

	t->run.n_errors = 0;
	rc = store_metrics_get(t->store, stage_run_id, t->run.metrics,
	    TUI_METRICS_MAX, &t->run.n_metrics);
	memset(&q, 0, sizeof q);
	q.stage_run_id = stage_run_id;
	q.errors_only = 1;
	if (rc == WK_OK)
		rc = store_logs_seek_last(t->store, &q, TUI_ERRORS_MAX);
	rows = rc == WK_OK ? calloc(TUI_ERRORS_MAX, sizeof *rows) : NULL;
	if (rc == WK_OK && rows == NULL)
		rc = WK_ERR_NOMEM;
	if (rc == WK_OK)
		rc = store_logs_read(t->store, &q, rows, TUI_ERRORS_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		snprintf(t->run.errors[t->run.n_errors++], STORE_TEXT_MAX,
		    "%.*s", STORE_TEXT_MAX - 1, rows[i].text);
	free(rows);
	return rc;
}

int
tui_run_refresh(struct tui *t)
{
	struct tui_run *v = &t->run;
	int rc;

	rc = store_run_get(t->store, v->run_id, &v->run);
	if (rc == WK_ERR_NOTFOUND) {
		v->n_stages = 0;
		tui_say(t, 1, _("run %lld is not in the store"),
		    (long long)v->run_id);
		return WK_OK;
	}
	if (rc == WK_OK)
		rc = store_stage_runs_latest(t->store, v->run_id, v->stages,
		    CFG_MAX_STAGES, &v->n_stages);
	if (rc == WK_OK && v->list.sel < v->n_stages)
		rc = tui_run_selected(t, v->stages[v->list.sel].id);
	return rc;
}

/* Draws the header lines of the run detail; returns the next row. */
static int
tui_run_header(struct tui *t)
{
	const struct store_run *r = &t->run.run;
	char start[32], dur[32], title[256];

	tui_fmt_time(r->started_at, start, sizeof start);
	tui_fmt_duration(r->duration_ms, dur, sizeof dur);
	snprintf(title, sizeof title, _("Run %lld of %s"), (long long)r->id,
	    r->pipeline);
	tui_rule(t, 1, title, 1);
	tui_putf(t, 2, 1, t->cols - 1, TUI_S_NORMAL,
	    _("date %s  trigger %s  started %s  took %s  "), r->logical_date,
	    r->trigger, start, dur);
	tui_put(t, 3, 1, 12, 0, tui_state_style(r->state),
	    tui_state_name(r->state));
	tui_put(t, 3, 14, t->cols - 15, 0, TUI_S_DIM, r->reason);
	return 4;
}

static void
tui_run_stage(struct tui *t, int y, struct tui_col *c,
	      const struct store_stage_run *s, int selected)
{
	char a[32], b[32], d[32], e[32], f[48];

	snprintf(a, sizeof a, "%d", s->attempt);
	tui_fmt_duration(s->duration_ms, b, sizeof b);
	if (s->signal > 0)
		snprintf(d, sizeof d, "SIG%d", s->signal);
	else if (s->duration_ms >= 0)
		snprintf(d, sizeof d, "%d", s->exit_code);
	else
		snprintf(d, sizeof d, "-");
	tui_fmt_duration(s->user_cpu_ms >= 0 ? s->user_cpu_ms + s->sys_cpu_ms :
	    -1, e, sizeof e);
	if (s->max_rss_kb >= 0)
		snprintf(f, sizeof f, "%.0fM", (double)s->max_rss_kb / 1024);
	else
		snprintf(f, sizeof f, "-");

	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    s->stage);
	tui_cell(t, y, &c[1], tui_state_style(s->state),
	    tui_state_name(s->state));
	tui_cell(t, y, &c[2], TUI_S_NORMAL, a);
	tui_cell(t, y, &c[3], TUI_S_NORMAL, b);
	tui_cell(t, y, &c[4], TUI_S_NORMAL, d);
	tui_cell(t, y, &c[5], TUI_S_DIM, e);
	tui_cell(t, y, &c[6], TUI_S_DIM, f);
	tui_cell(t, y, &c[7], TUI_S_DIM, s->reason[0] != '\0' ? s->reason :
	    s->status_text);
}

/* Draws the metrics and errors of the selected stage from row y. */
static void
tui_run_extra(struct tui *t, int y)
{
	char text[TUI_TEXT_MAX];
	size_t i, o = 0;

	if (y >= t->rows - 2)
		return;
	tui_rule(t, y++, _("Selected stage: metrics and last error lines"), 0);
	text[0] = '\0';
	for (i = 0; i < t->run.n_metrics && o + 1 < sizeof text; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s=%g  ",
		    t->run.metrics[i].name, t->run.metrics[i].value);
	if (o >= sizeof text)
		o = sizeof text - 1;
	tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_NORMAL, t->run.n_metrics > 0 ?
	    text : _("no metrics"));
	for (i = 0; i < t->run.n_errors && y < t->rows - 1; i++)
		tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_FAIL, t->run.errors[i]);
}

void
tui_run_draw(struct tui *t)
{
	struct tui_col c[] = {
		{ _("STAGE"), 14, 0, 0, 9, 0, 0 },
		{ _("STATE"), 10, 0, 0, 9, 0, 0 },
		{ _("TRY"), 3, 1, 0, 3, 0, 0 },
		{ _("DURATION"), 6, 1, 0, 8, 0, 0 },
		{ _("EXIT"), 5, 1, 0, 6, 0, 0 },
		{ _("CPU"), 6, 1, 0, 4, 0, 0 },
		{ _("RSS"), 6, 1, 0, 2, 0, 0 },
		{ _("REASON OR STATUS"), 10, 0, 1, 5, 0, 0 },
	};
	struct tui_run *v = &t->run;
	int y, rows, row;
	size_t i;

	y = tui_run_header(t);
	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_table_head(t, y++, c, sizeof c / sizeof c[0]);
	rows = t->rows - y - 1 - (3 + TUI_ERRORS_MAX);
	if (rows < 2)
		rows = 2;
	tui_list_fix(&v->list, v->n_stages, rows);
	for (row = 0, i = v->list.top; row < rows && i < v->n_stages;
	    row++, i++)
		tui_run_stage(t, y + row, c, &v->stages[i], i == v->list.sel);
	tui_run_extra(t, y + (rows < (int)v->n_stages ? rows :
	    (int)v->n_stages) + 1);
	tui_draw_footer(t, _("j/k move  Enter or l log  r re-run from stage  "
	    "c cancel run  ? help  q back"));
}

void
tui_run_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_run *v = &t->run;
	struct tui_pending p;
	int enter = (!fk && (ch == '\r' || ch == '\n' || ch == 'l')) ||
	    (fk && ch == KEY_ENTER);

	memset(&p, 0, sizeof p);
	if ((!fk && ch == 'j') || (fk && ch == KEY_DOWN))
		tui_list_move(&v->list, v->n_stages, 1);
	else if ((!fk && ch == 'k') || (fk && ch == KEY_UP))
		tui_list_move(&v->list, v->n_stages, -1);
	else if ((!fk && ch == 'g') || (fk && ch == KEY_HOME))
		v->list.sel = 0;
	else if ((!fk && ch == 'G') || (fk && ch == KEY_END))
		tui_list_move(&v->list, v->n_stages, (long)v->n_stages);
	else if (enter && v->list.sel < v->n_stages)
		tui_logs_open(t, v->run.pipeline, v->stages[v->list.sel].stage,
		    v->run_id);
	else if (!fk && ch == 'r' && v->list.sel < v->n_stages)
		tui_rerun_ask(t, v->run.pipeline, v->run_id,
		    v->stages[v->list.sel].stage);
	else if (!fk && ch == 'c') {
		p.act = TUI_ACT_CANCEL;
		p.run_id = v->run_id;
		tui_confirm(t, &p, _("Cancel run %lld?"), (long long)v->run_id);
	}
	tui_refresh_soon(t);
}
