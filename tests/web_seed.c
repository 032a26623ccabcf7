/*
 * Writes days of history into a new store, as an agent would have left
 * it, for the web tests and bench/web.sh:
 *
 *   web_seed CONFIG STORE DAYS [--hostile]
 *
 * For every pipeline of CONFIG, one run an hour whose stage durations
 * grow a little each day, every 17th run failing in its last stage with
 * error lines of three signatures, every 11th retrying a stage once. For
 * every probe, one result a minute, down for 30 minutes on days 10 and
 * 20. Stage failures and probe outages go through the real alert engine
 * at their historical times, and two of three are acknowledged. The real
 * SLO engine is ticked hourly over the history, and every 5 minutes over
 * the last two days. --hostile adds a run whose stage name and log line
 * are HTML and script. The history ends at the current time.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert.h"
#include "agent/logsig.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/config_probes.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/slo.h"
#include "core/store.h"
#include "core/store_logs.h"
#include "core/store_probes.h"

#define SEED_MIN INT64_C(60000)
#define SEED_HOUR (60 * SEED_MIN)
#define SEED_DAY (24 * SEED_HOUR)
#define SEED_PROBES_MAX 256

/* The hostile names of --hostile, shown as text by the pages. */
#define SEED_HOSTILE_STAGE "<img src=x onerror=alert(1)>"
#define SEED_HOSTILE_LINE "ERROR: <script>alert(\"xss\")</script> & <b>bold</b>"

/* Error lines: text before and after a number that changes. */
static const char *const seed_errors[][2] = {
	{ "ERROR: cannot read /data/in/events-", ".csv: No such file or directory" },
	{ "Traceback: MemoryError at batch ", "" },
	{ "ERROR: connection to 10.0.0.", ":5432 refused" },
};

struct seed {
	struct cfg *cfg;              /* the configuration */
	struct store *st;             /* the store being written */
	struct alert_engine *alerts;  /* the real alert engine */
	struct slo_engine *slos;      /* the real SLO engine, or NULL */
	int64_t start, end;           /* ms, the history */
	uint32_t rand;                /* fixed-seed generator */
	unsigned runs;                /* runs written */
	unsigned acks;                /* acknowledgements made */
};

static uint32_t
seed_random(struct seed *s)
{
	s->rand = s->rand * 1103515245u + 12345u;
	return (s->rand >> 16) & 0x7fff;
}

static void
die(const char *what)
{
	fprintf(stderr, "web_seed: %s failed\n", what);
	exit(1);
}

static void
seed_alert(struct seed *s, enum alert_source src, const char *k1,
	   const char *v1, const char *k2, const char *v2, const char *summary,
	   int active, int64_t at)
{
	struct alert_input in;
	char fp[ALERT_FP_LEN + 1];
	struct wk_err err = { 0, "" };

	memset(&in, 0, sizeof in);
	in.source = src;
	in.severity = src == ALERT_SRC_PROBE_DOWN ? ALERT_SEV_TICKET :
	    ALERT_SEV_PAGE;
	in.budget_left = -1;
	in.summary = summary;
	alert_input_label(&in, k1, v1);
	if (k2 != NULL)
		alert_input_label(&in, k2, v2);
	if (alert_set(s->alerts, &in, active, at) != WK_OK)
		die("alert_set");
	alert_tick(s->alerts, at);
	/* Two of three firings are acknowledged 3 to 33 minutes later. */
	if (active && seed_random(s) % 3 != 0) {
		int64_t ack = at + (3 + seed_random(s) % 30) * SEED_MIN;

		alert_fingerprint(&in, fp);
		alert_tick(s->alerts, ack);
		if (alert_ack(s->alerts, fp, 1000, "looking", ack, &err) == WK_OK)
			s->acks++;
	}
}

/* Writes the error lines and signatures of a failed stage run. */
static void
seed_errors_of(struct seed *s, int64_t srid, int64_t at, int kind)
{
	char line[256], sig[STORE_TEXT_MAX];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof line, "%s%d%s", seed_errors[kind][0],
		    100 + i, seed_errors[kind][1]);
		if (store_log_append(s->st, srid, STORE_STDERR, i + 1, at,
		    line, strlen(line), 1) != WK_OK)
			die("store_log_append");
	}
	logsig_normalize(line, 1, sig, sizeof sig);
	if (store_logs_signature_add(s->st, srid, sig, line, 3, at, at) !=
	    WK_OK || store_flush(s->st) != WK_OK)
		die("store_logs_signature_add");
}

/* Writes one attempt of a stage; returns its end. */
static int64_t
seed_attempt(struct seed *s, int64_t run_id, const char *stage, int attempt,
	     int64_t start, int64_t ms, const char *state, int exit_code)
{
	struct store_stage_run r;
	int64_t srid;

	if (store_stage_insert(s->st, run_id, stage, attempt,
	    STORE_STAGE_PENDING, NULL, &srid) != WK_OK ||
	    store_stage_start(s->st, srid, 4242, 1, start) != WK_OK)
		die("store_stage_insert");
	memset(&r, 0, sizeof r);
	r.id = srid;
	snprintf(r.state, sizeof r.state, "%s", state);
	r.ended_at = start + ms;
	r.duration_ms = ms;
	r.exit_code = exit_code;
	r.user_cpu_ms = ms * 8 / 10;
	r.sys_cpu_ms = ms / 20;
	r.max_rss_kb = 50000 + (int64_t)(seed_random(s) % 20000);
	if (exit_code != 0)
		snprintf(r.reason, sizeof r.reason, "exit status %d", exit_code);
	if (store_stage_finish(s->st, &r) != WK_OK ||
	    store_metric_set(s->st, srid, "rows_out", 1000.0 + ms / 10,
	    start + ms) != WK_OK)
		die("store_stage_finish");
	if (exit_code != 0)
		seed_errors_of(s, srid, start + ms, (int)(s->runs % 3));
	return start + ms;
}

/* Writes one run of p starting at t. */
static void
seed_run(struct seed *s, const struct cfg_pipeline *p, int64_t t)
{
	int64_t run_id, end = t, base;
	int fails = s->runs % 17 == 16, retry = s->runs % 11 == 5;
	double day = (double)(t - s->start) / (double)SEED_DAY;
	char date[16], reason[STORE_TEXT_MAX] = "";
	size_t i, last = p->n_stages - 1;

	clk_format_date(date, sizeof date, t / SEED_DAY);
	if (store_run_insert(s->st, p->name, date, "schedule", t, &run_id) !=
	    WK_OK)
		die("store_run_insert");
	for (i = 0; i < p->n_stages; i++) {
		const char *name = p->stages[p->order[i]].name;

		/* 20 s to 60 s, growing 1 s a day, with noise. */
		base = (20000 + 10000 * (int64_t)i) + (int64_t)(day * 1000) +
		    (int64_t)(seed_random(s) % 3000);
		if (retry && i == 0)
			end = seed_attempt(s, run_id, name, 1, end, base / 3,
			    STORE_STAGE_FAILED, 1);
		end = seed_attempt(s, run_id, name, retry && i == 0 ? 2 : 1,
		    end, base, fails && i == last ? STORE_STAGE_FAILED :
		    STORE_STAGE_SUCCEEDED, fails && i == last ? 3 : 0);
		if (fails && i == last)
			snprintf(reason, sizeof reason, "stage %s failed: exit status 3",
			    name);
	}
	if (store_run_finish(s->st, run_id, fails ? STORE_RUN_FAILED :
	    STORE_RUN_SUCCEEDED, end, end - t, fails ? reason : NULL) != WK_OK)
		die("store_run_finish");
	seed_alert(s, ALERT_SRC_STAGE_FAILED, "pipeline", p->name, "stage",
	    p->stages[p->order[last]].name, fails ? reason : "stage failed",
	    fails, end);
	s->runs++;
}

/* Writes an hour of results of probe p from t; down in its outages. */
static void
seed_probe_hour(struct seed *s, const struct cfg_probe *p, int64_t t,
		int *was_down)
{
	struct store_probe_result res[60];
	struct store_probe_state state;
	int64_t day;
	int i, down = 0;

	for (i = 0; i < 60; i++) {
		int64_t at = t + i * SEED_MIN;

		day = (at - s->start) / SEED_DAY;
		down = (day == 10 || day == 20) && (at % SEED_DAY) >= 3 *
		    SEED_HOUR && (at % SEED_DAY) < 3 * SEED_HOUR + 30 * SEED_MIN;
		res[i].probe = p->name;
		res[i].at = at;
		res[i].ok = !down;
		res[i].latency_ms = down ? -1 : 20.0 + seed_random(s) % 80;
		res[i].detail = down ? "connection refused" : NULL;
		if (down != *was_down)
			seed_alert(s, ALERT_SRC_PROBE_DOWN, "probe", p->name, NULL,
			    NULL, "probe is down", down, at);
		*was_down = down;
	}
	memset(&state, 0, sizeof state);
	snprintf(state.probe, sizeof state.probe, "%s", p->name);
	snprintf(state.type, sizeof state.type, "%s",
	    cfg_probe_type_name(p->type));
	snprintf(state.state, sizeof state.state, "%s", down ? "down" : "up");
	state.since = t;
	state.checked_at = t + 59 * SEED_MIN;
	state.ok = !down;
	state.latency_ms = res[59].latency_ms;
	if (store_probe_write(s->st, res, 60, &state, 1) != WK_OK)
		die("store_probe_write");
}

static void
seed_hostile(struct seed *s)
{
	int64_t run_id = 0, srid = 0, t = s->end - 2 * SEED_HOUR;
	struct store_stage_run r;

	if (store_run_insert(s->st, s->cfg->pipelines[0].name, "2000-01-01",
	    "manual", t, &run_id) != WK_OK ||
	    store_stage_insert(s->st, run_id, SEED_HOSTILE_STAGE, 1,
	    STORE_STAGE_PENDING, NULL, &srid) != WK_OK ||
	    store_stage_start(s->st, srid, 1, 1, t) != WK_OK)
		die("hostile run");
	memset(&r, 0, sizeof r);
	r.id = srid;
	snprintf(r.state, sizeof r.state, "%s", STORE_STAGE_FAILED);
	r.ended_at = t + 1000;
	r.duration_ms = 1000;
	r.exit_code = 1;
	snprintf(r.reason, sizeof r.reason, "%s", SEED_HOSTILE_LINE);
	if (store_stage_finish(s->st, &r) != WK_OK ||
	    store_log_append(s->st, srid, STORE_STDERR, 1, t + 500,
	    SEED_HOSTILE_LINE, strlen(SEED_HOSTILE_LINE), 1) != WK_OK ||
	    store_logs_signature_add(s->st, srid, SEED_HOSTILE_LINE,
	    SEED_HOSTILE_LINE, 1, t + 500, t + 500) != WK_OK ||
	    store_flush(s->st) != WK_OK ||
	    store_run_finish(s->st, run_id, STORE_RUN_FAILED, t + 1000, 1000,
	    SEED_HOSTILE_LINE) != WK_OK)
		die("hostile run");
}

static void
seed_open(struct seed *s, const char *config, const char *path)
{
	struct wk_err err = { 0, "" };

	s->cfg = cfg_load_file(config, &err);
	if (s->cfg == NULL || store_open(path, STORE_READ_WRITE, &s->st, &err) !=
	    WK_OK) {
		fprintf(stderr, "web_seed: %s\n", err.msg);
		exit(1);
	}
	/* A test store: durability does not matter, speed does. */
	sqlite3_exec(store_sqlite(s->st), "PRAGMA synchronous = OFF", NULL,
	    NULL, NULL);
	if (alert_engine_new(&s->cfg->alerting, s->st, s->start, &s->alerts,
	    &err) != WK_OK) {
		fprintf(stderr, "web_seed: %s\n", err.msg);
		exit(1);
	}
	s->slos = slo_engine_new(s->st, s->cfg, &err);
	if (s->slos == NULL) {
		fprintf(stderr, "web_seed: %s\n", err.msg);
		exit(1);
	}
}

static void
seed_history(struct seed *s)
{
	int down[SEED_PROBES_MAX] = { 0 };
	size_t np = s->cfg->probes != NULL ? s->cfg->probes->count : 0, i;
	int64_t t, tick;

	for (t = s->start; t + SEED_HOUR <= s->end; t += SEED_HOUR) {
		for (i = 0; i < np && i < SEED_PROBES_MAX; i++)
			seed_probe_hour(s, &s->cfg->probes->items[i], t, &down[i]);
		for (i = 0; i < s->cfg->n_pipelines; i++)
			seed_run(s, &s->cfg->pipelines[i], t + 5 * SEED_MIN);
		/* Hourly SLO ticks, then every 5 minutes for the last 2 days. */
		if (s->end - t > 2 * SEED_DAY)
			tick = t + SEED_HOUR;
		else
			tick = t + 5 * SEED_MIN;
		for (; tick <= t + SEED_HOUR; tick += 5 * SEED_MIN) {
			if (slo_engine_tick(s->slos, tick) != WK_OK)
				die("slo_engine_tick");
		}
		alert_tick(s->alerts, t + SEED_HOUR);
	}
}

int
main(int argc, char **argv)
{
	struct seed s;
	long days;

	if (argc < 4 || (days = strtol(argv[3], NULL, 10)) < 1 || days > 400) {
		fprintf(stderr, "usage: web_seed CONFIG STORE DAYS [--hostile]\n");
		return 2;
	}
	i18n_init();
	log_min_level = LL_ERROR;
	memset(&s, 0, sizeof s);
	s.rand = 12345;
	s.end = clk_wall_ms() / SEED_HOUR * SEED_HOUR;
	s.start = s.end - days * SEED_DAY;
	seed_open(&s, argv[1], argv[2]);
	seed_history(&s);
	if (argc > 4 && strcmp(argv[4], "--hostile") == 0)
		seed_hostile(&s);
	slo_engine_tick(s.slos, clk_wall_ms());
	printf("runs %u acknowledgements %u\n", s.runs, s.acks);
	alert_engine_free(s.alerts);
	slo_engine_free(s.slos);
	store_close(s.st);
	cfg_free(s.cfg);
	return 0;
}
