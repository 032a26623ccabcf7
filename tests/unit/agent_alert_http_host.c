/*
 * Unit tests of alert_http_host(), which names a receiver's host in
 * messages. User, password, port, path, query and fragment are left out,
 * an IPv6 address keeps its brackets, and libcurl stays unloaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agent/alert_http.h"
#include "netlib/netlib_curl.h"

/* A URL and the host expected from it. */
struct host_case {
	const char *url;   /* input */
	const char *host;  /* expected output */
};

static const struct host_case host_cases[] = {
	{ "https://hooks.example.com/services/T0/B0/secret?x=1",
	  "hooks.example.com" },
	{ "http://user:secret@chat.example.org:8443/hook", "chat.example.org" },
	{ "http://a@b@relay.example.net/x", "relay.example.net" },
	{ "http://127.0.0.1:9/hook", "127.0.0.1" },
	{ "http://[::1]:8080/hook", "[::1]" },
	{ "https://example.com?token=s3cret", "example.com" },
	{ "https://example.com#part", "example.com" },
	{ "https://example.com", "example.com" },
	{ "hooks.example.com/no-scheme", "?" },
	{ "https:///path-only", "?" },
	{ "http://[::1/unclosed", "?" },
	{ "", "?" },
};

static void
host_cases_parsed(void **state)
{
	char host[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof host_cases / sizeof host_cases[0]; i++) {
		alert_http_host(host_cases[i].url, host, sizeof host);
		assert_string_equal(host, host_cases[i].host);
	}
}

static void
host_cut_to_buffer(void **state)
{
	char host[8];

	(void)state;
	alert_http_host("https://hooks.example.com/x", host, sizeof host);
	assert_string_equal(host, "hooks.e");
}

static void
host_without_libcurl(void **state)
{
	char host[64];

	(void)state;
	alert_http_host("https://hooks.example.com/x", host, sizeof host);
	assert_int_equal(netlib_curl_loaded(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_cases_parsed),
		cmocka_unit_test(host_cut_to_buffer),
		cmocka_unit_test(host_without_libcurl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
