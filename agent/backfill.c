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

#define BACKFILL_COUNT_CHUNK 64  /* slots listed at a time while counting */

/*
 * Counts the slots of cron in [start_s, end_s), a chunk at a time, and sets
 * *first to the earliest when there is one.
 */
static size_t
backfill_count_slots(const struct cron *cron, const struct tz *tz,
		     int64_t start_s, int64_t end_s, int64_t *first)
{
	int64_t chunk[BACKFILL_COUNT_CHUNK], from_s = start_s - 1;
	size_t n = 0, total = 0;
	int rc;

	for (;;) {
		rc = cron_fires_between(cron, tz, from_s, end_s - 1, chunk,
		    BACKFILL_COUNT_CHUNK, &n);
		if (total == 0 && n > 0)
			*first = chunk[0];
		total += n;
		if (rc != WK_ERR_LIMIT || n == 0)
			return total;
		from_s = chunk[n - 1];
	}
}

/*
 * Returns how many slots local date `day` (days since 1970-01-01) has in
 * tz and sets *first to the earliest. Without a schedule (cron NULL) the
 * date has one slot, its local midnight.
 */
static size_t
backfill_day_slots(const struct cron *cron, const struct tz *tz, int64_t day,
		   int64_t *first)
{
	int64_t start_s, end_s;

	tz_local_to_utc(tz, day * 86400, &start_s, NULL);
	tz_local_to_utc(tz, (day + 1) * 86400, &end_s, NULL);
	if (cron == NULL) {
		*first = start_s;
		return 1;
	}
	return backfill_count_slots(cron, tz, start_s, end_s, first);
}

/*
 * Walks the local dates from_day..to_day and writes the first slot of each
 * date that has one. Past max it keeps counting without storing, so *n is
 * the whole count, except that a schedule stops at max + 1 (a frequent one
 * costs time per slot). Returns WK_ERR_LIMIT when *n passes max.
 */
static int
backfill_walk_dates(const struct cron *cron, const struct tz *tz,
		    int64_t from_day, int64_t to_day, int64_t *slots,
		    size_t max, size_t *n, size_t *per_day)
{
	int64_t day, first = 0;
	size_t count;

	*n = 0;
	*per_day = 0;
	for (day = from_day; day <= to_day; day++) {
		count = backfill_day_slots(cron, tz, day, &first);
		if (count == 0)
			continue;
		if (*n < max)
			slots[*n] = first;
		(*n)++;
		if (count > *per_day)
			*per_day = count;
		if (*n > max && cron != NULL)
			break;
	}
	return *n > max ? WK_ERR_LIMIT : WK_OK;
}

/* Parses the range into days since 1970-01-01, from not after to. */
static int
backfill_parse_range(const char *from, const char *to, int64_t *from_day,
		     int64_t *to_day, struct wk_err *err)
{
	if (clk_parse_date(from, from_day) != WK_OK || *from_day < 0 ||
	    clk_parse_date(to, to_day) != WK_OK || *to_day < *from_day)
		return wk_err_set(err, WK_ERR_INVALID, _("invalid range %s to "
		    "%s; give two dates YYYY-MM-DD, the first not after the "
		    "second"), from, to);
	return WK_OK;
}

int
backfill_slots(const struct cfg_pipeline *p, const char *from, const char *to,
	       int64_t *slots, size_t max, size_t *n, size_t *per_day,
	       struct wk_err *err)
{
	const char *reason = NULL;
	struct tz *tz = NULL;
	struct cron cron;
	int64_t from_day, to_day;
	size_t bad;
	int rc;

	*n = 0;
	*per_day = 0;
	rc = backfill_parse_range(from, to, &from_day, &to_day, err);
	if (rc != WK_OK)
		return rc;
	if (tz_load(p->time_zone, &tz, err) != WK_OK)
		return WK_ERR_INVALID;
	if (p->schedule == NULL)
		rc = backfill_walk_dates(NULL, tz, from_day, to_day, slots, max,
		    n, per_day);
	else if (cron_parse(p->schedule, &cron, &bad, &reason) != WK_OK)
		rc = WK_ERR_INVALID;
	else
		rc = backfill_walk_dates(&cron, tz, from_day, to_day, slots,
		    max, n, per_day);
	tz_free(tz);
	if (rc == WK_ERR_LIMIT && p->schedule == NULL)
		return wk_err_set(err, rc, _("the range %s to %s holds %zu "
		    "slots of pipeline %s, more than the %zu one backfill may "
		    "run; split it into shorter ranges"), from, to, *n,
		    p->name, max);
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc, _("the range %s to %s holds more "
		    "than %zu dates on which pipeline %s is scheduled, the most "
		    "one backfill may run; split it into shorter ranges"), from,
		    to, max, p->name);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("cannot compute the slots of %s"),
		    p->name);
	return WK_OK;
}

/*
 * Turns the first slots of the dates into run requests, leaving out the
 * dates with a run queued or in progress already, of any slot: those go to
 * *skipped and, when already is not NULL, to already.
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

		/* Slot 0 matches the runs of every slot of the date. */
		if (!agent_queue_has(agent, p->name, rq.logical_date, 0, 1)) {
			rqs[(*n_new)++] = rq;
			continue;
		}
		(*skipped)++;
		if (already != NULL)
			json_array_append_new(already,
			    json_string(rq.logical_date));
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
	result->per_day = 0;
	p = cfg_find_pipeline(agent->acfg->cfg, pipeline);
	if (p == NULL)
		return agent_unknown_pipeline(agent, pipeline, err);
	if (agent->stopping)
		return wk_err_set(err, WK_ERR_STATE, _("the agent is stopping"));
	slots = calloc(BACKFILL_MAX_RUNS, sizeof *slots);
	rqs = calloc(BACKFILL_MAX_RUNS, sizeof *rqs);
	if (slots == NULL || rqs == NULL) {
		rc = wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		goto out;
	}

	rc = backfill_slots(p, from, to, slots, BACKFILL_MAX_RUNS, &n,
	    &result->per_day, err);
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

void
backfill_note(const struct backfill_result *result, char *out, size_t size)
{
	if (size == 0)
		return;
	out[0] = '\0';
	if (result->per_day <= 1)
		return;

	snprintf(out, size, P_("one run per date, because a run's logical "
	    "date is a date; the schedule fires up to %zu time a day",
	    "one run per date, because a run's logical date is a date; the "
	    "schedule fires up to %zu times a day", result->per_day),
	    result->per_day);
}
