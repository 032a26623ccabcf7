/*
 * The agent's run queue in the store (table run_queue). A daemon agent
 * writes every run it queues there and removes it when it starts or is
 * dropped. It restores the rows at start and leaves them for the next
 * start when it stops. A one-shot agent (agent_run_local) keeps its queue
 * in memory only and leaves the stored rows alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/report.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store_queue.h"

_Static_assert(REPORT_MAX_QUEUED >= AGENT_MAX_QUEUED,
    "`runs` and `status` must read every run the agent may queue");

int
agent_queue_store(struct agent *agent, struct agent_request *rq,
		  struct wk_err *err)
{
	int rc;

	rq->queue_id = 0;
	if (agent->local)
		return WK_OK;

	rc = store_queue_add(agent->store, rq->pipeline, rq->logical_date,
	    rq->trigger, rq->slot_s * 1000, clk_wall_ms(), &rq->queue_id);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("pipeline %s: the run for %s was "
		    "not queued because the store failed (see the agent's "
		    "log)"), rq->pipeline, rq->logical_date);
	return WK_OK;
}

/* Tells whether two slots (seconds, 0: none) may be the same run. */
static int
agent_queue_same_slot(int64_t a, int64_t b)
{
	return a == 0 || b == 0 || a == b;
}

int
agent_queue_has(struct agent *agent, const char *pipeline,
		const char *logical_date, int64_t slot_s, int running)
{
	const struct agent_request *q;
	int found = 0;
	size_t i;

	for (i = 0; i < agent->n_queued; i++) {
		q = &agent->queue[i];
		if (strcmp(q->pipeline, pipeline) == 0 &&
		    strcmp(q->logical_date, logical_date) == 0 &&
		    agent_queue_same_slot(q->slot_s, slot_s))
			return 1;
	}

	/* A failed look-up counts as no match: the run is queued. */
	if (running)
		store_queue_running_date(agent->store, pipeline, logical_date,
		    slot_s * 1000, &found);
	return found;
}

/* Counts the rows of runs[0..n) of pipeline. */
static size_t
agent_queue_count_rows(const struct store_queued_run *runs, size_t n,
		       const char *pipeline)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += strcmp(runs[i].pipeline, pipeline) == 0;
	return count;
}

/* Tells whether runs[i] is the first row of its pipeline. */
static int
agent_queue_first_of(const struct store_queued_run *runs, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(runs[j].pipeline, runs[i].pipeline) == 0)
			return 0;
	return 1;
}

/* Appends one stored row to the queue in memory. */
static void
agent_queue_load_row(struct agent *agent, const struct store_queued_run *row)
{
	struct agent_request *rq = &agent->queue[agent->n_queued++];

	memset(rq, 0, sizeof *rq);
	snprintf(rq->pipeline, sizeof rq->pipeline, "%s", row->pipeline);
	snprintf(rq->logical_date, sizeof rq->logical_date, "%s",
	    row->logical_date);
	snprintf(rq->trigger, sizeof rq->trigger, "%s", row->trigger);
	rq->slot_s = row->scheduled_at / 1000;
	rq->queue_id = row->id;
}

/* Logs the restored or dropped count of the pipeline of runs[i]. */
static void
agent_queue_log_restored(const struct store_queued_run *runs, size_t n,
			 size_t i, int known)
{
	size_t count = agent_queue_count_rows(runs, n, runs[i].pipeline);

	if (known)
		LOG(LL_INFO, _("pipeline %s: restored %zu queued runs from the "
		    "store; they start in their order"), runs[i].pipeline,
		    count);
	else
		LOG(LL_WARN, _("pipeline %s is not in the configuration; "
		    "dropped its %zu queued runs from the store"),
		    runs[i].pipeline, count);
}

void
agent_queue_restore(struct agent *agent)
{
	struct store_queued_run *runs;
	size_t n = 0, i, dropped;
	int known;

	if (agent->local)
		return;
	/* NOTE: rows past AGENT_MAX_QUEUED stay in the store unread; the
	   agent never stores more, being the only writer. */
	runs = calloc(AGENT_MAX_QUEUED, sizeof *runs);
	if (runs == NULL || store_queue_list(agent->store, NULL, runs,
	    AGENT_MAX_QUEUED, &n) != WK_OK) {
		LOG(LL_ERROR, _("the queued runs in the store could not be "
		    "read; they stay there until the next start"));
		free(runs);
		return;
	}

	for (i = 0; i < n; i++) {
		known = cfg_find_pipeline(agent->acfg->cfg, runs[i].pipeline) !=
		    NULL;
		if (agent_queue_first_of(runs, i)) {
			agent_queue_log_restored(runs, n, i, known);
			if (!known)
				store_queue_drop_pipeline(agent->store,
				    runs[i].pipeline, &dropped);
		}
		if (known)
			agent_queue_load_row(agent, &runs[i]);
	}
	free(runs);
}

/* Counts the queued runs of pipeline in memory. */
static size_t
agent_queue_count(const struct agent *agent, const char *pipeline)
{
	size_t i, count = 0;

	for (i = 0; i < agent->n_queued; i++)
		count += strcmp(agent->queue[i].pipeline, pipeline) == 0;
	return count;
}

/* Tells whether agent->queue[i] is the first entry of its pipeline. */
static int
agent_queue_first_entry(const struct agent *agent, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(agent->queue[j].pipeline,
		    agent->queue[i].pipeline) == 0)
			return 0;
	return 1;
}

void
agent_queue_log_kept(struct agent *agent)
{
	const char *name;
	size_t i, count;

	for (i = 0; i < agent->n_queued; i++) {
		if (!agent_queue_first_entry(agent, i))
			continue;
		name = agent->queue[i].pipeline;
		count = agent_queue_count(agent, name);
		if (agent->local)
			LOG(LL_INFO, _("pipeline %s: dropped %zu queued runs "
			    "of this one-shot command"), name, count);
		else
			LOG(LL_INFO, _("pipeline %s: %zu queued runs stay in "
			    "the store and start after the agent restarts"),
			    name, count);
	}
}

/* Removes the queued runs of pipeline from memory; returns how many. */
static size_t
agent_queue_remove_memory(struct agent *agent, const char *pipeline)
{
	size_t i, kept = 0, removed;

	for (i = 0; i < agent->n_queued; i++) {
		if (strcmp(agent->queue[i].pipeline, pipeline) != 0)
			agent->queue[kept++] = agent->queue[i];
	}
	removed = agent->n_queued - kept;
	agent->n_queued = kept;
	return removed;
}

int
agent_queue_drop(struct agent *agent, const char *pipeline,
		 size_t *dropped, struct wk_err *err)
{
	size_t stored = 0;
	int rc;

	*dropped = agent_queue_remove_memory(agent, pipeline);
	if (!agent->local) {
		rc = store_queue_drop_pipeline(agent->store, pipeline, &stored);
		if (rc != WK_OK)
			return wk_err_set(err, rc, _("the queued runs of %s "
			    "could not be removed from the store (see the "
			    "agent's log)"), pipeline);
	}
	/* While the agent stops, the queue is only in the store. */
	if (stored > *dropped)
		*dropped = stored;

	if (*dropped == 0 && cfg_find_pipeline(agent->acfg->cfg, pipeline) ==
	    NULL)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("no pipeline named "
		    "\"%s\" and no queued runs of it"), pipeline);
	LOG(LL_INFO, _("pipeline %s: dropped %zu queued runs on request"),
	    pipeline, *dropped);
	return WK_OK;
}
