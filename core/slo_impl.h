/*
 * Declarations shared by the files of the SLO engine (core/slo_*.c) and
 * their unit tests; nothing else includes this header.
 */
#ifndef WK_SLO_IMPL_H
#define WK_SLO_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/cron.h"
#include "core/slo.h"
#include "core/store_slo.h"
#include "core/tz.h"

/* The SLO length the alert table of the SRE Workbook is written for. */
#define SLO_WORKBOOK_MINUTES (30 * 1440)
/* Retained minutes of a calendar month window: the longest month, + 1d. */
#define SLO_MONTH_KEEP_MINUTES (32 * 1440)

/* Counts of the windows that one evaluation reads. */
struct slo_eval_input {
	struct slo_counts window;                  /* the SLO's window */
	struct slo_counts burn[SLO_BURN_WINDOWS];  /* slo_burn_minutes */
	struct slo_counts rule_long[SLO_RULES_MAX];   /* rules[i] long */
	struct slo_counts rule_short[SLO_RULES_MAX];  /* rules[i] short */
};

/*
 * Returns the window of w minutes of the Workbook's 30-day table scaled
 * to an SLO of window_minutes: round(w * window / 30d), at least 1.
 */
int64_t slo_scale_minutes(int64_t w, int64_t window_minutes);

/*
 * Fills rules[0..SLO_RULES_MAX-1] with the alert rules of slo, page
 * rules first: the ones of its "alerting" object, and for a severity it
 * does not set, the Workbook table scaled to its window (a calendar
 * month counts as 30 days). Returns their number.
 */
size_t slo_rules_resolve(const struct cfg_slo *slo,
			 struct slo_rule_eval *rules);

/*
 * Returns the minutes of per-minute counts and evaluations that slo keeps:
 * its window (32 days for a month) or its longest rule or burn window,
 * whichever is longer, plus a timeslice and an hour.
 */
int64_t slo_keep_minutes(const struct cfg_slo *slo,
			 const struct slo_rule_eval *rules, size_t n_rules);

/*
 * Returns the burn rate of counts: bad fraction / (1 - objective), known
 * only when no stored minute is invalid and total >= min_events.
 */
struct slo_num slo_burn_rate(const struct slo_counts *c, double objective,
			     int64_t min_events);

/*
 * Adds the event of one timeslice with the given sums to *out: a slice
 * with an invalid minute adds to invalid, an empty one adds nothing, and
 * any other one adds one event, good when good / total >= target.
 */
void slo_slice_judge(int64_t good, int64_t total, int64_t invalid,
		     double target, struct slo_counts *out);

/*
 * Fills the figures and the state of s from the window counts in. The
 * rules (n_rules of them, from slo_rules_resolve) are copied into s with
 * their burn rates. The caller sets s->name and s->minute, and for a data
 * error, s->detail.
 */
void slo_status_fill(const struct cfg_slo *slo, const struct slo_eval_input *in,
		     const struct slo_rule_eval *rules, size_t n_rules,
		     struct slo_status *s);

/* Windows of one SLO: its own, the burn windows and the rule windows. */
#define SLO_WINDOWS_MAX (1 + SLO_BURN_WINDOWS + 2 * SLO_RULES_MAX)
/* Minutes the accounting compares at a time. */
#define SLO_SYNC_CHUNK 1440
/* Budget a chunk costs besides its writes: the cost of its two queries. */
#define SLO_SYNC_CHUNK_COST 16

/*
 * A window's running totals. Keys are minutes for occurrences and the
 * first minute after a slice (the minute it is judged) for timeslices.
 */
struct slo_window {
	int64_t minutes;        /* rolling length; 0 for the calendar month */
	int64_t start;          /* first key in the window */
	int64_t end;            /* last key in the window */
	struct slo_counts sum;  /* totals over [start, end] */
};

/* The state the engine keeps for one SLO. */
struct slo_item {
	const struct cfg_slo *cfg;        /* the SLO, in the engine's cfg */
	struct tz *month_zone;            /* calendar window zone, or NULL */
	struct tz *deadline_zone;         /* deadline SLI zone, or NULL */
	struct tz *schedule_zone;         /* zone of the pipeline's schedule */
	struct cron schedule;             /* the pipeline's schedule */
	int has_schedule;                 /* 1 when schedule applies */
	struct slo_window windows[SLO_WINDOWS_MAX];  /* [0] is the SLO's */
	size_t n_windows;                 /* entries in windows */
	size_t burn_window[SLO_BURN_WINDOWS];  /* index in windows */
	struct slo_rule_eval rules[SLO_RULES_MAX];  /* resolved rules */
	size_t n_rules;                   /* entries in rules */
	size_t rule_long[SLO_RULES_MAX];  /* index in windows */
	size_t rule_short[SLO_RULES_MAX]; /* index in windows */
	int64_t keep_minutes;             /* minutes of counts kept */
	int64_t margin_ms;                /* facts this late are counted */
	char sli_def[STORE_SLO_SLI_MAX];  /* the SLI definition text */
	struct store_slo_cursor cursor;   /* accounting progress */
	int ready;                        /* cursor checked against sli_def */
	int loaded;                       /* windows contain their totals */
	int backlog;                      /* history is still to be counted */
	int file_known;                   /* file_mtime is the last check */
	int64_t file_mtime;               /* last mtime seen, -1: missing */
	struct slo_status status;         /* latest evaluation */
	int has_status;                   /* status is set */
	/* state and budget_exhausted last passed to the listener, or stored */
	enum slo_state prev_state;
	int prev_exhausted;               /* see prev_state */
	int changed;                      /* SLO_CHANGED_* of the latest tick */
};

/* Work arrays of the accounting, owned by the engine. */
struct slo_scratch {
	struct slo_counts facts[SLO_SYNC_CHUNK];   /* counts from the facts */
	struct slo_counts stored[SLO_SYNC_CHUNK];  /* counts in the store */
	int64_t check_minute[SLO_SYNC_CHUNK + 1];  /* freshness checks */
	int64_t check_mtime[SLO_SYNC_CHUNK + 1];   /* their mtimes, -1 none */
	size_t n_checks;                           /* entries in the checks */
};

/* Applies the change of one stored minute to the windows; WK_OK or error. */
typedef int (*slo_delta_fn)(void *ctx, int64_t minute,
			    const struct slo_counts *delta);

/*
 * Derives the counts of minutes [from, to] of it from the facts, writes
 * the minutes that differ from the store and calls fn with each change.
 * It works one chunk at a time, oldest first. With a budget, it stops
 * once *budget is 0 or less, and each chunk takes SLO_SYNC_CHUNK_COST
 * from it plus one for every minute written. *done gets the last minute
 * derived (from - 1 when none).
 */
int slo_account_sync(struct store_slo *ss, struct slo_item *it,
		     struct slo_scratch *scratch, int64_t from, int64_t to,
		     slo_delta_fn fn, void *ctx, int64_t *budget,
		     int64_t *done);

/*
 * Checks the file of a freshness SLO at minute t and records a change of
 * its mtime; it->cursor.checked_minute becomes t.
 */
int slo_account_observe(struct store_slo *ss, struct slo_item *it,
			int64_t t);

/* Writes the SLI definition text of slo (its kind and parameters). */
void slo_account_define(const struct cfg_slo *slo, int64_t keep_minutes,
			char *out, size_t size);

/*
 * Returns 1 when the definitions a and b observe the same freshness file,
 * so that its recorded checks stay valid.
 */
int slo_account_same_file(const char *a, const char *b);

#endif
