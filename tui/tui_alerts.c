/*
 * The alerts view: open alerts (resolved ones too on request) with the
 * detail of the selected one, and the active silences. Acknowledging,
 * silencing and ending a silence are asked for and confirmed, and go to
 * the agent through the control socket.
 */
#include "tui/tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/store_alerts.h"

#define TUI_DETAIL_ROWS 7      /* rows of the selected alert's detail */
#define TUI_SILENCE_ROWS 4     /* silences shown at most */
#define TUI_SILENCE_DEFAULT "2h"  /* the duration a silence prompt offers */

/* The state of a walk over the alerts with store_alerts_each(). */
struct tui_alert_walk {
	struct tui_alert *out;   /* ring of max alerts */
	size_t max;              /* entries in out */
	size_t seen;             /* alerts walked, kept or not */
	int resolved;            /* keep resolved ones */
};

static void
tui_copy(char *out, size_t size, const char *s)
{
	snprintf(out, size, "%s", s != NULL ? s : "");
}

static int
tui_alert_take(const struct store_alert *a, void *arg)
{
	struct tui_alert_walk *w = arg;
	struct tui_alert *o;

	if (!w->resolved && strcmp(a->state, "resolved") == 0)
		return 0;
	/* A ring: past max, the newest ones replace the oldest. */
	o = &w->out[w->seen % w->max];
	w->seen++;
	tui_copy(o->fingerprint, sizeof o->fingerprint, a->fingerprint);
	tui_copy(o->source, sizeof o->source, a->source);
	tui_copy(o->severity, sizeof o->severity, a->severity);
	tui_copy(o->state, sizeof o->state, a->state);
	tui_copy(o->labels, sizeof o->labels, a->labels);
	tui_copy(o->summary, sizeof o->summary, a->summary);
	tui_copy(o->details, sizeof o->details, a->details);
	tui_copy(o->ack_comment, sizeof o->ack_comment, a->ack_comment);
	o->acked = a->ack_at > 0;
	o->ack_at = a->ack_at;
	o->since = a->fired_at > 0 ? a->fired_at : a->active_since;
	o->resolved_at = a->resolved_at;
	return 0;
}

static int
tui_rank(const char *value, const char *first, const char *second)
{
	return strcmp(value, first) == 0 ? 0 : strcmp(value, second) == 0 ?
	    1 : 2;
}

/* Firing first, then pending, then resolved; pages first; newest first. */
static int
tui_alert_cmp(const void *x, const void *y)
{
	const struct tui_alert *a = x, *b = y;
	int d;

	d = tui_rank(a->state, "firing", "pending") -
	    tui_rank(b->state, "firing", "pending");
	if (d == 0)
		d = tui_rank(a->severity, "page", "ticket") -
		    tui_rank(b->severity, "page", "ticket");
	if (d == 0)
		d = (a->since < b->since) - (a->since > b->since);
	return d;
}

int
tui_alerts_read(struct tui *t, int resolved, struct tui_alert *out,
		size_t max, size_t *count, size_t *firing)
{
	struct tui_alert_walk w = { out, max, 0, resolved };
	size_t i;
	int rc;

	rc = store_alerts_each(t->store, resolved, tui_alert_take, &w);
	*count = w.seen < max ? w.seen : max;
	qsort(out, *count, sizeof *out, tui_alert_cmp);
	*firing = 0;
	for (i = 0; i < *count; i++)
		*firing += strcmp(out[i].state, "firing") == 0;
	return rc;
}

static int
tui_silence_take(const struct store_silence *s, void *arg)
{
	struct tui_alerts *v = arg;
	struct tui_silence *o;

	if (v->n_silences >= TUI_SILENCES_MAX)
		return 0;
	o = &v->silences[v->n_silences++];
	o->id = s->id;
	tui_copy(o->matchers, sizeof o->matchers, s->matchers);
	tui_copy(o->comment, sizeof o->comment, s->comment);
	o->ends_at = s->ends_at;
	return 0;
}

int
tui_alerts_refresh(struct tui *t)
{
	struct tui_alerts *v = &t->alerts;
	size_t firing;
	int rc;

	rc = tui_alerts_read(t, v->resolved, v->alerts, TUI_ALERTS_MAX,
	    &v->n_alerts, &firing);
	v->n_silences = 0;
	if (rc == WK_OK)
		rc = store_silences_each(t->store, t->m.now_ms,
		    tui_silence_take, v);
	return rc;
}

void
tui_labels_text(const char *json, char *out, size_t size)
{
	size_t o = 0;
	int in_string = 0;

	for (; *json != '\0' && o + 1 < size; json++) {
		if (*json == '"') {
			in_string = !in_string;
			continue;
		}
		if (!in_string && (*json == '{' || *json == '}'))
			continue;
		if (!in_string && *json == ':')
			out[o++] = '=';
		else if (!in_string && *json == ',')
			out[o++] = ' ';
		else
			out[o++] = *json;
	}
	out[o] = '\0';
}

/* Copies the value of label name from labels into out; 0 when absent. */
static int
tui_label(const char *labels, const char *name, char *out, size_t size)
{
	char key[80];
	const char *p, *end;

	snprintf(key, sizeof key, "\"%s\":\"", name);
	p = strstr(labels, key);
	if (p == NULL)
		return 0;
	p += strlen(key);
	end = strchr(p, '"');
	if (end == NULL || (size_t)(end - p) >= size)
		return 0;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 1;
}

void
tui_alert_ack_ask(struct tui *t, const struct tui_alert *a)
{
	struct tui_pending p;

	memset(&p, 0, sizeof p);
	p.act = TUI_ACT_ACK;
	snprintf(p.fingerprint, sizeof p.fingerprint, "%s", a->fingerprint);
	tui_confirm(t, &p, _("Acknowledge alert %s (%s)?"), a->fingerprint,
	    a->summary);
}

void
tui_alert_silence_ask(struct tui *t, const struct tui_alert *a)
{
	char labels[512], label[TUI_TEXT_MAX];
	struct tui_pending p;

	if (tui_actions_off(t))
		return;
	memset(&p, 0, sizeof p);
	p.act = TUI_ACT_SILENCE_FOR;
	snprintf(p.labels, sizeof p.labels, "%s", a->labels);
	tui_labels_text(a->labels, labels, sizeof labels);
	snprintf(label, sizeof label, _("Silence alerts with labels %s for "
	    "(such as 30m, 2h, 1d): "), labels);
	tui_ask(t, &p, label, TUI_SILENCE_DEFAULT);
}

static void
tui_alerts_list(struct tui *t, int y, int rows)
{
	struct tui_col c[] = {
		{ _("SEV"), 6, 0, 0, 9, 0, 0 },
		{ _("STATE"), 8, 0, 0, 8, 0, 0 },
		{ _("AGE"), 4, 1, 0, 7, 0, 0 },
		{ _("ACK"), 3, 0, 0, 7, 0, 0 },
		{ _("SOURCE"), 14, 0, 0, 3, 0, 0 },
		{ _("SUMMARY"), 20, 0, 1, 9, 0, 0 },
	};
	struct tui_alerts *v = &t->alerts;
	char title[256], age[16];
	const struct tui_alert *a;
	size_t i;
	int row, sel;

	snprintf(title, sizeof title, v->resolved ? _("Alerts, resolved "
	    "too: %zu (H hides resolved)") : _("Open alerts: %zu (H shows "
	    "resolved)"), v->n_alerts);
	tui_rule(t, y, title, !v->focus);
	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_table_head(t, y + 1, c, sizeof c / sizeof c[0]);
	if (v->n_alerts == 0)
		tui_put(t, y + 2, 1, t->cols - 1, 0, TUI_S_OK, _("no alerts"));
	tui_list_fix(&v->list, v->n_alerts, rows - 2);
	for (row = 0, i = v->list.top; row < rows - 2 && i < v->n_alerts;
	    row++, i++) {
		a = &v->alerts[i];
		sel = !v->focus && i == v->list.sel;
		tui_fmt_age(t->m.now_ms - a->since, age, sizeof age);
		if (sel)
			tui_fill(t, y + 2 + row, 0, t->cols, TUI_S_SELECT);
		tui_cell(t, y + 2 + row, &c[0], strcmp(a->severity, "page") ==
		    0 ? TUI_S_FAIL : TUI_S_WARN, a->severity);
		tui_cell(t, y + 2 + row, &c[1], tui_state_style(a->state),
		    tui_state_name(a->state));
		tui_cell(t, y + 2 + row, &c[2], TUI_S_NORMAL, age);
		tui_cell(t, y + 2 + row, &c[3], a->acked ? TUI_S_OK :
		    TUI_S_DIM, a->acked ? _("ack") : "-");
		tui_cell(t, y + 2 + row, &c[4], TUI_S_DIM, a->source);
		tui_cell(t, y + 2 + row, &c[5], sel ? TUI_S_SELECT :
		    TUI_S_NORMAL, a->summary);
	}
}

/* Draws the detail lines of the selected alert from row y. */
static void
tui_alerts_detail(struct tui *t, int y, int rows)
{
	struct tui_alerts *v = &t->alerts;
	const struct tui_alert *a;
	char labels[512], when[32], text[TUI_TEXT_MAX];
	const char *line, *nl;
	int end = y + rows;

	tui_rule(t, y++, _("Selected alert"), 0);
	if (v->list.sel >= v->n_alerts)
		return;
	a = &v->alerts[v->list.sel];
	tui_labels_text(a->labels, labels, sizeof labels);
	tui_fmt_time(a->since, when, sizeof when);
	tui_putf(t, y++, 1, t->cols - 1, TUI_S_NORMAL, _("%s  %s  since %s  "
	    "labels: %s"), a->fingerprint, a->source, when, labels);
	if (a->acked) {
		tui_fmt_time(a->ack_at, when, sizeof when);
		tui_putf(t, y++, 1, t->cols - 1, TUI_S_OK, _("acknowledged "
		    "%s: %s"), when, a->ack_comment);
	} else if (y < end) {
		tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("not acknowledged"));
	}
	for (line = a->details; *line != '\0' && y < end; line = nl) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		snprintf(text, sizeof text, "%.*s", (int)(nl - line), line);
		tui_put(t, y++, 1, t->cols - 1, 0, TUI_S_NORMAL, text);
		if (*nl == '\n')
			nl++;
	}
}

static void
tui_alerts_silences(struct tui *t, int y, int rows)
{
	struct tui_col c[] = {
		{ _("ID"), 4, 1, 0, 9, 0, 0 },
		{ _("ENDS IN"), 7, 1, 0, 8, 0, 0 },
		{ _("MATCHERS"), 20, 0, 1, 9, 0, 0 },
		{ _("COMMENT"), 16, 0, 0, 3, 0, 0 },
	};
	struct tui_alerts *v = &t->alerts;
	char id[32], ends[16], title[128];
	size_t i;
	int row, sel;

	snprintf(title, sizeof title, _("Silences: %zu active (Tab, u ends "
	    "one)"), v->n_silences);
	tui_rule(t, y, title, v->focus);
	if (v->n_silences == 0) {
		tui_put(t, y + 1, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no active silences"));
		return;
	}
	tui_table_layout(c, sizeof c / sizeof c[0], t->cols);
	tui_table_head(t, y + 1, c, sizeof c / sizeof c[0]);
	tui_list_fix(&v->sil_list, v->n_silences, rows - 2);
	for (row = 0, i = v->sil_list.top; row < rows - 2 &&
	    i < v->n_silences; row++, i++) {
		sel = v->focus && i == v->sil_list.sel;
		snprintf(id, sizeof id, "%lld", (long long)v->silences[i].id);
		tui_fmt_duration(v->silences[i].ends_at - t->m.now_ms, ends,
		    sizeof ends);
		if (sel)
			tui_fill(t, y + 2 + row, 0, t->cols, TUI_S_SELECT);
		tui_cell(t, y + 2 + row, &c[0], TUI_S_NORMAL, id);
		tui_cell(t, y + 2 + row, &c[1], TUI_S_NORMAL, ends);
		tui_cell(t, y + 2 + row, &c[2], sel ? TUI_S_SELECT :
		    TUI_S_NORMAL, v->silences[i].matchers);
		tui_cell(t, y + 2 + row, &c[3], TUI_S_DIM,
		    v->silences[i].comment);
	}
}

void
tui_alerts_draw(struct tui *t)
{
	struct tui_alerts *v = &t->alerts;
	int avail = t->rows - 2, sil, detail, list;
	size_t n_sil = v->n_silences < TUI_SILENCE_ROWS ? v->n_silences :
	    TUI_SILENCE_ROWS;

	sil = v->n_silences > 0 ? 2 + (int)n_sil : 2;
	detail = TUI_DETAIL_ROWS;
	list = avail - sil - detail;
	if (list < 4) {
		detail = 3;
		list = avail - sil - detail;
	}
	tui_alerts_list(t, 1, list);
	tui_alerts_detail(t, 1 + list, detail);
	tui_alerts_silences(t, 1 + list + detail, sil);
	tui_draw_footer(t, _("a ack  s silence  Tab silences  u unsilence  "
	    "H resolved  Enter run  ? help  q back"));
}

/* Keys of the list with the focus; returns 1 when handled. */
static int
tui_alerts_move(struct tui *t, int fk, wint_t ch)
{
	struct tui_alerts *v = &t->alerts;
	struct tui_list *l = v->focus ? &v->sil_list : &v->list;
	size_t n = v->focus ? v->n_silences : v->n_alerts;

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
	else
		return 0;
	return 1;
}

/* Opens the run an alert is about, when it names one. */
static void
tui_alerts_enter(struct tui *t, const struct tui_alert *a)
{
	char run[32];
	long long id;

	if (!tui_label(a->labels, "run", run, sizeof run) ||
	    (id = strtoll(run, NULL, 10)) <= 0) {
		tui_say(t, 1, _("this alert names no run"));
		return;
	}
	tui_run_open(t, (int64_t)id);
}

void
tui_alerts_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_alerts *v = &t->alerts;
	struct tui_pending p;
	int has_alert = !v->focus && v->list.sel < v->n_alerts;

	memset(&p, 0, sizeof p);
	if (tui_alerts_move(t, fk, ch))
		return;
	if ((!fk && ch == '\t') || (fk && ch == KEY_BTAB))
		v->focus = !v->focus;
	else if (!fk && ch == 'H') {
		v->resolved = !v->resolved;
		tui_refresh_soon(t);
	} else if (!fk && ch == 'a' && has_alert)
		tui_alert_ack_ask(t, &v->alerts[v->list.sel]);
	else if (!fk && ch == 's' && has_alert)
		tui_alert_silence_ask(t, &v->alerts[v->list.sel]);
	else if (((!fk && (ch == '\r' || ch == '\n')) || (fk &&
	    ch == KEY_ENTER)) && has_alert)
		tui_alerts_enter(t, &v->alerts[v->list.sel]);
	else if (!fk && ch == 'u' && v->focus &&
	    v->sil_list.sel < v->n_silences) {
		p.act = TUI_ACT_UNSILENCE;
		p.silence_id = v->silences[v->sil_list.sel].id;
		tui_confirm(t, &p, _("End silence %lld (%s)?"),
		    (long long)p.silence_id,
		    v->silences[v->sil_list.sel].matchers);
	} else if (!fk && (ch == 'a' || ch == 's' || ch == 'u'))
		tui_say(t, 1, v->focus && ch != 'u' ? _("Tab to the alerts "
		    "first") : _("nothing selected"));
}
