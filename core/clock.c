#include "clock.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "rc.h"

/* Digits clk_whole_duration() reads, so that no product overflows. */
#define CLK_WHOLE_MAX INT64_C(1000000000)  /* whole part, read up to here */
#define CLK_SCALE_MAX INT64_C(1000000000)  /* 10^digits of the fraction */

static int64_t (*clk_mono_source)(void);
static int64_t (*clk_wall_source)(void);

int64_t
clk_mono_ns(void)
{
	struct timespec ts;

	if (clk_mono_source != NULL)
		return clk_mono_source();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
clk_wall_ms(void)
{
	struct timespec ts;

	if (clk_wall_source != NULL)
		return clk_wall_source();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clk_set_source(int64_t (*mono_ns)(void), int64_t (*wall_ms)(void))
{
	clk_mono_source = mono_ns;
	clk_wall_source = wall_ms;
}

/* Returns the unit's length in milliseconds, or 0 for an unknown unit. */
static int64_t
clk_unit_ms(const char *unit, size_t len)
{
	static const struct {
		const char *name;
		int64_t ms;
	} units[] = {
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60000 },
		{ "h", 3600000 },
		{ "d", CLK_MS_PER_DAY },
		{ "w", 7 * CLK_MS_PER_DAY },
	};
	size_t i;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strlen(units[i].name) == len &&
		    strncmp(units[i].name, unit, len) == 0)
			return units[i].ms;
	}
	return 0;
}

int
clk_parse_duration(const char *text, int64_t *ms, size_t *bad_offset,
		   const char **reason)
{
	const char *p = text;
	int64_t total = 0, previous = 0;

	if (*p == '\0') {
		*bad_offset = 0;
		*reason = N_("empty duration");
		return WK_ERR_INVALID;
	}
	while (*p != '\0') {
		int64_t number = 0, unit;
		const char *start = p;

		if (!isdigit((unsigned char)*p)) {
			*bad_offset = (size_t)(p - text);
			*reason = *p == '-' ? N_("negative duration") :
			    N_("expected a number");
			return WK_ERR_INVALID;
		}
		for (; isdigit((unsigned char)*p); p++) {
			if (number > (INT64_MAX - 9) / 10) {
				*bad_offset = (size_t)(start - text);
				*reason = N_("number too large");
				return WK_ERR_INVALID;
			}
			number = number * 10 + (*p - '0');
		}
		start = p;
		if (*p == '.' || *p == ',') {
			*bad_offset = (size_t)(p - text);
			*reason = N_("fractions are not accepted; write a whole number of a smaller unit, such as 1500ms for 1.5s");
			return WK_ERR_INVALID;
		}
		while (isalpha((unsigned char)*p))
			p++;
		if (p == start) {
			*bad_offset = (size_t)(p - text);
			*reason = N_("missing unit (ms, s, m, h, d or w)");
			return WK_ERR_INVALID;
		}
		unit = clk_unit_ms(start, (size_t)(p - start));
		if (unit == 0) {
			*bad_offset = (size_t)(start - text);
			*reason = N_("unknown unit (use ms, s, m, h, d or w)");
			return WK_ERR_INVALID;
		}
		/* "1h30m", not "30m1h" or "1h1h": one sum, largest first. */
		if (previous != 0 && unit >= previous) {
			*bad_offset = (size_t)(start - text);
			*reason = N_("each unit may appear once, from the largest "
			    "to the smallest");
			return WK_ERR_INVALID;
		}
		previous = unit;
		if (number > (INT64_MAX - total) / unit) {
			*bad_offset = 0;
			*reason = N_("duration too large");
			return WK_ERR_INVALID;
		}
		total += number * unit;
	}
	*ms = total;
	return WK_OK;
}

/* Writes ms as a whole number of the largest unit that divides it. */
static void
clk_put_whole(char *out, size_t cap, int64_t ms)
{
	static const char *const names[] = { "w", "d", "h", "m", "s", "ms" };
	int64_t unit = 0;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		unit = clk_unit_ms(names[i], strlen(names[i]));
		if (ms % unit == 0)
			break;
	}
	if (ms == 0 || i == sizeof names / sizeof names[0])
		snprintf(out, cap, "0");
	else
		snprintf(out, cap, "%" PRId64 "%s", ms / unit, names[i]);
}

int
clk_whole_duration(const char *text, char *out, size_t cap)
{
	int64_t whole = 0, fraction = 0, scale = 1, unit;
	const char *p = text, *start;

	for (; isdigit((unsigned char)*p) && whole < CLK_WHOLE_MAX; p++)
		whole = whole * 10 + (*p - '0');
	if (p == text || *p != '.')
		return WK_ERR_INVALID;
	for (p++; isdigit((unsigned char)*p) && scale < CLK_SCALE_MAX; p++) {
		fraction = fraction * 10 + (*p - '0');
		scale *= 10;
	}
	start = p;
	while (isalpha((unsigned char)*p))
		p++;
	unit = clk_unit_ms(start, (size_t)(p - start));
	if (scale == 1 || *p != '\0' || unit == 0 ||
	    fraction * unit % scale != 0)
		return WK_ERR_INVALID;

	clk_put_whole(out, cap, whole * unit + fraction * unit / scale);
	return WK_OK;
}

void
clk_format_duration(char *out, size_t size, int64_t ms)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(out, size, "-");
	else if (ms < 1000)
		snprintf(out, size, "%" PRId64 " ms", ms);
	else if (ms < 60000)
		snprintf(out, size, "%.2f s", (double)ms / 1000.0);
	else if (s < 3600)
		snprintf(out, size, "%" PRId64 "m%02" PRId64 "s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(out, size, "%" PRId64 "h%02" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(out, size, "%" PRId64 "d%" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
}

void
clk_format_utc(char *out, size_t size, int64_t wall_ms)
{
	time_t secs = (time_t)(wall_ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%03dZ", (int)(wall_ms % 1000));
}

/*
 * Civil dates and day numbers convert through 400-year eras of 146,097
 * days, with years starting on March 1 so that the leap day comes last.
 */
int64_t
clk_days_from_civil(int64_t year, int month, int day)
{
	int64_t era, yoe, doy, doe;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	yoe = year - era * 400;
	doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
clk_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

static int
clk_days_in_month(int64_t year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int
clk_parse_date(const char *text, int64_t *days)
{
	int year, month, day, n = 0, i;

	for (i = 0; i < 10; i++) {
		if (text[i] == '\0')
			return WK_ERR_INVALID;
		if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
			return WK_ERR_INVALID;
	}
	if (strlen(text) != 10 ||
	    sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &n) != 3 ||
	    n != 10 || text[4] != '-' || text[7] != '-')
		return WK_ERR_INVALID;
	if (month < 1 || month > 12 || day < 1 ||
	    day > clk_days_in_month(year, month))
		return WK_ERR_INVALID;
	*days = clk_days_from_civil(year, month, day);
	return WK_OK;
}

void
clk_format_date(char *out, size_t size, int64_t days)
{
	int64_t year;
	int month, day;

	clk_civil_from_days(days, &year, &month, &day);
	snprintf(out, size, "%04" PRId64 "-%02d-%02d", year, month, day);
}
