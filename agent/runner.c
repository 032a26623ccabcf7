#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "agent/runner_policy.h"
#include "agent/stagectx.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/namehint.h"
#include "core/paths.h"
#include "core/store_retry.h"

/* Missing outputs named in a stage's failure reason; the rest are counted. */
#define RUNNER_MISSING_NAMED 3

enum runner_stage_state {
	RS_WAITING,    /* dependencies not finished yet */
	RS_RUNNING,    /* a process runs */
	RS_RETRY_WAIT, /* the next attempt waits for its backoff */
	RS_SUCCEEDED,  /* succeeded, or skipped as unchanged */
	RS_FAILED,     /* failed, timed out, out of memory or cancelled */
	RS_NOT_RUN     /* a dependency failed, or the run was cancelled */
};

struct runner_stage {
	const struct cfg_stage *cfg;   /* not owned */
	enum runner_stage_state state;
	int64_t stage_run_id;          /* row of the current attempt */
	int attempt;                   /* current attempt, 1-based */
	struct sup_proc *proc;         /* owned while running */
	uint64_t retry_timer;          /* pending backoff timer, 0: none */
	int gate_failed;               /* the last attempt failed a gate */
	int kept;                      /* a re-run left it as an earlier
					  pass ended it */
	struct runner *runner;         /* back pointer for callbacks */
	char label[2 * CFG_NAME_MAX];  /* "pipeline/stage", for logs */
};

struct runner {
	struct ev_loop *loop;                 /* not owned */
	struct store *store;                  /* not owned */
	const struct cfg_pipeline *pipeline;  /* not owned */
	struct runner_opts opts;              /* strings below, listener */
	char state_dir[PATH_MAX];
	char run_dir[PATH_MAX];               /* state_dir/runs/RUN_ID */
	char logical_date[16];                /* YYYY-MM-DD */
	char cgroup_root[PATH_MAX];           /* "" when none */
	int64_t run_id;                       /* runs.id */
	int64_t start_ns;                     /* monotonic start */
	int64_t resumed_from_ms;              /* runs.started_at (wall ms) of a
						 re-run run, 0 for a new run */
	uint64_t random;                      /* xorshift state for jitter */
	struct runner_stage *stages;          /* owned, one per cfg stage */
	size_t running;                       /* stages in RS_RUNNING */
	int force;                            /* never skip unchanged stages */
	int cancelled;                        /* runner_cancel() was called */
	char cancel_why[256];                 /* cause given to
						 runner_cancel_because(), "" */
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

const struct cfg_pipeline *
runner_pipeline(const struct runner *runner)
{
	return runner->pipeline;
}

int
runner_finished(const struct runner *runner)
{
	return runner->finished;
}

int
runner_cancelled(const struct runner *runner)
{
	return runner->cancelled;
}

int
runner_succeeded(const struct runner *runner)
{
	return runner->finished && runner->succeeded;
}

static uint64_t
runner_next_random(struct runner *runner)
{
	uint64_t x = runner->random;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	runner->random = x;
	return x;
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

static void
runner_notify_end(struct runner *runner, struct runner_stage *rs,
		  const char *state, const char *reason, int64_t retry_in_ms,
		  const struct sup_result *result)
{
	const struct runner_listener *l = runner->opts.listener;
	struct runner_stage_event ev = { rs->cfg, rs->stage_run_id,
		rs->attempt, state, reason, retry_in_ms >= 0, rs->gate_failed,
		retry_in_ms, result };

	if (l != NULL && l->stage_ended != NULL)
		l->stage_ended(runner->opts.listener_arg, runner, &ev);
}

/*
 * Marks every waiting stage that depends on a stage that failed or did not
 * run as not run, by the rule a dry re-run predicts with
 * (runner_policy_blocked).
 */
static void
runner_skip_dependents(struct runner *runner)
{
	const struct cfg_pipeline *p = runner->pipeline;
	char why[STORE_TEXT_MAX - 16], reason[STORE_TEXT_MAX];
	int blocked[CFG_MAX_STAGES], kept[CFG_MAX_STAGES];
	size_t k, i;

	for (i = 0; i < p->n_stages; i++) {
		blocked[i] = runner->stages[i].state == RS_FAILED ||
		    runner->stages[i].state == RS_NOT_RUN;
		kept[i] = runner->stages[i].kept;
	}
	/* pipeline->order lists dependencies first, so one pass suffices. */
	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (rs->state != RS_WAITING || runner_policy_blocked(p,
		    rs->cfg, blocked, kept, why, sizeof why) < 0)
			continue;
		rs->state = RS_NOT_RUN;
		blocked[p->order[k]] = 1;
		snprintf(reason, sizeof reason, _("not run: %s"), why);
		runner_store_end(runner, rs, STORE_STAGE_NOT_RUN, NULL, reason);
		runner_notify_end(runner, rs, STORE_STAGE_NOT_RUN, reason, -1,
		    NULL);
		LOG_RUN(LL_INFO, runner->run_id, rs->label, "%s", reason);
	}
}

/* Writes the reason of a cancel: "cancelled", with its cause when given. */
static void
runner_cancel_text(const struct runner *runner, char *out, size_t size)
{
	if (runner->cancel_why[0] == '\0')
		snprintf(out, size, "%s", _("cancelled"));
	else
		snprintf(out, size, _("cancelled: %s"), runner->cancel_why);
}

static void
runner_fail_stage(struct runner *runner, struct runner_stage *rs,
		  const char *state, const struct sup_result *result,
		  const char *reason)
{
	rs->state = RS_FAILED;
	runner_store_end(runner, rs, state, result, reason);
	runner_notify_end(runner, rs, state, reason, -1, result);
	LOG_RUN(LL_ERROR, runner->run_id, rs->label, _("failed: %s"), reason);
	/* A stage stopped by a cancel with a cause gives the run that cause. */
	if (runner->first_failure[0] == '\0' && runner->cancel_why[0] != '\0')
		runner_cancel_text(runner, runner->first_failure,
		    sizeof runner->first_failure);
	else if (runner->first_failure[0] == '\0')
		snprintf(runner->first_failure, sizeof runner->first_failure,
		    _("stage %s failed: %s"), rs->cfg->name, reason);
	runner_skip_dependents(runner);
}

/*
 * Fills reason for n missing declared outputs, of which names lists the
 * first RUNNER_MISSING_NAMED, separated by commas.
 */
static void
runner_describe_missing(const char *names, size_t n, char *reason,
			size_t size)
{
	size_t more = n > RUNNER_MISSING_NAMED ? n - RUNNER_MISSING_NAMED : 0;

	if (n == 1)
		snprintf(reason, size, _("declared output %s is missing "
		    "after exit status 0"), names);
	else if (more == 0)
		snprintf(reason, size, _("declared outputs %s are missing "
		    "after exit status 0"), names);
	else
		snprintf(reason, size, P_("declared outputs %s and %zu more "
		    "are missing after exit status 0", "declared outputs %s "
		    "and %zu more are missing after exit status 0", more),
		    names, more);
}

/*
 * Checks and records the declared outputs of a stage that exited 0. The
 * outputs that exist are recorded even when others are missing, and the
 * reason names the missing ones.
 */
static int
runner_check_outputs(struct runner *runner, const struct runner_stage *rs,
		     const struct stagectx *ctx, char *reason, size_t size)
{
	char names[STORE_TEXT_MAX - 64] = "";
	size_t i, n = 0, len;
	struct stat st;

	for (i = 0; i < ctx->n_outputs; i++) {
		if (stat(ctx->outputs[i], &st) == 0) {
			store_output_add(runner->store, rs->stage_run_id,
			    ctx->outputs[i], (int64_t)st.st_size,
			    (int64_t)st.st_mtim.tv_sec * 1000 +
			    st.st_mtim.tv_nsec / 1000000);
			continue;
		}
		if (++n > RUNNER_MISSING_NAMED)
			continue;
		len = strlen(names);
		snprintf(names + len, sizeof names - len, "%s%s",
		    n > 1 ? ", " : "", ctx->outputs[i]);
	}
	if (n == 0)
		return 0;
	runner_describe_missing(names, n, reason, size);
	return -1;
}

/*
 * Creates the directories of the declared outputs, so that a stage can
 * write them where the configuration says (a published location outside
 * the run directory, say).
 */
static int
runner_prepare_outputs(const struct stagectx *ctx, struct wk_err *err)
{
	char dir[PATH_MAX];
	char *slash;
	size_t i;

	for (i = 0; i < ctx->n_outputs; i++) {
		snprintf(dir, sizeof dir, "%s", ctx->outputs[i]);
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			continue;
		*slash = '\0';
		if (paths_mkdir_p(dir) < 0)
			return wk_err_set(err, WK_ERR_IO, _("cannot create the "
			    "directory %s of declared output %s: %s"), dir,
			    ctx->outputs[i], strerror(errno));
	}
	return WK_OK;
}

/*
 * Describes an out-of-memory end: how it was found, the limit (bytes) and
 * the peak resident memory of the stage.
 */
static void
runner_describe_oom(const struct sup_result *r, int64_t limit, char *reason,
		    size_t size)
{
	int64_t peak = r->peak_group_rss > r->max_rss_kb * 1024 ?
	    r->peak_group_rss : r->max_rss_kb * 1024;
	double limit_mib = (double)limit / 1048576.0;
	long long peak_mib = (long long)(peak >> 20);

	/* RLIMIT_AS counts reserved address space, not resident pages, so
	   the peak resident memory stays below the limit. */
	if (r->oom_cause == SUP_OOM_ALLOCATION)
		snprintf(reason, size, _("out of memory: an allocation failed "
		    "under the address-space limit (RLIMIT_AS) of %g MiB; the "
		    "stage's peak resident memory was %lld MiB"), limit_mib,
		    peak_mib);
	else if (r->oom_cause == SUP_OOM_CGROUP)
		snprintf(reason, size, _("out of memory: the kernel killed a "
		    "process at the cgroup memory limit of %g MiB (peak "
		    "resident memory %lld MiB)"), limit_mib, peak_mib);
	else
		snprintf(reason, size, _("out of memory: the resident memory "
		    "of the stage passed its limit of %g MiB (peak %lld MiB), "
		    "so its process group was killed"), limit_mib, peak_mib);
}

/*
 * Describes why a stage run failed, for the store and the log. limit is
 * the stage's memory limit in bytes.
 */
static void
runner_describe_failure(const struct runner *runner,
			const struct sup_result *r, int64_t limit,
			char *reason, size_t size)
{
	const char *tail = r->last_error[0] != '\0' ? r->last_error : "";
	const char *sep = tail[0] != '\0' ? ": " : "";

	if (!r->spawned)
		snprintf(reason, size, "%s", r->reason);
	else if (r->out_of_memory)
		runner_describe_oom(r, limit, reason, size);
	else if (r->heartbeat_missed && r->watchdog_triggered)
		snprintf(reason, size, _("the stage sent WATCHDOG=trigger; it "
		    "was stopped"));
	else if (r->heartbeat_missed)
		snprintf(reason, size, _("heartbeats stopped; the stage was "
		    "stopped"));
	else if (r->timed_out)
		snprintf(reason, size, _("timed out"));
	else if (r->cancelled)
		runner_cancel_text(runner, reason, size);
	else if (r->signal != 0)
		snprintf(reason, size, _("killed by signal %d (%s)%s%s"),
		    r->signal, strsignal(r->signal), sep, tail);
	else
		snprintf(reason, size, _("exit status %d%s%s"), r->exit_code,
		    sep, tail);
}

static const char *
runner_failure_state(const struct sup_result *r)
{
	if (r == NULL)
		return STORE_STAGE_FAILED;
	if (r->out_of_memory)
		return STORE_STAGE_OUT_OF_MEMORY;
	if (r->timed_out)
		return STORE_STAGE_TIMED_OUT;
	return STORE_STAGE_FAILED;
}

/* What a running attempt keeps until it ends. */
struct runner_attempt {
	struct runner_stage *rs;   /* the stage that runs */
	struct stagectx ctx;       /* its expanded context, owned */
	char cgroup_dir[PATH_MAX]; /* its cgroup, or "" */
};

static void runner_retry_due(struct ev_loop *loop, void *arg);

/* Plans the next attempt after a failure; returns its delay in ms. */
static int64_t
runner_plan_retry(struct runner *runner, struct runner_stage *rs)
{
	const struct cfg_stage *st = rs->cfg;
	int64_t delay, id;

	delay = runner_backoff_ms(st->retry_delay_ms, st->retry_delay_max_ms,
	    rs->attempt, runner_next_random(runner));
	if (store_stage_insert(runner->store, runner->run_id, st->name,
	    rs->attempt + 1, STORE_STAGE_RETRY_WAIT, NULL, &id) != WK_OK)
		return -1;
	rs->attempt++;
	rs->stage_run_id = id;
	rs->state = RS_RETRY_WAIT;
	store_stage_plan(runner->store, id, NULL, clk_wall_ms() + delay);
	rs->retry_timer = ev_timer_at(runner->loop, clk_mono_ns() +
	    delay * 1000000, runner_retry_due, rs);
	return delay;
}

/* Ends an attempt that failed: retry by policy, or fail the stage. */
static void
runner_attempt_failed(struct runner *runner, struct runner_stage *rs,
		      const struct sup_result *r, const char *reason,
		      int gate_or_output)
{
	const char *state = runner_failure_state(r);
	int64_t attempt_id = rs->stage_run_id, delay;
	char took[32];

	if (runner->cancelled || !runner_policy_retryable(rs->cfg, rs->attempt,
	    r, gate_or_output)) {
		runner_fail_stage(runner, rs, state, r, reason);
		return;
	}
	runner_store_end(runner, rs, state, r, reason);
	delay = runner_plan_retry(runner, rs);
	if (delay < 0) {
		runner_fail_stage(runner, rs, state, r, reason);
		return;
	}
	clk_format_duration(took, sizeof took, delay);
	LOG_RUN(LL_WARN, runner->run_id, rs->label,
	    _("attempt %d failed: %s; attempt %d of %d starts in %s"),
	    rs->attempt - 1, reason, rs->attempt, rs->cfg->retries + 1, took);
	{
		struct runner_stage_event ev = { rs->cfg, attempt_id,
			rs->attempt - 1, state, reason, 1, rs->gate_failed,
			delay, r };
		const struct runner_listener *l = runner->opts.listener;

		if (l != NULL && l->stage_ended != NULL)
			l->stage_ended(runner->opts.listener_arg, runner, &ev);
	}
}

static void
runner_stage_succeeded(struct runner *runner, struct runner_stage *rs,
		       const struct sup_result *r)
{
	char took[32];

	rs->state = RS_SUCCEEDED;
	runner_store_end(runner, rs, STORE_STAGE_SUCCEEDED, r, "");
	runner_notify_end(runner, rs, STORE_STAGE_SUCCEEDED, "", -1, r);
	clk_format_duration(took, sizeof took, r->duration_ms);
	LOG_RUN(LL_INFO, runner->run_id, rs->label, _("succeeded in %s"),
	    took);
}

static void
runner_stage_done(struct sup_proc *proc, const struct sup_result *r,
		  void *arg)
{
	struct runner_attempt *at = arg;
	struct runner_stage *rs = at->rs;
	struct runner *runner = rs->runner;
	char reason[STORE_TEXT_MAX] = "";
	int ok;

	runner->running--;
	rs->proc = NULL;
	rs->gate_failed = 0;
	ok = r->spawned && !r->timed_out && !r->cancelled &&
	    !r->heartbeat_missed && !r->out_of_memory && r->signal == 0 &&
	    r->exit_code == 0;
	if (!ok) {
		runner_describe_failure(runner, r, rs->cfg->memory_limit,
		    reason, sizeof reason);
		runner_attempt_failed(runner, rs, r, reason, 0);
	} else if (runner_check_outputs(runner, rs, &at->ctx, reason,
	    sizeof reason) < 0) {
		runner_attempt_failed(runner, rs, r, reason, 1);
	} else if (runner_policy_gates(runner->store, runner->pipeline->name,
	    rs->cfg, runner->run_id, rs->stage_run_id, reason,
	    sizeof reason) < 0) {
		rs->gate_failed = 1;
		runner_attempt_failed(runner, rs, r, reason, 1);
	} else {
		runner_stage_succeeded(runner, rs, r);
	}
	if (at->cgroup_dir[0] != '\0')
		cgroup_remove(at->cgroup_dir);
	stagectx_free(&at->ctx);
	free(at);
	sup_free(proc);
	runner_schedule(runner);
}

/*
 * Skips a stage that runner_policy_find_skip finds unchanged, unless the
 * re-run was forced. Returns 1 when the stage was skipped.
 */
static int
runner_try_skip(struct runner *runner, struct runner_stage *rs,
		const struct stagectx *ctx, const char *fingerprint)
{
	char reason[STORE_TEXT_MAX];
	struct runner_skip skip;

	if (runner->force || !runner_policy_find_skip(runner->store,
	    runner->pipeline->name, rs->cfg, ctx, fingerprint, &skip))
		return 0;
	snprintf(reason, sizeof reason, _("skipped: inputs, command and "
	    "settings unchanged since run %lld attempt %d, outputs reused"),
	    (long long)skip.run_id, skip.attempt);
	rs->state = RS_SUCCEEDED;
	runner_store_end(runner, rs, STORE_STAGE_SKIPPED, NULL, reason);
	runner_notify_end(runner, rs, STORE_STAGE_SKIPPED, reason, -1, NULL);
	LOG_RUN(LL_INFO, runner->run_id, rs->label, "%s", reason);
	return 1;
}

/* Chooses how the memory limit is enforced; fills the spec's fields. */
static int
runner_memory(struct runner *runner, struct runner_stage *rs,
	      struct runner_attempt *at, struct sup_spec *spec,
	      struct wk_err *err)
{
	const struct cfg_stage *st = rs->cfg;

	if (st->memory_limit == 0)
		return WK_OK;
	if (st->memory_mode != CFG_MEMORY_RLIMIT &&
	    runner->cgroup_root[0] != '\0' &&
	    cgroup_create_stage(runner->cgroup_root, rs->stage_run_id,
	    st->memory_limit, at->cgroup_dir, sizeof at->cgroup_dir,
	    err) == WK_OK) {
		spec->cgroup_dir = at->cgroup_dir;
		return WK_OK;
	}
	if (st->memory_mode == CFG_MEMORY_CGROUP)
		return wk_err_set(err, WK_ERR_STATE, _("memory_mode \"cgroup\" "
		    "needs a cgroup v2 directory the agent may manage, and "
		    "there is none; use \"auto\" or \"rlimit\""));
	spec->memory_rlimit = st->memory_mode == CFG_MEMORY_RLIMIT;
	return WK_OK;
}

static void
runner_fill_spec(struct runner *runner, struct runner_stage *rs,
		 const struct runner_attempt *at, struct sup_spec *spec)
{
	const struct cfg_stage *st = rs->cfg;

	*spec = (struct sup_spec){
		.argv = at->ctx.argv, .shell = at->ctx.shell,
		.envp = at->ctx.envp, .working_dir = at->ctx.working_dir,
		.stage_dir = at->ctx.stage_dir, .label = rs->label,
		.run_id = runner->run_id, .stage_run_id = rs->stage_run_id,
		.attempt = rs->attempt, .timeout_ms = st->timeout_ms,
		.grace_ms = st->grace_ms, .nice = st->nice,
		.heartbeat_ms = st->heartbeat_ms,
		.heartbeat_kill = st->heartbeat_action == CFG_HEARTBEAT_KILL,
		.memory_limit = st->memory_limit, .logs = runner->opts.logs,
		.log_to_files = st->on_restart == CFG_RESTART_ADOPT,
		.fatal_exit_codes = st->fatal_exit_codes,
		.n_fatal_exit_codes = st->n_fatal_exit_codes,
		.retry_exit_codes = st->retry_exit_codes,
		.n_retry_exit_codes = st->n_retry_exit_codes,
	};
}

/* Starts one attempt; a stage that cannot start fails at once. */
static void
runner_launch_stage(struct runner *runner, struct runner_stage *rs)
{
	struct stagectx_run run = { runner->run_id, runner->logical_date,
		runner->state_dir, runner->run_dir, rs->attempt };
	const struct runner_listener *l = runner->opts.listener;
	char fingerprint[SHA256_HEX_SIZE] = "";
	struct wk_err err = { 0, "" };
	struct runner_attempt *at;
	int64_t input_bytes = 0;
	struct sup_spec spec;

	at = calloc(1, sizeof *at);
	if (at == NULL) {
		runner_fail_stage(runner, rs, STORE_STAGE_FAILED, NULL,
		    _("out of memory"));
		return;
	}
	at->rs = rs;
	if (stagectx_build(&at->ctx, runner->pipeline, rs->cfg, &run,
	    &err) != WK_OK)
		goto fail;
	/* Only a stage with inputs can be skipped, so only its fingerprint
	 * is computed and stored. */
	if (rs->cfg->n_inputs > 0) {
		if (runner_policy_fingerprint(&at->ctx, rs->cfg, fingerprint,
		    &input_bytes, err.msg, sizeof err.msg) < 0)
			goto fail;
		store_stage_plan(runner->store, rs->stage_run_id, fingerprint,
		    0);
		store_metric_set(runner->store, rs->stage_run_id,
		    "watchkeep.input_bytes", (double)input_bytes, clk_wall_ms());
	}
	if (runner_try_skip(runner, rs, &at->ctx, fingerprint)) {
		stagectx_free(&at->ctx);
		free(at);
		return;
	}
	if (runner_prepare_outputs(&at->ctx, &err) != WK_OK)
		goto fail;
	runner_fill_spec(runner, rs, at, &spec);
	if (runner_memory(runner, rs, at, &spec, &err) != WK_OK ||
	    sup_start(runner->loop, runner->store, &spec, runner_stage_done,
	    at, &rs->proc, &err) != WK_OK)
		goto fail;
	rs->state = RS_RUNNING;
	runner->running++;
	if (l != NULL && l->stage_started != NULL)
		l->stage_started(runner->opts.listener_arg, runner, rs->cfg,
		    rs->attempt);
	return;

fail:
	if (at->cgroup_dir[0] != '\0')
		cgroup_remove(at->cgroup_dir);
	stagectx_free(&at->ctx);
	free(at);
	runner_fail_stage(runner, rs, STORE_STAGE_FAILED, NULL, err.msg);
}

/*
 * Starts one attempt, with its rows (plan, metrics, start, or the end of a
 * stage that cannot start) stored in one transaction.
 */
static void
runner_start_stage(struct runner *runner, struct runner_stage *rs)
{
	store_group_begin(runner->store);
	runner_launch_stage(runner, rs);
	store_group_end(runner->store);
}

static void
runner_retry_due(struct ev_loop *loop, void *arg)
{
	struct runner_stage *rs = arg;

	(void)loop;
	rs->retry_timer = 0;
	if (rs->state != RS_RETRY_WAIT)
		return;
	rs->state = RS_WAITING;
	runner_schedule(rs->runner);
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

static int
runner_busy(const struct runner *runner)
{
	size_t i;

	if (runner->running > 0)
		return 1;
	for (i = 0; i < runner->pipeline->n_stages; i++) {
		if (runner->stages[i].state == RS_RETRY_WAIT)
			return 1;
	}
	return 0;
}

/*
 * Names why a run failed when none of its stages failed in this pass: it
 * was cancelled, or a re-run left out a stage that had failed or not run.
 */
static void
runner_carried_failure(struct runner *runner)
{
	const struct runner_stage *rs;
	size_t i;

	if (runner->cancelled) {
		runner_cancel_text(runner, runner->first_failure,
		    sizeof runner->first_failure);
		return;
	}
	for (i = 0; i < runner->pipeline->n_stages; i++) {
		rs = &runner->stages[runner->pipeline->order[i]];
		if (rs->state == RS_SUCCEEDED)
			continue;
		snprintf(runner->first_failure, sizeof runner->first_failure,
		    rs->state == RS_FAILED ? _("stage %s failed in an earlier "
		    "pass and was not re-run") : _("stage %s did not run"),
		    rs->cfg->name);
		return;
	}
}

static void
runner_finish(struct runner *runner)
{
	const struct runner_listener *l = runner->opts.listener;
	int64_t duration_ms = (clk_mono_ns() - runner->start_ns) / 1000000;
	int64_t ended_ms = clk_wall_ms();
	size_t i;
	char took[32];

	/* A re-run run keeps its started_at, so its duration is the wall time
	   from that start: ended_at - started_at, as for any other run. */
	if (runner->resumed_from_ms > 0)
		duration_ms = ended_ms - runner->resumed_from_ms;

	runner->succeeded = !runner->cancelled;
	for (i = 0; i < runner->pipeline->n_stages; i++) {
		if (runner->stages[i].state != RS_SUCCEEDED)
			runner->succeeded = 0;
	}
	if (!runner->succeeded && runner->first_failure[0] == '\0')
		runner_carried_failure(runner);
	store_run_finish(runner->store, runner->run_id, runner->succeeded ?
	    STORE_RUN_SUCCEEDED : STORE_RUN_FAILED, ended_ms, duration_ms,
	    runner->succeeded ? NULL : runner->first_failure);
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
	if (l != NULL && l->run_ended != NULL)
		l->run_ended(runner->opts.listener_arg, runner);
	runner->done(runner, runner->done_arg);
}

/*
 * Starts every waiting stage whose dependencies have succeeded, in
 * dependency order, up to max_parallel at once, and finishes the run when
 * nothing runs, waits for a retry or can start.
 */
static void
runner_schedule(struct runner *runner)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	for (k = 0; k < p->n_stages && !runner->cancelled; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (runner->running >= (size_t)p->max_parallel)
			break;
		if (rs->state == RS_WAITING && runner_ready(runner, rs))
			runner_start_stage(runner, rs);
	}
	if (!runner_busy(runner) && !runner->finished)
		runner_finish(runner);
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
	runner->opts = *opts;
	snprintf(runner->state_dir, sizeof runner->state_dir, "%s",
	    opts->state_dir);
	snprintf(runner->logical_date, sizeof runner->logical_date, "%s",
	    opts->logical_date);
	snprintf(runner->cgroup_root, sizeof runner->cgroup_root, "%s",
	    opts->cgroup_root != NULL ? opts->cgroup_root : "");
	runner->random = (uint64_t)clk_mono_ns() ^ ((uint64_t)getpid() << 32) ^
	    UINT64_C(0x9e3779b97f4a7c15);
	runner->start_ns = clk_mono_ns();
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

static int
runner_make_run_dir(struct runner *runner, struct wk_err *err)
{
	int n;

	n = snprintf(runner->run_dir, sizeof runner->run_dir, "%s/runs/%lld",
	    runner->state_dir, (long long)runner->run_id);
	if (n < 0 || (size_t)n >= sizeof runner->run_dir ||
	    paths_mkdir_p(runner->run_dir) < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot create the run "
		    "directory %s: %s"), runner->run_dir, strerror(errno));
	return WK_OK;
}

/* Inserts the run and one pending stage run per stage. */
static int
runner_insert_rows(struct runner *runner, const struct runner_opts *opts,
		   struct wk_err *err)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	if (store_run_insert(runner->store, p->name, opts->logical_date,
	    opts->trigger, clk_wall_ms(), &runner->run_id) != WK_OK)
		return wk_err_set(err, WK_ERR_STORE, _("cannot store the new "
		    "run of %s in %s"), p->name, store_path(runner->store));
	if (opts->scheduled_at > 0)
		store_run_set_scheduled(runner->store, runner->run_id,
		    opts->scheduled_at);
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

/* Inserts the rows of the run in one transaction. */
static int
runner_create_rows(struct runner *runner, const struct runner_opts *opts,
		   struct wk_err *err)
{
	int rc;

	store_group_begin(runner->store);
	rc = runner_insert_rows(runner, opts, err);
	if (store_group_end(runner->store) != WK_OK && rc == WK_OK) {
		/* The commit was rolled back, and the run's id with it. */
		runner->run_id = 0;
		rc = wk_err_set(err, WK_ERR_STORE, _("cannot store the new "
		    "run of %s in %s"), runner->pipeline->name,
		    store_path(runner->store));
	}
	return rc;
}

int
runner_start(struct ev_loop *loop, struct store *store,
	     const struct cfg_pipeline *pipeline,
	     const struct runner_opts *opts, runner_done_fn done, void *arg,
	     struct runner **out, struct wk_err *err)
{
	struct runner *runner;
	int rc;

	runner = runner_new(loop, store, pipeline, opts);
	if (runner == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	runner->done = done;
	runner->done_arg = arg;

	rc = runner_create_rows(runner, opts, err);
	if (rc == WK_OK)
		rc = runner_make_run_dir(runner, err);
	if (rc != WK_OK)
		goto fail;
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

/* Finds a stage's index by name, or returns -1. */
static long
runner_stage_index(const struct cfg_pipeline *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_stages; i++) {
		if (strcmp(p->stages[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Reads the latest attempt of every stage of the run into rows[index]. */
static int
runner_load_latest(struct store *store, const struct cfg_pipeline *p,
		   int64_t run_id, struct store_stage_run *rows, int *found,
		   struct wk_err *err)
{
	struct store_stage_run *all;
	size_t n = 0, i;
	long index;
	int rc;

	all = calloc(CFG_MAX_STAGES, sizeof *all);
	if (all == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	rc = store_stage_runs_latest(store, run_id, all, CFG_MAX_STAGES, &n);
	for (i = 0; rc == WK_OK && i < n; i++) {
		index = runner_stage_index(p, all[i].stage);
		if (index < 0)
			continue;
		rows[index] = all[i];
		found[index] = 1;
	}
	free(all);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("cannot read the stages of run "
		    "%lld"), (long long)run_id);
	return WK_OK;
}

static int
runner_row_succeeded(const struct store_stage_run *row)
{
	return strcmp(row->state, STORE_STAGE_SUCCEEDED) == 0 ||
	    strcmp(row->state, STORE_STAGE_SKIPPED) == 0;
}

int
runner_kept_blocks(const struct store_stage_run *row)
{
	return row == NULL || !runner_row_succeeded(row);
}

int
runner_plan_rerun(struct store *store, const struct cfg_pipeline *p,
		  const struct runner_rerun *rr, int *selected,
		  struct wk_err *err)
{
	char hint[NAMEHINT_MSG_MAX];
	struct store_stage_run *rows;
	struct store_run run;
	int *found, rc;
	long from;
	size_t k, d;

	from = rr->from != NULL ? runner_stage_index(p, rr->from) : -1;
	if (rr->from != NULL && from < 0) {
		namehint_stages(hint, sizeof hint, p, rr->from);
		return wk_err_set(err, WK_ERR_NOTFOUND, _("pipeline %s has no "
		    "stage \"%s\"; %s"), p->name, rr->from, hint);
	}
	if (store_run_get(store, rr->run_id, &run) != WK_OK ||
	    strcmp(run.pipeline, p->name) != 0)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("run %lld of "
		    "pipeline %s not found"), (long long)rr->run_id, p->name);
	if (strcmp(run.state, STORE_RUN_RUNNING) == 0 && !rr->recovering)
		return wk_err_set(err, WK_ERR_STATE, _("run %lld is still "
		    "running; cancel it first"), (long long)rr->run_id);
	rows = calloc(p->n_stages, sizeof *rows);
	found = calloc(p->n_stages, sizeof *found);
	rc = rows == NULL || found == NULL ? wk_err_set(err, WK_ERR_NOMEM,
	    _("out of memory")) : runner_load_latest(store, p, rr->run_id,
	    rows, found, err);

	/*
	 * The from stage and, in dependency order, all that depend on it;
	 * every stage when there is no from stage.
	 */
	for (k = 0; rc == WK_OK && k < p->n_stages; k++)
		selected[k] = from < 0 || (long)k == from;
	for (k = 0; rc == WK_OK && k < p->n_stages; k++) {
		const struct cfg_stage *st = &p->stages[p->order[k]];

		for (d = 0; d < st->n_depends_on; d++)
			if (selected[st->dep_index[d]])
				selected[p->order[k]] = 1;
	}
	for (k = 0; rc == WK_OK && rr->only_failed && k < p->n_stages; k++) {
		if (selected[k] && found[k] && runner_row_succeeded(&rows[k]))
			selected[k] = 0;
	}
	free(rows);
	free(found);
	return rc;
}

size_t
runner_plan_count(const struct cfg_pipeline *p, const int *selected)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_stages; i++)
		n += selected[i] != 0;
	return n;
}

/*
 * Makes a stage wait for the attempt a previous agent planned after a
 * failure, until its retry_at (wall ms), counted on the monotonic clock
 * from now and at most the stage's retry_delay_max. An attempt whose time
 * has passed starts at once.
 */
static void
runner_resume_retry_wait(struct runner *runner, struct runner_stage *rs,
			 int64_t retry_at)
{
	int64_t left_ms = retry_at - clk_wall_ms();
	char took[32];

	if (retry_at <= 0 || left_ms <= 0)
		return;
	if (left_ms > rs->cfg->retry_delay_max_ms)
		left_ms = rs->cfg->retry_delay_max_ms;

	clk_format_duration(took, sizeof took, left_ms);
	LOG_RUN(LL_INFO, runner->run_id, rs->label, _("attempt %d of %d starts "
	    "in %s, at the time planned after attempt %d failed"), rs->attempt,
	    rs->cfg->retries + 1, took, rs->attempt - 1);
	rs->state = RS_RETRY_WAIT;
	rs->retry_timer = ev_timer_at(runner->loop, clk_mono_ns() + left_ms *
	    INT64_C(1000000), runner_retry_due, rs);
}

/*
 * Sets the state of each stage for a re-run and inserts new attempts. An
 * attempt that never started is reused; when recovering, one that waited
 * for its backoff waits on until its retry_at.
 */
static int
runner_prepare_rerun(struct runner *runner, const int *selected,
		     const struct store_stage_run *rows, const int *found,
		     int recovering, struct wk_err *err)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];
		size_t i = p->order[k];

		if (!selected[i]) {
			rs->state = !runner_kept_blocks(found[i] ? &rows[i] :
			    NULL) ? RS_SUCCEEDED : found[i] ? RS_FAILED :
			    RS_NOT_RUN;
			rs->kept = 1;
			continue;
		}
		rs->state = RS_WAITING;
		if (found[i] && rows[i].started_at == 0 &&
		    (strcmp(rows[i].state, STORE_STAGE_PENDING) == 0 ||
		    strcmp(rows[i].state, STORE_STAGE_RETRY_WAIT) == 0)) {
			/* The previous agent stopped before this attempt
			 * started, so the attempt is reused, not counted. */
			rs->attempt = rows[i].attempt;
			rs->stage_run_id = rows[i].id;
			if (recovering)
				runner_resume_retry_wait(runner, rs,
				    rows[i].retry_at);
			continue;
		}
		rs->attempt = found[i] ? rows[i].attempt + 1 : 1;
		if (store_stage_insert(runner->store, runner->run_id,
		    rs->cfg->name, rs->attempt, STORE_STAGE_PENDING, NULL,
		    &rs->stage_run_id) != WK_OK)
			return wk_err_set(err, WK_ERR_STORE, _("cannot store "
			    "the new attempt of stage %s"), rs->cfg->name);
	}
	return WK_OK;
}

/*
 * Logs where a re-run starts: at its from stage, or at the first stage it
 * selected in dependency order.
 */
static void
runner_log_rerun(const struct runner *runner, const struct runner_rerun *rr,
		 const int *selected)
{
	const struct cfg_pipeline *p = runner->pipeline;
	const char *first = NULL;
	size_t k;

	for (k = 0; k < p->n_stages && first == NULL; k++) {
		if (selected[p->order[k]])
			first = p->stages[p->order[k]].name;
	}
	if (rr->from != NULL)
		LOG_RUN(LL_INFO, runner->run_id, NULL, _("re-running pipeline "
		    "%s from stage %s%s"), p->name, rr->from, rr->only_failed ?
		    _(" (only stages that did not succeed)") : "");
	else if (first == NULL)
		LOG_RUN(LL_INFO, runner->run_id, NULL, _("re-running pipeline "
		    "%s: every stage already succeeded"), p->name);
	else if (rr->only_failed)
		LOG_RUN(LL_INFO, runner->run_id, NULL, _("re-running pipeline "
		    "%s from the first unfinished stage, %s"), p->name, first);
	else
		LOG_RUN(LL_INFO, runner->run_id, NULL, _("re-running pipeline "
		    "%s from its first stage, %s"), p->name, first);
}

int
runner_resume(struct ev_loop *loop, struct store *store,
	      const struct cfg_pipeline *p, const struct runner_opts *opts,
	      const struct runner_rerun *rr, runner_done_fn done, void *arg,
	      struct runner **out, struct wk_err *err)
{
	struct store_stage_run *rows = calloc(p->n_stages, sizeof *rows);
	int *selected = calloc(p->n_stages, sizeof *selected);
	int *found = calloc(p->n_stages, sizeof *found);
	struct runner *runner = NULL;
	struct store_run run;
	int rc = WK_ERR_NOMEM;

	if (rows == NULL || selected == NULL || found == NULL ||
	    (runner = runner_new(loop, store, p, opts)) == NULL) {
		wk_err_set(err, rc, _("out of memory"));
		goto out;
	}
	runner->done = done;
	runner->done_arg = arg;
	runner->force = rr->force;
	runner->run_id = rr->run_id;
	rc = runner_plan_rerun(store, p, rr, selected, err);
	/* A recovered run ends through the runner even when every stage
	   succeeded, so that its row leaves the running state. */
	if (rc == WK_OK && !rr->recovering && runner_plan_count(p, selected) == 0)
		rc = wk_err_set(err, WK_ERR_STATE, _("nothing to re-run: every "
		    "selected stage of run %lld succeeded"),
		    (long long)rr->run_id);
	if (rc == WK_OK)
		rc = runner_load_latest(store, p, rr->run_id, rows, found, err);
	if (rc == WK_OK && store_run_get(store, rr->run_id, &run) == WK_OK) {
		snprintf(runner->logical_date, sizeof runner->logical_date,
		    "%s", run.logical_date);
		runner->resumed_from_ms = run.started_at;
	}
	if (rc == WK_OK)
		rc = runner_make_run_dir(runner, err);
	if (rc == WK_OK)
		rc = runner_prepare_rerun(runner, selected, rows, found,
		    rr->recovering, err);
	if (rc == WK_OK && store_run_reopen(store, rr->run_id) != WK_OK)
		rc = wk_err_set(err, WK_ERR_STORE, _("cannot reopen run %lld"),
		    (long long)rr->run_id);
	if (rc != WK_OK)
		goto out;

	runner_log_rerun(runner, rr, selected);
	*out = runner;
	runner_skip_dependents(runner);
	runner_schedule(runner);
	runner = NULL;

out:
	runner_free(runner);
	free(rows);
	free(selected);
	free(found);
	return rc;
}

/*
 * Ends a stage that waited for its next attempt when the run was
 * cancelled. The planned attempt never started, so its row is dropped and
 * the stage ends as the attempt that failed, with the cancel in its reason.
 */
static void
runner_cancel_retry(struct runner *runner, struct runner_stage *rs)
{
	char failed[STORE_TEXT_MAX] = "", reason[STORE_TEXT_MAX];
	int64_t failed_id = 0;
	int rc;

	rc = store_stage_attempt_before(runner->store, rs->stage_run_id,
	    &failed_id, failed, sizeof failed);
	if (rc == WK_OK && failed[0] == '\0')
		snprintf(failed, sizeof failed, _("attempt %d failed"),
		    rs->attempt - 1);
	snprintf(reason, sizeof reason, _("%s; the run was cancelled before "
	    "attempt %d started"), failed, rs->attempt);
	if (rc == WK_OK)
		rc = store_stage_drop_planned(runner->store, rs->stage_run_id,
		    failed_id, reason);
	if (rc != WK_OK) {
		LOG_RUN(LL_ERROR, runner->run_id, rs->label, _("could not "
		    "drop the planned attempt %d of the cancelled run"),
		    rs->attempt);
		rs->state = RS_NOT_RUN;
		runner_store_end(runner, rs, STORE_STAGE_NOT_RUN, NULL,
		    _("not run: the run was cancelled"));
		return;
	}

	rs->stage_run_id = failed_id;
	rs->attempt--;
	rs->state = RS_FAILED;
	LOG_RUN(LL_INFO, runner->run_id, rs->label, "%s", reason);
}

void
runner_cancel(struct runner *runner)
{
	runner_cancel_because(runner, NULL);
}

void
runner_cancel_because(struct runner *runner, const char *why)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k;

	if (runner->finished || runner->cancelled)
		return;
	runner->cancelled = 1;
	snprintf(runner->cancel_why, sizeof runner->cancel_why, "%s",
	    why != NULL ? why : "");
	if (why != NULL)
		LOG_RUN(LL_INFO, runner->run_id, NULL, _("cancelling the run: "
		    "%s"), why);
	else
		LOG_RUN(LL_INFO, runner->run_id, NULL, _("cancelling the run"));
	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (rs->state == RS_RUNNING) {
			sup_cancel(rs->proc);
			continue;
		}
		if (rs->state != RS_WAITING && rs->state != RS_RETRY_WAIT)
			continue;
		if (rs->retry_timer != 0)
			ev_timer_cancel(runner->loop, rs->retry_timer);
		rs->retry_timer = 0;
		if (rs->state == RS_RETRY_WAIT) {
			runner_cancel_retry(runner, rs);
			continue;
		}
		rs->state = RS_NOT_RUN;
		runner_store_end(runner, rs, STORE_STAGE_NOT_RUN, NULL,
		    _("not run: the run was cancelled"));
	}
	if (runner->running == 0)
		runner_schedule(runner);
}

size_t
runner_kill(struct runner *runner)
{
	const struct cfg_pipeline *p = runner->pipeline;
	size_t k, killed = 0;

	if (runner->finished || !runner->cancelled)
		return 0;

	LOG_RUN(LL_WARN, runner->run_id, NULL, _("cancelled again; killing "
	    "the process groups of the running stages now"));
	for (k = 0; k < p->n_stages; k++) {
		struct runner_stage *rs = &runner->stages[p->order[k]];

		if (rs->state == RS_RUNNING && sup_kill_now(rs->proc))
			killed++;
	}
	return killed;
}

void
runner_free(struct runner *runner)
{
	size_t i;

	if (runner == NULL)
		return;
	for (i = 0; i < runner->pipeline->n_stages; i++) {
		if (runner->stages[i].retry_timer != 0)
			ev_timer_cancel(runner->loop,
			    runner->stages[i].retry_timer);
	}
	free(runner->stages);
	free(runner);
}
