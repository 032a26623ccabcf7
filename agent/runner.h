/*
 * One run of one pipeline: creates the run in the store, starts each stage
 * once all its dependencies have succeeded, and marks the stages that
 * depend on a failed stage as not run. Stages that do not depend on the
 * failure still run. The run succeeds when every stage succeeded.
 *
 * Everything happens in callbacks of the event loop; runner_start() only
 * starts the first stages.
 */
#ifndef WK_RUNNER_H
#define WK_RUNNER_H

#include <stdint.h>

#include "agent/ev.h"
#include "core/config.h"
#include "core/rc.h"
#include "core/store.h"

struct runner_opts {
	const char *state_dir;     /* holds runs/RUN_ID/STAGE/ */
	const char *logical_date;  /* YYYY-MM-DD */
	const char *trigger;       /* stored with the run: "once", ... */
};

struct runner;

typedef void (*runner_done_fn)(struct runner *runner, void *arg);

/*
 * Creates the run and starts its first stages. The pipeline must outlive
 * the runner. done() is called once, from the loop, when no stage runs and
 * none can start.
 */
int runner_start(struct ev_loop *loop, struct store *store,
		 const struct cfg_pipeline *pipeline,
		 const struct runner_opts *opts, runner_done_fn done, void *arg,
		 struct runner **out, struct wk_err *err);

/* Stops the running stages; the stages not started are marked not run. */
void runner_cancel(struct runner *runner);

int64_t runner_run_id(const struct runner *runner);

/* 1 once the run finished with every stage succeeded. */
int runner_succeeded(const struct runner *runner);

void runner_free(struct runner *runner);

#endif
