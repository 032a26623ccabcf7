/*
 * The probes view: every probe with its state, its latest latency and a
 * sparkline of its recent results, and the detail of the selected one.
 */
#include "tui/tui_int.h"

#include <stdio.h>
#include <string.h>

#include "core/i18n.h"

#define TUI_PROBE_DETAIL_ROWS 5  /* rule and four lines */

/* Writes the median and the 95th percentile latency of the results. */
static void
tui_probe_quantiles(const struct tui_probe *p, char *out, size_t size)
{
	int64_t ms[TUI_SPARK_MAX];
	char p50[32], p95[32];
	size_t i, n = 0;

	for (i = 0; i < p->n_lat; i++)
		if (p->lat[i] >= 0)
			ms[n++] = (int64_t)p->lat[i];
	if (n == 0) {
		snprintf(out, size, "%s", _("no latency measured"));
		return;
	}
	tui_median(ms, n);   /* sorts ms */
	tui_fmt_duration(ms[n / 2], p50, sizeof p50);
	tui_fmt_duration(ms[(n * 95 + 99) / 100 - 1], p95, sizeof p95);
	snprintf(out, size, _("latency p50 %s, p95 %s"), p50, p95);
}

static void
tui_probes_detail(struct tui *t, int y)
{
	const struct tui_probe *p;
	char since[32], q[128], spark[TUI_TEXT_MAX];

	tui_rule(t, y++, _("Selected probe"), 0);
	if (t->probe_list.sel >= t->m.n_probes)
		return;
	p = &t->m.probes[t->probe_list.sel];
	tui_fmt_time(p->ps.since, since, sizeof since);
	tui_putf(t, y++, 1, t->cols - 1, tui_state_style(p->ps.state),
	    _("%s (%s) is %s since %s"), p->ps.probe, p->ps.type,
	    tui_state_name(p->ps.state), since);
	tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_NORMAL, p->ps.detail);
	tui_probe_quantiles(p, q, sizeof q);
	tui_putf(t, y++, 1, t->cols - 1, TUI_S_NORMAL, P_("last %zu result: "
	    "%zu up, %zu down; %s", "last %zu results: %zu up, %zu down; %s",
	    p->n_lat), p->n_lat, p->n_up, p->n_lat - p->n_up, q);
	tui_spark(p->lat, p->n_lat, (size_t)(t->cols - 2), t->ascii, spark,
	    sizeof spark);
	tui_put(t, y, 1, t->cols - 2, 0, TUI_S_RUN, spark);
}

static void
tui_probes_row(struct tui *t, int y, struct tui_col *c,
	       const struct tui_probe *p, int selected)
{
	char since[16], checked[16], last[32], up[16], spark[TUI_TEXT_MAX];

	tui_fmt_age(t->m.now_ms - p->ps.since, since, sizeof since);
	tui_fmt_age(t->m.now_ms - p->ps.checked_at, checked, sizeof checked);
	tui_fmt_duration(p->ps.latency_ms >= 0 && p->ps.ok != 0 ?
	    (int64_t)p->ps.latency_ms : -1, last, sizeof last);
	tui_fmt_pct(p->n_lat > 0 ? (double)p->n_up / (double)p->n_lat : -1,
	    up, sizeof up);
	tui_spark(p->lat, p->n_lat, c[7].w > 0 ? (size_t)c[7].w : 0,
	    t->ascii, spark, sizeof spark);

	if (selected)
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
	tui_cell(t, y, &c[0], selected ? TUI_S_SELECT : TUI_S_NORMAL,
	    p->ps.probe);
	tui_cell(t, y, &c[1], TUI_S_DIM, p->ps.type);
	tui_cell(t, y, &c[2], tui_state_style(p->ps.state),
	    tui_state_name(p->ps.state));
	tui_cell(t, y, &c[3], TUI_S_NORMAL, since);
	tui_cell(t, y, &c[4], TUI_S_DIM, p->ps.checked_at > 0 ? checked : "-");
	tui_cell(t, y, &c[5], TUI_S_NORMAL, last);
	tui_cell(t, y, &c[6], TUI_S_NORMAL, p->n_lat > 0 ? up : "-");
	tui_cell(t, y, &c[7], TUI_S_RUN, spark);
}

void
tui_probes_draw(struct tui *t)
{
	struct tui_col c[] = {
		{ _("PROBE"), 16, 0, 0, 9, 0, 0 },
		{ _("TYPE"), 7, 0, 0, 3, 0, 0 },
		{ _("STATE"), 7, 0, 0, 9, 0, 0 },
		{ _("SINCE"), 5, 1, 0, 6, 0, 0 },
		{ _("CHECKED"), 5, 1, 0, 4, 0, 0 },
		{ _("LATENCY"), 6, 1, 0, 7, 0, 0 },
		{ _("UP"), 6, 1, 0, 5, 0, 0 },
		{ _("RECENT RESULTS (! failed)"), 12, 0, 1, 8, 0, 0 },
	};
	int rows = t->rows - 4 - TUI_PROBE_DETAIL_ROWS, row;
	char title[128];
	size_t i;

	snprintf(title, sizeof title, _("Probes: %zu"), t->m.n_probes);
	tui_rule(t, 1, title, 1);
	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_table_head(t, 2, c, sizeof c / sizeof c[0]);
	if (t->m.n_probes == 0)
		tui_put(t, 3, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no probe results yet; probes are set in the "
		    "configuration (docs/config.md)"));
	tui_list_fix(&t->probe_list, t->m.n_probes, rows);
	for (row = 0, i = t->probe_list.top; row < rows && i < t->m.n_probes;
	    row++, i++)
		tui_probes_row(t, 3 + row, c, &t->m.probes[i],
		    i == t->probe_list.sel);
	tui_probes_detail(t, t->rows - 1 - TUI_PROBE_DETAIL_ROWS);
	tui_draw_footer(t, _("j/k move  : command  ? help  q back"));
}

void
tui_probes_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_list *l = &t->probe_list;
	size_t n = t->m.n_probes;

	if ((!fk && ch == 'j') || (fk && ch == KEY_DOWN))
		tui_list_move(l, n, 1);
	else if ((!fk && ch == 'k') || (fk && ch == KEY_UP))
		tui_list_move(l, n, -1);
	else if (fk && (ch == KEY_NPAGE || ch == KEY_PPAGE))
		tui_list_move(l, n, ch == KEY_NPAGE ? 10 : -10);
	else if ((!fk && ch == 'g') || (fk && ch == KEY_HOME))
		l->sel = 0;
	else if ((!fk && ch == 'G') || (fk && ch == KEY_END))
		tui_list_move(l, n, (long)n);
}
