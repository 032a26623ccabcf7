/*
 * Time zones of core/tz.c: the zoneinfo files of the tzdata package,
 * compared with the C library's localtime_r(), and TZif files written by
 * the tests, for each version and for corrupt input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/rc.h"
#include "core/tz.h"

#define TZIF_BUF_MAX 8192      /* bytes of a TZif file a test writes */
#define RANDOM_INSTANTS 3000   /* instants compared per zone */

/* The TZDIR of a test that writes its own zone files. */
struct tzdir_state {
	char dir[64];        /* temporary directory */
	char *saved_tzdir;   /* TZDIR before the test, or NULL; owned */
};

/* Seconds since the epoch of a UTC civil time. */
static int64_t
utc_at(int64_t year, int month, int day, int hour, int minute, int second)
{
	return clk_days_from_civil(year, month, day) * 86400 + hour * 3600 +
	    minute * 60 + second;
}

/* splitmix64, so every run checks the same instants. */
static uint64_t
test_random(uint64_t *state)
{
	uint64_t z = *state += UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static struct tz *
load_zone(const char *name)
{
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;
	int rc = tz_load(name, &tz, &err);

	if (rc != WK_OK)
		fail_msg("tz_load(%s): %s", name, err.msg);
	return tz;
}

static int
tzdir_setup(void **state)
{
	struct tzdir_state *st = calloc(1, sizeof *st);
	const char *old = getenv("TZDIR");

	if (st == NULL)
		return -1;
	snprintf(st->dir, sizeof st->dir, "/tmp/wk-tz-test-XXXXXX");
	if (mkdtemp(st->dir) == NULL)
		return -1;
	st->saved_tzdir = old != NULL ? strdup(old) : NULL;
	setenv("TZDIR", st->dir, 1);
	*state = st;
	return 0;
}

static int
tzdir_teardown(void **state)
{
	struct tzdir_state *st = *state;
	char cmd[128];

	if (st->saved_tzdir != NULL)
		setenv("TZDIR", st->saved_tzdir, 1);
	else
		unsetenv("TZDIR");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", st->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", st->dir);
	free(st->saved_tzdir);
	free(st);
	return 0;
}

/* ---- writing TZif files ---- */

/* The content of a TZif file to write; both data blocks get it. */
struct tzif_spec {
	char version;            /* 0 for version 1, else '2', '3' or '4' */
	size_t ntrans;           /* transitions */
	const int64_t *trans;    /* ntrans instants */
	const uint8_t *idx;      /* ntrans type indexes */
	size_t ntypes;           /* local time types */
	const int32_t *utoff;    /* ntypes offsets, seconds east */
	const uint8_t *isdst;    /* ntypes flags */
	const uint8_t *abbrind;  /* ntypes offsets into chars */
	const char *chars;       /* abbreviations with their NULs */
	size_t charcnt;          /* bytes of chars */
	uint32_t leapcnt;        /* leap-second records, written as zeros */
	const char *footer;      /* footer rule for version 2+, or NULL */
};

/* A TZif file being written. */
struct tzif_out {
	uint8_t bytes[TZIF_BUF_MAX];  /* content */
	size_t len;                   /* bytes used */
};

static void
put_bytes(struct tzif_out *o, const void *p, size_t n)
{
	assert_true(o->len + n <= sizeof o->bytes);
	if (n == 0)
		return;
	memcpy(o->bytes + o->len, p, n);
	o->len += n;
}

static void
put_be(struct tzif_out *o, uint64_t v, int size)
{
	int i;

	for (i = size - 1; i >= 0; i--) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		put_bytes(o, &b, 1);
	}
}

static void
put_block(struct tzif_out *o, const struct tzif_spec *s, int time_size)
{
	uint8_t zeros[16] = { 0 };
	size_t i;

	put_bytes(o, "TZif", 4);
	put_bytes(o, &s->version, 1);
	put_bytes(o, zeros, 15);
	put_be(o, 0, 4);
	put_be(o, 0, 4);
	put_be(o, s->leapcnt, 4);
	put_be(o, s->ntrans, 4);
	put_be(o, s->ntypes, 4);
	put_be(o, s->charcnt, 4);
	for (i = 0; i < s->ntrans; i++)
		put_be(o, (uint64_t)s->trans[i], time_size);
	put_bytes(o, s->idx, s->ntrans);
	for (i = 0; i < s->ntypes; i++) {
		put_be(o, (uint32_t)s->utoff[i], 4);
		put_bytes(o, &s->isdst[i], 1);
		put_bytes(o, &s->abbrind[i], 1);
	}
	put_bytes(o, s->chars, s->charcnt);
	for (i = 0; i < s->leapcnt; i++)
		put_bytes(o, zeros, (size_t)time_size + 4);
}

static void
write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
write_tzif(const char *dir, const char *name, const struct tzif_spec *s)
{
	struct tzif_out o = { .len = 0 };

	put_block(&o, s, 4);
	if (s->version != 0) {
		put_block(&o, s, 8);
		put_bytes(&o, "\n", 1);
		if (s->footer != NULL)
			put_bytes(&o, s->footer, strlen(s->footer));
		put_bytes(&o, "\n", 1);
	}
	write_file(dir, name, o.bytes, o.len);
}

/* Writes a version 2 file with one type and no transitions, and a footer. */
static void
write_footer_zone(const char *dir, const char *name, const char *footer)
{
	static const int32_t utoff[] = { 0 };
	static const uint8_t isdst[] = { 0 }, abbrind[] = { 0 };
	struct tzif_spec s = { '2', 0, NULL, NULL, 1, utoff, isdst, abbrind,
		"ZZZ", 4, 0, footer };

	write_tzif(dir, name, &s);
}

/* ---- names and loading ---- */

static void
utc_builtin_without_tzdata(void **state)
{
	struct tzdir_state *st = *state;
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;
	char abbr[TZ_ABBR_MAX];

	assert_int_equal(tz_load("UTC", &tz, &err), WK_OK);
	assert_string_equal(tz_name(tz), "UTC");
	assert_int_equal(tz_offset_at(tz, 1700000000), 0);
	tz_abbr_at(tz, 0, abbr, sizeof abbr);
	assert_string_equal(abbr, "UTC");
	assert_int_equal(tz_next_transition(tz, 0), INT64_MAX);
	tz_free(tz);

	assert_int_equal(tz_load("Etc/UTC", &tz, &err), WK_OK);
	assert_string_equal(tz_name(tz), "Etc/UTC");
	assert_int_equal(tz_offset_at(tz, -5000000000), 0);
	tz_free(tz);

	assert_int_equal(tz_load("Europe/Berlin", &tz, &err), WK_ERR_NOTFOUND);
	assert_null(tz);
	assert_non_null(strstr(err.msg, "Europe/Berlin"));
	assert_non_null(strstr(err.msg, st->dir));
	assert_non_null(strstr(err.msg, "TZDIR"));
}

static void
invalid_names_rejected(void **state)
{
	static const char *const names[] = {
		"", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd",
		"Europe/..", "a b", "Europe/Berlin\n", "Europe\\Berlin",
		"Zone;rm", "Europe/Berlin*",
	};
	char longname[TZ_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct wk_err err = { 0, "" };
		struct tz *tz = NULL;

		assert_int_equal(tz_load(names[i], &tz, &err), WK_ERR_INVALID);
		assert_null(tz);
		assert_int_equal(err.rc, WK_ERR_INVALID);
		assert_non_null(strstr(err.msg, "Europe/Berlin"));
		assert_null(strchr(err.msg, '\n'));
	}

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	{
		struct wk_err err = { 0, "" };
		struct tz *tz = NULL;

		assert_int_equal(tz_load(longname, &tz, &err), WK_ERR_INVALID);
		assert_null(tz);
		assert_non_null(strstr(err.msg, "..."));
	}
}

static void
directory_is_not_zone(void **state)
{
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;

	(void)state;
	assert_int_equal(tz_load("Europe", &tz, &err), WK_ERR_INVALID);
	assert_null(tz);
	assert_non_null(strstr(err.msg, "Europe"));
}

static void
unknown_zone_not_found(void **state)
{
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;

	(void)state;
	assert_int_equal(tz_load("Europe/Atlantis", &tz, &err),
	    WK_ERR_NOTFOUND);
	assert_null(tz);
	assert_non_null(strstr(err.msg, "Europe/Atlantis"));
}

/* ---- the tzdata zones ---- */

static void
berlin_offsets_2024(void **state)
{
	struct tz *tz = load_zone("Europe/Berlin");
	int64_t spring = utc_at(2024, 3, 31, 1, 0, 0);
	int64_t autumn = utc_at(2024, 10, 27, 1, 0, 0);
	char abbr[TZ_ABBR_MAX];

	(void)state;
	assert_string_equal(tz_name(tz), "Europe/Berlin");
	assert_int_equal(tz_offset_at(tz, spring - 1), 3600);
	assert_int_equal(tz_offset_at(tz, spring), 7200);
	assert_int_equal(tz_offset_at(tz, autumn - 1), 7200);
	assert_int_equal(tz_offset_at(tz, autumn), 3600);
	assert_int_equal(tz_is_dst_at(tz, spring - 1), 0);
	assert_int_equal(tz_is_dst_at(tz, spring), 1);
	tz_abbr_at(tz, spring - 1, abbr, sizeof abbr);
	assert_string_equal(abbr, "CET");
	tz_abbr_at(tz, spring, abbr, sizeof abbr);
	assert_string_equal(abbr, "CEST");
	assert_int_equal(tz_next_transition(tz, spring - 3600), spring);
	assert_int_equal(tz_next_transition(tz, spring), autumn);
	tz_free(tz);
}

/* 2100 lies past the table of a tzdata file, so the footer rule applies. */
static void
berlin_footer_rule_2100(void **state)
{
	struct tz *tz = load_zone("Europe/Berlin");
	int64_t spring = utc_at(2100, 3, 28, 1, 0, 0);
	int64_t autumn = utc_at(2100, 10, 31, 1, 0, 0);

	(void)state;
	assert_int_equal(tz_offset_at(tz, utc_at(2100, 1, 1, 0, 0, 0)), 3600);
	assert_int_equal(tz_offset_at(tz, spring - 1), 3600);
	assert_int_equal(tz_offset_at(tz, spring), 7200);
	assert_int_equal(tz_offset_at(tz, autumn - 1), 7200);
	assert_int_equal(tz_offset_at(tz, autumn), 3600);
	assert_int_equal(tz_next_transition(tz, spring - 1), spring);
	assert_int_equal(tz_next_transition(tz, spring), autumn);
	tz_free(tz);
}

static void
berlin_gap_and_fold(void **state)
{
	struct tz *tz = load_zone("Europe/Berlin");
	int64_t first = 0, second = 0;

	(void)state;
	/* 2024-03-31 02:30 does not exist; 03:00 CEST is 01:00 UTC. */
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 3, 31, 2, 30, 0),
	    &first, &second), 0);
	assert_int_equal(first, utc_at(2024, 3, 31, 1, 0, 0));

	/* 2024-10-27 02:30 occurs at 00:30 UTC (CEST) and 01:30 UTC (CET). */
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 10, 27, 2, 30, 0),
	    &first, &second), 2);
	assert_int_equal(first, utc_at(2024, 10, 27, 0, 30, 0));
	assert_int_equal(second, utc_at(2024, 10, 27, 1, 30, 0));

	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 7, 1, 12, 0, 0),
	    &first, NULL), 1);
	assert_int_equal(first, utc_at(2024, 7, 1, 10, 0, 0));

	/* The edges: 02:00 is in the gap, 03:00 is not; 03:00 ends the fold. */
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 3, 31, 2, 0, 0),
	    &first, NULL), 0);
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 3, 31, 3, 0, 0),
	    &first, NULL), 1);
	assert_int_equal(first, utc_at(2024, 3, 31, 1, 0, 0));
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 10, 27, 2, 0, 0),
	    &first, &second), 2);
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 10, 27, 3, 0, 0),
	    &first, NULL), 1);
	assert_int_equal(first, utc_at(2024, 10, 27, 2, 0, 0));
	tz_free(tz);
}

static void
new_york_transitions(void **state)
{
	struct tz *tz = load_zone("America/New_York");
	int64_t spring = utc_at(2024, 3, 10, 7, 0, 0);
	int64_t autumn = utc_at(2024, 11, 3, 6, 0, 0);
	int64_t first = 0, second = 0;

	(void)state;
	assert_int_equal(tz_offset_at(tz, spring - 1), -5 * 3600);
	assert_int_equal(tz_offset_at(tz, spring), -4 * 3600);
	assert_int_equal(tz_offset_at(tz, autumn - 1), -4 * 3600);
	assert_int_equal(tz_offset_at(tz, autumn), -5 * 3600);
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 3, 10, 2, 15, 0),
	    &first, &second), 0);
	assert_int_equal(first, spring);
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 11, 3, 1, 15, 0),
	    &first, &second), 2);
	assert_int_equal(first, utc_at(2024, 11, 3, 5, 15, 0));
	assert_int_equal(second, utc_at(2024, 11, 3, 6, 15, 0));
	tz_free(tz);
}

/* Lord Howe Island moves its clocks by 30 minutes, from +10:30 to +11. */
static void
lord_howe_half_hour(void **state)
{
	struct tz *tz = load_zone("Australia/Lord_Howe");
	int64_t autumn = utc_at(2024, 4, 6, 15, 0, 0);
	int64_t spring = utc_at(2024, 10, 5, 15, 30, 0);
	int64_t first = 0, second = 0;

	(void)state;
	assert_int_equal(tz_offset_at(tz, autumn - 1), 11 * 3600);
	assert_int_equal(tz_offset_at(tz, autumn), 10 * 3600 + 1800);
	assert_int_equal(tz_offset_at(tz, spring - 1), 10 * 3600 + 1800);
	assert_int_equal(tz_offset_at(tz, spring), 11 * 3600);

	/* 2024-10-06 02:00-02:29 local do not exist. */
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 10, 6, 2, 15, 0),
	    &first, &second), 0);
	assert_int_equal(first, spring);
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 10, 6, 2, 30, 0),
	    &first, &second), 1);
	assert_int_equal(first, spring);

	/* 2024-04-07 01:30-01:59 local occur twice, 30 minutes apart. */
	assert_int_equal(tz_local_to_utc(tz, utc_at(2024, 4, 7, 1, 45, 0),
	    &first, &second), 2);
	assert_int_equal(first, autumn - 900);
	assert_int_equal(second, autumn + 900);
	tz_free(tz);
}

static void
civil_at_fields(void **state)
{
	struct tz *utc = load_zone("UTC");
	struct tz *berlin = load_zone("Europe/Berlin");
	struct tz_civil c;

	(void)state;
	tz_civil_at(utc, -1, &c);
	assert_int_equal(c.year, 1969);
	assert_int_equal(c.month, 12);
	assert_int_equal(c.day, 31);
	assert_int_equal(c.hour, 23);
	assert_int_equal(c.minute, 59);
	assert_int_equal(c.second, 59);
	assert_int_equal(c.wday, 3);
	assert_int_equal(c.offset, 0);

	/* 2024-02-29 23:30:15 UTC is 2024-03-01 00:30:15 CET, a Friday. */
	tz_civil_at(berlin, utc_at(2024, 2, 29, 23, 30, 15), &c);
	assert_int_equal(c.year, 2024);
	assert_int_equal(c.month, 3);
	assert_int_equal(c.day, 1);
	assert_int_equal(c.hour, 0);
	assert_int_equal(c.minute, 30);
	assert_int_equal(c.second, 15);
	assert_int_equal(c.wday, 5);
	assert_int_equal(c.offset, 3600);
	tz_free(utc);
	tz_free(berlin);
}

/* Compares offset, abbreviation and civil time with localtime_r(). */
static void
compare_with_libc(const struct tz *tz, const char *tz_env, int64_t t)
{
	time_t tt = (time_t)t;
	struct tz_civil c;
	struct tm tm;
	char abbr[TZ_ABBR_MAX];

	assert_non_null(localtime_r(&tt, &tm));
	tz_civil_at(tz, t, &c);
	tz_abbr_at(tz, t, abbr, sizeof abbr);
	if (c.offset != tm.tm_gmtoff)
		fail_msg("%s at %lld: offset %d, libc %ld", tz_env,
		    (long long)t, (int)c.offset, tm.tm_gmtoff);
	assert_int_equal(c.year, tm.tm_year + 1900);
	assert_int_equal(c.month, tm.tm_mon + 1);
	assert_int_equal(c.day, tm.tm_mday);
	assert_int_equal(c.hour, tm.tm_hour);
	assert_int_equal(c.minute, tm.tm_min);
	assert_int_equal(c.second, tm.tm_sec);
	assert_int_equal(c.wday, tm.tm_wday);
	assert_int_equal(tz_is_dst_at(tz, t), tm.tm_isdst > 0);
	assert_string_equal(abbr, tm.tm_zone);
}

/* Sets TZ for localtime_r() and returns the old value (owned), or NULL. */
static char *
push_tz(const char *value)
{
	const char *old = getenv("TZ");
	char *saved = old != NULL ? strdup(old) : NULL;

	setenv("TZ", value, 1);
	tzset();
	return saved;
}

static void
pop_tz(char *saved)
{
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* Instants from 1800 to 2300 and the transitions near them, per zone. */
static void
zones_match_libc(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
		"Asia/Kolkata", "America/Sao_Paulo", "Africa/Casablanca",
		"Pacific/Apia", "Europe/Dublin", "Antarctica/Troll",
		"America/Nuuk", "Pacific/Chatham", "Asia/Tehran",
		"America/Santiago", "Australia/Sydney", "Europe/London",
	};
	int64_t lo = utc_at(1800, 1, 1, 0, 0, 0);
	int64_t span = utc_at(2300, 1, 1, 0, 0, 0) - lo;
	uint64_t seed = 42;
	size_t z;
	int i;

	(void)state;
	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		char env[128];
		char *saved;
		struct tz *tz = load_zone(zones[z]);

		snprintf(env, sizeof env, ":%s", zones[z]);
		saved = push_tz(env);
		for (i = 0; i < RANDOM_INSTANTS; i++) {
			int64_t t = lo + (int64_t)(test_random(&seed) %
			    (uint64_t)span);
			int64_t next = tz_next_transition(tz, t);

			compare_with_libc(tz, zones[z], t);
			if (next < lo + span) {
				compare_with_libc(tz, zones[z], next - 1);
				compare_with_libc(tz, zones[z], next);
			}
		}
		pop_tz(saved);
		tz_free(tz);
	}
}

/* Every instant converts back from its local time. */
static void
local_to_utc_round_trip(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "Australia/Lord_Howe", "America/New_York",
		"Pacific/Apia", "Antarctica/Troll",
	};
	int64_t lo = utc_at(1900, 1, 1, 0, 0, 0);
	int64_t span = utc_at(2200, 1, 1, 0, 0, 0) - lo;
	uint64_t seed = 7;
	size_t z;
	int i;

	(void)state;
	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		struct tz *tz = load_zone(zones[z]);

		for (i = 0; i < RANDOM_INSTANTS; i++) {
			int64_t t = lo + (int64_t)(test_random(&seed) %
			    (uint64_t)span);
			int64_t local = t + tz_offset_at(tz, t);
			int64_t first = 0, second = 0;
			int n;

			/* Half the instants sit just after a transition. */
			if (i % 2 == 1 &&
			    tz_next_transition(tz, t) < lo + span) {
				t = tz_next_transition(tz, t) +
				    (int64_t)(test_random(&seed) % 7200);
				local = t + tz_offset_at(tz, t);
			}
			n = tz_local_to_utc(tz, local, &first, &second);
			assert_true(n == 1 || n == 2);
			if (n == 1)
				assert_int_equal(first, t);
			else
				assert_true(first == t || second == t);
		}
		tz_free(tz);
	}
}

static void
extreme_times_clamped(void **state)
{
	struct tz *tz = load_zone("Europe/Berlin");
	int64_t first = 0;
	struct tz_civil c;

	(void)state;
	tz_civil_at(tz, INT64_MAX, &c);
	assert_true(c.year > 1000000);
	tz_civil_at(tz, INT64_MIN, &c);
	assert_true(c.year < -1000000);
	assert_int_equal(tz_offset_at(tz, INT64_MAX),
	    tz_offset_at(tz, TZ_TIME_LIMIT));
	assert_true(tz_local_to_utc(tz, INT64_MAX, &first, NULL) >= 0);
	assert_true(first <= TZ_TIME_LIMIT);
	assert_true(tz_local_to_utc(tz, INT64_MIN, &first, NULL) >= 0);
	assert_true(first >= -TZ_TIME_LIMIT - 86400);
	tz_free(tz);
}

/* ---- TZif files written by the tests ---- */

static void
version1_file(void **state)
{
	static const int64_t trans[] = { 1000000000, 1100000000 };
	static const uint8_t idx[] = { 1, 0 };
	static const int32_t utoff[] = { 3600, 7200 };
	static const uint8_t isdst[] = { 0, 1 }, abbrind[] = { 0, 4 };
	struct tzif_spec s = { 0, 2, trans, idx, 2, utoff, isdst, abbrind,
		"AAA\0BBB", 8, 0, NULL };
	struct tzdir_state *st = *state;
	struct tz *tz;
	char abbr[TZ_ABBR_MAX];

	write_tzif(st->dir, "One", &s);
	tz = load_zone("One");
	assert_int_equal(tz_offset_at(tz, 999999999), 3600);
	assert_int_equal(tz_offset_at(tz, 1000000000), 7200);
	assert_int_equal(tz_offset_at(tz, 1099999999), 7200);
	assert_int_equal(tz_offset_at(tz, 1100000000), 3600);
	assert_int_equal(tz_offset_at(tz, INT64_C(5000000000)), 3600);
	tz_abbr_at(tz, 1000000000, abbr, sizeof abbr);
	assert_string_equal(abbr, "BBB");
	assert_int_equal(tz_next_transition(tz, 0), 1000000000);
	assert_int_equal(tz_next_transition(tz, 1100000000), INT64_MAX);
	tz_free(tz);
}

/* A version 3 file whose table ends in 2000 and whose footer goes on. */
static void
version3_table_then_footer(void **state)
{
	static const int64_t trans[] = { -2000000000, 946684800 };
	static const uint8_t idx[] = { 1, 1 };
	static const int32_t utoff[] = { 1234, -18000, -14400 };
	static const uint8_t isdst[] = { 0, 0, 1 }, abbrind[] = { 0, 4, 8 };
	struct tzif_spec s = { '3', 2, trans, idx, 3, utoff, isdst, abbrind,
		"LMT\0EST\0EDT", 12, 0, "EST5EDT,M3.2.0,M11.1.0" };
	struct tzdir_state *st = *state;
	struct tz *tz;

	write_tzif(st->dir, "Three", &s);
	tz = load_zone("Three");
	assert_int_equal(tz_offset_at(tz, -2000000001), 1234);
	assert_int_equal(tz_offset_at(tz, 0), -18000);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 3, 10, 6, 59, 59)),
	    -18000);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 3, 10, 7, 0, 0)),
	    -14400);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 11, 3, 5, 59, 59)),
	    -14400);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 11, 3, 6, 0, 0)),
	    -18000);
	tz_free(tz);
}

/* Footer rules of every form, compared with glibc reading the same string. */
static void
footer_rules_match_libc(void **state)
{
	static const char *const rules[] = {
		"AAA5BBB,M3.2.0,M11.1.0",
		"AAA-1BBB,M3.5.0,M10.5.0/3",
		"<-03>3<-02>,M10.1.0/0,M2.3.0/0",
		"AAA-10:30<+11>-11,M10.1.0,M4.1.0",
		"AAA3BBB,J60/1:30,J300/23",
		"AAA3BBB,59/3,299/-1",
		"AAA-2BBB-3,M3.5.5/26,M10.5.6/-2",
		"<+0545>-5:45",
		"XXX3YYY,M4.1.0/-100,M9.5.6/150",
	};
	struct tzdir_state *st = *state;
	int64_t lo = utc_at(1990, 1, 1, 0, 0, 0);
	int64_t span = utc_at(2150, 1, 1, 0, 0, 0) - lo;
	uint64_t seed = 99;
	size_t r;
	int i;

	for (r = 0; r < sizeof rules / sizeof rules[0]; r++) {
		char name[32], *saved;
		struct tz *tz;

		snprintf(name, sizeof name, "Rule%zu", r);
		write_footer_zone(st->dir, name, rules[r]);
		tz = load_zone(name);
		saved = push_tz(rules[r]);
		for (i = 0; i < RANDOM_INSTANTS; i++) {
			int64_t t = lo + (int64_t)(test_random(&seed) %
			    (uint64_t)span);
			int64_t next = tz_next_transition(tz, t);
			time_t tt = (time_t)t;
			struct tm tm;

			assert_non_null(localtime_r(&tt, &tm));
			if (tz_offset_at(tz, t) != tm.tm_gmtoff)
				fail_msg("%s at %lld: offset %d, libc %ld",
				    rules[r], (long long)t,
				    (int)tz_offset_at(tz, t), tm.tm_gmtoff);
			if (next == INT64_MAX)
				continue;
			tt = (time_t)next;
			assert_non_null(localtime_r(&tt, &tm));
			assert_int_equal(tz_offset_at(tz, next), tm.tm_gmtoff);
			tt = (time_t)(next - 1);
			assert_non_null(localtime_r(&tt, &tm));
			assert_int_equal(tz_offset_at(tz, next - 1),
			    tm.tm_gmtoff);
		}
		pop_tz(saved);
		tz_free(tz);
	}
}

static void
expect_corrupt(const struct tzdir_state *st, const char *name, int rc)
{
	struct wk_err err = { 0, "" };
	struct tz *tz = NULL;

	assert_int_equal(tz_load(name, &tz, &err), rc);
	assert_null(tz);
	assert_non_null(strstr(err.msg, st->dir));
	assert_non_null(strstr(err.msg, name));
}

static void
corrupt_files_rejected(void **state)
{
	static const int64_t trans[] = { 2000, 1000 };
	static const uint8_t idx[] = { 0, 0 }, bad_idx[] = { 0, 5 };
	static const int32_t utoff[] = { 3600 }, huge[] = { 200000 };
	static const uint8_t isdst[] = { 0 }, abbrind[] = { 0 };
	struct tzif_spec s = { '2', 2, trans, idx, 1, utoff, isdst, abbrind,
		"AAA", 4, 0, "AAA-1" };
	struct tzdir_state *st = *state;
	struct tzif_out o = { .len = 0 };
	static char big[TZ_FILE_MAX + 1];

	write_file(st->dir, "Text", "not a zone\n", 11);
	expect_corrupt(st, "Text", WK_ERR_INVALID);

	write_tzif(st->dir, "Order", &s);
	expect_corrupt(st, "Order", WK_ERR_INVALID);

	s.ntrans = 0;
	s.leapcnt = 1;
	write_tzif(st->dir, "Leap", &s);
	expect_corrupt(st, "Leap", WK_ERR_INVALID);

	s.leapcnt = 0;
	s.footer = "AAA-1BBB,M3.5.0,M13.5.0";
	write_tzif(st->dir, "Footer", &s);
	expect_corrupt(st, "Footer", WK_ERR_INVALID);

	s.footer = "AA-1";
	write_tzif(st->dir, "Short", &s);
	expect_corrupt(st, "Short", WK_ERR_INVALID);

	s.footer = "AAA-1";
	s.utoff = huge;
	write_tzif(st->dir, "Offset", &s);
	expect_corrupt(st, "Offset", WK_ERR_INVALID);

	s.utoff = utoff;
	s.ntrans = 2;
	s.trans = (const int64_t[]){ 1000, 2000 };
	s.idx = bad_idx;
	write_tzif(st->dir, "Index", &s);
	expect_corrupt(st, "Index", WK_ERR_INVALID);

	s.idx = idx;
	s.charcnt = 3;
	write_tzif(st->dir, "Abbr", &s);
	expect_corrupt(st, "Abbr", WK_ERR_INVALID);

	s.charcnt = 4;
	put_block(&o, &s, 4);
	put_block(&o, &s, 8);
	write_file(st->dir, "Cut", o.bytes, o.len - 3);
	expect_corrupt(st, "Cut", WK_ERR_INVALID);
	write_file(st->dir, "NoFooter", o.bytes, o.len);
	expect_corrupt(st, "NoFooter", WK_ERR_INVALID);

	memcpy(big, "TZif2", 5);
	write_file(st->dir, "Big", big, sizeof big);
	expect_corrupt(st, "Big", WK_ERR_LIMIT);
}

/* A footer-only zone is valid, and an empty footer keeps the last type. */
static void
valid_small_files(void **state)
{
	static const int64_t trans[] = { 1000 };
	static const uint8_t idx[] = { 1 };
	static const int32_t utoff[] = { 0, 19800 };
	static const uint8_t isdst[] = { 0, 0 }, abbrind[] = { 0, 4 };
	struct tzif_spec s = { '2', 1, trans, idx, 2, utoff, isdst, abbrind,
		"LMT\0IST", 8, 0, "" };
	struct tzdir_state *st = *state;
	struct tz *tz;

	write_tzif(st->dir, "Empty", &s);
	tz = load_zone("Empty");
	assert_int_equal(tz_offset_at(tz, 999), 0);
	assert_int_equal(tz_offset_at(tz, INT64_C(90000000000)), 19800);
	assert_int_equal(tz_next_transition(tz, 1000), INT64_MAX);
	tz_free(tz);

	write_footer_zone(st->dir, "Fixed", "<+0545>-5:45");
	tz = load_zone("Fixed");
	assert_int_equal(tz_offset_at(tz, 0), 5 * 3600 + 45 * 60);
	assert_int_equal(tz_next_transition(tz, 0), INT64_MAX);
	tz_free(tz);

	/* Without dates, DST runs from the second Sunday of March to the
	   first Sunday of November at 02:00, an hour ahead of standard. */
	write_footer_zone(st->dir, "Default", "AAA-9BBB");
	tz = load_zone("Default");
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 3, 9, 17, 0, 0) - 1),
	    9 * 3600);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 3, 9, 17, 0, 0)),
	    10 * 3600);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 11, 2, 16, 0, 0) - 1),
	    10 * 3600);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 11, 2, 16, 0, 0)),
	    9 * 3600);
	tz_free(tz);
}

/*
 * DST from January 1 00:00 standard time to December 31 25:00 daylight
 * time ends when the next year's DST starts, so DST is in effect all year.
 */
static void
footer_rule_permanent_dst(void **state)
{
	struct tzdir_state *st = *state;
	struct tz *tz;
	int64_t t;

	write_footer_zone(st->dir, "Always", "EST5EDT,0/0,J365/25");
	tz = load_zone("Always");
	for (t = utc_at(2023, 12, 31, 0, 0, 0);
	    t < utc_at(2024, 1, 2, 0, 0, 0); t += 1800)
		assert_int_equal(tz_offset_at(tz, t), -4 * 3600);
	assert_int_equal(tz_offset_at(tz, utc_at(2024, 7, 1, 0, 0, 0)),
	    -4 * 3600);
	tz_free(tz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(utc_builtin_without_tzdata,
		    tzdir_setup, tzdir_teardown),
		cmocka_unit_test(invalid_names_rejected),
		cmocka_unit_test(directory_is_not_zone),
		cmocka_unit_test(unknown_zone_not_found),
		cmocka_unit_test(berlin_offsets_2024),
		cmocka_unit_test(berlin_footer_rule_2100),
		cmocka_unit_test(berlin_gap_and_fold),
		cmocka_unit_test(new_york_transitions),
		cmocka_unit_test(lord_howe_half_hour),
		cmocka_unit_test(civil_at_fields),
		cmocka_unit_test(zones_match_libc),
		cmocka_unit_test(local_to_utc_round_trip),
		cmocka_unit_test(extreme_times_clamped),
		cmocka_unit_test_setup_teardown(version1_file, tzdir_setup,
		    tzdir_teardown),
		cmocka_unit_test_setup_teardown(version3_table_then_footer,
		    tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(footer_rules_match_libc,
		    tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(footer_rule_permanent_dst,
		    tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(corrupt_files_rejected,
		    tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(valid_small_files, tzdir_setup,
		    tzdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
