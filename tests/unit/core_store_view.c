/*
 * Unit tests of the status-view reads of core/store_view.c on a store
 * written through the store's own functions and read back read-only.
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
#include "core/store_logs.h"
#include "core/store_probes.h"
#include "core/store_view.h"
#include "store_tmp.h"
static struct store *rw;
static struct store *ro;

static void
add_stage(int64_t run, const char *stage, int attempt, const char *state,
	  int64_t duration_ms, int64_t *id)
{
	struct store_stage_run r;

	assert_int_equal(store_stage_insert(rw, run, stage, attempt,
	    STORE_STAGE_PENDING, NULL, id), WK_OK);
	memset(&r, 0, sizeof r);
	r.id = *id;
	snprintf(r.state, sizeof r.state, "%s", state);
	r.started_at = 1000;
	r.ended_at = 1000 + duration_ms;
	r.duration_ms = duration_ms;
	r.user_cpu_ms = r.sys_cpu_ms = r.max_rss_kb = -1;
	assert_int_equal(store_stage_finish(rw, &r), WK_OK);
}

static int
setup(void **state)
{
	struct wk_err err = { 0, "" };
	int64_t run1, run2, id;

	(void)state;
	if (store_tmp_setup("store-view", log_min_level) != 0)
		return -1;
	if (store_open(db_path, STORE_READ_WRITE, &rw, &err) != WK_OK)
		return -1;
	store_run_insert(rw, "churn", "2026-01-01", "once", 1000, &run1);
	store_run_insert(rw, "churn", "2026-01-02", "once", 2000, &run2);
	store_run_insert(rw, "other", "2026-01-02", "once", 2000, &id);
	add_stage(run1, "ingest", 1, STORE_STAGE_SUCCEEDED, 100, &id);
	add_stage(run1, "train", 1, STORE_STAGE_FAILED, 50, &id);
	add_stage(run1, "train", 2, STORE_STAGE_SUCCEEDED, 70, &id);
	add_stage(run2, "ingest", 1, STORE_STAGE_SUCCEEDED, 110, &id);
	assert_int_equal(store_logs_signature_add(rw, id, "ERROR <n> rows",
	    "ERROR 12 rows", 3, 1000, 2000), WK_OK);
	assert_int_equal(store_logs_signature_add(rw, id, "WARN disk",
	    "WARN disk", 5, 1000, 2000), WK_OK);
	assert_int_equal(store_flush(rw), WK_OK);
	if (store_open(db_path, STORE_READ_ONLY, &ro, &err) != WK_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(ro);
	store_close(rw);
	return store_tmp_teardown();
}

static void
grid_keeps_latest_attempt(void **state)
{
	struct store_view_cell cells[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(store_view_begin(ro), WK_OK);
	assert_int_equal(store_view_stage_grid(ro, "churn", 1, cells, 16, &n),
	    WK_OK);
	store_view_end(ro);
	assert_int_equal(n, 3);
	assert_int_equal(cells[0].run_id, 1);
	assert_string_equal(cells[0].stage, "ingest");
	assert_string_equal(cells[1].stage, "train");
	assert_int_equal(cells[1].attempt, 2);
	assert_string_equal(cells[1].state, STORE_STAGE_SUCCEEDED);
	assert_int_equal(cells[1].duration_ms, 70);
	assert_int_equal(cells[2].run_id, 2);
}

static void
grid_starts_at_min_run(void **state)
{
	struct store_view_cell cells[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(store_view_stage_grid(ro, "churn", 2, cells, 16, &n),
	    WK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(cells[0].duration_ms, 110);
	assert_int_equal(store_view_stage_grid(ro, "churn", 1, cells, 2, &n),
	    WK_OK);
	assert_int_equal(n, 2);
}

static void
probe_series_is_newest_oldest_first(void **state)
{
	struct store_probe_result r[5];
	struct store_view_probe_point pts[8];
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		r[i].probe = "web";
		r[i].at = 1000 * (i + 1);
		r[i].ok = i != 3;
		r[i].latency_ms = i == 3 ? -1 : 10.0 * i;
		r[i].detail = NULL;
	}
	assert_int_equal(store_probe_write(rw, r, 5, NULL, 0), WK_OK);
	assert_int_equal(store_view_probe_series(ro, "web", pts, 3, &n),
	    WK_OK);
	assert_int_equal(n, 3);
	assert_int_equal(pts[0].at, 3000);
	assert_int_equal(pts[1].ok, 0);
	assert_true(pts[1].latency_ms < 0);
	assert_int_equal(pts[2].at, 5000);
	assert_int_equal(store_view_probe_series(ro, "none", pts, 3, &n),
	    WK_OK);
	assert_int_equal(n, 0);
}

static void
signatures_most_frequent_first(void **state)
{
	struct store_view_signature sigs[4];
	size_t n = 0;

	(void)state;
	assert_int_equal(store_view_signatures(ro, 4, sigs, 4, &n), WK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(sigs[0].signature, "WARN disk");
	assert_int_equal(sigs[0].count, 5);
	assert_string_equal(sigs[1].sample, "ERROR 12 rows");
	assert_int_equal(sigs[1].total, 3);
	assert_int_equal(store_view_signatures(ro, 1, sigs, 4, &n), WK_OK);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grid_keeps_latest_attempt),
		cmocka_unit_test(grid_starts_at_min_run),
		cmocka_unit_test(probe_series_is_newest_oldest_first),
		cmocka_unit_test(signatures_most_frequent_first),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
