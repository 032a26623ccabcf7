#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config_logs.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/store_logs.h"
#include "core/text.h"

/* Signature under which errors past LOGCAP_SIGNATURES_MAX are counted. */
#define LOGCAP_OTHER_SIGNATURE "(other error signatures)"
#define LOGCAP_CUT_NOTE_MAX 48   /* bytes of the note after a cut line */

int
logcap_init(struct logcap *cap, struct store *store, int64_t stage_run_id,
	    enum store_stream stream, const char *path)
{
	struct cfg_logs defaults;

	memset(cap, 0, sizeof *cap);
	cap->store = store;
	cap->stage_run_id = stage_run_id;
	cap->stream = stream;
	cap->file_fd = -1;
	cap->head_ends_line = 1;
	cap->committed_ns = cap->tail_stored_ns = clk_mono_ns();
	cfg_logs_defaults(&defaults);
	logcap_set_limits(cap, &defaults);
	if (path == NULL)
		return WK_OK;

	cap->file_path = strdup(path);
	return cap->file_path == NULL ? WK_ERR_NOMEM : WK_OK;
}

/*
 * Creates the log file at the stream's first byte. Returns its descriptor,
 * or -1 when there is no file.
 */
static int
logcap_open_file(struct logcap *cap)
{
	if (cap->file_fd >= 0 || cap->file_path == NULL)
		return cap->file_fd;

	cap->file_fd = open(cap->file_path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (cap->file_fd < 0)
		LOG(LL_WARN, _("stage run %lld: cannot create the log file %s: "
		    "%s; the lines go to the store only"),
		    (long long)cap->stage_run_id, cap->file_path,
		    strerror(errno));
	free(cap->file_path);
	cap->file_path = NULL;
	return cap->file_fd;
}

void
logcap_set_limits(struct logcap *cap, const struct cfg_logs *limits)
{
	cap->limits = *limits;
	ring_bytes_free(&cap->file_tail);
	ring_lines_free(&cap->tail);
	ring_bytes_init(&cap->file_tail, (size_t)limits->file_tail_bytes);
	ring_lines_init(&cap->tail, (size_t)limits->tail_lines,
	    (size_t)limits->tail_bytes);
}

int
logcap_is_error(const char *line)
{
	return logsig_is_error(line);
}

static uint64_t
logcap_hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/* Finds or adds the entry of a signature; NULL without memory. */
static struct logcap_signature *
logcap_signature_entry(struct logcap *cap, const char *text)
{
	uint64_t h = logcap_hash(text);
	struct logcap_signature *e;
	size_t i;

	if (cap->sigs == NULL) {
		cap->sigs = calloc(LOGCAP_SIGNATURES_MAX + 1, sizeof *cap->sigs);
		if (cap->sigs == NULL)
			return NULL;
	}
	for (i = 0; i < cap->n_sigs; i++) {
		e = &cap->sigs[i];
		if (e->hash == h && strcmp(e->text, text) == 0)
			return e;
	}
	if (cap->n_sigs == LOGCAP_SIGNATURES_MAX) {
		e = &cap->sigs[LOGCAP_SIGNATURES_MAX];
		snprintf(e->text, sizeof e->text, "%s", LOGCAP_OTHER_SIGNATURE);
		return e;
	}
	e = &cap->sigs[cap->n_sigs++];
	e->hash = h;
	snprintf(e->text, sizeof e->text, "%s", text);
	return e;
}

/* Counts one error under the signature of line. */
static void
logcap_count_signature(struct logcap *cap, const char *line, int64_t at)
{
	char text[LOGSIG_MAX];
	struct logcap_signature *e;

	logsig_normalize(line, cap->limits.mask_quoted, text, sizeof text);
	e = logcap_signature_entry(cap, text);
	if (e == NULL)
		return;
	if (e->pending == 0)
		e->first_at = at;
	e->pending++;
	e->last_at = at;
	text_fit(line, (size_t)-1, 0, e->sample, sizeof e->sample);
}

/* Adds the pending signature counts to the store. */
static void
logcap_store_signatures(struct logcap *cap)
{
	struct logcap_signature *e;
	size_t i;

	for (i = 0; cap->sigs != NULL && i <= LOGCAP_SIGNATURES_MAX; i++) {
		e = &cap->sigs[i];
		if (e->pending == 0)
			continue;
		if (store_logs_signature_add(cap->store, cap->stage_run_id,
		    e->text, e->sample, e->pending, e->first_at, e->last_at) !=
		    WK_OK && cap->store_failed++ == 0)
			LOG(LL_WARN, _("stage run %lld: %lld errors of signature "
			    "\"%s\" were not counted"),
			    (long long)cap->stage_run_id, (long long)e->pending,
			    e->text);
		e->pending = 0;
	}
}

/* Stores the tail held in memory in place of the one stored before. */
static void
logcap_store_tail(struct logcap *cap)
{
	const struct ring_lines *tail = &cap->tail;
	char text[STORE_LOG_LINE_MAX + 1];
	struct ring_line meta;
	int64_t marker_at = cap->feed_at;
	size_t i;
	int rc;

	if (tail->count > 0) {
		ring_lines_get(tail, 0, &meta, text, sizeof text);
		marker_at = meta.at;
	}
	rc = store_logs_clear_after(cap->store, cap->stage_run_id, cap->stream,
	    cap->limits.head_lines);
	if (rc == WK_OK && tail->dropped_lines > 0)
		rc = store_logs_marker(cap->store, cap->stage_run_id,
		    cap->stream, cap->limits.head_lines + 1, marker_at,
		    (int64_t)tail->dropped_lines, (int64_t)tail->dropped_bytes);
	for (i = 0; rc == WK_OK && i < tail->count; i++) {
		size_t n = ring_lines_get(tail, i, &meta, text, sizeof text);

		rc = store_log_append(cap->store, cap->stage_run_id,
		    cap->stream, meta.line_no, meta.at, text, n, meta.is_error);
	}
	if (rc != WK_OK && cap->store_failed++ == 0)
		LOG(LL_WARN, _("stage run %lld: storing the last lines of the "
		    "output failed"), (long long)cap->stage_run_id);
	cap->tail_dirty = 0;
}

/* Sanitizes a line into clean; a cut line ends with its full length. */
static size_t
logcap_clean(const char *line, size_t len, uint64_t cut, char *clean,
	     size_t size)
{
	size_t n;

	if (cut == 0)
		return text_sanitize(line, len, clean, size);
	n = text_sanitize(line, len, clean, size - LOGCAP_CUT_NOTE_MAX);
	n += (size_t)snprintf(clean + n, size - n, " [cut from %llu bytes]",
	    (unsigned long long)(len + cut));
	return n;
}

/* Stores a line of the head, or keeps a later one in the tail ring. */
static void
logcap_keep(struct logcap *cap, const char *clean, size_t n, int is_error,
	    uint64_t raw_len)
{
	struct ring_line meta;

	if (cap->line_no <= cap->limits.head_lines) {
		if (store_log_append(cap->store, cap->stage_run_id, cap->stream,
		    cap->line_no, cap->feed_at, clean, n, is_error) != WK_OK &&
		    cap->store_failed++ == 0)
			LOG(LL_WARN, _("stage run %lld: log line %lld was not "
			    "stored; later failures are counted"),
			    (long long)cap->stage_run_id,
			    (long long)cap->line_no);
		return;
	}
	meta.line_no = cap->line_no;
	meta.at = cap->feed_at;
	meta.raw_len = raw_len;
	meta.is_error = is_error;
	if (ring_lines_push(&cap->tail, &meta, clean, n) != WK_OK &&
	    !cap->nomem_logged) {
		LOG(LL_WARN, _("stage run %lld: out of memory for the last "
		    "lines; they are counted as not stored"),
		    (long long)cap->stage_run_id);
		cap->nomem_logged = 1;
	}
	cap->tail_dirty = 1;
}

/* Handles one complete line (without its newline). */
static void
logcap_line(struct logcap *cap, const char *line, size_t len,
	    uint64_t raw_len, uint64_t cut)
{
	char clean[STORE_LOG_LINE_MAX + 1];
	struct logsig_verdict v;
	size_t n;

	n = logcap_clean(line, len, cut, clean, sizeof clean);
	logsig_classify(&cap->block, clean, &v);
	cap->line_no++;
	if (v.is_error) {
		cap->error_lines++;
		text_fit(clean, STORE_TEXT_MAX / 2, 0, cap->last_error,
		    sizeof cap->last_error);
	}
	if (v.group_line != NULL)
		logcap_count_signature(cap, v.group_line, cap->feed_at);
	logcap_keep(cap, clean, n, v.is_error, raw_len);
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

static uint64_t
logcap_count_newlines(const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t count = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		count++;
		p++;
	}
	return count;
}

/* Writes the head of the log file, and keeps what follows in the ring. */
static void
logcap_file(struct logcap *cap, const char *data, size_t n)
{
	uint64_t limit = (uint64_t)cap->limits.file_head_bytes;
	size_t take = 0;

	if (n == 0 || logcap_open_file(cap) < 0)
		return;
	if (cap->file_head < limit)
		take = limit - cap->file_head < n ?
		    (size_t)(limit - cap->file_head) : n;
	if (take > 0) {
		logcap_write_file(cap, data, take);
		cap->file_head += take;
		cap->file_head_newlines += logcap_count_newlines(data, take);
		cap->head_ends_line = data[take - 1] == '\n';
	}
	if (n > take && ring_bytes_push(&cap->file_tail, data + take,
	    n - take) != WK_OK && !cap->nomem_logged) {
		LOG(LL_WARN, _("stage run %lld: out of memory for the end of "
		    "the log file; it keeps only its first %llu bytes"),
		    (long long)cap->stage_run_id,
		    (unsigned long long)cap->file_head);
		cap->nomem_logged = 1;
	}
}

/* Appends bytes of the current line, counting what does not fit. */
static void
logcap_append(struct logcap *cap, const char *data, size_t n)
{
	size_t room = sizeof cap->partial - cap->partial_len;
	size_t take = n < room ? n : room;

	memcpy(cap->partial + cap->partial_len, data, take);
	cap->partial_len += take;
	cap->partial_cut += n - take;
	cap->partial_raw += n;
}

/* Ends the current line; raw_extra bytes (the newline) belong to it. */
static void
logcap_end_line(struct logcap *cap, uint64_t raw_extra)
{
	logcap_line(cap, cap->partial, cap->partial_len,
	    cap->partial_raw + raw_extra, cap->partial_cut);
	cap->partial_len = 0;
	cap->partial_raw = 0;
	cap->partial_cut = 0;
}

/*
 * A carriage return before a byte other than CR or LF starts the line
 * over, as a terminal redraws it. The bytes before it still count in the
 * line's raw size.
 */
static void
logcap_after_cr(struct logcap *cap, char next)
{
	cap->cr_pending = 0;
	if (next != '\n' && next != '\r') {
		cap->partial_len = 0;
		cap->partial_cut = 0;
	}
}

/* Splits data into lines. */
static void
logcap_split(struct logcap *cap, const char *data, size_t n)
{
	const char *end = data + n, *nl, *cr, *stop;

	while (data < end) {
		if (cap->cr_pending)
			logcap_after_cr(cap, *data);
		nl = memchr(data, '\n', (size_t)(end - data));
		stop = nl != NULL ? nl : end;
		cr = memchr(data, '\r', (size_t)(stop - data));
		if (cr != NULL)
			stop = cr;
		logcap_append(cap, data, (size_t)(stop - data));
		if (stop == end)
			return;

		data = stop + 1;
		if (*stop == '\n') {
			cap->newlines++;
			logcap_end_line(cap, 1);
			continue;
		}
		cap->partial_raw++;
		cap->cr_pending = 1;
	}
}

void
logcap_feed(struct logcap *cap, const char *data, size_t n)
{
	int64_t now;

	if (cap->store == NULL || n == 0)
		return;
	cap->bytes += n;
	/*
	 * Times never go back within a stream, even when the clock does, so
	 * that readers who page in time order see each stream in line order.
	 */
	now = clk_wall_ms();
	if (now > cap->feed_at)
		cap->feed_at = now;
	logcap_file(cap, data, n);
	logcap_split(cap, data, n);
	logcap_tick(cap);
}

void
logcap_tick(struct logcap *cap)
{
	int64_t now;

	if (cap->store == NULL)
		return;
	now = clk_mono_ns();
	if (cap->tail_dirty &&
	    now - cap->tail_stored_ns >= LOGCAP_TAIL_STORE_MS * INT64_C(1000000)) {
		logcap_store_tail(cap);
		cap->tail_stored_ns = now;
	}
	if (now - cap->committed_ns >= LOGCAP_COMMIT_MS * INT64_C(1000000)) {
		logcap_store_signatures(cap);
		store_flush_unless_grouped(cap->store);
		cap->committed_ns = now;
	}
}

/* Writes the kept end of the log file after a marker line. */
static void
logcap_finish_file(struct logcap *cap)
{
	const struct ring_bytes *tail = &cap->file_tail;
	const char *a, *b;
	size_t alen, blen;
	char marker[512];
	uint64_t lines;
	int n;

	if (tail->dropped > 0) {
		lines = cap->newlines - cap->file_head_newlines -
		    ring_bytes_count(tail, '\n');
		n = snprintf(marker, sizeof marker, _("%s[watchkeep: %llu "
		    "bytes (%llu lines) dropped here; this file keeps the "
		    "first %llu and the last %llu bytes of the output]\n"),
		    cap->head_ends_line ? "" : "\n",
		    (unsigned long long)tail->dropped,
		    (unsigned long long)lines,
		    (unsigned long long)cap->file_head,
		    (unsigned long long)tail->len);
		if (n > 0)
			logcap_write_file(cap, marker, (size_t)n < sizeof marker ?
			    (size_t)n : sizeof marker - 1);
	}
	ring_bytes_spans(tail, &a, &alen, &b, &blen);
	logcap_write_file(cap, a, alen);
	logcap_write_file(cap, b, blen);
}

/* Logs what the caps and store failures left out, once a stream ended. */
static void
logcap_log_dropped(const struct logcap *cap)
{
	const char *name = cap->stream == STORE_STDERR ? "stderr" : "stdout";

	if (cap->file_tail.dropped > 0)
		LOG(LL_INFO, _("stage run %lld: %s: the log file keeps %llu of "
		    "%llu bytes (limits logs.file_head and logs.file_tail)"),
		    (long long)cap->stage_run_id, name,
		    (unsigned long long)(cap->file_head + cap->file_tail.len),
		    (unsigned long long)cap->bytes);
	if (cap->tail.dropped_lines > 0)
		LOG(LL_INFO, _("stage run %lld: %s: the store keeps %lld of "
		    "%lld lines (limits logs.head_lines and logs.tail_lines)"),
		    (long long)cap->stage_run_id, name,
		    (long long)(cap->line_no - (int64_t)cap->tail.dropped_lines),
		    (long long)cap->line_no);
	if (cap->store_failed > 1)
		LOG(LL_WARN, _("stage run %lld: %s: %lld writes of log lines "
		    "or error counts to the store failed"),
		    (long long)cap->stage_run_id, name,
		    (long long)cap->store_failed);
}

void
logcap_finish(struct logcap *cap)
{
	const char *header;

	if (cap->store != NULL) {
		if (cap->partial_raw > 0)
			logcap_end_line(cap, 0);
		header = logsig_unfinished(&cap->block);
		if (header != NULL)
			logcap_count_signature(cap, header, cap->feed_at);
		if (cap->tail.count > 0 || cap->tail.dropped_lines > 0)
			logcap_store_tail(cap);
		logcap_store_signatures(cap);
		store_flush_unless_grouped(cap->store);
		logcap_log_dropped(cap);
	}
	if (cap->file_fd >= 0) {
		logcap_finish_file(cap);
		close(cap->file_fd);
		cap->file_fd = -1;
	}
	free(cap->file_path);
	cap->file_path = NULL;
	ring_bytes_free(&cap->file_tail);
	ring_lines_free(&cap->tail);
	free(cap->sigs);
	cap->sigs = NULL;
	cap->n_sigs = 0;
	cap->store = NULL;
}
