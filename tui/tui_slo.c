/*
 * The SLO detail: what the SLI counts, the latest figures, the error
 * budget left over the window as a text chart, and the burn rates against
 * the thresholds of the SLO's alert rules.
 */
#include "tui/tui_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"

#define TUI_AXIS_COLS 6        /* columns of the chart's value labels */
#define TUI_CHART_MIN_ROWS 3   /* rows of the chart, at least */
#define TUI_MONTH_MINUTES (31 * 1440)  /* a calendar month, at most */

/* Writes minutes as "30d", "6h" or "5m". */
static void
tui_fmt_minutes(int64_t minutes, char *out, size_t size)
{
	if (minutes > 0 && minutes % 1440 == 0)
		snprintf(out, size, "%lldd", (long long)(minutes / 1440));
	else if (minutes > 0 && minutes % 60 == 0)
		snprintf(out, size, "%lldh", (long long)(minutes / 60));
	else
		snprintf(out, size, "%lldm", (long long)minutes);
}

void
tui_slo_describe(const struct cfg_slo *slo, char *out, size_t size)
{
	const struct cfg_sli *sli = &slo->sli;
	char d[32];

	switch (sli->kind) {
	case CFG_SLI_RUN_SUCCESS:
		snprintf(out, size, _("runs of pipeline %s succeed"),
		    sli->pipeline);
		break;
	case CFG_SLI_STAGE_LATENCY:
		tui_fmt_duration(sli->threshold_ms, d, sizeof d);
		snprintf(out, size, _("stage %s of pipeline %s succeeds within "
		    "%s"), sli->stage, sli->pipeline, d);
		break;
	case CFG_SLI_DEADLINE:
		snprintf(out, size, _("pipeline %s succeeds by %02d:%02d %s each "
		    "scheduled day"), sli->pipeline, sli->deadline_minute / 60,
		    sli->deadline_minute % 60, sli->time_zone);
		break;
	case CFG_SLI_FRESHNESS:
		tui_fmt_duration(sli->max_age_ms, d, sizeof d);
		snprintf(out, size, _("%s is at most %s old, each minute"),
		    sli->path, d);
		break;
	case CFG_SLI_PROBE_AVAILABILITY:
		snprintf(out, size, _("probe %s succeeds"), sli->probe);
		break;
	case CFG_SLI_PROBE_LATENCY:
		tui_fmt_duration(sli->threshold_ms, d, sizeof d);
		snprintf(out, size, _("probe %s succeeds within %s"), sli->probe,
		    d);
		break;
	}
}

int
tui_slo_open(struct tui *t, const char *name)
{
	const struct cfg_slos *slos = t->cfg->slos;
	size_t i, n = slos != NULL ? slos->count : 0;

	if (n == 0) {
		tui_say(t, 1, _("%s has no \"slos\" section; see docs/slo.md "
		    "to add SLOs"), t->cfg->path);
		return WK_ERR_NOTFOUND;
	}
	for (i = 0; i < n && i < TUI_SLOS_MAX; i++) {
		if (name == NULL || strcmp(slos->items[i].name, name) == 0) {
			t->slo.index = i;
			tui_push(t, TUI_SLO);
			return WK_OK;
		}
	}
	tui_say(t, 1, _("unknown SLO \"%s\"; the first one is \"%s\""), name,
	    slos->items[0].name);
	return WK_ERR_NOTFOUND;
}

/* Returns the minutes of the SLO's window. */
static int64_t
tui_slo_window(const struct cfg_slo *slo)
{
	return slo->window_minutes > 0 ? slo->window_minutes :
	    TUI_MONTH_MINUTES;
}

int
tui_slo_refresh(struct tui *t)
{
	struct tui_slo_view *v = &t->slo;
	const struct tui_slo *s;
	int64_t from, step;

	if (v->index >= t->m.n_slos)
		return WK_OK;
	s = &t->m.slos[v->index];
	if (!s->has_status) {
		v->n_series = 0;
		return WK_OK;
	}
	if (v->series_minute == s->st.minute &&
	    strcmp(v->series_name, s->cfg->name) == 0)
		return WK_OK;

	/* Hourly points past two days: only those are kept that long. */
	step = (tui_slo_window(s->cfg) + TUI_SERIES_MAX - 1) / TUI_SERIES_MAX;
	if (tui_slo_window(s->cfg) > SLO_SERIES_FULL_MINUTES)
		step = (step + 59) / 60 * 60;
	from = s->st.minute - tui_slo_window(s->cfg);
	from -= step >= 60 ? ((from % 60) + 60) % 60 : 0;
	v->series_minute = s->st.minute;
	snprintf(v->series_name, sizeof v->series_name, "%s", s->cfg->name);
	return slo_read_series(t->store, s->cfg->name, from, s->st.minute,
	    step < 1 ? 1 : step, v->series, TUI_SERIES_MAX, &v->n_series);
}

/* Draws the figures of the SLO from row y; returns the next row. */
static int
tui_slo_figures(struct tui *t, int y, const struct tui_slo *s)
{
	const struct slo_status *st = &s->st;
	char sli[32], obj[32], win[32], left[32], desc[TUI_TEXT_MAX];

	tui_slo_describe(s->cfg, desc, sizeof desc);
	tui_putf(t, y++, 1, t->cols - 1, TUI_S_NORMAL, _("Good: %s"), desc);
	if (s->cfg->description != NULL)
		tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_DIM,
		    s->cfg->description);
	tui_fmt_pct(s->cfg->objective, obj, sizeof obj);
	tui_fmt_minutes(tui_slo_window(s->cfg), win, sizeof win);
	snprintf(sli, sizeof sli, "-");
	snprintf(left, sizeof left, "-");
	if (s->has_status && st->sli.known)
		tui_fmt_pct(st->sli.value, sli, sizeof sli);
	if (s->has_status && st->budget_remaining.known)
		tui_fmt_pct(st->budget_remaining.value, left, sizeof left);
	tui_putf(t, y++, 1, t->cols - 1, TUI_S_NORMAL, _("SLI %s (%lld of %lld "
	    "good)  objective %s  window %s"), sli, (long long)st->good,
	    (long long)st->total, obj, s->cfg->window_minutes > 0 ? win :
	    _("calendar month"));
	tui_putf(t, y++, 1, t->cols - 1, st->budget_exhausted ? TUI_S_FAIL :
	    TUI_S_OK, _("error budget left %s: %.1f of %.1f bad events "
	    "spent"), left, st->budget_consumed.known ?
	    st->budget_consumed.value : 0, st->budget_total.known ?
	    st->budget_total.value : 0);
	if (st->detail[0] != '\0')
		tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_WARN, st->detail);
	return y;
}

/* Puts the series into cols columns: the last point of each bucket. */
static size_t
tui_slo_columns(const struct tui_slo_view *v, const struct tui_slo *s,
		double *col, size_t cols, double *lo)
{
	int64_t to = s->st.minute, span = tui_slo_window(s->cfg);
	int64_t from = to - span;
	size_t i, k;

	*lo = 0;
	for (k = 0; k < cols; k++)
		col[k] = NAN;
	for (i = 0; i < v->n_series; i++) {
		const struct slo_point *p = &v->series[i];

		if (!p->budget_remaining.known || p->minute < from)
			continue;
		k = (size_t)((double)(p->minute - from) / (double)span *
		    (double)(cols - 1) + 0.5);
		col[k < cols ? k : cols - 1] = p->budget_remaining.value;
		if (p->budget_remaining.value < *lo)
			*lo = p->budget_remaining.value;
	}
	/* The latest evaluation, which an hourly series may not hold yet. */
	if (s->has_status && s->st.budget_remaining.known) {
		col[cols - 1] = s->st.budget_remaining.value;
		if (col[cols - 1] < *lo)
			*lo = col[cols - 1];
	}
	return cols;
}

static void
tui_slo_chart(struct tui *t, int y, int rows, const struct tui_slo *s)
{
	double col[TUI_TEXT_MAX / 4], lo;
	char line[TUI_TEXT_MAX], label[32], start[32];
	size_t cols = (size_t)(t->cols - TUI_AXIS_COLS - 2);
	int r;

	if (cols > sizeof col / sizeof col[0])
		cols = sizeof col / sizeof col[0];
	tui_rule(t, y++, _("Error budget left over the window"), 0);
	tui_slo_columns(&t->slo, s, col, cols, &lo);
	for (r = 0; r < rows; r++) {
		tui_chart_row(col, cols, lo, 1.0, r, rows, t->ascii, line,
		    sizeof line);
		label[0] = '\0';
		if (r == 0)
			snprintf(label, sizeof label, "100%%");
		else if (r == rows - 1)
			tui_fmt_pct(lo, label, sizeof label);
		tui_put_right(t, y + r, 0, TUI_AXIS_COLS, TUI_S_DIM, label);
		tui_put(t, y + r, TUI_AXIS_COLS + 1, (int)cols, 0, TUI_S_OK,
		    line);
	}
	tui_fmt_time((s->st.minute - tui_slo_window(s->cfg)) * SLO_MINUTE_MS,
	    start, sizeof start);
	tui_put(t, y + rows, TUI_AXIS_COLS + 1, (int)cols / 2, 0, TUI_S_DIM,
	    start);
	tui_put_right(t, y + rows, TUI_AXIS_COLS + 1 + (int)cols / 2,
	    (int)cols - (int)cols / 2, TUI_S_DIM, _("now"));
}

/* Draws the burn rates and thresholds in 4 rows from y, then the rules. */
static void
tui_slo_burns(struct tui *t, int y, int rows, const struct tui_slo *s)
{
	char v[32], lw[24], sw[24];
	int w, x = 12, cw = 7;
	size_t i;

	tui_rule(t, y++, _("Burn rates (1 spends the budget in exactly "
	    "the window)"), 0);
	tui_put(t, y, 1, 10, 0, TUI_S_HEAD, _("window"));
	tui_put(t, y + 1, 1, 10, 0, TUI_S_HEAD, _("burn"));
	tui_put(t, y + 2, 1, 10, 0, TUI_S_HEAD, _("page at"));
	tui_put(t, y + 3, 1, 10, 0, TUI_S_HEAD, _("ticket at"));
	for (w = 0; w < SLO_BURN_WINDOWS && x + cw <= t->cols; w++, x += cw) {
		enum tui_style st = TUI_S_NORMAL;
		double b = s->st.burn[w].value;

		tui_put_right(t, y, x, cw - 1, TUI_S_HEAD, slo_burn_names[w]);
		snprintf(v, sizeof v, "-");
		if (s->has_status && s->st.burn[w].known) {
			snprintf(v, sizeof v, "%.2f", b);
			st = s->page_at[w] > 0 && b >= s->page_at[w] ? TUI_S_FAIL :
			    s->ticket_at[w] > 0 && b >= s->ticket_at[w] ?
			    TUI_S_WARN : TUI_S_NORMAL;
		}
		tui_put_right(t, y + 1, x, cw - 1, st, v);
		snprintf(v, sizeof v, s->page_at[w] > 0 ? "%.1f" : "-",
		    s->page_at[w]);
		tui_put_right(t, y + 2, x, cw - 1, TUI_S_DIM, v);
		snprintf(v, sizeof v, s->ticket_at[w] > 0 ? "%.1f" : "-",
		    s->ticket_at[w]);
		tui_put_right(t, y + 3, x, cw - 1, TUI_S_DIM, v);
	}
	for (i = 0; i < s->n_rules && (int)i + 4 < rows; i++) {
		tui_fmt_minutes(s->rules[i].long_minutes, lw, sizeof lw);
		tui_fmt_minutes(s->rules[i].short_minutes, sw, sizeof sw);
		tui_putf(t, y + 4 + (int)i, 1, t->cols - 1, TUI_S_DIM,
		    s->rules[i].page ? _("page when both %s and %s burn faster "
		    "than %.1f") : _("ticket when both %s and %s burn faster "
		    "than %.1f"), lw, sw, s->rules[i].threshold);
	}
}

void
tui_slo_draw(struct tui *t)
{
	const struct tui_slo *s;
	char title[256];
	int y, chart, burn;

	if (t->slo.index >= t->m.n_slos) {
		tui_draw_footer(t, _("q back"));
		return;
	}
	s = &t->m.slos[t->slo.index];
	snprintf(title, sizeof title, _("SLO %s (%zu of %zu) \xc2\xb7 %s"),
	    s->cfg->name, t->slo.index + 1, t->m.n_slos, s->has_status ?
	    tui_state_name(slo_state_name(s->st.state)) :
	    _("not evaluated yet"));
	tui_rule(t, 1, title, 1);
	y = tui_slo_figures(t, 2, s);
	burn = 5 + (int)s->n_rules;
	chart = t->rows - 1 - y - 2 - burn;
	if (chart < TUI_CHART_MIN_ROWS) {
		burn -= TUI_CHART_MIN_ROWS - chart;
		chart = TUI_CHART_MIN_ROWS;
	}
	tui_slo_chart(t, y, chart, s);
	tui_slo_burns(t, y + chart + 2, burn, s);
	tui_draw_footer(t, _("j/k next/previous SLO  : command  ? help  "
	    "q back"));
}

void
tui_slo_key(struct tui *t, int fk, wint_t ch)
{
	if (t->m.n_slos == 0)
		return;
	if (((!fk && ch == 'j') || (fk && (ch == KEY_DOWN || ch == KEY_NPAGE)))
	    && t->slo.index + 1 < t->m.n_slos)
		t->slo.index++;
	else if (((!fk && ch == 'k') || (fk && (ch == KEY_UP ||
	    ch == KEY_PPAGE))) && t->slo.index > 0)
		t->slo.index--;
	else if ((!fk && ch == 'g') || (fk && ch == KEY_HOME))
		t->slo.index = 0;
	else if ((!fk && ch == 'G') || (fk && ch == KEY_END))
		t->slo.index = t->m.n_slos - 1;
	tui_refresh_soon(t);
}
