/*
 * One run of one pipeline: creates the run in the store (or reopens it for
 * a re-run), starts each stage once all its dependencies have succeeded, up
 * to the pipeline's max_parallel at once, retries failed attempts with
 * capped exponential backoff and jitter, checks declared outputs and
 * quality gates, skips stages whose declared inputs, command and settings
 * are unchanged since a success whose outputs still exist, and marks the
 * stages that depend on a failure as not run. Stages that do not depend on
 * the failure still run. The run succeeds when every stage succeeded or
 * was skipped.
 *
 * Everything happens in callbacks of the event loop; runner_start() and
 * runner_resume() only start the first stages.
 */
#ifndef WK_RUNNER_H
#define WK_RUNNER_H

#include <stdint.h>

#include "agent/ev.h"
#include "agent/sup.h"
#include "core/config.h"
#include "core/rc.h"
#include "core/store.h"

struct runner;

/* How an attempt of a stage ended, for listeners. */
struct runner_stage_event {
	const struct cfg_stage *stage;    /* the stage's configuration */
	int64_t stage_run_id;             /* stage_runs.id of the attempt */
	int attempt;                      /* 1-based */
	const char *state;                /* STORE_STAGE_* it ended in */
	const char *reason;               /* why it failed, or "" */
	int will_retry;                   /* another attempt is planned */
	int quality_gate;                 /* a quality gate failed it */
	int64_t retry_in_ms;              /* backoff before it, when planned */
	const struct sup_result *result;  /* NULL when no process ran */
};

/* Callbacks for the agent's other parts (alerts, SLOs); any may be NULL. */
struct runner_listener {
	void (*stage_started)(void *arg, struct runner *runner,
			      const struct cfg_stage *stage, int attempt);
	void (*stage_ended)(void *arg, struct runner *runner,
			    const struct runner_stage_event *event);
	void (*run_ended)(void *arg, struct runner *runner);
};

struct runner_opts {
	const char *state_dir;     /* holds runs/RUN_ID/STAGE/ */
	const char *logical_date;  /* YYYY-MM-DD */
	const char *trigger;       /* stored with the run: once, schedule, ... */
	int64_t scheduled_at;      /* ms since epoch of the slot, 0: none */
	const char *cgroup_root;   /* cgroup v2 directory for stage cgroups,
				      or NULL where the agent cannot make them */
	const struct cfg_logs *logs; /* caps of log capture, NULL: defaults */
	const struct runner_listener *listener;  /* may be NULL */
	void *listener_arg;
};

/* Which stages of an existing run a re-run starts again. */
struct runner_rerun {
	int64_t run_id;            /* the run to reopen */
	const char *from;          /* this stage and all that depend on it;
				      NULL: every stage */
	int only_failed;           /* only those not succeeded or skipped */
	int force;                 /* run even stages that would be skipped */
	int recovering;            /* the run is still "running" in the store,
				      left so by an agent that restarted */
};

typedef void (*runner_done_fn)(struct runner *runner, void *arg);

/*
 * Creates a run and starts its first stages. The pipeline must outlive the
 * runner. done() is called once, from the loop (or before this returns when
 * no stage can start), when no stage runs and none can start.
 */
int runner_start(struct ev_loop *loop, struct store *store,
		 const struct cfg_pipeline *pipeline,
		 const struct runner_opts *opts, runner_done_fn done, void *arg,
		 struct runner **out, struct wk_err *err);

/*
 * Reopens an existing run of pipeline and starts the stages rr selects
 * again, as new attempts in the same run directory, so that they reuse the
 * outputs of the stages not selected.
 */
int runner_resume(struct ev_loop *loop, struct store *store,
		  const struct cfg_pipeline *pipeline,
		  const struct runner_opts *opts, const struct runner_rerun *rr,
		  runner_done_fn done, void *arg, struct runner **out,
		  struct wk_err *err);

/*
 * Lists the stages a re-run would start (selected[i] set to 1), in the
 * pipeline's stage order, without changing anything.
 */
int runner_plan_rerun(struct store *store, const struct cfg_pipeline *pipeline,
		      const struct runner_rerun *rr, int *selected,
		      struct wk_err *err);

/* Counts the stages that runner_plan_rerun selected. */
size_t runner_plan_count(const struct cfg_pipeline *pipeline,
			 const int *selected);

/*
 * Tells whether a stage that a re-run keeps, whose latest attempt in the
 * run is row (NULL: it has none), keeps the stages that depend on it from
 * running: it has no attempt, or its attempt neither succeeded nor was
 * skipped as unchanged.
 */
int runner_kept_blocks(const struct store_stage_run *row);

/*
 * Stops the running stages; the stages not started are marked not run. A
 * stage that waits for a retry ends as its last failed attempt, whose
 * reason then names the cancel. Does nothing on a run already cancelled.
 */
void runner_cancel(struct runner *runner);

/*
 * Cancels like runner_cancel(). A non-NULL why names the cause, such as
 * "the agent was stopping (SIGTERM)": the reason of the run, and of a
 * stage that the cancel stopped, is then "cancelled: WHY".
 */
void runner_cancel_because(struct runner *runner, const char *why);

/*
 * Sends SIGKILL at once to the process group of each running stage of a
 * run that runner_cancel() is stopping, instead of waiting for the end of
 * their grace periods. Returns the number of groups signalled; 0 when the
 * run was not cancelled or has ended.
 */
size_t runner_kill(struct runner *runner);

int64_t runner_run_id(const struct runner *runner);
const struct cfg_pipeline *runner_pipeline(const struct runner *runner);

/* 1 once the run finished. */
int runner_finished(const struct runner *runner);

/* Tells whether runner_cancel() was called: an operator stopped the run. */
int runner_cancelled(const struct runner *runner);

/* 1 once the run finished with every stage succeeded or skipped. */
int runner_succeeded(const struct runner *runner);

void runner_free(struct runner *runner);

/*
 * Backoff before attempt `attempt` + 1 after attempt `attempt` failed: the
 * capped exponential delay d = min(max, base * 2^(attempt-1)), jittered
 * uniformly into [d/2, d] with random (any 64-bit value). Gaps never shrink
 * between attempts until the cap: each jittered gap is at least d/2, the
 * largest the gap before could be.
 */
int64_t runner_backoff_ms(int64_t base_ms, int64_t max_ms, int attempt,
			  uint64_t random);

#endif
