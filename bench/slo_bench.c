/*
 * Benchmark of the SLO engine: 100 SLOs over 30 days of per-minute facts.
 * bench/slo.sh builds and runs it; it prints "key value" lines.
 *
 *   slo_bench DIR
 *
 * The SLOs: 60 probe availability SLIs and 20 probe latency SLIs over 80
 * probes with one result a minute, 10 run success SLIs over 10 pipelines
 * with a run an hour, and 10 stage latency SLIs over their stages. Their
 * windows are 30d, 28d, 7d and calendar months, and 10 count timeslices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/slo.h"
#include "core/store.h"

#define MINUTE SLO_MINUTE_MS
#define DAYS 30
#define PROBES 80
#define PIPELINES 10
#define STEADY_TICKS 60

static uint32_t seed = 12345;

static uint32_t
bench_random(void)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) & 0x7fff;
}

static double
bench_ms(int64_t since_ns)
{
	return (double)(clk_mono_ns() - since_ns) / 1e6;
}

static void
bench_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "slo_bench: %s: %s\n", sql, msg);
		exit(1);
	}
}

/* Appends the window and budgeting of SLO i to the configuration. */
static void
bench_slo_tail(struct buf *b, int i)
{
	static const char *const windows[] = {
		"\"window\": \"30d\"", "\"window\": \"28d\"",
		"\"window\": \"7d\"",
		"\"window\": \"month\", \"time_zone\": \"Asia/Tokyo\"",
		"\"window\": \"30d\""
	};

	buf_printf(b, "%s", windows[i % 5]);
	if (i % 10 == 3)
		buf_printf(b, ", \"budgeting_method\": \"timeslices\", "
		    "\"timeslice_window\": \"5m\", \"timeslice_target\": 0.95");
	buf_printf(b, "}");
}

/* Writes the configuration of the 100 SLOs, their probes and pipelines. */
static void
bench_config(struct buf *b)
{
	int i;

	buf_printf(b, "{\"pipelines\": [");
	for (i = 0; i < PIPELINES; i++)
		buf_printf(b, "%s{\"name\": \"p%d\", \"stages\": [{\"name\": "
		    "\"train\", \"command\": \"true\"}]}", i ? ", " : "", i);
	buf_printf(b, "], \"probes\": [");
	for (i = 0; i < PROBES; i++)
		buf_printf(b, "%s{\"name\": \"probe%d\", \"type\": \"tcp\", "
		    "\"address\": \"127.0.0.1:9\"}", i ? ", " : "", i);
	buf_printf(b, "], \"slos\": [");
	for (i = 0; i < 100; i++) {
		buf_printf(b, "%s{\"name\": \"slo%d\", \"objective\": 0.99, ",
		    i ? ", " : "", i);
		if (i < 60)
			buf_printf(b, "\"sli\": {\"kind\": \"probe_availability\","
			    " \"probe\": \"probe%d\"}, ", i);
		else if (i < 80)
			buf_printf(b, "\"sli\": {\"kind\": \"probe_latency\", "
			    "\"probe\": \"probe%d\", \"threshold\": \"200ms\"}, ",
			    i);
		else if (i < 90)
			buf_printf(b, "\"sli\": {\"kind\": \"run_success\", "
			    "\"pipeline\": \"p%d\"}, ", i - 80);
		else
			buf_printf(b, "\"sli\": {\"kind\": \"stage_latency\", "
			    "\"pipeline\": \"p%d\", \"stage\": \"train\", "
			    "\"threshold\": \"20m\"}, ", i - 90);
		bench_slo_tail(b, i);
	}
	buf_printf(b, "]}");
}

/* Writes the facts of minute m: a result of every probe, hourly runs. */
static void
bench_facts(sqlite3 *db, sqlite3_stmt *probe, sqlite3_stmt *runs,
	    sqlite3_stmt *stage, int64_t m)
{
	int i;

	for (i = 0; i < PROBES; i++) {
		sqlite3_reset(probe);
		sqlite3_bind_int(probe, 1, i);
		sqlite3_bind_int64(probe, 2, m * MINUTE + i * 100);
		sqlite3_bind_int(probe, 3, bench_random() % 1000 != 0);
		sqlite3_bind_int(probe, 4, (int)(bench_random() % 250));
		sqlite3_step(probe);
	}
	if (m % 60 != 0)
		return;
	for (i = 0; i < PIPELINES; i++) {
		sqlite3_reset(runs);
		sqlite3_bind_int(runs, 1, i);
		sqlite3_bind_text(runs, 2, bench_random() % 50 != 0 ?
		    "succeeded" : "failed", -1, SQLITE_STATIC);
		sqlite3_bind_int64(runs, 3, (m - 30) * MINUTE);
		sqlite3_bind_int64(runs, 4, m * MINUTE);
		sqlite3_step(runs);
		sqlite3_reset(stage);
		sqlite3_bind_int64(stage, 1, sqlite3_last_insert_rowid(db));
		sqlite3_bind_int64(stage, 2, (m - 25) * MINUTE);
		sqlite3_bind_int64(stage, 3, m * MINUTE);
		sqlite3_bind_int64(stage, 4,
		    (int64_t)(bench_random() % 25) * MINUTE);
		sqlite3_step(stage);
	}
}

/* Writes the facts of minutes [from, to) in one transaction. */
static void
bench_fill(sqlite3 *db, int64_t from, int64_t to)
{
	sqlite3_stmt *probe, *runs, *stage;
	int64_t m;

	sqlite3_prepare_v2(db, "INSERT INTO probe_results (probe, at, ok, "
	    "latency_ms) VALUES ('probe' || ?1, ?2, ?3, ?4)", -1, &probe, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO runs (pipeline, logical_date, "
	    "trigger, state, started_at, ended_at, duration_ms) VALUES "
	    "('p' || ?1, '2026-01-01', 'schedule', ?2, ?3, ?4, ?4 - ?3)", -1,
	    &runs, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO stage_runs (run_id, stage, "
	    "attempt, state, started_at, ended_at, duration_ms) VALUES "
	    "(?1, 'train', 1, 'succeeded', ?2, ?3, ?4)", -1, &stage, NULL);
	bench_exec(db, "BEGIN");
	for (m = from; m < to; m++)
		bench_facts(db, probe, runs, stage, m);
	bench_exec(db, "COMMIT");
	sqlite3_finalize(probe);
	sqlite3_finalize(runs);
	sqlite3_finalize(stage);
}

/*
 * Fills slo_evaluations as 30 days of ticks leave it: one row per SLO and
 * minute for the last SLO_SERIES_FULL_MINUTES, one an hour before.
 */
static void
bench_fill_series(sqlite3 *db, int64_t t)
{
	char sql[1024];

	snprintf(sql, sizeof sql,
	    "WITH RECURSIVE m(x) AS (SELECT %lld UNION ALL SELECT x + 1 FROM "
	    "m WHERE x < %lld) INSERT OR IGNORE INTO slo_evaluations SELECT "
	    "e.slo, m.x, e.state, e.good, e.total, e.sli, e.budget_total, "
	    "e.budget_consumed, e.budget_remaining, e.burn_5m, e.burn_30m, "
	    "e.burn_1h, e.burn_2h, e.burn_6h, e.burn_1d, e.burn_3d, e.detail "
	    "FROM slo_evaluations e, m WHERE e.minute = %lld AND "
	    "(m.x >= %lld OR m.x %% 60 = 0)",
	    (long long)(t - DAYS * 1440 + 1), (long long)t, (long long)t,
	    (long long)(t - SLO_SERIES_FULL_MINUTES));
	bench_exec(db, sql);
}

static int64_t
bench_file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Prints the rows and bytes of the tables that grow with time. */
static void
bench_sizes(sqlite3 *db)
{
	static const char *const tables[] = {
		"probe_results", "runs", "stage_runs", "sli_minutes",
		"sli_hours", "slo_evaluations"
	};
	sqlite3_stmt *stmt;
	char sql[256];
	size_t i;

	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM %s), "
		    "(SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name "
		    "IN (SELECT name FROM sqlite_master WHERE tbl_name = '%s'))",
		    tables[i], tables[i]);
		if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
			snprintf(sql, sizeof sql, "SELECT count(*), -1 FROM %s",
			    tables[i]);
			if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) !=
			    SQLITE_OK)
				continue;
		}
		if (sqlite3_step(stmt) == SQLITE_ROW)
			printf("table %s %lld %lld\n", tables[i],
			    (long long)sqlite3_column_int64(stmt, 0),
			    (long long)sqlite3_column_int64(stmt, 1));
		sqlite3_finalize(stmt);
	}
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs ticks at the STEADY_TICKS minutes after t, with their facts. */
static void
bench_steady(struct slo_engine *e, sqlite3 *db, int64_t t)
{
	double ms[STEADY_TICKS];
	int64_t start;
	int i;

	for (i = 0; i < STEADY_TICKS; i++) {
		bench_fill(db, t + 1 + i, t + 2 + i);
		start = clk_mono_ns();
		if (slo_engine_tick(e, (t + 1 + i) * MINUTE + 5000) != WK_OK)
			exit(1);
		ms[i] = bench_ms(start);
		if (getenv("SLO_BENCH_VERBOSE") != NULL)
			fprintf(stderr, "tick %d: %.2f ms\n", i, ms[i]);
	}
	qsort(ms, STEADY_TICKS, sizeof ms[0], bench_cmp);
	printf("tick_median_ms %.2f\n", ms[STEADY_TICKS / 2]);
	printf("tick_max_ms %.2f\n", ms[STEADY_TICKS - 1]);
}

/*
 * Runs the ticks at minute t that count the 30 days of facts, as the
 * agent does after its first start, until no SLO has a backlog.
 */
static void
bench_catch_up(struct slo_engine *e, int64_t t)
{
	double total = 0.0, longest = 0.0, ms;
	int64_t start;
	int ticks = 0;

	do {
		start = clk_mono_ns();
		if (slo_engine_tick(e, t * MINUTE + 5000) != WK_OK)
			exit(1);
		ms = bench_ms(start);
		if (getenv("SLO_BENCH_VERBOSE") != NULL && ms > 40.0)
			fprintf(stderr, "catch-up tick %d: %.2f ms, backlog "
			    "%zu\n", ticks, ms, slo_engine_backlog(e));
		total += ms;
		longest = ms > longest ? ms : longest;
		ticks++;
	} while (slo_engine_backlog(e) > 0);
	printf("catch_up_ticks %d\n", ticks);
	printf("catch_up_ms %.0f\n", total);
	printf("catch_up_tick_max_ms %.1f\n", longest);
}

int
main(int argc, char **argv)
{
	struct wk_err err = { 0, "" };
	char path[4096];
	struct store *st = NULL;
	struct slo_engine *e;
	struct cfg *cfg;
	struct buf text;
	int64_t t0 = clk_days_from_civil(2026, 1, 1) * 1440, t, start;
	sqlite3 *db;

	if (argc != 2) {
		fprintf(stderr, "usage: slo_bench DIR\n");
		return 2;
	}
	log_min_level = LL_WARN;
	snprintf(path, sizeof path, "%s/store.db", argv[1]);
	buf_init(&text, 1 << 20);
	bench_config(&text);
	cfg = cfg_load_text(text.data, text.len, "bench.json", &err);
	if (cfg == NULL || store_open(path, STORE_READ_WRITE, &st, &err) !=
	    WK_OK) {
		fprintf(stderr, "slo_bench: %s\n", err.msg);
		return 1;
	}
	db = store_sqlite(st);
	t = t0 + DAYS * 1440;

	start = clk_mono_ns();
	bench_fill(db, t0, t + 1);
	printf("facts_write_ms %.0f\n", bench_ms(start));
	e = slo_engine_new(st, cfg, &err);
	if (e == NULL) {
		fprintf(stderr, "slo_bench: %s\n", err.msg);
		return 1;
	}
	bench_catch_up(e, t);

	bench_steady(e, db, t);
	start = clk_mono_ns();
	if (slo_engine_recompute(e) != WK_OK)
		return 1;
	printf("recompute_ms %.1f\n", bench_ms(start));

	bench_fill_series(db, t + STEADY_TICKS);
	bench_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	printf("store_bytes %lld\n", (long long)bench_file_size(path));
	bench_sizes(db);
	slo_engine_free(e);
	store_close(st);
	cfg_free(cfg);
	buf_free(&text);
	return 0;
}
