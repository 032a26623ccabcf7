/*
 * Shared by the files of web/: a request as the handlers see it, the
 * routes, and the helpers that build JSON models, HTML and SVG.
 *
 *   web_server.c   libmicrohttpd, authentication, the work queue, cache
 *   web_auth.c     basic authentication and bearer tokens
 *   web_i18n.c     per-request translation and Accept-Language
 *   web_util.c     periods, JSON values, escaping, number formats
 *   web_model*.c   the JSON models behind every page and API answer
 *   web_page*.c    the HTML pages, drawn from the same models
 *   web_svg.c      inline SVG charts
 *   web_csv.c      CSV export of a model's table
 *   web_metrics.c  the Prometheus text format
 *   web_report.c   the retrospective as plain text
 *   web_static.c   the stylesheet and script built into the binary
 *
 * A page and its API answer come from one model, so a chart draws the
 * values the API returns; every SVG mark carries them in data-* attributes.
 */
#ifndef WK_WEB_INT_H
#define WK_WEB_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/i18n.h"
#include "core/store.h"
#include "web/web.h"

#define WEB_PATH_MAX 1024          /* bytes of a request path */
#define WEB_SEGS_MAX 8             /* segments of a path */
#define WEB_ARGS_MAX 16            /* query arguments kept */
#define WEB_ARG_MAX 256            /* bytes of one argument value */
#define WEB_BODY_MAX (32 << 20)    /* bytes of one response */
#define WEB_RUNS_MAX 1000          /* runs in one answer */
#define WEB_MS_PER_DAY INT64_C(86400000)

/* What a route answers with. */
enum web_format {
	WEB_FMT_HTML,
	WEB_FMT_JSON,
	WEB_FMT_CSV,
	WEB_FMT_TEXT
};

/* One query argument, copied out of the connection. */
struct web_arg {
	char key[32];               /* argument name */
	char value[WEB_ARG_MAX];    /* decoded value, cut at WEB_ARG_MAX - 1 */
};

/* A period of time a page covers, [from, to). */
struct web_period {
	int64_t from;               /* ms since epoch */
	int64_t to;                 /* ms since epoch */
	char label[64];             /* "7d", or "2026-11-01..2026-11-07" */
};

struct web_req;

/* Builds the model of a route; returns NULL with the error set on r. */
typedef json_t *(*web_model_fn)(struct web_req *r);

/* Renders an HTML page (or text) from a model into r->body. */
typedef int (*web_render_fn)(struct web_req *r, json_t *model);

/* A request as handlers see it, and the response they fill. */
struct web_req {
	struct web_server *server;  /* back pointer */
	char path[WEB_PATH_MAX];    /* decoded path, without the query */
	char segbuf[WEB_PATH_MAX];  /* path split at '/', NUL-separated */
	const char *segs[WEB_SEGS_MAX];  /* into segbuf */
	size_t n_segs;              /* entries in segs */
	struct web_arg args[WEB_ARGS_MAX];  /* query arguments */
	size_t n_args;              /* entries in args */
	char lang[4];               /* "en" or "ja" */
	int lang_chosen;            /* lang came from ?lang=: remember it */
	enum web_format format;     /* of the answer */
	int head;                   /* HEAD request */
	/* what a worker uses */
	struct store *store;        /* the worker's read-only connection */
	const struct cfg *cfg;      /* held for the request; may be NULL */
	const struct cfg_web *webcfg; /* cfg's web section, or the defaults */
	int64_t now;                /* ms since epoch, when work started */
	/* the answer */
	int status;                 /* HTTP status */
	struct buf body;            /* the response body */
	const char *content_type;   /* static string */
	char filename[96];          /* Content-Disposition file name, or "" */
	int cacheable;              /* may be served again until the data changes */
	char error[512];            /* message of a failed request */
};

/* web_server.c */

/* Returns the value of query argument key, or NULL. */
const char *web_arg(const struct web_req *r, const char *key);

/* Returns the mode shown on the pages: "agent" or "standalone". */
const char *web_mode(const struct web_server *w);

/* Counters of the server for /metrics. */
struct web_stats {
	uint64_t requests;          /* requests answered */
	uint64_t errors;            /* answers with status 500 or 503 */
	uint64_t cache_hits;        /* answers served from the cache */
	uint64_t auth_failures;     /* 401 answers */
	uint64_t pings;             /* push pings accepted */
	int64_t started_at;         /* ms since epoch */
	int64_t store_checked_at;   /* last data_version poll, ms; 0: never */
	int64_t queue_length;       /* requests waiting for a worker */
};
void web_server_stats(struct web_server *w, struct web_stats *out);

/*
 * Fails the request with an HTTP status and a message for a person (in
 * the request's language); returns NULL for the model functions.
 */
json_t *web_fail(struct web_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* web_auth.c */

/*
 * Checks the Authorization header value against the users and tokens of
 * webcfg: returns 1 when the request may go on, 0 when not. A verified
 * password is remembered for a few minutes, so that the slow hash runs
 * once per session; without slow, a password not remembered returns -1
 * instead of being hashed. Thread-safe.
 */
int web_auth_check(const struct cfg_web *webcfg, const char *authorization,
		   int slow);

/* Forgets every remembered password, as after a configuration change. */
void web_auth_forget(void);

/* web_i18n.c */

/* Loads the catalogs of every page language; call once before threads. */
void web_i18n_init(void);

/* Returns the translation of msgid in lang, or msgid. Thread-safe. */
const char *web_tr(const char *lang, const char *msgid)
	__attribute__((format_arg(2)));

/*
 * Returns the form of a message for the count n in lang. English takes
 * singular when n is 1, else plural. Japanese has one form, the
 * translation of singular, or the English form when there is none. Mark
 * both texts with N_(). Thread-safe.
 */
const char *web_trn(const char *lang, const char *singular,
		    const char *plural, unsigned long n)
	__attribute__((format_arg(2))) __attribute__((format_arg(3)));

/* Picks "en" or "ja" from an Accept-Language header value (NULL: en). */
const char *web_i18n_pick(const char *accept_language);

/* web_util.c */

/*
 * Reads the period of a request: ?since=DURATION (default def_ms), or
 * ?from=YYYY-MM-DD&to=YYYY-MM-DD (to included). Returns WK_OK or fails r
 * with 400 and returns WK_ERR_INVALID.
 */
int web_period(struct web_req *r, int64_t def_ms, struct web_period *p);

/* A JSON string of s, with invalid UTF-8 and control characters replaced. */
json_t *wj_str(const char *s);

/* A JSON integer, or null when v is below zero (not known). */
json_t *wj_ms(int64_t v);

/* A JSON real, or null when v is NaN or infinite. */
json_t *wj_num(double v);

/* Sets key of obj to value (stolen); ignores a NULL value. */
void wj_set(json_t *obj, const char *key, json_t *value);

/* Reads a member as int64 (0 when missing or null) or double (NAN). */
int64_t wj_int(const json_t *obj, const char *key);
double wj_real(const json_t *obj, const char *key);
const char *wj_text(const json_t *obj, const char *key);

/*
 * Checks a name from a URL by the rule of pipeline and stage names in the
 * configuration: 1..63 bytes of valid UTF-8, not "." or "..", ASCII only
 * from [A-Za-z0-9_.-], and no controls, spaces or invisible characters.
 */
int web_name_ok(const char *s);

#define WEB_SHOW_MAX 96  /* bytes of a value shown in an error message */

/*
 * Copies value into out (size bytes, at least 8) for an error message:
 * invalid UTF-8, controls, '"' and '\\' become %XX, and a value cut to fit
 * ends in "...". HTML and JSON escaping still happen when it is rendered.
 */
void web_show_value(char *out, size_t size, const char *value);

/* Appends s to b with & < > " ' escaped and bad UTF-8 replaced. */
void web_esc(struct buf *b, const char *s);

/* Appends printf-style text, escaping nothing: for markup we write. */
void web_put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends escaped printf-style text. */
void web_putesc(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends s percent-encoded for a URL path segment or query value. */
void web_urlenc(struct buf *b, const char *s);

/* Writes ms since epoch as "2026-12-04 20:36 UTC" ("" for 0). */
void web_time(char *out, size_t size, int64_t ms);

/* Writes a duration in ms for people ("-" when below zero). */
void web_duration(char *out, size_t size, double ms);

/* Writes a fraction as a percentage with digits decimals ("-" for NaN). */
void web_percent(char *out, size_t size, double fraction, int digits);

/* Parses a run id of a URL; returns 0 when s is not one. */
int64_t web_parse_id(const char *s);

/* web_model.c and web_model_*.c: the models of the routes. */
json_t *web_model_status(struct web_req *r);
json_t *web_model_runs(struct web_req *r);
json_t *web_model_run(struct web_req *r);
json_t *web_model_trends(struct web_req *r);
json_t *web_model_slos(struct web_req *r);
json_t *web_model_slo(struct web_req *r);
json_t *web_model_incidents(struct web_req *r);
json_t *web_model_probes(struct web_req *r);
json_t *web_model_probe(struct web_req *r);
json_t *web_model_errors(struct web_req *r);
json_t *web_model_report(struct web_req *r);

/* web_page*.c: pages drawn from the models. */
int web_page_overview(struct web_req *r, json_t *m);
int web_page_runs(struct web_req *r, json_t *m);
int web_page_run(struct web_req *r, json_t *m);
int web_page_trends(struct web_req *r, json_t *m);
int web_page_slos(struct web_req *r, json_t *m);
int web_page_slo(struct web_req *r, json_t *m);
int web_page_incidents(struct web_req *r, json_t *m);
int web_page_probes(struct web_req *r, json_t *m);
int web_page_probe(struct web_req *r, json_t *m);
int web_page_errors(struct web_req *r, json_t *m);
int web_page_report(struct web_req *r, json_t *m);
int web_page_report_text(struct web_req *r, json_t *m);

/* web_page.c: the frame every page shares. */

/* Writes the document head, the navigation and the page title. */
void web_page_begin(struct web_req *r, const char *nav, const char *title);

/* Closes the document. */
void web_page_end(struct web_req *r);

/* Writes the error page of a failed request. */
void web_page_error(struct web_req *r);

/* Writes links to other periods of the same page (1d, 7d, 30d, 90d). */
void web_page_periods(struct web_req *r, const json_t *period);

/* Writes a link to the CSV export of the current page's table. */
void web_page_csv_link(struct web_req *r, const char *api_path);

/* Writes a state as a coloured badge. */
void web_page_state(struct web_req *r, const char *state);

/* Translates msgid in the request's language. */
#define WT(r, msgid) web_tr((r)->lang, (msgid))
#define WTN(r, singular, plural, n) \
	web_trn((r)->lang, (singular), (plural), (unsigned long)(n))

/* web_svg.c: charts. */

/* A horizontal line drawn across a chart (a limit or an objective). */
struct web_svg_rule {
	double y;            /* value */
	const char *label;   /* shown at the right end */
	const char *kind;    /* CSS class suffix: "limit", "objective", ... */
};

/* One series of a time chart: a member of each point of an array. */
struct web_svg_series {
	const char *name;    /* data-series attribute and legend text */
	const char *key;     /* member of each point holding the value */
	const char *kind;    /* CSS class suffix of the line */
	int dots;            /* draw a dot at every point */
	const json_t *points; /* its own points, or NULL: the chart's */
};

/* A time chart: x is member t_key (ms since epoch) of each point. */
struct web_svg_chart {
	const char *id;            /* data-chart attribute */
	const char *title;         /* <title> of the chart, for people */
	const json_t *points;      /* array of objects */
	const char *t_key;         /* member holding the time, ms */
	const struct web_svg_series *series;
	size_t n_series;
	const struct web_svg_rule *rules;
	size_t n_rules;
	int64_t t_from;            /* x range, ms */
	int64_t t_to;
	double y_min;              /* y range; y_max <= y_min: from the data */
	double y_max;
	const char *y_unit;        /* "ms", "%", "" */
	int percent;               /* y values are fractions shown as % */
};

/* Draws a time chart. */
void web_svg_time_chart(struct web_req *r, const struct web_svg_chart *c);

/*
 * Draws a Gantt chart of the attempts of a run (array of objects with
 * stage, attempt, state, started_at, ended_at) between t_from and t_to.
 */
void web_svg_gantt(struct web_req *r, const char *id, const json_t *attempts,
		   int64_t t_from, int64_t t_to, int compact);

/* Draws bars of (label_key, value_key) of each object; values 0..1. */
void web_svg_bars(struct web_req *r, const char *id, const json_t *items,
		  const char *label_key, const char *value_key, double target);

/* Draws the incidents of a period as bars from fired_at to resolved_at. */
void web_svg_incidents(struct web_req *r, const json_t *incidents,
		       int64_t t_from, int64_t t_to);

/* Draws a small line of numbers for a table cell. */
void web_svg_spark(struct web_req *r, const char *id, const json_t *points,
		   const char *key);

/* web_csv.c */

/*
 * Writes the array member key of model ("a.b": member b of member a) as
 * CSV into r->body.
 */
int web_csv(struct web_req *r, const json_t *model, const char *key);

/* web_metrics.c */

/* Writes /metrics into r->body. */
int web_metrics(struct web_req *r);

/* web_static.c */

/* Joins the stylesheet; call once before the server starts. */
void web_static_init(void);

/* Returns a built-in file by path ("/static/app.css"), or NULL. */
const char *web_static_get(const char *path, const char **content_type,
			   size_t *len);

/* web_report.c */

/* Writes the text form of a report model into out. */
int web_report_render(const json_t *m, const char *lang,
		      const char *base_url, struct buf *out);

#endif
