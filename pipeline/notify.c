#include "pipeline/notify.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"

static void
notify_disable(struct notify *nt)
{
	memset(nt, 0, sizeof *nt);
	nt->fd = -1;
}

/* Fills nt->addr from a path, or from an abstract name after '@'. */
static int
notify_set_address(struct notify *nt, const char *socket_name,
		   struct wk_err *err)
{
	size_t len = strlen(socket_name);
	int abstract = socket_name[0] == '@';

	if (len >= sizeof nt->addr.sun_path)
		return wk_err_set(err, WK_ERR_INVALID,
		    _("NOTIFY_SOCKET '%s' is %zu bytes long, more than the %zu "
		    "a unix socket address holds; progress is not reported"),
		    socket_name, len, sizeof nt->addr.sun_path - 1);

	nt->addr.sun_family = AF_UNIX;
	memcpy(nt->addr.sun_path, socket_name, len);
	nt->addr.sun_path[len] = '\0';
	if (abstract)
		nt->addr.sun_path[0] = '\0';

	/* An abstract name is exactly its bytes; a path ends with its NUL. */
	nt->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (abstract ? 0 : 1));
	return WK_OK;
}

/* Parses a decimal number without sign; returns -1 when it is not one. */
static int
notify_parse_u64(const char *text, unsigned long long *value)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	*value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

/* Sets the watchdog interval to half of watchdog_usec. */
static int
notify_set_watchdog(struct notify *nt, const char *watchdog_usec,
		    const char *watchdog_pid, struct wk_err *err)
{
	unsigned long long usec, pid;

	if (watchdog_usec == NULL || watchdog_usec[0] == '\0')
		return WK_OK;
	if (watchdog_pid != NULL && watchdog_pid[0] != '\0' &&
	    (notify_parse_u64(watchdog_pid, &pid) != 0 ||
	    pid != (unsigned long long)getpid()))
		return WK_OK;

	if (notify_parse_u64(watchdog_usec, &usec) != 0 || usec == 0 ||
	    usec > (unsigned long long)(INT64_MAX / 1000))
		return wk_err_set(err, WK_ERR_INVALID,
		    _("WATCHDOG_USEC '%s' is not a positive number of "
		    "microseconds; no watchdog messages are sent"),
		    watchdog_usec);
	nt->watchdog_interval_ns = (int64_t)usec * 1000 / 2;
	nt->last_watchdog_ns = clk_mono_ns();
	return WK_OK;
}

int
notify_open(struct notify *nt, const char *socket_name,
	    const char *watchdog_usec, const char *watchdog_pid,
	    struct wk_err *err)
{
	int rc;

	notify_disable(nt);
	if (socket_name == NULL || socket_name[0] == '\0')
		return WK_OK;

	rc = notify_set_address(nt, socket_name, err);
	if (rc != WK_OK) {
		notify_disable(nt);
		return rc;
	}
	nt->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nt->fd < 0) {
		rc = wk_err_set(err, WK_ERR_IO, _("cannot create a unix "
		    "datagram socket for NOTIFY_SOCKET '%s': %s; progress is "
		    "not reported"), socket_name, strerror(errno));
		notify_disable(nt);
		return rc;
	}
	return notify_set_watchdog(nt, watchdog_usec, watchdog_pid, err);
}

int
notify_open_env(struct notify *nt, struct wk_err *err)
{
	return notify_open(nt, getenv("NOTIFY_SOCKET"),
	    getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), err);
}

void
notify_close(struct notify *nt)
{
	notify_flush(nt);
	if (nt->fd >= 0)
		close(nt->fd);
	notify_disable(nt);
}

void
notify_msg_init(struct notify_msg *msg)
{
	msg->len = 0;
	msg->text[0] = '\0';
}

int
notify_msg_add(struct notify_msg *msg, const char *key, const char *fmt, ...)
{
	size_t room = sizeof msg->text - msg->len;
	size_t start = msg->len + strlen(key) + 1;
	va_list ap;
	int n, head;
	size_t i;

	head = snprintf(msg->text + msg->len, room, "%s=", key);
	if (head < 0 || (size_t)head >= room)
		goto too_long;
	va_start(ap, fmt);
	n = vsnprintf(msg->text + start, room - (size_t)head, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 >= room - (size_t)head)
		goto too_long;

	for (i = start; i < start + (size_t)n; i++) {
		if (msg->text[i] == '\n')
			msg->text[i] = ' ';
	}
	msg->len = start + (size_t)n;
	msg->text[msg->len++] = '\n';
	msg->text[msg->len] = '\0';
	return WK_OK;

too_long:
	msg->text[msg->len] = '\0';
	return WK_ERR_LIMIT;
}

int
notify_send(struct notify *nt, const struct notify_msg *msg)
{
	ssize_t n;

	if (nt == NULL || nt->fd < 0 || msg->len == 0)
		return WK_OK;

	/* MSG_DONTWAIT: a reader that stopped reading must not stall us. */
	n = sendto(nt->fd, msg->text, msg->len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (const struct sockaddr *)&nt->addr, nt->addr_len);
	if (n < 0 || (size_t)n != msg->len) {
		nt->send_failures++;
		return WK_ERR_IO;
	}
	return WK_OK;
}

void
notify_ready(struct notify *nt, const char *status)
{
	struct notify_msg msg;

	if (nt == NULL || nt->fd < 0)
		return;

	notify_msg_init(&msg);
	notify_msg_add(&msg, "READY", "1");
	notify_msg_add(&msg, "STATUS", "%s", status);
	notify_send(nt, &msg);
}

void
notify_status(struct notify *nt, const char *fmt, ...)
{
	struct notify_msg msg;
	char text[512];
	va_list ap;

	if (nt == NULL || nt->fd < 0)
		return;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	notify_flush(nt);
	notify_msg_init(&msg);
	notify_msg_add(&msg, "STATUS", "%s", text);
	notify_send(nt, &msg);
	notify_watchdog(nt);
}

void
notify_watchdog(struct notify *nt)
{
	struct notify_msg msg;
	int64_t now;

	if (nt == NULL || nt->fd < 0 || nt->watchdog_interval_ns == 0)
		return;
	now = clk_mono_ns();
	if (now - nt->last_watchdog_ns < nt->watchdog_interval_ns)
		return;

	notify_msg_init(&msg);
	notify_msg_add(&msg, "WATCHDOG", "1");
	notify_send(nt, &msg);
	nt->last_watchdog_ns = now;
}

void
notify_progress(struct notify *nt, double fraction)
{
	struct notify_msg msg;
	int64_t now;

	if (nt == NULL || nt->fd < 0 || isnan(fraction))
		return;
	notify_watchdog(nt);
	now = clk_mono_ns();
	if (fraction < 1.0 && nt->progress_sent &&
	    now - nt->last_progress_ns < NOTIFY_PROGRESS_INTERVAL_NS)
		return;

	if (fraction < 0.0)
		fraction = 0.0;
	if (fraction > 1.0)
		fraction = 1.0;
	notify_flush(nt);
	notify_msg_init(&msg);
	notify_msg_add(&msg, "X_WATCHKEEP_PROGRESS", "%.3f", fraction);
	notify_send(nt, &msg);
	nt->last_progress_ns = now;
	nt->progress_sent = true;
}

void
notify_flush(struct notify *nt)
{
	if (nt == NULL || nt->fd < 0 || nt->n_metrics == 0)
		return;
	notify_send(nt, &nt->metrics);
	notify_msg_init(&nt->metrics);
	nt->n_metrics = 0;
}

void
notify_metric(struct notify *nt, const char *name, double value)
{
	if (nt == NULL || nt->fd < 0)
		return;

	if (nt->n_metrics == NOTIFY_METRICS_PER_MSG)
		notify_flush(nt);
	if (notify_msg_add(&nt->metrics, "X_WATCHKEEP_METRIC", "%s=%.15g",
	    name, value) != WK_OK) {
		notify_flush(nt);
		notify_msg_add(&nt->metrics, "X_WATCHKEEP_METRIC", "%s=%.15g",
		    name, value);
	}
	nt->n_metrics++;
}
