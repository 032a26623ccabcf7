/*
 * The store's SLO tables (sli_minutes, sli_hours, slo_cursors,
 * slo_file_checks, slo_evaluations) and the queries that count SLI events in the facts
 * (runs, stage_runs, probe_results). Used by the slo_*.c files only.
 *
 * A handle keeps its prepared statements on the store's connection; free
 * it before the store is closed. Minutes are minutes since the epoch,
 * UTC; times are milliseconds since the epoch.
 */
#ifndef WK_STORE_SLO_H
#define WK_STORE_SLO_H

#include <stddef.h>
#include <stdint.h>

#include "core/slo.h"
#include "core/store.h"

#define STORE_SLO_SLI_MAX 4200  /* bytes of an SLI definition text */

struct store_slo;

/* Called for each minute (or slice) a query returns; non-zero stops. */
typedef int (*store_slo_row_fn)(void *ctx, int64_t key, int64_t good,
				int64_t total, int64_t invalid);

/* Progress of an SLO's accounting. */
struct store_slo_cursor {
	char sli[STORE_SLO_SLI_MAX];  /* SLI definition counted */
	int64_t done_until;           /* ms: facts before it are counted */
	int64_t checked_minute;       /* freshness: last minute, -1: none */
};

/* Prepares the handle on st's connection. */
int store_slo_open(struct store *st, struct store_slo **out);

/* Frees the handle's statements; NULL is allowed. */
void store_slo_close(struct store_slo *ss);

/* Starts, commits or rolls back a write transaction (after store_flush). */
int store_slo_begin(struct store_slo *ss);
int store_slo_commit(struct store_slo *ss);
void store_slo_rollback(struct store_slo *ss);

/*
 * Sums the stored minutes of slo in [from, to] into *out, reading the
 * whole hours inside the range from sli_hours.
 */
int store_slo_minutes_sum(struct store_slo *ss, const char *slo,
			  int64_t from, int64_t to, struct slo_counts *out);

/*
 * Calls fn for every slice of slice_minutes minutes (aligned to the epoch)
 * with stored minutes in [from, to]: key is the slice index.
 */
int store_slo_slices(struct store_slo *ss, const char *slo, int64_t from,
		     int64_t to, int64_t slice_minutes, store_slo_row_fn fn,
		     void *ctx);

/* Calls fn for every stored minute of slo in [from, to], in order. */
int store_slo_minutes(struct store_slo *ss, const char *slo, int64_t from,
		      int64_t to, store_slo_row_fn fn, void *ctx);

/* Writes one minute's counts; good = total = 0 deletes the row. */
int store_slo_minute_put(struct store_slo *ss, const char *slo,
			 int64_t minute, int64_t good, int64_t total);

/* Sums the minutes of slo into sli_hours again, from scratch. */
int store_slo_hours_rebuild(struct store_slo *ss, const char *slo);

/*
 * Deletes the minutes of slo before minute before, and the hours wholly
 * before it; all when INT64_MAX.
 */
int store_slo_minutes_prune(struct store_slo *ss, const char *slo,
			    int64_t before);

/*
 * Finds the first stored minute of slo in [from, to] whose good count is
 * above its total or negative; WK_ERR_NOTFOUND when there is none.
 */
int store_slo_first_invalid(struct store_slo *ss, const char *slo,
			    int64_t from, int64_t to, int64_t *minute,
			    int64_t *good, int64_t *total);

/* Reads the cursor of slo; WK_ERR_NOTFOUND when it has none. */
int store_slo_cursor_get(struct store_slo *ss, const char *slo,
			 struct store_slo_cursor *out);

/* Writes the cursor of slo. */
int store_slo_cursor_put(struct store_slo *ss, const char *slo,
			 const struct store_slo_cursor *cursor);

/*
 * Calls fn(ctx, minute, mtime, 0, 0) for the freshness checks of slo that
 * decide minutes [from, to]: the last one at or before from, then every
 * later one up to to. mtime is -1 for a missing file.
 */
int store_slo_checks(struct store_slo *ss, const char *slo, int64_t from,
		     int64_t to, store_slo_row_fn fn, void *ctx);

/* Records that from minute on, the file's mtime was mtime (-1: missing). */
int store_slo_check_put(struct store_slo *ss, const char *slo,
			int64_t minute, int64_t mtime);

/* Reads the latest check of slo; WK_ERR_NOTFOUND when there is none. */
int store_slo_check_last(struct store_slo *ss, const char *slo,
			 int64_t *minute, int64_t *mtime);

/*
 * Deletes the checks of slo that no minute from before on needs (all but
 * the last one at or before it); INT64_MAX deletes all.
 */
int store_slo_checks_prune(struct store_slo *ss, const char *slo,
			   int64_t before);

/* Writes one evaluation (replacing one of the same minute). */
int store_slo_eval_put(struct store_slo *ss, const struct slo_status *s);

/* Deletes the evaluations of slo before minute before. */
int store_slo_evals_prune(struct store_slo *ss, const char *slo,
			  int64_t before);

/*
 * Reads the latest stored evaluation of slo (n_rules 0); WK_ERR_NOTFOUND
 * when there is none. Prepares its statement on each call, so it works on
 * any open store, read-only ones included.
 */
int store_slo_eval_latest(struct store *st, const char *slo,
			  struct slo_status *out);

/* Reads stored evaluations as slo_read_series() describes. */
int store_slo_eval_series(struct store *st, const char *slo, int64_t from,
			  int64_t to, int64_t step, struct slo_point *out,
			  size_t max, size_t *n);

/* Deletes the evaluations of slo in [from, before) but the hourly ones. */
int store_slo_evals_thin(struct store_slo *ss, const char *slo, int64_t from,
			 int64_t before);

/* The facts an SLI counts, grouped by the minute of the event. */
enum store_slo_fact {
	STORE_SLO_RUNS,            /* finished runs; good: succeeded */
	STORE_SLO_STAGE_LATENCY,   /* ended attempts; good: fast success */
	STORE_SLO_PROBE_UP,        /* probe results; good: ok */
	STORE_SLO_PROBE_LATENCY    /* probe results; good: ok and fast */
};

/*
 * Calls fn(ctx, minute, good, total, 0) for every minute with events of
 * the fact in [from_ms, to_ms), in order. name is the pipeline (runs,
 * stage latency) or probe; stage is the stage name (stage latency);
 * threshold_ms the longest good duration (latency facts).
 */
int store_slo_facts(struct store_slo *ss, enum store_slo_fact fact,
		    const char *name, const char *stage, int64_t threshold_ms,
		    int64_t from_ms, int64_t to_ms, store_slo_row_fn fn,
		    void *ctx);

/*
 * Sets *found to 1 when a run of pipeline with logical date date
 * ("YYYY-MM-DD") succeeded and ended at or before by_ms, else 0.
 */
int store_slo_deadline_met(struct store_slo *ss, const char *pipeline,
			   const char *date, int64_t by_ms, int *found);

/* Sets *started to the start of the pipeline's first run, -1 if none. */
int store_slo_first_run(struct store_slo *ss, const char *pipeline,
			int64_t *started);

#endif
