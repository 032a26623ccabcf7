/*
 * HTTP requests for alert delivery: libcurl's multi interface driven by
 * the agent's event loop (its sockets are ev fds, its timeout an ev
 * timer), so no request ever blocks the loop.
 *
 * URLs of receivers are secrets: nothing here logs one. Errors name the
 * receiver and the host only.
 *
 * libcurl is opened at the first request (netlib/netlib_curl.h), so a
 * client that sends nothing never loads it.
 */
#ifndef WK_ALERT_HTTP_H
#define WK_ALERT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "agent/ev.h"

#define ALERT_HTTP_ERROR_MAX 256   /* bytes of an error text */
#define ALERT_HTTP_MAX_REQUESTS 64 /* requests in flight at once */

/* One request. Strings are copied by alert_http_send(). */
struct alert_http_req {
	const char *receiver;         /* name, for logs */
	const char *url;              /* secret */
	const char *body;             /* POST body, or NULL for a GET */
	const char *idempotency_key;  /* Idempotency-Key header, or NULL */
	int64_t timeout_ms;           /* whole request */
};

/* What came back. */
struct alert_http_result {
	long status;                  /* HTTP status; 0 without an answer */
	int64_t retry_after_ms;       /* from Retry-After; -1 when absent */
	int64_t elapsed_ms;           /* start to end, monotonic */
	char error[ALERT_HTTP_ERROR_MAX]; /* why there was no answer, or "" */
	char host[128];               /* host of the URL, for messages */
};

typedef void (*alert_http_done_fn)(const struct alert_http_result *res,
				   void *arg);

struct alert_http;

/*
 * Creates a client that runs in loop, without loading libcurl. Returns
 * NULL without memory.
 */
struct alert_http *alert_http_new(struct ev_loop *loop);

/*
 * Starts a request, loading libcurl first if needed; done() is called
 * once from the loop, unless the client is freed first. When libcurl
 * cannot be loaded, done() gets status 0 and the load error, which names
 * the Debian package to install. Returns WK_OK, WK_ERR_LIMIT or
 * WK_ERR_NOMEM.
 */
int alert_http_send(struct alert_http *h, const struct alert_http_req *req,
		    alert_http_done_fn done, void *arg);

/* Requests in flight. */
size_t alert_http_active(const struct alert_http *h);

/* Aborts what is in flight (without calling done) and frees the client. */
void alert_http_free(struct alert_http *h);

/*
 * Writes the host of url into out, without user, port, path or query, or
 * "?" when url has none. An IPv6 address keeps its brackets. Works
 * without libcurl.
 */
void alert_http_host(const char *url, char *out, size_t size);

/*
 * Parses a Retry-After value: delay seconds, or an HTTP date (RFC 9110
 * IMF-fixdate) compared with now_ms. Returns the delay in ms (0 for a date
 * in the past), or -1 when value is neither.
 */
int64_t alert_http_retry_after(const char *value, int64_t now_ms);

#endif
