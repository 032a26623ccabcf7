/*
 * The web page for retrospectives, the JSON API under /api/v1/ and the
 * Prometheus endpoint /metrics, served by libmicrohttpd, which is opened
 * at run time when serving starts (netlib/netlib_mhd.h).
 *
 * Threads: libmicrohttpd's polling threads accept connections, check
 * authentication, answer /healthz, the built-in files and cached pages
 * themselves, and hand everything that reads the store to a pool of
 * worker threads, suspending the connection meanwhile. Each worker owns
 * one read-only store connection, so a slow query never delays /healthz
 * or a cached page. A watcher thread polls the store's data_version and
 * invalidates the cache when the agent commits.
 *
 * The server writes nothing. A push ping (/ping/NAME/TOKEN) goes to the
 * ping callback, which the agent runs on its event loop (see
 * agent/agent_web.c); without one, pings are answered 503.
 *
 * docs/web.md lists the routes, the API and the metrics.
 */
#ifndef WK_WEB_H
#define WK_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/rc.h"
#include "core/store.h"

/* Kinds of push ping, from the URL the job calls. */
enum web_ping_kind {
	WEB_PING_SUCCESS,   /* /ping/NAME/TOKEN */
	WEB_PING_START,     /* /ping/NAME/TOKEN/start */
	WEB_PING_FAIL       /* /ping/NAME/TOKEN/fail */
};

/*
 * Records a push ping; called on a worker thread, it may block up to
 * timeout_ms. Returns WK_OK, WK_ERR_NOTFOUND (no push probe of that
 * name), WK_ERR_INVALID (wrong token) or WK_ERR_BUSY (no answer in time).
 */
typedef int (*web_ping_fn)(void *arg, const char *probe, const char *token,
			   enum web_ping_kind kind, int64_t timeout_ms);

/* What the server serves. */
struct web_opts {
	const char *store_path;   /* the store, opened read-only */
	struct cfg *cfg;          /* owned by the server from web_start() on,
				     even when it fails; NULL: none */
	const char *mode;         /* "agent" or "standalone", shown */
	const char *listen;       /* "HOST:PORT" replacing the configured
				     address, or NULL */
	web_ping_fn ping;         /* NULL: pings are answered 503 */
	void *ping_arg;           /* passed to ping */
	int on_demand;            /* 1: web_start() only listens, and
				     web_start_serving() serves */
};

struct web_server;

/*
 * Listens on cfg->web's address (127.0.0.1:8470 without a configuration)
 * and, unless opts->on_demand is set, starts serving with
 * web_start_serving(). A non-loopback address without users or tokens is
 * rejected with WK_ERR_INVALID. Returns WK_OK with *out set, or an error
 * with err filled.
 */
int web_start(const struct web_opts *opts, struct web_server **out,
	      struct wk_err *err);

/*
 * Loads libmicrohttpd (netlib/netlib_mhd.h) and starts the threads that
 * serve the listening socket, unless an earlier call did. Connections
 * that arrived before wait in the socket's backlog. Returns WK_OK, or an
 * error with err filled: WK_ERR_NOTFOUND names the missing library and
 * the Debian package to install. After an error, call web_stop().
 */
int web_start_serving(struct web_server *w, struct wk_err *err);

/*
 * Returns the listening socket while web_start_serving() has not started
 * serving, for a caller that waits for the first connection; -1 after.
 */
int web_listen_fd(const struct web_server *w);

/*
 * Stops accepting, answers the requests still queued with 503, waits for
 * the workers and frees the server. NULL is ignored.
 */
void web_stop(struct web_server *w);

/*
 * Replaces the configuration (the server owns cfg from now on) for the
 * requests that start after the call. The listen address and the limits
 * keep their values until a restart.
 */
void web_set_config(struct web_server *w, struct cfg *cfg);

/* Returns the port the server listens on. */
int web_port(const struct web_server *w);

/*
 * Writes the retrospective report of [from_ms, to_ms) as plain text in
 * lang ("en" or "ja") to out, for chat and the terminal. cfg may be NULL.
 * Links use base_url when it is not NULL. Returns WK_OK or an error.
 */
int web_report_text(struct store *st, const struct cfg *cfg, int64_t from_ms,
		    int64_t to_ms, const char *lang, const char *base_url,
		    struct buf *out);

/*
 * Hashes password with yescrypt and a random salt into out (size bytes,
 * at least 128), in the form "password_hash" of a web user takes.
 */
int web_hash_password(const char *password, char *out, size_t size,
		      struct wk_err *err);

/* Frees the message catalogs read by the pages (for leak checkers). */
void web_text_cleanup(void);

#endif
