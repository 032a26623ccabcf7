/* struct ucred (SO_PEERCRED) and accept4() are GNU interfaces. */
#define _GNU_SOURCE

#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"

#define CONTROL_BACKLOG 128   /* connections the kernel queues for accept */
#define CONTROL_ACCEPT_MAX CONTROL_MAX_CLIENTS  /* accepts per loop turn */
#define CONTROL_LOCALES 4     /* client locales kept loaded for replies */

struct control_client {
	int fd;                        /* -1 when the slot is free */
	struct control_peer peer;      /* who connected */
	struct buf in;                 /* request bytes so far */
	uint64_t idle_timer;           /* closes a silent connection */
	struct control_server *server; /* back pointer */
};

/* A client's message locale, loaded for the replies in its language. */
struct control_locale {
	char name[CONTROL_LOCALE_MAX + 1];  /* as requested, "": slot free */
	locale_t locale;   /* owned; (locale_t)0: not installed here */
};

struct control_server {
	struct ev_loop *loop;          /* not owned */
	int fd;                        /* listening socket */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_handler_fn handler;
	void *arg;
	struct control_client clients[CONTROL_MAX_CLIENTS];
	struct control_locale locales[CONTROL_LOCALES];  /* loaded ones */
	size_t next_locale;            /* slot the next new locale takes */
};

int
control_locale_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > CONTROL_LOCALE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_.@-", name[i]) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Returns the locale that has the agent's categories except LC_MESSAGES,
 * which is name's, loading it into a slot of s->locales on first use.
 * Returns (locale_t)0 when name is missing, invalid or not installed, so
 * that the reply keeps the agent's language.
 */
static locale_t
control_locale(struct control_server *s, const char *name)
{
	struct control_locale *slot;
	locale_t base;
	size_t i;

	if (name == NULL || !control_locale_valid(name))
		return (locale_t)0;
	for (i = 0; i < CONTROL_LOCALES; i++) {
		if (strcmp(s->locales[i].name, name) == 0)
			return s->locales[i].locale;
	}

	slot = &s->locales[s->next_locale];
	s->next_locale = (s->next_locale + 1) % CONTROL_LOCALES;
	if (slot->locale != (locale_t)0)
		freelocale(slot->locale);
	snprintf(slot->name, sizeof slot->name, "%s", name);
	base = duplocale(LC_GLOBAL_LOCALE);
	slot->locale = base != (locale_t)0 ?
	    newlocale(LC_MESSAGES_MASK, name, base) : (locale_t)0;
	if (slot->locale == (locale_t)0) {
		/* newlocale() leaves base to the caller when it fails. */
		if (base != (locale_t)0)
			freelocale(base);
		LOG(LL_INFO, _("control socket: locale %s of a request is not "
		    "installed; replies to it use the agent's language"), name);
	}
	return slot->locale;
}

static void
control_free_locales(struct control_server *s)
{
	size_t i;

	for (i = 0; i < CONTROL_LOCALES; i++) {
		if (s->locales[i].locale != (locale_t)0)
			freelocale(s->locales[i].locale);
		s->locales[i].locale = (locale_t)0;
		s->locales[i].name[0] = '\0';
	}
}

json_t *
control_error(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", text);
}

static void
control_drop(struct control_client *c)
{
	if (c->fd < 0)
		return;
	ev_fd_del(c->server->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->idle_timer != 0)
		ev_timer_cancel(c->server->loop, c->idle_timer);
	c->idle_timer = 0;
	buf_free(&c->in);
}

/* Writes the whole answer; the socket is blocking for this short write. */
static void
control_send(struct control_client *c, json_t *answer)
{
	char *text = json_dumps(answer, JSON_COMPACT);
	size_t len, off = 0;
	ssize_t n;

	if (text == NULL)
		return;
	len = strlen(text);
	text[len] = '\n';
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
	while (off < len + 1) {
		n = send(c->fd, text + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(text);
}

/*
 * Handles one request line and sends the response. The response is
 * composed in the language of the request's "locale" member (the client's
 * LC_MESSAGES) when the agent has that locale installed. The LOG macros
 * switch back to the agent's locale for the agent's own log lines.
 */
static void
control_handle_line(struct control_client *c, const char *line)
{
	struct control_server *s = c->server;
	locale_t reply_locale, agent_locale = (locale_t)0;
	json_error_t jerr;
	json_t *request, *answer;

	request = json_loads(line, 0, &jerr);
	reply_locale = control_locale(s, json_string_value(json_object_get(
	    request, "locale")));
	if (reply_locale != (locale_t)0)
		agent_locale = uselocale(reply_locale);
	if (request == NULL || !json_is_object(request) ||
	    !json_is_string(json_object_get(request, "command")))
		answer = control_error(_("invalid request: %s; send a JSON "
		    "object with a \"command\""), request == NULL ? jerr.text :
		    _("no command"));
	else if (c->peer.uid != getuid() && c->peer.uid != 0)
		answer = control_error(_("uid %d may not control this agent"),
		    (int)c->peer.uid);
	else
		answer = s->handler(s->arg, request, &c->peer);
	if (reply_locale != (locale_t)0)
		uselocale(agent_locale);
	json_decref(request);
	if (answer != NULL) {
		control_send(c, answer);
		json_decref(answer);
	}
	control_drop(c);
}

static void
control_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct control_client *c = arg;
	char chunk[4096], *nl;
	ssize_t n;

	(void)loop;
	(void)fd;
	(void)events;
	n = recv(c->fd, chunk, sizeof chunk, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		control_drop(c);
		return;
	}
	if (buf_append(&c->in, chunk, (size_t)n) != WK_OK) {
		json_t *answer = control_error(_("request longer than %d "
		    "bytes"), CONTROL_LINE_MAX);

		control_send(c, answer);
		json_decref(answer);
		control_drop(c);
		return;
	}
	nl = memchr(c->in.data, '\n', c->in.len);
	if (nl != NULL) {
		*nl = '\0';
		control_handle_line(c, c->in.data);
	}
}

static void
control_idle(struct ev_loop *loop, void *arg)
{
	struct control_client *c = arg;

	(void)loop;
	c->idle_timer = 0;
	control_drop(c);
}

/*
 * Accepts one waiting connection and reads its request at once: a client
 * sends the request right after connecting, so it is answered in the turn
 * its connection arrives instead of the next one. Returns
 * WK_ERR_NOTFOUND when no connection waits.
 */
static int
control_accept_one(struct ev_loop *loop, struct control_server *s)
{
	struct control_client *c;
	struct ucred cred;
	socklen_t len = sizeof cred;
	int client, i;

	client = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (client < 0)
		return WK_ERR_NOTFOUND;
	for (i = 0; i < CONTROL_MAX_CLIENTS && s->clients[i].fd >= 0; i++)
		;
	if (i == CONTROL_MAX_CLIENTS ||
	    getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		LOG(LL_WARN, _("control socket: rejected a connection (too "
		    "many clients or no peer credentials)"));
		close(client);
		return WK_OK;
	}

	c = &s->clients[i];
	c->fd = client;
	c->peer = (struct control_peer){ cred.uid, cred.pid };
	c->server = s;
	buf_init(&c->in, CONTROL_LINE_MAX);
	c->idle_timer = ev_timer_at(loop, clk_mono_ns() + CONTROL_IDLE_MS *
	    INT64_C(1000000), control_idle, c);
	ev_fd_add(loop, client, EV_READ | EV_PRIORITY, control_readable, c);
	control_readable(loop, client, EV_READ, c);
	return WK_OK;
}

/*
 * Accepts the connections waiting in the backlog, at most
 * CONTROL_ACCEPT_MAX a turn, so that a burst of requests does not wait one
 * loop turn per connection.
 */
static void
control_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct control_server *s = arg;
	int i;

	(void)fd;
	(void)events;
	for (i = 0; i < CONTROL_ACCEPT_MAX; i++) {
		if (control_accept_one(loop, s) != WK_OK)
			return;
	}
}

int
control_listen(struct ev_loop *loop, const char *path,
	       control_handler_fn handler, void *arg,
	       struct control_server **out, struct wk_err *err)
{
	struct control_server *s = calloc(1, sizeof *s);
	struct sockaddr_un addr;
	mode_t old_mask;
	int i;

	if (s == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->loop = loop;
	s->handler = handler;
	s->arg = arg;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof addr.sun_path) {
		free(s);
		return wk_err_set(err, WK_ERR_LIMIT, _("control socket path %s "
		    "is longer than %zu bytes; use a shorter state directory"),
		    path, sizeof addr.sun_path - 1);
	}
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
	snprintf(s->path, sizeof s->path, "%s", path);

	/* The caller holds the agent lock, so a socket file left is stale. */
	unlink(path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old_mask = umask(0177);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    listen(s->fd, CONTROL_BACKLOG) < 0) {
		umask(old_mask);
		wk_err_set(err, WK_ERR_IO, _("cannot listen on %s: %s"), path,
		    strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return WK_ERR_IO;
	}
	umask(old_mask);
	chmod(path, 0600);
	ev_fd_add(loop, s->fd, EV_READ | EV_PRIORITY, control_accept, s);
	*out = s;
	return WK_OK;
}

void
control_close(struct control_server *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		control_drop(&s->clients[i]);
	ev_fd_del(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	control_free_locales(s);
	free(s);
}

/* Waits for fd to become ready for events until deadline_ns. */
static int
control_wait(int fd, short events, int64_t deadline_ns)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left = (deadline_ns - clk_mono_ns()) / 1000000;
	int r;

	if (left <= 0)
		return 0;
	do
		r = poll(&p, 1, (int)left);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static int
control_connect(const char *path, int *fd_out, struct wk_err *err)
{
	struct sockaddr_un addr;
	int fd;

	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof addr.sun_path)
		return wk_err_set(err, WK_ERR_LIMIT, _("control socket path %s "
		    "is too long"), path);
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot create a socket: "
		    "%s"), strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int code = errno;

		close(fd);
		if (code == ENOENT || code == ECONNREFUSED)
			return wk_err_set(err, WK_ERR_NOTFOUND, _("no agent "
			    "listens on %s"), path);
		return wk_err_set(err, WK_ERR_IO, _("cannot connect to %s: "
		    "%s"), path, strerror(code));
	}
	*fd_out = fd;
	return WK_OK;
}

int
control_request(const char *path, json_t *request, int timeout_ms,
		json_t **answer, struct wk_err *err)
{
	int64_t deadline = clk_mono_ns() + timeout_ms * INT64_C(1000000);
	char *text = NULL, chunk[4096];
	json_error_t jerr;
	struct buf in;
	ssize_t n;
	int fd = -1, rc;

	buf_init(&in, CONTROL_LINE_MAX);
	rc = control_connect(path, &fd, err);
	if (rc != WK_OK)
		return rc;
	text = json_dumps(request, JSON_COMPACT);
	if (text == NULL || send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		rc = wk_err_set(err, WK_ERR_IO, _("cannot send to %s: %s"),
		    path, strerror(errno));
		goto out;
	}

	/* From here on the agent may carry out the request unanswered. */
	rc = WK_ERR_BUSY;
	while (memchr(in.data != NULL ? in.data : "", '\n', in.len) == NULL) {
		if (!control_wait(fd, POLLIN, deadline)) {
			wk_err_set(err, rc, _("the agent did not answer within "
			    "%d ms"), timeout_ms);
			goto out;
		}
		n = recv(fd, chunk, sizeof chunk, 0);
		if (n <= 0 || buf_append(&in, chunk, (size_t)n) != WK_OK) {
			wk_err_set(err, rc, _("the agent closed the connection "
			    "without a complete answer"));
			goto out;
		}
	}
	*answer = json_loads(in.data, JSON_DISABLE_EOF_CHECK, &jerr);
	rc = *answer != NULL ? WK_OK : wk_err_set(err, WK_ERR_INVALID,
	    _("invalid answer from the agent: %s"), jerr.text);

out:
	free(text);
	buf_free(&in);
	close(fd);
	return rc;
}
