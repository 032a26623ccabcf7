/*
 * The configuration loader (core/config.c) and the JSON position scanner
 * it reports places with (core/jsonpos.c).
 *
 * Most texts below are JSON written with ' in place of ", which
 * config_text_load() turns into " byte for byte, so lines and columns stay
 * the same. Expected columns are counted by hand from the texts, in
 * characters.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/jsonpos.h"
#include "config_text.h"

/* One pipeline "p"; the stages go on line 2 and after. */
#define HEAD "{'pipelines': [{'name': 'p', 'stages': [\n"
#define TAIL "\n]}]}\n"

/*
 * Checks that text fails to load with a message that starts with where
 * ("t.json:LINE:COL: ") and contains part.
 */
static void
expect_error_at(const char *text, const char *where, const char *part,
		int line)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);
	char prefix[64];

	if (cfg != NULL) {
		cfg_free(cfg);
		fail_msg("line %d: the text loaded without an error", line);
	}
	snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(where), err.msg);
	if (strcmp(prefix, where) != 0)
		fail_msg("line %d: place \"%s\" expected in \"%s\"", line, where,
		    err.msg);
	if (strstr(err.msg, part) == NULL)
		fail_msg("line %d: \"%s\" expected in \"%s\"", line, part,
		    err.msg);
	if (err.rc != WK_ERR_INVALID)
		fail_msg("line %d: rc %d for \"%s\"", line, err.rc, err.msg);
}

#define expect_error(text, where, part) \
	expect_error_at((text), (where), (part), __LINE__)

/* Loads text that must be valid. */
static struct cfg *
load_ok(const char *text)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return cfg;
}

static void
misspelt_stage_key_hint(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timout': '5s'}"
	    TAIL, "t.json:2:34: ",
	    "unknown key \"timout\" in a stage; did you mean \"timeout\"?");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'Timeout': '5s'}"
	    TAIL, "t.json:2:34: ", "did you mean \"timeout\"?");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'dependson': []}"
	    TAIL, "t.json:2:34: ", "did you mean \"depends_on\"?");
}

static void
hint_ignores_case_counts_swaps(void **state)
{
	(void)state;
	/* Seven edits apart in bytes, none once ASCII case is ignored. */
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'TIMEOUT': '5s'}"
	    TAIL, "t.json:2:34: ", "did you mean \"timeout\"?");
	/* One swap of neighbours is one edit, within a short word's limit. */
	expect_error(HEAD "{'nmae': 'a', 'command': 'true'}" TAIL,
	    "t.json:2:2: ", "did you mean \"name\"?");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'evn': {}}" TAIL,
	    "t.json:2:34: ", "did you mean \"env\"?");
}

static void
misspelt_other_keys_hint(void **state)
{
	(void)state;
	expect_error("{'pipeline': []}", "t.json:1:2: ",
	    "unknown key \"pipeline\" at the top level; did you mean \"pipelines\"?");
	expect_error("{'pipelines': [{'name': 'p', 'stage': []}]}",
	    "t.json:1:30: ",
	    "unknown key \"stage\" in a pipeline; did you mean \"stages\"?");
	expect_error("{'log_levl': 'info', 'pipelines': []}", "t.json:1:2: ",
	    "did you mean \"log_level\"?");
}

static void
unknown_key_lists_valid_keys(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'cmd': ['x']}" TAIL, "t.json:2:15: ",
	    "unknown key \"cmd\" in a stage; use one of: name, command, "
	    "depends_on, outputs, env, working_dir, timeout, grace");
}

static void
wrong_types(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': 30}"
	    TAIL, "t.json:2:45: ",
	    "\"timeout\" must be a string, not a number");
	expect_error("{'pipelines': [{'name': 'p', 'stages': {}}]}",
	    "t.json:1:40: ",
	    "\"stages\" must be an array of stages, not an object");
	expect_error(HEAD "{'name': 'a', 'command': 7}" TAIL, "t.json:2:26: ",
	    "\"command\" must be an array of strings or a string, not a number");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'env': {'N': 1}}"
	    TAIL, "t.json:2:47: ",
	    "the value of \"N\" in \"env\" must be a string, not a number");
	expect_error("{'log_level': 3, 'pipelines': []}", "t.json:1:15: ",
	    "\"log_level\" must be a string, not a number");
	expect_error("[1]", "t.json:1:1: ",
	    "must be a JSON object, not an array");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'depends_on': [true]}"
	    TAIL, "t.json:2:49: ",
	    "entries of \"depends_on\" must be strings, not a boolean");
	expect_error(HEAD "null" TAIL, "t.json:2:1: ",
	    "a stage must be an object, not null");
	expect_error("{'pipelines': [{'name': 5, 'stages': []}]}",
	    "t.json:1:25: ", "\"name\" must be a string, not a number");
	expect_error("{'state_dir': [], 'pipelines': []}", "t.json:1:15: ",
	    "\"state_dir\" must be a string, not an array");
}

static void
invalid_values(void **state)
{
	(void)state;
	expect_error("{'log_level': 'verbose', 'pipelines': []}",
	    "t.json:1:15: ", "invalid log level \"verbose\"");
	expect_error("{'pipelines': []}", "t.json:1:15: ",
	    "\"pipelines\" has 0 entries");
	expect_error("{'pipelines': [{'name': 'p', 'stages': []}]}",
	    "t.json:1:40: ", "\"stages\" has 0 entries");
	expect_error(HEAD "{'name': 'a', 'command': ''}" TAIL, "t.json:2:26: ",
	    "\"command\" must not be empty");
	expect_error(HEAD "{'name': 'a', 'command': []}" TAIL, "t.json:2:26: ",
	    "\"command\" must not be an empty array");
	expect_error(HEAD "{'name': 'a', 'command': ['', 'x']}" TAIL,
	    "t.json:2:27: ", "the program name");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'outputs': ['']}"
	    TAIL, "t.json:2:46: ", "entries of \"outputs\" must not be empty");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'working_dir': ''}"
	    TAIL, "t.json:2:49: ", "\"working_dir\" must not be empty");
	expect_error("{'state_dir': '', 'pipelines': []}", "t.json:1:15: ",
	    "\"state_dir\" must not be empty");
}

static void
missing_keys(void **state)
{
	(void)state;
	expect_error("{}", "t.json:1:1: ",
	    "missing key \"pipelines\" at the top level");
	expect_error(HEAD "{'name': 'a'}" TAIL, "t.json:2:1: ",
	    "missing key \"command\" in a stage");
	expect_error(HEAD "  {'command': 'true'}" TAIL, "t.json:2:3: ",
	    "missing key \"name\" in a stage");
	expect_error("{'pipelines': [{'stages': []}]}", "t.json:1:16: ",
	    "missing key \"name\" in a pipeline");
	expect_error("{'pipelines': [{'name': 'p'}]}", "t.json:1:16: ",
	    "missing key \"stages\" in a pipeline");
}

static void
invalid_duration_points_inside(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '15x'}"
	    TAIL, "t.json:2:48: ",
	    "invalid duration \"15x\" for \"timeout\": unknown unit");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'grace': '1h 30m'}"
	    TAIL, "t.json:2:46: ",
	    "invalid duration \"1h 30m\" for \"grace\": expected a number");
	/* \u0031 is "1": six characters of source for one byte of value. */
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '\\u0031x'}"
	    TAIL, "t.json:2:52: ", "invalid duration \"1x\"");
	/* 'é' takes two bytes but one column, before and inside the value. */
	expect_error(HEAD "{'name': 'a', 'env': {'E': '\xc3\xa9'}, "
	    "'command': 'true', 'timeout': '5\xc3\xa9'}" TAIL,
	    "t.json:2:66: ", "missing unit");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': ''}"
	    TAIL, "t.json:2:46: ", "empty duration");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '-5s'}"
	    TAIL, "t.json:2:46: ", "negative duration");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '400d'}"
	    TAIL, "t.json:2:45: ", "longer than the maximum of 365d");
}

static void
durations_and_defaults(void **state)
{
	struct cfg *cfg;
	const struct cfg_pipeline *pl;

	(void)state;
	cfg = load_ok(HEAD
	    "{'name': 'a', 'command': 'true', 'timeout': '1h30m', 'grace': '0'},\n"
	    "{'name': 'b', 'command': 'true', 'timeout': '0', 'grace': '250ms'},\n"
	    "{'name': 'c', 'command': 'true'}" TAIL);
	pl = &cfg->pipelines[0];
	assert_int_equal(pl->stages[0].timeout_ms, 5400000);
	assert_int_equal(pl->stages[0].grace_ms, 0);
	assert_int_equal(pl->stages[1].timeout_ms, 0);
	assert_int_equal(pl->stages[1].grace_ms, 250);
	assert_int_equal(pl->stages[2].timeout_ms, 0);
	assert_int_equal(pl->stages[2].grace_ms, CFG_GRACE_DEFAULT_MS);
	assert_int_equal(cfg->log_level, LL_INFO);
	assert_null(cfg->state_dir);
	cfg_free(cfg);
}

static void
cycle_names_every_stage(void **state)
{
	(void)state;
	expect_error(HEAD
	    "{'name': 'a', 'command': 'true', 'depends_on': ['c']},\n"
	    "{'name': 'b', 'command': 'true', 'depends_on': ['a']},\n"
	    "{'name': 'c', 'command': 'true', 'depends_on': ['b']},\n"
	    "{'name': 'd', 'command': 'true', 'depends_on': ['a']}" TAIL,
	    "t.json:2:49: ", "dependency cycle: a -> b -> c -> a (");
	expect_error(HEAD
	    "{'name': 'train', 'command': 'true', 'depends_on': ['predict']},\n"
	    "{'name': 'predict', 'command': 'true', 'depends_on': ['train']}"
	    TAIL, "t.json:2:53: ",
	    "dependency cycle: train -> predict -> train (");
}

static void
self_dependency_is_cycle(void **state)
{
	(void)state;
	expect_error(HEAD
	    "{'name': 'x', 'command': 'true'},\n"
	    "{'name': 'a', 'command': 'true', 'depends_on': ['x', 'a']}" TAIL,
	    "t.json:3:54: ", "dependency cycle: a -> a (");
}

static void
unknown_dependency(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'train', 'command': 'true'},\n"
	    "{'name': 'predict', 'command': 'true', 'depends_on': ['trian']}"
	    TAIL, "t.json:3:55: ",
	    "unknown stage \"trian\" in \"depends_on\"; did you mean \"train\"?");
	expect_error(HEAD "{'name': 'train', 'command': 'true'},\n"
	    "{'name': 'predict', 'command': 'true', 'depends_on': ['zzz']}"
	    TAIL, "t.json:3:55: ",
	    "unknown stage \"zzz\" in \"depends_on\"; the stages of pipeline "
	    "\"p\" are: train, predict");
}

static void
duplicate_names(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true'},\n"
	    "{'name': 'a', 'command': 'true'}" TAIL, "t.json:3:10: ",
	    "duplicate stage name \"a\" (first used at line 2)");
	expect_error("{'pipelines': [\n"
	    "{'name': 'p', 'stages': [{'name': 'a', 'command': 'true'}]},\n"
	    "{'name': 'p', 'stages': [{'name': 'a', 'command': 'true'}]}\n"
	    "]}", "t.json:3:10: ",
	    "duplicate pipeline name \"p\" (first used at line 2)");
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'depends_on': ['b', 'b']},\n{'name': 'b', 'command': 'true'}" TAIL,
	    "t.json:2:54: ", "\"depends_on\" lists \"b\" twice");
}

static void
duplicate_key_at_second(void **state)
{
	(void)state;
	/* jansson stops at the closing quote (column 39); we point at 34. */
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'name': 'b'}" TAIL,
	    "t.json:2:34: ", "duplicate key \"name\"");
}

static void
invalid_names(void **state)
{
	char text[256];

	(void)state;
	expect_error(HEAD "{'name': 'a b', 'command': 'true'}" TAIL,
	    "t.json:2:12: ", "\"name\" must not contain ' '");
	/* A no-break space would look like a space. */
	expect_error(HEAD "{'name': 'caf\xc2\xa0', 'command': 'true'}" TAIL,
	    "t.json:2:14: ", "\"name\" must not contain");
	expect_error(HEAD "{'name': '..', 'command': 'true'}" TAIL,
	    "t.json:2:10: ", "must not be \".\" or \"..\"");
	expect_error(HEAD "{'name': '', 'command': 'true'}" TAIL,
	    "t.json:2:10: ", "\"name\" must be 1 to 63 bytes long, not 0");
	snprintf(text, sizeof text, HEAD "{'name': '%064d', 'command': 'true'}"
	    TAIL, 0);
	expect_error(text, "t.json:2:10: ", "1 to 63 bytes long, not 64");
	snprintf(text, sizeof text, HEAD "{'name': '%063d', 'command': 'true'}"
	    TAIL, 0);
	cfg_free(load_ok(text));
}

static void
unknown_variable_hint(void **state)
{
	(void)state;
	expect_error("{'pipelines': [{'name': 'p', "
	    "'env': {'CHURN': '/bin/churn'}, 'stages': [\n"
	    "{'name': 'a', 'command': ['${CHRN}', 'train']}" TAIL,
	    "t.json:2:28: ",
	    "unknown variable ${CHRN}; did you mean ${CHURN}?");
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'outputs': ['x/${WATCHKEEP_STAGEDIR}/m']}" TAIL, "t.json:2:49: ",
	    "did you mean ${WATCHKEEP_STAGE_DIR}?");
	expect_error(HEAD "{'name': 'a', 'command': 'run ${A} ${NOTHING_LIKE_IT}',"
	    " 'env': {'A': 'x'}}" TAIL, "t.json:2:36: ",
	    "unknown variable ${NOTHING_LIKE_IT}; define it in \"env\"");
}

static void
variable_scopes(void **state)
{
	struct cfg *cfg;

	(void)state;
	/* An env value may refer only to the entries above it. */
	expect_error("{'pipelines': [{'name': 'p', 'env': {\n"
	    "  'A': '${B}/x',\n  'B': 'y'}, 'stages': [\n"
	    "{'name': 'a', 'command': 'true'}" TAIL, "t.json:2:9: ",
	    "${B} is defined by this env entry or a later one");
	/* The pipeline's env may not refer to a stage's env. */
	expect_error("{'pipelines': [{'name': 'p', 'env': {'A': '${S}'}, "
	    "'stages': [\n{'name': 'a', 'command': 'true', 'env': {'S': 's'}}"
	    TAIL, "t.json:1:44: ", "unknown variable ${S}");
	/* A stage may refer to builtins, the pipeline's env and its own env. */
	cfg = load_ok("{'pipelines': [{'name': 'p', 'env': {'A': "
	    "'${WATCHKEEP_RUN_DIR}/a', 'B': '${A}/b'}, 'stages': [\n"
	    "{'name': 'a', 'env': {'C': '${B}', 'D': '${C}$$'}, "
	    "'command': ['${D}', '${A}'], 'outputs': ['${C}/out'], "
	    "'working_dir': '${WATCHKEEP_STAGE_DIR}'}" TAIL);
	assert_int_equal(cfg->pipelines[0].env.count, 2);
	assert_string_equal(cfg->pipelines[0].env.vars[1].name, "B");
	assert_string_equal(cfg->pipelines[0].env.vars[1].value, "${A}/b");
	assert_string_equal(cfg->pipelines[0].stages[0].env.vars[1].value,
	    "${C}$$");
	assert_string_equal(cfg->pipelines[0].stages[0].working_dir,
	    "${WATCHKEEP_STAGE_DIR}");
	cfg_free(cfg);
	/* A stage's env does not leak into the next stage. */
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'env': {'S': 's'}},\n"
	    "{'name': 'b', 'command': '${S}'}" TAIL, "t.json:3:27: ",
	    "unknown variable ${S}");
}

static void
malformed_references(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'echo ${A'}" TAIL,
	    "t.json:2:32: ", "invalid variable reference \"${A\": unterminated");
	cfg_free(load_ok(HEAD "{'name': 'a', 'command': 'echo $HOME'}" TAIL));
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'env': {'A': '${1x}'}}"
	    TAIL, "t.json:2:48: ", "starts with a letter");
	cfg_free(load_ok(HEAD "{'name': 'a', 'command': 'echo $$HOME'}" TAIL));
}

static void
shell_command_unknown_variable(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'echo ${HOME}/x'}" TAIL,
	    "t.json:2:32: ", "write $HOME, or $${HOME} to pass \"${HOME}\"");
	/* An argument vector runs no shell, so it gets no shell advice. */
	expect_error(HEAD "{'name': 'a', 'command': ['echo', '${HOME}/x']}"
	    TAIL, "t.json:2:36: ", "define it in \"env\" or use a WATCHKEEP_");
	cfg_free(load_ok(HEAD "{'name': 'a', 'command': 'echo $${HOME}/x'}"
	    TAIL));
	/* The script of ["sh", "-c", SCRIPT] runs in a shell too. */
	expect_error(HEAD "{'name': 'a', 'command': ['sh', '-c', "
	    "'echo ${HOME}']}" TAIL, "t.json:2:", "write $HOME, or $${HOME}");
	expect_error(HEAD "{'name': 'a', 'command': ['/bin/bash', '-c', "
	    "'echo ${HOME}']}" TAIL, "t.json:2:", "write $HOME, or $${HOME}");
	expect_error(HEAD "{'name': 'a', 'command': ['python3', '-c', "
	    "'${HOME}']}" TAIL, "t.json:2:", "define it in \"env\" or use");
}

static void
fraction_duration_suggests_whole(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '1.5s'}"
	    TAIL, "t.json:2:47: ", "fractions are not accepted; write "
	    "\"1500ms\" for the same duration");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '1.5h'}"
	    TAIL, "t.json:2:47: ", "write \"90m\"");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '0.25s'}"
	    TAIL, "t.json:2:47: ", "write \"250ms\"");
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'timeout': '1.0005s'}" TAIL, "t.json:2:47: ",
	    "fractions are not accepted; write a whole number");
}

static void
schedule_errors_hint_once(void **state)
{
	static const char *const exprs[] = { "0 0 1 1", "0 0 1 1 * 2024",
		"0 0 * * fri-mon" };
	char text[256];
	size_t i;

	(void)state;
	expect_error("{'pipelines': [{'name': 'p', 'schedule': "
	    "'0 0 * * fri-mon', 'stages': [\n{'name': 'a', 'command': 'true'}"
	    TAIL, "t.json:1:51: ", "write \"fri-sat,sun-mon\" for the same days");
	expect_error("{'pipelines': [{'name': 'p', 'schedule': "
	    "'0 22-2 * * *', 'stages': [\n{'name': 'a', 'command': 'true'}"
	    TAIL, "t.json:1:45: ", "write \"22-23,0-2\" for the same hours");
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		struct wk_err err = { 0, "" };
		struct cfg *cfg;
		const char *first;

		snprintf(text, sizeof text, "{'pipelines': [{'name': 'p', "
		    "'schedule': '%s', 'stages': [{'name': 'a', "
		    "'command': 'true'}]}]}", exprs[i]);
		cfg = config_text_load(text, &err);
		assert_null(cfg);
		assert_null(strstr(err.msg, "earlier"));
		first = strstr(err.msg, "minute hour");
		if (first != NULL && strstr(first + 1, "minute hour") != NULL)
			fail_msg("one five-field hint expected in \"%s\"",
			    err.msg);
	}
}

static void
env_names_checked(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'env': {'1X': 'v'}}"
	    TAIL, "t.json:2:42: ", "invalid variable name \"1X\" in \"env\"");
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'env': {'WATCHKEEP_RUN_ID': 'v'}}" TAIL, "t.json:2:42: ",
	    "\"WATCHKEEP_RUN_ID\" is set by the agent");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'env': []}" TAIL,
	    "t.json:2:41: ", "\"env\" must be an object, not an array");
}

static void
description_one_line(void **state)
{
	(void)state;
	expect_error("{'pipelines': [{'name': 'p', 'description': 'a\\nb', "
	    "'stages': []}]}", "t.json:1:47: ",
	    "\"description\" must be one line");
}

static void
syntax_error_position(void **state)
{
	(void)state;
	/* jansson's place: the last character of the token it stopped at. */
	expect_error("{'pipelines': [}", "t.json:1:16: ", "invalid JSON: ");
	expect_error("{\n  'a': 1\n  'b': 2}", "t.json:3:5: ",
	    "invalid JSON: '}' expected");
	/* Columns count characters: 'é' is one column, as in our positions. */
	expect_error("{'\xc3\xa9': x}", "t.json:1:7: ", "invalid JSON: ");
	expect_error("{'pipelines': [", "t.json:1:15: ", "invalid JSON: ");
	expect_error("", "t.json:1:1: ", "invalid JSON: ");
}

static void
encoding_checked(void **state)
{
	struct wk_err err = { 0, "" };

	(void)state;
	expect_error("{'pipelines': [\n  '\xff']}", "t.json:2:4: ",
	    "invalid UTF-8 (byte 0xff)");
	expect_error("{'a\xc3\xa9\xc0\xaf': 1}", "t.json:1:5: ",
	    "invalid UTF-8 (byte 0xc0)");
	expect_error("\xef\xbb\xbf{}", "t.json:1:1: ", "byte order mark");
	assert_null(cfg_load_text("{\0}", 3, "t.json", &err));
	assert_string_equal(err.msg,
	    "t.json:1:2: the text contains a NUL byte; save the file as UTF-8 text");
}

static void
nesting_limited(void **state)
{
	char text[256];
	int i, n = 0;

	(void)state;
	n += snprintf(text + n, sizeof text - (size_t)n, "{'pipelines': ");
	for (i = 0; i < JSONPOS_DEPTH_MAX; i++)
		text[n++] = '[';
	for (i = 0; i < JSONPOS_DEPTH_MAX; i++)
		text[n++] = ']';
	snprintf(text + n, sizeof text - (size_t)n, "}");
	/* The root object and 63 arrays fit; the 64th array is one too many. */
	expect_error(text, "t.json:1:78: ", "nesting too deep");
}

static void
loaded_structure(void **state)
{
	const struct cfg_pipeline *pl;
	const struct cfg_stage *st;
	struct cfg *cfg;

	(void)state;
	cfg = load_ok("{'state_dir': '/var/lib/wk', 'log_level': 'debug', "
	    "'pipelines': [{'name': 'p', 'description': 'one line', 'stages': [\n"
	    "  {'name': 'export', 'command': 'gzip -k out.csv', "
	    "'depends_on': ['train']},\n"
	    "  {'name': 'train', 'command': ['churn', 'train', ''], "
	    "'outputs': ['a', 'b'], 'working_dir': '/tmp'}" TAIL);
	assert_string_equal(cfg->path, "t.json");
	assert_string_equal(cfg->state_dir, "/var/lib/wk");
	assert_int_equal(cfg->log_level, LL_DEBUG);
	assert_int_equal(cfg->n_pipelines, 1);
	pl = cfg_find_pipeline(cfg, "p");
	assert_ptr_equal(pl, &cfg->pipelines[0]);
	assert_null(cfg_find_pipeline(cfg, "q"));
	assert_string_equal(pl->description, "one line");
	assert_int_equal(pl->pos.line, 1);
	assert_int_equal(pl->pos.column, 66);
	assert_int_equal(pl->n_stages, 2);
	assert_int_equal(pl->order[0], 1);
	assert_int_equal(pl->order[1], 0);

	st = cfg_find_stage(pl, "export");
	assert_ptr_equal(st, &pl->stages[0]);
	assert_null(cfg_find_stage(pl, "exports"));
	assert_null(st->argv);
	assert_string_equal(st->shell, "gzip -k out.csv");
	assert_int_equal(st->n_depends_on, 1);
	assert_int_equal(st->dep_index[0], 1);
	assert_int_equal(st->pos.line, 2);
	assert_int_equal(st->pos.column, 3);

	st = &pl->stages[1];
	assert_null(st->shell);
	assert_string_equal(st->argv[0], "churn");
	assert_string_equal(st->argv[1], "train");
	assert_string_equal(st->argv[2], "");
	assert_null(st->argv[3]);
	assert_int_equal(st->n_outputs, 2);
	assert_string_equal(st->outputs[1], "b");
	assert_string_equal(st->working_dir, "/tmp");
	assert_int_equal(st->n_depends_on, 0);
	assert_int_equal(st->pos.line, 3);
	cfg_free(cfg);
}

/* Reads a file of the source tree into a new string. */
static char *
read_source(const char *relative, size_t *len)
{
	const char *srcdir = getenv("WK_TEST_SRCDIR");
	char path[4096];
	char *data;
	FILE *f;
	long size;

	if (srcdir == NULL)
		fail_msg("WK_TEST_SRCDIR is not set; run the test through ctest");
	snprintf(path, sizeof path, "%s/%s", srcdir, relative);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = calloc(1, (size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return data;
}

/* Checks the shape every churn configuration shares. */
static void
assert_churn_pipeline(const struct cfg_pipeline *pl)
{
	static const char *const names[] = {
		"ingest", "features", "train", "predict", "export"
	};
	const struct cfg_stage *predict;
	size_t i;

	assert_int_equal(pl->n_stages, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(pl->stages[i].name, names[i]);
		assert_int_equal(pl->order[i], i);
		assert_non_null(pl->stages[i].argv);
		assert_true(pl->stages[i].timeout_ms > 0);
		assert_true(pl->stages[i].n_outputs > 0);
	}
	predict = cfg_find_stage(pl, "predict");
	assert_non_null(predict);
	assert_int_equal(predict->n_depends_on, 2);
	assert_int_equal(predict->dep_index[0], 2);
	assert_int_equal(predict->dep_index[1], 1);
}

static void
default_is_embedded_example(void **state)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg;
	size_t len;
	char *file = read_source("examples/churn-cdnow.json", &len);

	(void)state;
	assert_string_equal(cfg_default_text(), file);
	free(file);

	cfg = cfg_load_default(&err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->path, "(default)");
	assert_int_equal(cfg->n_pipelines, 1);
	assert_string_equal(cfg->pipelines[0].name, "churn");
	assert_churn_pipeline(&cfg->pipelines[0]);
	cfg_free(cfg);
}

static void
examples_load(void **state)
{
	static const char *const files[] = {
		"examples/churn-cdnow.json", "examples/churn-sparkify.json"
	};
	const char *srcdir = getenv("WK_TEST_SRCDIR");
	size_t i;

	(void)state;
	assert_non_null(srcdir);
	for (i = 0; i < 2; i++) {
		struct wk_err err = { 0, "" };
		char path[4096];
		struct cfg *cfg;

		snprintf(path, sizeof path, "%s/%s", srcdir, files[i]);
		cfg = cfg_load_file(path, &err);
		if (cfg == NULL)
			fail_msg("%s", err.msg);
		assert_string_equal(cfg->path, path);
		assert_int_equal(cfg->n_pipelines, 1);
		assert_churn_pipeline(&cfg->pipelines[0]);
		cfg_free(cfg);
	}
}

static void
file_limits(void **state)
{
	char dir[] = "/tmp/wk-config-XXXXXX", path[64];
	struct wk_err err = { 0, "" };
	char *big;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));

	assert_null(cfg_load_file(dir, &err));
	assert_int_equal(err.rc, WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, "not a regular file"));

	snprintf(path, sizeof path, "%s/missing.json", dir);
	assert_null(cfg_load_file(path, &err));
	assert_int_equal(err.rc, WK_ERR_IO);
	assert_non_null(strstr(err.msg, "cannot open"));

	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(cfg_load_file(path, &err));
	assert_int_equal(err.rc, WK_ERR_INVALID);
	assert_int_equal(unlink(path), 0);

	big = malloc((size_t)CFG_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', (size_t)CFG_FILE_MAX + 1);
	assert_null(cfg_load_text(big, (size_t)CFG_FILE_MAX + 1, "big", &err));
	assert_int_equal(err.rc, WK_ERR_LIMIT);

	snprintf(path, sizeof path, "%s/big.json", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, (size_t)CFG_FILE_MAX + 1, f),
	    (size_t)CFG_FILE_MAX + 1);
	assert_int_equal(fclose(f), 0);
	assert_null(cfg_load_file(path, &err));
	assert_int_equal(err.rc, WK_ERR_LIMIT);
	free(big);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
jsonpos_pointers_and_places(void **state)
{
	static const char text[] =
	    "{\"a\": [1, {\"b~/c\": \"x\"}],\n \"\xc3\xa9\": \"\\u00e9t\\u00e9\"}";
	struct jsonpos_error e;
	struct jsonpos jp;
	struct buf ptr;
	int node;

	(void)state;
	assert_int_equal(jsonpos_scan(&jp, text, strlen(text), &e), WK_OK);
	assert_int_equal(jsonpos_find(&jp, ""), 0);

	node = jsonpos_find(&jp, "/a/1/b~0~1c");
	assert_true(node > 0);
	assert_string_equal(jsonpos_key(&jp, node), "b~/c");
	assert_int_equal(jp.nodes[node].key_loc.line, 1);
	assert_int_equal(jp.nodes[node].key_loc.column, 12);
	assert_int_equal(jp.nodes[node].value_loc.column, 20);
	buf_init(&ptr, 256);
	assert_int_equal(jsonpos_pointer(&jp, node, &ptr), WK_OK);
	assert_string_equal(ptr.data, "/a/1/b~0~1c");
	buf_free(&ptr);

	node = jsonpos_find(&jp, "/a/0");
	assert_int_equal(jp.nodes[node].value_loc.column, 8);
	assert_null(jsonpos_key(&jp, node));
	assert_int_equal(jsonpos_find(&jp, "/a/2"), JSONPOS_NONE);
	assert_int_equal(jsonpos_find(&jp, "/a/01"), JSONPOS_NONE);
	assert_int_equal(jsonpos_find(&jp, "/x"), JSONPOS_NONE);
	assert_int_equal(jsonpos_find(&jp, "/a/1/b~2"), JSONPOS_NONE);
	assert_int_equal(jsonpos_find(&jp, "a"), JSONPOS_NONE);

	/* Value "\u00e9t\u00e9" is "été": bytes 0-1, 2 and 3-4. */
	node = jsonpos_find(&jp, "/\xc3\xa9");
	assert_true(node > 0);
	assert_int_equal(jp.nodes[node].key_loc.line, 2);
	assert_int_equal(jp.nodes[node].key_loc.column, 2);
	assert_int_equal(jp.nodes[node].value_loc.column, 7);
	assert_int_equal(jsonpos_string_loc(&jp, node, 0).column, 8);
	assert_int_equal(jsonpos_string_loc(&jp, node, 1).column, 8);
	assert_int_equal(jsonpos_string_loc(&jp, node, 2).column, 14);
	assert_int_equal(jsonpos_string_loc(&jp, node, 3).column, 15);
	assert_int_equal(jsonpos_string_loc(&jp, node, 5).column, 21);
	assert_int_equal(jsonpos_string_loc(&jp, node, 99).column, 21);
	jsonpos_free(&jp);
}

static void
jsonpos_surrogate_pair(void **state)
{
	/* U+1F600 as a surrogate pair: 12 characters of source, 4 bytes. */
	static const char text[] = "[\"\\ud83d\\ude00x\"]";
	struct jsonpos_error e;
	struct jsonpos jp;
	int node;

	(void)state;
	assert_int_equal(jsonpos_scan(&jp, text, strlen(text), &e), WK_OK);
	node = jsonpos_find(&jp, "/0");
	assert_int_equal(jsonpos_string_loc(&jp, node, 0).column, 3);
	assert_int_equal(jsonpos_string_loc(&jp, node, 3).column, 3);
	assert_int_equal(jsonpos_string_loc(&jp, node, 4).column, 15);
	jsonpos_free(&jp);
}

static void
jsonpos_rejects_bad_text(void **state)
{
	struct jsonpos_error e;
	struct jsonpos jp;

	(void)state;
	assert_int_equal(jsonpos_scan(&jp, "{\"a\" 1}", 7, &e), WK_ERR_INVALID);
	assert_int_equal(e.loc.column, 6);
	assert_int_equal(jsonpos_scan(&jp, "[1,\n \"x", 7, &e), WK_ERR_INVALID);
	assert_int_equal(e.loc.line, 2);
	assert_int_equal(jsonpos_scan(&jp, "[1] 2", 5, &e), WK_ERR_INVALID);
	assert_int_equal(e.loc.column, 5);
	assert_int_equal(jsonpos_scan(&jp, "", 0, &e), WK_ERR_INVALID);
	assert_int_equal(jsonpos_scan(&jp, "[\"\\x\"]", 6, &e), WK_ERR_INVALID);
	assert_int_equal(e.loc.column, 3);
}

static void
jsonpos_offset_places(void **state)
{
	static const char text[] = "a\xc3\xa9\n\tb";
	struct jsonpos_loc loc;

	(void)state;
	loc = jsonpos_offset_loc(text, strlen(text), 3);
	assert_int_equal(loc.line, 1);
	assert_int_equal(loc.column, 3);
	loc = jsonpos_offset_loc(text, strlen(text), 2);
	assert_int_equal(loc.column, 2);
	loc = jsonpos_offset_loc(text, strlen(text), 5);
	assert_int_equal(loc.line, 2);
	assert_int_equal(loc.column, 2);
}


/* Names may be Japanese, but not hold spaces or invisible characters. */
static void
names_allow_other_scripts(void **state)
{
	struct cfg *cfg;

	(void)state;
	cfg = load_ok(HEAD "{'name': '学習', 'command': 'true'}" TAIL);
	assert_string_equal(cfg->pipelines[0].stages[0].name, "学習");
	cfg_free(cfg);
	expect_error(HEAD "{'name': '学\xe3\x80\x80習', 'command': 'true'}"
	    TAIL, "t.json:2:12: ", "must not contain");
	expect_error(HEAD "{'name': 'a\xe2\x80\x8b" "b', 'command': 'true'}"
	    TAIL, "t.json:2:12: ", "must not contain");
}

/* The supervision keys of pipelines and stages. */
static void
supervision_keys_load(void **state)
{
	struct cfg *cfg;
	const struct cfg_stage *st;

	(void)state;
	cfg = load_ok("{'pipelines': [{'name': 'p', 'schedule': '30 2 * * *', "
	    "'time_zone': 'Asia/Tokyo', 'deadline': '06:00', 'overlap': "
	    "'queue', 'catch_up': 'skip', 'max_parallel': 3, 'stages': [\n"
	    "{'name': 'a', 'command': 'true', 'retries': 4, 'retry_delay': "
	    "'1s', 'retry_delay_max': '1m', 'fatal_exit_codes': [65], "
	    "'retry_exit_codes': [1, 75], 'nice': 5, 'memory_limit': '2GiB', "
	    "'memory_mode': 'rlimit', 'heartbeat': '30s', 'heartbeat_action': "
	    "'warn', 'on_restart': 'adopt', 'inputs': ['x'], 'gates': "
	    "[{'metric': 'auc', 'max_drop': 0.03}]}" TAIL);
	assert_string_equal(cfg->pipelines[0].schedule, "30 2 * * *");
	assert_string_equal(cfg->pipelines[0].time_zone, "Asia/Tokyo");
	assert_int_equal(cfg->pipelines[0].deadline_minute, 360);
	assert_int_equal(cfg->pipelines[0].overlap, CFG_OVERLAP_QUEUE);
	assert_int_equal(cfg->pipelines[0].catch_up, CFG_CATCH_UP_SKIP);
	assert_int_equal(cfg->pipelines[0].max_parallel, 3);
	st = &cfg->pipelines[0].stages[0];
	assert_int_equal(st->retries, 4);
	assert_int_equal(st->retry_delay_ms, 1000);
	assert_int_equal(st->retry_delay_max_ms, 60000);
	assert_int_equal(st->n_fatal_exit_codes, 1);
	assert_int_equal(st->fatal_exit_codes[0], 65);
	assert_int_equal(st->n_retry_exit_codes, 2);
	assert_int_equal(st->nice, 5);
	assert_int_equal(st->memory_limit, INT64_C(2) << 30);
	assert_int_equal(st->memory_mode, CFG_MEMORY_RLIMIT);
	assert_int_equal(st->heartbeat_ms, 30000);
	assert_int_equal(st->heartbeat_action, CFG_HEARTBEAT_WARN);
	assert_int_equal(st->on_restart, CFG_RESTART_ADOPT);
	assert_int_equal(st->n_inputs, 1);
	assert_int_equal(st->n_gates, 1);
	assert_true(st->gates[0].max_drop == 0.03);
	cfg_free(cfg);
}

/* Returns how often part occurs in text. */
static int
count_of(const char *text, const char *part)
{
	int n = 0;

	for (text = strstr(text, part); text != NULL;
	     text = strstr(text + 1, part))
		n++;
	return n;
}

/* An unknown or malformed time zone gets one hint, not two. */
static void
time_zone_error_one_hint(void **state)
{
	static const char *const zones[] = { "Mars/Olympus", "../etc/passwd",
		"Europe/Berlin ", NULL };
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; zones[i] != NULL; i++) {
		struct wk_err err = { 0, "" };
		struct cfg *cfg;

		snprintf(text, sizeof text, "{'pipelines': [{'name': 'p', "
		    "'time_zone': '%s', 'stages': [{'name': 'a', 'command': "
		    "'true'}]}]}", zones[i]);
		cfg = config_text_load(text, &err);
		assert_null(cfg);
		assert_non_null(strstr(err.msg, "t.json:1:43: "));
		assert_non_null(strstr(err.msg, zones[i]));
		if (count_of(err.msg, "use an IANA name") != 1)
			fail_msg("one hint expected in \"%s\"", err.msg);
	}
}

/* Zones of the right/ and posix/ trees are rejected by name. */
static void
time_zone_variant_trees_rejected(void **state)
{
	static const struct {
		const char *zone;
		const char *use;  /* the zone the message suggests */
	} cases[] = {
		{ "right/UTC", "use \"UTC\"" },
		{ "posix/Europe/Berlin", "use \"Europe/Berlin\"" },
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wk_err err = { 0, "" };
		struct cfg *cfg;

		snprintf(text, sizeof text, "{'pipelines': [{'name': 'p', "
		    "'time_zone': '%s', 'stages': [{'name': 'a', 'command': "
		    "'true'}]}]}", cases[i].zone);
		cfg = config_text_load(text, &err);
		assert_null(cfg);
		if (strstr(err.msg, "right/ and posix/ are not accepted") == NULL)
			fail_msg("rejection expected in \"%s\"", err.msg);
		assert_non_null(strstr(err.msg, cases[i].use));
		assert_null(strstr(err.msg, "tzdata"));
	}
}

/* Settings that are valid one by one but can never work. */
static void
impossible_settings_rejected(void **state)
{
	struct cfg *cfg;

	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'gates': "
	    "[{'metric': 'auc', 'min': 5, 'max': 1}]}" TAIL, "t.json:2:69: ",
	    "gate on \"auc\" has \"min\" 5 above \"max\" 1");
	cfg = load_ok(HEAD "{'name': 'a', 'command': 'true', 'gates': "
	    "[{'metric': 'auc', 'min': 0.7, 'max': 0.7}]}" TAIL);
	cfg_free(cfg);
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'gates': "
	    "[{'metric': 'auc', 'max_drop': -0.1}]}" TAIL, "t.json:2:74: ",
	    "gate \"max_drop\" is -0.1, below 0");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'gates': "
	    "[{'metric': 'n', 'max_change': -1}]}" TAIL, "t.json:2:74: ",
	    "gate \"max_change\" is -1, below 0");

	expect_error("{'pipelines': [{'name': 'p', 'schedule': '0 0 31 2 *', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}",
	    "t.json:1:47: ", "never fires");
	expect_error("{'pipelines': [{'name': 'p', 'schedule': "
	    "'0 0 31 4,6,9,11 *', 'stages': [{'name': 'a', 'command': "
	    "'true'}]}]}", "t.json:1:47: ", "never fires");
	cfg = load_ok("{'pipelines': [{'name': 'p', 'schedule': '0 0 29 2 *', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}");
	cfg_free(cfg);

	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '1h1h'}"
	    TAIL, "t.json:2:49: ",
	    "invalid duration \"1h1h\" for \"timeout\": each unit may appear once");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'grace': '30m1h'}"
	    TAIL, "t.json:2:48: ", "from the largest to the smallest");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '5ms5s'}"
	    TAIL, "t.json:2:50: ", "invalid duration");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'timeout': '1ms1ms'}"
	    TAIL, "t.json:2:50: ", "invalid duration");
	cfg = load_ok(HEAD "{'name': 'a', 'command': 'true', 'timeout': "
	    "'1w2d3h4m5s6ms'}" TAIL);
	assert_int_equal(cfg->pipelines[0].stages[0].timeout_ms,
	    ((((9 * 24 + 3) * 60 + 4) * 60 + 5) * 1000LL) + 6);
	cfg_free(cfg);

	expect_error(HEAD "{'name': 'a', 'command': 'true', 'memory_limit': "
	    "'0B'}" TAIL, "t.json:2:50: ",
	    "\"memory_limit\" is \"0B\", below the minimum of 1MiB");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'memory_limit': "
	    "'1023KiB'}" TAIL, "t.json:2:50: ", "below the minimum of 1MiB");
	cfg = load_ok(HEAD "{'name': 'a', 'command': 'true', 'memory_limit': "
	    "'1048576B'}" TAIL);
	assert_int_equal(cfg->pipelines[0].stages[0].memory_limit, 1048576);
	cfg_free(cfg);
}

/* Invisible and bidirectional characters appear as U+XXXX, never raw. */
static void
invisible_characters_spelled_out(void **state)
{
	static const struct {
		const char *name;   /* stage name with the character */
		const char *expected;  /* part of the message */
		const char *raw;    /* the character's bytes */
	} cases[] = {
		{ "a\xe2\x80\xae" "b", "must not contain U+202E", "\xe2\x80\xae" },
		{ "a\xe2\x80\x8b" "b", "must not contain U+200B", "\xe2\x80\x8b" },
		{ "a\xe2\x81\xa6" "b", "must not contain U+2066", "\xe2\x81\xa6" },
		{ "a\xc2\xad" "b", "must not contain U+00AD", "\xc2\xad" },
		{ "a\xc2\x85" "b", "must not contain U+0085", "\xc2\x85" },
		{ "a\xef\xbb\xbf" "b", "must not contain U+FEFF", "\xef\xbb\xbf" },
		{ "a\xf3\xa0\x80\x81" "b", "must not contain U+E0001",
		  "\xf3\xa0\x80\x81" },
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wk_err err = { 0, "" };

		snprintf(text, sizeof text, HEAD "{'name': '%s', 'command': "
		    "'true'}" TAIL, cases[i].name);
		assert_null(config_text_load(text, &err));
		if (strstr(err.msg, "t.json:2:12: ") != err.msg ||
		    strstr(err.msg, cases[i].expected) == NULL)
			fail_msg("case %zu: \"%s\" expected in \"%s\"", i,
			    cases[i].expected, err.msg);
		assert_null(strstr(err.msg, cases[i].raw));
	}

	/* A quoted value: the unknown key keeps its visible characters. */
	{
		struct wk_err err = { 0, "" };

		assert_null(config_text_load(HEAD "{'name': 'a', 'command': 'true', "
		    "'x\xe2\x80\xaey\\u0001': 1}" TAIL, &err));
		assert_non_null(strstr(err.msg,
		    "unknown key \"xU+202EyU+0001\" in a stage"));
		assert_null(strstr(err.msg, "\xe2\x80\xae"));
	}

	/* A time zone name is quoted by core/tz.c. */
	{
		struct wk_err err = { 0, "" };

		assert_null(config_text_load("{'pipelines': [{'name': 'p', 'time_zone': "
		    "'Asia/\xe2\x80\xaeTokyo', 'stages': [{'name': 'a', "
		    "'command': 'true'}]}]}", &err));
		assert_non_null(strstr(err.msg, "t.json:1:43: "));
		assert_non_null(strstr(err.msg, "\"Asia/U+202ETokyo\""));
		assert_null(strstr(err.msg, "\xe2\x80\xae"));
	}
}

static void
supervision_keys_errors(void **state)
{
	(void)state;
	expect_error("{'pipelines': [{'name': 'p', 'schedule': '61 * * * *', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}",
	    "t.json:1:43: ", "invalid schedule");
	expect_error("{'pipelines': [{'name': 'p', 'time_zone': 'Mars/Olympus', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}",
	    "t.json:1:43: ",
	    "invalid \"time_zone\": unknown time zone \"Mars/Olympus\"");
	expect_error("{'pipelines': [{'name': 'p', 'overlap': 'quene', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}",
	    "t.json:1:41: ", "did you mean \"queue\"?");
	expect_error("{'pipelines': [{'name': 'p', 'deadline': '06:00', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}",
	    "t.json:1:30: ", "needs a \"schedule\"");
	expect_error("{'pipelines': [{'name': 'p', 'schedule': '@daily', "
	    "'deadline': '25:00', 'stages': [{'name': 'a', 'command': "
	    "'true'}]}]}", "t.json:1:64: ", "invalid time of day");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'retry_delay': "
	    "'1m', 'retry_delay_max': '1s'}" TAIL, "t.json:2:74: ",
	    "shorter than \"retry_delay\"");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'memory_limit': "
	    "'2 GB'}" TAIL, "t.json:2:52: ", "invalid size");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'fatal_exit_codes': "
	    "[65, 300]}" TAIL, "t.json:2:59: ", "300 in \"fatal_exit_codes\" "
	    "is not an exit code");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'fatal_exit_codes': "
	    "[65, '1']}" TAIL, "t.json:2:59: ", "exit codes from 0 to 255");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'gates': "
	    "[{'metric': 'auc'}]}" TAIL, "t.json:2:44: ", "checks nothing");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'gates': "
	    "[{'metric': 'auc', 'min': 0.5, 'mni': 1}]}" TAIL, "t.json:2:74: ",
	    "did you mean \"min\"?");
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'retries': 101}"
	    TAIL, "t.json:2:45: ", "outside 0..100");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_allow_other_scripts),
		cmocka_unit_test(supervision_keys_load),
		cmocka_unit_test(supervision_keys_errors),
		cmocka_unit_test(time_zone_error_one_hint),
		cmocka_unit_test(time_zone_variant_trees_rejected),
		cmocka_unit_test(impossible_settings_rejected),
		cmocka_unit_test(invisible_characters_spelled_out),
		cmocka_unit_test(misspelt_stage_key_hint),
		cmocka_unit_test(hint_ignores_case_counts_swaps),
		cmocka_unit_test(misspelt_other_keys_hint),
		cmocka_unit_test(unknown_key_lists_valid_keys),
		cmocka_unit_test(wrong_types),
		cmocka_unit_test(invalid_values),
		cmocka_unit_test(missing_keys),
		cmocka_unit_test(invalid_duration_points_inside),
		cmocka_unit_test(durations_and_defaults),
		cmocka_unit_test(cycle_names_every_stage),
		cmocka_unit_test(self_dependency_is_cycle),
		cmocka_unit_test(unknown_dependency),
		cmocka_unit_test(duplicate_names),
		cmocka_unit_test(duplicate_key_at_second),
		cmocka_unit_test(invalid_names),
		cmocka_unit_test(unknown_variable_hint),
		cmocka_unit_test(variable_scopes),
		cmocka_unit_test(malformed_references),
		cmocka_unit_test(env_names_checked),
		cmocka_unit_test(shell_command_unknown_variable),
		cmocka_unit_test(fraction_duration_suggests_whole),
		cmocka_unit_test(schedule_errors_hint_once),
		cmocka_unit_test(description_one_line),
		cmocka_unit_test(syntax_error_position),
		cmocka_unit_test(encoding_checked),
		cmocka_unit_test(nesting_limited),
		cmocka_unit_test(loaded_structure),
		cmocka_unit_test(default_is_embedded_example),
		cmocka_unit_test(examples_load),
		cmocka_unit_test(file_limits),
		cmocka_unit_test(jsonpos_pointers_and_places),
		cmocka_unit_test(jsonpos_surrogate_pair),
		cmocka_unit_test(jsonpos_rejects_bad_text),
		cmocka_unit_test(jsonpos_offset_places),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
