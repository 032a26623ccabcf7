#include "core/store_view.h"

#include <sqlite3.h>
#include <stdio.h>

#include "core/i18n.h"
#include "core/log.h"

static const char sql_probe_series[] =
    "SELECT at, ok, coalesce(latency_ms, -1) FROM (SELECT * FROM "
    "probe_results WHERE probe = ?1 ORDER BY at DESC LIMIT ?2) ORDER BY at";

/* A later attempt of the same stage hides an earlier one. */
static const char sql_stage_grid[] =
    "SELECT s.run_id, s.stage, s.state, s.attempt, "
    "coalesce(s.duration_ms, -1) FROM stage_runs s "
    "JOIN runs r ON r.id = s.run_id WHERE r.pipeline = ?1 AND r.id >= ?2 "
    "AND NOT EXISTS (SELECT 1 FROM stage_runs t WHERE t.run_id = s.run_id "
    "AND t.stage = s.stage AND t.attempt > s.attempt) "
    "ORDER BY s.run_id, s.id LIMIT ?3";

static const char sql_signatures[] =
    "SELECT g.signature, g.sample, h.count, g.count, h.first_at, h.last_at "
    "FROM log_signature_hits h JOIN log_signatures g ON g.id = h.signature_id "
    "WHERE h.stage_run_id = ?1 ORDER BY h.count DESC, g.id LIMIT ?2";

static void
view_copy(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

/*
 * Steps stmt, calling read_row for up to max rows, then finalizes it.
 * Returns WK_OK or a store error.
 */
static int
view_read(struct store *st, sqlite3_stmt *stmt, size_t max, size_t *count,
	  void (*read_row)(sqlite3_stmt *, void *, size_t), void *rows,
	  const char *what)
{
	int step = SQLITE_DONE, rc = WK_OK;

	*count = 0;
	while (*count < max && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		read_row(stmt, rows, *count);
		(*count)++;
	}
	if (*count < max && step != SQLITE_DONE)
		rc = store_sql_fail(st, what);
	sqlite3_finalize(stmt);
	return rc;
}

int
store_view_begin(struct store *st)
{
	sqlite3 *db = store_sqlite(st);

	if (sqlite3_get_autocommit(db) == 0)
		return WK_OK;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_sql_fail(st, "begin a read");
	return WK_OK;
}

void
store_view_end(struct store *st)
{
	sqlite3 *db = store_sqlite(st);

	if (sqlite3_get_autocommit(db) == 0 &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		store_sql_fail(st, "end a read");
}

static void
view_probe_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_view_probe_point *p =
	    (struct store_view_probe_point *)rows + i;

	p->at = sqlite3_column_int64(stmt, 0);
	p->ok = sqlite3_column_int(stmt, 1);
	p->latency_ms = sqlite3_column_double(stmt, 2);
}

int
store_view_probe_series(struct store *st, const char *probe,
			struct store_view_probe_point *out, size_t max,
			size_t *count)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	*count = 0;
	rc = store_sql_prepare(st, sql_probe_series, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	return view_read(st, stmt, max, count, view_probe_row, out,
	    "read probe results");
}

static void
view_cell_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_view_cell *c = (struct store_view_cell *)rows + i;

	c->run_id = sqlite3_column_int64(stmt, 0);
	view_copy(c->stage, sizeof c->stage, stmt, 1);
	view_copy(c->state, sizeof c->state, stmt, 2);
	c->attempt = sqlite3_column_int(stmt, 3);
	c->duration_ms = sqlite3_column_int64(stmt, 4);
}

int
store_view_stage_grid(struct store *st, const char *pipeline,
		      int64_t min_run_id, struct store_view_cell *out,
		      size_t max, size_t *count)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	*count = 0;
	rc = store_sql_prepare(st, sql_stage_grid, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_text(stmt, 1, pipeline, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, min_run_id);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	return view_read(st, stmt, max, count, view_cell_row, out,
	    "read stage runs");
}

static void
view_signature_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_view_signature *s =
	    (struct store_view_signature *)rows + i;

	view_copy(s->signature, sizeof s->signature, stmt, 0);
	view_copy(s->sample, sizeof s->sample, stmt, 1);
	s->count = sqlite3_column_int64(stmt, 2);
	s->total = sqlite3_column_int64(stmt, 3);
	s->first_at = sqlite3_column_int64(stmt, 4);
	s->last_at = sqlite3_column_int64(stmt, 5);
}

int
store_view_signatures(struct store *st, int64_t stage_run_id,
		      struct store_view_signature *out, size_t max,
		      size_t *count)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	*count = 0;
	rc = store_sql_prepare(st, sql_signatures, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	return view_read(st, stmt, max, count, view_signature_row, out,
	    "read error signatures");
}
