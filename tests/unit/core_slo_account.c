/*
 * SLI accounting (core/slo_account.c and the tick of core/slo_engine.c).
 * The tests cover the per-minute counts each SLI kind derives from runs,
 * stage runs, probe results, deadlines and a file's age, late facts and a
 * changed SLI. They also check that restarts and a rebuild from history
 * give the counts and the window totals of the incremental ticks.
 *
 * Facts are written with SQL, so that every timestamp is the test's own.
 */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/slo.h"
#include "core/store.h"
#include "store_tmp.h"

#define MINUTE SLO_MINUTE_MS

struct fixture {
	char path[256];          /* store file */
	struct store *st;        /* opened read-write */
	struct cfg *cfg;         /* the test's configuration */
	struct slo_engine *e;    /* on st and cfg */
};

static int64_t
minute_of(int year, int month, int day, int hour, int minute)
{
	return clk_days_from_civil(year, month, day) * 1440 + hour * 60 +
	    minute;
}

static struct cfg *
config(const char *pipeline_extra, const char *slos)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg;
	char text[8192];

	snprintf(text, sizeof text,
	    "{\"pipelines\": [{\"name\": \"churn\"%s, \"stages\": ["
	    "{\"name\": \"train\", \"command\": \"true\"}]}, "
	    "{\"name\": \"other\", \"stages\": [{\"name\": \"train\", "
	    "\"command\": \"true\"}]}], \"probes\": [{\"name\": \"api\", "
	    "\"type\": \"tcp\", \"address\": \"127.0.0.1:9\"}], "
	    "\"slos\": [%s]}", pipeline_extra, slos);
	cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	if (cfg == NULL)
		fail_msg("configuration: %s", err.msg);
	return cfg;
}

static void
fixture_open(struct fixture *f, const char *pipeline_extra,
	     const char *slos)
{
	static int serial;
	struct wk_err err = { 0, "" };

	snprintf(f->path, sizeof f->path, "%s/store-%d.db", store_dir,
	    ++serial);
	assert_int_equal(store_open(f->path, STORE_READ_WRITE, &f->st, &err),
	    WK_OK);
	f->cfg = config(pipeline_extra, slos);
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

static void sql(struct fixture *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sql(struct fixture *f, const char *fmt, ...)
{
	char text[1024];
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (sqlite3_exec(store_sqlite(f->st), text, NULL, NULL, &msg) !=
	    SQLITE_OK)
		fail_msg("%s: %s", text, msg);
}

/* Inserts a run; ended_ms 0 leaves it running. Returns its id. */
static int64_t
run(struct fixture *f, const char *pipeline, const char *date,
    const char *state, int64_t started_ms, int64_t ended_ms)
{
	if (ended_ms > 0)
		sql(f, "INSERT INTO runs (pipeline, logical_date, trigger, "
		    "state, started_at, ended_at, duration_ms) VALUES ('%s', "
		    "'%s', 'schedule', '%s', %lld, %lld, %lld)", pipeline, date,
		    state, (long long)started_ms, (long long)ended_ms,
		    (long long)(ended_ms - started_ms));
	else
		sql(f, "INSERT INTO runs (pipeline, logical_date, trigger, "
		    "state, started_at) VALUES ('%s', '%s', 'schedule', '%s', "
		    "%lld)", pipeline, date, state, (long long)started_ms);
	return sqlite3_last_insert_rowid(store_sqlite(f->st));
}

/* Ticks once at minute, as the agent's loop does each minute. */
static void
tick_once(struct fixture *f, int64_t minute)
{
	assert_int_equal(slo_engine_tick(f->e, minute * MINUTE + 7000), WK_OK);
}

/* Ticks at minute until no SLO has history left to count. */
static void
tick(struct fixture *f, int64_t minute)
{
	int n = 0;

	do {
		tick_once(f, minute);
	} while (slo_engine_backlog(f->e) > 0 && ++n < 100);
	assert_int_equal(slo_engine_backlog(f->e), 0);
}

/* Returns the stored good and total of one minute (0, 0 when absent). */
static void
stored(struct fixture *f, const char *slo, int64_t minute, int64_t *good,
       int64_t *total)
{
	sqlite3_stmt *stmt;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(f->st),
	    "SELECT good, total FROM sli_minutes WHERE slo = ?1 AND "
	    "minute = ?2", -1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, minute);
	*good = *total = 0;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*good = sqlite3_column_int64(stmt, 0);
		*total = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
}

#define expect_minute(f, slo, m, g, t) \
	expect_minute_at((f), (slo), (m), (g), (t), __LINE__)

static void
expect_minute_at(struct fixture *f, const char *slo, int64_t minute,
		 int64_t good, int64_t total, int line)
{
	int64_t g, t;

	stored(f, slo, minute, &g, &t);
	if (g != good || t != total)
		fail_msg("line %d: minute %lld of %s: %lld of %lld, expected "
		    "%lld of %lld", line, (long long)minute, slo, (long long)g,
		    (long long)t, (long long)good, (long long)total);
}

/* Returns the number of stored minutes of slo. */
static int64_t
rows(struct fixture *f, const char *slo)
{
	sqlite3_stmt *stmt;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(f->st),
	    "SELECT count(*) FROM sli_minutes WHERE slo = ?1", -1, &stmt,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

#define RUNS_SLO "{\"name\": \"runs\", \"sli\": {\"kind\": " \
	"\"run_success\", \"pipeline\": \"churn\"}, \"objective\": 0.9, " \
	"\"window\": \"30d\"}"

static void
runs_counted_at_their_end(void **state)
{
	int64_t t = minute_of(2026, 2, 1, 3, 0);
	struct fixture f;
	const struct slo_status *s;

	(void)state;
	fixture_open(&f, "", RUNS_SLO);
	run(&f, "churn", "2026-01-31", "succeeded", (t - 50) * MINUTE,
	    (t - 20) * MINUTE + 500);
	run(&f, "churn", "2026-01-31", "failed", (t - 19) * MINUTE,
	    (t - 20) * MINUTE + 59000);
	run(&f, "churn", "2026-02-01", "succeeded", (t - 9) * MINUTE,
	    (t - 2) * MINUTE);
	run(&f, "churn", "2026-02-01", "running", (t - 1) * MINUTE, 0);
	run(&f, "other", "2026-02-01", "failed", (t - 9) * MINUTE,
	    (t - 2) * MINUTE);
	tick(&f, t);

	expect_minute(&f, "runs", t - 20, 1, 2);
	expect_minute(&f, "runs", t - 2, 1, 1);
	assert_int_equal(rows(&f, "runs"), 2);
	s = slo_engine_status(f.e, 0);
	assert_int_equal(s->total, 3);
	assert_int_equal(s->good, 2);

	/* Finishing the running run and a late row within the margin. */
	sql(&f, "UPDATE runs SET state = 'failed', ended_at = %lld "
	    "WHERE state = 'running'", (long long)(t + 1) * MINUTE);
	run(&f, "churn", "2026-02-01", "failed", (t - 14) * MINUTE,
	    (t - 12) * MINUTE);
	tick(&f, t + 1);
	expect_minute(&f, "runs", t + 1, 0, 1);
	expect_minute(&f, "runs", t - 12, 0, 1);
	s = slo_engine_status(f.e, 0);
	assert_int_equal(s->total, 5);
	assert_int_equal(s->good, 2);
	/* 5m: the good run at t - 2 and the failed one at t + 1. */
	assert_true(s->burn[0].known);
	assert_true(fabs(s->burn[0].value - 5.0) < 1e-9);
	fixture_close(&f);
}

static void
stage_attempts_by_latency(void **state)
{
	int64_t t = minute_of(2026, 2, 1, 3, 0), id, other;
	struct fixture f;

	(void)state;
	fixture_open(&f, "", "{\"name\": \"train\", \"sli\": {\"kind\": "
	    "\"stage_latency\", \"pipeline\": \"churn\", \"stage\": \"train\", "
	    "\"threshold\": \"20m\"}, \"objective\": 0.9, \"window\": \"7d\"}");
	id = run(&f, "churn", "2026-02-01", "failed", (t - 120) * MINUTE,
	    (t - 1) * MINUTE);
	other = run(&f, "other", "2026-02-01", "failed", (t - 120) * MINUTE,
	    (t - 1) * MINUTE);
	sql(&f, "INSERT INTO stage_runs (run_id, stage, attempt, state, "
	    "started_at, ended_at, duration_ms) VALUES "
	    "(%lld, 'train', 1, 'failed', %lld, %lld, 60000), "
	    "(%lld, 'train', 2, 'timed_out', %lld, %lld, 600000), "
	    "(%lld, 'train', 3, 'succeeded', %lld, %lld, 1200000), "
	    "(%lld, 'train', 4, 'succeeded', %lld, %lld, 1200001), "
	    "(%lld, 'train', 1, 'succeeded', %lld, %lld, 60000)",
	    (long long)id, (long long)(t - 100) * MINUTE,
	    (long long)(t - 99) * MINUTE,
	    (long long)id, (long long)(t - 90) * MINUTE,
	    (long long)(t - 80) * MINUTE,
	    (long long)id, (long long)(t - 70) * MINUTE,
	    (long long)(t - 50) * MINUTE,
	    (long long)id, (long long)(t - 45) * MINUTE,
	    (long long)(t - 25) * MINUTE,
	    (long long)other, (long long)(t - 100) * MINUTE,
	    (long long)(t - 99) * MINUTE);
	sql(&f, "INSERT INTO stage_runs (run_id, stage, attempt, state, "
	    "reason) VALUES (%lld, 'train', 5, 'not_run', 'upstream')",
	    (long long)id);
	tick(&f, t);

	expect_minute(&f, "train", t - 99, 0, 1);   /* failed */
	expect_minute(&f, "train", t - 80, 0, 1);   /* timed out */
	expect_minute(&f, "train", t - 50, 1, 1);   /* 20m exactly */
	expect_minute(&f, "train", t - 25, 0, 1);   /* 20m and 1 ms */
	assert_int_equal(rows(&f, "train"), 4);
	fixture_close(&f);
}

static void
probe_results_by_ok_and_latency(void **state)
{
	int64_t t = minute_of(2026, 2, 1, 3, 0);
	struct fixture f;

	(void)state;
	fixture_open(&f, "", "{\"name\": \"up\", \"sli\": {\"kind\": "
	    "\"probe_availability\", \"probe\": \"api\"}, \"objective\": "
	    "0.99, \"window\": \"30d\"}, {\"name\": \"fast\", \"sli\": "
	    "{\"kind\": \"probe_latency\", \"probe\": \"api\", \"threshold\": "
	    "\"250ms\"}, \"objective\": 0.99, \"window\": \"30d\"}");
	sql(&f, "INSERT INTO probe_results (probe, at, ok, latency_ms, "
	    "detail) VALUES ('api', %lld, 1, 120.5, NULL), "
	    "('api', %lld, 1, 250.0, NULL), ('api', %lld, 1, 250.1, NULL), "
	    "('api', %lld, 0, 3.0, 'refused'), ('api', %lld, 1, NULL, NULL), "
	    "('db', %lld, 0, NULL, 'down')",
	    (long long)(t - 3) * MINUTE, (long long)(t - 3) * MINUTE + 20000,
	    (long long)(t - 3) * MINUTE + 40000, (long long)(t - 2) * MINUTE,
	    (long long)(t - 1) * MINUTE, (long long)(t - 1) * MINUTE);
	tick(&f, t);

	expect_minute(&f, "up", t - 3, 3, 3);
	expect_minute(&f, "up", t - 2, 0, 1);
	expect_minute(&f, "up", t - 1, 1, 1);
	expect_minute(&f, "fast", t - 3, 2, 3);
	expect_minute(&f, "fast", t - 2, 0, 1);
	expect_minute(&f, "fast", t - 1, 0, 1);
	fixture_close(&f);
}

#define DEADLINE_SLO "{\"name\": \"by6\", \"sli\": {\"kind\": " \
	"\"deadline\", \"pipeline\": \"churn\", \"deadline\": \"06:00\", " \
	"\"time_zone\": \"Asia/Tokyo\"}, \"objective\": 0.9, " \
	"\"window\": \"30d\"}"

/*
 * Runs of four local days in Asia/Tokyo (UTC+9), deadline 06:00 (21:00
 * UTC the day before): on time, late, missing, failed then rerun.
 * 2026-01-10 is a Saturday.
 */
static void
deadline_runs(struct fixture *f)
{
	run(f, "churn", "2026-01-10", "succeeded",
	    minute_of(2026, 1, 9, 19, 0) * MINUTE,
	    minute_of(2026, 1, 9, 20, 0) * MINUTE);
	run(f, "churn", "2026-01-11", "succeeded",
	    minute_of(2026, 1, 10, 19, 0) * MINUTE,
	    minute_of(2026, 1, 10, 22, 0) * MINUTE);
	run(f, "churn", "2026-01-13", "failed",
	    minute_of(2026, 1, 12, 19, 0) * MINUTE,
	    minute_of(2026, 1, 12, 20, 0) * MINUTE);
	run(f, "churn", "2026-01-13", "succeeded",
	    minute_of(2026, 1, 12, 20, 1) * MINUTE,
	    minute_of(2026, 1, 12, 20, 30) * MINUTE);
}

static void
deadline_judged_per_local_day(void **state)
{
	struct fixture f;

	(void)state;
	fixture_open(&f, "", DEADLINE_SLO);
	deadline_runs(&f);

	/* Before the deadline of the 13th, the 13th is not judged. */
	tick(&f, minute_of(2026, 1, 12, 20, 59));
	expect_minute(&f, "by6", minute_of(2026, 1, 9, 21, 0), 1, 1);
	expect_minute(&f, "by6", minute_of(2026, 1, 10, 21, 0), 0, 1);
	expect_minute(&f, "by6", minute_of(2026, 1, 11, 21, 0), 0, 1);
	assert_int_equal(rows(&f, "by6"), 3);

	tick(&f, minute_of(2026, 1, 12, 21, 0));
	expect_minute(&f, "by6", minute_of(2026, 1, 12, 21, 0), 1, 1);
	assert_int_equal(rows(&f, "by6"), 4);
	assert_int_equal(slo_engine_status(f.e, 0)->total, 4);
	assert_int_equal(slo_engine_status(f.e, 0)->good, 2);
	fixture_close(&f);
}

static void
deadline_skips_unscheduled_days(void **state)
{
	struct fixture f;

	(void)state;
	fixture_open(&f, ", \"schedule\": \"0 4 * * 1-5\", "
	    "\"time_zone\": \"Asia/Tokyo\"", DEADLINE_SLO);
	deadline_runs(&f);
	tick(&f, minute_of(2026, 1, 12, 21, 30));

	/* Saturday the 10th and Sunday the 11th are not scheduled. */
	expect_minute(&f, "by6", minute_of(2026, 1, 9, 21, 0), 0, 0);
	expect_minute(&f, "by6", minute_of(2026, 1, 10, 21, 0), 0, 0);
	expect_minute(&f, "by6", minute_of(2026, 1, 11, 21, 0), 0, 1);
	expect_minute(&f, "by6", minute_of(2026, 1, 12, 21, 0), 1, 1);
	assert_int_equal(rows(&f, "by6"), 2);
	fixture_close(&f);
}

/* Sets the file's mtime to ms since the epoch, creating the file. */
static void
touch(const char *path, int64_t ms)
{
	struct timespec times[2];
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
	times[0].tv_sec = times[1].tv_sec = ms / 1000;
	times[0].tv_nsec = times[1].tv_nsec = (ms % 1000) * 1000000;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* Snapshot of the stored minutes of one SLO. */
struct snapshot {
	int64_t minute[8192];  /* minutes, in order */
	int64_t good[8192];    /* their good counts */
	int64_t total[8192];   /* their totals */
	size_t n;              /* rows */
};

static void
snapshot(struct fixture *f, const char *slo, int64_t from,
	 struct snapshot *out)
{
	sqlite3_stmt *stmt;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(f->st),
	    "SELECT minute, good, total FROM sli_minutes WHERE slo = ?1 "
	    "AND minute >= ?2 ORDER BY minute", -1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, from);
	out->n = 0;
	while (sqlite3_step(stmt) == SQLITE_ROW && out->n < 8192) {
		out->minute[out->n] = sqlite3_column_int64(stmt, 0);
		out->good[out->n] = sqlite3_column_int64(stmt, 1);
		out->total[out->n] = sqlite3_column_int64(stmt, 2);
		out->n++;
	}
	sqlite3_finalize(stmt);
}

static void
expect_same_snapshot(const struct snapshot *a, const struct snapshot *b,
		     const char *what)
{
	size_t i;

	if (a->n != b->n)
		fail_msg("%s: %zu rows, then %zu", what, a->n, b->n);
	for (i = 0; i < a->n; i++) {
		if (a->minute[i] != b->minute[i] || a->good[i] != b->good[i] ||
		    a->total[i] != b->total[i])
			fail_msg("%s: row %zu: minute %lld %lld/%lld, then "
			    "minute %lld %lld/%lld", what, i,
			    (long long)a->minute[i], (long long)a->good[i],
			    (long long)a->total[i], (long long)b->minute[i],
			    (long long)b->good[i], (long long)b->total[i]);
	}
}

static void
freshness_each_minute(void **state)
{
	int64_t t0 = minute_of(2026, 2, 1, 3, 0), m;
	static struct snapshot before, after;
	char slos[512], path[300];
	struct fixture f;

	(void)state;
	snprintf(path, sizeof path, "%s/audience.csv", store_dir);
	unlink(path);
	snprintf(slos, sizeof slos, "{\"name\": \"fresh\", \"sli\": "
	    "{\"kind\": \"freshness\", \"path\": \"%s\", \"max_age\": \"10m\"}, "
	    "\"objective\": 0.99, \"window\": \"1d\"}", path);
	fixture_open(&f, "", slos);

	touch(path, (t0 - 5) * MINUTE);
	for (m = t0; m <= t0 + 7; m++)
		tick(&f, m);
	touch(path, (t0 + 8) * MINUTE + 10000);
	tick(&f, t0 + 8);
	/* No ticks from t0 + 9 to t0 + 29; the file changes at t0 + 20. */
	touch(path, (t0 + 20) * MINUTE);
	tick(&f, t0 + 30);
	unlink(path);
	tick(&f, t0 + 31);

	for (m = t0; m <= t0 + 5; m++)
		expect_minute(&f, "fresh", m, 1, 1);
	expect_minute(&f, "fresh", t0 + 6, 0, 1);
	expect_minute(&f, "fresh", t0 + 7, 0, 1);
	for (m = t0 + 8; m <= t0 + 18; m++)
		expect_minute(&f, "fresh", m, 1, 1);
	expect_minute(&f, "fresh", t0 + 19, 0, 1);
	for (m = t0 + 20; m <= t0 + 30; m++)
		expect_minute(&f, "fresh", m, 1, 1);
	expect_minute(&f, "fresh", t0 + 31, 0, 1);
	assert_int_equal(rows(&f, "fresh"), 32);
	assert_int_equal(slo_engine_status(f.e, 0)->good, 28);

	snapshot(&f, "fresh", 0, &before);
	assert_int_equal(slo_engine_rebuild(f.e, (t0 + 31) * MINUTE + 9000),
	    WK_OK);
	snapshot(&f, "fresh", 0, &after);
	expect_same_snapshot(&before, &after, "freshness after a rebuild");
	assert_int_equal(slo_engine_status(f.e, 0)->good, 28);
	fixture_close(&f);
}

/* A changed SLI definition counts the facts again. */
static void
changed_sli_counts_again(void **state)
{
	int64_t t = minute_of(2026, 2, 1, 3, 0), id;
	struct wk_err err = { 0, "" };
	struct fixture f;

	(void)state;
	fixture_open(&f, "", "{\"name\": \"lat\", \"sli\": {\"kind\": "
	    "\"stage_latency\", \"pipeline\": \"churn\", \"stage\": \"train\", "
	    "\"threshold\": \"20m\"}, \"objective\": 0.9, \"window\": \"7d\"}");
	id = run(&f, "churn", "2026-02-01", "succeeded", (t - 60) * MINUTE,
	    (t - 10) * MINUTE);
	sql(&f, "INSERT INTO stage_runs (run_id, stage, attempt, state, "
	    "started_at, ended_at, duration_ms) VALUES (%lld, 'train', 1, "
	    "'succeeded', %lld, %lld, 1800000)", (long long)id,
	    (long long)(t - 40) * MINUTE, (long long)(t - 10) * MINUTE);
	tick(&f, t);
	expect_minute(&f, "lat", t - 10, 0, 1);

	slo_engine_free(f.e);
	cfg_free(f.cfg);
	f.cfg = config("", "{\"name\": \"lat\", \"sli\": {\"kind\": "
	    "\"stage_latency\", \"pipeline\": \"churn\", \"stage\": \"train\", "
	    "\"threshold\": \"45m\"}, \"objective\": 0.9, \"window\": \"7d\"}");
	f.e = slo_engine_new(f.st, f.cfg, &err);
	assert_non_null(f.e);
	tick(&f, t + 1);
	expect_minute(&f, "lat", t - 10, 1, 1);
	assert_int_equal(slo_engine_status(f.e, 0)->good, 1);
	fixture_close(&f);
}

/* A small linear congruential generator, for a reproducible scenario. */
static uint32_t
next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/* Writes the facts of minute m of the scenario. */
static void
scenario_facts(struct fixture *f, int64_t m, uint32_t *seed)
{
	int64_t late = m - (int64_t)(next_random(seed) % 4);

	sql(f, "INSERT OR REPLACE INTO probe_results (probe, at, ok, "
	    "latency_ms) VALUES ('api', %lld, %d, %d)",
	    (long long)late * MINUTE + 1000 * (next_random(seed) % 60),
	    next_random(seed) % 10 != 0, (int)(next_random(seed) % 400));
	if (m % 37 == 0)
		run(f, "churn", "2026-02-01",
		    next_random(seed) % 5 != 0 ? "succeeded" : "failed",
		    (m - 30) * MINUTE, late * MINUTE + 500);
}

#define SCENARIO_SLOS \
	RUNS_SLO ", {\"name\": \"up\", \"sli\": {\"kind\": " \
	"\"probe_availability\", \"probe\": \"api\"}, \"objective\": 0.8, " \
	"\"window\": \"1d\", \"budgeting_method\": \"timeslices\", " \
	"\"timeslice_window\": \"5m\", \"timeslice_target\": 0.75}, " \
	"{\"name\": \"fast\", \"sli\": {\"kind\": \"probe_latency\", " \
	"\"probe\": \"api\", \"threshold\": \"300ms\"}, \"objective\": 0.7, " \
	"\"window\": \"1d\"}"

/* Compares the running totals of f with a fresh full evaluation. */
static void
expect_fresh_totals(struct fixture *f, int64_t m)
{
	struct wk_err err = { 0, "" };
	struct slo_engine *fresh = slo_engine_new(f->st, f->cfg, &err);
	size_t i, j;

	assert_non_null(fresh);
	assert_int_equal(slo_engine_evaluate(fresh, m * MINUTE), WK_OK);
	for (i = 0; i < slo_engine_count(f->e); i++) {
		const struct slo_status *a = slo_engine_status(f->e, i);
		const struct slo_status *b = slo_engine_status(fresh, i);

		if (a->good != b->good || a->total != b->total)
			fail_msg("minute %lld, SLO %s: running %lld/%lld, "
			    "fresh %lld/%lld", (long long)m, a->name,
			    (long long)a->good, (long long)a->total,
			    (long long)b->good, (long long)b->total);
		for (j = 0; j < SLO_BURN_WINDOWS; j++) {
			assert_int_equal(a->burn[j].known, b->burn[j].known);
			assert_true(a->burn[j].value == b->burn[j].value);
		}
		assert_int_equal(a->state, b->state);
	}
	slo_engine_free(fresh);
}

/*
 * Two days of minutes with late facts, a restart and a downtime: the
 * running totals always equal a fresh evaluation, and a rebuild from the
 * facts gives the stored minutes of the ticks.
 */
static void
restart_and_rebuild_agree(void **state)
{
	static struct snapshot before, after;
	const char *names[] = { "runs", "up", "fast" };
	int64_t t0 = minute_of(2026, 2, 1, 0, 0), m;
	struct wk_err err = { 0, "" };
	struct fixture f;
	uint32_t seed = 42;
	size_t i;

	(void)state;
	fixture_open(&f, "", SCENARIO_SLOS);
	for (m = t0; m < t0 + 2880; m++) {
		scenario_facts(&f, m, &seed);
		if (m == t0 + 1500) {
			slo_engine_free(f.e);
			f.e = slo_engine_new(f.st, f.cfg, &err);
			assert_non_null(f.e);
		}
		if (m > t0 + 1600 && m < t0 + 1800)
			continue;
		tick(&f, m);
		if ((m - t0) % 101 == 0)
			expect_fresh_totals(&f, m);
	}
	expect_fresh_totals(&f, m - 1);

	for (i = 0; i < 3; i++) {
		snapshot(&f, names[i], m - 1 - 4320, &before);
		assert_true(before.n > 50);
		assert_int_equal(slo_engine_rebuild(f.e, (m - 1) * MINUTE +
		    7000), WK_OK);
		snapshot(&f, names[i], m - 1 - 4320, &after);
		expect_same_snapshot(&before, &after, names[i]);
	}
	expect_fresh_totals(&f, m - 1);
	fixture_close(&f);
}

/* A fact written later than the margin waits for a rebuild. */
static void
fact_past_margin_needs_rebuild(void **state)
{
	int64_t t = minute_of(2026, 2, 1, 3, 0);
	struct fixture f;

	(void)state;
	fixture_open(&f, "", RUNS_SLO);
	tick(&f, t);
	run(&f, "churn", "2026-02-01", "failed", (t - 100) * MINUTE,
	    (t - 60) * MINUTE);
	tick(&f, t + 1);
	expect_minute(&f, "runs", t - 60, 0, 0);
	assert_int_equal(slo_engine_rebuild(f.e, (t + 1) * MINUTE), WK_OK);
	expect_minute(&f, "runs", t - 60, 0, 1);
	assert_int_equal(slo_engine_status(f.e, 0)->total, 1);
	fixture_close(&f);
}

/* Ten days of history are counted over several short ticks. */
static void
backlog_counted_over_ticks(void **state)
{
	int64_t t = minute_of(2026, 2, 11, 0, 0), m;
	struct fixture f;
	const struct slo_status *s;
	int ticks = 0;

	(void)state;
	fixture_open(&f, "", "{\"name\": \"up\", \"sli\": {\"kind\": "
	    "\"probe_availability\", \"probe\": \"api\"}, \"objective\": "
	    "0.99, \"window\": \"30d\"}");
	sql(&f, "BEGIN");
	for (m = t - 14400 + 1; m <= t; m++)
		sql(&f, "INSERT INTO probe_results (probe, at, ok) VALUES "
		    "('api', %lld, %d)", (long long)m * MINUTE,
		    m % 100 != 0);
	sql(&f, "COMMIT");

	tick_once(&f, t);
	ticks++;
	assert_int_equal(slo_engine_backlog(f.e), 1);
	assert_null(slo_engine_status(f.e, 0));
	while (slo_engine_backlog(f.e) > 0 && ticks < 20) {
		tick_once(&f, t);
		ticks++;
	}
	assert_int_equal(slo_engine_backlog(f.e), 0);
	assert_true(ticks >= 3);
	s = slo_engine_status(f.e, 0);
	assert_non_null(s);
	assert_int_equal(s->total, 14400);
	assert_int_equal(s->good, 14400 - 144);
	assert_int_equal(rows(&f, "up"), 14400);
	fixture_close(&f);
}

static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("slo-account", log_min_level);
}

static int
teardown(void **state)
{
	(void)state;
	return getenv("WK_KEEP") != NULL || store_tmp_teardown() == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runs_counted_at_their_end),
		cmocka_unit_test(stage_attempts_by_latency),
		cmocka_unit_test(probe_results_by_ok_and_latency),
		cmocka_unit_test(deadline_judged_per_local_day),
		cmocka_unit_test(deadline_skips_unscheduled_days),
		cmocka_unit_test(freshness_each_minute),
		cmocka_unit_test(changed_sli_counts_again),
		cmocka_unit_test(restart_and_rebuild_agree),
		cmocka_unit_test(fact_past_margin_needs_rebuild),
		cmocka_unit_test(backlog_counted_over_ticks),
	};

	setenv("LANGUAGE", "", 1);
	setenv("LC_ALL", "C", 1);
	log_min_level = LL_WARN;
	return cmocka_run_group_tests(tests, setup, teardown);
}
