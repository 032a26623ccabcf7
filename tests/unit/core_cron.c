/*
 * Cron schedules of core/cron.c: parsing, the day rule, months and leap
 * years, and firing across daylight saving time transitions, checked by
 * hand and against a minute-by-minute reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/cron.h"
#include "core/rc.h"
#include "core/tz.h"

#define FIRES_MAX 20000  /* instants a test collects */

static int64_t
utc_at(int64_t year, int month, int day, int hour, int minute, int second)
{
	return clk_days_from_civil(year, month, day) * 86400 + hour * 3600 +
	    minute * 60 + second;
}

static struct tz *
load_zone(const char *name)
{
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;

	if (tz_load(name, &tz, &err) != WK_OK)
		fail_msg("tz_load(%s): %s", name, err.msg);
	return tz;
}

static struct cron
parse_ok(const char *expr)
{
	struct cron c;
	const char *reason = NULL;
	size_t bad = 0;

	if (cron_parse(expr, &c, &bad, &reason) != WK_OK)
		fail_msg("cron_parse(\"%s\"): column %zu: %s", expr, bad,
		    reason);
	return c;
}

/* Collects the firings of expr in (from, to]; returns their count. */
static size_t
fires(const char *expr, const struct tz *tz, int64_t from, int64_t to,
      int64_t *out)
{
	struct cron c = parse_ok(expr);
	size_t n = 0;

	assert_int_equal(cron_fires_between(&c, tz, from, to, out, FIRES_MAX,
	    &n), WK_OK);
	return n;
}

static uint64_t
bits_of(const int *values, size_t n)
{
	uint64_t bits = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bits |= UINT64_C(1) << values[i];
	return bits;
}

/* ---- parsing ---- */

static void
parse_field_forms(void **state)
{
	static const int quarter[] = { 0, 15, 30, 45 };
	static const int odd_to_nine[] = { 1, 3, 5, 7, 9 };
	static const int from_20[] = { 20, 40 };
	static const int spring[] = { 3, 4, 5 };
	static const int weekend[] = { 0, 5, 6 };
	static const int list[] = { 0, 8, 9, 10, 20 };
	struct cron c;

	(void)state;
	c = parse_ok("*/15 * * * *");
	assert_int_equal(c.minutes, bits_of(quarter, 4));
	assert_int_equal(c.hours, 0xffffff);
	assert_int_equal(c.mdays, 0xfffffffe);
	assert_int_equal(c.months, 0x1ffe);
	assert_int_equal(c.wdays, 0x7f);
	assert_int_equal(c.mday_star, 1);
	assert_int_equal(c.wday_star, 1);

	c = parse_ok("1-10/2 0,8-10,20 * mar-MAY fri-7");
	assert_int_equal(c.minutes, bits_of(odd_to_nine, 5));
	assert_int_equal(c.hours, bits_of(list, 5));
	assert_int_equal(c.months, bits_of(spring, 3));
	assert_int_equal(c.wdays, bits_of(weekend, 3));
	assert_int_equal(c.wday_star, 0);

	c = parse_ok("  20/20\t*  1  *  sun  ");
	assert_int_equal(c.minutes, bits_of(from_20, 2));
	assert_int_equal(c.mdays, 2);
	assert_int_equal(c.mday_star, 0);
	assert_int_equal(c.wdays, 1);

	c = parse_ok("0 0 * * 7");
	assert_int_equal(c.wdays, 1);
	c = parse_ok("0 0 * * 0-7");
	assert_int_equal(c.wdays, 0x7f);
	c = parse_ok("0 0 */2 * *");
	assert_int_equal(c.mday_star, 1);
	assert_int_equal(c.mdays & 0xf, 0xa);
}

static void
parse_macros(void **state)
{
	static const struct {
		const char *macro;
		const char *fields;
	} cases[] = {
		{ "@hourly", "0 * * * *" },
		{ "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" },
		{ "@weekly", "0 0 * * 0" },
		{ "@monthly", "0 0 1 * *" },
		{ "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
		{ " @DAILY ", "0 0 * * *" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cron a = parse_ok(cases[i].macro);
		struct cron b = parse_ok(cases[i].fields);

		assert_memory_equal(&a, &b, sizeof a);
	}
}

static void
parse_errors_located(void **state)
{
	static const struct {
		const char *expr;
		size_t bad;        /* byte offset of the reported problem */
		const char *word;  /* a word the reason must contain */
	} cases[] = {
		{ "", 0, "empty" },
		{ "   ", 3, "empty" },
		{ "60 * * * *", 0, "minute" },
		{ "* 24 * * *", 2, "hour" },
		{ "* * 0 * *", 4, "day of month" },
		{ "* * 32 * *", 4, "day of month" },
		{ "* * * 13 *", 6, "month" },
		{ "* * * * 8", 8, "day of week" },
		{ "* * * foo *", 6, "month name" },
		{ "* * * * funday", 8, "day-of-week name" },
		{ "* * * january *", 6, "month name" },
		{ "mon * * * *", 0, "minute" },
		{ "30-10 * * * *", 0, "minute range" },
		{ "* * * dec-jan *", 6, "month range" },
		{ "* * * * sat-mon", 8, "day-of-week range" },
		{ "*/0 * * * *", 2, "minute step" },
		{ "*/ * * * *", 2, "minute step" },
		{ "* */24 * * *", 4, "hour step" },
		{ "* * */32 * *", 6, "day-of-month step" },
		{ "* * * */13 *", 8, "month step" },
		{ "* * * * */8", 10, "day-of-week step" },
		{ "1,,2 * * * *", 2, "minute" },
		{ "1, * * * *", 2, "minute" },
		{ ",1 * * * *", 0, "minute" },
		{ "1- * * * *", 2, "minute" },
		{ "1-2-3 * * * *", 3, "minute" },
		{ "5x * * * *", 1, "minute" },
		{ "** * * * *", 1, "minute" },
		{ "* 1.5 * * *", 3, "hour" },
		{ "99999999999 * * * *", 0, "minute" },
		{ "*", 1, "hour" },
		{ "* *", 3, "day-of-month" },
		{ "* * *", 5, "month" },
		{ "0 0 1 1", 7, "day-of-week" },
		{ "0 0 1 1 * 2024", 10, "too many fields" },
		{ "0 0 0 1 1 *", 4, "day of month" },
		{ "@reboot", 0, "macro" },
		{ "@daily 5", 7, "macro" },
		{ "@", 0, "macro" },
		{ "0 0 * * mon\n", 11, "day-of-week" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cron c;
		const char *reason = NULL;
		size_t bad = 999;

		memset(&c, 0x5a, sizeof c);
		if (cron_parse(cases[i].expr, &c, &bad, &reason) !=
		    WK_ERR_INVALID)
			fail_msg("\"%s\" was accepted", cases[i].expr);
		if (bad != cases[i].bad)
			fail_msg("\"%s\": column %zu, expected %zu (%s)",
			    cases[i].expr, bad, cases[i].bad, reason);
		assert_non_null(reason);
		if (strstr(reason, cases[i].word) == NULL)
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"",
			    cases[i].expr, reason, cases[i].word);
		assert_int_equal(c.minutes, UINT64_C(0x5a5a5a5a5a5a5a5a));
	}
}

static void
backwards_range_names_split(void **state)
{
	static const struct {
		const char *expr;
		const char *split;  /* the form the reason must name */
	} cases[] = {
		{ "0 0 * * fri-mon", "\"fri-sat,sun-mon\"" },
		{ "0 0 * * 5-1", "\"5-6,0-1\"" },
		{ "0 0 * * sat-sun", "\"sat,sun\"" },
		{ "0 0 * * 7-1", "\"0-1\"" },
		{ "0 22-2 * * *", "\"22-23,0-2\"" },
		{ "50-10 * * * *", "\"50-59,0-10\"" },
		{ "0 0 25-5 * *", "\"25-31,1-5\"" },
		{ "0 0 1 nov-feb *", "\"nov-dec,jan-feb\"" },
		{ "0 0 1 12-1 *", "\"12,1\"" },
	};
	char reason[CRON_REASON_MAX];
	struct cron c;
	size_t i, bad;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(cron_parse_explained(cases[i].expr, &c, &bad,
		    reason, sizeof reason), WK_ERR_INVALID);
		if (strstr(reason, cases[i].split) == NULL)
			fail_msg("\"%s\": reason \"%s\" lacks %s",
			    cases[i].expr, reason, cases[i].split);
		assert_null(strstr(reason, "earlier"));
	}
}

static void
backwards_range_with_step(void **state)
{
	char reason[CRON_REASON_MAX];
	struct cron c;
	size_t bad = 0;

	(void)state;
	assert_int_equal(cron_parse_explained("0 22-2/2 * * *", &c, &bad,
	    reason, sizeof reason), WK_ERR_INVALID);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(reason, "hour range runs backwards"));
	assert_non_null(strstr(reason, "split it in two"));
}

static void
reasons_state_five_fields_once(void **state)
{
	static const char *const exprs[] = { "0 0 1 1", "0 0 1 1 * 2024",
		"*" };
	char reason[CRON_REASON_MAX];
	const char *first;
	struct cron c;
	size_t i, bad;

	(void)state;
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		assert_int_equal(cron_parse_explained(exprs[i], &c, &bad,
		    reason, sizeof reason), WK_ERR_INVALID);
		first = strstr(reason, "five");
		assert_non_null(first);
		assert_null(strstr(first + 1, "five"));
	}
}

static void
parse_too_long(void **state)
{
	char expr[CRON_EXPR_MAX + 2];
	struct cron c;
	const char *reason = NULL;
	size_t bad = 0;

	(void)state;
	memset(expr, ' ', sizeof expr - 1);
	expr[sizeof expr - 1] = '\0';
	memcpy(expr, "0 0 * * *", 9);
	assert_int_equal(cron_parse(expr, &c, &bad, &reason), WK_ERR_INVALID);
	assert_int_equal(bad, CRON_EXPR_MAX);
	assert_non_null(strstr(reason, "256"));
}

/* ---- days, months and leap years ---- */

static void
day_rule_either_field(void **state)
{
	struct cron both = parse_ok("0 0 13 * 5");
	struct cron mday = parse_ok("0 0 13 * *");
	struct cron wday = parse_ok("0 0 * * fri");
	struct cron starred = parse_ok("0 0 */2 * 5");

	(void)state;
	/* 2024-11-13 was a Wednesday and 2024-11-15 a Friday. */
	assert_int_equal(cron_matches(&both, 11, 13, 3, 0, 0), 1);
	assert_int_equal(cron_matches(&both, 11, 15, 5, 0, 0), 1);
	assert_int_equal(cron_matches(&both, 11, 14, 4, 0, 0), 0);
	assert_int_equal(cron_matches(&mday, 11, 13, 3, 0, 0), 1);
	assert_int_equal(cron_matches(&mday, 11, 15, 5, 0, 0), 0);
	assert_int_equal(cron_matches(&wday, 11, 13, 3, 0, 0), 0);
	assert_int_equal(cron_matches(&wday, 11, 15, 5, 0, 0), 1);

	/* A day field starting with '*' makes both fields required. */
	assert_int_equal(cron_matches(&starred, 11, 15, 5, 0, 0), 1);
	assert_int_equal(cron_matches(&starred, 11, 22, 5, 0, 0), 0);
	assert_int_equal(cron_matches(&starred, 11, 17, 0, 0, 0), 0);

	assert_int_equal(cron_matches(&both, 13, 13, 3, 0, 0), 0);
	assert_int_equal(cron_matches(&both, 11, 13, 7, 0, 0), 0);
	assert_int_equal(cron_matches(&both, 11, 13, 3, 24, 0), 0);
}

static void
day_rule_in_november(void **state)
{
	struct tz *utc = load_zone("UTC");
	int64_t out[FIRES_MAX];
	size_t n;

	(void)state;
	/* November 2024: the 13th (Wednesday) and the Fridays 1, 8, 15,
	   22 and 29. */
	n = fires("0 0 13 * 5", utc, utc_at(2024, 10, 31, 0, 0, 0),
	    utc_at(2024, 11, 30, 0, 0, 0), out);
	assert_int_equal(n, 6);
	assert_int_equal(out[0], utc_at(2024, 11, 1, 0, 0, 0));
	assert_int_equal(out[1], utc_at(2024, 11, 8, 0, 0, 0));
	assert_int_equal(out[2], utc_at(2024, 11, 13, 0, 0, 0));
	assert_int_equal(out[3], utc_at(2024, 11, 15, 0, 0, 0));
	assert_int_equal(out[5], utc_at(2024, 11, 29, 0, 0, 0));
	tz_free(utc);
}

static void
month_ends_and_leap_years(void **state)
{
	struct tz *utc = load_zone("UTC");
	struct cron c;
	int64_t out[FIRES_MAX], next = 0;
	size_t n;

	(void)state;
	/* Day 31 exists in 7 of the 12 months. */
	n = fires("0 12 31 * *", utc, utc_at(2024, 1, 1, 0, 0, 0),
	    utc_at(2025, 1, 1, 0, 0, 0), out);
	assert_int_equal(n, 7);
	assert_int_equal(out[1], utc_at(2024, 3, 31, 12, 0, 0));
	assert_int_equal(out[6], utc_at(2024, 12, 31, 12, 0, 0));

	/* Day 30 in 11 of them: never in February. */
	n = fires("0 0 30 * *", utc, utc_at(2023, 1, 1, 0, 0, 0),
	    utc_at(2024, 1, 1, 0, 0, 0), out);
	assert_int_equal(n, 11);
	assert_int_equal(out[1], utc_at(2023, 3, 30, 0, 0, 0));

	/* February 29 comes in 2028 after 2024. */
	c = parse_ok("0 0 29 2 *");
	assert_int_equal(cron_next(&c, utc, utc_at(2024, 3, 1, 0, 0, 0),
	    &next), WK_OK);
	assert_int_equal(next, utc_at(2028, 2, 29, 0, 0, 0));

	/* 2100 is no leap year and 2104 is past the 5-year search. */
	assert_int_equal(cron_next(&c, utc, utc_at(2096, 3, 1, 0, 0, 0),
	    &next), WK_ERR_NOTFOUND);

	/* cron_parse rejects "0 0 30 2 *", so the month is set by hand. */
	c = parse_ok("0 0 30 * *");
	c.months = UINT16_C(1) << 2;
	assert_int_equal(cron_next(&c, utc, utc_at(2024, 1, 1, 0, 0, 0),
	    &next), WK_ERR_NOTFOUND);
	tz_free(utc);
}

/* A schedule whose day of month exists in none of its months never fires. */
static void
parse_rejects_missing_days(void **state)
{
	static const struct {
		const char *expr;  /* the schedule */
		size_t bad;        /* offset of its day-of-month field */
	} never[] = {
		{ "0 0 31 2 *", 4 }, { "0 0 30 2 *", 4 },
		{ "0 0 30,31 feb *", 4 }, { "0 0 31 4,6,9,11 *", 4 },
		{ "0 0 31 apr-jun/2 *", 4 }, { "15  3  31 11 *", 7 },
	};
	static const char *const fires_some_year[] = {
		"0 0 29 2 *", "0 0 31 2,3 *", "0 0 31 2 1", "0 0 31 2 mon",
		"0 0 */30 2 *", "0 0 1-31 2 *", "@yearly",
	};
	const char *reason;
	struct cron c;
	size_t bad, i;

	(void)state;
	for (i = 0; i < sizeof never / sizeof never[0]; i++) {
		reason = NULL;
		bad = 0;
		assert_int_equal(cron_parse(never[i].expr, &c, &bad, &reason),
		    WK_ERR_INVALID);
		assert_int_equal(bad, never[i].bad);
		assert_non_null(reason);
		assert_non_null(strstr(reason, "never fires"));
	}
	for (i = 0; i < sizeof fires_some_year / sizeof fires_some_year[0];
	     i++)
		(void)parse_ok(fires_some_year[i]);
}

static void
next_is_strictly_after(void **state)
{
	struct tz *utc = load_zone("UTC");
	struct cron c = parse_ok("*/15 * * * *");
	int64_t t = utc_at(2024, 5, 1, 10, 15, 0), next = 0;

	(void)state;
	assert_int_equal(cron_next(&c, utc, t, &next), WK_OK);
	assert_int_equal(next, t + 900);
	assert_int_equal(cron_next(&c, utc, t - 1, &next), WK_OK);
	assert_int_equal(next, t);
	assert_int_equal(cron_next(&c, utc, t + 59, &next), WK_OK);
	assert_int_equal(next, t + 900);

	/* Before 1970 too. */
	assert_int_equal(cron_next(&c, utc, -1, &next), WK_OK);
	assert_int_equal(next, 0);
	assert_int_equal(cron_next(&c, utc, INT64_MAX, &next),
	    WK_ERR_NOTFOUND);
	assert_int_equal(cron_next(&c, utc, INT64_MIN, &next), WK_OK);
	tz_free(utc);
}

/* ---- daylight saving time ---- */

/* 30 2 * * * fires once a day; on 2024-03-31 02:30 does not exist. */
static void
berlin_daily_across_transitions(void **state)
{
	struct tz *tz = load_zone("Europe/Berlin");
	int64_t out[FIRES_MAX];
	size_t n;

	(void)state;
	n = fires("30 2 * * *", tz, utc_at(2024, 3, 29, 0, 0, 0),
	    utc_at(2024, 4, 2, 0, 0, 0), out);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], utc_at(2024, 3, 29, 1, 30, 0));
	assert_int_equal(out[1], utc_at(2024, 3, 30, 1, 30, 0));
	/* The gap ends at 03:00 CEST, 01:00 UTC. */
	assert_int_equal(out[2], utc_at(2024, 3, 31, 1, 0, 0));
	assert_int_equal(out[3], utc_at(2024, 4, 1, 0, 30, 0));

	n = fires("30 2 * * *", tz, utc_at(2024, 10, 25, 0, 0, 0),
	    utc_at(2024, 10, 29, 0, 0, 0), out);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], utc_at(2024, 10, 25, 0, 30, 0));
	assert_int_equal(out[1], utc_at(2024, 10, 26, 0, 30, 0));
	/* 02:30 comes twice; the first, in CEST, fires. */
	assert_int_equal(out[2], utc_at(2024, 10, 27, 0, 30, 0));
	assert_int_equal(out[3], utc_at(2024, 10, 28, 1, 30, 0));
	tz_free(tz);
}

/*
 * Hourly schedules follow the local clock: on the 23-hour day the skipped
 * hour 02:00 merges into 03:00, and on the 25-hour day the repeated hour
 * 02:00 fires once, so 02:00 CEST to 03:00 CET is two hours without one.
 */
static void
berlin_hourly_across_transitions(void **state)
{
	struct tz *tz = load_zone("Europe/Berlin");
	int64_t out[FIRES_MAX];
	size_t n, i;

	(void)state;
	/* The local day 2024-03-31 runs from 23:00 UTC to 22:00 UTC. */
	n = fires("0 * * * *", tz, utc_at(2024, 3, 30, 23, 0, 0) - 1,
	    utc_at(2024, 3, 31, 22, 0, 0) - 1, out);
	assert_int_equal(n, 23);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], utc_at(2024, 3, 30, 23, 0, 0) +
		    (int64_t)i * 3600);

	/* 02:30 fires at the end of the gap, 03:00 CEST. */
	n = fires("30 * * * *", tz, utc_at(2024, 3, 30, 23, 0, 0),
	    utc_at(2024, 3, 31, 22, 0, 0), out);
	assert_int_equal(n, 24);
	assert_int_equal(out[1], utc_at(2024, 3, 31, 0, 30, 0));
	assert_int_equal(out[2], utc_at(2024, 3, 31, 1, 0, 0));
	assert_int_equal(out[3], utc_at(2024, 3, 31, 1, 30, 0));

	/* 02:00, 02:15, 02:30 and 02:45 all fall in the gap: one firing. */
	n = fires("*/15 2-3 31 3 *", tz, utc_at(2024, 3, 30, 23, 0, 0),
	    utc_at(2024, 3, 31, 22, 0, 0), out);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], utc_at(2024, 3, 31, 1, 0, 0));
	assert_int_equal(out[1], utc_at(2024, 3, 31, 1, 15, 0));
	assert_int_equal(out[3], utc_at(2024, 3, 31, 1, 45, 0));

	/* The local day 2024-10-27 runs from 22:00 UTC to 23:00 UTC. */
	n = fires("0 * * * *", tz, utc_at(2024, 10, 26, 22, 0, 0) - 1,
	    utc_at(2024, 10, 27, 23, 0, 0) - 1, out);
	assert_int_equal(n, 24);
	assert_int_equal(out[2], utc_at(2024, 10, 27, 0, 0, 0));
	assert_int_equal(out[3], utc_at(2024, 10, 27, 2, 0, 0));
	for (i = 3; i < n; i++)
		assert_int_equal(out[i], utc_at(2024, 10, 27, 2, 0, 0) +
		    (int64_t)(i - 3) * 3600);

	/* Within the fold, the second 02:xx hour fires nothing. */
	n = fires("* 2 * * *", tz, utc_at(2024, 10, 27, 1, 0, 0) - 1,
	    utc_at(2024, 10, 27, 2, 0, 0) - 1, out);
	assert_int_equal(n, 0);
	tz_free(tz);
}

static void
new_york_daily_across_transitions(void **state)
{
	struct tz *tz = load_zone("America/New_York");
	int64_t out[FIRES_MAX];
	size_t n;

	(void)state;
	n = fires("30 2 * * *", tz, utc_at(2024, 3, 9, 12, 0, 0),
	    utc_at(2024, 3, 11, 12, 0, 0), out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], utc_at(2024, 3, 10, 7, 0, 0));
	assert_int_equal(out[1], utc_at(2024, 3, 11, 6, 30, 0));

	n = fires("30 1 * * *", tz, utc_at(2024, 11, 2, 12, 0, 0),
	    utc_at(2024, 11, 4, 12, 0, 0), out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], utc_at(2024, 11, 3, 5, 30, 0));
	assert_int_equal(out[1], utc_at(2024, 11, 4, 6, 30, 0));
	tz_free(tz);
}

/* Lord Howe Island shifts by 30 minutes: 02:00-02:29 skipped in October. */
static void
lord_howe_half_hour_shift(void **state)
{
	struct tz *tz = load_zone("Australia/Lord_Howe");
	int64_t out[FIRES_MAX];
	size_t n;

	(void)state;
	n = fires("15 2 * * *", tz, utc_at(2024, 10, 4, 0, 0, 0),
	    utc_at(2024, 10, 7, 0, 0, 0), out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], utc_at(2024, 10, 4, 15, 45, 0));
	assert_int_equal(out[1], utc_at(2024, 10, 5, 15, 30, 0));
	assert_int_equal(out[2], utc_at(2024, 10, 6, 15, 15, 0));

	n = fires("45 1 * * *", tz, utc_at(2024, 4, 5, 0, 0, 0),
	    utc_at(2024, 4, 8, 0, 0, 0), out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], utc_at(2024, 4, 5, 14, 45, 0));
	assert_int_equal(out[1], utc_at(2024, 4, 6, 14, 45, 0));
	assert_int_equal(out[2], utc_at(2024, 4, 7, 15, 15, 0));
	tz_free(tz);
}

/*
 * The reference: scanning UTC minutes in order, a matching local minute L
 * fires at the first instant whose local time reaches L. So the instant t
 * fires when some matching L lies in (highest local time before t, local
 * time of t].
 */
static int
local_minute_matches(const struct cron *c, int64_t local)
{
	int64_t days = local / 86400 - (local % 86400 < 0), year;
	int secs = (int)(local - days * 86400), month, day;
	int wday = (int)(((days + 4) % 7 + 7) % 7);

	clk_civil_from_days(days, &year, &month, &day);
	return cron_matches(c, month, day, wday, secs / 3600, secs / 60 % 60);
}

static size_t
reference_fires(const struct cron *c, const struct tz *tz, int64_t from,
		int64_t to, int64_t *out)
{
	int64_t t, seen = INT64_MIN;
	size_t n = 0;

	for (t = from - from % 60 - 120 * 60; t <= to; t += 60) {
		int64_t local = t + tz_offset_at(tz, t), l;
		int hit = 0;

		for (l = local; l > seen && l > local - 4 * 3600; l -= 60)
			hit |= local_minute_matches(c, l);
		if (local > seen)
			seen = local;
		if (hit && t > from) {
			assert_true(n < FIRES_MAX);
			out[n++] = t;
		}
	}
	return n;
}

static void
matches_minute_reference(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
		"Europe/London", "Australia/Sydney", "America/Santiago",
	};
	static const char *const exprs[] = {
		"30 2 * * *", "0 * * * *", "*/7 * * * *", "15,45 1-3 * * *",
		"0 2 * * 0", "59 23 * * *", "0 0 1 * *", "*/20 0-4 * * 6,0",
		"30 1 * * *", "0 3 * * *", "* 2 * * *",
	};
	int64_t ref[FIRES_MAX], got[FIRES_MAX];
	size_t z, e;

	(void)state;
	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		struct tz *tz = load_zone(zones[z]);
		int64_t t = utc_at(2024, 1, 1, 0, 0, 0);
		int k;

		/* Three days around each of the next four transitions. */
		for (k = 0; k < 4; k++) {
			t = tz_next_transition(tz, t);
			for (e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
				struct cron c = parse_ok(exprs[e]);
				size_t nref, ngot, i;

				nref = reference_fires(&c, tz, t - 129600,
				    t + 129600, ref);
				assert_int_equal(cron_fires_between(&c, tz,
				    t - 129600, t + 129600, got, FIRES_MAX,
				    &ngot), WK_OK);
				if (nref != ngot)
					fail_msg("%s \"%s\" near %lld: %zu firings, reference %zu",
					    zones[z], exprs[e], (long long)t,
					    ngot, nref);
				for (i = 0; i < ngot; i++)
					assert_int_equal(got[i], ref[i]);
			}
		}
		tz_free(tz);
	}
}

static void
fires_between_limits(void **state)
{
	struct tz *utc = load_zone("UTC");
	struct cron c = parse_ok("* * * * *");
	int64_t out[10];
	size_t n = 99;

	(void)state;
	assert_int_equal(cron_fires_between(&c, utc, 0, 600, out, 10, &n),
	    WK_OK);
	assert_int_equal(n, 10);
	assert_int_equal(out[0], 60);
	assert_int_equal(out[9], 600);

	assert_int_equal(cron_fires_between(&c, utc, 0, 601, out, 10, &n),
	    WK_OK);
	assert_int_equal(n, 10);
	assert_int_equal(cron_fires_between(&c, utc, 0, 660, out, 10, &n),
	    WK_ERR_LIMIT);
	assert_int_equal(n, 10);
	assert_int_equal(out[9], 600);

	assert_int_equal(cron_fires_between(&c, utc, 600, 600, out, 10, &n),
	    WK_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cron_fires_between(&c, utc, 600, 0, out, 10, &n),
	    WK_OK);
	assert_int_equal(n, 0);

	/* Longer than the 5-year search: catch-up over 20 years of Feb 29. */
	c = parse_ok("0 0 29 2 *");
	assert_int_equal(cron_fires_between(&c, utc,
	    utc_at(2090, 1, 1, 0, 0, 0), utc_at(2110, 1, 1, 0, 0, 0), out, 10,
	    &n), WK_OK);
	assert_int_equal(n, 4);
	assert_int_equal(out[1], utc_at(2096, 2, 29, 0, 0, 0));
	assert_int_equal(out[2], utc_at(2104, 2, 29, 0, 0, 0));
	tz_free(utc);
}

/* Sets *last to the last firing of c in (from, to], by listing them. */
static int
last_listed(const struct cron *c, const struct tz *tz, int64_t from,
	    int64_t to, int64_t *last)
{
	static int64_t out[FIRES_MAX];
	size_t n = 0;

	assert_int_equal(cron_fires_between(c, tz, from, to, out, FIRES_MAX,
	    &n), WK_OK);
	if (n == 0)
		return WK_ERR_NOTFOUND;
	*last = out[n - 1];
	return WK_OK;
}

/* cron_prev agrees with the last listed firing, across transitions too. */
static void
prev_matches_listed_firings(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
		"America/Santiago",
	};
	static const char *const exprs[] = {
		"30 2 * * *", "0 * * * *", "*/7 * * * *", "15,45 1-3 * * *",
		"0 2 * * 0", "0 0 1 * *", "30 1 * * *", "* 2 * * *",
	};
	size_t z, e;

	(void)state;
	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		struct tz *tz = load_zone(zones[z]);
		int64_t t = utc_at(2024, 1, 1, 0, 0, 0);
		int k;

		for (k = 0; k < 2; k++) {
			t = tz_next_transition(tz, t);
			for (e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
				struct cron c = parse_ok(exprs[e]);
				int64_t from = t - 129600, u, want = 0, got = 0;
				int want_rc, got_rc;

				for (u = t - 43200; u <= t + 43200; u += 419) {
					want_rc = last_listed(&c, tz, from, u,
					    &want);
					got_rc = cron_prev(&c, tz, from, u, &got);
					if (want_rc != got_rc || want != got)
						fail_msg("%s \"%s\" at %lld: "
						    "got %d %lld, listed %d %lld",
						    zones[z], exprs[e],
						    (long long)u, got_rc,
						    (long long)got, want_rc,
						    (long long)want);
				}
			}
		}
		tz_free(tz);
	}
}

static void
prev_bounds_and_long_intervals(void **state)
{
	struct tz *utc = load_zone("UTC");
	struct tz *berlin = load_zone("Europe/Berlin");
	struct cron c = parse_ok("* * * * *");
	int64_t prev = 0;

	(void)state;
	/* Five days of every minute: the result is the minute of utc_s. */
	assert_int_equal(cron_prev(&c, utc, utc_at(2024, 3, 1, 1, 29, 0),
	    utc_at(2024, 3, 6, 12, 0, 30), &prev), WK_OK);
	assert_int_equal(prev, utc_at(2024, 3, 6, 12, 0, 0));
	assert_int_equal(cron_prev(&c, utc, 0, 600, &prev), WK_OK);
	assert_int_equal(prev, 600);

	/* The interval is open at after_s. */
	assert_int_equal(cron_prev(&c, utc, 600, 659, &prev),
	    WK_ERR_NOTFOUND);
	assert_int_equal(cron_prev(&c, utc, 600, 600, &prev),
	    WK_ERR_NOTFOUND);
	assert_int_equal(cron_prev(&c, utc, 700, 600, &prev),
	    WK_ERR_NOTFOUND);

	/* Longer than the 5-year search of cron_next. */
	c = parse_ok("0 0 29 2 *");
	assert_int_equal(cron_prev(&c, utc, utc_at(2090, 1, 1, 0, 0, 0),
	    utc_at(2110, 1, 1, 0, 0, 0), &prev), WK_OK);
	assert_int_equal(prev, utc_at(2108, 2, 29, 0, 0, 0));
	assert_int_equal(cron_prev(&c, utc, utc_at(2097, 1, 1, 0, 0, 0),
	    utc_at(2104, 2, 28, 0, 0, 0), &prev), WK_ERR_NOTFOUND);

	/* 02:30 on 31 March 2024 fires at the end of the gap, 01:00 UTC. */
	c = parse_ok("30 2 * * *");
	assert_int_equal(cron_prev(&c, berlin, utc_at(2024, 3, 29, 0, 0, 0),
	    utc_at(2024, 3, 31, 1, 0, 0), &prev), WK_OK);
	assert_int_equal(prev, utc_at(2024, 3, 31, 1, 0, 0));
	assert_int_equal(cron_prev(&c, berlin, utc_at(2024, 3, 29, 0, 0, 0),
	    utc_at(2024, 3, 31, 0, 59, 59), &prev), WK_OK);
	assert_int_equal(prev, utc_at(2024, 3, 30, 1, 30, 0));

	/* In the second pass of the fold, 02:30 has fired at 00:30 UTC. */
	assert_int_equal(cron_prev(&c, berlin, utc_at(2024, 10, 26, 12, 0, 0),
	    utc_at(2024, 10, 27, 1, 10, 0), &prev), WK_OK);
	assert_int_equal(prev, utc_at(2024, 10, 27, 0, 30, 0));
	tz_free(berlin);
	tz_free(utc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_field_forms),
		cmocka_unit_test(parse_macros),
		cmocka_unit_test(parse_errors_located),
		cmocka_unit_test(backwards_range_names_split),
		cmocka_unit_test(backwards_range_with_step),
		cmocka_unit_test(reasons_state_five_fields_once),
		cmocka_unit_test(parse_too_long),
		cmocka_unit_test(day_rule_either_field),
		cmocka_unit_test(day_rule_in_november),
		cmocka_unit_test(month_ends_and_leap_years),
		cmocka_unit_test(next_is_strictly_after),
		cmocka_unit_test(berlin_daily_across_transitions),
		cmocka_unit_test(berlin_hourly_across_transitions),
		cmocka_unit_test(new_york_daily_across_transitions),
		cmocka_unit_test(lord_howe_half_hour_shift),
		cmocka_unit_test(matches_minute_reference),
		cmocka_unit_test(fires_between_limits),
		cmocka_unit_test(parse_rejects_missing_days),
		cmocka_unit_test(prev_matches_listed_firings),
		cmocka_unit_test(prev_bounds_and_long_intervals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
