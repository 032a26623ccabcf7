/*
 * Unit tests of log capture against a real store and log file: the caps of
 * both, the truncation markers, carriage-return progress lines, cut long
 * lines, signature counts, the tail stored while a stage runs, and the
 * file created only at a stream's first byte.
 */
#include <errno.h>
#include <limits.h>
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

#include "agent/logcap.h"
#include "core/clock.h"
#include "core/config_logs.h"
#include "core/log.h"
#include "core/store_logs.h"
#include "store_tmp.h"

#define ROWS_MAX 64

static char file_path[256];
static struct store *st;
static int64_t stage_run_id;
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

static int
setup(void **state)
{
	struct wk_err err;
	int64_t run_id;
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -f '%s'/*", store_dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(file_path, sizeof file_path, "%s/stderr.log", store_dir);
	fake_mono_ns = INT64_C(1000000000);
	clk_set_source(fake_mono, fake_wall);
	if (store_open(db_path, STORE_READ_WRITE, &st, &err) != WK_OK ||
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
	clk_set_source(NULL, NULL);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	return store_tmp_setup("logcap-test", LL_WARN);
}

static int
group_teardown(void **state)
{
	(void)state;
	return store_tmp_teardown();
}

/* Starts capture of stderr into the store and the log file. */
static void
start(struct logcap *cap, const struct cfg_logs *limits)
{
	assert_int_equal(logcap_init(cap, st, stage_run_id, STORE_STDERR,
	    file_path), WK_OK);
	if (limits != NULL)
		logcap_set_limits(cap, limits);
}

/* Starts capture that stores the first head and the last tail lines. */
static void
start_lines(struct logcap *cap, int64_t head, int64_t tail)
{
	struct cfg_logs limits;

	cfg_logs_defaults(&limits);
	limits.head_lines = head;
	limits.tail_lines = tail;
	start(cap, &limits);
}

/* Starts capture whose log file keeps head and tail bytes. */
static void
start_file_bytes(struct logcap *cap, int64_t head, int64_t tail)
{
	struct cfg_logs limits;

	cfg_logs_defaults(&limits);
	limits.file_head_bytes = head;
	limits.file_tail_bytes = tail;
	start(cap, &limits);
}

static void
feed_str(struct logcap *cap, const char *s)
{
	logcap_feed(cap, s, strlen(s));
}

/* Feeds the lines "<prefix>first" to "<prefix>last". */
static void
feed_numbered(struct logcap *cap, const char *prefix, int first, int last)
{
	char line[64];
	int i;

	for (i = first; i <= last; i++) {
		snprintf(line, sizeof line, "%s%d\n", prefix, i);
		feed_str(cap, line);
	}
}

/* Reads every stored row of the stage run. */
static size_t
read_rows(struct store_logs_row *rows)
{
	struct store_logs_query q;
	size_t n = 0;

	memset(&q, 0, sizeof q);
	q.stage_run_id = stage_run_id;
	assert_int_equal(store_logs_read(st, &q, rows, ROWS_MAX, &n), WK_OK);
	return n;
}

/* Reads the log file into a new string. */
static char *
read_file(size_t *len)
{
	FILE *f = fopen(file_path, "rb");
	char *data = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_non_null(data);
	*len = fread(data, 1, (1 << 20) - 1, f);
	fclose(f);
	return data;
}

static void
store_keeps_head_tail_and_marker(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	struct logcap cap;
	size_t n;

	(void)state;
	start_lines(&cap, 3, 2);
	feed_numbered(&cap, "line ", 1, 10);
	logcap_finish(&cap);

	n = read_rows(rows);
	assert_int_equal(n, 6);
	assert_string_equal(rows[0].text, "line 1");
	assert_string_equal(rows[2].text, "line 3");
	assert_int_equal(rows[3].line_no, 4);
	/* Lines 4 to 8, "line N\n", 7 bytes each. */
	assert_int_equal(rows[3].dropped_lines, 5);
	assert_int_equal(rows[3].dropped_bytes, 35);
	assert_int_equal(rows[4].line_no, 9);
	assert_string_equal(rows[4].text, "line 9");
	assert_int_equal(rows[4].dropped_lines, -1);
	assert_string_equal(rows[5].text, "line 10");
	assert_int_equal(cap.line_no, 10);
	free(rows);
}

static void
store_without_overflow_has_no_marker(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	struct logcap cap;
	size_t n, i;

	(void)state;
	start_lines(&cap, 2, 5);
	feed_str(&cap, "a\nb\nc\nd\n");
	logcap_finish(&cap);

	n = read_rows(rows);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(rows[i].dropped_lines, -1);
		assert_int_equal(rows[i].line_no, (int64_t)i + 1);
	}
	free(rows);
}

static void
file_keeps_head_tail_and_marker(void **state)
{
	struct logcap cap;
	char *data, *marker;
	size_t len;
	int i;

	(void)state;
	start_file_bytes(&cap, 12, 8);
	/* 20 lines of "0123456789\n": 220 bytes. */
	for (i = 0; i < 20; i++)
		feed_str(&cap, "0123456789\n");
	logcap_finish(&cap);

	data = read_file(&len);
	assert_memory_equal(data, "0123456789\n0", 12);
	marker = strstr(data, "[watchkeep: 200 bytes (18 lines) dropped here");
	assert_non_null(marker);
	/* The head ends inside a line, so the marker starts a new one. */
	assert_ptr_equal(marker, data + 13);
	assert_int_equal(data[12], '\n');
	assert_string_equal(data + len - 8, "3456789\n");
	free(data);
}

static void
file_below_cap_is_unchanged(void **state)
{
	struct logcap cap;
	size_t len;
	char *data;

	(void)state;
	start_file_bytes(&cap, 4, 64);
	feed_str(&cap, "abc\ndef\x1b[31mred\n");
	logcap_finish(&cap);

	/* The file is raw: escapes stay, and nothing was dropped. */
	data = read_file(&len);
	assert_int_equal(len, 16);
	assert_string_equal(data, "abc\ndef\x1b[31mred\n");
	free(data);
}

static void
progress_line_stores_last_state(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	struct logcap cap;
	char update[32];
	size_t n;
	int i;

	(void)state;
	start(&cap, NULL);
	/* 1000 redraws, about 13 KB: more than one stored line holds. */
	for (i = 1; i <= 1000; i++) {
		snprintf(update, sizeof update, "\rprogress %4d/1000", i);
		feed_str(&cap, update);
	}
	feed_str(&cap, " done\r\nnext\n");
	logcap_finish(&cap);

	n = read_rows(rows);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].text, "progress 1000/1000 done");
	assert_string_equal(rows[1].text, "next");
	free(rows);
}

static void
long_line_cut_with_count(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	char *line = malloc(20001);
	struct logcap cap;
	char *note;
	size_t n;

	(void)state;
	memset(line, 'a', 20000);
	line[20000] = '\n';
	start(&cap, NULL);
	logcap_feed(&cap, line, 20001);
	feed_str(&cap, "short\n");
	logcap_finish(&cap);

	n = read_rows(rows);
	assert_int_equal(n, 2);
	note = strstr(rows[0].text, " [cut");
	assert_non_null(note);
	assert_true(strlen(rows[0].text) <= STORE_LOG_LINE_MAX);
	assert_string_equal(note, " [cut from 20000 bytes]");
	assert_int_equal(rows[1].line_no, 2);
	assert_string_equal(rows[1].text, "short");
	free(line);
	free(rows);
}

static void
signatures_group_error_lines(void **state)
{
	struct store_logs_signature sigs[4];
	struct logcap cap;
	size_t n;

	(void)state;
	start(&cap, NULL);
	feed_str(&cap, "ERROR cannot open /data/2024-01-05/x.csv: errno 2\n"
	    "fine\n"
	    "ERROR cannot open /data/2024-01-06/y.csv: errno 2\n"
	    "panic: boom\n");
	logcap_finish(&cap);

	assert_int_equal(store_logs_signatures_top(st, 0, NULL, sigs, 4, &n),
	    WK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(sigs[0].signature,
	    "ERROR cannot open <path>: errno <n>");
	assert_int_equal(sigs[0].count, 2);
	assert_int_equal(sigs[0].stage_runs, 1);
	assert_string_equal(sigs[0].sample,
	    "ERROR cannot open /data/2024-01-06/y.csv: errno 2");
	assert_string_equal(sigs[0].pipeline, "p");
	assert_string_equal(sigs[0].stage, "s");
	assert_int_equal(sigs[0].last_stage_run_id, stage_run_id);
	assert_string_equal(sigs[1].signature, "panic: boom");
	assert_int_equal(sigs[1].count, 1);
	assert_int_equal(cap.error_lines, 3);
}

/* Feeds text in pieces of step bytes and returns the stored rows. */
static size_t
capture_in_steps(const char *text, size_t step, struct store_logs_row *rows)
{
	size_t len = strlen(text), i;
	struct logcap cap;

	start(&cap, NULL);
	for (i = 0; i < len; i += step)
		logcap_feed(&cap, text + i, len - i < step ? len - i : step);
	logcap_finish(&cap);
	return read_rows(rows);
}

static void
chunk_boundaries_do_not_matter(void **state)
{
	const char *text = "one\r\ntwo\r\r\nthr\ree\n\x1b[1mfour\x1b[0m\n"
	    "caf\xc3\xa9\nlast";
	struct store_logs_row *whole = calloc(ROWS_MAX, sizeof *whole);
	struct store_logs_row *bytes = calloc(ROWS_MAX, sizeof *bytes);
	size_t n, m, i;

	(void)state;
	n = capture_in_steps(text, 4096, whole);
	assert_int_equal(n, 6);
	assert_string_equal(whole[0].text, "one");
	assert_string_equal(whole[1].text, "two");
	assert_string_equal(whole[2].text, "ee");
	assert_string_equal(whole[3].text, "four");
	assert_string_equal(whole[4].text, "caf\xc3\xa9");
	assert_string_equal(whole[5].text, "last");

	/* Same input, new stage run, one byte at a time. */
	assert_int_equal(store_stage_insert(st, 1, "s", 2, STORE_STAGE_RUNNING,
	    NULL, &stage_run_id), WK_OK);
	m = capture_in_steps(text, 1, bytes);
	assert_int_equal(m, n);
	for (i = 0; i < n; i++)
		assert_string_equal(bytes[i].text, whole[i].text);
	free(whole);
	free(bytes);
}

static void
tail_is_stored_while_running(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	struct logcap cap;
	size_t n;

	(void)state;
	start_lines(&cap, 2, 3);
	feed_numbered(&cap, "l", 1, 6);
	/* Before LOGCAP_TAIL_STORE_MS only the head is stored. */
	n = read_rows(rows);
	assert_int_equal(n, 2);

	fake_mono_ns += (LOGCAP_TAIL_STORE_MS + 1) * INT64_C(1000000);
	logcap_tick(&cap);
	n = read_rows(rows);
	assert_int_equal(n, 6);
	assert_int_equal(rows[2].dropped_lines, 1);
	assert_string_equal(rows[3].text, "l4");
	assert_string_equal(rows[5].text, "l6");

	/* The stored tail moves on: the old copy is replaced. */
	feed_str(&cap, "l7\nl8\n");
	logcap_finish(&cap);
	n = read_rows(rows);
	assert_int_equal(n, 6);
	assert_int_equal(rows[2].dropped_lines, 3);
	assert_string_equal(rows[3].text, "l6");
	assert_string_equal(rows[5].text, "l8");
	free(rows);
}

static void
finish_twice_and_unused_are_safe(void **state)
{
	struct logcap cap;

	(void)state;
	memset(&cap, 0, sizeof cap);
	cap.file_fd = -1;
	logcap_finish(&cap);

	start(&cap, NULL);
	feed_str(&cap, "x\n");
	logcap_finish(&cap);
	logcap_finish(&cap);
	/* Bytes fed after the end are ignored. */
	feed_str(&cap, "y\n");
	assert_int_equal(cap.line_no, 1);
}

static void
silent_stream_leaves_no_file(void **state)
{
	struct logcap cap;
	struct stat sb;
	FILE *f;

	(void)state;
	start(&cap, NULL);
	logcap_feed(&cap, "", 0);
	assert_int_equal(stat(file_path, &sb), -1);
	assert_int_equal(errno, ENOENT);
	logcap_finish(&cap);
	assert_int_equal(stat(file_path, &sb), -1);

	/* The first byte creates the file, or truncates an old one. */
	f = fopen(file_path, "w");
	assert_non_null(f);
	fputs("an older attempt's lines\n", f);
	fclose(f);
	start(&cap, NULL);
	feed_str(&cap, "a\n");
	logcap_finish(&cap);
	assert_int_equal(stat(file_path, &sb), 0);
	assert_int_equal(sb.st_size, 2);
}

static void
uncreatable_file_keeps_lines_in_store(void **state)
{
	struct store_logs_row *rows = calloc(ROWS_MAX, sizeof *rows);
	char missing[PATH_MAX];
	struct logcap cap;
	struct stat sb;

	(void)state;
	snprintf(missing, sizeof missing, "%s/no-such-dir/stderr.log",
	    store_dir);
	assert_int_equal(logcap_init(&cap, st, stage_run_id, STORE_STDERR,
	    missing), WK_OK);
	feed_str(&cap, "one\ntwo\n");
	logcap_finish(&cap);
	assert_int_equal(stat(missing, &sb), -1);
	assert_int_equal(read_rows(rows), 2);
	assert_string_equal(rows[0].text, "one");
	assert_string_equal(rows[1].text, "two");
	free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_keeps_head_tail_and_marker,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    store_without_overflow_has_no_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(file_keeps_head_tail_and_marker,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(file_below_cap_is_unchanged,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(progress_line_stores_last_state,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(long_line_cut_with_count, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(signatures_group_error_lines,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(chunk_boundaries_do_not_matter,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(tail_is_stored_while_running,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(silent_stream_leaves_no_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    uncreatable_file_keeps_lines_in_store, setup, teardown),
		cmocka_unit_test_setup_teardown(finish_twice_and_unused_are_safe,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
