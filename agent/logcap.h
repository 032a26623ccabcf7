/*
 * Log capture of one stream (stdout or stderr) of one stage run: splits the
 * bytes a stage writes into lines, writes them raw to the stream's log file,
 * and stores a sanitized copy of each line with an error flag.
 */
#ifndef WK_LOGCAP_H
#define WK_LOGCAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

struct logcap {
	struct store *store;          /* where lines go, not owned */
	int64_t stage_run_id;         /* stage_runs.id of the lines */
	enum store_stream stream;     /* stdout or stderr */
	int file_fd;                  /* raw log file, -1 when none; owned */
	int64_t line_no;              /* lines stored so far */
	int64_t error_lines;          /* lines flagged as errors */
	uint64_t bytes;               /* bytes received */
	size_t partial_len;           /* bytes of an unfinished line */
	char partial[STORE_LOG_LINE_MAX]; /* the unfinished line */
	char last_error[STORE_TEXT_MAX];  /* last line flagged as an error */
};

/*
 * Prepares capture into store and the file at path (created or truncated,
 * mode 0600; NULL for no file). Returns WK_OK or WK_ERR_IO.
 */
int logcap_init(struct logcap *cap, struct store *store, int64_t stage_run_id,
		enum store_stream stream, const char *path);

/* Feeds n bytes read from the stream. */
void logcap_feed(struct logcap *cap, const char *data, size_t n);

/* Stores an unfinished last line and closes the file. */
void logcap_finish(struct logcap *cap);

/*
 * Tells whether a sanitized line reads as an error: a word such as error,
 * fatal, panic, traceback or exception, or a word ending in Error or
 * Exception (ValueError), unless "0" or "no" comes right before it.
 */
int logcap_is_error(const char *line);

#endif
