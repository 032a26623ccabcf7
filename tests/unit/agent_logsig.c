/* Unit tests of error signatures and of the grouping of error blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/logsig.h"

/* Returns the signature of line, quoted strings masked. */
static const char *
sig(const char *line)
{
	static char out[LOGSIG_MAX];

	logsig_normalize(line, 1, out, sizeof out);
	return out;
}

static void
normalize_groups_paths_and_numbers(void **state)
{
	char a[LOGSIG_MAX], b[LOGSIG_MAX];

	(void)state;
	logsig_normalize("cannot open /data/2024-01-05/x.csv: errno 2", 1, a,
	    sizeof a);
	logsig_normalize("cannot open /data/2024-01-06/y.csv: errno 2", 1, b,
	    sizeof b);
	assert_string_equal(a, "cannot open <path>: errno <n>");
	assert_string_equal(a, b);
	assert_string_not_equal(a, sig("cannot read /data/x.csv: errno 2"));
}

static void
normalize_masks_ids_and_addresses(void **state)
{
	(void)state;
	assert_string_equal(
	    sig("request 3f2b8c1e-9d4a-4b6f-8e2a-1c5d7f9b0a3e failed"),
	    "request <id> failed");
	assert_string_equal(sig("commit 9fceb02d0ae598e95dc970b74767f19372d61af8"),
	    "commit <id>");
	assert_string_equal(sig("segfault at 0x7ffd5e3a1b20 ip 0x00401000"),
	    "segfault at <addr> ip <addr>");
	/* Words made of hex letters only stay: they are words. */
	assert_string_equal(sig("deadbeef cafe added"), "deadbeef cafe added");
}

static void
normalize_masks_numbers_in_context(void **state)
{
	(void)state;
	assert_string_equal(sig("2026-01-05T10:00:01.123Z ERROR took 12.5s"),
	    "<n>-<n>-<n>T<n>:<n>:<n>Z ERROR took <n>s");
	assert_string_equal(sig("connect 10.0.0.12:5432 refused"),
	    "connect <n>:<n> refused");
	assert_string_equal(sig("worker-3 job_17 retry -1"),
	    "worker-<n> job_<n> retry -<n>");
	/* Short digit runs inside names are part of the name. */
	assert_string_equal(sig("utf8 sha1 python3 x86"),
	    "utf8 sha1 python3 x86");
	assert_string_equal(sig("user12345 gone"), "user<n> gone");
}

static void
normalize_quoted_strings_optional(void **state)
{
	const char *line = "KeyError: 'user_42' in \"main\" isn't set";
	char out[LOGSIG_MAX];

	(void)state;
	assert_string_equal(sig(line),
	    "KeyError: '<str>' in \"<str>\" isn't set");
	logsig_normalize(line, 0, out, sizeof out);
	assert_string_equal(out, "KeyError: 'user_<n>' in \"main\" isn't set");
	/* A quoted path is a path when quotes are kept. */
	logsig_normalize("open '/tmp/a/b.txt' failed", 0, out, sizeof out);
	assert_string_equal(out, "open '<path>' failed");
}

static void
normalize_urls_and_other_paths(void **state)
{
	(void)state;
	assert_string_equal(sig("GET https://api.example.com/v1/users?id=7 503"),
	    "GET <url> <n>");
	assert_string_equal(sig("see C:\\Users\\me\\x.log."), "see <path>.");
	assert_string_equal(sig("missing ./conf/a.json and ~/b"),
	    "missing <path> and <path>");
	assert_string_equal(sig("load data/raw/2024/x.csv"), "load <path>");
	/* One slash is not a path: "n/a", "read/write". */
	assert_string_equal(sig("value n/a for read/write"),
	    "value n/a for read/write");
	assert_string_equal(sig("at main.go:42"), "at main.go:<n>");
	assert_string_equal(sig("in /src/main.go:42"), "in <path>:<n>");
}

static void
normalize_white_space_and_cut(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_string_equal(sig("  a \t  b  "), "a b");
	assert_string_equal(sig(""), "");

	/* A cut never splits a character: 日本 is 3 bytes a character. */
	n = logsig_normalize("ab 日本語のエラー", 1, out, 10);
	assert_int_equal(n, 9);
	assert_string_equal(out, "ab 日本");
	n = logsig_normalize("ab 日本語", 1, out, 9);
	assert_string_equal(out, "ab 日");
	assert_int_equal(n, 6);
}

static void
is_error_words(void **state)
{
	(void)state;
	assert_true(logsig_is_error("ERROR: cannot open file"));
	assert_true(logsig_is_error("ValueError: x"));
	assert_true(logsig_is_error("java.lang.RuntimeException: boom"));
	assert_true(logsig_is_error("job FAILED"));
	assert_false(logsig_is_error("0 errors, no failure"));
	assert_false(logsig_is_error("terrorist detection model"));
	assert_false(logsig_is_error("Errors: none"));
	assert_false(logsig_is_error("retrying failed=0 of 3"));
	assert_false(logsig_is_error("<img src=x onerror=alert(1)>"));
	assert_true(logsig_is_error("error: no such file or directory"));
	assert_true(logsig_is_error("raised io_error in reader"));
	assert_true(logsig_is_error("IOERROR at 0x10"));
	assert_true(logsig_is_error("failed: 0x80004005"));
	assert_false(logsig_is_error("cannot open x.csv"));
	/* Syslog levels count as levels only. */
	assert_true(logsig_is_error("<1> ALERT disk gone"));
	assert_true(logsig_is_error("[crit] disk gone"));
	assert_true(logsig_is_error("emerg: disk gone"));
	assert_false(logsig_is_error("sent an alert to chat"));
	assert_false(logsig_is_error("<script>alert(1)</script>"));
}

/*
 * Feeds lines to one block. Writes a flag a line into flags ('E' for an
 * error line, '.' for the others) and the signature of each counted error
 * into groups.
 */
static void
classify_all(const char *const *lines, size_t n, char *flags,
	     char (*groups)[LOGSIG_MAX], size_t *n_groups)
{
	struct logsig_block block;
	struct logsig_verdict v;
	size_t i;

	memset(&block, 0, sizeof block);
	*n_groups = 0;
	for (i = 0; i < n; i++) {
		logsig_classify(&block, lines[i], &v);
		flags[i] = v.is_error ? 'E' : '.';
		if (v.group_line != NULL)
			logsig_normalize(v.group_line, 1, groups[(*n_groups)++],
			    LOGSIG_MAX);
	}
	flags[n] = '\0';
}

static void
classify_python_traceback(void **state)
{
	const char *const lines[] = {
		"loading model",
		"Traceback (most recent call last):",
		"  File \"/app/train.py\", line 3, in <module>",
		"    raise ValueError(\"bad value 3\")",
		"ValueError: bad value 3",
		"done",
	};
	char flags[8], groups[4][LOGSIG_MAX];
	size_t n;

	(void)state;
	classify_all(lines, 6, flags, groups, &n);
	assert_string_equal(flags, ".EEEE.");
	/* The traceback counts once, under its exception line. */
	assert_int_equal(n, 1);
	assert_string_equal(groups[0], "ValueError: bad value <n>");
}

static void
classify_python_chained_and_cut(void **state)
{
	const char *const lines[] = {
		"Traceback (most recent call last):",
		"  File \"a.py\", line 1",
		"KeyError: 'x'",
		"",
		"During handling of the above exception, another exception occurred:",
		"",
		"Traceback (most recent call last):",
		"  File \"a.py\", line 5",
		"",
		"next",
	};
	char flags[12], groups[4][LOGSIG_MAX];
	struct logsig_block block;
	struct logsig_verdict v;
	size_t n;

	(void)state;
	classify_all(lines, 10, flags, groups, &n);
	assert_string_equal(flags, "EEE.E.EE..");
	/* The second traceback ends at a blank line: its header counts. */
	assert_int_equal(n, 2);
	assert_string_equal(groups[0], "KeyError: '<str>'");
	assert_string_equal(groups[1], "Traceback (most recent call last):");

	/* A stream that ends inside a traceback leaves it unfinished. */
	memset(&block, 0, sizeof block);
	logsig_classify(&block, "Traceback (most recent call last):", &v);
	logsig_classify(&block, "  File \"a.py\", line 1", &v);
	assert_non_null(logsig_unfinished(&block));
	logsig_classify(&block, "OSError: gone", &v);
	assert_null(logsig_unfinished(&block));
}

static void
classify_java_stack_trace(void **state)
{
	const char *const lines[] = {
		"Exception in thread \"main\" java.lang.IllegalStateException: boom",
		"\tat com.example.App.run(App.java:42)",
		"        at com.example.App.main(App.java:7)",
		"Caused by: java.io.IOException: disk full",
		"\t... 2 more",
		"shutting down",
	};
	char flags[8], groups[4][LOGSIG_MAX];
	size_t n;

	(void)state;
	classify_all(lines, 6, flags, groups, &n);
	assert_string_equal(flags, "EEEEE.");
	assert_int_equal(n, 1);
	assert_string_equal(groups[0], "Exception in thread \"<str>\" "
	    "java.lang.IllegalStateException: boom");
}

static void
classify_go_panic(void **state)
{
	const char *const lines[] = {
		"panic: runtime error: index out of range [5] with length 3",
		"",
		"goroutine 1 [running]:",
		"main.process({0xc000012018, 0x3, 0x3})",
		"\t/src/main.go:12 +0x1d",
		"main.main()",
		"exit status 2",
		"ok",
	};
	char flags[10], groups[4][LOGSIG_MAX];
	size_t n;

	(void)state;
	classify_all(lines, 8, flags, groups, &n);
	assert_string_equal(flags, "EEEEEEE.");
	assert_int_equal(n, 1);
	assert_string_equal(groups[0], "panic: runtime error: index out of "
	    "range [<n>] with length <n>");
}

static void
classify_error_with_indented_detail(void **state)
{
	const char *const lines[] = {
		"ERROR: cannot open /data/2024-01-05/x.csv: errno 2",
		"    while loading the input",
		"ERROR: cannot open /data/2024-01-06/y.csv: errno 2",
		"rows: 12",
		"  indented after a plain line",
	};
	char flags[8], groups[4][LOGSIG_MAX];
	size_t n;

	(void)state;
	classify_all(lines, 5, flags, groups, &n);
	assert_string_equal(flags, "EEE..");
	assert_int_equal(n, 2);
	assert_string_equal(groups[0], groups[1]);
	assert_string_equal(groups[0], "ERROR: cannot open <path>: errno <n>");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalize_groups_paths_and_numbers),
		cmocka_unit_test(normalize_masks_ids_and_addresses),
		cmocka_unit_test(normalize_masks_numbers_in_context),
		cmocka_unit_test(normalize_quoted_strings_optional),
		cmocka_unit_test(normalize_urls_and_other_paths),
		cmocka_unit_test(normalize_white_space_and_cut),
		cmocka_unit_test(is_error_words),
		cmocka_unit_test(classify_python_traceback),
		cmocka_unit_test(classify_python_chained_and_cut),
		cmocka_unit_test(classify_java_stack_trace),
		cmocka_unit_test(classify_go_panic),
		cmocka_unit_test(classify_error_with_indented_detail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
