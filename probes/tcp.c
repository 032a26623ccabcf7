/*
 * The tcp probe: a non-blocking connect watched by the loop. A numeric
 * address is used as it is. A host name is resolved with glibc's
 * getaddrinfo_a(), which runs the lookup on its own thread. A loop timer
 * polls it, so a slow DNS server never holds up the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "probes/impl.h"

#define TCP_RESOLVE_POLL_NS INT64_C(10000000)  /* lookup polled every 10 ms */
#define TCP_FINI_WAIT_S 1                      /* wait for a lookup at exit */

struct tcp_impl {
	struct probe *probe;        /* the probe, not owned */
	int fd;                     /* connecting socket, or -1 */
	struct addrinfo *addrs;     /* owned result of the lookup */
	struct addrinfo *next;      /* address to try next */
	struct gaicb req;           /* the asynchronous lookup */
	struct addrinfo hints;      /* hints of the lookup */
	int resolving;              /* req is in glibc's hands */
	int abandoned;              /* the check ended while resolving */
	uint64_t poll_timer;        /* ev timer polling the lookup, or 0 */
	int last_errno;             /* error of the last address tried */
};

static int
tcp_init(struct probe *p, struct wk_err *err)
{
	struct tcp_impl *t = calloc(1, sizeof *t);

	if (t == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	t->probe = p;
	t->fd = -1;
	p->impl = t;
	return WK_OK;
}

static void
tcp_close(struct tcp_impl *t)
{
	if (t->fd >= 0) {
		ev_fd_del(t->probe->engine->loop, t->fd);
		close(t->fd);
	}
	t->fd = -1;
	if (t->addrs != NULL)
		freeaddrinfo(t->addrs);
	t->addrs = NULL;
	t->next = NULL;
}

static void tcp_try_next(struct tcp_impl *t);

static void
tcp_on_writable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct tcp_impl *t = arg;
	struct probe *p = t->probe;
	socklen_t len = sizeof t->last_errno;
	double ms = probe_elapsed_ms(p);

	(void)loop;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &t->last_errno, &len) < 0)
		t->last_errno = errno;
	ev_fd_del(p->engine->loop, fd);
	close(fd);
	t->fd = -1;
	if (t->last_errno != 0) {
		tcp_try_next(t);
		return;
	}
	tcp_close(t);
	probe_report(p, 1, ms, _("connected to %s:%s in %.0f ms"),
	    p->cfg->tcp.host, p->cfg->tcp.port, ms);
}

/* Connects to the next address of the lookup, or reports the failure. */
static void
tcp_try_next(struct tcp_impl *t)
{
	struct probe *p = t->probe;
	struct addrinfo *ai;

	while ((ai = t->next) != NULL) {
		t->next = ai->ai_next;
		t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (t->fd < 0) {
			t->last_errno = errno;
			continue;
		}
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			if (ev_fd_add(p->engine->loop, t->fd, EV_WRITE,
			    tcp_on_writable, t) == WK_OK)
				return;
			errno = EMFILE;
		}
		t->last_errno = errno;
		close(t->fd);
		t->fd = -1;
	}
	tcp_close(t);
	probe_report(p, 0, probe_elapsed_ms(p), _("cannot connect to %s:%s: %s"),
	    p->cfg->tcp.host, p->cfg->tcp.port, strerror(t->last_errno));
}

/* Takes the finished lookup; reports a failed one. */
static void
tcp_resolved(struct tcp_impl *t, int gai_rc)
{
	struct probe *p = t->probe;

	t->resolving = 0;
	t->addrs = t->req.ar_result;
	t->req.ar_result = NULL;
	if (t->abandoned) {
		t->abandoned = 0;
		tcp_close(t);
		return;
	}
	if (gai_rc != 0) {
		tcp_close(t);
		probe_report(p, 0, probe_elapsed_ms(p),
		    _("cannot resolve %s: %s"), p->cfg->tcp.host,
		    gai_strerror(gai_rc));
		return;
	}
	t->next = t->addrs;
	t->last_errno = EHOSTUNREACH;
	tcp_try_next(t);
}

static void
tcp_poll_lookup(struct ev_loop *loop, void *arg)
{
	struct tcp_impl *t = arg;
	int rc = gai_error(&t->req);

	t->poll_timer = 0;
	if (rc == EAI_INPROGRESS) {
		t->poll_timer = ev_timer_at(loop, clk_mono_ns() +
		    TCP_RESOLVE_POLL_NS, tcp_poll_lookup, t);
		return;
	}
	tcp_resolved(t, rc);
}

/* Starts the asynchronous lookup of a host name. */
static void
tcp_resolve_async(struct tcp_impl *t)
{
	struct probe *p = t->probe;
	struct gaicb *list[1] = { &t->req };
	int rc;

	memset(&t->req, 0, sizeof t->req);
	t->req.ar_name = p->cfg->tcp.host;
	t->req.ar_service = p->cfg->tcp.port;
	t->req.ar_request = &t->hints;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc != 0) {
		probe_report(p, 0, -1, _("cannot resolve %s: %s"),
		    p->cfg->tcp.host, gai_strerror(rc));
		return;
	}
	t->resolving = 1;
	tcp_poll_lookup(p->engine->loop, t);
}

static void
tcp_start(struct probe *p)
{
	struct tcp_impl *t = p->impl;
	int rc;

	if (t->resolving) {
		probe_report(p, 0, -1, _("the lookup of %s from an earlier check is still running"),
		    p->cfg->tcp.host);
		return;
	}
	memset(&t->hints, 0, sizeof t->hints);
	t->hints.ai_socktype = SOCK_STREAM;
	t->hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(p->cfg->tcp.host, p->cfg->tcp.port, &t->hints,
	    &t->addrs);
	if (rc == EAI_NONAME) {
		t->hints.ai_flags = AI_NUMERICSERV;
		tcp_resolve_async(t);
		return;
	}
	if (rc != 0) {
		probe_report(p, 0, -1, _("invalid address %s: %s"),
		    p->cfg->tcp.host, gai_strerror(rc));
		return;
	}
	t->next = t->addrs;
	t->last_errno = EHOSTUNREACH;
	tcp_try_next(t);
}

static void
tcp_cancel(struct probe *p)
{
	struct tcp_impl *t = p->impl;

	if (t->resolving && gai_cancel(&t->req) == EAI_CANCELED) {
		if (t->poll_timer != 0)
			ev_timer_cancel(p->engine->loop, t->poll_timer);
		t->poll_timer = 0;
		t->resolving = 0;
	} else if (t->resolving) {
		/* glibc still owns req: the poll timer frees the result. */
		t->abandoned = 1;
	}
	tcp_close(t);
}

static void
tcp_fini(struct probe *p)
{
	struct tcp_impl *t = p->impl;
	const struct gaicb *list[1];
	struct timespec wait = { TCP_FINI_WAIT_S, 0 };

	if (t == NULL)
		return;
	if (t->poll_timer != 0)
		ev_timer_cancel(p->engine->loop, t->poll_timer);
	if (t->resolving && gai_cancel(&t->req) != EAI_CANCELED) {
		list[0] = &t->req;
		gai_suspend(list, 1, &wait);
		if (gai_error(&t->req) == EAI_INPROGRESS) {
			/* NOTE: glibc still writes to req, so it is leaked. */
			p->impl = NULL;
			return;
		}
		if (t->req.ar_result != NULL)
			freeaddrinfo(t->req.ar_result);
	}
	tcp_close(t);
	free(t);
	p->impl = NULL;
}

const struct probe_type_ops probe_tcp_ops = {
	tcp_init, tcp_start, tcp_cancel, tcp_fini
};
