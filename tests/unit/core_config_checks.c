/*
 * Settings that contradict each other or have no effect, unknown time
 * zones with the nearest zone as a hint, and the "$${" escape.
 *
 * Texts are JSON written with ' in place of ", which config_text_load()
 * turns into " byte for byte. The expected place of each message is
 * computed by place_of() from the text itself, so a test names the key or
 * value it expects the message at instead of a counted column.
 */
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

#include "core/buf.h"
#include "core/config.h"
#include "core/vars.h"
#include "config_text.h"

/* One pipeline "p"; the stages go on line 2. */
#define HEAD "{'pipelines': [{'name': 'p', 'stages': [\n"
#define TAIL "\n]}]}\n"
#define PLACE_MAX 64  /* bytes of "t.json:LINE:COL: " */

/*
 * Writes "t.json:LINE:COL: " for the first occurrence of needle in text
 * (ASCII text, so a byte is a column). A needle that starts with ' is
 * found with its quote, which is where a key or string value starts.
 */
static void
place_of(const char *text, const char *needle, char out[PLACE_MAX])
{
	const char *at = strstr(text, needle), *p;
	int line = 1, column = 1;

	if (at == NULL)
		fail_msg("\"%s\" not in the test text", needle);
	for (p = text; p < at; p++) {
		column++;
		if (*p == '\n') {
			line++;
			column = 1;
		}
	}
	snprintf(out, PLACE_MAX, "t.json:%d:%d: ", line, column);
}

/* Checks that msg starts with place and contains each of parts. */
static void
expect_message(const char *msg, const char *place, const char *const *parts,
	       int line)
{
	size_t i;

	if (strncmp(msg, place, strlen(place)) != 0)
		fail_msg("line %d: place \"%s\" expected in \"%s\"", line, place,
		    msg);
	for (i = 0; parts[i] != NULL; i++) {
		if (strstr(msg, parts[i]) == NULL)
			fail_msg("line %d: \"%s\" expected in \"%s\"", line,
			    parts[i], msg);
	}
}

/*
 * Checks that text fails to load with a message at the place of needle
 * that contains each of the NULL-terminated parts.
 */
static void
expect_error_at(const char *text, const char *needle,
		const char *const *parts, int line)
{
	char place[PLACE_MAX];
	struct wk_err err;
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg != NULL) {
		cfg_free(cfg);
		fail_msg("line %d: the text loaded without an error", line);
	}
	if (err.rc != WK_ERR_INVALID)
		fail_msg("line %d: rc %d for \"%s\"", line, err.rc, err.msg);
	place_of(text, needle, place);
	expect_message(err.msg, place, parts, line);
}

#define expect_error(text, needle, ...) \
	expect_error_at((text), (needle), \
	    (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)

/*
 * Checks that text loads with exactly one warning, at the place of needle,
 * that contains each of the parts.
 */
static void
expect_warning_at(const char *text, const char *needle,
		  const char *const *parts, int line)
{
	char place[PLACE_MAX], prefix[PLACE_MAX + 16];
	struct wk_err err;
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg == NULL)
		fail_msg("line %d: unexpected error: %s", line, err.msg);
	if (cfg->n_warnings != 1)
		fail_msg("line %d: %zu warnings, expected 1", line,
		    cfg->n_warnings);
	place_of(text, needle, place);
	snprintf(prefix, sizeof prefix, "%swarning: ", place);
	expect_message(cfg->warnings[0], prefix, parts, line);
	cfg_free(cfg);
}

#define expect_warning(text, needle, ...) \
	expect_warning_at((text), (needle), \
	    (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)

/* Loads text that must be valid and have no warning. */
static void
expect_clean_at(const char *text, int line)
{
	struct wk_err err;
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg == NULL)
		fail_msg("line %d: unexpected error: %s", line, err.msg);
	if (cfg->n_warnings != 0)
		fail_msg("line %d: unexpected warning: %s", line,
		    cfg->warnings[0]);
	cfg_free(cfg);
}

#define expect_clean(text) expect_clean_at((text), __LINE__)

static void
exit_code_in_both_lists(void **state)
{
	static const char text[] = HEAD "{'name': 'a', 'command': 'true', "
	    "'retry_exit_codes': [1, 75], 'fatal_exit_codes': [2, 75]}" TAIL;
	char retry_place[PLACE_MAX], expected[PLACE_MAX + 32];
	int line, column;

	(void)state;
	/* The error is at the fatal_exit_codes entry and names the other. */
	place_of(text, "75]", retry_place);
	assert_int_equal(sscanf(retry_place, "t.json:%d:%d:", &line, &column),
	    2);
	snprintf(expected, sizeof expected, "(line %d, column %d)", line,
	    column);
	expect_error(text, "75]}", "exit code 75 is in both",
	    "\"retry_exit_codes\"", "\"fatal_exit_codes\"", expected,
	    "remove it from the list");

	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'retry_exit_codes': [1, 75], 'fatal_exit_codes': [2, 3]}" TAIL);
	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'fatal_exit_codes': [75]}" TAIL);
}

static void
heartbeat_action_without_heartbeat(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'heartbeat_action': 'warn'}" TAIL, "'heartbeat_action'",
	    "\"heartbeat_action\" is \"warn\"", "no \"heartbeat\"",
	    "watches no heartbeats",
	    "add \"heartbeat\": \"5m\" or remove \"heartbeat_action\"");
	/* "0" means no heartbeat. */
	expect_error(HEAD "{'name': 'a', 'command': 'true', 'heartbeat': '0', "
	    "'heartbeat_action': 'warn'}" TAIL, "'heartbeat_action'",
	    "\"heartbeat_action\" is \"warn\"");
	/* The default action written out changes nothing: a warning. */
	expect_warning(HEAD "{'name': 'a', 'command': 'true', "
	    "'heartbeat_action': 'kill'}" TAIL, "'heartbeat_action'",
	    "\"heartbeat_action\" is \"kill\", the default",
	    "the key has no effect",
	    "add \"heartbeat\": \"5m\" or remove \"heartbeat_action\"");

	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'heartbeat': '1m', 'heartbeat_action': 'warn'}" TAIL);
	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'heartbeat': '1m', 'heartbeat_action': 'kill'}" TAIL);
}

static void
memory_mode_without_limit(void **state)
{
	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'memory_mode': 'cgroup'}" TAIL, "'memory_mode'",
	    "\"memory_mode\" is \"cgroup\"", "no \"memory_limit\"",
	    "add \"memory_limit\": \"2GiB\" or remove \"memory_mode\"");
	expect_error(HEAD "{'name': 'a', 'command': 'true', "
	    "'memory_mode': 'rlimit'}" TAIL, "'memory_mode'",
	    "\"memory_mode\" is \"rlimit\"", "no limit to enforce");
	expect_warning(HEAD "{'name': 'a', 'command': 'true', "
	    "'memory_mode': 'auto'}" TAIL, "'memory_mode'",
	    "\"memory_mode\" is \"auto\", the default",
	    "the key has no effect",
	    "add \"memory_limit\": \"2GiB\" or remove \"memory_mode\"");

	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'memory_limit': '1GiB', 'memory_mode': 'rlimit'}" TAIL);
	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'memory_limit': '1GiB', 'memory_mode': 'auto'}" TAIL);
}

/* Warnings past CFG_WARNINGS_MAX are counted, not kept. */
static void
warnings_bounded(void **state)
{
	struct buf text;
	struct wk_err err;
	struct cfg *cfg;
	int i;

	(void)state;
	buf_init(&text, 1 << 20);
	assert_int_equal(buf_append_str(&text, HEAD), WK_OK);
	for (i = 0; i < CFG_WARNINGS_MAX + 3; i++)
		assert_int_equal(buf_printf(&text, "%s{'name': 's%d', "
		    "'command': 'true', 'memory_mode': 'auto'}", i > 0 ? ",\n" : "",
		    i), WK_OK);
	assert_int_equal(buf_append_str(&text, TAIL), WK_OK);

	cfg = config_text_load(text.data, &err);
	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	assert_int_equal(cfg->n_warnings, CFG_WARNINGS_MAX);
	assert_int_equal(cfg->n_warnings_dropped, 3);
	assert_non_null(strstr(cfg->warnings[0], "t.json:2:"));
	assert_non_null(strstr(cfg->warnings[1], "t.json:3:"));
	cfg_free(cfg);
	buf_free(&text);
}

static void
agent_managed_env_rejected(void **state)
{
	static const char *const names[] = { "NOTIFY_SOCKET", "WATCHDOG_USEC",
		"WATCHDOG_PID", NULL };
	char text[512], needle[64], name_quoted[64];
	size_t i;

	(void)state;
	for (i = 0; names[i] != NULL; i++) {
		snprintf(needle, sizeof needle, "'%s'", names[i]);
		snprintf(name_quoted, sizeof name_quoted, "\"%s\" is set by the "
		    "agent", names[i]);
		snprintf(text, sizeof text, HEAD "{'name': 'a', 'command': "
		    "'true', 'env': {'A': '1', '%s': '/tmp/x'}}" TAIL, names[i]);
		expect_error(text, needle, name_quoted, "remove this entry");

		/* The pipeline's env reaches every stage, so it is checked too. */
		snprintf(text, sizeof text, "{'pipelines': [{'name': 'p', "
		    "'env': {'%s': '1'}, 'stages': [\n{'name': 'a', "
		    "'command': 'true'}" TAIL, names[i]);
		expect_error(text, needle, name_quoted, "remove this entry");
	}
	/* Every WATCHKEEP_ variable the agent sets is rejected as well. */
	for (i = 0; cfg_builtin_vars[i] != NULL; i++) {
		snprintf(needle, sizeof needle, "'%s'", cfg_builtin_vars[i]);
		snprintf(name_quoted, sizeof name_quoted, "\"%s\" is set by the "
		    "agent", cfg_builtin_vars[i]);
		snprintf(text, sizeof text, HEAD "{'name': 'a', 'command': "
		    "'true', 'env': {'%s': '1'}}" TAIL, cfg_builtin_vars[i]);
		expect_error(text, needle, name_quoted, "choose another name");
	}
	/* Names that only look alike stay allowed. */
	expect_clean(HEAD "{'name': 'a', 'command': 'true', "
	    "'env': {'NOTIFY_SOCKET_PATH': '1', 'WATCHDOG': '2'}}" TAIL);
}

/* Creates an empty file at dir/name and the directories above it. */
static void
make_zone(const char *dir, const char *name)
{
	char path[512];
	char *slash;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

/* Loads a pipeline with time_zone zone and checks the error's hint. */
static void
expect_zone_hint_at(const char *zone, const char *hint, int line)
{
	char text[512], needle[128], part[160];

	snprintf(text, sizeof text, "{'pipelines': [{'name': 'p', "
	    "'time_zone': '%s', 'stages': [{'name': 'a', 'command': 'true'}]}]}",
	    zone);
	snprintf(needle, sizeof needle, "'%s'", zone);
	snprintf(part, sizeof part, "unknown time zone \"%s\"; did you mean "
	    "\"%s\"?", zone, hint);
	expect_error_at(text, needle,
	    (const char *const[]){ "invalid \"time_zone\"", part, NULL }, line);
}

#define expect_zone_hint(zone, hint) \
	expect_zone_hint_at((zone), (hint), __LINE__)

/* The zone directory of time_zone_hint, removed by the teardown. */
static char zone_dir[] = "/tmp/wk-tz-XXXXXX";

/*
 * Makes a zone directory for the test and points TZDIR at it, so the hint
 * comes from its names, not from whatever tzdata version the machine has.
 * Files need no content, because only names that do not exist reach the
 * hint.
 */
static int
zone_dir_setup(void **state)
{
	static const char *const zones[] = { "Europe/Berlin", "Europe/Busingen",
		"US/Pacific", "US/Alaska", "Asia/Tokyo",
		"America/Argentina/Salta", "posix/Europe/Bern",
		"right/Asia/Tokio", "localtime", "zone1970.tab", NULL };
	size_t i;

	(void)state;
	if (mkdtemp(zone_dir) == NULL)
		return -1;
	for (i = 0; zones[i] != NULL; i++)
		make_zone(zone_dir, zones[i]);
	return setenv("TZDIR", zone_dir, 1);
}

static int
zone_dir_teardown(void **state)
{
	char command[64];

	(void)state;
	unsetenv("TZDIR");
	snprintf(command, sizeof command, "rm -rf %s", zone_dir);
	return system(command) == 0 ? 0 : -1;
}

static void
time_zone_hint(void **state)
{
	(void)state;

	expect_zone_hint("Europe/Berln", "Europe/Berlin");
	expect_zone_hint("europe/berlin", "Europe/Berlin");
	expect_zone_hint("US/Pacifc", "US/Pacific");
	expect_zone_hint("America/Argentina/Slta", "America/Argentina/Salta");
	expect_zone_hint("Asia/Tokio", "Asia/Tokyo");
	/*
	 * Nothing near: the message of the zone loader, without a hint. The
	 * copies under posix/ and right/, "localtime" and the .tab files are
	 * not zone names to offer.
	 */
	expect_error("{'pipelines': [{'name': 'p', 'time_zone': 'right/Asia/Toki', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}", "'right/Asia/Toki'",
	    "unknown time zone \"right/Asia/Toki\"", "use an IANA name");
	expect_error("{'pipelines': [{'name': 'p', 'time_zone': 'posix/Europe/Ber', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}", "'posix/Europe/Ber'",
	    "unknown time zone \"posix/Europe/Ber\"", "use an IANA name");
	expect_error("{'pipelines': [{'name': 'p', 'time_zone': 'zone1970.ta', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}", "'zone1970.ta'",
	    "unknown time zone \"zone1970.ta\"", "use an IANA name");
	expect_error("{'pipelines': [{'name': 'p', 'time_zone': 'Mars/Olympus', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}", "'Mars/Olympus'",
	    "unknown time zone \"Mars/Olympus\"", "use an IANA name");
	expect_error("{'pipelines': [{'name': 'p', 'time_zone': 'localtim', "
	    "'stages': [{'name': 'a', 'command': 'true'}]}]}", "'localtim'",
	    "unknown time zone \"localtim\"", "use an IANA name");

	/* The other time zones of the file get the same hint. */
	expect_error("{'pipelines': [{'name': 'p', 'stages': [{'name': 'a', "
	    "'command': 'true'}]}], 'alerting': {'receivers': [{'name': 't', "
	    "'type': 'slack', 'url': 'https://hooks.example.com/t'}], "
	    "'maintenance': [{'name': 'm', "
	    "'cron': '0 2 * * 6', 'time_zone': 'Europe/Berln', "
	    "'duration': '2h'}]}}", "'Europe/Berln'",
	    "invalid \"time_zone\": unknown time zone \"Europe/Berln\"; did you "
	    "mean \"Europe/Berlin\"?");
}

/* The installed zone database, where the machine has one. */
static void
time_zone_hint_installed(void **state)
{
	(void)state;
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0 ||
	    access("/usr/share/zoneinfo/US/Pacific", R_OK) != 0)
		skip();
	unsetenv("TZDIR");
	expect_zone_hint("Europe/Berln", "Europe/Berlin");
	expect_zone_hint("europe/berlin", "Europe/Berlin");
	expect_zone_hint("US/Pacifc", "US/Pacific");
}

static void
literal_dollar_brace_hint(void **state)
{
	struct wk_err err = { 0, "" };
	struct vars vars;
	struct buf out;

	(void)state;
	expect_error(HEAD "{'name': 'a', 'command': 'echo ${X:-none} done'}"
	    TAIL, "${X:-none}", "invalid variable reference \"${X:-none}\"",
	    "invalid character in a variable name",
	    "write \"$$\" for its \"$\", as in \"$${X:-none}\"");
	expect_error(HEAD "{'name': 'a', 'command': ['sh', '-c', "
	    "'echo ${HOME']}" TAIL, "${HOME", "\"${HOME\"", "unterminated",
	    "as in \"$${HOME\"");

	/* The escape loads, and expansion turns it into the literal text. */
	expect_clean(HEAD "{'name': 'a', 'command': 'echo $${X:-none}'}" TAIL);
	vars_init(&vars, 4);
	buf_init(&out, 256);
	assert_int_equal(vars_expand(&vars, "echo $${X:-none}", &out, &err),
	    WK_OK);
	assert_string_equal(out.data, "echo ${X:-none}");
	buf_free(&out);
	vars_free(&vars);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_code_in_both_lists),
		cmocka_unit_test(heartbeat_action_without_heartbeat),
		cmocka_unit_test(memory_mode_without_limit),
		cmocka_unit_test(warnings_bounded),
		cmocka_unit_test(agent_managed_env_rejected),
		cmocka_unit_test_setup_teardown(time_zone_hint, zone_dir_setup,
		    zone_dir_teardown),
		cmocka_unit_test(time_zone_hint_installed),
		cmocka_unit_test(literal_dollar_brace_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
