/*
 * Layout helpers of the TUI that do not touch the terminal: text made safe
 * and cut to a number of columns, bars, sparklines, charts and compact
 * durations. Columns are display columns (core/text.h): a CJK character
 * takes two, a combining mark none. Every output is NUL-terminated and
 * never longer than its size.
 */
#ifndef WK_TUI_TEXT_H
#define WK_TUI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#define TUI_TEXT_MAX 1024  /* bytes of one formatted cell or line part */

/*
 * Copies in into out (size bytes) in a form safe to draw: escape
 * sequences removed and control characters replaced (text_sanitize).
 * Without utf8, the punctuation the TUI draws (such as U+00B7 and the box
 * lines) becomes its ASCII form, and any other non-ASCII character one
 * '?' per column it takes. Returns the bytes written.
 */
size_t tui_clean(const char *in, int utf8, char *out, size_t size);

/*
 * Cleans in (as tui_clean) and cuts it to at most cols columns without
 * splitting a character. With pad, spaces fill it to exactly cols.
 */
size_t tui_fit(const char *in, size_t cols, int pad, int utf8, char *out,
	       size_t size);

/* As tui_fit with pad, but the spaces go before the text. */
size_t tui_fit_right(const char *in, size_t cols, int utf8, char *out,
		     size_t size);

/*
 * Converts clean UTF-8 text into at most max wide characters that take at
 * most cols columns, for waddnwstr(). A character the C library cannot
 * measure (wcwidth < 0) becomes U+FFFD, or '?' without utf8, so that the
 * curses library and the layout agree on every width. Sets *used to the
 * columns taken and returns the number of wide characters.
 */
size_t tui_cells(const char *in, int cols, int utf8, wchar_t *out,
		 size_t max, int *used);

/*
 * Returns the bytes of s that fit in cols columns (at least one
 * character when s is not empty), for wrapping a line.
 */
size_t tui_wrap_len(const char *s, size_t cols);

/*
 * Returns the bytes of s that take the first cols columns, for scrolling
 * sideways; a wide character across the edge is skipped whole.
 */
size_t tui_skip_cols(const char *s, size_t cols);

/*
 * Draws a horizontal bar of exactly cols columns filled to frac (clamped
 * to 0..1) with eighth blocks, the rest light shade; '#' and '.' in ASCII.
 */
void tui_bar(double frac, size_t cols, int ascii, char *out, size_t size);

/*
 * Draws the last cols values of v[0..n-1] as a sparkline scaled from 0 to
 * the largest value: eighth blocks, or " .:-=+*#" in ASCII. A NAN value is
 * a gap (space), a negative one a failure ('!'). Fewer values than cols
 * are right-aligned.
 */
void tui_spark(const double *v, size_t n, size_t cols, int ascii, char *out,
	       size_t size);

/*
 * Draws row (0 at the top) of a bar chart of rows rows over v[0..n-1]
 * with one column a value, scaled so that lo is empty and hi fills all
 * rows; values outside are clamped, NAN is blank.
 */
void tui_chart_row(const double *v, size_t n, double lo, double hi, int row,
		   int rows, int ascii, char *out, size_t size);

/* Writes a duration in at most 6 columns: "850ms", "12.4s", "4m05s",
 * "2h10m", "3d04h"; "-" for a negative one. */
void tui_fmt_duration(int64_t ms, char *out, size_t size);

/* Writes an age in at most 4 columns: "5s", "12m", "3h", "2d", "40w". */
void tui_fmt_age(int64_t ms, char *out, size_t size);

/* Writes a fraction as a percentage: "99.95%", "12.3%", "-40%". */
void tui_fmt_pct(double frac, char *out, size_t size);

/* Finds needle in hay, ignoring ASCII case; NULL when absent. */
const char *tui_find(const char *hay, const char *needle);

/* Returns the median of v[0..n-1] (sorted in place), or -1 for n 0. */
int64_t tui_median(int64_t *v, size_t n);

/* A column of a table. */
struct tui_col {
	const char *head;    /* header, translated */
	int width;           /* columns, at least the header's */
	int right;           /* aligned right */
	int flex;            /* takes the columns left over */
	int priority;        /* lower ones are dropped first when narrow */
	int x;               /* set by tui_table_layout: start column */
	int w;               /* set by tui_table_layout: 0 when hidden */
};

/*
 * Places the columns in width columns: drops the columns of the lowest
 * priority until the rest fit with one space between them, then gives the
 * first flex column what is left over. Sets x and w of every column.
 */
void tui_table_layout(struct tui_col *cols, size_t n, int width);

/* A selection in a list and its first visible row. */
struct tui_list {
	size_t sel;  /* selected index */
	size_t top;  /* index shown in the first row */
};

/* Keeps list->sel within n and visible in rows rows. */
void tui_list_fix(struct tui_list *list, size_t n, int rows);

/* Moves a selection by delta (clamped) within n items. */
void tui_list_move(struct tui_list *list, size_t n, long delta);

#endif
