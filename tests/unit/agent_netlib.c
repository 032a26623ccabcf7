/*
 * Unit tests of the run-time loader of netlib/netlib.h. The error of a
 * missing library or function names the library, the function, the user
 * and the package. A failed load leaves nothing loaded and is tried
 * again, and a function found is called through the table. The tests
 * load the C library (libc.so.6) in place of libcurl and libmicrohttpd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netlib/netlib.h"

/* The table of the tests: two functions of the C library. */
struct test_fns {
	size_t (*strlen)(const char *s);         /* strlen() */
	int (*strcmp)(const char *a, const char *b); /* strcmp() */
};

static const struct netlib_sym libc_syms[] = {
	{ "strlen", offsetof(struct test_fns, strlen) },
	{ "strcmp", offsetof(struct test_fns, strcmp) },
};

static const struct netlib_sym missing_syms[] = {
	{ "strlen", offsetof(struct test_fns, strlen) },
	{ "netlib_test_no_such_function", offsetof(struct test_fns, strcmp) },
};

static int init_calls;    /* calls of failing_init() */

static int
failing_init(void)
{
	init_calls++;
	return -1;
}

static void
missing_library_named(void **state)
{
	struct test_fns fns = { NULL, NULL };
	struct netlib_lib lib = { "libwatchkeep-test-missing.so.9",
		"libwatchkeep-test9", libc_syms, 2, &fns, NULL, NULL };
	struct wk_err err = { 0, "" };

	(void)state;
	assert_int_equal(netlib_load(&lib, "the test probes", &err),
	    WK_ERR_NOTFOUND);
	assert_int_equal(err.rc, WK_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "libwatchkeep-test-missing.so.9"));
	assert_non_null(strstr(err.msg, "the test probes"));
	assert_non_null(strstr(err.msg, "libwatchkeep-test9"));
	assert_int_equal(netlib_loaded(&lib), 0);
	assert_null(fns.strlen);
}

static void
missing_function_named(void **state)
{
	struct test_fns fns = { NULL, NULL };
	struct netlib_lib lib = { "libc.so.6", "libc6", missing_syms, 2, &fns,
		NULL, NULL };
	struct wk_err err = { 0, "" };

	(void)state;
	assert_int_equal(netlib_load(&lib, "the test page", &err),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "netlib_test_no_such_function"));
	assert_non_null(strstr(err.msg, "libc.so.6"));
	assert_non_null(strstr(err.msg, "the test page"));
	assert_non_null(strstr(err.msg, "libc6"));
	assert_int_equal(netlib_loaded(&lib), 0);
	/* Not even the function that exists is written. */
	assert_null(fns.strlen);
	assert_null(fns.strcmp);
}

static void
failed_init_retried(void **state)
{
	struct test_fns fns = { NULL, NULL };
	struct netlib_lib lib = { "libc.so.6", "libc6", libc_syms, 2, &fns,
		failing_init, NULL };
	struct wk_err err = { 0, "" };

	(void)state;
	init_calls = 0;
	assert_int_equal(netlib_load(&lib, "the test alerts", &err),
	    WK_ERR_STATE);
	assert_non_null(strstr(err.msg, "the test alerts"));
	assert_int_equal(netlib_loaded(&lib), 0);
	assert_int_equal(netlib_load(&lib, "the test alerts", NULL),
	    WK_ERR_STATE);
	assert_int_equal(init_calls, 2);
}

static void
functions_called_once_loaded(void **state)
{
	struct test_fns fns = { NULL, NULL };
	struct netlib_lib lib = { "libc.so.6", "libc6", libc_syms, 2, &fns,
		NULL, NULL };
	struct wk_err err = { 0, "" };

	(void)state;
	assert_int_equal(netlib_loaded(&lib), 0);
	assert_int_equal(netlib_load(&lib, "the test", &err), WK_OK);
	assert_int_equal(netlib_loaded(&lib), 1);
	assert_non_null(fns.strlen);
	assert_int_equal(fns.strlen("watchkeep"), 9);
	assert_true(fns.strcmp("a", "b") < 0);
	/* A second load keeps the handle and the table. */
	fns.strlen = NULL;
	assert_int_equal(netlib_load(&lib, "the test", &err), WK_OK);
	assert_null(fns.strlen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_library_named),
		cmocka_unit_test(missing_function_named),
		cmocka_unit_test(failed_init_retried),
		cmocka_unit_test(functions_called_once_loaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
