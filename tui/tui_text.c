#include "tui/tui_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

#define TUI_REPLACEMENT 0xfffd  /* shown for a character with no width */

/* Eighth blocks U+2581..U+2588, index 0 is a space. */
static const char *const tui_eighths[9] = {
	" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"
};
/* Left eighth blocks U+258F..U+2589 for bars, index 0 is empty. */
static const char *const tui_left_eighths[9] = {
	"", "\xe2\x96\x8f", "\xe2\x96\x8e", "\xe2\x96\x8d", "\xe2\x96\x8c",
	"\xe2\x96\x8b", "\xe2\x96\x8a", "\xe2\x96\x89", "\xe2\x96\x88"
};
#define TUI_SHADE "\xe2\x96\x91"  /* U+2591 light shade */
static const char tui_ascii_levels[] = " .:-=+*#";

/* Appends s to out at *o when it fits (NUL kept); returns 0 when not. */
static int
tui_append(char *out, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n + 1 > size)
		return 0;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 1;
}

/* Punctuation the TUI draws, and its ASCII form. */
static const struct {
	uint32_t cp;   /* Unicode code point */
	char ascii;    /* the character shown in its place */
} tui_ascii_forms[] = {
	{ 0x00b7, '.' }, { 0x2190, '<' }, { 0x2191, '^' }, { 0x2192, '>' },
	{ 0x2193, 'v' }, { 0x2500, '-' }, { 0x2502, '|' }, { 0x2713, '+' },
	{ 0x2717, 'x' }, { 0x21bb, '~' }, { 0x25b8, '>' }, { 0xfffd, '?' },
};

/* Returns the ASCII form of cp, or 0 when it has none. */
static char
tui_ascii_form(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof tui_ascii_forms / sizeof tui_ascii_forms[0];
	    i++)
		if (tui_ascii_forms[i].cp == cp)
			return tui_ascii_forms[i].ascii;
	return 0;
}

size_t
tui_clean(const char *in, int utf8, char *out, size_t size)
{
	const unsigned char *p;
	size_t len, i = 0, o = 0, n;
	uint32_t cp;
	int w;

	if (size == 0)
		return 0;
	len = text_sanitize(in, strlen(in), out, size);
	if (utf8)
		return len;

	/* In place: '?' per column is never longer than the character. */
	p = (const unsigned char *)out;
	while (i < len) {
		n = text_utf8_decode(p + i, len - i, &cp);
		if (n <= 1) {
			out[o++] = (char)p[i++];
			continue;
		}
		if (tui_ascii_form(cp) != 0) {
			out[o++] = tui_ascii_form(cp);
			i += n;
			continue;
		}
		for (w = text_cp_width(cp); w > 0; w--)
			out[o++] = '?';
		i += n;
	}
	out[o] = '\0';
	return o;
}

size_t
tui_fit(const char *in, size_t cols, int pad, int utf8, char *out,
	size_t size)
{
	char clean[TUI_TEXT_MAX];

	tui_clean(in, utf8, clean, sizeof clean);
	return text_fit(clean, cols, pad, out, size);
}

size_t
tui_fit_right(const char *in, size_t cols, int utf8, char *out, size_t size)
{
	char fitted[TUI_TEXT_MAX];
	size_t w, o = 0;

	if (size == 0)
		return 0;
	tui_fit(in, cols, 0, utf8, fitted, sizeof fitted);
	for (w = text_width(fitted); w < cols && o + 1 < size; w++)
		out[o++] = ' ';
	out[o] = '\0';
	tui_append(out, size, &o, fitted);
	return o;
}

/* Width of cp as the curses library will draw it; -1 when unknown. */
static int
tui_cp_width(uint32_t cp, int utf8)
{
	if (cp < 0x20 || cp == 0x7f)
		return -1;
	if (cp < 0x7f)
		return 1;
	return utf8 ? wcwidth((wchar_t)cp) : -1;
}

size_t
tui_cells(const char *in, int cols, int utf8, wchar_t *out, size_t max,
	  int *used)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t len = strlen(in), i = 0, n_out = 0, n;
	uint32_t cp;
	int w;

	*used = 0;
	while (i < len && n_out < max) {
		n = text_utf8_decode(p + i, len - i, &cp);
		i += n == 0 ? 1 : n;
		w = n == 0 ? -1 : tui_cp_width(cp, utf8);
		if (w < 0) {
			cp = utf8 ? TUI_REPLACEMENT : '?';
			w = 1;
		}
		/* A mark with nothing before it to combine with is dropped. */
		if (w == 0 && n_out == 0)
			continue;
		if (*used + w > cols)
			break;
		out[n_out++] = (wchar_t)cp;
		*used += w;
	}
	return n_out;
}

size_t
tui_wrap_len(const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, used = 0, n, w;
	uint32_t cp;

	while (i < len) {
		n = text_utf8_decode(p + i, len - i, &cp);
		w = n == 0 ? 1 : (size_t)text_cp_width(cp);
		if (n == 0)
			n = 1;
		if (used + w > cols && i > 0)
			break;
		used += w;
		i += n;
	}
	return i;
}

size_t
tui_skip_cols(const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, used = 0, n;
	uint32_t cp;

	while (i < len && used < cols) {
		n = text_utf8_decode(p + i, len - i, &cp);
		used += n == 0 ? 1 : (size_t)text_cp_width(cp);
		i += n == 0 ? 1 : n;
	}
	/* Marks that belonged to the last character skipped go with it. */
	while (i > 0 && i < len) {
		n = text_utf8_decode(p + i, len - i, &cp);
		if (n == 0 || cp < 0x80 || text_cp_width(cp) != 0)
			break;
		i += n;
	}
	return i;
}

void
tui_bar(double frac, size_t cols, int ascii, char *out, size_t size)
{
	size_t eighths, i, o = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!(frac > 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	eighths = (size_t)lround(frac * (double)cols * 8);

	for (i = 0; i < cols; i++) {
		size_t fill = eighths >= 8 ? 8 : eighths;

		eighths -= fill;
		if (ascii)
			tui_append(out, size, &o, fill >= 4 ? "#" : ".");
		else if (fill == 0)
			tui_append(out, size, &o, TUI_SHADE);
		else
			tui_append(out, size, &o, tui_left_eighths[fill]);
	}
}

/* Returns the character for level 0..8 of a sparkline or chart. */
static const char *
tui_level(int level, int ascii, char *one)
{
	if (!ascii)
		return tui_eighths[level];
	/* Levels 1..8 spread over the 7 non-blank ASCII characters. */
	one[0] = tui_ascii_levels[level == 0 ? 0 : 1 + (level - 1) * 6 / 7];
	one[1] = '\0';
	return one;
}

void
tui_spark(const double *v, size_t n, size_t cols, int ascii, char *out,
	  size_t size)
{
	size_t first = n > cols ? n - cols : 0, i, o = 0;
	double top = 0;
	char one[2];

	if (size == 0)
		return;
	out[0] = '\0';
	for (i = first; i < n; i++)
		if (isfinite(v[i]) && v[i] > top)
			top = v[i];
	for (i = n - first; i < cols; i++)
		tui_append(out, size, &o, " ");

	for (i = first; i < n; i++) {
		int level;

		if (isnan(v[i])) {
			tui_append(out, size, &o, " ");
			continue;
		}
		if (v[i] < 0) {
			tui_append(out, size, &o, "!");
			continue;
		}
		level = top > 0 ? 1 + (int)lround(v[i] / top * 7) : 1;
		tui_append(out, size, &o, tui_level(level, ascii, one));
	}
}

void
tui_chart_row(const double *v, size_t n, double lo, double hi, int row,
	      int rows, int ascii, char *out, size_t size)
{
	size_t i, o = 0;
	char one[2];

	if (size == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		double h;
		long fill;

		if (isnan(v[i]) || !(hi > lo)) {
			tui_append(out, size, &o, " ");
			continue;
		}
		h = (v[i] - lo) / (hi - lo);
		if (h < 0)
			h = 0;
		if (h > 1)
			h = 1;
		/* A known value shows at least as a line at the bottom. */
		fill = lround(h * rows * 8);
		if (fill < 1)
			fill = 1;
		fill -= (long)(rows - 1 - row) * 8;
		if (fill < 0)
			fill = 0;
		if (fill > 8)
			fill = 8;
		tui_append(out, size, &o, tui_level((int)fill, ascii, one));
	}
}

void
tui_fmt_duration(int64_t ms, char *out, size_t size)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(out, size, "-");
	else if (ms < 1000)
		snprintf(out, size, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, size, "%.1fs", (double)(ms / 100) / 10.0);
	else if (s < 3600)
		snprintf(out, size, "%lldm%02lld", (long long)(s / 60),
		    (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, size, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s / 60 % 60));
	else
		snprintf(out, size, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s / 3600 % 24));
}

void
tui_fmt_age(int64_t ms, char *out, size_t size)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(out, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, size, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(out, size, "%lldh", (long long)(s / 3600));
	else if (s < 86400 * 100)
		snprintf(out, size, "%lldd", (long long)(s / 86400));
	else
		snprintf(out, size, "%lldw", (long long)(s / 604800));
}

void
tui_fmt_pct(double frac, char *out, size_t size)
{
	double pct = frac * 100;

	if (!isfinite(pct))
		snprintf(out, size, "-");
	else if (pct >= 99.5 && pct < 100)
		snprintf(out, size, "%.2f%%", floor(pct * 100) / 100);
	else if (fabs(pct) < 10)
		snprintf(out, size, "%.1f%%", pct);
	else
		snprintf(out, size, "%.0f%%", pct);
}

static int
tui_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

const char *
tui_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return hay;
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0' &&
		    tui_lower((unsigned char)hay[i]) ==
		    tui_lower((unsigned char)needle[i]); i++)
			;
		if (i == n)
			return hay;
	}
	return NULL;
}

static int
tui_cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
tui_median(int64_t *v, size_t n)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof *v, tui_cmp_int64);
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void
tui_table_layout(struct tui_col *cols, size_t n, int width)
{
	size_t i;
	int total, lowest;

	for (i = 0; i < n; i++) {
		int head = (int)text_width(cols[i].head);

		cols[i].w = cols[i].width > head ? cols[i].width : head;
	}
	for (;;) {
		total = 0;
		lowest = -1;
		for (i = 0; i < n; i++) {
			if (cols[i].w == 0)
				continue;
			total += cols[i].w + 1;
			if (lowest < 0 || cols[i].priority <
			    cols[lowest].priority)
				lowest = (int)i;
		}
		if (total - 1 <= width || lowest < 0)
			break;
		/* The last column standing is cut instead of dropped. */
		if (total - 1 - cols[lowest].w - 1 <= 0) {
			cols[lowest].w = width;
			break;
		}
		cols[lowest].w = 0;
	}

	total = 0;
	for (i = 0; i < n; i++)
		total += cols[i].w > 0 ? cols[i].w + 1 : 0;
	for (i = 0; i < n && total - 1 < width; i++) {
		if (cols[i].flex && cols[i].w > 0) {
			cols[i].w += width - (total - 1);
			break;
		}
	}
	total = 0;
	for (i = 0; i < n; i++) {
		cols[i].x = total;
		total += cols[i].w > 0 ? cols[i].w + 1 : 0;
	}
}

void
tui_list_fix(struct tui_list *list, size_t n, int rows)
{
	if (n == 0) {
		list->sel = 0;
		list->top = 0;
		return;
	}
	if (list->sel >= n)
		list->sel = n - 1;
	if (rows < 1)
		rows = 1;
	if (list->sel < list->top)
		list->top = list->sel;
	if (list->sel >= list->top + (size_t)rows)
		list->top = list->sel - (size_t)rows + 1;
	if (list->top + (size_t)rows > n)
		list->top = n > (size_t)rows ? n - (size_t)rows : 0;
}

void
tui_list_move(struct tui_list *list, size_t n, long delta)
{
	long sel = (long)list->sel + delta;

	if (n == 0) {
		list->sel = 0;
		return;
	}
	if (sel < 0)
		sel = 0;
	if (sel >= (long)n)
		sel = (long)n - 1;
	list->sel = (size_t)sel;
}
