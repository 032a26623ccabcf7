/*
 * Reports of runs read from the store, as text for people and as JSON for
 * scripts: the run, its stages with timings and resource use, what each
 * stage printed last, its metrics, its outputs and, for a failed stage,
 * the reason and its last error lines.
 */
#ifndef WK_REPORT_H
#define WK_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/store.h"

#define REPORT_MAX_STAGES 256
#define REPORT_ERROR_LINES 5   /* error lines shown of a failed stage */

/* Prints one run in detail. Returns WK_OK or a store error. */
int report_run_text(FILE *out, struct store *st, int64_t run_id);

/* Prints one line a run, newest first, for `watchkeep runs`-style lists. */
int report_runs_brief(FILE *out, struct store *st, const char *pipeline,
		      size_t max);

/* Builds the JSON form of a run; NULL on error. The caller decrefs it. */
json_t *report_run_json(struct store *st, int64_t run_id);

/*
 * Prints the growth forecast of every stage and run of cfg that has enough
 * history (report_growth.c).
 */
int report_growth_text(FILE *out, struct store *st, const struct cfg *cfg,
		       int64_t now_ms);

/* Builds the JSON list of the same forecasts. */
json_t *report_growth_json(struct store *st, const struct cfg *cfg,
			   int64_t now_ms);

/* report_queue.c */

#define REPORT_MAX_QUEUED 1024   /* queued runs read: the agent's maximum */

/*
 * Prints the runs the agent queued (of pipeline, NULL: all), at most max
 * of them in a table, in the order they start. Prints nothing when none
 * is queued.
 */
int report_queue_text(FILE *out, struct store *st, const char *pipeline,
		      size_t max);

/*
 * Inserts the queued runs into list, a newest-first array of runs, after
 * the runs in progress at its head: objects with state "queued", id null,
 * pipeline, logical_date, trigger, queued_at_ms, scheduled_at_ms and
 * position (1: starts next in its pipeline).
 */
int report_queue_json(struct store *st, const char *pipeline, json_t *list);

/* Translated display name of a stored run or stage state. */
const char *report_state_name(const char *state);

#endif
