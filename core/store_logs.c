#include "store_logs.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/log.h"

#define LOG_ROW_COLUMNS \
	"stream, line_no, at, is_error, coalesce(dropped_lines, -1), " \
	"coalesce(dropped_bytes, 0), text"

/* Lines of the query; ?1 stage run, ?2 stream, ?3 errors, ?4 ?5 after. */
#define LOG_ROW_FILTER \
	"FROM log_lines WHERE stage_run_id = ?1 AND (?2 = 0 OR stream = ?2) " \
	"AND (?3 = 0 OR is_error OR dropped_lines IS NOT NULL) " \
	"AND ((stream = 1 AND line_no > ?4) OR (stream = 2 AND line_no > ?5)) "

static const char sql_marker[] =
    "INSERT OR REPLACE INTO log_lines (stage_run_id, stream, line_no, at, "
    "text, is_error, dropped_lines, dropped_bytes) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)";

static const char sql_clear_after[] =
    "DELETE FROM log_lines WHERE stage_run_id = ?1 AND stream = ?2 "
    "AND line_no > ?3";

static const char sql_signature_add[] =
    "INSERT INTO log_signatures (pipeline, stage, signature, count, "
    "first_seen, last_seen, sample, last_stage_run_id) "
    "SELECT r.pipeline, s.stage, ?2, ?3, ?4, ?5, ?6, s.id "
    "FROM stage_runs s JOIN runs r ON r.id = s.run_id WHERE s.id = ?1 "
    "ON CONFLICT (pipeline, stage, signature) DO UPDATE SET "
    "count = count + excluded.count, "
    "first_seen = min(first_seen, excluded.first_seen), "
    "last_seen = max(last_seen, excluded.last_seen), "
    "sample = excluded.sample, "
    "last_stage_run_id = excluded.last_stage_run_id";

static const char sql_hit_add[] =
    "INSERT INTO log_signature_hits (signature_id, stage_run_id, count, "
    "first_at, last_at) "
    "SELECT g.id, s.id, ?3, ?4, ?5 FROM stage_runs s "
    "JOIN runs r ON r.id = s.run_id JOIN log_signatures g "
    "ON g.pipeline = r.pipeline AND g.stage = s.stage AND g.signature = ?2 "
    "WHERE s.id = ?1 "
    "ON CONFLICT (signature_id, stage_run_id) DO UPDATE SET "
    "count = count + excluded.count, "
    "first_at = min(first_at, excluded.first_at), "
    "last_at = max(last_at, excluded.last_at)";

static const char sql_find[] =
    "SELECT s.run_id, s.id, s.attempt, r.pipeline, s.stage, s.state "
    "FROM stage_runs s JOIN runs r ON r.id = s.run_id "
    "WHERE r.pipeline = ?1 AND s.stage = ?2 AND (?3 = 0 OR s.run_id = ?3) "
    "AND (?4 = 0 OR s.attempt = ?4) "
    "ORDER BY s.run_id DESC, s.attempt DESC LIMIT 1";

static const char sql_state[] =
    "SELECT state FROM stage_runs WHERE id = ?1";

static const char sql_pipelines[] =
    "SELECT DISTINCT pipeline FROM runs ORDER BY pipeline LIMIT ?1";

static const char sql_stages[] =
    "SELECT DISTINCT s.stage FROM stage_runs s JOIN runs r "
    "ON r.id = s.run_id WHERE r.pipeline = ?2 ORDER BY s.stage LIMIT ?1";

static const char sql_read[] =
    "SELECT " LOG_ROW_COLUMNS " " LOG_ROW_FILTER
    "ORDER BY at, stream, line_no LIMIT ?6";

/*
 * Per stream, the first line number among the last ?6 rows of the query,
 * or, for a stream without any of them, one past its last line number.
 */
static const char sql_seek_last[] =
    "SELECT v.stream, coalesce((SELECT min(line_no) FROM (SELECT stream, "
    "line_no " LOG_ROW_FILTER "ORDER BY at DESC, stream DESC, line_no DESC "
    "LIMIT ?6) t WHERE t.stream = v.stream), (SELECT coalesce(max(line_no), "
    "0) + 1 FROM log_lines WHERE stage_run_id = ?1 AND stream = v.stream)) "
    "FROM (SELECT 1 AS stream UNION ALL SELECT 2) v";

/*
 * ?1 window start (0: all time), ?2 pipeline or NULL, ?3 limit.
 * NOTE: the window works on whole stage runs: a stage run whose last error
 * of a signature falls in the window counts all its errors of it.
 */
static const char sql_top[] =
    "SELECT g.pipeline, g.stage, g.signature, g.sample, "
    "CASE WHEN ?1 > 0 THEN coalesce(sum(h.count), 0) ELSE g.count END, "
    "g.count, count(h.stage_run_id), g.first_seen, g.last_seen, "
    "coalesce(g.last_stage_run_id, 0), coalesce((SELECT run_id FROM "
    "stage_runs WHERE id = g.last_stage_run_id), 0) "
    "FROM log_signatures g LEFT JOIN log_signature_hits h "
    "ON h.signature_id = g.id AND h.last_at >= ?1 "
    "WHERE (?2 IS NULL OR g.pipeline = ?2) AND g.last_seen >= ?1 "
    "GROUP BY g.id HAVING ?1 <= 0 OR count(h.stage_run_id) > 0 "
    "ORDER BY 5 DESC, g.last_seen DESC LIMIT ?3";

/*
 * Runs a prepared write to completion, kept for a retry should the
 * commit fail, and finalizes it.
 */
static int
logs_write(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = store_batch_step(st, stmt, what);

	sqlite3_finalize(stmt);
	return rc;
}

/* Prepares a write inside the open log-line transaction. */
static int
logs_begin_write(struct store *st, const char *sql, sqlite3_stmt **stmt)
{
	int rc = store_batch_begin(st);

	if (rc != WK_OK)
		return rc;
	return store_sql_prepare(st, sql, stmt);
}

int
store_logs_marker(struct store *st, int64_t stage_run_id,
		  enum store_stream stream, int64_t line_no, int64_t at,
		  int64_t dropped_lines, int64_t dropped_bytes)
{
	sqlite3_stmt *stmt;
	char text[128];
	int rc;

	rc = logs_begin_write(st, sql_marker, &stmt);
	if (rc != WK_OK)
		return rc;

	/* Plain text for SQL readers; watchkeep shows its own words. */
	snprintf(text, sizeof text, "[%lld lines (%lld bytes) not stored]",
	    (long long)dropped_lines, (long long)dropped_bytes);
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, (int)stream);
	sqlite3_bind_int64(stmt, 3, line_no);
	sqlite3_bind_int64(stmt, 4, at);
	sqlite3_bind_text(stmt, 5, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 6, dropped_lines);
	sqlite3_bind_int64(stmt, 7, dropped_bytes);
	return logs_write(st, stmt, "store a truncation marker");
}

int
store_logs_clear_after(struct store *st, int64_t stage_run_id,
		       enum store_stream stream, int64_t after_line)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = logs_begin_write(st, sql_clear_after, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, (int)stream);
	sqlite3_bind_int64(stmt, 3, after_line);
	return logs_write(st, stmt, "replace the stored tail");
}

/* Binds the arguments both signature statements share. */
static void
logs_bind_signature(sqlite3_stmt *stmt, int64_t stage_run_id,
		    const char *signature, int64_t count, int64_t first_at,
		    int64_t last_at)
{
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_text(stmt, 2, signature, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 3, count);
	sqlite3_bind_int64(stmt, 4, first_at);
	sqlite3_bind_int64(stmt, 5, last_at);
}

int
store_logs_signature_add(struct store *st, int64_t stage_run_id,
			 const char *signature, const char *sample,
			 int64_t count, int64_t first_at, int64_t last_at)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = logs_begin_write(st, sql_signature_add, &stmt);
	if (rc != WK_OK)
		return rc;
	logs_bind_signature(stmt, stage_run_id, signature, count, first_at,
	    last_at);
	sqlite3_bind_text(stmt, 6, sample, -1, SQLITE_TRANSIENT);
	rc = logs_write(st, stmt, "count an error signature");
	if (rc != WK_OK)
		return rc;

	rc = store_sql_prepare(st, sql_hit_add, &stmt);
	if (rc != WK_OK)
		return rc;
	logs_bind_signature(stmt, stage_run_id, signature, count, first_at,
	    last_at);
	return logs_write(st, stmt, "count an error signature");
}

static void
logs_copy_text(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

/*
 * Steps a read, calling read_row for up to max rows, and finalizes it.
 * Sets *count to the rows read.
 */
static int
logs_read_rows(struct store *st, sqlite3_stmt *stmt, size_t max,
	       size_t *count, void (*read_row)(sqlite3_stmt *, void *, size_t),
	       void *rows)
{
	int step = SQLITE_DONE, rc = WK_OK;

	*count = 0;
	while (*count < max && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		read_row(stmt, rows, *count);
		(*count)++;
	}
	if (*count < max && step != SQLITE_DONE)
		rc = store_sql_fail(st, "read");
	sqlite3_finalize(stmt);
	return rc;
}

static void
logs_read_target(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_logs_target *t = (struct store_logs_target *)rows + i;

	t->run_id = sqlite3_column_int64(stmt, 0);
	t->stage_run_id = sqlite3_column_int64(stmt, 1);
	t->attempt = sqlite3_column_int(stmt, 2);
	logs_copy_text(t->pipeline, sizeof t->pipeline, stmt, 3);
	logs_copy_text(t->stage, sizeof t->stage, stmt, 4);
	logs_copy_text(t->state, sizeof t->state, stmt, 5);
}

int
store_logs_find(struct store *st, const char *pipeline, const char *stage,
		int64_t run_id, int attempt, struct store_logs_target *out)
{
	sqlite3_stmt *stmt;
	size_t n = 0;
	int rc;

	rc = store_sql_prepare(st, sql_find, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, pipeline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, stage, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 3, run_id);
	sqlite3_bind_int(stmt, 4, attempt);

	rc = logs_read_rows(st, stmt, 1, &n, logs_read_target, out);
	if (rc == WK_OK && n == 0)
		rc = WK_ERR_NOTFOUND;
	return rc;
}

static void
logs_read_state(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_logs_target *t = (struct store_logs_target *)rows + i;

	logs_copy_text(t->state, sizeof t->state, stmt, 0);
}

int
store_logs_state(struct store *st, int64_t stage_run_id, char *state,
		 size_t size)
{
	struct store_logs_target t;
	sqlite3_stmt *stmt;
	size_t n = 0;
	int rc;

	rc = store_sql_prepare(st, sql_state, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	rc = logs_read_rows(st, stmt, 1, &n, logs_read_state, &t);
	if (rc == WK_OK && n == 0)
		rc = WK_ERR_NOTFOUND;
	if (rc == WK_OK)
		snprintf(state, size, "%s", t.state);
	return rc;
}

static void
logs_read_name(sqlite3_stmt *stmt, void *rows, size_t i)
{
	char (*names)[STORE_NAME_MAX] = rows;

	logs_copy_text(names[i], STORE_NAME_MAX, stmt, 0);
}

int
store_logs_pipelines(struct store *st, char (*names)[STORE_NAME_MAX],
		     size_t max, size_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql_pipelines, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	return logs_read_rows(st, stmt, max, count, logs_read_name, names);
}

int
store_logs_stages(struct store *st, const char *pipeline,
		  char (*names)[STORE_NAME_MAX], size_t max, size_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql_stages, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	sqlite3_bind_text(stmt, 2, pipeline, -1, SQLITE_TRANSIENT);
	return logs_read_rows(st, stmt, max, count, logs_read_name, names);
}

static void
logs_read_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_logs_row *r = (struct store_logs_row *)rows + i;

	r->stream = sqlite3_column_int(stmt, 0);
	r->line_no = sqlite3_column_int64(stmt, 1);
	r->at = sqlite3_column_int64(stmt, 2);
	r->is_error = sqlite3_column_int(stmt, 3);
	r->dropped_lines = sqlite3_column_int64(stmt, 4);
	r->dropped_bytes = sqlite3_column_int64(stmt, 5);
	logs_copy_text(r->text, sizeof r->text, stmt, 6);
}

static int
logs_read_query(struct store *st, const char *sql,
		const struct store_logs_query *q, struct store_logs_row *rows,
		size_t max, size_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, q->stage_run_id);
	sqlite3_bind_int(stmt, 2, q->stream);
	sqlite3_bind_int(stmt, 3, q->errors_only != 0);
	sqlite3_bind_int64(stmt, 4, q->after[STORE_STDOUT]);
	sqlite3_bind_int64(stmt, 5, q->after[STORE_STDERR]);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)max);
	return logs_read_rows(st, stmt, max, count, logs_read_row, rows);
}

int
store_logs_read(struct store *st, const struct store_logs_query *q,
		struct store_logs_row *rows, size_t max, size_t *count)
{
	return logs_read_query(st, sql_read, q, rows, max, count);
}

static void
logs_read_first_line(sqlite3_stmt *stmt, void *rows, size_t i)
{
	int64_t *first = rows;

	(void)i;
	if (sqlite3_column_int(stmt, 0) == STORE_STDOUT)
		first[STORE_STDOUT] = sqlite3_column_int64(stmt, 1);
	else
		first[STORE_STDERR] = sqlite3_column_int64(stmt, 1);
}

int
store_logs_seek_last(struct store *st, struct store_logs_query *q, int64_t n)
{
	int64_t first[3] = { 0, 1, 1 };
	sqlite3_stmt *stmt;
	size_t count;
	int rc;

	rc = store_sql_prepare(st, sql_seek_last, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, q->stage_run_id);
	sqlite3_bind_int(stmt, 2, q->stream);
	sqlite3_bind_int(stmt, 3, q->errors_only != 0);
	sqlite3_bind_int64(stmt, 4, 0);
	sqlite3_bind_int64(stmt, 5, 0);
	sqlite3_bind_int64(stmt, 6, n);
	rc = logs_read_rows(st, stmt, 2, &count, logs_read_first_line, first);
	if (rc != WK_OK)
		return rc;

	q->after[STORE_STDOUT] = first[STORE_STDOUT] - 1;
	q->after[STORE_STDERR] = first[STORE_STDERR] - 1;
	return WK_OK;
}

static void
logs_read_signature(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_logs_signature *g = (struct store_logs_signature *)rows +
	    i;

	logs_copy_text(g->pipeline, sizeof g->pipeline, stmt, 0);
	logs_copy_text(g->stage, sizeof g->stage, stmt, 1);
	logs_copy_text(g->signature, sizeof g->signature, stmt, 2);
	logs_copy_text(g->sample, sizeof g->sample, stmt, 3);
	g->count = sqlite3_column_int64(stmt, 4);
	g->total = sqlite3_column_int64(stmt, 5);
	g->stage_runs = sqlite3_column_int64(stmt, 6);
	g->first_seen = sqlite3_column_int64(stmt, 7);
	g->last_seen = sqlite3_column_int64(stmt, 8);
	g->last_stage_run_id = sqlite3_column_int64(stmt, 9);
	g->last_run_id = sqlite3_column_int64(stmt, 10);
}

int
store_logs_signatures_top(struct store *st, int64_t since_ms,
			  const char *pipeline,
			  struct store_logs_signature *rows, size_t max,
			  size_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql_top, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, since_ms);
	if (pipeline != NULL)
		sqlite3_bind_text(stmt, 2, pipeline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	return logs_read_rows(st, stmt, max, count, logs_read_signature, rows);
}
