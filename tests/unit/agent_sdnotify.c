/* Unit tests of the notify datagram parser and error-line detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/logcap.h"
#include "agent/sdnotify.h"

static void
parse_standard_keys(void **state)
{
	const char *d = "READY=1\nSTATUS=training\nWATCHDOG=1\n"
	    "EXTEND_TIMEOUT_USEC=5000000\n";
	struct sdnotify_msg msg;

	(void)state;
	sdnotify_parse(d, strlen(d), &msg);
	assert_int_equal(msg.ready, 1);
	assert_int_equal(msg.watchdog, 1);
	assert_int_equal(msg.has_status, 1);
	assert_string_equal(msg.status, "training");
	assert_int_equal(msg.extend_timeout_us, 5000000);
	assert_int_equal(msg.invalid, 0);
}

static void
parse_watchdog_trigger(void **state)
{
	const char *d = "WATCHDOG=trigger";
	struct sdnotify_msg msg;

	(void)state;
	sdnotify_parse(d, strlen(d), &msg);
	assert_int_equal(msg.watchdog_trigger, 1);
	assert_int_equal(msg.watchdog, 0);

	sdnotify_parse("WATCHDOG=1", 10, &msg);
	assert_int_equal(msg.watchdog_trigger, 0);
	assert_int_equal(msg.watchdog, 1);
}

static void
parse_progress_and_metrics(void **state)
{
	const char *d = "X_WATCHKEEP_PROGRESS=0.25\n"
	    "X_WATCHKEEP_METRIC=holdout_auc=0.781\n"
	    "X_WATCHKEEP_METRIC=rows_in=69659";
	struct sdnotify_msg msg;

	(void)state;
	sdnotify_parse(d, strlen(d), &msg);
	assert_true(msg.progress == 0.25);
	assert_int_equal(msg.n_metrics, 2);
	assert_string_equal(msg.metrics[0].name, "holdout_auc");
	assert_true(msg.metrics[0].value == 0.781);
	assert_string_equal(msg.metrics[1].name, "rows_in");
	assert_true(msg.metrics[1].value == 69659.0);
}

static void
parse_rejects_invalid_values(void **state)
{
	const char *d = "X_WATCHKEEP_PROGRESS=1.5\nX_WATCHKEEP_METRIC=auc=nan\n"
	    "X_WATCHKEEP_METRIC=bad name=1\nX_WATCHKEEP_METRIC=inf=inf\n"
	    "EXTEND_TIMEOUT_USEC=-1\nnonsense\nUNKNOWN_KEY=ignored";
	struct sdnotify_msg msg;

	(void)state;
	sdnotify_parse(d, strlen(d), &msg);
	assert_true(msg.progress < 0);
	assert_int_equal(msg.n_metrics, 0);
	assert_int_equal(msg.extend_timeout_us, -1);
	assert_int_equal(msg.invalid, 6);
	assert_string_equal(msg.first_invalid, "X_WATCHKEEP_PROGRESS=1.5");
}

static void
parse_extend_timeout_as_systemd(void **state)
{
	static const struct {
		const char *line;     /* the datagram */
		int64_t expected;     /* extend_timeout_us, -1: rejected */
	} cases[] = {
		{ "EXTEND_TIMEOUT_USEC=0", 0 },
		{ "EXTEND_TIMEOUT_USEC=18446744073709551615", SDNOTIFY_USEC_MAX },
		{ "EXTEND_TIMEOUT_USEC=9223372036854775808", SDNOTIFY_USEC_MAX },
		{ "EXTEND_TIMEOUT_USEC=18446744073709551616", -1 },
		{ "EXTEND_TIMEOUT_USEC=1.5", -1 },
		{ "EXTEND_TIMEOUT_USEC=1e6", -1 },
		{ "EXTEND_TIMEOUT_USEC= 5", -1 },
		{ "EXTEND_TIMEOUT_USEC=", -1 },
	};
	struct sdnotify_msg msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sdnotify_parse(cases[i].line, strlen(cases[i].line), &msg);
		assert_int_equal(msg.extend_timeout_us, cases[i].expected);
		assert_int_equal(msg.invalid, cases[i].expected < 0);
	}
}

static void
parse_sanitizes_status(void **state)
{
	const char *d = "STATUS=\x1b[2Jcleared";
	struct sdnotify_msg msg;

	(void)state;
	sdnotify_parse(d, strlen(d), &msg);
	assert_string_equal(msg.status, "cleared");
}

static void
error_lines_are_flagged(void **state)
{
	(void)state;
	assert_true(logcap_is_error("ERROR: cannot open file"));
	assert_true(logcap_is_error("Traceback (most recent call last):"));
	assert_true(logcap_is_error("ValueError: x"));
	assert_true(logcap_is_error("java.lang.RuntimeException: boom"));
	assert_true(logcap_is_error("2026-01-01 fatal: disk full"));
	assert_false(logcap_is_error("ingest: 69659 rows, 0 errors"));
	assert_false(logcap_is_error("finished with no errors"));
	assert_false(logcap_is_error("terrorist detection model"));
	assert_false(logcap_is_error("train: holdout AUC 0.78"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_standard_keys),
		cmocka_unit_test(parse_watchdog_trigger),
		cmocka_unit_test(parse_progress_and_metrics),
		cmocka_unit_test(parse_rejects_invalid_values),
		cmocka_unit_test(parse_extend_timeout_as_systemd),
		cmocka_unit_test(parse_sanitizes_status),
		cmocka_unit_test(error_lines_are_flagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
