/* Unit tests of the "alerting" section of the configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

#define PIPELINES "\"pipelines\": [{\"name\": \"p\", \"stages\": " \
	"[{\"name\": \"s\", \"command\": [\"true\"]}]}]"
#define SECRET "https://hooks.example.com/services/T0/B0/s3cr3t"

static struct cfg *
load(const char *alerting, struct wk_err *err)
{
	char text[4096];

	snprintf(text, sizeof text, "{" PIPELINES ", \"alerting\": %s}",
	    alerting);
	memset(err, 0, sizeof *err);
	return cfg_load_text(text, strlen(text), "t.json", err);
}

/* Loads a section that must fail; checks the message and the secret. */
static void
expect_error(const char *alerting, const char *place, const char *words)
{
	struct wk_err err;
	struct cfg *cfg = load(alerting, &err);

	if (cfg != NULL)
		fail_msg("loaded: %s", alerting);
	if (strstr(err.msg, place) == NULL || strstr(err.msg, words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err.msg, place,
		    words);
	assert_null(strstr(err.msg, "s3cr3t"));
}

static void
defaults_applied(void **state)
{
	struct wk_err err;
	struct cfg *cfg = load("{\"receivers\": [{\"name\": \"team\", "
	    "\"type\": \"slack\", \"url\": \"" SECRET "\"}]}", &err);
	const struct cfg_alerting *a;

	(void)state;
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	a = &cfg->alerting;
	assert_true(a->present);
	assert_int_equal(a->n_receivers, 1);
	assert_int_equal(a->receivers[0].type, CFG_ALERT_SLACK);
	assert_string_equal(a->receivers[0].language, "en");
	assert_int_equal(a->receivers[0].timeout_ms, 10000);
	assert_int_equal(a->group_wait_ms, 200);
	assert_int_equal(a->group_interval_ms, 5000);
	assert_int_equal(a->repeat_interval_ms, 4 * 3600000);
	assert_int_equal(a->n_default_receivers, 1);
	assert_int_equal(a->n_group_by, 4);
	assert_string_equal(a->group_by[1], "run");
	assert_true(a->inhibit);
	assert_int_equal(a->timing[ALERT_SRC_STAGE_FAILED].resolve_after_ms, 0);
	assert_int_equal(a->timing[ALERT_SRC_PROBE_DOWN].resolve_after_ms,
	    60000);
	assert_int_equal(a->max_attempts, 12);
	assert_null(a->heartbeat_url);
	cfg_free(cfg);
}

static void
full_section_loads(void **state)
{
	struct wk_err err;
	struct cfg *cfg;

	(void)state;
	setenv("WK_TEST_ALERT_URL", SECRET, 1);
	cfg = load("{\"base_url\": \"https://wk.example.com\","
	    " \"receivers\": [{\"name\": \"a\", \"type\": \"discord\","
	    " \"url_env\": \"WK_TEST_ALERT_URL\", \"language\": \"ja\","
	    " \"timeout\": \"3s\"}, {\"name\": \"b\", \"type\": \"alertmanager\","
	    " \"url\": \"http://127.0.0.1:9093\"}],"
	    " \"routes\": [{\"match\": [\"severity=page\", \"probe=~web.*\"],"
	    " \"receivers\": [\"a\"], \"continue\": true}],"
	    " \"default_receivers\": [\"b\"], \"group_by\": [\"pipeline\"],"
	    " \"maintenance\": [{\"name\": \"sat\", \"cron\": \"0 2 * * 6\","
	    " \"duration\": \"2h\"}, {\"name\": \"once\", \"start\":"
	    " \"2026-12-24T22:00:00Z\", \"end\": \"2026-12-25T08:00:00+09:00\"}],"
	    " \"timing\": {\"probe_down\": {\"for\": \"30s\"}},"
	    " \"delivery\": {\"max_attempts\": 5, \"max_age\": \"1h\"},"
	    " \"heartbeat\": {\"url\": \"https://hc.example.com/ping/x\"}}",
	    &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->alerting.receivers[0].url, SECRET);
	assert_int_equal(cfg->alerting.routes[0].n_matchers, 2);
	assert_int_equal(cfg->alerting.routes[0].matchers[1].op, CFG_ALERT_RE);
	assert_true(cfg->alerting.routes[0].cont);
	assert_int_equal(cfg->alerting.default_receivers[0], 1);
	assert_string_equal(cfg->alerting.windows[0].time_zone, "UTC");
	assert_int_equal(cfg->alerting.windows[1].ends_at -
	    cfg->alerting.windows[1].starts_at, 3600000);
	assert_int_equal(cfg->alerting.timing[ALERT_SRC_PROBE_DOWN].for_ms,
	    30000);
	assert_int_equal(cfg->alerting.max_attempts, 5);
	cfg_free(cfg);
}

static void
errors_name_place_and_fix(void **state)
{
	(void)state;
	expect_error("{\"receivers\": [], \"grup_by\": []}", "t.json:1:",
	    "did you mean \"group_by\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slak\", "
	    "\"url\": \"" SECRET "\"}]}", "t.json:1:", "did you mean \"slack\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"ftp://x/s3cr3t\"}]}", "t.json:1:",
	    "does not start with https://");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url_file\": \"/nonexistent/slack.url\"}]}", "t.json:1:",
	    "cannot open the URL file /nonexistent/slack.url");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url_env\": \"WK_TEST_NOT_SET\"}]}", "t.json:1:",
	    "WK_TEST_NOT_SET is not set");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\", \"url_file\": \"x\"}]}", "t.json:1:",
	    "give only one of");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\", \"language\": \"fr\"}]}", "t.json:1:",
	    "unsupported language \"fr\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}, {\"name\": \"a\", \"type\": \"json\", "
	    "\"url\": \"" SECRET "\"}]}", "t.json:1:",
	    "duplicate receiver name \"a\"");
	expect_error("{\"receivers\": [{\"name\": \"team\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"routes\": [{\"receivers\": "
	    "[\"taem\"]}]}", "t.json:1:", "did you mean \"team\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"routes\": [{\"match\": "
	    "[\"probe=~(web\"], \"receivers\": [\"a\"]}]}", "t.json:1:",
	    "invalid regular expression");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"routes\": [{\"match\": "
	    "[\"9probe=web\"], \"receivers\": [\"a\"]}]}", "t.json:1:",
	    "starts with a label name");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"maintenance\": [{\"name\": \"m\", "
	    "\"start\": \"tomorrow\", \"end\": \"2026-01-01T00:00:00Z\"}]}",
	    "t.json:1:", "\"start\" must be a time");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"maintenance\": [{\"name\": \"m\", "
	    "\"cron\": \"0 25 * * *\", \"duration\": \"1h\"}]}", "t.json:1:",
	    "invalid cron schedule");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"timing\": {\"probe_dwn\": {}}}",
	    "t.json:1:", "did you mean \"probe_down\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"type\": \"slack\", "
	    "\"url\": \"" SECRET "\"}], \"delivery\": {\"max_attempts\": 0}}",
	    "t.json:1:", "give an integer from 1 to 1000");
}

static void
matcher_parse_forms(void **state)
{
	static const struct {
		const char *text;
		enum cfg_alert_op op;
		const char *name, *value;
	} cases[] = {
		{ "stage=train", CFG_ALERT_EQ, "stage", "train" },
		{ "stage!=train", CFG_ALERT_NE, "stage", "train" },
		{ "probe=~web.*", CFG_ALERT_RE, "probe", "web.*" },
		{ "probe!~web.*", CFG_ALERT_NRE, "probe", "web.*" },
		{ "run=", CFG_ALERT_EQ, "run", "" },
	};
	struct cfg_alert_matcher m;
	const char *reason;
	size_t i, bad;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(cfg_alert_matcher_parse(cases[i].text, &m,
		    &reason, &bad), WK_OK);
		assert_int_equal(m.op, cases[i].op);
		assert_string_equal(m.name, cases[i].name);
		assert_string_equal(m.value, cases[i].value);
		cfg_alert_matcher_free(&m);
	}
	assert_int_equal(cfg_alert_matcher_parse("stage", &m, &reason, &bad),
	    WK_ERR_INVALID);
	assert_int_equal(bad, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_applied),
		cmocka_unit_test(full_section_loads),
		cmocka_unit_test(errors_name_place_and_fix),
		cmocka_unit_test(matcher_parse_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
