/*
 * Drawing primitives: text cut to display columns and drawn as wide
 * characters, section rules, tables and the styles in colour or in
 * monochrome.
 */
#include "tui/tui_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/i18n.h"
#include "core/text.h"

#define TUI_LINE_CELLS 1024  /* wide characters drawn in one call */

/* Colour pairs, numbered from 1. */
enum tui_pair {
	TUI_P_TITLE = 1,
	TUI_P_HEAD,
	TUI_P_OK,
	TUI_P_FAIL,
	TUI_P_RUN,
	TUI_P_WARN,
	TUI_P_MATCH,
	TUI_P_QUEUED
};

static void
tui_styles_mono(struct tui *t)
{
	t->styles[TUI_S_NORMAL] = A_NORMAL;
	t->styles[TUI_S_TITLE] = A_REVERSE;
	t->styles[TUI_S_HEAD] = A_BOLD;
	t->styles[TUI_S_FOCUS] = A_BOLD | A_UNDERLINE;
	t->styles[TUI_S_SELECT] = A_REVERSE;
	t->styles[TUI_S_OK] = A_NORMAL;
	t->styles[TUI_S_FAIL] = A_BOLD;
	t->styles[TUI_S_RUN] = A_BOLD;
	t->styles[TUI_S_WARN] = A_UNDERLINE;
	t->styles[TUI_S_DIM] = A_DIM;
	t->styles[TUI_S_MATCH] = A_REVERSE | A_BOLD;
	t->styles[TUI_S_QUEUED] = A_DIM | A_UNDERLINE;
}

void
tui_styles_init(struct tui *t)
{
	tui_styles_mono(t);
	if (!t->color)
		return;

	use_default_colors();
	init_pair(TUI_P_TITLE, COLOR_BLACK, COLOR_CYAN);
	init_pair(TUI_P_HEAD, COLOR_CYAN, -1);
	init_pair(TUI_P_OK, COLOR_GREEN, -1);
	init_pair(TUI_P_FAIL, COLOR_RED, -1);
	init_pair(TUI_P_RUN, COLOR_BLUE, -1);
	init_pair(TUI_P_WARN, COLOR_YELLOW, -1);
	init_pair(TUI_P_MATCH, COLOR_BLACK, COLOR_YELLOW);
	init_pair(TUI_P_QUEUED, COLOR_MAGENTA, -1);
	t->styles[TUI_S_TITLE] = COLOR_PAIR(TUI_P_TITLE);
	t->styles[TUI_S_HEAD] = COLOR_PAIR(TUI_P_HEAD) | A_BOLD;
	t->styles[TUI_S_FOCUS] = COLOR_PAIR(TUI_P_WARN) | A_BOLD;
	t->styles[TUI_S_OK] = COLOR_PAIR(TUI_P_OK);
	t->styles[TUI_S_FAIL] = COLOR_PAIR(TUI_P_FAIL) | A_BOLD;
	t->styles[TUI_S_RUN] = COLOR_PAIR(TUI_P_RUN) | A_BOLD;
	t->styles[TUI_S_WARN] = COLOR_PAIR(TUI_P_WARN);
	t->styles[TUI_S_MATCH] = COLOR_PAIR(TUI_P_MATCH);
	t->styles[TUI_S_QUEUED] = COLOR_PAIR(TUI_P_QUEUED);
}

void
tui_attr(struct tui *t, attr_t a)
{
	(void)t;
	/* wattr_set() takes the colour pair apart from the attributes. */
	wattr_set(stdscr, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
}

int
tui_put(struct tui *t, int y, int x, int cols, int pad, enum tui_style s,
	const char *text)
{
	char clean[TUI_TEXT_MAX];
	wchar_t cells[TUI_LINE_CELLS];
	size_t n;
	int used = 0;

	if (y < 0 || y >= t->rows || x < 0 || x >= t->cols || cols <= 0)
		return 0;
	if (cols > t->cols - x)
		cols = t->cols - x;

	/* Sanitized again: nothing from a log line may reach the terminal. */
	tui_clean(text, t->utf8, clean, sizeof clean);
	n = tui_cells(clean, cols, t->utf8, cells, TUI_LINE_CELLS, &used);
	tui_attr(t, t->styles[s]);
	mvwaddnwstr(stdscr, y, x, cells, (int)n);
	for (; pad && used < cols; used++)
		waddch(stdscr, ' ');
	tui_attr(t, A_NORMAL);
	return used;
}

int
tui_put_right(struct tui *t, int y, int x, int cols, enum tui_style s,
	      const char *text)
{
	char fitted[TUI_TEXT_MAX];

	if (cols <= 0)
		return 0;
	tui_fit_right(text, (size_t)cols, t->utf8, fitted, sizeof fitted);
	return tui_put(t, y, x, cols, 1, s, fitted);
}

int
tui_putf(struct tui *t, int y, int x, int cols, enum tui_style s,
	 const char *fmt, ...)
{
	char text[TUI_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return tui_put(t, y, x, cols, 0, s, text);
}

void
tui_fill(struct tui *t, int y, int x, int cols, enum tui_style s)
{
	if (y < 0 || y >= t->rows || x >= t->cols)
		return;
	if (cols > t->cols - x)
		cols = t->cols - x;
	tui_attr(t, t->styles[s]);
	mvwhline(stdscr, y, x, ' ', cols);
	tui_attr(t, A_NORMAL);
}

void
tui_rule(struct tui *t, int y, const char *title, int focused)
{
	enum tui_style s = focused ? TUI_S_FOCUS : TUI_S_HEAD;
	int used;

	if (y < 0 || y >= t->rows)
		return;
	tui_attr(t, t->styles[TUI_S_HEAD]);
	if (t->ascii)
		mvwhline(stdscr, y, 0, '-', t->cols);
	else
		mvwhline_set(stdscr, y, 0, WACS_HLINE, t->cols);
	tui_attr(t, A_NORMAL);
	if (t->cols < 4)
		return;
	mvwaddch(stdscr, y, 1, ' ');
	used = tui_put(t, y, 2, t->cols - 4, 0, s, title);
	mvwaddch(stdscr, y, 2 + used, ' ');
}

void
tui_table_head(struct tui *t, int y, const struct tui_col *cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tui_cell(t, y, &cols[i], TUI_S_HEAD, cols[i].head);
}

void
tui_cell(struct tui *t, int y, const struct tui_col *col, enum tui_style s,
	 const char *text)
{
	if (col->w <= 0)
		return;
	if (col->right)
		tui_put_right(t, y, col->x, col->w, s, text);
	else
		tui_put(t, y, col->x, col->w, 0, s, text);
}

enum tui_style
tui_state_style(const char *state)
{
	if (strcmp(state, STORE_STAGE_SUCCEEDED) == 0 ||
	    strcmp(state, STORE_STAGE_SKIPPED) == 0 ||
	    strcmp(state, "up") == 0 || strcmp(state, "ok") == 0)
		return TUI_S_OK;
	if (strcmp(state, STORE_STAGE_RUNNING) == 0)
		return TUI_S_RUN;
	if (strcmp(state, STORE_RUN_QUEUED) == 0)
		return TUI_S_QUEUED;
	if (strcmp(state, STORE_STAGE_RETRY_WAIT) == 0 ||
	    strcmp(state, "ticket") == 0)
		return TUI_S_WARN;
	if (strcmp(state, STORE_STAGE_PENDING) == 0 ||
	    strcmp(state, STORE_STAGE_NOT_RUN) == 0 ||
	    strcmp(state, "unknown") == 0 || strcmp(state, "no_data") == 0 ||
	    strcmp(state, "resolved") == 0 || state[0] == '\0')
		return TUI_S_DIM;
	return TUI_S_FAIL;
}

/* A stored state and its translated short name. */
struct tui_state_label {
	const char *state;  /* as stored */
	const char *name;   /* N_() marked */
	const char *symbol; /* one column, UTF-8 */
	const char *ascii;  /* one column, ASCII */
};

static const struct tui_state_label tui_state_labels[] = {
	{ STORE_STAGE_SUCCEEDED, N_("succeeded"), "\xe2\x9c\x93", "+" },
	{ STORE_STAGE_FAILED, N_("failed"), "\xe2\x9c\x97", "x" },
	{ STORE_STAGE_RUNNING, N_("running"), "\xe2\x96\xb8", ">" },
	{ STORE_STAGE_PENDING, N_("pending"), "\xc2\xb7", "." },
	{ STORE_STAGE_TIMED_OUT, N_("timed out"), "\xe2\x9c\x97", "x" },
	{ STORE_STAGE_NOT_RUN, N_("not run"), "-", "-" },
	{ STORE_STAGE_SKIPPED, N_("skipped"), "=", "=" },
	{ STORE_STAGE_OUT_OF_MEMORY, N_("out of memory"), "\xe2\x9c\x97",
	  "x" },
	{ STORE_STAGE_RETRY_WAIT, N_("retry wait"), "\xe2\x86\xbb", "~" },
	{ STORE_RUN_QUEUED, N_("queued"), "\xe2\x8b\xaf", ":" },
	{ "up", N_("up"), "\xe2\x9c\x93", "+" },
	{ "down", N_("down"), "\xe2\x9c\x97", "x" },
	{ "unknown", N_("unknown"), "?", "?" },
	{ "ok", N_("ok"), "\xe2\x9c\x93", "+" },
	{ "no_data", N_("no data"), "?", "?" },
	{ "ticket", N_("ticket"), "!", "!" },
	{ "page", N_("page"), "!", "!" },
	{ "data_error", N_("data error"), "\xe2\x9c\x97", "x" },
	{ "firing", N_("firing"), "!", "!" },
	{ "resolved", N_("resolved"), "\xe2\x9c\x93", "+" },
};

static const struct tui_state_label *
tui_state_find(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof tui_state_labels / sizeof tui_state_labels[0];
	    i++)
		if (strcmp(tui_state_labels[i].state, state) == 0)
			return &tui_state_labels[i];
	return NULL;
}

const char *
tui_state_name(const char *state)
{
	const struct tui_state_label *l = tui_state_find(state);

	return l != NULL ? _(l->name) : state;
}

const char *
tui_state_symbol(const struct tui *t, const char *state)
{
	const struct tui_state_label *l = tui_state_find(state);

	if (l == NULL)
		return " ";
	return t->ascii ? l->ascii : l->symbol;
}

void
tui_fmt_time(int64_t ms, char *out, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&s, &tm) == NULL) {
		snprintf(out, size, "-");
		return;
	}
	strftime(out, size, "%Y-%m-%d %H:%M", &tm);
}
