#include "agent/alert_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/text.h"
#include "generated/paths.h"
#include "netlib/netlib_curl.h"

#define HTTP_BODY_KEEP 160        /* bytes of an error answer kept */
#define HTTP_HEADER_VALUE_MAX 128 /* bytes of a Retry-After value kept */
#define HTTP_RETRY_AFTER_MAX_S 86400

/* One request in flight. */
struct http_xfer {
	struct alert_http *h;          /* owner */
	CURL *easy;                    /* the transfer */
	struct curl_slist *headers;    /* owned request headers */
	alert_http_done_fn done;       /* called at the end */
	void *arg;
	int64_t start_ns;              /* monotonic start */
	uint64_t fail_timer;           /* ev timer that reports a request
					  that could not start, or 0 */
	char *url;                     /* owned copy, to scrub from errors */
	char retry_after[HTTP_HEADER_VALUE_MAX]; /* header value, or "" */
	char answer[HTTP_BODY_KEEP + 1];         /* start of the body */
	size_t answer_len;
	char errbuf[CURL_ERROR_SIZE];  /* libcurl's error text */
	struct alert_http_result res;  /* filled at the end */
};

struct alert_http {
	struct ev_loop *loop;          /* not owned */
	CURLM *multi;                  /* owned; NULL until the first
					  request loads libcurl */
	uint64_t timer;                /* ev timer for libcurl, 0: none */
	struct http_xfer *xfers[ALERT_HTTP_MAX_REQUESTS]; /* owned */
	size_t n_xfers;
};

/*
 * Parsed here rather than with curl_url(), because the alert engine names
 * every receiver's host at its start, and libcurl would then be loaded by
 * an agent that never sends an alert.
 */
void
alert_http_host(const char *url, char *out, size_t size)
{
	const char *start = strstr(url, "://"), *end, *at, *close;
	size_t len;

	snprintf(out, size, "?");
	if (start == NULL)
		return;

	/* The authority: [user[:password]@]host[:port], up to the path. */
	start += 3;
	end = start + strcspn(start, "/?#");
	for (at = start; at < end; at++) {
		if (*at == '@')
			start = at + 1;
	}
	if (*start == '[') {
		close = memchr(start, ']', (size_t)(end - start));
		len = close != NULL ? (size_t)(close - start) + 1 : 0;
	} else {
		len = strcspn(start, ":/?#");
	}
	if (len > 0)
		snprintf(out, size, "%.*s", (int)len, start);
}

static int
month_of(const char *name)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int i;

	for (i = 0; i < 12; i++) {
		if (strncmp(name, months[i], 3) == 0)
			return i + 1;
	}
	return 0;
}

/* Parses "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate) into ms. */
static int
parse_http_date(const char *v, int64_t *ms)
{
	char mon[4] = "", zone[4] = "";
	int day, year, h, m, s, n = 0, month;

	v = strchr(v, ',');
	if (v == NULL ||
	    sscanf(v + 1, " %2d %3s %4d %2d:%2d:%2d %3s%n", &day, mon, &year,
	    &h, &m, &s, zone, &n) != 7 || strcmp(zone, "GMT") != 0)
		return WK_ERR_INVALID;
	month = month_of(mon);
	if (month == 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60)
		return WK_ERR_INVALID;
	*ms = (clk_days_from_civil(year, month, day) * 86400 + h * 3600 +
	    m * 60 + s) * INT64_C(1000);
	return WK_OK;
}

int64_t
alert_http_retry_after(const char *value, int64_t now_ms)
{
	int64_t secs = 0, at;
	const char *p = value;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		for (; isdigit((unsigned char)*p); p++) {
			secs = secs * 10 + (*p - '0');
			if (secs > HTTP_RETRY_AFTER_MAX_S)
				secs = HTTP_RETRY_AFTER_MAX_S;
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		return *p == '\0' ? secs * 1000 : -1;
	}
	if (parse_http_date(p, &at) != WK_OK)
		return -1;
	if (at - now_ms > HTTP_RETRY_AFTER_MAX_S * INT64_C(1000))
		return HTTP_RETRY_AFTER_MAX_S * INT64_C(1000);
	return at > now_ms ? at - now_ms : 0;
}

static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * nmemb, n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		n = len - 12 < sizeof x->retry_after - 1 ? len - 12 :
		    sizeof x->retry_after - 1;
		memcpy(x->retry_after, data + 12, n);
		x->retry_after[n] = '\0';
		x->retry_after[strcspn(x->retry_after, "\r\n")] = '\0';
	}
	return len;
}

/* Keeps the start of the answer for error messages; drops the rest. */
static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * nmemb, room = HTTP_BODY_KEEP - x->answer_len;

	if (room > 0) {
		memcpy(x->answer + x->answer_len, data, len < room ? len : room);
		x->answer_len += len < room ? len : room;
		x->answer[x->answer_len] = '\0';
	}
	return len;
}

static void
http_xfer_free(struct http_xfer *x)
{
	if (x == NULL)
		return;
	if (x->fail_timer != 0)
		ev_timer_cancel(x->h->loop, x->fail_timer);
	if (x->easy != NULL) {
		netlib_curl.multi_remove_handle(x->h->multi, x->easy);
		netlib_curl.easy_cleanup(x->easy);
	}
	if (x->headers != NULL)
		netlib_curl.slist_free_all(x->headers);
	free(x->url);
	free(x);
}

/* Removes every copy of the URL from an error text, which is logged. */
static void
http_scrub(char *text, const char *url)
{
	size_t len = strlen(url);
	char *at;

	while (len > 0 && (at = strstr(text, url)) != NULL) {
		memcpy(at, "<url>", 5);
		memmove(at + 5, at + len, strlen(at + len) + 1);
	}
}

/* Fills x->res at the end of the transfer. */
static void
http_finish(struct http_xfer *x, CURLcode code)
{
	struct alert_http_result *r = &x->res;
	char safe[HTTP_BODY_KEEP * 3 + 4];

	netlib_curl.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	r->elapsed_ms = (clk_mono_ns() - x->start_ns) / 1000000;
	r->retry_after_ms = x->retry_after[0] != '\0' ?
	    alert_http_retry_after(x->retry_after, clk_wall_ms()) : -1;
	if (code != CURLE_OK) {
		r->status = 0;
		snprintf(r->error, sizeof r->error, "%s", x->errbuf[0] != '\0' ?
		    x->errbuf : netlib_curl.easy_strerror(code));
	} else if (r->status < 200 || r->status > 299) {
		text_sanitize(x->answer, x->answer_len, safe, sizeof safe);
		snprintf(r->error, sizeof r->error, "HTTP %ld %.*s", r->status,
		    (int)(sizeof r->error - 24), safe);
	}
	http_scrub(r->error, x->url);
}

/* Removes x from the client's list. */
static void
http_forget(struct alert_http *h, const struct http_xfer *x)
{
	size_t i;

	for (i = 0; i < h->n_xfers && h->xfers[i] != x; i++)
		continue;
	if (i < h->n_xfers)
		h->xfers[i] = h->xfers[--h->n_xfers];
}

/* Ends the finished transfers; done() may start new ones. */
static void
http_check_done(struct alert_http *h)
{
	struct alert_http_result res;
	alert_http_done_fn done;
	struct http_xfer *x;
	CURLMsg *msg;
	void *arg;
	int left;

	while ((msg = netlib_curl.multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		netlib_curl.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    &x);
		if (x == NULL)
			continue;
		http_finish(x, msg->data.result);
		http_forget(h, x);
		res = x->res;
		done = x->done;
		arg = x->arg;
		http_xfer_free(x);
		done(&res, arg);
	}
}

static void
http_fd_ready(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct alert_http *h = arg;
	int running, flags = 0;

	(void)loop;
	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	netlib_curl.multi_socket_action(h->multi, fd, flags, &running);
	http_check_done(h);
}

static void
http_timeout(struct ev_loop *loop, void *arg)
{
	struct alert_http *h = arg;
	int running;

	(void)loop;
	h->timer = 0;
	netlib_curl.multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	http_check_done(h);
}

/* libcurl asks to watch (or stop watching) a socket. */
static int
http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
	       void *socketp)
{
	struct alert_http *h = userp;
	unsigned events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		ev_fd_del(h->loop, s);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EV_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EV_WRITE;
	return ev_fd_add(h->loop, s, events, http_fd_ready, h) == WK_OK ? 0 :
	    -1;
}

/* libcurl asks for its timeout: -1 none, 0 as soon as possible. */
static int
http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct alert_http *h = userp;

	(void)multi;
	if (h->timer != 0)
		ev_timer_cancel(h->loop, h->timer);
	h->timer = 0;
	if (timeout_ms >= 0)
		h->timer = ev_timer_at(h->loop, clk_mono_ns() +
		    (int64_t)timeout_ms * 1000000, http_timeout, h);
	return 0;
}

struct alert_http *
alert_http_new(struct ev_loop *loop)
{
	struct alert_http *h;

	h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->loop = loop;
	return h;
}

/* Loads libcurl and creates the multi handle unless an earlier call did. */
static int
http_ready(struct alert_http *h, struct wk_err *err)
{
	int rc;

	if (h->multi != NULL)
		return WK_OK;
	rc = netlib_curl_load(_("alert delivery"), err);
	if (rc != WK_OK)
		return rc;

	h->multi = netlib_curl.multi_init();
	if (h->multi == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	netlib_curl.multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION,
	    http_socket_cb);
	netlib_curl.multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	netlib_curl.multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
	    http_timer_cb);
	netlib_curl.multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return WK_OK;
}

/* Ends a request that could not start; runs from the loop. */
static void
http_report_failure(struct ev_loop *loop, void *arg)
{
	struct http_xfer *x = arg;
	struct alert_http_result res;
	alert_http_done_fn done = x->done;
	void *done_arg = x->arg;

	(void)loop;
	x->fail_timer = 0;
	x->res.elapsed_ms = (clk_mono_ns() - x->start_ns) / 1000000;
	http_forget(x->h, x);
	res = x->res;
	http_xfer_free(x);
	done(&res, done_arg);
}

/*
 * Takes over x, whose request cannot start because of error, and reports
 * it through done() from the loop, as a request without a response.
 */
static int
http_fail_later(struct alert_http *h, struct http_xfer *x, const char *error)
{
	x->res.status = 0;
	x->res.retry_after_ms = -1;
	snprintf(x->res.error, sizeof x->res.error, "%s", error);
	x->fail_timer = ev_timer_at(h->loop, clk_mono_ns(),
	    http_report_failure, x);
	if (x->fail_timer == 0) {
		http_xfer_free(x);
		return WK_ERR_NOMEM;
	}
	h->xfers[h->n_xfers++] = x;
	return WK_OK;
}

/* Sets the options of a new transfer; returns 0 or -1. */
static int
http_setup(struct http_xfer *x, const struct alert_http_req *req)
{
	CURL *e = x->easy;
	int bad = 0;

	x->headers = netlib_curl.slist_append(NULL,
	    "Content-Type: application/json");
	x->headers = netlib_curl.slist_append(x->headers, "Expect:");
	if (req->idempotency_key != NULL) {
		char line[256];

		snprintf(line, sizeof line, "Idempotency-Key: %s",
		    req->idempotency_key);
		x->headers = netlib_curl.slist_append(x->headers, line);
	}
	bad |= netlib_curl.easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK;
	bad |= netlib_curl.easy_setopt(e, CURLOPT_PROTOCOLS_STR,
	    "http,https") != CURLE_OK;
	netlib_curl.easy_setopt(e, CURLOPT_PRIVATE, x);
	netlib_curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	netlib_curl.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	netlib_curl.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	netlib_curl.easy_setopt(e, CURLOPT_USERAGENT, "watchkeep/" WK_VERSION);
	netlib_curl.easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	netlib_curl.easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	netlib_curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	netlib_curl.easy_setopt(e, CURLOPT_HEADERDATA, x);
	netlib_curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	netlib_curl.easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (req->body != NULL) {
		netlib_curl.easy_setopt(e, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(req->body));
		bad |= netlib_curl.easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
		    req->body) != CURLE_OK;
	} else {
		netlib_curl.easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	return bad || x->headers == NULL ? -1 : 0;
}

int
alert_http_send(struct alert_http *h, const struct alert_http_req *req,
		alert_http_done_fn done, void *arg)
{
	struct wk_err err = { 0, "" };
	struct http_xfer *x;

	if (h->n_xfers == ALERT_HTTP_MAX_REQUESTS)
		return WK_ERR_LIMIT;
	x = calloc(1, sizeof *x);
	if (x == NULL)
		return WK_ERR_NOMEM;
	x->h = h;
	x->done = done;
	x->arg = arg;
	x->start_ns = clk_mono_ns();
	x->url = strdup(req->url);
	alert_http_host(req->url, x->res.host, sizeof x->res.host);
	if (x->url == NULL)
		goto fail;
	if (http_ready(h, &err) != WK_OK)
		return http_fail_later(h, x, err.msg);

	x->easy = netlib_curl.easy_init();
	if (x->easy == NULL || http_setup(x, req) != 0)
		goto fail;
	if (netlib_curl.multi_add_handle(h->multi, x->easy) != CURLM_OK)
		goto fail;
	h->xfers[h->n_xfers++] = x;
	return WK_OK;

fail:
	if (x->easy != NULL) {
		netlib_curl.easy_cleanup(x->easy);
		x->easy = NULL;
	}
	http_xfer_free(x);
	return WK_ERR_NOMEM;
}

size_t
alert_http_active(const struct alert_http *h)
{
	return h->n_xfers;
}

void
alert_http_free(struct alert_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->multi != NULL)
		netlib_curl.multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
		    NULL);
	for (i = 0; i < h->n_xfers; i++)
		http_xfer_free(h->xfers[i]);
	if (h->timer != 0)
		ev_timer_cancel(h->loop, h->timer);
	if (h->multi != NULL)
		netlib_curl.multi_cleanup(h->multi);
	free(h);
}
