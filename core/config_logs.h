/*
 * The "logs" section of the configuration: how much of a stage's output
 * the log files and the store keep (struct cfg_logs in core/config.h).
 */
#ifndef WK_CONFIG_LOGS_H
#define WK_CONFIG_LOGS_H

#include "core/cfgcheck.h"
#include "core/config.h"

#define CFG_LOGS_FILE_HEAD_DEFAULT (INT64_C(8) << 20)  /* bytes */
#define CFG_LOGS_FILE_TAIL_DEFAULT (INT64_C(2) << 20)  /* bytes */
#define CFG_LOGS_LINES_DEFAULT 2000                    /* head and tail */
#define CFG_LOGS_TAIL_BYTES_DEFAULT (INT64_C(4) << 20) /* bytes */

/* Sets the built-in caps, used when the section or a key is absent. */
void cfg_logs_defaults(struct cfg_logs *logs);

/*
 * Reads the optional object m (the "logs" section, or the same keys in
 * another place) over the values already in logs: absent keys keep them.
 * Returns WK_OK, or fills ck->err as core/cfgcheck.h describes.
 */
int cfg_logs_read(struct cfgcheck *ck, const struct cfgcheck_member *m,
		  struct cfg_logs *logs);

/* The section's entry points for the cfg_sections[] table of config.c. */
int cfg_logs_load(struct cfgcheck *ck, struct cfg *cfg,
		  const struct cfgcheck_member *m);
void cfg_logs_free(struct cfg *cfg);

#endif
