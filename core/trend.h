/*
 * Robust straight-line fits of a series (a stage's duration per run, a
 * table's size per day) and the forecast of when the line reaches a limit.
 *
 * The Theil-Sen estimator takes the median of the slopes between pairs of
 * points. Its breakdown point is 1 - 1/sqrt(2), about 29%: that share of
 * the points may be arbitrary outliers before the slope can move without
 * bound. Inputs with NaN or infinities are rejected,
 * and no output is NaN or infinite.
 */
#ifndef WK_TREND_H
#define WK_TREND_H

#include <stddef.h>

/* Fewer points than this give no fit (ok = 0). */
#define TREND_MIN_FIT 3
/* Fewer points than this give no forecast, though the fit is made. */
#define TREND_MIN_FORECAST 5
/*
 * Pairwise slopes a Theil-Sen fit computes. A series with at most this
 * many pairs (n up to 200) uses every pair. A longer one uses this many
 * pairs drawn by a fixed-seed generator, so one input always gives one fit.
 */
#define TREND_PAIRS_MAX 20000
/* Points accepted by a fit; more return WK_ERR_LIMIT. */
#define TREND_POINTS_MAX 1000000

/* A fitted line y = intercept + slope * x. */
struct trend_fit {
	int ok;            /* 1 when the line was fitted, else 0 and the rest 0 */
	double slope;      /* units of y per unit of x */
	double intercept;  /* y at x = 0 */
	double mad;        /* median absolute residual, units of y */
	size_t n;          /* points used */
	size_t pairs;      /* pairwise slopes whose median gave the slope */
	int sampled;       /* 1 when the pairs were a sample of all pairs */
};

/*
 * Fits x[0..n-1], y[0..n-1] with the Theil-Sen estimator: slope is the
 * median of the slopes of pairs with distinct x, intercept the median of
 * y - slope * x. Returns WK_OK with out->ok = 0 when n < TREND_MIN_FIT or
 * fewer than two x values differ; WK_ERR_INVALID when a value is NaN or
 * infinite; WK_ERR_LIMIT when n > TREND_POINTS_MAX; WK_ERR_NOMEM.
 */
int trend_theil_sen(const double *x, const double *y, size_t n,
		    struct trend_fit *out);

/*
 * Fits by ordinary least squares, for a variable that follows another
 * closely, such as duration and input size. mad is still the median
 * absolute residual. Returns as trend_theil_sen() does.
 */
int trend_least_squares(const double *x, const double *y, size_t n,
			struct trend_fit *out);

/* Returns intercept + slope * x, or 0 when the fit is not ok. */
double trend_predict(const struct trend_fit *fit, double x);

/*
 * Sets *x_at to the x at which intercept + slope * x reaches limit and
 * returns 1. Returns 0 (never) when the fit is not ok, has fewer than
 * TREND_MIN_FORECAST points, has a slope <= 0, or the x would not be a
 * finite number.
 */
int trend_reach(const struct trend_fit *fit, double limit, double *x_at);

/* The outcome of a forecast. */
enum trend_outlook {
	TREND_UNKNOWN,  /* too few points, or no fit */
	TREND_NEVER,    /* the line does not rise towards the limit */
	TREND_ALREADY,  /* the fitted value at x_now is at or above the limit */
	TREND_AT        /* the line reaches the limit at *x_at, after x_now */
};

/*
 * Forecasts when the fitted line, read at x_now ("now"), reaches limit.
 * Sets *x_at only for TREND_AT.
 */
enum trend_outlook trend_forecast(const struct trend_fit *fit, double limit,
				  double x_now, double *x_at);

#endif
