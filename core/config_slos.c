/*
 * The "slos" section: reads and checks every SLO of the configuration.
 * Pipelines are read before this section, so an SLI that names a pipeline
 * or a stage is checked against them here.
 */
#include "core/config_slos.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_probes.h"
#include "core/i18n.h"

#define SLO_EXAMPLE \
	"{\"name\": \"churn-success\", \"sli\": {\"kind\": \"run_success\", " \
	"\"pipeline\": \"churn\"}, \"objective\": 0.9, \"window\": \"30d\"}"
#define MINUTE_MS INT64_C(60000)
#define MIN_EVENTS_MAX INT64_C(1000000000)
#define SLOS_HINT_NAMES 256  /* probe names a hint is chosen from */

static const char *const slo_keys[] = {
	"name", "description", "sli", "objective", "window", "time_zone",
	"budgeting_method", "timeslice_window", "timeslice_target",
	"min_events", "alerting", NULL
};
static const char *const alerting_keys[] = { "page", "ticket", NULL };
static const char *const rule_keys[] = {
	"long_window", "short_window", "burn_rate", NULL
};
static const char *const budgeting_names[] = {
	"occurrences", "timeslices", NULL
};

/* The SLI kinds in enum order, and the keys each accepts. */
static const char *const sli_kind_names[] = {
	"run_success", "stage_latency", "deadline", "freshness",
	"probe_availability", "probe_latency", NULL
};
static const char *const run_success_keys[] = { "kind", "pipeline", NULL };
static const char *const stage_latency_keys[] = {
	"kind", "pipeline", "stage", "threshold", NULL
};
static const char *const deadline_keys[] = {
	"kind", "pipeline", "deadline", "time_zone", NULL
};
static const char *const freshness_keys[] = {
	"kind", "path", "max_age", NULL
};
static const char *const probe_availability_keys[] = {
	"kind", "probe", NULL
};
static const char *const probe_latency_keys[] = {
	"kind", "probe", "threshold", NULL
};
static const char *const *const sli_keys[] = {
	run_success_keys, stage_latency_keys, deadline_keys, freshness_keys,
	probe_availability_keys, probe_latency_keys
};

const char *
cfg_sli_kind_name(enum cfg_sli_kind kind)
{
	if ((size_t)kind >= sizeof sli_keys / sizeof sli_keys[0])
		return "?";
	return sli_kind_names[kind];
}

/* Reads an optional number member within (lo, hi], or (lo, hi) when open. */
static int
slos_fraction(struct cfgcheck *ck, const struct cfgcheck_member *m,
	      int hi_open, const char *example, double *out)
{
	double v;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_number(m->value))
		return cfgcheck_wrong_type(ck, m, _("a number"), example);
	v = json_number_value(m->value);
	if (v <= 0.0 || v > 1.0 || (hi_open && v >= 1.0))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    hi_open ?
		    _("\"%s\" is %g; give a fraction above 0 and below 1, for example %s") :
		    _("\"%s\" is %g; give a fraction above 0 and at most 1, for example %s"),
		    m->key, v, example);
	*out = v;
	return WK_OK;
}

/* Reads a required duration that is a positive number of milliseconds. */
static int
slos_positive_duration(struct cfgcheck *ck, json_t *obj, int node,
		       const char *key, const char *where,
		       const char *example, int64_t *ms)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, key);
	int rc;

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, key, where, example);
	*ms = 0;
	rc = cfgcheck_duration(ck, &m, ms);
	if (rc == WK_OK && *ms <= 0)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"%s\" must be longer than 0; for example \"%s\": %s"),
		    key, key, example);
	return rc;
}

/* Reads a duration member that must be a whole number of minutes. */
static int
slos_minutes(struct cfgcheck *ck, const struct cfgcheck_member *m,
	     int64_t *minutes)
{
	int64_t ms = 0;
	int rc;

	rc = cfgcheck_duration(ck, m, &ms);
	if (rc != WK_OK)
		return rc;
	if (ms <= 0 || ms % MINUTE_MS != 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" must be a whole number of minutes, at least 1m; for example \"%s\": \"1h\""),
		    m->key, m->key);
	*minutes = ms / MINUTE_MS;
	return WK_OK;
}

/* Checks that a time zone loads from the zone database. */
static int
slos_check_zone(struct cfgcheck *ck, const struct cfgcheck_member *m,
		const char *name)
{
	return cfgcheck_time_zone(ck, m->node, m->key, name);
}

/* Reads the required string member key of an sli object. */
static int
slos_required_string(struct cfgcheck *ck, json_t *obj, int node,
		     const char *key, const char *example, char **out)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, key);

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, key, _("in an \"sli\""),
		    example);
	return cfgcheck_string(ck, &m, example, out);
}

/* Reports a name that is not among names[0..n-1]; what is "pipeline" etc. */
static int
slos_unknown_name(struct cfgcheck *ck, int node, const char *what,
		  const char *name, const char *const *names, size_t n)
{
	const char *near = cfgcheck_nearest(name, names, n);
	struct buf list;
	int rc;

	if (near != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("unknown %s \"%s\"; did you mean \"%s\"?"), what,
		    cfgcheck_quote(name).text, near);
	cfgcheck_join_names(&list, names, n);
	rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
	    _("unknown %s \"%s\"; use one of: %s"), what,
	    cfgcheck_quote(name).text, cfgcheck_list_text(&list));
	buf_free(&list);
	return rc;
}

/* Reads "pipeline" and checks that it names a configured pipeline. */
static int
slos_pipeline(struct cfgcheck *ck, const struct cfg *cfg, struct cfg_sli *sli,
	      json_t *obj, int node)
{
	const char *names[CFG_MAX_PIPELINES];
	size_t i;
	int rc;

	rc = slos_required_string(ck, obj, node, "pipeline", "\"churn\"",
	    &sli->pipeline);
	if (rc != WK_OK || cfg_find_pipeline(cfg, sli->pipeline) != NULL)
		return rc;

	for (i = 0; i < cfg->n_pipelines && i < CFG_MAX_PIPELINES; i++)
		names[i] = cfg->pipelines[i].name;
	return slos_unknown_name(ck, jsonpos_member(&ck->pos, node,
	    "pipeline"), _("pipeline"), sli->pipeline, names, i);
}

/* Reads "stage" and checks that it names a stage of sli->pipeline. */
static int
slos_stage(struct cfgcheck *ck, const struct cfg *cfg, struct cfg_sli *sli,
	   json_t *obj, int node)
{
	const struct cfg_pipeline *pl = cfg_find_pipeline(cfg, sli->pipeline);
	const char *names[CFG_MAX_STAGES];
	size_t i;
	int rc;

	rc = slos_required_string(ck, obj, node, "stage", "\"train\"",
	    &sli->stage);
	if (rc != WK_OK || cfg_find_stage(pl, sli->stage) != NULL)
		return rc;

	for (i = 0; i < pl->n_stages && i < CFG_MAX_STAGES; i++)
		names[i] = pl->stages[i].name;
	return slos_unknown_name(ck, jsonpos_member(&ck->pos, node, "stage"),
	    _("stage"), sli->stage, names, i);
}

/* Parses "HH:MM" (00:00 to 23:59) into minutes after midnight, or -1. */
static int
slos_parse_clock(const char *text)
{
	int hour, minute;

	if (strlen(text) != 5 || text[2] != ':' ||
	    !isdigit((unsigned char)text[0]) ||
	    !isdigit((unsigned char)text[1]) ||
	    !isdigit((unsigned char)text[3]) ||
	    !isdigit((unsigned char)text[4]))
		return -1;
	hour = (text[0] - '0') * 10 + (text[1] - '0');
	minute = (text[3] - '0') * 10 + (text[4] - '0');
	if (hour > 23 || minute > 59)
		return -1;
	return hour * 60 + minute;
}

/* Reads the "deadline" and "time_zone" of a deadline SLI. */
static int
slos_deadline(struct cfgcheck *ck, const struct cfg *cfg, struct cfg_sli *sli,
	      json_t *obj, int node)
{
	const struct cfg_pipeline *pl = cfg_find_pipeline(cfg, sli->pipeline);
	struct cfgcheck_member m;
	char *text = NULL;
	int rc;

	rc = slos_required_string(ck, obj, node, "deadline", "\"06:00\"",
	    &text);
	if (rc != WK_OK)
		return rc;
	sli->deadline_minute = slos_parse_clock(text);
	if (sli->deadline_minute < 0)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "deadline")),
		    _("invalid deadline \"%s\"; write a local time as HH:MM from 00:00 to 23:59, such as \"06:00\""),
		    cfgcheck_quote(text).text);
	free(text);
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "time_zone");
	rc = cfgcheck_string(ck, &m, "\"Asia/Tokyo\"", &sli->time_zone);
	if (rc != WK_OK)
		return rc;
	if (sli->time_zone == NULL) {
		sli->time_zone = strdup(pl->time_zone != NULL ?
		    pl->time_zone : "UTC");
		return sli->time_zone != NULL ? WK_OK : cfgcheck_nomem(ck);
	}
	return slos_check_zone(ck, &m, sli->time_zone);
}

/* Reads the "path" and "max_age" of a freshness SLI. */
static int
slos_freshness(struct cfgcheck *ck, struct cfg_sli *sli, json_t *obj,
	       int node)
{
	int rc;

	rc = slos_required_string(ck, obj, node, "path",
	    "\"/srv/churn/audience.csv.gz\"", &sli->path);
	if (rc != WK_OK)
		return rc;
	if (!cfg_path_is_absolute(sli->path) ||
	    strlen(sli->path) >= CFG_SLO_PATH_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "path")),
		    _("invalid path \"%s\": it must be absolute (or start with ${WATCHKEEP_STATE_DIR}/) and shorter than %d bytes, because the agent checks it from any directory; for example \"/srv/churn/audience.csv.gz\""),
		    cfgcheck_quote(sli->path).text, CFG_SLO_PATH_MAX);
	return slos_positive_duration(ck, obj, node, "max_age",
	    _("in an \"sli\""), "\"26h\"", &sli->max_age_ms);
}

/* Reads "probe" and checks that it names a configured probe. */
static int
slos_probe(struct cfgcheck *ck, const struct cfg *cfg, struct cfg_sli *sli,
	   json_t *obj, int node)
{
	const char *names[SLOS_HINT_NAMES];
	size_t i, n = 0;
	int rc;

	rc = slos_required_string(ck, obj, node, "probe", "\"api-health\"",
	    &sli->probe);
	if (rc != WK_OK || cfg_find_probe(cfg, sli->probe) != NULL)
		return rc;

	if (cfg->probes == NULL || cfg->probes->count == 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "probe")),
		    _("unknown probe \"%s\": the configuration has no \"probes\"; add the probe there"),
		    cfgcheck_quote(sli->probe).text);
	for (i = 0; i < cfg->probes->count && n < SLOS_HINT_NAMES; i++)
		names[n++] = cfg->probes->items[i].name;
	return slos_unknown_name(ck, jsonpos_member(&ck->pos, node, "probe"),
	    _("probe"), sli->probe, names, n);
}

/* Reads the parameters of an SLI whose kind is already known. */
static int
slos_sli_params(struct cfgcheck *ck, const struct cfg *cfg,
		struct cfg_sli *sli, json_t *obj, int node)
{
	int rc = WK_OK;

	switch (sli->kind) {
	case CFG_SLI_RUN_SUCCESS:
		return slos_pipeline(ck, cfg, sli, obj, node);
	case CFG_SLI_STAGE_LATENCY:
		rc = slos_pipeline(ck, cfg, sli, obj, node);
		if (rc == WK_OK)
			rc = slos_stage(ck, cfg, sli, obj, node);
		break;
	case CFG_SLI_DEADLINE:
		rc = slos_pipeline(ck, cfg, sli, obj, node);
		return rc == WK_OK ? slos_deadline(ck, cfg, sli, obj, node) : rc;
	case CFG_SLI_FRESHNESS:
		return slos_freshness(ck, sli, obj, node);
	case CFG_SLI_PROBE_AVAILABILITY:
		return slos_probe(ck, cfg, sli, obj, node);
	case CFG_SLI_PROBE_LATENCY:
		rc = slos_probe(ck, cfg, sli, obj, node);
		break;
	}
	if (rc != WK_OK)
		return rc;
	return slos_positive_duration(ck, obj, node, "threshold",
	    _("in an \"sli\""), "\"20m\"", &sli->threshold_ms);
}

/* Reads the required "sli" object of an SLO. */
static int
slos_sli(struct cfgcheck *ck, const struct cfg *cfg, struct cfg_sli *sli,
	 json_t *slo, int slo_node)
{
	static const char example[] =
	    "{\"kind\": \"run_success\", \"pipeline\": \"churn\"}";
	struct cfgcheck_member m = cfgcheck_get_member(ck, slo, slo_node, "sli");
	struct cfgcheck_member kind;
	char where[64];
	int index = -1, rc;

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, slo_node, "sli", _("in an SLO"),
		    example);
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object"), example);
	kind = cfgcheck_get_member(ck, m.value, m.node, "kind");
	if (kind.value == NULL)
		return cfgcheck_missing_key(ck, m.node, "kind",
		    _("in an \"sli\""), "\"run_success\"");
	rc = cfgcheck_choice(ck, &kind, sli_kind_names, &index);
	if (rc != WK_OK)
		return rc;

	sli->kind = (enum cfg_sli_kind)index;
	snprintf(where, sizeof where, _("in an \"sli\" of kind %s"),
	    sli_kind_names[index]);
	rc = cfgcheck_keys(ck, m.node, sli_keys[index], where);
	if (rc != WK_OK)
		return rc;
	return slos_sli_params(ck, cfg, sli, m.value, m.node);
}

/* Reads one alert rule, the object at node. */
static int
slos_rule(struct cfgcheck *ck, struct cfg_slo_rule *rule, json_t *obj,
	  int node)
{
	static const char example[] =
	    "{\"long_window\": \"1h\", \"short_window\": \"5m\", \"burn_rate\": 14.4}";
	struct cfgcheck_member m;
	const char *const keys[] = { "long_window", "short_window",
		"burn_rate" };
	size_t i;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("an alert rule must be an object, for example %s"),
		    example);
	rc = cfgcheck_keys(ck, node, rule_keys, _("in an alert rule"));
	for (i = 0; rc == WK_OK && i < 3; i++) {
		if (json_object_get(obj, keys[i]) == NULL)
			rc = cfgcheck_missing_key(ck, node, keys[i],
			    _("in an alert rule"), i < 2 ? "\"1h\"" : "14.4");
	}
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "long_window");
	rc = slos_minutes(ck, &m, &rule->long_minutes);
	m = cfgcheck_get_member(ck, obj, node, "short_window");
	if (rc == WK_OK)
		rc = slos_minutes(ck, &m, &rule->short_minutes);
	if (rc == WK_OK && rule->short_minutes > rule->long_minutes)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"short_window\" is longer than \"long_window\"; the short window confirms that the long one still burns, so make it shorter, such as a twelfth of it"));
	m = cfgcheck_get_member(ck, obj, node, "burn_rate");
	if (rc == WK_OK && (!json_is_number(m.value) ||
	    json_number_value(m.value) <= 0.0))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"burn_rate\" must be a number above 0, for example 14.4"));
	if (rc == WK_OK)
		rule->burn_rate = json_number_value(m.value);
	return rc;
}

/* Reads the rules of one severity ("page" or "ticket") of "alerting". */
static int
slos_rules(struct cfgcheck *ck, const struct cfgcheck_member *m,
	   struct cfg_slo_rule *rules, size_t *n, int *set)
{
	size_t i, count;
	int rc;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array of alert rules"),
		    "[{\"long_window\": \"1h\", \"short_window\": \"5m\", \"burn_rate\": 14.4}]");
	count = json_array_size(m->value);
	if (count > CFG_SLO_RULES_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" has %zu rules; the maximum is %d, so remove some"),
		    m->key, count, CFG_SLO_RULES_MAX);

	*set = 1;
	for (i = 0; i < count; i++) {
		rc = slos_rule(ck, &rules[i], json_array_get(m->value, i),
		    jsonpos_element(&ck->pos, m->node, i));
		if (rc != WK_OK)
			return rc;
		*n = i + 1;
	}
	return WK_OK;
}

/* Reads the optional "alerting" object of an SLO. */
static int
slos_alerting(struct cfgcheck *ck, struct cfg_slo_alerting *a, json_t *slo,
	      int slo_node)
{
	struct cfgcheck_member m, rules;
	int rc;

	m = cfgcheck_get_member(ck, slo, slo_node, "alerting");
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object"),
		    "{\"page\": [...], \"ticket\": [...]}");
	rc = cfgcheck_keys(ck, m.node, alerting_keys, _("in \"alerting\""));
	if (rc != WK_OK)
		return rc;

	rules = cfgcheck_get_member(ck, m.value, m.node, "page");
	rc = slos_rules(ck, &rules, a->page, &a->n_page, &a->page_set);
	if (rc != WK_OK)
		return rc;
	rules = cfgcheck_get_member(ck, m.value, m.node, "ticket");
	return slos_rules(ck, &rules, a->ticket, &a->n_ticket, &a->ticket_set);
}

/* Reads "window" and "time_zone": a rolling duration or "month". */
static int
slos_window(struct cfgcheck *ck, struct cfg_slo *slo, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "window");
	struct cfgcheck_member zone;
	int rc;

	zone = cfgcheck_get_member(ck, obj, node, "time_zone");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "window", _("in an SLO"),
		    "\"30d\"");
	if (json_is_string(m.value) &&
	    strcmp(json_string_value(m.value), "month") == 0) {
		rc = cfgcheck_string(ck, &zone, "\"Asia/Tokyo\"",
		    &slo->time_zone);
		if (rc == WK_OK && slo->time_zone == NULL &&
		    (slo->time_zone = strdup("UTC")) == NULL)
			rc = cfgcheck_nomem(ck);
		return rc == WK_OK ? slos_check_zone(ck, &zone,
		    slo->time_zone) : rc;
	}

	if (zone.value != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, zone.node),
		    _("\"time_zone\" applies only to the calendar window \"month\"; remove it, or set \"window\": \"month\""));
	rc = slos_minutes(ck, &m, &slo->window_minutes);
	if (rc == WK_OK && (slo->window_minutes < CFG_SLO_WINDOW_MIN_MINUTES ||
	    slo->window_minutes > CFG_SLO_WINDOW_MAX_MINUTES))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"window\" must be from 1h to 365d, or \"month\"; for example \"30d\""));
	return rc;
}

/* Reads "budgeting_method" and, for timeslices, the slice keys. */
static int
slos_budgeting(struct cfgcheck *ck, struct cfg_slo *slo, json_t *obj,
	       int node)
{
	struct cfgcheck_member m, len, target;
	int index = 0, rc;

	m = cfgcheck_get_member(ck, obj, node, "budgeting_method");
	rc = cfgcheck_choice(ck, &m, budgeting_names, &index);
	if (rc != WK_OK)
		return rc;
	slo->budgeting = (enum cfg_slo_budgeting)index;
	len = cfgcheck_get_member(ck, obj, node, "timeslice_window");
	target = cfgcheck_get_member(ck, obj, node, "timeslice_target");
	if (slo->budgeting == CFG_BUDGET_OCCURRENCES) {
		if (len.value == NULL && target.value == NULL)
			return WK_OK;
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck,
		    len.value != NULL ? len.node : target.node),
		    _("\"%s\" applies only to \"budgeting_method\": \"timeslices\"; remove it or set the method"),
		    len.value != NULL ? "timeslice_window" : "timeslice_target");
	}

	if (len.value == NULL)
		return cfgcheck_missing_key(ck, node, "timeslice_window",
		    _("in an SLO with timeslices"), "\"5m\"");
	if (target.value == NULL)
		return cfgcheck_missing_key(ck, node, "timeslice_target",
		    _("in an SLO with timeslices"), "0.95");
	rc = slos_minutes(ck, &len, &slo->timeslice_minutes);
	if (rc == WK_OK && (slo->timeslice_minutes >
	    CFG_SLO_TIMESLICE_MAX_MINUTES || (slo->window_minutes > 0 &&
	    slo->timeslice_minutes > slo->window_minutes)))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, len.node),
		    _("\"timeslice_window\" must be at most 1d and at most the SLO's window; for example \"5m\""));
	if (rc == WK_OK)
		rc = slos_fraction(ck, &target, 0, "0.95",
		    &slo->timeslice_target);
	return rc;
}

/* Reads the optional "min_events" (default 1). */
static int
slos_min_events(struct cfgcheck *ck, struct cfg_slo *slo, json_t *obj,
		int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "min_events");

	slo->min_events = 1;
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_integer(m.value) || json_integer_value(m.value) < 1 ||
	    json_integer_value(m.value) > MIN_EVENTS_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"min_events\" must be a whole number from 1 to %lld; for example \"min_events\": 3"),
		    (long long)MIN_EVENTS_MAX);
	slo->min_events = json_integer_value(m.value);
	return WK_OK;
}

/* Reads the optional one-line "description" of an SLO. */
static int
slos_description(struct cfgcheck *ck, struct cfg_slo *slo, json_t *obj,
		 int node)
{
	struct cfgcheck_member m;
	const char *s;
	int rc;

	m = cfgcheck_get_member(ck, obj, node, "description");
	rc = cfgcheck_string(ck, &m, "\"The daily churn run succeeds\"",
	    &slo->description);
	if (rc != WK_OK || slo->description == NULL)
		return rc;
	for (s = slo->description; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return cfgcheck_fail_at(ck,
			    jsonpos_string_loc(&ck->pos, m.node,
			    (size_t)(s - slo->description)),
			    _("\"description\" must be one line without control characters; remove the line break or tab"));
	}
	return WK_OK;
}

/* Reads the required "objective". */
static int
slos_objective(struct cfgcheck *ck, struct cfg_slo *slo, json_t *obj,
	       int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "objective");

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "objective",
		    _("in an SLO"), "0.99");
	return slos_fraction(ck, &m, 1, "0.99", &slo->objective);
}

/* Reads SLO i, the object at node. */
static int
slos_load_one(struct cfgcheck *ck, const struct cfg *cfg,
	      struct cfg_slos *slos, size_t i, json_t *obj, int node)
{
	struct cfg_slo *slo = &slos->items[i];
	struct jsonpos_loc loc = cfgcheck_value_at(ck, node);
	size_t k;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, loc,
		    _("an SLO must be an object, not %s; for example %s"),
		    cfgcheck_type_name(obj), SLO_EXAMPLE);
	slo->pos.line = loc.line;
	slo->pos.column = loc.column;
	rc = cfgcheck_keys(ck, node, slo_keys, _("in an SLO"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in an SLO"),
		    "\"churn-success\"", &slo->name);
	for (k = 0; rc == WK_OK && k < i; k++) {
		if (strcmp(slos->items[k].name, slo->name) == 0)
			rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_member(&ck->pos, node, "name")),
			    _("duplicate SLO name \"%s\" (first used at line %d); choose another name"),
			    slo->name, slos->items[k].pos.line);
	}

	if (rc == WK_OK)
		rc = slos_description(ck, slo, obj, node);
	if (rc == WK_OK)
		rc = slos_sli(ck, cfg, &slo->sli, obj, node);
	if (rc == WK_OK)
		rc = slos_objective(ck, slo, obj, node);
	if (rc == WK_OK)
		rc = slos_window(ck, slo, obj, node);
	if (rc == WK_OK)
		rc = slos_budgeting(ck, slo, obj, node);
	if (rc == WK_OK)
		rc = slos_min_events(ck, slo, obj, node);
	if (rc == WK_OK)
		rc = slos_alerting(ck, &slo->alerting, obj, node);
	return rc;
}

int
cfg_load_slos(struct cfgcheck *ck, struct cfg *cfg,
	      const struct cfgcheck_member *m)
{
	size_t n, i;
	int rc;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array of SLOs"),
		    "[" SLO_EXAMPLE "]");
	n = json_array_size(m->value);
	if (n > CFG_MAX_SLOS)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"slos\" has %zu entries; the maximum is %d, so remove some"),
		    n, CFG_MAX_SLOS);

	cfg->slos = calloc(1, sizeof *cfg->slos);
	if (cfg->slos == NULL)
		return cfgcheck_nomem(ck);
	cfg->slos->items = calloc(n + 1, sizeof *cfg->slos->items);
	if (cfg->slos->items == NULL)
		return cfgcheck_nomem(ck);
	for (i = 0; i < n; i++) {
		cfg->slos->count = i + 1;
		rc = slos_load_one(ck, cfg, cfg->slos, i,
		    json_array_get(m->value, i),
		    jsonpos_element(&ck->pos, m->node, i));
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

static void
slos_free_one(struct cfg_slo *slo)
{
	free(slo->name);
	free(slo->description);
	free(slo->sli.pipeline);
	free(slo->sli.stage);
	free(slo->sli.probe);
	free(slo->sli.path);
	free(slo->sli.time_zone);
	free(slo->time_zone);
}

void
cfg_free_slos(struct cfg *cfg)
{
	size_t i;

	if (cfg->slos == NULL)
		return;
	for (i = 0; i < cfg->slos->count; i++)
		slos_free_one(&cfg->slos->items[i]);
	free(cfg->slos->items);
	free(cfg->slos);
	cfg->slos = NULL;
}

const struct cfg_slo *
cfg_find_slo(const struct cfg *cfg, const char *name)
{
	size_t i;

	if (cfg->slos == NULL)
		return NULL;
	for (i = 0; i < cfg->slos->count; i++) {
		if (strcmp(cfg->slos->items[i].name, name) == 0)
			return &cfg->slos->items[i];
	}
	return NULL;
}
