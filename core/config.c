#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cfgcheck.h"
#include "core/config_probes.h"
#include "core/config_logs.h"
#include "core/config_retention.h"
#include "core/config_run.h"
#include "core/config_slos.h"
#include "core/config_web.h"
#include "core/dag.h"
#include "core/i18n.h"
#include "core/jsonpos.h"
#include "generated/config_default.h"

#define READ_CHUNK 16384  /* bytes read from the file at a time */

const char *const cfg_builtin_vars[] = {
	"WATCHKEEP_RUN_ID",
	"WATCHKEEP_LOGICAL_DATE",
	"WATCHKEEP_PIPELINE",
	"WATCHKEEP_STAGE",
	"WATCHKEEP_ATTEMPT",
	"WATCHKEEP_RUN_DIR",
	"WATCHKEEP_STAGE_DIR",
	"WATCHKEEP_STATE_DIR",
	"WATCHKEEP_DATA_DIR",
	"WATCHKEEP_BIN_DIR",
	NULL
};

static const char *const top_keys[] = {
	"state_dir", "log_level", "pipelines", "logs", "slos", "alerting",
	"probes", "retention", "web", NULL
};

/*
 * Top-level sections read by their own files (core/config_*.c). A section
 * adds its key here and to top_keys; load() reads the member (absent:
 * value NULL) into cfg, free() releases what load() allocated.
 */
struct cfg_section {
	const char *key;
	int (*load)(struct cfgcheck *ck, struct cfg *cfg,
		    const struct cfgcheck_member *m);
	void (*free)(struct cfg *cfg);
};

static const struct cfg_section cfg_sections[] = {
	{ "logs", cfg_logs_load, cfg_logs_free },
	{ "alerting", cfg_alerting_load, cfg_alerting_free },
	{ "probes", cfg_probes_load, cfg_probes_free },
	{ "slos", cfg_load_slos, cfg_free_slos },
	{ "retention", cfg_retention_load, cfg_retention_free },
	{ "web", cfg_web_load, cfg_web_free },
	{ NULL, NULL, NULL }
};
static const char *const pipeline_keys[] = {
	"name", "description", "env", "stages", "schedule", "time_zone",
	"catch_up", "overlap", "max_parallel", "deadline", NULL
};
static const char *const stage_keys[] = {
	"name", "command", "depends_on", "outputs", "env", "working_dir",
	"timeout", "grace", "retries", "retry_delay", "retry_delay_max",
	"retry_exit_codes", "fatal_exit_codes", "nice", "memory_limit",
	"memory_mode", "heartbeat", "heartbeat_action", "inputs", "on_restart",
	"gates", NULL
};

/* Returns the place of the value at node as a cfg_pos. */
static struct cfg_pos
cfg_pos_of(const struct cfgcheck *ck, int node)
{
	struct jsonpos_loc loc = cfgcheck_value_at(ck, node);
	struct cfg_pos pos = { loc.line, loc.column };

	return pos;
}

/* Frees strings[0..n-1] and the array. */
static void
free_strings(char **strings, size_t n)
{
	size_t i;

	if (strings == NULL)
		return;
	for (i = 0; i < n; i++)
		free(strings[i]);
	free(strings);
}

/* Reads a command given as one string for /bin/sh -c. */
static int
load_shell_command(struct cfgcheck *ck, struct cfg_stage *st,
		   const struct cfgcheck_member *m,
		   const struct cfgcheck_scope *sc)
{
	const char *text = json_string_value(m->value);
	int rc;

	if (text[0] == '\0')
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"command\" must not be empty; give a shell command or an array such as [\"churn\", \"train\"]"));
	rc = cfgcheck_shell_refs(ck, m->node, text, sc);
	if (rc != WK_OK)
		return rc;

	st->shell = strdup(text);
	if (st->shell == NULL)
		return cfgcheck_nomem(ck);
	return WK_OK;
}

/* Reads the required "command": an argument vector, or one shell string. */
static int
load_command(struct cfgcheck *ck, struct cfg_stage *st, json_t *obj,
	     int obj_node, const struct cfgcheck_scope *sc)
{
	static const char example[] = "[\"${CHURN}\", \"train\"]";
	struct cfgcheck_member m;
	size_t n = 0;
	int rc;

	m = cfgcheck_get_member(ck, obj, obj_node, "command");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, obj_node, "command",
		    _("in a stage"), example);
	if (json_is_string(m.value))
		return load_shell_command(ck, st, &m, sc);
	if (!json_is_array(m.value))
		return cfgcheck_wrong_type(ck, &m,
		    _("an array of strings or a string"), example);
	if (json_array_size(m.value) == 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"command\" must not be an empty array; name the program and its arguments, for example \"command\": %s"),
		    example);

	rc = cfgcheck_string_array(ck, &m, example, sc, &st->argv, &n);
	if (rc != WK_OK)
		return rc;
	if (st->argv[0][0] == '\0')
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_element(&ck->pos, m.node, 0)),
		    _("the program name, the first entry of \"command\", must not be empty; for example \"command\": %s"),
		    example);
	return WK_OK;
}

/* Reads "depends_on"; the names are resolved once every stage is read. */
static int
load_depends_on(struct cfgcheck *ck, struct cfg_stage *st, json_t *obj,
		int obj_node)
{
	struct cfgcheck_member m;
	size_t i, j;
	int rc;

	m = cfgcheck_get_member(ck, obj, obj_node, "depends_on");
	if (json_is_array(m.value) && json_array_size(m.value) > CFG_MAX_STAGES)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"depends_on\" has %zu entries, more than the %d stages a pipeline may have; list each stage once"),
		    json_array_size(m.value), CFG_MAX_STAGES);
	rc = cfgcheck_string_array(ck, &m, "[\"features\"]", NULL,
	    &st->depends_on, &st->n_depends_on);
	if (rc != WK_OK)
		return rc;

	for (i = 1; i < st->n_depends_on; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(st->depends_on[i], st->depends_on[j]) != 0)
				continue;
			return cfgcheck_fail_at(ck,
			    cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, m.node, i)),
			    _("\"depends_on\" lists \"%s\" twice; remove one"),
			    cfgcheck_quote(st->depends_on[i]).text);
		}
	}
	return WK_OK;
}

/* Reads the optional members of a stage that follow its name and env. */
static int
load_stage_options(struct cfgcheck *ck, struct cfg_stage *st, json_t *obj,
		   int node, const struct cfgcheck_scope *sc)
{
	struct cfgcheck_member m;
	size_t i;
	int rc;

	m = cfgcheck_get_member(ck, obj, node, "outputs");
	rc = cfgcheck_string_array(ck, &m,
	    "[\"${WATCHKEEP_STAGE_DIR}/model.json\"]", sc, &st->outputs,
	    &st->n_outputs);
	for (i = 0; rc == WK_OK && i < st->n_outputs; i++) {
		if (st->outputs[i][0] == '\0')
			rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_element(&ck->pos, m.node, i)),
			    _("entries of \"outputs\" must not be empty; give a path or remove the entry"));
	}
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "working_dir");
	rc = cfgcheck_string(ck, &m, "\"${WATCHKEEP_RUN_DIR}\"",
	    &st->working_dir);
	if (rc == WK_OK && st->working_dir != NULL)
		rc = cfgcheck_refs(ck, m.node, st->working_dir, sc);
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "timeout");
	rc = cfgcheck_duration(ck, &m, &st->timeout_ms);
	if (rc != WK_OK)
		return rc;
	st->grace_ms = CFG_GRACE_DEFAULT_MS;
	m = cfgcheck_get_member(ck, obj, node, "grace");
	return cfgcheck_duration(ck, &m, &st->grace_ms);
}

/* Returns the index of the stage called name among stages[0..n-1], or -1. */
static long
find_stage_index(const struct cfg_stage *stages, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (stages[i].name != NULL && strcmp(stages[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Reads stage i of the pipeline, the object json at node. */
static int
load_stage(struct cfgcheck *ck, struct cfg_pipeline *pl, size_t i, json_t *obj,
	   int node, const struct cfgcheck_scope *pipeline_scope)
{
	struct cfg_stage *st = &pl->stages[i];
	struct cfgcheck_scope sc = *pipeline_scope;
	struct cfgcheck_member m;
	long other;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a stage must be an object, not %s; for example {\"name\": \"train\", \"command\": [\"churn\", \"train\"]}"),
		    cfgcheck_type_name(obj));
	st->pos = cfg_pos_of(ck, node);
	rc = cfgcheck_keys(ck, node, stage_keys, _("in a stage"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in a stage"), "\"train\"",
		    &st->name);
	if (rc != WK_OK)
		return rc;

	other = find_stage_index(pl->stages, i, st->name);
	if (other >= 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "name")),
		    _("duplicate stage name \"%s\" (first used at line %d); choose another name"),
		    st->name, pl->stages[other].pos.line);

	m = cfgcheck_get_member(ck, obj, node, "env");
	rc = cfgcheck_env(ck, &m, &sc, &st->env);
	if (rc == WK_OK)
		rc = load_command(ck, st, obj, node, &sc);
	if (rc == WK_OK)
		rc = load_depends_on(ck, st, obj, node);
	if (rc == WK_OK)
		rc = load_stage_options(ck, st, obj, node, &sc);
	if (rc == WK_OK)
		rc = cfg_load_stage_run(ck, st, obj, node, &sc);
	return rc;
}

/* Returns the node of entry j of the depends_on array of the stage at node. */
static int
dep_node(const struct cfgcheck *ck, int stage_node, size_t j)
{
	int list = jsonpos_member(&ck->pos, stage_node, "depends_on");
	int entry = jsonpos_element(&ck->pos, list, j);

	return entry != JSONPOS_NONE ? entry : stage_node;
}

static int
unknown_dependency(struct cfgcheck *ck, const struct cfg_pipeline *pl,
		   int entry, const char *name)
{
	const char *names[CFG_MAX_STAGES];
	const char *hint;
	struct buf list;
	size_t i;
	int rc;

	for (i = 0; i < pl->n_stages; i++)
		names[i] = pl->stages[i].name;
	hint = cfgcheck_nearest(name, names, pl->n_stages);
	if (hint != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, entry),
		    _("unknown stage \"%s\" in \"depends_on\"; did you mean \"%s\"?"),
		    cfgcheck_quote(name).text, hint);

	cfgcheck_join_names(&list, names, pl->n_stages);
	rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, entry),
	    _("unknown stage \"%s\" in \"depends_on\"; the stages of pipeline \"%s\" are: %s"),
	    cfgcheck_quote(name).text, pl->name, cfgcheck_list_text(&list));
	buf_free(&list);
	return rc;
}

/* Resolves every stage's depends_on into dep_index. */
static int
resolve_deps(struct cfgcheck *ck, struct cfg_pipeline *pl,
	     const int *stage_nodes)
{
	size_t i, j;

	for (i = 0; i < pl->n_stages; i++) {
		struct cfg_stage *st = &pl->stages[i];

		st->dep_index = calloc(st->n_depends_on + 1,
		    sizeof *st->dep_index);
		if (st->dep_index == NULL)
			return cfgcheck_nomem(ck);
		for (j = 0; j < st->n_depends_on; j++) {
			long k = find_stage_index(pl->stages, pl->n_stages,
			    st->depends_on[j]);

			if (k < 0)
				return unknown_dependency(ck, pl,
				    dep_node(ck, stage_nodes[i], j),
				    st->depends_on[j]);
			st->dep_index[j] = (size_t)k;
		}
	}
	return WK_OK;
}

/*
 * Reports the cycle[0..len-1] of stages, where each depends on the one
 * before it, at the depends_on entry of cycle[0] that names the last one.
 */
static int
report_cycle(struct cfgcheck *ck, const struct cfg_pipeline *pl,
	     const int *stage_nodes, const size_t *cycle, size_t len)
{
	const struct cfg_stage *first = &pl->stages[cycle[0]];
	struct buf names;
	size_t i, j = 0;
	int rc;

	/* NOTE: names past CFGCHECK_LIST_MAX bytes are cut to "...". */
	cfgcheck_list_init(&names);
	for (i = 0; i <= len; i++) {
		if (!cfgcheck_list_add(&names, i > 0 ? " -> " : "",
		    pl->stages[cycle[i % len]].name))
			break;
	}
	while (j + 1 < first->n_depends_on &&
	       first->dep_index[j] != cycle[len - 1])
		j++;

	rc = cfgcheck_fail_at(ck,
	    cfgcheck_value_at(ck, dep_node(ck, stage_nodes[cycle[0]], j)),
	    _("dependency cycle: %s (each stage depends on the one before it); remove one of these depends_on entries"),
	    cfgcheck_list_text(&names));
	buf_free(&names);
	return rc;
}

/* Fills pl->order, dependencies first, or reports a cycle. */
static int
order_stages(struct cfgcheck *ck, struct cfg_pipeline *pl,
	     const int *stage_nodes)
{
	struct dag_node nodes[CFG_MAX_STAGES];
	size_t cycle[CFG_MAX_STAGES], cycle_len = 0, i;
	int rc;

	pl->order = calloc(pl->n_stages, sizeof *pl->order);
	if (pl->order == NULL)
		return cfgcheck_nomem(ck);
	for (i = 0; i < pl->n_stages; i++) {
		nodes[i].deps = pl->stages[i].dep_index;
		nodes[i].n_deps = pl->stages[i].n_depends_on;
	}

	rc = dag_order(nodes, pl->n_stages, pl->order, cycle, &cycle_len);
	if (rc == WK_ERR_INVALID && cycle_len > 0)
		return report_cycle(ck, pl, stage_nodes, cycle, cycle_len);
	if (rc != WK_OK)
		return cfgcheck_nomem(ck);
	return WK_OK;
}

/* Reads the "stages" array of a pipeline, then orders the stages. */
static int
load_stages(struct cfgcheck *ck, struct cfg_pipeline *pl, json_t *obj,
	    int node, const struct cfgcheck_scope *sc)
{
	static const char example[] =
	    "[{\"name\": \"train\", \"command\": [\"churn\", \"train\"]}]";
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "stages");
	int stage_nodes[CFG_MAX_STAGES];
	size_t n, i;
	int child, rc;

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "stages",
		    _("in a pipeline"), example);
	if (!json_is_array(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an array of stages"),
		    example);
	n = json_array_size(m.value);
	if (n == 0 || n > CFG_MAX_STAGES)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"stages\" has %zu entries; a pipeline has 1 to %d stages"),
		    n, CFG_MAX_STAGES);

	pl->stages = calloc(n, sizeof *pl->stages);
	if (pl->stages == NULL)
		return cfgcheck_nomem(ck);
	child = ck->pos.nodes[m.node].first_child;
	for (i = 0; i < n; i++) {
		stage_nodes[i] = child != JSONPOS_NONE ? child : m.node;
		pl->n_stages = i + 1;
		rc = load_stage(ck, pl, i, json_array_get(m.value, i),
		    stage_nodes[i], sc);
		if (rc != WK_OK)
			return rc;
		if (child != JSONPOS_NONE)
			child = ck->pos.nodes[child].next_sibling;
	}

	rc = resolve_deps(ck, pl, stage_nodes);
	if (rc != WK_OK)
		return rc;
	return order_stages(ck, pl, stage_nodes);
}

/* Reads the optional one-line "description" of a pipeline. */
static int
get_description(struct cfgcheck *ck, struct cfg_pipeline *pl, json_t *obj,
		int node)
{
	struct cfgcheck_member m;
	const char *s;
	int rc;

	m = cfgcheck_get_member(ck, obj, node, "description");
	rc = cfgcheck_string(ck, &m, "\"Churn prediction\"", &pl->description);
	if (rc != WK_OK || pl->description == NULL)
		return rc;

	for (s = pl->description; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return cfgcheck_fail_at(ck,
			    jsonpos_string_loc(&ck->pos, m.node,
			    (size_t)(s - pl->description)),
			    _("\"description\" must be one line without control characters; remove the line break or tab"));
	}
	return WK_OK;
}

/* Reads pipeline i, the object json at node. */
static int
load_pipeline(struct cfgcheck *ck, struct cfg *cfg, size_t i, json_t *obj,
	      int node)
{
	struct cfg_pipeline *pl = &cfg->pipelines[i];
	struct cfgcheck_scope sc;
	struct cfgcheck_member m;
	size_t k;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a pipeline must be an object, not %s; for example {\"name\": \"churn\", \"stages\": [...]}"),
		    cfgcheck_type_name(obj));
	pl->pos = cfg_pos_of(ck, node);
	rc = cfgcheck_keys(ck, node, pipeline_keys, _("in a pipeline"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in a pipeline"),
		    "\"churn\"", &pl->name);
	if (rc != WK_OK)
		return rc;

	for (k = 0; k < i; k++) {
		if (strcmp(cfg->pipelines[k].name, pl->name) == 0)
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_member(&ck->pos, node, "name")),
			    _("duplicate pipeline name \"%s\" (first used at line %d); choose another name"),
			    pl->name, cfg->pipelines[k].pos.line);
	}

	rc = get_description(ck, pl, obj, node);
	if (rc != WK_OK)
		return rc;
	cfgcheck_scope_init(&sc);
	m = cfgcheck_get_member(ck, obj, node, "env");
	rc = cfgcheck_env(ck, &m, &sc, &pl->env);
	if (rc == WK_OK)
		rc = cfg_load_pipeline_run(ck, pl, obj, node);
	if (rc != WK_OK)
		return rc;
	return load_stages(ck, pl, obj, node, &sc);
}

static int
get_log_level(struct cfgcheck *ck, struct cfg *cfg, json_t *root)
{
	struct cfgcheck_member m;

	cfg->log_level = LL_INFO;
	m = cfgcheck_get_member(ck, root, 0, "log_level");
	if (m.value == NULL)
		return WK_OK;
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"), "\"info\"");
	if (log_parse_level(json_string_value(m.value), &cfg->log_level) != 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("invalid log level \"%s\"; use \"debug\", \"info\", \"warn\" or \"error\""),
		    cfgcheck_quote(json_string_value(m.value)).text);
	return WK_OK;
}

/* Reads the required "pipelines" array of the root object. */
static int
load_pipelines(struct cfgcheck *ck, struct cfg *cfg, json_t *root)
{
	static const char example[] =
	    "[{\"name\": \"churn\", \"stages\": [...]}]";
	struct cfgcheck_member m;
	size_t n, i;
	int child, rc = WK_OK;

	m = cfgcheck_get_member(ck, root, 0, "pipelines");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, 0, "pipelines",
		    _("at the top level"), example);
	if (!json_is_array(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an array of pipelines"),
		    example);
	n = json_array_size(m.value);
	if (n == 0 || n > CFG_MAX_PIPELINES)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"pipelines\" has %zu entries; a configuration has 1 to %d pipelines"),
		    n, CFG_MAX_PIPELINES);

	cfg->pipelines = calloc(n, sizeof *cfg->pipelines);
	if (cfg->pipelines == NULL)
		return cfgcheck_nomem(ck);
	child = ck->pos.nodes[m.node].first_child;
	for (i = 0; i < n && rc == WK_OK; i++) {
		cfg->n_pipelines = i + 1;
		rc = load_pipeline(ck, cfg, i, json_array_get(m.value, i),
		    child != JSONPOS_NONE ? child : m.node);
		if (child != JSONPOS_NONE)
			child = ck->pos.nodes[child].next_sibling;
	}
	return rc;
}

/* Reads the top-level object, the root of the document. */
static int
load_root(struct cfgcheck *ck, struct cfg *cfg, json_t *root)
{
	struct cfgcheck_member m;
	size_t i;
	int rc;

	if (!json_is_object(root))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, 0),
		    _("the configuration must be a JSON object, not %s; write {\"pipelines\": [...]}"),
		    cfgcheck_type_name(root));
	rc = cfgcheck_keys(ck, 0, top_keys, _("at the top level"));
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, root, 0, "state_dir");
	rc = cfgcheck_string(ck, &m, "\"/var/lib/watchkeep\"", &cfg->state_dir);
	if (rc == WK_OK)
		rc = get_log_level(ck, cfg, root);
	if (rc == WK_OK)
		rc = load_pipelines(ck, cfg, root);
	for (i = 0; rc == WK_OK && cfg_sections[i].key != NULL; i++) {
		m = cfgcheck_get_member(ck, root, 0, cfg_sections[i].key);
		rc = cfg_sections[i].load(ck, cfg, &m);
	}
	return rc;
}

/*
 * Returns the member whose key jansson reported as a duplicate: the last
 * key on the error's line that starts at or before the error's column.
 */
static int
duplicate_key_node(const struct cfgcheck *ck, const json_error_t *jerr)
{
	int best = JSONPOS_NONE;
	size_t i;

	for (i = 0; i < ck->pos.count; i++) {
		struct jsonpos_loc k = ck->pos.nodes[i].key_loc;

		if (k.line == jerr->line && k.column <= jerr->column &&
		    (best == JSONPOS_NONE ||
		     k.column > ck->pos.nodes[best].key_loc.column))
			best = (int)i;
	}
	return best;
}

/*
 * Reports a jansson syntax error at jansson's line and column. They point
 * at the last character of the token where parsing stopped, and column 0
 * (the end of the text) becomes 1. A duplicate key is reported at its
 * opening quote instead.
 */
static int
syntax_error(struct cfgcheck *ck, const char *text, size_t len,
	     const json_error_t *jerr)
{
	struct jsonpos_loc loc = { jerr->line, jerr->column };
	struct jsonpos_error perr;
	struct cfgcheck_quoted key = { "" };
	int node;

	if (json_error_code(jerr) != json_error_duplicate_key)
		return cfgcheck_fail_at(ck, loc,
		    _("invalid JSON: %s; fix the text at this place"),
		    cfgcheck_quote(jerr->text).text);

	if (jsonpos_scan(&ck->pos, text, len, &perr) == WK_OK) {
		node = duplicate_key_node(ck, jerr);
		if (node != JSONPOS_NONE) {
			loc = ck->pos.nodes[node].key_loc;
			key = cfgcheck_quote(jsonpos_key(&ck->pos, node));
		}
		jsonpos_free(&ck->pos);
	}
	return cfgcheck_fail_at(ck, loc,
	    _("duplicate key \"%s\"; an object may name each key once, so remove or rename one"),
	    key.text);
}

/* Checks the size and encoding of the text before it is parsed. */
static int
check_text(struct cfgcheck *ck, const char *text, size_t len)
{
	size_t bad = 0;

	if (len > CFG_FILE_MAX)
		return wk_err_set(ck->err, WK_ERR_LIMIT,
		    _("%s: the configuration is %zu bytes; the maximum is %d bytes, so shorten it"),
		    ck->name, len, CFG_FILE_MAX);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		return cfgcheck_fail_at(ck, jsonpos_offset_loc(text, len, 0),
		    _("the file starts with a UTF-8 byte order mark; save it as UTF-8 without one"));
	if (jsonpos_check_utf8(text, len, &bad) != WK_OK)
		return cfgcheck_fail_at(ck, jsonpos_offset_loc(text, len, bad),
		    _("invalid UTF-8 (byte 0x%02x); save the file as UTF-8"),
		    (unsigned char)text[bad]);
	if (memchr(text, '\0', len) != NULL)
		return cfgcheck_fail_at(ck, jsonpos_offset_loc(text, len,
		    (size_t)((const char *)memchr(text, '\0', len) - text)),
		    _("the text contains a NUL byte; save the file as UTF-8 text"));
	return WK_OK;
}

struct cfg *
cfg_load_text(const char *text, size_t len, const char *name,
	      struct wk_err *err)
{
	struct cfgcheck ck;
	struct jsonpos_error perr;
	json_error_t jerr;
	json_t *root;
	struct cfg *cfg = NULL;
	int rc;

	memset(&ck, 0, sizeof ck);
	ck.name = name;
	ck.err = err;
	if (check_text(&ck, text, len) != WK_OK)
		return NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		syntax_error(&ck, text, len, &jerr);
		return NULL;
	}

	rc = jsonpos_scan(&ck.pos, text, len, &perr);
	if (rc == WK_ERR_NOMEM)
		cfgcheck_nomem(&ck);
	else if (rc != WK_OK)
		cfgcheck_fail_at(&ck, perr.loc,
		    _("%s; simplify the JSON at this place"), _(perr.reason));
	if (rc != WK_OK)
		goto out;

	cfg = calloc(1, sizeof *cfg);
	ck.cfg = cfg;
	if (cfg != NULL)
		cfg->path = strdup(name);
	if (cfg == NULL || cfg->path == NULL)
		rc = cfgcheck_nomem(&ck);
	else
		rc = load_root(&ck, cfg, root);
	if (rc != WK_OK) {
		cfg_free(cfg);
		cfg = NULL;
	}
out:
	jsonpos_free(&ck.pos);
	json_decref(root);
	return cfg;
}

/* Appends the whole file at fd to data; WK_ERR_LIMIT past its maximum. */
static int
read_all(int fd, struct buf *data)
{
	char chunk[READ_CHUNK];
	ssize_t n;
	int rc;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? WK_OK : WK_ERR_IO;
		rc = buf_append(data, chunk, (size_t)n);
		if (rc != WK_OK)
			return rc;
	}
}

/* Opens path and checks that it is a regular file of a loadable size. */
static int
open_config(const char *path, struct wk_err *err)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return wk_err_set(err, WK_ERR_IO,
		    _("%s: cannot open the configuration: %s; check the path and its permissions"),
		    path, strerror(errno));

	if (fstat(fd, &st) != 0) {
		wk_err_set(err, WK_ERR_IO,
		    _("%s: cannot read the configuration: %s"), path,
		    strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		wk_err_set(err, WK_ERR_INVALID,
		    _("%s: not a regular file; give the path of a JSON configuration file"),
		    path);
	} else if (st.st_size > CFG_FILE_MAX) {
		wk_err_set(err, WK_ERR_LIMIT,
		    _("%s: the configuration is %lld bytes; the maximum is %d bytes, so shorten it"),
		    path, (long long)st.st_size, CFG_FILE_MAX);
	} else {
		return fd;
	}
	close(fd);
	return err != NULL ? err->rc : WK_ERR_INVALID;
}

struct cfg *
cfg_load_file(const char *path, struct wk_err *err)
{
	struct cfg *cfg = NULL;
	struct buf data;
	int fd, rc;

	fd = open_config(path, err);
	if (fd < 0)
		return NULL;

	buf_init(&data, CFG_FILE_MAX);
	rc = read_all(fd, &data);
	if (rc == WK_ERR_LIMIT)
		wk_err_set(err, rc,
		    _("%s: the configuration is more than %d bytes; shorten it"),
		    path, CFG_FILE_MAX);
	else if (rc == WK_ERR_IO)
		wk_err_set(err, rc, _("%s: cannot read the configuration: %s"),
		    path, strerror(errno));
	else if (rc != WK_OK)
		wk_err_set(err, rc,
		    _("%s: out of memory while loading the configuration"),
		    path);
	else
		cfg = cfg_load_text(data.data != NULL ? data.data : "",
		    data.len, path, err);

	close(fd);
	buf_free(&data);
	return cfg;
}

const char *
cfg_default_text(void)
{
	return (const char *)cfg_default_bytes;
}

struct cfg *
cfg_load_default(struct wk_err *err)
{
	return cfg_load_text(cfg_default_text(), sizeof cfg_default_bytes - 1,
	    "(default)", err);
}

static void
free_env(struct cfg_env *env)
{
	size_t i;

	for (i = 0; i < env->count; i++) {
		free(env->vars[i].name);
		free(env->vars[i].value);
	}
	free(env->vars);
}

static void
free_stage(struct cfg_stage *st)
{
	size_t i;

	free(st->name);
	for (i = 0; st->argv != NULL && st->argv[i] != NULL; i++)
		free(st->argv[i]);
	free(st->argv);
	free(st->shell);
	free_strings(st->depends_on, st->n_depends_on);
	free(st->dep_index);
	free_strings(st->outputs, st->n_outputs);
	free_env(&st->env);
	free(st->working_dir);
	cfg_free_stage_run(st);
}

void
cfg_free(struct cfg *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;

	for (i = 0; i < cfg->n_pipelines; i++) {
		struct cfg_pipeline *pl = &cfg->pipelines[i];

		for (j = 0; j < pl->n_stages; j++)
			free_stage(&pl->stages[j]);
		free(pl->stages);
		free(pl->order);
		free_env(&pl->env);
		free(pl->name);
		free(pl->description);
		free(pl->schedule);
		free(pl->time_zone);
	}
	free(cfg->pipelines);
	for (i = 0; cfg_sections[i].key != NULL; i++)
		cfg_sections[i].free(cfg);
	for (i = 0; i < cfg->n_warnings; i++)
		free(cfg->warnings[i]);
	free(cfg->state_dir);
	free(cfg->path);
	free(cfg);
}

const struct cfg_pipeline *
cfg_find_pipeline(const struct cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_pipelines; i++) {
		if (strcmp(cfg->pipelines[i].name, name) == 0)
			return &cfg->pipelines[i];
	}
	return NULL;
}

const struct cfg_stage *
cfg_find_stage(const struct cfg_pipeline *pipeline, const char *name)
{
	long i = find_stage_index(pipeline->stages, pipeline->n_stages, name);

	return i < 0 ? NULL : &pipeline->stages[i];
}
