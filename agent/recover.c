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
#include "agent/logcap.h"
#include "agent/stagenotify.h"
#include "agent/stagectx.h"
#include "agent/sup_escape.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/procfs.h"

#define RECOVER_MAX_RUNS 256
#define RECOVER_POLL_MS 50       /* while a killed group dies */
#define RECOVER_ADOPT_POLL_MS 1000
#define RECOVER_GROUP_WAIT_MS 5000 /* for an adopted group after SIGKILL */
#define RECOVER_ESCAPE_LOG_MAX 8   /* escaped processes named in the log */
#define RECOVER_ESCAPE_LIST_MAX 512 /* bytes of their list in the log */
/* Outputs may look this much older than the attempt's start, because
   file times come from the kernel's coarse clock, which lags the wall
   clock by up to one scheduler tick. */
#define RECOVER_MTIME_SLACK_MS 1000

/* Tells whether the process that ran a stage is still the same one. */
static int
recover_alive(const struct store_stage_run *row)
{
	return row->pid > 0 && row->pid_start >= 0 &&
	    sup_process_start(row->pid) == row->pid_start;
}

/*
 * Waits up to ms for process group pgid (when group is set) and the
 * processes esc tracks to be gone.
 */
static int
recover_wait_gone(pid_t pgid, int group, const struct sup_escape *esc,
		  int64_t ms)
{
	int64_t deadline = clk_mono_ns() + ms * 1000000;
	struct timespec pause = { 0, RECOVER_POLL_MS * 1000000L };

	/* Zombies wait for their new parent to reap them: they are gone. */
	while ((group && sup_group_alive(pgid) > 0) ||
	    sup_escape_signal(esc, 0) > 0) {
		if (clk_mono_ns() >= deadline)
			return -1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* Finds the entry "NAME=VALUE" for prefix "NAME=" in an environ block. */
static const char *
recover_env_entry(const char *block, size_t len, const char *prefix)
{
	size_t prefix_len = strlen(prefix), i = 0;

	while (i < len) {
		const char *entry = block + i;
		size_t entry_len = strnlen(entry, len - i);

		if (entry_len >= prefix_len &&
		    strncmp(entry, prefix, prefix_len) == 0)
			return entry;
		i += entry_len + 1;
	}
	return NULL;
}

/*
 * Takes into esc the identity of the previous agent's stage run. The
 * entries come from the environment its main process was started with
 * when alive is set and /proc/PID/environ can be read. Otherwise they are
 * the values stagectx_build() sets, with this agent's state directory.
 */
static void
recover_escape_init(struct sup_escape *esc, const struct agent *agent,
		    const struct store_stage_run *row, int64_t run_id,
		    int alive)
{
	static const char *const names[SUP_ESCAPE_ENTRIES] = {
		"WATCHKEEP_RUN_ID=", "WATCHKEEP_STAGE=", "WATCHKEEP_STATE_DIR=",
	};
	char built[SUP_ESCAPE_ENTRIES][SUP_ESCAPE_ENTRY_MAX];
	const char *envp[SUP_ESCAPE_ENTRIES + 1], *found;
	char *block = alive ? malloc(SUP_ESCAPE_ENVIRON_MAX) : NULL;
	ssize_t n = -1;
	size_t i;

	snprintf(built[0], sizeof built[0], "%s%lld", names[0],
	    (long long)run_id);
	snprintf(built[1], sizeof built[1], "%s%s", names[1], row->stage);
	snprintf(built[2], sizeof built[2], "%s%s", names[2],
	    agent->sd.path);
	if (block != NULL)
		n = procfs_read(row->pid, "environ", block,
		    SUP_ESCAPE_ENVIRON_MAX);
	for (i = 0; i < SUP_ESCAPE_ENTRIES; i++) {
		found = n > 0 ? recover_env_entry(block, (size_t)n, names[i]) :
		    NULL;
		envp[i] = found != NULL ? found : built[i];
	}
	envp[SUP_ESCAPE_ENTRIES] = NULL;
	sup_escape_init(esc, envp);
	free(block);
}

/*
 * Sends signo to process group pgid when group is set, and to the
 * processes outside it that carry the stage run's identity.
 */
static void
recover_signal(pid_t pgid, int group, struct sup_escape *esc, int signo)
{
	if (group)
		kill(-pgid, signo);
	sup_escape_scan(esc, pgid, signo, NULL);
	sup_escape_signal(esc, signo);
}

/*
 * Logs the processes that had left the group and were stopped, and stores
 * their count as the stage run's metric, as the agent that ran it would.
 */
static void
recover_log_escaped(const struct agent *agent, const struct sup_escape *esc,
		    const struct store_stage_run *row, const char *label,
		    int64_t run_id)
{
	size_t escaped = sup_escape_found(esc);
	char list[RECOVER_ESCAPE_LIST_MAX];

	if (escaped == 0)
		return;
	sup_escape_describe(esc, RECOVER_ESCAPE_LOG_MAX, list, sizeof list);
	LOG_RUN(LL_WARN, run_id, label,
	    P_("stopped %zu process that had left process group %d (setsid "
	       "or setpgid): %s", "stopped %zu processes that had left "
	       "process group %d (setsid or setpgid): %s",
	       (unsigned long)escaped), escaped, (int)row->pid, list);
	store_metric_set(agent->store, row->id, "watchkeep.escaped_processes",
	    (double)escaped, clk_wall_ms());
}

/*
 * Stops what the previous agent's stage run left: its process group when
 * its main process still runs (alive), and the processes that left the
 * group, found by the stage run's identity in their environment. SIGTERM,
 * the grace period, SIGKILL.
 */
static void
recover_kill(const struct agent *agent, const struct store_stage_run *row,
	     int alive, int64_t grace_ms, const char *label, int64_t run_id)
{
	struct sup_escape escape;  /* about 15 KiB, on the stack */
	struct sup_escape *esc = &escape;

	recover_escape_init(esc, agent, row, run_id, alive);
	if (alive)
		LOG_RUN(LL_WARN, run_id, label, _("process group %d of the "
		    "previous agent is still running; stopping it"), row->pid);
	recover_signal(row->pid, alive, esc, SIGTERM);
	if (recover_wait_gone(row->pid, alive, esc, grace_ms) == 0)
		goto out;
	recover_signal(row->pid, alive, esc, SIGKILL);
	if (recover_wait_gone(row->pid, alive, esc, 5000) < 0 && alive)
		LOG_RUN(LL_ERROR, run_id, label, _("process group %d survived "
		    "SIGKILL"), row->pid);
out:
	recover_log_escaped(agent, esc, row, label, run_id);
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
	int retry = 1, alive;
	size_t i;

	for (i = 0; i < n; i++) {
		if (adopted[i] ||
		    strcmp(rows[i].state, STORE_STAGE_RUNNING) != 0)
			continue;
		st = p != NULL ? cfg_find_stage(p, rows[i].stage) : NULL;
		snprintf(label, sizeof label, "%s/%s", run->pipeline,
		    rows[i].stage);
		alive = recover_alive(&rows[i]);
		recover_kill(agent, &rows[i], alive, st != NULL ?
		    st->grace_ms : CFG_GRACE_DEFAULT_MS, label, run->id);
		if (alive) {
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
	char failure[STORE_TEXT_MAX];     /* why the run fails: the first
					     adopted stage that failed with no
					     retry left, or "" */
};

/*
 * A stage of the previous agent set to adopt, watched until it ends, or
 * judged at once when it ended while no agent ran.
 */
struct recover_adopted {
	struct recover_group *group;      /* shared; freed by the last one */
	struct store_stage_run row;       /* its attempt */
	char label[2 * CFG_NAME_MAX];     /* "pipeline/stage", for the log */
	struct logcap cap[2];             /* reads of its stdout and stderr
					     log files, which it writes */
	int64_t timeout_ms;               /* the stage's timeout, 0: none */
	int64_t grace_ms;                 /* SIGTERM to SIGKILL */
	uint64_t timer;                   /* pending deadline, grace or
					     group-wait timer, 0: none */
	int timed_out;                    /* this agent stopped the group at
					     the stage's deadline */
	int heartbeat_missed;             /* this agent stopped the group by
					     heartbeat_action "kill" */
	int watchdog_triggered;           /* ... because the stage sent
					     WATCHDOG=trigger */
	int ended;                        /* its main process has ended */
	int64_t deadline_ns;              /* monotonic deadline, 0: none */
	struct stagenotify notify;        /* the socket bound again at the
					     stage's NOTIFY_SOCKET */
	int64_t group_wait_ns;            /* monotonic time the wait for the
					     group to be empty began */
};

static void recover_resume(struct agent *agent, const struct store_run *run);

/*
 * Resumes the run for its stages that did not succeed, or fails it when a
 * stage this agent stopped or adopted has no retries left or the pipeline
 * is gone. failure, when not "", names the adopted stage that failed.
 */
static void
recover_settle(struct agent *agent, const struct store_run *run, int retry,
	       const char *failure)
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
	if (p == NULL)
		failure = _("agent restarted and the pipeline is no longer "
		    "configured");
	else if (failure[0] == '\0')
		failure = _("agent restarted; an interrupted stage has no "
		    "retries left");
	recover_fail_run(agent, run, rows, n, failure);
	free(rows);
}

/* Builds the context of the adopted attempt; fails when its stage is gone. */
static int
recover_adopted_ctx(const struct recover_adopted *a, struct stagectx *ctx)
{
	const struct recover_group *g = a->group;
	const struct cfg_pipeline *p = cfg_find_pipeline(g->agent->acfg->cfg,
	    g->run.pipeline);
	const struct cfg_stage *st = p != NULL ?
	    cfg_find_stage(p, a->row.stage) : NULL;
	char run_dir[PATH_MAX + 32];
	struct stagectx_run ctx_run;
	struct wk_err err;

	if (st == NULL)
		return WK_ERR_NOTFOUND;
	snprintf(run_dir, sizeof run_dir, "%s/runs/%lld", g->agent->sd.path,
	    (long long)g->run.id);
	ctx_run = (struct stagectx_run){ g->run.id, g->run.logical_date,
		g->agent->sd.path, run_dir, a->row.attempt };
	return stagectx_build(ctx, p, st, &ctx_run, &err);
}

/*
 * Tells whether every declared output of the adopted attempt exists and
 * was written no earlier than the attempt's start, and sets *declared to
 * how many the stage declares (0 also when its stage is gone). A stage
 * without declared outputs cannot be judged, so it is not ok.
 */
static int
recover_outputs_ok(const struct recover_adopted *a, size_t *declared)
{
	struct stagectx ctx;
	struct stat sb;
	int64_t mtime_ms;
	size_t i;
	int ok;

	*declared = 0;
	if (recover_adopted_ctx(a, &ctx) != WK_OK)
		return 0;

	*declared = ctx.n_outputs;
	ok = ctx.n_outputs > 0;
	for (i = 0; ok && i < ctx.n_outputs; i++) {
		if (stat(ctx.outputs[i], &sb) < 0) {
			ok = 0;
			break;
		}
		mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 +
		    sb.st_mtim.tv_nsec / 1000000;
		ok = mtime_ms >= a->row.started_at - RECOVER_MTIME_SLACK_MS;
	}
	stagectx_free(&ctx);
	return ok;
}

/*
 * Goes on reading the log files the adopted stage writes itself from where
 * the previous agent's last commit left them. A stage that wrote to pipes
 * has no stored read position, and its files are left alone.
 */
static void
recover_adopted_logs(struct recover_adopted *a)
{
	struct agent *agent = a->group->agent;
	enum store_stream stream;
	struct stagectx ctx;
	char path[PATH_MAX];
	int i, built;

	built = recover_adopted_ctx(a, &ctx) == WK_OK;
	for (i = 0; i < 2; i++) {
		stream = i == 0 ? STORE_STDOUT : STORE_STDERR;
		if (!built || logcap_file_path(path, sizeof path, ctx.stage_dir,
		    stream, a->row.attempt) != WK_OK)
			path[0] = '\0';
		if (logcap_init(&a->cap[i], agent->store, a->row.id, stream,
		    path[0] != '\0' ? path : NULL) != WK_OK)
			continue;
		logcap_set_limits(&a->cap[i], &agent->acfg->cfg->logs);
		logcap_set_owner(&a->cap[i], a->group->run.id, a->label);
		if (path[0] != '\0')
			logcap_resume_file(&a->cap[i], agent->loop);
	}
	if (built)
		stagectx_free(&ctx);
}

/*
 * Sets the state and reason of an ended adopted stage. It timed out when
 * this agent stopped it at its deadline. It succeeded when every declared
 * output exists and is no older than the attempt, else it failed.
 * Its exit status is unknown, because the process was re-parented to init
 * or to a subreaper above the old agent, and only a parent can wait for it.
 */
static void
recover_adopted_judge(struct recover_adopted *a)
{
	const char *state = STORE_STAGE_FAILED;
	const char *reason;
	size_t declared;

	if (a->timed_out) {
		state = STORE_STAGE_TIMED_OUT;
		reason = _("timed out");
	} else if (a->heartbeat_missed && a->watchdog_triggered) {
		reason = _("the stage sent WATCHDOG=trigger; it was stopped");
	} else if (a->heartbeat_missed) {
		reason = _("heartbeats stopped; the stage was stopped");
	} else if (recover_outputs_ok(a, &declared)) {
		state = STORE_STAGE_SUCCEEDED;
		reason = "";
	} else if (declared == 0) {
		reason = _("adopted after an agent restart; exit status unknown "
		    "and no declared outputs to check");
	} else {
		reason = _("adopted after an agent restart; exit status unknown, "
		    "declared outputs missing or older than the attempt");
	}
	snprintf(a->row.state, sizeof a->row.state, "%s", state);
	snprintf(a->row.reason, sizeof a->row.reason, "%s", reason);
}

/* Logs how an adopted stage ended, once judged. */
static void
recover_adopted_log_end(const struct recover_adopted *a)
{
	int64_t run_id = a->group->run.id;

	if (a->timed_out)
		LOG_RUN(LL_ERROR, run_id, a->label, _("adopted process %d was "
		    "stopped at its timeout, so the stage timed out"),
		    a->row.pid);
	else if (strcmp(a->row.state, STORE_STAGE_SUCCEEDED) == 0)
		LOG_RUN(LL_INFO, run_id, a->label, _("adopted process %d "
		    "ended; its declared outputs exist, so the stage "
		    "succeeded"), a->row.pid);
	else
		LOG_RUN(LL_ERROR, run_id, a->label, _("adopted process %d "
		    "ended and the stage failed: %s"), a->row.pid,
		    a->row.reason);
}

/*
 * Tells whether an adopted stage that failed may have another attempt by
 * its stage's policy. Its exit status is unknown, so fatal_exit_codes
 * cannot match it, and a stage that lists retry_exit_codes is retried only
 * when it timed out, which this agent saw.
 */
static int
recover_adopted_retryable(const struct recover_adopted *a,
			  const struct cfg_stage *st)
{
	if (st == NULL || a->row.attempt > st->retries)
		return 0;
	return a->timed_out || a->heartbeat_missed ||
	    st->n_retry_exit_codes == 0;
}

/*
 * Inserts the next attempt of a failed adopted stage, due after the
 * stage's backoff, for the resumed run to start at its retry_at. Returns
 * -1 when it could not be stored.
 */
static int
recover_adopted_plan_retry(struct recover_adopted *a,
			   const struct cfg_stage *st)
{
	struct store *store = a->group->agent->store;
	uint64_t random = (uint64_t)clk_mono_ns() ^
	    ((uint64_t)getpid() << 32);
	int64_t delay, id;
	char took[32];

	delay = runner_backoff_ms(st->retry_delay_ms, st->retry_delay_max_ms,
	    a->row.attempt, random * UINT64_C(0x9e3779b97f4a7c15));
	if (store_stage_insert(store, a->group->run.id, a->row.stage,
	    a->row.attempt + 1, STORE_STAGE_RETRY_WAIT, NULL, &id) != WK_OK ||
	    store_stage_plan(store, id, NULL, clk_wall_ms() + delay) != WK_OK)
		return -1;

	clk_format_duration(took, sizeof took, delay);
	LOG_RUN(LL_WARN, a->group->run.id, a->label,
	    _("attempt %d failed: %s; attempt %d of %d starts in %s"),
	    a->row.attempt, a->row.reason, a->row.attempt + 1,
	    st->retries + 1, took);
	return 0;
}

/*
 * Applies the retry policy to an ended adopted stage that did not
 * succeed: plans its next attempt, or records that the run fails.
 */
static void
recover_adopted_policy(struct recover_adopted *a)
{
	struct recover_group *g = a->group;
	const struct cfg_pipeline *p = cfg_find_pipeline(g->agent->acfg->cfg,
	    g->run.pipeline);
	const struct cfg_stage *st = p != NULL ?
	    cfg_find_stage(p, a->row.stage) : NULL;

	if (strcmp(a->row.state, STORE_STAGE_SUCCEEDED) == 0)
		return;
	if (recover_adopted_retryable(a, st) &&
	    recover_adopted_plan_retry(a, st) == 0)
		return;

	g->retry = 0;
	if (g->failure[0] == '\0')
		snprintf(g->failure, sizeof g->failure, _("stage %s failed: %s"),
		    a->row.stage, a->row.reason);
}

/*
 * Judges an adopted stage once its group is empty, after storing the rest
 * of its log lines. The lines, the end and a planned retry are committed
 * together. The last adopted stage of the run to end settles the run.
 */
static void
recover_adopted_ended(struct recover_adopted *a)
{
	struct recover_group *g = a->group;
	struct store *store = g->agent->store;

	store_group_begin(store);
	/* Metrics sent just before the end are still queued. */
	stagenotify_read(&a->notify, INT_MAX);
	stagenotify_close(&a->notify);
	logcap_finish(&a->cap[0]);
	logcap_finish(&a->cap[1]);
	recover_adopted_judge(a);
	a->row.ended_at = clk_wall_ms();
	a->row.duration_ms = a->row.started_at > 0 ? a->row.ended_at -
	    a->row.started_at : -1;
	a->row.exit_code = -1;
	a->row.signal = 0;
	a->row.user_cpu_ms = a->row.sys_cpu_ms = a->row.max_rss_kb = -1;
	store_stage_finish(store, &a->row);
	recover_adopted_log_end(a);
	recover_adopted_policy(a);
	store_group_end(store);
	if (--g->n_watched > 0)
		return;
	recover_settle(g->agent, &g->run, g->retry, g->failure);
	free(g);
}

/*
 * Ends an adopted stage once its group is empty. After this agent stopped
 * it (timeout or heartbeat_action "kill"), what is left of the group gets
 * SIGKILL, as for a stage the agent started, and
 * the wait stops after RECOVER_GROUP_WAIT_MS.
 */
static void
recover_adopted_drain(struct ev_loop *loop, void *arg)
{
	struct recover_adopted *a = arg;
	int64_t waited = clk_mono_ns() - a->group_wait_ns;
	int alive = a->timed_out || a->heartbeat_missed ?
	    sup_group_alive(a->row.pid) : 0;

	a->timer = 0;
	if (alive > 0 && waited < RECOVER_GROUP_WAIT_MS * INT64_C(1000000)) {
		kill(-a->row.pid, SIGKILL);
		a->timer = ev_timer_at(loop, clk_mono_ns() + RECOVER_POLL_MS *
		    INT64_C(1000000), recover_adopted_drain, a);
		return;
	}
	if (alive > 0)
		LOG_RUN(LL_ERROR, a->group->run.id, a->label,
		    _("process group %d is not empty %d ms after SIGKILL"),
		    a->row.pid, RECOVER_GROUP_WAIT_MS);
	recover_adopted_ended(a);
	free(a);
}

/* Notes that the adopted stage's main process ended. */
static void
recover_adopted_gone(struct ev_loop *loop, struct recover_adopted *a)
{
	if (a->timer != 0)
		ev_timer_cancel(loop, a->timer);
	a->timer = 0;
	a->ended = 1;
	a->group_wait_ns = clk_mono_ns();
	recover_adopted_drain(loop, a);
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
	recover_adopted_gone(loop, a);
}

static void
recover_adopted_exit(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct recover_adopted *a = arg;

	(void)events;
	ev_fd_del(loop, fd);
	close(fd);
	recover_adopted_gone(loop, a);
}

/* Sends SIGKILL to the adopted group still running after the grace period. */
static void
recover_adopted_kill(struct ev_loop *loop, void *arg)
{
	struct recover_adopted *a = arg;

	(void)loop;
	a->timer = 0;
	if (sup_group_alive(a->row.pid) <= 0)
		return;
	LOG_RUN(LL_WARN, a->group->run.id, a->label,
	    _("process group %d still running %lld ms after SIGTERM; sending "
	      "SIGKILL"), a->row.pid, (long long)a->grace_ms);
	kill(-a->row.pid, SIGKILL);
}

/* Sends SIGTERM to the adopted group at the stage's deadline. */
static void
recover_adopted_timeout(struct ev_loop *loop, void *arg)
{
	struct recover_adopted *a = arg;
	char limit[32];

	a->timer = 0;
	if (!recover_alive(&a->row))
		return;	/* its end is already on the way */
	clk_format_duration(limit, sizeof limit, a->timeout_ms);
	LOG_RUN(LL_WARN, a->group->run.id, a->label,
	    _("timed out after %s; sending SIGTERM to process group %d"),
	    limit, a->row.pid);
	a->timed_out = 1;
	kill(-a->row.pid, SIGTERM);
	a->timer = ev_timer_at(loop, clk_mono_ns() + a->grace_ms *
	    INT64_C(1000000), recover_adopted_kill, a);
}

/*
 * Arms the timeout of an adopted stage. The old agent's monotonic clock is
 * gone, so the deadline is the stored wall-clock start plus the timeout.
 * The time left at adoption is counted on CLOCK_MONOTONIC, so that a later
 * wall-clock jump does not move it. A deadline already past fires at once.
 */
static void
recover_adopted_deadline(struct recover_adopted *a)
{
	int64_t left_ms;
	char limit[32], left[32];

	if (a->timeout_ms <= 0 || a->row.started_at <= 0)
		return;

	left_ms = a->row.started_at + a->timeout_ms - clk_wall_ms();
	if (left_ms < 0)
		left_ms = 0;
	if (left_ms > a->timeout_ms)
		left_ms = a->timeout_ms;	/* the wall clock went back */
	clk_format_duration(limit, sizeof limit, a->timeout_ms);
	clk_format_duration(left, sizeof left, left_ms);
	LOG_RUN(LL_INFO, a->group->run.id, a->label, _("the timeout of %s "
	    "of the adopted stage ends in %s"), limit, left);
	a->deadline_ns = clk_mono_ns() + left_ms * INT64_C(1000000);
	a->timer = ev_timer_at(a->group->agent->loop, a->deadline_ns,
	    recover_adopted_timeout, a);
}

static int
recover_notify_active(void *arg)
{
	const struct recover_adopted *a = arg;

	return !a->ended && !a->timed_out && !a->heartbeat_missed;
}

/*
 * Applies heartbeat_action "kill" to an adopted stage: SIGTERM to its
 * group now and SIGKILL after the grace period, in place of its deadline.
 */
static void
recover_notify_stop(void *arg, int triggered)
{
	struct recover_adopted *a = arg;
	struct ev_loop *loop = a->group->agent->loop;

	if (a->timer != 0)
		ev_timer_cancel(loop, a->timer);
	a->heartbeat_missed = 1;
	a->watchdog_triggered = triggered;
	kill(-a->row.pid, SIGTERM);
	a->timer = ev_timer_at(loop, clk_mono_ns() + a->grace_ms *
	    INT64_C(1000000), recover_adopted_kill, a);
}

/* Moves the adopted stage's deadline at its request (EXTEND_TIMEOUT_USEC). */
static void
recover_notify_extend(void *arg, int64_t extend_us)
{
	struct recover_adopted *a = arg;
	int64_t at = clk_mono_ns() + extend_us * 1000;

	if (a->deadline_ns == 0 || a->timer == 0 || at <= a->deadline_ns ||
	    !recover_notify_active(a))
		return;
	ev_timer_cancel(a->group->agent->loop, a->timer);
	a->deadline_ns = at;
	a->timer = ev_timer_at(a->group->agent->loop, at,
	    recover_adopted_timeout, a);
	LOG_RUN(LL_INFO, a->group->run.id, a->label,
	    _("timeout extended by %lld ms at the stage's request"),
	    (long long)(extend_us / 1000));
}

static const struct stagenotify_ops recover_notify_ops = {
	.active = recover_notify_active,
	.stop = recover_notify_stop,
	.extend = recover_notify_extend,
};

/*
 * Binds a new socket at the NOTIFY_SOCKET the adopted stage was started
 * with, read from its environment, so that its STATUS, progress, metrics
 * and heartbeats reach this agent. The heartbeat interval is the
 * WATCHDOG_USEC it was started with, judged from now. Datagrams it sent
 * while no agent held the socket are lost.
 */
static void
recover_adopted_notify(struct recover_adopted *a)
{
	char address[PATH_MAX];
	struct stagectx ctx;
	int64_t watchdog_us, heartbeat_ms = 0;
	int rc;

	if (stagenotify_env_of(a->row.pid, address, sizeof address,
	    &watchdog_us) != WK_OK) {
		LOG_RUN(LL_WARN, a->group->run.id, a->label, _("cannot read "
		    "the environment of adopted process %d: %s; its notify "
		    "datagrams are not received"), a->row.pid,
		    strerror(errno));
		return;
	}
	if (address[0] == '\0' || recover_adopted_ctx(a, &ctx) != WK_OK)
		return;	/* it was started without a notify socket */
	rc = stagenotify_rebind(&a->notify, address, ctx.stage_dir);
	stagectx_free(&ctx);
	if (rc != WK_OK) {
		LOG_RUN(LL_WARN, a->group->run.id, a->label, _("cannot bind "
		    "the notify socket %s of adopted process %d again: %s; "
		    "its notify datagrams are not received"), address,
		    a->row.pid, rc == WK_ERR_INVALID ?
		    _("not an address the agent gives") : strerror(errno));
		return;
	}
	if (watchdog_us > 0)
		heartbeat_ms = watchdog_us < 1000 ? 1 : watchdog_us / 1000;
	stagenotify_watch(&a->notify, a->row.pid, NULL, heartbeat_ms,
	    clk_mono_ns());
	LOG_RUN(LL_INFO, a->group->run.id, a->label, _("receiving the notify "
	    "datagrams of adopted process %d at %s again"), a->row.pid,
	    address);
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
 * Starts watching the running stages set to on_restart "adopt", and sets
 * adopted[i] for each. Those whose process ended while no agent ran are
 * judged as soon as the loop runs, the same way. Returns how many.
 */
static size_t
recover_adopt(struct recover_group *g, const struct cfg_pipeline *p,
	      const struct store_stage_run *rows, int *adopted, size_t n)
{
	const struct cfg_stage *st;
	struct recover_adopted *a;
	size_t i, count = 0;
	int alive;

	for (i = 0; p != NULL && i < n; i++) {
		st = cfg_find_stage(p, rows[i].stage);
		if (strcmp(rows[i].state, STORE_STAGE_RUNNING) != 0 ||
		    st == NULL || st->on_restart != CFG_RESTART_ADOPT)
			continue;
		a = calloc(1, sizeof *a);
		if (a == NULL)
			continue;
		a->group = g;
		a->row = rows[i];
		a->timeout_ms = st->timeout_ms;
		a->grace_ms = st->grace_ms;
		snprintf(a->label, sizeof a->label, "%s/%s", p->name,
		    rows[i].stage);
		alive = recover_alive(&rows[i]);
		if (alive)
			LOG_RUN(LL_INFO, g->run.id, a->label, _("adopting "
			    "process group %d of the previous agent"),
			    rows[i].pid);
		else
			LOG_RUN(LL_INFO, g->run.id, a->label, _("process %d of "
			    "attempt %d ended while no agent ran; judging it by "
			    "its declared outputs"), rows[i].pid,
			    rows[i].attempt);
		recover_adopted_logs(a);
		stagenotify_init(&a->notify, g->agent->loop, g->agent->store,
		    g->run.id, a->row.id, a->label, st->heartbeat_action ==
		    CFG_HEARTBEAT_KILL, &recover_notify_ops, a);
		if (alive) {
			recover_adopted_deadline(a);
			recover_adopted_notify(a);
		}
		/* An ended process is judged at the loop's next turn. */
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
	recover_settle(agent, run, g->retry, "");

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
