/*
 * Process identity (probes/process.c): parsing /proc/PID/stat, pid plus
 * start time, and the process probe's rule that a pid file's pid counts
 * only for a process that started before the file was written.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/ev.h"
#include "core/clock.h"
#include "core/config.h"
#include "probes/probe.h"
#include "probes/proc.h"

static char dir[] = "/tmp/wk-probe-proc-XXXXXX";
static char pid_path[256];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(pid_path, sizeof pid_path, "%s/app.pid", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(pid_path);
	return rmdir(dir);
}

/* Builds a stat line for comm whose field 22 is start. */
static void
stat_line(char *out, size_t size, const char *comm, long long start)
{
	int n = snprintf(out, size, "4242 (%s) S", comm);
	int field;

	for (field = 4; field < 22; field++)
		n += snprintf(out + n, size - (size_t)n, " %d", field);
	snprintf(out + n, size - (size_t)n, " %lld 100 200 300\n", start);
}

static void
parse_plain_stat(void **state)
{
	struct probe_proc p;
	char text[512];

	(void)state;
	stat_line(text, sizeof text, "bash", 987654);
	assert_int_equal(probe_proc_parse_stat(text, strlen(text), &p), WK_OK);
	assert_int_equal(p.pid, 4242);
	assert_string_equal(p.comm, "bash");
	assert_int_equal(p.state, 'S');
	assert_int_equal(p.start_ticks, 987654);
}

/* A name with spaces and ')' must not shift the fields. */
static void
parse_hostile_comm(void **state)
{
	struct probe_proc p;
	char text[512];

	(void)state;
	stat_line(text, sizeof text, "a) b) 7 8 9", 1234);
	assert_int_equal(probe_proc_parse_stat(text, strlen(text), &p), WK_OK);
	assert_string_equal(p.comm, "a) b) 7 8 9");
	assert_int_equal(p.start_ticks, 1234);
}

static void
parse_rejects_bad_text(void **state)
{
	struct probe_proc p;
	const char *cut = "4242 (bash) S 1 2 3";
	const char *no_paren = "4242 bash S 1 2 3 4 5 6 7 8 9 10";

	(void)state;
	assert_int_equal(probe_proc_parse_stat(cut, strlen(cut), &p),
	    WK_ERR_INVALID);
	assert_int_equal(probe_proc_parse_stat(no_paren, strlen(no_paren), &p),
	    WK_ERR_INVALID);
	assert_int_equal(probe_proc_parse_stat("", 0, &p), WK_ERR_INVALID);
}

static void
own_identity(void **state)
{
	struct probe_proc a, b;
	int64_t start;

	(void)state;
	assert_int_equal(probe_proc_read(getpid(), &a), WK_OK);
	assert_int_equal(probe_proc_read(getpid(), &b), WK_OK);
	assert_int_equal(a.pid, getpid());
	assert_true(a.start_ticks > 0);
	assert_true(probe_proc_same(&a, &b));
	assert_string_equal(a.comm, "unit_agent_prob");
	start = probe_proc_start_ms(a.start_ticks);
	assert_true(start > 0);
	assert_true(start <= clk_wall_ms() + 2000);
	b.start_ticks++;
	assert_false(probe_proc_same(&a, &b));
}

/* A process that started after the pid file was written is another one. */
static void
recycled_rule(void **state)
{
	struct probe_proc self;
	int64_t start;

	(void)state;
	assert_int_equal(probe_proc_read(getpid(), &self), WK_OK);
	start = probe_proc_start_ms(self.start_ticks);
	assert_false(probe_proc_recycled(&self, clk_wall_ms(), 2000));
	assert_false(probe_proc_recycled(&self, start, 2000));
	assert_true(probe_proc_recycled(&self, start - 3600 * 1000, 2000));
}

static void
exited_process_gone(void **state)
{
	struct probe_proc p;
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(probe_proc_read(pid, &p), WK_OK);
	assert_int_equal(p.pid, pid);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(probe_proc_read(pid, &p), WK_ERR_NOTFOUND);
}

/* Runs one check of the single probe described by json; fills *out. */
static void
check_probe(const char *probe_json, char *detail, size_t size,
	    enum probe_state *out)
{
	char text[1024];
	struct wk_err err = { 0, "" };
	struct probe_engine *e;
	struct probe_status s;
	struct ev_loop *loop;
	struct cfg *cfg;

	snprintf(text, sizeof text, "{\"pipelines\": [{\"name\": \"p\", "
	    "\"stages\": [{\"name\": \"s\", \"command\": [\"true\"]}]}], "
	    "\"probes\": [%s]}", probe_json);
	cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	loop = ev_loop_new();
	assert_non_null(loop);
	e = probe_engine_new(loop, NULL, cfg, &err);
	assert_non_null(e);
	assert_int_equal(probe_engine_check_once(e), WK_OK);
	assert_int_equal(probe_engine_busy(e), 0);
	assert_int_equal(probe_engine_status(e, 0, &s), 1);
	*out = s.state;
	snprintf(detail, size, "%s", s.detail);
	probe_engine_free(e);
	ev_loop_free(loop);
	cfg_free(cfg);
}

static void
write_pid_file(pid_t pid, int64_t mtime_s)
{
	struct timespec times[2];
	FILE *f = fopen(pid_path, "w");

	assert_non_null(f);
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	if (mtime_s == 0)
		return;
	times[0].tv_sec = times[1].tv_sec = (time_t)mtime_s;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, pid_path, times, 0), 0);
}

static void
pid_file_probe(void **state)
{
	char probe[512], detail[PROBE_DETAIL_MAX], want[64];
	struct probe_proc self;
	enum probe_state st;
	int64_t start_s;

	(void)state;
	snprintf(probe, sizeof probe, "{\"name\": \"app\", \"type\": "
	    "\"process\", \"pid_file\": \"%s\"}", pid_path);
	assert_int_equal(probe_proc_read(getpid(), &self), WK_OK);
	start_s = probe_proc_start_ms(self.start_ticks) / 1000;

	write_pid_file(getpid(), 0);
	check_probe(probe, detail, sizeof detail, &st);
	assert_int_equal(st, PROBE_UP);
	snprintf(want, sizeof want, "pid %d (", (int)getpid());
	assert_non_null(strstr(detail, want));

	/* Written long before this process started: the pid was reused. */
	write_pid_file(getpid(), start_s - 86400);
	check_probe(probe, detail, sizeof detail, &st);
	assert_int_equal(st, PROBE_DOWN);
	assert_non_null(strstr(detail, "the pid was reused"));
}

static void
pid_file_of_dead_process(void **state)
{
	char probe[512], detail[PROBE_DETAIL_MAX];
	enum probe_state st;
	pid_t pid;
	int status;

	(void)state;
	snprintf(probe, sizeof probe, "{\"name\": \"app\", \"type\": "
	    "\"process\", \"pid_file\": \"%s\"}", pid_path);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	write_pid_file(pid, 0);
	check_probe(probe, detail, sizeof detail, &st);
	assert_int_equal(st, PROBE_DOWN);
	assert_non_null(strstr(detail, "is not running"));

	write_pid_file(0, 0);
	check_probe(probe, detail, sizeof detail, &st);
	assert_int_equal(st, PROBE_DOWN);
	assert_non_null(strstr(detail, "does not hold a process id"));
	unlink(pid_path);
	check_probe(probe, detail, sizeof detail, &st);
	assert_int_equal(st, PROBE_DOWN);
	assert_non_null(strstr(detail, "cannot read pid file"));
}

static void
name_probe(void **state)
{
	char detail[PROBE_DETAIL_MAX];
	enum probe_state st;

	(void)state;
	/* Longer than comm: matched through argv[0]. */
	check_probe("{\"name\": \"me\", \"type\": \"process\", "
	    "\"process_name\": \"unit_agent_probe_process\"}", detail,
	    sizeof detail, &st);
	assert_int_equal(st, PROBE_UP);
	check_probe("{\"name\": \"me\", \"type\": \"process\", "
	    "\"process_name\": \"unit_agent_probe_processX\"}", detail,
	    sizeof detail, &st);
	assert_int_equal(st, PROBE_DOWN);
	assert_non_null(strstr(detail, "no process named"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_plain_stat),
		cmocka_unit_test(parse_hostile_comm),
		cmocka_unit_test(parse_rejects_bad_text),
		cmocka_unit_test(own_identity),
		cmocka_unit_test(recycled_rule),
		cmocka_unit_test(exited_process_gone),
		cmocka_unit_test(pid_file_probe),
		cmocka_unit_test(pid_file_of_dead_process),
		cmocka_unit_test(name_probe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
