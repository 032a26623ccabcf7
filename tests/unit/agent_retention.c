/*
 * Unit tests of retention: old runs, log lines, run directories and alert
 * history go; pending messages and recent rows stay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "agent/retention.h"
#include "core/config.h"
#include "core/store.h"
#include "core/store_alerts.h"
#include "store_tmp.h"

#define DAY_MS INT64_C(86400000)
#define NOW INT64_C(1767225600000)

static void
add_run(struct store *st, const char *state_dir, int days_ago, int lines)
{
	struct store_stage_run end;
	int64_t run, id, at = NOW - days_ago * DAY_MS;
	char cmd[300];
	int i;

	assert_int_equal(store_run_insert(st, "p", "2026-01-01", "once",
	    at - 1000, &run), WK_OK);
	assert_int_equal(store_stage_insert(st, run, "a", 1, "pending", NULL,
	    &id), WK_OK);
	for (i = 1; i <= lines; i++)
		assert_int_equal(store_log_append(st, id, STORE_STDOUT, i, at,
		    "x", 1, 0), WK_OK);
	memset(&end, 0, sizeof end);
	end.id = id;
	strcpy(end.state, STORE_STAGE_SUCCEEDED);
	end.ended_at = at;
	end.duration_ms = 1000;
	end.user_cpu_ms = end.sys_cpu_ms = end.max_rss_kb = -1;
	assert_int_equal(store_stage_finish(st, &end), WK_OK);
	assert_int_equal(store_run_finish(st, run, STORE_RUN_SUCCEEDED, at,
	    1000, NULL), WK_OK);
	snprintf(cmd, sizeof cmd, "mkdir -p %s/runs/%lld/a && echo log > "
	    "%s/runs/%lld/a/stdout.log", state_dir, (long long)run, state_dir,
	    (long long)run);
	assert_int_equal(system(cmd), 0);
}

static int
count(struct store *st, int64_t run_id)
{
	struct store_log_line lines[16];
	struct store_stage_run stages[2];
	size_t n = 0;

	if (store_stage_runs_latest(st, run_id, stages, 2, &n) != WK_OK ||
	    n == 0)
		return -1;
	assert_int_equal(store_log_lines_get(st, stages[0].id, 0, 0, 0, lines,
	    16, &n), WK_OK);
	return (int)n;
}

static void
retention_removes_old(void **state)
{
	const char *text = "{\"pipelines\": [{\"name\": \"p\", \"stages\": "
	    "[{\"name\": \"a\", \"command\": [\"true\"]}]}], \"retention\": "
	    "{\"runs\": \"10d\", \"logs\": \"5d\", \"run_dirs\": \"5d\"}}";
	char path[320];
	struct retention_result result;
	struct store *st = NULL;
	struct wk_err err;
	struct stat sb;
	struct cfg *cfg;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	assert_non_null(cfg);
	add_run(st, store_dir, 20, 3); /* run 1: gone */
	add_run(st, store_dir, 7, 3);  /* run 2: kept, without logs and files */
	add_run(st, store_dir, 1, 3);  /* run 3: kept whole */

	assert_int_equal(retention_pass(st, cfg, store_dir, NOW, &result),
	    WK_OK);
	assert_int_equal(result.runs, 1);
	assert_int_equal(result.log_lines, 3);
	assert_int_equal(result.run_dirs, 2);
	assert_int_equal(count(st, 1), -1);
	assert_int_equal(count(st, 2), 0);
	assert_int_equal(count(st, 3), 3);
	snprintf(path, sizeof path, "%s/runs/1", store_dir);
	assert_int_not_equal(stat(path, &sb), 0);
	snprintf(path, sizeof path, "%s/runs/2", store_dir);
	assert_int_not_equal(stat(path, &sb), 0);
	snprintf(path, sizeof path, "%s/runs/3/a/stdout.log", store_dir);
	assert_int_equal(stat(path, &sb), 0);

	/* A second pass finds nothing more to do. */
	assert_int_equal(retention_pass(st, cfg, store_dir, NOW, &result),
	    WK_OK);
	assert_int_equal(result.runs + result.log_lines + result.run_dirs, 0);
	cfg_free(cfg);
	store_close(st);
}

static long long
rows(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	long long n;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &stmt,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static void
add_message(struct store *st, const char *state, int days_ago)
{
	int64_t id, at = NOW - days_ago * DAY_MS;

	assert_int_equal(store_outbox_add(st, "chat", "g", "k", "{}", at, &id),
	    WK_OK);
	if (strcmp(state, STORE_OUTBOX_PENDING) != 0)
		assert_int_equal(store_outbox_update(st, id, state, 1, at, 200,
		    NULL, at), WK_OK);
}

static void
add_incident(struct store *st, const char *fp, int days_ago, int resolved)
{
	char sql[512], end[32] = "NULL";
	long long at = (long long)(NOW - days_ago * DAY_MS);

	if (resolved)
		snprintf(end, sizeof end, "%lld", at + 60000);
	snprintf(sql, sizeof sql, "INSERT INTO alert_incidents VALUES ('%s', "
	    "%lld, 'stage_failed', 'page', '{}', 's', '/', '%s', %lld, NULL, "
	    "%s)", fp, at, resolved ? "resolved" : "firing", at, end);
	assert_int_equal(sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL),
	    SQLITE_OK);
}

static void
retention_removes_alert_history(void **state)
{
	const char *text = "{\"pipelines\": [{\"name\": \"p\", \"stages\": "
	    "[{\"name\": \"a\", \"command\": [\"true\"]}]}], \"retention\": "
	    "{\"runs\": \"60d\", \"notifications\": \"30d\"}}";
	struct retention_result result;
	struct store *st = NULL;
	struct wk_err err;
	struct cfg *cfg;

	(void)state;
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
	cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	assert_non_null(cfg);
	add_message(st, STORE_OUTBOX_SENT, 40);     /* gone */
	add_message(st, STORE_OUTBOX_FAILED, 31);   /* gone */
	add_message(st, STORE_OUTBOX_PENDING, 40);  /* kept: not delivered */
	add_message(st, STORE_OUTBOX_SENT, 2);      /* kept: recent */
	add_incident(st, "a", 90, 1);               /* gone */
	add_incident(st, "b", 90, 0);               /* kept: still firing */
	add_incident(st, "c", 40, 1);               /* kept: within runs */

	assert_int_equal(retention_pass(st, cfg, store_dir, NOW, &result),
	    WK_OK);
	assert_int_equal(result.alert_rows, 3);
	assert_int_equal(rows(st, "SELECT count(*) FROM alert_outbox WHERE "
	    "state = 'pending'"), 1);
	assert_int_equal(rows(st, "SELECT count(*) FROM alert_outbox"), 2);
	assert_int_equal(rows(st, "SELECT count(*) FROM alert_incidents WHERE "
	    "fingerprint IN ('b', 'c')"), 2);
	assert_int_equal(rows(st, "SELECT count(*) FROM alert_incidents"), 2);
	cfg_free(cfg);
	store_close(st);
}

static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("retention", log_min_level);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(retention_removes_old, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(retention_removes_alert_history,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
