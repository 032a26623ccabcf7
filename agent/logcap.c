#include "logcap.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/text.h"

int
logcap_init(struct logcap *cap, struct store *store, int64_t stage_run_id,
	    enum store_stream stream, const char *path)
{
	memset(cap, 0, sizeof *cap);
	cap->store = store;
	cap->stage_run_id = stage_run_id;
	cap->stream = stream;
	cap->file_fd = -1;
	if (path == NULL)
		return WK_OK;

	cap->file_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	return cap->file_fd < 0 ? WK_ERR_IO : WK_OK;
}

static int
logcap_word_is(const char *word, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(word, name, len) == 0;
}

static int
logcap_word_ends(const char *word, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strncasecmp(word + len - n, suffix, n) == 0;
}

/* Tells whether one word marks an error line. */
static int
logcap_error_word(const char *word, size_t len)
{
	static const char *const words[] = {
		"fatal", "critical", "crit", "panic", "traceback", "failed",
		"failure", "abort", "aborted", "emerg", "alert",
	};
	size_t i;

	if (logcap_word_ends(word, len, "error") ||
	    logcap_word_ends(word, len, "errors") ||
	    logcap_word_ends(word, len, "exception") ||
	    logcap_word_is(word, len, "err"))
		return 1;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (logcap_word_is(word, len, words[i]))
			return 1;
	}
	return 0;
}

int
logcap_is_error(const char *line)
{
	const char *p = line, *prev = NULL;
	size_t prev_len = 0;

	while (*p != '\0') {
		const char *start;
		size_t len;

		while (*p != '\0' && !isalnum((unsigned char)*p))
			p++;
		start = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		len = (size_t)(p - start);
		if (len == 0)
			break;
		if (logcap_error_word(start, len) &&
		    !(prev != NULL && (logcap_word_is(prev, prev_len, "0") ||
		    logcap_word_is(prev, prev_len, "no"))))
			return 1;
		prev = start;
		prev_len = len;
	}
	return 0;
}

/* Stores one complete line (without its newline). */
static void
logcap_line(struct logcap *cap, const char *line, size_t len)
{
	char clean[STORE_LOG_LINE_MAX + 1];
	size_t n;
	int is_error;

	n = text_sanitize(line, len, clean, sizeof clean);
	is_error = logcap_is_error(clean);
	cap->line_no++;
	if (is_error) {
		cap->error_lines++;
		text_fit(clean, STORE_TEXT_MAX / 2, 0, cap->last_error,
		    sizeof cap->last_error);
	}
	if (store_log_append(cap->store, cap->stage_run_id, cap->stream,
	    cap->line_no, clk_wall_ms(), clean, n, is_error) != WK_OK)
		LOG(LL_WARN, _("stage run %lld: log line %lld was not stored"),
		    (long long)cap->stage_run_id, (long long)cap->line_no);
}

static void
logcap_write_file(struct logcap *cap, const char *data, size_t n)
{
	ssize_t w;

	while (cap->file_fd >= 0 && n > 0) {
		w = write(cap->file_fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			LOG(LL_WARN, _("stage run %lld: writing the log file "
			    "failed: %s; the rest goes to the store only"),
			    (long long)cap->stage_run_id, strerror(errno));
			close(cap->file_fd);
			cap->file_fd = -1;
			return;
		}
		data += w;
		n -= (size_t)w;
	}
}

void
logcap_feed(struct logcap *cap, const char *data, size_t n)
{
	const char *end = data + n, *nl;

	cap->bytes += n;
	logcap_write_file(cap, data, n);
	while (data < end) {
		size_t room = sizeof cap->partial - cap->partial_len;
		size_t take;

		nl = memchr(data, '\n', (size_t)(end - data));
		take = (size_t)((nl != NULL ? nl : end) - data);
		if (take > room)
			take = room;
		memcpy(cap->partial + cap->partial_len, data, take);
		cap->partial_len += take;
		data += take;

		/* A full buffer ends the line early; the rest follows. */
		if ((nl != NULL && data == nl) ||
		    cap->partial_len == sizeof cap->partial) {
			logcap_line(cap, cap->partial, cap->partial_len);
			cap->partial_len = 0;
			if (nl != NULL && data == nl)
				data++;
		}
	}
}

void
logcap_finish(struct logcap *cap)
{
	if (cap->partial_len > 0) {
		logcap_line(cap, cap->partial, cap->partial_len);
		cap->partial_len = 0;
	}
	if (cap->file_fd >= 0) {
		close(cap->file_fd);
		cap->file_fd = -1;
	}
}
