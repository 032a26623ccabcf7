#include "backfill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "core/clock.h"
#include "core/cron.h"
#include "core/i18n.h"
#include "core/tz.h"

_Static_assert(BACKFILL_MAX_RUNS <= AGENT_MAX_QUEUED,
    "the agent's queue must hold the runs of a whole backfill");

/* UTC second at which local date `date` (+ extra days) starts in tz. */
static int
backfill_day_start(const struct tz *tz, const char *date, int extra,
		   int64_t *utc_s)
{
	int64_t days, first, second;

	if (clk_parse_date(date, &days) != WK_OK || days < 0)
		return WK_ERR_INVALID;
	tz_local_to_utc(tz, (days + extra) * 86400, &first, &second);
	*utc_s = first;
	return WK_OK;
}

/*
 * Slots of a pipeline without a schedule: local midnights. Past max it
 * keeps counting without storing, so *n is the whole count even when it
 * returns WK_ERR_LIMIT.
 */
static int
backfill_daily(const struct tz *tz, int64_t from_s, int64_t to_s,
	       int64_t *slots, size_t max, size_t *n)
{
	int64_t day, first, second;
	struct tz_civil civil;

	tz_civil_at(tz, from_s, &civil);
	day = clk_days_from_civil(civil.year, civil.month, civil.day);
	for (*n = 0;; day++) {
		tz_local_to_utc(tz, day * 86400, &first, &second);
		if (first >= to_s)
			return *n > max ? WK_ERR_LIMIT : WK_OK;
		if (*n < max)
			slots[*n] = first;
		(*n)++;
	}
}

int
backfill_slots(const struct cfg_pipeline *p, const char *from, const char *to,
	       int64_t *slots, size_t max, size_t *n, struct wk_err *err)
{
	const char *reason = NULL;
	struct tz *tz = NULL;
	struct cron cron;
	int64_t from_s, to_s;
	size_t bad;
	int rc;

	if (tz_load(p->time_zone, &tz, err) != WK_OK)
		return WK_ERR_INVALID;
	if (backfill_day_start(tz, from, 0, &from_s) != WK_OK ||
	    backfill_day_start(tz, to, 1, &to_s) != WK_OK || to_s <= from_s) {
		tz_free(tz);
		return wk_err_set(err, WK_ERR_INVALID, _("invalid range %s to "
		    "%s; give two dates YYYY-MM-DD, the first not after the "
		    "second"), from, to);
	}
	if (p->schedule == NULL)
		rc = backfill_daily(tz, from_s, to_s, slots, max, n);
	else if (cron_parse(p->schedule, &cron, &bad, &reason) != WK_OK)
		rc = WK_ERR_INVALID;
	else	/* (from_s - 1, to_s - 1]: both ends of the range count. */
		rc = cron_fires_between(&cron, tz, from_s - 1, to_s - 1, slots,
		    max, n);
	tz_free(tz);
	if (rc == WK_ERR_LIMIT && p->schedule == NULL)
		return wk_err_set(err, rc, _("the range %s to %s holds %zu "
		    "slots of pipeline %s, more than the %zu one backfill may "
		    "run; split it into shorter ranges"), from, to, *n,
		    p->name, max);
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc, _("the range %s to %s holds more "
		    "than %zu slots of pipeline %s, the most one backfill may "
		    "run; split it into shorter ranges"), from, to, max,
		    p->name);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("cannot compute the slots of %s"),
		    p->name);
	return WK_OK;
}

/* Appends date to dates unless it is the last one there (slots ascend). */
static void
backfill_note_date(json_t *dates, const char *date)
{
	size_t n = json_array_size(dates);
	const char *last = n > 0 ?
	    json_string_value(json_array_get(dates, n - 1)) : NULL;

	if (last == NULL || strcmp(last, date) != 0)
		json_array_append_new(dates, json_string(date));
}

/*
 * Turns the slots into run requests, leaving out the slots whose date is
 * queued or in progress already: those go to *skipped and their dates,
 * each once, to already (when not NULL).
 */
static int
backfill_plan(struct agent *agent, const struct cfg_pipeline *p,
	      const int64_t *slots, size_t n, struct agent_request *rqs,
	      size_t *n_new, size_t *skipped, json_t *already)
{
	struct agent_request rq;
	size_t i;
	int rc;

	*n_new = 0;
	*skipped = 0;
	for (i = 0; i < n; i++) {
		memset(&rq, 0, sizeof rq);
		snprintf(rq.pipeline, sizeof rq.pipeline, "%s", p->name);
		snprintf(rq.trigger, sizeof rq.trigger, "backfill");
		rq.slot_s = slots[i];
		rc = sched_logical_date(p->time_zone, slots[i],
		    rq.logical_date, sizeof rq.logical_date);
		if (rc != WK_OK)
			return rc;
		if (!agent_queue_has(agent, p->name, rq.logical_date,
		    rq.slot_s, 1)) {
			rqs[(*n_new)++] = rq;
			continue;
		}
		(*skipped)++;
		if (already != NULL)
			backfill_note_date(already, rq.logical_date);
	}
	return WK_OK;
}

/* Rejects a backfill of n new runs that does not fit in the queue. */
static int
backfill_queue_full(const struct agent *agent, size_t n, struct wk_err *err)
{
	char runs[64], queued[64];

	snprintf(runs, sizeof runs, P_("%zu new run", "%zu new runs", n), n);
	snprintf(queued, sizeof queued, P_("%zu run is already queued",
	    "%zu runs are already queued", agent->n_queued), agent->n_queued);
	return wk_err_set(err, WK_ERR_LIMIT, _("the backfill has %s and %s, "
	    "more than the %d the agent keeps; wait for the queue to drain or "
	    "backfill a shorter range"), runs, queued, AGENT_MAX_QUEUED);
}

/* Queues the planned runs, all or none (see backfill_request()). */
static int
backfill_enqueue(struct agent *agent, const struct agent_request *rqs,
		 size_t n, size_t *queued, struct wk_err *err)
{
	size_t i;
	int rc = WK_OK;

	if (n > AGENT_MAX_QUEUED - agent->n_queued)
		return backfill_queue_full(agent, n, err);

	/* NOTE: a store failure halfway leaves the runs queued before it. */
	for (i = 0; rc == WK_OK && i < n; i++) {
		rc = agent_enqueue(agent, &rqs[i], err);
		if (rc == WK_OK)
			(*queued)++;
	}
	return rc;
}

int
backfill_request(struct agent *agent, const char *pipeline, const char *from,
		 const char *to, struct backfill_result *result,
		 struct wk_err *err)
{
	const struct cfg_pipeline *p;
	struct agent_request *rqs;
	int64_t *slots;
	size_t n = 0, n_new = 0;
	int rc;

	result->queued = 0;
	result->skipped = 0;
	p = cfg_find_pipeline(agent->acfg->cfg, pipeline);
	if (p == NULL)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("no pipeline named "
		    "\"%s\""), pipeline);
	if (agent->stopping)
		return wk_err_set(err, WK_ERR_STATE, _("the agent is stopping"));
	slots = calloc(BACKFILL_MAX_RUNS, sizeof *slots);
	rqs = calloc(BACKFILL_MAX_RUNS, sizeof *rqs);
	if (slots == NULL || rqs == NULL) {
		rc = wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		goto out;
	}

	rc = backfill_slots(p, from, to, slots, BACKFILL_MAX_RUNS, &n, err);
	if (rc == WK_OK && n == 0)
		rc = wk_err_set(err, WK_ERR_NOTFOUND, _("the schedule \"%s\" "
		    "of pipeline %s has no slot from %s to %s, so no run was "
		    "queued; give a range that holds a scheduled date"),
		    p->schedule != NULL ? p->schedule : "", p->name, from, to);
	if (rc == WK_OK && backfill_plan(agent, p, slots, n, rqs, &n_new,
	    &result->skipped, result->already) != WK_OK)
		rc = wk_err_set(err, WK_ERR_INVALID, _("cannot compute the "
		    "logical dates of %s"), p->name);
	if (rc == WK_OK)
		rc = backfill_enqueue(agent, rqs, n_new, &result->queued, err);
	agent_start_queued(agent);

out:
	free(rqs);
	free(slots);
	return rc;
}
