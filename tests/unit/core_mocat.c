/*
 * Unit tests of the in-memory .mo catalog: found, missing and untranslated
 * messages, and files that are missing, short or not catalogs at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mocat.h"
#include "core/rc.h"

static char dir[] = "/tmp/wk-mocat-XXXXXX";

static int
setup(void **state)
{
	char cmd[512];
	FILE *f;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cmd, sizeof cmd, "%s/t.po", dir);
	f = fopen(cmd, "w");
	if (f == NULL)
		return -1;
	fputs("msgid \"\"\nmsgstr \"Content-Type: text/plain; "
	    "charset=UTF-8\\n\"\n\nmsgid \"run\"\nmsgstr \"\xe5\xae\x9f"
	    "\xe8\xa1\x8c\"\n\nmsgid \"stage\"\nmsgstr \"\"\n\nmsgid \"a\"\n"
	    "msgstr \"A\"\n\nmsgid \"zz\"\nmsgstr \"ZZ\"\n", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "msgfmt -o %s/t.mo %s/t.po && "
	    "head -c 100 /dev/urandom > %s/noise.mo && printf x > %s/short.mo",
	    dir, dir, dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
mocat_finds_translations(void **state)
{
	struct mocat c;
	char path[300];

	(void)state;
	snprintf(path, sizeof path, "%s/t.mo", dir);
	assert_int_equal(mocat_load(&c, path), WK_OK);
	assert_string_equal(mocat_find(&c, "run"), "\xe5\xae\x9f\xe8\xa1\x8c");
	assert_string_equal(mocat_find(&c, "a"), "A");
	assert_string_equal(mocat_find(&c, "zz"), "ZZ");
	/* Untranslated and unknown messages come back as they are. */
	assert_string_equal(mocat_find(&c, "stage"), "stage");
	assert_string_equal(mocat_find(&c, "missing"), "missing");
	mocat_free(&c);
	assert_null(c.data);
	assert_string_equal(mocat_find(&c, "run"), "run");
}

static void
mocat_rejects_bad_files(void **state)
{
	struct mocat c;
	char path[300];

	(void)state;
	snprintf(path, sizeof path, "%s/none.mo", dir);
	assert_int_equal(mocat_load(&c, path), WK_ERR_NOTFOUND);
	assert_null(c.data);
	snprintf(path, sizeof path, "%s/short.mo", dir);
	assert_int_equal(mocat_load(&c, path), WK_ERR_NOTFOUND);
	snprintf(path, sizeof path, "%s/noise.mo", dir);
	assert_int_equal(mocat_load(&c, path), WK_ERR_INVALID);
	assert_null(c.data);
	assert_string_equal(mocat_find(&c, "run"), "run");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mocat_finds_translations),
		cmocka_unit_test(mocat_rejects_bad_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
