#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

enum log_level log_min_level = LL_INFO;

static int log_fd = 2;

static const char *const log_level_names[] = {
	"debug", "info", "warn", "error"
};

void
log_set_fd(int fd)
{
	log_fd = fd;
}

int
log_parse_level(const char *name, enum log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof log_level_names / sizeof log_level_names[0];
	    i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Appends the printable form of text to line, escaping control bytes. */
static size_t
log_escape(char *line, size_t len, size_t max, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0' && len + 5 < max;
	    p++) {
		if (*p < 0x20 || *p == 0x7f)
			len += (size_t)snprintf(line + len, max - len,
			    "\\x%02x", *p);
		else
			line[len++] = (char)*p;
	}
	return len;
}

static size_t
log_format_ids(char *line, size_t len, size_t max,
	       const struct log_ids *ids)
{
	if (ids == NULL)
		return len;

	if (ids->run != 0 && len < max)
		len += (size_t)snprintf(line + len, max - len, " run=%lld",
		    ids->run);
	if (ids->stage != NULL && len + 7 < max) {
		memcpy(line + len, " stage=", 7);
		len = log_escape(line, len + 7, max, ids->stage);
	}
	if (ids->probe != NULL && len + 7 < max) {
		memcpy(line + len, " probe=", 7);
		len = log_escape(line, len + 7, max, ids->probe);
	}
	if (ids->alert != NULL && len + 7 < max) {
		memcpy(line + len, " alert=", 7);
		len = log_escape(line, len + 7, max, ids->alert);
	}
	return len;
}

void
log_write(enum log_level level, const struct log_ids *ids,
	  const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	char text[LOG_LINE_MAX];
	struct timespec now;
	struct tm tm;
	size_t len;
	va_list ap;
	int saved_errno = errno;

	if (log_fd < 0 || level >= LL_OFF)
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	len = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	len += (size_t)snprintf(line + len, sizeof line - len, ".%03ldZ %s",
	    now.tv_nsec / 1000000L, log_level_names[level]);
	len = log_format_ids(line, len, sizeof line - 2, ids);

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (len + 2 < sizeof line - 2) {
		line[len++] = ':';
		line[len++] = ' ';
	}
	len = log_escape(line, len, sizeof line - 1, text);
	line[len++] = '\n';

	/* One write keeps lines of different threads apart. */
	if (write(log_fd, line, len) < 0) {
		/* Nowhere left to report a failed log write. */
	}
	errno = saved_errno;
}
