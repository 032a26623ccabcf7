/*
 * Store writes for the retries of a stage: a planned attempt that never
 * started is dropped when its run is cancelled.
 */
#ifndef WK_STORE_RETRY_H
#define WK_STORE_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/*
 * Finds the attempt before the planned attempt planned_id of the same
 * stage of the same run: sets *failed_id and copies its reason (""
 * when none) into reason. Returns WK_ERR_NOTFOUND when there is none.
 */
int store_stage_attempt_before(struct store *st, int64_t planned_id,
			       int64_t *failed_id, char *reason,
			       size_t size);

/*
 * Deletes the stage run planned_id while it is still in state
 * "retry_wait" (a planned attempt that never started) and sets the reason
 * of the attempt failed_id before it to reason, in one transaction. A
 * row in another state is kept. Returns WK_OK, or WK_ERR_STORE or
 * WK_ERR_BUSY when the store cannot be written.
 */
int store_stage_drop_planned(struct store *st, int64_t planned_id,
			     int64_t failed_id, const char *reason);

#endif
