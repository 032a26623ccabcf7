/*
 * Unit tests of the alert engine's lifecycle, routing and queueing, with
 * explicit times and no event loop: the outbox in the store shows what
 * would be sent.
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
#include <jansson.h>

#include "agent/alert.h"
#include "core/store_alerts.h"
#include "store_tmp.h"

#define T0 INT64_C(1796400000000)
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)

/* Two receivers: "a" gets pages, "b" the rest; probe_down waits 1m to
 * fire and 2m to resolve. */
static const char config_text[] =
    "{\"pipelines\": [{\"name\": \"p\", \"stages\": [{\"name\": \"s\", "
    "\"command\": [\"true\"]}]}],"
    " \"alerting\": {"
    "  \"receivers\": ["
    "   {\"name\": \"a\", \"type\": \"json\", \"url\": \"http://127.0.0.1:9/a\"},"
    "   {\"name\": \"b\", \"type\": \"json\", \"url\": \"http://127.0.0.1:9/b\"}],"
    "  \"routes\": [{\"match\": [\"severity=page\"], \"receivers\": [\"a\"]}],"
    "  \"default_receivers\": [\"b\"],"
    "  \"timing\": {\"probe_down\": {\"for\": \"1m\", \"resolve_after\": \"2m\"}},"
    "  \"maintenance\": [{\"name\": \"upgrade\", \"match\": [\"probe=db\"],"
    "    \"start\": \"2026-12-04T15:00:00Z\", \"end\": \"2026-12-04T18:00:00Z\"}]"
    " }}";

struct fixture {
	struct cfg *cfg;
	struct store *store;
	struct alert_engine *e;
};

/* One queued message, as the JSON receiver gets it. */
struct sent {
	char receiver[16];
	json_t *body;          /* owned */
};

struct outbox {
	struct sent msgs[64];  /* oldest first */
	size_t n;
};

static int
collect(const struct store_outbox_msg *m, void *arg)
{
	struct outbox *o = arg;
	size_t i;

	if (o->n == 64)
		return WK_OK;
	for (i = o->n; i > 0; i--)
		o->msgs[i] = o->msgs[i - 1];
	snprintf(o->msgs[0].receiver, sizeof o->msgs[0].receiver, "%s",
	    m->receiver);
	o->msgs[0].body = json_loads(m->payload, 0, NULL);
	o->n++;
	return WK_OK;
}

static void
outbox_read(struct fixture *f, struct outbox *o)
{
	memset(o, 0, sizeof *o);
	assert_int_equal(store_outbox_each(f->store, 64, collect, o), WK_OK);
}

static void
outbox_free(struct outbox *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		json_decref(o->msgs[i].body);
}

/* Status of alert k of message i. */
static const char *
msg_status(const struct outbox *o, size_t i, size_t k)
{
	json_t *a = json_array_get(json_object_get(o->msgs[i].body, "alerts"),
	    k);

	return json_string_value(json_object_get(a, "status"));
}

static size_t
msg_alerts(const struct outbox *o, size_t i)
{
	return json_array_size(json_object_get(o->msgs[i].body, "alerts"));
}

static void
engine_open(struct fixture *f, int64_t now)
{
	struct wk_err err = { 0, "" };

	assert_int_equal(alert_engine_new(&f->cfg->alerting, f->store, now,
	    &f->e, &err), WK_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct wk_err err = { 0, "" };
	char cmd[1024];

	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", db_path, db_path,
	    db_path);
	if (f == NULL || system(cmd) != 0)
		return -1;
	f->cfg = cfg_load_text(config_text, strlen(config_text), "test.json",
	    &err);
	if (f->cfg == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (store_open(db_path, STORE_READ_WRITE, &f->store, &err) != WK_OK)
		return -1;
	engine_open(f, T0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	alert_engine_free(f->e);
	store_close(f->store);
	cfg_free(f->cfg);
	free(f);
	return 0;
}

static struct alert_input
input(enum alert_source src, enum alert_severity sev, const char *name,
      const char *value)
{
	struct alert_input in;

	memset(&in, 0, sizeof in);
	in.source = src;
	in.severity = sev;
	in.budget_left = -1;
	alert_input_label(&in, name, value);
	return in;
}

static void
pending_fires_after_for(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_PROBE_DOWN, ALERT_SEV_PAGE,
	    "probe", "web");
	struct outbox o;

	assert_int_equal(alert_set(f->e, &in, 1, T0), WK_OK);
	alert_tick(f->e, T0 + 1000);
	outbox_read(f, &o);
	assert_int_equal(o.n, 0);
	alert_tick(f->e, T0 + MIN);
	alert_tick(f->e, T0 + MIN + 200);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.msgs[0].receiver, "a");
	assert_string_equal(msg_status(&o, 0, 0), "firing");
	outbox_free(&o);
}

static void
pending_clear_sends_nothing(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_PROBE_DOWN, ALERT_SEV_PAGE,
	    "probe", "web");
	struct outbox o;

	alert_set(f->e, &in, 1, T0);
	alert_tick(f->e, T0 + 30000);
	alert_set(f->e, &in, 0, T0 + 40000);
	alert_tick(f->e, T0 + 10 * MIN);
	outbox_read(f, &o);
	assert_int_equal(o.n, 0);
}

static void
hysteresis_resolves_once(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_PROBE_DOWN, ALERT_SEV_PAGE,
	    "probe", "web");
	int64_t t = T0 + MIN;
	struct outbox o;
	json_t *a;

	alert_set(f->e, &in, 1, T0);
	alert_tick(f->e, t + 500);
	/* Clear, active again within resolve_after, clear for good. */
	alert_set(f->e, &in, 0, t + MIN);
	alert_tick(f->e, t + 2 * MIN);
	alert_set(f->e, &in, 1, t + 2 * MIN + 1000);
	alert_set(f->e, &in, 0, t + 3 * MIN);
	alert_tick(f->e, t + 4 * MIN);
	alert_tick(f->e, t + 5 * MIN + 1000);
	alert_tick(f->e, t + 6 * MIN);
	outbox_read(f, &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(msg_status(&o, 0, 0), "firing");
	assert_string_equal(msg_status(&o, 1, 0), "resolved");
	a = json_array_get(json_object_get(o.msgs[1].body, "alerts"), 0);
	assert_int_equal(json_integer_value(json_object_get(a,
	    "fired_for_ms")), 3 * MIN);
	outbox_free(&o);
}

static void
reminder_until_acknowledged(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_SLO_PAGE, ALERT_SEV_PAGE,
	    "slo", "fresh");
	char fp[ALERT_FP_LEN + 1];
	struct wk_err err = { 0, "" };
	struct outbox o;
	json_t *a;

	alert_set(f->e, &in, 1, T0);
	alert_tick(f->e, T0 + 500);
	alert_tick(f->e, T0 + 4 * HOUR + 1000);
	outbox_read(f, &o);
	assert_int_equal(o.n, 2);
	a = json_array_get(json_object_get(o.msgs[1].body, "alerts"), 0);
	assert_true(json_is_true(json_object_get(a, "reminder")));
	outbox_free(&o);

	alert_fingerprint(&in, fp);
	assert_int_equal(alert_ack(f->e, "zz", 1000, "", T0, &err),
	    WK_ERR_INVALID);
	assert_int_equal(alert_ack(f->e, fp, 1000, "looking into it",
	    T0 + 5 * HOUR, &err), WK_OK);
	alert_tick(f->e, T0 + 9 * HOUR);
	outbox_read(f, &o);
	assert_int_equal(o.n, 2);
	outbox_free(&o);
}

static void
silence_holds_until_it_ends(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_BUDGET_EXHAUSTED,
	    ALERT_SEV_TICKET, "slo", "fresh");
	const char *matchers[] = { "slo=~fr.*" };
	struct wk_err err = { 0, "" };
	struct outbox o;
	int64_t id = 0;

	assert_int_equal(alert_silence(f->e, matchers, 1, T0, T0 + HOUR, 1000,
	    "known", T0, &id, &err), WK_OK);
	assert_true(id > 0);
	alert_set(f->e, &in, 1, T0 + 1000);
	alert_tick(f->e, T0 + 2000);
	outbox_read(f, &o);
	assert_int_equal(o.n, 0);
	alert_tick(f->e, T0 + HOUR);
	alert_tick(f->e, T0 + HOUR + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.msgs[0].receiver, "b");
	outbox_free(&o);
	assert_int_equal(alert_unsilence(f->e, id, 1000, "done", T0 + HOUR,
	    &err), WK_OK);
	assert_int_equal(alert_unsilence(f->e, id, 1000, "", T0 + HOUR, &err),
	    WK_ERR_NOTFOUND);
}

static void
page_inhibits_ticket(void **state)
{
	struct fixture *f = *state;
	struct alert_input page = input(ALERT_SRC_SLO_PAGE, ALERT_SEV_PAGE,
	    "slo", "fresh");
	struct alert_input ticket = input(ALERT_SRC_SLO_TICKET,
	    ALERT_SEV_TICKET, "slo", "fresh");
	struct outbox o;

	alert_set(f->e, &page, 1, T0);
	alert_set(f->e, &ticket, 1, T0);
	alert_tick(f->e, T0 + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.msgs[0].receiver, "a");
	outbox_free(&o);
}

static void
run_failures_grouped(void **state)
{
	struct fixture *f = *state;
	static const char *const stages[] = { "features", "train", "export" };
	struct alert_input in;
	struct outbox o;
	size_t i;

	for (i = 0; i < 3; i++) {
		in = input(ALERT_SRC_STAGE_FAILED, ALERT_SEV_PAGE, "pipeline",
		    "churn");
		alert_input_label(&in, "stage", stages[i]);
		alert_input_label(&in, "run", "20");
		alert_set(f->e, &in, 1, T0 + (int64_t)i * 10);
	}
	alert_tick(f->e, T0 + 100);
	outbox_read(f, &o);
	assert_int_equal(o.n, 0);
	alert_tick(f->e, T0 + 250);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(msg_alerts(&o, 0), 3);
	assert_string_equal(json_string_value(json_object_get(o.msgs[0].body,
	    "group_key")), "pipeline=churn,run=20");
	outbox_free(&o);
}

static void
restart_sends_nothing_twice(void **state)
{
	struct fixture *f = *state;
	struct alert_input up = input(ALERT_SRC_SLO_PAGE, ALERT_SEV_PAGE,
	    "slo", "fresh");
	struct alert_input slow = input(ALERT_SRC_PROBE_DOWN, ALERT_SEV_PAGE,
	    "probe", "api");
	struct outbox o;

	alert_set(f->e, &up, 1, T0);
	alert_set(f->e, &slow, 1, T0);
	alert_tick(f->e, T0 + 500);
	alert_engine_free(f->e);
	engine_open(f, T0 + 30000);
	alert_set(f->e, &up, 1, T0 + 30000);
	alert_tick(f->e, T0 + 31000);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	outbox_free(&o);

	/* The pending probe alert fires after its "for", once. */
	alert_tick(f->e, T0 + MIN);
	alert_tick(f->e, T0 + MIN + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 2);
	outbox_free(&o);
}

static void
reconcile_resolves_unreported(void **state)
{
	struct fixture *f = *state;
	struct alert_input probe = input(ALERT_SRC_SLO_PAGE, ALERT_SEV_PAGE,
	    "slo", "fresh");
	struct alert_input stage = input(ALERT_SRC_STAGE_FAILED,
	    ALERT_SEV_PAGE, "pipeline", "churn");
	struct outbox o;

	alert_input_label(&stage, "stage", "train");
	alert_set(f->e, &probe, 1, T0);
	alert_set(f->e, &stage, 1, T0);
	alert_tick(f->e, T0 + 500);
	alert_engine_free(f->e);
	engine_open(f, T0 + HOUR);
	/* Nothing is reported again within the start-up grace (2m). */
	alert_tick(f->e, T0 + HOUR + 2 * MIN);
	alert_tick(f->e, T0 + HOUR + 2 * MIN + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 3);
	assert_int_equal(msg_alerts(&o, 2), 1);
	assert_string_equal(msg_status(&o, 2, 0), "resolved");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(o.msgs[2].body, "alerts"), 0), "source")),
	    "slo_page");
	outbox_free(&o);
}

static void
health_skips_own_receiver(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_AGENT_HEALTH, ALERT_SEV_PAGE,
	    "receiver", "a");
	struct outbox o;

	alert_set(f->e, &in, 1, T0);
	alert_tick(f->e, T0 + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 0);
	in = input(ALERT_SRC_AGENT_HEALTH, ALERT_SEV_TICKET, "receiver", "a");
	alert_set(f->e, &in, 1, T0 + 1000);
	alert_tick(f->e, T0 + 1500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.msgs[0].receiver, "b");
	outbox_free(&o);
}

static void
maintenance_window_mutes(void **state)
{
	struct fixture *f = *state;
	struct alert_input in = input(ALERT_SRC_PROBE_DOWN, ALERT_SEV_TICKET,
	    "probe", "db");
	struct outbox o;

	/* T0 is 16:00Z, inside the window 15:00Z to 18:00Z. */
	alert_set(f->e, &in, 1, T0);
	alert_tick(f->e, T0 + MIN + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 0);
	alert_tick(f->e, T0 + 2 * HOUR);
	alert_tick(f->e, T0 + 2 * HOUR + 500);
	outbox_read(f, &o);
	assert_int_equal(o.n, 1);
	outbox_free(&o);
}

static void
fingerprint_ignores_run_and_order(void **state)
{
	struct alert_input x = input(ALERT_SRC_STAGE_FAILED, ALERT_SEV_PAGE,
	    "pipeline", "churn");
	struct alert_input y = input(ALERT_SRC_STAGE_FAILED, ALERT_SEV_PAGE,
	    "stage", "train");
	char fx[ALERT_FP_LEN + 1], fy[ALERT_FP_LEN + 1];

	(void)state;
	alert_input_label(&x, "stage", "train");
	alert_input_label(&x, "run", "1");
	alert_input_label(&y, "pipeline", "churn");
	alert_input_label(&y, "run", "2");
	alert_fingerprint(&x, fx);
	alert_fingerprint(&y, fy);
	assert_string_equal(fx, fy);
	x.source = ALERT_SRC_STAGE_TIMED_OUT;
	alert_fingerprint(&x, fx);
	assert_string_not_equal(fx, fy);
	assert_int_equal(alert_input_label(&x, "bad-name", "v"),
	    WK_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pending_fires_after_for, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(pending_clear_sends_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(hysteresis_resolves_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(reminder_until_acknowledged,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(silence_holds_until_it_ends,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(page_inhibits_ticket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(run_failures_grouped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(restart_sends_nothing_twice,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(reconcile_resolves_unreported,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(health_skips_own_receiver, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(maintenance_window_mutes, setup,
		    teardown),
		cmocka_unit_test(fingerprint_ignores_run_and_order),
	};
	int rc;

	if (store_tmp_setup("alert-engine", log_min_level) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (store_tmp_teardown() != 0)
		return 1;
	return rc;
}
