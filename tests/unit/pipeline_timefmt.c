/*
 * Event time parsing: each format, its edge cases and invalid texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "pipeline/timefmt.h"

/* 2018-11-01T20:57:10.796Z, from the first Sparkify row. */
#define SPARKIFY_TS INT64_C(1541105830796)

static int64_t
parse(enum timefmt fmt, const char *text)
{
	int64_t ms = INT64_MIN;

	assert_int_equal(timefmt_parse(fmt, text, strlen(text), &ms), WK_OK);
	return ms;
}

static void
expect_invalid(enum timefmt fmt, const char *text)
{
	int64_t ms = 12345;

	assert_int_equal(timefmt_parse(fmt, text, strlen(text), &ms),
	    WK_ERR_INVALID);
	assert_int_equal(ms, 12345);
}

static void
test_timefmt_names(void **state)
{
	enum timefmt fmt;

	(void)state;
	assert_int_equal(timefmt_from_name("yyyymmdd", &fmt), WK_OK);
	assert_int_equal(fmt, TIMEFMT_YYYYMMDD);
	assert_int_equal(timefmt_from_name("iso8601", &fmt), WK_OK);
	assert_int_equal(fmt, TIMEFMT_ISO8601);
	assert_int_equal(timefmt_from_name("epoch", &fmt), WK_ERR_INVALID);
	assert_string_equal(timefmt_name(TIMEFMT_EPOCH_S), "epoch_s");
}

static void
test_timefmt_yyyymmdd(void **state)
{
	(void)state;
	assert_int_equal(parse(TIMEFMT_YYYYMMDD, "19700101"), 0);
	/* 1997-01-01 is day 9862 of the Unix epoch. */
	assert_int_equal(parse(TIMEFMT_YYYYMMDD, "19970101"),
	    INT64_C(9862) * CLK_MS_PER_DAY);
	assert_int_equal(parse(TIMEFMT_YYYYMMDD, "20000229"),
	    clk_days_from_civil(2000, 2, 29) * CLK_MS_PER_DAY);
	expect_invalid(TIMEFMT_YYYYMMDD, "19990229");   /* not a leap year */
	expect_invalid(TIMEFMT_YYYYMMDD, "19971301");
	expect_invalid(TIMEFMT_YYYYMMDD, "19970100");
	expect_invalid(TIMEFMT_YYYYMMDD, "1997-01-01");
	expect_invalid(TIMEFMT_YYYYMMDD, "1997010");
	expect_invalid(TIMEFMT_YYYYMMDD, "199701011");
	expect_invalid(TIMEFMT_YYYYMMDD, "00000101");    /* year 0 */
	expect_invalid(TIMEFMT_YYYYMMDD, "");
}

static void
test_timefmt_epoch_ms(void **state)
{
	(void)state;
	assert_int_equal(parse(TIMEFMT_EPOCH_MS, "1541105830796"), SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_EPOCH_MS, "1541105830796.0"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_EPOCH_MS, "1541105830796.9"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_EPOCH_MS, "0"), 0);
	/* A fraction is cut toward the past, also before 1970. */
	assert_int_equal(parse(TIMEFMT_EPOCH_MS, "-1.5"), -2);
	assert_int_equal(parse(TIMEFMT_EPOCH_MS, "-2.0"), -2);
	expect_invalid(TIMEFMT_EPOCH_MS, "");
	expect_invalid(TIMEFMT_EPOCH_MS, "-");
	expect_invalid(TIMEFMT_EPOCH_MS, "12a");
	expect_invalid(TIMEFMT_EPOCH_MS, " 12");
	expect_invalid(TIMEFMT_EPOCH_MS, "1e12");
	expect_invalid(TIMEFMT_EPOCH_MS, "99999999999999999999999");
	/* Year 10000 is out of range. */
	expect_invalid(TIMEFMT_EPOCH_MS, "253402300800000");
}

static void
test_timefmt_epoch_s(void **state)
{
	(void)state;
	assert_int_equal(parse(TIMEFMT_EPOCH_S, "1541105830"),
	    SPARKIFY_TS - 796);
	assert_int_equal(parse(TIMEFMT_EPOCH_S, "1541105830.796"), SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_EPOCH_S, "1541105830.7969"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_EPOCH_S, "-0.5"), -500);
	expect_invalid(TIMEFMT_EPOCH_S, "1541105830,5");
	expect_invalid(TIMEFMT_EPOCH_S, "+1");
}

static void
test_timefmt_iso8601(void **state)
{
	(void)state;
	assert_int_equal(parse(TIMEFMT_ISO8601, "2018-11-01T20:57:10.796Z"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_ISO8601, "2018-11-01 20:57:10.796"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_ISO8601,
	    "2018-11-01T21:57:10.796123+01:00"), SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_ISO8601, "2018-11-01T15:27:10.796-0530"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_ISO8601, "2018-11-01T22:57:10.796+02"),
	    SPARKIFY_TS);
	assert_int_equal(parse(TIMEFMT_ISO8601, "1970-01-01"), 0);
	assert_int_equal(parse(TIMEFMT_ISO8601, "1970-01-01T00:01"), 60000);
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T24:00:00Z");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T20:60:00Z");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-31");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T20:57:10.Z");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T20:57:10Zjunk");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T20");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T20:57+01:");
	expect_invalid(TIMEFMT_ISO8601, "20181101");
	expect_invalid(TIMEFMT_ISO8601, "2018-11-01T20:57:10.1234567890Z");
}

static void
test_timefmt_numbers(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(timefmt_from_number(TIMEFMT_EPOCH_MS,
	    1541105830796.0, &ms), WK_OK);
	assert_int_equal(ms, SPARKIFY_TS);
	/* 1541105830.796 is stored as ...830.7959998: it must not lose 1 ms. */
	assert_int_equal(timefmt_from_number(TIMEFMT_EPOCH_S, 1541105830.796,
	    &ms), WK_OK);
	assert_int_equal(ms, SPARKIFY_TS);
	assert_int_equal(timefmt_from_number(TIMEFMT_EPOCH_MS, NAN, &ms),
	    WK_ERR_INVALID);
	assert_int_equal(timefmt_from_number(TIMEFMT_EPOCH_MS, 1e300, &ms),
	    WK_ERR_INVALID);
	assert_int_equal(timefmt_from_number(TIMEFMT_YYYYMMDD, 19970101.0,
	    &ms), WK_ERR_INVALID);
}

static void
test_timefmt_day(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(timefmt_day(0), 0);
	assert_int_equal(timefmt_day(CLK_MS_PER_DAY - 1), 0);
	assert_int_equal(timefmt_day(-1), -1);
	assert_int_equal(timefmt_day(-CLK_MS_PER_DAY), -1);
	timefmt_format_day(out, sizeof out, SPARKIFY_TS);
	assert_string_equal(out, "2018-11-01");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timefmt_names),
		cmocka_unit_test(test_timefmt_yyyymmdd),
		cmocka_unit_test(test_timefmt_epoch_ms),
		cmocka_unit_test(test_timefmt_epoch_s),
		cmocka_unit_test(test_timefmt_iso8601),
		cmocka_unit_test(test_timefmt_numbers),
		cmocka_unit_test(test_timefmt_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
