/*
 * The "web" section of the configuration (core/config_web.c). Texts are
 * JSON written with ' in place of ", which config_text_load() turns into ".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/config_web.h"
#include "config_text.h"

#define PIPELINES "'pipelines': [{'name': 'p', 'stages': " \
	"[{'name': 's', 'command': ['true']}]}]"
#define HASH "$y$j9T$F5Jx5fExrKuJdljLajF2A.$8OZo4CAvkGNmF1K0jdp3aLq9TlEf.sQy"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void
expect_error(const char *text, const char *part)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load(text, &err);

	if (cfg != NULL)
		fail_msg("loaded, expected an error: %s", text);
	if (strstr(err.msg, part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, part);
}

static void
absent_section_listens_on_loopback(void **state)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load("{" PIPELINES "}", &err);

	(void)state;
	assert_non_null(cfg);
	assert_false(cfg->web.present);
	assert_true(cfg->web.enabled);
	assert_string_equal(cfg->web.host, "127.0.0.1");
	assert_int_equal(cfg->web.port, CFG_WEB_PORT_DEFAULT);
	assert_true(cfg->web.loopback);
	assert_string_equal(cfg->web.language, "auto");
	assert_false(cfg_web_has_auth(&cfg->web));
	cfg_free(cfg);
}

static void
full_section_is_read(void **state)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg = config_text_load("{" PIPELINES ", 'web': {'listen': "
	    "'0.0.0.0:9000', 'base_url': 'https://wk.example.com/', "
	    "'language': 'ja', 'auth': {'users': [{'name': 'alice', "
	    "'password_hash': '" HASH "'}], 'tokens': [{'name': 'grafana', "
	    "'sha256': '" SHA "'}]}, 'limits': {'connections': 16, "
	    "'workers': 2, 'timeout': '10s', 'query_timeout': '2s', "
	    "'request_bytes': 8192}}}", &err);

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->web.host, "0.0.0.0");
	assert_int_equal(cfg->web.port, 9000);
	assert_false(cfg->web.loopback);
	assert_string_equal(cfg->web.base_url, "https://wk.example.com");
	assert_string_equal(cfg->web.language, "ja");
	assert_int_equal(cfg->web.n_users, 1);
	assert_string_equal(cfg->web.users[0].password_hash, HASH);
	assert_int_equal(cfg->web.n_tokens, 1);
	assert_int_equal(cfg->web.tokens[0].sha256[0], 0x9f);
	assert_int_equal(cfg->web.tokens[0].sha256[31], 0x08);
	assert_int_equal(cfg->web.max_connections, 16);
	assert_int_equal(cfg->web.workers, 2);
	assert_int_equal(cfg->web.timeout_ms, 10000);
	assert_int_equal(cfg->web.query_timeout_ms, 2000);
	assert_int_equal(cfg->web.request_bytes, 8192);
	cfg_free(cfg);
}

static void
listen_forms(void **state)
{
	static const struct {
		const char *text;   /* value of "listen" */
		int ok;             /* accepted */
		int loopback;       /* when accepted */
		int port;           /* when accepted */
	} cases[] = {
		{ "127.0.0.1:8470", 1, 1, 8470 },
		{ "127.10.0.2:1", 1, 1, 1 },
		{ "localhost:65535", 1, 1, 65535 },
		{ "[::1]:8470", 1, 1, 8470 },
		{ "[::]:8470", 1, 0, 8470 },
		{ "192.168.1.2:80", 1, 0, 80 },
		{ "127.0.0.1", 0, 0, 0 },
		{ "127.0.0.1:0", 0, 0, 0 },
		{ "127.0.0.1:65536", 0, 0, 0 },
		{ "127.0.0.1:80x", 0, 0, 0 },
		{ "::1:8470", 0, 0, 0 },
		{ "[::1]8470", 0, 0, 0 },
		{ "example.com:80", 0, 0, 0 },
		{ ":80", 0, 0, 0 },
	};
	struct cfg_web w;
	const char *reason;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cfg_web_defaults(&w);
		reason = NULL;
		if ((cfg_web_parse_listen(cases[i].text, &w, &reason) == WK_OK) !=
		    cases[i].ok)
			fail_msg("\"%s\": expected %s", cases[i].text,
			    cases[i].ok ? "accepted" : "rejected");
		if (!cases[i].ok) {
			assert_non_null(reason);
			continue;
		}
		assert_int_equal(w.loopback, cases[i].loopback);
		assert_int_equal(w.port, cases[i].port);
	}
}

static void
open_address_needs_auth(void **state)
{
	(void)state;
	expect_error("{" PIPELINES ", 'web': {'listen': '0.0.0.0:8470'}}",
	    "t.json:1:98: \"listen\" 0.0.0.0 is not a loopback address");
}

static void
bad_values_are_rejected(void **state)
{
	(void)state;
	expect_error("{" PIPELINES ", 'web': {'listn': '127.0.0.1:1'}}",
	    "unknown key \"listn\"");
	expect_error("{" PIPELINES ", 'web': {'listen': 'x:1'}}",
	    "invalid \"listen\" \"x:1\"");
	expect_error("{" PIPELINES ", 'web': {'language': 'fr'}}",
	    "unknown \"language\" \"fr\"");
	expect_error("{" PIPELINES ", 'web': {'base_url': 'ftp://x'}}",
	    "must start with https:// or http://");
	expect_error("{" PIPELINES ", 'web': {'auth': {'users': [{'name': "
	    "'a', 'password_hash': '$1$abc$def'}]}}}", "--hash-password");
	expect_error("{" PIPELINES ", 'web': {'auth': {'users': [{'name': "
	    "'a'}]}}}", "password_hash");
	expect_error("{" PIPELINES ", 'web': {'auth': {'tokens': [{'name': "
	    "'a', 'sha256': 'abc'}]}}}", "64 hexadecimal digits");
	expect_error("{" PIPELINES ", 'web': {'auth': {'users': [{'name': "
	    "'a', 'password_hash': '" HASH "'}, {'name': 'a', "
	    "'password_hash': '" HASH "'}]}}}", "used twice");
	expect_error("{" PIPELINES ", 'web': {'limits': {'workers': 0}}}",
	    "give an integer from 1 to 64");
	expect_error("{" PIPELINES ", 'web': {'limits': {'timeout': '10ms'}}}",
	    "at least 1s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(absent_section_listens_on_loopback),
		cmocka_unit_test(full_section_is_read),
		cmocka_unit_test(listen_forms),
		cmocka_unit_test(open_address_needs_auth),
		cmocka_unit_test(bad_values_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
