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

int
backfill_request(struct agent *agent, const char *pipeline, const char *from,
		 const char *to, size_t *queued, struct wk_err *err)
{
	const struct cfg_pipeline *p;
	struct agent_request rq;
	int64_t *slots;
	size_t n = 0, i;
	int rc;

	p = cfg_find_pipeline(agent->acfg->cfg, pipeline);
	if (p == NULL)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("no pipeline named "
		    "\"%s\""), pipeline);
	slots = calloc(BACKFILL_MAX_RUNS, sizeof *slots);
	if (slots == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	rc = backfill_slots(p, from, to, slots, BACKFILL_MAX_RUNS, &n, err);
	*queued = 0;

	/* All runs are queued or none, so a backfill never stops halfway. */
	if (rc == WK_OK && n > AGENT_MAX_QUEUED - agent->n_queued)
		rc = wk_err_set(err, WK_ERR_LIMIT, _("the backfill has %zu runs "
		    "and %zu runs are already queued, more than the %d the "
		    "agent keeps; wait for the queue to drain or backfill a "
		    "shorter range"), n, agent->n_queued, AGENT_MAX_QUEUED);
	for (i = 0; rc == WK_OK && i < n; i++) {
		memset(&rq, 0, sizeof rq);
		snprintf(rq.pipeline, sizeof rq.pipeline, "%s", pipeline);
		snprintf(rq.trigger, sizeof rq.trigger, "backfill");
		rq.slot_s = slots[i];
		rc = sched_logical_date(p->time_zone, slots[i],
		    rq.logical_date, sizeof rq.logical_date);
		if (rc == WK_OK)
			rc = agent_enqueue(agent, &rq, err);
		if (rc == WK_OK)
			(*queued)++;
	}
	free(slots);
	agent_start_queued(agent);
	return rc;
}
