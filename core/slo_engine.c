/*
 * The SLO engine: windows with running totals, the minute tick, the
 * listener and the state kept between ticks. See core/slo.h.
 *
 * Every window of an SLO ends at the current minute t, and its totals
 * over [start, t] always equal the sum of the stored minutes in it. They
 * change in three ways. When the window moves, the minutes it leaves are
 * subtracted and the ones it enters added, each as one range query. When
 * the accounting changes a stored minute inside it, the change is added.
 * When it is reloaded, one range query covers the whole window.
 */
#include "core/slo_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config_probes.h"
#include "core/i18n.h"
#include "core/log.h"

#define MINUTE SLO_MINUTE_MS
#define SYNC_MARGIN_MS (15 * MINUTE)   /* facts this late are counted */
#define PRUNE_EVERY_MINUTES 60
/*
 * Work one tick may spend on history, in minutes written (plus
 * SLO_SYNC_CHUNK_COST a chunk): a few milliseconds of writes.
 */
#define SYNC_BUDGET (2 * SLO_SYNC_CHUNK)

struct slo_engine {
	struct store *st;              /* the store, not owned */
	struct store_slo *ss;          /* statements on it, owned */
	const struct cfg *cfg;         /* configuration, not owned */
	struct slo_item *items;        /* one per SLO in file order, owned */
	size_t count;                  /* entries in items */
	struct slo_scratch *scratch;   /* accounting work arrays, owned */
	int64_t minute;                /* last evaluated minute, -1: none */
	int64_t pruned;                /* minute of the last prune, -1: none */
	int64_t budget;                /* history work the tick may still do */
	int unbounded;                 /* a rebuild: no budget */
	slo_listener_fn listener;      /* change listener, or NULL */
	void *listener_ctx;            /* its argument */
};

/* Returns floor(a / b) for b > 0. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Returns the index of the rolling window of length minutes, adding it. */
static size_t
engine_window(struct slo_item *it, int64_t minutes)
{
	size_t i;

	for (i = 0; i < it->n_windows; i++) {
		if (it->windows[i].minutes == minutes)
			return i;
	}
	memset(&it->windows[i], 0, sizeof it->windows[i]);
	it->windows[i].minutes = minutes;
	it->n_windows++;
	return i;
}

/* Sets up the windows of it: its own, the burn windows, the rule windows. */
static void
engine_windows(struct slo_item *it)
{
	size_t i;

	memset(&it->windows[0], 0, sizeof it->windows[0]);
	it->windows[0].minutes = it->cfg->window_minutes;
	it->n_windows = 1;
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		it->burn_window[i] = engine_window(it, slo_burn_minutes[i]);
	for (i = 0; i < it->n_rules; i++) {
		it->rule_long[i] = engine_window(it, it->rules[i].long_minutes);
		it->rule_short[i] = engine_window(it,
		    it->rules[i].short_minutes);
	}
}

/* Returns how late a fact of the SLI may be written and still count. */
static int64_t
engine_margin(const struct cfg *cfg, const struct cfg_slo *slo)
{
	const struct cfg_probe *probe;

	if (slo->sli.kind != CFG_SLI_PROBE_AVAILABILITY &&
	    slo->sli.kind != CFG_SLI_PROBE_LATENCY)
		return SYNC_MARGIN_MS;
	probe = cfg_find_probe(cfg, slo->sli.probe);
	if (probe == NULL || probe->timeout_ms + MINUTE <= SYNC_MARGIN_MS)
		return SYNC_MARGIN_MS;
	return probe->timeout_ms + MINUTE;
}

/* Loads a zone for the SLO; the message names the SLO and the zone. */
static int
engine_zone(const struct cfg_slo *slo, const char *name, struct tz **out,
	    struct wk_err *err)
{
	struct wk_err zerr = { 0, "" };
	int rc = tz_load(name, out, &zerr);

	if (rc != WK_OK)
		return wk_err_set(err, rc, _("SLO %s: %s"), slo->name,
		    zerr.msg);
	return WK_OK;
}

/* Loads the zones and the schedule that the SLO's windows and SLI use. */
static int
engine_calendar(const struct cfg *cfg, struct slo_item *it,
		struct wk_err *err)
{
	const struct cfg_slo *slo = it->cfg;
	const struct cfg_pipeline *pl;
	const char *reason = NULL;
	size_t bad = 0;
	int rc = WK_OK;

	if (slo->window_minutes == 0)
		rc = engine_zone(slo, slo->time_zone, &it->month_zone, err);
	if (rc != WK_OK || slo->sli.kind != CFG_SLI_DEADLINE)
		return rc;
	rc = engine_zone(slo, slo->sli.time_zone, &it->deadline_zone, err);
	pl = cfg_find_pipeline(cfg, slo->sli.pipeline);
	if (rc != WK_OK || pl == NULL || pl->schedule == NULL)
		return rc;

	rc = engine_zone(slo, pl->time_zone != NULL ? pl->time_zone : "UTC",
	    &it->schedule_zone, err);
	if (rc != WK_OK)
		return rc;
	if (cron_parse(pl->schedule, &it->schedule, &bad, &reason) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID,
		    _("SLO %s: the schedule of pipeline %s is invalid: %s"),
		    slo->name, pl->name, _(reason));
	it->has_schedule = 1;
	return WK_OK;
}

/* Prepares the state of one SLO. */
static int
engine_item_init(struct slo_engine *e, struct slo_item *it,
		 const struct cfg_slo *slo, struct wk_err *err)
{
	struct slo_status last;
	int rc;

	it->cfg = slo;
	it->n_rules = slo_rules_resolve(slo, it->rules);
	it->keep_minutes = slo_keep_minutes(slo, it->rules, it->n_rules);
	it->margin_ms = engine_margin(e->cfg, slo);
	slo_account_define(slo, it->keep_minutes, it->sli_def,
	    sizeof it->sli_def);
	it->cursor.checked_minute = -1;
	it->cursor.done_until = -1;
	engine_windows(it);
	rc = engine_calendar(e->cfg, it, err);
	if (rc != WK_OK)
		return rc;

	it->prev_state = SLO_STATE_OK;
	rc = store_slo_eval_latest(e->st, slo->name, &last);
	if (rc == WK_OK) {
		it->prev_state = last.state;
		it->prev_exhausted = last.budget_exhausted;
	} else if (rc != WK_ERR_NOTFOUND) {
		return wk_err_set(err, rc,
		    _("SLO %s: reading its last evaluation failed: %s"),
		    slo->name, wk_rc_name(rc));
	}
	return WK_OK;
}

struct slo_engine *
slo_engine_new(struct store *st, const struct cfg *cfg, struct wk_err *err)
{
	struct slo_engine *e = calloc(1, sizeof *e);
	size_t n = cfg->slos != NULL ? cfg->slos->count : 0, i;

	if (e == NULL)
		goto nomem;
	e->st = st;
	e->cfg = cfg;
	e->minute = -1;
	e->pruned = -1;
	e->items = calloc(n + 1, sizeof *e->items);
	e->scratch = calloc(1, sizeof *e->scratch);
	if (e->items == NULL || e->scratch == NULL ||
	    store_slo_open(st, &e->ss) != WK_OK)
		goto nomem;

	for (i = 0; i < n; i++) {
		e->count = i + 1;
		if (engine_item_init(e, &e->items[i], &cfg->slos->items[i],
		    err) != WK_OK) {
			slo_engine_free(e);
			return NULL;
		}
	}
	return e;

nomem:
	slo_engine_free(e);
	wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	return NULL;
}

void
slo_engine_free(struct slo_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->count; i++) {
		tz_free(e->items[i].month_zone);
		tz_free(e->items[i].deadline_zone);
		tz_free(e->items[i].schedule_zone);
	}
	store_slo_close(e->ss);
	free(e->items);
	free(e->scratch);
	free(e);
}

void
slo_engine_set_listener(struct slo_engine *e, slo_listener_fn fn, void *ctx)
{
	e->listener = fn;
	e->listener_ctx = ctx;
}

size_t
slo_engine_count(const struct slo_engine *e)
{
	return e->count;
}

const struct slo_status *
slo_engine_status(const struct slo_engine *e, size_t i)
{
	if (i >= e->count || !e->items[i].has_status)
		return NULL;
	return &e->items[i].status;
}

/* Returns the first whole minute of the local month that contains t. */
static int64_t
engine_month_start(const struct tz *zone, int64_t t)
{
	struct tz_civil civil;
	int64_t first = 0, second = 0, local;

	tz_civil_at(zone, t * 60, &civil);
	local = clk_days_from_civil(civil.year, civil.month, 1) * 86400;
	first = local;
	tz_local_to_utc(zone, local, &first, &second);
	return floor_div(first + 59, 60);
}

/* Returns the first key of window w at minute t. */
static int64_t
engine_window_start(const struct slo_item *it, const struct slo_window *w,
		    int64_t t)
{
	if (w->minutes > 0)
		return t - w->minutes + 1;
	return engine_month_start(it->month_zone, t);
}

/* Adds the event of one slice of a query to the counts in ctx. */
struct engine_slices {
	double target;             /* timeslice_target */
	struct slo_counts *out;    /* counts of the judged slices */
};

static int
engine_slice_row(void *ctx, int64_t key, int64_t good, int64_t total,
		 int64_t invalid)
{
	struct engine_slices *s = ctx;

	(void)key;
	slo_slice_judge(good, total, invalid, s->target, s->out);
	return 0;
}

/* Sums the events with keys in [a, b] into *out. */
static int
engine_range(struct slo_engine *e, const struct slo_item *it, int64_t a,
	     int64_t b, struct slo_counts *out)
{
	int64_t len = it->cfg->timeslice_minutes, lo, hi;
	struct engine_slices slices = { it->cfg->timeslice_target, out };

	memset(out, 0, sizeof *out);
	if (a > b)
		return WK_OK;
	if (it->cfg->budgeting == CFG_BUDGET_OCCURRENCES)
		return store_slo_minutes_sum(e->ss, it->cfg->name, a, b, out);

	/* Slice k is judged at key (k + 1) * len, the minute after it. */
	lo = floor_div(a + len - 1, len) - 1;
	hi = floor_div(b, len) - 1;
	if (lo > hi)
		return WK_OK;
	return store_slo_slices(e->ss, it->cfg->name, lo * len,
	    (hi + 1) * len - 1, len, engine_slice_row, &slices);
}

static void
counts_add(struct slo_counts *to, const struct slo_counts *c, int sign)
{
	to->good += sign * c->good;
	to->total += sign * c->total;
	to->invalid += sign * c->invalid;
}

/*
 * Loads every window of it at minute t with full range sums. The windows
 * all end at t, so they nest: the sums of the disjoint segments between
 * their starts, added from t backwards, give every window while reading
 * each minute once.
 */
static int
engine_load(struct slo_engine *e, struct slo_item *it, int64_t t)
{
	size_t order[SLO_WINDOWS_MAX], i, j, k;
	struct slo_counts cum = { 0, 0, 0 }, segment;
	int64_t next = t + 1;
	int rc;

	for (i = 0; i < it->n_windows; i++) {
		it->windows[i].start = engine_window_start(it,
		    &it->windows[i], t);
		it->windows[i].end = t;
		for (j = i; j > 0 && it->windows[order[j - 1]].start <
		     it->windows[i].start; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < it->n_windows; i++) {
		k = order[i];
		if (it->windows[k].start < next) {
			rc = engine_range(e, it, it->windows[k].start, next - 1,
			    &segment);
			if (rc != WK_OK)
				return rc;
			counts_add(&cum, &segment, 1);
			next = it->windows[k].start;
		}
		it->windows[k].sum = cum;
	}
	it->loaded = 1;
	return WK_OK;
}

/* Moves one window to [start, t], given the counts of the entering keys. */
static int
engine_move(struct slo_engine *e, struct slo_item *it, struct slo_window *w,
	    int64_t start, int64_t t, const struct slo_counts *entering)
{
	struct slo_counts leaving;
	int rc;

	if (start > w->end) {
		rc = engine_range(e, it, start, t, &w->sum);
	} else {
		rc = engine_range(e, it, w->start, start - 1, &leaving);
		counts_add(&w->sum, &leaving, -1);
		counts_add(&w->sum, entering, 1);
	}
	w->start = start;
	w->end = t;
	return rc;
}

/* Moves every window of it to end at minute t. */
static int
engine_advance(struct slo_engine *e, struct slo_item *it, int64_t t)
{
	struct slo_counts entering = { 0, 0, 0 };
	size_t i;
	int rc = WK_OK;

	/* Every window's start is a function of t alone. */
	if (!it->loaded)
		return engine_load(e, it, t);
	if (t == it->windows[0].end)
		return WK_OK;
	rc = engine_range(e, it, it->windows[0].end + 1, t, &entering);
	for (i = 0; rc == WK_OK && i < it->n_windows; i++) {
		struct slo_window *w = &it->windows[i];

		rc = engine_move(e, it, w, engine_window_start(it, w, t), t,
		    &entering);
	}
	it->loaded = rc == WK_OK;
	return rc;
}

/* Argument of the delta callback: the SLO whose minute changed. */
struct engine_delta {
	struct slo_engine *e;   /* the engine */
	struct slo_item *it;    /* the SLO whose minute changed */
};

/* Turns the change of a stored minute into the change of its slice. */
static int
engine_slice_delta(struct slo_engine *e, struct slo_item *it, int64_t k,
		   const struct slo_counts *delta, struct slo_counts *event)
{
	int64_t len = it->cfg->timeslice_minutes;
	struct slo_counts after = { 0, 0, 0 }, judged_after = { 0, 0, 0 };
	struct slo_counts judged_before = { 0, 0, 0 };
	int rc;

	rc = store_slo_minutes_sum(e->ss, it->cfg->name, k * len,
	    (k + 1) * len - 1, &after);
	if (rc != WK_OK)
		return rc;
	slo_slice_judge(after.good, after.total, after.invalid,
	    it->cfg->timeslice_target, &judged_after);
	slo_slice_judge(after.good - delta->good, after.total - delta->total,
	    after.invalid - delta->invalid, it->cfg->timeslice_target,
	    &judged_before);
	*event = judged_after;
	counts_add(event, &judged_before, -1);
	return WK_OK;
}

static int
engine_apply_delta(void *ctx, int64_t minute, const struct slo_counts *delta)
{
	struct engine_delta *d = ctx;
	struct slo_item *it = d->it;
	int64_t len = it->cfg->timeslice_minutes, key = minute;
	struct slo_counts event = *delta;
	size_t i;
	int rc;

	if (!it->loaded)
		return WK_OK;
	if (it->cfg->budgeting == CFG_BUDGET_TIMESLICES) {
		key = (floor_div(minute, len) + 1) * len;
		if (key > it->windows[0].end)
			return WK_OK;
		rc = engine_slice_delta(d->e, it, floor_div(minute, len),
		    delta, &event);
		if (rc != WK_OK)
			return rc;
	}
	for (i = 0; i < it->n_windows; i++) {
		struct slo_window *w = &it->windows[i];

		if (key >= w->start && key <= w->end)
			counts_add(&w->sum, &event, 1);
	}
	return WK_OK;
}

/*
 * Checks the stored cursor of it against its SLI definition. A changed
 * definition (or a rebuild) starts the counts again from the facts.
 */
static int
engine_prepare(struct slo_engine *e, struct slo_item *it, int rebuild)
{
	const char *name = it->cfg->name;
	struct store_slo_cursor stored;
	int64_t minute = 0;
	int rc;

	rc = store_slo_cursor_get(e->ss, name, &stored);
	if (rc != WK_OK && rc != WK_ERR_NOTFOUND)
		return rc;
	if (rc == WK_ERR_NOTFOUND)
		stored.checked_minute = -1;
	if (rc == WK_OK && strcmp(stored.sli, it->sli_def) == 0) {
		it->cursor = stored;
	} else {
		if (rc == WK_OK)
			LOG(LL_INFO, _("SLO %s: its SLI changed; counting its events again from the stored facts"),
			    name);
		if (rc == WK_OK && !slo_account_same_file(stored.sli,
		    it->sli_def))
			stored.checked_minute = -1;
		if (rc == WK_OK && stored.checked_minute < 0)
			rc = store_slo_checks_prune(e->ss, name, INT64_MAX);
		else
			rc = WK_OK;
		if (rc == WK_OK)
			rc = store_slo_minutes_prune(e->ss, name, INT64_MAX);
		if (rc != WK_OK)
			return rc;
		snprintf(it->cursor.sli, sizeof it->cursor.sli, "%s",
		    it->sli_def);
		it->cursor.checked_minute = stored.checked_minute;
		it->loaded = 0;
		rebuild = 1;
	}
	if (rebuild)
		it->cursor.done_until = -1;

	it->file_known = 0;
	if (it->cfg->sli.kind == CFG_SLI_FRESHNESS) {
		rc = store_slo_check_last(e->ss, name, &minute,
		    &it->file_mtime);
		it->file_known = rc == WK_OK;
		if (rc != WK_OK && rc != WK_ERR_NOTFOUND)
			return rc;
	}
	it->ready = 1;
	return WK_OK;
}

/* Returns the first minute the accounting derives again at minute t. */
static int64_t
engine_sync_from(const struct slo_item *it, int64_t t)
{
	int64_t oldest = t - it->keep_minutes + 1, from;

	if (it->cursor.done_until < 0)
		return oldest;
	/* NOTE: a fact written later than the margin waits for a rebuild. */
	from = floor_div(it->cursor.done_until - it->margin_ms, MINUTE);
	if (from < oldest)
		from = oldest;
	return from > t ? t : from;
}

/* Logs when an SLO starts and ends counting a backlog of history. */
static void
engine_note_backlog(const struct slo_item *it, int backlog, int64_t from,
		    int64_t t)
{
	if (backlog && !it->backlog)
		LOG(LL_INFO, P_("SLO %s: counting %lld minute of stored facts over the next ticks",
		    "SLO %s: counting %lld minutes of stored facts over the next ticks",
		    (unsigned long)(t - from + 1)),
		    it->cfg->name, (long long)(t - from + 1));
	else if (!backlog && it->backlog)
		LOG(LL_INFO, _("SLO %s: counted its stored facts"),
		    it->cfg->name);
}

/*
 * Counts the new facts of it up to minute t and moves its cursor. A range
 * longer than a chunk (a new SLO, a long downtime) is history: it takes
 * from the tick's budget, oldest minutes first, and what does not fit is
 * left as a backlog for the next ticks.
 */
static int
engine_account(struct slo_engine *e, struct slo_item *it, int64_t t,
	       int64_t now_ms)
{
	struct engine_delta ctx = { e, it };
	int64_t from = engine_sync_from(it, t), done = t;
	int history = t - from + 1 > SLO_SYNC_CHUNK && !e->unbounded;
	int rc = WK_OK;

	if (it->cfg->sli.kind == CFG_SLI_FRESHNESS)
		rc = slo_account_observe(e->ss, it, t);
	if (rc == WK_OK)
		rc = slo_account_sync(e->ss, it, e->scratch, from, t,
		    engine_apply_delta, &ctx, history ? &e->budget : NULL,
		    &done);
	if (rc != WK_OK)
		return rc;

	engine_note_backlog(it, done < t, from, t);
	it->backlog = done < t;
	if (it->backlog)
		it->cursor.done_until = (done + 1) * MINUTE + it->margin_ms;
	else if (now_ms > it->cursor.done_until)
		it->cursor.done_until = now_ms;
	return store_slo_cursor_put(e->ss, it->cfg->name, &it->cursor);
}

/* Says in s->detail which stored minute is impossible. */
static void
engine_describe_invalid(struct slo_engine *e, const struct slo_item *it,
			int64_t t, struct slo_status *s)
{
	int64_t from = t, minute = 0, good = 0, total = 0;
	char when[40];
	size_t i;

	for (i = 0; i < it->n_windows; i++) {
		if (it->windows[i].start < from)
			from = it->windows[i].start;
	}
	from -= it->cfg->timeslice_minutes;
	if (store_slo_first_invalid(e->ss, it->cfg->name, from, t, &minute,
	    &good, &total) != WK_OK) {
		snprintf(s->detail, sizeof s->detail, "%s",
		    _("a stored minute has good above total or a negative count"));
		return;
	}
	clk_format_utc(when, sizeof when, minute * MINUTE);
	snprintf(s->detail, sizeof s->detail,
	    P_("the minute %s has %lld good of %lld event; good must be from 0 to the total",
	    "the minute %s has %lld good of %lld events; good must be from 0 to the total",
	    (unsigned long)total), when, (long long)good, (long long)total);
}

/* Evaluates it at minute t and notes what changed since the last notice. */
static void
engine_evaluate(struct slo_engine *e, struct slo_item *it, int64_t t)
{
	struct slo_status *s = &it->status;
	struct slo_eval_input in;
	size_t i;

	in.window = it->windows[0].sum;
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		in.burn[i] = it->windows[it->burn_window[i]].sum;
	for (i = 0; i < it->n_rules; i++) {
		in.rule_long[i] = it->windows[it->rule_long[i]].sum;
		in.rule_short[i] = it->windows[it->rule_short[i]].sum;
	}
	snprintf(s->name, sizeof s->name, "%s", it->cfg->name);
	s->minute = t;
	s->window_start = it->windows[0].start;
	slo_status_fill(it->cfg, &in, it->rules, it->n_rules, s);
	if (s->state == SLO_STATE_DATA_ERROR)
		engine_describe_invalid(e, it, t, s);
	it->has_status = 1;
	it->changed = (s->state != it->prev_state ? SLO_CHANGED_STATE : 0) |
	    (s->budget_exhausted != it->prev_exhausted ? SLO_CHANGED_BUDGET :
	    0);
}

/*
 * Deletes the counts and evaluations of it that no window needs, and
 * thins the evaluations older than SLO_SERIES_FULL_MINUTES to one an hour.
 */
static int
engine_prune(struct slo_engine *e, const struct slo_item *it, int64_t t)
{
	int64_t before = t - it->keep_minutes + 1;
	int rc;

	rc = store_slo_minutes_prune(e->ss, it->cfg->name, before);
	if (rc == WK_OK)
		rc = store_slo_evals_prune(e->ss, it->cfg->name, before);
	if (rc == WK_OK)
		rc = store_slo_evals_thin(e->ss, it->cfg->name, before,
		    t - SLO_SERIES_FULL_MINUTES);
	if (rc == WK_OK && it->cfg->sli.kind == CFG_SLI_FRESHNESS)
		rc = store_slo_checks_prune(e->ss, it->cfg->name, before);
	return rc;
}

/* Runs one tick of one SLO inside the engine's transaction. */
static int
engine_step(struct slo_engine *e, struct slo_item *it, int64_t t,
	    int64_t now_ms, int account, int prune)
{
	int rc = WK_OK;

	if (account && !it->ready)
		rc = engine_prepare(e, it, 0);
	if (rc == WK_OK)
		rc = engine_advance(e, it, t);
	if (rc == WK_OK && account)
		rc = engine_account(e, it, t, now_ms);
	if (rc != WK_OK || it->backlog)
		return rc;

	engine_evaluate(e, it, t);
	rc = store_slo_eval_put(e->ss, &it->status);
	if (rc == WK_OK && prune)
		rc = engine_prune(e, it, t);
	return rc;
}

/* Logs and passes to the listener every change of state or budget. */
static void
engine_notify(struct slo_engine *e)
{
	struct slo_change change;
	size_t i;

	for (i = 0; i < e->count; i++) {
		struct slo_item *it = &e->items[i];

		if (it->changed == 0)
			continue;
		LOG(LL_INFO, _("SLO %s: state %s (was %s), budget %s"),
		    it->cfg->name, slo_state_name(it->status.state),
		    slo_state_name(it->prev_state),
		    it->status.budget_exhausted ? _("exhausted") :
		    _("not exhausted"));
		change.slo = it->cfg;
		change.status = &it->status;
		change.changed = it->changed;
		change.from = it->prev_state;
		change.budget_was_exhausted = it->prev_exhausted;
		it->prev_state = it->status.state;
		it->prev_exhausted = it->status.budget_exhausted;
		if (e->listener != NULL)
			e->listener(e->listener_ctx, &change);
	}
}

/* Runs a tick of every SLO in one transaction. */
static int
engine_run(struct slo_engine *e, int64_t now_ms, int account)
{
	int64_t t = now_ms > 0 ? now_ms / MINUTE : 0;
	int prune, rc = WK_OK;
	size_t i;

	if (e->minute >= 0 && t < e->minute)
		t = e->minute;
	/*
	 * NOTE: a tick after a pause evaluates only its own minute, so the
	 * stored series has a gap and no change inside the pause is heard.
	 */
	if (e->count == 0) {
		e->minute = t;
		return WK_OK;
	}
	prune = account && (e->pruned < 0 ||
	    t - e->pruned >= PRUNE_EVERY_MINUTES);
	e->budget = SYNC_BUDGET;

	rc = store_slo_begin(e->ss);
	for (i = 0; rc == WK_OK && i < e->count; i++) {
		e->items[i].changed = 0;
		rc = engine_step(e, &e->items[i], t, now_ms, account, prune);
	}
	if (rc == WK_OK)
		rc = store_slo_commit(e->ss);
	if (rc != WK_OK) {
		store_slo_rollback(e->ss);
		for (i = 0; i < e->count; i++)
			e->items[i].loaded = e->items[i].ready = 0;
		LOG(LL_ERROR, _("SLO evaluation at minute %lld failed: %s; the next tick reloads every window"),
		    (long long)t, wk_rc_name(rc));
		return rc;
	}

	e->minute = t;
	if (prune)
		e->pruned = t;
	engine_notify(e);
	return WK_OK;
}

int
slo_engine_tick(struct slo_engine *e, int64_t now_ms)
{
	return engine_run(e, now_ms, 1);
}

int
slo_engine_evaluate(struct slo_engine *e, int64_t now_ms)
{
	return engine_run(e, now_ms, 0);
}

int
slo_engine_recompute(struct slo_engine *e)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		e->items[i].loaded = 0;
	return engine_run(e, e->minute >= 0 ? e->minute * MINUTE :
	    clk_wall_ms(), 0);
}

int
slo_engine_rebuild(struct slo_engine *e, int64_t now_ms)
{
	int rc = WK_OK;
	size_t i;

	rc = store_slo_begin(e->ss);
	for (i = 0; rc == WK_OK && i < e->count; i++) {
		rc = store_slo_hours_rebuild(e->ss, e->items[i].cfg->name);
		if (rc == WK_OK)
			rc = engine_prepare(e, &e->items[i], 1);
	}
	if (rc == WK_OK)
		rc = store_slo_commit(e->ss);
	if (rc != WK_OK) {
		store_slo_rollback(e->ss);
		return rc;
	}
	for (i = 0; i < e->count; i++)
		e->items[i].loaded = 0;
	e->pruned = -1;
	e->unbounded = 1;
	rc = engine_run(e, now_ms, 1);
	e->unbounded = 0;
	return rc;
}

size_t
slo_engine_backlog(const struct slo_engine *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->count; i++)
		n += e->items[i].backlog != 0;
	return n;
}
