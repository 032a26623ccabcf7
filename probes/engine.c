/*
 * The probe engine: schedules the checks of every probe on the loop,
 * applies timeouts and thresholds, keeps the state of each probe, calls
 * the listeners on state changes, and writes results to the store in
 * batches.
 */
#include "probes/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "probes/impl.h"

#define PROBE_BATCH_MAX 256                    /* results per transaction */
#define PROBE_FLUSH_DELAY_NS INT64_C(1000000000)  /* maximum delay of a write */
#define PROBE_PRUNE_FIRST_NS (INT64_C(60) * 1000000000)
#define PROBE_PRUNE_PERIOD_NS (INT64_C(600) * 1000000000)
#define PROBE_PRUNE_AGAIN_NS INT64_C(1000000000)  /* next batch, when behind */
#define PROBE_PRUNE_BATCH 500                  /* rows one DELETE removes */
#define PROBE_PRUNE_TICK_MAX 5000              /* rows one pruning removes */
#define PROBE_ORPHANS_MAX 4096                 /* stored probes looked at */

/*
 * The type table: the functions of each probe type, by the type's value
 * in the configuration.
 */
static const struct probe_type_ops *const probe_types[CFG_PROBE_TYPES] = {
	[CFG_PROBE_HTTP] = &probe_http_ops,
	[CFG_PROBE_TCP] = &probe_tcp_ops,
	[CFG_PROBE_EXEC] = &probe_exec_ops,
	[CFG_PROBE_FILE] = &probe_file_ops,
	[CFG_PROBE_DISK] = &probe_disk_ops,
	[CFG_PROBE_PROCESS] = &probe_process_ops,
	[CFG_PROBE_PUSH] = &probe_push_ops,
};

/* Ends each check of an http probe at once when libcurl is unavailable. */
static void
probe_unavailable_start(struct probe *p)
{
	probe_report(p, 0, -1, "%s", p->engine->curl_error);
}

static const struct probe_type_ops probe_unavailable_ops = {
	NULL, probe_unavailable_start, NULL, NULL
};

static void probe_due(struct ev_loop *loop, void *arg);
static void probe_prune_tick(struct ev_loop *loop, void *arg);

const char *
probe_state_name(enum probe_state state)
{
	switch (state) {
	case PROBE_UP:
		return N_("up");
	case PROBE_DOWN:
		return N_("down");
	case PROBE_UNKNOWN:
		break;
	}
	return N_("unknown");
}

static enum probe_state
probe_state_parse(const char *name)
{
	if (strcmp(name, "up") == 0)
		return PROBE_UP;
	if (strcmp(name, "down") == 0)
		return PROBE_DOWN;
	return PROBE_UNKNOWN;
}

static uint64_t
probe_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
		seed = (uint64_t)clk_mono_ns() ^ (uint64_t)clk_wall_ms() << 20;
	return seed != 0 ? seed : UINT64_C(0x9e3779b97f4a7c15);
}

/* Loads the state a previous agent stored for p. */
static void
probe_restore(struct probe_engine *e, struct probe *p)
{
	struct store_probe_state saved;

	if (e->store == NULL ||
	    store_probe_state_get(e->store, p->cfg->name, &saved) != WK_OK)
		return;
	p->state = probe_state_parse(saved.state);
	p->since_ms = saved.since;
	p->checked_at = saved.checked_at;
	p->last_ok = saved.ok;
	p->last_latency_ms = saved.latency_ms;
	snprintf(p->detail, sizeof p->detail, "%s", saved.detail);
}

/* Sets up libcurl at the first http probe; keeps why it failed. */
static int
probe_need_curl(struct probe_engine *e)
{
	struct wk_err err = { 0, "" };

	if (e->curl != NULL)
		return WK_OK;
	if (e->curl_error[0] != '\0')
		return WK_ERR_STATE;

	e->curl = probe_curl_new(e->loop, &err);
	if (e->curl != NULL)
		return WK_OK;
	snprintf(e->curl_error, sizeof e->curl_error, "%s", err.msg);
	return err.rc != WK_OK ? err.rc : WK_ERR_STATE;
}

/* Sets up probe i of the configuration. */
static int
probe_init_one(struct probe_engine *e, size_t i, struct wk_err *err)
{
	struct probe *p = &e->probes[i];
	struct log_ids ids = { .probe = e->cfg->probes->items[i].name };

	p->engine = e;
	p->cfg = &e->cfg->probes->items[i];
	p->ops = probe_types[p->cfg->type];
	p->selected = 1;
	p->last_ok = -1;
	p->last_latency_ms = -1;
	probe_restore(e, p);
	if (p->cfg->type == CFG_PROBE_HTTP && probe_need_curl(e) != WK_OK) {
		/* The other probes run; this one reports why it cannot. */
		LOG_IDS(LL_ERROR, &ids, _("the probe reports down at every "
		    "check: %s"), e->curl_error);
		p->ops = &probe_unavailable_ops;
		return WK_OK;
	}
	return p->ops->init(p, err);
}

struct probe_engine *
probe_engine_new(struct ev_loop *loop, struct store *store,
		 const struct cfg *cfg, struct wk_err *err)
{
	struct probe_engine *e;
	size_t n = cfg->probes != NULL ? cfg->probes->count : 0, i;

	e = calloc(1, sizeof *e);
	if (e == NULL)
		goto nomem;
	e->loop = loop;
	e->store = store;
	e->cfg = cfg;
	e->rng = probe_seed();
	e->probes = calloc(n + 1, sizeof *e->probes);
	e->states = calloc(n + 1, sizeof *e->states);
	e->pending = calloc(PROBE_BATCH_MAX, sizeof *e->pending);
	if (e->probes == NULL || e->states == NULL || e->pending == NULL)
		goto nomem;

	for (i = 0; i < n; i++) {
		e->n_probes = i + 1;
		if (probe_init_one(e, i, err) != WK_OK) {
			e->probes[i].ops = NULL;
			probe_engine_free(e);
			return NULL;
		}
	}
	return e;

nomem:
	probe_engine_free(e);
	wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	return NULL;
}

int
probe_engine_select(struct probe_engine *e, const char *const *names,
		    size_t n, struct wk_err *err)
{
	size_t i, j;

	for (j = 0; j < n; j++) {
		for (i = 0; i < e->n_probes; i++) {
			if (strcmp(e->probes[i].cfg->name, names[j]) == 0)
				break;
		}
		if (i == e->n_probes)
			return wk_err_set(err, WK_ERR_NOTFOUND,
			    _("no probe named \"%s\" in %s"), names[j],
			    e->cfg->path);
	}
	for (i = 0; i < e->n_probes; i++) {
		e->probes[i].selected = n == 0;
		for (j = 0; j < n; j++) {
			if (strcmp(e->probes[i].cfg->name, names[j]) == 0)
				e->probes[i].selected = 1;
		}
	}
	return WK_OK;
}

int
probe_engine_listen(struct probe_engine *e, probe_listener_fn fn, void *arg)
{
	if (e->n_listeners == PROBE_MAX_LISTENERS)
		return WK_ERR_LIMIT;
	e->listeners[e->n_listeners] = fn;
	e->listener_args[e->n_listeners] = arg;
	e->n_listeners++;
	return WK_OK;
}

static void
probe_fill_status(const struct probe *p, struct probe_status *out)
{
	out->name = p->cfg->name;
	out->type = cfg_probe_type_name(p->cfg->type);
	out->state = p->state;
	out->since = p->since_ms;
	out->checked_at = p->checked_at;
	out->ok = p->last_ok;
	out->latency_ms = p->last_latency_ms;
	out->detail = p->detail;
	out->checks = p->checks;
}

size_t
probe_engine_count(const struct probe_engine *e)
{
	return e->n_probes;
}

int
probe_engine_status(const struct probe_engine *e, size_t i,
		    struct probe_status *out)
{
	probe_fill_status(&e->probes[i], out);
	return e->probes[i].selected;
}

/* ---- running checks ---- */

double
probe_elapsed_ms(const struct probe *p)
{
	return (double)(clk_mono_ns() - p->start_ns) / 1e6;
}

static void
probe_timed_out(struct ev_loop *loop, void *arg)
{
	struct probe *p = arg;
	char limit[32];

	(void)loop;
	p->timeout_timer = 0;
	if (!p->running)
		return;
	if (p->ops->cancel != NULL)
		p->ops->cancel(p);
	clk_format_duration(limit, sizeof limit, p->cfg->timeout_ms);
	probe_report(p, 0, probe_elapsed_ms(p), _("timed out after %s"), limit);
}

void
probe_check_now(struct probe *p)
{
	struct probe_engine *e = p->engine;
	struct log_ids ids = { .probe = p->cfg->name };

	if (p->running) {
		LOG_IDS(LL_WARN, &ids, _("the previous check is still running; this check is skipped"));
		return;
	}
	p->running = 1;
	p->start_ns = clk_mono_ns();
	p->start_wall_ms = clk_wall_ms();
	p->ops->start(p);
	if (!p->running)
		return;

	p->timeout_timer = ev_timer_at(e->loop,
	    p->start_ns + p->cfg->timeout_ms * 1000000, probe_timed_out, p);
	if (p->timeout_timer == 0) {
		if (p->ops->cancel != NULL)
			p->ops->cancel(p);
		probe_report(p, 0, -1, _("too many timers in the event loop; the check was abandoned"));
	}
}

static void
probe_due(struct ev_loop *loop, void *arg)
{
	struct probe *p = arg;
	struct probe_engine *e = p->engine;
	struct log_ids ids = { .probe = p->cfg->name };
	int64_t interval = p->cfg->interval_ms * 1000000;

	p->run_timer = 0;
	p->due_ns = probe_sched_next(p->due_ns, clk_mono_ns(), interval,
	    p->cfg->jitter_ms * 1000000, &e->rng);
	p->run_timer = ev_timer_at(loop, p->due_ns, probe_due, p);
	if (p->run_timer == 0)
		LOG_IDS(LL_ERROR, &ids, _("too many timers in the event loop; the probe stops"));
	probe_check_now(p);
}

/* ---- results ---- */

static void
probe_notify(struct probe_engine *e, const struct probe *p,
	     enum probe_state old_state)
{
	struct probe_status status;
	struct log_ids ids = { .probe = p->cfg->name };
	enum log_level level = p->state == PROBE_DOWN ? LL_WARN : LL_INFO;
	size_t i;

	/* A one-off check has no history: its first state is no news. */
	if (e->once)
		level = LL_DEBUG;
	LOG_IDS(level, &ids,
	    _("%s -> %s: %s"), probe_state_name(old_state),
	    probe_state_name(p->state), p->detail);
	probe_fill_status(p, &status);
	for (i = 0; i < e->n_listeners; i++)
		e->listeners[i](e->listener_args[i], &status, old_state);
}

static void
probe_flush_due(struct ev_loop *loop, void *arg)
{
	struct probe_engine *e = arg;

	(void)loop;
	e->flush_timer = 0;
	probe_engine_flush(e);
}

/* Queues the result of p for the next write. */
static void
probe_queue(struct probe_engine *e, const struct probe *p)
{
	struct probe_pending *r;

	if (e->store == NULL)
		return;
	if (e->n_pending == PROBE_BATCH_MAX)
		probe_engine_flush(e);
	r = &e->pending[e->n_pending++];
	r->probe = p->cfg->name;
	r->at = p->checked_at;
	r->ok = p->last_ok;
	r->latency_ms = p->last_latency_ms;
	memcpy(r->detail, p->detail, sizeof r->detail);
	if (e->flush_timer == 0)
		e->flush_timer = ev_timer_at(e->loop,
		    clk_mono_ns() + PROBE_FLUSH_DELAY_NS, probe_flush_due, e);
}

/* Applies a result to the window and the state of p. */
static void
probe_apply(struct probe *p, int ok)
{
	struct probe_engine *e = p->engine;
	enum probe_state old_state = p->state;

	probe_window_push(&p->window, ok);
	if (e->once)
		p->state = ok ? PROBE_UP : PROBE_DOWN;
	else
		p->state = probe_state_next(p->state, &p->window, p->cfg);
	p->dirty = 1;
	probe_queue(e, p);
	if (p->state == old_state)
		return;
	p->since_ms = p->checked_at;
	probe_notify(e, p, old_state);
}

void
probe_report(struct probe *p, int ok, double latency_ms, const char *fmt, ...)
{
	va_list ap;

	if (!p->running)
		return;
	p->running = 0;
	if (p->timeout_timer != 0)
		ev_timer_cancel(p->engine->loop, p->timeout_timer);
	p->timeout_timer = 0;

	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof p->detail, fmt, ap);
	va_end(ap);
	p->checks++;
	p->last_ok = ok != 0;
	p->last_latency_ms = latency_ms >= 0 ? latency_ms : -1;
	p->checked_at = p->start_wall_ms;
	probe_apply(p, ok != 0);
}

/* Fills the scratch states with every probe whose state changed. */
static size_t
probe_collect_states(struct probe_engine *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->n_probes; i++) {
		struct probe *p = &e->probes[i];
		struct store_probe_state *s = &e->states[n];

		if (!p->dirty)
			continue;
		p->dirty = 0;
		snprintf(s->probe, sizeof s->probe, "%s", p->cfg->name);
		snprintf(s->type, sizeof s->type, "%s",
		    cfg_probe_type_name(p->cfg->type));
		snprintf(s->state, sizeof s->state, "%s",
		    probe_state_name(p->state));
		s->since = p->since_ms > 0 ? p->since_ms : p->checked_at;
		s->checked_at = p->checked_at;
		s->ok = p->last_ok;
		s->latency_ms = p->last_latency_ms;
		snprintf(s->detail, sizeof s->detail, "%s", p->detail);
		n++;
	}
	return n;
}

int
probe_engine_flush(struct probe_engine *e)
{
	struct store_probe_result rows[PROBE_BATCH_MAX];
	char writes[64];
	size_t i, n_states;
	int rc;

	if (e->store == NULL)
		return WK_OK;
	n_states = probe_collect_states(e);
	if (e->n_pending == 0 && n_states == 0)
		return WK_OK;
	for (i = 0; i < e->n_pending; i++) {
		rows[i].probe = e->pending[i].probe;
		rows[i].at = e->pending[i].at;
		rows[i].ok = e->pending[i].ok;
		rows[i].latency_ms = e->pending[i].latency_ms;
		rows[i].detail = e->pending[i].detail;
	}

	rc = store_probe_write(e->store, rows, e->n_pending, e->states,
	    n_states);
	if (rc != WK_OK && e->store_errors++ % 100 == 0) {
		snprintf(writes, sizeof writes, P_("%llu failed write so far",
		    "%llu failed writes so far", (unsigned long)e->store_errors),
		    (unsigned long long)e->store_errors);
		/* TRANSLATORS: the last %s is "N failed writes so far". */
		LOG(LL_ERROR, P_("probe results could not be stored (%s); %zu result dropped, %s",
		    "probe results could not be stored (%s); %zu results dropped, %s",
		    e->n_pending), wk_rc_name(rc), e->n_pending, writes);
	}
	e->n_pending = 0;
	return rc;
}

/* ---- pruning ---- */

/*
 * Prunes the results of stored probes that are no longer configured,
 * with the default retention, and deletes the stored state of those that
 * have no results left.
 */
static int
probe_prune_orphans(struct probe_engine *e, int64_t now_ms, int budget)
{
	struct store_probe_state *saved;
	size_t n = 0, i;
	int deleted, total = 0;

	saved = calloc(PROBE_ORPHANS_MAX, sizeof *saved);
	if (saved == NULL ||
	    store_probe_states_get(e->store, saved, PROBE_ORPHANS_MAX, &n) !=
	    WK_OK)
		n = 0;
	for (i = 0; i < n && total < budget; i++) {
		int64_t before = now_ms - CFG_PROBE_RETENTION_MS;

		if (cfg_find_probe(e->cfg, saved[i].probe) != NULL)
			continue;
		if (store_probe_prune(e->store, saved[i].probe, before,
		    PROBE_PRUNE_BATCH, &deleted) != WK_OK)
			break;
		total += deleted;
		if (deleted == 0 && saved[i].checked_at < before)
			store_probe_forget(e->store, saved[i].probe);
	}
	free(saved);
	return total;
}

/*
 * Deletes results past each probe's retention, in batches: a tick removes
 * at most PROBE_PRUNE_TICK_MAX rows and, when more are left, comes back
 * a second later where it stopped.
 */
static void
probe_prune_tick(struct ev_loop *loop, void *arg)
{
	struct probe_engine *e = arg;
	int64_t now_ms = clk_wall_ms(), next = PROBE_PRUNE_PERIOD_NS;
	int deleted, total = 0;

	e->prune_timer = 0;
	probe_engine_flush(e);
	while (e->prune_cursor < e->n_probes && total < PROBE_PRUNE_TICK_MAX) {
		const struct cfg_probe *c = e->probes[e->prune_cursor].cfg;

		if (store_probe_prune(e->store, c->name, now_ms -
		    c->retention_ms, PROBE_PRUNE_BATCH, &deleted) != WK_OK)
			break;
		total += deleted;
		if (deleted < PROBE_PRUNE_BATCH)
			e->prune_cursor++;
	}
	if (e->prune_cursor == e->n_probes && total < PROBE_PRUNE_TICK_MAX) {
		total += probe_prune_orphans(e, now_ms,
		    PROBE_PRUNE_TICK_MAX - total);
		e->prune_cursor = 0;
	} else {
		next = PROBE_PRUNE_AGAIN_NS;
	}
	if (total > 0)
		LOG(LL_DEBUG, _("pruned %d old probe results"), total);
	e->prune_timer = ev_timer_at(loop, clk_mono_ns() + next,
	    probe_prune_tick, e);
}

/* ---- starting and stopping ---- */

int
probe_engine_start(struct probe_engine *e)
{
	int64_t now = clk_mono_ns();
	size_t i;

	if (e->started)
		return WK_ERR_STATE;
	e->started = 1;
	e->started_wall_ms = clk_wall_ms();
	for (i = 0; i < e->n_probes; i++) {
		struct probe *p = &e->probes[i];

		if (!p->selected)
			continue;
		p->due_ns = probe_sched_first(now, p->cfg->interval_ms *
		    1000000, &e->rng);
		p->run_timer = ev_timer_at(e->loop, p->due_ns, probe_due, p);
		if (p->run_timer == 0)
			return WK_ERR_LIMIT;
	}
	if (e->store != NULL)
		e->prune_timer = ev_timer_at(e->loop,
		    now + PROBE_PRUNE_FIRST_NS, probe_prune_tick, e);
	return WK_OK;
}

int
probe_engine_check_once(struct probe_engine *e)
{
	size_t i;

	if (e->started)
		return WK_ERR_STATE;
	e->started = 1;
	e->once = 1;
	e->started_wall_ms = clk_wall_ms();
	for (i = 0; i < e->n_probes; i++) {
		if (e->probes[i].selected)
			probe_check_now(&e->probes[i]);
	}
	return WK_OK;
}

size_t
probe_engine_busy(const struct probe_engine *e)
{
	size_t i, n = probe_exec_live();

	for (i = 0; i < e->n_probes; i++)
		n += e->probes[i].running != 0;
	return n;
}

/* Cancels the timers and the running check of p. */
static void
probe_halt(struct probe *p)
{
	struct ev_loop *loop = p->engine->loop;

	if (p->run_timer != 0)
		ev_timer_cancel(loop, p->run_timer);
	p->run_timer = 0;
	if (p->timeout_timer != 0)
		ev_timer_cancel(loop, p->timeout_timer);
	p->timeout_timer = 0;
	if (p->running && p->ops->cancel != NULL)
		p->ops->cancel(p);
	p->running = 0;
}

void
probe_engine_stop(struct probe_engine *e)
{
	size_t i;

	for (i = 0; i < e->n_probes; i++)
		probe_halt(&e->probes[i]);
	if (e->flush_timer != 0)
		ev_timer_cancel(e->loop, e->flush_timer);
	e->flush_timer = 0;
	if (e->prune_timer != 0)
		ev_timer_cancel(e->loop, e->prune_timer);
	e->prune_timer = 0;
	probe_engine_flush(e);
}

void
probe_engine_free(struct probe_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	if (e->probes != NULL && e->pending != NULL && e->states != NULL)
		probe_engine_stop(e);
	for (i = 0; e->probes != NULL && i < e->n_probes; i++) {
		struct probe *p = &e->probes[i];

		if (p->ops != NULL && p->ops->fini != NULL)
			p->ops->fini(p);
	}
	probe_curl_free(e->curl);
	free(e->probes);
	free(e->states);
	free(e->pending);
	free(e);
}

/* ---- push probes ---- */

static struct probe *
probe_find_push(const struct probe_engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_probes; i++) {
		struct probe *p = &e->probes[i];

		if (p->cfg->type == CFG_PROBE_PUSH &&
		    strcmp(p->cfg->name, name) == 0)
			return p;
	}
	return NULL;
}

int
probe_push_ping(struct probe_engine *e, const char *name, const char *token,
		enum probe_ping kind)
{
	struct probe *p = probe_find_push(e, name);

	if (p == NULL || !p->selected)
		return WK_ERR_NOTFOUND;
	return probe_push_handle(p, token, kind);
}

void
probe_engine_import_push(struct probe_engine *e, struct store *store)
{
	size_t i;

	for (i = 0; i < e->n_probes; i++) {
		if (e->probes[i].cfg->type == CFG_PROBE_PUSH)
			probe_push_import(&e->probes[i], store);
	}
}

int
probe_push_token(const struct probe_engine *e, const char *name, char *out,
		 size_t size)
{
	const struct probe *p = probe_find_push(e, name);

	if (p == NULL)
		return WK_ERR_NOTFOUND;
	snprintf(out, size, "%s", probe_push_current_token(p));
	return WK_OK;
}
