/*
 * Unit tests of the scheduler with injected clocks: a daily 02:30 schedule
 * in Europe/Berlin across both 2024 DST changes, catch-up after downtime
 * (also past SCHED_CATCH_UP_MAX slots and on a first start), a wall clock
 * set forward, and configuration reloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/ev.h"
#include "agent/runner.h"
#include "agent/sched.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"
#include "store_tmp.h"

#define FIRES_MAX 64

static int64_t fake_mono_ns;
static int64_t fake_wall_ms;

static int64_t fake_mono(void) { return fake_mono_ns; }
static int64_t fake_wall(void) { return fake_wall_ms; }

struct fire {
	int64_t slot_s;
	char date[16];
	char trigger[16];
};

static struct fire fires[FIRES_MAX];
static size_t n_fires;

static void
record(void *arg, const struct cfg_pipeline *p, int64_t slot_s,
       const char *date, const char *trigger)
{
	(void)arg;
	(void)p;
	assert_true(n_fires < FIRES_MAX);
	fires[n_fires].slot_s = slot_s;
	snprintf(fires[n_fires].date, sizeof fires[n_fires].date, "%s", date);
	snprintf(fires[n_fires].trigger, sizeof fires[n_fires].trigger, "%s",
	    trigger);
	n_fires++;
}

struct catch_up_case;

struct fixture {
	const struct catch_up_case *catch_up; /* case of a catch-up test, from
						 its initial state, or NULL */
	struct store *store;
	struct cfg *cfg;
	struct cfg *reloaded;  /* the configuration after a reload, or NULL */
	struct ev_loop *loop;
};

static struct cfg *
load(const char *schedule, const char *catch_up)
{
	char text[512];
	struct wk_err err;
	struct cfg *cfg;

	snprintf(text, sizeof text, "{\"pipelines\": [{\"name\": \"p\", "
	    "\"schedule\": \"%s\", \"time_zone\": \"Europe/Berlin\", "
	    "\"catch_up\": \"%s\", \"stages\": [{\"name\": \"a\", "
	    "\"command\": [\"true\"]}]}]}", schedule, catch_up);
	cfg = cfg_load_text(text, strlen(text), "test.json", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	return cfg;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct wk_err err;

	if (f == NULL || store_tmp_setup("sched", log_min_level) != 0)
		return -1;
	if (store_open(db_path, STORE_READ_WRITE, &f->store, &err) != WK_OK)
		return -1;
	f->loop = ev_loop_new();
	fake_mono_ns = INT64_C(1000000000);
	clk_set_source(fake_mono, fake_wall);
	n_fires = 0;
	f->catch_up = *state;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	clk_set_source(NULL, NULL);
	ev_loop_free(f->loop);
	store_close(f->store);
	cfg_free(f->cfg);
	cfg_free(f->reloaded);
	free(f);
	return store_tmp_teardown();
}

/* Advances both clocks in steps of step_s up to wall time until_s. */
static void
advance(struct fixture *f, int64_t until_s, int64_t step_s)
{
	while (fake_wall_ms / 1000 < until_s) {
		fake_wall_ms += step_s * 1000;
		fake_mono_ns += step_s * INT64_C(1000000000);
		ev_run_once(f->loop, 0);
	}
}

static struct sched *
start(struct fixture *f, int64_t wall_s)
{
	struct sched *s = NULL;
	struct wk_err err;

	fake_wall_ms = wall_s * 1000;
	assert_int_equal(sched_new(f->loop, f->store, f->cfg, record, NULL, &s,
	    &err), WK_OK);
	ev_run_once(f->loop, 0);
	return s;
}

/* 2024-03-31: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist. */
static void
spring_forward_fires_once(void **state)
{
	struct fixture *f = *state;
	struct sched *s;

	f->cfg = load("30 2 * * *", "once");
	s = start(f, 1711584000);           /* 2024-03-28T00:00:00Z */
	advance(f, 1711929600, 60);         /* 2024-04-01T00:00:00Z */
	assert_int_equal(n_fires, 4);
	assert_string_equal(fires[0].date, "2024-03-28");
	assert_int_equal(fires[0].slot_s, 1711589400);  /* 01:30Z = 02:30 CET */
	assert_string_equal(fires[2].date, "2024-03-30");
	assert_string_equal(fires[3].date, "2024-03-31");
	assert_int_equal(fires[3].slot_s, 1711846800);  /* 01:00Z = 03:00 CEST */
	assert_string_equal(fires[3].trigger, "schedule");
	sched_free(s);
}

/* 2024-10-27: 03:00 CEST falls back to 02:00 CET, so 02:30 occurs twice. */
static void
fall_back_fires_once(void **state)
{
	struct fixture *f = *state;
	struct sched *s;

	f->cfg = load("30 2 * * *", "once");
	s = start(f, 1729900800);           /* 2024-10-26T00:00:00Z */
	advance(f, 1730160000, 60);         /* 2024-10-29T00:00:00Z */
	assert_int_equal(n_fires, 3);
	assert_string_equal(fires[0].date, "2024-10-26");
	assert_int_equal(fires[0].slot_s, 1729902600);  /* 00:30Z = 02:30 CEST */
	assert_string_equal(fires[1].date, "2024-10-27");
	assert_int_equal(fires[1].slot_s, 1729989000);  /* first 02:30 */
	assert_string_equal(fires[2].date, "2024-10-28");
	assert_int_equal(fires[2].slot_s, 1730079000);  /* 01:30Z = 02:30 CET */
	sched_free(s);
}

/* A wall clock set forward by two days fires once, for the latest slot. */
static void
clock_jump_forward_fires_once(void **state)
{
	struct fixture *f = *state;
	struct sched *s;

	f->cfg = load("30 2 * * *", "once");
	s = start(f, 1718000000);           /* 2024-06-10T06:13:20Z */
	fake_wall_ms += 2 * 86400 * INT64_C(1000);
	fake_mono_ns += INT64_C(1000000000);
	advance(f, fake_wall_ms / 1000 + SCHED_RECHECK_MS / 1000 + 1, 1);
	assert_int_equal(n_fires, 1);
	assert_string_equal(fires[0].date, "2024-06-12");
	sched_free(s);
}

/* The stored last slot of pipeline p, as a number; -1 when none. */
static int64_t
stored_last_slot(struct fixture *f)
{
	char value[32];

	if (store_state_get(f->store, "schedule.p.last_slot", value,
	    sizeof value) != WK_OK)
		return -1;
	return strtoll(value, NULL, 10);
}

/* A start after downtime: the stored last slot, and what must follow. */
struct catch_up_case {
	const char *schedule;    /* cron expression of pipeline p */
	const char *catch_up;    /* "once" or "skip" */
	const char *last_slot;   /* stored schedule.p.last_slot */
	int64_t start_s;         /* wall clock of the start, s */
	int fires;               /* runs started */
	int64_t slot_s;          /* slot of the run, s; 0: not checked */
	const char *date;        /* its logical date; NULL: not checked */
	int64_t stored_slot_s;   /* last slot stored after the start, s;
				    0: not checked */
	const char *log_has;     /* text the log must contain; NULL: none */
	const char *log_lacks;   /* text it must not contain; NULL: none */
};

/* After three days down, "once" runs for the latest missed slot only. */
static const struct catch_up_case once_after_downtime = {
	"30 2 * * *", "once", "1717806600",  /* 2024-06-08 02:30 CEST */
	1718092800, 1, 0, "2024-06-11", 0, NULL, NULL };

/* "skip" runs nothing, and the skipped slots count as handled. */
static const struct catch_up_case skip_after_downtime = {
	"30 2 * * *", "skip", "1717806600", 1718092800, 0, 0, NULL,
	1718065800, NULL, NULL };          /* 2024-06-11 02:30 CEST */

/*
 * Five days down with a schedule of every minute: 7711 missed slots, more
 * than SCHED_CATCH_UP_MAX. The run is for the newest, not the 4096th.
 */
static const struct catch_up_case once_beyond_max = {
	"* * * * *", "once", "1709256540",   /* 2024-03-01T01:29:00Z */
	1709726430, 1, 1709726400,           /* 12:00:30Z, 12:00:00Z */
	"2024-03-06", 1709726400, "more than 4096 slots were missed", NULL };

static const struct catch_up_case skip_beyond_max = {
	"* * * * *", "skip", "1709256540", 1709726430, 0, 0, NULL,
	1709726400, NULL, NULL };

/* Exactly SCHED_CATCH_UP_MAX missed slots are counted, not "more than". */
static const struct catch_up_case once_up_to_max = {
	"* * * * *", "once", "1709256540", 1709256540 + 4096 * 60 + 30, 1,
	1709256540 + 4096 * 60, NULL, 0, "4096 slots were missed",
	"more than" };

/* A stored value that is no number is replaced by the time of the start. */
static const struct catch_up_case invalid_reference = {
	"30 2 * * *", "once", "17178x", 1718092800, 0, 0, NULL, 1718092800,
	NULL, NULL };

/* Reads the log of a test's start, sent to a file, into out. */
static void
start_logged(struct fixture *f, int64_t wall_s, struct sched **s, char *out,
	     size_t size)
{
	char path[320];
	FILE *fp;
	size_t n;
	int fd;

	snprintf(path, sizeof path, "%s/log.txt", store_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	log_set_fd(fd);
	*s = start(f, wall_s);
	log_set_fd(2);
	close(fd);

	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(out, 1, size - 1, fp);
	out[n] = '\0';
	fclose(fp);
}

/* Starts the scheduler of the test's case after its downtime, checks it. */
static void
run_catch_up(void **state)
{
	struct fixture *f = *state;
	const struct catch_up_case *c = f->catch_up;
	struct sched *s;
	char log[4096];

	f->cfg = load(c->schedule, c->catch_up);
	assert_int_equal(store_state_set(f->store, "schedule.p.last_slot",
	    c->last_slot), WK_OK);
	start_logged(f, c->start_s, &s, log, sizeof log);

	assert_int_equal(n_fires, c->fires);
	if (c->fires > 0)
		assert_string_equal(fires[0].trigger, "catch-up");
	if (c->slot_s != 0)
		assert_int_equal(fires[0].slot_s, c->slot_s);
	if (c->date != NULL)
		assert_string_equal(fires[0].date, c->date);
	if (c->stored_slot_s != 0)
		assert_int_equal(stored_last_slot(f), c->stored_slot_s);
	if (c->log_has != NULL)
		assert_non_null(strstr(log, c->log_has));
	if (c->log_lacks != NULL)
		assert_null(strstr(log, c->log_lacks));
	sched_free(s);
}

/*
 * A first start stores its time, so a downtime after it is caught up
 * although no slot fired before it. Slots before the first start are not.
 */
static void
first_start_records_reference(void **state)
{
	struct fixture *f = *state;
	struct sched *s;

	f->cfg = load("30 2 * * *", "once");
	s = start(f, 1717840800);           /* 2024-06-08T10:00:00Z */
	assert_int_equal(n_fires, 0);
	assert_int_equal(stored_last_slot(f), 1717840800);
	sched_free(s);

	s = start(f, 1718092800);           /* 2024-06-11T08:00:00Z */
	assert_int_equal(n_fires, 1);
	assert_string_equal(fires[0].trigger, "catch-up");
	assert_string_equal(fires[0].date, "2024-06-11");
	sched_free(s);
}

/* Replaces s by a scheduler of f->reloaded, as the agent's reload does. */
static struct sched *
reload(struct fixture *f, struct sched *s, const char *schedule)
{
	struct sched *next = NULL;
	struct wk_err err;

	f->reloaded = load(schedule, "once");
	assert_int_equal(sched_reload(s, f->reloaded, &next, &err), WK_OK);
	sched_free(s);
	ev_run_once(f->loop, 0);
	return next;
}

/*
 * An hourly schedule moved from :00 to :30 at 03:41: the 03:30 slot of
 * the new schedule is not caught up, and the next run is at 04:30.
 */
static void
reload_changed_schedule_no_catch_up(void **state)
{
	struct fixture *f = *state;
	struct sched *s;

	f->cfg = load("0 * * * *", "once");
	s = start(f, 1714532395);           /* 2024-05-01T02:59:55Z */
	advance(f, 1714534860, 5);          /* 03:41:00Z */
	assert_int_equal(n_fires, 1);
	assert_int_equal(fires[0].slot_s, 1714532400);  /* 03:00:00Z */

	s = reload(f, s, "30 * * * *");
	assert_int_equal(n_fires, 1);
	assert_int_equal(stored_last_slot(f), fake_wall_ms / 1000);
	assert_int_equal(sched_next_slot(s, "p"), 1714537800);  /* 04:30Z */
	advance(f, 1714537860, 5);          /* 04:31:00Z */
	assert_int_equal(n_fires, 2);
	assert_int_equal(fires[1].slot_s, 1714537800);
	assert_string_equal(fires[1].trigger, "schedule");
	sched_free(s);
}

/* An unchanged schedule keeps a slot that is due but not yet handled. */
static void
reload_unchanged_keeps_due_slot(void **state)
{
	struct fixture *f = *state;
	struct sched *s;

	f->cfg = load("0 * * * *", "once");
	s = start(f, 1714532395);           /* 2024-05-01T02:59:55Z */
	fake_wall_ms += 10 * 1000;          /* 03:00:05Z, before the wake-up */
	s = reload(f, s, "0 * * * *");
	advance(f, fake_wall_ms / 1000 + 2, 1);
	assert_int_equal(n_fires, 1);
	assert_int_equal(fires[0].slot_s, 1714532400);
	assert_string_equal(fires[0].trigger, "schedule");
	sched_free(s);
}

/* A reload before the start-up catch-up ran still catches up. */
static void
reload_before_catch_up_keeps_it(void **state)
{
	struct fixture *f = *state;
	struct sched *s = NULL, *next = NULL;
	struct wk_err err;

	f->cfg = load("30 2 * * *", "once");
	assert_int_equal(store_state_set(f->store, "schedule.p.last_slot",
	    "1717806600"), WK_OK);          /* 2024-06-08 02:30 CEST */
	fake_wall_ms = INT64_C(1718092800) * 1000;
	assert_int_equal(sched_new(f->loop, f->store, f->cfg, record, NULL, &s,
	    &err), WK_OK);
	f->reloaded = load("30 2 * * *", "once");
	assert_int_equal(sched_reload(s, f->reloaded, &next, &err), WK_OK);
	sched_free(s);
	ev_run_once(f->loop, 0);
	assert_int_equal(n_fires, 1);
	assert_string_equal(fires[0].trigger, "catch-up");
	sched_free(next);
}

static void
backoff_grows_jittered_capped(void **state)
{
	(void)state;
	/* random 0 gives the low end d/2, a large one the high end d. */
	assert_int_equal(runner_backoff_ms(1000, 60000, 1, 0), 500);
	assert_int_equal(runner_backoff_ms(1000, 60000, 1, 500), 1000);
	assert_int_equal(runner_backoff_ms(1000, 60000, 2, 0), 1000);
	assert_int_equal(runner_backoff_ms(1000, 60000, 3, 0), 2000);
	assert_int_equal(runner_backoff_ms(1000, 60000, 7, 0), 30000);
	assert_int_equal(runner_backoff_ms(1000, 60000, 8, 0), 30000);
	assert_int_equal(runner_backoff_ms(1000, 60000, 8, 30000), 60000);
	assert_int_equal(runner_backoff_ms(1000, 60000, 50, 12345),
	    30000 + 12345);
	assert_true(runner_backoff_ms(1000, 60000, 100, UINT64_MAX) <= 60000);
}

/* A test of run_catch_up() on case c, named name in the output. */
#define CATCH_UP_TEST(name, c) \
	{ #name, run_catch_up, setup, teardown, (void *)&(c) }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(spring_forward_fires_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(fall_back_fires_once, setup,
		    teardown),
		CATCH_UP_TEST(catch_up_once_after_downtime, once_after_downtime),
		CATCH_UP_TEST(catch_up_skip_after_downtime, skip_after_downtime),
		cmocka_unit_test_setup_teardown(clock_jump_forward_fires_once,
		    setup, teardown),
		CATCH_UP_TEST(catch_up_beyond_max_runs_newest, once_beyond_max),
		CATCH_UP_TEST(catch_up_skip_beyond_max_records_newest,
		    skip_beyond_max),
		CATCH_UP_TEST(catch_up_counts_up_to_max, once_up_to_max),
		cmocka_unit_test_setup_teardown(first_start_records_reference,
		    setup, teardown),
		CATCH_UP_TEST(invalid_reference_replaced, invalid_reference),
		cmocka_unit_test_setup_teardown(
		    reload_changed_schedule_no_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_unchanged_keeps_due_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    reload_before_catch_up_keeps_it, setup, teardown),
		cmocka_unit_test(backoff_grows_jittered_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
