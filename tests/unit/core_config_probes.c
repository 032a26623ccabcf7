/*
 * The "probes" section of the configuration (core/config_probes.c): keys,
 * defaults, errors with their places, and JSON field paths.
 *
 * Texts are JSON written with ' in place of ", which config_text_load()
 * turns into " byte for byte, so lines and columns stay the same. Each
 * probe sits on line 3 of the text, after HEAD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/config_probes.h"
#include "config_text.h"

#define HEAD "{'pipelines': [{'name': 'p', 'stages': [{'name': 's', " \
	"'command': ['true']}]}],\n 'probes': [\n"
#define TAIL "\n]}\n"

/* Checks that one probe fails with part in a message starting with where. */
static void
expect_error_at(const char *probe, const char *where, const char *part,
		int line)
{
	char text[4096];
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	snprintf(text, sizeof text, "%s%s%s", HEAD, probe, TAIL);
	cfg = config_text_load(text, &err);
	if (cfg != NULL) {
		cfg_free(cfg);
		fail_msg("line %d: loaded without an error", line);
	}
	if (strncmp(err.msg, where, strlen(where)) != 0)
		fail_msg("line %d: place \"%s\" expected in \"%s\"", line, where,
		    err.msg);
	if (strstr(err.msg, part) == NULL)
		fail_msg("line %d: \"%s\" expected in \"%s\"", line, part,
		    err.msg);
}

#define expect_error(probe, where, part) \
	expect_error_at((probe), (where), (part), __LINE__)

static struct cfg *
load_probes(const char *probes)
{
	char text[8192];
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	snprintf(text, sizeof text, "%s%s%s", HEAD, probes, TAIL);
	cfg = config_text_load(text, &err);
	if (cfg == NULL)
		fail_msg("did not load: %s", err.msg);
	return cfg;
}

static void
absent_section_is_null(void **state)
{
	const char *text = "{'pipelines': [{'name': 'p', 'stages': "
	    "[{'name': 's', 'command': ['true']}]}]}";
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);

	(void)state;
	assert_non_null(cfg);
	assert_null(cfg->probes);
	assert_null(cfg_find_probe(cfg, "x"));
	cfg_free(cfg);
}

static void
defaults_of_common_keys(void **state)
{
	struct cfg *cfg = load_probes(
	    "{'name': 'out', 'type': 'file', 'path': '/srv/out.csv'}");
	const struct cfg_probe *p = cfg_find_probe(cfg, "out");

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfg->probes->count, 1);
	assert_int_equal(p->type, CFG_PROBE_FILE);
	assert_int_equal(p->interval_ms, 60000);
	assert_int_equal(p->timeout_ms, 10000);
	assert_int_equal(p->jitter_ms, 6000);
	assert_int_equal(p->retention_ms, 30 * INT64_C(86400000));
	assert_int_equal(p->failure_threshold, 1);
	assert_int_equal(p->failure_window, 1);
	assert_int_equal(p->success_threshold, 1);
	assert_int_equal(p->success_window, 1);
	assert_int_equal(p->file.max_size, -1);
	assert_int_equal(p->pos.line, 3);
	cfg_free(cfg);
}

static void
http_keys_loaded(void **state)
{
	struct cfg *cfg = load_probes(
	    "{'name': 'api', 'type': 'http', 'url': 'https://127.0.0.1:8443/h',"
	    " 'method': 'POST', 'headers': {'Accept': 'application/json'},"
	    " 'body': '{}', 'expect_status': [204, '3xx', '400-404'],"
	    " 'body_regex': '^ok', 'json_path': 'data.items[0].ok',"
	    " 'json_equals': true, 'interval': '30s', 'timeout': '5s',"
	    " 'connect_timeout': '2s', 'max_latency': '800ms',"
	    " 'tls_warn_days': 30, 'max_body': '64KiB',"
	    " 'failure_threshold': 3, 'failure_window': 5}");
	const struct cfg_probe_http *h = &cfg->probes->items[0].http;

	(void)state;
	assert_string_equal(h->method, "POST");
	assert_int_equal(h->n_headers, 1);
	assert_string_equal(h->headers[0], "Accept: application/json");
	assert_int_equal(h->n_status, 3);
	assert_int_equal(h->status[0].lo, 204);
	assert_int_equal(h->status[0].hi, 204);
	assert_int_equal(h->status[1].lo, 300);
	assert_int_equal(h->status[1].hi, 399);
	assert_int_equal(h->status[2].lo, 400);
	assert_int_equal(h->status[2].hi, 404);
	assert_true(json_is_true(h->json_equals));
	assert_int_equal(h->connect_timeout_ms, 2000);
	assert_int_equal(h->max_latency_ms, 800);
	assert_int_equal(h->tls_warn_days, 30);
	assert_int_equal(h->max_body, 64 * 1024);
	assert_int_equal(cfg->probes->items[0].failure_window, 5);
	cfg_free(cfg);
}

static void
http_defaults(void **state)
{
	struct cfg *cfg = load_probes(
	    "{'name': 'api', 'type': 'http', 'url': 'http://127.0.0.1/'}");
	const struct cfg_probe_http *h = &cfg->probes->items[0].http;

	(void)state;
	assert_string_equal(h->method, "GET");
	assert_int_equal(h->n_status, 1);
	assert_int_equal(h->status[0].lo, 200);
	assert_int_equal(h->status[0].hi, 299);
	assert_int_equal(h->tls_warn_days, 14);
	assert_int_equal(h->max_body, 1 << 20);
	assert_null(h->json_path);
	cfg_free(cfg);
}

static void
other_types_loaded(void **state)
{
	struct cfg *cfg = load_probes(
	    "{'name': 'db', 'type': 'tcp', 'address': '[::1]:5432'},"
	    "{'name': 'job', 'type': 'exec', 'command': ['check', '-w', '5']},"
	    "{'name': 'disk', 'type': 'disk', 'path': '/', 'min_free': '2GiB'},"
	    "{'name': 'proc', 'type': 'process', 'pid_file': '/run/x.pid'},"
	    "{'name': 'beat', 'type': 'push', 'period': '1h', 'grace': '10m'}");
	const struct cfg_probes *ps = cfg->probes;

	(void)state;
	assert_int_equal(ps->count, 5);
	assert_string_equal(ps->items[0].tcp.host, "::1");
	assert_string_equal(ps->items[0].tcp.port, "5432");
	assert_int_equal(ps->items[1].exec.argc, 3);
	assert_string_equal(ps->items[1].exec.argv[2], "5");
	assert_null(ps->items[1].exec.argv[3]);
	assert_int_equal(ps->items[2].disk.min_free, INT64_C(2) << 30);
	assert_string_equal(ps->items[3].process.pid_file, "/run/x.pid");
	assert_int_equal(ps->items[4].push.period_ms, 3600000);
	assert_int_equal(ps->items[4].push.grace_ms, 600000);
	assert_null(ps->items[4].push.token);
	assert_string_equal(cfg_probe_type_name(ps->items[4].type), "push");
	cfg_free(cfg);
}

static void
unknown_keys_hinted(void **state)
{
	(void)state;
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'timout': '1s'}",
	    "t.json:3:51:", "did you mean \"timeout\"?");
	expect_error("{'name': 'a', 'type': 'tcp', 'address': 'h:1', 'url': 'http://x/'}",
	    "t.json:3:48:", "belongs to probes of type \"http\", not \"tcp\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'colour': 1}",
	    "t.json:3:45:", "unknown key \"colour\" in a probe");
	expect_error("{'name': 'a', 'type': 'htp', 'url': 'http://x/'}",
	    "t.json:3:23:", "did you mean \"http\"?");
	expect_error("{'name': 'a', 'type': 'ftp'}",
	    "t.json:3:23:", "use http, tcp, exec, file, disk, process or push");
}

static void
missing_and_wrong_values(void **state)
{
	(void)state;
	expect_error("{'name': 'a', 'type': 'http'}", "t.json:3:1:",
	    "missing key \"url\"");
	expect_error("{'type': 'http', 'url': 'http://x/'}", "t.json:3:1:",
	    "missing key \"name\"");
	expect_error("{'name': 'a', 'url': 'http://x/'}", "t.json:3:1:",
	    "missing key \"type\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'ftp://x/'}",
	    "t.json:3:38:", "must start with http:// or https://");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'method': 'get'}",
	    "t.json:3:61:", "invalid method \"get\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'expect_status': [200, '6xx']}",
	    "t.json:3:74:", "invalid entry of \"expect_status\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'expect_status': '299-200'}",
	    "t.json:3:68:", "invalid entry of \"expect_status\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'body_regex': '(ok'}",
	    "t.json:3:65:", "invalid regular expression \"(ok\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'headers': {'Bad Name': 'x'}}",
	    "t.json:3:63:", "invalid header name \"Bad Name\"");
	expect_error("{'name': 'a', 'type': 'tcp', 'address': 'localhost'}",
	    "t.json:3:51:", "invalid address \"localhost\"");
	expect_error("{'name': 'a', 'type': 'tcp', 'address': 'h:70000'}",
	    "t.json:3:44:", "port from 1 to 65535");
	expect_error("{'name': 'a', 'type': 'exec', 'command': []}",
	    "t.json:3:42:", "non-empty array of strings");
	expect_error("{'name': 'a', 'type': 'disk', 'path': '/'}",
	    "t.json:3:1:", "missing key \"min_free\"");
	expect_error("{'name': 'a', 'type': 'disk', 'path': '/', 'min_free': '2 GB'}",
	    "t.json:3:58:", "invalid size \"2 GB\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'min_size': 10, 'max_size': 5}",
	    "t.json:3:73:", "\"max_size\" is smaller than \"min_size\"");
	expect_error("{'name': 'a', 'type': 'process'}",
	    "t.json:3:1:", "missing key \"pid_file\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'insecure': true}",
	    "t.json:3:45:", "belongs to probes of type \"http\"");
}

static void
times_and_thresholds_checked(void **state)
{
	(void)state;
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'interval': '10x'}",
	    "t.json:3:60:", "invalid duration \"10x\" for \"interval\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'interval': 60}",
	    "t.json:3:57:", "\"interval\" must be a string");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'interval': '500ms'}",
	    "t.json:3:57:", "at least 1s");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'interval': '5s', 'timeout': '5s'}",
	    "t.json:3:74:", "shorter than \"interval\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'interval': '5s'}",
	    "t.json:3:57:", "10s when \"timeout\" is not set");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'jitter': '40s'}",
	    "t.json:3:55:", "at most half of \"interval\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'retention': '10m'}",
	    "t.json:3:58:", "at least 1h");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'failure_threshold': 3, 'failure_window': 2}",
	    "t.json:3:87:", "fewer than \"failure_threshold\"");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'success_threshold': 65}",
	    "t.json:3:66:", "from 1 to 64");
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x', 'success_threshold': '2'}",
	    "t.json:3:66:", "must be a whole number");
}

static void
names_and_list_checked(void **state)
{
	(void)state;
	expect_error("{'name': 'a', 'type': 'file', 'path': '/x'},\n"
	    "{'name': 'a', 'type': 'file', 'path': '/y'}",
	    "t.json:4:10:", "duplicate probe name \"a\" (first used at line 3)");
	expect_error("{'name': 'a b', 'type': 'file', 'path': '/x'}",
	    "t.json:3:12:", "must not contain ' '");
	expect_error("'disk'", "t.json:3:1:", "a probe must be an object");
}

static void
push_keys_checked(void **state)
{
	struct cfg *cfg;

	(void)state;
	expect_error("{'name': 'a', 'type': 'push'}", "t.json:3:1:",
	    "either \"period\"");
	expect_error("{'name': 'a', 'type': 'push', 'period': '1h', 'schedule': '0 2 * * *'}",
	    "t.json:3:41:", "not both");
	expect_error("{'name': 'a', 'type': 'push', 'period': '1h', 'token': 'short'}",
	    "t.json:3:56:", "\"token\" has 5 bytes");
	expect_error("{'name': 'a', 'type': 'push', 'period': '1h', 'token': 'abcdefghijklmnop/q'}",
	    "t.json:3:73:", "only letters, digits");
	expect_error("{'name': 'a', 'type': 'push', 'period': '1h', 'time_zone': 'UTC'}",
	    "t.json:3:47:", "applies only to \"schedule\"");
	expect_error("{'name': 'a', 'type': 'push', 'schedule': '0 25 * * *'}",
	    "t.json:3:46:", "invalid schedule \"0 25 * * *\"");
	expect_error("{'name': 'a', 'type': 'push', 'schedule': '0 2 * * *', 'time_zone': 'Nowhere/City'}",
	    "t.json:3:69:", "unknown time zone \"Nowhere/City\"");

	cfg = load_probes("{'name': 'a', 'type': 'push', 'schedule': '30 2 * * *',"
	    " 'token': 'abcdefghijklmnopqrst'}");
	assert_string_equal(cfg->probes->items[0].push.schedule, "30 2 * * *");
	assert_string_equal(cfg->probes->items[0].push.time_zone, "UTC");
	assert_string_equal(cfg->probes->items[0].push.token,
	    "abcdefghijklmnopqrst");
	cfg_free(cfg);
}

/* The secret must not appear in the message about it. */
static void
token_not_in_message(void **state)
{
	char text[512];
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	(void)state;
	snprintf(text, sizeof text, "%s%s%s", HEAD,
	    "{'name': 'a', 'type': 'push', 'period': '1h', 'token': 'sekrit'}",
	    TAIL);
	cfg = config_text_load(text, &err);
	assert_null(cfg);
	assert_null(strstr(err.msg, "sekrit"));
}

static void
json_path_errors(void **state)
{
	(void)state;
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'json_path': 'a..b', 'json_equals': 1}",
	    "t.json:3:67:", "invalid \"json_path\" \"a..b\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'json_path': 'a[x]', 'json_equals': 1}",
	    "t.json:3:67:", "an index is a number in brackets");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'json_path': 'a'}",
	    "t.json:3:1:", "missing key \"json_equals\"");
	expect_error("{'name': 'a', 'type': 'http', 'url': 'http://x/', 'json_equals': 1}",
	    "t.json:3:1:", "missing key \"json_path\"");
}

static void
json_path_syntax(void **state)
{
	static const struct {
		const char *path;
		size_t bad;  /* offset of the fault, or (size_t)-1 when valid */
	} cases[] = {
		{ "status", (size_t)-1 },
		{ "data.items[0].ok", (size_t)-1 },
		{ "[2].name", (size_t)-1 },
		{ "a[10][2]", (size_t)-1 },
		{ "", 0 },
		{ "a.", 2 },
		{ ".a", 0 },
		{ "a[", 2 },
		{ "a[1", 3 },
		{ "a[]", 2 },
		{ "a]", 1 },
		{ "a[1]b", 4 },
		{ "a[1234567890]", 2 },
	};
	const char *reason;
	size_t i, bad;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bad = 999;
		reason = NULL;
		rc = cfg_json_path_check(cases[i].path, &bad, &reason);
		if (cases[i].bad == (size_t)-1) {
			if (rc != WK_OK)
				fail_msg("\"%s\" rejected: %s", cases[i].path,
				    reason);
			continue;
		}
		if (rc != WK_ERR_INVALID)
			fail_msg("\"%s\" accepted", cases[i].path);
		if (bad != cases[i].bad)
			fail_msg("\"%s\": fault at %zu, expected %zu",
			    cases[i].path, bad, cases[i].bad);
		assert_non_null(reason);
	}
}

static void
json_path_lookup(void **state)
{
	json_error_t jerr;
	json_t *doc = json_loads("{\"status\": \"ok\", \"data\": {\"items\": "
	    "[{\"ok\": false}, {\"ok\": true, \"n\": 3}]}, \"a.b\": 1}", 0,
	    &jerr);
	json_t *list = json_loads("[{\"name\": \"x\"}]", 0, &jerr);

	(void)state;
	assert_non_null(doc);
	assert_string_equal(json_string_value(cfg_json_path_get(doc, "status")),
	    "ok");
	assert_true(json_is_false(cfg_json_path_get(doc, "data.items[0].ok")));
	assert_true(json_is_true(cfg_json_path_get(doc, "data.items[1].ok")));
	assert_int_equal(json_integer_value(cfg_json_path_get(doc,
	    "data.items[1].n")), 3);
	assert_null(cfg_json_path_get(doc, "data.items[2].ok"));
	assert_null(cfg_json_path_get(doc, "data.missing"));
	assert_null(cfg_json_path_get(doc, "status.deeper"));
	assert_null(cfg_json_path_get(doc, "status[0]"));
	assert_null(cfg_json_path_get(doc, "a.b"));
	assert_null(cfg_json_path_get(doc, "a..b"));
	assert_string_equal(json_string_value(cfg_json_path_get(list,
	    "[0].name")), "x");
	json_decref(doc);
	json_decref(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(absent_section_is_null),
		cmocka_unit_test(defaults_of_common_keys),
		cmocka_unit_test(http_keys_loaded),
		cmocka_unit_test(http_defaults),
		cmocka_unit_test(other_types_loaded),
		cmocka_unit_test(unknown_keys_hinted),
		cmocka_unit_test(missing_and_wrong_values),
		cmocka_unit_test(times_and_thresholds_checked),
		cmocka_unit_test(names_and_list_checked),
		cmocka_unit_test(push_keys_checked),
		cmocka_unit_test(token_not_in_message),
		cmocka_unit_test(json_path_errors),
		cmocka_unit_test(json_path_syntax),
		cmocka_unit_test(json_path_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
