/* Run requests, the overlap policy and the queue of the agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/namehint.h"
#include "core/store_queue.h"
#include "core/text.h"

static void
agent_reap_soon(struct ev_loop *loop, void *arg)
{
	(void)loop;
	agent_reap_runs(arg);
}

/* A runner finished: free it from the loop, outside its own callbacks. */
static void
agent_run_done(struct runner *runner, void *arg)
{
	struct agent_run *run = arg;

	(void)runner;
	ev_timer_at(run->agent->loop, clk_mono_ns(), agent_reap_soon,
	    run->agent);
}

static void
agent_listener_stage_ended(void *arg, struct runner *runner,
			   const struct runner_stage_event *ev)
{
	agent_alert_stage(arg, runner, ev);
}

/* Finds the run of runner in agent->runs, or returns NULL. */
static struct agent_run *
agent_run_of(struct agent *agent, const struct runner *runner)
{
	size_t i;

	for (i = 0; i < agent->n_runs; i++) {
		if (agent->runs[i]->runner == runner)
			return agent->runs[i];
	}
	return NULL;
}

/*
 * Counts a run that ended in the one-shot report and exit status, unless
 * another command handed it over, because that run belongs to the other
 * command.
 */
static void
agent_listener_run_ended(void *arg, struct runner *runner)
{
	struct agent *agent = arg;
	struct agent_run *run = agent_run_of(agent, runner);

	agent_alert_run(agent, runner);
	if (run != NULL && run->client_pid != 0) {
		LOG_RUN(LL_INFO, runner_run_id(runner), NULL, _("the run that "
		    "pid %d handed over ended; it is not part of this "
		    "command's result"), run->client_pid);
		return;
	}
	if (!runner_succeeded(runner))
		agent->runs_failed++;
	if (agent->n_finished_runs < sizeof agent->finished_runs /
	    sizeof agent->finished_runs[0])
		agent->finished_runs[agent->n_finished_runs++] =
		    runner_run_id(runner);
}

const struct runner_listener agent_runner_listener = {
	.stage_started = NULL,
	.stage_ended = agent_listener_stage_ended,
	.run_ended = agent_listener_run_ended,
};

static struct agent_run *
agent_run_new(struct agent *agent, struct wk_err *err)
{
	struct agent_run *run;

	if (agent->n_runs == AGENT_MAX_RUNS) {
		wk_err_set(err, WK_ERR_LIMIT, _("%d runs are in progress, the "
		    "most the agent keeps; wait for one to end"),
		    AGENT_MAX_RUNS);
		return NULL;
	}
	run = calloc(1, sizeof *run);
	if (run == NULL) {
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		return NULL;
	}
	run->agent = agent;
	run->acfg = agent->acfg;
	run->client_pid = agent->client_pid;
	agent->acfg->refs++;
	return run;
}

static void
agent_run_free(struct agent_run *run)
{
	if (run == NULL)
		return;
	runner_free(run->runner);
	if (--run->acfg->refs == 0) {
		cfg_free(run->acfg->cfg);
		free(run->acfg);
	}
	free(run);
}

static void
agent_fill_opts(struct agent *agent, struct runner_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->state_dir = agent->sd.path;
	opts->cgroup_root = agent->cgroup_root[0] != '\0' ?
	    agent->cgroup_root : NULL;
	opts->logs = &agent->acfg->cfg->logs;
	opts->listener = &agent_runner_listener;
	opts->listener_arg = agent;
}

/* Starts a run now, whatever the overlap policy. */
static int
agent_start_run(struct agent *agent, const struct cfg_pipeline *p,
		const struct agent_request *rq, int64_t *run_id,
		struct wk_err *err)
{
	struct runner_opts opts;
	struct agent_run *run;
	int rc;

	run = agent_run_new(agent, err);
	if (run == NULL)
		return err->rc;
	agent_fill_opts(agent, &opts);
	opts.logical_date = rq->logical_date;
	opts.trigger = rq->trigger;
	opts.scheduled_at = rq->slot_s * 1000;
	agent->runs[agent->n_runs++] = run;
	rc = runner_start(agent->loop, agent->store, p, &opts, agent_run_done,
	    run, &run->runner, err);
	if (rc != WK_OK) {
		agent->runs[--agent->n_runs] = NULL;
		agent_run_free(run);
		return rc;
	}
	*run_id = runner_run_id(run->runner);
	return WK_OK;
}

/* Finds a run in progress of the pipeline, or NULL. */
static struct agent_run *
agent_running_pipeline(struct agent *agent, const char *pipeline)
{
	size_t i;

	for (i = 0; i < agent->n_runs; i++) {
		if (!runner_finished(agent->runs[i]->runner) &&
		    strcmp(runner_pipeline(agent->runs[i]->runner)->name,
		    pipeline) == 0)
			return agent->runs[i];
	}
	return NULL;
}

int
agent_enqueue(struct agent *agent, const struct agent_request *rq,
	      struct wk_err *err)
{
	struct agent_request stored = *rq;
	struct agent_run *busy;
	int rc;

	if (agent->n_queued == AGENT_MAX_QUEUED)
		return wk_err_set(err, WK_ERR_LIMIT, _("%d runs are queued, the "
		    "most the agent keeps"), AGENT_MAX_QUEUED);

	rc = agent_queue_store(agent, &stored, err);
	if (rc != WK_OK)
		return rc;
	stored.client_pid = agent->client_pid;
	agent->queue[agent->n_queued++] = stored;
	busy = agent_running_pipeline(agent, rq->pipeline);
	if (busy != NULL)
		LOG(LL_INFO, _("pipeline %s: run for %s queued behind run %lld, "
		    "which is in progress"), rq->pipeline, rq->logical_date,
		    (long long)runner_run_id(busy->runner));
	else
		LOG(LL_INFO, P_("pipeline %s: run for %s queued; %zu run is in "
		    "the queue", "pipeline %s: run for %s queued; %zu runs are "
		    "in the queue", agent->n_queued), rq->pipeline,
		    rq->logical_date, agent->n_queued);
	return WK_OK;
}

/*
 * Queues a run unless one for its date is queued already. A run for the
 * date of the run in progress is queued, so that a run-now after a fix of
 * the input runs the date again.
 */
static int
agent_enqueue_once(struct agent *agent, const struct agent_request *rq,
		   struct wk_err *err)
{
	if (!agent_queue_has(agent, rq->pipeline, rq->logical_date,
	    rq->slot_s, 0))
		return agent_enqueue(agent, rq, err);

	LOG(LL_INFO, _("pipeline %s: run for %s (%s) not queued because a run "
	    "for that date is queued already"), rq->pipeline,
	    rq->logical_date, rq->trigger);
	return wk_err_set(err, WK_ERR_BUSY, _("pipeline %s: a run for %s is "
	    "queued already; it was not queued again"), rq->pipeline,
	    rq->logical_date);
}

/*
 * Writes today's date in the pipeline's time_zone ("UTC" when the
 * configuration names none), as scheduled slots get their logical dates.
 */
static int
agent_pipeline_today(const struct cfg_pipeline *p, char *out, size_t size,
		     struct wk_err *err)
{
	if (sched_logical_date(p->time_zone, clk_wall_ms() / 1000, out,
	    size) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID, _("pipeline %s: cannot "
		    "load time zone \"%s\" for today's date"), p->name,
		    p->time_zone);
	return WK_OK;
}

int
agent_unknown_pipeline(const struct agent *agent, const char *name,
		       struct wk_err *err)
{
	char hint[NAMEHINT_MSG_MAX], shown[CFG_NAME_MAX * 2];

	text_sanitize(name, strlen(name), shown, sizeof shown);
	namehint_pipelines(hint, sizeof hint, agent->acfg->cfg, name);
	return wk_err_set(err, WK_ERR_NOTFOUND, _("no pipeline named \"%s\"; "
	    "%s"), shown, hint);
}

int
agent_request_run(struct agent *agent, const char *pipeline,
		  const char *logical_date, const char *trigger,
		  int64_t slot_s, int64_t *run_id, struct wk_err *err)
{
	const struct cfg_pipeline *p;
	struct agent_request rq;
	struct agent_run *busy;

	p = cfg_find_pipeline(agent->acfg->cfg, pipeline);
	if (p == NULL)
		return agent_unknown_pipeline(agent, pipeline, err);
	if (agent->stopping)
		return wk_err_set(err, WK_ERR_STATE, _("the agent is stopping"));
	memset(&rq, 0, sizeof rq);
	snprintf(rq.pipeline, sizeof rq.pipeline, "%s", pipeline);
	if (logical_date != NULL)
		snprintf(rq.logical_date, sizeof rq.logical_date, "%s",
		    logical_date);
	else if (agent_pipeline_today(p, rq.logical_date,
	    sizeof rq.logical_date, err) != WK_OK)
		return err->rc;
	logical_date = rq.logical_date;
	snprintf(rq.trigger, sizeof rq.trigger, "%s", trigger);
	rq.slot_s = slot_s;
	*run_id = 0;

	/* A one-shot agent does not run a date that a stopped daemon agent
	   left queued in the store: the next daemon agent runs it. */
	if (agent->local && agent_queue_has(agent, pipeline, logical_date,
	    slot_s, 0))
		return wk_err_set(err, WK_ERR_BUSY, _("pipeline %s: a run for %s "
		    "is queued already and starts when the agent runs; it was "
		    "not run now (`watchkeep cancel --queued %s` drops the "
		    "queued runs of the pipeline)"), pipeline, logical_date,
		    pipeline);

	busy = agent_running_pipeline(agent, pipeline);
	if (busy == NULL || p->overlap == CFG_OVERLAP_ALLOW)
		return agent_start_run(agent, p, &rq, run_id, err);
	if (p->overlap == CFG_OVERLAP_QUEUE)
		return agent_enqueue_once(agent, &rq, err);
	LOG(LL_WARN, _("pipeline %s: run for %s (%s) skipped because run %lld "
	    "is in progress (overlap policy skip)"), pipeline, logical_date,
	    trigger, (long long)runner_run_id(busy->runner));
	return wk_err_set(err, WK_ERR_BUSY, _("pipeline %s is running (run "
	    "%lld) and its overlap policy is skip"), pipeline,
	    (long long)runner_run_id(busy->runner));
}

int
agent_rerun(struct agent *agent, const char *pipeline,
	    const struct runner_rerun *rr, struct wk_err *err)
{
	const struct cfg_pipeline *p;
	struct runner_opts opts;
	struct agent_run *run;
	int rc;

	p = cfg_find_pipeline(agent->acfg->cfg, pipeline);
	if (p == NULL)
		return agent_unknown_pipeline(agent, pipeline, err);
	if (agent->stopping)
		return wk_err_set(err, WK_ERR_STATE, _("the agent is stopping"));
	if (agent_find_run(agent, rr->run_id) != NULL)
		return wk_err_set(err, WK_ERR_STATE, _("run %lld is in "
		    "progress; cancel it first"), (long long)rr->run_id);
	run = agent_run_new(agent, err);
	if (run == NULL)
		return err->rc;
	agent_fill_opts(agent, &opts);
	opts.logical_date = "";
	opts.trigger = "rerun";
	agent->runs[agent->n_runs++] = run;
	rc = runner_resume(agent->loop, agent->store, p, &opts, rr,
	    agent_run_done, run, &run->runner, err);
	if (rc != WK_OK) {
		agent->runs[--agent->n_runs] = NULL;
		agent_run_free(run);
	}
	return rc;
}

struct agent_run *
agent_find_run(struct agent *agent, int64_t run_id)
{
	size_t i;

	for (i = 0; i < agent->n_runs; i++) {
		if (runner_run_id(agent->runs[i]->runner) == run_id &&
		    !runner_finished(agent->runs[i]->runner))
			return agent->runs[i];
	}
	return NULL;
}

void
agent_cancel_all(struct agent *agent, const char *why)
{
	size_t i;

	agent->n_queued = 0;
	for (i = 0; i < agent->n_runs; i++)
		runner_cancel_because(agent->runs[i]->runner, why);
}

size_t
agent_count_work(const struct agent *agent, int own)
{
	size_t i, n = 0;

	for (i = 0; i < agent->n_runs; i++) {
		if (!runner_finished(agent->runs[i]->runner) &&
		    (agent->runs[i]->client_pid == 0) == own)
			n++;
	}
	for (i = 0; i < agent->n_queued; i++) {
		if ((agent->queue[i].client_pid == 0) == own)
			n++;
	}
	return n;
}

size_t
agent_interrupt_local(struct agent *agent)
{
	struct agent_run *run;
	size_t i, kept = 0;

	agent_queue_keep_handed_over(agent);
	agent_queue_log_kept(agent);
	agent->n_queued = 0;
	for (i = 0; i < agent->n_runs; i++) {
		run = agent->runs[i];
		if (runner_finished(run->runner))
			continue;
		if (run->client_pid == 0) {
			runner_cancel(run->runner);
			continue;
		}
		kept++;
		LOG_RUN(LL_WARN, runner_run_id(run->runner), NULL, _("the run "
		    "that pid %d handed over goes on until it ends; send "
		    "SIGINT or SIGTERM again to cancel it"), run->client_pid);
	}
	return kept;
}

/*
 * Starts a run taken off the queue and removes its stored row in the same
 * commit as the new run's row, so that a crash leaves one or the other.
 */
static void
agent_start_dequeued(struct agent *agent, const struct agent_request *rq)
{
	struct wk_err err = { 0, "" };
	int client_pid = agent->client_pid;
	int64_t run_id;

	store_group_begin(agent->store);
	/* The run belongs to the command that queued it. */
	agent->client_pid = rq->client_pid;
	if (agent_request_run(agent, rq->pipeline, rq->logical_date,
	    rq->trigger, rq->slot_s, &run_id, &err) != WK_OK)
		LOG(LL_ERROR, _("pipeline %s: queued run for %s did not start: "
		    "%s"), rq->pipeline, rq->logical_date, err.msg);
	agent->client_pid = client_pid;
	/* NOTE: when this removal fails, the run starts again after a
	   restart; the store error is logged. */
	if (rq->queue_id != 0)
		store_queue_remove(agent->store, rq->queue_id);
	store_group_end(agent->store);
}

void
agent_start_queued(struct agent *agent)
{
	struct agent_request rq;
	size_t i;

	for (i = 0; i < agent->n_queued && !agent->stopping; i++) {
		if (agent_running_pipeline(agent, agent->queue[i].pipeline) !=
		    NULL)
			continue;
		rq = agent->queue[i];
		memmove(&agent->queue[i], &agent->queue[i + 1],
		    (agent->n_queued - i - 1) * sizeof agent->queue[0]);
		agent->n_queued--;
		agent_start_dequeued(agent, &rq);
		i = (size_t)-1;
	}
}

void
agent_reap_runs(struct agent *agent)
{
	size_t i = 0;

	while (i < agent->n_runs) {
		if (!runner_finished(agent->runs[i]->runner)) {
			i++;
			continue;
		}
		agent_run_free(agent->runs[i]);
		agent->runs[i] = agent->runs[--agent->n_runs];
		agent->runs[agent->n_runs] = NULL;
	}
	agent_start_queued(agent);
	if (agent->stopping && agent->n_runs == 0)
		ev_stop(agent->loop);
}
