/*
 * The ingest stage on small logs. Covered: bad rows counted by reason
 * with their line numbers, the quarantine file, duplicates and rows out
 * of order, and the bad-row threshold. Also JSON Lines with nulls,
 * floats and empty user ids, and the exit statuses of unusable inputs
 * and outputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pipeline/evfile.h"
#include "pipeline/ingest.h"

static char dir[] = "/tmp/pipeline_ingest.XXXXXX";
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

static void
write_input(const char *text)
{
	FILE *fp = fopen(input, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static struct ingest_opts
csv_opts(void)
{
	struct ingest_opts o = {
		.input = input, .output = output, .format = INGEST_CSV,
		.user_column = "user", .time_column = "time",
		.time_format = TIMEFMT_YYYYMMDD, .value_column = "value",
		.max_bad_fraction = 1.0,
	};

	return o;
}

static const char bad_csv[] =
	"user,time,value\n"
	"u1,19970101,1.5\n"
	"u2,1997x101,2\n"
	",19970102,3\n"
	"u3,19970103,abc\n"
	"u4,19970104\n"
	"u5,19970105,\"1,5\"\n"
	"\"u6,x\",19970106,\n"
	"u7,19970107,\xff\n"
	"u1,19970110,2.5\n"
	"u8,\"19970108,9\n";

static void
test_ingest_bad_rows_by_reason(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input(bad_csv);
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.rows_in, 10);
	assert_int_equal(res.bad.total, 7);
	assert_int_equal(res.bad.count[BADROW_TIME], 1);
	assert_int_equal(res.bad.lines[BADROW_TIME][0], 3);
	assert_string_equal(res.bad.example[BADROW_TIME], "1997x101");
	assert_int_equal(res.bad.count[BADROW_EMPTY_USER], 1);
	assert_int_equal(res.bad.lines[BADROW_EMPTY_USER][0], 4);
	assert_int_equal(res.bad.count[BADROW_VALUE], 2);
	assert_int_equal(res.bad.lines[BADROW_VALUE][0], 5);
	assert_int_equal(res.bad.lines[BADROW_VALUE][1], 7);
	assert_int_equal(res.bad.count[BADROW_COLUMNS], 1);
	assert_int_equal(res.bad.lines[BADROW_COLUMNS][0], 6);
	assert_int_equal(res.bad.count[BADROW_UTF8], 1);
	assert_int_equal(res.bad.lines[BADROW_UTF8][0], 9);
	assert_int_equal(res.bad.count[BADROW_QUOTES], 1);
	assert_int_equal(res.bad.lines[BADROW_QUOTES][0], 11);
	/* u1 twice and "u6,x" (an empty value is 0). */
	assert_int_equal(res.users, 2);
	assert_int_equal(res.events, 3);
}

/* Returns the quarantine file's text; the caller frees it. */
static char *
read_quarantine(void)
{
	FILE *fp = fopen(quarantine, "r");
	char *text = calloc(4096, 1);

	assert_non_null(fp);
	assert_non_null(text);
	assert_true(fread(text, 1, 4095, fp) > 0);
	fclose(fp);
	return text;
}

static void
test_ingest_quarantine_of_bad_rows(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;
	char *text;

	(void)state;
	write_input(bad_csv);
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.quarantined, 7);
	text = read_quarantine();
	/* Rows in file order with line, reason, value and the raw row. */
	assert_string_equal(text, "line,reason,value,row\n"
	    "3,time,1997x101,\"u2,1997x101,2\"\n"
	    "4,empty_user,,\",19970102,3\"\n"
	    "5,value,abc,\"u3,19970103,abc\"\n"
	    "6,columns,,\"u4,19970104\"\n"
	    "7,value,\"1,5\",\"u5,19970105,\"\"1,5\"\"\"\n"
	    "9,utf8,,\"u7,19970107,\xff\"\n"
	    "11,quotes,,\"u8,\"\"19970108,9\"\n");
	free(text);
}

static void
test_ingest_duplicates_and_order(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct evfile ef;
	struct wk_err err;
	char *text;

	(void)state;
	/*
	 * Line 3 repeats line 2. The row on lines 6 and 7 repeats the one on
	 * lines 4 and 5, whose quoted id contains a comma and a line break; a
	 * duplicate's row is quarantined up to its first line end. Line 8
	 * is earlier than user a's line 2, line 9 after --max-date. The BOM
	 * and the CRLF line ends are valid CSV and count nowhere.
	 */
	write_input("\xEF\xBB\xBFuser,time,value\r\n"
	    "a,19970105,1\r\n"
	    "a,19970105,1\n"
	    "\"b,\nc\",19970106,2\n"
	    "\"b,\nc\",19970106,2\n"
	    "a,19970101,7\n"
	    "a,19990101,1\n");
	o.has_max_time = true;
	o.max_time_ms = INT64_C(10408) * 86400000;  /* end of 1998-06-30 */
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.rows_in, 6);
	assert_int_equal(res.bad.total, 1);
	assert_int_equal(res.bad.count[BADROW_AFTER_MAX_DATE], 1);
	assert_int_equal(res.bad.lines[BADROW_AFTER_MAX_DATE][0], 9);
	assert_int_equal(res.notes.count[BADROW_DUPLICATE], 2);
	assert_int_equal(res.notes.lines[BADROW_DUPLICATE][0], 3);
	assert_int_equal(res.notes.lines[BADROW_DUPLICATE][1], 6);
	assert_int_equal(res.notes.count[BADROW_OUT_OF_ORDER], 1);
	assert_int_equal(res.notes.lines[BADROW_OUT_OF_ORDER][0], 8);
	assert_int_equal(res.events, 3);
	assert_int_equal(res.users, 2);

	text = read_quarantine();
	assert_string_equal(text, "line,reason,value,row\n"
	    "9,after_max_date,19990101,\"a,19990101,1\"\n"
	    "3,duplicate,2,\"a,19970105,1\"\n"
	    "6,duplicate,4,\"\"\"b,\"\n");
	free(text);

	assert_int_equal(evfile_open(&ef, output, NULL, NULL, &err), WK_OK);
	assert_string_equal(evfile_user_id(&ef, 0), "a");
	assert_string_equal(evfile_user_id(&ef, 1), "b,\nc");
	assert_int_equal(ef.users[0].n_events, 2);
	assert_float_equal(ef.records[0].value, 7.0, 0.0);  /* sorted */
	evfile_close(&ef);

	o.keep_duplicates = true;
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.notes.count[BADROW_DUPLICATE_KEPT], 2);
	assert_int_equal(res.events, 5);
}

static void
test_ingest_too_many_bad_rows(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input(bad_csv);
	unlink(output);
	o.max_bad_fraction = 0.5;
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_DATAERR);
	assert_non_null(strstr(err.msg, "7 of 10 rows"));
	assert_non_null(strstr(err.msg, "--max-bad-fraction"));
	assert_int_equal(access(output, F_OK), -1);
}

static void
test_ingest_skip_empty_user(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input("\xEF\xBB\xBFuser,time,value\r\n"
	    "u1,19970101,1\r\n"
	    ",19970102,2\r\n"
	    "u2,19980630,3\r\n");
	o.skip_empty_user = true;
	o.max_bad_fraction = 0.0;
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.rows_in, 3);
	assert_int_equal(res.rows_skipped, 1);
	assert_int_equal(res.bad.total, 0);
	assert_int_equal(res.users, 2);
	assert_int_equal(res.time_min_ms, INT64_C(9862) * 86400000);
	assert_int_equal(res.time_max_ms, INT64_C(10407) * 86400000);
}

static void
test_ingest_jsonl(void **state)
{
	struct ingest_opts o = {
		.input = input, .output = output, .format = INGEST_JSONL,
		.user_column = "userId", .time_column = "ts",
		.time_format = TIMEFMT_EPOCH_MS, .event_column = "page",
		.value_column = "length", .skip_empty_user = true,
		.max_bad_fraction = 1.0,
	};
	struct ingest_result res;
	struct evfile ef;
	struct wk_err err;

	(void)state;
	write_input(
	    "{\"userId\":\"39\",\"ts\":1541105830796,\"page\":\"Home\","
	    "\"length\":null}\n"
	    "{\"userId\":\"\",\"ts\":1541105830797,\"page\":\"Home\"}\n"
	    "{\"userId\":\"8\",\"ts\":1541105830796.0,\"page\":\"NextSong\","
	    "\"length\":246.3,\"artist\":\"Beyonc\xC3\xA9\"}\n"
	    "{\"userId\":8,\"ts\":\"1541105830900\",\"page\":\"NextSong\","
	    "\"length\":\"12.5\"}\n"
	    "not json\n"
	    "{\"userId\":\"9\",\"page\":\"Home\"}\n"
	    "{\"userId\":\"9\",\"ts\":true,\"page\":\"Home\"}\n"
	    "[\"array\"]\n"
	    "{\"userId\":\"10\",\"ts\":1,\"page\":\"Home\",\"length\":[1]}\n");
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.rows_in, 9);
	assert_int_equal(res.rows_skipped, 1);
	assert_int_equal(res.bad.count[BADROW_JSON], 2);
	assert_int_equal(res.bad.lines[BADROW_JSON][0], 5);
	assert_int_equal(res.bad.lines[BADROW_JSON][1], 8);
	assert_int_equal(res.bad.count[BADROW_FIELD], 1);
	assert_string_equal(res.bad.example[BADROW_FIELD], "ts");
	assert_int_equal(res.bad.count[BADROW_TIME], 1);
	assert_int_equal(res.bad.count[BADROW_VALUE], 1);
	assert_int_equal(res.users, 2);
	assert_int_equal(res.events, 3);

	assert_int_equal(evfile_open(&ef, output, NULL, NULL, &err), WK_OK);
	/* "39" < "8"; user 8's events by time, the integer id merged in. */
	assert_string_equal(evfile_user_id(&ef, 0), "39");
	assert_string_equal(evfile_user_id(&ef, 1), "8");
	assert_int_equal(ef.users[1].n_events, 2);
	assert_float_equal(ef.records[0].value, 0.0, 0.0);
	assert_float_equal(ef.records[1].value, 246.3, 1e-12);
	assert_int_equal(ef.records[2].time_ms, INT64_C(1541105830900));
	assert_float_equal(ef.records[2].value, 12.5, 0.0);
	assert_string_equal(evfile_name(&ef, ef.records[0].name), "Home");
	assert_string_equal(evfile_name(&ef, ef.records[2].name), "NextSong");
	evfile_close(&ef);
}

static void
test_ingest_long_line(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input("user,time,value\n"
	    "u1,19970101,1\n"
	    "u2,19970101,123456789012345678901234567890\n"
	    "u3,19970101,3\n");
	o.max_line = 24;
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_OK);
	assert_int_equal(res.bad.count[BADROW_TOO_LONG], 1);
	assert_int_equal(res.bad.lines[BADROW_TOO_LONG][0], 3);
	assert_int_equal(res.users, 2);
}

static void
test_ingest_unusable_inputs(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input("customer,time,value\nu1,19970101,1\n");
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_DATAERR);
	assert_non_null(strstr(err.msg, ":1: the header has no column 'user'"));
	assert_non_null(strstr(err.msg, "customer, time, value"));

	write_input("");
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_DATAERR);
	assert_non_null(strstr(err.msg, "is empty"));

	write_input("user,time,value\n");
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_DATAERR);
	assert_non_null(strstr(err.msg, "no data rows"));

	write_input("user,time,value\n,19970101,1\n");
	o.skip_empty_user = true;
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_DATAERR);
	assert_non_null(strstr(err.msg, "no usable events"));

	o.input = "/nonexistent/events.csv";
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_NOINPUT);
	assert_non_null(strstr(err.msg, "/nonexistent/events.csv"));
}

/*
 * Writes a log of n_users users with rows_per_user rows each, either
 * grouped by user or interleaved (in time order), with a bad row every
 * 997 rows and a duplicate of the row before every 1009 rows.
 */
static void
write_big_input(unsigned n_users, unsigned rows_per_user, int grouped)
{
	FILE *fp = fopen(input, "w");
	unsigned i, n = n_users * rows_per_user;

	assert_non_null(fp);
	fputs("user,time,value\n", fp);
	for (i = 0; i < n; i++) {
		unsigned u = grouped ? i / rows_per_user : i % n_users;
		unsigned k = grouped ? i % rows_per_user : i / n_users;

		if (i % 997 == 500)
			fprintf(fp, "u%u,1997x101,%u\n", u, k);
		fprintf(fp, "u%u,%u,%u.%02u\n", u, 19970101 + k % 28, k,
		    u % 100);
		if (i % 1009 == 7)
			fprintf(fp, "u%u,%u,%u.%02u\n", u, 19970101 + k % 28, k,
			    u % 100);
	}
	fclose(fp);
}

/* Counts the quarantine file's lines that contain text. */
static unsigned
count_quarantined(const char *text)
{
	FILE *fp = fopen(quarantine, "r");
	char line[256];
	unsigned n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof line, fp) != NULL)
		n += strstr(line, text) != NULL;
	fclose(fp);
	return n;
}

/* Sums the records of an event file by user id, order aside. */
static double
checksum_events(void)
{
	struct evfile ef;
	struct wk_err err;
	double sum = 0.0;
	uint64_t u, i;

	assert_int_equal(evfile_open(&ef, output, NULL, NULL, &err), WK_OK);
	for (u = 0; u < ef.header->n_users; u++) {
		const struct evfile_user *user = &ef.users[u];
		double id = atof(evfile_user_id(&ef, u) + 1);

		for (i = 0; i < user->n_events; i++) {
			const struct evfile_record *r =
			    &ef.records[user->first_event + i];

			sum += (id + 1.0) * ((double)(r->time_ms / 86400000) +
			    r->value * 3.0 + (double)i);
		}
	}
	evfile_close(&ef);
	return sum;
}

/*
 * A log larger than the sort memory, grouped by user (written straight
 * through) and interleaved (read again and merged from spilled runs),
 * gives the same counts, quarantine rows and events.
 */
static void
test_ingest_large_logs_alike(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res[2];
	struct wk_err err;
	double sums[2];
	int grouped;

	(void)state;
	o.sort_mib = 1;  /* 32768 records, below the 60000 rows */
	for (grouped = 0; grouped < 2; grouped++) {
		write_big_input(3000, 20, grouped);
		assert_int_equal(ingest_run(&o, NULL, &res[grouped], &err),
		    EX_OK);
		sums[grouped] = checksum_events();
		/* 60 bad rows and 60 duplicates, each once. */
		assert_int_equal(count_quarantined(",time,"), 60);
		assert_int_equal(count_quarantined(",duplicate,"), 60);
	}
	assert_int_equal(res[0].rows_in, 60000 + 60 + 60);
	assert_int_equal(res[0].rows_in, res[1].rows_in);
	assert_int_equal(res[0].bad.total, 60);
	assert_int_equal(res[1].bad.total, 60);
	assert_int_equal(res[0].notes.count[BADROW_DUPLICATE], 60);
	assert_int_equal(res[1].notes.count[BADROW_DUPLICATE], 60);
	assert_int_equal(res[0].users, 3000);
	assert_int_equal(res[1].users, 3000);
	assert_int_equal(res[0].events, 60000);
	assert_int_equal(res[1].events, 60000);
	assert_float_equal(sums[0], sums[1], 1e-6 * sums[0]);
}

static void
test_ingest_output_not_creatable(void **state)
{
	struct ingest_opts o = csv_opts();
	struct ingest_result res;
	struct wk_err err;

	(void)state;
	write_input("user,time,value\nu1,19970101,1\n");
	o.output = "/nonexistent/dir/out.wkev";
	assert_int_equal(ingest_run(&o, NULL, &res, &err), EX_CANTCREAT);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/out.wkev"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_bad_rows_by_reason),
		cmocka_unit_test(test_ingest_quarantine_of_bad_rows),
		cmocka_unit_test(test_ingest_duplicates_and_order),
		cmocka_unit_test(test_ingest_too_many_bad_rows),
		cmocka_unit_test(test_ingest_skip_empty_user),
		cmocka_unit_test(test_ingest_jsonl),
		cmocka_unit_test(test_ingest_long_line),
		cmocka_unit_test(test_ingest_unusable_inputs),
		cmocka_unit_test(test_ingest_output_not_creatable),
		cmocka_unit_test(test_ingest_large_logs_alike),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
