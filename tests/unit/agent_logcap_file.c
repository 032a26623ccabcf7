/*
 * Unit tests of log capture from log files that stages set to on_restart
 * "adopt" write themselves: the lines and the read position stored, and
 * the resume after a restart with each line stored once. Also the
 * rejection of a log file behind a symbolic link or with a hard link.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/ev.h"
#include "agent/logcap.h"
#include "core/clock.h"
#include "core/config_logs.h"
#include "core/log.h"
#include "core/store_logpos.h"
#include "core/store_logs.h"
#include "store_tmp.h"

#define ROWS_MAX 64

static char stage_dir[PATH_MAX];
static char log_path[PATH_MAX];
static char warn_path[PATH_MAX];
static struct store *st;
static struct ev_loop *loop;
static int64_t stage_run_id;

static int
setup(void **state)
{
	struct wk_err err;
	int64_t run_id;
	char cmd[PATH_MAX + 32];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", store_dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(stage_dir, sizeof stage_dir, "%s/stage", store_dir);
	snprintf(warn_path, sizeof warn_path, "%s/warnings.txt", store_dir);
	if (mkdir(stage_dir, 0700) < 0 ||
	    logcap_file_path(log_path, sizeof log_path, stage_dir,
	    STORE_STDOUT, 1) != WK_OK)
		return -1;
	loop = ev_loop_new();
	if (loop == NULL ||
	    store_open(db_path, STORE_READ_WRITE, &st, &err) != WK_OK ||
	    store_run_insert(st, "p", "2026-01-01", "once", 1, &run_id) !=
	    WK_OK ||
	    store_stage_insert(st, run_id, "s", 1, STORE_STAGE_RUNNING, NULL,
	    &stage_run_id) != WK_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(st);
	st = NULL;
	ev_loop_free(loop);
	loop = NULL;
	log_set_fd(2);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	return store_tmp_setup("logcap-file-test", LL_WARN);
}

static int
group_teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

/* Prepares capture of stdout from the log file, with the given caps. */
static void
init_cap(struct logcap *cap, const struct cfg_logs *limits)
{
	assert_int_equal(logcap_init(cap, st, stage_run_id, STORE_STDOUT,
	    log_path), WK_OK);
	if (limits != NULL)
		logcap_set_limits(cap, limits);
	logcap_set_owner(cap, 7, "p/s");
}

/* Writes lines "line FIRST" to "line LAST" to fd, as a stage would. */
static void
write_lines(int fd, int first, int last)
{
	char line[32];
	int i, n;

	for (i = first; i <= last; i++) {
		n = snprintf(line, sizeof line, "line %d\n", i);
		assert_int_equal(write(fd, line, (size_t)n), n);
	}
}

/* Reads every stored row of stdout. */
static size_t
read_rows(struct store_logs_row *rows)
{
	struct store_logs_query q;
	size_t n = 0;

	memset(&q, 0, sizeof q);
	q.stage_run_id = stage_run_id;
	q.stream = STORE_STDOUT;
	assert_int_equal(store_logs_read(st, &q, rows, ROWS_MAX, &n), WK_OK);
	return n;
}

/* Sends warnings to warn_path; returns its descriptor. */
static int
capture_warnings(void)
{
	int fd = open(warn_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);

	assert_true(fd >= 0);
	log_set_fd(fd);
	return fd;
}

/* Reads what capture_warnings() collected into buf. */
static void
read_warnings(int fd, char *buf, size_t size)
{
	FILE *f;
	size_t n;

	log_set_fd(2);
	close(fd);
	f = fopen(warn_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void
file_lines_and_position_stored(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	int64_t bytes = -1, lines = -1;
	struct logcap cap;
	int fd;
	size_t n;

	(void)state;
	init_cap(&cap, NULL);
	assert_int_equal(logcap_start_file(&cap, loop, &fd), WK_OK);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	assert_int_equal(store_logpos_get(st, stage_run_id, STORE_STDOUT,
	    &bytes, &lines), WK_OK);
	assert_int_equal(bytes, 0);

	write_lines(fd, 1, 3);
	assert_int_equal(write(fd, "half", 4), 4);
	assert_int_equal(logcap_read_file(&cap, LOGCAP_FILE_READ_MAX), 0);
	/* The unfinished line is not counted in the position. */
	assert_int_equal(store_logpos_get(st, stage_run_id, STORE_STDOUT,
	    &bytes, &lines), WK_OK);
	assert_int_equal(bytes, 21);
	assert_int_equal(lines, 3);

	assert_int_equal(write(fd, " done\n", 6), 6);
	close(fd);
	logcap_finish(&cap);
	n = read_rows(rows);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].text, "line 1");
	assert_string_equal(rows[3].text, "half done");
	assert_int_equal(store_logpos_get(st, stage_run_id, STORE_STDOUT,
	    &bytes, &lines), WK_OK);
	assert_int_equal(bytes, 31);
	assert_int_equal(lines, 4);
	free(rows);
}

static void
file_reads_are_bounded(void **state)
{
	struct logcap cap;
	int fd;

	(void)state;
	init_cap(&cap, NULL);
	assert_int_equal(logcap_start_file(&cap, loop, &fd), WK_OK);
	write_lines(fd, 1, 10);
	/* "line 1\n" to "line 9\n" are 7 bytes each, "line 10\n" 8. */
	assert_int_equal(logcap_read_file(&cap, 14), 1);
	assert_int_equal(cap.line_no, 2);
	assert_int_equal(logcap_read_file(&cap, 1000), 0);
	assert_int_equal(cap.line_no, 10);
	close(fd);
	logcap_finish(&cap);
}

static int64_t fake_mono_ns;

static int64_t
fake_mono(void)
{
	return fake_mono_ns;
}

static int64_t
fake_wall(void)
{
	return INT64_C(1800000000000) + fake_mono_ns / 1000000;
}

/*
 * Runs an agent in a child process that starts capture, commits lines 1
 * to 10, reads lines 11 to 15 without a commit and dies, so that SQLite
 * rolls the uncommitted lines back as after kill -9.
 */
static void
run_killed_agent(const struct cfg_logs *limits)
{
	struct wk_err err;
	struct logcap cap;
	int fd, status;
	pid_t pid;

	store_close(st);
	st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (store_open(db_path, STORE_READ_WRITE, &st, &err) != WK_OK)
			_exit(2);
		init_cap(&cap, limits);
		if (logcap_start_file(&cap, loop, &fd) != WK_OK)
			_exit(3);
		write_lines(fd, 1, 10);
		logcap_read_file(&cap, LOGCAP_FILE_READ_MAX);
		fake_mono_ns += INT64_C(3000000000);
		logcap_tick(&cap);
		write_lines(fd, 11, 15);
		logcap_read_file(&cap, LOGCAP_FILE_READ_MAX);
		_exit(cap.line_no == 15 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(store_open(db_path, STORE_READ_WRITE, &st, &err),
	    WK_OK);
}

/*
 * Kills an agent after line 15 with lines 11 to 15 read but not
 * committed, goes on writing lines 16 to 20 as the stage would, and
 * resumes. Returns the rows stored in rows.
 */
static size_t
resume_after_kill(int tail_lines, struct store_logs_row *rows)
{
	struct cfg_logs limits;
	int64_t bytes = -1, lines = -1;
	struct logcap cap;
	size_t n;
	int fd;

	cfg_logs_defaults(&limits);
	limits.head_lines = 3;
	limits.tail_lines = tail_lines;
	fake_mono_ns = INT64_C(1000000000);
	clk_set_source(fake_mono, fake_wall);
	run_killed_agent(&limits);

	/* "line 1\n" to "line 9\n" are 7 bytes each, "line 10\n" 8. */
	assert_int_equal(store_logpos_get(st, stage_run_id, STORE_STDOUT,
	    &bytes, &lines), WK_OK);
	assert_int_equal(bytes, 71);
	assert_int_equal(lines, 10);

	fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	write_lines(fd, 16, 20);
	close(fd);
	init_cap(&cap, &limits);
	assert_int_equal(logcap_resume_file(&cap, loop), WK_OK);
	assert_int_equal(cap.line_no, 10);
	logcap_finish(&cap);
	clk_set_source(NULL, NULL);
	assert_int_equal(store_logpos_get(st, stage_run_id, STORE_STDOUT,
	    &bytes, &lines), WK_OK);
	assert_int_equal(bytes, 71 + 10 * 8);
	assert_int_equal(lines, 20);
	n = read_rows(rows);
	return n;
}

static void
resume_stores_each_line_once(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	char expected[32];
	size_t n, i;

	(void)state;
	n = resume_after_kill(50, rows);
	assert_int_equal(n, 20);
	for (i = 0; i < n; i++) {
		snprintf(expected, sizeof expected, "line %zu", i + 1);
		assert_string_equal(rows[i].text, expected);
		assert_int_equal(rows[i].line_no, (int64_t)i + 1);
		assert_int_equal(rows[i].dropped_lines, -1);
	}
	free(rows);
}

static void
resume_keeps_tail_marker_counts(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	size_t n;

	(void)state;
	n = resume_after_kill(5, rows);
	/* Lines 1 to 3, the marker for lines 4 to 15, lines 16 to 20. */
	assert_int_equal(n, 9);
	assert_string_equal(rows[2].text, "line 3");
	assert_int_equal(rows[3].line_no, 4);
	assert_int_equal(rows[3].dropped_lines, 12);
	assert_int_equal(rows[3].dropped_bytes, 6 * 7 + 6 * 8);
	assert_string_equal(rows[4].text, "line 16");
	assert_int_equal(rows[4].line_no, 16);
	assert_string_equal(rows[8].text, "line 20");
	free(rows);
}

static void
resume_without_position_is_notfound(void **state)
{
	struct logcap cap;

	(void)state;
	init_cap(&cap, NULL);
	assert_int_equal(logcap_resume_file(&cap, loop), WK_ERR_NOTFOUND);
	logcap_finish(&cap);
}

/* Writes "target\n" to the file at path. */
static void
write_target(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("target\n", f);
	fclose(f);
}

/*
 * Puts a link made by make_link (symlink() or link()) to a file of 7 bytes
 * at the log file's path, and captures line with the warnings logged into
 * warnings. The file must keep its 7 bytes.
 */
static void
capture_through_link(int (*make_link)(const char *, const char *),
		     const char *line, char *warnings, size_t size)
{
	char target[PATH_MAX];
	struct logcap cap;
	struct stat sb;
	int wfd;

	snprintf(target, sizeof target, "%s/target.txt", store_dir);
	write_target(target);
	assert_int_equal(make_link(target, log_path), 0);
	wfd = capture_warnings();
	init_cap(&cap, NULL);
	logcap_feed(&cap, line, strlen(line));
	logcap_finish(&cap);
	read_warnings(wfd, warnings, size);

	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_size, 7);
}

static void
symlink_log_file_is_not_followed(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	char warnings[4096];

	(void)state;
	capture_through_link(symlink, "secret\n", warnings, sizeof warnings);
	assert_non_null(strstr(warnings, log_path));
	assert_non_null(strstr(warnings, "symbolic link"));
	assert_non_null(strstr(warnings, "run=7"));
	assert_non_null(strstr(warnings, "stage=p/s"));
	/* The line still reaches the store. */
	assert_int_equal(read_rows(rows), 1);
	assert_string_equal(rows[0].text, "secret");
	free(rows);
}

static void
symlink_stage_dir_is_not_followed(void **state)
{
	char elsewhere[PATH_MAX], moved[PATH_MAX], created[PATH_MAX + 16];
	char warnings[4096];
	struct logcap cap;
	int fd = -1, wfd;

	(void)state;
	snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", store_dir);
	snprintf(moved, sizeof moved, "%s/moved", store_dir);
	snprintf(created, sizeof created, "%s/stdout.log", elsewhere);
	assert_int_equal(mkdir(elsewhere, 0700), 0);
	assert_int_equal(rename(stage_dir, moved), 0);
	assert_int_equal(symlink(elsewhere, stage_dir), 0);
	wfd = capture_warnings();
	init_cap(&cap, NULL);
	assert_int_equal(logcap_start_file(&cap, loop, &fd), WK_ERR_IO);
	assert_int_equal(fd, -1);
	logcap_finish(&cap);
	read_warnings(wfd, warnings, sizeof warnings);

	assert_int_equal(access(created, F_OK), -1);
	assert_non_null(strstr(warnings, log_path));
	assert_non_null(strstr(warnings, "its directory"));
	assert_non_null(strstr(warnings, "symbolic link"));
	assert_non_null(strstr(warnings, "stage=p/s"));
}

static void
hard_link_log_file_is_not_truncated(void **state)
{
	char warnings[4096];

	(void)state;
	capture_through_link(link, "x\n", warnings, sizeof warnings);
	assert_non_null(strstr(warnings, "hard links"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(file_lines_and_position_stored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(file_reads_are_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(resume_stores_each_line_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(resume_keeps_tail_marker_counts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    resume_without_position_is_notfound, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    symlink_log_file_is_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    symlink_stage_dir_is_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hard_link_log_file_is_not_truncated, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
