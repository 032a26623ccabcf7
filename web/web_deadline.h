/*
 * Request deadlines of the web server. libmicrohttpd 0.9.75 times out only
 * idle connections (MHD_OPTION_CONNECTION_TIMEOUT), so a client that sends
 * one byte of its request every second keeps a connection slot for as
 * long as it likes. Here each request must arrive whole, headers and body,
 * within WEB_REQUEST_DEADLINE_MS of the connection's accept, or, on a
 * kept-alive connection, within the idle timeout plus
 * WEB_REQUEST_DEADLINE_MS of the end of the previous response. A thread
 * sleeps until the earliest deadline, or until a connection opens when no
 * deadline is pending, and shuts down the socket of a connection past its
 * own, which libmicrohttpd then closes.
 * Between the arrival of a request and the end of its response no
 * deadline applies: the query timeout and the idle timeout bound that.
 */
#ifndef WK_WEB_DEADLINE_H
#define WK_WEB_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "core/rc.h"

#define WEB_REQUEST_DEADLINE_MS 10000  /* time a request has to arrive */
#define WEB_DEADLINE_LOG_EVERY 100     /* log one closed connection in this
					  many after the first ten */

struct web_deadlines;

/*
 * Allocates deadlines for up to slots open connections and starts their
 * thread. idle_ms is the idle timeout allowed between two requests of a
 * kept-alive connection. Returns NULL with err set on failure.
 */
struct web_deadlines *web_deadlines_start(size_t slots, int64_t idle_ms,
					  struct wk_err *err);

/* Stops the thread; call before MHD_stop_daemon(). NULL is ignored. */
void web_deadlines_stop(struct web_deadlines *d);

/* Frees the table; call after MHD_stop_daemon(). NULL is ignored. */
void web_deadlines_free(struct web_deadlines *d);

/*
 * MHD_OPTION_NOTIFY_CONNECTION callback, with cls the table: a started
 * connection gets the deadline of its first request, a closed one leaves
 * the table. A connection that finds the table full goes without one.
 */
void web_deadlines_notify(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code);

/* Lifts the deadline of conn, whose request arrived whole. */
void web_deadlines_received(struct MHD_Connection *conn);

/* Sets the deadline of the next request on conn, whose response ended. */
void web_deadlines_next(struct MHD_Connection *conn);

#endif
