/*
 * Unit tests of background checkpoints: the thread copies the log back
 * into the database so the log stays short while the writer commits, no
 * commit is lost, and closing stops the thread.
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

#include "core/log.h"
#include "core/store.h"
#include "tests/unit/store_tmp.h"

#define CKPT_PAGES 16      /* small, so that a few commits start one */
#define CKPT_COMMITS 1000  /* runs inserted, one commit each */
#define CKPT_WAL_MAX (256 * 4096)  /* bytes of log allowed; 1000 commits
				      without checkpoints write megabytes */


static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("store-ckpt", LL_WARN);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

/* Waits up to 10 s for the store's first background checkpoint. */
static long
wait_checkpoints(struct store *st)
{
	struct timespec pause = { 0, 10 * 1000000L };
	int i;

	for (i = 0; i < 1000 && store_checkpoints(st) < 1; i++)
		nanosleep(&pause, NULL);
	return store_checkpoints(st);
}

/* Opens the store read-write with background checkpoints. */
static struct store *
open_checkpointed(void)
{
	struct store *st;
	struct wk_err err;

	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_checkpoint_in_background(st, CKPT_PAGES, &err),
	    WK_OK);
	return st;
}

/* Inserts count runs of pipeline, one commit each, pause_ns apart. */
static int64_t
insert_runs(struct store *st, const char *pipeline, int count,
	    long pause_ns)
{
	struct timespec pause = { 0, pause_ns };
	int64_t id = 0;
	int i;

	for (i = 0; i < count; i++) {
		assert_int_equal(store_run_insert(st, pipeline, "2026-12-05",
		    "once", i, &id), WK_OK);
		if (pause_ns > 0)
			nanosleep(&pause, NULL);
	}
	return id;
}

static void
test_log_stays_short(void **state)
{
	struct store_run runs[1];
	struct store *st;
	struct wk_err err;
	int64_t id;
	size_t n = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_checkpoints(st), -1);
	assert_int_equal(store_checkpoint_in_background(st, CKPT_PAGES, &err),
	    WK_OK);
	assert_int_equal(store_checkpoints(st), 0);

	/* Commits a millisecond apart leave the thread time to catch up. */
	id = insert_runs(st, "p", CKPT_COMMITS, 1000000L);
	assert_true(wait_checkpoints(st) >= 1);
	/* Without checkpoints each commit adds pages: megabytes of log. */
	assert_true(store_tmp_file_size(wal_path) < CKPT_WAL_MAX);
	assert_int_equal(store_runs_recent(st, "p", runs, 1, &n), WK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].id, id);
	store_close(st);
}

static void
test_fast_writer_bounds_log(void **state)
{
	struct store *st = open_checkpointed();

	(void)state;
	/* Back to back, faster than the thread's disk flushes. */
	insert_runs(st, "f", CKPT_COMMITS, 0);
	assert_true(store_tmp_file_size(wal_path) < CKPT_WAL_MAX);
	store_close(st);
}

static void
test_reads_after_close_see_every_commit(void **state)
{
	struct store_run runs[4];
	struct store *st = open_checkpointed();
	struct wk_err err;
	size_t n = 0;

	(void)state;
	insert_runs(st, "q", 3, 0);
	store_close(st);

	assert_int_equal(store_open(db_path, STORE_READ_ONLY, &st, &err),
	    WK_OK);
	assert_int_equal(store_checkpoint_in_background(st, CKPT_PAGES, &err),
	    WK_OK);
	assert_int_equal(store_checkpoints(st), -1);
	assert_int_equal(store_runs_recent(st, "q", runs, 4, &n), WK_OK);
	assert_int_equal(n, 3);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_stays_short),
		cmocka_unit_test(test_fast_writer_bounds_log),
		cmocka_unit_test(test_reads_after_close_see_every_commit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
