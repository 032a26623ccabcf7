/*
 * Unit tests of the run queue in the store (core/store_queue.c): order,
 * removal, dropping a pipeline, the group commit, the look-up of a run in
 * progress by date and slot, and a store without the queue's table.
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
#include <sqlite3.h>

#include "core/log.h"
#include "core/store.h"
#include "tests/unit/store_tmp.h"
#include "core/store_queue.h"


static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("store-queue", LL_ERROR);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

static struct store *
open_fresh(void)
{
	struct wk_err err = { 0, "" };
	struct store *st = NULL;

	unlink(db_path);
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	return st;
}

static void
add(struct store *st, const char *pipeline, const char *date,
    int64_t slot_ms)
{
	int64_t id = 0;

	assert_int_equal(store_queue_add(st, pipeline, date, "backfill",
	    slot_ms, 1000, &id), WK_OK);
	assert_true(id > 0);
}

static void
queue_keeps_order(void **state)
{
	struct store_queued_run runs[8];
	struct store *st = open_fresh();
	size_t n = 0;

	(void)state;
	add(st, "a", "2024-03-30", 0);
	add(st, "b", "2024-03-30", 0);
	add(st, "a", "2024-03-31", 0);

	assert_int_equal(store_queue_list(st, NULL, runs, 8, &n), WK_OK);
	assert_int_equal(n, 3);
	assert_string_equal(runs[0].pipeline, "a");
	assert_string_equal(runs[1].pipeline, "b");
	assert_string_equal(runs[2].logical_date, "2024-03-31");
	assert_string_equal(runs[2].trigger, "backfill");
	assert_int_equal(runs[2].queued_at, 1000);

	assert_int_equal(store_queue_list(st, "a", runs, 8, &n), WK_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_queue_list(st, NULL, runs, 2, &n), WK_OK);
	assert_int_equal(n, 2);
	store_close(st);
}

static void
queue_remove_and_drop(void **state)
{
	struct store_queued_run runs[8];
	struct store *st = open_fresh();
	size_t n = 0, dropped = 0;

	(void)state;
	add(st, "a", "2024-03-30", 0);
	add(st, "a", "2024-03-31", 0);
	add(st, "b", "2024-03-30", 0);
	assert_int_equal(store_queue_list(st, NULL, runs, 8, &n), WK_OK);

	assert_int_equal(store_queue_remove(st, runs[0].id), WK_OK);
	assert_int_equal(store_queue_list(st, "a", runs, 8, &n), WK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].logical_date, "2024-03-31");

	assert_int_equal(store_queue_drop_pipeline(st, "a", &dropped), WK_OK);
	assert_int_equal(dropped, 1);
	assert_int_equal(store_queue_drop_pipeline(st, "a", &dropped), WK_OK);
	assert_int_equal(dropped, 0);
	assert_int_equal(store_queue_list(st, NULL, runs, 8, &n), WK_OK);
	assert_int_equal(n, 1);
	store_close(st);
}

/* Rows written in a group are committed by its end, and only then. */
static void
queue_group_commit(void **state)
{
	struct wk_err err = { 0, "" };
	struct store_queued_run runs[4];
	struct store *st = open_fresh(), *reader = NULL;
	size_t n = 9;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_ONLY, &reader, &err),
	    WK_OK);
	store_group_begin(st);
	add(st, "a", "2024-03-30", 0);
	assert_int_equal(store_queue_list(reader, NULL, runs, 4, &n), WK_OK);
	assert_int_equal(n, 0);

	assert_int_equal(store_group_end(st), WK_OK);
	assert_int_equal(store_queue_list(reader, NULL, runs, 4, &n), WK_OK);
	assert_int_equal(n, 1);
	store_close(reader);
	store_close(st);
}

static void
queue_running_date(void **state)
{
	struct store *st = open_fresh();
	int64_t run_id = 0;
	int found = -1;

	(void)state;
	assert_int_equal(store_run_insert(st, "a", "2024-03-30", "backfill",
	    1000, &run_id), WK_OK);
	assert_int_equal(store_run_set_scheduled(st, run_id, 7200000), WK_OK);

	assert_int_equal(store_queue_running_date(st, "a", "2024-03-30", 0,
	    &found), WK_OK);
	assert_int_equal(found, 1);
	assert_int_equal(store_queue_running_date(st, "a", "2024-03-30",
	    7200000, &found), WK_OK);
	assert_int_equal(found, 1);
	assert_int_equal(store_queue_running_date(st, "a", "2024-03-30",
	    10800000, &found), WK_OK);
	assert_int_equal(found, 0);
	assert_int_equal(store_queue_running_date(st, "a", "2024-03-31", 0,
	    &found), WK_OK);
	assert_int_equal(found, 0);
	assert_int_equal(store_queue_running_date(st, "b", "2024-03-30", 0,
	    &found), WK_OK);
	assert_int_equal(found, 0);

	assert_int_equal(store_run_finish(st, run_id, STORE_RUN_SUCCEEDED,
	    2000, 1000, NULL), WK_OK);
	assert_int_equal(store_queue_running_date(st, "a", "2024-03-30", 0,
	    &found), WK_OK);
	assert_int_equal(found, 0);
	store_close(st);
}

/* A store without the run_queue table, as before migration 11, lists none. */
static void
queue_without_table(void **state)
{
	struct wk_err err = { 0, "" };
	struct store_queued_run runs[4];
	struct store *st = open_fresh(), *reader = NULL;
	sqlite3 *db = NULL;
	size_t n = 9;

	(void)state;
	store_close(st);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE run_queue", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(db_path, STORE_READ_ONLY, &reader, &err),
	    WK_OK);
	assert_int_equal(store_queue_list(reader, NULL, runs, 4, &n), WK_OK);
	assert_int_equal(n, 0);
	store_close(reader);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queue_keeps_order),
		cmocka_unit_test(queue_remove_and_drop),
		cmocka_unit_test(queue_group_commit),
		cmocka_unit_test(queue_running_date),
		cmocka_unit_test(queue_without_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
