#include "pipeline/features.h"

#include <stdio.h>
#include <string.h>

#include "pipeline/timefmt.h"

const char *const feat_base_names[FEAT_BASE_COUNT] = {
	"recency_days", "frequency", "monetary", "active_days", "tenure_days",
	"mean_gap_days", "max_gap_days", "recent_events", "previous_events",
	"activity_ratio", "avg_value", "events_per_active_day", "recent_value",
	"max_value"
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

	memset(values + FEAT_BASE_COUNT, 0, p->n_top * sizeof values[0]);
	feat_accumulate(p, recs, obs, &a, values + FEAT_BASE_COUNT);
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

