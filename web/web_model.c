/*
 * Models of the overview, the runs, one run and the error signatures.
 * Each is the JSON object that /api/v1/ returns and the page draws.
 * The overview also lists the runs the agent has queued (run_queue),
 * which have no run id until they start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config_slos.h"
#include "core/slo.h"
#include "core/store_alerts.h"
#include "core/store_logs.h"
#include "core/store_probes.h"
#include "core/store_queue.h"
#include "core/store_report.h"
#include "generated/paths.h"
#include "web/web_int.h"
#include "web/web_model.h"

#define MODEL_SPARK_RUNS 30       /* runs in an overview sparkline */
#define MODEL_ALERTS_MAX 100      /* open alerts listed */
#define MODEL_ATTEMPTS_MAX 1024   /* attempts of one run */
#define MODEL_METRICS_MAX 64      /* metrics of one attempt */
#define MODEL_ERROR_LINES_MAX 40  /* error lines of one attempt */
#define MODEL_SIGNATURES_MAX 50   /* signatures of one run */
#define MODEL_ERRORS_MAX 200      /* signatures of the errors page */
#define MODEL_QUEUED_MAX 1000     /* queued runs listed */

json_t *
web_model_period(const struct web_period *p)
{
	return json_pack("{s:I, s:I, s:o}", "from", (json_int_t)p->from, "to",
	    (json_int_t)p->to, "label", wj_str(p->label));
}

int
web_model_pipelines(struct web_req *r, char (*names)[STORE_NAME_MAX],
		    size_t max, size_t *count)
{
	char stored[CFG_MAX_PIPELINES][STORE_NAME_MAX];
	size_t n_stored = 0, i, k;
	int rc;

	*count = 0;
	for (i = 0; r->cfg != NULL && i < r->cfg->n_pipelines && *count < max;
	    i++)
		snprintf(names[(*count)++], STORE_NAME_MAX, "%s",
		    r->cfg->pipelines[i].name);
	rc = store_logs_pipelines(r->store, stored, CFG_MAX_PIPELINES,
	    &n_stored);
	for (i = 0; rc == WK_OK && i < n_stored && *count < max; i++) {
		for (k = 0; k < *count && strcmp(names[k], stored[i]) != 0; k++)
			;
		if (k == *count)
			snprintf(names[(*count)++], STORE_NAME_MAX, "%s",
			    stored[i]);
	}
	return rc;
}

json_t *
web_model_run_json(const struct store_run *run)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}",
	    "id", (json_int_t)run->id, "pipeline", wj_str(run->pipeline),
	    "logical_date", wj_str(run->logical_date), "trigger",
	    wj_str(run->trigger), "state", wj_str(run->state), "started_at",
	    (json_int_t)run->started_at, "ended_at",
	    run->ended_at > 0 ? json_integer(run->ended_at) : json_null(),
	    "duration_ms", wj_ms(run->duration_ms), "reason",
	    wj_str(run->reason));
}

json_t *
web_model_attempt_json(const struct store_stage_run *s, int full)
{
	json_t *o = json_pack("{s:I, s:o, s:i, s:o, s:o, s:o, s:o}", "id",
	    (json_int_t)s->id, "stage", wj_str(s->stage), "attempt",
	    s->attempt, "state", wj_str(s->state), "started_at",
	    s->started_at > 0 ? json_integer(s->started_at) : json_null(),
	    "ended_at", s->ended_at > 0 ? json_integer(s->ended_at) :
	    json_null(), "duration_ms", wj_ms(s->duration_ms));

	if (!full)
		return o;
	wj_set(o, "exit_code", s->exit_code >= 0 && s->ended_at > 0 ?
	    json_integer(s->exit_code) : json_null());
	wj_set(o, "signal", s->signal > 0 ? json_integer(s->signal) :
	    json_null());
	wj_set(o, "user_cpu_ms", wj_ms(s->user_cpu_ms));
	wj_set(o, "sys_cpu_ms", wj_ms(s->sys_cpu_ms));
	wj_set(o, "max_rss_kb", wj_ms(s->max_rss_kb));
	wj_set(o, "reason", wj_str(s->reason));
	wj_set(o, "status_text", wj_str(s->status_text));
	return o;
}

/* Adds the attempts of run_id (compact) as member "attempts" of o. */
int
web_model_attempts(struct web_req *r, int64_t run_id, json_t *o, int full,
		   struct store_stage_run *rows, size_t max)
{
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	rc = store_report_attempts(r->store, run_id, rows, max, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, web_model_attempt_json(&rows[i],
		    full));
	json_object_set_new(o, "attempts", list);
	return rc;
}

/* ---- overview ---- */

static json_t *
status_pipeline(struct web_req *r, const char *name,
		const struct web_period *p, struct store_run *runs)
{
	struct store_report_run_counts counts;
	const struct cfg_pipeline *cp = r->cfg != NULL ?
	    cfg_find_pipeline(r->cfg, name) : NULL;
	json_t *o, *spark = json_array();
	size_t n = 0, i;
	int rc;

	rc = store_runs_recent(r->store, name, runs, MODEL_SPARK_RUNS, &n);
	if (rc == WK_OK)
		rc = store_report_run_counts(r->store, name, p->from, p->to,
		    &counts);
	if (rc != WK_OK) {
		json_decref(spark);
		return NULL;
	}
	for (i = n; i > 0; i--)
		json_array_append_new(spark, json_pack("{s:I, s:I, s:o, s:o}",
		    "run_id", (json_int_t)runs[i - 1].id, "started_at",
		    (json_int_t)runs[i - 1].started_at, "duration_ms",
		    wj_ms(runs[i - 1].duration_ms), "state",
		    wj_str(runs[i - 1].state)));
	o = json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o}",
	    "name", wj_str(name), "description",
	    cp != NULL && cp->description != NULL ? wj_str(cp->description) :
	    json_null(), "last_run", n > 0 ? web_model_run_json(&runs[0]) :
	    json_null(), "runs", (json_int_t)counts.total, "succeeded",
	    (json_int_t)counts.succeeded, "failed", (json_int_t)counts.failed,
	    "running", (json_int_t)counts.running, "success_rate",
	    counts.succeeded + counts.failed > 0 ? json_real((double)
	    counts.succeeded / (double)(counts.succeeded + counts.failed)) :
	    json_null(), "recent", spark);
	return o;
}

static int
status_pipelines(struct web_req *r, json_t *m, const struct web_period *p)
{
	char names[CFG_MAX_PIPELINES][STORE_NAME_MAX];
	struct store_run *runs = calloc(MODEL_SPARK_RUNS, sizeof *runs);
	json_t *list = json_array(), *o;
	size_t n = 0, i;
	int rc;

	rc = runs == NULL ? WK_ERR_NOMEM :
	    web_model_pipelines(r, names, CFG_MAX_PIPELINES, &n);
	for (i = 0; rc == WK_OK && i < n; i++) {
		o = status_pipeline(r, names[i], p, runs);
		if (o == NULL)
			rc = WK_ERR_STORE;
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "pipelines", list);
	free(runs);
	return rc;
}

struct alerts_ctx {
	json_t *list;     /* open alerts */
	int64_t firing;   /* count */
	int64_t pending;  /* count */
};

static int
status_alert(const struct store_alert *a, void *arg)
{
	struct alerts_ctx *ctx = arg;

	if (strcmp(a->state, "firing") == 0)
		ctx->firing++;
	else if (strcmp(a->state, "pending") == 0)
		ctx->pending++;
	else
		return 0;
	if (json_array_size(ctx->list) < MODEL_ALERTS_MAX)
		json_array_append_new(ctx->list, json_pack("{s:o, s:o, s:o, "
		    "s:o, s:o, s:o, s:o, s:o}", "fingerprint",
		    wj_str(a->fingerprint), "state", wj_str(a->state),
		    "severity", wj_str(a->severity), "source",
		    wj_str(a->source), "summary", wj_str(a->summary), "since",
		    json_integer(a->fired_at > 0 ? a->fired_at :
		    a->active_since), "link", wj_str(a->link), "acknowledged",
		    json_boolean(a->ack_at > 0)));
	return 0;
}

static int
status_alerts(struct web_req *r, json_t *m)
{
	struct alerts_ctx ctx = { json_array(), 0, 0 };
	int rc = store_alerts_each(r->store, 0, status_alert, &ctx);

	json_object_set_new(m, "alerts", json_pack("{s:I, s:I, s:o}",
	    "firing", (json_int_t)ctx.firing, "pending",
	    (json_int_t)ctx.pending, "items", ctx.list));
	return rc;
}

/* Returns runs[i] as JSON, with its 1-based place in its pipeline. */
static json_t *
queued_run_json(const struct store_queued_run *runs, size_t i,
		   int64_t now)
{
	size_t j, place = 1;

	for (j = 0; j < i; j++)
		place += strcmp(runs[j].pipeline, runs[i].pipeline) == 0;
	return json_pack("{s:o, s:o, s:o, s:s, s:I, s:I, s:o, s:o}",
	    "pipeline", wj_str(runs[i].pipeline), "logical_date",
	    wj_str(runs[i].logical_date), "trigger", wj_str(runs[i].trigger),
	    "state", STORE_RUN_QUEUED, "position", (json_int_t)place,
	    "queued_at", (json_int_t)runs[i].queued_at, "scheduled_at",
	    runs[i].scheduled_at > 0 ? json_integer(runs[i].scheduled_at) :
	    json_null(), "waiting_ms", wj_ms(now >= runs[i].queued_at ?
	    now - runs[i].queued_at : 0));
}

int
web_model_queued(struct web_req *r, const char *pipeline, json_t *m)
{
	struct store_queued_run *runs = calloc(MODEL_QUEUED_MAX + 1,
	    sizeof *runs);
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	rc = runs == NULL ? WK_ERR_NOMEM : store_queue_list(r->store, pipeline,
	    runs, MODEL_QUEUED_MAX + 1, &n);
	for (i = 0; rc == WK_OK && i < n && i < MODEL_QUEUED_MAX; i++)
		json_array_append_new(list, queued_run_json(runs, i,
		    r->now));
	json_object_set_new(m, "queued", json_pack("{s:I, s:b, s:o}",
	    "count", (json_int_t)json_array_size(list), "truncated",
	    n > MODEL_QUEUED_MAX, "items", list));
	free(runs);
	return rc;
}

json_t *
web_model_probe_state_json(const struct store_probe_state *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
	    wj_str(s->probe), "type", wj_str(s->type), "state",
	    wj_str(s->state), "since", wj_ms(s->since), "checked_at",
	    s->checked_at > 0 ? json_integer(s->checked_at) : json_null(),
	    "latency_ms", s->latency_ms >= 0 ? json_real(s->latency_ms) :
	    json_null(), "detail", wj_str(s->detail));
}

static int
status_probes(struct web_req *r, json_t *m)
{
	struct store_probe_state *rows = calloc(WEB_PROBES_MAX, sizeof *rows);
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	rc = rows == NULL ? WK_ERR_NOMEM :
	    store_probe_states_get(r->store, rows, WEB_PROBES_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, web_model_probe_state_json(&rows[i]));
	json_object_set_new(m, "probes", list);
	free(rows);
	return rc;
}

json_t *
web_model_signature_json(const struct store_logs_signature *g)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o}",
	    "pipeline", wj_str(g->pipeline), "stage", wj_str(g->stage),
	    "signature", wj_str(g->signature), "sample", wj_str(g->sample),
	    "count", (json_int_t)g->count, "total", (json_int_t)g->total,
	    "stage_runs", (json_int_t)g->stage_runs, "first_seen",
	    (json_int_t)g->first_seen, "last_seen", (json_int_t)g->last_seen,
	    "last_run_id", g->last_run_id > 0 ? json_integer(g->last_run_id) :
	    json_null());
}

int
web_model_signatures(struct web_req *r, const struct web_period *p,
		     const char *pipeline, size_t max, json_t *m,
		     const char *key)
{
	struct store_logs_signature *rows = calloc(max, sizeof *rows);
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	rc = rows == NULL ? WK_ERR_NOMEM : store_logs_signatures_top(r->store,
	    p->from > 0 ? p->from : 1, pipeline, rows, max, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, web_model_signature_json(&rows[i]));
	json_object_set_new(m, key, list);
	free(rows);
	return rc;
}

json_t *
web_model_status(struct web_req *r)
{
	struct web_period p;
	json_t *m;
	int rc;

	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK)
		return NULL;
	m = json_pack("{s:I, s:s, s:s, s:o}", "generated_at",
	    (json_int_t)r->now, "version", WK_VERSION, "mode",
	    web_mode(r->server), "period", web_model_period(&p));
	rc = status_pipelines(r, m, &p);
	if (rc == WK_OK)
		rc = web_model_queued(r, NULL, m);
	if (rc == WK_OK)
		rc = web_model_slo_summaries(r, m, "slos");
	if (rc == WK_OK)
		rc = status_alerts(r, m);
	if (rc == WK_OK)
		rc = status_probes(r, m);
	if (rc == WK_OK)
		rc = web_model_signatures(r, &p, NULL, 5, m, "errors");
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}

/* ---- runs ---- */

/* Reads ?pipeline=; returns 0 after failing r when it is not a name. */
int
web_model_pipeline_arg(struct web_req *r, const char **pipeline)
{
	char shown[WEB_SHOW_MAX];

	*pipeline = web_arg(r, "pipeline");
	if (*pipeline != NULL && (*pipeline)[0] == '\0')
		*pipeline = NULL;
	if (*pipeline != NULL && !web_name_ok(*pipeline)) {
		web_show_value(shown, sizeof shown, *pipeline);
		web_fail(r, 400, WT(r, N_("invalid pipeline=%s: give a pipeline name as the configuration writes it")),
		    shown);
		return 0;
	}
	return 1;
}

static long
runs_limit(struct web_req *r)
{
	const char *v = web_arg(r, "limit");
	char *end;
	long n;

	if (v == NULL || v[0] == '\0')
		return 200;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 1 || n > WEB_RUNS_MAX) {
		web_fail(r, 400, WT(r, N_("invalid limit=%s: give a number from 1 to %d")),
		    v, WEB_RUNS_MAX);
		return -1;
	}
	return n;
}

json_t *
web_model_runs(struct web_req *r)
{
	struct store_stage_run *attempts = NULL;
	struct store_run *runs = NULL;
	const char *pipeline;
	struct web_period p;
	json_t *m, *list;
	long limit;
	size_t n = 0, i;
	int rc;

	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK ||
	    !web_model_pipeline_arg(r, &pipeline) || (limit = runs_limit(r)) < 0)
		return NULL;
	runs = calloc((size_t)limit + 1, sizeof *runs);
	attempts = calloc(MODEL_ATTEMPTS_MAX, sizeof *attempts);
	rc = runs == NULL || attempts == NULL ? WK_ERR_NOMEM :
	    store_report_runs(r->store, pipeline, p.from, p.to, runs,
	    (size_t)limit + 1, &n);
	m = json_pack("{s:o, s:o, s:b}", "period", web_model_period(&p),
	    "pipeline", pipeline != NULL ? wj_str(pipeline) : json_null(),
	    "truncated", n > (size_t)limit);
	if (rc == WK_OK)
		rc = web_model_queued(r, pipeline, m);
	list = json_array();
	for (i = 0; rc == WK_OK && i < n && i < (size_t)limit; i++) {
		json_t *o = web_model_run_json(&runs[i]);

		rc = web_model_attempts(r, runs[i].id, o, 0, attempts,
		    MODEL_ATTEMPTS_MAX);
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "runs", list);
	free(runs);
	free(attempts);
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}

/* ---- one run ---- */

/* Returns the segment after name in the path, or NULL. */
const char *
web_model_seg_after(const struct web_req *r, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < r->n_segs; i++) {
		if (strcmp(r->segs[i], name) == 0)
			return r->segs[i + 1];
	}
	return NULL;
}

static json_t *
run_metrics(struct web_req *r, int64_t stage_run_id)
{
	struct store_metric metrics[MODEL_METRICS_MAX];
	json_t *o = json_object();
	size_t n = 0, i;

	if (store_metrics_get(r->store, stage_run_id, metrics,
	    MODEL_METRICS_MAX, &n) != WK_OK)
		return o;
	for (i = 0; i < n; i++)
		json_object_set_new(o, metrics[i].name,
		    wj_num(metrics[i].value));
	return o;
}

static json_t *
run_error_lines(struct web_req *r, int64_t stage_run_id,
		struct store_logs_row *rows)
{
	struct store_logs_query q;
	json_t *list = json_array();
	size_t n = 0, i;

	memset(&q, 0, sizeof q);
	q.stage_run_id = stage_run_id;
	q.errors_only = 1;
	if (store_logs_read(r->store, &q, rows, MODEL_ERROR_LINES_MAX, &n) !=
	    WK_OK)
		return list;
	for (i = 0; i < n; i++) {
		if (rows[i].dropped_lines >= 0)
			json_array_append_new(list, json_pack("{s:i, s:I, s:I, "
			    "s:I}", "stream", rows[i].stream, "line_no",
			    (json_int_t)rows[i].line_no, "dropped_lines",
			    (json_int_t)rows[i].dropped_lines, "dropped_bytes",
			    (json_int_t)rows[i].dropped_bytes));
		else
			json_array_append_new(list, json_pack("{s:i, s:I, s:I, "
			    "s:o}", "stream", rows[i].stream, "line_no",
			    (json_int_t)rows[i].line_no, "at",
			    (json_int_t)rows[i].at, "text",
			    wj_str(rows[i].text)));
	}
	return list;
}

static int
run_details(struct web_req *r, json_t *m, struct store_stage_run *rows,
	    size_t n)
{
	struct store_logs_row *lines = calloc(MODEL_ERROR_LINES_MAX,
	    sizeof *lines);
	json_t *list = json_array(), *o;
	size_t i;

	if (lines == NULL) {
		json_decref(list);
		return WK_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		o = web_model_attempt_json(&rows[i], 1);
		json_object_set_new(o, "metrics", run_metrics(r, rows[i].id));
		json_object_set_new(o, "error_lines", run_error_lines(r,
		    rows[i].id, lines));
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "attempts", list);
	free(lines);
	return WK_OK;
}

static int
run_signatures(struct web_req *r, json_t *m, int64_t run_id)
{
	struct store_report_signature *rows = calloc(MODEL_SIGNATURES_MAX,
	    sizeof *rows);
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	rc = rows == NULL ? WK_ERR_NOMEM : store_report_run_signatures(
	    r->store, run_id, rows, MODEL_SIGNATURES_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, json_pack("{s:o, s:i, s:o, s:o, "
		    "s:I, s:I, s:I}", "stage", wj_str(rows[i].stage),
		    "attempt", rows[i].attempt, "signature",
		    wj_str(rows[i].signature), "sample", wj_str(rows[i].sample),
		    "count", (json_int_t)rows[i].count, "total",
		    (json_int_t)rows[i].total, "first_seen",
		    (json_int_t)rows[i].first_seen));
	json_object_set_new(m, "signatures", list);
	free(rows);
	return rc;
}

json_t *
web_model_run(struct web_req *r)
{
	const char *id_text = web_model_seg_after(r, "runs");
	int64_t id = id_text != NULL ? web_parse_id(id_text) : 0;
	struct store_stage_run *rows;
	struct store_run run;
	size_t n = 0;
	json_t *m;
	int rc;

	if (id == 0)
		return web_fail(r, 404, "%s", WT(r, N_("a run is named by its number, such as /runs/12")));
	rc = store_run_get(r->store, id, &run);
	if (rc == WK_ERR_NOTFOUND)
		return web_fail(r, 404, WT(r, N_("there is no run %lld; it may have been removed by the retention policy")),
		    (long long)id);
	rows = calloc(MODEL_ATTEMPTS_MAX, sizeof *rows);
	if (rc == WK_OK)
		rc = rows == NULL ? WK_ERR_NOMEM : store_report_attempts(
		    r->store, id, rows, MODEL_ATTEMPTS_MAX, &n);
	m = web_model_run_json(&run);
	if (rc == WK_OK)
		rc = run_details(r, m, rows, n);
	if (rc == WK_OK)
		rc = run_signatures(r, m, id);
	free(rows);
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}

/* ---- error signatures ---- */

json_t *
web_model_errors(struct web_req *r)
{
	const char *pipeline;
	struct web_period p;
	json_t *m;

	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK ||
	    !web_model_pipeline_arg(r, &pipeline))
		return NULL;
	m = json_pack("{s:o, s:o}", "period", web_model_period(&p),
	    "pipeline", pipeline != NULL ? wj_str(pipeline) : json_null());
	if (web_model_signatures(r, &p, pipeline, MODEL_ERRORS_MAX, m,
	    "errors") != WK_OK) {
		json_decref(m);
		return web_fail(r, 500, "%s", WT(r, N_("reading the store failed")));
	}
	return m;
}
