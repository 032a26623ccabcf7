/*
 * Unit tests of the growth forecast on stored histories with a known
 * slope, noise and outliers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/forecast.h"
#include "core/clock.h"
#include "core/store.h"
#include "store_tmp.h"

#define DAY_MS INT64_C(86400000)
#define T0 INT64_C(1767225600000)  /* 2026-01-01T00:00:00Z */

static struct store *store;
static uint64_t rng = 42;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int
setup(void **state)
{
	struct wk_err err;

	(void)state;
	if (store_tmp_setup("forecast", log_min_level) != 0)
		return -1;
	return store_open(db_path, STORE_READ_WRITE, &store, &err) == WK_OK ?
	    0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(store);
	return store_tmp_teardown();
}

/* Stores one succeeded run of pipeline/stage on day `day`. */
static void
add_run(const char *pipeline, const char *stage, int day, int64_t duration,
	double input_bytes)
{
	struct store_stage_run end;
	int64_t run, id, at = T0 + day * DAY_MS;

	assert_int_equal(store_run_insert(store, pipeline, "2026-01-01",
	    "schedule", at - duration, &run), WK_OK);
	assert_int_equal(store_stage_insert(store, run, stage, 1, "pending",
	    NULL, &id), WK_OK);
	memset(&end, 0, sizeof end);
	end.id = id;
	strcpy(end.state, STORE_STAGE_SUCCEEDED);
	end.ended_at = at;
	end.duration_ms = duration;
	end.user_cpu_ms = end.sys_cpu_ms = end.max_rss_kb = -1;
	assert_int_equal(store_stage_finish(store, &end), WK_OK);
	if (input_bytes >= 0)
		assert_int_equal(store_metric_set(store, id,
		    "watchkeep.input_bytes", input_bytes, at), WK_OK);
	assert_int_equal(store_run_finish(store, run, STORE_RUN_SUCCEEDED, at,
	    duration, NULL), WK_OK);
}

/*
 * 60 days growing 10 s a day from 60 s, with 5% noise and one run in five
 * an outlier three times as slow: the fit keeps the slope, and the 30 min
 * timeout is reached on day 174.
 */
static void
forecast_known_slope_with_outliers(void **state)
{
	struct cfg_stage stage;
	struct forecast f;
	int64_t reach_day;
	int day;

	(void)state;
	for (day = 0; day < 60; day++) {
		double ms = 60000 + 10000.0 * day;

		ms *= 0.95 + 0.1 * uniform();
		if (day % 5 == 3)
			ms *= 3;
		add_run("grow", "train", day, (int64_t)ms, 1048576.0 *
		    (100 + 2 * day));
	}
	memset(&stage, 0, sizeof stage);
	stage.name = "train";
	stage.timeout_ms = 30 * 60000;
	assert_int_equal(forecast_stage(store, "grow", &stage, T0 + 60 * DAY_MS,
	    &f), WK_OK);
	assert_true(f.ok);
	assert_int_equal(f.n, 60);
	assert_true(f.ms_per_day > 9000 && f.ms_per_day < 11000);
	assert_int_equal(f.outlook, TREND_AT);
	reach_day = (f.reach_at - T0) / DAY_MS;
	assert_true(reach_day >= 164 && reach_day <= 184);

	/* Input grows 2 MiB a day; duration per MiB is 5 s. */
	assert_true(f.by_size_ok);
	assert_true(f.mib_per_day > 1.9 && f.mib_per_day < 2.1);
	assert_int_equal(f.size_outlook, TREND_AT);
	reach_day = (f.size_reach_at - T0) / DAY_MS;
	assert_true(reach_day >= 150 && reach_day <= 200);
}

static void
forecast_flat_never(void **state)
{
	struct cfg_stage stage;
	struct forecast f;
	int day;

	(void)state;
	for (day = 0; day < 20; day++)
		add_run("flat", "a", day, 30000 + (day % 3) * 100, -1);
	memset(&stage, 0, sizeof stage);
	stage.name = "a";
	stage.timeout_ms = 60000;
	assert_int_equal(forecast_stage(store, "flat", &stage, T0 + 20 * DAY_MS,
	    &f), WK_OK);
	assert_true(f.ok);
	assert_int_equal(f.outlook, TREND_NEVER);
	assert_false(f.by_size_ok);
}

static void
forecast_already_past(void **state)
{
	struct cfg_stage stage;
	struct forecast f;
	int day;

	(void)state;
	for (day = 0; day < 10; day++)
		add_run("late", "a", day, 50000 + 2000 * day, -1);
	memset(&stage, 0, sizeof stage);
	stage.name = "a";
	stage.timeout_ms = 60000;
	assert_int_equal(forecast_stage(store, "late", &stage, T0 + 10 * DAY_MS,
	    &f), WK_OK);
	assert_int_equal(f.outlook, TREND_ALREADY);
}

static void
forecast_few_points_unknown(void **state)
{
	struct cfg_stage stage;
	struct forecast f;

	(void)state;
	add_run("young", "a", 0, 1000, -1);
	add_run("young", "a", 1, 2000, -1);
	memset(&stage, 0, sizeof stage);
	stage.name = "a";
	stage.timeout_ms = 60000;
	assert_int_equal(forecast_stage(store, "young", &stage, T0 + 2 * DAY_MS,
	    &f), WK_OK);
	assert_false(f.ok);
	assert_int_equal(f.outlook, TREND_UNKNOWN);
	assert_int_equal(f.n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forecast_known_slope_with_outliers),
		cmocka_unit_test(forecast_flat_never),
		cmocka_unit_test(forecast_already_past),
		cmocka_unit_test(forecast_few_points_unknown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
