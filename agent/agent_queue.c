/*
 * The agent's run queue in the store (table run_queue). A daemon agent
 * writes every run it queues there and removes it when it starts or is
 * dropped. It restores the rows at start and leaves them for the next
 * start when it stops. A one-shot agent (agent_run_local) keeps its queue
 * in memory and leaves the stored rows alone, but reads them to leave out
 * a date that is queued there already. When it stops, it writes the runs
 * that other commands handed over to the table for the next agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/report.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/namehint.h"
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

/* Tells whether a queued run (pipeline, date, slot) is the one asked for. */
static int
agent_queue_same_run(const char *pipeline, const char *logical_date,
		     int64_t slot_s, const struct agent_request *asked)
{
	return strcmp(pipeline, asked->pipeline) == 0 &&
	    strcmp(logical_date, asked->logical_date) == 0 &&
	    agent_queue_same_slot(slot_s, asked->slot_s);
}

/*
 * Tells whether the store's run_queue contains the run asked for. Only a
 * one-shot agent reads it: a daemon agent's queue in memory mirrors the
 * table, but a one-shot agent's does not contain the rows a stopped
 * daemon agent left for its next start. A failed read counts as no match.
 */
static int
agent_queue_stored_has(struct agent *agent, const struct agent_request *asked)
{
	struct store_queued_run *rows;
	size_t n = 0, i;
	int found = 0;

	rows = calloc(AGENT_MAX_QUEUED, sizeof *rows);
	if (rows == NULL || store_queue_list(agent->store, asked->pipeline,
	    rows, AGENT_MAX_QUEUED, &n) != WK_OK)
		n = 0;
	for (i = 0; i < n && !found; i++)
		found = agent_queue_same_run(rows[i].pipeline,
		    rows[i].logical_date, rows[i].scheduled_at / 1000, asked);
	free(rows);
	return found;
}

int
agent_queue_has(struct agent *agent, const char *pipeline,
		const char *logical_date, int64_t slot_s, int running)
{
	struct agent_request asked;
	int found = 0;
	size_t i;

	memset(&asked, 0, sizeof asked);
	snprintf(asked.pipeline, sizeof asked.pipeline, "%s", pipeline);
	snprintf(asked.logical_date, sizeof asked.logical_date, "%s",
	    logical_date);
	asked.slot_s = slot_s;
	for (i = 0; i < agent->n_queued; i++) {
		if (agent_queue_same_run(agent->queue[i].pipeline,
		    agent->queue[i].logical_date, agent->queue[i].slot_s,
		    &asked))
			return 1;
	}
	if (agent->local && agent_queue_stored_has(agent, &asked))
		return 1;

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
		LOG(LL_INFO, P_("pipeline %s: restored %zu queued run from "
		    "the store", "pipeline %s: restored %zu queued runs from "
		    "the store; they start in their order", count),
		    runs[i].pipeline, count);
	else
		LOG(LL_WARN, P_("pipeline %s is not in the configuration; "
		    "dropped its %zu queued run from the store", "pipeline %s "
		    "is not in the configuration; dropped its %zu queued runs "
		    "from the store", count), runs[i].pipeline, count);
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
			LOG(LL_INFO, P_("pipeline %s: dropped %zu queued run "
			    "of this one-shot command", "pipeline %s: dropped "
			    "%zu queued runs of this one-shot command", count),
			    name, count);
		else
			LOG(LL_INFO, P_("pipeline %s: %zu queued run stays in "
			    "the store and starts after the agent restarts",
			    "pipeline %s: %zu queued runs stay in the store and "
			    "start after the agent restarts", count), name,
			    count);
	}
}

/* Counts the runs of pipeline in memory that other commands handed over. */
static size_t
agent_queue_count_handed_over(const struct agent *agent, const char *pipeline)
{
	size_t i, count = 0;

	for (i = 0; i < agent->n_queued; i++)
		count += agent->queue[i].client_pid != 0 &&
		    strcmp(agent->queue[i].pipeline, pipeline) == 0;
	return count;
}

/* Tells whether agent->queue[i] is its pipeline's first handed-over run. */
static int
agent_queue_first_handed_over(const struct agent *agent, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (agent->queue[j].client_pid != 0 && strcmp(
		    agent->queue[j].pipeline, agent->queue[i].pipeline) == 0)
			return 0;
	return 1;
}

/* Writes one handed-over run to run_queue; returns 1 when it is stored. */
static int
agent_queue_store_handed_over(struct agent *agent, struct agent_request *rq)
{
	if (rq->queue_id != 0)
		return 1;
	if (store_queue_add(agent->store, rq->pipeline, rq->logical_date,
	    rq->trigger, rq->slot_s * 1000, clk_wall_ms(), &rq->queue_id) ==
	    WK_OK)
		return 1;
	LOG(LL_ERROR, _("pipeline %s: the queued run for %s that pid %d "
	    "handed over could not be written to the store (see the error "
	    "above); it is dropped"), rq->pipeline, rq->logical_date,
	    rq->client_pid);
	return 0;
}

size_t
agent_queue_keep_handed_over(struct agent *agent)
{
	size_t i, own = 0, count, kept = 0;

	for (i = 0; i < agent->n_queued; i++) {
		if (agent->queue[i].client_pid == 0 ||
		    agent_queue_store_handed_over(agent, &agent->queue[i]))
			agent->queue[own++] = agent->queue[i];
	}
	agent->n_queued = own;
	own = 0;
	for (i = 0; i < agent->n_queued; i++) {
		if (agent->queue[i].client_pid == 0 ||
		    !agent_queue_first_handed_over(agent, i))
			continue;
		count = agent_queue_count_handed_over(agent,
		    agent->queue[i].pipeline);
		kept += count;
		LOG(LL_INFO, P_("pipeline %s: %zu queued run stays in the "
		    "store and starts after the agent restarts", "pipeline %s: "
		    "%zu queued runs stay in the store and start after the "
		    "agent restarts", count), agent->queue[i].pipeline, count);
	}
	for (i = 0; i < agent->n_queued; i++) {
		if (agent->queue[i].client_pid == 0)
			agent->queue[own++] = agent->queue[i];
	}
	agent->n_queued = own;
	return kept;
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

/* Drops the queued runs of a pipeline that a reload removed. */
static void
agent_queue_drop_gone(struct agent *agent, const char *pipeline)
{
	char name[CFG_NAME_MAX];
	size_t dropped, stored = 0;

	/* pipeline may point into agent->queue, which the removal moves. */
	snprintf(name, sizeof name, "%s", pipeline);
	dropped = agent_queue_remove_memory(agent, name);
	if (!agent->local && store_queue_drop_pipeline(agent->store, name,
	    &stored) != WK_OK)
		LOG(LL_ERROR, _("reload: the queued runs of pipeline %s, which "
		    "is no longer in the configuration, could not be removed "
		    "from the store; the next start drops them"), name);
	if (stored > dropped)
		dropped = stored;
	LOG(LL_WARN, P_("reload: pipeline %s is no longer in the "
	    "configuration; dropped its %zu queued run", "reload: pipeline %s "
	    "is no longer in the configuration; dropped its %zu queued runs",
	    dropped), name, dropped);
}

void
agent_queue_drop_removed(struct agent *agent)
{
	const struct cfg *cfg = agent->acfg->cfg;
	struct store_queued_run *rows;
	size_t i = 0, n = 0;

	while (i < agent->n_queued) {
		if (cfg_find_pipeline(cfg, agent->queue[i].pipeline) != NULL)
			i++;
		else
			agent_queue_drop_gone(agent, agent->queue[i].pipeline);
	}
	if (agent->local)
		return;

	/* A stopping agent keeps its queue in the store only. */
	rows = calloc(AGENT_MAX_QUEUED, sizeof *rows);
	if (rows == NULL || store_queue_list(agent->store, NULL, rows,
	    AGENT_MAX_QUEUED, &n) != WK_OK)
		n = 0;
	for (i = 0; i < n; i++) {
		if (agent_queue_first_of(rows, i) &&
		    cfg_find_pipeline(cfg, rows[i].pipeline) == NULL)
			agent_queue_drop_gone(agent, rows[i].pipeline);
	}
	free(rows);
}

int
agent_queue_drop(struct agent *agent, const char *pipeline,
		 size_t *dropped, struct wk_err *err)
{
	char hint[NAMEHINT_MSG_MAX];
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
	    NULL) {
		namehint_pipelines(hint, sizeof hint, agent->acfg->cfg,
		    pipeline);
		return wk_err_set(err, WK_ERR_NOTFOUND, _("no pipeline named "
		    "\"%s\" and no queued runs of it; %s"), pipeline, hint);
	}
	LOG(LL_INFO, P_("pipeline %s: dropped %zu queued run on request",
	    "pipeline %s: dropped %zu queued runs on request", *dropped),
	    pipeline, *dropped);
	return WK_OK;
}
