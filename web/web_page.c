/*
 * The frame every page shares: head, navigation, language switch,
 * period links, error page. Every value that comes from the store or the
 * request is written through web_esc(); nothing else may be appended raw.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "generated/paths.h"
#include "web/web_int.h"
#include "web/web_page.h"

/* The navigation: path, nav id and label. */
static const struct {
	const char *path;   /* link target */
	const char *id;     /* nav id of a page */
	const char *label;  /* marked for translation */
} web_nav[] = {
	{ "/", "overview", N_("Overview") },
	{ "/slos", "slos", N_("SLOs") },
	{ "/runs", "runs", N_("Runs") },
	{ "/incidents", "incidents", N_("Incidents") },
	{ "/probes", "probes", N_("Probes") },
	{ "/errors", "errors", N_("Errors") },
	{ "/report", "report", N_("Report") },
};

/* Appends the query of the request with key replaced by value (NULL:
 * removed), as "?a=1&b=2", escaped for an attribute. */
void
web_page_query(struct web_req *r, const char *key, const char *value)
{
	struct buf q;
	size_t i;

	buf_init(&q, WEB_PATH_MAX * 2);
	for (i = 0; i < r->n_args; i++) {
		if (strcmp(r->args[i].key, key) == 0 ||
		    strcmp(r->args[i].key, "lang") == 0 ||
		    (strcmp(key, "since") == 0 &&
		    (strcmp(r->args[i].key, "from") == 0 ||
		    strcmp(r->args[i].key, "to") == 0)))
			continue;
		buf_append_str(&q, q.len == 0 ? "?" : "&");
		web_urlenc(&q, r->args[i].key);
		buf_append_str(&q, "=");
		web_urlenc(&q, r->args[i].value);
	}
	if (value != NULL) {
		buf_append_str(&q, q.len == 0 ? "?" : "&");
		web_urlenc(&q, key);
		buf_append_str(&q, "=");
		web_urlenc(&q, value);
	}
	web_esc(&r->body, q.data != NULL ? q.data : "");
	buf_free(&q);
}

void
web_page_begin(struct web_req *r, const char *nav, const char *title)
{
	struct buf *b = &r->body;
	size_t i;

	web_put(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset="
	    "\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><title>", r->lang);
	web_esc(b, title);
	web_put(b, " - watchkeep</title><link rel=\"stylesheet\" "
	    "href=\"/static/app.css\"><link rel=\"icon\" type=\"image/svg+xml\" "
	    "href=\"/static/icon.svg\"><script src=\"/static/app.js\" defer>"
	    "</script></head>\n<body data-page=\"%s\"%s><header><a "
	    "class=\"brand\" href=\"/\">watchkeep</a><nav>", nav,
	    strcmp(nav, "overview") == 0 ? " data-refresh=\"60\"" : "");
	for (i = 0; i < sizeof web_nav / sizeof web_nav[0]; i++) {
		web_put(b, "<a href=\"%s\"%s>", web_nav[i].path,
		    strcmp(nav, web_nav[i].id) == 0 ?
		    " aria-current=\"page\"" : "");
		web_esc(b, WT(r, web_nav[i].label));
		web_put(b, "</a>");
	}
	web_put(b, "</nav><span class=\"lang\"><a href=\"");
	web_page_query(r, "lang", "en");
	web_put(b, "\" hreflang=\"en\">English</a> <a href=\"");
	web_page_query(r, "lang", "ja");
	web_put(b, "\" hreflang=\"ja\">\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"
	    "</a></span></header>\n<main><h1>");
	web_esc(b, title);
	web_put(b, "</h1>\n");
}

void
web_page_end(struct web_req *r)
{
	char when[40];

	web_time(when, sizeof when, r->now);
	web_put(&r->body, "</main>\n<footer>");
	web_putesc(&r->body, WT(r, N_("watchkeep %s, generated %s")),
	    WK_VERSION, when);
	web_put(&r->body, "</footer></body></html>\n");
}

void
web_page_error(struct web_req *r)
{
	char title[64];

	r->content_type = "text/html; charset=utf-8";
	snprintf(title, sizeof title, WT(r, N_("Error %d")), r->status);
	web_page_begin(r, "error", title);
	web_put(&r->body, "<p class=\"error\">");
	web_esc(&r->body, r->error);
	web_put(&r->body, "</p>\n");
	web_page_end(r);
}

void
web_page_periods(struct web_req *r, const json_t *period)
{
	static const char *const spans[] = { "1d", "7d", "30d", "90d" };
	const char *label = wj_text(period, "label");
	char from[40], to[40];
	size_t i;

	web_put(&r->body, "<p class=\"period\">");
	web_time(from, sizeof from, wj_int(period, "from"));
	web_time(to, sizeof to, wj_int(period, "to"));
	web_putesc(&r->body, WT(r, N_("From %s to %s.")), from, to);
	web_put(&r->body, " <span class=\"spans\">");
	for (i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		web_put(&r->body, "<a href=\"");
		web_page_query(r, "since", spans[i]);
		web_put(&r->body, "\"%s>%s</a> ", strcmp(label, spans[i]) == 0 ?
		    " aria-current=\"true\"" : "", spans[i]);
	}
	web_put(&r->body, "</span></p>\n");
}

void
web_page_csv_link(struct web_req *r, const char *api_path)
{
	web_put(&r->body, "<p class=\"export\"><a href=\"");
	web_esc(&r->body, api_path);
	web_page_query(r, "lang", NULL);
	web_put(&r->body, "\" download>");
	web_esc(&r->body, WT(r, N_("Download as CSV")));
	web_put(&r->body, "</a></p>\n");
}

/* The label of a state, translated; unknown states are shown as they are. */
static const char *
state_label(struct web_req *r, const char *state)
{
	static const struct { const char *state, *label; } labels[] = {
		{ "succeeded", N_("succeeded") }, { "failed", N_("failed") },
		{ "running", N_("running") }, { "timed_out", N_("timed out") },
		{ "not_run", N_("not run") }, { "skipped", N_("skipped") },
		{ "pending", N_("pending") }, { "retry_wait", N_("retry wait") },
		{ "queued", N_("queued") },
		{ "out_of_memory", N_("out of memory") },
		{ "firing", N_("firing") }, { "resolved", N_("resolved") },
		{ "up", N_("up") }, { "down", N_("down") },
		{ "unknown", N_("unknown") }, { "ok", N_("ok") },
		{ "no_data", N_("no data") }, { "ticket", N_("ticket") },
		{ "page", N_("page") }, { "data_error", N_("data error") },
		{ "not_evaluated", N_("not evaluated") },
	};
	size_t i;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		if (strcmp(labels[i].state, state) == 0)
			return WT(r, labels[i].label);
	}
	return state;
}

void
web_page_state(struct web_req *r, const char *state)
{
	char cls[24];
	size_t i;

	/* The class is the state reduced to [a-z_], so it is never markup. */
	for (i = 0; state[i] != '\0' && i + 1 < sizeof cls; i++)
		cls[i] = (state[i] >= 'a' && state[i] <= 'z') ? state[i] : '_';
	cls[i] = '\0';
	web_put(&r->body, "<span class=\"state s-%s\">", cls);
	web_esc(&r->body, state_label(r, state));
	web_put(&r->body, "</span>");
}

void
web_page_time(struct web_req *r, int64_t ms)
{
	char text[40];

	if (ms <= 0) {
		web_put(&r->body, "-");
		return;
	}
	web_time(text, sizeof text, ms);
	web_put(&r->body, "<time data-ms=\"%lld\">%s</time>", (long long)ms,
	    text);
}

void
web_page_ms(struct web_req *r, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char text[40];

	if (!json_is_number(v)) {
		web_put(&r->body, "-");
		return;
	}
	web_duration(text, sizeof text, json_number_value(v));
	web_esc(&r->body, text);
}

void
web_page_pct(struct web_req *r, const json_t *o, const char *key, int digits)
{
	json_t *v = json_object_get(o, key);
	char text[40];

	web_percent(text, sizeof text, json_is_number(v) ?
	    json_number_value(v) : NAN, digits);
	web_esc(&r->body, text);
}

void
web_page_link(struct web_req *r, const char *prefix, const char *name,
	      const char *text)
{
	web_put(&r->body, "<a href=\"%s", prefix);
	web_urlenc(&r->body, name);
	web_put(&r->body, "\">");
	web_esc(&r->body, text != NULL ? text : name);
	web_put(&r->body, "</a>");
}

void
web_page_section(struct web_req *r, const char *title)
{
	web_put(&r->body, "<h2>");
	web_esc(&r->body, title);
	web_put(&r->body, "</h2>\n");
}

void
web_page_th(struct web_req *r, const char *const *labels, size_t n)
{
	size_t i;

	web_put(&r->body, "<thead><tr>");
	for (i = 0; i < n; i++) {
		web_put(&r->body, "<th>");
		web_esc(&r->body, WT(r, labels[i]));
		web_put(&r->body, "</th>");
	}
	web_put(&r->body, "</tr></thead>\n");
}

void
web_page_empty(struct web_req *r, const char *text)
{
	web_put(&r->body, "<p class=\"empty\">");
	web_esc(&r->body, text);
	web_put(&r->body, "</p>\n");
}
