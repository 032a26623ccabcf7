/*
 * The request bodies of alert messages. Every text that comes from a
 * source (summaries, label values, error lines) is escaped for the
 * platform's markup and cut to the platform's limit with alert_fit().
 */
#include "agent/alert_format.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "agent/alert_text.h"
#include "core/clock.h"
#include "core/i18n.h"

#define FMT_TEXT_MAX 1024     /* bytes of one generated line */
#define FMT_SHRINK_STEPS 8    /* halvings of the details to fit a body */

/* The generated, untranslated parts of one alert, before escaping. */
struct fmt_parts {
	const char *emoji;            /* status at a glance on a phone */
	char status[64];              /* FIRING, RESOLVED, STILL FIRING */
	char title[128];              /* "Stage failed" */
	char where[FMT_TEXT_MAX];     /* "pipeline churn · stage train" */
	char when[FMT_TEXT_MAX];      /* since when, or how long it fired */
	char budget[128];             /* "" or the error budget left */
	char ack[FMT_TEXT_MAX];       /* "" or who acknowledged */
	char url[CFG_ALERT_URL_MAX + ALERT_LINK_MAX]; /* "" without base_url */
};

/* State of the formatting of one message. */
struct fmt {
	const struct alert_message *msg;
	const char *lang;             /* receiver's language */
	const char *marker;           /* truncation marker, translated */
	struct fmt_parts *parts;      /* one per alert, owned by the caller */
	size_t details_scale;         /* details limits are divided by this */
	char headline[FMT_TEXT_MAX];  /* the message in one line */
};

static const char *const source_titles[ALERT_SRC_COUNT] = {
	N_("Stage failed"), N_("Stage timed out"), N_("Stage retrying"),
	N_("Quality gate failed"), N_("Deadline missed"),
	N_("Growth forecast"), N_("Probe down"), N_("SLO burning fast"),
	N_("SLO burning"), N_("Error budget exhausted"), N_("No data"),
	N_("watchkeep health"),
};

/* Labels shown first in "where", in this order. */
static const char *const where_labels[] = {
	"pipeline", "stage", "run", "probe", "slo", "receiver", NULL
};

const char *
alert_source_title(enum alert_source source, const char *lang)
{
	if ((int)source < 0 || source >= ALERT_SRC_COUNT)
		return "?";
	return alert_tr(lang, source_titles[source]);
}

const char *
alert_format_url_suffix(enum cfg_alert_type type)
{
	return type == CFG_ALERT_ALERTMANAGER ? "/api/v2/alerts" : "";
}

static const char *
label_value(const struct alert_view *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_labels; i++) {
		if (strcmp(a->labels[i].name, name) == 0)
			return a->labels[i].value;
	}
	return NULL;
}

static int
is_where_label(const char *name)
{
	size_t i;

	for (i = 0; where_labels[i] != NULL; i++) {
		if (strcmp(where_labels[i], name) == 0)
			return 1;
	}
	return 0;
}

/* Appends "name value" to where, with a separator after the first. */
static void
where_add(char *where, size_t size, const char *name, const char *value)
{
	size_t len = strlen(where);

	snprintf(where + len, size - len, "%s%s %s", len > 0 ? " \xC2\xB7 " :
	    "", name, value);
}

static void
fmt_where(const struct alert_view *a, char *where, size_t size)
{
	const char *v;
	size_t i;

	where[0] = '\0';
	for (i = 0; where_labels[i] != NULL; i++) {
		v = label_value(a, where_labels[i]);
		if (v != NULL)
			where_add(where, size, where_labels[i], v);
	}
	for (i = 0; i < a->n_labels; i++) {
		if (!is_where_label(a->labels[i].name))
			where_add(where, size, a->labels[i].name,
			    a->labels[i].value);
	}
}

static void
fmt_when(const struct fmt *f, const struct alert_view *a, char *out,
	 size_t size)
{
	char at[64], took[32];

	if (a->firing) {
		alert_format_time(at, sizeof at, a->fired_at);
		clk_format_duration(took, sizeof took,
		    f->msg->now - a->fired_at);
		snprintf(out, size, alert_tr(f->lang, N_("firing since %s "
		    "(%s)")), at, took);
	} else {
		alert_format_time(at, sizeof at, a->resolved_at);
		clk_format_duration(took, sizeof took,
		    a->resolved_at - a->fired_at);
		snprintf(out, size, alert_tr(f->lang, N_("resolved at %s after "
		    "firing for %s")), at, took);
	}
}

static void
fmt_parts(const struct fmt *f, const struct alert_view *a,
	  struct fmt_parts *p)
{
	static const char *const emoji[ALERT_SEV_COUNT] = {
		"\xF0\x9F\x94\xB4", "\xF0\x9F\x9F\xA0", "\xF0\x9F\x94\xB5"
	};
	const char *base = f->msg->base_url;

	memset(p, 0, sizeof *p);
	p->emoji = !a->firing ? "\xE2\x9C\x85" : emoji[a->severity];
	snprintf(p->status, sizeof p->status, "%s", !a->firing ?
	    alert_tr(f->lang, N_("RESOLVED")) : a->reminder ?
	    alert_tr(f->lang, N_("STILL FIRING")) :
	    alert_tr(f->lang, N_("FIRING")));
	snprintf(p->title, sizeof p->title, "%s",
	    alert_source_title(a->source, f->lang));
	fmt_where(a, p->where, sizeof p->where);
	fmt_when(f, a, p->when, sizeof p->when);
	if (a->budget_left >= 0)
		snprintf(p->budget, sizeof p->budget, alert_tr(f->lang,
		    N_("error budget left: %.1f%%")), a->budget_left * 100.0);
	if (a->ack_uid >= 0)
		snprintf(p->ack, sizeof p->ack, alert_tr(f->lang,
		    N_("acknowledged by uid %lld: %s")), (long long)a->ack_uid,
		    a->ack_comment);
	if (base != NULL)
		snprintf(p->url, sizeof p->url, "%.*s%s",
		    (int)(strlen(base) - (base[0] != '\0' &&
		    base[strlen(base) - 1] == '/')), base, a->link);
}

/* Writes the one-line summary of the whole message into f->headline. */
static void
fmt_headline(struct fmt *f)
{
	const struct alert_message *m = f->msg;
	size_t i, firing = 0;

	for (i = 0; i < m->n_alerts; i++)
		firing += (size_t)m->alerts[i].firing;
	if (m->n_alerts == 1) {
		/* A summary that only repeats the title gives way to where. */
		snprintf(f->headline, sizeof f->headline, "%s [%s] %s: %.600s",
		    f->parts[0].emoji, f->parts[0].status, f->parts[0].title,
		    strcmp(m->alerts[0].summary, alert_source_title(
		    m->alerts[0].source, "en")) != 0 ? m->alerts[0].summary :
		    f->parts[0].where);
		return;
	}
	snprintf(f->headline, sizeof f->headline, alert_tr(f->lang,
	    N_("%s [%zu firing, %zu resolved] %s")),
	    firing > 0 ? f->parts[0].emoji : "\xE2\x9C\x85", firing,
	    m->n_alerts - firing, m->group_key[0] != '\0' ? m->group_key :
	    alert_tr(f->lang, N_("alerts")));
}

/* Returns a JSON string of raw fitted to limit, or NULL without memory. */
static json_t *
fit_json(const struct fmt *f, const char *raw, size_t limit,
	 enum alert_esc esc, enum alert_unit unit)
{
	struct buf b;
	json_t *s = NULL;

	buf_init(&b, ALERT_BODY_MAX);
	if (alert_fit(&b, raw, limit, esc, unit, f->marker) == WK_OK)
		s = json_string(b.data != NULL ? b.data : "");
	buf_free(&b);
	return s;
}

/* Appends raw to b, escaped and fitted; errors surface at the end. */
static void
add_fit(const struct fmt *f, struct buf *b, const char *raw, size_t limit,
	enum alert_esc esc)
{
	alert_fit(b, raw, limit, esc, ALERT_UNIT_CHARS, f->marker);
}

/* Limit for the details of one alert, shrunk while a body is too big. */
static size_t
details_limit(const struct fmt *f, size_t limit)
{
	return limit / f->details_scale;
}

/* ---- Slack ---- */

static json_t *
slack_text_block(const char *type, json_t *text)
{
	return json_pack("{s:s, s:{s:s, s:o}}", "type", type, "text", "type",
	    strcmp(type, "header") == 0 ? "plain_text" : "mrkdwn", "text",
	    text);
}

/* The mrkdwn section of one alert: what, where, since when, link. */
static json_t *
slack_section(const struct fmt *f, size_t i)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	struct buf b;
	json_t *s;

	buf_init(&b, ALERT_BODY_MAX);
	buf_printf(&b, "%s *%s* \xE2\x80\x94 %s\n*", p->emoji, p->status,
	    p->title);
	add_fit(f, &b, a->summary, 600, ALERT_ESC_SLACK);
	buf_append_str(&b, "*\n");
	add_fit(f, &b, p->where, 800, ALERT_ESC_SLACK);
	buf_printf(&b, "\n%s", p->when);
	if (p->budget[0] != '\0')
		buf_printf(&b, "\n%s", p->budget);
	if (p->ack[0] != '\0') {
		buf_append_str(&b, "\n");
		add_fit(f, &b, p->ack, 400, ALERT_ESC_SLACK);
	}
	if (p->url[0] != '\0') {
		buf_append_str(&b, "\n<");
		add_fit(f, &b, p->url, 700, ALERT_ESC_SLACK);
		buf_printf(&b, "|%s>", alert_tr(f->lang,
		    N_("Open in watchkeep")));
	}
	s = fit_json(f, b.data != NULL ? b.data : "", ALERT_SLACK_SECTION_MAX,
	    ALERT_ESC_NONE, ALERT_UNIT_CHARS);
	buf_free(&b);
	return s;
}

/* The error lines of one alert in a code block. */
static json_t *
slack_details(const struct fmt *f, const struct alert_view *a)
{
	struct buf b;
	json_t *s;

	buf_init(&b, ALERT_BODY_MAX);
	buf_append_str(&b, "```");
	add_fit(f, &b, a->details, details_limit(f,
	    ALERT_SLACK_SECTION_MAX - 6), ALERT_ESC_SLACK);
	buf_append_str(&b, "```");
	s = json_string(b.data);
	buf_free(&b);
	return s;
}

static json_t *
format_slack(const struct fmt *f)
{
	const struct alert_message *m = f->msg;
	json_t *body, *blocks;
	size_t i;

	blocks = json_array();
	json_array_append_new(blocks, slack_text_block("header", fit_json(f,
	    f->headline, ALERT_SLACK_HEADER_MAX, ALERT_ESC_NONE,
	    ALERT_UNIT_CHARS)));
	for (i = 0; i < m->n_alerts &&
	     json_array_size(blocks) + 3 <= ALERT_SLACK_BLOCKS_MAX; i++) {
		json_array_append_new(blocks, slack_text_block("section",
		    slack_section(f, i)));
		if (m->alerts[i].details[0] != '\0')
			json_array_append_new(blocks, slack_text_block(
			    "section", slack_details(f, &m->alerts[i])));
		json_array_append_new(blocks, json_pack("{s:s}", "type",
		    "divider"));
	}
	body = json_pack("{s:o, s:o}", "text", fit_json(f, f->headline,
	    ALERT_SLACK_SECTION_MAX, ALERT_ESC_SLACK, ALERT_UNIT_CHARS),
	    "blocks", blocks);
	return body;
}

/* ---- Mattermost ---- */

/*
 * One alert as Markdown: heading, summary, where, when, error lines, in
 * at most about per characters.
 */
static void
mattermost_alert(const struct fmt *f, struct buf *b, size_t i, size_t per)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	size_t text_max = per / 6 < 600 ? per / 6 : 600;

	buf_printf(b, "#### %s %s: %s\n", p->emoji, p->status, p->title);
	add_fit(f, b, a->summary, text_max, ALERT_ESC_MD);
	buf_append_str(b, "\n");
	add_fit(f, b, p->where, text_max, ALERT_ESC_MD);
	buf_printf(b, "\n%s\n", p->when);
	if (p->budget[0] != '\0')
		buf_printf(b, "%s\n", p->budget);
	if (p->ack[0] != '\0') {
		add_fit(f, b, p->ack, text_max, ALERT_ESC_MD);
		buf_append_str(b, "\n");
	}
	if (p->url[0] != '\0')
		buf_printf(b, "[%s](%s)\n", alert_tr(f->lang,
		    N_("Open in watchkeep")), p->url);
	if (a->details[0] != '\0') {
		buf_append_str(b, "```\n");
		add_fit(f, b, a->details, details_limit(f, per / 2),
		    ALERT_ESC_CODE);
		buf_append_str(b, "\n```\n");
	}
}

static json_t *
format_mattermost(const struct fmt *f)
{
	const struct alert_message *m = f->msg;
	size_t i, per = (ALERT_MATTERMOST_TEXT_MAX - 600) / m->n_alerts;
	struct buf b;
	json_t *text;

	buf_init(&b, ALERT_BODY_MAX);
	add_fit(f, &b, f->headline, 500, ALERT_ESC_MD);
	buf_append_str(&b, "\n");
	for (i = 0; i < m->n_alerts; i++)
		mattermost_alert(f, &b, i, per);
	text = fit_json(f, b.data != NULL ? b.data : "",
	    ALERT_MATTERMOST_TEXT_MAX, ALERT_ESC_NONE, ALERT_UNIT_CHARS);
	buf_free(&b);
	return json_pack("{s:o}", "text", text);
}

/* ---- Discord ---- */

static int
discord_color(const struct alert_view *a)
{
	static const int colors[ALERT_SEV_COUNT] = { 0xD32F2F, 0xF57C00,
		0x1976D2 };

	return a->firing ? colors[a->severity] : 0x388E3C;
}

/* One embed; budget is its share of ALERT_DISCORD_TOTAL_MAX. */
static json_t *
discord_embed(const struct fmt *f, size_t i, size_t budget)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	size_t title_max = budget / 6, field_max = budget / 3, desc_max;
	char title[FMT_TEXT_MAX], ts[64], footer[64];
	json_t *embed, *fields;
	struct buf d;

	title_max = title_max < ALERT_DISCORD_TITLE_MAX ? title_max :
	    ALERT_DISCORD_TITLE_MAX;
	field_max = field_max < ALERT_DISCORD_FIELD_MAX ? field_max :
	    ALERT_DISCORD_FIELD_MAX;
	desc_max = budget - title_max - field_max - 64;
	if (desc_max > ALERT_DISCORD_DESC_MAX)
		desc_max = ALERT_DISCORD_DESC_MAX;
	snprintf(title, sizeof title, "%s %s: %s", p->emoji, p->status,
	    p->title);
	snprintf(footer, sizeof footer, "%s", a->fingerprint);
	alert_format_rfc3339(ts, sizeof ts, a->firing ? a->fired_at :
	    a->resolved_at);

	buf_init(&d, ALERT_BODY_MAX);
	add_fit(f, &d, a->summary, 600, ALERT_ESC_MD);
	buf_append_str(&d, "\n");
	add_fit(f, &d, p->where, 800, ALERT_ESC_MD);
	buf_printf(&d, "\n%s", p->when);
	if (p->budget[0] != '\0')
		buf_printf(&d, "\n%s", p->budget);
	if (p->ack[0] != '\0') {
		buf_append_str(&d, "\n");
		add_fit(f, &d, p->ack, 400, ALERT_ESC_MD);
	}
	embed = json_pack("{s:o, s:o, s:i, s:s, s:{s:s}}", "title",
	    fit_json(f, title, title_max, ALERT_ESC_NONE, ALERT_UNIT_CHARS),
	    "description", fit_json(f, d.data != NULL ? d.data : "", desc_max,
	    ALERT_ESC_NONE, ALERT_UNIT_CHARS), "color", discord_color(a),
	    "timestamp", ts, "footer", "text", footer);
	buf_free(&d);
	if (embed != NULL && p->url[0] != '\0')
		json_object_set_new(embed, "url", json_string(p->url));
	if (embed == NULL || a->details[0] == '\0')
		return embed;

	buf_init(&d, ALERT_BODY_MAX);
	buf_append_str(&d, "```\n");
	add_fit(f, &d, a->details, details_limit(f, field_max - 8),
	    ALERT_ESC_CODE);
	buf_append_str(&d, "\n```");
	fields = json_pack("[{s:s, s:s%}]", "name", alert_tr(f->lang,
	    N_("Last error lines")), "value", d.data, d.len);
	buf_free(&d);
	json_object_set_new(embed, "fields", fields);
	return embed;
}

static json_t *
format_discord(const struct fmt *f)
{
	const struct alert_message *m = f->msg;
	size_t n = m->n_alerts < ALERT_DISCORD_EMBEDS_MAX ? m->n_alerts :
	    ALERT_DISCORD_EMBEDS_MAX, i;
	size_t budget = (ALERT_DISCORD_TOTAL_MAX - 100) / n;
	json_t *embeds = json_array();

	for (i = 0; i < n; i++)
		json_array_append_new(embeds, discord_embed(f, i, budget));
	/* Mentions in error lines ("@everyone") must not ping anyone. */
	return json_pack("{s:o, s:o, s:{s:[]}}", "content", fit_json(f,
	    f->headline, ALERT_DISCORD_CONTENT_MAX, ALERT_ESC_MD,
	    ALERT_UNIT_CHARS), "embeds", embeds, "allowed_mentions", "parse");
}

/* ---- Microsoft Teams (Workflows webhook, Adaptive Card) ---- */

static json_t *
teams_fact(const char *title, const char *value)
{
	return json_pack("{s:s, s:s}", "title", title, "value", value);
}

/* The blocks of one alert; source text goes into TextRun, never Markdown. */
static void
teams_alert(const struct fmt *f, json_t *body, size_t i)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	json_t *facts = json_array();
	char title[FMT_TEXT_MAX];

	snprintf(title, sizeof title, "%s %s: %s", p->emoji, p->status,
	    p->title);
	json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:b, s:s}",
	    "type", "TextBlock", "text", title, "weight", "Bolder", "wrap", 1,
	    "color", a->firing ? "Attention" : "Good"));
	json_array_append_new(body, json_pack("{s:s, s:[{s:s, s:o}]}", "type",
	    "RichTextBlock", "inlines", "type", "TextRun", "text", fit_json(f,
	    a->summary, details_limit(f, 2000), ALERT_ESC_NONE,
	    ALERT_UNIT_BYTES)));
	json_array_append_new(facts, teams_fact(alert_tr(f->lang,
	    N_("Where")), p->where));
	json_array_append_new(facts, teams_fact(alert_tr(f->lang,
	    N_("When")), p->when));
	if (p->budget[0] != '\0')
		json_array_append_new(facts, teams_fact(alert_tr(f->lang,
		    N_("Budget")), p->budget));
	if (p->ack[0] != '\0')
		json_array_append_new(facts, teams_fact(alert_tr(f->lang,
		    N_("Acknowledged")), p->ack));
	json_array_append_new(body, json_pack("{s:s, s:o}", "type", "FactSet",
	    "facts", facts));
	if (a->details[0] != '\0')
		json_array_append_new(body, json_pack("{s:s, s:[{s:s, s:o, "
		    "s:s}]}", "type", "RichTextBlock", "inlines", "type",
		    "TextRun", "text", fit_json(f, a->details, details_limit(f,
		    20000 / f->msg->n_alerts), ALERT_ESC_NONE,
		    ALERT_UNIT_BYTES), "fontType", "Monospace"));
}

static json_t *
format_teams(const struct fmt *f)
{
	const struct alert_message *m = f->msg;
	json_t *body = json_array(), *card, *actions = json_array();
	size_t i;

	json_array_append_new(body, json_pack("{s:s, s:o, s:s, s:s, s:b}",
	    "type", "TextBlock", "text", fit_json(f, f->headline, 1000,
	    ALERT_ESC_NONE, ALERT_UNIT_BYTES), "weight", "Bolder", "size",
	    "Medium", "wrap", 1));
	for (i = 0; i < m->n_alerts; i++)
		teams_alert(f, body, i);
	if (f->parts[0].url[0] != '\0')
		json_array_append_new(actions, json_pack("{s:s, s:s, s:s}",
		    "type", "Action.OpenUrl", "title", alert_tr(f->lang,
		    N_("Open in watchkeep")), "url", f->parts[0].url));
	card = json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s}}", "$schema",
	    "http://adaptivecards.io/schemas/adaptive-card.json", "type",
	    "AdaptiveCard", "version", "1.4", "body", body, "actions", actions,
	    "msteams", "width", "Full");
	return json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message",
	    "attachments", "contentType",
	    "application/vnd.microsoft.card.adaptive", "contentUrl", "content",
	    card);
}

/* ---- Google Chat (incoming webhook, text and cardsV2) ---- */

static json_t *
gchat_paragraph(json_t *text)
{
	return json_pack("{s:{s:o}}", "textParagraph", "text", text);
}

/* One card section: HTML-escaped text, since textParagraph renders HTML. */
static json_t *
gchat_section(const struct fmt *f, size_t i)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	json_t *widgets = json_array();
	struct buf b;

	buf_init(&b, ALERT_BODY_MAX);
	buf_append_str(&b, "<b>");
	alert_fit(&b, a->summary, details_limit(f, 2000), ALERT_ESC_HTML,
	    ALERT_UNIT_BYTES, f->marker);
	buf_append_str(&b, "</b><br>");
	alert_fit(&b, p->where, 2000, ALERT_ESC_HTML, ALERT_UNIT_BYTES,
	    f->marker);
	buf_printf(&b, "<br>%s", p->when);
	if (p->budget[0] != '\0')
		buf_printf(&b, "<br>%s", p->budget);
	if (p->ack[0] != '\0') {
		buf_append_str(&b, "<br>");
		alert_fit(&b, p->ack, 1000, ALERT_ESC_HTML, ALERT_UNIT_BYTES,
		    f->marker);
	}
	json_array_append_new(widgets, gchat_paragraph(json_string(
	    b.data != NULL ? b.data : "")));
	buf_free(&b);
	if (a->details[0] != '\0')
		json_array_append_new(widgets, gchat_paragraph(fit_json(f,
		    a->details, details_limit(f, 20000 / f->msg->n_alerts),
		    ALERT_ESC_HTML, ALERT_UNIT_BYTES)));
	if (p->url[0] != '\0')
		json_array_append_new(widgets, json_pack("{s:{s:[{s:s, s:{s:"
		    "{s:s}}}]}}", "buttonList", "buttons", "text",
		    alert_tr(f->lang, N_("Open in watchkeep")), "onClick",
		    "openLink", "url", p->url));
	return json_pack("{s:s, s:o}", "header", f->parts[i].title,
	    "widgets", widgets);
}

static json_t *
format_google_chat(const struct fmt *f)
{
	const struct alert_message *m = f->msg;
	json_t *sections = json_array();
	char card_id[64];
	size_t i;

	for (i = 0; i < m->n_alerts; i++)
		json_array_append_new(sections, gchat_section(f, i));
	snprintf(card_id, sizeof card_id, "watchkeep-%s",
	    m->alerts[0].fingerprint);
	return json_pack("{s:o, s:[{s:s, s:{s:{s:o, s:s}, s:o}}]}", "text",
	    fit_json(f, f->headline, 1000, ALERT_ESC_NONE, ALERT_UNIT_BYTES),
	    "cardsV2", "cardId", card_id, "card", "header", "title",
	    fit_json(f, f->headline, 500, ALERT_ESC_NONE, ALERT_UNIT_BYTES),
	    "subtitle", m->group_key, "sections", sections);
}

/* ---- watchkeep JSON ---- */

static json_t *
labels_object(const struct alert_view *a)
{
	json_t *labels = json_object();
	size_t i;

	for (i = 0; i < a->n_labels; i++)
		json_object_set_new(labels, a->labels[i].name,
		    json_string(a->labels[i].value));
	return labels;
}

static json_t *
json_alert(const struct fmt *f, size_t i)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	char starts[64], ends[64];
	json_t *o;

	alert_format_rfc3339(starts, sizeof starts, a->fired_at);
	alert_format_rfc3339(ends, sizeof ends, a->resolved_at);
	o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:s, s:o, s:s, s:s?}",
	    "fingerprint", a->fingerprint, "status", a->firing ? "firing" :
	    "resolved", "reminder", a->reminder, "source",
	    cfg_alert_source_names[a->source], "severity",
	    cfg_alert_severity_names[a->severity], "labels", labels_object(a),
	    "summary", a->summary, "details", fit_json(f, a->details,
	    details_limit(f, ALERT_JSON_DETAILS_MAX), ALERT_ESC_NONE,
	    ALERT_UNIT_BYTES), "starts_at", starts, "ends_at",
	    a->firing ? NULL : ends);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "fired_for_ms", a->firing ? json_null() :
	    json_integer(a->resolved_at - a->fired_at));
	json_object_set_new(o, "budget_left", a->budget_left >= 0 ?
	    json_real(a->budget_left) : json_null());
	json_object_set_new(o, "url", p->url[0] != '\0' ? json_string(p->url) :
	    json_null());
	json_object_set_new(o, "acknowledged", a->ack_uid < 0 ? json_null() :
	    json_pack("{s:I, s:s}", "uid", (json_int_t)a->ack_uid, "comment",
	    a->ack_comment));
	return o;
}

static json_t *
format_json(const struct fmt *f)
{
	const struct alert_message *m = f->msg;
	json_t *alerts = json_array();
	size_t i, firing = 0;

	for (i = 0; i < m->n_alerts; i++) {
		firing += (size_t)m->alerts[i].firing;
		json_array_append_new(alerts, json_alert(f, i));
	}
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:o}", "version", 1,
	    "idempotency_key", m->idempotency_key, "receiver",
	    m->receiver->name, "group_key", m->group_key, "status",
	    firing > 0 ? "firing" : "resolved", "text", f->headline,
	    "alerts", alerts);
}

/* ---- Prometheus Alertmanager API v2 ---- */

/*
 * Labels identify an alert in Alertmanager, so the labels that change from
 * run to run (run, attempt, logical_date) go to the annotations.
 */
static int
am_annotation_label(const char *name)
{
	return strcmp(name, "run") == 0 || strcmp(name, "attempt") == 0 ||
	    strcmp(name, "logical_date") == 0;
}

static json_t *
am_alert(const struct fmt *f, size_t i)
{
	const struct alert_view *a = &f->msg->alerts[i];
	const struct fmt_parts *p = &f->parts[i];
	json_t *labels = json_object(), *ann = json_object(), *o;
	char starts[64], ends[64];
	size_t k;

	json_object_set_new(labels, "alertname",
	    json_string(cfg_alert_source_names[a->source]));
	json_object_set_new(labels, "severity",
	    json_string(cfg_alert_severity_names[a->severity]));
	for (k = 0; k < a->n_labels; k++)
		json_object_set_new(am_annotation_label(a->labels[k].name) ?
		    ann : labels, a->labels[k].name,
		    json_string(a->labels[k].value));
	json_object_set_new(ann, "summary", fit_json(f, a->summary,
	    ALERT_AM_ANNOTATION_MAX, ALERT_ESC_NONE, ALERT_UNIT_BYTES));
	json_object_set_new(ann, "description", json_string(p->where));
	json_object_set_new(ann, "fingerprint", json_string(a->fingerprint));
	if (a->details[0] != '\0')
		json_object_set_new(ann, "details", fit_json(f, a->details,
		    details_limit(f, ALERT_AM_ANNOTATION_MAX), ALERT_ESC_NONE,
		    ALERT_UNIT_BYTES));
	if (p->budget[0] != '\0')
		json_object_set_new(ann, "budget_left", json_string(p->budget));

	alert_format_rfc3339(starts, sizeof starts, a->fired_at);
	alert_format_rfc3339(ends, sizeof ends, a->resolved_at);
	o = json_pack("{s:o, s:o, s:s}", "labels", labels, "annotations", ann,
	    "startsAt", starts);
	if (o != NULL && !a->firing)
		json_object_set_new(o, "endsAt", json_string(ends));
	if (o != NULL && p->url[0] != '\0')
		json_object_set_new(o, "generatorURL", json_string(p->url));
	return o;
}

static json_t *
format_alertmanager(const struct fmt *f)
{
	json_t *alerts = json_array();
	size_t i;

	for (i = 0; i < f->msg->n_alerts; i++)
		json_array_append_new(alerts, am_alert(f, i));
	return alerts;
}

/* ---- dispatch ---- */

/* Largest body of a type, in bytes; 0 when only field limits apply. */
static size_t
body_limit(enum cfg_alert_type type)
{
	if (type == CFG_ALERT_TEAMS)
		return ALERT_TEAMS_BYTES_MAX;
	if (type == CFG_ALERT_GOOGLE_CHAT)
		return ALERT_GCHAT_BYTES_MAX;
	return ALERT_BODY_MAX;
}

static json_t *
format_body(const struct fmt *f)
{
	switch (f->msg->receiver->type) {
	case CFG_ALERT_SLACK:
		return format_slack(f);
	case CFG_ALERT_MATTERMOST:
		return format_mattermost(f);
	case CFG_ALERT_DISCORD:
		return format_discord(f);
	case CFG_ALERT_TEAMS:
		return format_teams(f);
	case CFG_ALERT_GOOGLE_CHAT:
		return format_google_chat(f);
	case CFG_ALERT_JSON:
		return format_json(f);
	case CFG_ALERT_ALERTMANAGER:
	default:
		return format_alertmanager(f);
	}
}

/*
 * Builds the body; while it is larger than the type allows, the error lines
 * are halved and it is built again.
 */
int
alert_format(const struct alert_message *msg, struct buf *out)
{
	struct fmt_parts parts[ALERT_MSG_ALERTS_MAX];
	struct fmt f;
	size_t i, limit = body_limit(msg->receiver->type);
	char *text;
	int step;

	if (msg->n_alerts == 0 || msg->n_alerts > ALERT_MSG_ALERTS_MAX)
		return WK_ERR_LIMIT;
	memset(&f, 0, sizeof f);
	f.msg = msg;
	f.lang = msg->receiver->language;
	f.marker = alert_tr(f.lang, N_(" \xE2\x80\xA6 [truncated]"));
	f.parts = parts;
	for (i = 0; i < msg->n_alerts; i++)
		fmt_parts(&f, &msg->alerts[i], &parts[i]);
	fmt_headline(&f);

	for (step = 0, f.details_scale = 1; step < FMT_SHRINK_STEPS;
	     step++, f.details_scale *= 2) {
		json_t *body = format_body(&f);

		if (body == NULL)
			return WK_ERR_NOMEM;
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (text == NULL)
			return WK_ERR_NOMEM;
		if (strlen(text) <= limit) {
			buf_reset(out);
			step = buf_append_str(out, text);
			free(text);
			return step;
		}
		free(text);
	}
	return WK_ERR_LIMIT;
}
