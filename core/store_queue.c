#include "store_queue.h"

#include <stdio.h>
#include <sqlite3.h>

static const char sql_add[] =
    "INSERT INTO run_queue (pipeline, logical_date, trigger, scheduled_at, "
    "queued_at) VALUES (?1, ?2, ?3, ?4, ?5)";

static const char sql_remove[] = "DELETE FROM run_queue WHERE id = ?1";

static const char sql_drop[] = "DELETE FROM run_queue WHERE pipeline = ?1";

static const char sql_exists[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
    "AND name = 'run_queue'";

static const char sql_list[] =
    "SELECT id, pipeline, logical_date, trigger, scheduled_at, queued_at "
    "FROM run_queue WHERE ?1 IS NULL OR pipeline = ?1 ORDER BY id LIMIT ?2";

static const char sql_running[] =
    "SELECT count(*) FROM runs WHERE pipeline = ?1 AND logical_date = ?2 "
    "AND state = 'running' AND (?3 = 0 OR coalesce(scheduled_at, 0) = 0 "
    "OR scheduled_at = ?3)";

/*
 * Runs one prepared write to completion. It joins the transaction of the
 * buffered log lines, which store_flush_unless_grouped() commits at once
 * outside a group and the group's end commits inside one.
 */
static int
store_queue_write(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc;

	rc = store_batch_begin(st);
	if (rc != WK_OK)
		return rc;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		return store_sql_fail(st, what);
	return store_flush_unless_grouped(st);
}

static void
store_queue_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

int
store_queue_add(struct store *st, const char *pipeline,
		const char *logical_date, const char *trigger,
		int64_t scheduled_at, int64_t queued_at, int64_t *id)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql_add, &stmt);
	if (rc != WK_OK)
		return rc;

	store_queue_bind_text(stmt, 1, pipeline);
	store_queue_bind_text(stmt, 2, logical_date);
	store_queue_bind_text(stmt, 3, trigger);
	sqlite3_bind_int64(stmt, 4, scheduled_at);
	sqlite3_bind_int64(stmt, 5, queued_at);
	rc = store_queue_write(st, stmt, "queue a run");
	if (rc == WK_OK)
		*id = sqlite3_last_insert_rowid(store_sqlite(st));
	sqlite3_finalize(stmt);
	return rc;
}

int
store_queue_remove(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql_remove, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, id);
	rc = store_queue_write(st, stmt, "remove a queued run");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_queue_drop_pipeline(struct store *st, const char *pipeline,
			  size_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	*count = 0;
	rc = store_sql_prepare(st, sql_drop, &stmt);
	if (rc != WK_OK)
		return rc;

	store_queue_bind_text(stmt, 1, pipeline);
	rc = store_queue_write(st, stmt, "drop the queued runs of a pipeline");
	if (rc == WK_OK)
		*count = (size_t)sqlite3_changes(store_sqlite(st));
	sqlite3_finalize(stmt);
	return rc;
}

/* Sets *exists to 1 when the store has the run_queue table. */
static int
store_queue_exists(struct store *st, int *exists)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql_exists, &stmt);
	if (rc != WK_OK)
		return rc;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		*exists = sqlite3_column_int(stmt, 0) > 0;
	else
		rc = store_sql_fail(st, "look for the run queue");
	sqlite3_finalize(stmt);
	return rc;
}

static void
store_queue_copy(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

static void
store_queue_row(sqlite3_stmt *stmt, struct store_queued_run *run)
{
	run->id = sqlite3_column_int64(stmt, 0);
	store_queue_copy(run->pipeline, sizeof run->pipeline, stmt, 1);
	store_queue_copy(run->logical_date, sizeof run->logical_date, stmt, 2);
	store_queue_copy(run->trigger, sizeof run->trigger, stmt, 3);
	run->scheduled_at = sqlite3_column_int64(stmt, 4);
	run->queued_at = sqlite3_column_int64(stmt, 5);
}

int
store_queue_list(struct store *st, const char *pipeline,
		 struct store_queued_run *runs, size_t max, size_t *count)
{
	sqlite3_stmt *stmt;
	int exists = 0, rc, step;

	*count = 0;
	rc = store_queue_exists(st, &exists);
	if (rc != WK_OK || !exists || max == 0)
		return rc;
	rc = store_sql_prepare(st, sql_list, &stmt);
	if (rc != WK_OK)
		return rc;

	store_queue_bind_text(stmt, 1, pipeline);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		store_queue_row(stmt, &runs[(*count)++]);
	if (step != SQLITE_DONE)
		rc = store_sql_fail(st, "read the run queue");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_queue_running_date(struct store *st, const char *pipeline,
			 const char *logical_date, int64_t scheduled_at,
			 int *found)
{
	sqlite3_stmt *stmt;
	int rc;

	*found = 0;
	rc = store_sql_prepare(st, sql_running, &stmt);
	if (rc != WK_OK)
		return rc;

	store_queue_bind_text(stmt, 1, pipeline);
	store_queue_bind_text(stmt, 2, logical_date);
	sqlite3_bind_int64(stmt, 3, scheduled_at);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*found = sqlite3_column_int(stmt, 0) > 0;
	else
		rc = store_sql_fail(st, "look for a run in progress");
	sqlite3_finalize(stmt);
	return rc;
}
