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
#define SCHED_COUNT_CHUNK 64     /* slots listed at a time while counting */

struct sched_entry {
	const struct cfg_pipeline *pipeline;  /* not owned */
	struct cron cron;                     /* parsed schedule */
	struct tz *tz;                        /* owned */
	int64_t next_slot;                    /* UTC seconds */
	uint64_t timer;                       /* pending wake-up, 0: none */
	int caught_up;                        /* 1 once sched_catch_up ran */
	struct sched *sched;                  /* back pointer */
};

struct sched {
	struct ev_loop *loop;          /* not owned */
	struct store *store;           /* not owned */
	struct sched_entry *entries;   /* owned, n_entries */
	size_t n_entries;              /* entries in use */
	sched_due_fn due;              /* called for each due slot */
	void *arg;                     /* passed to due */
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

/*
 * Reads the time from which missed slots count: the last slot handled, or
 * the time the agent first scheduled the pipeline. When the store has
 * none, records now_s as that time, so that the next downtime is caught
 * up, and returns WK_ERR_NOTFOUND.
 */
static int
sched_reference(struct sched_entry *e, int64_t now_s, int64_t *last)
{
	char key[128], value[32], *end = NULL;

	sched_state_key(e, key, sizeof key);
	if (store_state_get(e->sched->store, key, value, sizeof value) ==
	    WK_OK) {
		*last = strtoll(value, &end, 10);
		if (end != value && *end == '\0' && *last > 0)
			return WK_OK;
		LOG(LL_WARN, _("pipeline %s: invalid last slot \"%s\" in the "
		    "store; missed slots count from now"), e->pipeline->name,
		    value);
	} else {
		LOG(LL_INFO, _("pipeline %s: no slot handled yet; slots missed "
		    "from now on are caught up after a downtime"),
		    e->pipeline->name);
	}
	sched_remember(e, now_s);
	return WK_ERR_NOTFOUND;
}

/*
 * Counts the slots in (from_s, to_s], a chunk at a time, and stops once
 * the count exceeds SCHED_CATCH_UP_MAX, so that a long downtime of a
 * frequent schedule costs bounded time and no memory.
 */
static size_t
sched_count_missed(const struct sched_entry *e, int64_t from_s, int64_t to_s)
{
	int64_t chunk[SCHED_COUNT_CHUNK];
	size_t n = 0, total = 0;
	int rc;

	for (;;) {
		rc = cron_fires_between(&e->cron, e->tz, from_s, to_s, chunk,
		    SCHED_COUNT_CHUNK, &n);
		total += n;
		if (rc != WK_ERR_LIMIT || n == 0 || total > SCHED_CATCH_UP_MAX)
			return total;
		from_s = chunk[n - 1];
	}
}

/* Logs n missed slots; above SCHED_CATCH_UP_MAX as "more than" that. */
static void
sched_log_missed(const struct sched_entry *e, size_t n, int run)
{
	const char *name = e->pipeline->name;

	if (n > SCHED_CATCH_UP_MAX && run)
		LOG(LL_INFO, _("pipeline %s: more than %d slots were missed "
		    "while the agent was down; running once for the latest"),
		    name, SCHED_CATCH_UP_MAX);
	else if (n > SCHED_CATCH_UP_MAX)
		LOG(LL_INFO, _("pipeline %s: more than %d slots were missed "
		    "while the agent was down; skipped by its catch-up policy"),
		    name, SCHED_CATCH_UP_MAX);
	else if (run)
		LOG(LL_INFO, P_("pipeline %s: %zu slot was missed while the "
		    "agent was down; running it", "pipeline %s: %zu slots were "
		    "missed while the agent was down; running once for the "
		    "latest", n), name, n);
	else
		LOG(LL_INFO, P_("pipeline %s: %zu slot was missed while the "
		    "agent was down; skipped by its catch-up policy",
		    "pipeline %s: %zu slots were missed while the agent was "
		    "down; skipped by its catch-up policy", n), name, n);
}

/*
 * After a start: fires once for the newest missed slot when the policy is
 * "once", or records it as handled when it is "skip". The newest slot is
 * found by stepping the schedule back from now, not by listing them all.
 */
static void
sched_catch_up(struct ev_loop *loop, void *arg)
{
	struct sched_entry *e = arg;
	int64_t last = 0, newest = 0, now_s = clk_wall_ms() / 1000;
	int run = e->pipeline->catch_up == CFG_CATCH_UP_ONCE;

	(void)loop;
	e->timer = 0;
	e->caught_up = 1;
	if (sched_reference(e, now_s, &last) == WK_OK &&
	    cron_prev(&e->cron, e->tz, last, now_s, &newest) == WK_OK) {
		sched_log_missed(e, sched_count_missed(e, last, newest), run);
		if (run)
			sched_fire(e, newest, "catch-up");
		else
			sched_remember(e, newest);
	}
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
	return WK_OK;
}

/* Creates the scheduler and its entries, with no timer armed yet. */
static int
sched_create(struct ev_loop *loop, struct store *store, const struct cfg *cfg,
	     sched_due_fn due, void *arg, struct sched **out,
	     struct wk_err *err)
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

int
sched_new(struct ev_loop *loop, struct store *store, const struct cfg *cfg,
	  sched_due_fn due, void *arg, struct sched **out, struct wk_err *err)
{
	size_t i;
	int rc;

	rc = sched_create(loop, store, cfg, due, arg, out, err);
	if (rc != WK_OK)
		return rc;

	for (i = 0; i < (*out)->n_entries; i++)
		(*out)->entries[i].timer = ev_timer_at(loop, clk_mono_ns(),
		    sched_catch_up, &(*out)->entries[i]);
	return WK_OK;
}

static const struct sched_entry *
sched_find(const struct sched *s, const char *pipeline)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n_entries; i++) {
		if (strcmp(s->entries[i].pipeline->name, pipeline) == 0)
			return &s->entries[i];
	}
	return NULL;
}

/* Returns 1 when both entries fire at the same instants, else 0. */
static int
sched_same_schedule(const struct sched_entry *a, const struct sched_entry *b)
{
	return strcmp(a->pipeline->schedule, b->pipeline->schedule) == 0 &&
	    strcmp(a->pipeline->time_zone, b->pipeline->time_zone) == 0;
}

/*
 * Starts an entry of a reloaded configuration from its old entry, if any.
 * The agent was up, so nothing is caught up: an unchanged schedule keeps
 * its next slot, and a new or changed one starts with the first slot
 * after now, which is recorded as the time slots count from. Only a
 * catch-up that the old entry had not run yet still runs.
 * NOTE: when the schedule changed, a slot of the old one that was due but
 * not yet fired is dropped. After a wall clock set forward, the old entry
 * notices its passed slots up to SCHED_RECHECK_MS late.
 */
static void
sched_adopt(struct sched_entry *e, const struct sched_entry *old)
{
	struct ev_loop *loop = e->sched->loop;

	if (old != NULL && !old->caught_up) {
		e->timer = ev_timer_at(loop, clk_mono_ns(), sched_catch_up, e);
		return;
	}

	if (old != NULL && sched_same_schedule(e, old))
		e->next_slot = old->next_slot;
	else
		sched_remember(e, clk_wall_ms() / 1000);
	e->caught_up = 1;
	if (e->next_slot != 0)
		sched_arm(e);
}

int
sched_reload(const struct sched *old, const struct cfg *cfg,
	     struct sched **out, struct wk_err *err)
{
	size_t i;
	int rc;

	rc = sched_create(old->loop, old->store, cfg, old->due, old->arg, out,
	    err);
	if (rc != WK_OK)
		return rc;

	for (i = 0; i < (*out)->n_entries; i++)
		sched_adopt(&(*out)->entries[i], sched_find(old,
		    (*out)->entries[i].pipeline->name));
	return WK_OK;
}

int64_t
sched_next_slot(const struct sched *s, const char *pipeline)
{
	const struct sched_entry *e = sched_find(s, pipeline);

	return e != NULL ? e->next_slot : 0;
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
