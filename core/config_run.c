/*
 * The supervision keys of pipelines (schedule, time zone, catch-up, overlap,
 * parallelism) and of stages (retries, exit codes, nice, memory limit,
 * heartbeat, inputs, restart policy, quality gates).
 */
#include "config_run.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/cron.h"
#include "core/i18n.h"

#define CFG_EXIT_CODES_MAX 64
#define CFG_GATES_MAX 32
/* Smallest memory_limit in bytes; a smaller one, 0B included, is rejected. */
#define CFG_MEMORY_LIMIT_MIN (INT64_C(1) << 20)

static const char *const gate_keys[] = {
	"metric", "min", "max", "max_drop", "max_change", NULL
};

/* Reads an optional integer member within [lo, hi] into *out. */
static int
cfg_int(struct cfgcheck *ck, const struct cfgcheck_member *m, long lo,
	long hi, const char *example, int *out)
{
	json_int_t v;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_integer(m->value))
		return cfgcheck_wrong_type(ck, m, _("an integer"), example);
	v = json_integer_value(m->value);
	if (v < lo || v > hi)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" is %lld, outside %ld..%ld; give a value in that range"),
		    m->key, (long long)v, lo, hi);
	*out = (int)v;
	return WK_OK;
}

/* Reads an optional number member into *out. */
static int
cfg_number(struct cfgcheck *ck, const struct cfgcheck_member *m,
	   const char *example, double *out)
{
	if (m->value == NULL)
		return WK_OK;
	if (!json_is_number(m->value))
		return cfgcheck_wrong_type(ck, m, _("a number"), example);
	*out = json_number_value(m->value);
	return WK_OK;
}

/* Reads an optional array of exit codes (0..255) into *codes and *n. */
static int
cfg_exit_codes(struct cfgcheck *ck, const struct cfgcheck_member *m,
	       int **codes, size_t *n)
{
	size_t i, count;
	json_t *v;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array of integers"),
		    "[75, 111]");
	count = json_array_size(m->value);
	if (count > CFG_EXIT_CODES_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" lists %zu exit codes, more than %d; shorten the list"),
		    m->key, count, CFG_EXIT_CODES_MAX);
	*codes = calloc(count + 1, sizeof **codes);
	if (*codes == NULL)
		return cfgcheck_nomem(ck);
	json_array_foreach(m->value, i, v) {
		if (json_is_integer(v) && (json_integer_value(v) < 0 ||
		    json_integer_value(v) > 255))
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, m->node, i)),
			    _("%lld in \"%s\" is not an exit code; exit codes "
			    "run from 0 to 255"), (long long)json_integer_value(v),
			    m->key);
		if (!json_is_integer(v))
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, m->node, i)),
			    _("entries of \"%s\" must be exit codes from 0 to 255"),
			    m->key);
		(*codes)[i] = (int)json_integer_value(v);
	}
	*n = count;
	return WK_OK;
}

int
cfg_parse_size(const char *text, int64_t *bytes, size_t *bad_offset)
{
	static const struct {
		const char *unit;
		int64_t factor;
	} units[] = {
		{ "B", 1 }, { "KiB", INT64_C(1) << 10 },
		{ "MiB", INT64_C(1) << 20 }, { "GiB", INT64_C(1) << 30 },
		{ "TiB", INT64_C(1) << 40 }, { "kB", 1000 },
		{ "MB", 1000000 }, { "GB", 1000000000 },
		{ "TB", INT64_C(1000000000000) },
	};
	const char *p = text;
	int64_t number = 0;
	size_t i;

	if (!isdigit((unsigned char)*p)) {
		*bad_offset = 0;
		return WK_ERR_INVALID;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (number > (INT64_MAX - 9) / 10) {
			*bad_offset = 0;
			return WK_ERR_INVALID;
		}
		number = number * 10 + (*p - '0');
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].unit) == 0) {
			if (number > INT64_MAX / units[i].factor)
				break;
			*bytes = number * units[i].factor;
			return WK_OK;
		}
	}
	*bad_offset = (size_t)(p - text);
	return WK_ERR_INVALID;
}

/* Reads an optional size member of at least CFG_MEMORY_LIMIT_MIN bytes. */
static int
cfg_size(struct cfgcheck *ck, const struct cfgcheck_member *m, int64_t *out)
{
	const char *text;
	size_t bad = 0;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m, _("a string"), "\"2GiB\"");
	text = json_string_value(m->value);
	if (cfg_parse_size(text, out, &bad) != WK_OK)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, m->node, bad),
		    _("invalid size \"%s\" for \"%s\"; write a whole number and a unit: B, KiB, MiB, GiB, TiB, kB, MB, GB or TB, such as \"2GiB\""),
		    cfgcheck_quote(text).text, m->key);
	if (*out < CFG_MEMORY_LIMIT_MIN)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" is \"%s\", below the minimum of 1MiB; give at least \"1MiB\", or leave the key out for no limit"),
		    m->key, cfgcheck_quote(text).text);
	return WK_OK;
}

/* Reads an optional "HH:MM" member into minutes since midnight. */
static int
cfg_time_of_day(struct cfgcheck *ck, const struct cfgcheck_member *m,
		int *minute)
{
	const char *text;
	int h, mm, n = 0;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m, _("a string"), "\"06:00\"");
	text = json_string_value(m->value);
	if (strlen(text) != 5 || sscanf(text, "%2d:%2d%n", &h, &mm, &n) != 2 ||
	    n != 5 || !isdigit((unsigned char)text[0]) || h > 23 || mm > 59 ||
	    h < 0 || mm < 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("invalid time of day \"%s\" for \"%s\"; write HH:MM on a 24-hour clock, such as \"06:00\""),
		    cfgcheck_quote(text).text, m->key);
	*minute = h * 60 + mm;
	return WK_OK;
}

/* Checks a cron expression; the error points into the string. */
static int
cfg_check_schedule(struct cfgcheck *ck, const struct cfgcheck_member *m,
		   const char *expr)
{
	char reason[CRON_REASON_MAX];
	struct cron cron;
	size_t bad = 0;

	if (expr == NULL)
		return WK_OK;
	if (cron_parse_explained(expr, &cron, &bad, reason, sizeof reason) !=
	    WK_OK)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, m->node, bad),
		    _("invalid schedule \"%s\": %s"),
		    cfgcheck_quote(expr).text, reason);
	return WK_OK;
}

int
cfg_load_pipeline_run(struct cfgcheck *ck, struct cfg_pipeline *pl,
		      json_t *obj, int node)
{
	static const char *const catch_up[] = { "skip", "once", NULL };
	static const char *const overlap[] = { "skip", "queue", "allow", NULL };
	struct cfgcheck_member m;
	int value, rc;

	pl->max_parallel = 1;
	pl->deadline_minute = -1;
	pl->catch_up = CFG_CATCH_UP_ONCE;
	pl->overlap = CFG_OVERLAP_SKIP;

	m = cfgcheck_get_member(ck, obj, node, "schedule");
	rc = cfgcheck_string(ck, &m, "\"30 2 * * *\"", &pl->schedule);
	if (rc == WK_OK)
		rc = cfg_check_schedule(ck, &m, pl->schedule);
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "time_zone");
	rc = cfgcheck_string(ck, &m, "\"Asia/Tokyo\"", &pl->time_zone);
	if (rc == WK_OK && pl->time_zone == NULL &&
	    (pl->time_zone = strdup("UTC")) == NULL)
		rc = cfgcheck_nomem(ck);
	if (rc == WK_OK)
		rc = cfgcheck_time_zone(ck, m.node, "time_zone",
		    pl->time_zone);
	if (rc != WK_OK)
		return rc;

	value = (int)pl->catch_up;
	m = cfgcheck_get_member(ck, obj, node, "catch_up");
	rc = cfgcheck_choice(ck, &m, catch_up, &value);
	pl->catch_up = (enum cfg_catch_up)value;
	value = (int)pl->overlap;
	m = cfgcheck_get_member(ck, obj, node, "overlap");
	if (rc == WK_OK)
		rc = cfgcheck_choice(ck, &m, overlap, &value);
	pl->overlap = (enum cfg_overlap)value;
	m = cfgcheck_get_member(ck, obj, node, "max_parallel");
	if (rc == WK_OK)
		rc = cfg_int(ck, &m, 1, 64, "2", &pl->max_parallel);
	m = cfgcheck_get_member(ck, obj, node, "deadline");
	if (rc == WK_OK)
		rc = cfg_time_of_day(ck, &m, &pl->deadline_minute);
	if (rc == WK_OK && pl->deadline_minute >= 0 && pl->schedule == NULL)
		rc = cfgcheck_fail_at(ck, cfgcheck_key_at(ck, m.node),
		    _("\"deadline\" needs a \"schedule\": the deadline counts from each scheduled slot"));
	return rc;
}

/* Reads one quality gate object. */
/* Rejects a negative allowance of a gate, which no value could meet. */
static int
cfg_gate_negative(struct cfgcheck *ck, int node, const char *key, double v)
{
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, jsonpos_member(&ck->pos,
	    node, key)), _("gate \"%s\" is %g, below 0, so every value fails; "
	    "give a drop or change of 0 or more, such as 0.03"), key, v);
}

static int
cfg_load_gate(struct cfgcheck *ck, struct cfg_gate *g, json_t *obj, int node)
{
	struct cfgcheck_member m;
	int rc;

	g->min = g->max = g->max_drop = g->max_change = NAN;
	g->pos = (struct cfg_pos){ cfgcheck_value_at(ck, node).line,
		cfgcheck_value_at(ck, node).column };
	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a gate must be an object, for example {\"metric\": \"holdout_auc\", \"max_drop\": 0.03}"));
	rc = cfgcheck_keys(ck, node, gate_keys, _("in a gate"));
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "metric");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "metric", _("in a gate"),
		    "\"holdout_auc\"");
	rc = cfgcheck_string(ck, &m, "\"holdout_auc\"", &g->metric);
	m = cfgcheck_get_member(ck, obj, node, "min");
	if (rc == WK_OK)
		rc = cfg_number(ck, &m, "0.7", &g->min);
	m = cfgcheck_get_member(ck, obj, node, "max");
	if (rc == WK_OK)
		rc = cfg_number(ck, &m, "1", &g->max);
	m = cfgcheck_get_member(ck, obj, node, "max_drop");
	if (rc == WK_OK)
		rc = cfg_number(ck, &m, "0.03", &g->max_drop);
	m = cfgcheck_get_member(ck, obj, node, "max_change");
	if (rc == WK_OK)
		rc = cfg_number(ck, &m, "0.2", &g->max_change);
	if (rc == WK_OK && isnan(g->min) && isnan(g->max) &&
	    isnan(g->max_drop) && isnan(g->max_change))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("gate on \"%s\" checks nothing; give min, max, max_drop or max_change"),
		    g->metric);
	if (rc == WK_OK && g->max_drop < 0)
		rc = cfg_gate_negative(ck, node, "max_drop", g->max_drop);
	if (rc == WK_OK && g->max_change < 0)
		rc = cfg_gate_negative(ck, node, "max_change", g->max_change);
	if (rc == WK_OK && g->min > g->max)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "min")),
		    _("gate on \"%s\" has \"min\" %g above \"max\" %g, so every value fails; make \"min\" at most \"max\""),
		    g->metric, g->min, g->max);
	return rc;
}

static int
cfg_load_gates(struct cfgcheck *ck, struct cfg_stage *st,
	       const struct cfgcheck_member *m)
{
	size_t i, count;
	json_t *v;
	int rc;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array of gates"),
		    "[{\"metric\": \"holdout_auc\", \"max_drop\": 0.03}]");
	count = json_array_size(m->value);
	if (count > CFG_GATES_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("%zu gates, more than %d; merge some"), count,
		    CFG_GATES_MAX);
	st->gates = calloc(count, sizeof *st->gates);
	if (st->gates == NULL && count > 0)
		return cfgcheck_nomem(ck);
	json_array_foreach(m->value, i, v) {
		rc = cfg_load_gate(ck, &st->gates[i], v,
		    jsonpos_element(&ck->pos, m->node, i));
		st->n_gates = i + 1;
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

/*
 * Rejects an exit code listed in both retry_exit_codes and
 * fatal_exit_codes of the stage at node, because the two lists contradict
 * each other about it. The error points at the fatal_exit_codes entry.
 */
static int
cfg_check_exit_code_overlap(struct cfgcheck *ck, const struct cfg_stage *st,
			    int node)
{
	int retry_list = jsonpos_member(&ck->pos, node, "retry_exit_codes");
	int fatal_list = jsonpos_member(&ck->pos, node, "fatal_exit_codes");
	struct jsonpos_loc retry_at;
	size_t i, j;

	for (i = 0; i < st->n_fatal_exit_codes; i++) {
		for (j = 0; j < st->n_retry_exit_codes; j++) {
			if (st->fatal_exit_codes[i] != st->retry_exit_codes[j])
				continue;
			retry_at = cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, retry_list, j));
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, fatal_list, i)),
			    _("exit code %d is in both \"retry_exit_codes\" (line %d, column %d) and \"fatal_exit_codes\", which contradict each other; remove it from the list that is wrong"),
			    st->fatal_exit_codes[i], retry_at.line,
			    retry_at.column);
		}
	}
	return WK_OK;
}

/* Reads retries and the exit codes that decide them. */
static int
cfg_load_retries(struct cfgcheck *ck, struct cfg_stage *st, json_t *obj,
		 int node)
{
	struct cfgcheck_member m;
	int rc;

	st->retry_delay_ms = 10000;
	st->retry_delay_max_ms = 600000;
	m = cfgcheck_get_member(ck, obj, node, "retries");
	rc = cfg_int(ck, &m, 0, 100, "3", &st->retries);
	m = cfgcheck_get_member(ck, obj, node, "retry_delay");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &m, &st->retry_delay_ms);
	m = cfgcheck_get_member(ck, obj, node, "retry_delay_max");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &m, &st->retry_delay_max_ms);
	if (rc == WK_OK && st->retry_delay_max_ms < st->retry_delay_ms)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"retry_delay_max\" is shorter than \"retry_delay\"; make it at least as long"));
	m = cfgcheck_get_member(ck, obj, node, "retry_exit_codes");
	if (rc == WK_OK)
		rc = cfg_exit_codes(ck, &m, &st->retry_exit_codes,
		    &st->n_retry_exit_codes);
	m = cfgcheck_get_member(ck, obj, node, "fatal_exit_codes");
	if (rc == WK_OK)
		rc = cfg_exit_codes(ck, &m, &st->fatal_exit_codes,
		    &st->n_fatal_exit_codes);
	if (rc == WK_OK)
		rc = cfg_check_exit_code_overlap(ck, st, node);
	return rc;
}

/*
 * Checks "heartbeat_action" against "heartbeat". Without a heartbeat the
 * stage gets no WATCHDOG_USEC and the agent watches no heartbeats. So
 * "warn", a choice of how to treat stopped heartbeats, is an error, and
 * "kill", the default, only suggests a forgotten heartbeat and is a
 * warning. A stage without a heartbeat thus always has the action "kill"
 * for a WATCHDOG=trigger it sends.
 */
static int
cfg_check_heartbeat_action(struct cfgcheck *ck, const struct cfg_stage *st,
			   int node)
{
	int key = jsonpos_member(&ck->pos, node, "heartbeat_action");

	if (key == JSONPOS_NONE || st->heartbeat_ms > 0)
		return WK_OK;
	if (st->heartbeat_action != CFG_HEARTBEAT_KILL)
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, key),
		    _("\"heartbeat_action\" is \"warn\" but the stage has no \"heartbeat\", so the agent watches no heartbeats to warn about; add \"heartbeat\": \"5m\" or remove \"heartbeat_action\""));
	cfgcheck_warn_at(ck, cfgcheck_key_at(ck, key),
	    _("\"heartbeat_action\" is \"kill\", the default, but the stage has no \"heartbeat\", so the key has no effect; add \"heartbeat\": \"5m\" or remove \"heartbeat_action\""));
	return WK_OK;
}

/*
 * Checks "memory_mode" against "memory_limit", the same way: "cgroup" and
 * "rlimit" ask for an enforcement that has no limit to enforce (an error),
 * and "auto", the default, has no effect (a warning).
 */
static int
cfg_check_memory_mode(struct cfgcheck *ck, const struct cfg_stage *st,
		      int node)
{
	static const char *const names[] = { "auto", "cgroup", "rlimit" };
	int key = jsonpos_member(&ck->pos, node, "memory_mode");

	if (key == JSONPOS_NONE || st->memory_limit > 0)
		return WK_OK;
	if (st->memory_mode != CFG_MEMORY_AUTO)
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, key),
		    _("\"memory_mode\" is \"%s\" but the stage has no \"memory_limit\", so there is no limit to enforce; add \"memory_limit\": \"2GiB\" or remove \"memory_mode\""),
		    names[st->memory_mode]);
	cfgcheck_warn_at(ck, cfgcheck_key_at(ck, key),
	    _("\"memory_mode\" is \"auto\", the default, but the stage has no \"memory_limit\", so the key has no effect; add \"memory_limit\": \"2GiB\" or remove \"memory_mode\""));
	return WK_OK;
}

/* Reads nice, memory_limit, memory_mode, heartbeat and on_restart. */
static int
cfg_load_limits(struct cfgcheck *ck, struct cfg_stage *st, json_t *obj,
		int node)
{
	static const char *const memory_modes[] = { "auto", "cgroup",
		"rlimit", NULL };
	static const char *const actions[] = { "kill", "warn", NULL };
	static const char *const restart[] = { "kill", "adopt", NULL };
	struct cfgcheck_member m;
	int value, rc;

	m = cfgcheck_get_member(ck, obj, node, "nice");
	rc = cfg_int(ck, &m, 0, 19, "10", &st->nice);
	m = cfgcheck_get_member(ck, obj, node, "memory_limit");
	if (rc == WK_OK)
		rc = cfg_size(ck, &m, &st->memory_limit);
	value = (int)st->memory_mode;
	m = cfgcheck_get_member(ck, obj, node, "memory_mode");
	if (rc == WK_OK)
		rc = cfgcheck_choice(ck, &m, memory_modes, &value);
	st->memory_mode = (enum cfg_memory_mode)value;
	m = cfgcheck_get_member(ck, obj, node, "heartbeat");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &m, &st->heartbeat_ms);
	value = (int)st->heartbeat_action;
	m = cfgcheck_get_member(ck, obj, node, "heartbeat_action");
	if (rc == WK_OK)
		rc = cfgcheck_choice(ck, &m, actions, &value);
	st->heartbeat_action = (enum cfg_heartbeat_action)value;
	value = (int)st->on_restart;
	m = cfgcheck_get_member(ck, obj, node, "on_restart");
	if (rc == WK_OK)
		rc = cfgcheck_choice(ck, &m, restart, &value);
	st->on_restart = (enum cfg_on_restart)value;
	if (rc == WK_OK)
		rc = cfg_check_heartbeat_action(ck, st, node);
	if (rc == WK_OK)
		rc = cfg_check_memory_mode(ck, st, node);
	return rc;
}

int
cfg_load_stage_run(struct cfgcheck *ck, struct cfg_stage *st, json_t *obj,
		   int node, const struct cfgcheck_scope *sc)
{
	struct cfgcheck_member m;
	int rc;

	rc = cfg_load_retries(ck, st, obj, node);
	if (rc == WK_OK)
		rc = cfg_load_limits(ck, st, obj, node);
	m = cfgcheck_get_member(ck, obj, node, "inputs");
	if (rc == WK_OK)
		rc = cfgcheck_string_array(ck, &m,
		    "[\"${WATCHKEEP_DATA_DIR}/cdnow/events.csv\"]", sc,
		    &st->inputs, &st->n_inputs);
	m = cfgcheck_get_member(ck, obj, node, "gates");
	if (rc == WK_OK)
		rc = cfg_load_gates(ck, st, &m);
	return rc;
}

void
cfg_free_stage_run(struct cfg_stage *st)
{
	size_t i;

	free(st->retry_exit_codes);
	free(st->fatal_exit_codes);
	for (i = 0; st->inputs != NULL && i < st->n_inputs; i++)
		free(st->inputs[i]);
	free(st->inputs);
	for (i = 0; i < st->n_gates; i++)
		free(st->gates[i].metric);
	free(st->gates);
}
