/* The variable table and ${NAME} expansion of core/vars.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/vars.h"

/* A table with A=alpha, B=${A} (kept literal) and EMPTY="". */
static int
setup(void **state)
{
	static struct vars v;

	vars_init(&v, 8);
	if (vars_set(&v, "A", "alpha") != WK_OK ||
	    vars_set(&v, "B", "${A}") != WK_OK ||
	    vars_set(&v, "EMPTY", "") != WK_OK)
		return -1;
	*state = &v;
	return 0;
}

static int
teardown(void **state)
{
	vars_free(*state);
	return 0;
}

/* Expands text with a fresh buffer of max bytes; returns the code. */
static int
expand(const struct vars *v, const char *text, size_t max, char *out,
       size_t size, struct wk_err *err)
{
	struct buf b;
	int rc;

	buf_init(&b, max);
	rc = vars_expand(v, text, &b, err);
	snprintf(out, size, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
	return rc;
}

static void
set_get_replace(void **state)
{
	struct vars *v = *state;

	assert_string_equal(vars_get(v, "A"), "alpha");
	assert_string_equal(vars_get(v, "EMPTY"), "");
	assert_null(vars_get(v, "C"));
	assert_null(vars_get(v, "a"));
	assert_int_equal(vars_set(v, "A", "beta"), WK_OK);
	assert_string_equal(vars_get(v, "A"), "beta");
	assert_int_equal(v->count, 3);
}

static void
set_rejects_bad_names(void **state)
{
	struct vars *v = *state;
	char longname[VARS_NAME_MAX + 1];

	memset(longname, 'N', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(vars_set(v, "", "x"), WK_ERR_INVALID);
	assert_int_equal(vars_set(v, "1A", "x"), WK_ERR_INVALID);
	assert_int_equal(vars_set(v, "A-B", "x"), WK_ERR_INVALID);
	assert_int_equal(vars_set(v, "A B", "x"), WK_ERR_INVALID);
	assert_int_equal(vars_set(v, longname, "x"), WK_ERR_INVALID);
	longname[VARS_NAME_MAX - 1] = '\0';
	assert_int_equal(vars_set(v, longname, "x"), WK_OK);
	assert_int_equal(vars_set(v, "_a1", "x"), WK_OK);
}

static void
set_limits(void **state)
{
	struct vars *v = *state;
	static char big[VARS_VALUE_MAX + 1];
	char name[8];
	int i;

	memset(big, 'x', VARS_VALUE_MAX);
	assert_int_equal(vars_set(v, "BIG", big), WK_ERR_LIMIT);
	big[VARS_VALUE_MAX - 1] = '\0';
	assert_int_equal(vars_set(v, "BIG", big), WK_OK);

	/* 4 set so far (A, B, EMPTY, BIG) of the table's maximum of 8. */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "V%d", i);
		assert_int_equal(vars_set(v, name, "v"), WK_OK);
	}
	assert_int_equal(vars_set(v, "ONE_MORE", "v"), WK_ERR_LIMIT);
	assert_null(vars_get(v, "ONE_MORE"));
	assert_int_equal(vars_set(v, "A", "replacing still works"), WK_OK);
}

static void
expand_references(void **state)
{
	struct wk_err err = { 0, "" };
	char out[256];

	assert_int_equal(expand(*state, "plain text", 256, out, sizeof out,
	    &err), WK_OK);
	assert_string_equal(out, "plain text");
	assert_int_equal(expand(*state, "${A}", 256, out, sizeof out, &err),
	    WK_OK);
	assert_string_equal(out, "alpha");
	assert_int_equal(expand(*state, "x${A}${A}/${EMPTY}y", 256, out,
	    sizeof out, &err), WK_OK);
	assert_string_equal(out, "xalphaalpha/y");
	assert_int_equal(expand(*state, "", 256, out, sizeof out, &err), WK_OK);
	assert_string_equal(out, "");
}

static void
expand_dollar_escape(void **state)
{
	struct wk_err err = { 0, "" };
	char out[256];

	assert_int_equal(expand(*state, "cost $$5", 256, out, sizeof out,
	    &err), WK_OK);
	assert_string_equal(out, "cost $5");
	assert_int_equal(expand(*state, "$${A}", 256, out, sizeof out, &err),
	    WK_OK);
	assert_string_equal(out, "${A}");
	assert_int_equal(expand(*state, "$$${A}", 256, out, sizeof out,
	    &err), WK_OK);
	assert_string_equal(out, "$alpha");
	assert_int_equal(expand(*state, "$$$${A}", 256, out, sizeof out,
	    &err), WK_OK);
	assert_string_equal(out, "$${A}");
}

static void
expand_not_recursive(void **state)
{
	struct wk_err err = { 0, "" };
	char out[256];

	assert_int_equal(expand(*state, "<${B}>", 256, out, sizeof out, &err),
	    WK_OK);
	assert_string_equal(out, "<${A}>");
}

static void
expand_unknown_name(void **state)
{
	struct wk_err err = { 0, "" };
	char out[256];

	assert_int_equal(expand(*state, "a${NOPE}b", 256, out, sizeof out,
	    &err), WK_ERR_NOTFOUND);
	assert_int_equal(err.rc, WK_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "${NOPE}"));
	assert_string_equal(out, "");
}

static void
expand_malformed(void **state)
{
	static const char *const cases[] = {
		"${A", "${", "${}", "${1A}", "${A B}", "${A-B}", "${A${B}}",
		"${A}${",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wk_err err = { 0, "" };
		char out[256];

		assert_int_equal(expand(*state, cases[i], 256, out, sizeof out,
		    &err), WK_ERR_INVALID);
		assert_int_equal(err.rc, WK_ERR_INVALID);
		assert_string_equal(out, "");
	}
}

/* A '$' not followed by '{' or '$' is left for a shell to read. */
static void
expand_keeps_shell_dollar(void **state)
{
	static const char *const cases[] = { "$", "a $ b", "$x", "$HOME/$1" };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wk_err err = { 0, "" };
		char out[256];

		assert_int_equal(expand(*state, cases[i], 256, out, sizeof out,
		    &err), WK_OK);
		assert_string_equal(out, cases[i]);
	}
}

static void
expand_name_length_limit(void **state)
{
	struct wk_err err = { 0, "" };
	char text[VARS_NAME_MAX + 8], out[256];

	/* A name of VARS_NAME_MAX bytes has no room for its NUL. */
	memset(text, 'N', sizeof text);
	memcpy(text, "${", 2);
	memcpy(text + 2 + VARS_NAME_MAX, "}", 2);
	assert_int_equal(expand(*state, text, 256, out, sizeof out, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, "too long"));
}

static void
expand_output_limit(void **state)
{
	struct wk_err err = { 0, "" };
	struct buf b;
	char out[256];

	/* "alpha" is 5 bytes: 10 fit, 11 do not. */
	assert_int_equal(expand(*state, "${A}${A}", 10, out, sizeof out, &err),
	    WK_OK);
	assert_string_equal(out, "alphaalpha");
	assert_int_equal(expand(*state, "${A}${A}x", 10, out, sizeof out,
	    &err), WK_ERR_LIMIT);
	assert_int_equal(err.rc, WK_ERR_LIMIT);
	assert_int_equal(expand(*state, "x${A}${A}", 10, out, sizeof out,
	    &err), WK_ERR_LIMIT);

	/* A failed expansion leaves what the buffer held before. */
	buf_init(&b, 12);
	assert_int_equal(buf_append_str(&b, "pre:"), WK_OK);
	assert_int_equal(vars_expand(*state, "${A}${A}", &b, &err),
	    WK_ERR_LIMIT);
	assert_string_equal(b.data, "pre:");
	assert_int_equal(b.len, 4);
	assert_int_equal(vars_expand(*state, "${A}", &b, &err), WK_OK);
	assert_string_equal(b.data, "pre:alpha");
	buf_free(&b);
}

static void
tokens_and_offsets(void **state)
{
	const char *text = "ab${X}$$${Y_1}";
	struct vars_token tok;
	const char *reason = NULL;
	size_t pos = 0;

	(void)state;
	assert_int_equal(vars_next(text, &pos, &tok, &reason), WK_OK);
	assert_int_equal(tok.kind, VARS_TEXT);
	assert_int_equal(tok.offset, 0);
	assert_int_equal(tok.len, 2);
	assert_int_equal(vars_next(text, &pos, &tok, &reason), WK_OK);
	assert_int_equal(tok.kind, VARS_REF);
	assert_int_equal(tok.offset, 2);
	assert_memory_equal(tok.start, "X", 1);
	assert_int_equal(tok.len, 1);
	assert_int_equal(vars_next(text, &pos, &tok, &reason), WK_OK);
	assert_int_equal(tok.kind, VARS_TEXT);
	assert_int_equal(tok.offset, 6);
	assert_memory_equal(tok.start, "$", 1);
	assert_int_equal(tok.len, 1);
	assert_int_equal(vars_next(text, &pos, &tok, &reason), WK_OK);
	assert_int_equal(tok.kind, VARS_REF);
	assert_int_equal(tok.offset, 8);
	assert_int_equal(tok.len, 3);
	assert_int_equal(vars_next(text, &pos, &tok, &reason), WK_OK);
	assert_int_equal(tok.kind, VARS_END);
}

static void
malformed_offset_is_dollar(void **state)
{
	struct vars_token tok;
	const char *reason = NULL;
	size_t pos = 0;

	(void)state;
	assert_int_equal(vars_next("abc", &pos, &tok, &reason), WK_OK);
	assert_int_equal(vars_next("abc", &pos, &tok, &reason), WK_OK);
	assert_int_equal(tok.kind, VARS_END);

	pos = 3;
	assert_int_equal(vars_next("ab ${oops", &pos, &tok, &reason),
	    WK_ERR_INVALID);
	assert_int_equal(tok.offset, 3);
	assert_non_null(strstr(reason, "missing '}'"));
	pos = 0;
	assert_int_equal(vars_next("${A${B}}", &pos, &tok, &reason),
	    WK_ERR_INVALID);
	assert_int_equal(tok.offset, 0);
	assert_non_null(strstr(reason, "inside a reference"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(set_get_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(set_rejects_bad_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(set_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(expand_references, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(expand_dollar_escape, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(expand_not_recursive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(expand_unknown_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(expand_keeps_shell_dollar,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(expand_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(expand_name_length_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(expand_output_limit, setup,
		    teardown),
		cmocka_unit_test(tokens_and_offsets),
		cmocka_unit_test(malformed_offset_is_dollar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
