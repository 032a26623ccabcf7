/*
 * Models of the incidents (from alert_incidents: when each alert fired,
 * was acknowledged and resolved) and of the probes (availability and
 * latency percentiles over a period, and per time bucket).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store_probes.h"
#include "core/store_report.h"
#include "web/web_int.h"
#include "web/web_model.h"

#define OPS_INCIDENTS_MAX 2000     /* incidents of one period */
#define OPS_BUCKETS 168            /* buckets of a probe chart, at most */
#define OPS_RESULTS_MAX 500000     /* results read for one probe chart */

/* ---- incidents ---- */

struct incident_sums {
	int64_t count;       /* incidents */
	int64_t acked;       /* acknowledged */
	int64_t resolved;    /* resolved */
	double tta_sum;      /* ms, over acknowledged */
	double ttr_sum;      /* ms, over resolved */
	json_t *by_source;   /* source -> count */
};

static json_t *
incident_json(const struct store_report_incident *i, int64_t now,
	      struct incident_sums *s)
{
	json_t *labels = json_loads(i->labels, 0, NULL);
	int64_t end = i->resolved_at > 0 ? i->resolved_at : now;
	json_t *o;

	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	o = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o}",
	    "fingerprint", wj_str(i->fingerprint), "fired_at",
	    (json_int_t)i->fired_at, "source", wj_str(i->source), "severity",
	    wj_str(i->severity), "labels", labels, "summary",
	    wj_str(i->summary), "link", wj_str(i->link), "state",
	    wj_str(i->state), "active_since", (json_int_t)i->active_since,
	    "ack_at", i->ack_at > 0 ? json_integer(i->ack_at) : json_null(),
	    "resolved_at", i->resolved_at > 0 ? json_integer(i->resolved_at) :
	    json_null());
	wj_set(o, "detect_ms", json_integer(i->fired_at - i->active_since));
	wj_set(o, "tta_ms", i->ack_at > 0 ? json_integer(i->ack_at -
	    i->fired_at) : json_null());
	wj_set(o, "ttr_ms", i->resolved_at > 0 ? json_integer(i->resolved_at -
	    i->fired_at) : json_null());
	wj_set(o, "open_ms", json_integer(end - i->fired_at));
	s->count++;
	if (i->ack_at > 0) {
		s->acked++;
		s->tta_sum += (double)(i->ack_at - i->fired_at);
	}
	if (i->resolved_at > 0) {
		s->resolved++;
		s->ttr_sum += (double)(i->resolved_at - i->fired_at);
	}
	json_object_set_new(s->by_source, i->source, json_integer(
	    json_integer_value(json_object_get(s->by_source, i->source)) + 1));
	return o;
}

int
web_model_incident_list(struct store *st, int64_t from, int64_t to,
			int64_t now, json_t *m)
{
	struct store_report_incident *rows = calloc(OPS_INCIDENTS_MAX,
	    sizeof *rows);
	struct incident_sums s;
	json_t *list = json_array();
	size_t n = 0, i;
	int rc;

	memset(&s, 0, sizeof s);
	s.by_source = json_object();
	rc = rows == NULL ? WK_ERR_NOMEM : store_report_incidents(st, from, to,
	    rows, OPS_INCIDENTS_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++)
		json_array_append_new(list, incident_json(&rows[i], now, &s));
	json_object_set_new(m, "incidents", list);
	json_object_set_new(m, "summary", json_pack("{s:I, s:I, s:I, s:o, "
	    "s:o, s:o}", "count", (json_int_t)s.count, "acknowledged",
	    (json_int_t)s.acked, "resolved", (json_int_t)s.resolved,
	    "mtta_ms", s.acked > 0 ? json_real(s.tta_sum / (double)s.acked) :
	    json_null(), "mttr_ms", s.resolved > 0 ? json_real(s.ttr_sum /
	    (double)s.resolved) : json_null(), "by_source", s.by_source));
	json_object_set_new(m, "truncated", json_boolean(n ==
	    OPS_INCIDENTS_MAX));
	free(rows);
	return rc;
}

json_t *
web_model_incidents(struct web_req *r)
{
	struct web_period p;
	json_t *m;

	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK)
		return NULL;
	m = json_pack("{s:o, s:I}", "period", web_model_period(&p), "now",
	    (json_int_t)r->now);
	if (web_model_incident_list(r->store, p.from, p.to, r->now, m) !=
	    WK_OK) {
		json_decref(m);
		return web_fail(r, 500, "%s", WT(r, N_("reading the store failed")));
	}
	return m;
}

/* ---- probes ---- */

static void
add_stats(json_t *o, const struct store_report_probe *s)
{
	wj_set(o, "checks", json_integer(s->checks));
	wj_set(o, "up", json_integer(s->up));
	wj_set(o, "availability", s->checks > 0 ? json_real((double)s->up /
	    (double)s->checks) : json_null());
	wj_set(o, "p50_ms", s->p50_ms >= 0 ? json_real(s->p50_ms) :
	    json_null());
	wj_set(o, "p95_ms", s->p95_ms >= 0 ? json_real(s->p95_ms) :
	    json_null());
	wj_set(o, "p99_ms", s->p99_ms >= 0 ? json_real(s->p99_ms) :
	    json_null());
	wj_set(o, "max_ms", s->max_ms >= 0 ? json_real(s->max_ms) :
	    json_null());
}

int
web_model_probe_list(struct store *st, int64_t from, int64_t to, json_t *m)
{
	struct store_probe_state *rows = calloc(WEB_PROBES_MAX, sizeof *rows);
	struct store_report_probe stats;
	json_t *list = json_array(), *o;
	size_t n = 0, i;
	int rc;

	rc = rows == NULL ? WK_ERR_NOMEM : store_probe_states_get(st, rows,
	    WEB_PROBES_MAX, &n);
	for (i = 0; rc == WK_OK && i < n; i++) {
		rc = store_report_probe_stats(st, rows[i].probe, from, to,
		    &stats);
		o = web_model_probe_state_json(&rows[i]);
		add_stats(o, &stats);
		json_array_append_new(list, o);
	}
	json_object_set_new(m, "probes", list);
	free(rows);
	return rc;
}

json_t *
web_model_probes(struct web_req *r)
{
	struct web_period p;
	json_t *m;
	int rc;

	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK)
		return NULL;
	m = json_pack("{s:o}", "period", web_model_period(&p));
	rc = web_model_probe_list(r->store, p.from, p.to, m);
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted[0..n-1]; NAN when n is 0. */
static double
rank(const double *sorted, size_t n, double p)
{
	size_t k = (size_t)ceil(p * (double)n);

	if (n == 0)
		return NAN;
	return sorted[(k < 1 ? 1 : k) - 1];
}

/* One bucket of results[lo..hi-1] starting at t. */
static json_t *
bucket_json(const struct store_report_result *res, size_t lo, size_t hi,
	    int64_t t, double *lat)
{
	size_t up = 0, k = 0, i;

	for (i = lo; i < hi; i++) {
		up += (size_t)res[i].ok;
		if (res[i].latency_ms >= 0)
			lat[k++] = res[i].latency_ms;
	}
	qsort(lat, k, sizeof *lat, compare_double);
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "t", (json_int_t)t,
	    "checks", (json_int_t)(hi - lo), "up", (json_int_t)up,
	    "availability", hi > lo ? json_real((double)up / (double)(hi - lo)) :
	    json_null(), "p50_ms", wj_num(rank(lat, k, 0.50)), "p95_ms",
	    wj_num(rank(lat, k, 0.95)));
}

static int
probe_buckets(struct web_req *r, const char *name,
	      const struct web_period *p, json_t *m)
{
	struct store_report_result *res = malloc(OPS_RESULTS_MAX * sizeof *res);
	double *lat = malloc(OPS_RESULTS_MAX * sizeof *lat);
	int64_t width = (p->to - p->from + OPS_BUCKETS - 1) / OPS_BUCKETS, t;
	json_t *list = json_array();
	size_t n = 0, lo = 0, hi;
	int more = 0, rc;

	width = ((width + 59999) / 60000) * 60000;
	rc = res == NULL || lat == NULL ? WK_ERR_NOMEM : store_report_results(
	    r->store, name, p->from, p->to, res, OPS_RESULTS_MAX, &n, &more);
	/* Buckets are aligned to their width, so that they stay put as
	 * the period moves with the clock. */
	for (t = p->from - p->from % width; rc == WK_OK && t < p->to;
	    t += width) {
		for (hi = lo; hi < n && res[hi].at < t + width; hi++)
			;
		if (hi > lo)
			json_array_append_new(list, bucket_json(res, lo, hi, t,
			    lat));
		lo = hi;
	}
	json_object_set_new(m, "buckets", list);
	json_object_set_new(m, "bucket_ms", json_integer(width));
	json_object_set_new(m, "truncated", json_boolean(more));
	free(res);
	free(lat);
	return rc;
}

json_t *
web_model_probe(struct web_req *r)
{
	const char *name = web_model_seg_after(r, "probes");
	struct store_report_probe stats;
	struct store_probe_state state;
	struct web_period p;
	json_t *m;
	int rc;

	if (name == NULL || store_probe_state_get(r->store, name, &state) !=
	    WK_OK)
		return web_fail(r, 404, WT(r, N_("there is no probe called %s")),
		    name != NULL ? name : "");
	if (web_period(r, 7 * WEB_MS_PER_DAY, &p) != WK_OK)
		return NULL;
	m = web_model_probe_state_json(&state);
	json_object_set_new(m, "period", web_model_period(&p));
	rc = store_report_probe_stats(r->store, name, p.from, p.to, &stats);
	if (rc == WK_OK) {
		add_stats(m, &stats);
		rc = probe_buckets(r, name, &p, m);
	}
	if (rc != WK_OK) {
		json_decref(m);
		return web_fail(r, rc == WK_ERR_BUSY ? 503 : 500, "%s",
		    WT(r, N_("reading the store failed")));
	}
	return m;
}
