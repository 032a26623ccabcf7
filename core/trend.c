#include "trend.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"

/* Seed of the pair sample: fixed, so that one input gives one fit. */
#define TREND_SAMPLE_SEED UINT64_C(0x7472656e64536565)
/* Draws per wanted pair before a sample stops looking for distinct x. */
#define TREND_SAMPLE_TRIES 4

/* The state of a splitmix64 generator. */
struct trend_rng {
	uint64_t state;  /* advanced by a fixed odd constant per draw */
};

static uint64_t
trend_rng_next(struct trend_rng *rng)
{
	uint64_t z = rng->state += UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
trend_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Returns the median of v[0..n-1] (n > 0), sorting v. */
static double
trend_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, trend_compare);
	if (n % 2 == 1)
		return v[n / 2];
	return v[n / 2 - 1] / 2 + v[n / 2] / 2;
}

/* Clears out and checks the input; WK_OK means the values may be fitted. */
static int
trend_check(const double *x, const double *y, size_t n,
	    struct trend_fit *out)
{
	size_t i;

	memset(out, 0, sizeof *out);
	if (n > TREND_POINTS_MAX)
		return WK_ERR_LIMIT;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			return WK_ERR_INVALID;
	}
	return WK_OK;
}

/*
 * Stores the slope between points i and j in slopes[*m] when the x differ.
 * A slope may be infinite when a difference overflows, and is left out
 * when both do (infinity over infinity is NaN).
 */
static void
trend_add_slope(const double *x, const double *y, size_t i, size_t j,
		double *slopes, size_t *m)
{
	double slope;

	if (x[i] == x[j])
		return;
	slope = (y[j] - y[i]) / (x[j] - x[i]);
	if (!isnan(slope))
		slopes[(*m)++] = slope;
}

/* Fills slopes[] with every pairwise slope of distinct x; returns the count. */
static size_t
trend_all_slopes(const double *x, const double *y, size_t n, double *slopes)
{
	size_t i, j, m = 0;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++)
			trend_add_slope(x, y, i, j, slopes, &m);
	}
	return m;
}

/* Fills slopes[] with up to TREND_PAIRS_MAX slopes of random pairs. */
static size_t
trend_sample_slopes(const double *x, const double *y, size_t n,
		    double *slopes)
{
	struct trend_rng rng = { TREND_SAMPLE_SEED };
	size_t tries, m = 0;

	for (tries = 0; tries < TREND_SAMPLE_TRIES * TREND_PAIRS_MAX &&
	    m < TREND_PAIRS_MAX; tries++) {
		size_t i = (size_t)(trend_rng_next(&rng) % n);
		size_t j = (size_t)(trend_rng_next(&rng) % n);

		trend_add_slope(x, y, i, j, slopes, &m);
	}
	return m;
}

/* Clears out and returns WK_ERR_INVALID, for values too large to fit. */
static int
trend_overflow(struct trend_fit *out)
{
	memset(out, 0, sizeof *out);
	return WK_ERR_INVALID;
}

/*
 * Sets the intercept to the median of y - slope * x and mad to the median
 * absolute residual; work has n entries. Each step checks that its input
 * is finite, so that no NaN reaches qsort().
 */
static int
trend_finish(const double *x, const double *y, size_t n, double *work,
	     struct trend_fit *out)
{
	size_t i;

	if (!isfinite(out->slope))
		return trend_overflow(out);
	for (i = 0; i < n; i++)
		work[i] = y[i] - out->slope * x[i];
	out->intercept = trend_median(work, n);
	if (!isfinite(out->intercept))
		return trend_overflow(out);

	for (i = 0; i < n; i++)
		work[i] = fabs(y[i] - (out->intercept + out->slope * x[i]));
	out->mad = trend_median(work, n);
	if (!isfinite(out->mad))
		return trend_overflow(out);
	out->n = n;
	out->ok = 1;
	return WK_OK;
}

int
trend_theil_sen(const double *x, const double *y, size_t n,
		struct trend_fit *out)
{
	uint64_t all_pairs = (uint64_t)n * (n > 0 ? n - 1 : 0) / 2;
	size_t cap = all_pairs <= TREND_PAIRS_MAX ? (size_t)all_pairs :
	    TREND_PAIRS_MAX;
	double *slopes = NULL, *work = NULL;
	int rc;

	rc = trend_check(x, y, n, out);
	if (rc != WK_OK || n < TREND_MIN_FIT)
		return rc;

	slopes = malloc(cap * sizeof *slopes);
	work = malloc(n * sizeof *work);
	if (slopes == NULL || work == NULL) {
		rc = WK_ERR_NOMEM;
		goto out;
	}
	out->sampled = all_pairs > TREND_PAIRS_MAX;
	out->pairs = out->sampled ? trend_sample_slopes(x, y, n, slopes) :
	    trend_all_slopes(x, y, n, slopes);
	if (out->pairs == 0) {
		memset(out, 0, sizeof *out);
		goto out;
	}

	out->slope = trend_median(slopes, out->pairs);
	rc = trend_finish(x, y, n, work, out);

out:
	free(slopes);
	free(work);
	return rc;
}

int
trend_least_squares(const double *x, const double *y, size_t n,
		    struct trend_fit *out)
{
	double mean_x = 0, mean_y = 0, sxx = 0, sxy = 0, *work;
	size_t i;
	int rc;

	rc = trend_check(x, y, n, out);
	if (rc != WK_OK || n < TREND_MIN_FIT)
		return rc;

	for (i = 0; i < n; i++) {
		mean_x += x[i] / (double)n;
		mean_y += y[i] / (double)n;
	}
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mean_x) * (x[i] - mean_x);
		sxy += (x[i] - mean_x) * (y[i] - mean_y);
	}
	if (!(sxx > 0))
		return WK_OK;

	work = malloc(n * sizeof *work);
	if (work == NULL)
		return WK_ERR_NOMEM;
	out->slope = sxy / sxx;
	out->pairs = n;
	rc = trend_finish(x, y, n, work, out);
	free(work);
	return rc;
}

double
trend_predict(const struct trend_fit *fit, double x)
{
	double y;

	if (!fit->ok || !isfinite(x))
		return 0;
	y = fit->intercept + fit->slope * x;
	return isfinite(y) ? y : 0;
}

int
trend_reach(const struct trend_fit *fit, double limit, double *x_at)
{
	double x;

	if (!fit->ok || fit->n < TREND_MIN_FORECAST || !(fit->slope > 0) ||
	    !isfinite(limit))
		return 0;

	x = (limit - fit->intercept) / fit->slope;
	if (!isfinite(x))
		return 0;
	*x_at = x;
	return 1;
}

enum trend_outlook
trend_forecast(const struct trend_fit *fit, double limit, double x_now,
	       double *x_at)
{
	double now_y, x;

	if (!fit->ok || fit->n < TREND_MIN_FORECAST || !isfinite(limit) ||
	    !isfinite(x_now))
		return TREND_UNKNOWN;
	now_y = fit->intercept + fit->slope * x_now;
	if (!isfinite(now_y))
		return TREND_UNKNOWN;

	if (now_y >= limit)
		return TREND_ALREADY;
	if (!trend_reach(fit, limit, &x))
		return TREND_NEVER;
	/* Rounding can put the crossing a hair before x_now. */
	if (x <= x_now)
		return TREND_ALREADY;
	*x_at = x;
	return TREND_AT;
}
