/*
 * The http probe: one request through libcurl's multi interface, then
 * checks of the status, the latency, the body (substring, regular
 * expression, a JSON field) and the days left on the TLS certificate.
 */
#define _GNU_SOURCE  /* memmem() */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "probes/impl.h"

/*
 * X509_V_ERR_CERT_HAS_EXPIRED of OpenSSL's <openssl/x509_vfy.h>, which
 * CURLINFO_SSL_VERIFYRESULT returns with the OpenSSL build of libcurl.
 */
#define HTTP_X509_CERT_HAS_EXPIRED 10
#define HTTP_MAX_REDIRECTS 5
#define HTTP_SHOWN_MAX 60  /* bytes of a JSON value quoted in a detail */

struct http_impl {
	struct probe_curl_req req;   /* first: the transfer's request */
	struct probe *probe;         /* the probe, not owned */
	CURL *easy;                  /* owned, reused for every check */
	struct curl_slist *headers;  /* owned request headers */
	regex_t regex;               /* compiled body_regex */
	int has_regex;               /* regex is compiled */
	struct buf body;             /* response body, up to max_body */
	int body_cut;                /* the body passed max_body */
	int warned_expiry;           /* the near-expiry warning was logged */
	char errbuf[CURL_ERROR_SIZE];  /* libcurl's message for a failure */
};

static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_impl *h = arg;
	size_t n = size * nmemb, room = h->body.max - h->body.len;

	/* NOTE: bytes past max_body are read and dropped, not checked. */
	if (n > room) {
		h->body_cut = 1;
		buf_append(&h->body, data, room);
	} else {
		buf_append(&h->body, data, n);
	}
	return n;
}

/* Sets the options that stay the same for every check. */
static int
http_setup(struct http_impl *h, const struct cfg_probe *c)
{
	const struct cfg_probe_http *hc = &c->http;
	CURL *e = h->easy;
	size_t i;
	int rc = 0;

	for (i = 0; i < hc->n_headers; i++) {
		struct curl_slist *next = netlib_curl.slist_append(h->headers,
		    hc->headers[i]);

		if (next == NULL)
			return WK_ERR_NOMEM;
		h->headers = next;
	}
	rc |= netlib_curl.easy_setopt(e, CURLOPT_URL, hc->url);
	rc |= netlib_curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= netlib_curl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= netlib_curl.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
	    "http,https");
	rc |= netlib_curl.easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	rc |= netlib_curl.easy_setopt(e, CURLOPT_USERAGENT,
	    "watchkeep-probe/1");
	rc |= netlib_curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	rc |= netlib_curl.easy_setopt(e, CURLOPT_WRITEDATA, h);
	rc |= netlib_curl.easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	/* Each check opens a new connection, as a new client would. */
	rc |= netlib_curl.easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	rc |= netlib_curl.easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	/* The engine's timer ends the check; libcurl's is a backstop. */
	rc |= netlib_curl.easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)(c->timeout_ms + 1000));
	rc |= netlib_curl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(hc->connect_timeout_ms > 0 ? hc->connect_timeout_ms :
	    c->timeout_ms));
	return rc == 0 ? WK_OK : WK_ERR_INVALID;
}

/* Sets the method, body, TLS and redirect options. */
static int
http_setup_request(struct http_impl *h, const struct cfg_probe_http *hc)
{
	CURL *e = h->easy;
	int rc = 0;

	if (strcmp(hc->method, "HEAD") == 0)
		rc |= netlib_curl.easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(hc->method, "GET") != 0)
		rc |= netlib_curl.easy_setopt(e, CURLOPT_CUSTOMREQUEST,
		    hc->method);
	if (hc->body != NULL)
		rc |= netlib_curl.easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
		    hc->body);
	if (hc->body != NULL && strcmp(hc->method, "POST") != 0)
		rc |= netlib_curl.easy_setopt(e, CURLOPT_CUSTOMREQUEST,
		    hc->method);
	if (hc->follow_redirects) {
		rc |= netlib_curl.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		rc |= netlib_curl.easy_setopt(e, CURLOPT_MAXREDIRS,
		    (long)HTTP_MAX_REDIRECTS);
	}
	if (hc->ca_file != NULL)
		rc |= netlib_curl.easy_setopt(e, CURLOPT_CAINFO, hc->ca_file);
	if (hc->insecure) {
		rc |= netlib_curl.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		rc |= netlib_curl.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (hc->tls_warn_days > 0 || hc->insecure)
		rc |= netlib_curl.easy_setopt(e, CURLOPT_CERTINFO, 1L);
	return rc == 0 ? WK_OK : WK_ERR_INVALID;
}

static void http_fini(struct probe *p);

static int
http_init(struct probe *p, struct wk_err *err)
{
	const struct cfg_probe_http *hc = &p->cfg->http;
	struct http_impl *h;
	int rc;

	h = calloc(1, sizeof *h);
	if (h == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	p->impl = h;
	h->probe = p;
	buf_init(&h->body, (size_t)hc->max_body);
	h->easy = netlib_curl.easy_init();
	rc = h->easy != NULL ? http_setup(h, p->cfg) : WK_ERR_NOMEM;
	if (rc == WK_OK)
		rc = http_setup_request(h, hc);
	if (rc == WK_OK && hc->body_regex != NULL) {
		h->has_regex = regcomp(&h->regex, hc->body_regex,
		    REG_EXTENDED | REG_NOSUB) == 0;
		rc = h->has_regex ? WK_OK : WK_ERR_INVALID;
	}
	if (rc != WK_OK) {
		http_fini(p);
		return wk_err_set(err, rc,
		    _("probe %s: libcurl rejected the request options for %s; check the url, method and headers"),
		    p->cfg->name, hc->url);
	}
	return WK_OK;
}

static void
http_fini(struct probe *p)
{
	struct http_impl *h = p->impl;

	if (h == NULL)
		return;
	if (h->req.active)
		probe_curl_remove(p->engine->curl, &h->req);
	if (h->easy != NULL)
		netlib_curl.easy_cleanup(h->easy);
	netlib_curl.slist_free_all(h->headers);
	if (h->has_regex)
		regfree(&h->regex);
	buf_free(&h->body);
	free(h);
	p->impl = NULL;
}

static void http_done(struct probe_curl_req *req, CURL *easy,
		      CURLcode result);

static void
http_start(struct probe *p)
{
	struct http_impl *h = p->impl;

	buf_reset(&h->body);
	buf_append(&h->body, "", 0);
	h->body_cut = 0;
	h->errbuf[0] = '\0';
	h->req.done = http_done;
	if (probe_curl_add(p->engine->curl, &h->req, h->easy) != WK_OK)
		probe_report(p, 0, -1, _("libcurl could not start the request"));
}

static void
http_cancel(struct probe *p)
{
	struct http_impl *h = p->impl;

	probe_curl_remove(p->engine->curl, &h->req);
}

/* Returns 1 when status is one of the accepted statuses. */
static int
http_status_ok(const struct cfg_probe_http *hc, long status)
{
	size_t i;

	for (i = 0; i < hc->n_status; i++) {
		if (status >= hc->status[i].lo && status <= hc->status[i].hi)
			return 1;
	}
	return 0;
}

/* Writes the accepted statuses as "200-299, 304". */
static void
http_status_text(const struct cfg_probe_http *hc, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < hc->n_status && n < size; i++) {
		const struct cfg_status_range *r = &hc->status[i];
		int w = r->lo == r->hi ?
		    snprintf(out + n, size - n, "%s%d", i > 0 ? ", " : "",
		    r->lo) :
		    snprintf(out + n, size - n, "%s%d-%d", i > 0 ? ", " : "",
		    r->lo, r->hi);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* Writes a JSON value compactly for a detail, cut to HTTP_SHOWN_MAX. */
static void
http_show_json(const json_t *v, char *out, size_t size)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(out, size, "%.*s%s", HTTP_SHOWN_MAX,
	    text != NULL ? text : "?",
	    text != NULL && strlen(text) > HTTP_SHOWN_MAX ? "..." : "");
	free(text);
}

/* Checks the JSON field; fills why and returns 0 when it fails. */
static int
http_check_json(const struct http_impl *h, const struct cfg_probe_http *hc,
		char *why, size_t size)
{
	char got[HTTP_SHOWN_MAX + 8], want[HTTP_SHOWN_MAX + 8];
	json_error_t jerr;
	json_t *root, *v;
	int ok;

	root = json_loadb(h->body.data, h->body.len, JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		snprintf(why, size, _("the body is not JSON (%s at line %d)"),
		    jerr.text, jerr.line);
		return 0;
	}
	v = cfg_json_path_get(root, hc->json_path);
	ok = v != NULL && json_equal(v, hc->json_equals);
	http_show_json(hc->json_equals, want, sizeof want);
	if (v == NULL) {
		snprintf(why, size, _("JSON field %s is missing, expected %s"),
		    hc->json_path, want);
	} else if (!ok) {
		http_show_json(v, got, sizeof got);
		snprintf(why, size, _("JSON field %s is %s, expected %s"),
		    hc->json_path, got, want);
	}
	json_decref(root);
	return ok;
}

/* Checks the body; fills why and returns 0 when a check fails. */
static int
http_check_body(const struct http_impl *h, const struct cfg_probe_http *hc,
		char *why, size_t size)
{
	if (hc->body_contains != NULL &&
	    memmem(h->body.data, h->body.len, hc->body_contains,
	    strlen(hc->body_contains)) == NULL) {
		snprintf(why, size, _("the body does not contain \"%.60s\""),
		    hc->body_contains);
		return 0;
	}
	/* NOTE: the regular expression is matched against the body up to its first NUL. */
	if (h->has_regex && regexec(&h->regex, h->body.data, 0, NULL, 0) != 0) {
		snprintf(why, size,
		    _("the body does not match the regular expression \"%.60s\""),
		    hc->body_regex);
		return 0;
	}
	if (hc->json_path != NULL)
		return http_check_json(h, hc, why, size);
	return 1;
}

/* Parses OpenSSL's "Mar  3 12:00:00 2025 GMT" into ms since the epoch. */
static int
http_parse_cert_time(const char *text, int64_t *ms)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int day, hour, min, sec, year;
	const char *at;

	if (sscanf(text, "%3s %d %d:%d:%d %d", mon, &day, &hour, &min, &sec,
	    &year) != 6)
		return WK_ERR_INVALID;
	at = strstr(months, mon);
	if (at == NULL || (at - months) % 3 != 0 || day < 1 || day > 31)
		return WK_ERR_INVALID;
	*ms = (clk_days_from_civil(year, (int)((at - months) / 3) + 1, day) *
	    86400 + hour * 3600 + min * 60 + sec) * INT64_C(1000);
	return WK_OK;
}

/* Finds the leaf certificate's expiry in the certinfo; 0 when absent. */
static int64_t
http_cert_expiry(CURL *easy)
{
	static const char key[] = "Expire date:";
	struct curl_certinfo *ci = NULL;
	struct curl_slist *item;
	int64_t ms;

	if (netlib_curl.easy_getinfo(easy, CURLINFO_CERTINFO,
	    &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return 0;
	for (item = ci->certinfo[0]; item != NULL; item = item->next) {
		if (strncmp(item->data, key, sizeof key - 1) == 0 &&
		    http_parse_cert_time(item->data + sizeof key - 1, &ms) ==
		    WK_OK)
			return ms;
	}
	return 0;
}

/*
 * Appends the certificate's days left to the detail of a passing check;
 * returns 0 when the certificate has expired.
 */
static int
http_check_cert(struct http_impl *h, const struct cfg_probe *c, char *note,
		size_t size)
{
	int64_t expiry = http_cert_expiry(h->easy), left_ms;
	struct log_ids ids = { .probe = c->name };
	char date[40];
	long days;

	note[0] = '\0';
	if (expiry == 0)
		return 1;
	clk_format_utc(date, sizeof date, expiry);
	left_ms = expiry - clk_wall_ms();
	if (left_ms <= 0) {
		snprintf(note, size, _("the TLS certificate expired on %.10s"),
		    date);
		return 0;
	}
	days = (long)(left_ms / CLK_MS_PER_DAY);
	if (days >= c->http.tls_warn_days) {
		h->warned_expiry = 0;
		return 1;
	}
	snprintf(note, size, P_("; the TLS certificate expires in %ld day (%.10s)",
	    "; the TLS certificate expires in %ld days (%.10s)",
	    (unsigned long)days), days, date);
	if (!h->warned_expiry)
		LOG_IDS(LL_WARN, &ids, P_("the TLS certificate of %s expires in %ld day, on %.10s",
		    "the TLS certificate of %s expires in %ld days, on %.10s",
		    (unsigned long)days), c->http.url, days, date);
	h->warned_expiry = 1;
	return 1;
}

/* Reports a transfer that libcurl could not complete. */
static void
http_fail_transfer(struct http_impl *h, CURLcode result, double ms)
{
	struct probe *p = h->probe;
	long verify = 0;

	netlib_curl.easy_getinfo(h->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
	if (result == CURLE_PEER_FAILED_VERIFICATION &&
	    verify == HTTP_X509_CERT_HAS_EXPIRED) {
		probe_report(p, 0, ms,
		    _("the TLS certificate has expired (verification failed: %s)"),
		    h->errbuf[0] != '\0' ? h->errbuf :
		    netlib_curl.easy_strerror(result));
		return;
	}
	probe_report(p, 0, ms, "%s", h->errbuf[0] != '\0' ? h->errbuf :
	    netlib_curl.easy_strerror(result));
}

static void
http_done(struct probe_curl_req *req, CURL *easy, CURLcode result)
{
	struct http_impl *h = (struct http_impl *)req;
	const struct cfg_probe *c = h->probe->cfg;
	char why[PROBE_DETAIL_MAX], accepted[96], note[128];
	curl_off_t total_us = 0;
	long status = 0;
	double ms;

	netlib_curl.easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
	ms = (double)total_us / 1000.0;
	if (result != CURLE_OK) {
		http_fail_transfer(h, result, ms);
		return;
	}
	netlib_curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (!http_status_ok(&c->http, status)) {
		http_status_text(&c->http, accepted, sizeof accepted);
		probe_report(h->probe, 0, ms, _("HTTP %ld, expected %s"),
		    status, accepted);
		return;
	}
	if (c->http.max_latency_ms > 0 && ms > (double)c->http.max_latency_ms) {
		probe_report(h->probe, 0, ms,
		    _("HTTP %ld in %.0f ms, slower than max_latency %lld ms"),
		    status, ms, (long long)c->http.max_latency_ms);
		return;
	}
	if (!http_check_body(h, &c->http, why, sizeof why)) {
		probe_report(h->probe, 0, ms, _("HTTP %ld, but %s"), status, why);
		return;
	}
	if (!http_check_cert(h, c, note, sizeof note)) {
		probe_report(h->probe, 0, ms, "%s", note);
		return;
	}
	probe_report(h->probe, 1, ms, _("HTTP %ld in %.0f ms%s"), status, ms,
	    note);
}

const struct probe_type_ops probe_http_ops = {
	http_init, http_start, http_cancel, http_fini
};
