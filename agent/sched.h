/*
 * The scheduler: fires each pipeline that has a schedule at its cron slots
 * in its time zone, and once after downtime for the latest missed slot
 * when its catch-up policy says so.
 *
 * Slots are wall-clock instants, so the scheduler re-reads the wall clock
 * at least every SCHED_RECHECK_MS: a clock set forward fires the slots it
 * passed over (one run for the latest, by the catch-up rules), a clock set
 * back delays nothing that was already due. The last slot handled per
 * pipeline is kept in the store, so a restart knows what it missed.
 */
#ifndef WK_SCHED_H
#define WK_SCHED_H

#include <stdint.h>

#include "agent/ev.h"
#include "core/config.h"
#include "core/store.h"

#define SCHED_RECHECK_MS 30000

struct sched;

/*
 * Called when a slot of pipeline is due. slot_s is the slot (UTC seconds),
 * logical_date its local date in the pipeline's zone, trigger "schedule"
 * or "catch-up".
 */
typedef void (*sched_due_fn)(void *arg, const struct cfg_pipeline *pipeline,
			     int64_t slot_s, const char *logical_date,
			     const char *trigger);

/*
 * Starts scheduling every pipeline of cfg that has a schedule. The
 * configuration must outlive the scheduler. Catch-up runs are reported
 * through due() from the loop, not before this returns. A pipeline with
 * no last slot in the store gets the current time stored in its place,
 * so slots before the first start are never caught up.
 */
int sched_new(struct ev_loop *loop, struct store *store, const struct cfg *cfg,
	      sched_due_fn due, void *arg, struct sched **out,
	      struct wk_err *err);

/*
 * Replaces old after a configuration reload: starts scheduling every
 * pipeline of cfg that has a schedule, with the loop, store and callback
 * of old. Nothing is caught up, because the agent was running. A pipeline
 * whose schedule and time zone are unchanged keeps its next slot. A new
 * pipeline, or one whose schedule changed, fires from its first slot
 * after now, and now is stored as the time its missed slots count from.
 * old stays valid and armed; the caller frees it. cfg must outlive the new
 * scheduler.
 */
int sched_reload(const struct sched *old, const struct cfg *cfg,
		 struct sched **out, struct wk_err *err);

/* The next slot of a pipeline (UTC seconds), or 0 when it has none. */
int64_t sched_next_slot(const struct sched *sched, const char *pipeline);

/* Stops the timers and frees the scheduler. */
void sched_free(struct sched *sched);

/*
 * Writes the local date of slot_s in zone time_zone as YYYY-MM-DD. Returns
 * WK_OK or an error when the zone does not load.
 */
int sched_logical_date(const char *time_zone, int64_t slot_s, char *out,
		       size_t size);

#endif
