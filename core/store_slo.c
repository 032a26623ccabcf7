#include "core/store_slo.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/log.h"

/* A stored minute that no count can produce. */
#define INVALID_ROW "(good > total OR good < 0 OR total < 0)"

#define EVAL_COLUMNS \
	"minute, state, good, total, sli, budget_total, budget_consumed, " \
	"budget_remaining, burn_5m, burn_30m, burn_1h, burn_2h, burn_6h, " \
	"burn_1d, burn_3d, detail"

enum store_slo_stmt {
	SS_BEGIN,
	SS_COMMIT,
	SS_ROLLBACK,
	SS_MINUTES_SUM,
	SS_HOURS_SUM,
	SS_HOURS_PRUNE,
	SS_HOURS_CLEAR,
	SS_HOURS_FILL,
	SS_MINUTES,
	SS_MINUTE_PUT,
	SS_MINUTE_DELETE,
	SS_MINUTES_PRUNE,
	SS_FIRST_INVALID,
	SS_CURSOR_GET,
	SS_CURSOR_PUT,
	SS_CHECKS,
	SS_CHECK_PUT,
	SS_CHECK_LAST,
	SS_CHECKS_PRUNE,
	SS_EVAL_PUT,
	SS_EVALS_PRUNE,
	SS_EVALS_THIN,
	SS_FACT_RUNS,
	SS_FACT_STAGE_LATENCY,
	SS_FACT_PROBE_UP,
	SS_FACT_PROBE_LATENCY,
	SS_DEADLINE_MET,
	SS_FIRST_RUN,
	SS_COUNT
};

static const char *const store_slo_sql[SS_COUNT] = {
	[SS_BEGIN] = "BEGIN IMMEDIATE",
	[SS_COMMIT] = "COMMIT",
	[SS_ROLLBACK] = "ROLLBACK",
	/* The count of invalid minutes reads the partial index only. */
	[SS_MINUTES_SUM] =
	    "SELECT coalesce(sum(good), 0), coalesce(sum(total), 0), "
	    "(SELECT count(*) FROM sli_minutes INDEXED BY sli_minutes_invalid "
	    "WHERE slo = ?1 AND minute BETWEEN ?2 AND ?3 AND " INVALID_ROW
	    ") FROM sli_minutes "
	    "WHERE slo = ?1 AND minute BETWEEN ?2 AND ?3",
	[SS_HOURS_SUM] =
	    "SELECT coalesce(sum(good), 0), coalesce(sum(total), 0), "
	    "coalesce(sum(invalid), 0) FROM sli_hours "
	    "WHERE slo = ?1 AND hour BETWEEN ?2 AND ?3",
	[SS_HOURS_PRUNE] =
	    "DELETE FROM sli_hours WHERE slo = ?1 AND hour < ?2 / 60",
	[SS_HOURS_CLEAR] =
	    "DELETE FROM sli_hours WHERE slo = ?1",
	[SS_HOURS_FILL] =
	    "INSERT INTO sli_hours SELECT slo, minute / 60, sum(good), "
	    "sum(total), sum(" INVALID_ROW ") FROM sli_minutes "
	    "WHERE slo = ?1 GROUP BY 2",
	[SS_MINUTES] =
	    "SELECT minute, good, total, " INVALID_ROW " FROM sli_minutes "
	    "WHERE slo = ?1 AND minute BETWEEN ?2 AND ?3 ORDER BY minute",
	[SS_MINUTE_PUT] =
	    "INSERT INTO sli_minutes (slo, minute, good, total) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (slo, minute) DO UPDATE "
	    "SET good = excluded.good, total = excluded.total",
	[SS_MINUTE_DELETE] =
	    "DELETE FROM sli_minutes WHERE slo = ?1 AND minute = ?2",
	[SS_MINUTES_PRUNE] =
	    "DELETE FROM sli_minutes WHERE slo = ?1 AND minute < ?2",
	[SS_FIRST_INVALID] =
	    "SELECT minute, good, total FROM sli_minutes INDEXED BY "
	    "sli_minutes_invalid WHERE slo = ?1 AND minute BETWEEN ?2 AND ?3 "
	    "AND " INVALID_ROW " ORDER BY minute LIMIT 1",
	[SS_CURSOR_GET] =
	    "SELECT sli, done_until, coalesce(checked_minute, -1) "
	    "FROM slo_cursors WHERE slo = ?1",
	[SS_CURSOR_PUT] =
	    "INSERT OR REPLACE INTO slo_cursors (slo, sli, done_until, "
	    "checked_minute) VALUES (?1, ?2, ?3, ?4)",
	[SS_CHECKS] =
	    "SELECT minute, coalesce(mtime, -1) FROM slo_file_checks "
	    "WHERE slo = ?1 AND minute >= coalesce((SELECT max(minute) "
	    "FROM slo_file_checks WHERE slo = ?1 AND minute <= ?2), ?2) "
	    "AND minute <= ?3 ORDER BY minute",
	[SS_CHECK_PUT] =
	    "INSERT OR REPLACE INTO slo_file_checks (slo, minute, mtime) "
	    "VALUES (?1, ?2, ?3)",
	[SS_CHECK_LAST] =
	    "SELECT minute, coalesce(mtime, -1) FROM slo_file_checks "
	    "WHERE slo = ?1 ORDER BY minute DESC LIMIT 1",
	[SS_CHECKS_PRUNE] =
	    "DELETE FROM slo_file_checks WHERE slo = ?1 AND (?2 = ?3 OR "
	    "minute < (SELECT max(minute) FROM slo_file_checks "
	    "WHERE slo = ?1 AND minute <= ?2))",
	[SS_EVAL_PUT] =
	    "INSERT OR REPLACE INTO slo_evaluations (slo, " EVAL_COLUMNS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17)",
	[SS_EVALS_PRUNE] =
	    "DELETE FROM slo_evaluations WHERE slo = ?1 AND minute < ?2",
	[SS_EVALS_THIN] =
	    "DELETE FROM slo_evaluations WHERE slo = ?1 AND minute >= ?2 "
	    "AND minute < ?3 AND minute % 60 != 0",
	[SS_FACT_RUNS] =
	    "SELECT ended_at / 60000, sum(state = 'succeeded'), count(*), 0 "
	    "FROM runs WHERE pipeline = ?1 AND ended_at >= ?2 "
	    "AND ended_at < ?3 AND state IN ('succeeded', 'failed') "
	    "GROUP BY 1 ORDER BY 1",
	[SS_FACT_STAGE_LATENCY] =
	    "SELECT s.ended_at / 60000, sum(s.state = 'succeeded' AND "
	    "coalesce(s.duration_ms, s.ended_at - s.started_at) <= ?5), "
	    "count(*), 0 FROM stage_runs s JOIN runs r ON r.id = s.run_id "
	    "WHERE s.stage = ?4 AND r.pipeline = ?1 AND s.ended_at >= ?2 "
	    "AND s.ended_at < ?3 AND s.started_at IS NOT NULL "
	    "AND s.state IN ('succeeded', 'failed', 'timed_out', "
	    "'out_of_memory') GROUP BY 1 ORDER BY 1",
	[SS_FACT_PROBE_UP] =
	    "SELECT at / 60000, sum(ok = 1), count(*), 0 FROM probe_results "
	    "WHERE probe = ?1 AND at >= ?2 AND at < ?3 GROUP BY 1 ORDER BY 1",
	[SS_FACT_PROBE_LATENCY] =
	    "SELECT at / 60000, sum(ok = 1 AND latency_ms IS NOT NULL AND "
	    "latency_ms <= ?5), count(*), 0 FROM probe_results "
	    "WHERE probe = ?1 AND at >= ?2 AND at < ?3 GROUP BY 1 ORDER BY 1",
	[SS_DEADLINE_MET] =
	    "SELECT EXISTS (SELECT 1 FROM runs WHERE pipeline = ?1 "
	    "AND logical_date = ?2 AND state = 'succeeded' "
	    "AND ended_at <= ?3)",
	[SS_FIRST_RUN] =
	    "SELECT started_at FROM runs WHERE pipeline = ?1 "
	    "ORDER BY id LIMIT 1",
};

struct store_slo {
	struct store *st;                   /* the store, not owned */
	sqlite3 *db;                        /* its connection */
	sqlite3_stmt *stmts[SS_COUNT];      /* prepared on first use */
};

/* Logs a failed call and returns WK_ERR_BUSY or WK_ERR_STORE. */
static int
store_slo_fail(sqlite3 *db, const char *what)
{
	int code = sqlite3_extended_errcode(db) & 0xff;

	LOG(LL_ERROR, _("store: SLO %s failed: %s"), what,
	    sqlite3_errmsg(db));
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return WK_ERR_BUSY;
	return WK_ERR_STORE;
}

int
store_slo_open(struct store *st, struct store_slo **out)
{
	struct store_slo *ss = calloc(1, sizeof *ss);

	if (ss == NULL)
		return WK_ERR_NOMEM;
	ss->st = st;
	ss->db = store_sqlite(st);
	/* An INSERT OR REPLACE of a minute then updates sli_hours too. */
	if (sqlite3_exec(ss->db, "PRAGMA recursive_triggers = ON", NULL, NULL,
	    NULL) != SQLITE_OK) {
		free(ss);
		return store_slo_fail(store_sqlite(st), "PRAGMA");
	}
	*out = ss;
	return WK_OK;
}

void
store_slo_close(struct store_slo *ss)
{
	int i;

	if (ss == NULL)
		return;
	for (i = 0; i < SS_COUNT; i++)
		sqlite3_finalize(ss->stmts[i]);
	free(ss);
}

/* Returns the statement id, reset and unbound, or NULL after logging. */
static sqlite3_stmt *
store_slo_stmt(struct store_slo *ss, enum store_slo_stmt id)
{
	sqlite3_stmt *stmt = ss->stmts[id];

	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	if (sqlite3_prepare_v3(ss->db, store_slo_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
		store_slo_fail(ss->db, "prepare");
		return NULL;
	}
	ss->stmts[id] = stmt;
	return stmt;
}

/* Runs a statement that returns no rows. */
static int
store_slo_done(struct store_slo *ss, sqlite3_stmt *stmt, const char *what)
{
	int rc = WK_OK;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_slo_fail(ss->db, what);
	sqlite3_reset(stmt);
	return rc;
}

/* Runs a statement without parameters (BEGIN, COMMIT, ROLLBACK). */
static int
store_slo_plain(struct store_slo *ss, enum store_slo_stmt id,
		const char *what)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, id);

	if (stmt == NULL)
		return WK_ERR_STORE;
	return store_slo_done(ss, stmt, what);
}

int
store_slo_begin(struct store_slo *ss)
{
	int rc = store_flush(ss->st);

	if (rc != WK_OK)
		return rc;
	return store_slo_plain(ss, SS_BEGIN, "BEGIN");
}

int
store_slo_commit(struct store_slo *ss)
{
	return store_slo_plain(ss, SS_COMMIT, "COMMIT");
}

void
store_slo_rollback(struct store_slo *ss)
{
	if (!sqlite3_get_autocommit(ss->db))
		store_slo_plain(ss, SS_ROLLBACK, "ROLLBACK");
}

/* Steps a query, calling fn with its four integer columns for every row. */
static int
store_slo_rows(struct store_slo *ss, sqlite3_stmt *stmt, store_slo_row_fn fn,
	       void *ctx, const char *what)
{
	int step;

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (fn(ctx, sqlite3_column_int64(stmt, 0),
		    sqlite3_column_int64(stmt, 1),
		    sqlite3_column_int64(stmt, 2),
		    sqlite3_column_int64(stmt, 3)) != 0) {
			step = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(stmt);
	if (step != SQLITE_DONE)
		return store_slo_fail(ss->db, what);
	return WK_OK;
}

/* Binds the SLO name and a range of minutes to ?1, ?2 and ?3. */
static void
store_slo_bind_range(sqlite3_stmt *stmt, const char *slo, int64_t from,
		     int64_t to)
{
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
}

/* Adds the sums of statement id over [from, to] to *out. */
static int
store_slo_sum(struct store_slo *ss, enum store_slo_stmt id, const char *slo,
	      int64_t from, int64_t to, struct slo_counts *out)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, id);
	int rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	if (from > to)
		return WK_OK;
	store_slo_bind_range(stmt, slo, from, to);

	if (sqlite3_step(stmt) == SQLITE_ROW) {
		out->good += sqlite3_column_int64(stmt, 0);
		out->total += sqlite3_column_int64(stmt, 1);
		out->invalid += sqlite3_column_int64(stmt, 2);
	} else {
		rc = store_slo_fail(ss->db, "sum of minutes");
	}
	sqlite3_reset(stmt);
	return rc;
}

int
store_slo_minutes_sum(struct store_slo *ss, const char *slo, int64_t from,
		      int64_t to, struct slo_counts *out)
{
	int64_t first_hour = (from + 59) / 60, last_hour = (to + 1) / 60 - 1;
	int rc;

	memset(out, 0, sizeof *out);
	if (from < 0 || last_hour - first_hour < 2)
		return store_slo_sum(ss, SS_MINUTES_SUM, slo, from, to, out);

	/* Whole hours from sli_hours, the minutes around them one by one. */
	rc = store_slo_sum(ss, SS_MINUTES_SUM, slo, from, first_hour * 60 - 1,
	    out);
	if (rc == WK_OK)
		rc = store_slo_sum(ss, SS_HOURS_SUM, slo, first_hour,
		    last_hour, out);
	if (rc == WK_OK)
		rc = store_slo_sum(ss, SS_MINUTES_SUM, slo,
		    (last_hour + 1) * 60, to, out);
	return rc;
}

int
store_slo_hours_rebuild(struct store_slo *ss, const char *slo)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_HOURS_CLEAR);
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	rc = store_slo_done(ss, stmt, "clearing of hours");
	stmt = rc == WK_OK ? store_slo_stmt(ss, SS_HOURS_FILL) : NULL;
	if (stmt == NULL)
		return rc != WK_OK ? rc : WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	return store_slo_done(ss, stmt, "summing of hours");
}

/*
 * Sums consecutive minutes of one slice and calls the slice callback
 * when a minute of another slice comes (or, with key -1, at the end).
 */
struct store_slo_slicer {
	int64_t len;             /* slice length, minutes */
	int64_t slice;           /* index of the slice being summed, or -1 */
	struct slo_counts sum;   /* its sums */
	store_slo_row_fn fn;     /* the caller's callback */
	void *ctx;               /* its argument */
	int stopped;             /* fn returned non-zero */
};

static int
store_slo_slice_row(void *ctx, int64_t minute, int64_t good, int64_t total,
		    int64_t invalid)
{
	struct store_slo_slicer *s = ctx;
	int64_t slice = minute >= 0 ? minute / s->len : -1;

	if (s->slice >= 0 && slice != s->slice) {
		s->stopped = s->fn(s->ctx, s->slice, s->sum.good, s->sum.total,
		    s->sum.invalid);
		memset(&s->sum, 0, sizeof s->sum);
		if (s->stopped)
			return 1;
	}
	s->slice = slice;
	s->sum.good += good;
	s->sum.total += total;
	s->sum.invalid += invalid;
	return 0;
}

int
store_slo_slices(struct store_slo *ss, const char *slo, int64_t from,
		 int64_t to, int64_t slice_minutes, store_slo_row_fn fn,
		 void *ctx)
{
	struct store_slo_slicer slicer;
	int rc;

	if (from > to)
		return WK_OK;
	memset(&slicer, 0, sizeof slicer);
	slicer.len = slice_minutes;
	slicer.slice = -1;
	slicer.fn = fn;
	slicer.ctx = ctx;

	/* The minutes come in order, so slices need no GROUP BY sorter. */
	rc = store_slo_minutes(ss, slo, from, to, store_slo_slice_row,
	    &slicer);
	if (rc == WK_OK && !slicer.stopped && slicer.slice >= 0)
		fn(ctx, slicer.slice, slicer.sum.good, slicer.sum.total,
		    slicer.sum.invalid);
	return rc;
}

int
store_slo_minutes(struct store_slo *ss, const char *slo, int64_t from,
		  int64_t to, store_slo_row_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_MINUTES);

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_slo_bind_range(stmt, slo, from, to);
	return store_slo_rows(ss, stmt, fn, ctx, "read of minutes");
}

int
store_slo_minute_put(struct store_slo *ss, const char *slo, int64_t minute,
		     int64_t good, int64_t total)
{
	int empty = good == 0 && total == 0;
	sqlite3_stmt *stmt = store_slo_stmt(ss, empty ? SS_MINUTE_DELETE :
	    SS_MINUTE_PUT);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, minute);
	if (!empty) {
		sqlite3_bind_int64(stmt, 3, good);
		sqlite3_bind_int64(stmt, 4, total);
	}
	return store_slo_done(ss, stmt, "write of a minute");
}

int
store_slo_minutes_prune(struct store_slo *ss, const char *slo,
			int64_t before)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_MINUTES_PRUNE);
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before);
	rc = store_slo_done(ss, stmt, "prune of minutes");
	stmt = rc == WK_OK ? store_slo_stmt(ss, SS_HOURS_PRUNE) : NULL;
	if (stmt == NULL)
		return rc != WK_OK ? rc : WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before);
	return store_slo_done(ss, stmt, "prune of hours");
}

int
store_slo_first_invalid(struct store_slo *ss, const char *slo, int64_t from,
			int64_t to, int64_t *minute, int64_t *good,
			int64_t *total)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_FIRST_INVALID);
	int step, rc = WK_ERR_NOTFOUND;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_slo_bind_range(stmt, slo, from, to);

	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*minute = sqlite3_column_int64(stmt, 0);
		*good = sqlite3_column_int64(stmt, 1);
		*total = sqlite3_column_int64(stmt, 2);
		rc = WK_OK;
	} else if (step != SQLITE_DONE) {
		rc = store_slo_fail(ss->db, "search of an invalid minute");
	}
	sqlite3_reset(stmt);
	return rc;
}

int
store_slo_cursor_get(struct store_slo *ss, const char *slo,
		     struct store_slo_cursor *out)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_CURSOR_GET);
	const unsigned char *sli;
	int step, rc = WK_ERR_NOTFOUND;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);

	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		sli = sqlite3_column_text(stmt, 0);
		snprintf(out->sli, sizeof out->sli, "%s",
		    sli != NULL ? (const char *)sli : "");
		out->done_until = sqlite3_column_int64(stmt, 1);
		out->checked_minute = sqlite3_column_int64(stmt, 2);
		rc = WK_OK;
	} else if (step != SQLITE_DONE) {
		rc = store_slo_fail(ss->db, "read of a cursor");
	}
	sqlite3_reset(stmt);
	return rc;
}

int
store_slo_cursor_put(struct store_slo *ss, const char *slo,
		     const struct store_slo_cursor *cursor)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_CURSOR_PUT);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, cursor->sli, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, cursor->done_until);
	if (cursor->checked_minute >= 0)
		sqlite3_bind_int64(stmt, 4, cursor->checked_minute);
	return store_slo_done(ss, stmt, "write of a cursor");
}

int
store_slo_checks(struct store_slo *ss, const char *slo, int64_t from,
		 int64_t to, store_slo_row_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_CHECKS);
	int step;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_slo_bind_range(stmt, slo, from, to);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (fn(ctx, sqlite3_column_int64(stmt, 0),
		    sqlite3_column_int64(stmt, 1), 0, 0) != 0) {
			step = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(stmt);
	return step == SQLITE_DONE ? WK_OK :
	    store_slo_fail(ss->db, "read of file checks");
}

int
store_slo_check_put(struct store_slo *ss, const char *slo, int64_t minute,
		    int64_t mtime)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_CHECK_PUT);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, minute);
	if (mtime >= 0)
		sqlite3_bind_int64(stmt, 3, mtime);
	return store_slo_done(ss, stmt, "write of a file check");
}

int
store_slo_check_last(struct store_slo *ss, const char *slo, int64_t *minute,
		     int64_t *mtime)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_CHECK_LAST);
	int step, rc = WK_ERR_NOTFOUND;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);

	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*minute = sqlite3_column_int64(stmt, 0);
		*mtime = sqlite3_column_int64(stmt, 1);
		rc = WK_OK;
	} else if (step != SQLITE_DONE) {
		rc = store_slo_fail(ss->db, "read of a file check");
	}
	sqlite3_reset(stmt);
	return rc;
}

int
store_slo_checks_prune(struct store_slo *ss, const char *slo, int64_t before)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_CHECKS_PRUNE);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before);
	sqlite3_bind_int64(stmt, 3, INT64_MAX);
	return store_slo_done(ss, stmt, "prune of file checks");
}

/* Binds a figure, or NULL when it is missing. */
static void
store_slo_bind_num(sqlite3_stmt *stmt, int index, struct slo_num num)
{
	if (num.known)
		sqlite3_bind_double(stmt, index, num.value);
	else
		sqlite3_bind_null(stmt, index);
}

int
store_slo_eval_put(struct store_slo *ss, const struct slo_status *s)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_EVAL_PUT);
	int i;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, s->minute);
	sqlite3_bind_text(stmt, 3, slo_state_name(s->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, s->good);
	sqlite3_bind_int64(stmt, 5, s->total);
	store_slo_bind_num(stmt, 6, s->sli);
	store_slo_bind_num(stmt, 7, s->budget_total);
	store_slo_bind_num(stmt, 8, s->budget_consumed);
	store_slo_bind_num(stmt, 9, s->budget_remaining);
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		store_slo_bind_num(stmt, 10 + i, s->burn[i]);
	if (s->detail[0] != '\0')
		sqlite3_bind_text(stmt, 17, s->detail, -1, SQLITE_STATIC);
	return store_slo_done(ss, stmt, "write of an evaluation");
}

int
store_slo_evals_prune(struct store_slo *ss, const char *slo, int64_t before)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_EVALS_PRUNE);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before);
	return store_slo_done(ss, stmt, "prune of evaluations");
}

int
store_slo_evals_thin(struct store_slo *ss, const char *slo, int64_t from,
		     int64_t before)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_EVALS_THIN);

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_slo_bind_range(stmt, slo, from, before);
	return store_slo_done(ss, stmt, "thinning of evaluations");
}

int
store_slo_facts(struct store_slo *ss, enum store_slo_fact fact,
		const char *name, const char *stage, int64_t threshold_ms,
		int64_t from_ms, int64_t to_ms, store_slo_row_fn fn, void *ctx)
{
	static const enum store_slo_stmt ids[] = {
		[STORE_SLO_RUNS] = SS_FACT_RUNS,
		[STORE_SLO_STAGE_LATENCY] = SS_FACT_STAGE_LATENCY,
		[STORE_SLO_PROBE_UP] = SS_FACT_PROBE_UP,
		[STORE_SLO_PROBE_LATENCY] = SS_FACT_PROBE_LATENCY,
	};
	sqlite3_stmt *stmt = store_slo_stmt(ss, ids[fact]);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, from_ms);
	sqlite3_bind_int64(stmt, 3, to_ms);
	if (fact == STORE_SLO_STAGE_LATENCY)
		sqlite3_bind_text(stmt, 4, stage, -1, SQLITE_STATIC);
	if (fact == STORE_SLO_STAGE_LATENCY || fact == STORE_SLO_PROBE_LATENCY)
		sqlite3_bind_int64(stmt, 5, threshold_ms);
	return store_slo_rows(ss, stmt, fn, ctx, "count of facts");
}

int
store_slo_deadline_met(struct store_slo *ss, const char *pipeline,
		       const char *date, int64_t by_ms, int *found)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_DEADLINE_MET);
	int rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, pipeline, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, by_ms);

	if (sqlite3_step(stmt) == SQLITE_ROW)
		*found = sqlite3_column_int(stmt, 0) != 0;
	else
		rc = store_slo_fail(ss->db, "check of a deadline");
	sqlite3_reset(stmt);
	return rc;
}

int
store_slo_first_run(struct store_slo *ss, const char *pipeline,
		    int64_t *started)
{
	sqlite3_stmt *stmt = store_slo_stmt(ss, SS_FIRST_RUN);
	int step, rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_text(stmt, 1, pipeline, -1, SQLITE_STATIC);

	*started = -1;
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*started = sqlite3_column_int64(stmt, 0);
	else if (step != SQLITE_DONE)
		rc = store_slo_fail(ss->db, "read of the first run");
	sqlite3_reset(stmt);
	return rc;
}

/* Reads column i as a figure: NULL is missing. */
static struct slo_num
store_slo_column_num(sqlite3_stmt *stmt, int i)
{
	struct slo_num num = { 0, 0.0 };

	if (sqlite3_column_type(stmt, i) != SQLITE_NULL) {
		num.known = 1;
		num.value = sqlite3_column_double(stmt, i);
	}
	return num;
}

/* Reads the columns of EVAL_COLUMNS into a point. */
static void
store_slo_read_point(sqlite3_stmt *stmt, struct slo_point *p)
{
	const unsigned char *state = sqlite3_column_text(stmt, 1);
	int i;

	p->minute = sqlite3_column_int64(stmt, 0);
	if (state == NULL ||
	    slo_state_parse((const char *)state, &p->state) != WK_OK)
		p->state = SLO_STATE_DATA_ERROR;
	p->good = sqlite3_column_int64(stmt, 2);
	p->total = sqlite3_column_int64(stmt, 3);
	p->sli = store_slo_column_num(stmt, 4);
	p->budget_remaining = store_slo_column_num(stmt, 7);
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		p->burn[i] = store_slo_column_num(stmt, 8 + i);
}

int
store_slo_eval_latest(struct store *st, const char *slo,
		      struct slo_status *out)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct slo_point p;
	const unsigned char *detail;
	int step, rc = WK_ERR_NOTFOUND;

	if (sqlite3_prepare_v2(db, "SELECT " EVAL_COLUMNS " FROM "
	    "slo_evaluations WHERE slo = ?1 ORDER BY minute DESC LIMIT 1",
	    -1, &stmt, NULL) != SQLITE_OK)
		return store_slo_fail(db, "prepare");
	sqlite3_bind_text(stmt, 1, slo, -1, SQLITE_STATIC);

	memset(out, 0, sizeof *out);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		store_slo_read_point(stmt, &p);
		snprintf(out->name, sizeof out->name, "%s", slo);
		out->minute = p.minute;
		out->state = p.state;
		out->good = p.good;
		out->total = p.total;
		out->sli = p.sli;
		out->budget_total = store_slo_column_num(stmt, 5);
		out->budget_consumed = store_slo_column_num(stmt, 6);
		out->budget_remaining = p.budget_remaining;
		out->budget_exhausted = p.budget_remaining.known &&
		    p.budget_remaining.value <= 0.0;
		memcpy(out->burn, p.burn, sizeof out->burn);
		detail = sqlite3_column_text(stmt, 15);
		snprintf(out->detail, sizeof out->detail, "%s",
		    detail != NULL ? (const char *)detail : "");
		rc = WK_OK;
	} else if (step != SQLITE_DONE) {
		rc = store_slo_fail(db, "read of an evaluation");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_slo_eval_series(struct store *st, const char *slo, int64_t from,
		      int64_t to, int64_t step, struct slo_point *out,
		      size_t max, size_t *n)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = WK_OK, s = SQLITE_DONE;

	*n = 0;
	if (step < 1)
		return WK_ERR_INVALID;
	if (sqlite3_prepare_v2(db, "SELECT " EVAL_COLUMNS " FROM "
	    "slo_evaluations WHERE slo = ?1 AND minute BETWEEN ?2 AND ?3 "
	    "AND (minute - ?2) % ?4 = 0 ORDER BY minute LIMIT ?5", -1, &stmt,
	    NULL) != SQLITE_OK)
		return store_slo_fail(db, "prepare");
	store_slo_bind_range(stmt, slo, from, to);
	sqlite3_bind_int64(stmt, 4, step);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)max);

	while (*n < max && (s = sqlite3_step(stmt)) == SQLITE_ROW)
		store_slo_read_point(stmt, &out[(*n)++]);
	if (*n < max && s != SQLITE_DONE)
		rc = store_slo_fail(db, "read of evaluations");
	sqlite3_finalize(stmt);
	return rc;
}
