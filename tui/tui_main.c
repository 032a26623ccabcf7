/*
 * The TUI's start and frame loop: read the store once a second, draw the
 * view into stdscr and let wnoutrefresh() and doupdate() send only the
 * cells that changed, handle keys and resizes. --bench-frames renders into
 * a virtual screen on /dev/null instead and reports the CPU time.
 */
#include "tui/tui_int.h"

#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/text.h"

#define TUI_ESC_DELAY_MS 25   /* wait for the rest of an escape sequence */
#define TUI_BENCH_TERM "xterm-256color"  /* when TERM is unset */

int64_t
tui_mono_ms(void)
{
	return clk_mono_ns() / 1000000;
}

enum tui_view
tui_view(const struct tui *t)
{
	return t->depth > 0 ? t->stack[t->depth - 1] : TUI_OVERVIEW;
}

void
tui_push(struct tui *t, enum tui_view view)
{
	int max = (int)(sizeof t->stack / sizeof t->stack[0]);

	if (tui_view(t) == view)
		return;
	if (t->depth >= max) {
		memmove(t->stack + 1, t->stack + 2, (size_t)(max - 2) *
		    sizeof t->stack[0]);
		t->depth--;
	}
	t->stack[t->depth++] = view;
	tui_refresh_soon(t);
}

void
tui_pop(struct tui *t)
{
	if (t->depth <= 1) {
		t->quit = 1;
		return;
	}
	t->depth--;
	tui_refresh_soon(t);
}

void
tui_say(struct tui *t, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_error = error;
	t->status_until = tui_mono_ms() + TUI_STATUS_MS;
}

void
tui_refresh_soon(struct tui *t)
{
	t->next_refresh = 0;
}

/* Opens the store when it exists, else stores the reason in t->store_error. */
static int
tui_open_store(struct tui *t)
{
	struct wk_err err = { 0, "" };
	struct stat sb;

	if (t->store != NULL)
		return WK_OK;
	if (stat(t->opts->store_path, &sb) != 0 && errno == ENOENT) {
		snprintf(t->store_error, sizeof t->store_error,
		    _("No runs yet: %s does not exist. Start the agent with "
		    "`watchkeep run`, or one run with `watchkeep run --once`."),
		    t->opts->store_path);
		return WK_ERR_NOTFOUND;
	}
	if (store_open(t->opts->store_path, STORE_READ_ONLY, &t->store,
	    &err) != WK_OK) {
		snprintf(t->store_error, sizeof t->store_error, "%s", err.msg);
		t->store = NULL;
		return err.rc;
	}
	t->store_error[0] = '\0';
	return WK_OK;
}

/* Reads what the current view needs, in one read transaction. */
static void
tui_refresh(struct tui *t)
{
	int rc;

	if (tui_open_store(t) != WK_OK)
		return;
	rc = store_view_begin(t->store);
	if (rc == WK_OK)
		rc = tui_model_refresh(t);
	if (rc == WK_OK) {
		switch (tui_view(t)) {
		case TUI_RUNS: rc = tui_runs_refresh(t); break;
		case TUI_RUN: rc = tui_run_refresh(t); break;
		case TUI_LOGS: rc = tui_logs_refresh(t); break;
		case TUI_ALERTS: rc = tui_alerts_refresh(t); break;
		case TUI_SLO: rc = tui_slo_refresh(t); break;
		default: break;
		}
	}
	store_view_end(t->store);
	if (rc != WK_OK && rc != WK_ERR_NOTFOUND)
		tui_say(t, 1, _("reading %s failed (%s); retrying every "
		    "second"), t->opts->store_path, wk_rc_name(rc));
}

/* Returns the title of the current view. */
static const char *
tui_view_title(const struct tui *t)
{
	switch (tui_view(t)) {
	case TUI_RUNS: return _("Run history");
	case TUI_RUN: return _("Run detail");
	case TUI_LOGS: return _("Stage log");
	case TUI_ALERTS: return _("Alerts");
	case TUI_PROBES: return _("Probes");
	case TUI_SLO: return _("SLO detail");
	default: return _("Overview");
	}
}

static void
tui_draw_header(struct tui *t)
{
	char right[128], clock[16], left[256];
	time_t now = time(NULL);
	struct tm tm;
	int w;

	localtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	snprintf(left, sizeof left, " watchkeep top \xe2\x94\x82 %s%s",
	    tui_view_title(t), t->opts->read_only || t->opts->actions ==
	    NULL ? _("  [read-only]") : "");
	if (t->m.n_firing > 0)
		snprintf(right, sizeof right, _("%zu firing  %s  ? help "),
		    t->m.n_firing, clock);
	else
		snprintf(right, sizeof right, _("%s  ? help "), clock);

	tui_fill(t, 0, 0, t->cols, TUI_S_TITLE);
	w = (int)text_width(right);
	tui_put(t, 0, 0, t->cols - w - 1, 0, TUI_S_TITLE, left);
	if (w < t->cols)
		tui_put(t, 0, t->cols - w, w, 0, t->m.n_firing > 0 ?
		    TUI_S_FAIL : TUI_S_TITLE, right);
}

/* Draws the "terminal too small" screen, as much of it as fits. */
static void
tui_draw_small(struct tui *t)
{
	char text[256];
	int y = t->rows / 2 - 1;

	snprintf(text, sizeof text, _("Terminal too small: %dx%d"), t->cols,
	    t->rows);
	tui_put(t, y < 0 ? 0 : y, 0, t->cols, 0, TUI_S_FAIL, text);
	snprintf(text, sizeof text, _("needs at least %dx%d"),
	    TUI_MIN_COLS, TUI_MIN_ROWS);
	tui_put(t, y + 1, 0, t->cols, 0, TUI_S_NORMAL, text);
}

/* Draws a message from row y on, wrapped at the width of the screen. */
static void
tui_draw_wrapped(struct tui *t, int y, const char *text)
{
	char line[TUI_TEXT_MAX];
	size_t n;

	while (*text != '\0' && y < t->rows - 1) {
		n = tui_wrap_len(text, (size_t)(t->cols - 2));
		snprintf(line, sizeof line, "%.*s", (int)n, text);
		tui_put(t, y++, 1, t->cols - 2, 0, TUI_S_WARN, line);
		text += n;
		while (*text == ' ')
			text++;
	}
}

static void
tui_draw_view(struct tui *t)
{
	if (t->store == NULL) {
		tui_draw_wrapped(t, 2, t->store_error);
		tui_draw_footer(t, _("q quit  ? help"));
		return;
	}
	switch (tui_view(t)) {
	case TUI_RUNS: tui_runs_draw(t); break;
	case TUI_RUN: tui_run_draw(t); break;
	case TUI_LOGS: tui_logs_draw(t); break;
	case TUI_ALERTS: tui_alerts_draw(t); break;
	case TUI_PROBES: tui_probes_draw(t); break;
	case TUI_SLO: tui_slo_draw(t); break;
	default: tui_overview_draw(t); break;
	}
}

/* Draws one frame into stdscr and sends the changed cells. */
static void
tui_draw(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	werase(stdscr);
	if (t->status[0] != '\0' && tui_mono_ms() >= t->status_until)
		t->status[0] = '\0';
	if (t->rows < TUI_MIN_ROWS || t->cols < TUI_MIN_COLS) {
		curs_set(0);
		tui_draw_small(t);
	} else {
		tui_draw_header(t);
		tui_draw_view(t);
		if (t->help)
			tui_draw_help(t);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

static void
tui_view_key(struct tui *t, int fk, wint_t ch)
{
	switch (tui_view(t)) {
	case TUI_RUNS: tui_runs_key(t, fk, ch); break;
	case TUI_RUN: tui_run_key(t, fk, ch); break;
	case TUI_LOGS: tui_logs_key(t, fk, ch); break;
	case TUI_ALERTS: tui_alerts_key(t, fk, ch); break;
	case TUI_PROBES: tui_probes_key(t, fk, ch); break;
	case TUI_SLO: tui_slo_key(t, fk, ch); break;
	default: tui_overview_key(t, fk, ch); break;
	}
}

/* Handles one key: overlays first, then the keys of every view. */
static void
tui_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_pending p;

	if (fk && ch == KEY_RESIZE)
		return;
	if (t->help) {
		t->help = 0;
		return;
	}
	if (t->prompt.active) {
		tui_prompt_key(t, fk, ch);
		return;
	}
	/*
	 * Keys work on a screen too small as well, because the size curses
	 * has may lag behind a burst of resizes and a key must not be lost.
	 */
	memset(&p, 0, sizeof p);
	if (!fk && ch == '?') {
		t->help = 1;
	} else if (!fk && ch == ':') {
		p.act = TUI_ACT_COMMAND;
		tui_ask(t, &p, ":", "");
	} else if (!fk && (ch == 'q' || ch == 27)) {
		tui_pop(t);
	} else {
		tui_view_key(t, fk, ch);
	}
}

static void
tui_setup_screen(struct tui *t)
{
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(TUI_ESC_DELAY_MS);
	curs_set(0);
	t->color = !t->opts->no_color && has_colors();
	if (t->color)
		start_color();
	tui_styles_init(t);
	getmaxyx(stdscr, t->rows, t->cols);
}

static struct tui *
tui_new(const struct tui_opts *opts)
{
	const char *codeset = nl_langinfo(CODESET);
	struct tui *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->opts = opts;
	t->cfg = opts->cfg;
	t->utf8 = codeset != NULL && (strcmp(codeset, "UTF-8") == 0 ||
	    strcmp(codeset, "utf8") == 0);
	t->ascii = opts->ascii || !t->utf8;
	t->pipeline_index = SIZE_MAX;
	t->stack[0] = TUI_OVERVIEW;
	t->depth = 1;
	t->m.typical_run = -1;
	return t;
}

static void
tui_free(struct tui *t)
{
	if (t == NULL)
		return;
	tui_logs_free(&t->logs);
	store_close(t->store);
	free(t);
}

/* Runs the frame loop until the user quits. */
static void
tui_loop(struct tui *t)
{
	int64_t now, wait;
	wint_t ch;
	int rc, dirty = 1;

	while (!t->quit) {
		now = tui_mono_ms();
		if (now >= t->next_refresh) {
			tui_refresh(t);
			t->next_refresh = now + TUI_REFRESH_MS;
			dirty = 1;
		}
		if (dirty)
			tui_draw(t);
		dirty = 0;
		wait = t->next_refresh - tui_mono_ms();
		wtimeout(stdscr, wait < 1 ? 1 : (int)wait);
		rc = wget_wch(stdscr, &ch);
		if (rc == ERR)
			continue;
		tui_key(t, rc == KEY_CODE_YES, ch);
		dirty = 1;
	}
}

/* Renders n frames of one view and returns the CPU ms a frame. */
static double
tui_bench_view(struct tui *t, long n)
{
	struct timespec a, b;
	long i;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (i = 0; i < n; i++) {
		tui_refresh(t);
		tui_draw(t);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6) / (double)n;
}

/* Opens the view to measure; returns 0 when it cannot be shown. */
static int
tui_bench_open(struct tui *t, enum tui_view view)
{
	t->depth = 1;
	tui_refresh(t);
	if (view == TUI_OVERVIEW)
		return 1;
	if (view == TUI_RUN || view == TUI_LOGS) {
		if (!t->m.has_run || t->m.n_stages == 0)
			return 0;
		tui_run_open(t, t->m.run.id);
		if (view == TUI_LOGS)
			tui_logs_open(t, t->m.pipeline, t->m.stages[0].name,
			    t->m.run.id);
		return 1;
	}
	if (view == TUI_SLO)
		return tui_slo_open(t, NULL) == WK_OK;
	tui_push(t, view);
	return 1;
}

static int
tui_bench(struct tui *t, int64_t start_ms)
{
	static const char *const names[TUI_VIEW_COUNT] = {
		"overview", "runs", "run", "logs", "alerts", "probes", "slo"
	};
	const char *term = getenv("TERM");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *screen = NULL;
	int v;

	if (out != NULL && in != NULL)
		screen = newterm(term != NULL && term[0] != '\0' ? term :
		    TUI_BENCH_TERM, out, in);
	if (screen == NULL) {
		fprintf(stderr, _("watchkeep top: cannot start a virtual "
		    "screen on /dev/null\n"));
		goto out;
	}
	set_term(screen);
	tui_setup_screen(t);
	tui_refresh(t);
	tui_draw(t);
	printf(_("first frame: %.1f ms after the start of the TUI, %dx%d\n"),
	    (double)(tui_mono_ms() - start_ms), t->cols, t->rows);
	for (v = 0; v < TUI_VIEW_COUNT; v++) {
		if (!tui_bench_open(t, (enum tui_view)v))
			continue;
		printf(P_("%-8s %.3f ms CPU a frame (%ld frame)\n",
		    "%-8s %.3f ms CPU a frame (%ld frames)\n",
		    (unsigned long)t->opts->bench_frames), names[v],
		    tui_bench_view(t, t->opts->bench_frames),
		    t->opts->bench_frames);
	}
	endwin();
	delscreen(screen);
out:
	if (out != NULL)
		fclose(out);
	if (in != NULL)
		fclose(in);
	return screen != NULL ? 0 : 1;
}

int
tui_main(const struct tui_opts *opts)
{
	int64_t start_ms = tui_mono_ms();
	struct tui *t = tui_new(opts);
	SCREEN *screen;
	int rc = 0;

	if (t == NULL) {
		fprintf(stderr, "watchkeep top: %s\n", _("out of memory"));
		return 1;
	}
	if (opts->bench_frames > 0) {
		rc = tui_bench(t, start_ms);
		tui_free(t);
		return rc;
	}
	/* Unlike initscr(), newterm() returns NULL instead of exiting. */
	screen = newterm(NULL, stdout, stdin);
	if (screen == NULL) {
		fprintf(stderr, _("watchkeep top: cannot use this terminal "
		    "(TERM=%s); set TERM to a terminal type such as xterm\n"),
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		tui_free(t);
		return 1;
	}
	set_term(screen);
	tui_setup_screen(t);
	tui_loop(t);
	endwin();
	delscreen(screen);
	tui_free(t);
	return 0;
}
