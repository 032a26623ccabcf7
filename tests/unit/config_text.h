/*
 * Configuration text of the unit tests of core/config*.c: tests write JSON
 * with ' for ", so that it needs no escapes in C strings. Header-only with
 * a static inline function, so each test binary gets its own copy.
 */
#ifndef WK_TEST_CONFIG_TEXT_H
#define WK_TEST_CONFIG_TEXT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

/* Loads text as "t.json" after turning every ' into ". Clears err first,
 * and returns the configuration, or NULL with err set. */
static inline struct cfg *
config_text_load(const char *text, struct wk_err *err)
{
	char *json = strdup(text);
	struct cfg *cfg;
	char *p;

	assert_non_null(json);
	for (p = json; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	memset(err, 0, sizeof *err);
	cfg = cfg_load_text(json, strlen(json), "t.json", err);
	free(json);
	return cfg;
}

#endif
