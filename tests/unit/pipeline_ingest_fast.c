/*
 * The shortcuts of the ingest stage against the slow ways they replace.
 * The one-pass CSV path is checked against the state machine, the
 * remembered yyyymmdd times against timefmt_parse(), and the line marks
 * that find the lines of duplicates against a count from the start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pipeline/csv.h"
#include "pipeline/evfile.h"
#include "pipeline/ingest.h"
#include "pipeline/ingeststage.h"
#include "pipeline/timefmt.h"

#define ROWS 6000  /* rows of the generated logs */

static char dir[] = "/tmp/pipeline_ingest_fast.XXXXXX";
static char input[128];
static char output[128];
static char quarantine[160];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(input, sizeof input, "%s/in", dir);
	snprintf(output, sizeof output, "%s/out.wkev", dir);
	snprintf(quarantine, sizeof quarantine, "%s/out.wkev.quarantine.csv",
	    dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(input);
	unlink(output);
	unlink(quarantine);
	rmdir(dir);
	return 0;
}

static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
write_input(const char *text, size_t len)
{
	FILE *fp = fopen(input, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

/* One record as read, copied out of the reader's buffers. */
struct copied {
	struct csv_record rec;  /* line, offset, size, bad, n_fields, ascii */
	char text[256];         /* the fields, each with its NUL */
	size_t len;             /* bytes of text */
};

/* Reads every record of input, up to max, into out; returns the count. */
static size_t
read_all(bool bytewise, size_t max_record, struct copied *out, size_t max)
{
	struct csv_reader r;
	struct csv_record rec;
	struct wk_err err;
	size_t n = 0, i;

	assert_int_equal(csv_open(&r, input, CSV_MODE_RFC4180, max_record,
	    &err), WK_OK);
	r.bytewise = bytewise;
	while (n < max && csv_next(&r, input, &rec, &err) == WK_OK) {
		struct copied *c = &out[n++];

		c->rec = rec;
		c->len = 0;
		for (i = 0; i < rec.n_fields; i++) {
			assert_true(c->len + rec.fields[i].len + 1 <=
			    sizeof c->text);
			memcpy(c->text + c->len, rec.fields[i].data,
			    rec.fields[i].len + 1);
			c->len += rec.fields[i].len + 1;
		}
	}
	csv_close(&r);
	return n;
}

/*
 * Returns whether the fields in the len bytes at p, each followed by its
 * NUL, are all in 0x01..0x7F.
 */
static bool
all_ascii(const char *p, size_t len, size_t n_fields)
{
	size_t i, nuls = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return false;
		nuls += p[i] == '\0';
	}
	return nuls == n_fields;
}

/*
 * Random lines of commas, quotes, CRs, LFs and bytes above 0x7F give the
 * same records through the one-pass path as through the state machine,
 * and a record flagged as ASCII has no NUL and no byte above 0x7F.
 */
static void
test_csv_one_pass_matches_state_machine(void **state)
{
#define PIECE(s) { s, sizeof s - 1 }
	static const struct { const char *text; size_t len; } pieces[] = {
		PIECE("a"), PIECE("bc"), PIECE(","), PIECE(","), PIECE("\n"),
		PIECE("\r\n"), PIECE("\r"), PIECE("\""), PIECE("\"x\""),
		PIECE("\xC3\xA9"), PIECE("\xFF"), PIECE(""), PIECE("\n\n"),
		PIECE("\0") };
#undef PIECE
	static struct copied fast[2048], slow[2048];
	size_t n_pieces = sizeof pieces / sizeof pieces[0];
	uint64_t s = 12345;
	char text[8192];
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		size_t len = 0, n_fast, n_slow, i;
		size_t max_record = round % 3 == 0 ? 24 : 0;

		while (len < sizeof text - 16) {
			size_t k = next_random(&s) % n_pieces;

			memcpy(text + len, pieces[k].text, pieces[k].len);
			len += pieces[k].len;
		}
		write_input(text, len);
		n_fast = read_all(false, max_record, fast, 2048);
		n_slow = read_all(true, max_record, slow, 2048);
		assert_int_equal(n_fast, n_slow);
		for (i = 0; i < n_fast; i++) {
			assert_int_equal(fast[i].rec.line, slow[i].rec.line);
			assert_int_equal(fast[i].rec.offset, slow[i].rec.offset);
			assert_int_equal(fast[i].rec.size, slow[i].rec.size);
			assert_int_equal(fast[i].rec.bad, slow[i].rec.bad);
			assert_int_equal(fast[i].rec.n_fields,
			    slow[i].rec.n_fields);
			assert_int_equal(fast[i].len, slow[i].len);
			assert_memory_equal(fast[i].text, slow[i].text,
			    fast[i].len);
			if (fast[i].rec.ascii)
				assert_true(all_ascii(fast[i].text,
				    fast[i].len, fast[i].rec.n_fields));
		}
	}
}

/*
 * Plain ASCII rows take the one-pass path and are flagged as ASCII; rows
 * with a byte above 0x7F or a NUL are not.
 */
static void
test_csv_ascii_flag(void **state)
{
	static const char text[] = "a,b\r\nc\xC3\xA9,d\n,\nx\0y,z\n";
	struct copied recs[5];

	(void)state;
	write_input(text, sizeof text - 1);
	assert_int_equal(read_all(false, 0, recs, 5), 4);
	assert_true(recs[0].rec.ascii);
	assert_false(recs[1].rec.ascii);
	assert_true(recs[2].rec.ascii);
	assert_int_equal(recs[2].rec.n_fields, 2);
	assert_int_equal(recs[2].len, 2);
	assert_false(recs[3].rec.ascii);
	assert_int_equal(recs[3].rec.n_fields, 2);
}

/* A NUL byte in a row of ASCII makes the row bad UTF-8, as before. */
static void
test_ingest_nul_byte_is_bad(void **state)
{
	static const char text[] = "user,time\nu1,19970101\nu\0,19970102\n"
	    "u3,1997\0" "0103\n";
	struct ingest_opts o = { .input = input, .output = output,
	    .format = INGEST_CSV, .user_column = "user",
	    .time_column = "time", .time_format = TIMEFMT_YYYYMMDD,
	    .max_bad_fraction = 1.0 };
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input(text, sizeof text - 1);
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.rows_in, 3);
	assert_int_equal(res.bad.count[BADROW_UTF8], 2);
	assert_int_equal(res.bad.lines[BADROW_UTF8][0], 3);
	assert_int_equal(res.bad.lines[BADROW_UTF8][1], 4);
	assert_int_equal(res.events, 1);
}

/* Writes a yyyymmdd text, valid or not, of a random day in 1900..2199. */
static void
random_day(uint64_t *s, char out[9])
{
	unsigned year = 1900 + (unsigned)(next_random(s) % 300);
	unsigned month = (unsigned)(next_random(s) % 14);
	unsigned day = (unsigned)(next_random(s) % 33);

	snprintf(out, 9, "%04u%02u%02u", year % 10000, month % 100, day % 100);
}

/*
 * A log of one row a user with random days of three centuries, valid
 * and invalid, which share the remembered slots: each event's time is
 * what timefmt_parse() makes of its text, and the invalid ones are bad.
 */
static void
test_ingest_days_match_timefmt(void **state)
{
	struct ingest_opts o = { .input = input, .output = output,
	    .format = INGEST_CSV, .user_column = "user",
	    .time_column = "time", .time_format = TIMEFMT_YYYYMMDD,
	    .max_bad_fraction = 1.0 };
	char *text = malloc(ROWS * 32 + 64), days[ROWS][9];
	int64_t want[ROWS];
	uint64_t s = 99, bad = 0, i, k = 0;
	struct ingest_result res;
	struct evfile ef;
	struct wk_err err;
	size_t len;

	(void)state;
	assert_non_null(text);
	len = (size_t)sprintf(text, "user,time\n");
	for (i = 0; i < ROWS; i++) {
		random_day(&s, days[i]);
		len += (size_t)sprintf(text + len, "u%" PRIu64 ",%s\n", i,
		    days[i]);
	}
	write_input(text, len);
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);

	for (i = 0; i < ROWS; i++) {
		if (timefmt_parse(TIMEFMT_YYYYMMDD, days[i], 8, &want[k]) ==
		    WK_OK)
			k++;
		else
			bad++;
	}
	assert_true(bad > 0);
	assert_int_equal(res.bad.count[BADROW_TIME], bad);
	assert_int_equal(evfile_open(&ef, output, NULL, NULL, &err), WK_OK);
	assert_int_equal(ef.header->n_events, k);
	for (i = 0; i < k; i++)
		assert_int_equal(ef.records[i].time_ms, want[i]);
	evfile_close(&ef);
	free(text);
}

/*
 * Builds a log of ROWS rows whose user ids hold a line break now and
 * then, so that lines and rows differ. Stores each row's offset and line.
 */
static size_t
build_multiline_log(char *text, uint64_t *offsets, uint64_t *lines)
{
	size_t len = 0, i;
	uint64_t line = 1;

	for (i = 0; i < ROWS; i++) {
		offsets[i] = len;
		lines[i] = line;
		if (i % 97 == 5) {
			len += (size_t)sprintf(text + len, "\"u%zu\nx\",%zu\n",
			    i, i % 7);
			line += 2;
		} else {
			len += (size_t)sprintf(text + len, "u%zu,%zu\n", i,
			    i % 7);
			line++;
		}
	}
	return len;
}

/*
 * ingest_find_lines() with few marks, which drop every second one many
 * times, gives the lines a count from the start gives, for repeated and
 * far apart offsets, and fails on an offset past the end of the file.
 */
static void
test_find_lines_with_marks(void **state)
{
	char *text = malloc(ROWS * 32);
	uint64_t *offsets = malloc(ROWS * sizeof *offsets);
	uint64_t *lines = malloc(ROWS * sizeof *lines);
	uint64_t want[64], query[64], got[64], s = 7;
	struct ingest_marks marks = { .stride = 1, .max = 4 };
	struct ingest_marks none = { .stride = 1, .max = 4 };
	size_t len, i, n = 0;
	int fd;

	(void)state;
	assert_non_null(text);
	assert_non_null(offsets);
	assert_non_null(lines);
	len = build_multiline_log(text, offsets, lines);
	write_input(text, len);
	for (i = 0; i < ROWS; i++)
		ingest_mark_row(&marks, offsets[i], lines[i]);
	assert_true(marks.n >= 2 && marks.n <= 4);
	assert_true(marks.stride >= 512);

	for (i = 0; i < ROWS && n < 64; i += 1 + next_random(&s) % 300) {
		want[n] = lines[i];
		query[n++] = offsets[i];
		if (i % 3 == 0 && n < 64) {
			want[n] = lines[i];
			query[n++] = offsets[i];
		}
	}
	fd = open(input, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ingest_find_lines(&marks, fd, query, n, got), WK_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
	assert_int_equal(ingest_find_lines(&none, fd, query, n, got), WK_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
	query[0] = len + 10;
	assert_int_equal(ingest_find_lines(&marks, fd, query, 1, got),
	    WK_ERR_IO);
	close(fd);
	free(marks.items);
	free(text);
	free(offsets);
	free(lines);
}

/* Returns the quarantine file's text; the caller frees it. */
static char *
read_quarantine(void)
{
	FILE *fp = fopen(quarantine, "r");
	char *text = calloc(1, 1 << 20);

	assert_non_null(fp);
	assert_non_null(text);
	assert_true(fread(text, 1, (1 << 20) - 1, fp) > 0);
	fclose(fp);
	return text;
}

/*
 * Duplicates far into a log with ids that span lines are quarantined
 * with their own line and the line of the row they repeat.
 */
static void
test_ingest_duplicate_lines_far(void **state)
{
	struct ingest_opts o = { .input = input, .output = output,
	    .format = INGEST_CSV, .user_column = "user",
	    .time_column = "time", .time_format = TIMEFMT_YYYYMMDD,
	    .max_bad_fraction = 1.0 };
	char *text = malloc(ROWS * 48 + 64), *quar, want[64];
	uint64_t line, i;
	struct ingest_result res;
	struct wk_err err;
	size_t len;

	(void)state;
	assert_non_null(text);
	len = (size_t)sprintf(text, "user,time\n");
	for (i = 0; i < ROWS; i++) {
		bool multi = i % 89 == 3;
		int copies = i % 1500 == 1499 ? 2 : 1;

		/* Two rows a user; the copy repeats the row it follows. */
		while (copies-- > 0)
			len += (size_t)sprintf(text + len, multi ? "\"u%" PRIu64
			    "\nx\",1998%02u%02u\n" : "u%" PRIu64
			    ",1998%02u%02u\n", i / 2, (unsigned)(1 + i % 12),
			    (unsigned)(1 + i % 28));
	}
	write_input(text, len);
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.notes.count[BADROW_DUPLICATE], ROWS / 1500);

	quar = read_quarantine();
	line = 2;
	for (i = 0; i < ROWS; i++) {
		uint64_t first = line;

		line += i % 89 == 3 ? 2 : 1;
		if (i % 1500 != 1499)
			continue;
		snprintf(want, sizeof want, "\n%" PRIu64 ",duplicate,%" PRIu64
		    ",", line, first);
		if (strstr(quar, want) == NULL)
			fail_msg("no quarantine row '%s' in:\n%s", want + 1,
			    quar);
		line += i % 89 == 3 ? 2 : 1;
	}
	free(quar);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_one_pass_matches_state_machine),
		cmocka_unit_test(test_csv_ascii_flag),
		cmocka_unit_test(test_ingest_nul_byte_is_bad),
		cmocka_unit_test(test_ingest_days_match_timefmt),
		cmocka_unit_test(test_find_lines_with_marks),
		cmocka_unit_test(test_ingest_duplicate_lines_far),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
