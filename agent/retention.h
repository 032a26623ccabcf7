/*
 * Retention: the agent removes runs, log lines, run directories and the
 * history of alerts older than the configured ages, a small batch at a time, so that the loop and
 * the store's readers never wait long.
 */
#ifndef WK_RETENTION_H
#define WK_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/store.h"

#define RETENTION_INTERVAL_MS 600000  /* between two passes */
#define RETENTION_BATCH_RUNS 100      /* runs deleted a transaction */
#define RETENTION_BATCH_LINES 5000    /* log lines deleted a transaction */
#define RETENTION_BATCH_DIRS 20       /* run directories removed a pass */
#define RETENTION_BATCH_ALERTS 1000   /* rows of each alert table a batch */
#define RETENTION_BUDGET_MS 100       /* time one pass may take */

/* What one pass removed. */
struct retention_result {
	size_t runs;       /* runs deleted */
	size_t log_lines;  /* log lines deleted */
	size_t run_dirs;   /* run directories removed */
	size_t alert_rows; /* delivered messages, silences, incidents */
};

/*
 * Runs one pass at now_ms: deletes what is older than the ages of
 * cfg->retention (0 keeps forever) within RETENTION_BUDGET_MS.
 */
int retention_pass(struct store *store, const struct cfg *cfg,
		   const char *state_dir, int64_t now_ms,
		   struct retention_result *out);

#endif
