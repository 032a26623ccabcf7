/*
 * State of one run of `churn features`, shared by featstage.c (options,
 * checks, metadata, report) and featrows.c (the rows, computed by two
 * threads).
 */
#ifndef WK_PIPELINE_FEATSTAGE_H
#define WK_PIPELINE_FEATSTAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/evfile.h"
#include "pipeline/features.h"
#include "pipeline/notify.h"
#include "pipeline/outfile.h"

#define FEAT_CUTS_MAX 2       /* feature sets written by one run */

/* One feature set: the rows of every user at one cutoff. */
struct feat_cut {
	const char *cutoff_text;  /* the cutoff as given */
	const char *output;       /* the CSV to write */
	struct feat_params params;  /* derived from the options */
	struct outfile of;        /* the CSV being written */
	bool open;                /* of is open */
	uint64_t users;           /* rows written */
	uint64_t churned;         /* rows with label 1 */
	uint64_t excluded;        /* users left out for an earlier churn
	                           * event */
};

/* The options and state of one run of the stage. */
struct feat_stage {
	const char *events_path;     /* --events */
	const char *horizon_text;    /* --horizon as given, or NULL */
	const char *window_text;     /* --window as given */
	const char *churn_events;    /* --churn-events as given, or NULL */
	uint64_t top_events;         /* --top-events */
	const char *feature_set;     /* --feature-set as given */
	size_t n_extra;              /* extended features in a row */
	bool no_label;               /* --no-label */
	struct feat_cut cuts[FEAT_CUTS_MAX];  /* [0] --cutoff, [1] training */
	size_t n_cuts;               /* cuts in use */
	struct evfile ef;            /* the mapped event file */
	struct feat_top top;         /* event-count columns */
	uint8_t *churn_name;         /* n_names flags; owned, or NULL */
};

/* Returns the number of features of a row. */
size_t feat_count(const struct feat_stage *st);

/*
 * Computes the rows of every user for every cut and writes them to the
 * cuts' open outputs, in the order of the event file, checking each user
 * on the way. Two threads compute blocks of users; the calling thread
 * also writes. Fills the cuts' counts. Returns WK_OK, WK_ERR_INVALID
 * for a damaged event file or WK_ERR_NOMEM, with err filled.
 */
int feat_rows_write(struct feat_stage *st, struct notify *nt,
		    struct wk_err *err);

#endif
