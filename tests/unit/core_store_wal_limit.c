/*
 * Unit test of the write-ahead log's size limit: a reader that holds an old
 * snapshot lets the log grow past STORE_WAL_LIMIT_BYTES, and once the
 * reader ends and the background checkpoint catches up, the writer's next
 * commits cut the file back to at most the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/log.h"
#include "core/store.h"
#include "tests/unit/store_tmp.h"

#define WAL_CKPT_PAGES 64          /* log pages that start a checkpoint */
#define WAL_FILL_SQL "INSERT INTO wal_fill VALUES (randomblob(65536))"
#define WAL_FILL_COMMITS 128       /* commits of WAL_FILL_SQL: 8 MiB, twice
				      the limit */
#define WAL_WAIT_STEPS 500         /* commits while waiting, 20 ms apart */


static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("store-wal-limit", LL_WARN);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

/* Runs sql on a connection of the store and fails the test on an error. */
static void
exec_sql(struct store *st, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(store_sqlite(st), sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg != NULL ? msg : "(no message)");
	sqlite3_free(msg);
}

/*
 * Commits small rows 20 ms apart until the log file is at most limit
 * bytes or WAL_WAIT_STEPS commits were made. Returns the last size seen.
 */
static int64_t
commit_until_short(struct store *st, int64_t limit)
{
	struct timespec pause = { 0, 20 * 1000000L };
	int64_t size = store_tmp_file_size(wal_path);
	int i;

	for (i = 0; i < WAL_WAIT_STEPS && size > limit; i++) {
		exec_sql(st, "INSERT INTO wal_fill VALUES (x'00')");
		nanosleep(&pause, NULL);
		size = store_tmp_file_size(wal_path);
	}
	return size;
}

static void
test_log_cut_back_after_reset(void **state)
{
	struct store *writer, *reader;
	struct wk_err err;
	int64_t size;
	int i;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &writer, &err),
	    WK_OK);
	assert_int_equal(store_checkpoint_in_background(writer,
	    WAL_CKPT_PAGES, &err), WK_OK);
	exec_sql(writer, "CREATE TABLE wal_fill (b BLOB)");

	/* A reader's open transaction keeps the log from being reset. */
	assert_int_equal(store_open(db_path, STORE_READ_ONLY, &reader, &err),
	    WK_OK);
	exec_sql(reader, "BEGIN; SELECT count(*) FROM runs;");
	for (i = 0; i < WAL_FILL_COMMITS; i++)
		exec_sql(writer, WAL_FILL_SQL);
	size = store_tmp_file_size(wal_path);
	print_message("log while the reader holds its snapshot: %lld bytes\n",
	    (long long)size);
	assert_true(size > STORE_WAL_LIMIT_BYTES);

	exec_sql(reader, "COMMIT");
	size = commit_until_short(writer, STORE_WAL_LIMIT_BYTES);
	print_message("log after the reader ended: %lld bytes, %ld "
	    "checkpoints\n", (long long)size, store_checkpoints(writer));
	assert_true(store_checkpoints(writer) >= 1);
	assert_true(size >= 0);
	assert_true(size <= STORE_WAL_LIMIT_BYTES);

	store_close(reader);
	store_close(writer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_cut_back_after_reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
