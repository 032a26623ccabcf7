/*
 * Unit tests of store write groups: writes inside a group stay invisible to
 * a read-only connection until the outermost store_group_end() commits
 * them, and writes outside a group commit at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/store.h"
#include "store_tmp.h"

/* Counts the runs of pipeline p that a read-only connection reads. */
static size_t
visible_runs(const char *p)
{
	struct store_run runs[8];
	struct store *ro;
	struct wk_err err;
	size_t n = 0;

	assert_int_equal(store_open(db_path, STORE_READ_ONLY, &ro, &err),
	    WK_OK);
	assert_int_equal(store_runs_recent(ro, p, runs, 8, &n), WK_OK);
	store_close(ro);
	return n;
}

static int
setup(void **state)
{
	struct store *st;
	struct wk_err err;

	(void)state;
	if (store_tmp_setup("store-group", log_min_level) != 0)
		return -1;
	if (store_open(db_path, STORE_READ_WRITE, &st, &err) != WK_OK)
		return -1;
	store_close(st);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

static void
test_write_outside_group_commits(void **state)
{
	struct store *st;
	struct wk_err err;
	int64_t id = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_run_insert(st, "alone", "2026-12-05", "once",
	    1, &id), WK_OK);
	assert_true(id > 0);
	assert_int_equal(visible_runs("alone"), 1);
	store_close(st);
}

static void
test_group_commits_at_outer_end(void **state)
{
	struct store *st;
	struct wk_err err;
	int64_t run_id = 0, stage_id = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	store_group_begin(st);
	assert_int_equal(store_run_insert(st, "grouped", "2026-12-05", "once",
	    1, &run_id), WK_OK);
	store_group_begin(st);
	assert_int_equal(store_stage_insert(st, run_id, "s", 1,
	    STORE_STAGE_PENDING, NULL, &stage_id), WK_OK);
	assert_int_equal(store_group_end(st), WK_OK);
	assert_int_equal(visible_runs("grouped"), 0);

	assert_int_equal(store_group_end(st), WK_OK);
	assert_int_equal(visible_runs("grouped"), 1);
	store_close(st);
}

static void
test_group_sees_own_writes(void **state)
{
	struct store_run run;
	struct store *st;
	struct wk_err err;
	int64_t run_id = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	store_group_begin(st);
	assert_int_equal(store_run_insert(st, "own", "2026-12-05", "once", 1,
	    &run_id), WK_OK);
	assert_int_equal(store_run_get(st, run_id, &run), WK_OK);
	assert_string_equal(run.pipeline, "own");
	assert_int_equal(store_group_end(st), WK_OK);
	store_close(st);
}

static void
test_flush_inside_group_commits(void **state)
{
	struct store *st;
	struct wk_err err;
	int64_t first = 0, second = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	store_group_begin(st);
	assert_int_equal(store_run_insert(st, "flushed", "2026-12-05", "once",
	    1, &first), WK_OK);
	assert_int_equal(store_flush(st), WK_OK);
	assert_int_equal(visible_runs("flushed"), 1);

	assert_int_equal(store_run_insert(st, "flushed", "2026-12-06", "once",
	    2, &second), WK_OK);
	assert_int_equal(visible_runs("flushed"), 1);
	assert_int_equal(store_group_end(st), WK_OK);
	assert_int_equal(visible_runs("flushed"), 2);
	store_close(st);
}

static void
test_soft_flush_waits_for_group(void **state)
{
	struct store *st;
	struct wk_err err;
	int64_t id = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	store_group_begin(st);
	assert_int_equal(store_run_insert(st, "soft", "2026-12-05", "once", 1,
	    &id), WK_OK);
	assert_int_equal(store_flush_unless_grouped(st), WK_OK);
	assert_int_equal(visible_runs("soft"), 0);
	assert_int_equal(store_group_end(st), WK_OK);
	assert_int_equal(visible_runs("soft"), 1);
	store_close(st);
}

static void
test_unmatched_end_is_harmless(void **state)
{
	struct store *st;
	struct wk_err err;
	int64_t id = 0;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	assert_int_equal(store_group_end(st), WK_OK);
	assert_int_equal(store_run_insert(st, "unmatched", "2026-12-05",
	    "once", 1, &id), WK_OK);
	assert_int_equal(visible_runs("unmatched"), 1);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_outside_group_commits),
		cmocka_unit_test(test_group_commits_at_outer_end),
		cmocka_unit_test(test_group_sees_own_writes),
		cmocka_unit_test(test_flush_inside_group_commits),
		cmocka_unit_test(test_soft_flush_waits_for_group),
		cmocka_unit_test(test_unmatched_end_is_harmless),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
