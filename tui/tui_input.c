/*
 * The bottom row (prompts, confirmations, messages and key hints), the
 * ':' command line, the help overlay, and the actions a confirmation
 * starts through the callbacks of struct tui_actions.
 */
#include "tui/tui_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/text.h"

#define TUI_HELP_WIDTH 72   /* columns of the help box, at most */
#define TUI_WORDS_MAX 4     /* words of a command line looked at */

int
tui_actions_off(struct tui *t)
{
	if (t->opts->read_only || t->opts->actions == NULL) {
		tui_say(t, 1, _("read-only: actions are off (started with "
		    "--read-only)"));
		return 1;
	}
	return 0;
}

void
tui_confirm(struct tui *t, const struct tui_pending *p, const char *fmt,
	    ...)
{
	char question[sizeof t->prompt.label - 16];
	va_list ap;

	if (tui_actions_off(t))
		return;
	va_start(ap, fmt);
	vsnprintf(question, sizeof question, fmt, ap);
	va_end(ap);
	snprintf(t->prompt.label, sizeof t->prompt.label, "%s", question);
	t->prompt.p = *p;
	t->prompt.input = 0;
	t->prompt.active = 1;
}

void
tui_ask(struct tui *t, const struct tui_pending *p, const char *label,
	const char *initial)
{
	size_t n;

	snprintf(t->prompt.label, sizeof t->prompt.label, "%s", label);
	n = mbstowcs(t->prompt.text, initial, TUI_INPUT_MAX);
	t->prompt.len = n == (size_t)-1 ? 0 : n;
	t->prompt.text[t->prompt.len] = L'\0';
	t->prompt.p = *p;
	t->prompt.input = 1;
	t->prompt.active = 1;
}

/* Runs a confirmed action through the agent's control socket. */
static void
tui_act(struct tui *t, const struct tui_pending *p)
{
	const struct tui_actions *a = t->opts->actions;
	struct wk_err err = { 0, "" };
	size_t dropped = 0;
	int64_t id = 0;
	int rc = WK_ERR_STATE;

	if (tui_actions_off(t))
		return;
	wk_err_set(&err, WK_ERR_STATE, _("the agent does not offer this "
	    "action"));
	switch (p->act) {
	case TUI_ACT_RERUN:
		if (a->rerun != NULL)
			rc = a->rerun(a->ctx, p->pipeline, p->run_id, p->stage,
			    &err);
		if (rc == WK_OK)
			tui_say(t, 0, _("re-run of run %lld from %s started"),
			    (long long)p->run_id, p->stage);
		break;
	case TUI_ACT_CANCEL:
		if (a->cancel != NULL)
			rc = a->cancel(a->ctx, p->run_id, &err);
		if (rc == WK_OK)
			tui_say(t, 0, _("run %lld cancelled"),
			    (long long)p->run_id);
		break;
	case TUI_ACT_CANCEL_QUEUED:
		if (a->cancel_queued != NULL)
			rc = a->cancel_queued(a->ctx, p->pipeline, &dropped,
			    &err);
		if (rc == WK_OK)
			tui_say(t, 0, P_("pipeline %s: dropped %zu queued run",
			    "pipeline %s: dropped %zu queued runs", dropped),
			    p->pipeline, dropped);
		break;
	case TUI_ACT_RUN_NOW:
		if (a->run_now != NULL)
			rc = a->run_now(a->ctx, p->pipeline, &id, &err);
		if (rc == WK_OK && id > 0)
			tui_say(t, 0, _("run %lld of %s started"), (long long)id,
			    p->pipeline);
		else if (rc == WK_OK)
			tui_say(t, 0, _("run of %s queued"), p->pipeline);
		break;
	case TUI_ACT_ACK:
		if (a->ack != NULL)
			rc = a->ack(a->ctx, p->fingerprint, _("acknowledged in "
			    "watchkeep top"), &err);
		if (rc == WK_OK)
			tui_say(t, 0, _("alert %s acknowledged"),
			    p->fingerprint);
		break;
	case TUI_ACT_SILENCE:
		if (a->silence != NULL)
			rc = a->silence(a->ctx, p->labels, p->duration_ms,
			    _("silenced in watchkeep top"), &id, &err);
		if (rc == WK_OK)
			tui_say(t, 0, _("silence %lld created"), (long long)id);
		break;
	case TUI_ACT_UNSILENCE:
		if (a->unsilence != NULL)
			rc = a->unsilence(a->ctx, p->silence_id, &err);
		if (rc == WK_OK)
			tui_say(t, 0, _("silence %lld ended"),
			    (long long)p->silence_id);
		break;
	default:
		return;
	}
	if (rc != WK_OK)
		tui_say(t, 1, "%s", err.msg);
	tui_refresh_soon(t);
}

/* Asks to confirm a silence of the duration typed. */
static void
tui_silence_for(struct tui *t, struct tui_pending *p, const char *text)
{
	const char *reason = NULL;
	char shown[64], labels[512];
	size_t bad = 0;

	if (clk_parse_duration(text, &p->duration_ms, &bad, &reason) !=
	    WK_OK || p->duration_ms <= 0) {
		tui_say(t, 1, _("invalid duration \"%s\": %s; type one such "
		    "as 30m, 2h or 1d"), text, reason != NULL ? _(reason) :
		    _("it must be longer than 0"));
		return;
	}
	tui_fmt_duration(p->duration_ms, shown, sizeof shown);
	tui_labels_text(p->labels, labels, sizeof labels);
	p->act = TUI_ACT_SILENCE;
	tui_confirm(t, p, _("Silence alerts with labels %s for %s?"), labels,
	    shown);
}

/* Handles the text of an input line. */
static void
tui_submit(struct tui *t, struct tui_pending *p, const char *text)
{
	switch (p->act) {
	case TUI_ACT_COMMAND:
		tui_command(t, text);
		break;
	case TUI_ACT_SEARCH:
		snprintf(t->logs.search, sizeof t->logs.search, "%s", text);
		if (text[0] != '\0')
			tui_logs_search(t, 1);
		break;
	case TUI_ACT_SILENCE_FOR:
		tui_silence_for(t, p, text);
		break;
	default:
		break;
	}
}

static void
tui_input_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_prompt *pr = &t->prompt;
	char text[TUI_INPUT_MAX * 4 + 1];
	struct tui_pending p = pr->p;
	size_t n;

	if ((fk && ch == KEY_ENTER) || (!fk && (ch == '\r' || ch == '\n'))) {
		pr->active = 0;
		n = wcstombs(text, pr->text, sizeof text);
		if (n == (size_t)-1)
			text[0] = '\0';
		tui_submit(t, &p, text);
	} else if (!fk && ch == 27) {
		pr->active = 0;
	} else if ((fk && ch == KEY_BACKSPACE) || (!fk && (ch == 127 ||
	    ch == 8))) {
		if (pr->len > 0)
			pr->text[--pr->len] = L'\0';
		else
			pr->active = 0;
	} else if (!fk && ch == 21) {   /* Ctrl-U */
		pr->len = 0;
		pr->text[0] = L'\0';
	} else if (!fk && iswprint(ch) && pr->len < TUI_INPUT_MAX &&
	    wcwidth((wchar_t)ch) > 0) {
		pr->text[pr->len++] = (wchar_t)ch;
		pr->text[pr->len] = L'\0';
	}
}

void
tui_prompt_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_pending p = t->prompt.p;

	if (t->prompt.input) {
		tui_input_key(t, fk, ch);
		return;
	}
	t->prompt.active = 0;
	if (!fk && (ch == 'y' || ch == 'Y'))
		tui_act(t, &p);
	else
		tui_say(t, 0, _("cancelled"));
}

/* Draws the input line and puts the cursor at its end. */
static void
tui_draw_input(struct tui *t, int y)
{
	char text[TUI_INPUT_MAX * 4 + 1];
	int x, w, room;
	size_t n;

	x = tui_put(t, y, 0, t->cols, 0, TUI_S_HEAD, t->prompt.label);
	n = wcstombs(text, t->prompt.text, sizeof text);
	if (n == (size_t)-1)
		text[0] = '\0';
	room = t->cols - x - 1;
	w = (int)text_width(text);
	/* A long input shows its end. */
	while (w > room && text[0] != '\0') {
		size_t skip = tui_wrap_len(text, 1);

		memmove(text, text + skip, strlen(text + skip) + 1);
		w = (int)text_width(text);
	}
	x += tui_put(t, y, x, room, 0, TUI_S_NORMAL, text);
	curs_set(1);
	wmove(stdscr, y, x);
}

void
tui_draw_footer(struct tui *t, const char *hints)
{
	int y = t->rows - 1, w, x;

	curs_set(0);
	if (t->prompt.active && t->prompt.input) {
		tui_draw_input(t, y);
	} else if (t->prompt.active) {
		/* The answer keys stay visible however long the question. */
		w = (int)text_width(_("[y/N]")) + 1;
		tui_fill(t, y, 0, t->cols, TUI_S_SELECT);
		x = tui_put(t, y, 0, t->cols - w, 0, TUI_S_SELECT,
		    t->prompt.label);
		tui_put(t, y, x + 1, w, 0, TUI_S_SELECT, _("[y/N]"));
	} else if (t->status[0] != '\0') {
		tui_put(t, y, 0, t->cols, 0, t->status_error ? TUI_S_FAIL :
		    TUI_S_OK, t->status);
	} else {
		tui_put(t, y, 0, t->cols, 0, TUI_S_DIM, hints);
	}
}

/* Keys of a view, for the help overlay. */
struct tui_help {
	const char *keys;  /* as typed */
	const char *what;  /* N_() marked */
};

static const struct tui_help tui_help_common[] = {
	{ "?", N_("this help (any key closes it)") },
	{ "q Esc", N_("back; quit from the overview") },
	{ "j k \xe2\x86\x93 \xe2\x86\x91", N_("move down, up") },
	{ "PgDn PgUp", N_("page down, up") },
	{ "g G", N_("first, last") },
	{ "Enter", N_("open the selected item") },
	{ ":", N_("command line; :runs, :alerts, :probes, :slo NAME, :top") },
	{ "", N_(":run ID, :logs STAGE [RUN], :pipeline NAME") },
	{ "", N_(":run-now [PIPELINE], :cancel [RUN], :quit") },
};

static const struct tui_help tui_help_overview[] = {
	{ "Tab", N_("next pane: stages, SLOs, alerts, probes, forecasts") },
	{ "", N_("and the queued runs, while the agent has some") },
	{ "r", N_("re-run from the selected stage (asks first)") },
	{ "c", N_("queued runs pane: drop its pipeline's queue (asks first)") },
	{ "p", N_("show the next pipeline") },
	{ "a s", N_("in the alerts pane: acknowledge, silence (asks first)") },
	{ "h", N_("run history") },
};

static const struct tui_help tui_help_runs[] = {
	{ "r", N_("re-run from the selected stage (asks first)") },
	{ "c", N_("cancel the run (asks first)") },
	{ "", N_("on a queued run: drop all queued runs of the pipeline") },
	{ "l", N_("log of the selected stage") },
};

static const struct tui_help tui_help_logs[] = {
	{ "/ n N", N_("search; next, previous match") },
	{ "e E", N_("next, previous error line") },
	{ "f", N_("follow: stay at the end as lines come") },
	{ "w", N_("wrap long lines") },
	{ "\xe2\x86\x90 \xe2\x86\x92", N_("scroll sideways") },
	{ "Tab", N_("error signatures; Enter finds the selected one") },
};

static const struct tui_help tui_help_alerts[] = {
	{ "a", N_("acknowledge the selected alert (asks first)") },
	{ "s", N_("silence alerts like the selected one (asks for how long)") },
	{ "Tab", N_("silences; u ends the selected one (asks first)") },
	{ "H", N_("show resolved alerts too") },
};

static const struct tui_help tui_help_slo[] = {
	{ "j k", N_("next, previous SLO") },
};

/* Returns the view's own keys. */
static const struct tui_help *
tui_help_view(const struct tui *t, size_t *n)
{
	switch (tui_view(t)) {
	case TUI_OVERVIEW:
		*n = sizeof tui_help_overview / sizeof tui_help_overview[0];
		return tui_help_overview;
	case TUI_RUNS:
	case TUI_RUN:
		*n = sizeof tui_help_runs / sizeof tui_help_runs[0];
		return tui_help_runs;
	case TUI_LOGS:
		*n = sizeof tui_help_logs / sizeof tui_help_logs[0];
		return tui_help_logs;
	case TUI_ALERTS:
		*n = sizeof tui_help_alerts / sizeof tui_help_alerts[0];
		return tui_help_alerts;
	case TUI_SLO:
		*n = sizeof tui_help_slo / sizeof tui_help_slo[0];
		return tui_help_slo;
	default:
		*n = 0;
		return NULL;
	}
}

static void
tui_help_box(struct tui *t, int y, int x, int h, int w)
{
	int i;

	for (i = 0; i < h; i++)
		tui_fill(t, y + i, x, w, TUI_S_NORMAL);
	tui_attr(t, t->styles[TUI_S_HEAD]);
	if (t->ascii) {
		mvwhline(stdscr, y, x, '-', w);
		mvwhline(stdscr, y + h - 1, x, '-', w);
		mvwvline(stdscr, y, x, '|', h);
		mvwvline(stdscr, y, x + w - 1, '|', h);
	} else {
		mvwhline_set(stdscr, y, x, WACS_HLINE, w);
		mvwhline_set(stdscr, y + h - 1, x, WACS_HLINE, w);
		mvwvline_set(stdscr, y, x, WACS_VLINE, h);
		mvwvline_set(stdscr, y, x + w - 1, WACS_VLINE, h);
		mvwadd_wch(stdscr, y, x, WACS_ULCORNER);
		mvwadd_wch(stdscr, y, x + w - 1, WACS_URCORNER);
		mvwadd_wch(stdscr, y + h - 1, x, WACS_LLCORNER);
		mvwadd_wch(stdscr, y + h - 1, x + w - 1, WACS_LRCORNER);
	}
	tui_attr(t, A_NORMAL);
}

void
tui_draw_help(struct tui *t)
{
	const struct tui_help *own;
	size_t n_own, n_common, i;
	int w, h, x, y, row;

	own = tui_help_view(t, &n_own);
	n_common = sizeof tui_help_common / sizeof tui_help_common[0];
	w = t->cols - 4 < TUI_HELP_WIDTH ? t->cols - 4 : TUI_HELP_WIDTH;
	h = (int)(n_own + n_common) + 3;
	if (h > t->rows - 2)
		h = t->rows - 2;
	x = (t->cols - w) / 2;
	y = (t->rows - h) / 2;

	tui_help_box(t, y, x, h, w);
	tui_put(t, y, x + 2, w - 4, 0, TUI_S_HEAD, _(" Keys "));
	row = y + 1;
	for (i = 0; i < n_own + n_common && row < y + h - 1; i++, row++) {
		const struct tui_help *k = i < n_own ? &own[i] :
		    &tui_help_common[i - n_own];

		tui_put(t, row, x + 1, 11, 1, TUI_S_HEAD, k->keys);
		tui_put(t, row, x + 13, w - 14, 0, TUI_S_NORMAL, _(k->what));
	}
}

/* Splits line into at most TUI_WORDS_MAX words at spaces, in place. */
static size_t
tui_words(char *line, char **words)
{
	size_t n = 0;
	char *p = line;

	while (n < TUI_WORDS_MAX) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		words[n++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return n;
}

/* Parses a run id word; 0 with a message when it is not one. */
static int64_t
tui_run_word(struct tui *t, const char *word)
{
	char *end;
	long long id;

	errno = 0;
	id = strtoll(word, &end, 10);
	if (*end != '\0' || id <= 0 || errno == ERANGE) {
		tui_say(t, 1, _("invalid run id \"%s\"; give a positive "
		    "number"), word);
		return 0;
	}
	return id;
}

/*
 * Returns 1 when the store has run id. Otherwise shows a message on the
 * bottom row and returns 0.
 */
static int
tui_run_known(struct tui *t, int64_t id)
{
	struct store_run run;

	if (t->store != NULL && store_run_get(t->store, id, &run) == WK_OK)
		return 1;
	tui_say(t, 1, _("run %lld is not in the store; :runs lists the runs"),
	    (long long)id);
	return 0;
}

void
tui_pick_pipeline(struct tui *t, const char *name)
{
	const char *names[CFG_MAX_PIPELINES + 1];
	size_t n = tui_pipelines(t, names, CFG_MAX_PIPELINES + 1), i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			t->pipeline_index = i;
			tui_refresh_soon(t);
			return;
		}
	}
	tui_say(t, 1, _("unknown pipeline \"%s\"; the configuration has %zu"),
	    name, t->cfg->n_pipelines);
}

/* Runs the commands that act on runs. */
static int
tui_command_act(struct tui *t, char **w, size_t n)
{
	struct tui_pending p;

	memset(&p, 0, sizeof p);
	if (strcmp(w[0], "run-now") == 0) {
		p.act = TUI_ACT_RUN_NOW;
		snprintf(p.pipeline, sizeof p.pipeline, "%s", n > 1 ? w[1] :
		    t->m.pipeline);
		tui_confirm(t, &p, _("Start a run of %s now?"), p.pipeline);
		return 1;
	}
	if (strcmp(w[0], "cancel") == 0) {
		p.act = TUI_ACT_CANCEL;
		p.run_id = n > 1 ? tui_run_word(t, w[1]) : t->m.has_run ?
		    t->m.run.id : 0;
		if (p.run_id > 0 && tui_run_known(t, p.run_id))
			tui_confirm(t, &p, _("Cancel run %lld?"),
			    (long long)p.run_id);
		return 1;
	}
	return 0;
}

/* Runs the commands that open a view. */
static int
tui_command_view(struct tui *t, char **w, size_t n)
{
	int64_t id;

	if (strcmp(w[0], "runs") == 0 || strcmp(w[0], "history") == 0) {
		if (n > 1)
			tui_pick_pipeline(t, w[1]);
		tui_push(t, TUI_RUNS);
	} else if (strcmp(w[0], "run") == 0 && n > 1) {
		if ((id = tui_run_word(t, w[1])) > 0 && tui_run_known(t, id))
			tui_run_open(t, id);
	} else if (strcmp(w[0], "logs") == 0 && n > 1) {
		id = n > 2 ? tui_run_word(t, w[2]) : t->m.run.id;
		if (id > 0)
			tui_logs_open(t, t->m.pipeline, w[1], id);
	} else if (strcmp(w[0], "alerts") == 0) {
		tui_push(t, TUI_ALERTS);
	} else if (strcmp(w[0], "probes") == 0) {
		tui_push(t, TUI_PROBES);
	} else if (strcmp(w[0], "slo") == 0 || strcmp(w[0], "slos") == 0) {
		tui_slo_open(t, n > 1 ? w[1] : NULL);
	} else if (strcmp(w[0], "pipeline") == 0 && n > 1) {
		tui_pick_pipeline(t, w[1]);
	} else {
		return 0;
	}
	return 1;
}

void
tui_command(struct tui *t, const char *line)
{
	char copy[TUI_INPUT_MAX * 4 + 1], *w[TUI_WORDS_MAX];
	size_t n;

	snprintf(copy, sizeof copy, "%s", line[0] == ':' ? line + 1 : line);
	n = tui_words(copy, w);
	if (n == 0)
		return;
	if (strcmp(w[0], "q") == 0 || strcmp(w[0], "quit") == 0) {
		t->quit = 1;
	} else if (strcmp(w[0], "top") == 0 ||
	    strcmp(w[0], "overview") == 0) {
		t->depth = 1;
		tui_refresh_soon(t);
	} else if (strcmp(w[0], "help") == 0) {
		t->help = 1;
	} else if (!tui_command_view(t, w, n) && !tui_command_act(t, w, n)) {
		tui_say(t, 1, _("unknown command \":%s\"; try :runs, :alerts, "
		    ":probes, :slo NAME, :logs STAGE or ? for help"), w[0]);
	}
}
