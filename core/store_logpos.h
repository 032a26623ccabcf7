/*
 * Read positions of the log files that stages set to on_restart "adopt"
 * write themselves (table log_file_offsets): per stream, the bytes of the
 * file whose lines are in log_lines and the count of those lines.
 *
 * A position is written inside the open log-line transaction
 * (store_batch_begin()), so it is committed together with the lines it
 * counts, and an agent killed before a commit loses both.
 */
#ifndef WK_STORE_LOGPOS_H
#define WK_STORE_LOGPOS_H

#include <stdint.h>

#include "core/store.h"

/* Sets the position of one stream of a stage run. */
int store_logpos_set(struct store *st, int64_t stage_run_id,
		     enum store_stream stream, int64_t stored_bytes,
		     int64_t stored_lines);

/*
 * Reads the position of one stream of a stage run. Returns WK_OK,
 * WK_ERR_NOTFOUND when none was stored (the stage wrote to pipes), or a
 * store error.
 */
int store_logpos_get(struct store *st, int64_t stage_run_id,
		     enum store_stream stream, int64_t *stored_bytes,
		     int64_t *stored_lines);

#endif
