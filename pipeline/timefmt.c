#include "pipeline/timefmt.h"

#include <math.h>
#include <string.h>

#include "core/clock.h"

/* Range of valid times: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
#define TIMEFMT_MIN_MS (INT64_C(-719162) * CLK_MS_PER_DAY)
#define TIMEFMT_MAX_MS (INT64_C(2932897) * CLK_MS_PER_DAY - 1)

static const char *const timefmt_names[] = {
	"yyyymmdd", "epoch_ms", "epoch_s", "iso8601"
};

int
timefmt_from_name(const char *name, enum timefmt *fmt)
{
	size_t i;

	for (i = 0; i < sizeof timefmt_names / sizeof timefmt_names[0]; i++) {
		if (strcmp(name, timefmt_names[i]) == 0) {
			*fmt = (enum timefmt)i;
			return WK_OK;
		}
	}
	return WK_ERR_INVALID;
}

const char *
timefmt_name(enum timefmt fmt)
{
	return timefmt_names[fmt];
}

int64_t
timefmt_day(int64_t ms)
{
	return ms >= 0 ? ms / CLK_MS_PER_DAY :
	    -((-ms + CLK_MS_PER_DAY - 1) / CLK_MS_PER_DAY);
}

void
timefmt_format_day(char *out, size_t size, int64_t ms)
{
	clk_format_date(out, size, timefmt_day(ms));
}

static int
timefmt_check_range(int64_t ms, int64_t *out)
{
	if (ms < TIMEFMT_MIN_MS || ms > TIMEFMT_MAX_MS)
		return WK_ERR_INVALID;
	*out = ms;
	return WK_OK;
}

/* Reads exactly n digits at *p into *value and advances *p. */
static int
timefmt_digits(const char **p, const char *end, int n, int *value)
{
	int i;

	if (end - *p < n)
		return WK_ERR_INVALID;
	*value = 0;
	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return WK_ERR_INVALID;
		*value = *value * 10 + (c - '0');
	}
	*p += n;
	return WK_OK;
}

static int
timefmt_days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Turns a valid calendar date into days; WK_ERR_INVALID otherwise. */
static int
timefmt_civil(int year, int month, int day, int64_t *days)
{
	if (year < 1 || month < 1 || month > 12 || day < 1 ||
	    day > timefmt_days_in_month(year, month))
		return WK_ERR_INVALID;
	*days = clk_days_from_civil(year, month, day);
	return WK_OK;
}

static int
timefmt_yyyymmdd(const char *text, size_t len, int64_t *ms)
{
	const char *p = text, *end = text + len;
	int year, month, day;
	int64_t days;

	if (len != 8 || timefmt_digits(&p, end, 4, &year) != WK_OK ||
	    timefmt_digits(&p, end, 2, &month) != WK_OK ||
	    timefmt_digits(&p, end, 2, &day) != WK_OK ||
	    timefmt_civil(year, month, day, &days) != WK_OK)
		return WK_ERR_INVALID;
	return timefmt_check_range(days * CLK_MS_PER_DAY, ms);
}

/*
 * Parses "[-]DIGITS[.DIGITS]" as a number of units of unit_ms
 * milliseconds, cut to whole milliseconds toward the past.
 */
static int
timefmt_epoch(const char *text, size_t len, int64_t unit_ms, int64_t *ms)
{
	const char *p = text, *end = text + len;
	int64_t whole = 0, frac_ms = 0, scale = unit_ms;
	int negative = p < end && *p == '-';
	int inexact = 0;

	p += negative;
	if (p == end || *p < '0' || *p > '9')
		return WK_ERR_INVALID;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (whole > (TIMEFMT_MAX_MS / unit_ms) + 1)
			return WK_ERR_INVALID;
		whole = whole * 10 + (*p - '0');
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			frac_ms += scale * (*p - '0');
			inexact |= scale == 0 && *p != '0';
		}
	}
	if (p != end)
		return WK_ERR_INVALID;

	whole = whole * unit_ms + frac_ms;
	if (negative)
		whole = -whole - (inexact ? 1 : 0);
	return timefmt_check_range(whole, ms);
}

/* Reads the separator sep at *p and advances past it. */
static int
timefmt_expect(const char **p, const char *end, char sep)
{
	if (*p == end || **p != sep)
		return WK_ERR_INVALID;
	++*p;
	return WK_OK;
}

/* Parses ".DIGITS" (1 to 9 digits) into milliseconds, cut to whole ms. */
static int
timefmt_fraction(const char **p, const char *end, int64_t *ms)
{
	int64_t scale = 100;
	int digits = 0;

	*ms = 0;
	for (++*p; *p < end && **p >= '0' && **p <= '9'; ++*p) {
		*ms += scale * (**p - '0');
		scale /= 10;
		digits++;
	}
	return digits >= 1 && digits <= 9 ? WK_OK : WK_ERR_INVALID;
}

/* Parses "HH:MM[:SS[.fraction]]" at *p into milliseconds of the day. */
static int
timefmt_clock(const char **p, const char *end, int64_t *ms)
{
	int hour, minute, second = 0;
	int64_t frac = 0;

	if (timefmt_digits(p, end, 2, &hour) != WK_OK ||
	    timefmt_expect(p, end, ':') != WK_OK ||
	    timefmt_digits(p, end, 2, &minute) != WK_OK)
		return WK_ERR_INVALID;
	if (*p < end && **p == ':') {
		++*p;
		if (timefmt_digits(p, end, 2, &second) != WK_OK)
			return WK_ERR_INVALID;
		if (*p < end && **p == '.' &&
		    timefmt_fraction(p, end, &frac) != WK_OK)
			return WK_ERR_INVALID;
	}

	/* Second 60 is a leap second; it counts as the next minute's first. */
	if (hour > 23 || minute > 59 || second > 60)
		return WK_ERR_INVALID;
	*ms = ((int64_t)hour * 3600 + minute * 60 + second) * 1000 + frac;
	return WK_OK;
}

/* Parses "Z", "+HH:MM", "+HHMM", "+HH" or their '-' forms into ms. */
static int
timefmt_zone(const char **p, const char *end, int64_t *offset_ms)
{
	int sign, hours, minutes = 0, colon;

	*offset_ms = 0;
	if (*p == end)
		return WK_OK;
	if (**p == 'Z' || **p == 'z') {
		++*p;
		return WK_OK;
	}
	if (**p != '+' && **p != '-')
		return WK_ERR_INVALID;
	sign = **p == '-' ? -1 : 1;
	++*p;
	if (timefmt_digits(p, end, 2, &hours) != WK_OK)
		return WK_ERR_INVALID;
	colon = *p < end && **p == ':';
	*p += colon;
	if ((colon || *p < end) &&
	    timefmt_digits(p, end, 2, &minutes) != WK_OK)
		return WK_ERR_INVALID;
	if (hours > 23 || minutes > 59)
		return WK_ERR_INVALID;
	*offset_ms = sign * ((int64_t)hours * 3600 + minutes * 60) * 1000;
	return WK_OK;
}

static int
timefmt_iso8601(const char *text, size_t len, int64_t *ms)
{
	const char *p = text, *end = text + len;
	int year, month, day;
	int64_t days, clock_ms = 0, offset_ms = 0;

	if (timefmt_digits(&p, end, 4, &year) != WK_OK || p == end ||
	    *p++ != '-' || timefmt_digits(&p, end, 2, &month) != WK_OK ||
	    p == end || *p++ != '-' ||
	    timefmt_digits(&p, end, 2, &day) != WK_OK ||
	    timefmt_civil(year, month, day, &days) != WK_OK)
		return WK_ERR_INVALID;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (timefmt_clock(&p, end, &clock_ms) != WK_OK ||
		    timefmt_zone(&p, end, &offset_ms) != WK_OK)
			return WK_ERR_INVALID;
	}
	if (p != end)
		return WK_ERR_INVALID;
	return timefmt_check_range(days * CLK_MS_PER_DAY + clock_ms - offset_ms,
	    ms);
}

int
timefmt_parse(enum timefmt fmt, const char *text, size_t len, int64_t *ms)
{
	switch (fmt) {
	case TIMEFMT_YYYYMMDD:
		return timefmt_yyyymmdd(text, len, ms);
	case TIMEFMT_EPOCH_MS:
		return timefmt_epoch(text, len, 1, ms);
	case TIMEFMT_EPOCH_S:
		return timefmt_epoch(text, len, 1000, ms);
	case TIMEFMT_ISO8601:
		return timefmt_iso8601(text, len, ms);
	}
	return WK_ERR_INVALID;
}

int
timefmt_from_number(enum timefmt fmt, double value, int64_t *ms)
{
	double us, scaled;

	if (fmt != TIMEFMT_EPOCH_MS && fmt != TIMEFMT_EPOCH_S)
		return WK_ERR_INVALID;
	if (!isfinite(value))
		return WK_ERR_INVALID;

	/*
	 * Round to whole microseconds first, so that 1541105830.796 s, which
	 * is stored as 1541105830.7959998, still gives ...796 ms.
	 */
	us = round(value * (fmt == TIMEFMT_EPOCH_S ? 1e6 : 1e3));
	scaled = floor(us / 1000.0);
	if (scaled < (double)TIMEFMT_MIN_MS || scaled > (double)TIMEFMT_MAX_MS)
		return WK_ERR_INVALID;
	*ms = (int64_t)scaled;
	return WK_OK;
}
