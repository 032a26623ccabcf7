/* The "retention" section of the configuration (core/config_retention.c). */
#ifndef WK_CONFIG_RETENTION_H
#define WK_CONFIG_RETENTION_H

#include <stdint.h>

#include "core/cfgcheck.h"
#include "core/config.h"

#define CFG_RETENTION_RUNS_MS (180 * INT64_C(86400000))
#define CFG_RETENTION_LOGS_MS (30 * INT64_C(86400000))
#define CFG_RETENTION_NOTIFICATIONS_MS (30 * INT64_C(86400000))

int cfg_retention_load(struct cfgcheck *ck, struct cfg *cfg,
		       const struct cfgcheck_member *m);
void cfg_retention_free(struct cfg *cfg);

#endif
