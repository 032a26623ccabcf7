/*
 * The stage log viewer: the stored lines of one stage run, scrolled by
 * rows, wrapped or scrolled sideways, searched with '/', n and N, with
 * jumps between error lines, a follow mode for a running stage and the
 * stage run's error signatures with their counts.
 *
 * The lines are kept in one arena of text, bounded by TUI_LOG_LINES_MAX
 * and TUI_LOG_BYTES_MAX; new lines are read after the last line number
 * of each stream, as `watchkeep logs --follow` reads them.
 * NOTE: when the agent rewrites the stored tail of a capped stream, the
 * viewer keeps the lines it read before; reopening the log shows the
 * stored ones.
 */
#include "tui/tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/text.h"

#define TUI_SIG_ROWS 4   /* signatures shown below the log */

void
tui_logs_free(struct tui_logs *logs)
{
	free(logs->lines);
	free(logs->text);
	logs->lines = NULL;
	logs->text = NULL;
	logs->n_lines = logs->cap_lines = 0;
	logs->text_used = logs->text_cap = 0;
}

/* Makes room for one more line of len bytes; 0 when a limit is hit. */
static int
tui_logs_room(struct tui_logs *l, size_t len)
{
	size_t cap;
	void *p;

	if (l->n_lines >= TUI_LOG_LINES_MAX ||
	    l->text_used + len > TUI_LOG_BYTES_MAX)
		return 0;
	if (l->n_lines == l->cap_lines) {
		cap = l->cap_lines == 0 ? 1024 : l->cap_lines * 2;
		p = realloc(l->lines, cap * sizeof *l->lines);
		if (p == NULL)
			return 0;
		l->lines = p;
		l->cap_lines = cap;
	}
	if (l->text_used + len > l->text_cap) {
		cap = l->text_cap == 0 ? 65536 : l->text_cap;
		while (cap < l->text_used + len)
			cap *= 2;
		p = realloc(l->text, cap);
		if (p == NULL)
			return 0;
		l->text = p;
		l->text_cap = cap;
	}
	return 1;
}

/* Appends one row read from the store. */
static int
tui_logs_add(struct tui_logs *l, const struct store_logs_row *row)
{
	char marker[160], lines[64], bytes[64];
	const char *text = row->text;
	struct tui_log_line *line;
	size_t len;

	if (row->dropped_lines >= 0) {
		snprintf(lines, sizeof lines, P_("%lld line", "%lld lines",
		    (unsigned long)row->dropped_lines),
		    (long long)row->dropped_lines);
		snprintf(bytes, sizeof bytes, P_("%lld byte", "%lld bytes",
		    (unsigned long)row->dropped_bytes),
		    (long long)row->dropped_bytes);
		/* TRANSLATORS: "[... N lines, N bytes left out here ...]" */
		snprintf(marker, sizeof marker, _("[... %s, %s left out here "
		    "...]"), lines, bytes);
		text = marker;
	}
	len = strlen(text);
	if (!tui_logs_room(l, len + 1))
		return 0;
	line = &l->lines[l->n_lines++];
	line->off = l->text_used;
	line->len = (uint32_t)len;
	line->line_no = row->line_no;
	line->stream = (uint8_t)row->stream;
	line->is_error = row->is_error != 0;
	line->marker = row->dropped_lines >= 0;
	memcpy(l->text + l->text_used, text, len + 1);
	l->text_used += len + 1;
	l->n_errors += line->is_error;
	return 1;
}

/* Reads the rows after the read position until none is left. */
static int
tui_logs_load(struct tui *t)
{
	struct tui_logs *l = &t->logs;
	struct store_logs_row *rows;
	size_t n = TUI_LOG_CHUNK, i;
	int rc = WK_OK;

	rows = calloc(TUI_LOG_CHUNK, sizeof *rows);
	if (rows == NULL)
		return WK_ERR_NOMEM;
	while (!l->full && n == TUI_LOG_CHUNK && rc == WK_OK) {
		rc = store_logs_read(t->store, &l->q, rows, TUI_LOG_CHUNK, &n);
		for (i = 0; rc == WK_OK && i < n; i++) {
			if (!tui_logs_add(l, &rows[i])) {
				l->full = 1;
				break;
			}
			if (rows[i].stream == STORE_STDOUT ||
			    rows[i].stream == STORE_STDERR)
				l->q.after[rows[i].stream] = rows[i].line_no;
		}
	}
	free(rows);
	return rc;
}

/* Returns the text of line i. */
static const char *
tui_logs_text(const struct tui_logs *l, size_t i)
{
	return l->text + l->lines[i].off;
}

/* Returns the columns of the line number gutter. */
static int
tui_logs_gutter(const struct tui_logs *l)
{
	int64_t max = 9999;
	size_t i;
	int w = 2;

	for (i = 0; i < l->n_lines; i++)
		if (l->lines[i].line_no > max)
			max = l->lines[i].line_no;
	for (; max > 0; max /= 10)
		w++;
	return w + 1;
}

/* Returns the rows line i takes at width cols. */
static size_t
tui_logs_rows(const struct tui_logs *l, size_t i, int cols)
{
	const char *s = tui_logs_text(l, i);
	size_t n = 0, step;

	if (!l->wrap || cols <= 0)
		return 1;
	do {
		step = tui_wrap_len(s, (size_t)cols);
		s += step;
		n++;
	} while (*s != '\0' && step > 0);
	return n;
}

/* Returns the columns the text of a line gets. */
static int
tui_logs_text_cols(const struct tui *t)
{
	return t->cols - tui_logs_gutter(&t->logs);
}

static void
tui_logs_down(struct tui *t, size_t n)
{
	struct tui_logs *l = &t->logs;
	int cols = tui_logs_text_cols(t);

	while (n-- > 0 && l->n_lines > 0) {
		if (l->top_sub + 1 < tui_logs_rows(l, l->top, cols))
			l->top_sub++;
		else if (l->top + 1 < l->n_lines) {
			l->top++;
			l->top_sub = 0;
		} else {
			break;
		}
	}
}

static void
tui_logs_up(struct tui *t, size_t n)
{
	struct tui_logs *l = &t->logs;
	int cols = tui_logs_text_cols(t);

	while (n-- > 0) {
		if (l->top_sub > 0) {
			l->top_sub--;
		} else if (l->top > 0) {
			l->top--;
			l->top_sub = tui_logs_rows(l, l->top, cols) - 1;
		} else {
			break;
		}
	}
}

/* Shows the end: the last line at the bottom of the body. */
static void
tui_logs_end(struct tui *t)
{
	struct tui_logs *l = &t->logs;

	if (l->n_lines == 0)
		return;
	l->top = l->n_lines - 1;
	l->top_sub = tui_logs_rows(l, l->top, tui_logs_text_cols(t)) - 1;
	tui_logs_up(t, l->body_rows > 1 ? (size_t)l->body_rows - 1 : 0);
}

/* Jumps to line i, with a third of the body above it as context. */
static void
tui_logs_jump(struct tui *t, size_t i)
{
	struct tui_logs *l = &t->logs;

	l->cursor = i;
	l->has_cursor = 1;
	l->top = i;
	l->top_sub = 0;
	l->follow = 0;
	tui_logs_up(t, (size_t)(l->body_rows / 3));
}

void
tui_logs_open(struct tui *t, const char *pipeline, const char *stage,
	      int64_t run_id)
{
	struct tui_logs *l = &t->logs;
	struct store_logs_target target;
	int rc;

	if (t->store == NULL)
		return;
	rc = store_logs_find(t->store, pipeline, stage, run_id, 0, &target);
	if (rc != WK_OK) {
		tui_say(t, 1, _("no log of stage %s in run %lld"), stage,
		    (long long)run_id);
		return;
	}
	tui_logs_free(l);
	memset(l, 0, sizeof *l);
	l->target = target;
	l->q.stage_run_id = target.stage_run_id;
	l->follow = strcmp(target.state, STORE_STAGE_RUNNING) == 0;
	l->body_rows = t->rows > 6 ? t->rows - 4 : 1;
	tui_push(t, TUI_LOGS);
	if (tui_logs_load(t) != WK_OK)
		tui_say(t, 1, _("reading the log failed; retrying every "
		    "second"));
	if (l->follow)
		tui_logs_end(t);
}

int
tui_logs_refresh(struct tui *t)
{
	struct tui_logs *l = &t->logs;
	size_t before = l->n_lines;
	int rc;

	rc = store_logs_state(t->store, l->target.stage_run_id,
	    l->target.state, sizeof l->target.state);
	if (rc == WK_OK)
		rc = tui_logs_load(t);
	if (rc == WK_OK)
		rc = store_view_signatures(t->store, l->target.stage_run_id,
		    l->sigs, TUI_SIGNATURES_MAX, &l->n_sigs);
	if (rc == WK_OK && l->follow && l->n_lines != before)
		tui_logs_end(t);
	return rc == WK_ERR_NOTFOUND ? WK_OK : rc;
}

void
tui_logs_search(struct tui *t, int dir)
{
	struct tui_logs *l = &t->logs;
	size_t i, k, start;

	if (l->search[0] == '\0' || l->n_lines == 0) {
		tui_say(t, 1, _("no search yet: type / and a text"));
		return;
	}
	/* From the line after the last match, or from the top line. */
	start = l->has_cursor ? l->cursor : l->top;
	for (k = 0; k < l->n_lines; k++) {
		size_t off = l->has_cursor ? k + 1 : k;

		i = dir > 0 ? (start + off) % l->n_lines :
		    (start + l->n_lines - off % l->n_lines) % l->n_lines;
		if (tui_find(tui_logs_text(l, i), l->search) != NULL) {
			tui_logs_jump(t, i);
			return;
		}
	}
	tui_say(t, 1, _("\"%s\" not found"), l->search);
}

/* Jumps to the next (dir 1) or previous (-1) error line. */
static void
tui_logs_error(struct tui *t, int dir)
{
	struct tui_logs *l = &t->logs;
	size_t start = l->has_cursor ? l->cursor : l->top, i = start;

	while (l->n_lines > 0) {
		if (dir > 0 ? i + 1 >= l->n_lines : i == 0)
			break;
		i = dir > 0 ? i + 1 : i - 1;
		if (l->lines[i].is_error || l->lines[i].marker) {
			tui_logs_jump(t, i);
			return;
		}
	}
	tui_say(t, 1, dir > 0 ? _("no error line below") :
	    _("no error line above"));
}

/* Draws s (len bytes) at y, x in at most cols columns; returns them. */
static int
tui_logs_piece(struct tui *t, int y, int x, int cols, enum tui_style st,
	       const char *s, size_t len)
{
	char piece[TUI_TEXT_MAX];

	if (len >= sizeof piece)
		len = sizeof piece - 1;
	memcpy(piece, s, len);
	piece[len] = '\0';
	return tui_put(t, y, x, cols, 0, st, piece);
}

/* Draws one row of text with the search matches highlighted. */
static void
tui_logs_segment(struct tui *t, int y, int x, int cols, enum tui_style st,
		 const char *s, size_t len)
{
	const char *pat = t->logs.search, *end = s + len, *m;
	char seg[TUI_TEXT_MAX];
	size_t pl = strlen(pat);

	if (len >= sizeof seg)
		len = sizeof seg - 1;
	memcpy(seg, s, len);
	seg[len] = '\0';
	s = seg;
	end = seg + len;
	while (s < end && cols > 0) {
		m = pl > 0 ? tui_find(s, pat) : NULL;
		if (m == NULL) {
			tui_logs_piece(t, y, x, cols, st, s, (size_t)(end - s));
			return;
		}
		x += tui_logs_piece(t, y, x, cols, st, s, (size_t)(m - s));
		cols = t->cols - x;
		x += tui_logs_piece(t, y, x, cols, TUI_S_MATCH, m, pl);
		cols = t->cols - x;
		s = m + pl;
	}
}

/* Draws line i from its row sub on; returns the rows used. */
static int
tui_logs_line(struct tui *t, int y, int rows, size_t i, size_t sub)
{
	struct tui_logs *l = &t->logs;
	const struct tui_log_line *line = &l->lines[i];
	const char *s = tui_logs_text(l, i);
	int gutter = tui_logs_gutter(l), cols = t->cols - gutter, used = 0;
	enum tui_style st = line->marker ? TUI_S_WARN : line->is_error ?
	    TUI_S_FAIL : TUI_S_NORMAL;
	size_t step = 0, k;
	int cursor = l->has_cursor && l->cursor == i;

	if (!l->wrap) {
		s += tui_skip_cols(s, l->hoff);
		step = strlen(s);
	}
	for (k = 0; *s != '\0' || k == 0; k++) {
		if (l->wrap)
			step = tui_wrap_len(s, (size_t)cols);
		if (k >= sub && used < rows) {
			if (cursor)
				tui_fill(t, y + used, 0, t->cols, TUI_S_SELECT);
			if (k == sub)
				tui_putf(t, y + used, 0, gutter - 1, line->stream ==
				    STORE_STDERR ? TUI_S_WARN : TUI_S_DIM, "%c%*lld",
				    line->stream == STORE_STDERR ? 'E' : ' ',
				    gutter - 2, (long long)line->line_no);
			tui_logs_segment(t, y + used, gutter, cols, cursor ?
			    TUI_S_SELECT : st, s, step);
			used++;
		}
		s += step;
		if (!l->wrap || step == 0)
			break;
	}
	return used;
}

/* Draws the error signatures pane from row y over rows rows. */
static void
tui_logs_sigs(struct tui *t, int y, int rows)
{
	struct tui_col c[] = {
		{ _("COUNT"), 6, 1, 0, 9, 0, 0 },
		{ _("ALL RUNS"), 8, 1, 0, 5, 0, 0 },
		{ _("SIGNATURE"), 20, 0, 1, 9, 0, 0 },
	};
	struct tui_logs *l = &t->logs;
	char a[32], b[32];
	size_t i;
	int row, sel;

	tui_rule(t, y, _("Error signatures of this stage run (Tab, Enter "
	    "finds)"), l->sig_focus);
	tui_table_layout(c, 3, t->cols);
	tui_list_fix(&l->sig_list, l->n_sigs, rows - 1);
	for (row = 0, i = l->sig_list.top; row < rows - 1 && i < l->n_sigs;
	    row++, i++) {
		sel = l->sig_focus && i == l->sig_list.sel;
		snprintf(a, sizeof a, "%lld", (long long)l->sigs[i].count);
		snprintf(b, sizeof b, "%lld", (long long)l->sigs[i].total);
		if (sel)
			tui_fill(t, y + 1 + row, 0, t->cols, TUI_S_SELECT);
		tui_cell(t, y + 1 + row, &c[0], TUI_S_FAIL, a);
		tui_cell(t, y + 1 + row, &c[1], TUI_S_DIM, b);
		tui_cell(t, y + 1 + row, &c[2], sel ? TUI_S_SELECT :
		    TUI_S_NORMAL, l->sigs[i].signature);
	}
}

static void
tui_logs_title(struct tui *t)
{
	struct tui_logs *l = &t->logs;
	char title[TUI_TEXT_MAX], lines[48], errors[48];

	snprintf(lines, sizeof lines, P_("%zu line", "%zu lines", l->n_lines),
	    l->n_lines);
	snprintf(errors, sizeof errors, P_("%zu error", "%zu errors",
	    l->n_errors), l->n_errors);
	/* TRANSLATORS: the two %s after the state are "N lines" and
	 * "N errors". */
	snprintf(title, sizeof title, _("%s/%s \xc2\xb7 run %lld \xc2\xb7 "
	    "attempt %d \xc2\xb7 %s \xc2\xb7 %s, %s%s%s%s%s%s"),
	    l->target.pipeline, l->target.stage, (long long)l->target.run_id,
	    l->target.attempt, tui_state_name(l->target.state), lines,
	    errors, l->follow ? _(" [follow]") : "",
	    l->wrap ? _(" [wrap]") : "", l->full ? _(" [viewer limit]") :
	    "", l->search[0] != '\0' ? " /" : "", l->search);
	tui_rule(t, 1, title, !l->sig_focus);
}

void
tui_logs_draw(struct tui *t)
{
	struct tui_logs *l = &t->logs;
	int sig_rows = 0, y = 2, used;
	size_t i, sub;

	if (l->n_sigs > 0 && t->rows >= 16)
		sig_rows = 1 + (int)(l->n_sigs < TUI_SIG_ROWS ? l->n_sigs :
		    TUI_SIG_ROWS);
	l->body_rows = t->rows - 3 - sig_rows;
	tui_logs_title(t);
	if (l->n_lines == 0)
		tui_put(t, y, 1, t->cols - 1, 0, TUI_S_DIM,
		    _("no lines stored for this stage run"));
	if (l->top >= l->n_lines)
		l->top = l->n_lines > 0 ? l->n_lines - 1 : 0;

	for (i = l->top, sub = l->top_sub; i < l->n_lines &&
	    y < 2 + l->body_rows; i++, sub = 0) {
		used = tui_logs_line(t, y, 2 + l->body_rows - y, i, sub);
		y += used > 0 ? used : 1;
	}
	if (sig_rows > 0)
		tui_logs_sigs(t, t->rows - 1 - sig_rows, sig_rows);
	tui_draw_footer(t, _("/ search  n/N match  e/E error  f follow  "
	    "w wrap  g/G top/end  Tab signatures  q back"));
}

/* Keys of the signatures pane; returns 1 when handled. */
static int
tui_logs_sig_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_logs *l = &t->logs;

	if (!l->sig_focus)
		return 0;
	if ((!fk && ch == 'j') || (fk && ch == KEY_DOWN))
		tui_list_move(&l->sig_list, l->n_sigs, 1);
	else if ((!fk && ch == 'k') || (fk && ch == KEY_UP))
		tui_list_move(&l->sig_list, l->n_sigs, -1);
	else if (((!fk && (ch == '\r' || ch == '\n')) ||
	    (fk && ch == KEY_ENTER)) && l->sig_list.sel < l->n_sigs) {
		snprintf(l->search, sizeof l->search, "%s",
		    l->sigs[l->sig_list.sel].sample);
		l->has_cursor = 0;
		tui_logs_search(t, 1);
	} else {
		return 0;
	}
	return 1;
}

/* Keys that scroll; returns 1 when handled. */
static int
tui_logs_scroll_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_logs *l = &t->logs;
	size_t page = l->body_rows > 1 ? (size_t)l->body_rows - 1 : 1;
	int back = 1;

	if ((!fk && ch == 'j') || (fk && ch == KEY_DOWN))
		tui_logs_down(t, 1), back = 0;
	else if ((!fk && ch == 'k') || (fk && ch == KEY_UP))
		tui_logs_up(t, 1);
	else if ((!fk && ch == ' ') || (fk && ch == KEY_NPAGE))
		tui_logs_down(t, page), back = 0;
	else if ((!fk && ch == 'b') || (fk && ch == KEY_PPAGE))
		tui_logs_up(t, page);
	else if ((!fk && ch == 'g') || (fk && ch == KEY_HOME))
		l->top = l->top_sub = 0;
	else if ((!fk && ch == 'G') || (fk && ch == KEY_END))
		tui_logs_end(t), back = 0;
	else if (((!fk && ch == 'l') || (fk && ch == KEY_RIGHT)) && !l->wrap)
		l->hoff += 8, back = 0;
	else if (((!fk && ch == 'h') || (fk && ch == KEY_LEFT)) && !l->wrap)
		l->hoff = l->hoff > 8 ? l->hoff - 8 : 0, back = 0;
	else
		return 0;
	/* Scrolling back stops following. */
	if (back)
		l->follow = 0;
	return 1;
}

void
tui_logs_key(struct tui *t, int fk, wint_t ch)
{
	struct tui_logs *l = &t->logs;
	struct tui_pending p;

	memset(&p, 0, sizeof p);
	if (((!fk && ch == '\t') || (fk && ch == KEY_BTAB)) && l->n_sigs > 0)
		l->sig_focus = !l->sig_focus;
	else if (tui_logs_sig_key(t, fk, ch) || tui_logs_scroll_key(t, fk, ch))
		return;
	else if (!fk && ch == '/') {
		p.act = TUI_ACT_SEARCH;
		l->has_cursor = l->has_cursor && l->cursor >= l->top;
		tui_ask(t, &p, "/", "");
	} else if (!fk && (ch == 'n' || ch == 'N'))
		tui_logs_search(t, ch == 'n' ? 1 : -1);
	else if (!fk && (ch == 'e' || ch == 'E'))
		tui_logs_error(t, ch == 'e' ? 1 : -1);
	else if (!fk && ch == 'f') {
		l->follow = !l->follow;
		if (l->follow)
			tui_logs_end(t);
	} else if (!fk && ch == 'w') {
		l->wrap = !l->wrap;
		l->top_sub = 0;
		l->hoff = 0;
	}
}
