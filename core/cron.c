#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "i18n.h"
#include "rc.h"

#define CRON_FIELDS 5
#define CRON_NUMBER_CAP 10000  /* larger numbers are reported out of range */
#define CRON_NAME_LEN 3        /* month and weekday names: "jan", "sun" */
#define CRON_VALUE_LEN 8       /* bytes of one value as text, with its NUL */
/* Days cron_next() searches: CRON_SEARCH_YEARS years of 366 days. */
#define CRON_SEARCH_DAYS (CRON_SEARCH_YEARS * INT64_C(366))
/* Local time is at most this far from UTC (offsets of RFC 9636 TZif files). */
#define CRON_OFFSET_SLACK (27 * INT64_C(3600))
/* Zone transitions cron_prev() reads in the 54 hours before an instant. */
#define CRON_TRANSITIONS_MAX 64

/* The ways a field can be wrong, each with its own reason per field. */
enum cron_problem {
	CRON_SYNTAX,     /* a character that does not fit */
	CRON_RANGE,      /* a number outside the field's values */
	CRON_BACKWARDS,  /* a range whose start is after its end */
	CRON_STEP,       /* a step that is missing, 0 or too large */
	CRON_NAME,       /* an unknown name, or a name where none is allowed */
	CRON_MISSING,    /* the field is absent */
	CRON_PROBLEMS
};

/* The values, names and error reasons of one of the five fields. */
struct cron_field {
	int min;                  /* lowest value */
	int max;                  /* highest value, 7 for day-of-week */
	int star_max;             /* '*' covers min..star_max */
	int step_max;             /* largest step */
	const char *const *names; /* 3-letter names of min.., or NULL */
	size_t nnames;            /* entries of names */
	const char *reasons[CRON_PROBLEMS]; /* untranslated, by problem */
};

static const char *const cron_month_names[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const cron_wday_names[] = { "sun", "mon", "tue", "wed",
	"thu", "fri", "sat" };

static const struct cron_field cron_fields[CRON_FIELDS] = {
	{ 0, 59, 59, 59, NULL, 0, {
		N_("invalid minute field: use *, a number 0-59, a range such as 0-29, a list such as 0,30 or a step such as */15"),
		N_("minute out of range: use 0-59"),
		N_("minute range runs backwards: a range cannot wrap past 59, so split it in two, such as 50-59,0-10"),
		N_("invalid minute step: use a number 1-59 after '/'"),
		N_("the minute field takes no names: use a number 0-59"),
		N_("missing minute field: a schedule has five fields, minute hour day-of-month month day-of-week"),
	} },
	{ 0, 23, 23, 23, NULL, 0, {
		N_("invalid hour field: use *, a number 0-23, a range such as 9-17, a list such as 8,20 or a step such as */6"),
		N_("hour out of range: use 0-23"),
		N_("hour range runs backwards: a range cannot wrap past midnight, so split it in two, such as 22-23,0-2"),
		N_("invalid hour step: use a number 1-23 after '/'"),
		N_("the hour field takes no names: use a number 0-23"),
		N_("missing hour field: a schedule has five fields, minute hour day-of-month month day-of-week"),
	} },
	{ 1, 31, 31, 31, NULL, 0, {
		N_("invalid day-of-month field: use *, a number 1-31, a range such as 1-15, a list such as 1,15 or a step such as */2"),
		N_("day of month out of range: use 1-31"),
		N_("day-of-month range runs backwards: a range cannot wrap past 31, so split it in two, such as 25-31,1-5"),
		N_("invalid day-of-month step: use a number 1-31 after '/'"),
		N_("the day-of-month field takes no names: use a number 1-31"),
		N_("missing day-of-month field: a schedule has five fields, minute hour day-of-month month day-of-week"),
	} },
	{ 1, 12, 12, 12, cron_month_names, 12, {
		N_("invalid month field: use *, a number 1-12, a name jan-dec, a range such as jan-mar, a list such as 1,7 or a step such as */3"),
		N_("month out of range: use 1-12 or jan-dec"),
		N_("month range runs backwards: a range cannot wrap past December, so split it in two, such as nov-dec,jan-feb"),
		N_("invalid month step: use a number 1-12 after '/'"),
		N_("unknown month name: use jan-dec or 1-12"),
		N_("missing month field: a schedule has five fields, minute hour day-of-month month day-of-week"),
	} },
	{ 0, 7, 6, 7, cron_wday_names, 7, {
		N_("invalid day-of-week field: use *, a number 0-7 (0 and 7 are Sunday), a name sun-sat, a range such as mon-fri, a list such as sat,sun or a step such as */2"),
		N_("day of week out of range: use 0-7 (0 and 7 are Sunday) or sun-sat"),
		N_("day-of-week range runs backwards: a range cannot wrap past Saturday, so split it in two, such as fri-sat,sun-mon"),
		N_("invalid day-of-week step: use a number 1-7 after '/'"),
		N_("unknown day-of-week name: use sun-sat or 0-7"),
		N_("missing day-of-week field: a schedule has five fields, minute hour day-of-month month day-of-week"),
	} },
};

/* The macros and the schedules they stand for. */
static const struct {
	const char *name;  /* with its '@' */
	const char *expr;  /* five fields */
} cron_macros[] = {
	{ "@hourly", "0 * * * *" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@monthly", "0 0 1 * *" },
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

/* A read position in an expression and the first problem found. */
struct cron_scan {
	const char *expr;    /* the whole expression */
	const char *p;       /* next character */
	size_t bad;          /* byte offset of the problem */
	const char *reason;  /* untranslated reason, NULL while valid */
};

static int
cron_fail_at(struct cron_scan *s, const char *at, const char *reason)
{
	s->bad = (size_t)(at - s->expr);
	s->reason = reason;
	return WK_ERR_INVALID;
}

static int
cron_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
cron_field_ends(char ch)
{
	return ch == '\0' || cron_is_blank(ch);
}

static void
cron_skip_blanks(struct cron_scan *s)
{
	while (cron_is_blank(*s->p))
		s->p++;
}

/* Reads digits, capped at CRON_NUMBER_CAP; returns -1 when there are none. */
static int
cron_read_number(struct cron_scan *s)
{
	int value = 0;

	if (!isdigit((unsigned char)*s->p))
		return -1;
	for (; isdigit((unsigned char)*s->p); s->p++) {
		value = value * 10 + (*s->p - '0');
		if (value > CRON_NUMBER_CAP)
			value = CRON_NUMBER_CAP;
	}
	return value;
}

/* Reads a number or, where the field has them, a name, into *value. */
static int
cron_read_value(struct cron_scan *s, const struct cron_field *f, int *value)
{
	const char *start = s->p;
	size_t len, i;

	if (isdigit((unsigned char)*s->p)) {
		*value = cron_read_number(s);
		if (*value < f->min || *value > f->max)
			return cron_fail_at(s, start, f->reasons[CRON_RANGE]);
		return WK_OK;
	}
	if (!isalpha((unsigned char)*s->p))
		return cron_fail_at(s, start, f->reasons[CRON_SYNTAX]);

	while (isalpha((unsigned char)*s->p))
		s->p++;
	len = (size_t)(s->p - start);
	for (i = 0; i < f->nnames && len == CRON_NAME_LEN; i++) {
		if (strncasecmp(start, f->names[i], CRON_NAME_LEN) == 0) {
			*value = f->min + (int)i;
			return WK_OK;
		}
	}
	return cron_fail_at(s, start, f->reasons[CRON_NAME]);
}

/* Reads "/n" when present into *step (1 otherwise). */
static int
cron_read_step(struct cron_scan *s, const struct cron_field *f, int *step)
{
	const char *start;

	*step = 1;
	if (*s->p != '/')
		return WK_OK;
	start = ++s->p;
	*step = cron_read_number(s);
	if (*step < 1 || *step > f->step_max)
		return cron_fail_at(s, start, f->reasons[CRON_STEP]);
	return WK_OK;
}

/* Reads one item of a list: "*", "a", "a-b", each with an optional step. */
static int
cron_read_item(struct cron_scan *s, const struct cron_field *f,
	       uint64_t *bits)
{
	const char *start = s->p;
	int lo, hi, step, single = 0, v;

	if (*s->p == '*') {
		s->p++;
		lo = f->min;
		hi = f->star_max;
	} else if (cron_read_value(s, f, &lo) != WK_OK) {
		return WK_ERR_INVALID;
	} else if (*s->p == '-') {
		s->p++;
		if (cron_read_value(s, f, &hi) != WK_OK)
			return WK_ERR_INVALID;
		if (hi < lo)
			return cron_fail_at(s, start, f->reasons[CRON_BACKWARDS]);
	} else {
		hi = lo;
		single = 1;
	}

	if (cron_read_step(s, f, &step) != WK_OK)
		return WK_ERR_INVALID;
	if (single && step > 1)
		hi = lo > f->star_max ? lo : f->star_max;
	if (*s->p != ',' && !cron_field_ends(*s->p))
		return cron_fail_at(s, s->p, f->reasons[CRON_SYNTAX]);

	/* Day-of-week 7 is Sunday, bit 0. */
	for (v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << (v == 7 && f->star_max == 6 ? 0 : v);
	return WK_OK;
}

/* Reads a comma-separated list of items up to the end of the field. */
static int
cron_read_field(struct cron_scan *s, const struct cron_field *f,
		uint64_t *bits)
{
	*bits = 0;
	for (;;) {
		if (cron_field_ends(*s->p) || *s->p == ',')
			return cron_fail_at(s, s->p, f->reasons[CRON_SYNTAX]);
		if (cron_read_item(s, f, bits) != WK_OK)
			return WK_ERR_INVALID;
		if (*s->p != ',')
			return WK_OK;
		s->p++;
	}
}

/*
 * Returns 1 when a listed day of month exists in a listed month of some
 * year. February counts with 29 days, which a leap year has.
 */
static int
cron_day_exists(const struct cron *c)
{
	static const int month_days[13] = { 0, 31, 29, 31, 30, 31, 30, 31,
		31, 30, 31, 30, 31 };
	uint64_t days;
	int m;

	for (m = 1; m <= 12; m++) {
		/* Bits 1..month_days[m]: the days this month has. */
		days = (UINT64_C(1) << (month_days[m] + 1)) - 2;
		if ((c->months >> m & 1) != 0 && (c->mdays & days) != 0)
			return 1;
	}
	return 0;
}

/* Reads the five fields at s->p into out. */
static int
cron_read_fields(struct cron_scan *s, struct cron *out)
{
	uint64_t bits[CRON_FIELDS];
	const char *mday_at = s->p;
	int i;

	for (i = 0; i < CRON_FIELDS; i++) {
		cron_skip_blanks(s);
		if (*s->p == '\0')
			return cron_fail_at(s, s->p,
			    cron_fields[i].reasons[CRON_MISSING]);
		if (i == 2) {
			out->mday_star = *s->p == '*';
			mday_at = s->p;
		}
		if (i == 4)
			out->wday_star = *s->p == '*';
		if (cron_read_field(s, &cron_fields[i], &bits[i]) != WK_OK)
			return WK_ERR_INVALID;
	}
	cron_skip_blanks(s);
	if (*s->p != '\0')
		return cron_fail_at(s, s->p,
		    N_("too many fields: a schedule has five, minute hour day-of-month month day-of-week, and no seconds or years"));

	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->mdays = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->wdays = (uint8_t)bits[4];

	/* With day-of-week "*", the day-of-month field alone picks the days. */
	if (!out->mday_star && out->wday_star && !cron_day_exists(out))
		return cron_fail_at(s, mday_at,
		    N_("the day of month never occurs in the listed months, so the schedule never fires: February has at most 29 days, and April, June, September and November 30; choose a day that exists"));
	return WK_OK;
}

/* Replaces the macro at s->p by its five fields and reads them into out. */
static int
cron_read_macro(struct cron_scan *s, struct cron *out)
{
	const char *start = s->p;
	struct cron_scan inner;
	size_t len, i;

	while (!cron_field_ends(*s->p))
		s->p++;
	len = (size_t)(s->p - start);
	cron_skip_blanks(s);
	if (*s->p != '\0')
		return cron_fail_at(s, s->p,
		    N_("unexpected text after the macro: a macro such as @daily is the whole schedule"));

	for (i = 0; i < sizeof cron_macros / sizeof cron_macros[0]; i++) {
		if (strlen(cron_macros[i].name) == len &&
		    strncasecmp(start, cron_macros[i].name, len) == 0) {
			inner = (struct cron_scan){ cron_macros[i].expr,
			    cron_macros[i].expr, 0, NULL };
			return cron_read_fields(&inner, out);
		}
	}
	return cron_fail_at(s, start,
	    N_("unknown macro: use @hourly, @daily, @weekly, @monthly or @yearly, or five fields"));
}

int
cron_parse(const char *expr, struct cron *out, size_t *bad_offset,
	   const char **reason)
{
	struct cron_scan s = { expr, expr, 0, NULL };
	struct cron parsed;
	int rc;

	memset(&parsed, 0, sizeof parsed);
	if (strnlen(expr, CRON_EXPR_MAX + 1) > CRON_EXPR_MAX)
		rc = cron_fail_at(&s, expr + CRON_EXPR_MAX,
		    N_("schedule longer than 256 bytes: write five short fields or a macro"));
	else {
		cron_skip_blanks(&s);
		if (*s.p == '\0')
			rc = cron_fail_at(&s, s.p,
			    N_("empty schedule: write five fields such as \"30 2 * * *\" or a macro such as @daily"));
		else if (*s.p == '@')
			rc = cron_read_macro(&s, &parsed);
		else
			rc = cron_read_fields(&s, &parsed);
	}

	if (rc != WK_OK) {
		*bad_offset = s.bad;
		*reason = s.reason;
		return rc;
	}
	*out = parsed;
	return WK_OK;
}

/* Writes value v of field f as a name when as_name and f has names. */
static void
cron_put_value(char *buf, size_t cap, const struct cron_field *f, int v,
	       int as_name)
{
	if (as_name && f->names != NULL)
		snprintf(buf, cap, "%s", f->names[v - f->min]);
	else
		snprintf(buf, cap, "%d", v);
}

/* Writes "lo-hi", or "lo" alone when lo == hi. */
static void
cron_put_range(char *buf, size_t cap, const struct cron_field *f, int lo,
	       int hi, int as_name)
{
	char first[CRON_VALUE_LEN], last[CRON_VALUE_LEN];

	cron_put_value(first, sizeof first, f, lo, as_name);
	if (lo == hi) {
		snprintf(buf, cap, "%s", first);
		return;
	}
	cron_put_value(last, sizeof last, f, hi, as_name);
	snprintf(buf, cap, "%s-%s", first, last);
}

/*
 * Writes to buf the split form of the backwards range at expr + at with the
 * same values, in the user's notation: "fri-sat,sun-mon" for "fri-mon",
 * "22-23,0-2" for "22-2". Returns 0 when the range has a step, because
 * splitting it would change which values the step picks.
 */
static int
cron_split_range(const char *expr, size_t at, const struct cron_field *f,
		 char *buf, size_t cap)
{
	struct cron_scan s = { expr, expr + at, 0, NULL };
	char head[2 * CRON_VALUE_LEN], tail[2 * CRON_VALUE_LEN];
	int as_name = isalpha((unsigned char)expr[at]);
	int lo, hi;

	if (cron_read_value(&s, f, &lo) != WK_OK || *s.p != '-')
		return 0;
	s.p++;
	if (cron_read_value(&s, f, &hi) != WK_OK || *s.p == '/')
		return 0;

	/* Day-of-week 7 is Sunday, so "7-1" is the plain range 0-1. */
	if (lo > f->star_max)
		lo = f->min;
	if (lo <= hi) {
		cron_put_range(buf, cap, f, lo, hi, as_name);
		return 1;
	}
	cron_put_range(head, sizeof head, f, lo, f->star_max, as_name);
	cron_put_range(tail, sizeof tail, f, f->min, hi, as_name);
	snprintf(buf, cap, "%s,%s", head, tail);
	return 1;
}

/* Writes the reason for a backwards range of field i, naming split. */
static void
cron_put_wrap_reason(char *reason, size_t cap, int i, const char *split)
{
	switch (i) {
	case 0:
		snprintf(reason, cap, _("minute range runs backwards: a range cannot wrap past 59; write \"%s\" for the same minutes"), split);
		break;
	case 1:
		snprintf(reason, cap, _("hour range runs backwards: a range cannot wrap past midnight; write \"%s\" for the same hours"), split);
		break;
	case 2:
		snprintf(reason, cap, _("day-of-month range runs backwards: a range cannot wrap past 31; write \"%s\" for the same days"), split);
		break;
	case 3:
		snprintf(reason, cap, _("month range runs backwards: a range cannot wrap past December; write \"%s\" for the same months"), split);
		break;
	default:
		snprintf(reason, cap, _("day-of-week range runs backwards: a range cannot wrap past Saturday; write \"%s\" for the same days"), split);
		break;
	}
}

int
cron_parse_explained(const char *expr, struct cron *out, size_t *bad_offset,
		     char *reason, size_t cap)
{
	char split[4 * CRON_VALUE_LEN + 2];
	const char *untranslated = NULL;
	int rc, i;

	rc = cron_parse(expr, out, bad_offset, &untranslated);
	if (rc != WK_ERR_INVALID)
		return rc;
	snprintf(reason, cap, "%s", _(untranslated));
	for (i = 0; i < CRON_FIELDS; i++) {
		if (untranslated == cron_fields[i].reasons[CRON_BACKWARDS] &&
		    cron_split_range(expr, *bad_offset, &cron_fields[i], split,
		    sizeof split))
			cron_put_wrap_reason(reason, cap, i, split);
	}
	return rc;
}

/* ---- matching ---- */

/* Applies the day rule: either day field matches when both are restricted. */
static int
cron_day_matches(const struct cron *c, int day, int wday)
{
	int by_mday = (c->mdays >> day) & 1;
	int by_wday = (c->wdays >> wday) & 1;

	if (c->mday_star || c->wday_star)
		return by_mday && by_wday;
	return by_mday || by_wday;
}

int
cron_matches(const struct cron *c, int month, int day, int wday, int hour,
	     int minute)
{
	if (month < 1 || month > 12 || day < 1 || day > 31 || wday < 0 ||
	    wday > 6 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
		return 0;
	return ((c->months >> month) & 1) && cron_day_matches(c, day, wday) &&
	    ((c->hours >> hour) & 1) && ((c->minutes >> minute) & 1);
}

/* Returns the lowest set bit at or above from, or -1. */
static int
cron_next_bit(uint64_t bits, int from, int limit)
{
	int i;

	for (i = from; i <= limit; i++) {
		if ((bits >> i) & 1)
			return i;
	}
	return -1;
}

/* Returns the highest set bit at or below from, or -1. */
static int
cron_prev_bit(uint64_t bits, int from)
{
	int i;

	for (i = from; i >= 0; i--) {
		if ((bits >> i) & 1)
			return i;
	}
	return -1;
}

static int64_t
cron_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/*
 * Sets *found to the first local minute at or after local_s (a multiple of
 * 60) that matches c, skipping a month, a day or an hour at a time.
 * Returns WK_ERR_NOTFOUND when none comes before limit.
 */
static int
cron_next_local(const struct cron *c, int64_t local_s, int64_t limit,
		int64_t *found)
{
	while (local_s <= limit) {
		int64_t days = cron_floor_div(local_s, 86400), year;
		int secs = (int)(local_s - days * 86400), month, day, wday;
		int hour, minute;

		clk_civil_from_days(days, &year, &month, &day);
		wday = (int)(((days + 4) % 7 + 7) % 7);
		if (!((c->months >> month) & 1)) {
			local_s = 86400 * (month == 12 ?
			    clk_days_from_civil(year + 1, 1, 1) :
			    clk_days_from_civil(year, month + 1, 1));
			continue;
		}
		if (!cron_day_matches(c, day, wday)) {
			local_s = (days + 1) * 86400;
			continue;
		}

		hour = cron_next_bit(c->hours, secs / 3600, 23);
		if (hour < 0) {
			local_s = (days + 1) * 86400;
			continue;
		}
		minute = hour == secs / 3600 ? secs / 60 % 60 : 0;
		minute = cron_next_bit(c->minutes, minute, 59);
		if (minute < 0) {
			local_s = days * 86400 + (int64_t)(hour + 1) * 3600;
			continue;
		}
		*found = days * 86400 + hour * 3600 + minute * 60;
		return WK_OK;
	}
	return WK_ERR_NOTFOUND;
}

/*
 * Sets *found to the last local minute at or before local_s (a multiple of
 * 60) that matches c, stepping back a month, a day or an hour at a time.
 * Returns WK_ERR_NOTFOUND when none comes at or after limit.
 */
static int
cron_prev_local(const struct cron *c, int64_t local_s, int64_t limit,
		int64_t *found)
{
	while (local_s >= limit) {
		int64_t days = cron_floor_div(local_s, 86400), year;
		int secs = (int)(local_s - days * 86400), month, day, wday;
		int hour, minute;

		clk_civil_from_days(days, &year, &month, &day);
		wday = (int)(((days + 4) % 7 + 7) % 7);
		if (!((c->months >> month) & 1)) {
			local_s = 86400 * clk_days_from_civil(year, month, 1) - 60;
			continue;
		}
		if (!cron_day_matches(c, day, wday)) {
			local_s = days * 86400 - 60;
			continue;
		}

		hour = cron_prev_bit(c->hours, secs / 3600);
		if (hour < 0) {
			local_s = days * 86400 - 60;
			continue;
		}
		minute = hour == secs / 3600 ? secs / 60 % 60 : 59;
		minute = cron_prev_bit(c->minutes, minute);
		if (minute < 0) {
			local_s = days * 86400 + (int64_t)hour * 3600 - 60;
			continue;
		}
		*found = days * 86400 + hour * 3600 + minute * 60;
		return *found >= limit ? WK_OK : WK_ERR_NOTFOUND;
	}
	return WK_ERR_NOTFOUND;
}

/*
 * Returns the largest offset in effect at any instant of the
 * 2 * CRON_OFFSET_SLACK seconds up to utc_s. A local minute whose firing
 * is at or before utc_s is at most utc_s plus that offset, even when
 * utc_s lies in the second pass of a fold.
 */
static int32_t
cron_max_offset_before(const struct tz *tz, int64_t utc_s)
{
	int64_t t = utc_s - 2 * CRON_OFFSET_SLACK;
	int32_t max = tz_offset_at(tz, utc_s), offset;
	int i;

	for (i = 0; i < CRON_TRANSITIONS_MAX && t < utc_s; i++) {
		offset = tz_offset_at(tz, t);
		if (offset > max)
			max = offset;
		t = tz_next_transition(tz, t);
	}
	return max;
}

/*
 * Finds the first firing in (utc_s, until_s]. Each matching local minute
 * fires at its first instant, or at the end of the gap that skips it.
 * These instants never decrease as the local minutes grow. So the search
 * walks the matching minutes from the local time of utc_s and stops at
 * the first whose instant is after utc_s.
 */
static int
cron_search(const struct cron *c, const struct tz *tz, int64_t utc_s,
	    int64_t until_s, int64_t *next)
{
	int64_t local, limit, first;

	if (utc_s < -TZ_TIME_LIMIT)
		utc_s = -TZ_TIME_LIMIT;
	if (until_s > TZ_TIME_LIMIT)
		until_s = TZ_TIME_LIMIT;
	if (utc_s >= until_s)
		return WK_ERR_NOTFOUND;

	local = utc_s + tz_offset_at(tz, utc_s);
	local = cron_floor_div(local, 60) * 60 + 60;
	limit = until_s + CRON_OFFSET_SLACK;
	while (cron_next_local(c, local, limit, &local) == WK_OK) {
		tz_local_to_utc(tz, local, &first, NULL);
		if (first > until_s)
			return WK_ERR_NOTFOUND;
		if (first > utc_s) {
			*next = first;
			return WK_OK;
		}
		local += 60;
	}
	return WK_ERR_NOTFOUND;
}

int
cron_next(const struct cron *c, const struct tz *tz, int64_t utc_s,
	  int64_t *next)
{
	int64_t horizon = CRON_SEARCH_DAYS * 86400;

	if (utc_s < -TZ_TIME_LIMIT)
		utc_s = -TZ_TIME_LIMIT;
	if (utc_s > TZ_TIME_LIMIT - horizon)
		return WK_ERR_NOTFOUND;
	return cron_search(c, tz, utc_s, utc_s + horizon, next);
}

int
cron_fires_between(const struct cron *c, const struct tz *tz, int64_t from_s,
		   int64_t to_s, int64_t *out, size_t max, size_t *n)
{
	int64_t t = from_s, next;

	*n = 0;
	while (cron_search(c, tz, t, to_s, &next) == WK_OK) {
		if (*n == max)
			return WK_ERR_LIMIT;
		out[(*n)++] = next;
		t = next;
	}
	return WK_OK;
}

/*
 * Walks the matching local minutes backwards from the latest one that can
 * fire at or before utc_s. Their instants never increase on that walk, so
 * the first one at or before utc_s is the latest firing.
 */
int
cron_prev(const struct cron *c, const struct tz *tz, int64_t after_s,
	  int64_t utc_s, int64_t *prev)
{
	int64_t local, limit, first;

	if (after_s < -TZ_TIME_LIMIT)
		after_s = -TZ_TIME_LIMIT;
	if (utc_s > TZ_TIME_LIMIT)
		utc_s = TZ_TIME_LIMIT;
	if (after_s >= utc_s)
		return WK_ERR_NOTFOUND;

	local = utc_s + cron_max_offset_before(tz, utc_s);
	local = cron_floor_div(local, 60) * 60;
	limit = after_s - CRON_OFFSET_SLACK;
	while (cron_prev_local(c, local, limit, &local) == WK_OK) {
		tz_local_to_utc(tz, local, &first, NULL);
		if (first <= after_s)
			return WK_ERR_NOTFOUND;
		if (first <= utc_s) {
			*prev = first;
			return WK_OK;
		}
		local -= 60;
	}
	return WK_ERR_NOTFOUND;
}
