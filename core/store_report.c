/*
 * Read-only queries for retrospectives (see core/store_report.h). Every
 * statement is prepared on each call, so the functions work on any open
 * store, read-only ones included; the pages that call them are cached.
 */
#include "core/store_report.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

#define REPORT_MINUTES_PER_HOUR 60
#define REPORT_CHECK_EVERY 1000  /* SQLite steps between deadline checks */

static int
report_deadline_passed(void *arg)
{
	const int64_t *deadline = arg;

	return *deadline > 0 && clk_mono_ns() > *deadline;
}

/*
 * The deadline of the running read transaction. A store is used by one
 * thread at a time, and SQLite calls the progress handler on the thread
 * that runs the query, so each thread keeps its own deadline.
 */
static _Thread_local int64_t report_deadline_ns;

int
store_report_read_begin(struct store *st, int64_t deadline_ns)
{
	sqlite3 *db = store_sqlite(st);

	report_deadline_ns = deadline_ns;
	sqlite3_progress_handler(db, deadline_ns > 0 ? REPORT_CHECK_EVERY : 0,
	    deadline_ns > 0 ? report_deadline_passed : NULL,
	    &report_deadline_ns);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return WK_ERR_STORE;
	return WK_OK;
}

void
store_report_read_end(struct store *st)
{
	sqlite3 *db = store_sqlite(st);

	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	report_deadline_ns = 0;
}

static sqlite3_stmt *
report_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &stmt, NULL) !=
	    SQLITE_OK) {
		LOG(LL_ERROR, "store %s: %s", store_path(st),
		    sqlite3_errmsg(store_sqlite(st)));
		return NULL;
	}
	return stmt;
}

/* Finishes a statement; maps an interrupted query to WK_ERR_BUSY. */
static int
report_finish(struct store *st, sqlite3_stmt *stmt, int step)
{
	sqlite3_finalize(stmt);
	if (step == SQLITE_DONE || step == SQLITE_ROW)
		return WK_OK;
	if (step == SQLITE_INTERRUPT || step == SQLITE_BUSY)
		return WK_ERR_BUSY;
	LOG(LL_ERROR, "store %s: %s", store_path(st),
	    sqlite3_errmsg(store_sqlite(st)));
	return WK_ERR_STORE;
}

static void
copy_text(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

int
store_report_data_version(struct store *st, int64_t *version)
{
	sqlite3_stmt *stmt = report_prepare(st, "PRAGMA data_version");
	int step;

	if (stmt == NULL)
		return WK_ERR_STORE;
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*version = sqlite3_column_int64(stmt, 0);
	return report_finish(st, stmt, step);
}

int
store_report_runs(struct store *st, const char *pipeline, int64_t from,
		  int64_t to, struct store_run *runs, size_t max,
		  size_t *count)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT id, pipeline, "
	    "logical_date, trigger, state, started_at, coalesce(ended_at, 0), "
	    "coalesce(duration_ms, -1), coalesce(reason, '') FROM runs "
	    "WHERE started_at >= ?1 AND started_at < ?2 AND "
	    "(?3 IS NULL OR pipeline = ?3) ORDER BY id DESC LIMIT ?4");
	int step;

	*count = 0;
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	if (pipeline != NULL)
		sqlite3_bind_text(stmt, 3, pipeline, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_run *r = &runs[(*count)++];

		r->id = sqlite3_column_int64(stmt, 0);
		copy_text(r->pipeline, sizeof r->pipeline, stmt, 1);
		copy_text(r->logical_date, sizeof r->logical_date, stmt, 2);
		copy_text(r->trigger, sizeof r->trigger, stmt, 3);
		copy_text(r->state, sizeof r->state, stmt, 4);
		r->started_at = sqlite3_column_int64(stmt, 5);
		r->ended_at = sqlite3_column_int64(stmt, 6);
		r->duration_ms = sqlite3_column_int64(stmt, 7);
		copy_text(r->reason, sizeof r->reason, stmt, 8);
	}
	return report_finish(st, stmt, step);
}

static void
read_attempt(sqlite3_stmt *stmt, struct store_stage_run *s)
{
	memset(s, 0, sizeof *s);
	s->id = sqlite3_column_int64(stmt, 0);
	s->run_id = sqlite3_column_int64(stmt, 1);
	copy_text(s->stage, sizeof s->stage, stmt, 2);
	s->attempt = sqlite3_column_int(stmt, 3);
	copy_text(s->state, sizeof s->state, stmt, 4);
	s->pid = sqlite3_column_int(stmt, 5);
	s->started_at = sqlite3_column_int64(stmt, 6);
	s->ended_at = sqlite3_column_int64(stmt, 7);
	s->duration_ms = sqlite3_column_int64(stmt, 8);
	s->exit_code = sqlite3_column_int(stmt, 9);
	s->signal = sqlite3_column_int(stmt, 10);
	s->user_cpu_ms = sqlite3_column_int64(stmt, 11);
	s->sys_cpu_ms = sqlite3_column_int64(stmt, 12);
	s->max_rss_kb = sqlite3_column_int64(stmt, 13);
	s->progress = sqlite3_column_double(stmt, 14);
	copy_text(s->reason, sizeof s->reason, stmt, 15);
	copy_text(s->status_text, sizeof s->status_text, stmt, 16);
	s->retry_at = sqlite3_column_int64(stmt, 17);
}

int
store_report_attempts(struct store *st, int64_t run_id,
		      struct store_stage_run *rows, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT id, run_id, stage, "
	    "attempt, state, coalesce(pid, 0), coalesce(started_at, 0), "
	    "coalesce(ended_at, 0), coalesce(duration_ms, -1), "
	    "coalesce(exit_code, -1), coalesce(signal, 0), "
	    "coalesce(user_cpu_ms, -1), coalesce(sys_cpu_ms, -1), "
	    "coalesce(max_rss_kb, -1), coalesce(progress, -1), "
	    "coalesce(reason, ''), coalesce(status_text, ''), "
	    "coalesce(retry_at, 0) FROM stage_runs WHERE run_id = ?1 "
	    "ORDER BY id LIMIT ?2");
	int step;

	*count = 0;
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		read_attempt(stmt, &rows[(*count)++]);
	return report_finish(st, stmt, step);
}

int
store_report_results(struct store *st, const char *probe, int64_t from,
		     int64_t to, struct store_report_result *rows, size_t max,
		     size_t *count, int *more)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT at, ok, "
	    "coalesce(latency_ms, -1) FROM probe_results WHERE probe = ?1 AND "
	    "at >= ?2 AND at < ?3 ORDER BY at LIMIT ?4");
	int step;

	*count = 0;
	*more = 0;
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)max + 1);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*count == max) {
			*more = 1;
			break;
		}
		rows[*count].at = sqlite3_column_int64(stmt, 0);
		rows[*count].ok = sqlite3_column_int(stmt, 1) != 0;
		rows[*count].latency_ms = sqlite3_column_double(stmt, 2);
		(*count)++;
	}
	return report_finish(st, stmt, step);
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0..1] of sorted[0..n-1]. */
static double
percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n);

	if (n == 0)
		return -1;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static int
probe_counts(struct store *st, const char *probe, int64_t from, int64_t to,
	     struct store_report_probe *out)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT count(*), "
	    "coalesce(sum(ok != 0), 0), count(latency_ms) FROM probe_results "
	    "WHERE probe = ?1 AND at >= ?2 AND at < ?3");
	int step;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		out->checks = sqlite3_column_int64(stmt, 0);
		out->up = sqlite3_column_int64(stmt, 1);
		out->measured = sqlite3_column_int64(stmt, 2);
	}
	return report_finish(st, stmt, step);
}

int
store_report_probe_stats(struct store *st, const char *probe, int64_t from,
			 int64_t to, struct store_report_probe *out)
{
	sqlite3_stmt *stmt;
	double *values = NULL;
	size_t n = 0, cap;
	int step, rc;

	memset(out, 0, sizeof *out);
	out->p50_ms = out->p95_ms = out->p99_ms = out->max_ms = -1;
	rc = probe_counts(st, probe, from, to, out);
	if (rc != WK_OK || out->measured == 0)
		return rc;
	cap = out->measured < STORE_REPORT_LATENCIES_MAX ?
	    (size_t)out->measured : STORE_REPORT_LATENCIES_MAX;
	values = malloc(cap * sizeof *values);
	stmt = values != NULL ? report_prepare(st, "SELECT latency_ms FROM "
	    "probe_results WHERE probe = ?1 AND at >= ?2 AND at < ?3 AND "
	    "latency_ms IS NOT NULL ORDER BY at DESC LIMIT ?4") : NULL;
	if (stmt == NULL) {
		free(values);
		return values == NULL ? WK_ERR_NOMEM : WK_ERR_STORE;
	}
	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)cap);
	while (n < cap && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		values[n++] = sqlite3_column_double(stmt, 0);
	rc = report_finish(st, stmt, n == cap ? SQLITE_DONE : step);

	/* NOTE: past STORE_REPORT_LATENCIES_MAX results, the newest count. */
	qsort(values, n, sizeof *values, compare_double);
	out->measured = (int64_t)n;
	out->p50_ms = percentile(values, n, 0.50);
	out->p95_ms = percentile(values, n, 0.95);
	out->p99_ms = percentile(values, n, 0.99);
	out->max_ms = n > 0 ? values[n - 1] : -1;
	free(values);
	return rc;
}

/* Adds the sums of one query with parameters slo, a, b to good and total. */
static int
sli_add(struct store *st, const char *sql, const char *slo, int64_t a,
	int64_t b, int64_t *good, int64_t *total)
{
	sqlite3_stmt *stmt;
	int step;

	if (a >= b)
		return WK_OK;
	stmt = report_prepare(st, sql);
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, a);
	sqlite3_bind_int64(stmt, 3, b);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*good += sqlite3_column_int64(stmt, 0);
		*total += sqlite3_column_int64(stmt, 1);
	}
	return report_finish(st, stmt, step);
}

int
store_report_sli_sum(struct store *st, const char *slo, int64_t from,
		     int64_t to, int64_t *good, int64_t *total)
{
	static const char minutes_sql[] = "SELECT coalesce(sum(good), 0), "
	    "coalesce(sum(total), 0) FROM sli_minutes WHERE slo = ?1 AND "
	    "minute >= ?2 AND minute < ?3";
	static const char hours_sql[] = "SELECT coalesce(sum(good), 0), "
	    "coalesce(sum(total), 0) FROM sli_hours WHERE slo = ?1 AND "
	    "hour >= ?2 AND hour < ?3";
	int64_t h_from, h_to;
	int rc;

	*good = 0;
	*total = 0;
	/* Whole hours inside [from, to), and the minutes at either edge. */
	h_from = (from + REPORT_MINUTES_PER_HOUR - 1) / REPORT_MINUTES_PER_HOUR;
	h_to = to / REPORT_MINUTES_PER_HOUR;
	if (from < 0 || h_from >= h_to)
		return sli_add(st, minutes_sql, slo, from, to, good, total);
	rc = sli_add(st, minutes_sql, slo, from, h_from *
	    REPORT_MINUTES_PER_HOUR, good, total);
	if (rc == WK_OK)
		rc = sli_add(st, hours_sql, slo, h_from, h_to, good, total);
	if (rc == WK_OK)
		rc = sli_add(st, minutes_sql, slo, h_to *
		    REPORT_MINUTES_PER_HOUR, to, good, total);
	return rc;
}

int
store_report_slo_names(struct store *st, char (*names)[64], size_t max,
		       size_t *count)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT slo FROM slo_cursors "
	    "UNION SELECT DISTINCT slo FROM slo_evaluations ORDER BY 1 "
	    "LIMIT ?1");
	int step;

	*count = 0;
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		copy_text(names[(*count)++], 64, stmt, 0);
	return report_finish(st, stmt, step);
}

static void
read_incident(sqlite3_stmt *stmt, struct store_report_incident *r)
{
	copy_text(r->fingerprint, sizeof r->fingerprint, stmt, 0);
	r->fired_at = sqlite3_column_int64(stmt, 1);
	copy_text(r->source, sizeof r->source, stmt, 2);
	copy_text(r->severity, sizeof r->severity, stmt, 3);
	copy_text(r->labels, sizeof r->labels, stmt, 4);
	copy_text(r->summary, sizeof r->summary, stmt, 5);
	copy_text(r->link, sizeof r->link, stmt, 6);
	copy_text(r->state, sizeof r->state, stmt, 7);
	r->active_since = sqlite3_column_int64(stmt, 8);
	r->ack_at = sqlite3_column_int64(stmt, 9);
	r->resolved_at = sqlite3_column_int64(stmt, 10);
}

int
store_report_incidents(struct store *st, int64_t from, int64_t to,
		       struct store_report_incident *rows, size_t max,
		       size_t *count)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT fingerprint, "
	    "fired_at, source, severity, labels, summary, link, state, "
	    "active_since, coalesce(ack_at, 0), coalesce(resolved_at, 0) "
	    "FROM alert_incidents WHERE fired_at < ?2 AND (resolved_at IS "
	    "NULL OR resolved_at >= ?1) ORDER BY fired_at, fingerprint "
	    "LIMIT ?3");
	int step;

	*count = 0;
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		read_incident(stmt, &rows[(*count)++]);
	return report_finish(st, stmt, step);
}

int
store_report_run_counts(struct store *st, const char *pipeline, int64_t from,
			int64_t to, struct store_report_run_counts *out)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT count(*), "
	    "coalesce(sum(state = 'succeeded'), 0), "
	    "coalesce(sum(state = 'failed'), 0), "
	    "coalesce(sum(state = 'running'), 0) FROM runs WHERE "
	    "started_at >= ?1 AND started_at < ?2 AND "
	    "(?3 IS NULL OR pipeline = ?3)");
	int step;

	memset(out, 0, sizeof *out);
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	if (pipeline != NULL)
		sqlite3_bind_text(stmt, 3, pipeline, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		out->total = sqlite3_column_int64(stmt, 0);
		out->succeeded = sqlite3_column_int64(stmt, 1);
		out->failed = sqlite3_column_int64(stmt, 2);
		out->running = sqlite3_column_int64(stmt, 3);
	}
	return report_finish(st, stmt, step);
}

int
store_report_run_signatures(struct store *st, int64_t run_id,
			    struct store_report_signature *rows, size_t max,
			    size_t *count)
{
	sqlite3_stmt *stmt = report_prepare(st, "SELECT s.stage, s.attempt, "
	    "g.signature, g.sample, h.count, g.count, g.first_seen FROM "
	    "log_signature_hits h JOIN log_signatures g ON g.id = "
	    "h.signature_id JOIN stage_runs s ON s.id = h.stage_run_id "
	    "WHERE s.run_id = ?1 ORDER BY h.count DESC, s.id LIMIT ?2");
	int step;

	*count = 0;
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_report_signature *g = &rows[(*count)++];

		copy_text(g->stage, sizeof g->stage, stmt, 0);
		g->attempt = sqlite3_column_int(stmt, 1);
		copy_text(g->signature, sizeof g->signature, stmt, 2);
		copy_text(g->sample, sizeof g->sample, stmt, 3);
		g->count = sqlite3_column_int64(stmt, 4);
		g->total = sqlite3_column_int64(stmt, 5);
		g->first_seen = sqlite3_column_int64(stmt, 6);
	}
	return report_finish(st, stmt, step);
}
