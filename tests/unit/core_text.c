/* Unit tests of text sanitizing and display width. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/text.h"

static void
sanitize_keeps_plain_utf8(void **state)
{
	char out[64];
	const char *in = "日本語 stage ✓";

	(void)state;
	assert_int_equal(text_sanitize(in, strlen(in), out, sizeof out),
	    strlen(in));
	assert_string_equal(out, in);
}

static void
sanitize_removes_escapes(void **state)
{
	char out[128];
	const char *in = "\x1b[31mred\x1b[0m \x1b]0;title\x07ok \x1b]8;;u\x1b\\x";

	(void)state;
	text_sanitize(in, strlen(in), out, sizeof out);
	assert_string_equal(out, "red ok x");
}

static void
sanitize_keeps_text_after_carriage_return(void **state)
{
	char out[64];
	const char *bar = "10%\r50%\r100% done";
	const char *crlf = "line\r";

	(void)state;
	text_sanitize(bar, strlen(bar), out, sizeof out);
	assert_string_equal(out, "100% done");
	text_sanitize(crlf, strlen(crlf), out, sizeof out);
	assert_string_equal(out, "line");
}

static void
sanitize_replaces_invalid_utf8(void **state)
{
	char out[64];
	const char in[] = "a\xff" "b\xc3" "c\xed\xa0\x80" "d\x01" "e\xc2\x9b" "f";

	(void)state;
	text_sanitize(in, sizeof in - 1, out, sizeof out);
	assert_string_equal(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d\xef\xbf\xbd"
	    "e\xef\xbf\xbd" "f");
}

static void
sanitize_removes_escapes_with_intermediates(void **state)
{
	char out[128];
	const char *in = "a\x1b(Bb\x1b#8c\x1b" "7d\x1b[2J\x1b[He\x1b";

	(void)state;
	/* ESC ( B, ESC # 8 (fills the screen), ESC 7, clear and home. */
	text_sanitize(in, strlen(in), out, sizeof out);
	assert_string_equal(out, "abcde");
}

static void
sanitize_cuts_ascii_at_max(void **state)
{
	char out[8];
	const char *in = "0123456789\x01x";

	(void)state;
	/* A long ASCII run fills the buffer; nothing after it fits. */
	assert_int_equal(text_sanitize(in, strlen(in), out, sizeof out), 7);
	assert_string_equal(out, "0123456");
	assert_int_equal(text_sanitize("ab\tc\x7f", 5, out, sizeof out), 7);
	assert_string_equal(out, "ab c\xef\xbf\xbd");
}

static void
sanitize_never_splits_character(void **state)
{
	char out[6];
	const char *in = "ab日本";

	(void)state;
	/* Five bytes of room: "ab" and one 3-byte character. */
	assert_int_equal(text_sanitize(in, strlen(in), out, sizeof out), 5);
	assert_string_equal(out, "ab日");
}

static void
width_counts_wide_characters(void **state)
{
	(void)state;
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("日本語"), 6);
	assert_int_equal(text_width("ｱ"), 1);          /* halfwidth katakana */
	assert_int_equal(text_width("e\xcc\x81"), 1);  /* e + combining acute */
}

static void
fit_cuts_and_pads_by_columns(void **state)
{
	char out[64];

	(void)state;
	text_fit("日本語ab", 5, 1, out, sizeof out);
	assert_string_equal(out, "日本 ");
	text_fit("ab", 4, 1, out, sizeof out);
	assert_string_equal(out, "ab  ");
	text_fit("abcdef", 3, 0, out, sizeof out);
	assert_string_equal(out, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sanitize_keeps_plain_utf8),
		cmocka_unit_test(sanitize_removes_escapes),
		cmocka_unit_test(sanitize_keeps_text_after_carriage_return),
		cmocka_unit_test(sanitize_replaces_invalid_utf8),
		cmocka_unit_test(sanitize_never_splits_character),
		cmocka_unit_test(sanitize_removes_escapes_with_intermediates),
		cmocka_unit_test(sanitize_cuts_ascii_at_max),
		cmocka_unit_test(width_counts_wide_characters),
		cmocka_unit_test(fit_cuts_and_pads_by_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
