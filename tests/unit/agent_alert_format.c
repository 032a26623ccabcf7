/*
 * Unit tests of the alert message formats: the JSON of every platform
 * field by field, escaping, UTF-8-safe truncation within each platform's
 * limits, per-receiver translation and Retry-After parsing.
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
#include <jansson.h>

#include "agent/alert_format.h"
#include "agent/alert_http.h"
#include "agent/alert_text.h"

#define NOW INT64_C(1796400000000)   /* 2026-12-04T16:00:00Z */
#define MARKER " \xE2\x80\xA6 [truncated]"

static char locale_dir[] = "/tmp/wk-alert-locale-XXXXXX";

static struct alert_label labels[] = {
	{ "pipeline", "churn" }, { "stage", "train" }, { "run", "12" },
};

static struct cfg_alert_receiver receiver(enum cfg_alert_type type,
					  const char *lang)
{
	struct cfg_alert_receiver r;

	memset(&r, 0, sizeof r);
	r.name = (char *)"team";
	r.type = type;
	r.url = (char *)"http://127.0.0.1:9/hook";
	r.language = (char *)lang;
	r.timeout_ms = 1000;
	return r;
}

static struct alert_view
view(const char *details, int firing)
{
	struct alert_view v;

	memset(&v, 0, sizeof v);
	v.fingerprint = "0123456789abcdef";
	v.source = ALERT_SRC_STAGE_FAILED;
	v.severity = ALERT_SEV_PAGE;
	v.labels = labels;
	v.n_labels = 3;
	v.summary = "exit status 3 <x> & *y*";
	v.details = details;
	v.budget_left = 0.25;
	v.link = "/runs/12";
	v.firing = firing;
	v.fired_at = NOW - 3720000;
	v.resolved_at = firing ? 0 : NOW;
	v.ack_uid = -1;
	v.ack_comment = "";
	return v;
}

/* Formats the views for a receiver and parses the body back. */
static json_t *
format(enum cfg_alert_type type, const char *lang,
       const struct alert_view *views, size_t n, size_t *bytes)
{
	struct cfg_alert_receiver r = receiver(type, lang);
	struct alert_message msg;
	json_error_t jerr;
	struct buf body;
	json_t *j;

	memset(&msg, 0, sizeof msg);
	msg.receiver = &r;
	msg.base_url = "https://wk.example.com/";
	msg.group_key = "pipeline=churn,run=12";
	msg.idempotency_key = "key-1";
	msg.alerts = views;
	msg.n_alerts = n;
	msg.now = NOW;
	buf_init(&body, ALERT_BODY_MAX);
	assert_int_equal(alert_format(&msg, &body), WK_OK);
	if (bytes != NULL)
		*bytes = body.len;
	/* jansson rejects invalid UTF-8, so a parse also checks the bytes. */
	j = json_loads(body.data, 0, &jerr);
	if (j == NULL)
		fail_msg("invalid JSON: %s", jerr.text);
	buf_free(&body);
	return j;
}

static const char *
str(json_t *root, const char *path)
{
	json_t *v = root;
	char key[64];
	const char *p = path;

	while (*p != '\0' && v != NULL) {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof key, "%.*s", (int)n, p);
		if (json_is_array(v))
			v = json_array_get(v, (size_t)atoi(key));
		else
			v = json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static json_t *
get(json_t *root, const char *path)
{
	json_t *v = root;
	char key[64];
	const char *p = path;

	while (*p != '\0' && v != NULL) {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof key, "%.*s", (int)n, p);
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(key)) :
		    json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	return v;
}

static void
slack_fields(void **state)
{
	struct alert_view v = view("line <1> & `x`", 1);
	json_t *j = format(CFG_ALERT_SLACK, "en", &v, 1, NULL);

	(void)state;
	assert_non_null(strstr(str(j, "text"), "[FIRING] Stage failed"));
	assert_string_equal(str(j, "blocks.0.type"), "header");
	assert_string_equal(str(j, "blocks.0.text.type"), "plain_text");
	assert_true(alert_text_units(str(j, "blocks.0.text.text")) <= 150);
	assert_string_equal(str(j, "blocks.1.type"), "section");
	assert_string_equal(str(j, "blocks.1.text.type"), "mrkdwn");
	assert_non_null(strstr(str(j, "blocks.1.text.text"),
	    "exit status 3 &lt;x&gt; &amp; *y*"));
	assert_non_null(strstr(str(j, "blocks.1.text.text"),
	    "<https://wk.example.com/runs/12|Open in watchkeep>"));
	assert_non_null(strstr(str(j, "blocks.1.text.text"),
	    "error budget left: 25.0%"));
	assert_string_equal(str(j, "blocks.2.text.text"),
	    "```line &lt;1&gt; &amp; `x````");
	assert_string_equal(str(j, "blocks.3.type"), "divider");
	json_decref(j);
}

static void
mattermost_fields(void **state)
{
	struct alert_view v = view("a ``` b", 1);
	json_t *j = format(CFG_ALERT_MATTERMOST, "en", &v, 1, NULL);
	const char *text = str(j, "text");

	(void)state;
	assert_non_null(strstr(text, "#### \xF0\x9F\x94\xB4 FIRING: Stage "
	    "failed"));
	assert_non_null(strstr(text, "exit status 3 \\<x\\> & \\*y\\*"));
	assert_non_null(strstr(text, "[Open in watchkeep]("
	    "https://wk.example.com/runs/12)"));
	/* A fence inside the error lines cannot close the code block. */
	assert_non_null(strstr(text, "```\na `\xE2\x80\x8B`\xE2\x80\x8B`"
	    "\xE2\x80\x8B b\n```"));
	json_decref(j);
}

static void
discord_fields(void **state)
{
	struct alert_view v = view("boom @everyone", 1);
	json_t *j = format(CFG_ALERT_DISCORD, "en", &v, 1, NULL);

	(void)state;
	assert_true(alert_text_units(str(j, "content")) <= 2000);
	assert_non_null(strstr(str(j, "embeds.0.title"), "FIRING: Stage "
	    "failed"));
	assert_non_null(strstr(str(j, "embeds.0.description"),
	    "exit status 3 \\<x\\> & \\*y\\*"));
	assert_int_equal(json_integer_value(get(j, "embeds.0.color")),
	    0xD32F2F);
	assert_string_equal(str(j, "embeds.0.url"),
	    "https://wk.example.com/runs/12");
	assert_string_equal(str(j, "embeds.0.timestamp"),
	    "2026-12-04T14:58:00.000Z");
	assert_string_equal(str(j, "embeds.0.footer.text"), "0123456789abcdef");
	assert_string_equal(str(j, "embeds.0.fields.0.name"),
	    "Last error lines");
	assert_string_equal(str(j, "embeds.0.fields.0.value"),
	    "```\nboom @everyone\n```");
	assert_true(json_is_array(get(j, "allowed_mentions.parse")));
	assert_int_equal(json_array_size(get(j, "allowed_mentions.parse")), 0);
	json_decref(j);
}

static void
teams_fields(void **state)
{
	struct alert_view v = view("trace <b>", 1);
	json_t *j = format(CFG_ALERT_TEAMS, "en", &v, 1, NULL);

	(void)state;
	assert_string_equal(str(j, "type"), "message");
	assert_string_equal(str(j, "attachments.0.contentType"),
	    "application/vnd.microsoft.card.adaptive");
	assert_true(json_is_null(get(j, "attachments.0.contentUrl")));
	assert_string_equal(str(j, "attachments.0.content.type"),
	    "AdaptiveCard");
	assert_string_equal(str(j, "attachments.0.content.version"), "1.4");
	assert_string_equal(str(j, "attachments.0.content.body.0.type"),
	    "TextBlock");
	assert_string_equal(str(j,
	    "attachments.0.content.body.2.inlines.0.text"),
	    "exit status 3 <x> & *y*");
	assert_string_equal(str(j, "attachments.0.content.body.3.type"),
	    "FactSet");
	assert_string_equal(str(j,
	    "attachments.0.content.body.4.inlines.0.fontType"), "Monospace");
	assert_string_equal(str(j,
	    "attachments.0.content.body.4.inlines.0.text"), "trace <b>");
	assert_string_equal(str(j, "attachments.0.content.actions.0.type"),
	    "Action.OpenUrl");
	assert_string_equal(str(j, "attachments.0.content.actions.0.url"),
	    "https://wk.example.com/runs/12");
	json_decref(j);
}

static void
google_chat_fields(void **state)
{
	struct alert_view v = view("x < y\nz", 1);
	json_t *j = format(CFG_ALERT_GOOGLE_CHAT, "en", &v, 1, NULL);

	(void)state;
	assert_non_null(strstr(str(j, "text"), "[FIRING] Stage failed"));
	assert_string_equal(str(j, "cardsV2.0.cardId"),
	    "watchkeep-0123456789abcdef");
	assert_string_equal(str(j, "cardsV2.0.card.header.subtitle"),
	    "pipeline=churn,run=12");
	assert_string_equal(str(j, "cardsV2.0.card.sections.0.header"),
	    "Stage failed");
	assert_non_null(strstr(str(j,
	    "cardsV2.0.card.sections.0.widgets.0.textParagraph.text"),
	    "<b>exit status 3 &lt;x&gt; &amp; *y*</b>"));
	assert_string_equal(str(j,
	    "cardsV2.0.card.sections.0.widgets.1.textParagraph.text"),
	    "x &lt; y<br>z");
	assert_string_equal(str(j, "cardsV2.0.card.sections.0.widgets.2."
	    "buttonList.buttons.0.onClick.openLink.url"),
	    "https://wk.example.com/runs/12");
	json_decref(j);
}

static void
json_fields(void **state)
{
	struct alert_view v = view("line", 0);
	json_t *j = format(CFG_ALERT_JSON, "en", &v, 1, NULL);

	(void)state;
	assert_int_equal(json_integer_value(get(j, "version")), 1);
	assert_string_equal(str(j, "idempotency_key"), "key-1");
	assert_string_equal(str(j, "receiver"), "team");
	assert_string_equal(str(j, "group_key"), "pipeline=churn,run=12");
	assert_string_equal(str(j, "status"), "resolved");
	assert_non_null(strstr(str(j, "text"), "[RESOLVED]"));
	assert_string_equal(str(j, "alerts.0.fingerprint"), "0123456789abcdef");
	assert_string_equal(str(j, "alerts.0.status"), "resolved");
	assert_string_equal(str(j, "alerts.0.source"), "stage_failed");
	assert_string_equal(str(j, "alerts.0.severity"), "page");
	assert_string_equal(str(j, "alerts.0.labels.stage"), "train");
	assert_string_equal(str(j, "alerts.0.summary"),
	    "exit status 3 <x> & *y*");
	assert_string_equal(str(j, "alerts.0.details"), "line");
	assert_string_equal(str(j, "alerts.0.starts_at"),
	    "2026-12-04T14:58:00.000Z");
	assert_string_equal(str(j, "alerts.0.ends_at"),
	    "2026-12-04T16:00:00.000Z");
	assert_int_equal(json_integer_value(get(j, "alerts.0.fired_for_ms")),
	    3720000);
	assert_true(json_real_value(get(j, "alerts.0.budget_left")) == 0.25);
	assert_string_equal(str(j, "alerts.0.url"),
	    "https://wk.example.com/runs/12");
	assert_true(json_is_null(get(j, "alerts.0.acknowledged")));
	assert_false(json_is_true(get(j, "alerts.0.reminder")));
	json_decref(j);
}

static void
alertmanager_fields(void **state)
{
	struct alert_view views[2] = { view("", 1), view("x", 0) };
	json_t *j = format(CFG_ALERT_ALERTMANAGER, "en", views, 2, NULL);

	(void)state;
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(str(j, "0.labels.alertname"), "stage_failed");
	assert_string_equal(str(j, "0.labels.severity"), "page");
	assert_string_equal(str(j, "0.labels.pipeline"), "churn");
	assert_null(get(j, "0.labels.run"));
	assert_string_equal(str(j, "0.annotations.run"), "12");
	assert_string_equal(str(j, "0.annotations.fingerprint"),
	    "0123456789abcdef");
	assert_string_equal(str(j, "0.startsAt"), "2026-12-04T14:58:00.000Z");
	assert_null(get(j, "0.endsAt"));
	assert_string_equal(str(j, "0.generatorURL"),
	    "https://wk.example.com/runs/12");
	assert_string_equal(str(j, "1.endsAt"), "2026-12-04T16:00:00.000Z");
	assert_string_equal(str(j, "1.annotations.details"), "x");
	json_decref(j);
}

static void
resolved_says_how_long(void **state)
{
	struct alert_view v = view("", 0);
	json_t *j = format(CFG_ALERT_SLACK, "en", &v, 1, NULL);

	(void)state;
	assert_non_null(strstr(str(j, "blocks.1.text.text"),
	    "after firing for 1h02m"));
	json_decref(j);
}

/* 10,000 Japanese characters of stderr, 30,000 bytes of UTF-8. */
static char *
japanese_stderr(void)
{
	static const char ja[] = "\xE3\x82\xA8\xE3\x83\xA9\xE3\x83\xBC";
	size_t i, len = 0;
	char *s = malloc(40000);

	/* 3,333 times three characters, a line break every 120, and one. */
	for (i = 0; i < 3333; i++) {
		memcpy(s + len, ja, 9);
		len += 9;
		if (i % 40 == 39)
			s[len++] = '\n';
	}
	memcpy(s + len, "\xE7\xB5\x82", 4);
	return s;
}

static void
check_marker(const char *text)
{
	assert_non_null(strstr(text, MARKER));
}

static void
japanese_within_limits(void **state)
{
	char *details = japanese_stderr();
	struct alert_view v[ALERT_MSG_ALERTS_MAX];
	size_t bytes, i, total = 0;
	json_t *j, *embeds;

	(void)state;
	for (i = 0; i < ALERT_MSG_ALERTS_MAX; i++)
		v[i] = view(details, 1);

	j = format(CFG_ALERT_SLACK, "ja", v, 1, NULL);
	assert_true(alert_text_units(str(j, "blocks.2.text.text")) <= 3000);
	check_marker(str(j, "blocks.2.text.text"));
	json_decref(j);

	j = format(CFG_ALERT_MATTERMOST, "ja", v, 1, NULL);
	assert_true(alert_text_units(str(j, "text")) <= 16383);
	check_marker(str(j, "text"));
	json_decref(j);

	j = format(CFG_ALERT_DISCORD, "ja", v, ALERT_MSG_ALERTS_MAX, NULL);
	embeds = get(j, "embeds");
	assert_int_equal(json_array_size(embeds), 10);
	for (i = 0; i < json_array_size(embeds); i++) {
		json_t *e = json_array_get(embeds, i);
		size_t t = alert_text_units(str(e, "title"));
		size_t d = alert_text_units(str(e, "description"));
		size_t f = alert_text_units(str(e, "fields.0.value"));
		size_t n = alert_text_units(str(e, "fields.0.name"));
		size_t o = alert_text_units(str(e, "footer.text"));

		assert_true(t <= 256 && d <= 4096 && f <= 1024);
		check_marker(str(e, "fields.0.value"));
		total += t + d + f + n + o;
	}
	assert_true(total <= 6000);
	json_decref(j);

	j = format(CFG_ALERT_TEAMS, "ja", v, ALERT_MSG_ALERTS_MAX, &bytes);
	assert_true(bytes <= 28 * 1024);
	json_decref(j);
	j = format(CFG_ALERT_GOOGLE_CHAT, "ja", v, ALERT_MSG_ALERTS_MAX, &bytes);
	assert_true(bytes <= 32000);
	json_decref(j);

	j = format(CFG_ALERT_JSON, "ja", v, 1, NULL);
	assert_true(strlen(str(j, "alerts.0.details")) <= 16384);
	check_marker(str(j, "alerts.0.details"));
	json_decref(j);
	j = format(CFG_ALERT_ALERTMANAGER, "ja", v, 1, NULL);
	assert_true(strlen(str(j, "0.annotations.details")) <= 16384);
	check_marker(str(j, "0.annotations.details"));
	json_decref(j);
	free(details);
}

static void
fit_keeps_entities_whole(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(alert_fit(&b, "a&b", 6, ALERT_ESC_SLACK,
	    ALERT_UNIT_CHARS, "~"), WK_OK);
	assert_string_equal(b.data, "a~");
	buf_reset(&b);
	assert_int_equal(alert_fit(&b, "a&b", 7, ALERT_ESC_SLACK,
	    ALERT_UNIT_CHARS, "~"), WK_OK);
	assert_string_equal(b.data, "a&amp;b");
	buf_reset(&b);
	/* U+1F600 is two UTF-16 units and is never cut in half. */
	assert_int_equal(alert_fit(&b, "x\xF0\x9F\x98\x80y", 3,
	    ALERT_ESC_NONE, ALERT_UNIT_CHARS, "~"), WK_OK);
	assert_string_equal(b.data, "x~");
	buf_reset(&b);
	assert_int_equal(alert_fit(&b, "ab\xFF", 10, ALERT_ESC_NONE,
	    ALERT_UNIT_BYTES, "~"), WK_OK);
	assert_string_equal(b.data, "ab\xEF\xBF\xBD");
	buf_free(&b);
}

static void
translation_per_receiver(void **state)
{
	struct alert_view v = view("", 1);
	json_t *en, *ja;

	(void)state;
	assert_string_equal(alert_tr("en", "FIRING"), "FIRING");
	assert_string_equal(alert_tr("ja", "FIRING"), "\xE7\x99\xBA\xE7\x94\x9F"
	    "\xE4\xB8\xAD");
	assert_string_equal(alert_tr("ja", "not in the catalog"),
	    "not in the catalog");
	en = format(CFG_ALERT_JSON, "en", &v, 1, NULL);
	ja = format(CFG_ALERT_JSON, "ja", &v, 1, NULL);
	assert_non_null(strstr(str(en, "text"), "[FIRING]"));
	assert_non_null(strstr(str(ja, "text"), "[\xE7\x99\xBA\xE7\x94\x9F"
	    "\xE4\xB8\xAD]"));
	json_decref(en);
	json_decref(ja);
}

static void
retry_after_forms(void **state)
{
	(void)state;
	assert_int_equal(alert_http_retry_after("3", NOW), 3000);
	assert_int_equal(alert_http_retry_after(" 120 ", NOW), 120000);
	/* NOW is Fri, 04 Dec 2026 16:00:00 GMT. */
	assert_int_equal(alert_http_retry_after(
	    "Fri, 04 Dec 2026 16:00:03 GMT", NOW), 3000);
	assert_int_equal(alert_http_retry_after(
	    "Fri, 04 Dec 2026 15:59:00 GMT", NOW), 0);
	assert_int_equal(alert_http_retry_after("soon", NOW), -1);
	assert_int_equal(alert_http_retry_after("3x", NOW), -1);
}

static void
host_without_secret(void **state)
{
	char host[128];

	(void)state;
	alert_http_host("https://hooks.example.com/services/T0/B0/secret?x=1",
	    host, sizeof host);
	assert_string_equal(host, "hooks.example.com");
}

/* Builds a catalog that translates "FIRING" into Japanese. */
static int
setup(void **state)
{
	char po[256], cmd[1024];
	FILE *f;

	(void)state;
	if (mkdtemp(locale_dir) == NULL)
		return -1;
	snprintf(po, sizeof po, "%s/ja.po", locale_dir);
	f = fopen(po, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "msgid \"\"\nmsgstr \"Content-Type: text/plain; "
	    "charset=UTF-8\\n\"\n\nmsgid \"FIRING\"\nmsgstr \"\xE7\x99\xBA"
	    "\xE7\x94\x9F\xE4\xB8\xAD\"\n");
	fclose(f);
	snprintf(cmd, sizeof cmd, "mkdir -p %s/ja/LC_MESSAGES && msgfmt -o "
	    "%s/ja/LC_MESSAGES/watchkeep.mo %s", locale_dir, locale_dir, po);
	if (system(cmd) != 0)
		return -1;
	return setenv("WATCHKEEP_LOCALE_DIR", locale_dir, 1);
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	alert_text_cleanup();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", locale_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slack_fields),
		cmocka_unit_test(mattermost_fields),
		cmocka_unit_test(discord_fields),
		cmocka_unit_test(teams_fields),
		cmocka_unit_test(google_chat_fields),
		cmocka_unit_test(json_fields),
		cmocka_unit_test(alertmanager_fields),
		cmocka_unit_test(resolved_says_how_long),
		cmocka_unit_test(japanese_within_limits),
		cmocka_unit_test(fit_keeps_entities_whole),
		cmocka_unit_test(translation_per_receiver),
		cmocka_unit_test(retry_after_forms),
		cmocka_unit_test(host_without_secret),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
