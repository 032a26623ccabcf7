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

#define BACKFILL_MAX_RUNS 3660   /* slots in one backfill */

struct agent;

/*
 * Writes the slots of pipeline from the start of local date `from` to the
 * end of local date `to` (YYYY-MM-DD, inclusive) into slots (UTC seconds).
 */
int backfill_slots(const struct cfg_pipeline *pipeline, const char *from,
		   const char *to, int64_t *slots, size_t max, size_t *n,
		   struct wk_err *err);

/* Queues the backfill runs in the agent; sets *queued. */
int backfill_request(struct agent *agent, const char *pipeline,
		     const char *from, const char *to, size_t *queued,
		     struct wk_err *err);

#endif
