/*
 * Reads of the store for status views such as `watchkeep top`: a read
 * snapshot around several reads, the recent results of a probe, the
 * latest attempt of every stage of a range of runs, and the error
 * signatures of one stage run. Every function works on a store opened
 * STORE_READ_ONLY.
 */
#ifndef WK_STORE_VIEW_H
#define WK_STORE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/*
 * Opens a read transaction, so that the reads until store_view_end() see
 * one snapshot of the store. Keep it short: while it is open, the writer
 * cannot checkpoint the WAL past it.
 */
int store_view_begin(struct store *st);

/* Ends the read transaction of store_view_begin(); safe without one. */
void store_view_end(struct store *st);

/* One probe result. */
struct store_view_probe_point {
	int64_t at;         /* ms since epoch, when the check started */
	int ok;             /* 1 up, 0 down */
	double latency_ms;  /* -1 when not measured */
};

/*
 * Reads the newest max results of probe, oldest first, into out; sets
 * *count.
 */
int store_view_probe_series(struct store *st, const char *probe,
			    struct store_view_probe_point *out, size_t max,
			    size_t *count);

/* The latest attempt of one stage of one run. */
struct store_view_cell {
	int64_t run_id;       /* runs.id */
	char stage[64];       /* stage name */
	char state[16];       /* STORE_STAGE_* */
	int attempt;          /* 1-based */
	int64_t duration_ms;  /* monotonic, -1 until the end */
};

/*
 * Reads the latest attempt of every stage of the runs of pipeline with id
 * at least min_run_id, ordered by run id and then by the order the stages
 * were inserted, up to max; sets *count.
 */
int store_view_stage_grid(struct store *st, const char *pipeline,
			  int64_t min_run_id, struct store_view_cell *out,
			  size_t max, size_t *count);

/* An error signature seen in one stage run. */
struct store_view_signature {
	char signature[STORE_TEXT_MAX];  /* masked first line */
	char sample[STORE_TEXT_MAX];     /* latest line as written, sanitized */
	int64_t count;                   /* errors in this stage run */
	int64_t total;                   /* errors of the stage, all runs */
	int64_t first_at;                /* ms since epoch, in this stage run */
	int64_t last_at;                 /* ms since epoch, in this stage run */
};

/*
 * Reads up to max error signatures of a stage run, most frequent first;
 * sets *count.
 */
int store_view_signatures(struct store *st, int64_t stage_run_id,
			  struct store_view_signature *out, size_t max,
			  size_t *count);

#endif
