/*
 * Event file: interning, sorting, writing and reading back, the streaming
 * writer, and the checks that reject damaged files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/evfile.h"
#include "pipeline/evrun.h"
#include "pipeline/outfile.h"
#include "pipeline/strtab.h"

static char path[] = "/tmp/pipeline_evfile.XXXXXX";

/* Events in input order: user, time, name, value. */
static const struct {
	const char *user;
	int64_t time_ms;
	const char *name;
	double value;
} events[] = {
	{ "u2", 300, "play", 1.5 },
	{ "u10", 100, "home", 0.0 },
	{ "u2", 100, "home", 2.0 },
	{ "u1", 500, "play", 3.0 },
	{ "u2", 200, "play", 0.5 },
	{ "u10", 100, "about", 0.0 },
};

#define N_EVENTS (sizeof events / sizeof events[0])

/* Builds the user and name tables from sorted records. */
static void
build_tables(const struct evfile_record *recs, size_t n,
	     const struct strtab *users, const struct strtab *names,
	     struct evfile_user *ut, struct evfile_name *nt)
{
	size_t i;

	memset(ut, 0, users->n * sizeof *ut);
	memset(nt, 0, names->n * sizeof *nt);
	for (i = 0; i < users->n; i++) {
		ut[i].text_offset = users->entries[i].offset;
		ut[i].text_len = users->entries[i].len;
	}
	for (i = 0; i < names->n; i++) {
		nt[i].text_offset = names->entries[i].offset;
		nt[i].text_len = names->entries[i].len;
	}
	for (i = n; i-- > 0;) {
		ut[recs[i].user].first_event = i;
		ut[recs[i].user].n_events++;
		nt[recs[i].name].n_events++;
	}
}

/* Interns, sorts and writes the events above; returns the header. */
static struct evfile_header
write_events(void)
{
	struct evrun_rec runs[N_EVENTS];
	struct evfile_record recs[N_EVENTS];
	struct evfile_user ut[N_EVENTS];
	struct evfile_name nt[N_EVENTS];
	struct strtab users, names;
	struct evfile_data data;
	struct outfile of;
	struct wk_err err;
	size_t i;

	strtab_init(&users, 100);
	strtab_init(&names, 100);
	for (i = 0; i < N_EVENTS; i++) {
		runs[i].time_ms = events[i].time_ms;
		runs[i].value = events[i].value;
		runs[i].offset = i;
		assert_int_equal(strtab_intern(&users, events[i].user,
		    strlen(events[i].user), &runs[i].user), WK_OK);
		assert_int_equal(strtab_intern(&names, events[i].name,
		    strlen(events[i].name), &runs[i].name), WK_OK);
	}
	assert_int_equal(users.n, 3);
	assert_int_equal(names.n, 3);
	evrun_sort(runs, N_EVENTS);
	for (i = 0; i < N_EVENTS; i++)
		recs[i] = (struct evfile_record){ runs[i].time_ms,
		    runs[i].value, runs[i].user, runs[i].name };
	build_tables(recs, N_EVENTS, &users, &names, ut, nt);

	memset(&data, 0, sizeof data);
	data.header.flags = EVFILE_HAS_NAMES | EVFILE_HAS_VALUES;
	data.header.n_events = N_EVENTS;
	data.header.n_users = users.n;
	data.header.n_names = names.n;
	data.header.time_min_ms = 100;
	data.header.time_max_ms = 500;
	data.header.rows_in = 7;
	data.header.rows_bad = 1;
	data.users = ut;
	data.user_text = users.arena;
	data.user_text_len = users.arena_len;
	data.names = nt;
	data.name_text = names.arena;
	data.name_text_len = names.arena_len;
	data.records = recs;
	assert_int_equal(outfile_open(&of, path, &err), WK_OK);
	assert_int_equal(evfile_write(&of, &data, NULL, NULL), WK_OK);
	assert_int_equal(outfile_commit(&of, &err), WK_OK);

	strtab_free(&users);
	strtab_free(&names);
	return data.header;
}

static int
setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
test_strtab_interns_once(void **state)
{
	struct strtab t;
	uint32_t a, b, c, i, idx;
	char key[16];
	size_t len;

	(void)state;
	strtab_init(&t, 5000);
	assert_int_equal(strtab_intern(&t, "alpha", 5, &a), WK_OK);
	assert_int_equal(strtab_intern(&t, "beta", 4, &b), WK_OK);
	assert_int_equal(strtab_intern(&t, "alpha", 5, &c), WK_OK);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(c, 0);
	/* Enough strings to make the table grow twice. */
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "k%u", i);
		assert_int_equal(strtab_intern(&t, key, strlen(key), &idx),
		    WK_OK);
		assert_int_equal(idx, i + 2);
	}
	assert_string_equal(strtab_get(&t, 1, &len), "beta");
	assert_int_equal(len, 4);
	assert_string_equal(strtab_get(&t, 2999 + 2, NULL), "k2999");
	strtab_free(&t);

	strtab_init(&t, 1);
	assert_int_equal(strtab_intern(&t, "x", 1, &a), WK_OK);
	assert_int_equal(strtab_intern(&t, "y", 1, &b), WK_ERR_LIMIT);
	strtab_free(&t);
}

static void
test_evfile_round_trip(void **state)
{
	struct evfile ef;
	struct wk_err err;

	(void)state;
	write_events();
	assert_int_equal(evfile_open(&ef, path, NULL, NULL, &err), WK_OK);
	assert_int_equal(ef.header->n_events, 6);
	assert_int_equal(ef.header->n_users, 3);
	assert_int_equal(ef.header->rows_in, 7);
	assert_int_equal(ef.header->rows_bad, 1);
	assert_int_equal(ef.header->time_min_ms, 100);

	/* Users in order of their first row: u2, u10, u1. */
	assert_string_equal(evfile_user_id(&ef, 0), "u2");
	assert_string_equal(evfile_user_id(&ef, 1), "u10");
	assert_string_equal(evfile_user_id(&ef, 2), "u1");
	assert_int_equal(ef.users[0].n_events, 3);
	assert_int_equal(ef.users[1].n_events, 2);
	assert_int_equal(ef.users[2].first_event, 5);

	/* Names in order of their first row: play, home, about. */
	assert_string_equal(evfile_name(&ef, 0), "play");
	assert_string_equal(evfile_name(&ef, 2), "about");
	assert_int_equal(ef.names[0].n_events, 3);
	assert_int_equal(ef.names[1].n_events, 2);

	/* u2's events by time: 100 home 2.0, 200 play 0.5, 300 play 1.5. */
	assert_int_equal(ef.records[0].time_ms, 100);
	assert_float_equal(ef.records[0].value, 2.0, 0.0);
	assert_int_equal(ef.records[1].time_ms, 200);
	assert_int_equal(ef.records[2].time_ms, 300);
	/* u10's two events at the same time: by name index, home first. */
	assert_int_equal(ef.records[3].name, 1);
	assert_int_equal(ef.records[4].name, 2);
	assert_int_equal(ef.records[5].user, 2);
	evfile_close(&ef);
}

/* Overwrites len bytes at offset of the file. */
static void
patch(off_t offset, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, offset), (ssize_t)len);
	close(fd);
}

static void
expect_rejected(const char *what)
{
	struct evfile ef;
	struct wk_err err;

	assert_int_equal(evfile_open(&ef, path, NULL, NULL, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, what));
	assert_non_null(strstr(err.msg, "churn ingest"));
}

static void
test_evfile_rejects_damage(void **state)
{
	struct evfile_header h;
	int64_t late = 50;
	uint32_t user = 0;

	(void)state;
	h = write_events();
	patch(0, "XX", 2);
	expect_rejected("does not start");

	h = write_events();
	/* Record 2 (u2, time 300) moved before record 1 (time 200). */
	patch((off_t)(h.records_offset + 2 * sizeof(struct evfile_record)),
	    &late, sizeof late);
	expect_rejected("time order");

	h = write_events();
	patch((off_t)(h.records_offset + 4 * sizeof(struct evfile_record) +
	    offsetof(struct evfile_record, user)), &user, sizeof user);
	expect_rejected("record 4");

	h = write_events();
	assert_int_equal(truncate(path, (off_t)h.names_offset + 30), 0);
	expect_rejected("does not lie inside");

	assert_int_equal(truncate(path, 0), 0);
	expect_rejected("shorter than");
}

static void
test_evfile_open_missing(void **state)
{
	struct evfile ef;
	struct wk_err err;

	(void)state;
	assert_int_equal(evfile_open(&ef, "/nonexistent/e.wkev", NULL, NULL,
	    &err), WK_ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtab_interns_once),
		cmocka_unit_test(test_evfile_round_trip),
		cmocka_unit_test(test_evfile_rejects_damage),
		cmocka_unit_test(test_evfile_open_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
