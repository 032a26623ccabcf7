/*
 * The probe engine (probes/engine.c) on a real event loop and store:
 * results and states in the store, listeners on state changes with
 * thresholds, push tokens and pings, exec timeouts, pruning.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "agent/ev.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"
#include "core/store_probes.h"
#include "probes/probe.h"
#include "probes/proc.h"
#include "store_tmp.h"

#define NS_PER_S INT64_C(1000000000)

static char file_path[256];

static int
setup(void **state)
{
	(void)state;
	if (store_tmp_setup("probe-engine", log_min_level) != 0)
		return -1;
	snprintf(file_path, sizeof file_path, "%s/output.csv", store_dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

/* A fresh store: the file of a previous test is removed first. */
static struct store *
open_store(int fresh)
{
	struct wk_err err = { 0, "" };
	struct store *st = NULL;
	char path[320];

	if (fresh) {
		unlink(db_path);
		unlink(wal_path);
		snprintf(path, sizeof path, "%s-shm", db_path);
		unlink(path);
	}
	if (store_open(db_path, STORE_READ_WRITE, &st, &err) != WK_OK)
		fail_msg("%s", err.msg);
	return st;
}

static struct cfg *
load_probes(const char *probes)
{
	char text[4096];
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	snprintf(text, sizeof text, "{\"pipelines\": [{\"name\": \"p\", "
	    "\"stages\": [{\"name\": \"s\", \"command\": [\"true\"]}]}], "
	    "\"probes\": [%s]}", probes);
	cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	return cfg;
}

static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("id,churn\n", f);
	fclose(f);
}

static void
on_deadline(struct ev_loop *loop, void *arg)
{
	(void)loop;
	*(int *)arg = 1;
}

/* Runs the loop until the engine is idle or max_s seconds passed. */
static void
run_until_idle(struct ev_loop *loop, struct probe_engine *e, int max_s)
{
	int expired = 0;
	uint64_t t = ev_timer_at(loop, clk_mono_ns() + max_s * NS_PER_S,
	    on_deadline, &expired);

	while (!expired && probe_engine_busy(e) > 0)
		ev_run_once(loop, -1);
	ev_timer_cancel(loop, t);
	assert_false(expired);
}

static int64_t
count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &stmt,
	    NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static void
results_and_states_stored(void **state)
{
	char probes[1024];
	struct wk_err err = { 0, "" };
	struct store_probe_state saved;
	struct probe_status s;
	struct store *st = open_store(1);
	struct ev_loop *loop = ev_loop_new();
	struct probe_engine *e;
	struct cfg *cfg;

	(void)state;
	touch(file_path);
	snprintf(probes, sizeof probes,
	    "{\"name\": \"out\", \"type\": \"file\", \"path\": \"%s\"},"
	    "{\"name\": \"gone\", \"type\": \"file\", \"path\": \"%s.no\"}",
	    file_path, file_path);
	cfg = load_probes(probes);
	e = probe_engine_new(loop, st, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_engine_check_once(e), WK_OK);
	probe_engine_stop(e);
	probe_engine_free(e);

	assert_int_equal(count_rows(st, "SELECT count(*) FROM probe_results"),
	    2);
	assert_int_equal(count_rows(st, "SELECT ok FROM probe_results "
	    "WHERE probe = 'out'"), 1);
	assert_int_equal(count_rows(st, "SELECT count(*) FROM probe_results "
	    "WHERE probe = 'gone' AND ok = 0 AND latency_ms IS NULL AND "
	    "detail LIKE '%No such file%'"), 1);
	assert_int_equal(store_probe_state_get(st, "gone", &saved), WK_OK);
	assert_string_equal(saved.state, "down");
	assert_string_equal(saved.type, "file");
	assert_true(saved.since > 0);

	/* A new engine starts from the stored state. */
	e = probe_engine_new(loop, st, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_engine_status(e, 1, &s), 1);
	assert_int_equal(s.state, PROBE_DOWN);
	assert_int_equal(s.since, saved.since);
	assert_int_equal(s.checks, 0);
	probe_engine_free(e);
	cfg_free(cfg);
	ev_loop_free(loop);
	store_close(st);
}

/* What the listener saw: "U" for ->up, "D" for ->down, in order. */
struct changes {
	char seen[16];   /* the changes, as letters */
	size_t n;        /* letters in seen */
};

static void
on_change(void *arg, const struct probe_status *s, enum probe_state old)
{
	struct changes *c = arg;

	(void)old;
	if (c->n + 1 < sizeof c->seen)
		c->seen[c->n++] = s->state == PROBE_UP ? 'U' : 'D';
}

static void
stop_when(struct ev_loop *loop, void *arg)
{
	(void)loop;
	*(int *)arg = 1;
}

/*
 * A file probe every second with failure_threshold 2. It is up, then the
 * file is removed, and it is down only after the second failure. The file
 * comes back, and the probe is up again after one success.
 */
static void
listener_sees_thresholds(void **state)
{
	char probes[512];
	struct wk_err err = { 0, "" };
	struct changes changes = { "", 0 };
	struct probe_status s;
	struct ev_loop *loop = ev_loop_new();
	struct probe_engine *e;
	struct cfg *cfg;
	int64_t deadline = clk_mono_ns() + 20 * NS_PER_S;
	int done = 0, removed = 0;

	(void)state;
	touch(file_path);
	snprintf(probes, sizeof probes, "{\"name\": \"out\", \"type\": "
	    "\"file\", \"path\": \"%s\", \"interval\": \"1s\", "
	    "\"timeout\": \"500ms\", \"jitter\": \"0\", "
	    "\"failure_threshold\": 2, \"failure_window\": 2}", file_path);
	cfg = load_probes(probes);
	e = probe_engine_new(loop, NULL, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_engine_listen(e, on_change, &changes), WK_OK);
	assert_int_equal(probe_engine_start(e), WK_OK);
	ev_timer_at(loop, deadline, stop_when, &done);

	while (!done && changes.n < 3) {
		ev_run_once(loop, -1);
		probe_engine_status(e, 0, &s);
		if (changes.n == 1 && !removed) {
			unlink(file_path);
			removed = 1;
		}
		if (changes.n == 2 && removed == 1) {
			/* Down needed two failures. */
			assert_true(s.checks >= 3);
			touch(file_path);
			removed = 2;
		}
	}
	assert_string_equal(changes.seen, "UDU");
	probe_engine_free(e);
	cfg_free(cfg);
	ev_loop_free(loop);
}

static void
push_token_and_pings(void **state)
{
	char token[200], again[200];
	struct wk_err err = { 0, "" };
	struct probe_status s;
	struct store *st = open_store(1);
	struct ev_loop *loop = ev_loop_new();
	struct probe_engine *e;
	struct cfg *cfg = load_probes("{\"name\": \"nightly\", \"type\": "
	    "\"push\", \"period\": \"1d\", \"grace\": \"1h\"}");

	(void)state;
	e = probe_engine_new(loop, st, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_push_token(e, "nightly", token, sizeof token),
	    WK_OK);
	assert_int_equal(strlen(token), 40);
	assert_int_equal(strspn(token, "0123456789abcdef"), 40);
	assert_int_equal(probe_push_token(e, "other", again, sizeof again),
	    WK_ERR_NOTFOUND);
	assert_int_equal(probe_engine_start(e), WK_OK);

	assert_int_equal(probe_push_ping(e, "nightly", "0123", PROBE_PING_SUCCESS),
	    WK_ERR_INVALID);
	token[39] ^= 1;
	assert_int_equal(probe_push_ping(e, "nightly", token, PROBE_PING_SUCCESS),
	    WK_ERR_INVALID);
	token[39] ^= 1;
	assert_int_equal(probe_push_ping(e, "nope", token, PROBE_PING_SUCCESS),
	    WK_ERR_NOTFOUND);
	assert_int_equal(probe_engine_status(e, 0, &s), 1);
	assert_int_equal(s.checks, 0);

	assert_int_equal(probe_push_ping(e, "nightly", token, PROBE_PING_SUCCESS),
	    WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_UP);
	assert_non_null(strstr(s.detail, "last success ping"));
	assert_int_equal(probe_push_ping(e, "nightly", token, PROBE_PING_START),
	    WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_UP);
	assert_non_null(strstr(s.detail, "running since"));
	assert_int_equal(probe_push_ping(e, "nightly", token, PROBE_PING_FAIL),
	    WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_DOWN);
	assert_non_null(strstr(s.detail, "reported a failure"));
	probe_engine_free(e);

	/* The generated token and the pings outlive the engine. */
	e = probe_engine_new(loop, st, cfg, &err);
	assert_int_equal(probe_push_token(e, "nightly", again, sizeof again),
	    WK_OK);
	assert_string_equal(again, token);
	assert_int_equal(probe_engine_check_once(e), WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_DOWN);
	probe_engine_free(e);
	cfg_free(cfg);
	ev_loop_free(loop);
	store_close(st);
}

static void
push_deadline_and_configured_token(void **state)
{
	char token[200];
	struct wk_err err = { 0, "" };
	struct store_probe_push saved;
	struct probe_status s;
	struct store *st = open_store(1);
	struct ev_loop *loop = ev_loop_new();
	struct probe_engine *e;
	struct cfg *cfg = load_probes("{\"name\": \"hourly\", \"type\": "
	    "\"push\", \"period\": \"1h\", \"grace\": \"5m\", "
	    "\"token\": \"abcdefghijklmnop1234\"}");

	(void)state;
	/* The last success was two hours ago: overdue. */
	memset(&saved, 0, sizeof saved);
	saved.success_at = clk_wall_ms() - 2 * 3600 * 1000;
	assert_int_equal(store_probe_push_set(st, "hourly", &saved), WK_OK);
	e = probe_engine_new(loop, st, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_push_token(e, "hourly", token, sizeof token),
	    WK_OK);
	assert_string_equal(token, "abcdefghijklmnop1234");
	assert_int_equal(probe_engine_check_once(e), WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_DOWN);
	assert_non_null(strstr(s.detail, "no success ping since"));
	assert_int_equal(probe_push_ping(e, "hourly", "abcdefghijklmnop1234",
	    PROBE_PING_SUCCESS), WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_UP);
	probe_engine_free(e);

	/* A configured token is never written to the store. */
	assert_int_equal(store_probe_push_get(st, "hourly", &saved), WK_OK);
	assert_string_equal(saved.token, "");
	cfg_free(cfg);
	ev_loop_free(loop);
	store_close(st);
}

/* With a schedule, a success is due by the next scheduled time plus grace. */
static void
push_schedule_deadline(void **state)
{
	char token[200];
	struct wk_err err = { 0, "" };
	struct store_probe_push saved;
	struct probe_status s;
	struct store *st = open_store(1);
	struct ev_loop *loop = ev_loop_new();
	struct probe_engine *e;
	struct cfg *cfg = load_probes("{\"name\": \"cron\", \"type\": "
	    "\"push\", \"schedule\": \"0 * * * *\", \"grace\": \"5m\", "
	    "\"time_zone\": \"UTC\"}");

	(void)state;
	memset(&saved, 0, sizeof saved);
	saved.success_at = clk_wall_ms() - 3 * 3600 * 1000;
	assert_int_equal(store_probe_push_set(st, "cron", &saved), WK_OK);
	e = probe_engine_new(loop, st, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_engine_check_once(e), WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_DOWN);
	assert_non_null(strstr(s.detail, "no success ping since"));

	assert_int_equal(probe_push_token(e, "cron", token, sizeof token), WK_OK);
	assert_int_equal(probe_push_ping(e, "cron", token, PROBE_PING_SUCCESS),
	    WK_OK);
	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_UP);
	assert_non_null(strstr(s.detail, "next due by"));
	assert_non_null(strstr(s.detail, ":05:00.000Z"));
	probe_engine_free(e);
	cfg_free(cfg);
	ev_loop_free(loop);
	store_close(st);
}

/* Reads the pid that the command wrote to path; 0 when there is none. */
static pid_t
read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

static int
process_alive(pid_t pid)
{
	struct probe_proc p;

	return probe_proc_read(pid, &p) == WK_OK && p.state != 'Z';
}

/* A command that outlives its timeout is killed with its whole group. */
static void
exec_timeout_kills_group(void **state)
{
	char probes[1024], pid_file[300], detail[PROBE_DETAIL_MAX];
	struct wk_err err = { 0, "" };
	struct probe_status s;
	struct ev_loop *loop = ev_loop_new();
	struct probe_engine *e;
	struct cfg *cfg;
	pid_t helper;
	int i;

	(void)state;
	snprintf(pid_file, sizeof pid_file, "%s/helper.pid", store_dir);
	snprintf(probes, sizeof probes, "{\"name\": \"slow\", \"type\": "
	    "\"exec\", \"timeout\": \"1s\", \"command\": [\"sh\", \"-c\", "
	    "\"sleep 60 & echo $! > %s; echo started; wait\"]}, "
	    "{\"name\": \"quick\", \"type\": \"exec\", \"command\": [\"sh\", "
	    "\"-c\", \"echo one; echo; echo two >&2; exit 3\"]}", pid_file);
	cfg = load_probes(probes);
	e = probe_engine_new(loop, NULL, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_engine_check_once(e), WK_OK);
	run_until_idle(loop, e, 15);

	probe_engine_status(e, 0, &s);
	assert_int_equal(s.state, PROBE_DOWN);
	assert_non_null(strstr(s.detail, "timed out after"));
	assert_true(s.latency_ms >= 900);
	probe_engine_status(e, 1, &s);
	snprintf(detail, sizeof detail, "%s", s.detail);
	assert_int_equal(s.state, PROBE_DOWN);
	assert_string_equal(detail, "exit status 3: one | two");

	helper = read_pid(pid_file);
	assert_true(helper > 0);
	for (i = 0; i < 50 && process_alive(helper); i++)
		usleep(100000);
	assert_false(process_alive(helper));
	probe_engine_free(e);
	cfg_free(cfg);
	ev_loop_free(loop);
}

static void
prune_in_batches(void **state)
{
	struct store_probe_result rows[6];
	struct store *st = open_store(1);
	int64_t now = clk_wall_ms(), day = 86400000;
	int deleted, i;

	(void)state;
	for (i = 0; i < 6; i++) {
		rows[i].probe = i < 5 ? "api" : "db";
		rows[i].at = now - (i < 4 ? 40 : 1) * day + i;
		rows[i].ok = 1;
		rows[i].latency_ms = 12.5;
		rows[i].detail = "HTTP 200";
	}
	assert_int_equal(store_probe_write(st, rows, 6, NULL, 0), WK_OK);
	assert_int_equal(store_probe_prune(st, "api", now - 30 * day, 3,
	    &deleted), WK_OK);
	assert_int_equal(deleted, 3);
	assert_int_equal(store_probe_prune(st, "api", now - 30 * day, 3,
	    &deleted), WK_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_probe_prune(st, "api", now - 30 * day, 3,
	    &deleted), WK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(count_rows(st, "SELECT count(*) FROM probe_results"),
	    2);
	store_close(st);
}

static void
select_unknown_name(void **state)
{
	const char *names[] = { "out", "ouy" };
	struct wk_err err = { 0, "" };
	struct ev_loop *loop = ev_loop_new();
	struct cfg *cfg = load_probes("{\"name\": \"out\", \"type\": \"file\", "
	    "\"path\": \"/x\"}, {\"name\": \"other\", \"type\": \"file\", "
	    "\"path\": \"/y\"}");
	struct probe_engine *e = probe_engine_new(loop, NULL, cfg, &err);
	struct probe_status s;

	(void)state;
	assert_int_equal(probe_engine_select(e, names, 2, &err),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "no probe named \"ouy\""));
	assert_int_equal(probe_engine_select(e, names, 1, &err), WK_OK);
	assert_int_equal(probe_engine_status(e, 0, &s), 1);
	assert_int_equal(probe_engine_status(e, 1, &s), 0);
	probe_engine_free(e);
	cfg_free(cfg);
	ev_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(results_and_states_stored),
		cmocka_unit_test(listener_sees_thresholds),
		cmocka_unit_test(push_token_and_pings),
		cmocka_unit_test(push_deadline_and_configured_token),
		cmocka_unit_test(push_schedule_deadline),
		cmocka_unit_test(exec_timeout_kills_group),
		cmocka_unit_test(prune_in_batches),
		cmocka_unit_test(select_unknown_name),
	};

	signal(SIGPIPE, SIG_IGN);
	log_min_level = LL_WARN;
	return cmocka_run_group_tests(tests, setup, teardown);
}
