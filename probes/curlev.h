/*
 * libcurl's multi interface driven by the agent's event loop. libcurl
 * names the sockets it waits on (CURLMOPT_SOCKETFUNCTION) and the timeout
 * it needs (CURLMOPT_TIMERFUNCTION). The loop watches them and calls
 * curl_multi_socket_action() when one is ready, so transfers never block.
 * libcurl is called through netlib_curl, the table of netlib_curl.h.
 */
#ifndef WK_PROBE_CURLEV_H
#define WK_PROBE_CURLEV_H

#include "agent/ev.h"
#include "core/rc.h"
#include "netlib/netlib_curl.h"

struct probe_curl;

/* A transfer in progress; the caller owns it and keeps it alive. */
struct probe_curl_req {
	/* called once when the transfer ends, after it left the multi handle */
	void (*done)(struct probe_curl_req *req, CURL *easy, CURLcode result);
	CURL *easy;  /* the easy handle, set by probe_curl_add() */
	int active;  /* in the multi handle */
};

/*
 * Loads libcurl unless it is loaded (netlib_curl_load()) and creates the
 * multi handle for loop. Returns NULL, after logging why, when libcurl
 * cannot be loaded or memory runs out.
 */
struct probe_curl *probe_curl_new(struct ev_loop *loop, struct wk_err *err);

/* Frees the multi handle; every request must have ended or been removed. */
void probe_curl_free(struct probe_curl *c);

/* Starts the transfer of easy; req->done is called when it ends. */
int probe_curl_add(struct probe_curl *c, struct probe_curl_req *req,
		   CURL *easy);

/* Abandons a transfer in progress; req->done is not called. */
void probe_curl_remove(struct probe_curl *c, struct probe_curl_req *req);

#endif
