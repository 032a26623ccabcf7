/*
 * The control socket: a unix stream socket (mode 0600) in the state
 * directory through which the CLI and the terminal UI ask the agent to act.
 *
 * Protocol: one JSON object per line. A request has a "command" member and
 * the command's arguments; the agent answers with one line,
 * {"ok": true, ...} or {"ok": false, "error": "message"}, and closes the
 * connection. A request line may be at most CONTROL_LINE_MAX bytes; a
 * connection that sends nothing for CONTROL_IDLE_MS is closed.
 *
 * A request may name the client's message locale in "locale" (such as
 * "ja_JP.UTF-8"; see control_locale_valid()). The agent then writes the
 * texts of its answer in that language when it has the locale installed,
 * and in its own language otherwise. Its log lines keep its own language.
 */
#ifndef WK_CONTROL_H
#define WK_CONTROL_H

#include <jansson.h>
#include <sys/types.h>

#include "agent/ev.h"
#include "core/rc.h"

#define CONTROL_LINE_MAX (64 * 1024)
#define CONTROL_IDLE_MS 10000
#define CONTROL_MAX_CLIENTS 32
#define CONTROL_LOCALE_MAX 64   /* bytes of the "locale" of a request */

/* The process at the other end of a connection. */
struct control_peer {
	uid_t uid;  /* from SO_PEERCRED */
	pid_t pid;
};

/*
 * Handles one request. Returns the answer (a new reference, which the
 * server sends and releases); it must contain "ok".
 */
typedef json_t *(*control_handler_fn)(void *arg, json_t *request,
				      const struct control_peer *peer);

struct control_server;

/*
 * Listens on path (replacing a stale socket file) with mode 0600. Requests
 * from other uids than the agent's own are rejected, except root's.
 */
int control_listen(struct ev_loop *loop, const char *path,
		   control_handler_fn handler, void *arg,
		   struct control_server **out, struct wk_err *err);

/* Closes the socket and every connection, and removes the socket file. */
void control_close(struct control_server *server);

/*
 * Sends one request to the agent listening on path and waits up to
 * timeout_ms for the answer. Returns WK_OK with *answer set, WK_ERR_NOTFOUND
 * when no agent listens, WK_ERR_BUSY when the request was sent but no
 * complete answer came (the agent may still carry it out), or another
 * error with err filled.
 */
int control_request(const char *path, json_t *request, int timeout_ms,
		    json_t **answer, struct wk_err *err);

/*
 * Tells whether name may be sent as the "locale" of a request: 1 to
 * CONTROL_LOCALE_MAX bytes of [A-Za-z0-9_.@-], which excludes paths and
 * the composite names setlocale(LC_ALL, NULL) may return.
 */
int control_locale_valid(const char *name);

/* Builds {"ok": false, "error": message}. */
json_t *control_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
