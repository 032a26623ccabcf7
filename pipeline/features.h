/*
 * `churn features`: one row a user from the event file, with the features
 * of the user's events on or before the cutoff day and the churn label of
 * the horizon after it. docs/pipeline.md defines every column.
 */
#ifndef WK_PIPELINE_FEATURES_H
#define WK_PIPELINE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/evfile.h"
#include "pipeline/notify.h"

/* The features every row has, in column order after user_id and label. */
enum feat_base {
	FEAT_RECENCY_DAYS,           /* days from the last event to cutoff */
	FEAT_FREQUENCY,              /* events */
	FEAT_MONETARY,               /* sum of values */
	FEAT_ACTIVE_DAYS,            /* distinct UTC days with events */
	FEAT_TENURE_DAYS,            /* days from the first event to cutoff */
	FEAT_MEAN_GAP_DAYS,          /* mean days between active days */
	FEAT_MAX_GAP_DAYS,           /* most days between active days */
	FEAT_RECENT_EVENTS,          /* events in the last window */
	FEAT_PREVIOUS_EVENTS,        /* events in the window before that */
	FEAT_ACTIVITY_RATIO,         /* (recent + 1) / (previous + 1) */
	FEAT_AVG_VALUE,              /* monetary / frequency */
	FEAT_EVENTS_PER_ACTIVE_DAY,  /* frequency / active_days */
	FEAT_RECENT_VALUE,           /* sum of values in the last window */
	FEAT_MAX_VALUE,              /* largest value of one event */
	FEAT_BASE_COUNT              /* number of entries above */
};

#define FEAT_TOP_MAX 50             /* event-count columns at most */
#define FEAT_NO_COLUMN UINT32_MAX   /* name without an event-count column */

/* Column names of enum feat_base, in order. */
extern const char *const feat_base_names[FEAT_BASE_COUNT];

struct feat_params {
	int64_t cutoff_day;           /* last observed day, days since epoch */
	int64_t split_ms;             /* start of the day after the cutoff:
	                               * events before it are observed */
	int64_t horizon_ms;           /* label window [split, split + this) */
	int64_t window_ms;            /* length of the recent-activity windows */
	const uint32_t *name_column;  /* event name -> event-count column or
	                               * FEAT_NO_COLUMN; NULL without them */
	size_t n_top;                 /* event-count columns */
};

/*
 * Computes the features of one user from its n records, sorted by time,
 * into values (FEAT_BASE_COUNT + p->n_top numbers) and the label into
 * *churned: 1 when no record lies in [split_ms, split_ms + horizon_ms).
 * Returns the number of observed records; when it is 0 the user has no
 * row and values and *churned are not set.
 */
size_t feat_compute(const struct feat_params *p,
		    const struct evfile_record *recs, size_t n, double *values,
		    int *churned);

/*
 * Makes the CSV column name of an event-count feature, "event_" and the
 * name in lower case with every other byte than [a-z0-9] as '_', cut to
 * fit size. An empty name gives "event_unnamed".
 */
void feat_event_column(const char *name, char *out, size_t size);

/* `churn features ARGS`: argv[0] is "features". Returns an exit status. */
int feat_main(int argc, char **argv, struct notify *nt);

#endif
