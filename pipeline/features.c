#include "pipeline/features.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/timefmt.h"

const char *const feat_base_names[FEAT_BASE_COUNT] = {
	"recency_days", "frequency", "monetary", "active_days", "tenure_days",
	"mean_gap_days", "max_gap_days", "recent_events", "previous_events",
	"activity_ratio", "avg_value", "events_per_active_day", "recent_value",
	"max_value"
};

const char *const feat_extra_names[FEAT_EXTRA_COUNT] = {
	"min_value", "value_std", "first_value", "last_value", "events_7d",
	"events_90d", "events_365d", "value_90d", "value_365d",
	"active_days_90d", "last_gap_days", "min_gap_days", "gap_std_days",
	"recency_share", "active_share", "events_per_week"
};

/* Sums over the observed events of one user for the extended features. */
struct feat_extra_acc {
	double min_value;      /* smallest value */
	double value_mean;     /* running mean of the values (Welford) */
	double value_m2;       /* running sum of squared deviations */
	uint64_t events_7d;    /* events in [split - 7d, split) */
	uint64_t events_90d;   /* events in [split - 90d, split) */
	uint64_t events_365d;  /* events in [split - 365d, split) */
	double value_90d;      /* values in [split - 90d, split) */
	double value_365d;     /* values in [split - 365d, split) */
	uint64_t days_90d;     /* distinct days in [split - 90d, split) */
	int64_t last_gap;      /* days between the last two active days */
	int64_t min_gap;       /* minimum days between two active days */
	uint64_t gaps;         /* gaps seen */
	double gap_mean;       /* running mean of the gaps (Welford) */
	double gap_m2;         /* running sum of squared deviations */
};

/* Sums over the observed events of one user, before the ratios. */
struct feat_acc {
	int64_t first_day;   /* day of the first event */
	int64_t last_day;    /* day of the last event */
	uint64_t active;     /* distinct days */
	int64_t max_gap;     /* most days between two active days */
	uint64_t recent;     /* events in [split - window, split) */
	uint64_t previous;   /* events in [split - 2 window, split - window) */
	double monetary;     /* sum of values */
	double recent_value; /* sum of values in the recent window */
	double max_value;    /* largest value */
};

/* Adds x to the running mean and squared deviations after n values. */
static void
feat_welford(double x, uint64_t n, double *mean, double *m2)
{
	double delta = x - *mean;

	*mean += delta / (double)(n + 1);
	*m2 += delta * (x - *mean);
}

/* Adds one observed event, on day, to the extended sums. */
static void
feat_extra_event(const struct feat_params *p, const struct evfile_record *r,
		 size_t i, int64_t day, int64_t prev_day,
		 struct feat_extra_acc *x)
{
	const int64_t day_ms = INT64_C(86400000);
	int64_t age = p->split_ms - r->time_ms;

	x->min_value = i == 0 || r->value < x->min_value ? r->value :
	    x->min_value;
	feat_welford(r->value, i, &x->value_mean, &x->value_m2);
	x->events_7d += age <= 7 * day_ms;
	if (age <= 90 * day_ms) {
		x->events_90d++;
		x->value_90d += r->value;
		x->days_90d += i == 0 || day != prev_day;
	}
	if (age <= 365 * day_ms) {
		x->events_365d++;
		x->value_365d += r->value;
	}
	if (i == 0 || day == prev_day)
		return;
	x->last_gap = day - prev_day;
	x->min_gap = x->gaps == 0 || x->last_gap < x->min_gap ? x->last_gap :
	    x->min_gap;
	feat_welford((double)x->last_gap, x->gaps++, &x->gap_mean, &x->gap_m2);
}

/* Sums the extended features over the obs observed records. */
static void
feat_accumulate_extra(const struct feat_params *p,
		      const struct evfile_record *r, size_t obs,
		      struct feat_extra_acc *x)
{
	int64_t prev_day = 0;
	size_t i;

	memset(x, 0, sizeof *x);
	for (i = 0; i < obs; i++) {
		int64_t day = timefmt_day(r[i].time_ms);

		feat_extra_event(p, &r[i], i, day, prev_day, x);
		prev_day = day;
	}
}

/* Fills the extended features from their sums and the base features. */
static void
feat_fill_extra(const struct feat_extra_acc *x, const struct evfile_record *r,
		size_t obs, double *values)
{
	double *e = values + FEAT_BASE_COUNT;
	double tenure = values[FEAT_TENURE_DAYS] + 1.0;

	e[FEAT_MIN_VALUE] = x->min_value;
	e[FEAT_VALUE_STD] = sqrt(x->value_m2 / (double)obs);
	e[FEAT_FIRST_VALUE] = r[0].value;
	e[FEAT_LAST_VALUE] = r[obs - 1].value;
	e[FEAT_EVENTS_7D] = (double)x->events_7d;
	e[FEAT_EVENTS_90D] = (double)x->events_90d;
	e[FEAT_EVENTS_365D] = (double)x->events_365d;
	e[FEAT_VALUE_90D] = x->value_90d;
	e[FEAT_VALUE_365D] = x->value_365d;
	e[FEAT_ACTIVE_DAYS_90D] = (double)x->days_90d;
	e[FEAT_LAST_GAP_DAYS] = (double)x->last_gap;
	e[FEAT_MIN_GAP_DAYS] = (double)x->min_gap;
	e[FEAT_GAP_STD_DAYS] = x->gaps > 0 ?
	    sqrt(x->gap_m2 / (double)x->gaps) : 0.0;
	e[FEAT_RECENCY_SHARE] = values[FEAT_RECENCY_DAYS] / tenure;
	e[FEAT_ACTIVE_SHARE] = values[FEAT_ACTIVE_DAYS] / tenure;
	e[FEAT_EVENTS_PER_WEEK] = 7.0 * values[FEAT_FREQUENCY] / tenure;
}

static void
feat_accumulate(const struct feat_params *p, const struct evfile_record *r,
		size_t obs, struct feat_acc *a, double *top)
{
	size_t i;

	memset(a, 0, sizeof *a);
	a->first_day = timefmt_day(r[0].time_ms);
	a->last_day = a->first_day;
	a->active = 1;
	a->max_value = r[0].value;
	for (i = 0; i < obs; i++) {
		int64_t day = timefmt_day(r[i].time_ms);

		if (day != a->last_day) {
			a->max_gap = day - a->last_day > a->max_gap ?
			    day - a->last_day : a->max_gap;
			a->last_day = day;
			a->active++;
		}
		a->monetary += r[i].value;
		if (r[i].value > a->max_value)
			a->max_value = r[i].value;
		if (r[i].time_ms >= p->split_ms - p->window_ms) {
			a->recent++;
			a->recent_value += r[i].value;
		} else if (r[i].time_ms >= p->split_ms - 2 * p->window_ms) {
			a->previous++;
		}
		if (p->name_column != NULL && r[i].name != EVFILE_NO_NAME &&
		    p->name_column[r[i].name] != FEAT_NO_COLUMN)
			top[p->name_column[r[i].name]] += 1.0;
	}
}

/*
 * Labels a user whose records [0, obs) are observed. By inactivity the
 * label is 1 when no record lies in [split, split + horizon). By churn
 * events it is 1 when one of them lies there, and FEAT_EXCLUDED when one
 * was observed.
 */
static int
feat_label(const struct feat_params *p, const struct evfile_record *recs,
	   size_t n, size_t obs)
{
	int64_t end = p->split_ms + p->horizon_ms;
	size_t i;

	if (p->churn_name == NULL)
		return !(obs < n && recs[obs].time_ms < end);
	for (i = 0; i < obs; i++) {
		if (recs[i].name != EVFILE_NO_NAME &&
		    p->churn_name[recs[i].name])
			return FEAT_EXCLUDED;
	}
	for (i = obs; i < n && recs[i].time_ms < end; i++) {
		if (recs[i].name != EVFILE_NO_NAME &&
		    p->churn_name[recs[i].name])
			return 1;
	}
	return 0;
}

size_t
feat_compute(const struct feat_params *p, const struct evfile_record *recs,
	     size_t n, double *values, int *churned)
{
	struct feat_acc a;
	size_t obs = 0;

	while (obs < n && recs[obs].time_ms < p->split_ms)
		obs++;
	if (obs == 0)
		return 0;

	memset(values + FEAT_BASE_COUNT + p->n_extra, 0,
	    p->n_top * sizeof values[0]);
	feat_accumulate(p, recs, obs, &a, values + FEAT_BASE_COUNT +
	    p->n_extra);
	values[FEAT_RECENCY_DAYS] = (double)(p->cutoff_day - a.last_day);
	values[FEAT_FREQUENCY] = (double)obs;
	values[FEAT_MONETARY] = a.monetary;
	values[FEAT_ACTIVE_DAYS] = (double)a.active;
	values[FEAT_TENURE_DAYS] = (double)(p->cutoff_day - a.first_day);
	values[FEAT_MEAN_GAP_DAYS] = a.active > 1 ?
	    (double)(a.last_day - a.first_day) / (double)(a.active - 1) : 0.0;
	values[FEAT_MAX_GAP_DAYS] = (double)a.max_gap;
	values[FEAT_RECENT_EVENTS] = (double)a.recent;
	values[FEAT_PREVIOUS_EVENTS] = (double)a.previous;
	values[FEAT_ACTIVITY_RATIO] = (double)(a.recent + 1) /
	    (double)(a.previous + 1);
	values[FEAT_AVG_VALUE] = a.monetary / (double)obs;
	values[FEAT_EVENTS_PER_ACTIVE_DAY] = (double)obs / (double)a.active;
	values[FEAT_RECENT_VALUE] = a.recent_value;
	values[FEAT_MAX_VALUE] = a.max_value;
	if (p->n_extra > 0) {
		struct feat_extra_acc x;

		feat_accumulate_extra(p, recs, obs, &x);
		feat_fill_extra(&x, recs, obs, values);
	}

	*churned = feat_label(p, recs, n, obs);
	return obs;
}

void
feat_event_column(const char *name, char *out, size_t size)
{
	size_t i, len;

	if (name[0] == '\0')
		name = "unnamed";
	len = (size_t)snprintf(out, size, "event_%s", name);
	if (len >= size)
		len = size - 1;
	for (i = sizeof "event_" - 1; i < len; i++) {
		char c = out[i];

		if (c >= 'A' && c <= 'Z')
			out[i] = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			out[i] = '_';
	}
}

