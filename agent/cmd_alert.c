/*
 * `watchkeep test-alert RECEIVER`: sends a sample message through the real
 * format and delivery code and reports the HTTP status.
 * `watchkeep alerts`: lists the alerts kept in the store, read-only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/alert_format.h"
#include "agent/alert_http.h"
#include "agent/alert_text.h"
#include "agent/cli.h"
#include "agent/statedir.h"
#include "agent/table.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/store_alerts.h"


struct test_alert_state {
	struct ev_loop *loop;            /* stopped when the answer came */
	struct alert_http_result result; /* the answer */
	int done;                        /* result is filled */
};

static void
test_alert_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep test-alert RECEIVER [OPTIONS]\n"
	    "\n"
	    "Sends a sample alert to RECEIVER, a receiver of the \"alerting\"\n"
	    "section, in its format and language, and prints the HTTP status.\n"
	    "Exits with 0 when the receiver answered 2xx.\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE   configuration with the receiver\n"));
}

static void
test_alert_done(const struct alert_http_result *res, void *arg)
{
	struct test_alert_state *s = arg;

	s->result = *res;
	s->done = 1;
	ev_stop(s->loop);
}

/* Formats the sample alert for receiver r into body. */
static int
test_alert_body(const struct cfg *cfg, const struct cfg_alert_receiver *r,
		struct buf *body)
{
	static struct alert_label labels[] = {
		{ "pipeline", "example" }, { "stage", "train" }, { "run", "0" },
	};
	struct alert_message msg;
	struct alert_view v;
	int64_t now = clk_wall_ms();
	char idem[64];

	memset(&v, 0, sizeof v);
	v.fingerprint = "0000000000000000";
	v.source = ALERT_SRC_STAGE_FAILED;
	v.severity = ALERT_SEV_INFO;
	v.labels = labels;
	v.n_labels = 3;
	v.summary = _("test message from watchkeep: this receiver works");
	v.details = "ERROR: <sample> error line & *markup* `code`\n"
	    "second line";
	v.budget_left = -1;
	v.link = "/alerts";
	v.firing = 1;
	v.fired_at = now;
	v.ack_uid = -1;
	v.ack_comment = "";
	snprintf(idem, sizeof idem, "test-%lld", (long long)now);
	memset(&msg, 0, sizeof msg);
	msg.receiver = r;
	msg.base_url = cfg->alerting.base_url;
	msg.group_key = "test";
	msg.idempotency_key = idem;
	msg.alerts = &v;
	msg.n_alerts = 1;
	msg.now = now;
	return alert_format(&msg, body);
}

static const struct cfg_alert_receiver *
find_receiver(const struct cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->alerting.n_receivers; i++) {
		if (strcmp(cfg->alerting.receivers[i].name, name) == 0)
			return &cfg->alerting.receivers[i];
	}
	fprintf(stderr, _("watchkeep test-alert: no receiver \"%s\" in %s; "
	    "the receivers are:"), name, cfg->path);
	for (i = 0; i < cfg->alerting.n_receivers; i++)
		fprintf(stderr, " %s", cfg->alerting.receivers[i].name);
	fprintf(stderr, "%s\n", i == 0 ? _(" none (add an \"alerting\" "
	    "section)") : "");
	return NULL;
}

/* Sends body to r on a loop of its own; fills s. */
static int
test_alert_send(const struct cfg_alert_receiver *r, const char *body,
		struct test_alert_state *s)
{
	char url[CFG_ALERT_URL_MAX + 32];
	struct alert_http_req req;
	struct alert_http *http;
	int rc;

	s->loop = ev_loop_new();
	http = s->loop != NULL ? alert_http_new(s->loop) : NULL;
	if (http == NULL) {
		ev_loop_free(s->loop);
		return WK_ERR_NOMEM;
	}
	snprintf(url, sizeof url, "%s%s", r->url,
	    alert_format_url_suffix(r->type));
	memset(&req, 0, sizeof req);
	req.receiver = r->name;
	req.url = url;
	req.body = body;
	req.idempotency_key = "watchkeep-test-alert";
	req.timeout_ms = r->timeout_ms;
	rc = alert_http_send(http, &req, test_alert_done, s);
	if (rc == WK_OK)
		rc = ev_run(s->loop);
	alert_http_free(http);
	ev_loop_free(s->loop);
	return rc;
}

int
cmd_test_alert(int argc, char **argv)
{
	struct cli_common common;
	const struct cfg_alert_receiver *r;
	struct test_alert_state s;
	const char *name = NULL;
	struct cfg *cfg;
	struct buf body;
	int i, n, code = CLI_EXIT_FAILED;

	memset(&common, 0, sizeof common);
	for (i = 1; i < argc; i++) {
		n = cli_common_option(&common, argc, argv, &i);
		if (n < 0)
			return CLI_EXIT_USAGE;
		if (n > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			test_alert_help();
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-' || name != NULL)
			return cli_usage_error("test-alert", _("unexpected "
			    "argument %s"), argv[i]);
		name = argv[i];
	}
	if (name == NULL)
		return cli_usage_error("test-alert", _("name the receiver to "
		    "test"));
	cfg = cli_load_config(&common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	r = find_receiver(cfg, name);
	if (r == NULL) {
		cfg_free(cfg);
		return CLI_EXIT_USAGE;
	}

	buf_init(&body, ALERT_BODY_MAX);
	memset(&s, 0, sizeof s);
	if (test_alert_body(cfg, r, &body) != WK_OK ||
	    test_alert_send(r, body.data, &s) != WK_OK || !s.done) {
		fprintf(stderr, _("watchkeep test-alert: cannot send to %s\n"),
		    r->name);
	} else if (s.result.status >= 200 && s.result.status <= 299) {
		printf(_("receiver %s (%s): HTTP %ld in %lld ms\n"), r->name,
		    s.result.host, s.result.status,
		    (long long)s.result.elapsed_ms);
		code = CLI_EXIT_OK;
	} else {
		printf(_("receiver %s (%s): failed after %lld ms: %s\n"),
		    r->name, s.result.host, (long long)s.result.elapsed_ms,
		    s.result.error);
	}
	buf_free(&body);
	cfg_free(cfg);
	alert_text_cleanup();
	return code;
}

/* ---- watchkeep alerts ---- */

struct alerts_opts {
	struct cli_common common;
	int all;                   /* --all: resolved alerts too */
};

struct alerts_list {
	struct table *table;       /* text output, or NULL */
	json_t *json;              /* JSON output, or NULL */
	int64_t now;               /* ms since epoch */
};

static void
alerts_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep alerts [OPTIONS]\n"
	    "\n"
	    "Lists the pending and firing alerts kept in the store, read-only,\n"
	    "with their fingerprint, state, severity, source, labels and\n"
	    "summary, and the state of the message outbox.\n"
	    "\n"
	    "Options:\n"
	    "  --all               also list resolved alerts\n"
	    "  --json              print the alerts as JSON\n"
	    "  -c, --config FILE   configuration, for its state_dir\n"
	    "  --state-dir DIR     state directory\n"));
}

static int
alerts_parse(int argc, char **argv, struct alerts_opts *opts)
{
	int i, n;

	for (i = 1; i < argc; i++) {
		n = cli_common_option(&opts->common, argc, argv, &i);
		if (n < 0)
			return CLI_EXIT_USAGE;
		if (n > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			alerts_help();
			return -1;
		}
		if (strcmp(argv[i], "--all") == 0)
			opts->all = 1;
		else
			return cli_usage_error("alerts", _("unexpected argument "
			    "%s"), argv[i]);
	}
	return CLI_EXIT_OK;
}

static struct store *
alerts_open(const struct alerts_opts *opts)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	struct statedir sd;
	struct stat st;

	if (opts->common.config_path != NULL &&
	    (cfg = cli_load_config(&opts->common)) == NULL)
		return NULL;
	if (statedir_resolve(&sd, opts->common.state_dir, cfg, &err) != WK_OK)
		goto fail;
	if (stat(sd.store_path, &st) != 0) {
		wk_err_set(&err, WK_ERR_NOTFOUND, _("no store yet: %s does not "
		    "exist; start the agent first"), sd.store_path);
		goto fail;
	}
	if (store_open(sd.store_path, STORE_READ_ONLY, &store, &err) != WK_OK)
		goto fail;
	cfg_free(cfg);
	return store;

fail:
	fprintf(stderr, "watchkeep: %s\n", err.msg);
	cfg_free(cfg);
	return NULL;
}

/* Writes the labels JSON object as "name=value name=value". */
static void
labels_text(const char *labels, char *out, size_t size)
{
	json_t *o = json_loads(labels, 0, NULL);
	const char *key;
	json_t *value;
	size_t len = 0;

	out[0] = '\0';
	json_object_foreach(o, key, value) {
		if (len < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s=%s",
			    len > 0 ? " " : "", key, json_string_value(value));
	}
	json_decref(o);
}

static int
alerts_row(const struct store_alert *a, void *arg)
{
	struct alerts_list *l = arg;
	char since[64], labels[TABLE_CELL_MAX];
	const char *cells[6];
	json_t *o;

	if (l->json != NULL) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, "
		    "s:I}", "fingerprint", a->fingerprint, "state", a->state,
		    "severity", a->severity, "source", a->source, "labels",
		    json_loads(a->labels, 0, NULL), "summary", a->summary,
		    "details", a->details, "active_since",
		    (json_int_t)a->active_since, "fired_at",
		    (json_int_t)a->fired_at, "resolved_at",
		    (json_int_t)a->resolved_at);
		if (o != NULL && a->ack_uid >= 0)
			json_object_set_new(o, "acknowledged", json_pack("{s:I,"
			    " s:s}", "uid", (json_int_t)a->ack_uid, "comment",
			    a->ack_comment));
		json_array_append_new(l->json, o);
		return WK_OK;
	}
	alert_format_time(since, sizeof since, a->fired_at != 0 ? a->fired_at :
	    a->active_since);
	labels_text(a->labels, labels, sizeof labels);
	cells[0] = a->fingerprint;
	cells[1] = a->state;
	cells[2] = a->severity;
	cells[3] = since;
	cells[4] = labels;
	cells[5] = a->summary;
	table_add(l->table, cells);
	return WK_OK;
}

static void
alerts_outbox_line(struct store *store)
{
	size_t pending = 0, failed = 0;

	if (store_outbox_count(store, STORE_OUTBOX_PENDING, &pending) ==
	    WK_OK && store_outbox_count(store, STORE_OUTBOX_FAILED, &failed) ==
	    WK_OK)
		printf(P_("Outbox: %zu message waiting, %zu given up.\n",
		    "Outbox: %zu messages waiting, %zu given up.\n", pending),
		    pending, failed);
}

static int
alerts_print(struct store *store, const struct alerts_opts *opts)
{
	static const char *const headers[] = { N_("FINGERPRINT"), N_("STATE"),
		N_("SEVERITY"), N_("SINCE"), N_("LABELS"), N_("SUMMARY") };
	const char *h[6];
	struct alerts_list l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof l);
	if (opts->common.json) {
		l.json = json_array();
		rc = store_alerts_each(store, opts->all, alerts_row, &l);
		if (rc == WK_OK) {
			json_dumpf(l.json, stdout, JSON_INDENT(2));
			printf("\n");
		}
		json_decref(l.json);
		return rc;
	}
	l.table = malloc(sizeof *l.table);
	if (l.table == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < 6; i++)
		h[i] = _(headers[i]);
	table_init(l.table, 6, h);
	rc = store_alerts_each(store, opts->all, alerts_row, &l);
	if (rc == WK_OK && l.table->nrows <= 1)
		printf("%s\n", _("No alerts."));
	else if (rc == WK_OK)
		table_print(l.table, stdout, 0);
	if (rc == WK_OK)
		alerts_outbox_line(store);
	free(l.table);
	return rc;
}

int
cmd_alerts(int argc, char **argv)
{
	struct alerts_opts opts;
	struct store *store;
	int code, rc;

	memset(&opts, 0, sizeof opts);
	code = alerts_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	store = alerts_open(&opts);
	if (store == NULL)
		return CLI_EXIT_STATE;
	rc = alerts_print(store, &opts);
	store_close(store);
	if (rc != WK_OK) {
		fprintf(stderr, _("watchkeep: reading the store failed: %s\n"),
		    wk_rc_name(rc));
		return CLI_EXIT_STATE;
	}
	return CLI_EXIT_OK;
}
