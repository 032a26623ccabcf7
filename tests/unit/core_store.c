/* Unit tests of the store: migrations, writes, reads, read-only access. */
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

#include "core/store.h"
#include "core/store_schema.h"
#include "store_tmp.h"

static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("store-test", log_min_level);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

static void
remove_db(void)
{
	char path[320];

	unlink(db_path);
	unlink(wal_path);
	snprintf(path, sizeof path, "%s-shm", db_path);
	unlink(path);
}

static void
migrate_empty_store(void **state)
{
	struct store *st = NULL;
	struct wk_err err;
	int version = -1;

	(void)state;
	remove_db();
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_version(st, &version), WK_OK);
	assert_int_equal(version, store_latest_version());
	assert_true(store_latest_version() >= 2);
	store_close(st);
}

/* A store left at schema version 1 keeps its rows across the migration. */
static void
migrate_older_store_keeps_rows(void **state)
{
	struct store *st = NULL;
	struct store_run run;
	struct store_log_line line;
	struct wk_err err;
	sqlite3 *db;
	int version = -1;

	(void)state;
	remove_db();
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_schema_migration(1), NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO runs VALUES (7, 'churn', '1997-09-30', 'once', "
	    "'failed', 1000, 2000, 1000, 'stage train failed');"
	    "INSERT INTO stage_runs (id, run_id, stage, attempt, state, "
	    "exit_code) VALUES (70, 7, 'train', 1, 'failed', 3);"
	    "INSERT INTO log_lines VALUES (70, 2, 1, 1500, 'boom', 1);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_version(st, &version), WK_OK);
	assert_int_equal(version, store_latest_version());
	assert_int_equal(store_run_get(st, 7, &run), WK_OK);
	assert_string_equal(run.pipeline, "churn");
	assert_string_equal(run.reason, "stage train failed");
	assert_int_equal(store_log_last(st, 70, STORE_STDERR, &line), WK_OK);
	assert_string_equal(line.text, "boom");
	assert_int_equal(line.is_error, 1);
	/* The tables of later migrations work with the old rows. */
	assert_int_equal(store_metric_set(st, 70, "auc", 0.5, 3000), WK_OK);
	assert_int_equal(store_output_add(st, 70, "/tmp/x", 1, 1), WK_OK);
	store_close(st);
}

static void
reject_newer_store(void **state)
{
	struct store *st = NULL;
	struct wk_err err;
	sqlite3 *db;

	(void)state;
	remove_db();
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE keep (x);"
	    "INSERT INTO keep VALUES (42); PRAGMA user_version = 999;", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, "999"));
	assert_non_null(strstr(err.msg, "newer"));

	/* The file was not touched. */
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	{
		sqlite3_stmt *stmt;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM keep", -1,
		    &stmt, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(stmt, 0), 42);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
}

static void
reject_file_not_database(void **state)
{
	struct store *st = NULL;
	struct wk_err err;
	FILE *f;

	(void)state;
	remove_db();
	f = fopen(db_path, "w");
	assert_non_null(f);
	fputs("this is not a SQLite database, just text that is long enough "
	    "to fill a header of one hundred bytes and then some more text\n",
	    f);
	fclose(f);
	assert_int_not_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_true(strlen(err.msg) > 0);
}

static void
write_and_read_run(void **state)
{
	struct store *st = NULL, *ro = NULL;
	struct store_stage_run stages[4], end;
	struct store_metric metrics[4];
	struct store_log_line lines[4];
	struct store_run runs[2];
	struct wk_err err;
	int64_t run_id, a, b;
	size_t n;

	(void)state;
	remove_db();
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_run_insert(st, "churn", "2026-12-04", "once",
	    1000, &run_id), WK_OK);
	assert_int_equal(store_stage_insert(st, run_id, "ingest", 1,
	    STORE_STAGE_PENDING, NULL, &a), WK_OK);
	assert_int_equal(store_stage_insert(st, run_id, "train", 1,
	    STORE_STAGE_PENDING, NULL, &b), WK_OK);
	assert_int_equal(store_stage_start(st, a, 4242, 99, 1100), WK_OK);
	assert_int_equal(store_log_append(st, a, STORE_STDOUT, 1, 1200,
	    "hello", 5, 0), WK_OK);
	assert_int_equal(store_log_append(st, a, STORE_STDERR, 1, 1201,
	    "ERROR: bad", 10, 1), WK_OK);
	assert_int_equal(store_metric_set(st, a, "rows_in", 69659, 1300),
	    WK_OK);
	memset(&end, 0, sizeof end);
	end.id = a;
	strcpy(end.state, STORE_STAGE_SUCCEEDED);
	end.ended_at = 2000;
	end.duration_ms = 900;
	end.exit_code = 0;
	end.user_cpu_ms = 10;
	end.sys_cpu_ms = 5;
	end.max_rss_kb = 2048;
	assert_int_equal(store_stage_finish(st, &end), WK_OK);
	assert_int_equal(store_run_finish(st, run_id, STORE_RUN_SUCCEEDED,
	    2100, 1100, NULL), WK_OK);

	/* A reader sees everything the writer committed. */
	assert_int_equal(store_open(db_path, STORE_READ_ONLY, &ro, &err),
	    WK_OK);
	assert_int_equal(store_runs_recent(ro, NULL, runs, 2, &n), WK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].state, STORE_RUN_SUCCEEDED);
	assert_int_equal(runs[0].duration_ms, 1100);
	assert_int_equal(store_stage_runs_latest(ro, run_id, stages, 4, &n),
	    WK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(stages[0].stage, "ingest");
	assert_int_equal(stages[0].pid, 4242);
	assert_int_equal(stages[0].exit_code, 0);
	assert_int_equal(stages[0].max_rss_kb, 2048);
	assert_string_equal(stages[1].stage, "train");
	assert_string_equal(stages[1].state, STORE_STAGE_PENDING);
	assert_int_equal(store_metrics_get(ro, a, metrics, 4, &n), WK_OK);
	assert_int_equal(n, 1);
	assert_true(metrics[0].value == 69659.0);
	assert_int_equal(store_log_lines_get(ro, a, 0, 1, 0, lines, 4, &n),
	    WK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(lines[0].text, "ERROR: bad");

	/* A reader cannot write. */
	assert_int_not_equal(store_metric_set(ro, a, "x", 1, 1), WK_OK);
	store_close(ro);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrate_empty_store),
		cmocka_unit_test(migrate_older_store_keeps_rows),
		cmocka_unit_test(reject_newer_store),
		cmocka_unit_test(reject_file_not_database),
		cmocka_unit_test(write_and_read_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
