/*
 * Backfills: one run per scheduled slot of a past range of dates, run one
 * after another, each with its slot's date as its logical date. A pipeline
 * without a schedule gets one run per day.
 */
#ifndef WK_BACKFILL_H
#define WK_BACKFILL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/config.h"
#include "core/rc.h"

/* Maximum slots in one backfill. It equals the capacity of the agent's
   run queue (AGENT_MAX_QUEUED), so a backfill is queued whole. */
#define BACKFILL_MAX_RUNS 1024

struct agent;

/*
 * Writes the slots of pipeline from the start of local date `from` to the
 * end of local date `to` (YYYY-MM-DD from 1970-01-01 on, inclusive) into
 * slots (UTC seconds). Returns WK_ERR_LIMIT with a message naming the
 * count (or, for a cron schedule, that it passes max) when more than max
 * slots fall in the range.
 */
int backfill_slots(const struct cfg_pipeline *pipeline, const char *from,
		   const char *to, int64_t *slots, size_t max, size_t *n,
		   struct wk_err *err);

/* The outcome of a backfill request: runs queued and runs left out. */
struct backfill_result {
	size_t queued;    /* runs queued */
	size_t skipped;   /* runs left out: their date was queued or in
			     progress already */
	json_t *already;  /* array the dates of the skipped runs are
			     appended to, each once; NULL: not wanted */
};

/*
 * Queues the backfill runs in the agent and fills result. A slot whose
 * logical date is queued or in progress already (agent_queue_has()) is
 * left out. Queues none when the range is invalid or the new runs do not
 * all fit in the agent's queue.
 */
int backfill_request(struct agent *agent, const char *pipeline,
		     const char *from, const char *to,
		     struct backfill_result *result, struct wk_err *err);

#endif
