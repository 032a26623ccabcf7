/*
 * The overview: the current or last run as one bar a stage, the runs the
 * agent has queued, the SLO table, the open alerts, the probes and the
 * growth-forecast warnings. Each is a pane whose height follows its
 * content and the screen.
 */
#include "tui/tui_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/text.h"

#define TUI_STALE_MS (5 * 60000)  /* an SLO evaluation older is stale */
#define TUI_NAME_COLS 16          /* columns of a stage or probe name */
#define TUI_BAR_COLS 24           /* columns of a stage's bar */

/* The place of a pane: its rule at row y, its content below. */
struct tui_box {
	int y;      /* row of the rule */
	int rows;   /* rows of content */
	int shown;  /* 0 when there was no room */
};

/* Rows a pane would use to show all of its content. */
static int
tui_pane_demand(const struct tui *t, enum tui_pane p)
{
	const struct tui_model *m = &t->m;
	size_t n = 0;

	switch (p) {
	case TUI_PANE_STAGES: n = m->n_stages; break;
	case TUI_PANE_QUEUED: n = m->n_queued; break;
	case TUI_PANE_SLOS: n = m->n_slos > 0 ? m->n_slos + 1 : 0; break;
	case TUI_PANE_ALERTS: n = m->n_alerts; break;
	case TUI_PANE_PROBES: n = m->n_probes; break;
	default: n = m->n_forecasts; break;
	}
	return n < 1 ? 1 : (int)n;
}

/* Lays the panes out in the rows between the title and the footer. */
static void
tui_overview_layout(const struct tui *t, struct tui_box *box)
{
	static const enum tui_pane fill_order[TUI_PANE_COUNT] = {
		TUI_PANE_STAGES, TUI_PANE_QUEUED, TUI_PANE_ALERTS,
		TUI_PANE_SLOS, TUI_PANE_PROBES, TUI_PANE_FORECASTS
	};
	int avail = t->rows - 2, used = 0, p, i, y = 1, more;

	/*
	 * Every pane gets its rule and one row, the last ones first out.
	 * The queued runs get a pane only while there are some.
	 */
	for (p = 0; p < TUI_PANE_COUNT; p++) {
		box[p].shown = used + 2 <= avail &&
		    (p != TUI_PANE_QUEUED || t->m.n_queued > 0);
		box[p].rows = box[p].shown;
		used += box[p].shown ? 2 : 0;
	}
	if (box[TUI_PANE_SLOS].shown && t->m.n_slos > 0 && used < avail) {
		box[TUI_PANE_SLOS].rows++;
		used++;
	}
	/* The rows left go one at a time to the panes that want more. */
	for (more = 1; more && used < avail;) {
		more = 0;
		for (i = 0; i < TUI_PANE_COUNT && used < avail; i++) {
			enum tui_pane q = fill_order[i];

			if (!box[q].shown ||
			    tui_pane_demand(t, q) <= box[q].rows)
				continue;
			box[q].rows++;
			used++;
			more = 1;
		}
	}
	for (p = 0; p < TUI_PANE_COUNT; p++) {
		box[p].y = y;
		y += box[p].shown ? box[p].rows + 1 : 0;
	}
}

/* Returns the text after a running stage's bar: progress, time left. */
static void
tui_stage_info(const struct tui *t, const struct tui_stage *s, char *out,
	       size_t size)
{
	const struct store_stage_run *sr = &s->sr;
	char a[32], b[32];

	out[0] = '\0';
	if (strcmp(sr->state, STORE_STAGE_RUNNING) == 0 && s->left_ms >= 0) {
		tui_fmt_duration(s->left_ms, a, sizeof a);
		if (sr->progress >= 0)
			snprintf(out, size, _("%.0f%%, ~%s left"),
			    sr->progress * 100, a);
		else
			snprintf(out, size, _("~%s left"), a);
	} else if (strcmp(sr->state, STORE_STAGE_RETRY_WAIT) == 0) {
		tui_fmt_duration(sr->retry_at - t->m.now_ms, a, sizeof a);
		snprintf(out, size, _("attempt %d in %s"), sr->attempt, a);
	} else if (sr->reason[0] != '\0') {
		snprintf(out, size, "%s", sr->reason);
	} else if (sr->status_text[0] != '\0') {
		snprintf(out, size, "%s", sr->status_text);
	} else if (s->typical_ms >= 0) {
		tui_fmt_duration(s->typical_ms, b, sizeof b);
		snprintf(out, size, _("typically %s"), b);
	}
}

/* Returns the bar's fill: progress while running, else the share of
 * the longest stage's duration. */
static double
tui_stage_fill(const struct tui *t, const struct tui_stage *s)
{
	int64_t longest = 1;
	size_t i;

	if (strcmp(s->sr.state, STORE_STAGE_RUNNING) == 0)
		return s->done;
	if (s->sr.duration_ms < 0)
		return 0;
	for (i = 0; i < t->m.n_stages; i++)
		if (t->m.stages[i].sr.duration_ms > longest)
			longest = t->m.stages[i].sr.duration_ms;
	return (double)s->sr.duration_ms / (double)longest;
}

static void
tui_stage_row(struct tui *t, int y, struct tui_col *c, const struct tui_stage *s,
	      int selected)
{
	const char *state = s->sr.id > 0 ? s->sr.state : STORE_STAGE_PENDING;
	enum tui_style st = tui_state_style(state);
	char bar[TUI_TEXT_MAX], dur[32], info[STORE_TEXT_MAX];
	int64_t ms = s->sr.duration_ms;

	if (strcmp(state, STORE_STAGE_RUNNING) == 0 && s->sr.started_at > 0)
		ms = t->m.now_ms - s->sr.started_at;
	tui_fmt_duration(ms, dur, sizeof dur);
	tui_bar(tui_stage_fill(t, s), c[3].w > 0 ? (size_t)c[3].w : 0,
	    t->ascii, bar, sizeof bar);
	tui_stage_info(t, s, info, sizeof info);

	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], st, tui_state_symbol(t, state));
	tui_cell(t, y, &c[1], selected ? TUI_S_SELECT : TUI_S_NORMAL, s->name);
	tui_cell(t, y, &c[2], st, tui_state_name(state));
	tui_cell(t, y, &c[3], st, bar);
	tui_cell(t, y, &c[4], selected ? TUI_S_SELECT : TUI_S_NORMAL, dur);
	tui_cell(t, y, &c[5], selected ? TUI_S_SELECT : TUI_S_DIM, info);
}

static void
tui_overview_stages(struct tui *t, const struct tui_box *b)
{
	struct tui_col c[] = {
		{ "", 1, 0, 0, 9, 0, 0 },
		{ "", TUI_NAME_COLS, 0, 0, 9, 0, 0 },
		{ "", 10, 0, 0, 5, 0, 0 },
		{ "", TUI_BAR_COLS, 0, 0, 4, 0, 0 },
		{ "", 6, 1, 0, 8, 0, 0 },
		{ "", 16, 0, 1, 3, 0, 0 },
	};
	struct tui_list *l = &t->panes[TUI_PANE_STAGES];
	char title[512], dur[32];
	const struct store_run *r = &t->m.run;
	size_t i;
	int row;

	tui_fmt_duration(r->duration_ms >= 0 ? r->duration_ms :
	    t->m.now_ms - r->started_at, dur, sizeof dur);
	if (t->m.has_run)
		snprintf(title, sizeof title, _("Run %lld \xc2\xb7 %s \xc2\xb7 %s "
		    "\xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %s"), (long long)r->id,
		    r->pipeline, r->logical_date, r->trigger,
		    tui_state_name(r->state), dur);
	else
		snprintf(title, sizeof title, "%s", _("Run"));
	tui_rule(t, b->y, title, t->focus == TUI_PANE_STAGES);
	if (!t->m.has_run || t->m.n_stages == 0) {
		tui_put(t, b->y + 1, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no runs yet"));
		return;
	}

	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_list_fix(l, t->m.n_stages, b->rows);
	for (row = 0, i = l->top; row < b->rows && i < t->m.n_stages;
	    row++, i++)
		tui_stage_row(t, b->y + 1 + row, c, &t->m.stages[i],
		    t->focus == TUI_PANE_STAGES && i == l->sel);
}

/* Draws queued run m.queued[i] as a row of a table of 7 columns. */
static void
tui_queued_row(struct tui *t, int y, struct tui_col *c, size_t i,
	       int selected)
{
	const struct store_queued_run *q = &t->m.queued[i];
	char age[16], place[32];

	tui_fmt_age(t->m.now_ms - q->queued_at, age, sizeof age);
	snprintf(place, sizeof place, _("place %zu"), tui_queued_place(t, i));
	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], TUI_S_QUEUED, tui_state_symbol(t,
	    STORE_RUN_QUEUED));
	tui_cell(t, y, &c[1], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    q->pipeline);
	tui_cell(t, y, &c[2], TUI_S_QUEUED, tui_state_name(STORE_RUN_QUEUED));
	tui_cell(t, y, &c[3], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    q->logical_date);
	tui_cell(t, y, &c[4], TUI_S_DIM, q->trigger);
	tui_cell(t, y, &c[5], selected ? TUI_S_SELECT : TUI_S_NORMAL, age);
	tui_cell(t, y, &c[6], TUI_S_DIM, place);
}

static void
tui_overview_queued(struct tui *t, const struct tui_box *b)
{
	struct tui_col c[] = {
		{ "", 1, 0, 0, 9, 0, 0 },
		{ "", TUI_NAME_COLS, 0, 0, 9, 0, 0 },
		{ "", 10, 0, 0, 7, 0, 0 },
		{ "", 10, 0, 0, 8, 0, 0 },
		{ "", 8, 0, 0, 5, 0, 0 },
		{ "", 4, 1, 0, 6, 0, 0 },
		{ "", 10, 0, 1, 3, 0, 0 },
	};
	struct tui_list *l = &t->panes[TUI_PANE_QUEUED];
	char title[256];
	size_t i;
	int row;

	snprintf(title, sizeof title, t->m.queued_more ?
	    _("Queued runs: more than %zu, in the order they start; "
	    "age since queued") : _("Queued runs: %zu, in the order they "
	    "start; age since queued"), t->m.n_queued);
	tui_rule(t, b->y, title, t->focus == TUI_PANE_QUEUED);
	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_list_fix(l, t->m.n_queued, b->rows);
	for (row = 0, i = l->top; row < b->rows && i < t->m.n_queued;
	    row++, i++)
		tui_queued_row(t, b->y + 1 + row, c, i,
		    t->focus == TUI_PANE_QUEUED && i == l->sel);
}

/* Formats a burn rate and picks its style against the thresholds. */
static enum tui_style
tui_burn(const struct tui_slo *s, int w, char *out, size_t size)
{
	double v = s->st.burn[w].value;

	if (!s->has_status || !s->st.burn[w].known) {
		snprintf(out, size, "-");
		return TUI_S_DIM;
	}
	snprintf(out, size, v >= 100 ? "%.0f" : "%.1f", v);
	if (s->page_at[w] > 0 && v >= s->page_at[w])
		return TUI_S_FAIL;
	if (s->ticket_at[w] > 0 && v >= s->ticket_at[w])
		return TUI_S_WARN;
	return TUI_S_NORMAL;
}

static void
tui_slo_row(struct tui *t, int y, struct tui_col *c, const struct tui_slo *s,
	    int selected)
{
	char sli[32], obj[32], bar[TUI_TEXT_MAX], left[32], burn[16];
	const char *state = s->has_status ? slo_state_name(s->st.state) :
	    "no_data";
	enum tui_style st = tui_state_style(state);
	int w;

	snprintf(sli, sizeof sli, "-");
	snprintf(left, sizeof left, "-");
	tui_fmt_pct(s->cfg->objective, obj, sizeof obj);
	if (s->has_status && s->st.sli.known)
		tui_fmt_pct(s->st.sli.value, sli, sizeof sli);
	if (s->has_status && s->st.budget_remaining.known)
		tui_fmt_pct(s->st.budget_remaining.value, left, sizeof left);
	tui_bar(s->has_status && s->st.budget_remaining.known ?
	    s->st.budget_remaining.value : 0, c[3].w > 0 ? (size_t)c[3].w : 0,
	    t->ascii, bar, sizeof bar);

	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    s->cfg->name);
	tui_cell(t, y, &c[1], TUI_S_NORMAL, sli);
	tui_cell(t, y, &c[2], TUI_S_DIM, obj);
	tui_cell(t, y, &c[3], s->has_status && s->st.budget_exhausted ?
	    TUI_S_FAIL : TUI_S_OK, bar);
	tui_cell(t, y, &c[4], TUI_S_NORMAL, left);
	for (w = 0; w < SLO_BURN_WINDOWS; w++)
		tui_cell(t, y, &c[5 + w], tui_burn(s, w, burn, sizeof burn),
		    burn);
	if (s->has_status && t->m.now_ms - s->st.minute * SLO_MINUTE_MS >
	    TUI_STALE_MS)
		tui_cell(t, y, &c[5 + SLO_BURN_WINDOWS], TUI_S_WARN,
		    _("stale"));
	else
		tui_cell(t, y, &c[5 + SLO_BURN_WINDOWS], st,
		    tui_state_name(state));
}

static void
tui_overview_slos(struct tui *t, const struct tui_box *b)
{
	/* Burn windows 5m 30m 1h 2h 6h 1d 3d, by how often they alert. */
	static const int burn_priority[SLO_BURN_WINDOWS] = { 3, 1, 6, 2, 5,
	    4, 4 };
	struct tui_col c[5 + SLO_BURN_WINDOWS + 1] = {
		{ _("SLO"), 12, 0, 1, 9, 0, 0 },
		{ _("SLI"), 7, 1, 0, 8, 0, 0 },
		{ _("OBJ"), 6, 1, 0, 2, 0, 0 },
		{ _("BUDGET"), 10, 0, 0, 7, 0, 0 },
		{ _("LEFT"), 7, 1, 0, 8, 0, 0 },
	};
	struct tui_list *l = &t->panes[TUI_PANE_SLOS];
	size_t n = sizeof c / sizeof c[0], i;
	int w, row;

	for (w = 0; w < SLO_BURN_WINDOWS; w++)
		c[5 + w] = (struct tui_col){ slo_burn_names[w], 4, 1, 0,
		    burn_priority[w], 0, 0 };
	c[n - 1] = (struct tui_col){ _("STATE"), 8, 0, 0, 9, 0, 0 };
	tui_rule(t, b->y, _("SLOs: budget left and burn rates"),
	    t->focus == TUI_PANE_SLOS);
	if (t->m.n_slos == 0) {
		tui_put(t, b->y + 1, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no SLOs configured (see docs/slo.md)"));
		return;
	}

	tui_table_layout(c, n, t->cols);
	tui_table_head(t, b->y + 1, c, n);
	tui_list_fix(l, t->m.n_slos, b->rows - 1);
	for (row = 1, i = l->top; row < b->rows && i < t->m.n_slos;
	    row++, i++)
		tui_slo_row(t, b->y + 1 + row, c, &t->m.slos[i],
		    t->focus == TUI_PANE_SLOS && i == l->sel);
}

/* Draws one alert as a row of a table of 5 columns. */
static void
tui_alert_row(struct tui *t, int y, struct tui_col *c,
	      const struct tui_alert *a, int selected)
{
	enum tui_style sev = strcmp(a->severity, "page") == 0 ? TUI_S_FAIL :
	    strcmp(a->severity, "ticket") == 0 ? TUI_S_WARN : TUI_S_NORMAL;
	char age[16];

	tui_fmt_age(t->m.now_ms - a->since, age, sizeof age);
	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], sev, a->severity);
	tui_cell(t, y, &c[1], tui_state_style(a->state),
	    tui_state_name(a->state));
	tui_cell(t, y, &c[2], TUI_S_NORMAL, age);
	tui_cell(t, y, &c[3], a->acked ? TUI_S_OK : TUI_S_DIM,
	    a->acked ? _("ack") : "-");
	tui_cell(t, y, &c[4], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    a->summary);
}

static void
tui_overview_alerts(struct tui *t, const struct tui_box *b)
{
	struct tui_col c[] = {
		{ _("SEV"), 6, 0, 0, 9, 0, 0 },
		{ _("STATE"), 8, 0, 0, 6, 0, 0 },
		{ _("AGE"), 4, 1, 0, 8, 0, 0 },
		{ _("ACK"), 3, 0, 0, 7, 0, 0 },
		{ _("SUMMARY"), 20, 0, 1, 9, 0, 0 },
	};
	struct tui_list *l = &t->panes[TUI_PANE_ALERTS];
	char title[128];
	size_t i;
	int row;

	snprintf(title, sizeof title, _("Alerts: %zu firing, %zu open"),
	    t->m.n_firing, t->m.n_alerts);
	tui_rule(t, b->y, title, t->focus == TUI_PANE_ALERTS);
	if (t->m.n_alerts == 0) {
		tui_put(t, b->y + 1, 1, t->cols - 1, 0, TUI_S_OK,
		    _("no open alerts"));
		return;
	}

	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_list_fix(l, t->m.n_alerts, b->rows);
	for (row = 0, i = l->top; row < b->rows && i < t->m.n_alerts;
	    row++, i++)
		tui_alert_row(t, b->y + 1 + row, c, &t->m.alerts[i],
		    t->focus == TUI_PANE_ALERTS && i == l->sel);
}

/* Draws one probe as a row of a table of 6 columns. */
static void
tui_probe_row(struct tui *t, int y, struct tui_col *c,
	      const struct tui_probe *p, int selected)
{
	char spark[TUI_TEXT_MAX], last[32], age[16];

	tui_spark(p->lat, p->n_lat, c[2].w > 0 ? (size_t)c[2].w : 0,
	    t->ascii, spark, sizeof spark);
	if (p->ps.latency_ms >= 0 && p->ps.ok != 0)
		tui_fmt_duration((int64_t)p->ps.latency_ms, last, sizeof last);
	else
		snprintf(last, sizeof last, "-");
	if (p->ps.checked_at > 0)
		tui_fmt_age(t->m.now_ms - p->ps.checked_at, age, sizeof age);
	else
		snprintf(age, sizeof age, "-");

	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    p->ps.probe);
	tui_cell(t, y, &c[1], tui_state_style(p->ps.state),
	    tui_state_name(p->ps.state));
	tui_cell(t, y, &c[2], TUI_S_RUN, spark);
	tui_cell(t, y, &c[3], TUI_S_NORMAL, last);
	tui_cell(t, y, &c[4], TUI_S_DIM, age);
	tui_cell(t, y, &c[5], TUI_S_DIM, p->ps.detail);
}

static void
tui_overview_probes(struct tui *t, const struct tui_box *b)
{
	struct tui_col c[] = {
		{ "", TUI_NAME_COLS, 0, 0, 9, 0, 0 },
		{ "", 7, 0, 0, 9, 0, 0 },
		{ "", 20, 0, 0, 6, 0, 0 },
		{ "", 6, 1, 0, 7, 0, 0 },
		{ "", 4, 1, 0, 4, 0, 0 },
		{ "", 10, 0, 1, 3, 0, 0 },
	};
	struct tui_list *l = &t->panes[TUI_PANE_PROBES];
	size_t i, down = 0;
	char title[128];
	int row;

	for (i = 0; i < t->m.n_probes; i++)
		down += strcmp(t->m.probes[i].ps.state, "down") == 0;
	snprintf(title, sizeof title, _("Probes: %zu down of %zu"), down,
	    t->m.n_probes);
	tui_rule(t, b->y, title, t->focus == TUI_PANE_PROBES);
	if (t->m.n_probes == 0) {
		tui_put(t, b->y + 1, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no probe results yet"));
		return;
	}

	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_list_fix(l, t->m.n_probes, b->rows);
	for (row = 0, i = l->top; row < b->rows && i < t->m.n_probes;
	    row++, i++)
		tui_probe_row(t, b->y + 1 + row, c, &t->m.probes[i],
		    t->focus == TUI_PANE_PROBES && i == l->sel);
}

/* Writes one forecast warning as a sentence. */
static void
tui_forecast_text(const struct tui_forecast *w, char *out, size_t size)
{
	const struct forecast *f = &w->f;
	char now[32], limit[32], slope[32], when[32];
	int64_t at = f->outlook == TREND_AT ? f->reach_at : f->size_reach_at;

	tui_fmt_duration((int64_t)f->now_ms, now, sizeof now);
	tui_fmt_duration(f->limit_ms, limit, sizeof limit);
	tui_fmt_duration((int64_t)fabs(f->ms_per_day), slope, sizeof slope);
	clk_format_date(when, sizeof when, at / CLK_MS_PER_DAY);
	if (f->outlook == TREND_ALREADY || f->size_outlook == TREND_ALREADY)
		snprintf(out, size, _("%s/%s: about %s now, %s%s a day: "
		    "already at its limit of %s"), w->pipeline,
		    w->stage[0] != '\0' ? w->stage : _("run"), now,
		    f->ms_per_day < 0 ? "-" : "+", slope, limit);
	else
		snprintf(out, size, _("%s/%s: about %s now, %s%s a day: "
		    "reaches its limit of %s around %s"), w->pipeline,
		    w->stage[0] != '\0' ? w->stage : _("run"), now,
		    f->ms_per_day < 0 ? "-" : "+", slope, limit, when);
}

static void
tui_overview_forecasts(struct tui *t, const struct tui_box *b)
{
	struct tui_list *l = &t->panes[TUI_PANE_FORECASTS];
	char text[TUI_TEXT_MAX];
	size_t i;
	int row, sel;

	tui_rule(t, b->y, _("Growth forecasts"),
	    t->focus == TUI_PANE_FORECASTS);
	if (t->m.n_forecasts == 0) {
		tui_put(t, b->y + 1, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no stage is forecast to reach its limit within 14 days"));
		return;
	}
	tui_list_fix(l, t->m.n_forecasts, b->rows);
	for (row = 0, i = l->top; row < b->rows && i < t->m.n_forecasts;
	    row++, i++) {
		sel = t->focus == TUI_PANE_FORECASTS && i == l->sel;
		tui_forecast_text(&t->m.forecasts[i], text, sizeof text);
		if (sel)
			tui_fill(t, b->y + 1 + row, 0, t->cols, TUI_S_SELECT);
		tui_put(t, b->y + 1 + row, 1, t->cols - 1, 0, sel ?
		    TUI_S_SELECT : TUI_S_WARN, text);
	}
}

void
tui_overview_draw(struct tui *t)
{
	struct tui_box box[TUI_PANE_COUNT];

	tui_overview_layout(t, box);
	if (!box[t->focus].shown)
		t->focus = TUI_PANE_STAGES;
	if (box[TUI_PANE_STAGES].shown)
		tui_overview_stages(t, &box[TUI_PANE_STAGES]);
	if (box[TUI_PANE_QUEUED].shown)
		tui_overview_queued(t, &box[TUI_PANE_QUEUED]);
	if (box[TUI_PANE_SLOS].shown)
		tui_overview_slos(t, &box[TUI_PANE_SLOS]);
	if (box[TUI_PANE_ALERTS].shown)
		tui_overview_alerts(t, &box[TUI_PANE_ALERTS]);
	if (box[TUI_PANE_PROBES].shown)
		tui_overview_probes(t, &box[TUI_PANE_PROBES]);
	if (box[TUI_PANE_FORECASTS].shown)
		tui_overview_forecasts(t, &box[TUI_PANE_FORECASTS]);
	tui_draw_footer(t, _("Tab pane  j/k move  Enter open  r re-run  "
	    "a ack  s silence  h history  : command  ? help  q quit"));
}

/* Returns the number of items of a pane. */
static size_t
tui_pane_items(const struct tui *t, enum tui_pane p)
{
	switch (p) {
	case TUI_PANE_STAGES: return t->m.n_stages;
	case TUI_PANE_QUEUED: return t->m.n_queued;
	case TUI_PANE_SLOS: return t->m.n_slos;
	case TUI_PANE_ALERTS: return t->m.n_alerts;
	case TUI_PANE_PROBES: return t->m.n_probes;
	default: return t->m.n_forecasts;
	}
}

/* Opens what the selected item of the focused pane leads to. */
static void
tui_overview_enter(struct tui *t)
{
	size_t sel = t->panes[t->focus].sel;

	if (sel >= tui_pane_items(t, t->focus))
		return;
	switch (t->focus) {
	case TUI_PANE_STAGES:
		if (t->m.has_run)
			tui_logs_open(t, t->m.pipeline, t->m.stages[sel].name,
			    t->m.run.id);
		break;
	case TUI_PANE_QUEUED:
		tui_pick_pipeline(t, t->m.queued[sel].pipeline);
		tui_push(t, TUI_RUNS);
		break;
	case TUI_PANE_SLOS:
		tui_slo_open(t, t->m.slos[sel].cfg->name);
		break;
	case TUI_PANE_ALERTS:
		t->alerts.list.sel = sel;
		t->alerts.focus = 0;
		tui_push(t, TUI_ALERTS);
		break;
	case TUI_PANE_PROBES:
		t->probe_list.sel = sel;
		tui_push(t, TUI_PROBES);
		break;
	default:
		tui_push(t, TUI_RUNS);
		break;
	}
}

/* Handles the keys that act on the selected stage, queued run or alert. */
static int
tui_overview_act(struct tui *t, wint_t ch)
{
	size_t sel = t->panes[t->focus].sel;

	if (ch == 'r') {
		if (t->focus != TUI_PANE_STAGES || sel >= t->m.n_stages ||
		    !t->m.has_run)
			tui_say(t, 1, _("select a stage first: Tab to the "
			    "stages, then j/k"));
		else
			tui_rerun_ask(t, t->m.pipeline, t->m.run.id,
			    t->m.stages[sel].name);
		return 1;
	}
	if (ch == 'c') {
		if (t->m.n_queued == 0)
			tui_say(t, 1, _("no run is queued; :cancel RUN cancels "
			    "a run in progress"));
		else if (t->focus != TUI_PANE_QUEUED || sel >= t->m.n_queued)
			tui_say(t, 1, _("select a queued run first: Tab to the "
			    "queued runs, then j/k; :cancel RUN cancels a run"));
		else
			tui_queued_cancel_ask(t, t->m.queued[sel].pipeline);
		return 1;
	}
	if (ch != 'a' && ch != 's')
		return 0;
	if (t->focus != TUI_PANE_ALERTS || sel >= t->m.n_alerts)
		tui_say(t, 1, _("select an alert first: Tab to the alerts, "
		    "then j/k"));
	else if (ch == 'a')
		tui_alert_ack_ask(t, &t->m.alerts[sel]);
	else
		tui_alert_silence_ask(t, &t->m.alerts[sel]);
	return 1;
}

/* Moves the focus to the next pane with items, in direction dir. */
static void
tui_overview_tab(struct tui *t, int dir)
{
	int p = (int)t->focus, i;

	for (i = 0; i < TUI_PANE_COUNT; i++) {
		p = (p + dir + TUI_PANE_COUNT) % TUI_PANE_COUNT;
		if (tui_pane_items(t, (enum tui_pane)p) > 0)
			break;
	}
	t->focus = (enum tui_pane)p;
}

void
tui_overview_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_list *l = &t->panes[t->focus];
	size_t n = tui_pane_items(t, t->focus);
	const char *names[CFG_MAX_PIPELINES + 1];

	if ((!fk && ch == '\t') || (fk && ch == KEY_BTAB))
		tui_overview_tab(t, fk ? -1 : 1);
	else if ((!fk && ch == 'j') || (fk && ch == KEY_DOWN))
		tui_list_move(l, n, 1);
	else if ((!fk && ch == 'k') || (fk && ch == KEY_UP))
		tui_list_move(l, n, -1);
	else if (fk && ch == KEY_NPAGE)
		tui_list_move(l, n, t->rows / 3);
	else if (fk && ch == KEY_PPAGE)
		tui_list_move(l, n, -(t->rows / 3));
	else if ((!fk && ch == 'g') || (fk && ch == KEY_HOME))
		l->sel = 0;
	else if ((!fk && ch == 'G') || (fk && ch == KEY_END))
		tui_list_move(l, n, (long)n);
	else if ((!fk && (ch == '\r' || ch == '\n')) || (fk && ch == KEY_ENTER))
		tui_overview_enter(t);
	else if (!fk && ch == 'h')
		tui_push(t, TUI_RUNS);
	else if (!fk && ch == 'p') {
		n = tui_pipelines(t, names, CFG_MAX_PIPELINES + 1);
		t->pipeline_index = n == 0 ? SIZE_MAX :
		    (t->pipeline_index + 1) % n;
		tui_refresh_soon(t);
	} else if (!fk)
		tui_overview_act(t, ch);
}
