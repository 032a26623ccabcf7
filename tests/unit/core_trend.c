/*
 * Line fits and forecasts of core/trend.c on series with a known slope,
 * Gaussian noise from a seeded generator, and gross outliers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "core/rc.h"
#include "core/trend.h"

#define SERIES_MAX 4000  /* points of a test series */

/* splitmix64, seeded per test so every run uses the same series. */
struct test_rng {
	uint64_t state;  /* advanced per draw */
};

static uint64_t
rng_next(struct test_rng *rng)
{
	uint64_t z = rng->state += UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A uniform draw in (0, 1). */
static double
rng_uniform(struct test_rng *rng)
{
	return ((double)(rng_next(rng) >> 11) + 0.5) / 9007199254740992.0;
}

/* A standard normal draw (Box-Muller). */
static double
rng_normal(struct test_rng *rng)
{
	double u = rng_uniform(rng), v = rng_uniform(rng);

	return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

/* Fills y = intercept + slope * x + sigma * noise for x = 0..n-1. */
static void
make_series(double *x, double *y, size_t n, double intercept, double slope,
	    double sigma, uint64_t seed)
{
	struct test_rng rng = { seed };
	size_t i;

	for (i = 0; i < n; i++) {
		x[i] = (double)i;
		y[i] = intercept + slope * x[i] + sigma * rng_normal(&rng);
	}
}

/* Replaces share of the points, at random places, by y + 1000..5000. */
static size_t
add_outliers(double *y, size_t n, double share, uint64_t seed)
{
	struct test_rng rng = { seed };
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (rng_uniform(&rng) < share) {
			y[i] += 1000 + 4000 * rng_uniform(&rng);
			count++;
		}
	}
	return count;
}

static void
known_slope_with_noise(void **state)
{
	static double x[SERIES_MAX], y[SERIES_MAX];
	struct trend_fit fit;

	(void)state;
	make_series(x, y, 60, 100, 2.5, 1.0, 1);
	assert_int_equal(trend_theil_sen(x, y, 60, &fit), WK_OK);
	assert_int_equal(fit.ok, 1);
	assert_int_equal(fit.n, 60);
	assert_int_equal(fit.pairs, 60 * 59 / 2);
	assert_int_equal(fit.sampled, 0);
	assert_true(fabs(fit.slope - 2.5) < 0.05);
	assert_true(fabs(fit.intercept - 100) < 1.0);
	/* The median absolute value of N(0, 1) is about 0.674. */
	assert_true(fit.mad > 0.4);
	assert_true(fit.mad < 1.0);
}

/* 30% gross outliers barely move Theil-Sen but ruin least squares. */
static void
outliers_barely_move_slope(void **state)
{
	static double x[SERIES_MAX], y[SERIES_MAX];
	struct trend_fit robust, squares;
	size_t outliers;

	(void)state;
	make_series(x, y, 150, 100, 2.5, 1.0, 2);
	outliers = add_outliers(y, 150, 0.30, 3);
	assert_true(outliers >= 35);
	assert_true(outliers <= 55);

	assert_int_equal(trend_theil_sen(x, y, 150, &robust), WK_OK);
	assert_int_equal(robust.ok, 1);
	assert_true(fabs(robust.slope - 2.5) < 0.1);
	assert_true(fabs(robust.intercept - 100) < 10);

	assert_int_equal(trend_least_squares(x, y, 150, &squares), WK_OK);
	assert_int_equal(squares.ok, 1);
	assert_true(fabs(squares.slope - 2.5) > 1.0);
}

static void
flat_series_never_reaches(void **state)
{
	double x[20], y[20], x_at = -1;
	struct trend_fit fit;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++) {
		x[i] = (double)i;
		y[i] = 50;
	}
	assert_int_equal(trend_theil_sen(x, y, 20, &fit), WK_OK);
	assert_int_equal(fit.ok, 1);
	assert_true(fit.slope == 0);
	assert_true(fit.intercept == 50);
	assert_true(fit.mad == 0);
	assert_int_equal(trend_reach(&fit, 100, &x_at), 0);
	assert_true(x_at == -1);
	assert_int_equal(trend_forecast(&fit, 100, 19, &x_at), TREND_NEVER);
	assert_int_equal(trend_forecast(&fit, 40, 19, &x_at), TREND_ALREADY);
	assert_int_equal(trend_forecast(&fit, 50, 19, &x_at), TREND_ALREADY);
}

static void
decreasing_series_never_reaches(void **state)
{
	static double x[SERIES_MAX], y[SERIES_MAX];
	struct trend_fit fit;
	double x_at = -1;

	(void)state;
	make_series(x, y, 40, 100, -1.0, 0.5, 4);
	assert_int_equal(trend_theil_sen(x, y, 40, &fit), WK_OK);
	assert_true(fabs(fit.slope + 1.0) < 0.05);
	assert_int_equal(trend_reach(&fit, 200, &x_at), 0);
	assert_int_equal(trend_forecast(&fit, 200, 39, &x_at), TREND_NEVER);
	/* At x = 0 the fitted value, about 100, is past a limit of 90. */
	assert_int_equal(trend_forecast(&fit, 90, 0, &x_at), TREND_ALREADY);
	assert_true(x_at == -1);
}

static void
reach_exact_line(void **state)
{
	double x[8], y[8], x_at = -1;
	struct trend_fit fit;
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++) {
		x[i] = (double)i;
		y[i] = 10 + 2 * x[i];
	}
	assert_int_equal(trend_theil_sen(x, y, 8, &fit), WK_OK);
	assert_true(fit.slope == 2);
	assert_true(fit.intercept == 10);
	assert_int_equal(trend_reach(&fit, 30, &x_at), 1);
	assert_true(x_at == 10);
	assert_true(trend_predict(&fit, 10) == 30);

	x_at = -1;
	assert_int_equal(trend_forecast(&fit, 30, 5, &x_at), TREND_AT);
	assert_true(x_at == 10);
	assert_int_equal(trend_forecast(&fit, 30, 10, &x_at), TREND_ALREADY);
	assert_int_equal(trend_forecast(&fit, 30, 12, &x_at), TREND_ALREADY);
}

/* Fewer than 3 points give no fit, fewer than 5 no forecast. */
static void
tiny_series_guarded(void **state)
{
	double x[5] = { 0, 1, 2, 3, 4 }, y[5] = { 1, 3, 5, 7, 9 };
	double x_at = -1;
	struct trend_fit fit;
	size_t n;

	(void)state;
	for (n = 0; n < TREND_MIN_FIT; n++) {
		assert_int_equal(trend_theil_sen(x, y, n, &fit), WK_OK);
		assert_int_equal(fit.ok, 0);
		assert_true(fit.slope == 0);
		assert_int_equal(trend_least_squares(x, y, n, &fit), WK_OK);
		assert_int_equal(fit.ok, 0);
		assert_int_equal(trend_forecast(&fit, 20, 4, &x_at),
		    TREND_UNKNOWN);
		assert_true(trend_predict(&fit, 3) == 0);
	}
	for (n = TREND_MIN_FIT; n < TREND_MIN_FORECAST; n++) {
		assert_int_equal(trend_theil_sen(x, y, n, &fit), WK_OK);
		assert_int_equal(fit.ok, 1);
		assert_true(fit.slope == 2);
		assert_int_equal(trend_reach(&fit, 20, &x_at), 0);
		assert_int_equal(trend_forecast(&fit, 20, 1, &x_at),
		    TREND_UNKNOWN);
	}
	assert_int_equal(trend_theil_sen(x, y, 5, &fit), WK_OK);
	assert_int_equal(trend_reach(&fit, 21, &x_at), 1);
	assert_true(x_at == 10);
}

static void
equal_x_values(void **state)
{
	double same_x[6] = { 3, 3, 3, 3, 3, 3 }, y[6] = { 1, 2, 3, 4, 5, 6 };
	double tied_x[6] = { 0, 0, 1, 1, 2, 2 }, line_y[6] = { 0, 0, 2, 2, 4, 4 };
	struct trend_fit fit;

	(void)state;
	assert_int_equal(trend_theil_sen(same_x, y, 6, &fit), WK_OK);
	assert_int_equal(fit.ok, 0);
	assert_int_equal(trend_least_squares(same_x, y, 6, &fit), WK_OK);
	assert_int_equal(fit.ok, 0);

	assert_int_equal(trend_theil_sen(tied_x, line_y, 6, &fit), WK_OK);
	assert_int_equal(fit.ok, 1);
	assert_int_equal(fit.pairs, 12);
	assert_true(fit.slope == 2);
}

static void
invalid_values_rejected(void **state)
{
	double x[5] = { 0, 1, 2, 3, 4 }, y[5] = { 1, 2, 3, 4, 5 };
	struct trend_fit fit;

	(void)state;
	y[2] = NAN;
	assert_int_equal(trend_theil_sen(x, y, 5, &fit), WK_ERR_INVALID);
	assert_int_equal(fit.ok, 0);
	y[2] = INFINITY;
	assert_int_equal(trend_theil_sen(x, y, 5, &fit), WK_ERR_INVALID);
	assert_int_equal(trend_least_squares(x, y, 5, &fit), WK_ERR_INVALID);
	y[2] = 3;
	x[4] = -INFINITY;
	assert_int_equal(trend_theil_sen(x, y, 5, &fit), WK_ERR_INVALID);
	assert_int_equal(fit.ok, 0);

	/* The count is checked before any value is read. */
	assert_int_equal(trend_theil_sen(x, y, TREND_POINTS_MAX + 1, &fit),
	    WK_ERR_LIMIT);
	assert_int_equal(fit.ok, 0);
}

/* Values whose slopes overflow give an error, never NaN or infinity. */
static void
huge_values_stay_finite(void **state)
{
	double x[6] = { 0, 1e-300, 2e-300, 3e-300, 4e-300, 5e-300 };
	double y[6] = { 0, 1e300, -1e300, 1e300, 1e300, 1e300 };
	static const double wide_x[5] = { -1e308, 1e308, -1e308, 1e308, 0 };
	static const double wide_y[5] = { -1e308, 1e308, 1e308, -1e308, 0 };
	double x_at = 0;
	struct trend_fit fit;
	int rc;

	(void)state;
	rc = trend_theil_sen(x, y, 6, &fit);
	assert_true(rc == WK_OK || rc == WK_ERR_INVALID);
	assert_true(isfinite(fit.slope));
	assert_true(isfinite(fit.intercept));
	assert_true(isfinite(fit.mad));
	assert_int_equal(fit.ok, rc == WK_OK);

	/* Both differences overflow, so some slopes would be NaN. */
	memcpy(x, wide_x, sizeof wide_x);
	memcpy(y, wide_y, sizeof wide_y);
	for (rc = 0; rc < 2; rc++) {
		int fit_rc = rc == 0 ? trend_theil_sen(x, y, 5, &fit) :
		    trend_least_squares(x, y, 5, &fit);

		assert_true(fit_rc == WK_OK || fit_rc == WK_ERR_INVALID);
		assert_true(isfinite(fit.slope));
		assert_true(isfinite(fit.intercept));
		assert_true(isfinite(fit.mad));
		assert_int_equal(fit.ok, fit_rc == WK_OK);
	}

	make_series(x, y, 6, 0, 1e-310, 0, 5);
	assert_int_equal(trend_theil_sen(x, y, 6, &fit), WK_OK);
	assert_int_equal(trend_reach(&fit, 1e308, &x_at), 0);
	assert_int_equal(trend_forecast(&fit, 1e308, 5, &x_at), TREND_NEVER);
	assert_int_equal(trend_forecast(&fit, 1, 1e308, &x_at), TREND_NEVER);
	assert_int_equal(trend_forecast(&fit, NAN, 5, &x_at), TREND_UNKNOWN);
}

/* Past TREND_PAIRS_MAX pairs the fit samples pairs, the same each time. */
static void
long_series_sampled(void **state)
{
	static double x[SERIES_MAX], y[SERIES_MAX];
	struct trend_fit first, again;

	(void)state;
	make_series(x, y, 3000, 20, 0.75, 2.0, 6);
	add_outliers(y, 3000, 0.20, 7);
	assert_int_equal(trend_theil_sen(x, y, 3000, &first), WK_OK);
	assert_int_equal(first.ok, 1);
	assert_int_equal(first.sampled, 1);
	assert_int_equal(first.pairs, TREND_PAIRS_MAX);
	assert_true(fabs(first.slope - 0.75) < 0.01);

	assert_int_equal(trend_theil_sen(x, y, 3000, &again), WK_OK);
	assert_true(again.slope == first.slope);
	assert_true(again.intercept == first.intercept);
	assert_true(again.mad == first.mad);
}

/* Duration against input size: least squares on a clean relation. */
static void
least_squares_duration_vs_size(void **state)
{
	double size[40], duration[40], x_at = 0;
	struct test_rng rng = { 8 };
	struct trend_fit fit;
	size_t i;

	(void)state;
	for (i = 0; i < 40; i++) {
		size[i] = 1e6 + 5e4 * (double)i;
		duration[i] = 12 + 3e-5 * size[i] + 0.5 * rng_normal(&rng);
	}
	assert_int_equal(trend_least_squares(size, duration, 40, &fit), WK_OK);
	assert_int_equal(fit.ok, 1);
	assert_int_equal(fit.n, 40);
	assert_true(fabs(fit.slope - 3e-5) < 1e-6);
	assert_true(fabs(fit.intercept - 12) < 2);
	assert_true(fit.mad < 1.0);

	/* A 600 s timeout is reached near 19.6 million rows. */
	assert_int_equal(trend_reach(&fit, 600, &x_at), 1);
	assert_true(fabs(x_at - 1.96e7) < 1e6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_slope_with_noise),
		cmocka_unit_test(outliers_barely_move_slope),
		cmocka_unit_test(flat_series_never_reaches),
		cmocka_unit_test(decreasing_series_never_reaches),
		cmocka_unit_test(reach_exact_line),
		cmocka_unit_test(tiny_series_guarded),
		cmocka_unit_test(equal_x_values),
		cmocka_unit_test(invalid_values_rejected),
		cmocka_unit_test(huge_values_stay_finite),
		cmocka_unit_test(long_series_sampled),
		cmocka_unit_test(least_squares_duration_vs_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
