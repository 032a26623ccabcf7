/*
 * `watchkeep report`: the retrospective of a period (the last 7 days by
 * default) as text, the same as the web page's /report.txt, printed or
 * posted as one message to a receiver of the "alerting" section through
 * the alert engine's HTTP client.
 */
#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert_format.h"
#include "agent/alert_http.h"
#include "agent/alert_text.h"
#include "agent/cli.h"
#include "core/clock.h"
#include "core/config_web.h"
#include "core/i18n.h"
#include "web/web.h"

#define REPORT_TEXT_MAX (1 << 20)    /* bytes of the report text */
#define REPORT_DAY_MS INT64_C(86400000)
#define REPORT_PERIOD_MAX_DAYS 400

struct report_opts {
	struct cli_common common;
	int64_t from;              /* ms since epoch */
	int64_t to;                /* ms since epoch */
	const char *lang;          /* --lang, or NULL */
	const char *post;          /* --post RECEIVER, or NULL */
	const char *from_text;     /* --from as given */
	const char *to_text;       /* --to as given */
};

/* The receiver's response. */
struct report_post_state {
	struct ev_loop *loop;            /* stopped when the response came */
	struct alert_http_result result; /* the answer */
	int done;                        /* result is filled */
};

static void
report_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep report [OPTIONS]\n"
	    "\n"
	    "Prints the retrospective of a period: whether each SLO was kept,\n"
	    "the runs that failed, the incidents with the time to acknowledge\n"
	    "and to resolve them, the stages that grow slower, the errors that\n"
	    "keep coming back and the availability of the probes. The web page\n"
	    "shows the same report at /report.\n"
	    "\n"
	    "Options:\n"
	    "  --since DURATION    the period that ends now, such as 7d (default)\n"
	    "                      or 30d; units m, h, d, w\n"
	    "  --from DATE         first day (YYYY-MM-DD, UTC) instead of --since\n"
	    "  --to DATE           last day, included (default: today)\n"
	    "  --lang en|ja        language (default: the receiver's with --post,\n"
	    "                      else from the locale)\n"
	    "  --post RECEIVER     send the text as one message to a receiver of\n"
	    "                      the \"alerting\" section instead of printing it\n"
	    "  -c, --config FILE   configuration: objectives, receivers, state_dir\n"
	    "  --state-dir DIR     state directory\n"));
}

static int
report_since(struct report_opts *o, const char *v)
{
	const char *reason = NULL;
	size_t bad = 0;
	int64_t ms;

	if (clk_parse_duration(v, &ms, &bad, &reason) != WK_OK || ms <= 0 ||
	    ms > REPORT_PERIOD_MAX_DAYS * REPORT_DAY_MS)
		return cli_usage_error("report", _("invalid --since \"%s\"; give a duration from 1m to 400d, such as 7d"),
		    v);
	o->to = clk_wall_ms();
	o->from = o->to - ms;
	return CLI_EXIT_OK;
}

static int
report_dates(struct report_opts *o)
{
	int64_t from, to;

	if (clk_parse_date(o->from_text, &from) != WK_OK)
		return cli_usage_error("report", _("invalid --from \"%s\"; give a date as YYYY-MM-DD"),
		    o->from_text);
	to = clk_wall_ms() / REPORT_DAY_MS;
	if (o->to_text != NULL && clk_parse_date(o->to_text, &to) != WK_OK)
		return cli_usage_error("report", _("invalid --to \"%s\"; give a date as YYYY-MM-DD"),
		    o->to_text);
	if (to < from || to - from >= REPORT_PERIOD_MAX_DAYS)
		return cli_usage_error("report", _("--to must not be before --from, and the period at most 400 days"));
	o->from = from * REPORT_DAY_MS;
	o->to = (to + 1) * REPORT_DAY_MS;
	return CLI_EXIT_OK;
}

static int
report_option(int argc, char **argv, int *i, struct report_opts *o)
{
	const char *v;

	if ((v = cli_option_value("--since", argc, argv, i)) != NULL)
		return v[0] == '\0' ? CLI_EXIT_USAGE : report_since(o, v);
	if ((v = cli_option_value("--from", argc, argv, i)) != NULL)
		o->from_text = v;
	else if ((v = cli_option_value("--to", argc, argv, i)) != NULL)
		o->to_text = v;
	else if ((v = cli_option_value("--post", argc, argv, i)) != NULL)
		o->post = v;
	else if ((v = cli_option_value("--lang", argc, argv, i)) != NULL)
		o->lang = v;
	else
		return cli_usage_error("report", _("unexpected argument %s"),
		    argv[*i]);
	if (v[0] == '\0')
		return CLI_EXIT_USAGE;
	if (o->lang != NULL && strcmp(o->lang, "en") != 0 &&
	    strcmp(o->lang, "ja") != 0)
		return cli_usage_error("report", _("invalid --lang \"%s\"; use en or ja"),
		    o->lang);
	return CLI_EXIT_OK;
}

static int
report_parse(int argc, char **argv, struct report_opts *o)
{
	int i, n, code = CLI_EXIT_OK;

	code = report_since(o, "7d");
	for (i = 1; code == CLI_EXIT_OK && i < argc; i++) {
		n = cli_common_option(&o->common, argc, argv, &i);
		if (n < 0)
			return CLI_EXIT_USAGE;
		if (n > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			report_help();
			return -1;
		}
		code = report_option(argc, argv, &i, o);
	}
	if (code == CLI_EXIT_OK && o->from_text != NULL)
		code = report_dates(o);
	else if (code == CLI_EXIT_OK && o->to_text != NULL)
		code = cli_usage_error("report", _("--to needs --from"));
	return code;
}

/* ---- posting ---- */

static const struct cfg_alert_receiver *
report_receiver(const struct cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; cfg != NULL && i < cfg->alerting.n_receivers; i++) {
		if (strcmp(cfg->alerting.receivers[i].name, name) == 0)
			return &cfg->alerting.receivers[i];
	}
	fprintf(stderr, _("watchkeep report: no receiver \"%s\" in the \"alerting\" section of %s\n"),
	    name, cfg != NULL ? cfg->path : _("the configuration (give -c FILE)"));
	return NULL;
}

/* Fits text for a platform: escaped, cut with a marker, as a JSON string. */
static json_t *
report_fit(const char *text, size_t limit, enum alert_esc esc,
	   enum alert_unit unit)
{
	struct buf b;
	json_t *s;

	buf_init(&b, REPORT_TEXT_MAX * 2);
	alert_fit(&b, text, limit, esc, unit, "\n...");
	s = json_string(b.data != NULL ? b.data : "");
	buf_free(&b);
	return s;
}

/* The request body of the report for the receiver's platform. */
static json_t *
report_body(const struct cfg_alert_receiver *r, const char *text)
{
	switch (r->type) {
	case CFG_ALERT_SLACK:
		return json_pack("{s:o}", "text", report_fit(text, 39000,
		    ALERT_ESC_SLACK, ALERT_UNIT_CHARS));
	case CFG_ALERT_MATTERMOST:
		return json_pack("{s:o}", "text", report_fit(text,
		    ALERT_MATTERMOST_TEXT_MAX, ALERT_ESC_MD, ALERT_UNIT_CHARS));
	case CFG_ALERT_DISCORD:
		return json_pack("{s:o, s:{s:[]}}", "content", report_fit(text,
		    ALERT_DISCORD_CONTENT_MAX, ALERT_ESC_MD, ALERT_UNIT_CHARS),
		    "allowed_mentions", "parse");
	case CFG_ALERT_TEAMS:
		return json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, "
		    "s:[{s:s, s:[{s:s, s:o}]}]}}]}", "type", "message",
		    "attachments", "contentType",
		    "application/vnd.microsoft.card.adaptive", "contentUrl",
		    "content", "$schema",
		    "http://adaptivecards.io/schemas/adaptive-card.json", "type",
		    "AdaptiveCard", "version", "1.4", "body", "type",
		    "RichTextBlock", "inlines", "type", "TextRun", "text",
		    report_fit(text, ALERT_TEAMS_BYTES_MAX - 1000, ALERT_ESC_NONE,
		    ALERT_UNIT_BYTES));
	case CFG_ALERT_GOOGLE_CHAT:
		return json_pack("{s:o}", "text", report_fit(text,
		    ALERT_GCHAT_BYTES_MAX - 100, ALERT_ESC_NONE, ALERT_UNIT_BYTES));
	case CFG_ALERT_JSON:
		return json_pack("{s:s, s:o}", "type", "report", "text",
		    report_fit(text, ALERT_BODY_MAX / 2, ALERT_ESC_NONE,
		    ALERT_UNIT_BYTES));
	default:
		return NULL;
	}
}

static void
report_post_done(const struct alert_http_result *res, void *arg)
{
	struct report_post_state *s = arg;

	s->result = *res;
	s->done = 1;
	ev_stop(s->loop);
}

static int
report_send(const struct cfg_alert_receiver *r, const char *body,
	    struct report_post_state *s)
{
	struct alert_http_req req;
	struct alert_http *http;
	char idem[64];
	int rc;

	s->loop = ev_loop_new();
	http = s->loop != NULL ? alert_http_new(s->loop) : NULL;
	if (http == NULL) {
		ev_loop_free(s->loop);
		return WK_ERR_NOMEM;
	}
	snprintf(idem, sizeof idem, "watchkeep-report-%lld",
	    (long long)clk_wall_ms());
	memset(&req, 0, sizeof req);
	req.receiver = r->name;
	req.url = r->url;
	req.body = body;
	req.idempotency_key = idem;
	req.timeout_ms = r->timeout_ms;
	rc = alert_http_send(http, &req, report_post_done, s);
	if (rc == WK_OK)
		rc = ev_run(s->loop);
	alert_http_free(http);
	ev_loop_free(s->loop);
	return rc;
}

static int
report_post(const struct cfg_alert_receiver *r, const char *text)
{
	struct report_post_state s;
	json_t *body = report_body(r, text);
	char *payload;
	int code = CLI_EXIT_FAILED;

	if (body == NULL) {
		fprintf(stderr, _("watchkeep report: receiver %s is an Alertmanager, which takes alerts, not reports; choose a chat receiver\n"),
		    r->name);
		return CLI_EXIT_USAGE;
	}
	payload = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	memset(&s, 0, sizeof s);
	if (payload == NULL || report_send(r, payload, &s) != WK_OK || !s.done)
		fprintf(stderr, _("watchkeep report: cannot send to %s\n"),
		    r->name);
	else if (s.result.status >= 200 && s.result.status <= 299) {
		printf(_("report sent to %s (%s): HTTP %ld\n"), r->name,
		    s.result.host, s.result.status);
		code = CLI_EXIT_OK;
	} else {
		fprintf(stderr, _("watchkeep report: receiver %s (%s) failed: HTTP %ld %s\n"),
		    r->name, s.result.host, s.result.status, s.result.error);
	}
	free(payload);
	return code;
}

/* The language: --lang, else the receiver's, else the locale's. */
static const char *
report_lang(const struct report_opts *o,
	    const struct cfg_alert_receiver *r)
{
	const char *loc = setlocale(LC_MESSAGES, NULL);

	if (o->lang != NULL)
		return o->lang;
	if (r != NULL)
		return r->language;
	return loc != NULL && strncmp(loc, "ja", 2) == 0 ? "ja" : "en";
}

/* The page's public URL: "web"."base_url", else "alerting"."base_url". */
static const char *
report_base_url(const struct cfg *cfg)
{
	if (cfg == NULL)
		return NULL;
	return cfg->web.base_url != NULL ? cfg->web.base_url :
	    cfg->alerting.base_url;
}

int
cmd_report(int argc, char **argv)
{
	const struct cfg_alert_receiver *r = NULL;
	struct report_opts o;
	struct store *store;
	struct cfg *cfg = NULL;
	struct buf text;
	int code;

	memset(&o, 0, sizeof o);
	code = report_parse(argc, argv, &o);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	store = cli_open_store(&o.common, &cfg);
	if (store == NULL)
		return CLI_EXIT_STATE;
	/* Without -c, the objectives are those of the agent's default. */
	if (cfg == NULL && (cfg = cli_load_config(&o.common)) == NULL) {
		store_close(store);
		return CLI_EXIT_CONFIG;
	}
	if (o.post != NULL && (r = report_receiver(cfg, o.post)) == NULL) {
		store_close(store);
		cfg_free(cfg);
		return CLI_EXIT_USAGE;
	}
	buf_init(&text, REPORT_TEXT_MAX);
	if (web_report_text(store, cfg, o.from, o.to, report_lang(&o, r),
	    report_base_url(cfg), &text) != WK_OK) {
		fprintf(stderr, "%s\n", _("watchkeep report: reading the store failed"));
		code = CLI_EXIT_STATE;
	} else if (r != NULL) {
		code = report_post(r, text.data);
	} else {
		fputs(text.data, stdout);
	}
	buf_free(&text);
	store_close(store);
	cfg_free(cfg);
	web_text_cleanup();
	alert_text_cleanup();
	return code;
}
