/*
 * The "slos" section of the configuration (core/config_slos.c): what it
 * accepts, its defaults, and the place and hint of every error.
 *
 * Texts are JSON written with ' in place of ", which config_text_load()
 * turns into " byte for byte, so lines and columns stay the same. Expected
 * columns are counted by hand, in characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/config_slos.h"
#include "config_text.h"

/* Line 1: a pipeline "churn" with stages "train" and "export", a probe
 * "api"; line 2 opens the SLO array, whose entries go on line 3. */
#define HEAD "{'pipelines': [{'name': 'churn', 'stages': [{'name': 'train', 'command': 'true'}, {'name': 'export', 'command': 'true'}]}], 'probes': [{'name': 'api', 'type': 'tcp', 'address': '127.0.0.1:9'}],\n'slos': [\n"
#define TAIL "\n]}\n"
#define RUNS "'sli': {'kind': 'run_success', 'pipeline': 'churn'}"

static void
expect_error_at(const char *text, const char *where, const char *part,
		int line)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg != NULL) {
		cfg_free(cfg);
		fail_msg("line %d: the text loaded without an error", line);
	}
	if (strncmp(err.msg, where, strlen(where)) != 0)
		fail_msg("line %d: place \"%s\" expected in \"%s\"", line, where,
		    err.msg);
	if (strstr(err.msg, part) == NULL)
		fail_msg("line %d: \"%s\" expected in \"%s\"", line, part,
		    err.msg);
}

#define expect_error(text, where, part) \
	expect_error_at((text), (where), (part), __LINE__)

static struct cfg *
load_ok(const char *text)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return cfg;
}

static void
absent_section_is_null(void **state)
{
	struct cfg *cfg;

	(void)state;
	cfg = load_ok("{'pipelines': [{'name': 'p', 'stages': [{'name': 's', 'command': 'true'}]}]}");
	assert_null(cfg->slos);
	assert_null(cfg_find_slo(cfg, "x"));
	cfg_free(cfg);
}

static void
defaults_of_minimal_slo(void **state)
{
	const struct cfg_slo *slo;
	struct cfg *cfg;

	(void)state;
	cfg = load_ok(HEAD "{'name': 'daily', " RUNS ", 'objective': 0.9, "
	    "'window': '30d'}" TAIL);
	assert_non_null(cfg->slos);
	assert_int_equal(cfg->slos->count, 1);
	slo = cfg_find_slo(cfg, "daily");
	assert_non_null(slo);
	assert_int_equal(slo->sli.kind, CFG_SLI_RUN_SUCCESS);
	assert_string_equal(slo->sli.pipeline, "churn");
	assert_true(slo->objective == 0.9);
	assert_int_equal(slo->window_minutes, 30 * 1440);
	assert_null(slo->time_zone);
	assert_int_equal(slo->budgeting, CFG_BUDGET_OCCURRENCES);
	assert_int_equal(slo->timeslice_minutes, 0);
	assert_int_equal(slo->min_events, 1);
	assert_false(slo->alerting.page_set);
	assert_false(slo->alerting.ticket_set);
	assert_int_equal(slo->pos.line, 3);
	assert_int_equal(slo->pos.column, 1);
	cfg_free(cfg);
}

static void
every_kind_loads(void **state)
{
	struct cfg *cfg;
	const struct cfg_slo *s;

	(void)state;
	cfg = load_ok(HEAD
	    "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '28d'},\n"
	    "{'name': 'b', 'sli': {'kind': 'stage_latency', 'pipeline': 'churn', 'stage': 'train', 'threshold': '20m'}, 'objective': 0.95, 'window': '7d'},\n"
	    "{'name': 'c', 'sli': {'kind': 'deadline', 'pipeline': 'churn', 'deadline': '06:00', 'time_zone': 'Asia/Tokyo'}, 'objective': 0.9, 'window': 'month', 'time_zone': 'Asia/Tokyo'},\n"
	    "{'name': 'd', 'sli': {'kind': 'freshness', 'path': '/srv/out.csv', 'max_age': '26h'}, 'objective': 0.99, 'window': '30d', 'budgeting_method': 'timeslices', 'timeslice_window': '5m', 'timeslice_target': 1},\n"
	    "{'name': 'e', 'sli': {'kind': 'probe_availability', 'probe': 'api'}, 'objective': 0.999, 'window': '30d', 'min_events': 10},\n"
	    "{'name': 'f', 'sli': {'kind': 'probe_latency', 'probe': 'api', 'threshold': '300ms'}, 'objective': 0.99, 'window': '1d', 'alerting': {'page': [], 'ticket': [{'long_window': '6h', 'short_window': '30m', 'burn_rate': 2}]}}"
	    TAIL);
	assert_int_equal(cfg->slos->count, 6);

	s = cfg_find_slo(cfg, "b");
	assert_int_equal(s->sli.threshold_ms, 20 * 60000);
	assert_string_equal(s->sli.stage, "train");
	s = cfg_find_slo(cfg, "c");
	assert_int_equal(s->sli.deadline_minute, 360);
	assert_string_equal(s->sli.time_zone, "Asia/Tokyo");
	assert_int_equal(s->window_minutes, 0);
	assert_string_equal(s->time_zone, "Asia/Tokyo");
	s = cfg_find_slo(cfg, "d");
	assert_int_equal(s->budgeting, CFG_BUDGET_TIMESLICES);
	assert_int_equal(s->timeslice_minutes, 5);
	assert_true(s->timeslice_target == 1.0);
	assert_int_equal(s->sli.max_age_ms, 26 * 3600000);
	s = cfg_find_slo(cfg, "e");
	assert_int_equal(s->min_events, 10);
	s = cfg_find_slo(cfg, "f");
	assert_true(s->alerting.page_set);
	assert_int_equal(s->alerting.n_page, 0);
	assert_true(s->alerting.ticket_set);
	assert_int_equal(s->alerting.n_ticket, 1);
	assert_int_equal(s->alerting.ticket[0].long_minutes, 360);
	assert_int_equal(s->alerting.ticket[0].short_minutes, 30);
	assert_true(s->alerting.ticket[0].burn_rate == 2.0);
	assert_int_equal(s->sli.threshold_ms, 300);
	cfg_free(cfg);
}

static void
deadline_zone_defaults_to_pipeline(void **state)
{
	struct cfg *cfg;

	(void)state;
	cfg = load_ok("{'pipelines': [{'name': 'p', 'time_zone': 'Europe/Berlin', 'stages': [{'name': 's', 'command': 'true'}]}],\n"
	    "'slos': [{'name': 'd', 'sli': {'kind': 'deadline', 'pipeline': 'p', 'deadline': '07:30'}, 'objective': 0.9, 'window': 'month'}]}");
	assert_string_equal(cfg->slos->items[0].sli.time_zone,
	    "Europe/Berlin");
	assert_int_equal(cfg->slos->items[0].sli.deadline_minute, 450);
	assert_string_equal(cfg->slos->items[0].time_zone, "UTC");
	cfg_free(cfg);
}

static void
unknown_keys_get_hints(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objectve': 0.9}" TAIL,
	    "t.json:3:68: ",
	    "unknown key \"objectve\" in an SLO; did you mean \"objective\"?");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'run_success', 'pipline': 'churn'}}" TAIL,
	    "t.json:3:46: ", "did you mean \"pipeline\"?");
	/* A key of another kind is unknown in this one. */
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'run_success', 'pipeline': 'churn', 'stage': 'train'}}" TAIL,
	    "t.json:3:67: ",
	    "unknown key \"stage\" in an \"sli\" of kind run_success; use one of: kind, pipeline");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'alerting': {'pages': []}}" TAIL,
	    "t.json:3:116: ", "did you mean \"page\"?");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'alerting': {'page': [{'long': '1h'}]}}" TAIL,
	    "t.json:3:126: ", "unknown key \"long\" in an alert rule");
}

static void
invalid_kind_and_method_get_hints(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'run_sucess'}}" TAIL,
	    "t.json:3:31: ",
	    "invalid value \"run_sucess\" for \"kind\"; did you mean \"run_success\"?");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'budgeting_method': 'timeslice'}" TAIL,
	    "t.json:3:123: ", "did you mean \"timeslices\"?");
}

static void
unknown_references_get_hints(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'run_success', 'pipeline': 'chrn'}}" TAIL,
	    "t.json:3:58: ",
	    "unknown pipeline \"chrn\"; did you mean \"churn\"?");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'stage_latency', 'pipeline': 'churn', 'stage': 'trian', 'threshold': '1h'}}" TAIL,
	    "t.json:3:78: ", "unknown stage \"trian\"; did you mean \"train\"?");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'probe_availability', 'probe': 'apj'}}" TAIL,
	    "t.json:3:62: ", "unknown probe \"apj\"; did you mean \"api\"?");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'probe_availability', 'probe': 'database'}}" TAIL,
	    "t.json:3:62: ", "unknown probe \"database\"; use one of: api");
}

static void
objective_must_be_fraction(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 1, 'window': '30d'}" TAIL,
	    "t.json:3:81: ", "give a fraction above 0 and below 1");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 99.9, 'window': '30d'}" TAIL,
	    "t.json:3:81: ", "\"objective\" is 99.9");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': '0.9', 'window': '30d'}" TAIL,
	    "t.json:3:81: ", "\"objective\" must be a number");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'window': '30d'}" TAIL,
	    "t.json:3:1: ", "missing key \"objective\" in an SLO");
}

static void
window_rules(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30 days'}" TAIL,
	    "t.json:3:99: ", "invalid duration \"30 days\"");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '90s'}" TAIL,
	    "t.json:3:96: ", "whole number of minutes");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30m'}" TAIL,
	    "t.json:3:96: ", "from 1h to 365d");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'time_zone': 'UTC'}" TAIL,
	    "t.json:3:103: ", "\"time_zone\" applies only to the calendar window");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': 'month', 'time_zone': 'Mars/Olympus'}" TAIL,
	    "t.json:3:118: ", "unknown time zone \"Mars/Olympus\"");
}

static void
timeslice_rules(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'timeslice_window': '5m'}" TAIL,
	    "t.json:3:103: ",
	    "\"timeslice_window\" applies only to \"budgeting_method\": \"timeslices\"");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'budgeting_method': 'timeslices', 'timeslice_target': 0.9}" TAIL,
	    "t.json:3:1: ", "missing key \"timeslice_window\"");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'budgeting_method': 'timeslices', 'timeslice_window': '2d', 'timeslice_target': 0.9}" TAIL,
	    "t.json:3:157: ", "at most 1d");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'budgeting_method': 'timeslices', 'timeslice_window': '5m', 'timeslice_target': 0}" TAIL,
	    "t.json:3:183: ", "above 0 and at most 1");
}

static void
sli_parameter_rules(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'deadline', 'pipeline': 'churn', 'deadline': '6am'}}" TAIL,
	    "t.json:3:76: ", "invalid deadline \"6am\"; write a local time as HH:MM");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'deadline', 'pipeline': 'churn', 'deadline': '24:00'}}" TAIL,
	    "t.json:3:76: ", "from 00:00 to 23:59");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'freshness', 'path': 'out.csv', 'max_age': '1h'}}" TAIL,
	    "t.json:3:52: ", "invalid path \"out.csv\": it must be absolute");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'freshness', 'path': '/o', 'max_age': '0'}}" TAIL,
	    "t.json:3:69: ", "\"max_age\" must be longer than 0");
	expect_error(HEAD "{'name': 'a', 'sli': {'kind': 'stage_latency', 'pipeline': 'churn', 'stage': 'train'}}" TAIL,
	    "t.json:3:22: ", "missing key \"threshold\" in an \"sli\"");
}

static void
alert_rule_rules(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'alerting': {'page': [{'long_window': '5m', 'short_window': '1h', 'burn_rate': 14.4}]}}" TAIL,
	    "t.json:3:163: ", "\"short_window\" is longer than \"long_window\"");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'alerting': {'page': [{'long_window': '1h', 'short_window': '5m', 'burn_rate': 0}]}}" TAIL,
	    "t.json:3:182: ", "\"burn_rate\" must be a number above 0");
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d', 'alerting': {'ticket': [{'long_window': '1h', 'burn_rate': 1}]}}" TAIL,
	    "t.json:3:127: ", "missing key \"short_window\" in an alert rule");
}

static void
names_must_be_unique(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d'},\n{'name': 'a', " RUNS ", 'objective': 0.9, 'window': '30d'}" TAIL,
	    "t.json:4:10: ", "duplicate SLO name \"a\" (first used at line 3)");
	expect_error(HEAD "{'name': 'a b', " RUNS "}" TAIL, "t.json:3:12: ",
	    "\"name\" must not contain ' '");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(absent_section_is_null),
		cmocka_unit_test(defaults_of_minimal_slo),
		cmocka_unit_test(every_kind_loads),
		cmocka_unit_test(deadline_zone_defaults_to_pipeline),
		cmocka_unit_test(unknown_keys_get_hints),
		cmocka_unit_test(invalid_kind_and_method_get_hints),
		cmocka_unit_test(unknown_references_get_hints),
		cmocka_unit_test(objective_must_be_fraction),
		cmocka_unit_test(window_rules),
		cmocka_unit_test(timeslice_rules),
		cmocka_unit_test(sli_parameter_rules),
		cmocka_unit_test(alert_rule_rules),
		cmocka_unit_test(names_must_be_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
