/*
 * Reconciliation after an agent restart: what a previous agent (killed,
 * crashed, or its machine rebooted) left "running" in the store.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/stagectx.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"

#define RECOVER_MAX_RUNS 256
#define RECOVER_POLL_MS 50       /* while a killed group dies */
#define RECOVER_ADOPT_POLL_MS 1000

/* Tells whether the process that ran a stage is still the same one. */
static int
recover_alive(const struct store_stage_run *row)
{
	return row->pid > 0 && row->pid_start >= 0 &&
	    sup_process_start(row->pid) == row->pid_start;
}

/* Waits up to ms for process group pgid to be empty. */
static int
recover_wait_gone(pid_t pgid, int64_t ms)
{
	int64_t deadline = clk_mono_ns() + ms * 1000000;
	struct timespec pause = { 0, RECOVER_POLL_MS * 1000000L };

	/* Zombies wait for their new parent to reap them: they are gone. */
	while (sup_group_alive(pgid) > 0) {
		if (clk_mono_ns() >= deadline)
			return -1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* Stops a leftover process group: SIGTERM, the grace period, SIGKILL. */
static void
recover_kill(const struct store_stage_run *row, int64_t grace_ms,
	     const char *label, int64_t run_id)
{
	LOG_RUN(LL_WARN, run_id, label, _("process group %d of the previous "
	    "agent is still running; stopping it"), row->pid);
	kill(-row->pid, SIGTERM);
	if (recover_wait_gone(row->pid, grace_ms) == 0)
		return;
	kill(-row->pid, SIGKILL);
	if (recover_wait_gone(row->pid, 5000) < 0)
		LOG_RUN(LL_ERROR, run_id, label, _("process group %d survived "
		    "SIGKILL"), row->pid);
}

static void
recover_end_stage(struct agent *agent, const struct store_stage_run *row,
		  const char *reason)
{
	struct store_stage_run end = *row;

	snprintf(end.state, sizeof end.state, "%s", STORE_STAGE_FAILED);
	end.ended_at = clk_wall_ms();
	end.duration_ms = end.started_at > 0 ? end.ended_at - end.started_at :
	    -1;
	end.exit_code = -1;
	end.signal = 0;
	end.user_cpu_ms = end.sys_cpu_ms = end.max_rss_kb = -1;
	snprintf(end.reason, sizeof end.reason, "%s", reason);
	store_stage_finish(agent->store, &end);
}

/*
 * Ends the interrupted attempts of one run. Returns 1 when every one may be
 * retried by its stage's policy, else 0.
 */
static int
recover_stages(struct agent *agent, const struct store_run *run,
	       const struct cfg_pipeline *p, struct store_stage_run *rows,
	       size_t n)
{
	const struct cfg_stage *st;
	char label[2 * CFG_NAME_MAX];
	int retry = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].state, STORE_STAGE_RUNNING) != 0)
			continue;
		st = p != NULL ? cfg_find_stage(p, rows[i].stage) : NULL;
		snprintf(label, sizeof label, "%s/%s", run->pipeline,
		    rows[i].stage);
		if (recover_alive(&rows[i])) {
			recover_kill(&rows[i], st != NULL ? st->grace_ms :
			    CFG_GRACE_DEFAULT_MS, label, run->id);
			recover_end_stage(agent, &rows[i], _("agent restarted; "
			    "the stage's process group was stopped"));
		} else {
			recover_end_stage(agent, &rows[i], _("agent restarted; "
			    "the stage's process was gone"));
		}
		LOG_RUN(LL_WARN, run->id, label, _("attempt %d interrupted by "
		    "an agent restart"), rows[i].attempt);
		if (st == NULL || rows[i].attempt > st->retries)
			retry = 0;
	}
	return retry;
}

/* Marks the stages that never finished as not run and fails the run. */
static void
recover_fail_run(struct agent *agent, const struct store_run *run,
		 struct store_stage_run *rows, size_t n, const char *reason)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].state, STORE_STAGE_PENDING) != 0 &&
		    strcmp(rows[i].state, STORE_STAGE_RETRY_WAIT) != 0)
			continue;
		snprintf(rows[i].state, sizeof rows[i].state, "%s",
		    STORE_STAGE_NOT_RUN);
		snprintf(rows[i].reason, sizeof rows[i].reason, "%s", reason);
		rows[i].ended_at = clk_wall_ms();
		rows[i].duration_ms = -1;
		store_stage_finish(agent->store, &rows[i]);
	}
	store_run_finish(agent->store, run->id, STORE_RUN_FAILED,
	    clk_wall_ms(), run->ended_at > 0 ? -1 : clk_wall_ms() -
	    run->started_at, reason);
	LOG_RUN(LL_ERROR, run->id, NULL, _("run failed: %s"), reason);
}

/* A stage of the previous agent kept running, watched until it ends. */
struct recover_adopted {
	struct agent *agent;              /* not owned */
	struct store_run run;             /* the run it belongs to */
	struct store_stage_run row;       /* its attempt */
};

static void recover_resume(struct agent *agent, const struct store_run *run);

/* Judges an adopted stage by its declared outputs once it ended. */
static void
recover_adopted_ended(struct recover_adopted *a)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(a->agent->acfg->cfg,
	    a->run.pipeline);
	const struct cfg_stage *st = p != NULL ?
	    cfg_find_stage(p, a->row.stage) : NULL;
	char run_dir[PATH_MAX + 32];
	struct stagectx_run ctx_run;
	struct stagectx ctx;
	struct wk_err err;
	struct stat sb;
	size_t i;
	int ok = st != NULL && st->n_outputs > 0;

	snprintf(run_dir, sizeof run_dir, "%s/runs/%lld", a->agent->sd.path,
	    (long long)a->run.id);
	ctx_run = (struct stagectx_run){ a->run.id, a->run.logical_date,
		a->agent->sd.path, run_dir, a->row.attempt };
	if (ok && stagectx_build(&ctx, p, st, &ctx_run, &err) == WK_OK) {
		for (i = 0; i < ctx.n_outputs; i++)
			ok &= stat(ctx.outputs[i], &sb) == 0;
		stagectx_free(&ctx);
	} else {
		ok = 0;
	}
	a->row.ended_at = clk_wall_ms();
	snprintf(a->row.state, sizeof a->row.state, "%s", ok ?
	    STORE_STAGE_SUCCEEDED : STORE_STAGE_FAILED);
	snprintf(a->row.reason, sizeof a->row.reason, "%s", ok ?
	    _("adopted after an agent restart; exit status unknown, declared "
	      "outputs present") : _("adopted after an agent restart; exit "
	      "status unknown, declared outputs missing"));
	a->row.exit_code = -1;
	a->row.user_cpu_ms = a->row.sys_cpu_ms = a->row.max_rss_kb = -1;
	store_stage_finish(a->agent->store, &a->row);
	recover_resume(a->agent, &a->run);
}

static void
recover_adopted_poll(struct ev_loop *loop, void *arg)
{
	struct recover_adopted *a = arg;

	if (recover_alive(&a->row)) {
		ev_timer_at(loop, clk_mono_ns() + RECOVER_ADOPT_POLL_MS *
		    INT64_C(1000000), recover_adopted_poll, a);
		return;
	}
	LOG_RUN(LL_INFO, a->run.id, a->row.stage, _("adopted process %d "
	    "ended"), a->row.pid);
	recover_adopted_ended(a);
	free(a);
}

/* Resumes a run for its stages that did not succeed, or fails it. */
static void
recover_resume(struct agent *agent, const struct store_run *run)
{
	struct runner_rerun rr = { run->id, NULL, 1, 0, 1 };
	struct wk_err err = { 0, "" };

	if (agent_rerun(agent, run->pipeline, &rr, &err) != WK_OK) {
		LOG_RUN(LL_ERROR, run->id, NULL, _("cannot resume the run: %s"),
		    err.msg);
		store_run_finish(agent->store, run->id, STORE_RUN_FAILED,
		    clk_wall_ms(), -1, err.msg);
	}
}

/* Starts watching the stages whose stage says adopt; returns how many. */
static size_t
recover_adopt(struct agent *agent, const struct store_run *run,
	      const struct cfg_pipeline *p, const struct store_stage_run *rows,
	      size_t n)
{
	const struct cfg_stage *st;
	struct recover_adopted *a;
	size_t i, adopted = 0;

	for (i = 0; p != NULL && i < n; i++) {
		st = cfg_find_stage(p, rows[i].stage);
		if (strcmp(rows[i].state, STORE_STAGE_RUNNING) != 0 ||
		    st == NULL || st->on_restart != CFG_RESTART_ADOPT ||
		    !recover_alive(&rows[i]))
			continue;
		a = calloc(1, sizeof *a);
		if (a == NULL)
			continue;
		a->agent = agent;
		a->run = *run;
		a->row = rows[i];
		LOG_RUN(LL_INFO, run->id, rows[i].stage, _("adopting process "
		    "group %d of the previous agent"), rows[i].pid);
		ev_timer_at(agent->loop, clk_mono_ns(), recover_adopted_poll, a);
		adopted++;
	}
	return adopted;
}

/* Reconciles one run left "running". */
static void
recover_run(struct agent *agent, const struct store_run *run)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(agent->acfg->cfg,
	    run->pipeline);
	struct store_stage_run *rows = calloc(CFG_MAX_STAGES, sizeof *rows);
	size_t n = 0;

	if (rows == NULL || store_stage_runs_latest(agent->store, run->id,
	    rows, CFG_MAX_STAGES, &n) != WK_OK) {
		free(rows);
		return;
	}
	if (recover_adopt(agent, run, p, rows, n) > 0) {
		free(rows);
		return;
	}
	if (p == NULL)
		recover_fail_run(agent, run, rows, n, _("agent restarted and "
		    "the pipeline is no longer configured"));
	else if (!recover_stages(agent, run, p, rows, n))
		recover_fail_run(agent, run, rows, n, _("agent restarted; an "
		    "interrupted stage has no retries left"));
	else
		recover_resume(agent, run);
	free(rows);
}

int
recover_runs(struct agent *agent)
{
	struct store_run *runs = calloc(RECOVER_MAX_RUNS, sizeof *runs);
	size_t n = 0, i;

	if (runs == NULL)
		return WK_ERR_NOMEM;
	if (store_runs_in_state(agent->store, STORE_RUN_RUNNING, runs,
	    RECOVER_MAX_RUNS, &n) == WK_OK && n > 0)
		LOG(LL_WARN, _("%zu runs were left running by a previous agent; "
		    "reconciling them"), n);
	for (i = 0; i < n; i++)
		recover_run(agent, &runs[i]);
	free(runs);
	return WK_OK;
}
