/*
 * The "logs" section of the configuration (core/config_logs.c). Texts are
 * JSON written with ' in place of ", which config_text_load() turns into "
 * byte for byte, so columns stay the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/config_logs.h"
#include "config_text.h"

#define PIPELINES "'pipelines': [{'name': 'p', 'stages': " \
	"[{'name': 's', 'command': ['true']}]}]"

/* Checks that text fails with a message that contains each of parts. */
static void
expect_error(const char *text, const char *const *parts, size_t n)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);
	size_t i;

	if (cfg != NULL)
		fail_msg("loaded, expected an error: %s", text);
	for (i = 0; i < n; i++) {
		if (strstr(err.msg, parts[i]) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", err.msg,
			    parts[i]);
	}
}

static void
absent_section_gives_defaults(void **state)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load("{" PIPELINES "}", &err);
	struct cfg_logs defaults;

	(void)state;
	assert_non_null(cfg);
	cfg_logs_defaults(&defaults);
	assert_int_equal(cfg->logs.file_head_bytes, 8 << 20);
	assert_int_equal(cfg->logs.file_tail_bytes, 2 << 20);
	assert_int_equal(cfg->logs.head_lines, 2000);
	assert_int_equal(cfg->logs.tail_lines, 2000);
	assert_int_equal(cfg->logs.tail_bytes, defaults.tail_bytes);
	assert_int_equal(cfg->logs.mask_quoted, 1);
	cfg_free(cfg);
}

static void
section_sets_every_key(void **state)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	(void)state;
	cfg = config_text_load("{'logs': {'file_head': '1GiB', 'file_tail': 65536, "
	    "'head_lines': 0, 'tail_lines': 100000, 'tail_bytes': '64KiB', "
	    "'mask_quoted': false}, " PIPELINES "}", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->logs.file_head_bytes, INT64_C(1) << 30);
	assert_int_equal(cfg->logs.file_tail_bytes, 65536);
	assert_int_equal(cfg->logs.head_lines, 0);
	assert_int_equal(cfg->logs.tail_lines, 100000);
	assert_int_equal(cfg->logs.tail_bytes, 65536);
	assert_int_equal(cfg->logs.mask_quoted, 0);
	cfg_free(cfg);
}

static void
unknown_key_has_hint(void **state)
{
	const char *parts[] = { "t.json:1:11: ", "unknown key \"file_haed\"",
		"file_head" };

	(void)state;
	expect_error("{'logs': {'file_haed': '1MiB'}, " PIPELINES "}", parts,
	    3);
}

static void
invalid_values_are_rejected(void **state)
{
	const char *type[] = { "t.json:1:26: ", "\"mask_quoted\" must be "
		"true or false" };
	const char *size[] = { "t.json:1:26: ", "invalid size \"8 MiB\"",
		"\"file_tail\"" };
	const char *range[] = { "\"tail_bytes\" is 1024, outside 65536..",
		"give a value in that range" };
	const char *lines[] = { "\"tail_lines\" is -1, outside 0..100000" };
	const char *object[] = { "\"logs\" must be an object" };

	(void)state;
	expect_error("{'logs': {'mask_quoted': 1}, " PIPELINES "}", type, 2);
	expect_error("{'logs': {'file_tail': '8 MiB'}, " PIPELINES "}", size,
	    3);
	expect_error("{'logs': {'tail_bytes': '1KiB'}, " PIPELINES "}", range,
	    2);
	expect_error("{'logs': {'tail_lines': -1}, " PIPELINES "}", lines, 1);
	expect_error("{'logs': [], " PIPELINES "}", object, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(absent_section_gives_defaults),
		cmocka_unit_test(section_sets_every_key),
		cmocka_unit_test(unknown_key_has_hint),
		cmocka_unit_test(invalid_values_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
