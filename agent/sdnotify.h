/*
 * Parsing of the datagrams a stage sends to its NOTIFY_SOCKET, in the
 * sd_notify(3) format: newline-separated KEY=VALUE assignments.
 *
 * Keys understood: READY=1, STATUS=text, WATCHDOG=1, WATCHDOG=trigger,
 * EXTEND_TIMEOUT_USEC=n, STOPPING=1, and the watchkeep keys X_WATCHKEEP_PROGRESS=fraction (0..1)
 * and X_WATCHKEEP_METRIC=name=value (repeatable). Other keys are ignored,
 * as systemd ignores keys it does not know.
 */
#ifndef WK_SDNOTIFY_H
#define WK_SDNOTIFY_H

#include <stddef.h>
#include <stdint.h>

#define SDNOTIFY_DATAGRAM_MAX 4096  /* bytes read of one datagram */
#define SDNOTIFY_METRICS_MAX 32     /* metrics taken from one datagram */
#define SDNOTIFY_STATUS_MAX 256     /* bytes kept of STATUS= */
/* Largest EXTEND_TIMEOUT_USEC kept, in us (about 285 years). */
#define SDNOTIFY_USEC_MAX INT64_C(9000000000000000)

struct sdnotify_metric {
	char name[64];  /* [A-Za-z0-9_.], 1..63 bytes */
	double value;   /* finite */
};

/* What one datagram carried. */
struct sdnotify_msg {
	int ready;                     /* READY=1 */
	int watchdog;                  /* WATCHDOG=1 */
	int watchdog_trigger;          /* WATCHDOG=trigger */
	int stopping;                  /* STOPPING=1 */
	int has_status;                /* STATUS= was present */
	char status[SDNOTIFY_STATUS_MAX]; /* sanitized STATUS= text */
	int64_t extend_timeout_us;     /* EXTEND_TIMEOUT_USEC, -1 if absent */
	double progress;               /* X_WATCHKEEP_PROGRESS, -1 if absent */
	struct sdnotify_metric metrics[SDNOTIFY_METRICS_MAX];
	size_t n_metrics;
	int invalid;                   /* assignments rejected */
	char first_invalid[96];        /* the first rejected assignment */
};

/* Parses one datagram of len bytes into msg. */
void sdnotify_parse(const char *data, size_t len, struct sdnotify_msg *msg);

/*
 * Sends text (KEY=VALUE lines) to the service manager's socket named by the
 * agent's own NOTIFY_SOCKET, as a service under systemd Type=notify does.
 * Returns 0 when sent, 1 when NOTIFY_SOCKET is not set, -1 on failure.
 */
int sdnotify_send(const char *text);

#endif
