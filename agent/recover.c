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
#include <sys/syscall.h>
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
 * Ends the interrupted attempts of one run, except those being adopted
 * (adopted[i] set). Returns 1 when every one may be retried by its stage's
 * policy, else 0.
 */
static int
recover_stages(struct agent *agent, const struct store_run *run,
	       const struct cfg_pipeline *p, struct store_stage_run *rows,
	       const int *adopted, size_t n)
{
	const struct cfg_stage *st;
	char label[2 * CFG_NAME_MAX];
	int retry = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (adopted[i] ||
		    strcmp(rows[i].state, STORE_STAGE_RUNNING) != 0)
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

/*
 * One run being reconciled while stages of the previous agent it adopted
 * still run. The last adopted stage to end resumes or fails the run.
 */
struct recover_group {
	struct agent *agent;              /* not owned */
	struct store_run run;             /* the run */
	size_t n_watched;                 /* adopted stages still running */
	int retry;                        /* 1: every stage this agent stopped
					     may be retried by its policy */
};

/* A stage of the previous agent kept running, watched until it ends. */
struct recover_adopted {
	struct recover_group *group;      /* shared; freed by the last one */
	struct store_stage_run row;       /* its attempt */
	char label[2 * CFG_NAME_MAX];     /* "pipeline/stage", for the log */
};

static void recover_resume(struct agent *agent, const struct store_run *run);

/*
 * Resumes the run for its stages that did not succeed, or fails it when a
 * stage this agent stopped has no retries left or the pipeline is gone.
 */
static void
recover_settle(struct agent *agent, const struct store_run *run, int retry)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(agent->acfg->cfg,
	    run->pipeline);
	struct store_stage_run *rows;
	size_t n = 0;

	if (p != NULL && retry) {
		recover_resume(agent, run);
		return;
	}
	rows = calloc(CFG_MAX_STAGES, sizeof *rows);
	if (rows == NULL || store_stage_runs_latest(agent->store, run->id,
	    rows, CFG_MAX_STAGES, &n) != WK_OK)
		n = 0;
	recover_fail_run(agent, run, rows, n, p == NULL ? _("agent restarted "
	    "and the pipeline is no longer configured") : _("agent restarted; "
	    "an interrupted stage has no retries left"));
	free(rows);
}

/* Judges an adopted stage by its declared outputs once it ended. */
static void
recover_adopted_ended(struct recover_adopted *a)
{
	struct recover_group *g = a->group;
	const struct cfg_pipeline *p = cfg_find_pipeline(g->agent->acfg->cfg,
	    g->run.pipeline);
	const struct cfg_stage *st = p != NULL ?
	    cfg_find_stage(p, a->row.stage) : NULL;
	char run_dir[PATH_MAX + 32];
	struct stagectx_run ctx_run;
	struct stagectx ctx;
	struct wk_err err;
	struct stat sb;
	size_t i;
	int ok = st != NULL && st->n_outputs > 0;

	snprintf(run_dir, sizeof run_dir, "%s/runs/%lld", g->agent->sd.path,
	    (long long)g->run.id);
	ctx_run = (struct stagectx_run){ g->run.id, g->run.logical_date,
		g->agent->sd.path, run_dir, a->row.attempt };
	if (ok && stagectx_build(&ctx, p, st, &ctx_run, &err) == WK_OK) {
		for (i = 0; i < ctx.n_outputs; i++)
			ok &= stat(ctx.outputs[i], &sb) == 0;
		stagectx_free(&ctx);
	} else {
		ok = 0;
	}
	a->row.ended_at = clk_wall_ms();
	a->row.duration_ms = a->row.started_at > 0 ? a->row.ended_at -
	    a->row.started_at : -1;
	snprintf(a->row.state, sizeof a->row.state, "%s", ok ?
	    STORE_STAGE_SUCCEEDED : STORE_STAGE_FAILED);
	/* A reason marks a failure in the run's report, so a success has none
	   and the log line below records that the stage was adopted. */
	snprintf(a->row.reason, sizeof a->row.reason, "%s", ok ? "" :
	    _("adopted after an agent restart; exit status unknown, declared "
	      "outputs missing"));
	a->row.exit_code = -1;
	a->row.user_cpu_ms = a->row.sys_cpu_ms = a->row.max_rss_kb = -1;
	store_stage_finish(g->agent->store, &a->row);
	LOG_RUN(LL_INFO, g->run.id, a->label, ok ? _("adopted process %d "
	    "ended; its declared outputs exist, so the stage succeeded") :
	    _("adopted process %d ended; its declared outputs are missing, so "
	    "the stage failed"), a->row.pid);
	if (--g->n_watched > 0)
		return;
	recover_settle(g->agent, &g->run, g->retry);
	free(g);
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
	recover_adopted_ended(a);
	free(a);
}

static void
recover_adopted_exit(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct recover_adopted *a = arg;

	(void)events;
	ev_fd_del(loop, fd);
	close(fd);
	recover_adopted_ended(a);
	free(a);
}

/*
 * Watches the adopted process through a pidfd, which becomes readable the
 * moment the process ends. Polls instead when pidfd_open(2) is missing, or
 * when the process is gone or replaced by the time the pidfd is open.
 */
static void
recover_adopted_watch(struct ev_loop *loop, struct recover_adopted *a)
{
	int fd = -1;

#ifdef SYS_pidfd_open
	fd = (int)syscall(SYS_pidfd_open, (pid_t)a->row.pid, 0);
#endif
	if (fd >= 0 && recover_alive(&a->row) &&
	    ev_fd_add(loop, fd, EV_READ, recover_adopted_exit, a) == WK_OK)
		return;

	if (fd >= 0)
		close(fd);
	ev_timer_at(loop, clk_mono_ns(), recover_adopted_poll, a);
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

/*
 * Starts watching the running stages set to on_restart "adopt" whose
 * process still lives, and sets adopted[i] for each. Returns how many.
 */
static size_t
recover_adopt(struct recover_group *g, const struct cfg_pipeline *p,
	      const struct store_stage_run *rows, int *adopted, size_t n)
{
	const struct cfg_stage *st;
	struct recover_adopted *a;
	size_t i, count = 0;

	for (i = 0; p != NULL && i < n; i++) {
		st = cfg_find_stage(p, rows[i].stage);
		if (strcmp(rows[i].state, STORE_STAGE_RUNNING) != 0 ||
		    st == NULL || st->on_restart != CFG_RESTART_ADOPT ||
		    !recover_alive(&rows[i]))
			continue;
		a = calloc(1, sizeof *a);
		if (a == NULL)
			continue;
		a->group = g;
		a->row = rows[i];
		snprintf(a->label, sizeof a->label, "%s/%s", p->name,
		    rows[i].stage);
		LOG_RUN(LL_INFO, g->run.id, a->label, _("adopting process "
		    "group %d of the previous agent"), rows[i].pid);
		recover_adopted_watch(g->agent->loop, a);
		adopted[i] = 1;
		count++;
	}
	return count;
}

/*
 * Reconciles one run left "running": adopts the stages set to adopt, stops
 * and ends the other running ones, then resumes or fails the run once the
 * adopted stages have ended (at once when there are none).
 */
static void
recover_run(struct agent *agent, const struct store_run *run)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(agent->acfg->cfg,
	    run->pipeline);
	struct store_stage_run *rows = calloc(CFG_MAX_STAGES, sizeof *rows);
	int *adopted = calloc(CFG_MAX_STAGES, sizeof *adopted);
	struct recover_group *g = calloc(1, sizeof *g);
	size_t n = 0;

	if (rows == NULL || adopted == NULL || g == NULL ||
	    store_stage_runs_latest(agent->store, run->id, rows,
	    CFG_MAX_STAGES, &n) != WK_OK) {
		LOG_RUN(LL_ERROR, run->id, NULL, _("cannot read the stages of "
		    "the run to reconcile it; it stays running in the store"));
		goto out;
	}

	g->agent = agent;
	g->run = *run;
	g->n_watched = recover_adopt(g, p, rows, adopted, n);
	g->retry = recover_stages(agent, run, p, rows, adopted, n);
	if (g->n_watched > 0) {
		g = NULL;	/* the last adopted stage to end frees it */
		goto out;
	}
	recover_settle(agent, run, g->retry);

out:
	free(g);
	free(adopted);
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
		LOG(LL_WARN, P_("%zu run was left running by a previous "
		    "agent; reconciling it", "%zu runs were left running by a "
		    "previous agent; reconciling them", n), n);
	for (i = 0; i < n; i++)
		recover_run(agent, &runs[i]);
	free(runs);
	return WK_OK;
}
