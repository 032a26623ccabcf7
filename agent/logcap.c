/* fallocate(2) and FALLOC_FL_PUNCH_HOLE are Linux interfaces. */
#define _GNU_SOURCE

#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config_logs.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/store_logpos.h"
#include "core/store_logs.h"
#include "core/text.h"

/* Signature under which errors past LOGCAP_SIGNATURES_MAX are counted. */
#define LOGCAP_OTHER_SIGNATURE "(other error signatures)"
#define LOGCAP_CUT_NOTE_MAX 48   /* bytes of the note after a cut line */
#define LOGCAP_READ_CHUNK 65536  /* bytes read from a log file at once */
#define LOGCAP_RESTORE_ROWS 32   /* stored tail rows read at once */
#define LOGCAP_PUNCH_MIN (1024 * 1024) /* minimum bytes made a hole at once */

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
	cap->stored_offset = -1;
	cap->head_ends_line = 1;
	cap->committed_ns = cap->tail_stored_ns = clk_mono_ns();
	cfg_logs_defaults(&defaults);
	logcap_set_limits(cap, &defaults);
	if (path == NULL)
		return WK_OK;

	cap->file_path = strdup(path);
	return cap->file_path == NULL ? WK_ERR_NOMEM : WK_OK;
}

void
logcap_set_owner(struct logcap *cap, int64_t run_id, const char *label)
{
	cap->run_id = run_id;
	snprintf(cap->label, sizeof cap->label, "%s", label != NULL ? label :
	    "");
}

int
logcap_file_path(char *out, size_t size, const char *stage_dir,
		 enum store_stream stream, int attempt)
{
	const char *name = stream == STORE_STDERR ? "stderr" : "stdout";
	int n;

	if (attempt > 1)
		n = snprintf(out, size, "%s/%s.%d.log", stage_dir, name,
		    attempt);
	else
		n = snprintf(out, size, "%s/%s.log", stage_dir, name);
	return n < 0 || (size_t)n >= size ? WK_ERR_LIMIT : WK_OK;
}

/*
 * Writes to why (size bytes) the reason that the log file at path cannot
 * be opened, errno being err.
 */
static void
logcap_open_problem(const char *path, int err, char *why, size_t size)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat sb;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		snprintf(why, size, "%s", _("it is a symbolic link, which the "
		    "agent does not follow"));
	else if (slash != NULL && lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode))
		snprintf(why, size, _("its directory %s is a symbolic link, "
		    "which the agent does not follow"), dir);
	else if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		snprintf(why, size, "%s", _("it is not a regular file"));
	else if (lstat(path, &sb) == 0 && sb.st_nlink > 1)
		snprintf(why, size, "%s", _("it has other hard links, so it is "
		    "not the stage's own file"));
	else
		snprintf(why, size, "%s", strerror(err));
}

/*
 * Logs that the log file at path could not be created (or, for reading,
 * opened), errno being err, with the run id and "pipeline/stage".
 */
static void
logcap_warn_open(const struct logcap *cap, const char *path, int err,
		 int reading)
{
	const char *label = cap->label[0] != '\0' ? cap->label : NULL;
	char why[PATH_MAX + 128];

	logcap_open_problem(path, err, why, sizeof why);
	if (reading)
		LOG_RUN(LL_WARN, cap->run_id, label, _("cannot read the log "
		    "file %s: %s; its new lines are not stored"), path, why);
	else
		LOG_RUN(LL_WARN, cap->run_id, label, _("cannot create the log "
		    "file %s: %s; the lines go to the store only"), path, why);
}

/*
 * Opens path with flags (O_NOFOLLOW and O_CLOEXEC added) in its directory,
 * which is opened with O_DIRECTORY | O_NOFOLLOW, so that a symbolic link
 * in place of either is not followed. Returns the descriptor, or -1 with
 * errno.
 */
static int
logcap_open_in_dir(const char *path, int flags)
{
	char dir[PATH_MAX];
	const char *name;
	char *slash;
	int dfd, fd, saved;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	name = path + (slash - dir) + 1;
	*slash = '\0';

	dfd = open(dir[0] != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

/*
 * Opens the log file at path for writing and empties it. A file that is
 * not a regular file with one link (a FIFO, a device, a hard link to
 * another file) is rejected before anything is written to it. O_NONBLOCK
 * keeps the open of a FIFO from waiting for a reader. Returns the
 * descriptor, or -1 with errno.
 */
static int
logcap_create(const char *path, int extra_flags)
{
	struct stat sb;
	int fd, flags;

	fd = logcap_open_in_dir(path, O_WRONLY | O_CREAT | O_NONBLOCK |
	    extra_flags);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0)
		goto fail;
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		errno = S_ISREG(sb.st_mode) ? EMLINK : EINVAL;
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
	    ftruncate(fd, 0) < 0)
		goto fail;
	return fd;

fail:
	flags = errno;
	close(fd);
	errno = flags;
	return -1;
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

	cap->file_fd = logcap_create(cap->file_path, 0);
	if (cap->file_fd < 0)
		logcap_warn_open(cap, cap->file_path, errno, 0);
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
			LOG(LL_WARN, P_("stage run %lld: %lld error of "
			    "signature \"%s\" was not counted", "stage run "
			    "%lld: %lld errors of signature \"%s\" were not "
			    "counted", (unsigned long)e->pending),
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

/* File offset just past the last complete line received. */
static int64_t
logcap_line_end(const struct logcap *cap)
{
	return cap->resumed_at + (int64_t)(cap->bytes - cap->partial_raw);
}

/*
 * Stores how far a stage's own log file was read, once every line before
 * that point is in the store. Lines kept in the tail ring are not, so
 * the position waits for the next store of the tail. The row joins the
 * open log-line transaction and is committed with the lines it counts.
 */
static void
logcap_store_position(struct logcap *cap)
{
	int64_t end;

	if (!cap->reads_file || cap->store == NULL || cap->tail_dirty)
		return;
	end = logcap_line_end(cap);
	if (end == cap->stored_offset)
		return;

	if (store_logpos_set(cap->store, cap->stage_run_id, cap->stream, end,
	    cap->line_no) != WK_OK) {
		if (cap->store_failed++ == 0)
			LOG(LL_WARN, _("stage run %lld: storing the read "
			    "position of the log file failed"),
			    (long long)cap->stage_run_id);
		return;
	}
	cap->stored_offset = end;
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
	if (!cap->reads_file)
		logcap_file(cap, data, n);
	logcap_split(cap, data, n);
	logcap_store_position(cap);
	logcap_tick(cap);
}

void
logcap_tick(struct logcap *cap)
{
	int64_t now;
	int commit_due;

	if (cap->store == NULL)
		return;
	now = clk_mono_ns();
	commit_due = now - cap->committed_ns >=
	    LOGCAP_COMMIT_MS * INT64_C(1000000);
	/* A commit of a file read stores the tail too, so that the read
	   position it commits counts every line read before it. */
	if (cap->tail_dirty && (now - cap->tail_stored_ns >=
	    LOGCAP_TAIL_STORE_MS * INT64_C(1000000) ||
	    (commit_due && cap->reads_file))) {
		logcap_store_tail(cap);
		cap->tail_stored_ns = now;
		logcap_store_position(cap);
	}
	if (commit_due) {
		logcap_store_signatures(cap);
		store_flush_unless_grouped(cap->store);
		cap->committed_ns = now;
	}
}

/*
 * Reads the new bytes of a stage's own log file, at most
 * LOGCAP_FILE_READ_MAX a turn so that the loop stays responsive. The next
 * turn comes at once while bytes are waiting, else after
 * LOGCAP_FILE_POLL_MS.
 */
static void
logcap_read_due(struct ev_loop *loop, void *arg)
{
	struct logcap *cap = arg;
	int64_t next = LOGCAP_FILE_POLL_MS * INT64_C(1000000);

	cap->read_timer = 0;
	if (logcap_read_file(cap, LOGCAP_FILE_READ_MAX))
		next = 0;
	logcap_tick(cap);
	cap->read_timer = ev_timer_at(loop, clk_mono_ns() + next,
	    logcap_read_due, cap);
}

/* Counts the newlines of n bytes read at read_offset that are in the head. */
static void
logcap_count_head(struct logcap *cap, const char *data, size_t n)
{
	uint64_t head = (uint64_t)cap->limits.file_head_bytes;
	uint64_t at = (uint64_t)cap->read_offset;

	if (at >= head)
		return;
	if (n > head - at)
		n = (size_t)(head - at);
	cap->file_head_newlines += logcap_count_newlines(data, n);
}

/*
 * Makes the bytes read past the head, except the last file_tail_bytes, a
 * hole in the file, LOGCAP_PUNCH_MIN or more at a time. A file system
 * without holes gets no second try: its file is cut when the stage ends.
 */
static void
logcap_punch(struct logcap *cap)
{
	int64_t from = cap->punched_to > cap->limits.file_head_bytes ?
	    cap->punched_to : cap->limits.file_head_bytes;
	int64_t to = cap->read_offset - cap->limits.file_tail_bytes;

	if (!cap->reads_file || to - from < LOGCAP_PUNCH_MIN)
		return;
	if (fallocate(cap->read_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)from, (off_t)(to - from)) == 0) {
		cap->punched_to = to;
		return;
	}
	LOG_RUN(LL_DEBUG, cap->run_id, cap->label[0] != '\0' ? cap->label :
	    NULL, _("stage run %lld: cannot make the middle of a log file a "
	    "hole: %s; the file is cut when the stage ends"),
	    (long long)cap->stage_run_id, strerror(errno));
	cap->punched_to = INT64_MAX;
}

int
logcap_read_file(struct logcap *cap, uint64_t max)
{
	char chunk[LOGCAP_READ_CHUNK];
	uint64_t done = 0;
	size_t want;
	ssize_t n;

	while (cap->reads_file && cap->store != NULL && done < max) {
		want = max - done < sizeof chunk ? (size_t)(max - done) :
		    sizeof chunk;
		n = pread(cap->read_fd, chunk, want, (off_t)cap->read_offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && cap->store_failed++ == 0)
			LOG_RUN(LL_WARN, cap->run_id, cap->label[0] != '\0' ?
			    cap->label : NULL, _("reading the log file of "
			    "stage run %lld failed: %s"),
			    (long long)cap->stage_run_id, strerror(errno));
		if (n <= 0)
			break;
		logcap_count_head(cap, chunk, (size_t)n);
		cap->read_offset += n;
		done += (uint64_t)n;
		logcap_feed(cap, chunk, (size_t)n);
	}
	logcap_punch(cap);
	return done >= max;
}

/* Switches to reading the file at fd from offset, and starts the reads. */
static int
logcap_begin_reading(struct logcap *cap, struct ev_loop *loop, int fd,
		     int64_t offset, int64_t delay_ms)
{
	cap->reads_file = 1;
	cap->read_fd = fd;
	cap->loop = loop;
	cap->read_offset = cap->resumed_at = offset;
	cap->read_timer = ev_timer_at(loop, clk_mono_ns() + delay_ms *
	    INT64_C(1000000), logcap_read_due, cap);
	if (cap->read_timer == 0)
		LOG_RUN(LL_WARN, cap->run_id, cap->label[0] != '\0' ?
		    cap->label : NULL, _("too many timers are pending; the log "
		    "file %s is read only when the stage ends"),
		    cap->file_path);
	free(cap->file_path);
	cap->file_path = NULL;
	return WK_OK;
}

int
logcap_start_file(struct logcap *cap, struct ev_loop *loop, int *child_fd)
{
	int wfd, rfd;

	*child_fd = -1;
	if (cap->file_path == NULL || cap->store == NULL)
		return WK_ERR_STATE;

	wfd = logcap_create(cap->file_path, O_APPEND);
	rfd = wfd < 0 ? -1 : logcap_open_in_dir(cap->file_path, O_RDWR);
	if (wfd < 0 || rfd < 0) {
		logcap_warn_open(cap, cap->file_path, errno, 0);
		if (wfd >= 0)
			close(wfd);
		return WK_ERR_IO;
	}
	*child_fd = wfd;
	store_logpos_set(cap->store, cap->stage_run_id, cap->stream, 0, 0);
	cap->stored_offset = 0;
	return logcap_begin_reading(cap, loop, rfd, 0, LOGCAP_FILE_POLL_MS);
}

/* Pushes one stored row of the tail back into the tail ring. */
static void
logcap_restore_row(struct logcap *cap, const struct store_logs_row *row,
		   uint64_t dropped[2])
{
	struct ring_line meta;
	size_t len = strlen(row->text);

	if (row->dropped_lines >= 0) {
		dropped[0] += (uint64_t)row->dropped_lines;
		dropped[1] += (uint64_t)row->dropped_bytes;
		return;
	}
	meta.line_no = row->line_no;
	meta.at = row->at;
	meta.raw_len = len + 1;
	meta.is_error = row->is_error;
	ring_lines_push(&cap->tail, &meta, row->text, len);
}

/*
 * Loads the stored tail of the stream (the lines after the head, and the
 * truncation marker's counts) back into the tail ring, so that the next
 * store of the tail keeps them.
 */
static int
logcap_restore_tail(struct logcap *cap)
{
	struct store_logs_query q = { cap->stage_run_id, (int)cap->stream, 0,
		{ 0, INT64_MAX, INT64_MAX } };
	uint64_t dropped[2] = { 0, 0 };  /* lines, bytes */
	struct store_logs_row *rows;
	size_t n = LOGCAP_RESTORE_ROWS, i;
	int rc = WK_OK;

	if (cap->line_no <= cap->limits.head_lines)
		return WK_OK;
	rows = calloc(LOGCAP_RESTORE_ROWS, sizeof *rows);
	if (rows == NULL)
		return WK_ERR_NOMEM;

	q.after[cap->stream] = cap->limits.head_lines;
	while (rc == WK_OK && n == LOGCAP_RESTORE_ROWS) {
		rc = store_logs_read(cap->store, &q, rows, LOGCAP_RESTORE_ROWS,
		    &n);
		for (i = 0; rc == WK_OK && i < n; i++) {
			logcap_restore_row(cap, &rows[i], dropped);
			q.after[cap->stream] = rows[i].line_no;
		}
	}
	cap->tail.dropped_lines += dropped[0];
	cap->tail.dropped_bytes += dropped[1];
	free(rows);
	return rc;
}

int
logcap_resume_file(struct logcap *cap, struct ev_loop *loop)
{
	int64_t offset, lines;
	int fd, rc;

	if (cap->file_path == NULL || cap->store == NULL)
		return WK_ERR_STATE;
	rc = store_logpos_get(cap->store, cap->stage_run_id, cap->stream,
	    &offset, &lines);
	if (rc != WK_OK)
		return rc;

	fd = logcap_open_in_dir(cap->file_path, O_RDWR);
	if (fd < 0) {
		logcap_warn_open(cap, cap->file_path, errno, 1);
		return WK_ERR_IO;
	}
	/* NOTE: error counts the earlier agent had not committed, and the
	   error block it was in, are lost, so signatures may count fewer. */
	cap->line_no = cap->resumed_lines = lines;
	cap->stored_offset = offset;
	if (logcap_restore_tail(cap) != WK_OK)
		LOG_RUN(LL_WARN, cap->run_id, cap->label[0] != '\0' ?
		    cap->label : NULL, _("cannot read the stored last lines "
		    "of stage run %lld; the next store of the last lines "
		    "replaces them"), (long long)cap->stage_run_id);
	return logcap_begin_reading(cap, loop, fd, offset, 0);
}

/* Stops the timed reads and reads what is left of the file. */
static void
logcap_stop_reading(struct logcap *cap)
{
	if (cap->read_timer != 0)
		ev_timer_cancel(cap->loop, cap->read_timer);
	cap->read_timer = 0;
	/* NOTE: what is left is read at once, so a stage that wrote much
	   faster than the reads leaves a backlog that holds up the loop. */
	logcap_read_file(cap, UINT64_MAX);
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
		/* TRANSLATORS: the form follows the count of lines. */
		n = snprintf(marker, sizeof marker, P_("%s[watchkeep: %llu "
		    "bytes (%llu line) dropped here; this file keeps the "
		    "first %llu and the last %llu bytes of the output]\n",
		    "%s[watchkeep: %llu bytes (%llu lines) dropped here; this "
		    "file keeps the first %llu and the last %llu bytes of the "
		    "output]\n", (unsigned long)lines),
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
		LOG(LL_INFO, P_("stage run %lld: %s: the store keeps %lld of "
		    "%lld line (limits logs.head_lines and logs.tail_lines)",
		    "stage run %lld: %s: the store keeps %lld of %lld lines "
		    "(limits logs.head_lines and logs.tail_lines)",
		    (unsigned long)cap->line_no),
		    (long long)cap->stage_run_id, name,
		    (long long)(cap->line_no - (int64_t)cap->tail.dropped_lines),
		    (long long)cap->line_no);
	if (cap->store_failed > 1)
		LOG(LL_WARN, _("stage run %lld: %s: %lld writes of log lines "
		    "or error counts to the store failed"),
		    (long long)cap->stage_run_id, name,
		    (long long)cap->store_failed);
}

/* Counts the newlines of the file at fd in [from, to), reading it. */
static uint64_t
logcap_count_file_newlines(int fd, int64_t from, int64_t to)
{
	char chunk[LOGCAP_READ_CHUNK];
	uint64_t count = 0;
	ssize_t n;

	while (from < to) {
		n = pread(fd, chunk, to - from < (int64_t)sizeof chunk ?
		    (size_t)(to - from) : sizeof chunk, (off_t)from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		count += logcap_count_newlines(chunk, (size_t)n);
		from += n;
	}
	return count;
}

/* Writes n bytes at offset; returns 0, or -1 with errno. */
static int
logcap_pwrite_all(int fd, const char *data, size_t n, int64_t offset)
{
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, data, n, (off_t)offset);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		n -= (size_t)w;
		offset += w;
	}
	return 0;
}

/*
 * Cuts a log file that the ended stage wrote itself, the way logcap_file()
 * and logcap_finish_file() cap a file the agent writes. The file keeps its
 * first file_head_bytes, the marker line with the bytes and lines dropped,
 * and its last file_tail_bytes, which are held in memory meanwhile.
 * NOTE: the newlines of a head read by an earlier agent are counted by
 * reading that part of the head again, which holds up the loop.
 */
static void
logcap_cut_own_file(struct logcap *cap)
{
	int64_t head = cap->limits.file_head_bytes;
	int64_t tail = cap->limits.file_tail_bytes;
	const char *name = cap->stream == STORE_STDERR ? "stderr" : "stdout";
	uint64_t lines, head_newlines = cap->file_head_newlines;
	char marker[512], last = '\n', *tail_data = NULL;
	struct stat sb;
	int n;

	if (fstat(cap->read_fd, &sb) < 0 || sb.st_size <= head + tail)
		return;
	tail_data = malloc(tail > 0 ? (size_t)tail : 1);
	if (tail_data == NULL || pread(cap->read_fd, tail_data, (size_t)tail,
	    sb.st_size - tail) != (ssize_t)tail ||
	    (head > 0 && pread(cap->read_fd, &last, 1, head - 1) != 1))
		goto out;

	head_newlines += logcap_count_file_newlines(cap->read_fd, 0,
	    cap->resumed_at < head ? cap->resumed_at : head);
	lines = (uint64_t)cap->resumed_lines + cap->newlines - head_newlines -
	    logcap_count_newlines(tail_data, (size_t)tail);
	/* TRANSLATORS: the form follows the count of lines. */
	n = snprintf(marker, sizeof marker, P_("%s[watchkeep: %llu "
	    "bytes (%llu line) dropped here; this file keeps the "
	    "first %llu and the last %llu bytes of the output]\n",
	    "%s[watchkeep: %llu bytes (%llu lines) dropped here; this "
	    "file keeps the first %llu and the last %llu bytes of the "
	    "output]\n", (unsigned long)lines),
	    last == '\n' ? "" : "\n",
	    (unsigned long long)(sb.st_size - head - tail),
	    (unsigned long long)lines, (unsigned long long)head,
	    (unsigned long long)tail);
	if (n < 0 || (size_t)n >= sizeof marker)
		n = (int)strlen(marker);
	if (ftruncate(cap->read_fd, (off_t)head) < 0 ||
	    logcap_pwrite_all(cap->read_fd, marker, (size_t)n, head) < 0 ||
	    logcap_pwrite_all(cap->read_fd, tail_data, (size_t)tail,
	    head + n) < 0) {
		LOG(LL_WARN, _("stage run %lld: %s: cutting the log file to "
		    "logs.file_head and logs.file_tail failed: %s"),
		    (long long)cap->stage_run_id, name, strerror(errno));
		goto out;
	}
	LOG(LL_INFO, _("stage run %lld: %s: the log file keeps %llu of "
	    "%llu bytes (limits logs.file_head and logs.file_tail)"),
	    (long long)cap->stage_run_id, name,
	    (unsigned long long)(head + tail),
	    (unsigned long long)sb.st_size);

out:
	free(tail_data);
}

void
logcap_finish(struct logcap *cap)
{
	const char *header;

	if (cap->reads_file)
		logcap_stop_reading(cap);
	if (cap->store != NULL) {
		if (cap->partial_raw > 0)
			logcap_end_line(cap, 0);
		header = logsig_unfinished(&cap->block);
		if (header != NULL)
			logcap_count_signature(cap, header, cap->feed_at);
		if (cap->tail.count > 0 || cap->tail.dropped_lines > 0)
			logcap_store_tail(cap);
		logcap_store_signatures(cap);
		logcap_store_position(cap);
		store_flush_unless_grouped(cap->store);
		logcap_log_dropped(cap);
	}
	if (cap->reads_file) {
		logcap_cut_own_file(cap);
		close(cap->read_fd);
		cap->reads_file = 0;
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
