/*
 * The external sort of ingest: the in-place sort of a run, spilled runs
 * merged back in order by the spill thread's file, and direct mode for
 * logs grouped by user.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rc.h"
#include "pipeline/evfile.h"
#include "pipeline/evrun.h"

#define N_RECORDS 20000

static char dir[] = "/tmp/pipeline_evrun.XXXXXX";
static char near_path[64];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(near_path, sizeof near_path, "%s/out.wkev", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Fills n records in file order: users from 0 up with times rising
 * (grouped), or scattered users with few distinct times, so that ties
 * occur; offsets rise.
 */
static void
make_records(struct evrun_rec *recs, size_t n, uint32_t n_users,
	     int grouped, uint64_t seed)
{
	uint64_t s = seed;
	size_t i;

	for (i = 0; i < n; i++) {
		recs[i].user = grouped ? (uint32_t)(i * n_users / n) :
		    (uint32_t)(next_random(&s) % n_users);
		recs[i].time_ms = grouped ? (int64_t)i * 1000 :
		    (int64_t)(next_random(&s) % 5) * 1000;
		recs[i].value = (double)(next_random(&s) % 3);
		recs[i].name = next_random(&s) % 4 == 0 ? EVFILE_NO_NAME :
		    (uint32_t)(next_random(&s) % 3);
		recs[i].offset = (uint64_t)i * 10;
	}
}

static int
compare(const void *a, const void *b)
{
	return evrun_compare(a, b);
}

static void
expect_same(const struct evrun_rec *got, const struct evrun_rec *want,
	    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (evrun_compare(&got[i], &want[i]) != 0)
			fail_msg("record %zu: user %u offset %llu, expected "
			    "user %u offset %llu", i, got[i].user,
			    (unsigned long long)got[i].offset, want[i].user,
			    (unsigned long long)want[i].offset);
	}
}

static void
test_evrun_sort_in_place(void **state)
{
	static struct evrun_rec recs[N_RECORDS], want[N_RECORDS];
	uint32_t users[] = { 1, 7, 3000, 5000000 };
	size_t k;
	int grouped;

	(void)state;
	for (k = 0; k < sizeof users / sizeof users[0]; k++) {
		for (grouped = 0; grouped < 2; grouped++) {
			make_records(recs, N_RECORDS, users[k], grouped, k + 1);
			memcpy(want, recs, sizeof recs);
			qsort(want, N_RECORDS, sizeof want[0], compare);
			evrun_sort(recs, N_RECORDS);
			expect_same(recs, want, N_RECORDS);
		}
	}
}

/* Pushes recs through runs of cap records and merges them back. */
static void
spill_and_merge(const struct evrun_rec *recs, size_t n, size_t cap,
		struct evrun_rec *out)
{
	struct evrun r;
	struct evrun_merge m;
	struct wk_err err;
	size_t i;

	assert_int_equal(evrun_init(&r, cap, near_path, NULL, NULL), WK_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(evrun_push(&r, &recs[i], &err), WK_OK);
	assert_int_equal(evrun_count(&r), n);
	assert_int_equal(evrun_merge_begin(&r, &m, &err), WK_OK);
	assert_true(r.n_runs > 0 || n <= cap / 2);
	for (i = 0; i < n; i++)
		assert_int_equal(evrun_merge_next(&m, &out[i], &err), WK_OK);
	assert_int_equal(evrun_merge_next(&m, &out[0], &err), EVRUN_END);
	evrun_merge_end(&m);
	evrun_free(&r);
}

static void
test_evrun_spill_and_merge(void **state)
{
	static struct evrun_rec recs[N_RECORDS], want[N_RECORDS];
	static struct evrun_rec out[N_RECORDS];
	size_t caps[] = { 4, 64, 3000, 2 * N_RECORDS };
	size_t k;

	(void)state;
	make_records(recs, N_RECORDS, 500, 0, 42);
	memcpy(want, recs, sizeof recs);
	qsort(want, N_RECORDS, sizeof want[0], compare);
	for (k = 0; k < sizeof caps / sizeof caps[0]; k++) {
		memset(out, 0, sizeof out);
		spill_and_merge(recs, N_RECORDS, caps[k], out);
		expect_same(out, want, N_RECORDS);
	}
	/* The spill file was unlinked at once: the directory is empty. */
	assert_int_equal(rmdir(dir), 0);
	assert_non_null(mkdtemp(strcpy(dir, "/tmp/pipeline_evrun.XXXXXX")));
	snprintf(near_path, sizeof near_path, "%s/out.wkev", dir);
}

/* A sink that appends what it gets to a static array. */
static struct evrun_rec sunk[N_RECORDS];
static size_t n_sunk;

static int
collect(void *arg, struct evrun_rec *recs, size_t n, struct wk_err *err)
{
	(void)arg;
	(void)err;
	memcpy(sunk + n_sunk, recs, n * sizeof *recs);
	n_sunk += n;
	return WK_OK;
}

/* Pushes n records in direct mode; returns the first failure or WK_OK. */
static int
push_direct(const struct evrun_rec *recs, size_t n, size_t cap)
{
	struct evrun r;
	struct wk_err err;
	size_t i;
	int rc = WK_OK;

	n_sunk = 0;
	assert_int_equal(evrun_init(&r, cap, near_path, collect, NULL), WK_OK);
	for (i = 0; i < n && rc == WK_OK; i++)
		rc = evrun_push(&r, &recs[i], &err);
	if (rc == WK_OK)
		rc = evrun_finish_direct(&r, &err);
	if (rc == EVRUN_RESTART)
		assert_non_null(strstr(err.msg, "not grouped by user"));
	evrun_free(&r);
	return rc;
}

static void
test_evrun_direct_mode(void **state)
{
	static struct evrun_rec recs[N_RECORDS], want[N_RECORDS];
	size_t i;

	(void)state;
	/* Grouped by user, a user's rows across the end of a half. */
	make_records(recs, N_RECORDS, 700, 1, 9);
	memcpy(want, recs, sizeof recs);
	qsort(want, N_RECORDS, sizeof want[0], compare);
	assert_int_equal(push_direct(recs, N_RECORDS, 64), WK_OK);
	assert_int_equal(n_sunk, N_RECORDS);
	expect_same(sunk, want, N_RECORDS);

	/*
	 * All of a user's rows at one time, values out of order: a user cut
	 * by the end of a half stays whole for the next one.
	 */
	for (i = 0; i < N_RECORDS; i++)
		recs[i].time_ms = recs[i].user;
	memcpy(want, recs, sizeof recs);
	qsort(want, N_RECORDS, sizeof want[0], compare);
	assert_int_equal(push_direct(recs, N_RECORDS, 64), WK_OK);
	assert_int_equal(n_sunk, N_RECORDS);
	expect_same(sunk, want, N_RECORDS);

	/* A user that comes back later breaks direct mode. */
	recs[N_RECORDS - 1].user = 0;
	assert_int_equal(push_direct(recs, N_RECORDS, 64), EVRUN_RESTART);
	/* So does one that comes back within the last half in memory. */
	assert_int_equal(push_direct(recs, N_RECORDS, 2 * N_RECORDS - 64),
	    EVRUN_RESTART);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evrun_sort_in_place),
		cmocka_unit_test(test_evrun_spill_and_merge),
		cmocka_unit_test(test_evrun_direct_mode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
