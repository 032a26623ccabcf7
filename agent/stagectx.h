/*
 * The context of one stage run, expanded from the configuration: the
 * variables a stage sees (WATCHKEEP_* and the env entries of its pipeline
 * and of itself), its command, environment, working directory and
 * declared inputs and outputs with every ${NAME} replaced.
 */
#ifndef WK_STAGECTX_H
#define WK_STAGECTX_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"
#include "core/vars.h"

#define STAGECTX_VARS_MAX 512  /* variables of one stage */

/* The run a stage belongs to. */
struct stagectx_run {
	int64_t run_id;            /* runs.id */
	const char *logical_date;  /* YYYY-MM-DD */
	const char *state_dir;     /* the agent's state directory */
	const char *run_dir;       /* state_dir/runs/RUN_ID */
	int attempt;               /* 1-based */
};

struct stagectx {
	struct vars vars;          /* every variable, owned */
	char stage_dir[PATH_MAX];  /* run_dir/STAGE */
	char **argv;               /* owned, NULL-terminated; NULL with shell */
	char *shell;               /* owned, or NULL */
	char **envp;               /* owned, NULL-terminated */
	char *working_dir;         /* owned; the stage directory by default */
	char **outputs;            /* owned, absolute paths */
	size_t n_outputs;
	char **inputs;             /* owned, absolute paths */
	size_t n_inputs;
};

/* Builds the context; on failure err names the stage and the value. */
int stagectx_build(struct stagectx *ctx, const struct cfg_pipeline *pipeline,
		   const struct cfg_stage *stage,
		   const struct stagectx_run *run, struct wk_err *err);

void stagectx_free(struct stagectx *ctx);

#endif
