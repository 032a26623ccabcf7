#include "sched.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/cron.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/tz.h"

#define SCHED_CATCH_UP_MAX 4096  /* missed slots counted after downtime */

struct sched_entry {
	const struct cfg_pipeline *pipeline;  /* not owned */
	struct cron cron;                     /* parsed schedule */
	struct tz *tz;                        /* owned */
	int64_t next_slot;                    /* UTC seconds */
	uint64_t timer;                       /* pending wake-up, 0: none */
	struct sched *sched;                  /* back pointer */
};

struct sched {
	struct ev_loop *loop;          /* not owned */
	struct store *store;           /* not owned */
	struct sched_entry *entries;   /* owned, n_entries */
	size_t n_entries;
	sched_due_fn due;
	void *arg;
};

static void sched_wake(struct ev_loop *loop, void *arg);

int
sched_logical_date(const char *time_zone, int64_t slot_s, char *out,
		   size_t size)
{
	struct wk_err err = { 0, "" };
	struct tz_civil civil;
	struct tz *tz = NULL;

	if (tz_load(time_zone, &tz, &err) != WK_OK)
		return err.rc;
	tz_civil_at(tz, slot_s, &civil);
	snprintf(out, size, "%04" PRId64 "-%02d-%02d", civil.year,
	    civil.month, civil.day);
	tz_free(tz);
	return WK_OK;
}

static void
sched_state_key(const struct sched_entry *e, char *key, size_t size)
{
	snprintf(key, size, "schedule.%s.last_slot", e->pipeline->name);
}

/* Records the slot as handled, so that a restart does not fire it again. */
static void
sched_remember(struct sched_entry *e, int64_t slot_s)
{
	char key[128], value[32];

	sched_state_key(e, key, sizeof key);
	snprintf(value, sizeof value, "%" PRId64, slot_s);
	if (store_state_set(e->sched->store, key, value) != WK_OK)
		LOG(LL_WARN, _("pipeline %s: cannot store the last slot"),
		    e->pipeline->name);
}

static void
sched_fire(struct sched_entry *e, int64_t slot_s, const char *trigger)
{
	char date[16];

	if (sched_logical_date(e->pipeline->time_zone, slot_s, date,
	    sizeof date) != WK_OK)
		return;
	sched_remember(e, slot_s);
	e->sched->due(e->sched->arg, e->pipeline, slot_s, date, trigger);
}

/* Arms the wake-up for the next slot, at most SCHED_RECHECK_MS ahead. */
static void
sched_arm(struct sched_entry *e)
{
	int64_t wait_ms = e->next_slot * 1000 - clk_wall_ms();

	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > SCHED_RECHECK_MS)
		wait_ms = SCHED_RECHECK_MS;
	e->timer = ev_timer_at(e->sched->loop, clk_mono_ns() +
	    wait_ms * 1000000, sched_wake, e);
}

/*
 * Handles the slots that have passed: one run for the latest of them, as
 * the catch-up rules say for slots passed over while the clock jumped.
 */
static void
sched_wake(struct ev_loop *loop, void *arg)
{
	struct sched_entry *e = arg;
	int64_t now_s = clk_wall_ms() / 1000, due = 0, next;

	(void)loop;
	e->timer = 0;
	while (e->next_slot != 0 && e->next_slot <= now_s) {
		due = e->next_slot;
		if (cron_next(&e->cron, e->tz, e->next_slot, &next) != WK_OK)
			next = 0;
		e->next_slot = next;
	}
	if (due != 0)
		sched_fire(e, due, "schedule");
	if (e->next_slot != 0)
		sched_arm(e);
}

/* After a start: fires once for the latest missed slot when asked to. */
static void
sched_catch_up(struct ev_loop *loop, void *arg)
{
	struct sched_entry *e = arg;
	int64_t last = 0, now_s = clk_wall_ms() / 1000;
	int64_t *missed = NULL;
	char key[128], value[32];
	size_t n = 0;

	(void)loop;
	e->timer = 0;
	sched_state_key(e, key, sizeof key);
	if (store_state_get(e->sched->store, key, value, sizeof value) == WK_OK)
		last = strtoll(value, NULL, 10);
	missed = calloc(SCHED_CATCH_UP_MAX, sizeof *missed);
	if (last > 0 && missed != NULL)
		cron_fires_between(&e->cron, e->tz, last, now_s, missed,
		    SCHED_CATCH_UP_MAX, &n);
	if (n > 0 && e->pipeline->catch_up == CFG_CATCH_UP_ONCE) {
		LOG(LL_INFO, P_("pipeline %s: %zu slot was missed while the "
		    "agent was down; running it", "pipeline %s: %zu slots were "
		    "missed while the agent was down; running once for the "
		    "latest", n), e->pipeline->name, n);
		sched_fire(e, missed[n - 1], "catch-up");
	} else if (n > 0) {
		LOG(LL_INFO, P_("pipeline %s: %zu slot was missed while the "
		    "agent was down; skipped by its catch-up policy",
		    "pipeline %s: %zu slots were missed while the agent was "
		    "down; skipped by its catch-up policy", n),
		    e->pipeline->name, n);
		sched_remember(e, missed[n - 1]);
	}
	free(missed);
	sched_arm(e);
}

static int
sched_init_entry(struct sched *s, struct sched_entry *e,
		 const struct cfg_pipeline *p, struct wk_err *err)
{
	const char *reason = NULL;
	size_t bad = 0;
	int64_t now_s = clk_wall_ms() / 1000;

	e->pipeline = p;
	e->sched = s;
	if (cron_parse(p->schedule, &e->cron, &bad, &reason) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID, _("pipeline %s: invalid "
		    "schedule \"%s\": %s"), p->name, p->schedule, _(reason));
	if (tz_load(p->time_zone, &e->tz, err) != WK_OK)
		return WK_ERR_INVALID;
	if (cron_next(&e->cron, e->tz, now_s, &e->next_slot) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID, _("pipeline %s: schedule "
		    "\"%s\" never fires"), p->name, p->schedule);
	e->timer = ev_timer_at(s->loop, clk_mono_ns(), sched_catch_up, e);
	return WK_OK;
}

int
sched_new(struct ev_loop *loop, struct store *store, const struct cfg *cfg,
	  sched_due_fn due, void *arg, struct sched **out, struct wk_err *err)
{
	struct sched *s = calloc(1, sizeof *s);
	size_t i;
	int rc;

	if (s == NULL ||
	    (s->entries = calloc(cfg->n_pipelines, sizeof *s->entries)) ==
	    NULL) {
		free(s);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	s->loop = loop;
	s->store = store;
	s->due = due;
	s->arg = arg;
	for (i = 0; i < cfg->n_pipelines; i++) {
		if (cfg->pipelines[i].schedule == NULL)
			continue;
		rc = sched_init_entry(s, &s->entries[s->n_entries++],
		    &cfg->pipelines[i], err);
		if (rc != WK_OK) {
			sched_free(s);
			return rc;
		}
	}
	*out = s;
	return WK_OK;
}

int64_t
sched_next_slot(const struct sched *s, const char *pipeline)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n_entries; i++) {
		if (strcmp(s->entries[i].pipeline->name, pipeline) == 0)
			return s->entries[i].next_slot;
	}
	return 0;
}

void
sched_free(struct sched *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_entries; i++) {
		if (s->entries[i].timer != 0)
			ev_timer_cancel(s->loop, s->entries[i].timer);
		tz_free(s->entries[i].tz);
	}
	free(s->entries);
	free(s);
}
