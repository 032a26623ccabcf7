#include "store_logpos.h"

#include <sqlite3.h>

static const char sql_set[] =
    "INSERT INTO log_file_offsets (stage_run_id, stream, stored_bytes, "
    "stored_lines) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (stage_run_id, stream) DO UPDATE SET "
    "stored_bytes = excluded.stored_bytes, "
    "stored_lines = excluded.stored_lines";

static const char sql_get[] =
    "SELECT stored_bytes, stored_lines FROM log_file_offsets "
    "WHERE stage_run_id = ?1 AND stream = ?2";

int
store_logpos_set(struct store *st, int64_t stage_run_id,
		 enum store_stream stream, int64_t stored_bytes,
		 int64_t stored_lines)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = store_batch_begin(st);
	if (rc != WK_OK)
		return rc;
	rc = store_sql_prepare(st, sql_set, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, (int)stream);
	sqlite3_bind_int64(stmt, 3, stored_bytes);
	sqlite3_bind_int64(stmt, 4, stored_lines);
	rc = store_batch_step(st, stmt,
	    "store the read position of a log file");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_logpos_get(struct store *st, int64_t stage_run_id,
		 enum store_stream stream, int64_t *stored_bytes,
		 int64_t *stored_lines)
{
	sqlite3_stmt *stmt;
	int rc, step;

	rc = store_sql_prepare(st, sql_get, &stmt);
	if (rc != WK_OK)
		return rc;

	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, (int)stream);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*stored_bytes = sqlite3_column_int64(stmt, 0);
		*stored_lines = sqlite3_column_int64(stmt, 1);
	} else {
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_sql_fail(st, "read the read position of a log file");
	}
	sqlite3_finalize(stmt);
	return rc;
}
