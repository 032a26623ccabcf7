/*
 * The agent's queue of runs waiting for their turn (table run_queue): runs
 * queued by the overlap policy "queue", by `watchkeep run-now` and by
 * `watchkeep backfill`. The agent is the only writer and keeps the same
 * queue in memory. The rows let the queue outlive a restart, and let the
 * read-only commands (`runs`, `status`) list it. Lower ids start first.
 *
 * The writes join an open store_group_begin() group, so that a control
 * request's rows share one commit with its audit row; outside a group
 * each write commits at once, with the buffered log lines.
 */
#ifndef WK_STORE_QUEUE_H
#define WK_STORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/* The state in which readers show a queued run. runs.state never has it. */
#define STORE_RUN_QUEUED "queued"

/* A queued run, as stored in run_queue. */
struct store_queued_run {
	int64_t id;              /* run_queue.id; lower ids start first */
	char pipeline[64];       /* pipeline name */
	char logical_date[16];   /* YYYY-MM-DD */
	char trigger[16];        /* schedule, manual, backfill, ... */
	int64_t scheduled_at;    /* schedule slot, ms since epoch, 0: none */
	int64_t queued_at;       /* ms since epoch, when it was queued */
};

/* Appends a run at the end of the queue; sets *id. */
int store_queue_add(struct store *st, const char *pipeline,
		    const char *logical_date, const char *trigger,
		    int64_t scheduled_at, int64_t queued_at, int64_t *id);

/* Removes one queued run, when it starts or is dropped. */
int store_queue_remove(struct store *st, int64_t id);

/* Removes every queued run of pipeline; sets *count to the rows removed. */
int store_queue_drop_pipeline(struct store *st, const char *pipeline,
			      size_t *count);

/*
 * Reads up to max queued runs of pipeline (NULL: all), first to start
 * first, and sets *count. A store whose schema predates the queue has
 * none: *count is 0.
 */
int store_queue_list(struct store *st, const char *pipeline,
		     struct store_queued_run *runs, size_t max, size_t *count);

/*
 * Sets *found to 1 when a run of pipeline for logical_date is in state
 * "running" and was started for the slot scheduled_at (ms). A slot of 0
 * on either side matches any run of that date. Sets *found to 0 otherwise.
 */
int store_queue_running_date(struct store *st, const char *pipeline,
			     const char *logical_date, int64_t scheduled_at,
			     int *found);

#endif
