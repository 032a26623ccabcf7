/*
 * Backfills: one run per date of a past range on which the pipeline is
 * scheduled, run one after another, each with that date as its logical
 * date and the date's first slot as its slot. A schedule that fires
 * several times a day still gets one run per date, because the runs of
 * one date would share their logical date. A pipeline without a schedule
 * gets one run per day.
 */
#ifndef WK_BACKFILL_H
#define WK_BACKFILL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/config.h"
#include "core/rc.h"

/* Maximum runs (dates) in one backfill. It equals the capacity of the agent's
   run queue (AGENT_MAX_QUEUED), so a backfill is queued whole. */
#define BACKFILL_MAX_RUNS 1024

struct agent;

/*
 * Writes into slots (UTC seconds) the first slot of each local date from
 * `from` to `to` (YYYY-MM-DD from 1970-01-01 on, inclusive, in the
 * pipeline's time zone) on which the pipeline is scheduled. Sets *n to
 * their number and *per_day to the max slots on one of those dates.
 * Returns WK_ERR_LIMIT with a message naming the count (or, for a cron
 * schedule, that it passes max) when more than max dates have a slot.
 */
int backfill_slots(const struct cfg_pipeline *pipeline, const char *from,
		   const char *to, int64_t *slots, size_t max, size_t *n,
		   size_t *per_day, struct wk_err *err);

/* The outcome of a backfill request: runs queued and runs left out. */
struct backfill_result {
	size_t queued;    /* runs queued */
	size_t skipped;   /* runs left out: their date was queued or in
			     progress already */
	json_t *already;  /* array the dates of the skipped runs are
			     appended to, each once; NULL: not wanted */
	size_t per_day;   /* max slots of the schedule on one date of the
			     range; 1 without a schedule */
};

/*
 * Queues one backfill run per scheduled date in the agent and fills
 * result. A date with a run of any slot queued or in progress already
 * (agent_queue_has()) is left out. Queues none when the range is invalid or the new runs do not
 * all fit in the agent's queue.
 */
int backfill_request(struct agent *agent, const char *pipeline,
		     const char *from, const char *to,
		     struct backfill_result *result, struct wk_err *err);

/*
 * Writes to out the message that the backfill queued one run per date and
 * how often the schedule fires a day. Writes "" unless the schedule fires
 * more than once on a date of the backfill.
 */
void backfill_note(const struct backfill_result *result, char *out,
		   size_t size);

#endif
