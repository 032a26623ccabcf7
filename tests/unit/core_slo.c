/*
 * The SLO engine (core/slo_*.c): evaluation of synthetic per-minute
 * series with hand-computed SLI, budget and burn rates, the alert table
 * and its scaling, calendar months across DST changes, timeslices, the
 * listener, and the stored time series.
 *
 * Synthetic series are written straight into sli_minutes and evaluated
 * with slo_engine_evaluate(), which counts no facts. The accounting of
 * facts is tested in core_slo_account.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/slo.h"
#include "core/slo_impl.h"
#include "core/store.h"
#include "store_tmp.h"

/* One store, configuration and engine per test. */
struct fixture {
	char path[256];          /* store file */
	struct store *st;        /* opened read-write */
	struct cfg *cfg;         /* loaded from the test's text */
	struct slo_engine *e;    /* on st and cfg */
};

static int64_t
minute_of(int year, int month, int day, int hour, int minute)
{
	return clk_days_from_civil(year, month, day) * 1440 + hour * 60 +
	    minute;
}

/* Opens a new store and an engine for the SLOs of slos_json. */
static void
fixture_open(struct fixture *f, const char *slos_json)
{
	static int serial;
	struct wk_err err = { 0, "" };
	char text[8192];

	snprintf(f->path, sizeof f->path, "%s/store-%d.db", store_dir,
	    ++serial);
	assert_int_equal(store_open(f->path, STORE_READ_WRITE, &f->st, &err),
	    WK_OK);
	snprintf(text, sizeof text,
	    "{\"pipelines\": [{\"name\": \"churn\", \"stages\": "
	    "[{\"name\": \"train\", \"command\": \"true\"}]}], "
	    "\"slos\": [%s]}", slos_json);
	f->cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	if (f->cfg == NULL)
		fail_msg("configuration: %s", err.msg);
	f->e = slo_engine_new(f->st, f->cfg, &err);
	if (f->e == NULL)
		fail_msg("engine: %s", err.msg);
}

static void
fixture_close(struct fixture *f)
{
	slo_engine_free(f->e);
	store_close(f->st);
	cfg_free(f->cfg);
}

/* Writes one minute of a synthetic series. */
static void
put(struct fixture *f, const char *slo, int64_t minute, int64_t good,
    int64_t total)
{
	char sql[256];

	snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO sli_minutes "
	    "(slo, minute, good, total) VALUES ('%s', %lld, %lld, %lld)", slo,
	    (long long)minute, (long long)good, (long long)total);
	assert_int_equal(sqlite3_exec(store_sqlite(f->st), sql, NULL, NULL,
	    NULL), SQLITE_OK);
}

/* Evaluates at minute t and returns the status of SLO i. */
static const struct slo_status *
eval_at(struct fixture *f, size_t i, int64_t t)
{
	const struct slo_status *s;

	assert_int_equal(slo_engine_evaluate(f->e, t * SLO_MINUTE_MS), WK_OK);
	s = slo_engine_status(f->e, i);
	assert_non_null(s);
	assert_int_equal(s->minute, t);
	return s;
}

#define assert_near(a, b) assert_near_at((a), (b), #a, __LINE__)

static void
assert_near_at(double a, double b, const char *what, int line)
{
	if (!(fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1)))
		fail_msg("line %d: %s is %.12g, expected %.12g", line, what, a,
		    b);
}

#define assert_num(num, v) do { \
	assert_true((num).known); \
	assert_near((num).value, (v)); \
} while (0)

#define assert_unknown(num) do { \
	assert_false((num).known); \
	assert_true((num).value == 0.0); \
} while (0)

/* Burn windows by name, indexes into status.burn. */
enum { B5M, B30M, B1H, B2H, B6H, B1D, B3D };

static void
zero_traffic_is_no_data(void **state)
{
	struct fixture f;
	const struct slo_status *s;
	int i;

	(void)state;
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.99, "
	    "\"window\": \"30d\"}");
	s = eval_at(&f, 0, minute_of(2026, 1, 15, 0, 0));

	assert_int_equal(s->state, SLO_STATE_NO_DATA);
	assert_int_equal(s->good, 0);
	assert_int_equal(s->total, 0);
	assert_unknown(s->sli);
	assert_unknown(s->budget_total);
	assert_unknown(s->budget_consumed);
	assert_unknown(s->budget_remaining);
	assert_false(s->budget_exhausted);
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		assert_unknown(s->burn[i]);
	assert_string_equal(s->detail, "no events in the window");
	assert_int_equal(s->n_rules, 3);
	assert_false(s->rules[0].firing);
	fixture_close(&f);
}

/*
 * Two days of history in a 30-day window: one event an hour at minutes
 * T - 60i (i = 0..47); the events at T and T - 1800 are bad.
 */
static void
window_longer_than_history(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	struct fixture f;
	const struct slo_status *s;
	int i;

	(void)state;
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	for (i = 0; i < 48; i++)
		put(&f, "s", t - 60 * i, i == 0 || i == 30 ? 0 : 1, 1);
	s = eval_at(&f, 0, t);

	assert_int_equal(s->state, SLO_STATE_OK);
	assert_int_equal(s->total, 48);
	assert_int_equal(s->good, 46);
	assert_num(s->sli, 46.0 / 48.0);
	assert_num(s->budget_total, 4.8);
	assert_num(s->budget_consumed, 2.0);
	assert_num(s->budget_remaining, 1.0 - 2.0 / 4.8);
	assert_int_equal(s->window_start, t - 43200 + 1);
	/* One bad event of one in 5m, 30m and 1h: (1/1) / 0.1. */
	assert_num(s->burn[B5M], 10.0);
	assert_num(s->burn[B30M], 10.0);
	assert_num(s->burn[B1H], 10.0);
	/* T and T - 60 in 2h; six events in 6h; 24 in 1d; 48 in 3d. */
	assert_num(s->burn[B2H], 5.0);
	assert_num(s->burn[B6H], (1.0 / 6.0) / 0.1);
	assert_num(s->burn[B1D], (1.0 / 24.0) / 0.1);
	assert_num(s->burn[B3D], (2.0 / 48.0) / 0.1);
	assert_false(s->budget_exhausted);
	fixture_close(&f);
}

static void
good_above_total_is_data_error(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	struct fixture f;
	const struct slo_status *s;
	int i;

	(void)state;
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	put(&f, "s", t - 100, 3, 3);
	put(&f, "s", t - 10, 5, 3);
	s = eval_at(&f, 0, t);

	assert_int_equal(s->state, SLO_STATE_DATA_ERROR);
	assert_int_equal(s->good, 8);
	assert_int_equal(s->total, 6);
	assert_unknown(s->sli);
	assert_unknown(s->budget_remaining);
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		assert_unknown(s->burn[i]);
	assert_non_null(strstr(s->detail, "2026-01-15T11:50:00"));
	assert_non_null(strstr(s->detail, "5 good of 3 events"));

	/* A negative total is as impossible; it leaves the 1h window later. */
	put(&f, "s", t - 10, 0, 0);
	put(&f, "s", t - 61, 0, -1);
	assert_int_equal(slo_engine_recompute(f.e), WK_OK);
	s = eval_at(&f, 0, t + 1);
	assert_int_equal(s->state, SLO_STATE_DATA_ERROR);
	assert_non_null(strstr(s->detail, "0 good of -1 events"));
	fixture_close(&f);
}

/*
 * One run a day at 02:00 UTC for 31 days, objective 0.9 over 30 days: the
 * window contains 30 runs and a budget of 3 failures. Today's run fails.
 */
static void
one_event_a_day(void **state)
{
	int64_t t = minute_of(2026, 1, 31, 2, 0);
	struct fixture f;
	const struct slo_status *s;
	int day;

	(void)state;
	fixture_open(&f, "{\"name\": \"daily\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	for (day = 1; day <= 31; day++)
		put(&f, "daily", minute_of(2026, 1, day, 2, 0),
		    day == 31 ? 0 : 1, 1);

	s = eval_at(&f, 0, t - 1);
	assert_int_equal(s->state, SLO_STATE_OK);
	assert_int_equal(s->total, 30);
	assert_num(s->sli, 1.0);
	assert_num(s->budget_remaining, 1.0);
	assert_unknown(s->burn[B5M]);
	assert_unknown(s->burn[B6H]);
	assert_num(s->burn[B1D], 0.0);
	assert_num(s->burn[B3D], 0.0);

	/* The failure: 1 of 30, a third of the budget. */
	s = eval_at(&f, 0, t);
	assert_int_equal(s->total, 30);
	assert_int_equal(s->good, 29);
	assert_num(s->sli, 29.0 / 30.0);
	assert_num(s->budget_total, 3.0);
	assert_num(s->budget_consumed, 1.0);
	assert_num(s->budget_remaining, 2.0 / 3.0);
	assert_num(s->burn[B5M], 10.0);
	assert_num(s->burn[B1H], 10.0);
	assert_num(s->burn[B6H], 10.0);
	assert_num(s->burn[B1D], 10.0);
	assert_num(s->burn[B3D], (1.0 / 3.0) / 0.1);
	/* 1h and 5m burn 10, below 14.4; 6h and 30m burn 10, above 6. */
	assert_false(s->rules[0].firing);
	assert_true(s->rules[1].firing);
	assert_int_equal(s->state, SLO_STATE_PAGE);

	/* The page lasts while the 30m window contains the failure. */
	assert_int_equal(eval_at(&f, 0, t + 29)->state, SLO_STATE_PAGE);
	s = eval_at(&f, 0, t + 30);
	assert_unknown(s->burn[B30M]);
	assert_int_equal(s->state, SLO_STATE_TICKET);
	assert_int_equal(eval_at(&f, 0, t + 359)->state, SLO_STATE_TICKET);
	s = eval_at(&f, 0, t + 360);
	assert_int_equal(s->state, SLO_STATE_OK);
	assert_num(s->burn[B3D], (1.0 / 3.0) / 0.1);
	assert_num(s->budget_remaining, 2.0 / 3.0);
	fixture_close(&f);
}

/* A budget spent to the last event is exhausted; the listener hears it. */
struct heard {
	int calls;                 /* listener calls */
	int changed[8];            /* their SLO_CHANGED_* bits */
	enum slo_state from[8];    /* their previous states */
	enum slo_state to[8];      /* their new states */
	int exhausted[8];          /* their budget_exhausted */
};

static void
listen(void *ctx, const struct slo_change *c)
{
	struct heard *h = ctx;

	if (h->calls < 8) {
		h->changed[h->calls] = c->changed;
		h->from[h->calls] = c->from;
		h->to[h->calls] = c->status->state;
		h->exhausted[h->calls] = c->status->budget_exhausted;
	}
	h->calls++;
}

static void
budget_exhausted_and_listener(void **state)
{
	int64_t t = minute_of(2026, 1, 31, 2, 0);
	struct heard h;
	struct fixture f;
	const struct slo_status *s;
	int day;

	(void)state;
	memset(&h, 0, sizeof h);
	fixture_open(&f, "{\"name\": \"daily\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	slo_engine_set_listener(f.e, listen, &h);
	for (day = 2; day <= 31; day++)
		put(&f, "daily", minute_of(2026, 1, day, 2, 0),
		    day == 10 || day == 20 ? 0 : 1, 1);

	s = eval_at(&f, 0, t - 1);
	assert_int_equal(s->state, SLO_STATE_OK);
	assert_int_equal(s->total, 29);
	assert_num(s->budget_remaining, 1.0 - 2.0 / 2.9);
	assert_int_equal(h.calls, 0);

	put(&f, "daily", t, 0, 1);
	s = eval_at(&f, 0, t);
	assert_num(s->budget_remaining, 0.0);
	assert_true(s->budget_exhausted);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.changed[0], SLO_CHANGED_STATE | SLO_CHANGED_BUDGET);
	assert_int_equal(h.from[0], SLO_STATE_OK);
	assert_int_equal(h.to[0], SLO_STATE_PAGE);
	assert_true(h.exhausted[0]);

	/* Same minute again: nothing changes, nothing is heard. */
	eval_at(&f, 0, t);
	assert_int_equal(h.calls, 1);
	eval_at(&f, 0, t + 30);
	assert_int_equal(h.calls, 2);
	assert_int_equal(h.changed[1], SLO_CHANGED_STATE);
	assert_int_equal(h.from[1], SLO_STATE_PAGE);
	assert_int_equal(h.to[1], SLO_STATE_TICKET);
	fixture_close(&f);
}

/*
 * A calendar month in Europe/Berlin, where 2026-03-29 has 23 hours and
 * 2026-10-25 has 25: the window starts at local midnight of the 1st.
 */
static void
calendar_month_across_dst(void **state)
{
	struct fixture f;
	const struct slo_status *s;
	int64_t mar_start = minute_of(2026, 2, 28, 23, 0);  /* 00:00 CET */
	int64_t apr_start = minute_of(2026, 3, 31, 22, 0);  /* 00:00 CEST */

	(void)state;
	fixture_open(&f, "{\"name\": \"m\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.5, "
	    "\"window\": \"month\", \"time_zone\": \"Europe/Berlin\"}");
	put(&f, "m", mar_start - 1, 0, 1);            /* Feb 28, 23:59 CET */
	put(&f, "m", mar_start, 1, 1);                /* Mar 1, 00:00 CET */
	put(&f, "m", minute_of(2026, 3, 29, 1, 30), 0, 1);  /* 03:30 CEST */
	put(&f, "m", apr_start - 1, 1, 1);            /* Mar 31, 23:59 CEST */
	put(&f, "m", apr_start, 1, 1);                /* Apr 1, 00:00 CEST */

	s = eval_at(&f, 0, minute_of(2026, 3, 15, 12, 0));
	assert_int_equal(s->window_start, mar_start);
	assert_int_equal(s->total, 1);
	s = eval_at(&f, 0, apr_start - 1);
	assert_int_equal(s->window_start, mar_start);
	assert_int_equal(s->total, 3);
	assert_int_equal(s->good, 2);
	assert_num(s->sli, 2.0 / 3.0);
	assert_num(s->budget_total, 1.5);
	assert_num(s->budget_remaining, 1.0 - 1.0 / 1.5);
	s = eval_at(&f, 0, apr_start);
	assert_int_equal(s->window_start, apr_start);
	assert_int_equal(s->total, 1);
	assert_int_equal(s->good, 1);

	/* After the fall-back change, November starts at 23:00 UTC. */
	s = eval_at(&f, 0, minute_of(2026, 10, 31, 22, 59));
	assert_int_equal(s->window_start, minute_of(2026, 9, 30, 22, 0));
	s = eval_at(&f, 0, minute_of(2026, 10, 31, 23, 0));
	assert_int_equal(s->window_start, minute_of(2026, 10, 31, 23, 0));
	assert_int_equal(s->state, SLO_STATE_NO_DATA);
	fixture_close(&f);
}

/*
 * Timeslices of 5 minutes with a target of 0.9, objective 0.75. At T (a
 * multiple of 5), slice j-1 is judged; j is still open.
 */
static void
timeslices_count_complete_slices(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	struct fixture f;
	const struct slo_status *s;

	(void)state;
	assert_int_equal(t % 5, 0);
	fixture_open(&f, "{\"name\": \"ts\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.75, "
	    "\"window\": \"1d\", \"budgeting_method\": \"timeslices\", "
	    "\"timeslice_window\": \"5m\", \"timeslice_target\": 0.9}");
	put(&f, "ts", t - 5, 10, 10);   /* slice j-1: good */
	put(&f, "ts", t - 1, 10, 10);
	put(&f, "ts", t - 8, 8, 10);    /* slice j-2: 0.8, bad */
	put(&f, "ts", t - 14, 9, 10);   /* slice j-3: 0.9, good */
	put(&f, "ts", t, 0, 1);         /* slice j: open */
	s = eval_at(&f, 0, t);

	assert_int_equal(s->total, 3);
	assert_int_equal(s->good, 2);
	assert_num(s->sli, 2.0 / 3.0);
	assert_num(s->budget_total, 0.75);
	assert_num(s->budget_consumed, 1.0);
	assert_num(s->budget_remaining, 1.0 - 1.0 / 0.75);
	assert_true(s->budget_exhausted);
	assert_num(s->burn[B5M], 0.0);
	assert_num(s->burn[B30M], (1.0 / 3.0) / 0.25);

	/* Slice j is judged at T + 5; a late good minute repairs it. */
	s = eval_at(&f, 0, t + 5);
	assert_int_equal(s->total, 4);
	assert_int_equal(s->good, 2);
	put(&f, "ts", t + 1, 9, 9);
	assert_int_equal(slo_engine_recompute(f.e), WK_OK);
	s = slo_engine_status(f.e, 0);
	assert_int_equal(s->total, 4);
	assert_int_equal(s->good, 3);
	fixture_close(&f);
}

static void
low_traffic_guard(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	struct fixture f;
	const struct slo_status *s;

	(void)state;
	fixture_open(&f, "{\"name\": \"g\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.99, "
	    "\"window\": \"30d\", \"min_events\": 3}");
	put(&f, "g", t - 1, 0, 1);
	put(&f, "g", t, 0, 1);
	s = eval_at(&f, 0, t);
	assert_int_equal(s->state, SLO_STATE_NO_DATA);
	assert_int_equal(s->total, 2);
	assert_unknown(s->sli);
	assert_unknown(s->burn[B1H]);
	assert_string_equal(s->detail,
	    "2 events in the window, fewer than min_events 3");

	/* A minute written behind the windows' back needs a recompute. */
	put(&f, "g", t - 2, 0, 1);
	assert_int_equal(slo_engine_recompute(f.e), WK_OK);
	s = eval_at(&f, 0, t + 1);
	assert_int_equal(s->total, 3);
	assert_num(s->sli, 0.0);
	assert_num(s->burn[B5M], 100.0);
	assert_num(s->burn[B1H], 100.0);
	assert_int_equal(s->state, SLO_STATE_PAGE);
	fixture_close(&f);
}

static void
workbook_table_scaled(void **state)
{
	struct slo_rule_eval rules[SLO_RULES_MAX];
	struct fixture f;
	size_t n;

	(void)state;
	assert_int_equal(slo_scale_minutes(60, 43200), 60);
	assert_int_equal(slo_scale_minutes(60, 28 * 1440), 56);
	assert_int_equal(slo_scale_minutes(5, 28 * 1440), 5);
	assert_int_equal(slo_scale_minutes(5, 7 * 1440), 1);
	assert_int_equal(slo_scale_minutes(5, 60), 1);
	assert_int_equal(slo_scale_minutes(4320, 7 * 1440), 1008);

	fixture_open(&f, "{\"name\": \"w\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.99, "
	    "\"window\": \"7d\"}, {\"name\": \"o\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.99, "
	    "\"window\": \"30d\", \"alerting\": {\"ticket\": []}}");
	n = slo_rules_resolve(&f.cfg->slos->items[0], rules);
	assert_int_equal(n, 3);
	assert_true(rules[0].page);
	assert_int_equal(rules[0].long_minutes, 14);
	assert_int_equal(rules[0].short_minutes, 1);
	assert_near(rules[0].threshold, 14.4);
	assert_int_equal(rules[1].long_minutes, 84);
	assert_int_equal(rules[1].short_minutes, 7);
	assert_near(rules[1].threshold, 6.0);
	assert_false(rules[2].page);
	assert_int_equal(rules[2].long_minutes, 1008);
	assert_int_equal(rules[2].short_minutes, 84);
	assert_near(rules[2].threshold, 1.0);
	assert_int_equal(slo_keep_minutes(&f.cfg->slos->items[0], rules, n),
	    7 * 1440 + 60);

	n = slo_rules_resolve(&f.cfg->slos->items[1], rules);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].long_minutes, 60);
	assert_int_equal(rules[1].short_minutes, 30);
	fixture_close(&f);
}

/* The stored series, read back as the TUI and the web page read it. */
static void
stored_series_reads_back(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0), m;
	struct slo_point points[16];
	struct slo_status last;
	struct fixture f;
	size_t n = 0;

	(void)state;
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	assert_int_equal(slo_read_latest(f.st, "s", &last), WK_ERR_NOTFOUND);
	put(&f, "s", t, 1, 2);
	for (m = t; m < t + 10; m++)
		eval_at(&f, 0, m);

	assert_int_equal(slo_read_series(f.st, "s", t, t + 9, 3, points, 16,
	    &n), WK_OK);
	assert_int_equal(n, 4);
	assert_int_equal(points[0].minute, t);
	assert_int_equal(points[3].minute, t + 9);
	/* 3d and 6h burn 5, above the ticket's 1, below the pages' 6. */
	assert_int_equal(points[0].state, SLO_STATE_TICKET);
	assert_num(points[0].sli, 0.5);
	assert_num(points[0].burn[B5M], 5.0);
	assert_unknown(points[3].burn[B5M]);
	assert_num(points[3].budget_remaining, 1.0 - 1.0 / 0.2);

	assert_int_equal(slo_read_latest(f.st, "s", &last), WK_OK);
	assert_int_equal(last.minute, t + 9);
	assert_int_equal(last.total, 2);
	assert_true(last.budget_exhausted);
	assert_num(last.budget_total, 0.2);
	assert_unknown(last.burn[B5M]);
	assert_num(last.burn[B30M], 5.0);
	assert_num(last.burn[B1H], 5.0);
	fixture_close(&f);
}

/* A restarted engine takes the stored state as the one before. */
static void
restart_keeps_previous_state(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	struct wk_err err = { 0, "" };
	struct heard h;
	struct fixture f;

	(void)state;
	memset(&h, 0, sizeof h);
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	put(&f, "s", t, 0, 1);
	assert_int_equal(eval_at(&f, 0, t)->state, SLO_STATE_PAGE);

	slo_engine_free(f.e);
	f.e = slo_engine_new(f.st, f.cfg, &err);
	assert_non_null(f.e);
	slo_engine_set_listener(f.e, listen, &h);
	assert_int_equal(eval_at(&f, 0, t + 1)->state, SLO_STATE_PAGE);
	assert_int_equal(h.calls, 0);
	fixture_close(&f);
}

/* A clock that steps back holds the engine at its last minute. */
static void
clock_stepping_back_holds(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	struct fixture f;

	(void)state;
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	eval_at(&f, 0, t);
	assert_int_equal(slo_engine_evaluate(f.e, (t - 90) * SLO_MINUTE_MS),
	    WK_OK);
	assert_int_equal(slo_engine_status(f.e, 0)->minute, t);
	fixture_close(&f);
}

/* Every way of writing sli_minutes keeps sli_hours equal to its sums. */
static void
hours_follow_minutes(void **state)
{
	int64_t t = minute_of(2026, 1, 15, 12, 0);
	sqlite3_stmt *stmt;
	struct fixture f;
	int i, rows = 0;

	(void)state;
	fixture_open(&f, "{\"name\": \"s\", \"sli\": {\"kind\": "
	    "\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, "
	    "\"window\": \"30d\"}");
	for (i = 0; i < 300; i++)
		put(&f, "s", t + i, i % 3, 2);
	put(&f, "s", t + 5, 7, 1);
	assert_int_equal(sqlite3_exec(store_sqlite(f.st),
	    "UPDATE sli_minutes SET good = 0 WHERE minute % 7 = 0;"
	    "DELETE FROM sli_minutes WHERE minute % 11 = 0;"
	    "INSERT INTO sli_minutes VALUES ('s', 1, 1, 1) ON CONFLICT "
	    "(slo, minute) DO UPDATE SET total = 9;"
	    "INSERT INTO sli_minutes VALUES ('s', 1, 1, 1) ON CONFLICT "
	    "(slo, minute) DO UPDATE SET total = 9;", NULL, NULL, NULL),
	    SQLITE_OK);

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(f.st),
	    "SELECT m.h, m.g, m.t, m.i, h.good, h.total, h.invalid FROM "
	    "(SELECT minute / 60 AS h, sum(good) AS g, sum(total) AS t, "
	    "sum(good > total OR good < 0 OR total < 0) AS i FROM sli_minutes "
	    "GROUP BY 1) m LEFT JOIN sli_hours h ON h.slo = 's' AND "
	    "h.hour = m.h", -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		rows++;
		for (i = 0; i < 3; i++)
			if (sqlite3_column_int64(stmt, 1 + i) !=
			    sqlite3_column_int64(stmt, 4 + i))
				fail_msg("hour %lld: column %d is %lld in the "
				    "minutes, %lld in sli_hours",
				    (long long)sqlite3_column_int64(stmt, 0), i,
				    (long long)sqlite3_column_int64(stmt, 1 + i),
				    (long long)sqlite3_column_int64(stmt, 4 + i));
	}
	sqlite3_finalize(stmt);
	assert_int_equal(rows, 6);
	fixture_close(&f);
}

static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("slo-test", log_min_level);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_traffic_is_no_data),
		cmocka_unit_test(window_longer_than_history),
		cmocka_unit_test(good_above_total_is_data_error),
		cmocka_unit_test(one_event_a_day),
		cmocka_unit_test(budget_exhausted_and_listener),
		cmocka_unit_test(calendar_month_across_dst),
		cmocka_unit_test(timeslices_count_complete_slices),
		cmocka_unit_test(low_traffic_guard),
		cmocka_unit_test(workbook_table_scaled),
		cmocka_unit_test(stored_series_reads_back),
		cmocka_unit_test(restart_keeps_previous_state),
		cmocka_unit_test(clock_stepping_back_holds),
		cmocka_unit_test(hours_follow_minutes),
	};

	setenv("LANGUAGE", "", 1);
	setenv("LC_ALL", "C", 1);
	log_min_level = LL_WARN;
	return cmocka_run_group_tests(tests, setup, teardown);
}
