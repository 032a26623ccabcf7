/*
 * Unit tests of stage supervision against a real store and real processes:
 * the start of a command, the reported reasons of failed starts, the
 * abstract notify socket and the directory creation of paths_mkdir_p().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/ev.h"
#include "agent/sdnotify.h"
#include "agent/sup.h"
#include "core/clock.h"
#include "core/paths.h"
#include "core/store.h"
#include "store_tmp.h"

#define WAIT_NS INT64_C(20000000000) /* upper bound of one stage's run */

static char stage_dir[300];

/* One supervised run and what the test saw of it. */
struct sup_case {
	struct ev_loop *loop;      /* the loop that runs it */
	struct store *store;       /* store of the stage run */
	int64_t stage_run_id;      /* stage_runs.id */
	struct sup_proc *proc;     /* running stage, NULL once done */
	int done;                  /* done() was called */
	struct sup_result result;  /* copy of done()'s result */
};

static void
case_done(struct sup_proc *proc, const struct sup_result *result, void *arg)
{
	struct sup_case *c = arg;

	c->result = *result;
	c->done = 1;
	sup_free(proc);
	c->proc = NULL;
}

static void
case_open(struct sup_case *c, const char *name)
{
	char case_db_path[400];
	struct wk_err err;
	int64_t run_id = 0;

	memset(c, 0, sizeof *c);
	snprintf(case_db_path, sizeof case_db_path, "%s/%s.db", store_dir,
	    name);
	snprintf(stage_dir, sizeof stage_dir, "%s/runs/%s/s", store_dir, name);
	assert_int_equal(store_open(case_db_path, STORE_READ_WRITE, &c->store,
	    &err), WK_OK);
	assert_int_equal(store_run_insert(c->store, "p", "2026-12-05", "once",
	    1, &run_id), WK_OK);
	assert_int_equal(store_stage_insert(c->store, run_id, "s", 1,
	    STORE_STAGE_RUNNING, NULL, &c->stage_run_id), WK_OK);
	c->loop = ev_loop_new();
	assert_non_null(c->loop);
}

static void
case_close(struct sup_case *c)
{
	if (c->proc != NULL)
		sup_free(c->proc);
	ev_loop_free(c->loop);
	store_close(c->store);
}

/* Starts the shell command and returns the code of sup_start(). */
static int
case_start(struct sup_case *c, const char *shell, const char *working_dir)
{
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct sup_spec spec;
	struct wk_err err;

	memset(&spec, 0, sizeof spec);
	spec.shell = shell;
	spec.envp = envp;
	spec.working_dir = working_dir != NULL ? working_dir : stage_dir;
	spec.stage_dir = stage_dir;
	spec.label = "p/s";
	spec.run_id = 1;
	spec.stage_run_id = c->stage_run_id;
	spec.attempt = 1;
	spec.grace_ms = 1000;
	return sup_start(c->loop, c->store, &spec, case_done, c, &c->proc,
	    &err);
}

static void
case_wait(struct sup_case *c)
{
	int64_t limit = clk_mono_ns() + WAIT_NS;

	while (!c->done && clk_mono_ns() < limit)
		assert_int_equal(ev_run_once(c->loop, 100), WK_OK);
	assert_true(c->done);
}

/* Reads the first line of the stage's stdout.log into out. */
static void
read_stdout(char *out, size_t size)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/stdout.log", stage_dir);
	out[0] = '\0';
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static int
setup(void **state)
{
	(void)state;
	return store_tmp_setup("sup-test", log_min_level);
}

static int
teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

static void
test_start_runs_command(void **state)
{
	struct sup_case c;
	char line[256];

	(void)state;
	case_open(&c, "runs");
	assert_int_equal(case_start(&c, "echo started; exit 3", NULL), WK_OK);
	assert_true(sup_pid(c.proc) > 0);
	case_wait(&c);

	assert_int_equal(c.result.spawned, 1);
	assert_int_equal(c.result.exit_code, 3);
	assert_int_equal(c.result.signal, 0);
	read_stdout(line, sizeof line);
	assert_string_equal(line, "started");
	case_close(&c);
}

static void
test_start_own_process_group(void **state)
{
	struct sup_case c;
	char line[256], expected[32];

	(void)state;
	case_open(&c, "group");
	assert_int_equal(case_start(&c, "cut -d ' ' -f 5 /proc/$$/stat", NULL),
	    WK_OK);
	snprintf(expected, sizeof expected, "%d", (int)sup_pid(c.proc));
	case_wait(&c);

	read_stdout(line, sizeof line);
	assert_string_equal(line, expected);
	case_close(&c);
}

static void
test_start_missing_working_dir(void **state)
{
	struct sup_case c;

	(void)state;
	case_open(&c, "chdir");
	assert_int_equal(case_start(&c, "true", "/nonexistent/wk-sup-test"),
	    WK_OK);
	case_wait(&c);

	assert_int_equal(c.result.spawned, 0);
	assert_non_null(strstr(c.result.reason, "working directory"));
	assert_non_null(strstr(c.result.reason, "/nonexistent/wk-sup-test"));
	case_close(&c);
}

static void
test_notify_socket_is_abstract(void **state)
{
	struct sup_case c;
	char line[256], path[400];
	struct stat sb;

	(void)state;
	case_open(&c, "abstract");
	assert_int_equal(case_start(&c, "echo \"$NOTIFY_SOCKET\"", NULL),
	    WK_OK);
	case_wait(&c);

	read_stdout(line, sizeof line);
	assert_int_equal(strncmp(line, "@watchkeep/", 11), 0);
	snprintf(path, sizeof path, "%s/notify.sock", stage_dir);
	assert_int_not_equal(stat(path, &sb), 0);
	case_close(&c);
}

/* The test process, of the agent's user but outside the stage's process
   group, session and cgroup, sends a metric to the stage's socket while
   the stage waits: the datagram is dropped. */
static void
test_notify_metric_from_outside_dropped(void **state)
{
	struct store_metric metrics[4];
	struct sup_case c;
	char line[256];
	int64_t limit;
	size_t n = 0;

	(void)state;
	case_open(&c, "metric");
	assert_int_equal(case_start(&c, "echo \"$NOTIFY_SOCKET\"; sleep 1",
	    NULL), WK_OK);
	limit = clk_mono_ns() + WAIT_NS;
	do {
		assert_int_equal(ev_run_once(c.loop, 20), WK_OK);
		read_stdout(line, sizeof line);
	} while (line[0] == '\0' && clk_mono_ns() < limit);
	assert_int_equal(strncmp(line, "@watchkeep/", 11), 0);

	assert_int_equal(setenv("NOTIFY_SOCKET", line, 1), 0);
	assert_int_equal(sdnotify_send("X_WATCHKEEP_METRIC=rows=42"), 0);
	unsetenv("NOTIFY_SOCKET");
	case_wait(&c);

	assert_int_equal(c.result.exit_code, 0);
	assert_int_equal(store_metrics_get(c.store, c.stage_run_id, metrics, 4,
	    &n), WK_OK);
	assert_int_equal(n, 0);
	case_close(&c);
}

/* A process the stage starts, in the stage's process group, sends a
   metric to the stage's socket: it is stored. */
static void
test_notify_metric_from_stage(void **state)
{
	struct store_metric metrics[4];
	struct sup_case c;
	size_t n = 0;

	(void)state;
	case_open(&c, "stage-metric");
	assert_int_equal(case_start(&c, "/usr/bin/python3 -c '"
	    "import os, socket; a = os.environ[\"NOTIFY_SOCKET\"]; "
	    "a = \"\\0\" + a[1:] if a[0] == \"@\" else a; "
	    "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto("
	    "b\"X_WATCHKEEP_METRIC=rows=42\", a)'; sleep 0.2", NULL), WK_OK);
	case_wait(&c);

	assert_int_equal(c.result.exit_code, 0);
	assert_int_equal(store_metrics_get(c.store, c.stage_run_id, metrics, 4,
	    &n), WK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(metrics[0].name, "rows");
	assert_true(metrics[0].value == 42.0);
	case_close(&c);
}

/*
 * Reads the state and the process group of pid from /proc/PID/stat.
 * Returns 0, or -1 when the process does not exist.
 */
static int
process_stat(pid_t pid, char *state, long *pgrp)
{
	char path[64], text[512], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	p = fgets(text, sizeof text, f);
	fclose(f);
	if (p == NULL || (p = strrchr(text, ')')) == NULL ||
	    sscanf(p + 2, "%c %*d %ld", state, pgrp) != 2)
		return -1;
	return 0;
}

/* Tells whether pid exists and is no zombie. */
static int
process_running(pid_t pid)
{
	char state;
	long pgrp;

	return process_stat(pid, &state, &pgrp) == 0 && state != 'Z';
}

/*
 * A stage with a cgroup: a child that left the process group with setsid
 * and is listed in the cgroup's cgroup.procs gets the stop signals too. A
 * plain directory with a cgroup.procs file replaces the cgroup, so
 * the fallback that signals each listed pid runs. The stage's own write of
 * "0" to cgroup.procs, meant for the kernel, is skipped as pid 0.
 */
static void
test_cancel_signals_cgroup_procs(void **state)
{
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	char cgroup[400], path[500], line[256] = "";
	struct sup_spec spec;
	struct sup_case c;
	struct wk_err err;
	int64_t limit;
	pid_t escaped;
	char proc_state = '?';
	long pgrp = 0;
	int running;
	FILE *f;

	(void)state;
	case_open(&c, "cgroup");
	snprintf(cgroup, sizeof cgroup, "%s/fake-cgroup", store_dir);
	assert_int_equal(paths_mkdir_p(cgroup), 0);
	snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	memset(&spec, 0, sizeof spec);
	spec.shell = "setsid sleep 60 & echo $!; wait";
	spec.envp = envp;
	spec.working_dir = stage_dir;
	spec.stage_dir = stage_dir;
	spec.label = "p/s";
	spec.run_id = 1;
	spec.stage_run_id = c.stage_run_id;
	spec.attempt = 1;
	spec.grace_ms = 1000;
	spec.cgroup_dir = cgroup;
	assert_int_equal(sup_start(c.loop, c.store, &spec, case_done, &c,
	    &c.proc, &err), WK_OK);
	limit = clk_mono_ns() + WAIT_NS;
	while (line[0] == '\0' && clk_mono_ns() < limit) {
		assert_int_equal(ev_run_once(c.loop, 20), WK_OK);
		read_stdout(line, sizeof line);
	}
	escaped = (pid_t)atoi(line);
	assert_true(escaped > 0);
	/* The shell prints the pid before the child has called setsid. */
	while (process_stat(escaped, &proc_state, &pgrp) == 0 &&
	    pgrp != escaped &&
	    clk_mono_ns() < limit)
		usleep(1000);
	assert_int_equal(pgrp, escaped);
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, "\n%d\n", (int)escaped);
	fclose(f);

	sup_cancel(c.proc);
	case_wait(&c);
	/* The stage ends only once the listed process is gone, so a
	   second of wait is only a margin. */
	limit = clk_mono_ns() + INT64_C(1000000000);
	while (process_running(escaped) && clk_mono_ns() < limit)
		usleep(10000);
	running = process_running(escaped);
	if (running)
		kill(escaped, SIGKILL);
	assert_int_equal(c.result.cancelled, 1);
	assert_false(running);
	case_close(&c);
}

static void
test_mkdir_creates_parents(void **state)
{
	char path[400];
	struct stat sb;

	(void)state;
	snprintf(path, sizeof path, "%s/mk/a/b", store_dir);
	assert_int_equal(paths_mkdir_p(path), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);

	assert_int_equal(paths_mkdir_p(path), 0);
	snprintf(path, sizeof path, "%s/mk/a/c", store_dir);
	assert_int_equal(paths_mkdir_p(path), 0);
	assert_int_equal(stat(path, &sb), 0);
}

static void
test_mkdir_reports_failure(void **state)
{
	char file[400], path[500];
	FILE *f;

	(void)state;
	snprintf(file, sizeof file, "%s/plain-file", store_dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof path, "%s/below", file);
	assert_int_equal(paths_mkdir_p(path), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_runs_command),
		cmocka_unit_test(test_start_own_process_group),
		cmocka_unit_test(test_start_missing_working_dir),
		cmocka_unit_test(test_notify_socket_is_abstract),
		cmocka_unit_test(test_notify_metric_from_outside_dropped),
		cmocka_unit_test(test_notify_metric_from_stage),
		cmocka_unit_test(test_cancel_signals_cgroup_procs),
		cmocka_unit_test(test_mkdir_creates_parents),
		cmocka_unit_test(test_mkdir_reports_failure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
