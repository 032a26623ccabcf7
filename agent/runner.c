#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>

#include "agent/stagectx.h"
#include "agent/sup.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/paths.h"

enum runner_stage_state {
	RS_WAITING,    /* dependencies not done yet */
	RS_RUNNING,    /* a process runs */
	RS_SUCCEEDED,
	RS_FAILED,     /* failed, timed out or cancelled */
	RS_NOT_RUN     /* a dependency failed, or the run was cancelled */
};

struct runner_stage {
	const struct cfg_stage *cfg;   /* not owned */
	enum runner_stage_state state;
	int64_t stage_run_id;          /* row of the current attempt */
	int attempt;                   /* current attempt, 1-based */
	struct sup_proc *proc;         /* owned while running */
	struct runner *runner;         /* back pointer for callbacks */
	char label[2 * CFG_NAME_MAX];  /* "pipeline/stage", for logs */
};

struct runner {
	struct ev_loop *loop;                 /* not owned */
	struct store *store;                  /* not owned */
	const struct cfg_pipeline *pipeline;  /* not owned */
	char state_dir[PATH_MAX];
	char run_dir[PATH_MAX];               /* state_dir/runs/RUN_ID */
	char logical_date[16];                /* YYYY-MM-DD */
	int64_t run_id;                       /* runs.id */
	int64_t start_ns;                     /* monotonic start */
	struct runner_stage *stages;          /* owned, one per cfg stage */
	size_t running;                       /* stages in RS_RUNNING */
	int cancelled;                        /* runner_cancel() was called */
	int finished;                         /* done() was called */
	int succeeded;                        /* the run succeeded */
	char first_failure[STORE_TEXT_MAX];   /* reason of the run's failure */
	runner_done_fn done;
	void *done_arg;
};

int64_t
runner_run_id(const struct runner *runner)
{
	return runner->run_id;
}

int
runner_succeeded(const struct runner *runner)
{
	return runner->finished && runner->succeeded;
}

static void runner_schedule(struct runner *runner);

/* Sets a finished stage run's row from its state and reason. */
static void
runner_store_end(struct runner *runner, struct runner_stage *rs,
		 const char *state, const struct sup_result *result,
		 const char *reason)
{
	struct store_stage_run row;

	memset(&row, 0, sizeof row);
	row.id = rs->stage_run_id;
	snprintf(row.state, sizeof row.state, "%s", state);
	row.exit_code = result != NULL ? result->exit_code : -1;
	row.signal = result != NULL ? result->signal : 0;
	row.ended_at = result != NULL ? result->ended_at : clk_wall_ms();
	row.duration_ms = result != NULL ? result->duration_ms : -1;
	row.user_cpu_ms = result != NULL ? result->user_cpu_ms : -1;
	row.sys_cpu_ms = result != NULL ? result->sys_cpu_ms : -1;
	row.max_rss_kb = result != NULL ? result->max_rss_kb : -1;
	snprintf(row.reason, sizeof row.reason, "%s", reason);
	if (store_stage_finish(runner->store, &row) != WK_OK)
		LOG_RUN(LL_ERROR, runner->run_id, rs->label,
		    _("could not store the end of the stage run"));
}

/* Marks every waiting stage that depends on stage index failed as not run. */
static void
runner_skip_dependents(struct runner *runner, size_t failed)
{
	const struct cfg_pipeline *p = runner->pipeline;
	char reason[STORE_TEXT_MAX];
	size_t k, i, d;

	/* pipeline->order lists dependencies first, so one pass suffices. */
	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (rs->state != RS_WAITING)
			continue;
		for (d = 0; d < rs->cfg->n_depends_on; d++) {
			i = rs->cfg->dep_index[d];
			if (i == failed || runner->stages[i].state == RS_NOT_RUN)
				break;
		}
		if (d == rs->cfg->n_depends_on)
			continue;
		rs->state = RS_NOT_RUN;
		snprintf(reason, sizeof reason, _("not run: dependency %s did "
		    "not succeed"), runner->stages[i].cfg->name);
		runner_store_end(runner, rs, STORE_STAGE_NOT_RUN, NULL, reason);
		LOG_RUN(LL_INFO, runner->run_id, rs->label, "%s", reason);
	}
}

static void
runner_fail_stage(struct runner *runner, struct runner_stage *rs,
		  const char *state, const struct sup_result *result,
		  const char *reason)
{
	rs->state = RS_FAILED;
	runner_store_end(runner, rs, state, result, reason);
	LOG_RUN(LL_ERROR, runner->run_id, rs->label, _("failed: %s"),
	    reason);
	if (runner->first_failure[0] == '\0')
		snprintf(runner->first_failure, sizeof runner->first_failure,
		    _("stage %s failed: %s"), rs->cfg->name, reason);
	runner_skip_dependents(runner, (size_t)(rs - runner->stages));
}

/* Checks and records the declared outputs of a stage that exited 0. */
static int
runner_check_outputs(struct runner *runner, const struct runner_stage *rs,
		     const struct stagectx *ctx, char *reason, size_t size)
{
	struct stat st;
	size_t i;

	for (i = 0; i < ctx->n_outputs; i++) {
		if (stat(ctx->outputs[i], &st) != 0) {
			snprintf(reason, size, _("declared output %s is missing "
			    "after exit status 0"), ctx->outputs[i]);
			return -1;
		}
		store_output_add(runner->store, rs->stage_run_id,
		    ctx->outputs[i], (int64_t)st.st_size,
		    (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000);
	}
	return 0;
}

/* Describes why a stage run failed, for the store and the log. */
static void
runner_describe_failure(const struct sup_result *r, char *reason, size_t size)
{
	const char *tail = r->last_error[0] != '\0' ? r->last_error : "";
	const char *sep = tail[0] != '\0' ? ": " : "";

	if (!r->spawned)
		snprintf(reason, size, "%s", r->reason);
	else if (r->timed_out)
		snprintf(reason, size, _("timed out"));
	else if (r->cancelled)
		snprintf(reason, size, _("cancelled"));
	else if (r->signal != 0)
		snprintf(reason, size, _("killed by signal %d (%s)%s%s"),
		    r->signal, strsignal(r->signal), sep, tail);
	else
		snprintf(reason, size, _("exit status %d%s%s"), r->exit_code,
		    sep, tail);
}

struct runner_done_ctx {
	struct runner_stage *rs;  /* the stage that ran */
	struct stagectx ctx;      /* its expanded context, owned */
};

static void
runner_stage_done(struct sup_proc *proc, const struct sup_result *r,
		  void *arg)
{
	struct runner_done_ctx *done = arg;
	struct runner_stage *rs = done->rs;
	struct runner *runner = rs->runner;
	char reason[STORE_TEXT_MAX] = "", took[32];

	runner->running--;
	rs->proc = NULL;
	if (r->spawned && !r->timed_out && !r->cancelled && r->signal == 0 &&
	    r->exit_code == 0 &&
	    runner_check_outputs(runner, rs, &done->ctx, reason,
	    sizeof reason) == 0) {
		rs->state = RS_SUCCEEDED;
		runner_store_end(runner, rs, STORE_STAGE_SUCCEEDED, r, "");
		clk_format_duration(took, sizeof took, r->duration_ms);
		LOG_RUN(LL_INFO, runner->run_id, rs->label,
		    _("succeeded in %s"), took);
	} else {
		if (reason[0] == '\0')
			runner_describe_failure(r, reason, sizeof reason);
		runner_fail_stage(runner, rs, r->timed_out ?
		    STORE_STAGE_TIMED_OUT : STORE_STAGE_FAILED, r, reason);
	}
	stagectx_free(&done->ctx);
	free(done);
	sup_free(proc);
	runner_schedule(runner);
}

/* Starts one stage; a stage that cannot start fails at once. */
static void
runner_start_stage(struct runner *runner, struct runner_stage *rs)
{
	struct stagectx_run run = { runner->run_id, runner->logical_date,
		runner->state_dir, runner->run_dir, rs->attempt };
	struct runner_done_ctx *done;
	struct sup_spec spec;
	struct wk_err err = { 0, "" };

	done = calloc(1, sizeof *done);
	if (done == NULL) {
		runner_fail_stage(runner, rs, STORE_STAGE_FAILED, NULL,
		    _("out of memory"));
		return;
	}
	done->rs = rs;
	if (stagectx_build(&done->ctx, runner->pipeline, rs->cfg, &run,
	    &err) != WK_OK)
		goto fail;

	spec = (struct sup_spec){
		.argv = done->ctx.argv, .shell = done->ctx.shell,
		.envp = done->ctx.envp, .working_dir = done->ctx.working_dir,
		.stage_dir = done->ctx.stage_dir, .label = rs->label,
		.run_id = runner->run_id, .stage_run_id = rs->stage_run_id,
		.attempt = rs->attempt, .timeout_ms = rs->cfg->timeout_ms,
		.grace_ms = rs->cfg->grace_ms,
	};
	if (sup_start(runner->loop, runner->store, &spec, runner_stage_done,
	    done, &rs->proc, &err) != WK_OK)
		goto fail;
	rs->state = RS_RUNNING;
	runner->running++;
	return;

fail:
	stagectx_free(&done->ctx);
	free(done);
	runner_fail_stage(runner, rs, STORE_STAGE_FAILED, NULL, err.msg);
}

/* Tells whether every dependency of a waiting stage has succeeded. */
static int
runner_ready(const struct runner *runner, const struct runner_stage *rs)
{
	size_t d;

	for (d = 0; d < rs->cfg->n_depends_on; d++) {
		if (runner->stages[rs->cfg->dep_index[d]].state != RS_SUCCEEDED)
			return 0;
	}
	return 1;
}

static void
runner_finish(struct runner *runner)
{
	int64_t duration_ms = (clk_mono_ns() - runner->start_ns) / 1000000;
	size_t i;
	char took[32];

	runner->succeeded = !runner->cancelled;
	for (i = 0; i < runner->pipeline->n_stages; i++) {
		if (runner->stages[i].state != RS_SUCCEEDED)
			runner->succeeded = 0;
	}
	if (!runner->succeeded && runner->first_failure[0] == '\0')
		snprintf(runner->first_failure, sizeof runner->first_failure,
		    "%s", _("cancelled"));
	store_run_finish(runner->store, runner->run_id, runner->succeeded ?
	    STORE_RUN_SUCCEEDED : STORE_RUN_FAILED, clk_wall_ms(),
	    duration_ms, runner->succeeded ? NULL : runner->first_failure);
	clk_format_duration(took, sizeof took, duration_ms);
	if (runner->succeeded)
		LOG_RUN(LL_INFO, runner->run_id, NULL,
		    _("pipeline %s succeeded in %s"), runner->pipeline->name,
		    took);
	else
		LOG_RUN(LL_ERROR, runner->run_id, NULL,
		    _("pipeline %s failed after %s: %s"),
		    runner->pipeline->name, took, runner->first_failure);
	runner->finished = 1;
	runner->done(runner, runner->done_arg);
}

/*
 * Starts every stage whose dependencies have succeeded, one at a time in
 * dependency order, and finishes the run when nothing runs or can start.
 */
static void
runner_schedule(struct runner *runner)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	for (k = 0; k < p->n_stages && runner->running == 0 &&
	    !runner->cancelled; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (rs->state == RS_WAITING && runner_ready(runner, rs))
			runner_start_stage(runner, rs);
	}
	if (runner->running == 0 && !runner->finished)
		runner_finish(runner);
}

/* Inserts the run and one pending stage run per stage. */
static int
runner_create_rows(struct runner *runner, const struct runner_opts *opts,
		   struct wk_err *err)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	if (store_run_insert(runner->store, p->name, opts->logical_date,
	    opts->trigger, clk_wall_ms(), &runner->run_id) != WK_OK)
		return wk_err_set(err, WK_ERR_STORE, _("cannot store the new "
		    "run of %s in %s"), p->name, store_path(runner->store));
	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (store_stage_insert(runner->store, runner->run_id,
		    rs->cfg->name, 1, STORE_STAGE_PENDING, NULL,
		    &rs->stage_run_id) != WK_OK)
			return wk_err_set(err, WK_ERR_STORE, _("cannot store "
			    "the stages of run %lld"),
			    (long long)runner->run_id);
	}
	return WK_OK;
}

static struct runner *
runner_new(struct ev_loop *loop, struct store *store,
	   const struct cfg_pipeline *pipeline, const struct runner_opts *opts)
{
	struct runner *runner = calloc(1, sizeof *runner);
	size_t i;

	if (runner == NULL)
		return NULL;
	runner->stages = calloc(pipeline->n_stages, sizeof *runner->stages);
	if (runner->stages == NULL) {
		free(runner);
		return NULL;
	}
	runner->loop = loop;
	runner->store = store;
	runner->pipeline = pipeline;
	snprintf(runner->state_dir, sizeof runner->state_dir, "%s",
	    opts->state_dir);
	snprintf(runner->logical_date, sizeof runner->logical_date, "%s",
	    opts->logical_date);
	for (i = 0; i < pipeline->n_stages; i++) {
		runner->stages[i].cfg = &pipeline->stages[i];
		runner->stages[i].runner = runner;
		runner->stages[i].attempt = 1;
		snprintf(runner->stages[i].label,
		    sizeof runner->stages[i].label, "%s/%s", pipeline->name,
		    pipeline->stages[i].name);
	}
	return runner;
}

int
runner_start(struct ev_loop *loop, struct store *store,
	     const struct cfg_pipeline *pipeline,
	     const struct runner_opts *opts, runner_done_fn done, void *arg,
	     struct runner **out, struct wk_err *err)
{
	struct runner *runner;
	int rc, n;

	runner = runner_new(loop, store, pipeline, opts);
	if (runner == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	runner->done = done;
	runner->done_arg = arg;
	runner->start_ns = clk_mono_ns();

	rc = runner_create_rows(runner, opts, err);
	if (rc != WK_OK)
		goto fail;
	n = snprintf(runner->run_dir, sizeof runner->run_dir, "%s/runs/%lld",
	    opts->state_dir, (long long)runner->run_id);
	if (n < 0 || (size_t)n >= sizeof runner->run_dir ||
	    paths_mkdir_p(runner->run_dir) < 0) {
		rc = wk_err_set(err, WK_ERR_IO, _("cannot create the run "
		    "directory %s: %s"), runner->run_dir, strerror(errno));
		goto fail;
	}
	LOG_RUN(LL_INFO, runner->run_id, NULL,
	    _("started pipeline %s (logical date %s, trigger %s)"),
	    pipeline->name, opts->logical_date, opts->trigger);
	*out = runner;
	runner_schedule(runner);
	return WK_OK;

fail:
	if (runner->run_id != 0)
		store_run_finish(store, runner->run_id, STORE_RUN_FAILED,
		    clk_wall_ms(), 0, err != NULL ? err->msg : NULL);
	runner_free(runner);
	return rc;
}

void
runner_cancel(struct runner *runner)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	if (runner->finished || runner->cancelled)
		return;
	runner->cancelled = 1;
	LOG_RUN(LL_INFO, runner->run_id, NULL, _("cancelling the run"));
	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (rs->state == RS_RUNNING)
			sup_cancel(rs->proc);
		else if (rs->state == RS_WAITING) {
			rs->state = RS_NOT_RUN;
			runner_store_end(runner, rs, STORE_STAGE_NOT_RUN, NULL,
			    _("not run: the run was cancelled"));
		}
	}
	if (runner->running == 0)
		runner_schedule(runner);
}

void
runner_free(struct runner *runner)
{
	if (runner == NULL)
		return;
	free(runner->stages);
	free(runner);
}
