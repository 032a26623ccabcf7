#include "store_retry.h"

#include <sqlite3.h>
#include <stdio.h>

static const char sql_drop[] =
    "DELETE FROM stage_runs WHERE id = ?1 AND state = 'retry_wait'";

static const char sql_before[] =
    "SELECT b.id, coalesce(b.reason, '') FROM stage_runs p "
    "JOIN stage_runs b ON b.run_id = p.run_id AND b.stage = p.stage "
    "AND b.attempt = p.attempt - 1 WHERE p.id = ?1";

static const char sql_reason[] =
    "UPDATE stage_runs SET reason = ?2 WHERE id = ?1";

/* Runs one statement with an id and an optional text parameter. */
static int
store_retry_exec(struct store *st, const char *sql, int64_t id,
		 const char *text, const char *what)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_sql_prepare(st, sql, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, id);
	if (text != NULL)
		sqlite3_bind_text(stmt, 2, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sql_fail(st, what);
	sqlite3_finalize(stmt);
	return rc;
}

int
store_stage_attempt_before(struct store *st, int64_t planned_id,
			   int64_t *failed_id, char *reason, size_t size)
{
	sqlite3_stmt *stmt;
	int rc, step;

	rc = store_sql_prepare(st, sql_before, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, planned_id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*failed_id = sqlite3_column_int64(stmt, 0);
		snprintf(reason, size, "%s",
		    (const char *)sqlite3_column_text(stmt, 1));
	} else {
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_sql_fail(st, "find the attempt before a planned one");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_stage_drop_planned(struct store *st, int64_t planned_id,
			 int64_t failed_id, const char *reason)
{
	int rc, end_rc;

	/* The group makes both writes one transaction, committed at its
	   end unless an outer group is open. */
	store_group_begin(st);
	rc = store_batch_begin(st);
	if (rc == WK_OK)
		rc = store_retry_exec(st, sql_drop, planned_id, NULL,
		    "drop a planned attempt");
	if (rc == WK_OK)
		rc = store_retry_exec(st, sql_reason, failed_id, reason,
		    "set the reason of a failed attempt");
	end_rc = store_group_end(st);
	return rc != WK_OK ? rc : end_rc;
}
