/*
 * /metrics in the Prometheus text exposition format 0.0.4: runs and
 * stages of the latest run of each pipeline, probe results, SLI values,
 * error budgets and burn rates, alert counts, the outbox and the web
 * server's own counters. Every family is written whole, with HELP and
 * TYPE, before the next one starts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config_slos.h"
#include "core/slo.h"
#include "core/store_alerts.h"
#include "core/store_logs.h"
#include "core/store_probes.h"
#include "core/store_report.h"
#include "generated/paths.h"
#include "web/web_int.h"
#include "web/web_model.h"

#define METRICS_PIPELINES_MAX CFG_MAX_PIPELINES
#define METRICS_STAGES_MAX 256
#define METRICS_RECENT_RUNS 50    /* runs searched for the last success */

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends a label value escaped as the format requires. */
static void
label_value(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			buf_append_str(b, "\\\\");
		else if (*v == '"')
			buf_append_str(b, "\\\"");
		else if (*v == '\n')
			buf_append_str(b, "\\n");
		else
			buf_append(b, v, 1);
	}
}

/* Writes one sample: name{k1="v1",k2="v2"} value. k2 may be NULL. */
static void
sample(struct buf *b, const char *name, const char *k1, const char *v1,
       const char *k2, const char *v2, double value)
{
	buf_append_str(b, name);
	if (k1 != NULL) {
		buf_printf(b, "{%s=\"", k1);
		label_value(b, v1);
		if (k2 != NULL) {
			buf_printf(b, "\",%s=\"", k2);
			label_value(b, v2);
		}
		buf_append_str(b, "\"}");
	}
	if (isnan(value))
		buf_append_str(b, " NaN\n");
	else
		buf_printf(b, " %.17g\n", value);
}

/* ---- runs and stages ---- */

struct pipeline_facts {
	char name[STORE_NAME_MAX];   /* pipeline */
	struct store_run last;       /* latest run; id 0 when none */
	int64_t last_success_at;     /* ms, 0: none among the recent */
	struct store_report_run_counts day;  /* runs of the last 24 h */
};

static int
read_pipelines(struct web_req *r, struct pipeline_facts *p, size_t *n)
{
	char names[METRICS_PIPELINES_MAX][STORE_NAME_MAX];
	struct store_run recent[METRICS_RECENT_RUNS];
	size_t count = 0, i, k, got;
	int rc;

	rc = web_model_pipelines(r, names, METRICS_PIPELINES_MAX, &count);
	for (i = 0; rc == WK_OK && i < count; i++) {
		memset(&p[i], 0, sizeof p[i]);
		snprintf(p[i].name, sizeof p[i].name, "%s", names[i]);
		got = 0;
		rc = store_runs_recent(r->store, names[i], recent,
		    METRICS_RECENT_RUNS, &got);
		if (got > 0)
			p[i].last = recent[0];
		for (k = 0; k < got && p[i].last_success_at == 0; k++) {
			if (strcmp(recent[k].state, STORE_RUN_SUCCEEDED) == 0)
				p[i].last_success_at = recent[k].ended_at;
		}
		if (rc == WK_OK)
			rc = store_report_run_counts(r->store, names[i], r->now -
			    WEB_MS_PER_DAY, r->now, &p[i].day);
	}
	*n = count;
	return rc;
}

static void
metrics_runs(struct buf *b, const struct pipeline_facts *p, size_t n)
{
	size_t i;

	family(b, "watchkeep_run_last_success", "gauge",
	    "1 when the latest finished run of the pipeline succeeded, 0 when it failed.");
	for (i = 0; i < n; i++) {
		if (p[i].last.id > 0 && strcmp(p[i].last.state,
		    STORE_RUN_RUNNING) != 0)
			sample(b, "watchkeep_run_last_success", "pipeline",
			    p[i].name, NULL, NULL, strcmp(p[i].last.state,
			    STORE_RUN_SUCCEEDED) == 0);
	}
	family(b, "watchkeep_run_last_duration_seconds", "gauge",
	    "Duration of the latest finished run.");
	for (i = 0; i < n; i++) {
		if (p[i].last.id > 0 && p[i].last.duration_ms >= 0)
			sample(b, "watchkeep_run_last_duration_seconds",
			    "pipeline", p[i].name, NULL, NULL,
			    (double)p[i].last.duration_ms / 1000.0);
	}
	family(b, "watchkeep_run_last_success_timestamp_seconds", "gauge",
	    "End of the latest succeeded run, Unix time.");
	for (i = 0; i < n; i++) {
		if (p[i].last_success_at > 0)
			sample(b, "watchkeep_run_last_success_timestamp_seconds",
			    "pipeline", p[i].name, NULL, NULL,
			    (double)p[i].last_success_at / 1000.0);
	}
	family(b, "watchkeep_runs_in_progress", "gauge",
	    "Runs of the pipeline started in the last 24 hours and still running.");
	for (i = 0; i < n; i++)
		sample(b, "watchkeep_runs_in_progress", "pipeline", p[i].name,
		    NULL, NULL, (double)p[i].day.running);
	family(b, "watchkeep_runs_last_day", "gauge",
	    "Runs started in the last 24 hours, by outcome.");
	for (i = 0; i < n; i++) {
		sample(b, "watchkeep_runs_last_day", "pipeline", p[i].name,
		    "outcome", "succeeded", (double)p[i].day.succeeded);
		sample(b, "watchkeep_runs_last_day", "pipeline", p[i].name,
		    "outcome", "failed", (double)p[i].day.failed);
	}
}

static int
metrics_stages(struct web_req *r, struct buf *b,
	       const struct pipeline_facts *p, size_t n)
{
	struct store_stage_run *st = calloc(METRICS_STAGES_MAX, sizeof *st);
	size_t i, k, got;
	char stage[2 * STORE_NAME_MAX];
	int rc = st != NULL ? WK_OK : WK_ERR_NOMEM;

	family(b, "watchkeep_stage_last_duration_seconds", "gauge",
	    "Duration of each stage's latest attempt in the pipeline's latest run.");
	for (i = 0; rc == WK_OK && i < n; i++) {
		got = 0;
		if (p[i].last.id > 0)
			rc = store_stage_runs_latest(r->store, p[i].last.id, st,
			    METRICS_STAGES_MAX, &got);
		for (k = 0; k < got; k++) {
			if (st[k].duration_ms < 0)
				continue;
			snprintf(stage, sizeof stage, "%s", st[k].stage);
			sample(b, "watchkeep_stage_last_duration_seconds",
			    "pipeline", p[i].name, "stage", stage,
			    (double)st[k].duration_ms / 1000.0);
		}
	}
	free(st);
	return rc;
}

/* ---- probes ---- */

static int
metrics_probes(struct web_req *r, struct buf *b)
{
	struct store_probe_state *s = calloc(WEB_PROBES_MAX, sizeof *s);
	size_t n = 0, i;
	int rc;

	rc = s == NULL ? WK_ERR_NOMEM : store_probe_states_get(r->store, s,
	    WEB_PROBES_MAX, &n);
	family(b, "watchkeep_probe_up", "gauge",
	    "1 when the probe is up, 0 when it is down; absent while unknown.");
	for (i = 0; i < n; i++) {
		if (strcmp(s[i].state, "unknown") != 0)
			sample(b, "watchkeep_probe_up", "probe", s[i].probe,
			    "type", s[i].type, strcmp(s[i].state, "up") == 0);
	}
	family(b, "watchkeep_probe_latency_seconds", "gauge",
	    "Latency of the probe's last check.");
	for (i = 0; i < n; i++) {
		if (s[i].latency_ms >= 0)
			sample(b, "watchkeep_probe_latency_seconds", "probe",
			    s[i].probe, NULL, NULL, s[i].latency_ms / 1000.0);
	}
	family(b, "watchkeep_probe_last_check_timestamp_seconds", "gauge",
	    "Start of the probe's last check, Unix time.");
	for (i = 0; i < n; i++) {
		if (s[i].checked_at > 0)
			sample(b, "watchkeep_probe_last_check_timestamp_seconds",
			    "probe", s[i].probe, NULL, NULL,
			    (double)s[i].checked_at / 1000.0);
	}
	free(s);
	return rc;
}

/* ---- SLOs ---- */

static void
slo_family(struct buf *b, const json_t *slos, const char *name,
	   const char *help, const char *key)
{
	const json_t *s;
	size_t i;

	family(b, name, "gauge", help);
	json_array_foreach(slos, i, s) {
		double v = wj_real(s, key);

		if (isfinite(v))
			sample(b, name, "slo", wj_text(s, "name"), NULL, NULL, v);
	}
}

static void
metrics_slos(struct buf *b, const json_t *slos)
{
	static const char *const states[] = { "ok", "no_data", "ticket",
		"page", "data_error" };
	const json_t *s, *burn, *v;
	const char *window;
	size_t i, k;

	slo_family(b, slos, "watchkeep_slo_sli",
	    "Good events over all events in the SLO's window.", "sli");
	slo_family(b, slos, "watchkeep_slo_objective", "The SLO's objective.",
	    "objective");
	slo_family(b, slos, "watchkeep_slo_error_budget_remaining",
	    "Share of the error budget left: 1 unspent, below 0 overspent.",
	    "budget_remaining");
	family(b, "watchkeep_slo_burn_rate", "gauge",
	    "Error budget burn rate over a window; 1 spends the budget exactly over the SLO's window.");
	json_array_foreach(slos, i, s) {
		burn = json_object_get(s, "burn");
		json_object_foreach((json_t *)burn, window, v) {
			if (json_is_number(v))
				sample(b, "watchkeep_slo_burn_rate", "slo",
				    wj_text(s, "name"), "window", window,
				    json_number_value(v));
		}
	}
	family(b, "watchkeep_slo_state", "gauge",
	    "1 for the SLO's current alert state, 0 for the others.");
	json_array_foreach(slos, i, s) {
		if (strcmp(wj_text(s, "state"), "not_evaluated") == 0)
			continue;
		for (k = 0; k < sizeof states / sizeof states[0]; k++)
			sample(b, "watchkeep_slo_state", "slo", wj_text(s, "name"),
			    "state", states[k], strcmp(wj_text(s, "state"),
			    states[k]) == 0);
	}
}

/* ---- alerts and the outbox ---- */

#define ALERT_KINDS_MAX 64

struct alert_count {
	char state[16];       /* pending or firing */
	char severity[16];    /* page, ticket, info */
	int64_t n;            /* alerts */
};

struct alert_counts {
	struct alert_count c[ALERT_KINDS_MAX];  /* distinct pairs */
	size_t n;                               /* entries in c */
};

static int
count_alert(const struct store_alert *a, void *arg)
{
	struct alert_counts *ac = arg;
	size_t i;

	if (strcmp(a->state, "resolved") == 0)
		return 0;
	for (i = 0; i < ac->n; i++) {
		if (strcmp(ac->c[i].state, a->state) == 0 &&
		    strcmp(ac->c[i].severity, a->severity) == 0) {
			ac->c[i].n++;
			return 0;
		}
	}
	if (ac->n < ALERT_KINDS_MAX) {
		snprintf(ac->c[ac->n].state, sizeof ac->c[0].state, "%s",
		    a->state);
		snprintf(ac->c[ac->n].severity, sizeof ac->c[0].severity, "%s",
		    a->severity);
		ac->c[ac->n++].n = 1;
	}
	return 0;
}

static int
metrics_alerts(struct web_req *r, struct buf *b)
{
	static const char *const states[] = { "pending", "firing" };
	static const char *const sevs[] = { "page", "ticket", "info" };
	struct alert_counts ac;
	size_t pending = 0, failed = 0, i, k, j;
	int rc;

	memset(&ac, 0, sizeof ac);
	rc = store_alerts_each(r->store, 0, count_alert, &ac);
	family(b, "watchkeep_alerts", "gauge",
	    "Alerts that are pending or firing, by severity.");
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 3; k++) {
			int64_t n = 0;

			for (j = 0; j < ac.n; j++) {
				if (strcmp(ac.c[j].state, states[i]) == 0 &&
				    strcmp(ac.c[j].severity, sevs[k]) == 0)
					n = ac.c[j].n;
			}
			sample(b, "watchkeep_alerts", "state", states[i],
			    "severity", sevs[k], (double)n);
		}
	}
	if (rc == WK_OK)
		rc = store_outbox_count(r->store, STORE_OUTBOX_PENDING, &pending);
	if (rc == WK_OK)
		rc = store_outbox_count(r->store, STORE_OUTBOX_FAILED, &failed);
	family(b, "watchkeep_alert_outbox_messages", "gauge",
	    "Alert messages waiting to be sent, and those given up.");
	sample(b, "watchkeep_alert_outbox_messages", "state", "pending", NULL,
	    NULL, (double)pending);
	sample(b, "watchkeep_alert_outbox_messages", "state", "failed", NULL,
	    NULL, (double)failed);
	return rc;
}

/* ---- the server itself ---- */

static void
metrics_server(struct web_req *r, struct buf *b)
{
	struct web_stats s;

	web_server_stats(r->server, &s);
	family(b, "watchkeep_build_info", "gauge",
	    "Version of watchkeep and where the web server runs.");
	buf_printf(b, "watchkeep_build_info{version=\"%s\",mode=\"%s\"} 1\n",
	    WK_VERSION, web_mode(r->server));
	family(b, "watchkeep_web_requests_total", "counter",
	    "Requests the web server answered.");
	sample(b, "watchkeep_web_requests_total", NULL, NULL, NULL, NULL,
	    (double)s.requests);
	family(b, "watchkeep_web_errors_total", "counter",
	    "Answers with status 500 or above.");
	sample(b, "watchkeep_web_errors_total", NULL, NULL, NULL, NULL,
	    (double)s.errors);
	family(b, "watchkeep_web_cache_hits_total", "counter",
	    "Answers served from the page cache.");
	sample(b, "watchkeep_web_cache_hits_total", NULL, NULL, NULL, NULL,
	    (double)s.cache_hits);
	family(b, "watchkeep_web_auth_failures_total", "counter",
	    "Requests rejected for missing or wrong credentials.");
	sample(b, "watchkeep_web_auth_failures_total", NULL, NULL, NULL, NULL,
	    (double)s.auth_failures);
	family(b, "watchkeep_web_pings_total", "counter",
	    "Push pings accepted.");
	sample(b, "watchkeep_web_pings_total", NULL, NULL, NULL, NULL,
	    (double)s.pings);
	family(b, "watchkeep_web_queue_length", "gauge",
	    "Requests waiting for a worker.");
	sample(b, "watchkeep_web_queue_length", NULL, NULL, NULL, NULL,
	    (double)s.queue_length);
	family(b, "watchkeep_store_last_read_timestamp_seconds", "gauge",
	    "Last time the web server read the store's data version, Unix time.");
	sample(b, "watchkeep_store_last_read_timestamp_seconds", NULL, NULL,
	    NULL, NULL, (double)s.store_checked_at / 1000.0);
	family(b, "watchkeep_web_start_timestamp_seconds", "gauge",
	    "Start of the web server, Unix time.");
	sample(b, "watchkeep_web_start_timestamp_seconds", NULL, NULL, NULL,
	    NULL, (double)s.started_at / 1000.0);
}

int
web_metrics(struct web_req *r)
{
	struct pipeline_facts *p = calloc(METRICS_PIPELINES_MAX, sizeof *p);
	json_t *m = json_object();
	size_t n = 0;
	int rc;

	rc = p == NULL ? WK_ERR_NOMEM : read_pipelines(r, p, &n);
	if (rc == WK_OK)
		rc = web_model_slo_summaries(r, m, "slos");
	if (rc == WK_OK) {
		metrics_server(r, &r->body);
		metrics_runs(&r->body, p, n);
		rc = metrics_stages(r, &r->body, p, n);
	}
	if (rc == WK_OK)
		rc = metrics_probes(r, &r->body);
	if (rc == WK_OK)
		metrics_slos(&r->body, json_object_get(m, "slos"));
	if (rc == WK_OK)
		rc = metrics_alerts(r, &r->body);
	json_decref(m);
	free(p);
	return rc;
}
