#include "sdnotify.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/text.h"

static int
sdnotify_key_is(const char *line, size_t key_len, const char *key)
{
	return strlen(key) == key_len && strncmp(line, key, key_len) == 0;
}

/* Parses a finite number that fills the whole of text. */
static int
sdnotify_number(const char *text, double *value)
{
	char *end;

	errno = 0;
	*value = strtod(text, &end);
	return end != text && *end == '\0' && errno == 0 && isfinite(*value);
}

/*
 * Parses a count of microseconds: decimal digits that fit in an unsigned
 * 64-bit number, as systemd reads it. Larger values than SDNOTIFY_USEC_MAX
 * are clamped to it.
 */
static int
sdnotify_usec(const char *text, int64_t *value)
{
	unsigned long long n;
	char *end;
	size_t i;

	for (i = 0; text[i] != '\0'; i++) {
		if (!isdigit((unsigned char)text[i]))
			return 0;
	}
	if (i == 0)
		return 0;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*value = n > (unsigned long long)SDNOTIFY_USEC_MAX ?
	    SDNOTIFY_USEC_MAX : (int64_t)n;
	return 1;
}

static int
sdnotify_metric(const char *text, struct sdnotify_msg *msg)
{
	struct sdnotify_metric *m;
	const char *eq = strchr(text, '=');
	size_t len, i;

	if (eq == NULL || msg->n_metrics == SDNOTIFY_METRICS_MAX)
		return 0;
	len = (size_t)(eq - text);
	if (len == 0 || len >= sizeof m->name)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)text[i]) && text[i] != '_' &&
		    text[i] != '.')
			return 0;
	}
	m = &msg->metrics[msg->n_metrics];
	if (!sdnotify_number(eq + 1, &m->value))
		return 0;
	memcpy(m->name, text, len);
	m->name[len] = '\0';
	msg->n_metrics++;
	return 1;
}

/* Applies one assignment; returns 0 when it is invalid. */
static int
sdnotify_assign(const char *line, size_t len, struct sdnotify_msg *msg)
{
	const char *eq = memchr(line, '=', len);
	char value[SDNOTIFY_DATAGRAM_MAX + 1];
	size_t key_len, value_len;
	double number;

	if (eq == NULL)
		return 0;
	key_len = (size_t)(eq - line);
	value_len = len - key_len - 1;
	memcpy(value, eq + 1, value_len);
	value[value_len] = '\0';

	if (sdnotify_key_is(line, key_len, "READY"))
		msg->ready = strcmp(value, "1") == 0;
	else if (sdnotify_key_is(line, key_len, "WATCHDOG")) {
		msg->watchdog = strcmp(value, "1") == 0;
		msg->watchdog_trigger = strcmp(value, "trigger") == 0;
	}
	else if (sdnotify_key_is(line, key_len, "STOPPING"))
		msg->stopping = strcmp(value, "1") == 0;
	else if (sdnotify_key_is(line, key_len, "STATUS")) {
		msg->has_status = 1;
		text_sanitize(value, value_len, msg->status, sizeof msg->status);
	} else if (sdnotify_key_is(line, key_len, "EXTEND_TIMEOUT_USEC")) {
		if (!sdnotify_usec(value, &msg->extend_timeout_us))
			return 0;
	} else if (sdnotify_key_is(line, key_len, "X_WATCHKEEP_PROGRESS")) {
		if (!sdnotify_number(value, &number) || number < 0 ||
		    number > 1)
			return 0;
		msg->progress = number;
	} else if (sdnotify_key_is(line, key_len, "X_WATCHKEEP_METRIC")) {
		return sdnotify_metric(value, msg);
	}
	return 1;
}

void
sdnotify_parse(const char *data, size_t len, struct sdnotify_msg *msg)
{
	const char *end, *nl;

	memset(msg, 0, sizeof *msg);
	msg->extend_timeout_us = -1;
	msg->progress = -1;
	if (len > SDNOTIFY_DATAGRAM_MAX)
		len = SDNOTIFY_DATAGRAM_MAX;
	end = data + len;

	while (data < end) {
		size_t line_len;

		nl = memchr(data, '\n', (size_t)(end - data));
		line_len = (size_t)((nl != NULL ? nl : end) - data);
		if (line_len > 0 && !sdnotify_assign(data, line_len, msg)) {
			if (msg->invalid++ == 0)
				text_sanitize(data, line_len < 80 ? line_len :
				    80, msg->first_invalid,
				    sizeof msg->first_invalid);
		}
		data += line_len + (nl != NULL);
	}
}

int
sdnotify_send(const char *text)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t len;
	ssize_t n;
	int fd;

	if (path == NULL || path[0] == '\0')
		return 1;
	if ((path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof addr.sun_path)
		return -1;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path));
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	n = sendto(fd, text, strlen(text), MSG_NOSIGNAL,
	    (struct sockaddr *)&addr, len);
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}
