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

/*
 * The features of --feature-set extended, after the base ones and before
 * the event counts.
 */
enum feat_extra {
	FEAT_MIN_VALUE,        /* smallest value of one event */
	FEAT_VALUE_STD,        /* population standard deviation of values */
	FEAT_FIRST_VALUE,      /* value of the first event */
	FEAT_LAST_VALUE,       /* value of the last event */
	FEAT_EVENTS_7D,        /* events in the last 7 days */
	FEAT_EVENTS_90D,       /* events in the last 90 days */
	FEAT_EVENTS_365D,      /* events in the last 365 days */
	FEAT_VALUE_90D,        /* sum of values in the last 90 days */
	FEAT_VALUE_365D,       /* sum of values in the last 365 days */
	FEAT_ACTIVE_DAYS_90D,  /* distinct days with events, last 90 days */
	FEAT_LAST_GAP_DAYS,    /* days between the last two active days */
	FEAT_MIN_GAP_DAYS,     /* minimum days between two active days */
	FEAT_GAP_STD_DAYS,     /* standard deviation of those gaps */
	FEAT_RECENCY_SHARE,    /* recency_days / (tenure_days + 1) */
	FEAT_ACTIVE_SHARE,     /* active_days / (tenure_days + 1) */
	FEAT_EVENTS_PER_WEEK,  /* 7 frequency / (tenure_days + 1) */
	FEAT_EXTRA_COUNT       /* number of entries above */
};

#define FEAT_TOP_MAX 50             /* event-count columns at most */
#define FEAT_NO_COLUMN UINT32_MAX   /* name without an event-count column */
#define FEAT_EXCLUDED (-1)          /* label of a user left out: a churn
                                     * event before the cutoff */
#define FEAT_COLUMN_MAX 72          /* bytes of an event-count column name */

/* Column names of enum feat_base, in order. */
extern const char *const feat_base_names[FEAT_BASE_COUNT];

/* Column names of enum feat_extra, in order. */
extern const char *const feat_extra_names[FEAT_EXTRA_COUNT];

/* Numbers a row holds at most, beside user_id and label. */
#define FEAT_VALUES_MAX (FEAT_BASE_COUNT + FEAT_EXTRA_COUNT + FEAT_TOP_MAX)

struct feat_params {
	int64_t cutoff_day;           /* last observed day, days since epoch */
	int64_t split_ms;             /* start of the day after the cutoff:
	                               * events before it are observed */
	int64_t horizon_ms;           /* label window [split, split + this) */
	int64_t window_ms;            /* length of the recent-activity windows */
	const uint32_t *name_column;  /* event name -> event-count column or
	                               * FEAT_NO_COLUMN; NULL without them */
	size_t n_top;                 /* event-count columns */
	size_t n_extra;               /* FEAT_EXTRA_COUNT with --feature-set
	                               * extended, else 0 */
	const uint8_t *churn_name;    /* event name -> 1 when it marks churn;
	                               * NULL: churn is inactivity */
};

/*
 * Computes the features of one user from its n records, sorted by time,
 * into values (FEAT_BASE_COUNT + p->n_extra + p->n_top numbers, in that
 * order) and the label into
 * *churned. Without churn events the label is 1 when no record lies in
 * [split_ms, split_ms + horizon_ms). With churn events it is 1 when a
 * churn event lies there, and FEAT_EXCLUDED when one lies before
 * split_ms. Returns the number of observed records; when it is 0 the
 * user has no row and values and *churned are not set.
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

/* The event-count columns: the most frequent event names of a file. */
struct feat_top {
	uint32_t *name_column;  /* n_names entries, a column or FEAT_NO_COLUMN;
	                         * owned, NULL without event names */
	size_t n;               /* columns picked */
	char columns[FEAT_TOP_MAX][FEAT_COLUMN_MAX];  /* their CSV names */
};

/*
 * Picks up to max event names with the most events in the whole file
 * (ties by name bytes), so that feature files of one event file have the
 * same columns whatever the cutoff. Returns WK_OK or WK_ERR_NOMEM.
 */
int feat_pick_top(const struct evfile *ef, size_t max, struct feat_top *top,
		  struct wk_err *err);

/*
 * Parses the comma-separated event names of list (spaces around each
 * name are dropped) and sets flags[name] to 1 for each, flags having
 * n_names entries. Returns WK_OK, or WK_ERR_INVALID with err naming the
 * first name the file lacks and some names it has.
 */
int feat_churn_events(const struct evfile *ef, const char *list,
		      uint8_t *flags, struct wk_err *err);

/* `churn features ARGS`: argv[0] is "features". Returns an exit status. */
int feat_main(int argc, char **argv, struct notify *nt);

#endif
