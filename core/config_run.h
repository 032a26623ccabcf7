/*
 * Readers of the supervision keys of pipelines and stages, called by
 * core/config.c; see docs/config.md for the keys.
 */
#ifndef WK_CONFIG_RUN_H
#define WK_CONFIG_RUN_H

#include <jansson.h>

#include "core/cfgcheck.h"
#include "core/config.h"

/* Reads schedule, time_zone, catch_up, overlap and max_parallel. */
int cfg_load_pipeline_run(struct cfgcheck *ck, struct cfg_pipeline *pl,
			  json_t *obj, int node);

/*
 * Reads retries, retry_delay, retry_delay_max, retry_exit_codes,
 * fatal_exit_codes, nice, memory_limit, memory_mode, heartbeat,
 * heartbeat_action, inputs, on_restart and gates. sc is the stage's scope
 * for ${NAME} in inputs.
 */
int cfg_load_stage_run(struct cfgcheck *ck, struct cfg_stage *st,
		       json_t *obj, int node, const struct cfgcheck_scope *sc);

/* Frees what cfg_load_stage_run() allocated. */
void cfg_free_stage_run(struct cfg_stage *st);

/*
 * Parses a size such as "512MiB", "2GiB" or "1000000B" into bytes. Returns
 * WK_OK, or WK_ERR_INVALID with *bad_offset at the first bad character.
 */
int cfg_parse_size(const char *text, int64_t *bytes, size_t *bad_offset);

#endif
