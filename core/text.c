/* wcwidth() is an X/Open interface. */
#define _XOPEN_SOURCE 700

#include "text.h"

#include <string.h>
#include <wchar.h>

#define TEXT_REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD in UTF-8 */

size_t
text_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;

	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Skips an escape sequence starting at in[i] == ESC; returns the new i. */
static size_t
text_skip_escape(const unsigned char *in, size_t len, size_t i)
{
	unsigned char kind;

	if (i + 1 >= len)
		return len;
	kind = in[i + 1];
	i += 2;
	if (kind == '[') {
		/* CSI: parameter and intermediate bytes, then a final byte. */
		while (i < len && (in[i] < 0x40 || in[i] > 0x7e))
			i++;
		return i < len ? i + 1 : len;
	}
	if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' ||
	    kind == '_') {
		/* OSC and other strings: up to BEL or ESC \ (ST). */
		while (i < len && in[i] != 0x07 &&
		    !(in[i] == 0x1b && i + 1 < len && in[i + 1] == '\\'))
			i++;
		if (i < len && in[i] == 0x07)
			return i + 1;
		return i < len ? i + 2 : len;
	}
	if (kind >= 0x20 && kind <= 0x2f) {
		/* nF forms such as ESC ( B: intermediates, then a final byte. */
		while (i < len && in[i] >= 0x20 && in[i] <= 0x2f)
			i++;
		return i < len ? i + 1 : len;
	}
	return i;
}

/* Tells whether a decoded character must not reach a terminal. */
static int
text_is_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||       /* C1 controls */
	    (cp >= 0x202a && cp <= 0x202e) ||      /* bidi embeddings */
	    (cp >= 0x2066 && cp <= 0x2069);        /* bidi isolates */
}

static size_t
text_put(char *out, size_t o, size_t max, const void *bytes, size_t n)
{
	if (o + n > max)
		return o;
	memcpy(out + o, bytes, n);
	return o + n;
}

/* Copies the run of printable ASCII at in[i], as much as fits. */
static size_t
text_put_ascii(const unsigned char *in, size_t len, size_t *i, char *out,
	       size_t o, size_t max)
{
	size_t j = *i, n;

	while (j < len && in[j] >= 0x20 && in[j] < 0x7f)
		j++;
	n = j - *i;
	if (n > max - o)
		n = max - o;
	memcpy(out + o, in + *i, n);
	*i = j;
	return o + n;
}

size_t
text_sanitize(const char *in_text, size_t len, char *out, size_t max)
{
	const unsigned char *in = (const unsigned char *)in_text;
	size_t i = 0, o = 0, n;
	uint32_t cp;

	if (max == 0)
		return 0;
	max--;   /* room for the NUL */
	while (i < len) {
		if (in[i] >= 0x20 && in[i] < 0x7f) {
			o = text_put_ascii(in, len, &i, out, o, max);
			continue;
		}
		if (in[i] == 0x1b) {
			i = text_skip_escape(in, len, i);
			continue;
		}
		if (in[i] == '\r') {
			/* A CR before more text redraws the line: keep the rest. */
			if (i + 1 < len)
				o = 0;
			i++;
			continue;
		}
		if (in[i] == '\t') {
			o = text_put(out, o, max, " ", 1);
			i++;
			continue;
		}
		n = text_utf8_decode(in + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || text_is_unsafe(cp)) {
			o = text_put(out, o, max, TEXT_REPLACEMENT, 3);
			i += n == 0 ? 1 : n;
			continue;
		}
		o = text_put(out, o, max, in + i, n);
		i += n;
	}
	out[o] = '\0';
	return o;
}

struct text_range {
	uint32_t first;
	uint32_t last;
};

static int
text_in(const struct text_range *ranges, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < ranges[mid].first)
			hi = mid;
		else if (cp > ranges[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Combining marks and format characters that take no column. */
static const struct text_range text_zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x0610, 0x061a }, { 0x064b, 0x065f }, { 0x0e31, 0x0e31 },
	{ 0x0e34, 0x0e3a }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
	{ 0x200b, 0x200f }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff },
	{ 0x3099, 0x309a }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

/* East Asian Wide and Fullwidth blocks, and the common wide emoji. */
static const struct text_range text_wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec }, { 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 },
	{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 },
	{ 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 },
	{ 0x26ce, 0x26ce }, { 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 }, { 0x26fa, 0x26fa },
	{ 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e },
	{ 0x2753, 0x2755 }, { 0x2757, 0x2757 }, { 0x2795, 0x2797 },
	{ 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf }, { 0x2b1b, 0x2b1c },
	{ 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff },
	{ 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 },
	{ 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

int
text_cp_width(uint32_t cp)
{
	int w;

	if (cp < 0x7f)
		return cp < 0x20 ? 0 : 1;
	/* In a UTF-8 locale, agree with the C library, as curses does. */
	w = wcwidth((wchar_t)cp);
	if (w >= 0)
		return w;
	if (text_in(text_zero, sizeof text_zero / sizeof text_zero[0], cp))
		return 0;
	if (text_in(text_wide, sizeof text_wide / sizeof text_wide[0], cp))
		return 2;
	return 1;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, cols = 0, n;
	uint32_t cp;

	while (i < len) {
		n = text_utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			cols++;
			i++;
			continue;
		}
		cols += (size_t)text_cp_width(cp);
		i += n;
	}
	return cols;
}

size_t
text_fit(const char *s, size_t cols, int pad, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, o = 0, used = 0, n, w;
	uint32_t cp;

	if (size == 0)
		return 0;
	while (i < len) {
		n = text_utf8_decode(p + i, len - i, &cp);
		w = n == 0 ? 1 : (size_t)text_cp_width(cp);
		if (n == 0)
			n = 1;
		if (used + w > cols || o + n >= size)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		used += w;
		i += n;
	}
	while (pad && used < cols && o + 1 < size) {
		out[o++] = ' ';
		used++;
	}
	out[o] = '\0';
	return o;
}
