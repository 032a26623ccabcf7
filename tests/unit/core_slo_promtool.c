/*
 * Cross-check of the SLO engine's alert decisions with Prometheus: the
 * same per-minute series, evaluated by the engine minute by minute and by
 * `promtool test rules` with the equivalent recording and alerting rules,
 * must page and open tickets at the same minutes.
 *
 * The test writes the rules, the input series and one alert_rule_test per
 * minute and alert, with the alerts the engine decided, then runs
 * promtool (about half a minute). It exits 77 (skipped) when promtool is
 * not installed.
 *
 * The series are the bad and the total events of each minute: the
 * engine's bad fraction (total - good) / total is computed from the same
 * integers, so both sides round alike. Two SLOs override the alert table,
 * which also keeps the number of 3-day windows, and promtool's time, down.
 *
 * Window equivalence: the engine's window of W minutes at minute t
 * contains minutes t-W+1..t. The range selector [W*60-1s] at t*60s
 * contains the same samples whether a range includes its lower bound (as
 * in Prometheus 2.42, the version tested) or not. Every minute has a
 * sample (0 when empty), so a window without events gives 0/0 = NaN,
 * which compares false, as the engine's missing burn rate does.
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
#include <sqlite3.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/slo.h"
#include "core/store.h"
#include "store_tmp.h"

#define MINUTES 5040          /* 3.5 days: the 3d window fills */
#define SLOS 5
#define SKIPPED 77            /* exit status ctest reads as skipped */

/* One synthetic SLO: its configuration and its series. */
struct series {
	const char *name;        /* SLO name and slo label */
	const char *config;      /* the rest of its configuration object */
	double objective;        /* as in config */
	int64_t min_events;      /* as in config */
	int good[MINUTES];       /* good events of each minute */
	int total[MINUTES];      /* events of each minute */
};

static struct series all[SLOS] = {
	{ "steady", "\"objective\": 0.99, \"window\": \"30d\"", 0.99, 1,
	  { 0 }, { 0 } },
	{ "daily", "\"objective\": 0.9, \"window\": \"30d\"", 0.9, 1,
	  { 0 }, { 0 } },
	{ "gappy", "\"objective\": 0.95, \"window\": \"30d\", "
	  "\"alerting\": {\"ticket\": [{\"long_window\": \"1d\", "
	  "\"short_window\": \"2h\", \"burn_rate\": 1}]}", 0.95, 1,
	  { 0 }, { 0 } },
	{ "scaled", "\"objective\": 0.99, \"window\": \"7d\"", 0.99, 1,
	  { 0 }, { 0 } },
	{ "guarded", "\"objective\": 0.99, \"window\": \"30d\", "
	  "\"min_events\": 20, \"alerting\": {\"ticket\": [{"
	  "\"long_window\": \"12h\", \"short_window\": \"1h\", "
	  "\"burn_rate\": 2}]}", 0.99, 20, { 0 }, { 0 } },
};

/* Decisions of the engine: any page rule, any ticket rule firing. */
static unsigned char page[SLOS][MINUTES];
static unsigned char ticket[SLOS][MINUTES];
/* Rules of each SLO as the engine applied them. */
static struct slo_rule_eval rules[SLOS][SLO_RULES_MAX];
static size_t n_rules[SLOS];

/* Fills the series: incidents, slow burns, one event a day, gaps. */
static void
make_series(void)
{
	int i;

	for (i = 0; i < MINUTES; i++) {
		all[0].total[i] = 10;
		all[0].good[i] = 10 - ((i * 7919) % 1000 == 0) -
		    (i >= 3000 && i < 3060 ? 5 : 0) -
		    (i >= 4500 && i < 5500 && i % 2 == 0);
		if (i % 1440 == 120) {
			all[1].total[i] = 1;
			all[1].good[i] = i / 1440 != 2;
		}
		if ((i / 60) % 3 == 0) {
			all[2].total[i] = 2;
			all[2].good[i] = i >= 2000 && i <= 2010 ? 0 : 2 -
			    (i % 97 == 0);
		}
		all[3].total[i] = 10;
		all[3].good[i] = 10 - (i >= 1000 && i < 1020 ? 4 : 0) -
		    (i >= 2500 && i < 3500 && i % 3 == 0);
		if (i % 3 == 0) {
			all[4].total[i] = 1;
			all[4].good[i] = !(i >= 4000 && i < 4300 &&
			    i % 2 == 0);
		}
	}
}

/* Evaluates the series with the engine and records its decisions. */
static void
run_engine(int64_t base)
{
	struct wk_err err = { 0, "" };
	struct store *st = NULL;
	struct slo_engine *e;
	struct cfg *cfg;
	char text[4096], path[256], sql[256];
	size_t len = 0, k, r;
	int i;

	len += (size_t)snprintf(text, sizeof text, "{\"pipelines\": [{\"name\":"
	    " \"p\", \"stages\": [{\"name\": \"s\", \"command\": \"true\"}]}], "
	    "\"slos\": [");
	for (k = 0; k < SLOS; k++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		    "%s{\"name\": \"%s\", \"sli\": {\"kind\": \"run_success\", "
		    "\"pipeline\": \"p\"}, %s}", k ? ", " : "", all[k].name,
		    all[k].config);
	snprintf(text + len, sizeof text - len, "]}");
	cfg = cfg_load_text(text, strlen(text), "t.json", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof path, "%s/store.db", store_dir);
	assert_int_equal(store_open(path, STORE_READ_WRITE, &st, &err), WK_OK);

	assert_int_equal(sqlite3_exec(store_sqlite(st), "BEGIN", NULL, NULL,
	    NULL), SQLITE_OK);
	for (k = 0; k < SLOS; k++) {
		for (i = 0; i < MINUTES; i++) {
			if (all[k].total[i] == 0)
				continue;
			snprintf(sql, sizeof sql, "INSERT INTO sli_minutes "
			    "VALUES ('%s', %lld, %d, %d)", all[k].name,
			    (long long)(base + i), all[k].good[i],
			    all[k].total[i]);
			assert_int_equal(sqlite3_exec(store_sqlite(st), sql,
			    NULL, NULL, NULL), SQLITE_OK);
		}
	}
	assert_int_equal(sqlite3_exec(store_sqlite(st), "COMMIT", NULL, NULL,
	    NULL), SQLITE_OK);

	e = slo_engine_new(st, cfg, &err);
	assert_non_null(e);
	for (i = 0; i < MINUTES; i++) {
		assert_int_equal(slo_engine_evaluate(e, (base + i) *
		    SLO_MINUTE_MS), WK_OK);
		for (k = 0; k < SLOS; k++) {
			const struct slo_status *s = slo_engine_status(e, k);

			n_rules[k] = s->n_rules;
			for (r = 0; r < s->n_rules; r++) {
				rules[k][r] = s->rules[r];
				if (s->rules[r].firing && s->rules[r].page)
					page[k][i] = 1;
				else if (s->rules[r].firing)
					ticket[k][i] = 1;
			}
		}
	}
	slo_engine_free(e);
	store_close(st);
	cfg_free(cfg);
}

/* Writes the recording rule of the burn rate of series k over a window. */
static void
write_window(FILE *f, size_t k, int64_t minutes)
{
	long long s = (long long)minutes * 60 - 1;
	const char *name = all[k].name;

	fprintf(f, "  - record: slo:burn_rate:%lldm\n    expr: >-\n      "
	    "sum_over_time(wk_sli_bad{slo=\"%s\"}[%llds]) / "
	    "sum_over_time(wk_sli_total{slo=\"%s\"}[%llds]) / (1 - %.17g)",
	    (long long)minutes, name, s, name, s, all[k].objective);
	if (all[k].min_events > 1)
		fprintf(f, " and sum_over_time(wk_sli_total{slo=\"%s\"}"
		    "[%llds]) >= %lld", name, s, (long long)all[k].min_events);
	fprintf(f, "\n");
}

/* Writes one alert: the OR of its rules' (long AND short) conditions. */
static void
write_alert(FILE *f, size_t k, int want_page)
{
	const char *sep = "";
	size_t r;

	fprintf(f, "  - alert: %s\n    expr: >-\n      ",
	    want_page ? "SLOPage" : "SLOTicket");
	for (r = 0; r < n_rules[k]; r++) {
		if (rules[k][r].page != want_page)
			continue;
		fprintf(f, "%s(slo:burn_rate:%lldm{slo=\"%s\"} > %.17g and "
		    "slo:burn_rate:%lldm{slo=\"%s\"} > %.17g)", sep,
		    (long long)rules[k][r].long_minutes, all[k].name,
		    rules[k][r].threshold,
		    (long long)rules[k][r].short_minutes, all[k].name,
		    rules[k][r].threshold);
		sep = " or ";
	}
	if (*sep == '\0')
		fprintf(f, "vector(0) > 1");
	fprintf(f, "\n    labels:\n      severity: %s\n",
	    want_page ? "page" : "ticket");
}

/* Writes the recording rules of every window the rules use, then alerts. */
static void
write_rules(const char *path)
{
	FILE *f = fopen(path, "w");
	int64_t done[2 * SLO_RULES_MAX];
	size_t k, r, d, n;

	assert_non_null(f);
	fprintf(f, "groups:\n- name: slo\n  interval: 1m\n  rules:\n");
	for (k = 0; k < SLOS; k++) {
		n = 0;
		for (r = 0; r < 2 * n_rules[k]; r++) {
			int64_t w = r % 2 ? rules[k][r / 2].short_minutes :
			    rules[k][r / 2].long_minutes;

			for (d = 0; d < n && done[d] != w; d++)
				continue;
			if (d < n)
				continue;
			done[n++] = w;
			write_window(f, k, w);
		}
	}
	for (k = 0; k < SLOS; k++) {
		write_alert(f, k, 1);
		write_alert(f, k, 0);
	}
	assert_int_equal(fclose(f), 0);
}

/* Writes the input series and one alert test per minute and alert. */
static void
write_tests(const char *path)
{
	FILE *f = fopen(path, "w");
	const char *sep;
	size_t k;
	int i, kind;

	assert_non_null(f);
	fprintf(f, "rule_files: [rules.yml]\nevaluation_interval: 1m\n"
	    "tests:\n- interval: 1m\n  input_series:\n");
	for (k = 0; k < SLOS; k++) {
		fprintf(f, "  - series: 'wk_sli_bad{slo=\"%s\"}'\n"
		    "    values: '", all[k].name);
		for (i = 0; i < MINUTES; i++)
			fprintf(f, "%s%d", i ? " " : "",
			    all[k].total[i] - all[k].good[i]);
		fprintf(f, "'\n  - series: 'wk_sli_total{slo=\"%s\"}'\n"
		    "    values: '", all[k].name);
		for (i = 0; i < MINUTES; i++)
			fprintf(f, "%s%d", i ? " " : "", all[k].total[i]);
		fprintf(f, "'\n");
	}
	fprintf(f, "  alert_rule_test:\n");
	for (i = 0; i < MINUTES; i++) {
		for (kind = 0; kind < 2; kind++) {
			fprintf(f, "  - eval_time: %dm\n    alertname: %s\n"
			    "    exp_alerts: [", i, kind ? "SLOTicket" : "SLOPage");
			sep = "";
			for (k = 0; k < SLOS; k++) {
				if (!(kind ? ticket[k][i] : page[k][i]))
					continue;
				fprintf(f, "%s{exp_labels: {slo: %s, severity: "
				    "%s}}", sep, all[k].name,
				    kind ? "ticket" : "page");
				sep = ", ";
			}
			fprintf(f, "]\n");
		}
	}
	assert_int_equal(fclose(f), 0);
}

/* Returns the number of minutes at which decisions[k] is set. */
static int
count_minutes(unsigned char decisions[SLOS][MINUTES], size_t k)
{
	int i, n = 0;

	for (i = 0; i < MINUTES; i++)
		n += decisions[k][i];
	return n;
}

static void
promtool_agrees(void **state)
{
	char rules_path[256], tests_path[256], cmd[1024];
	int64_t base = clk_days_from_civil(2026, 1, 1) * 1440;
	int status;

	(void)state;
	make_series();
	run_engine(base);
	/* The series must exercise every decision. */
	assert_true(count_minutes(page, 0) > 0);
	assert_true(count_minutes(ticket, 0) > 0);
	assert_int_equal(count_minutes(page, 1), 30);
	assert_int_equal(count_minutes(ticket, 1), 360);
	assert_true(count_minutes(page, 2) > 0);
	assert_true(count_minutes(page, 3) > 0);
	assert_true(count_minutes(ticket, 4) > 0);

	snprintf(rules_path, sizeof rules_path, "%s/rules.yml", store_dir);
	snprintf(tests_path, sizeof tests_path, "%s/tests.yml", store_dir);
	write_rules(rules_path);
	write_tests(tests_path);
	snprintf(cmd, sizeof cmd, "cd '%s' && promtool test rules tests.yml "
	    ">promtool.log 2>&1", store_dir);
	status = system(cmd);
	if (status != 0) {
		snprintf(cmd, sizeof cmd, "head -c 4000 '%s/promtool.log' >&2",
		    store_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot show %s/promtool.log\n",
			    store_dir);
		fail_msg("promtool disagrees with the engine (status %d); "
		    "files kept in %s", status, store_dir);
	}
}

/* Returns 1 when promtool is an executable in $PATH. */
static int
have_promtool(void)
{
	const char *path = getenv("PATH");
	char dirs[4096], file[4200];
	char *p, *save = NULL;

	if (path == NULL)
		return 0;
	snprintf(dirs, sizeof dirs, "%s", path);
	for (p = strtok_r(dirs, ":", &save); p != NULL;
	     p = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof file, "%s/promtool", p);
		if (access(file, X_OK) == 0)
			return 1;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(promtool_agrees),
	};
	int rc;

	if (!have_promtool()) {
		fprintf(stderr, "promtool not found in PATH; install the "
		    "Debian package prometheus to run this test\n");
		return SKIPPED;
	}
	if (store_tmp_setup("slo-promtool", LL_WARN) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (rc == 0)
		rc = store_tmp_teardown() == 0 ? 0 : 1;
	return rc;
}
