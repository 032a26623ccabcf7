/*
 * Backfills: one run per scheduled slot of a past range of dates, run one
 * after another, each with its slot's date as its logical date. A pipeline
 * without a schedule gets one run per day.
 */
#ifndef WK_BACKFILL_H
#define WK_BACKFILL_H

#include <stddef.h>
#include <stdint.h>

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

/*
 * Queues the backfill runs in the agent and sets *queued. Queues none when
 * the range is invalid or the runs do not all fit in the agent's queue.
 */
int backfill_request(struct agent *agent, const char *pipeline,
		     const char *from, const char *to, size_t *queued,
		     struct wk_err *err);

#endif
