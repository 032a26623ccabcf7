#include "probes/curlev.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"

struct probe_curl {
	CURLM *multi;            /* owned multi handle */
	struct ev_loop *loop;    /* not owned */
	uint64_t timer;          /* ev timer libcurl asked for, or 0 */
};

/* Hands every finished transfer to its request's done(). */
static void
curl_check_done(struct probe_curl *c)
{
	struct probe_curl_req *req;
	CURLMsg *msg;
	int left;

	while ((msg = netlib_curl.multi_info_read(c->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		req = NULL;
		netlib_curl.easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&req);
		netlib_curl.multi_remove_handle(c->multi, easy);
		if (req == NULL)
			continue;
		req->active = 0;
		req->done(req, easy, result);
	}
}

static void
curl_on_fd(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct probe_curl *c = arg;
	int flags = 0, running = 0;

	(void)loop;
	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	netlib_curl.multi_socket_action(c->multi, fd, flags, &running);
	curl_check_done(c);
}

static void
curl_on_timer(struct ev_loop *loop, void *arg)
{
	struct probe_curl *c = arg;
	int running = 0;

	(void)loop;
	c->timer = 0;
	netlib_curl.multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	curl_check_done(c);
}

/* CURLMOPT_SOCKETFUNCTION: adds or removes the watch of one socket. */
static int
curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
	       void *socketp)
{
	struct probe_curl *c = userp;
	unsigned events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		ev_fd_del(c->loop, s);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EV_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EV_WRITE;
	if (ev_fd_add(c->loop, s, events, curl_on_fd, c) != WK_OK) {
		LOG(LL_ERROR, _("http probes: too many open connections; socket %d is not watched"),
		    (int)s);
		return -1;
	}
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: libcurl wants curl_multi_socket_action() with
 * CURL_SOCKET_TIMEOUT after timeout_ms (-1: no timer). Calling it from
 * here is not allowed, so even 0 goes through a loop timer.
 */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct probe_curl *c = userp;

	(void)multi;
	if (c->timer != 0)
		ev_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	if (timeout_ms < 0)
		return 0;
	c->timer = ev_timer_at(c->loop, clk_mono_ns() + timeout_ms * 1000000,
	    curl_on_timer, c);
	return c->timer != 0 ? 0 : -1;
}

struct probe_curl *
probe_curl_new(struct ev_loop *loop, struct wk_err *err)
{
	struct probe_curl *c;

	if (netlib_curl_load(_("the http probes"), err) != WK_OK)
		return NULL;

	c = calloc(1, sizeof *c);
	if (c == NULL) {
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		return NULL;
	}
	c->loop = loop;
	c->multi = netlib_curl.multi_init();
	if (c->multi == NULL) {
		probe_curl_free(c);
		wk_err_set(err, WK_ERR_NOMEM, _("libcurl could not create its "
		    "multi handle"));
		return NULL;
	}
	netlib_curl.multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION,
	    curl_socket_cb);
	netlib_curl.multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	netlib_curl.multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION,
	    curl_timer_cb);
	netlib_curl.multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

void
probe_curl_free(struct probe_curl *c)
{
	if (c == NULL)
		return;
	if (c->timer != 0)
		ev_timer_cancel(c->loop, c->timer);
	if (c->multi != NULL)
		netlib_curl.multi_cleanup(c->multi);
	free(c);
}

int
probe_curl_add(struct probe_curl *c, struct probe_curl_req *req, CURL *easy)
{
	req->easy = easy;
	netlib_curl.easy_setopt(easy, CURLOPT_PRIVATE, req);
	if (netlib_curl.multi_add_handle(c->multi, easy) != CURLM_OK)
		return WK_ERR_LIMIT;
	req->active = 1;
	return WK_OK;
}

void
probe_curl_remove(struct probe_curl *c, struct probe_curl_req *req)
{
	if (!req->active)
		return;
	req->active = 0;
	netlib_curl.multi_remove_handle(c->multi, req->easy);
}
