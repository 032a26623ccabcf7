/*
 * The HTTP side of the web server: libmicrohttpd's access handler, the
 * routes, the response headers and the cache of finished responses. The
 * work queue, the workers and the watcher are in web_work.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config_web.h"
#include "core/i18n.h"
#include "web/web_int.h"
#include "web/web_work.h"

#define WEB_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"
#define WEB_LANG_HEADER_MAX 256     /* bytes of Accept-Language read */

/* A route: a path pattern and the model and renderer behind it. */
struct web_route {
	const char *pattern;      /* segments; "*" matches one name or id */
	enum web_format format;   /* of the response */
	web_model_fn model;       /* NULL for the special routes */
	web_render_fn render;     /* HTML or text; NULL for JSON and CSV */
	const char *csv_key;      /* CSV: the array member of the model,
				     "a.b" for member b of member a */
	const char *csv_name;     /* CSV: the file name offered */
};

static const struct web_route web_routes[] = {
	{ "", WEB_FMT_HTML, web_model_status, web_page_overview, NULL, NULL },
	{ "runs", WEB_FMT_HTML, web_model_runs, web_page_runs, NULL, NULL },
	{ "runs/*", WEB_FMT_HTML, web_model_run, web_page_run, NULL, NULL },
	{ "pipelines/*", WEB_FMT_HTML, web_model_trends, web_page_trends,
	  NULL, NULL },
	{ "slos", WEB_FMT_HTML, web_model_slos, web_page_slos, NULL, NULL },
	{ "slos/*", WEB_FMT_HTML, web_model_slo, web_page_slo, NULL, NULL },
	{ "incidents", WEB_FMT_HTML, web_model_incidents, web_page_incidents,
	  NULL, NULL },
	{ "alerts", WEB_FMT_HTML, web_model_incidents, web_page_incidents,
	  NULL, NULL },
	{ "probes", WEB_FMT_HTML, web_model_probes, web_page_probes, NULL,
	  NULL },
	{ "probes/*", WEB_FMT_HTML, web_model_probe, web_page_probe, NULL,
	  NULL },
	{ "errors", WEB_FMT_HTML, web_model_errors, web_page_errors, NULL,
	  NULL },
	{ "report", WEB_FMT_HTML, web_model_report, web_page_report, NULL,
	  NULL },
	{ "report.txt", WEB_FMT_TEXT, web_model_report, web_page_report_text,
	  NULL, NULL },
	{ "api/v1/status", WEB_FMT_JSON, web_model_status, NULL, NULL, NULL },
	{ "api/v1/pipelines.csv", WEB_FMT_CSV, web_model_status, NULL,
	  "pipelines", "pipelines.csv" },
	{ "api/v1/alerts.csv", WEB_FMT_CSV, web_model_status, NULL,
	  "alerts.items", "alerts.csv" },
	{ "api/v1/queued.csv", WEB_FMT_CSV, web_model_status, NULL,
	  "queued.items", "queued.csv" },
	{ "api/v1/runs", WEB_FMT_JSON, web_model_runs, NULL, NULL, NULL },
	{ "api/v1/runs/queued.csv", WEB_FMT_CSV, web_model_runs, NULL,
	  "queued.items", "queued.csv" },
	{ "api/v1/runs.csv", WEB_FMT_CSV, web_model_runs, NULL, "runs",
	  "runs.csv" },
	{ "api/v1/runs/*", WEB_FMT_JSON, web_model_run, NULL, NULL, NULL },
	{ "api/v1/runs/*/attempts.csv", WEB_FMT_CSV, web_model_run, NULL,
	  "attempts", "attempts.csv" },
	{ "api/v1/runs/*/signatures.csv", WEB_FMT_CSV, web_model_run, NULL,
	  "signatures", "signatures.csv" },
	{ "api/v1/pipelines/*/trends", WEB_FMT_JSON, web_model_trends, NULL,
	  NULL, NULL },
	{ "api/v1/pipelines/*/trends.csv", WEB_FMT_CSV, web_model_trends, NULL,
	  "points", "trends.csv" },
	{ "api/v1/slos", WEB_FMT_JSON, web_model_slos, NULL, NULL, NULL },
	{ "api/v1/slos.csv", WEB_FMT_CSV, web_model_slos, NULL, "slos",
	  "slos.csv" },
	{ "api/v1/slos/*", WEB_FMT_JSON, web_model_slo, NULL, NULL, NULL },
	{ "api/v1/slos/*/series.csv", WEB_FMT_CSV, web_model_slo, NULL,
	  "series", "slo-series.csv" },
	{ "api/v1/slos/*/compliance.csv", WEB_FMT_CSV, web_model_slo, NULL,
	  "compliance", "slo-compliance.csv" },
	{ "api/v1/incidents", WEB_FMT_JSON, web_model_incidents, NULL, NULL,
	  NULL },
	{ "api/v1/incidents.csv", WEB_FMT_CSV, web_model_incidents, NULL,
	  "incidents", "incidents.csv" },
	{ "api/v1/probes", WEB_FMT_JSON, web_model_probes, NULL, NULL, NULL },
	{ "api/v1/probes.csv", WEB_FMT_CSV, web_model_probes, NULL, "probes",
	  "probes.csv" },
	{ "api/v1/probes/*", WEB_FMT_JSON, web_model_probe, NULL, NULL, NULL },
	{ "api/v1/probes/*/buckets.csv", WEB_FMT_CSV, web_model_probe, NULL,
	  "buckets", "probe-buckets.csv" },
	{ "api/v1/errors", WEB_FMT_JSON, web_model_errors, NULL, NULL, NULL },
	{ "api/v1/errors.csv", WEB_FMT_CSV, web_model_errors, NULL, "errors",
	  "errors.csv" },
	{ "api/v1/report", WEB_FMT_JSON, web_model_report, NULL, NULL, NULL },
	{ "api/v1/report/slos.csv", WEB_FMT_CSV, web_model_report, NULL,
	  "slos", "report-slos.csv" },
	{ "api/v1/report/pipelines.csv", WEB_FMT_CSV, web_model_report, NULL,
	  "runs.by_pipeline", "report-pipelines.csv" },
	{ "api/v1/report/trends.csv", WEB_FMT_CSV, web_model_report, NULL,
	  "trends", "report-trends.csv" },
	{ "metrics", WEB_FMT_TEXT, NULL, NULL, NULL, NULL },
	{ NULL, WEB_FMT_HTML, NULL, NULL, NULL, NULL }
};

/* Index of the /metrics route in web_routes. */
#define WEB_ROUTE_METRICS \
	(sizeof web_routes / sizeof web_routes[0] - 2)

static const char *
format_type(enum web_format f)
{
	switch (f) {
	case WEB_FMT_JSON:
		return "application/json";
	case WEB_FMT_CSV:
		return "text/csv; charset=utf-8";
	case WEB_FMT_TEXT:
		return "text/plain; charset=utf-8";
	default:
		return "text/html; charset=utf-8";
	}
}

/* Splits r->path into segments; returns 0 for an invalid path. */
static int
split_path(struct web_req *r)
{
	char *p, *slash;

	if (r->path[0] != '/' || strlen(r->path) >= sizeof r->segbuf)
		return 0;
	snprintf(r->segbuf, sizeof r->segbuf, "%s", r->path + 1);
	r->n_segs = 0;
	p = r->segbuf;
	/* A trailing slash is ignored: "/runs/" is "/runs". */
	if (*p != '\0' && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	while (*p != '\0') {
		if (r->n_segs == WEB_SEGS_MAX)
			return 0;
		r->segs[r->n_segs++] = p;
		slash = strchr(p, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		p = slash + 1;
		if (*p == '\0')
			return 0;
	}
	return 1;
}

/* Tells whether the segments of r match pattern. */
static int
route_match(const struct web_req *r, const char *pattern)
{
	char buf[128], *save = NULL, *tok;
	size_t i = 0;

	snprintf(buf, sizeof buf, "%s", pattern);
	for (tok = strtok_r(buf, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save), i++) {
		if (i >= r->n_segs)
			return 0;
		if (strcmp(tok, "*") == 0 ? !web_name_ok(r->segs[i]) :
		    strcmp(tok, r->segs[i]) != 0)
			return 0;
	}
	return i == r->n_segs;
}

static const struct web_route *
route_find(const struct web_req *r)
{
	size_t i;

	for (i = 0; web_routes[i].pattern != NULL; i++) {
		if (route_match(r, web_routes[i].pattern))
			return &web_routes[i];
	}
	return NULL;
}

json_t *
web_fail(struct web_req *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->cacheable = 0;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	return NULL;
}

const char *
web_arg(const struct web_req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n_args; i++) {
		if (strcmp(r->args[i].key, key) == 0)
			return r->args[i].value;
	}
	return NULL;
}

/* Writes the error of a failed request in the format of its route. */
static void
render_error(struct web_req *r)
{
	json_t *o;
	char *text;

	buf_reset(&r->body);
	if (r->format == WEB_FMT_JSON) {
		o = json_pack("{s:i, s:o}", "status", r->status, "error",
		    wj_str(r->error));
		text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		buf_append_str(&r->body, text != NULL ? text : "{}");
		buf_append_str(&r->body, "\n");
		free(text);
		json_decref(o);
		return;
	}
	if (r->format == WEB_FMT_HTML) {
		web_page_error(r);
		return;
	}
	r->content_type = format_type(WEB_FMT_TEXT);
	buf_printf(&r->body, "%s\n", r->error);
}

/* Builds the response of a route from its model; runs on a worker. */
static void
answer_model(struct web_req *r, const struct web_route *route)
{
	json_t *m = route->model(r);
	char *text;
	int rc = WK_OK;

	if (m == NULL) {
		if (r->status < 400)
			web_fail(r, 500, "%s", WT(r, N_("reading the store failed")));
		render_error(r);
		return;
	}
	if (route->format == WEB_FMT_JSON) {
		text = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(15));
		rc = text != NULL ? buf_append_str(&r->body, text) : WK_ERR_NOMEM;
		if (rc == WK_OK)
			rc = buf_append_str(&r->body, "\n");
		free(text);
	} else if (route->format == WEB_FMT_CSV) {
		rc = web_csv(r, m, route->csv_key);
		snprintf(r->filename, sizeof r->filename, "%s", route->csv_name);
	} else {
		rc = route->render(r, m);
	}
	json_decref(m);
	if (rc != WK_OK) {
		web_fail(r, 500, "%s", WT(r, N_("the answer is too large or memory ran out")));
		render_error(r);
	}
}

void
web_route_run(struct web_req *r, const void *route_ptr)
{
	const struct web_route *route = route_ptr;

	r->status = 200;
	r->content_type = format_type(route->format);
	r->cacheable = 1;
	if (route == &web_routes[WEB_ROUTE_METRICS]) {
		r->cacheable = 0;
		if (web_metrics(r) != WK_OK) {
			web_fail(r, 500, "%s", WT(r, N_("reading the store failed")));
			render_error(r);
		}
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		return;
	}
	answer_model(r, route);
}

void
web_render_failure(struct web_req *r)
{
	render_error(r);
}

/* ---- responses ---- */

static void
add_common_headers(struct MHD_Response *resp, const char *type,
		   const char *lang, int no_store)
{
	netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    type);
	netlib_mhd.add_response_header(resp, "Content-Security-Policy",
	    WEB_CSP);
	netlib_mhd.add_response_header(resp, "X-Content-Type-Options",
	    "nosniff");
	netlib_mhd.add_response_header(resp, "X-Frame-Options", "DENY");
	netlib_mhd.add_response_header(resp, "Referrer-Policy", "no-referrer");
	netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    no_store ? "no-store" : "private, no-cache");
	netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_VARY,
	    "Accept-Language, Authorization, Cookie");
	if (lang != NULL)
		netlib_mhd.add_response_header(resp, "Content-Language", lang);
}

struct MHD_Response *
web_response_from(struct web_req *r)
{
	struct MHD_Response *resp;
	size_t len = r->body.len;
	char *data = buf_detach(&r->body);
	char disp[160];

	if (data == NULL)
		return NULL;
	resp = netlib_mhd.create_response_from_buffer(len, data,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(data);
		return NULL;
	}
	add_common_headers(resp, r->content_type != NULL ? r->content_type :
	    format_type(r->format), r->lang, !r->cacheable);
	if (r->filename[0] != '\0') {
		snprintf(disp, sizeof disp, "attachment; filename=\"%s\"",
		    r->filename);
		netlib_mhd.add_response_header(resp, "Content-Disposition",
		    disp);
	}
	if (r->lang_chosen && strcmp(r->lang, "ja") == 0)
		netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
		    "wk_lang=ja; Path=/; Max-Age=31536000; SameSite=Lax");
	else if (r->lang_chosen)
		netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
		    "wk_lang=en; Path=/; Max-Age=31536000; SameSite=Lax");
	if (r->status == 401)
		netlib_mhd.add_response_header(resp,
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Basic realm=\"watchkeep\", charset=\"UTF-8\"");
	if (r->status == 405)
		netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	return resp;
}

/* Sends a small response from the polling thread: errors, /healthz. */
int
web_answer_now(struct MHD_Connection *conn, struct web_req *r)
{
	struct MHD_Response *resp;
	int ok;

	if (r->status >= 400 && r->body.len == 0)
		render_error(r);
	resp = web_response_from(r);
	if (resp == NULL)
		return MHD_NO;
	ok = netlib_mhd.queue_response(conn, (unsigned)r->status, resp);
	netlib_mhd.destroy_response(resp);
	return ok;
}

static int
answer_static(struct MHD_Connection *conn, struct web_req *r)
{
	const char *type = NULL, *data;
	struct MHD_Response *resp;
	size_t len = 0;
	int ok;

	data = web_static_get(r->path, &type, &len);
	if (data == NULL)
		return -1;
	resp = netlib_mhd.create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	add_common_headers(resp, type, NULL, 0);
	netlib_mhd.del_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "private, no-cache");
	netlib_mhd.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "private, max-age=3600");
	ok = netlib_mhd.queue_response(conn, MHD_HTTP_OK, resp);
	netlib_mhd.destroy_response(resp);
	return ok;
}

/* ---- request intake ---- */

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
	    const char *value)
{
	struct web_req *r = cls;

	(void)kind;
	if (r->n_args == WEB_ARGS_MAX || key == NULL || strlen(key) >=
	    sizeof r->args[0].key)
		return MHD_YES;
	snprintf(r->args[r->n_args].key, sizeof r->args[0].key, "%s", key);
	snprintf(r->args[r->n_args].value, sizeof r->args[0].value, "%s",
	    value != NULL ? value : "");
	r->n_args++;
	return MHD_YES;
}

/* Picks the language: ?lang=, else the configuration, else the browser. */
static void
pick_language(struct MHD_Connection *conn, struct web_req *r,
	      const struct cfg_web *webcfg)
{
	const char *arg = web_arg(r, "lang");
	const char *header;
	char accept[WEB_LANG_HEADER_MAX];

	if (arg != NULL && (strcmp(arg, "en") == 0 || strcmp(arg, "ja") == 0)) {
		snprintf(r->lang, sizeof r->lang, "%s", arg);
		r->lang_chosen = 1;
		return;
	}
	arg = netlib_mhd.lookup_connection_value(conn, MHD_COOKIE_KIND,
	    "wk_lang");
	if (arg != NULL && (strcmp(arg, "en") == 0 || strcmp(arg, "ja") == 0)) {
		snprintf(r->lang, sizeof r->lang, "%s", arg);
		return;
	}
	if (strcmp(webcfg->language, "auto") != 0) {
		snprintf(r->lang, sizeof r->lang, "%s",
		    strcmp(webcfg->language, "ja") == 0 ? "ja" : "en");
		return;
	}
	header = netlib_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	snprintf(accept, sizeof accept, "%s", header != NULL ? header : "");
	snprintf(r->lang, sizeof r->lang, "%s", web_i18n_pick(accept));
}

/* Fills the request part of c from the connection; returns its route. */
int
web_intake(struct web_conn *c, struct MHD_Connection *conn, const char *url,
	   const char *method, const struct cfg_web *webcfg)
{
	struct web_req *r = &c->req;
	const char *auth;

	r->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	c->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	buf_init(&r->body, WEB_BODY_MAX);
	/* Error pages sent from the polling thread show this time in their
	 * footer. A worker sets it again before it reads the store. */
	r->now = clk_wall_ms();
	r->format = WEB_FMT_HTML;
	snprintf(r->lang, sizeof r->lang, "en");
	if (strlen(url) >= sizeof r->path) {
		r->status = 414;
		snprintf(r->error, sizeof r->error, "%s",
		    WT(r, N_("the request path is too long")));
		return -1;
	}
	snprintf(r->path, sizeof r->path, "%s", url);
	netlib_mhd.get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
	    collect_arg, r);
	pick_language(conn, r, webcfg);
	auth = netlib_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth != NULL && strlen(auth) < sizeof c->authorization)
		snprintf(c->authorization, sizeof c->authorization, "%s", auth);
	c->has_authorization = auth != NULL;
	return 0;
}

/* Sets r->format from the path, for the error pages of unknown routes. */
static void
guess_format(struct web_req *r)
{
	size_t len = strlen(r->path);

	if (strncmp(r->path, "/api/", 5) == 0)
		r->format = len > 4 && strcmp(r->path + len - 4, ".csv") == 0 ?
		    WEB_FMT_CSV : WEB_FMT_JSON;
	else if (strncmp(r->path, "/ping/", 6) == 0 ||
	    strcmp(r->path, "/metrics") == 0 || strcmp(r->path, "/healthz") == 0)
		r->format = WEB_FMT_TEXT;
}

/*
 * Decides what a request needs once its body is read: a response now
 * (returns 1 with r->status set), the static file (2), /healthz (3), a
 * ping (4) or a route (5, with *route set).
 */
int
web_classify(struct web_conn *c, const void **route)
{
	struct web_req *r = &c->req;
	const struct web_route *found;
	char shown[WEB_SHOW_MAX];

	guess_format(r);
	if (strncmp(r->path, "/static/", 8) == 0 ||
	    strcmp(r->path, "/favicon.ico") == 0)
		return 2;
	if (strcmp(r->path, "/healthz") == 0)
		return 3;
	if (strncmp(r->path, "/ping/", 6) == 0)
		return 4;
	if (c->post) {
		r->status = 405;
		snprintf(r->error, sizeof r->error, "%s",
		    WT(r, N_("only GET and HEAD are allowed here; POST is for /ping/ URLs")));
		return 1;
	}
	if (!split_path(r) || (found = route_find(r)) == NULL) {
		web_show_value(shown, sizeof shown, r->path);
		r->status = 404;
		snprintf(r->error, sizeof r->error,
		    WT(r, N_("there is no page at %s; start from the overview at /")),
		    shown);
		return 1;
	}
	r->format = found->format;
	*route = found;
	return 5;
}

int
web_answer_static(struct MHD_Connection *conn, struct web_req *r)
{
	int ok = answer_static(conn, r);

	if (ok >= 0)
		return ok;
	r->status = 404;
	snprintf(r->error, sizeof r->error, "%s",
	    WT(r, N_("no such file")));
	r->format = WEB_FMT_TEXT;
	return web_answer_now(conn, r);
}
