/*
 * The SLO engine: counts the events of every configured SLI per minute
 * from the facts in the store, evaluates each SLO once a minute (SLI over
 * its window, error budget, burn rates, multiwindow alert state), stores
 * the evaluations as a time series and calls a listener when the alert
 * state of an SLO changes.
 *
 * docs/slo.md defines the events of each SLI kind, the alert table and
 * its scaling, and the behaviour at low traffic.
 *
 * Accounting is idempotent: a minute's counts are derived again from the
 * facts whenever it is in the range being checked, so a restart loses
 * nothing and slo_engine_rebuild() gives the counts that the incremental
 * ticks gave. The engine keeps running totals of every window, updated by
 * the minutes that enter and leave it, so a tick reads a few rows per SLO
 * instead of whole windows.
 *
 * The engine writes to the store it is given; it must be the store's only
 * writer (the agent) and must be freed before the store is closed.
 */
#ifndef WK_SLO_H
#define WK_SLO_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/config_slos.h"
#include "core/rc.h"
#include "core/store.h"

#define SLO_MINUTE_MS INT64_C(60000)
#define SLO_BURN_WINDOWS 7          /* burn rates every status reports */
#define SLO_RULES_MAX (2 * CFG_SLO_RULES_MAX)  /* page and ticket rules */
#define SLO_DETAIL_MAX 256          /* bytes of a status's detail text */
/*
 * Age in minutes up to which every stored evaluation is kept. Older ones
 * are kept for every hour (minute divisible by 60), up to the SLO's window.
 */
#define SLO_SERIES_FULL_MINUTES (2 * 1440)

/* Alert states of an SLO. */
enum slo_state {
	SLO_STATE_OK,          /* burning within the budget */
	SLO_STATE_NO_DATA,     /* fewer than min_events events in the window */
	SLO_STATE_TICKET,      /* a ticket rule fires */
	SLO_STATE_PAGE,        /* a page rule fires */
	SLO_STATE_DATA_ERROR   /* a stored minute is impossible (good > total) */
};

/* Lengths of the reported burn-rate windows, in minutes: 5m to 3d. */
extern const int64_t slo_burn_minutes[SLO_BURN_WINDOWS];

/* Names of the reported burn-rate windows: "5m", "30m", ..., "3d". */
extern const char *const slo_burn_names[SLO_BURN_WINDOWS];

/* A figure that may be missing: JSON null, "no data" in text. */
struct slo_num {
	int known;     /* 1 when value is a figure */
	double value;  /* finite when known, else 0 */
};

/* Good, total and impossible counts of a range of minutes or slices. */
struct slo_counts {
	int64_t good;     /* good events (or good slices) */
	int64_t total;    /* events (or slices with events) */
	int64_t invalid;  /* stored minutes with good > total or a negative */
};

/* One multiwindow burn-rate rule as applied. */
struct slo_rule_eval {
	int page;                 /* 1 for a page rule, 0 for a ticket rule */
	int64_t long_minutes;     /* long window */
	int64_t short_minutes;    /* short window */
	double threshold;         /* burn rate both windows must pass */
	struct slo_num long_burn; /* burn rate over the long window */
	struct slo_num short_burn;/* burn rate over the short window */
	int firing;               /* both burn rates above the threshold */
};

/* The evaluation of one SLO at one minute. */
struct slo_status {
	char name[CFG_NAME_MAX];  /* SLO name */
	int64_t minute;           /* minutes since the epoch, UTC */
	int64_t window_start;     /* first minute of the SLO's window */
	enum slo_state state;     /* alert state */
	int budget_exhausted;     /* budget_remaining is known and <= 0 */
	int64_t good;             /* good events (slices) in the window */
	int64_t total;            /* events (slices) in the window */
	struct slo_num sli;       /* good / total */
	/* bad events (slices) the budget allows: (1 - objective) * total */
	struct slo_num budget_total;
	struct slo_num budget_consumed;   /* bad events (slices) */
	/* 1 - consumed / total budget: 1 unspent, < 0 overspent */
	struct slo_num budget_remaining;
	/* burn rates over slo_burn_minutes: bad fraction / (1 - objective) */
	struct slo_num burn[SLO_BURN_WINDOWS];
	struct slo_rule_eval rules[SLO_RULES_MAX];  /* alert rules */
	size_t n_rules;           /* entries in rules */
	char detail[SLO_DETAIL_MAX]; /* why a figure is missing, or "" */
};

/* Bits of the changes between two evaluations of an SLO. */
#define SLO_CHANGED_STATE 1   /* the alert state */
#define SLO_CHANGED_BUDGET 2  /* budget_exhausted */

/* A change of an SLO's alert state or budget, given to the listener. */
struct slo_change {
	const struct cfg_slo *slo;        /* the SLO's configuration */
	const struct slo_status *status;  /* the new evaluation */
	int changed;                      /* SLO_CHANGED_* bits */
	enum slo_state from;              /* the state before */
	int budget_was_exhausted;         /* budget_exhausted before */
};

/* Called after a tick's writes are committed, once per changed SLO. */
typedef void (*slo_listener_fn)(void *ctx, const struct slo_change *change);

struct slo_engine;

/*
 * Creates an engine for the SLOs of cfg (none is fine) on a store opened
 * STORE_READ_WRITE. Loads every SLO's zone and schedule, and its last
 * stored state, so that a restart does not repeat a change. Returns NULL
 * with err filled. cfg and st must outlive the engine.
 */
struct slo_engine *slo_engine_new(struct store *st, const struct cfg *cfg,
				  struct wk_err *err);

/* Frees an engine; NULL is allowed. Free it before closing the store. */
void slo_engine_free(struct slo_engine *engine);

/* Sets the listener of alert-state changes (fn NULL: none). */
void slo_engine_set_listener(struct slo_engine *engine, slo_listener_fn fn,
			     void *ctx);

/*
 * Counts the new facts of every SLO and evaluates them at the minute of
 * now_ms (wall clock, ms since the epoch), in one transaction. A clock
 * that steps back is held at the last evaluated minute. Returns WK_OK or
 * a store error, after which the next tick reloads every window.
 *
 * To keep a tick short, it counts at most about two days of minutes
 * beyond the recent ones. An SLO with more history to count (a new SLO
 * over a long history, or a downtime of more than a day) is not evaluated
 * until that backlog is counted. Tick again soon while slo_engine_backlog()
 * is not 0, because ticks within one minute are cheap.
 */
int slo_engine_tick(struct slo_engine *engine, int64_t now_ms);

/* Returns the number of SLOs with history still to count. */
size_t slo_engine_backlog(const struct slo_engine *engine);

/*
 * Evaluates at the minute of now_ms from the stored per-minute counts,
 * without counting new facts. For tests and for tools that replay a
 * series minute by minute.
 */
int slo_engine_evaluate(struct slo_engine *engine, int64_t now_ms);

/*
 * Reloads every window's totals from the per-minute counts (full range
 * sums) and evaluates again at the last evaluated minute.
 */
int slo_engine_recompute(struct slo_engine *engine);

/*
 * Sums every SLO's hourly counts again from its minutes, derives its
 * per-minute counts again from the facts over its whole retained range,
 * as at the first start, and then recomputes. Unlike a tick, it counts
 * all history at once, which can take seconds: not for the event loop.
 */
int slo_engine_rebuild(struct slo_engine *engine, int64_t now_ms);

/* Number of SLOs, and the latest evaluation of SLO i (NULL before one). */
size_t slo_engine_count(const struct slo_engine *engine);
const struct slo_status *slo_engine_status(const struct slo_engine *engine,
					   size_t i);

/* Returns "ok", "no_data", "ticket", "page" or "data_error". */
const char *slo_state_name(enum slo_state state);

/* Parses a name of slo_state_name(); WK_ERR_INVALID when unknown. */
int slo_state_parse(const char *name, enum slo_state *state);

/*
 * Reads the latest stored evaluation of SLO name into *out (rules are not
 * stored: n_rules is 0). WK_ERR_NOTFOUND when there is none. Works on a
 * store opened STORE_READ_ONLY.
 */
int slo_read_latest(struct store *st, const char *name,
		    struct slo_status *out);

/* One stored evaluation, as a point of a time series. */
struct slo_point {
	int64_t minute;                   /* minutes since the epoch, UTC */
	enum slo_state state;             /* alert state */
	int64_t good;                     /* good events in the window */
	int64_t total;                    /* events in the window */
	struct slo_num sli;               /* good / total */
	struct slo_num budget_remaining;  /* fraction of the budget left */
	struct slo_num burn[SLO_BURN_WINDOWS];  /* as in struct slo_status */
};

/*
 * Reads the stored evaluations of SLO name with minute in [from, to] and
 * (minute - from) divisible by step (1: every minute), oldest first, into
 * out[0..max-1]; *n gets their number. Minutes the agent did not evaluate
 * are absent, and so are all but the hourly ones older than
 * SLO_SERIES_FULL_MINUTES: ask for a step of 60 and a from divisible by
 * 60 over longer ranges. Works on a store opened STORE_READ_ONLY.
 */
int slo_read_series(struct store *st, const char *name, int64_t from,
		    int64_t to, int64_t step, struct slo_point *out,
		    size_t max, size_t *n);

#endif
