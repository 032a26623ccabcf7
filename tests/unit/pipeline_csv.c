/*
 * CSV and line reader: RFC 4180 quoting, line ends, byte order mark,
 * line numbers, bad records and the bound on record length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/csv.h"
#include "pipeline/outfile.h"
#include "pipeline/utf8.h"

static char test_path[64];

/* Writes len bytes to a fresh temporary file and opens a reader on it. */
static void
open_text(struct csv_reader *r, const char *text, size_t len,
	  enum csv_mode mode, size_t max_record)
{
	struct wk_err err;
	int fd;

	snprintf(test_path, sizeof test_path, "/tmp/pipeline_csv.XXXXXX");
	fd = mkstemp(test_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	assert_int_equal(csv_open(r, test_path, mode, max_record, &err), WK_OK);
}

static void
close_text(struct csv_reader *r)
{
	csv_close(r);
	unlink(test_path);
}

static void
expect_fields(struct csv_reader *r, uint64_t line, size_t n, ...)
{
	struct csv_record rec;
	struct wk_err err;
	va_list ap;
	size_t i;

	assert_int_equal(csv_next(r, test_path, &rec, &err), WK_OK);
	assert_int_equal(rec.bad, CSV_BAD_NONE);
	assert_int_equal(rec.line, line);
	assert_int_equal(rec.n_fields, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);

		assert_int_equal(rec.fields[i].len, strlen(want));
		assert_string_equal(rec.fields[i].data, want);
	}
	va_end(ap);
}

static void
expect_bad(struct csv_reader *r, uint64_t line, enum csv_bad bad)
{
	struct csv_record rec;
	struct wk_err err;

	assert_int_equal(csv_next(r, test_path, &rec, &err), WK_OK);
	assert_int_equal(rec.line, line);
	assert_int_equal(rec.bad, bad);
	assert_int_equal(rec.n_fields, 0);
}

static void
expect_eof(struct csv_reader *r)
{
	struct csv_record rec;
	struct wk_err err;

	assert_int_equal(csv_next(r, test_path, &rec, &err), CSV_EOF);
	assert_int_equal(csv_next(r, test_path, &rec, &err), CSV_EOF);
}

static void
test_csv_plain_fields(void **state)
{
	static const char text[] = "a,b,c\n1,,3\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 3, "a", "b", "c");
	expect_fields(&r, 2, 3, "1", "", "3");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_quotes_commas_newlines(void **state)
{
	static const char text[] = "id,note\n"
	    "7,\"one, two\"\n"
	    "8,\"say \"\"hi\"\"\"\n"
	    "9,\"line one\nline two\"\n"
	    "10,\"\"\n"
	    "11,after\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 2, "id", "note");
	expect_fields(&r, 2, 2, "7", "one, two");
	expect_fields(&r, 3, 2, "8", "say \"hi\"");
	expect_fields(&r, 4, 2, "9", "line one\nline two");
	/* The quoted line break moved every later record one line down. */
	expect_fields(&r, 6, 2, "10", "");
	expect_fields(&r, 7, 2, "11", "after");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_crlf_and_bom(void **state)
{
	static const char text[] = "\xEF\xBB\xBFuser,time\r\n"
	    "u1,\"x\r\ny\"\r\n"
	    "u2,5\r\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 2, "user", "time");
	/* Inside quotes a CRLF is data. */
	expect_fields(&r, 2, 2, "u1", "x\r\ny");
	expect_fields(&r, 4, 2, "u2", "5");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_no_final_newline_and_blank_lines(void **state)
{
	static const char text[] = "a,b\n\n\r\n1,2";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 2, "a", "b");
	expect_fields(&r, 4, 2, "1", "2");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_field_counts_vary(void **state)
{
	static const char text[] = "a,b,c\n1,2\n1,2,3,4\n,\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 3, "a", "b", "c");
	expect_fields(&r, 2, 2, "1", "2");
	expect_fields(&r, 3, 4, "1", "2", "3", "4");
	expect_fields(&r, 4, 2, "", "");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_malformed_quotes(void **state)
{
	static const char text[] = "a,b\n"
	    "x,y\"z\n"
	    "\"q\"r,s\n"
	    "ok,1\n"
	    "\"open,never closed\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 2, "a", "b");
	expect_bad(&r, 2, CSV_BAD_QUOTES);
	expect_bad(&r, 3, CSV_BAD_QUOTES);
	expect_fields(&r, 4, 2, "ok", "1");
	expect_bad(&r, 5, CSV_BAD_QUOTES);
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_too_long_is_skipped(void **state)
{
	char text[256];
	struct csv_reader r;
	int n;

	(void)state;
	/* A 40-byte record with a limit of 32, then a short one. */
	n = snprintf(text, sizeof text, "a,b\n%s,%s\nc,d\n",
	    "0123456789012345678", "01234567890123456789");
	open_text(&r, text, (size_t)n, CSV_MODE_RFC4180, 32);
	expect_fields(&r, 1, 2, "a", "b");
	expect_bad(&r, 2, CSV_BAD_TOO_LONG);
	expect_fields(&r, 3, 2, "c", "d");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_too_long_quoted_skips_whole(void **state)
{
	char text[256];
	struct csv_reader r;
	int n;

	(void)state;
	/* The long record's quoted field contains line ends and a "" escape;
	   the record after it must come out whole. */
	n = snprintf(text, sizeof text, "a,b\n1,\"%s\n%s\"\"\n,x\"\n"
	    "c,d\n", "0123456789012345678901234567890123456789",
	    "more text");
	open_text(&r, text, (size_t)n, CSV_MODE_RFC4180, 32);
	expect_fields(&r, 1, 2, "a", "b");
	expect_bad(&r, 2, CSV_BAD_TOO_LONG);
	expect_fields(&r, 5, 2, "c", "d");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_long_open_quote_is_bounded(void **state)
{
	size_t len = 200000, i;
	char *text = malloc(len);
	struct csv_reader r;

	(void)state;
	assert_non_null(text);
	/* A quote that never closes must not make the reader keep 200 kB. */
	memcpy(text, "h\n\"", 3);
	for (i = 3; i < len - 6; i++)
		text[i] = i % 50 == 0 ? '\n' : 'x';
	memcpy(text + len - 6, "\nlast\n", 6);
	open_text(&r, text, len, CSV_MODE_RFC4180, 1000);
	expect_fields(&r, 1, 1, "h");
	expect_bad(&r, 2, CSV_BAD_TOO_LONG);
	assert_true(r.rec_cap <= 4096);
	close_text(&r);
	free(text);
}

static void
test_csv_lines_mode(void **state)
{
	static const char text[] = "\xEF\xBB\xBF{\"a\": \"x,y\"}\r\n\n"
	    "{\"b\": \"\\\"q\\\"\"}\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_LINES, 0);
	expect_fields(&r, 1, 1, "{\"a\": \"x,y\"}");
	expect_fields(&r, 3, 1, "{\"b\": \"\\\"q\\\"\"}");
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_empty_file(void **state)
{
	struct csv_reader r;

	(void)state;
	open_text(&r, "", 0, CSV_MODE_RFC4180, 0);
	expect_eof(&r);
	close_text(&r);
}

static void
test_csv_open_missing_file(void **state)
{
	struct csv_reader r;
	struct wk_err err;

	(void)state;
	assert_int_equal(csv_open(&r, "/nonexistent/dir/x.csv",
	    CSV_MODE_RFC4180, 0, &err), WK_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/x.csv"));
}

/* Writes fields through csv_write_field and reads them back. */
static void
test_csv_write_field_round_trip(void **state)
{
	static const char *const fields[] = { "plain", "a,b", "say \"hi\"",
		"two\nlines", "" };
	char path[] = "/tmp/pipeline_csv_out.XXXXXX";
	struct csv_reader r;
	struct outfile of;
	struct wk_err err;
	size_t i;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(outfile_open(&of, path, &err), WK_OK);
	for (i = 0; i < 5; i++) {
		if (i > 0)
			outfile_puts(&of, ",");
		csv_write_field(&of, fields[i], strlen(fields[i]));
	}
	outfile_puts(&of, "\n");
	assert_int_equal(outfile_commit(&of, &err), WK_OK);

	snprintf(test_path, sizeof test_path, "%s", path);
	assert_int_equal(csv_open(&r, path, CSV_MODE_RFC4180, 0, &err), WK_OK);
	expect_fields(&r, 1, 5, "plain", "a,b", "say \"hi\"", "two\nlines", "");
	close_text(&r);
}

static void
test_utf8_validation(void **state)
{
	(void)state;
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("Beyonc\xC3\xA9", 8));
	assert_true(utf8_valid("\xE2\x82\xAC", 3));          /* euro sign */
	assert_true(utf8_valid("\xF0\x9F\x8E\xB5", 4));      /* U+1F3B5 */
	assert_false(utf8_valid("\xC3", 1));                 /* truncated */
	assert_false(utf8_valid("\xC0\xAF", 2));             /* overlong */
	assert_false(utf8_valid("\xE0\x80\xAF", 3));         /* overlong */
	assert_false(utf8_valid("\xED\xA0\x80", 3));         /* surrogate */
	assert_false(utf8_valid("\xF4\x90\x80\x80", 4));     /* > U+10FFFF */
	assert_false(utf8_valid("\xFF", 1));
	assert_false(utf8_valid("a\0b", 3));                 /* NUL byte */
}

/*
 * Records on both sides of the 1 MiB buffer's end, where a line is split
 * between two reads: every one must come back whole, at its line and
 * offset.
 */
static void
test_csv_lines_across_buffer_ends(void **state)
{
	size_t n = 3 * CSV_CHUNK_SIZE / 20, i, len = 0;
	char *text = malloc(n * 32);
	uint64_t *offsets = malloc(n * sizeof *offsets);
	struct csv_reader r;
	struct csv_record rec;
	struct wk_err err;

	(void)state;
	assert_non_null(text);
	assert_non_null(offsets);
	for (i = 0; i < n; i++) {
		offsets[i] = len;
		len += (size_t)sprintf(text + len, "u%zu,%zu,%s\n", i, i * 7,
		    i % 5 == 0 ? "\"q,\"" : "v");
	}
	open_text(&r, text, len, CSV_MODE_RFC4180, 0);
	for (i = 0; i < n; i++) {
		char want[32];

		assert_int_equal(csv_next(&r, test_path, &rec, &err), WK_OK);
		assert_int_equal(rec.n_fields, 3);
		assert_int_equal(rec.line, i + 1);
		assert_int_equal(rec.offset, offsets[i]);
		snprintf(want, sizeof want, "u%zu", i);
		assert_string_equal(rec.fields[0].data, want);
		assert_string_equal(rec.fields[2].data,
		    i % 5 == 0 ? "q," : "v");
	}
	expect_eof(&r);
	close_text(&r);
	free(text);
	free(offsets);
}

/* A line of 4096 fields is bad, and the lines around it stay intact. */
static void
test_csv_too_many_fields(void **state)
{
	size_t len = 0, i;
	char *text = malloc(4 * 4096 + 64);
	struct csv_reader r;

	(void)state;
	assert_non_null(text);
	len += (size_t)sprintf(text, "a,b\n");
	for (i = 0; i < 4096; i++)
		len += (size_t)sprintf(text + len, i == 0 ? "x" : ",x");
	len += (size_t)sprintf(text + len, "\n1,2\n");
	open_text(&r, text, len, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 2, "a", "b");
	expect_bad(&r, 2, CSV_BAD_TOO_MANY);
	expect_fields(&r, 3, 2, "1", "2");
	expect_eof(&r);
	close_text(&r);
	free(text);
}

/* A CR that does not end a line is data, read byte by byte. */
static void
test_csv_stray_carriage_return(void **state)
{
	static const char text[] = "a,b\nx\ry,z\r\n1,2\n";
	struct csv_reader r;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	expect_fields(&r, 1, 2, "a", "b");
	expect_fields(&r, 2, 2, "x\ry", "z");
	expect_fields(&r, 3, 2, "1", "2");
	expect_eof(&r);
	close_text(&r);
}

/* Reading again after csv_rewind() gives the same records. */
static void
test_csv_rewind(void **state)
{
	static const char text[] = "\xEF\xBB\xBF" "a,b\n1,\"2\n3\"\n4,5\n";
	struct csv_reader r;
	struct wk_err err;
	int pass;

	(void)state;
	open_text(&r, text, sizeof text - 1, CSV_MODE_RFC4180, 0);
	for (pass = 0; pass < 2; pass++) {
		expect_fields(&r, 1, 2, "a", "b");
		expect_fields(&r, 2, 2, "1", "2\n3");
		expect_fields(&r, 4, 2, "4", "5");
		expect_eof(&r);
		assert_int_equal(csv_rewind(&r, test_path, &err), WK_OK);
	}
	close_text(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_plain_fields),
		cmocka_unit_test(test_csv_quotes_commas_newlines),
		cmocka_unit_test(test_csv_crlf_and_bom),
		cmocka_unit_test(test_csv_no_final_newline_and_blank_lines),
		cmocka_unit_test(test_csv_field_counts_vary),
		cmocka_unit_test(test_csv_malformed_quotes),
		cmocka_unit_test(test_csv_too_long_is_skipped),
		cmocka_unit_test(test_csv_too_long_quoted_skips_whole),
		cmocka_unit_test(test_csv_long_open_quote_is_bounded),
		cmocka_unit_test(test_csv_lines_mode),
		cmocka_unit_test(test_csv_empty_file),
		cmocka_unit_test(test_csv_open_missing_file),
		cmocka_unit_test(test_csv_write_field_round_trip),
		cmocka_unit_test(test_utf8_validation),
		cmocka_unit_test(test_csv_lines_across_buffer_ends),
		cmocka_unit_test(test_csv_too_many_fields),
		cmocka_unit_test(test_csv_stray_carriage_return),
		cmocka_unit_test(test_csv_rewind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
