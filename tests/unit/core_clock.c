/* Durations and dates of core/clock.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/rc.h"

static void
duration_valid_forms(void **state)
{
	static const struct {
		const char *text;
		int64_t ms;
	} cases[] = {
		{ "90s", 90000 },
		{ "15m", 900000 },
		{ "2h", 7200000 },
		{ "28d", 28 * INT64_C(86400000) },
		{ "1h30m", 5400000 },
		{ "250ms", 250 },
		{ "1w", 7 * INT64_C(86400000) },
		{ "0s", 0 },
		{ "1m30s500ms", 90500 },
		{ "010s", 10000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *reason = NULL;
		size_t bad = 99;
		int64_t ms = -1;

		assert_int_equal(clk_parse_duration(cases[i].text, &ms, &bad,
		    &reason), WK_OK);
		assert_int_equal(ms, cases[i].ms);
	}
}

static void
duration_invalid_forms(void **state)
{
	static const struct {
		const char *text;
		size_t bad;  /* expected byte offset of the first bad character */
	} cases[] = {
		{ "", 0 },
		{ "90", 2 },
		{ "-5s", 0 },
		{ "5x", 1 },
		{ "5 s", 1 },
		{ "s", 0 },
		{ "1h30", 4 },
		{ "1h 30m", 2 },
		{ "5sec", 1 },
		{ "1.5h", 1 },
		{ "99999999999999999999s", 0 },
		{ "1h1h", 3 },
		{ "30m1h", 4 },
		{ "1ms1s", 4 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *reason = NULL;
		size_t bad = 99;
		int64_t ms = -1;

		assert_int_equal(clk_parse_duration(cases[i].text, &ms, &bad,
		    &reason), WK_ERR_INVALID);
		assert_int_equal(bad, cases[i].bad);
		assert_non_null(reason);
		assert_int_equal(ms, -1);
	}
}

static void
duration_overflow(void **state)
{
	const char *reason = NULL;
	size_t bad = 99;
	int64_t ms = -1;

	(void)state;
	/* Fits in int64 as a number, but not once multiplied by the unit. */
	assert_int_equal(clk_parse_duration("9223372036854775w", &ms, &bad,
	    &reason), WK_ERR_INVALID);
	assert_int_equal(ms, -1);
	/* The sum of two parts passes INT64_MAX milliseconds. */
	assert_int_equal(clk_parse_duration("106751991167d30000s", &ms, &bad,
	    &reason), WK_ERR_INVALID);
	assert_string_equal(reason, "duration too large");
	assert_int_equal(ms, -1);
	/* INT64_MAX itself has too many digits for the parser's guard. */
	assert_int_equal(clk_parse_duration("9223372036854775807ms", &ms, &bad,
	    &reason), WK_ERR_INVALID);
}

static void
date_parse_known_days(void **state)
{
	/* Day numbers from Python's datetime.date(y, m, d) - date(1970, 1, 1). */
	static const struct {
		const char *text;
		int64_t days;
	} cases[] = {
		{ "1970-01-01", 0 },
		{ "1969-12-31", -1 },
		{ "2018-11-20", 17855 },
		{ "1997-09-30", 10134 },
		{ "2000-02-29", 11016 },
		{ "2024-02-29", 19782 },
		{ "1600-03-01", -135080 },
		{ "9999-12-31", 2932896 },
		{ "0001-01-01", -719162 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t days = 12345;

		assert_int_equal(clk_parse_date(cases[i].text, &days), WK_OK);
		assert_int_equal(days, cases[i].days);
	}
}

static void
date_leap_years(void **state)
{
	int64_t days;

	(void)state;
	assert_int_equal(clk_parse_date("2024-02-29", &days), WK_OK);
	assert_int_equal(clk_parse_date("2000-02-29", &days), WK_OK);
	assert_int_equal(clk_parse_date("1600-02-29", &days), WK_OK);
	assert_int_equal(clk_parse_date("2023-02-29", &days), WK_ERR_INVALID);
	assert_int_equal(clk_parse_date("1900-02-29", &days), WK_ERR_INVALID);
	assert_int_equal(clk_parse_date("2100-02-29", &days), WK_ERR_INVALID);
	assert_int_equal(clk_parse_date("2024-02-30", &days), WK_ERR_INVALID);
}

static void
date_invalid_forms(void **state)
{
	static const char *const cases[] = {
		"", "2018", "2018-11", "2018-1-20", "2018-11-2", "20181120",
		"2018-11-20x", " 2018-11-20", "2018/11/20", "2018-13-01",
		"2018-00-10", "2018-11-00", "2018-04-31", "2018-11-31",
		"2018-1a-20", "+018-11-20", "-018-11-20", "2018-11- 1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t days = 12345;

		assert_int_equal(clk_parse_date(cases[i], &days), WK_ERR_INVALID);
		assert_int_equal(days, 12345);
	}
}

static void
date_format_round_trip(void **state)
{
	int64_t first = clk_days_from_civil(1, 1, 1);
	int64_t last = clk_days_from_civil(9999, 12, 31);
	int64_t d;

	(void)state;
	for (d = first; d <= last; d += 97) {
		char text[32];
		int64_t back = 0;

		clk_format_date(text, sizeof text, d);
		assert_int_equal(strlen(text), 10);
		assert_int_equal(clk_parse_date(text, &back), WK_OK);
		assert_int_equal(back, d);
	}
}

static void
date_format_known(void **state)
{
	char text[32];

	(void)state;
	clk_format_date(text, sizeof text, 0);
	assert_string_equal(text, "1970-01-01");
	clk_format_date(text, sizeof text, 17855);
	assert_string_equal(text, "2018-11-20");
	clk_format_date(text, sizeof text, 11016);
	assert_string_equal(text, "2000-02-29");
	clk_format_date(text, sizeof text, -1);
	assert_string_equal(text, "1969-12-31");
}

static void
duration_format(void **state)
{
	char text[32];

	(void)state;
	clk_format_duration(text, sizeof text, 850);
	assert_string_equal(text, "850 ms");
	clk_format_duration(text, sizeof text, 245000);
	assert_string_equal(text, "4m05s");
	clk_format_duration(text, sizeof text, 7800000);
	assert_string_equal(text, "2h10m");
	clk_format_duration(text, sizeof text, 3 * 86400000 + 4 * 3600000);
	assert_string_equal(text, "3d4h");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duration_valid_forms),
		cmocka_unit_test(duration_invalid_forms),
		cmocka_unit_test(duration_overflow),
		cmocka_unit_test(date_parse_known_days),
		cmocka_unit_test(date_leap_years),
		cmocka_unit_test(date_invalid_forms),
		cmocka_unit_test(date_format_round_trip),
		cmocka_unit_test(date_format_known),
		cmocka_unit_test(duration_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
