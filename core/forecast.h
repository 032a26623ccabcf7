/*
 * Growth forecasts: how a stage's duration (and a run's) trends over the
 * days, and when, at that pace, it passes the stage's timeout or the
 * pipeline's deadline.
 *
 * Durations of succeeded attempts of the last days (at least three days
 * of them, else no forecast) are fitted against their end date with
 * the Theil-Sen estimator (median of pairwise slopes), which a few slow
 * outliers (a cold cache, a noisy neighbour) barely move. Where the stage
 * declares inputs, duration is also fitted against input size and input
 * size against date, and their product gives a second estimate.
 */
#ifndef WK_FORECAST_H
#define WK_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/store.h"
#include "core/trend.h"

#define FORECAST_WINDOW_DAYS 90   /* history used */
#define FORECAST_MAX_POINTS 1000  /* attempts used at most */

struct forecast {
	size_t n;                   /* succeeded attempts in the window */
	int ok;                     /* a line was fitted */
	double ms_per_day;          /* duration growth, ms a day */
	double now_ms;              /* fitted duration today */
	int64_t limit_ms;           /* the timeout or deadline budget, 0: none */
	enum trend_outlook outlook; /* against limit_ms */
	int64_t reach_at;           /* ms since epoch, for TREND_AT */
	int by_size_ok;             /* the input-size estimate exists */
	double ms_per_mib;          /* duration per MiB of input */
	double mib_per_day;         /* input growth */
	enum trend_outlook size_outlook; /* against limit_ms, by input size */
	int64_t size_reach_at;      /* ms since epoch, for TREND_AT */
};

/* Forecasts one stage against its timeout. */
int forecast_stage(struct store *store, const char *pipeline,
		   const struct cfg_stage *stage, int64_t now_ms,
		   struct forecast *out);

/*
 * Forecasts a pipeline's run duration against its deadline budget: the
 * time from its scheduled slot to its deadline (0 when it has no deadline
 * or no schedule).
 */
int forecast_run(struct store *store, const struct cfg_pipeline *pipeline,
		 int64_t now_ms, struct forecast *out);

/*
 * Fits points (x in days, y in ms) and forecasts against limit_ms from
 * now_day; fills the by-date fields of out. Exposed for tests.
 */
void forecast_fit(const double *days, const double *ms, size_t n,
		  double now_day, int64_t limit_ms, struct forecast *out);

#endif
