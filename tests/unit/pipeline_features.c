/*
 * Features and labels of a tiny hand-made log, with every value worked
 * out by hand in the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "pipeline/features.h"

#define DAY CLK_MS_PER_DAY
#define HOUR (DAY / 24)

/* Cutoff day 100, 30-day windows, 10-day horizon; names 0 and 1 counted. */
static const uint32_t name_column[] = { 0, 1, FEAT_NO_COLUMN };

static struct feat_params
params(void)
{
	struct feat_params p = {
		.cutoff_day = 100,
		.split_ms = 101 * DAY,
		.horizon_ms = 10 * DAY,
		.window_ms = 30 * DAY,
		.name_column = name_column,
		.n_top = 2,
	};

	return p;
}

static struct evfile_record
rec(int64_t time_ms, double value, uint32_t name)
{
	struct evfile_record r = { time_ms, value, 0, name };

	return r;
}

static void
test_features_hand_computed(void **state)
{
	/*
	 * Observed: days 10 (two events), 60, 80, 95, values 5 3 10 2 4.
	 * Day 105 is after the cutoff, inside the horizon (days 101..110).
	 */
	const struct evfile_record r[] = {
		rec(10 * DAY + 1 * HOUR, 5.0, 0),
		rec(10 * DAY + 9 * HOUR, 3.0, 1),
		rec(60 * DAY, 10.0, 0),
		rec(80 * DAY, 2.0, 2),
		rec(95 * DAY + 23 * HOUR, 4.0, 0),
		rec(105 * DAY, 1.0, 1),
	};
	struct feat_params p = params();
	double v[FEAT_BASE_COUNT + 2];
	int churned = -1;

	(void)state;
	assert_int_equal(feat_compute(&p, r, 6, v, &churned), 5);
	assert_int_equal(churned, 0);
	assert_float_equal(v[FEAT_RECENCY_DAYS], 5.0, 0.0);    /* 100 - 95 */
	assert_float_equal(v[FEAT_FREQUENCY], 5.0, 0.0);
	assert_float_equal(v[FEAT_MONETARY], 24.0, 1e-12);     /* 5+3+10+2+4 */
	assert_float_equal(v[FEAT_ACTIVE_DAYS], 4.0, 0.0);     /* 10 60 80 95 */
	assert_float_equal(v[FEAT_TENURE_DAYS], 90.0, 0.0);    /* 100 - 10 */
	assert_float_equal(v[FEAT_MEAN_GAP_DAYS], 85.0 / 3.0, 1e-12);
	assert_float_equal(v[FEAT_MAX_GAP_DAYS], 50.0, 0.0);   /* 10 -> 60 */
	/* Recent window: days 71..100 hold days 80 and 95. */
	assert_float_equal(v[FEAT_RECENT_EVENTS], 2.0, 0.0);
	/* Previous window: days 41..70 hold day 60. */
	assert_float_equal(v[FEAT_PREVIOUS_EVENTS], 1.0, 0.0);
	assert_float_equal(v[FEAT_ACTIVITY_RATIO], 1.5, 1e-12); /* 3 / 2 */
	assert_float_equal(v[FEAT_AVG_VALUE], 4.8, 1e-12);      /* 24 / 5 */
	assert_float_equal(v[FEAT_EVENTS_PER_ACTIVE_DAY], 1.25, 1e-12);
	assert_float_equal(v[FEAT_RECENT_VALUE], 6.0, 1e-12);   /* 2 + 4 */
	assert_float_equal(v[FEAT_MAX_VALUE], 10.0, 0.0);
	/* Name 0 three times, name 1 once before the cutoff. */
	assert_float_equal(v[FEAT_BASE_COUNT + 0], 3.0, 0.0);
	assert_float_equal(v[FEAT_BASE_COUNT + 1], 1.0, 0.0);
}

static void
test_features_user_after_cutoff_has_no_row(void **state)
{
	const struct evfile_record r[] = { rec(101 * DAY, 1.0, 0) };
	struct feat_params p = params();
	double v[FEAT_BASE_COUNT + 2];
	int churned = -1;

	(void)state;
	assert_int_equal(feat_compute(&p, r, 1, v, &churned), 0);
	assert_int_equal(churned, -1);
}

static void
test_features_label_window_edges(void **state)
{
	/* Last millisecond of the cutoff day is observed; day 111 is not
	 * in the horizon [day 101, day 111). */
	const struct evfile_record late[] = {
		rec(101 * DAY - 1, 7.0, EVFILE_NO_NAME),
		rec(111 * DAY, 1.0, EVFILE_NO_NAME),
	};
	const struct evfile_record at_split[] = {
		rec(50 * DAY, 0.0, EVFILE_NO_NAME),
		rec(101 * DAY, 0.0, EVFILE_NO_NAME),
	};
	struct feat_params p = params();
	double v[FEAT_BASE_COUNT + 2];
	int churned = -1;

	(void)state;
	assert_int_equal(feat_compute(&p, late, 2, v, &churned), 1);
	assert_int_equal(churned, 1);
	assert_float_equal(v[FEAT_RECENCY_DAYS], 0.0, 0.0);
	assert_float_equal(v[FEAT_TENURE_DAYS], 0.0, 0.0);
	/* One active day: no gaps; no previous events: ratio (1+1)/(0+1). */
	assert_float_equal(v[FEAT_MEAN_GAP_DAYS], 0.0, 0.0);
	assert_float_equal(v[FEAT_MAX_GAP_DAYS], 0.0, 0.0);
	assert_float_equal(v[FEAT_ACTIVITY_RATIO], 2.0, 0.0);
	/* Events without a name add to no count column. */
	assert_float_equal(v[FEAT_BASE_COUNT + 0], 0.0, 0.0);

	assert_int_equal(feat_compute(&p, at_split, 2, v, &churned), 1);
	assert_int_equal(churned, 0);
	/* Day 50 lies in the previous window, days 41..70. */
	assert_float_equal(v[FEAT_RECENT_EVENTS], 0.0, 0.0);
	assert_float_equal(v[FEAT_PREVIOUS_EVENTS], 1.0, 0.0);
	assert_float_equal(v[FEAT_ACTIVITY_RATIO], 0.5, 0.0);
}

static void
test_features_negative_values(void **state)
{
	/* Refunds are negative values: max_value is the largest, not 0. */
	const struct evfile_record r[] = {
		rec(90 * DAY, -5.0, EVFILE_NO_NAME),
		rec(91 * DAY, -2.0, EVFILE_NO_NAME),
	};
	struct feat_params p = params();
	double v[FEAT_BASE_COUNT + 2];
	int churned;

	(void)state;
	assert_int_equal(feat_compute(&p, r, 2, v, &churned), 2);
	assert_float_equal(v[FEAT_MAX_VALUE], -2.0, 0.0);
	assert_float_equal(v[FEAT_MONETARY], -7.0, 0.0);
	assert_int_equal(churned, 1);
}

static void
test_features_churn_events(void **state)
{
	/* Name 2 marks churn. Horizon: days 101 to 110. */
	static const uint8_t churn_name[] = { 0, 0, 1 };
	const struct evfile_record churns[] = {
		rec(90 * DAY, 0.0, 0),
		rec(103 * DAY, 0.0, 1),
		rec(104 * DAY, 0.0, 2),
	};
	const struct evfile_record stays[] = {
		rec(90 * DAY, 0.0, 0),
		rec(111 * DAY, 0.0, 2),   /* after the horizon */
	};
	const struct evfile_record gone[] = {
		rec(80 * DAY, 0.0, 2),    /* churned before the cutoff */
		rec(90 * DAY, 0.0, 0),
	};
	struct feat_params p = params();
	double v[FEAT_BASE_COUNT + 2];
	int churned = -7;

	(void)state;
	p.churn_name = churn_name;
	/* Active in the horizon, but with a churn event there: churned. */
	assert_int_equal(feat_compute(&p, churns, 3, v, &churned), 1);
	assert_int_equal(churned, 1);
	/* Silent in the horizon, yet no churn event in it: not churned. */
	assert_int_equal(feat_compute(&p, stays, 2, v, &churned), 1);
	assert_int_equal(churned, 0);
	assert_int_equal(feat_compute(&p, gone, 2, v, &churned), 2);
	assert_int_equal(churned, FEAT_EXCLUDED);
}

static void
test_features_event_column_names(void **state)
{
	char out[32];

	(void)state;
	feat_event_column("NextSong", out, sizeof out);
	assert_string_equal(out, "event_nextsong");
	feat_event_column("Submit Downgrade", out, sizeof out);
	assert_string_equal(out, "event_submit_downgrade");
	feat_event_column("", out, sizeof out);
	assert_string_equal(out, "event_unnamed");
	feat_event_column("a,b\"c\xC3\xA9", out, sizeof out);
	assert_string_equal(out, "event_a_b_c__");
	feat_event_column("a-very-long-event-name-that-is-cut", out, 16);
	assert_string_equal(out, "event_a_very_lo");
}

static void
test_features_base_names(void **state)
{
	(void)state;
	assert_string_equal(feat_base_names[FEAT_RECENCY_DAYS], "recency_days");
	assert_string_equal(feat_base_names[FEAT_MAX_VALUE], "max_value");
}

/* The extended features of the same log as test_features_hand_computed. */
static void
test_features_extended(void **state)
{
	const struct evfile_record r[] = {
		rec(10 * DAY + 1 * HOUR, 5.0, 0),
		rec(10 * DAY + 9 * HOUR, 3.0, 1),
		rec(60 * DAY, 10.0, 0),
		rec(80 * DAY, 2.0, 2),
		rec(95 * DAY + 23 * HOUR, 4.0, 0),
		rec(105 * DAY, 1.0, 1),
	};
	struct feat_params p = params();
	double v[FEAT_BASE_COUNT + FEAT_EXTRA_COUNT + 2];
	const double *x = v + FEAT_BASE_COUNT;
	int churned = -1;

	(void)state;
	p.n_extra = FEAT_EXTRA_COUNT;
	assert_int_equal(feat_compute(&p, r, 6, v, &churned), 5);
	assert_float_equal(v[FEAT_MONETARY], 24.0, 1e-12);
	assert_float_equal(x[FEAT_MIN_VALUE], 2.0, 0.0);
	/* Values 5 3 10 2 4: mean 4.8, squares' mean 154 / 5 = 30.8. */
	assert_float_equal(x[FEAT_VALUE_STD], sqrt(30.8 - 4.8 * 4.8), 1e-12);
	assert_float_equal(x[FEAT_FIRST_VALUE], 5.0, 0.0);
	assert_float_equal(x[FEAT_LAST_VALUE], 4.0, 0.0);
	/* Split is day 101: 7 days back is day 94, so day 95 only. */
	assert_float_equal(x[FEAT_EVENTS_7D], 1.0, 0.0);
	/* 90 days back is day 11: days 60, 80 and 95. */
	assert_float_equal(x[FEAT_EVENTS_90D], 3.0, 0.0);
	assert_float_equal(x[FEAT_EVENTS_365D], 5.0, 0.0);
	assert_float_equal(x[FEAT_VALUE_90D], 16.0, 1e-12);
	assert_float_equal(x[FEAT_VALUE_365D], 24.0, 1e-12);
	assert_float_equal(x[FEAT_ACTIVE_DAYS_90D], 3.0, 0.0);
	/* Gaps between active days 10 60 80 95: 50, 20, 15. */
	assert_float_equal(x[FEAT_LAST_GAP_DAYS], 15.0, 0.0);
	assert_float_equal(x[FEAT_MIN_GAP_DAYS], 15.0, 0.0);
	assert_float_equal(x[FEAT_GAP_STD_DAYS],
	    sqrt((50.0 * 50 + 20 * 20 + 15 * 15) / 3.0 -
	    (85.0 / 3) * (85.0 / 3)), 1e-9);
	assert_float_equal(x[FEAT_RECENCY_SHARE], 5.0 / 91.0, 1e-12);
	assert_float_equal(x[FEAT_ACTIVE_SHARE], 4.0 / 91.0, 1e-12);
	assert_float_equal(x[FEAT_EVENTS_PER_WEEK], 35.0 / 91.0, 1e-12);
	/* The event counts follow the extended features. */
	assert_float_equal(v[FEAT_BASE_COUNT + FEAT_EXTRA_COUNT], 3.0, 0.0);
	assert_float_equal(v[FEAT_BASE_COUNT + FEAT_EXTRA_COUNT + 1], 1.0, 0.0);
	assert_string_equal(feat_extra_names[FEAT_EVENTS_PER_WEEK],
	    "events_per_week");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_extended),
		cmocka_unit_test(test_features_hand_computed),
		cmocka_unit_test(test_features_user_after_cutoff_has_no_row),
		cmocka_unit_test(test_features_label_window_edges),
		cmocka_unit_test(test_features_negative_values),
		cmocka_unit_test(test_features_churn_events),
		cmocka_unit_test(test_features_event_column_names),
		cmocka_unit_test(test_features_base_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
