/*
 * The user id table of ingest: dense indices in order of first
 * appearance, runs of equal ids, growth of the hash table, long ids
 * that share their first 8 bytes, and the limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"
#include "pipeline/usertab.h"

#define N_IDS 200000  /* enough to grow the slots six times */

static void
test_usertab_first_appearance_order(void **state)
{
	static const char *const ids[] = { "b", "a", "b", "b", "c", "a",
		"longer-than-8-bytes-1", "longer-than-8-bytes-2",
		"longer-than-8-bytes-1", "" };
	struct usertab_key keys[10];
	uint32_t index[10];
	struct usertab t;
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		keys[i] = (struct usertab_key){ ids[i],
		    (uint32_t)strlen(ids[i]) };
	usertab_init(&t, 100);
	assert_int_equal(usertab_intern(&t, keys, 10, index), WK_OK);
	assert_int_equal(t.n, 6);
	assert_int_equal(index[0], 0);
	assert_int_equal(index[1], 1);
	assert_int_equal(index[2], 0);
	assert_int_equal(index[3], 0);
	assert_int_equal(index[4], 2);
	assert_int_equal(index[5], 1);
	assert_int_equal(index[6], 3);
	assert_int_equal(index[7], 4);
	assert_int_equal(index[8], 3);
	assert_int_equal(index[9], 5);
	assert_string_equal(usertab_id(&t, 4), "longer-than-8-bytes-2");
	assert_string_equal(usertab_id(&t, 5), "");
	assert_int_equal(t.entries[2].last_ms, INT64_MIN);
	assert_int_equal(t.entries[2].count, 0);
	usertab_free(&t);
}

/* Interns N_IDS ids in batches, twice; the second pass finds them all. */
static void
test_usertab_grows_and_finds(void **state)
{
	char *text = malloc((size_t)N_IDS * 16);
	struct usertab_key *keys = malloc(N_IDS * sizeof *keys);
	uint32_t index[USERTAB_BATCH_MAX];
	struct usertab t;
	size_t i, j, pass;

	(void)state;
	assert_non_null(text);
	assert_non_null(keys);
	for (i = 0; i < N_IDS; i++) {
		/* Ids in a scattered order, as in a log in time order. */
		size_t id = (i * 7919) % N_IDS;
		int len = sprintf(text + i * 16, "user-%zu", id);

		keys[i] = (struct usertab_key){ text + i * 16, (uint32_t)len };
	}
	usertab_init(&t, UINT32_MAX - 1);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < N_IDS; i += USERTAB_BATCH_MAX) {
			size_t n = N_IDS - i < USERTAB_BATCH_MAX ? N_IDS - i :
			    USERTAB_BATCH_MAX;

			assert_int_equal(usertab_intern(&t, keys + i, n, index),
			    WK_OK);
			for (j = 0; j < n; j++)
				assert_int_equal(index[j], i + j);
		}
	}
	assert_int_equal(t.n, N_IDS);
	assert_true(t.n_slots >= 2 * (uint64_t)N_IDS);
	assert_string_equal(usertab_id(&t, 1), "user-7919");
	usertab_free(&t);
	free(text);
	free(keys);
}

static void
test_usertab_limit(void **state)
{
	struct usertab_key keys[3] = { { "x", 1 }, { "y", 1 }, { "z", 1 } };
	uint32_t index[3];
	struct usertab t;

	(void)state;
	usertab_init(&t, 2);
	assert_int_equal(usertab_intern(&t, keys, 3, index), WK_ERR_LIMIT);
	assert_int_equal(t.n, 2);
	assert_int_equal(usertab_intern(&t, keys, USERTAB_BATCH_MAX + 1,
	    index), WK_ERR_LIMIT);
	usertab_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usertab_first_appearance_order),
		cmocka_unit_test(test_usertab_grows_and_finds),
		cmocka_unit_test(test_usertab_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
