#include "core/forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/cron.h"
#include "core/tz.h"

#define FORECAST_MS_PER_DAY 86400000.0
#define FORECAST_MIN_SPAN_DAYS 3.0   /* history a slope per day needs */

void
forecast_fit(const double *days, const double *ms, size_t n, double now_day,
	     int64_t limit_ms, struct forecast *out)
{
	struct trend_fit fit;
	double at = 0;

	out->n = n;
	out->limit_ms = limit_ms;
	out->outlook = TREND_UNKNOWN;
	/* Runs minutes apart say nothing about a slope per day. */
	if (n < 2 || days[n - 1] - days[0] < FORECAST_MIN_SPAN_DAYS)
		return;
	if (trend_theil_sen(days, ms, n, &fit) != WK_OK || !fit.ok)
		return;
	out->ok = 1;
	out->ms_per_day = fit.slope;
	out->now_ms = trend_predict(&fit, now_day);
	if (limit_ms <= 0 || n < TREND_MIN_FORECAST)
		return;
	out->outlook = trend_forecast(&fit, (double)limit_ms, now_day, &at);
	if (out->outlook == TREND_AT)
		out->reach_at = (int64_t)(at * FORECAST_MS_PER_DAY);
}

/*
 * Second estimate: duration against input size, input size against date;
 * where the composed line reaches the limit.
 */
static void
forecast_by_size(const struct store_history *h, size_t n, double now_day,
		 struct forecast *out)
{
	double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
	double *d = calloc(n, sizeof *d);
	struct trend_fit dur, size;
	size_t i, k = 0;

	for (i = 0; x != NULL && y != NULL && d != NULL && i < n; i++) {
		if (h[i].input_bytes < 0)
			continue;
		x[k] = h[i].input_bytes / 1048576.0;
		y[k] = (double)h[i].duration_ms;
		d[k] = (double)h[i].ended_at / FORECAST_MS_PER_DAY;
		k++;
	}
	if (k >= TREND_MIN_FORECAST &&
	    d[k - 1] - d[0] >= FORECAST_MIN_SPAN_DAYS &&
	    trend_theil_sen(x, y, k, &dur) == WK_OK && dur.ok &&
	    trend_theil_sen(d, x, k, &size) == WK_OK && size.ok) {
		struct trend_fit composed = dur;
		double at = 0;

		/* duration(day) = a + b * (c + e * day) */
		composed.intercept = dur.intercept + dur.slope * size.intercept;
		composed.slope = dur.slope * size.slope;
		out->by_size_ok = 1;
		out->ms_per_mib = dur.slope;
		out->mib_per_day = size.slope;
		if (out->limit_ms > 0) {
			out->size_outlook = trend_forecast(&composed,
			    (double)out->limit_ms, now_day, &at);
			if (out->size_outlook == TREND_AT)
				out->size_reach_at = (int64_t)(at *
				    FORECAST_MS_PER_DAY);
		}
	}
	free(x);
	free(y);
	free(d);
}

static int
forecast_points(const struct store_history *h, size_t n, double **days,
		double **ms)
{
	size_t i;

	*days = calloc(n + 1, sizeof **days);
	*ms = calloc(n + 1, sizeof **ms);
	if (*days == NULL || *ms == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		(*days)[i] = (double)h[i].ended_at / FORECAST_MS_PER_DAY;
		(*ms)[i] = (double)h[i].duration_ms;
	}
	return WK_OK;
}

int
forecast_stage(struct store *store, const char *pipeline,
	       const struct cfg_stage *stage, int64_t now_ms,
	       struct forecast *out)
{
	struct store_history *h = calloc(FORECAST_MAX_POINTS, sizeof *h);
	double *days = NULL, *ms = NULL, now_day;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (h == NULL)
		return WK_ERR_NOMEM;
	rc = store_stage_history(store, pipeline, stage->name, now_ms -
	    FORECAST_WINDOW_DAYS * (int64_t)FORECAST_MS_PER_DAY, h,
	    FORECAST_MAX_POINTS, &n);
	if (rc == WK_OK)
		rc = forecast_points(h, n, &days, &ms);
	now_day = (double)now_ms / FORECAST_MS_PER_DAY;
	if (rc == WK_OK) {
		forecast_fit(days, ms, n, now_day, stage->timeout_ms, out);
		forecast_by_size(h, n, now_day, out);
	}
	free(h);
	free(days);
	free(ms);
	return rc;
}

/* Minutes from a scheduled slot to the pipeline's deadline, or 0. */
static int64_t
forecast_budget_ms(const struct cfg_pipeline *p, int64_t now_ms)
{
	const char *reason = NULL;
	struct wk_err err = { 0, "" };
	struct tz_civil civil;
	struct tz *tz = NULL;
	struct cron cron;
	int64_t next, minutes;
	size_t bad;

	if (p->deadline_minute < 0 || p->schedule == NULL ||
	    cron_parse(p->schedule, &cron, &bad, &reason) != WK_OK ||
	    tz_load(p->time_zone, &tz, &err) != WK_OK)
		return 0;
	if (cron_next(&cron, tz, now_ms / 1000, &next) != WK_OK) {
		tz_free(tz);
		return 0;
	}
	tz_civil_at(tz, next, &civil);
	tz_free(tz);
	minutes = (p->deadline_minute - (civil.hour * 60 + civil.minute) +
	    1440) % 1440;
	return (minutes == 0 ? 1440 : minutes) * 60000;
}

int
forecast_run(struct store *store, const struct cfg_pipeline *p,
	     int64_t now_ms, struct forecast *out)
{
	struct store_history *h = calloc(FORECAST_MAX_POINTS, sizeof *h);
	double *days = NULL, *ms = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (h == NULL)
		return WK_ERR_NOMEM;
	rc = store_run_history(store, p->name, now_ms - FORECAST_WINDOW_DAYS *
	    (int64_t)FORECAST_MS_PER_DAY, h, FORECAST_MAX_POINTS, &n);
	if (rc == WK_OK)
		rc = forecast_points(h, n, &days, &ms);
	if (rc == WK_OK)
		forecast_fit(days, ms, n, (double)now_ms / FORECAST_MS_PER_DAY,
		    forecast_budget_ms(p, now_ms), out);
	free(h);
	free(days);
	free(ms);
	return rc;
}
