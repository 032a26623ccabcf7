/*
 * Reader of the "alerting" section; docs/config.md lists its keys. Webhook
 * URLs are secrets: no message of this file quotes one.
 */
#include "core/config_alerting.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfgcheck.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/cron.h"
#include "core/i18n.h"

#define ALERTING_WHERE N_("in \"alerting\"")

const char *const cfg_alert_source_names[ALERT_SRC_COUNT] = {
	"stage_failed", "stage_timed_out", "stage_retrying", "quality_gate",
	"deadline_missed", "growth_forecast", "probe_down", "slo_page",
	"slo_ticket", "budget_exhausted", "no_data", "agent_health",
};

const char *const cfg_alert_severity_names[ALERT_SEV_COUNT] = {
	"page", "ticket", "info",
};

const char *const cfg_alert_type_names[CFG_ALERT_TYPE_COUNT] = {
	"slack", "mattermost", "discord", "teams", "google_chat", "json",
	"alertmanager",
};

static const char *const alerting_keys[] = {
	"base_url", "receivers", "routes", "default_receivers", "group_by",
	"group_wait", "group_interval", "repeat_interval", "startup_grace",
	"inhibit", "maintenance", "timing", "delivery", "heartbeat", NULL
};
static const char *const receiver_keys[] = {
	"name", "type", "url", "url_file", "url_env", "language", "timeout",
	NULL
};
static const char *const route_keys[] = {
	"match", "receivers", "continue", NULL
};
static const char *const window_keys[] = {
	"name", "match", "cron", "time_zone", "duration", "start", "end", NULL
};
static const char *const timing_keys[] = { "for", "resolve_after", NULL };
static const char *const delivery_keys[] = {
	"max_attempts", "max_age", "backoff_min", "backoff_max", NULL
};
static const char *const heartbeat_keys[] = {
	"url", "url_file", "url_env", "interval", NULL
};

int
cfg_alert_source_find(const char *name)
{
	int i;

	for (i = 0; i < ALERT_SRC_COUNT; i++) {
		if (strcmp(cfg_alert_source_names[i], name) == 0)
			return i;
	}
	return -1;
}

int
cfg_alert_severity_find(const char *name)
{
	int i;

	if (strcmp(name, "warning") == 0)
		return ALERT_SEV_TICKET;
	for (i = 0; i < ALERT_SEV_COUNT; i++) {
		if (strcmp(cfg_alert_severity_names[i], name) == 0)
			return i;
	}
	return -1;
}

/* Returns the length of the label name at the start of s, 0 if none. */
static size_t
label_name_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* Checks that value compiles as a POSIX extended regular expression. */
static int
matcher_check_regex(const char *value)
{
	char *anchored;
	regex_t re;
	size_t len = strlen(value) + 5;
	int rc;

	anchored = malloc(len);
	if (anchored == NULL)
		return WK_ERR_NOMEM;
	snprintf(anchored, len, "^(%s)$", value);
	rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0)
		return WK_ERR_INVALID;
	regfree(&re);
	return WK_OK;
}

int
cfg_alert_matcher_parse(const char *text, struct cfg_alert_matcher *m,
			const char **reason, size_t *bad_offset)
{
	size_t n = label_name_len(text), skip;

	memset(m, 0, sizeof *m);
	*bad_offset = n;
	if (n == 0 || n >= sizeof m->name) {
		*bad_offset = 0;
		*reason = n == 0 ? N_("a matcher starts with a label name "
		    "([A-Za-z_][A-Za-z0-9_]*)") : N_("the label name is longer "
		    "than 31 bytes");
		return WK_ERR_INVALID;
	}
	if (strncmp(text + n, "=~", 2) == 0)
		m->op = CFG_ALERT_RE, skip = 2;
	else if (strncmp(text + n, "!~", 2) == 0)
		m->op = CFG_ALERT_NRE, skip = 2;
	else if (strncmp(text + n, "!=", 2) == 0)
		m->op = CFG_ALERT_NE, skip = 2;
	else if (text[n] == '=')
		m->op = CFG_ALERT_EQ, skip = 1;
	else {
		*reason = N_("expected =, !=, =~ or !~ after the label name");
		return WK_ERR_INVALID;
	}

	memcpy(m->name, text, n);
	m->value = strdup(text + n + skip);
	if (m->value == NULL)
		return WK_ERR_NOMEM;
	if ((m->op == CFG_ALERT_RE || m->op == CFG_ALERT_NRE) &&
	    matcher_check_regex(m->value) != WK_OK) {
		*bad_offset = n + skip;
		*reason = N_("invalid regular expression (POSIX extended "
		    "syntax)");
		cfg_alert_matcher_free(m);
		return WK_ERR_INVALID;
	}
	return WK_OK;
}

void
cfg_alert_matcher_free(struct cfg_alert_matcher *m)
{
	free(m->value);
	m->value = NULL;
}

/* Checks the form of a webhook URL without ever quoting it. */
static int
check_url(struct cfgcheck *ck, int node, const char *key, const char *url)
{
	const char *host;
	size_t i;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("the URL from \"%s\" does not start with https:// or http://; give the full webhook URL"),
		    key);
	if (strlen(url) >= CFG_ALERT_URL_MAX || *host == '\0' || *host == '/')
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("the URL from \"%s\" has no host or is longer than %d bytes; give the full webhook URL"),
		    key, CFG_ALERT_URL_MAX - 1);
	for (i = 0; url[i] != '\0'; i++) {
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
			    _("the URL from \"%s\" contains a space or control character at byte %zu; remove it"),
			    key, i);
	}
	return WK_OK;
}

/* Resolves a relative url_file against the configuration's directory. */
static void
url_file_path(const struct cfgcheck *ck, const char *file, char *out,
	      size_t size)
{
	const char *slash = strrchr(ck->name, '/');

	if (file[0] == '/' || slash == NULL)
		snprintf(out, size, "%s", file);
	else
		snprintf(out, size, "%.*s/%s", (int)(slash - ck->name),
		    ck->name, file);
}

/* Reads the first line of a secret file into *out. */
static int
read_url_file(struct cfgcheck *ck, const struct cfgcheck_member *m,
	      char **out)
{
	char path[PATH_MAX], data[CFG_ALERT_URL_MAX + 2];
	ssize_t n;
	int fd;

	url_file_path(ck, json_string_value(m->value), path, sizeof path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("cannot open the URL file %s: %s; check the path and its permissions"),
		    path, strerror(errno));
	n = read(fd, data, sizeof data - 1);
	close(fd);
	if (n < 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("cannot read the URL file %s: %s"), path,
		    strerror(errno));

	data[n] = '\0';
	data[strcspn(data, "\r\n")] = '\0';
	while (n > 0 && data[0] != '\0' &&
	       isspace((unsigned char)data[strlen(data) - 1]))
		data[strlen(data) - 1] = '\0';
	if (data[0] == '\0')
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("the URL file %s is empty; write the webhook URL on its first line"),
		    path);
	*out = strdup(data);
	return *out != NULL ? WK_OK : cfgcheck_nomem(ck);
}

/* Reads a secret URL from exactly one of url, url_file and url_env. */
static int
load_url(struct cfgcheck *ck, json_t *obj, int node, int required,
	 char **out)
{
	static const char *const keys[] = { "url", "url_file", "url_env" };
	struct cfgcheck_member m[3], *given = NULL;
	const char *env;
	size_t i;
	int rc = WK_OK;

	for (i = 0; i < 3; i++) {
		m[i] = cfgcheck_get_member(ck, obj, node, keys[i]);
		if (m[i].value == NULL)
			continue;
		if (given != NULL)
			return cfgcheck_fail_at(ck, cfgcheck_key_at(ck,
			    m[i].node), _("give only one of \"url\", \"url_file\" and \"url_env\"; remove \"%s\""),
			    keys[i]);
		if (!json_is_string(m[i].value) ||
		    json_string_length(m[i].value) == 0)
			return cfgcheck_wrong_type(ck, &m[i],
			    _("a non-empty string"), "\"/etc/watchkeep/slack.url\"");
		given = &m[i];
	}
	if (given == NULL)
		return required ? cfgcheck_missing_key(ck, node, "url_file",
		    _("in a receiver"), "\"/etc/watchkeep/slack.url\"") : WK_OK;

	if (given == &m[0]) {
		*out = strdup(json_string_value(given->value));
		rc = *out != NULL ? WK_OK : cfgcheck_nomem(ck);
	} else if (given == &m[1]) {
		rc = read_url_file(ck, given, out);
	} else {
		env = getenv(json_string_value(given->value));
		if (env == NULL || env[0] == '\0')
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    given->node), _("the environment variable %s is not set; export the webhook URL in it before starting watchkeep"),
			    cfgcheck_quote(json_string_value(given->value)).text);
		*out = strdup(env);
		rc = *out != NULL ? WK_OK : cfgcheck_nomem(ck);
	}
	if (rc != WK_OK)
		return rc;
	return check_url(ck, given->node, given->key, *out);
}

/* Reads the required "type" of a receiver. */
static int
load_receiver_type(struct cfgcheck *ck, struct cfg_alert_receiver *r,
		   json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "type");
	const char *hint;
	int i;

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "type", _("in a receiver"),
		    "\"slack\"");
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"), "\"slack\"");
	for (i = 0; i < CFG_ALERT_TYPE_COUNT; i++) {
		if (strcmp(json_string_value(m.value),
		    cfg_alert_type_names[i]) == 0) {
			r->type = (enum cfg_alert_type)i;
			return WK_OK;
		}
	}
	hint = cfgcheck_nearest(json_string_value(m.value),
	    cfg_alert_type_names, CFG_ALERT_TYPE_COUNT);
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
	    _("unknown receiver type \"%s\"%s%s%s; use slack, mattermost, discord, teams, google_chat, json or alertmanager"),
	    cfgcheck_quote(json_string_value(m.value)).text,
	    hint != NULL ? _(" (did you mean \"") : "",
	    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
}

/* Reads receiver i, the object at node. */
static int
load_receiver(struct cfgcheck *ck, struct cfg_alerting *a, size_t i,
	      json_t *obj, int node)
{
	struct cfg_alert_receiver *r = &a->receivers[i];
	struct cfgcheck_member m;
	size_t k;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a receiver must be an object, not %s; for example {\"name\": \"team\", \"type\": \"slack\", \"url_file\": \"slack.url\"}"),
		    cfgcheck_type_name(obj));
	r->line = cfgcheck_value_at(ck, node).line;
	r->timeout_ms = CFG_ALERT_TIMEOUT_DEFAULT_MS;
	rc = cfgcheck_keys(ck, node, receiver_keys, _("in a receiver"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in a receiver"),
		    "\"team-chat\"", &r->name);
	for (k = 0; rc == WK_OK && k < i; k++) {
		if (strcmp(a->receivers[k].name, r->name) == 0)
			rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_member(&ck->pos, node, "name")),
			    _("duplicate receiver name \"%s\" (first used at line %d); choose another name"),
			    r->name, a->receivers[k].line);
	}
	if (rc == WK_OK)
		rc = load_receiver_type(ck, r, obj, node);
	if (rc == WK_OK)
		rc = load_url(ck, obj, node, 1, &r->url);
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "language");
	rc = cfgcheck_string(ck, &m, "\"ja\"", &r->language);
	if (rc == WK_OK && r->language == NULL &&
	    (r->language = strdup("en")) == NULL)
		rc = cfgcheck_nomem(ck);
	if (rc == WK_OK && strcmp(r->language, "en") != 0 &&
	    strcmp(r->language, "ja") != 0)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("unsupported language \"%s\"; use \"en\" or \"ja\""),
		    cfgcheck_quote(r->language).text);
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "timeout");
	rc = cfgcheck_duration(ck, &m, &r->timeout_ms);
	if (rc == WK_OK && (r->timeout_ms < 100 || r->timeout_ms > 300000))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"timeout\" of a receiver must be from 100ms to 5m"));
	return rc;
}

/* Returns the first child node of an array member, or the member itself. */
static int
first_element(const struct cfgcheck *ck, const struct cfgcheck_member *m)
{
	int child = ck->pos.nodes[m->node].first_child;

	return child != JSONPOS_NONE ? child : m->node;
}

static int
next_element(const struct cfgcheck *ck, int node, const struct cfgcheck_member *m)
{
	int next = ck->pos.nodes[node].next_sibling;

	return next != JSONPOS_NONE ? next : m->node;
}

static int
load_receivers(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	       int node)
{
	static const char example[] =
	    "[{\"name\": \"team\", \"type\": \"slack\", \"url_file\": \"slack.url\"}]";
	struct cfgcheck_member m;
	size_t n, i;
	int child, rc = WK_OK;

	m = cfgcheck_get_member(ck, obj, node, "receivers");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "receivers",
		    _(ALERTING_WHERE), example);
	if (!json_is_array(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an array of receivers"),
		    example);
	n = json_array_size(m.value);
	if (n == 0 || n > CFG_ALERT_RECEIVERS_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"receivers\" has %zu entries; give 1 to %d receivers"),
		    n, CFG_ALERT_RECEIVERS_MAX);

	a->receivers = calloc(n, sizeof *a->receivers);
	if (a->receivers == NULL)
		return cfgcheck_nomem(ck);
	child = first_element(ck, &m);
	for (i = 0; i < n && rc == WK_OK; i++) {
		a->n_receivers = i + 1;
		rc = load_receiver(ck, a, i, json_array_get(m.value, i), child);
		child = next_element(ck, child, &m);
	}
	return rc;
}

/* Reads an array of receiver names into indices. */
static int
load_receiver_names(struct cfgcheck *ck, const struct cfg_alerting *a,
		    const struct cfgcheck_member *m, size_t *out, size_t *n)
{
	const char *names[CFG_ALERT_RECEIVERS_MAX], *hint;
	size_t i, k;

	if (!json_is_array(m->value) ||
	    json_array_size(m->value) > CFG_ALERT_RECEIVERS_MAX)
		return cfgcheck_wrong_type(ck, m,
		    _("an array of at most 32 receiver names"), "[\"team\"]");
	for (k = 0; k < a->n_receivers; k++)
		names[k] = a->receivers[k].name;
	*n = 0;
	for (i = 0; i < json_array_size(m->value); i++) {
		json_t *v = json_array_get(m->value, i);
		int node = jsonpos_element(&ck->pos, m->node, i);

		if (!json_is_string(v))
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
			    _("a receiver name must be a string, not %s"),
			    cfgcheck_type_name(v));
		for (k = 0; k < a->n_receivers &&
		     strcmp(names[k], json_string_value(v)) != 0; k++)
			continue;
		if (k == a->n_receivers) {
			hint = cfgcheck_nearest(json_string_value(v), names,
			    a->n_receivers);
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
			    _("unknown receiver \"%s\"%s%s%s; name one of the \"receivers\""),
			    cfgcheck_quote(json_string_value(v)).text,
			    hint != NULL ? _(" (did you mean \"") : "",
			    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
		}
		out[(*n)++] = k;
	}
	return WK_OK;
}

/* Reads an optional array of matcher strings. */
static int
load_matchers(struct cfgcheck *ck, json_t *obj, int node,
	      struct cfg_alert_matcher *out, size_t *n)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "match");
	const char *reason;
	size_t i, bad;
	int rc;

	*n = 0;
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_array(m.value) ||
	    json_array_size(m.value) > CFG_ALERT_MATCHERS_MAX)
		return cfgcheck_wrong_type(ck, &m,
		    _("an array of at most 8 matchers"),
		    "[\"severity=page\", \"pipeline=~churn.*\"]");
	for (i = 0; i < json_array_size(m.value); i++) {
		json_t *v = json_array_get(m.value, i);
		int el = jsonpos_element(&ck->pos, m.node, i);

		if (!json_is_string(v))
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, el),
			    _("a matcher must be a string such as \"severity=page\", not %s"),
			    cfgcheck_type_name(v));
		rc = cfg_alert_matcher_parse(json_string_value(v), &out[i],
		    &reason, &bad);
		if (rc == WK_ERR_NOMEM)
			return cfgcheck_nomem(ck);
		if (rc != WK_OK)
			return cfgcheck_fail_at(ck, jsonpos_string_loc(&ck->pos,
			    el, bad), _("invalid matcher \"%s\": %s; write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX"),
			    cfgcheck_quote(json_string_value(v)).text,
			    _(reason));
		*n = i + 1;
	}
	return WK_OK;
}

static int
load_route(struct cfgcheck *ck, struct cfg_alerting *a,
	   struct cfg_alert_route *r, json_t *obj, int node)
{
	struct cfgcheck_member m;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a route must be an object, not %s; for example {\"match\": [\"severity=page\"], \"receivers\": [\"team\"]}"),
		    cfgcheck_type_name(obj));
	rc = cfgcheck_keys(ck, node, route_keys, _("in a route"));
	if (rc == WK_OK)
		rc = load_matchers(ck, obj, node, r->matchers, &r->n_matchers);
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "receivers");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "receivers",
		    _("in a route"), "[\"team\"]");
	rc = load_receiver_names(ck, a, &m, r->receivers, &r->n_receivers);
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "continue");
	return cfgcheck_bool(ck, &m, &r->cont);
}

static int
load_routes(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	    int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "routes");
	size_t n, i;
	int child, rc = WK_OK;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_array(m.value) ||
	    json_array_size(m.value) > CFG_ALERT_ROUTES_MAX)
		return cfgcheck_wrong_type(ck, &m,
		    _("an array of at most 64 routes"),
		    "[{\"match\": [\"severity=page\"], \"receivers\": [\"team\"]}]");
	n = json_array_size(m.value);
	a->routes = calloc(n + 1, sizeof *a->routes);
	if (a->routes == NULL)
		return cfgcheck_nomem(ck);
	child = first_element(ck, &m);
	for (i = 0; i < n && rc == WK_OK; i++) {
		a->n_routes = i + 1;
		rc = load_route(ck, a, &a->routes[i],
		    json_array_get(m.value, i), child);
		child = next_element(ck, child, &m);
	}
	return rc;
}

/* Reads "default_receivers"; every receiver when absent. */
static int
load_default_receivers(struct cfgcheck *ck, struct cfg_alerting *a,
		       json_t *obj, int node)
{
	struct cfgcheck_member m;
	size_t i;

	m = cfgcheck_get_member(ck, obj, node, "default_receivers");
	if (m.value != NULL)
		return load_receiver_names(ck, a, &m, a->default_receivers,
		    &a->n_default_receivers);
	for (i = 0; i < a->n_receivers; i++)
		a->default_receivers[i] = i;
	a->n_default_receivers = a->n_receivers;
	return WK_OK;
}

static int
load_group_by(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	      int node)
{
	static const char *const defaults[] = { "pipeline", "run", "probe",
		"slo" };
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "group_by");
	size_t i;

	if (m.value == NULL) {
		for (i = 0; i < 4; i++)
			snprintf(a->group_by[i], sizeof a->group_by[i], "%s",
			    defaults[i]);
		a->n_group_by = 4;
		return WK_OK;
	}
	if (!json_is_array(m.value) ||
	    json_array_size(m.value) > CFG_ALERT_GROUP_BY_MAX)
		return cfgcheck_wrong_type(ck, &m,
		    _("an array of at most 8 label names"),
		    "[\"pipeline\", \"run\"]");
	for (i = 0; i < json_array_size(m.value); i++) {
		const char *s = json_string_value(json_array_get(m.value, i));

		if (s == NULL || label_name_len(s) != strlen(s) ||
		    strlen(s) >= CFG_ALERT_LABEL_NAME_MAX)
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, m.node, i)),
			    _("an entry of \"group_by\" must be a label name of [A-Za-z_][A-Za-z0-9_]*, at most 31 bytes"));
		snprintf(a->group_by[i], sizeof a->group_by[i], "%s", s);
		a->n_group_by = i + 1;
	}
	return WK_OK;
}

/*
 * Parses "YYYY-MM-DDTHH:MM:SSZ" or with an offset "+09:00" into ms since
 * the epoch.
 */
static int
parse_rfc3339(const char *text, int64_t *ms)
{
	int h, mi, s, n = 0, oh = 0, om = 0, sign = 1;
	char date[11];
	int64_t days;

	if (strlen(text) < 20)
		return WK_ERR_INVALID;
	memcpy(date, text, 10);
	date[10] = '\0';
	if (clk_parse_date(date, &days) != WK_OK || text[10] != 'T' ||
	    sscanf(text + 11, "%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3 ||
	    n != 8 || h > 23 || mi > 59 || s > 59)
		return WK_ERR_INVALID;
	text += 19;
	if (strcmp(text, "Z") != 0) {
		if ((text[0] != '+' && text[0] != '-') || strlen(text) != 6 ||
		    sscanf(text + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 ||
		    om > 59)
			return WK_ERR_INVALID;
		sign = text[0] == '+' ? 1 : -1;
	}
	*ms = ((days * 86400 + h * 3600 + mi * 60 + s) -
	    sign * (oh * 3600 + om * 60)) * INT64_C(1000);
	return WK_OK;
}

/* Reads the "start" or "end" of a one-off window. */
static int
load_instant(struct cfgcheck *ck, json_t *obj, int node, const char *key,
	     int64_t *ms)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, key);

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, key,
		    _("in a one-off maintenance window"),
		    "\"2026-12-24T22:00:00Z\"");
	if (!json_is_string(m.value) ||
	    parse_rfc3339(json_string_value(m.value), ms) != WK_OK)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"%s\" must be a time such as \"2026-12-24T22:00:00Z\" or \"2026-12-25T07:00:00+09:00\""),
		    key);
	return WK_OK;
}

/* Reads the schedule of a cron window: cron, time_zone and duration. */
static int
load_cron_window(struct cfgcheck *ck, struct cfg_alert_window *w,
		 json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "cron");
	char reason[CRON_REASON_MAX];
	struct cron c;
	size_t bad = 0;
	int rc;

	rc = cfgcheck_string(ck, &m, "\"0 2 * * 6\"", &w->cron);
	if (rc == WK_OK && cron_parse_explained(w->cron, &c, &bad, reason,
	    sizeof reason) != WK_OK)
		rc = cfgcheck_fail_at(ck, jsonpos_string_loc(&ck->pos, m.node,
		    bad), _("invalid cron schedule \"%s\": %s"),
		    cfgcheck_quote(w->cron).text, reason);
	m = cfgcheck_get_member(ck, obj, node, "time_zone");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"Asia/Tokyo\"", &w->time_zone);
	if (rc == WK_OK && w->time_zone == NULL &&
	    (w->time_zone = strdup("UTC")) == NULL)
		rc = cfgcheck_nomem(ck);
	if (rc == WK_OK)
		rc = cfgcheck_time_zone(ck, m.node, "time_zone", w->time_zone);
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "duration");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "duration",
		    _("in a cron maintenance window"), "\"2h\"");
	rc = cfgcheck_duration(ck, &m, &w->duration_ms);
	if (rc == WK_OK && w->duration_ms <= 0)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"duration\" of a maintenance window must be longer than 0"));
	return rc;
}

static int
load_window(struct cfgcheck *ck, struct cfg_alert_window *w, json_t *obj,
	    int node)
{
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a maintenance window must be an object, not %s"),
		    cfgcheck_type_name(obj));
	rc = cfgcheck_keys(ck, node, window_keys,
	    _("in a maintenance window"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in a maintenance window"),
		    "\"saturday-backup\"", &w->name);
	if (rc == WK_OK)
		rc = load_matchers(ck, obj, node, w->matchers, &w->n_matchers);
	if (rc != WK_OK)
		return rc;

	if (json_object_get(obj, "cron") != NULL)
		return load_cron_window(ck, w, obj, node);
	rc = load_instant(ck, obj, node, "start", &w->starts_at);
	if (rc == WK_OK)
		rc = load_instant(ck, obj, node, "end", &w->ends_at);
	if (rc == WK_OK && w->ends_at <= w->starts_at)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "end")),
		    _("\"end\" of a maintenance window must be after its \"start\""));
	return rc;
}

static int
load_windows(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	     int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "maintenance");
	size_t n, i;
	int child, rc = WK_OK;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_array(m.value) ||
	    json_array_size(m.value) > CFG_ALERT_WINDOWS_MAX)
		return cfgcheck_wrong_type(ck, &m,
		    _("an array of at most 32 maintenance windows"),
		    "[{\"name\": \"backup\", \"cron\": \"0 2 * * 6\", \"duration\": \"2h\"}]");
	n = json_array_size(m.value);
	a->windows = calloc(n + 1, sizeof *a->windows);
	if (a->windows == NULL)
		return cfgcheck_nomem(ck);
	child = first_element(ck, &m);
	for (i = 0; i < n && rc == WK_OK; i++) {
		a->n_windows = i + 1;
		rc = load_window(ck, &a->windows[i],
		    json_array_get(m.value, i), child);
		child = next_element(ck, child, &m);
	}
	return rc;
}

/*
 * Sets the per-source defaults: run outcomes resolve at once, and "no
 * data" waits 25 hours, so that an SLO of a daily batch does not fire on
 * the day it is set up, before its first run.
 */
static void
timing_defaults(struct cfg_alerting *a)
{
	int i;

	for (i = 0; i < ALERT_SRC_COUNT; i++) {
		a->timing[i].for_ms = 0;
		a->timing[i].resolve_after_ms = 60000;
	}
	a->timing[ALERT_SRC_STAGE_FAILED].resolve_after_ms = 0;
	a->timing[ALERT_SRC_STAGE_TIMED_OUT].resolve_after_ms = 0;
	a->timing[ALERT_SRC_STAGE_RETRYING].resolve_after_ms = 0;
	a->timing[ALERT_SRC_QUALITY_GATE].resolve_after_ms = 0;
	a->timing[ALERT_SRC_DEADLINE_MISSED].resolve_after_ms = 0;
	a->timing[ALERT_SRC_NO_DATA].for_ms = 25 * INT64_C(3600000);
}

static int
load_timing(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	    int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "timing");
	struct cfgcheck_member f;
	const char *key, *hint;
	json_t *v;
	int src, child, rc;

	timing_defaults(a);
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object keyed by source"),
		    "{\"probe_down\": {\"for\": \"30s\", \"resolve_after\": \"2m\"}}");
	for (child = ck->pos.nodes[m.node].first_child; child != JSONPOS_NONE;
	     child = ck->pos.nodes[child].next_sibling) {
		key = jsonpos_key(&ck->pos, child);
		v = json_object_get(m.value, key);
		src = cfg_alert_source_find(key);
		if (src < 0) {
			hint = cfgcheck_nearest(key, cfg_alert_source_names,
			    ALERT_SRC_COUNT);
			return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, child),
			    _("unknown alert source \"%s\" in \"timing\"%s%s%s; see docs/alerting.md for the sources"),
			    cfgcheck_quote(key).text,
			    hint != NULL ? _(" (did you mean \"") : "",
			    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
		}
		if (!json_is_object(v))
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, child),
			    _("the timing of a source must be an object such as {\"for\": \"30s\", \"resolve_after\": \"2m\"}"));
		rc = cfgcheck_keys(ck, child, timing_keys, _("in \"timing\""));
		f = cfgcheck_get_member(ck, v, child, "for");
		if (rc == WK_OK)
			rc = cfgcheck_duration(ck, &f, &a->timing[src].for_ms);
		f = cfgcheck_get_member(ck, v, child, "resolve_after");
		if (rc == WK_OK)
			rc = cfgcheck_duration(ck, &f,
			    &a->timing[src].resolve_after_ms);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

static int
load_delivery(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	      int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "delivery"), f;
	int64_t attempts;
	int rc;

	a->max_attempts = 12;
	a->max_age_ms = 12 * 3600000;
	a->backoff_min_ms = 1000;
	a->backoff_max_ms = 300000;
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object"),
		    "{\"max_attempts\": 12, \"max_age\": \"12h\"}");
	rc = cfgcheck_keys(ck, m.node, delivery_keys, _("in \"delivery\""));
	f = cfgcheck_get_member(ck, m.value, m.node, "max_attempts");
	attempts = a->max_attempts;
	if (rc == WK_OK)
		rc = cfgcheck_int(ck, &f, 1, 1000, "10", &attempts);
	a->max_attempts = (int)attempts;
	f = cfgcheck_get_member(ck, m.value, m.node, "max_age");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &f, &a->max_age_ms);
	f = cfgcheck_get_member(ck, m.value, m.node, "backoff_min");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &f, &a->backoff_min_ms);
	f = cfgcheck_get_member(ck, m.value, m.node, "backoff_max");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &f, &a->backoff_max_ms);
	if (rc == WK_OK && (a->backoff_min_ms < 10 || a->max_age_ms <= 0 ||
	    a->backoff_max_ms < a->backoff_min_ms))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("in \"delivery\", \"backoff_min\" must be at least 10ms, \"backoff_max\" at least \"backoff_min\", and \"max_age\" longer than 0"));
	return rc;
}

static int
load_heartbeat(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	       int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "heartbeat"), f;
	int rc;

	a->heartbeat_interval_ms = 60000;
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object"),
		    "{\"url_file\": \"heartbeat.url\", \"interval\": \"1m\"}");
	rc = cfgcheck_keys(ck, m.node, heartbeat_keys, _("in \"heartbeat\""));
	if (rc == WK_OK)
		rc = load_url(ck, m.value, m.node, 1, &a->heartbeat_url);
	f = cfgcheck_get_member(ck, m.value, m.node, "interval");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &f, &a->heartbeat_interval_ms);
	if (rc == WK_OK && a->heartbeat_interval_ms < 1000)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, f.node),
		    _("\"interval\" of the heartbeat must be at least 1s"));
	return rc;
}

/* Reads the durations and switches of the section. */
static int
load_timers(struct cfgcheck *ck, struct cfg_alerting *a, json_t *obj,
	    int node)
{
	static const char *const keys[] = { "group_wait", "group_interval",
		"repeat_interval", "startup_grace" };
	int64_t *values[] = { &a->group_wait_ms, &a->group_interval_ms,
		&a->repeat_interval_ms, &a->startup_grace_ms };
	struct cfgcheck_member m;
	size_t i;
	int rc = WK_OK;

	a->group_wait_ms = 200;
	a->group_interval_ms = 5000;
	a->repeat_interval_ms = 4 * 3600000;
	a->startup_grace_ms = 120000;
	a->inhibit = 1;
	for (i = 0; i < 4 && rc == WK_OK; i++) {
		m = cfgcheck_get_member(ck, obj, node, keys[i]);
		rc = cfgcheck_duration(ck, &m, values[i]);
	}
	m = cfgcheck_get_member(ck, obj, node, "inhibit");
	if (rc == WK_OK)
		rc = cfgcheck_bool(ck, &m, &a->inhibit);
	m = cfgcheck_get_member(ck, obj, node, "base_url");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"https://watchkeep.example.com\"",
		    &a->base_url);
	if (rc == WK_OK && a->base_url != NULL &&
	    strncmp(a->base_url, "https://", 8) != 0 &&
	    strncmp(a->base_url, "http://", 7) != 0)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"base_url\" must start with https:// or http://"));
	return rc;
}

int
cfg_alerting_load(struct cfgcheck *ck, struct cfg *cfg,
		  const struct cfgcheck_member *m)
{
	struct cfg_alerting *a = &cfg->alerting;
	json_t *obj = m->value;
	int rc;

	memset(a, 0, sizeof *a);
	timing_defaults(a);
	if (obj == NULL)
		return WK_OK;
	if (!json_is_object(obj))
		return cfgcheck_wrong_type(ck, m, _("an object"),
		    "{\"receivers\": [...]}");
	a->present = 1;
	rc = cfgcheck_keys(ck, m->node, alerting_keys, _(ALERTING_WHERE));
	if (rc == WK_OK)
		rc = load_timers(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_receivers(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_routes(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_default_receivers(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_group_by(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_windows(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_timing(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_delivery(ck, a, obj, m->node);
	if (rc == WK_OK)
		rc = load_heartbeat(ck, a, obj, m->node);
	return rc;
}

void
cfg_alerting_free(struct cfg *cfg)
{
	struct cfg_alerting *a = &cfg->alerting;
	size_t i, k;

	for (i = 0; i < a->n_receivers; i++) {
		free(a->receivers[i].name);
		free(a->receivers[i].url);
		free(a->receivers[i].language);
	}
	for (i = 0; i < a->n_routes; i++) {
		for (k = 0; k < a->routes[i].n_matchers; k++)
			cfg_alert_matcher_free(&a->routes[i].matchers[k]);
	}
	for (i = 0; i < a->n_windows; i++) {
		free(a->windows[i].name);
		free(a->windows[i].cron);
		free(a->windows[i].time_zone);
		for (k = 0; k < a->windows[i].n_matchers; k++)
			cfg_alert_matcher_free(&a->windows[i].matchers[k]);
	}
	free(a->receivers);
	free(a->routes);
	free(a->windows);
	free(a->base_url);
	free(a->heartbeat_url);
	memset(a, 0, sizeof *a);
}
