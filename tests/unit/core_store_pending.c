/*
 * Unit tests of the retry queue of the log-line transaction. A commit hook
 * or a second connection that holds the write lock makes the transaction
 * fail. Its log lines, error counts and grouped metrics must then wait,
 * and the next flush must store each of them once. The queue keeps at
 * most its cap, the oldest rows first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/store.h"
#include "core/store_logs.h"
#include "store_tmp.h"

static int fail_commits;   /* commits the hook still turns into rollbacks */

/* Commit hook: a non-zero return turns the COMMIT into a ROLLBACK. */
static int
fail_commit(void *arg)
{
	(void)arg;
	if (fail_commits == 0)
		return 0;
	fail_commits--;
	return 1;
}

static int
setup(void **state)
{
	(void)state;
	fail_commits = 0;
	return store_tmp_setup("store-pending", LL_INFO);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

/* Opens the store with the hook and inserts one run and one stage run. */
static struct store *
open_with_stage(int64_t *stage_run_id)
{
	struct store *st;
	struct wk_err err;
	int64_t run_id = 0;

	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	sqlite3_commit_hook(store_sqlite(st), fail_commit, NULL);
	assert_int_equal(store_run_insert(st, "p", "2026-12-05", "once", 1,
	    &run_id), WK_OK);
	assert_int_equal(store_stage_insert(st, run_id, "s", 1,
	    STORE_STAGE_RUNNING, NULL, stage_run_id), WK_OK);
	return st;
}

/* Appends lines first..last of stdout, with text "line N". */
static void
append_lines(struct store *st, int64_t stage_run_id, int first, int last)
{
	char text[32];
	int i, n;

	for (i = first; i <= last; i++) {
		n = snprintf(text, sizeof text, "line %d", i);
		assert_int_equal(store_log_append(st, stage_run_id,
		    STORE_STDOUT, i, 1000 + i, text, (size_t)n, 0), WK_OK);
	}
}

/* Runs a count query with one integer parameter on a second connection. */
static int64_t
count_rows(const char *sql, int64_t param)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(stmt, 1, param);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

/* Sends log lines to store_dir/log.txt; returns its descriptor. */
static int
log_to_file(void)
{
	char path[320];
	int fd;

	snprintf(path, sizeof path, "%s/log.txt", store_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	log_set_fd(fd);
	return fd;
}

/* Sends log lines back to stderr and reads what fd received into out. */
static void
log_read(int fd, char *out, size_t size)
{
	char path[320];
	FILE *f;
	size_t n;

	log_set_fd(2);
	close(fd);
	snprintf(path, sizeof path, "%s/log.txt", store_dir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static int64_t
stored_lines(int64_t stage_run_id)
{
	return count_rows("SELECT count(*) FROM log_lines "
	    "WHERE stage_run_id = ?1", stage_run_id);
}

static void
test_failed_commit_keeps_lines(void **state)
{
	struct store *st;
	int64_t stage_run_id = 0;
	char log[4096];
	int fd;

	(void)state;
	st = open_with_stage(&stage_run_id);
	append_lines(st, stage_run_id, 1, 10);

	fd = log_to_file();
	fail_commits = 1;
	assert_int_not_equal(store_flush(st), WK_OK);
	assert_int_equal(stored_lines(stage_run_id), 0);
	assert_int_equal(store_waiting_rows(st), 10);

	assert_int_equal(store_flush(st), WK_OK);
	log_read(fd, log, sizeof log);
	assert_int_equal(stored_lines(stage_run_id), 10);
	assert_int_equal(store_waiting_rows(st), 0);
	assert_int_equal(store_dropped_rows(st), 0);
	assert_non_null(strstr(log, "write transaction failed (attempt 1): "
	    "constraint failed; rows waiting for a retry: 10, rows dropped: "
	    "0"));
	assert_non_null(strstr(log, "committed again; failed attempts: 1, "
	    "rows stored: 10, rows dropped: 0"));
	store_close(st);
}

static void
test_retry_after_repeated_failures(void **state)
{
	struct store *st;
	int64_t stage_run_id = 0;

	(void)state;
	st = open_with_stage(&stage_run_id);
	append_lines(st, stage_run_id, 1, 4);
	fail_commits = 2;
	assert_int_not_equal(store_flush(st), WK_OK);

	/* Lines that come after the failure join the waiting ones. */
	append_lines(st, stage_run_id, 5, 8);
	assert_int_not_equal(store_flush(st), WK_OK);
	assert_int_equal(store_waiting_rows(st), 8);
	assert_int_equal(stored_lines(stage_run_id), 0);

	append_lines(st, stage_run_id, 9, 9);
	assert_int_equal(store_flush(st), WK_OK);
	assert_int_equal(stored_lines(stage_run_id), 9);
	assert_int_equal(store_waiting_rows(st), 0);
	store_close(st);
}

static void
test_failed_group_keeps_counts_once(void **state)
{
	struct store *st;
	int64_t stage_run_id = 0;

	(void)state;
	st = open_with_stage(&stage_run_id);
	store_group_begin(st);
	append_lines(st, stage_run_id, 1, 3);
	assert_int_equal(store_metric_set(st, stage_run_id, "auc", 0.75, 5),
	    WK_OK);
	assert_int_equal(store_logs_signature_add(st, stage_run_id,
	    "Error: <n>", "Error: 1", 3, 10, 20), WK_OK);
	fail_commits = 1;
	assert_int_not_equal(store_group_end(st), WK_OK);
	assert_int_equal(count_rows("SELECT count(*) FROM stage_metrics "
	    "WHERE stage_run_id = ?1", stage_run_id), 0);

	assert_int_equal(store_flush(st), WK_OK);
	assert_int_equal(stored_lines(stage_run_id), 3);
	assert_int_equal(count_rows("SELECT count(*) FROM stage_metrics "
	    "WHERE stage_run_id = ?1 AND value = 0.75", stage_run_id), 1);
	assert_int_equal(count_rows("SELECT sum(count) FROM log_signatures "
	    "WHERE last_stage_run_id = ?1", stage_run_id), 3);
	assert_int_equal(count_rows("SELECT sum(count) FROM "
	    "log_signature_hits WHERE stage_run_id = ?1", stage_run_id), 3);
	store_close(st);
}

static void
test_busy_store_keeps_lines(void **state)
{
	struct store *st;
	sqlite3 *other;
	int64_t stage_run_id = 0;

	(void)state;
	st = open_with_stage(&stage_run_id);
	sqlite3_busy_timeout(store_sqlite(st), 20);
	assert_int_equal(sqlite3_open_v2(db_path, &other,
	    SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);

	append_lines(st, stage_run_id, 1, 5);
	assert_int_not_equal(store_flush(st), WK_OK);
	assert_int_equal(store_waiting_rows(st), 5);

	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(store_flush(st), WK_OK);
	assert_int_equal(stored_lines(stage_run_id), 5);
	assert_int_equal(store_waiting_rows(st), 0);
	store_close(st);
}

static void
test_full_queue_keeps_oldest(void **state)
{
	struct store *st;
	int64_t stage_run_id = 0;

	(void)state;
	st = open_with_stage(&stage_run_id);
	store_set_waiting_max(st, 5);
	append_lines(st, stage_run_id, 1, 8);
	fail_commits = 1;
	assert_int_not_equal(store_flush(st), WK_OK);
	assert_int_equal(store_waiting_rows(st), 5);
	assert_int_equal(store_dropped_rows(st), 3);

	/* Rows past the cap in a new transaction are dropped too. */
	append_lines(st, stage_run_id, 9, 10);
	assert_int_equal(store_waiting_rows(st), 5);
	fail_commits = 1;
	assert_int_not_equal(store_flush(st), WK_OK);
	assert_int_equal(store_dropped_rows(st), 5);

	assert_int_equal(store_flush(st), WK_OK);
	assert_int_equal(stored_lines(stage_run_id), 5);
	assert_int_equal(count_rows("SELECT max(line_no) FROM log_lines "
	    "WHERE stage_run_id = ?1", stage_run_id), 5);
	assert_int_equal(store_waiting_rows(st), 0);
	assert_int_equal(store_dropped_rows(st), 0);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failed_commit_keeps_lines,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_retry_after_repeated_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_group_keeps_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_store_keeps_lines,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_keeps_oldest,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
