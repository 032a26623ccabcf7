/*
 * Stage protocol: datagrams in the sd_notify format sent to the unix socket
 * named by NOTIFY_SOCKET, so that a supervisor can follow the stage's
 * state, progress and metrics while it runs.
 *
 * A datagram is one or more "KEY=VALUE" lines separated by newlines. The
 * keys sent:
 *   READY=1                      once, at start
 *   STATUS=text                  at each phase
 *   X_WATCHKEEP_PROGRESS=0.42    fraction done, 0..1, at most 4 a second
 *   WATCHDOG=1                   at least every half of WATCHDOG_USEC
 *   X_WATCHKEEP_METRIC=name=value  one line a metric, several metrics a
 *                                  datagram
 *
 * NOTIFY_SOCKET is a filesystem path, or an abstract socket name when it
 * starts with '@'. Without it, or with a NULL struct notify, every call
 * does nothing. A failed send is counted and otherwise ignored: the
 * supervisor is a reader, never a reason for a stage to fail.
 */
#ifndef WK_PIPELINE_NOTIFY_H
#define WK_PIPELINE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/rc.h"

#define NOTIFY_MSG_MAX 4096  /* bytes in one datagram */
#define NOTIFY_METRICS_PER_MSG 32  /* metrics in one datagram; the agent
                                    * takes up to 32 */
#define NOTIFY_PROGRESS_INTERVAL_NS INT64_C(250000000)  /* 4 a second */

/* One datagram being built: "KEY=VALUE\n" lines. */
struct notify_msg {
	char text[NOTIFY_MSG_MAX];  /* NUL-terminated lines */
	size_t len;                 /* bytes in text, without the NUL */
};

struct notify {
	int fd;                         /* datagram socket, -1 when disabled */
	struct sockaddr_un addr;        /* destination socket */
	socklen_t addr_len;             /* bytes of addr in use */
	int64_t watchdog_interval_ns;   /* half of WATCHDOG_USEC, 0 when off */
	int64_t last_watchdog_ns;       /* clk_mono_ns() of the last WATCHDOG=1 */
	int64_t last_progress_ns;       /* clk_mono_ns() of the last progress */
	bool progress_sent;             /* a progress datagram went out */
	uint64_t send_failures;         /* datagrams that could not be sent */
	struct notify_msg metrics;      /* metric lines not sent yet */
	size_t n_metrics;               /* lines in metrics */
};

/*
 * Opens the notifier for socket_name (NULL or "" disables it) with the
 * watchdog interval from watchdog_usec (microseconds, NULL for none). When
 * watchdog_pid is set and is not this process's id, the watchdog is off,
 * as in sd_notify. Returns WK_OK, or WK_ERR_INVALID with err naming the
 * bad value; the notifier is disabled then but usable.
 */
int notify_open(struct notify *nt, const char *socket_name,
		const char *watchdog_usec, const char *watchdog_pid,
		struct wk_err *err);

/* Opens the notifier from NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. */
int notify_open_env(struct notify *nt, struct wk_err *err);

/* Sends the queued metrics and closes the socket; the notifier is
 * disabled afterwards. */
void notify_close(struct notify *nt);

/* Empties msg. */
void notify_msg_init(struct notify_msg *msg);

/*
 * Appends the line "KEY=VALUE" with a printf-style value; newlines in the
 * value become spaces. Returns WK_OK, or WK_ERR_LIMIT and leaves msg as it
 * was when the line does not fit.
 */
int notify_msg_add(struct notify_msg *msg, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sends msg as one datagram. Returns WK_OK, or WK_ERR_IO (counted). */
int notify_send(struct notify *nt, const struct notify_msg *msg);

/* Sends READY=1 and STATUS=status. */
void notify_ready(struct notify *nt, const char *status);

/* Sends STATUS=text, and WATCHDOG=1 when it is due. */
void notify_status(struct notify *nt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Sends X_WATCHKEEP_PROGRESS=fraction (clamped to 0..1) unless one went out
 * less than NOTIFY_PROGRESS_INTERVAL_NS ago; 1 is always sent. Also sends
 * WATCHDOG=1 when it is due, so loops need only call this.
 */
void notify_progress(struct notify *nt, double fraction);

/* Sends WATCHDOG=1 when half of WATCHDOG_USEC has passed since the last. */
void notify_watchdog(struct notify *nt);

/*
 * Queues X_WATCHKEEP_METRIC=name=value, value printed with %.15g. Queued
 * metrics go out together, up to NOTIFY_METRICS_PER_MSG a datagram, when
 * the queue is full and before any other message or closing. A burst of
 * one datagram a metric would overflow the receiver's queue
 * (net.unix.max_dgram_qlen, 10 by default on Linux), and MSG_DONTWAIT
 * drops what does not fit.
 */
void notify_metric(struct notify *nt, const char *name, double value);

/* Sends the queued metrics, if any. */
void notify_flush(struct notify *nt);

#endif
