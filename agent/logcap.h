/*
 * Log capture of one stream (stdout or stderr) of one stage run. It splits
 * the bytes a stage writes into lines and writes them raw to the stream's
 * log file. It stores a sanitized copy of each line with an error flag, and
 * counts error signatures (agent/logsig.h).
 *
 * Both copies are capped, so a stage that writes without end fills
 * neither memory nor disk (struct cfg_logs):
 * - the log file keeps the first file_head_bytes as they come and the last
 *   file_tail_bytes in a ring buffer, written at the end after a marker
 *   line that gives the count of bytes and lines dropped between them;
 * - the store keeps the first head_lines lines as they come and the last
 *   tail_lines lines (at most tail_bytes of text) in a ring buffer, stored
 *   every few seconds and at the end after a truncation marker row
 *   (core/store_logs.h).
 * Line numbers count every line received, so the stored tail keeps the
 * numbers the lines had in the stream. Error lines among those left out
 * still count under their signatures.
 *
 * A stage set to on_restart "adopt" writes its log files itself, so that
 * its writes do not depend on the agent's life (logcap_start_file()).
 * Capture then reads the new bytes of each file every LOGCAP_FILE_POLL_MS
 * and at the end, and stores with the lines how far the file was read
 * (core/store_logpos.h). An agent that adopts the stage after a restart
 * goes on from there (logcap_resume_file()), so each line is stored once.
 * The file caps apply to such a file too. While the stage runs, the bytes
 * read that are past the head and before the last file_tail_bytes become
 * a hole (fallocate(2) FALLOC_FL_PUNCH_HOLE), so they take no disk space
 * where the file system supports holes. At the end the file is cut to its
 * head, the marker line and its tail.
 *
 * The agent opens no log file through a symbolic link: a stage that puts
 * one in place of its log file or its stage directory gets a warning and
 * its lines go to the store only.
 *
 * A line is what comes before a newline. A carriage return followed by
 * more text starts the line over, as a terminal redraws a progress bar, so
 * such a line is stored as its last state. A line longer than
 * STORE_LOG_LINE_MAX bytes is stored cut, with the count of the bytes cut.
 */
#ifndef WK_LOGCAP_H
#define WK_LOGCAP_H

#include <stddef.h>
#include <stdint.h>

#include "agent/ev.h"
#include "agent/logsig.h"
#include "agent/ring.h"
#include "core/config.h"
#include "core/store.h"

#define LOGCAP_SIGNATURES_MAX 128   /* distinct signatures one stream counts */
#define LOGCAP_COMMIT_MS 500        /* minimum time between commits */
#define LOGCAP_TAIL_STORE_MS 2000   /* minimum time between tail stores */
#define LOGCAP_FILE_POLL_MS 250     /* interval of reads of a stage's own
				       log file */
#define LOGCAP_FILE_READ_MAX (256 * 1024) /* bytes read from it per turn */

/* Errors of one signature counted since the last write to the store. */
struct logcap_signature {
	uint64_t hash;                  /* FNV-1a of text */
	char text[LOGSIG_MAX];          /* the signature */
	char sample[STORE_TEXT_MAX];    /* the latest line, sanitized */
	int64_t pending;                /* errors not yet in the store */
	int64_t first_at;               /* ms since epoch, of the pending ones */
	int64_t last_at;                /* ms since epoch */
};

struct logcap {
	struct store *store;          /* where lines go, not owned; NULL once
					 finished */
	int64_t stage_run_id;         /* stage_runs.id of the lines */
	int64_t run_id;               /* runs.id, named in warnings; 0: none */
	char label[2 * CFG_NAME_MAX]; /* "pipeline/stage" named in warnings,
					 or "" */
	enum store_stream stream;     /* stdout or stderr */
	struct cfg_logs limits;       /* caps (logcap_set_limits()) */
	int file_fd;                  /* raw log file, -1 when none; owned */
	char *file_path;              /* log file to create at the first byte;
					 NULL once created or when none;
					 owned */
	uint64_t file_head;           /* bytes written to the file's head */
	uint64_t file_head_newlines;  /* newlines among them */
	struct ring_bytes file_tail;  /* bytes after the head, the last ones */
	struct ring_lines tail;       /* lines after the stored head */
	int64_t line_no;              /* lines received so far */
	int64_t error_lines;          /* lines flagged as errors */
	int64_t store_failed;         /* writes to the store that failed */
	uint64_t bytes;               /* bytes received */
	uint64_t newlines;            /* newlines received */
	size_t partial_len;           /* bytes of an unfinished line kept */
	uint64_t partial_raw;         /* bytes received for it, all kept or not */
	uint64_t partial_cut;         /* bytes of it past STORE_LOG_LINE_MAX */
	int64_t feed_at;              /* ms since epoch, of the current feed */
	int head_ends_line;           /* the file's head ends with a newline */
	int nomem_logged;             /* an out-of-memory warning is out */
	int cr_pending;               /* the last byte was a carriage return */
	char partial[STORE_LOG_LINE_MAX]; /* the unfinished line */
	struct logsig_block block;    /* error block the stream is in */
	struct logcap_signature *sigs; /* LOGCAP_SIGNATURES_MAX + 1 entries,
					  owned; the last counts the rest;
					  NULL before the first error */
	size_t n_sigs;                /* entries of sigs in use */
	int64_t committed_ns;         /* monotonic time of the last commit */
	int64_t tail_stored_ns;       /* monotonic time the tail was stored */
	int tail_dirty;               /* lines came to the tail since then */
	char last_error[STORE_TEXT_MAX];  /* last line flagged as an error */
	int reads_file;               /* the stage writes the log file itself
					 and capture reads it from read_fd */
	int read_fd;                  /* that file, opened to read; owned;
					 valid only when reads_file is set */
	struct ev_loop *loop;         /* loop of read_timer, not owned */
	uint64_t read_timer;          /* pending read of the file, 0: none */
	int64_t read_offset;          /* file offset of the next read */
	int64_t resumed_at;           /* file offset the reads started at */
	int64_t stored_offset;        /* file offset last stored as the read
					 position, -1 before the first */
	int64_t resumed_lines;        /* lines before resumed_at */
	int64_t punched_to;           /* file offset up to which the bytes
					 past the head are a hole */
};

/*
 * Prepares capture into store and the file at path (NULL for no file) with
 * the default caps (cfg_logs_defaults()). The file is created, or
 * truncated, with mode 0600 when the first byte comes, so a stream that
 * stays silent leaves no file. When it cannot be created, a warning is
 * logged and the lines go to the store only. Returns WK_OK or
 * WK_ERR_NOMEM.
 */
int logcap_init(struct logcap *cap, struct store *store, int64_t stage_run_id,
		enum store_stream stream, const char *path);

/* Sets the run id and "pipeline/stage" that warnings name. */
void logcap_set_owner(struct logcap *cap, int64_t run_id, const char *label);

/*
 * Writes to out (size bytes) the path of a stream's log file in
 * stage_dir: stdout.log, or stdout.N.log for attempt N > 1. Returns WK_OK,
 * or WK_ERR_LIMIT when the path does not fit.
 */
int logcap_file_path(char *out, size_t size, const char *stage_dir,
		     enum store_stream stream, int attempt);

/*
 * Creates, or empties, the log file given to logcap_init() for a stage
 * that writes it itself, and sets *child_fd to a descriptor of it opened
 * with O_WRONLY | O_APPEND | O_CLOEXEC, which the caller hands to the
 * child as its stream and then closes. The file must be a regular file
 * with one link, opened without following a symbolic link, in a directory
 * opened the same way. Stores the read position 0 and reads the file
 * from loop every LOGCAP_FILE_POLL_MS until logcap_finish(). Returns
 * WK_OK, or WK_ERR_IO after logging a warning that names the path.
 */
int logcap_start_file(struct logcap *cap, struct ev_loop *loop,
		      int *child_fd);

/*
 * Goes on reading the log file given to logcap_init(), which a stage
 * started by an earlier agent writes itself, from the read position
 * stored with its lines, and loads the stored tail back into memory.
 * Returns WK_OK, WK_ERR_NOTFOUND when no position was stored (the stage
 * wrote to pipes, so the earlier agent wrote the file), or WK_ERR_IO
 * after logging a warning that names the path.
 */
int logcap_resume_file(struct logcap *cap, struct ev_loop *loop);

/*
 * Reads up to max new bytes of the file a stage writes itself and feeds
 * them. Returns 1 when more bytes may be waiting, else 0.
 */
int logcap_read_file(struct logcap *cap, uint64_t max);

/* Replaces the caps; call it after logcap_init() and before any feed. */
void logcap_set_limits(struct logcap *cap, const struct cfg_logs *limits);

/* Feeds n bytes read from the stream. */
void logcap_feed(struct logcap *cap, const char *data, size_t n);

/*
 * Commits what was captured when the last commit is older than
 * LOGCAP_COMMIT_MS, and stores the moving tail when it is older than
 * LOGCAP_TAIL_STORE_MS, so that readers see a quiet stage's last lines.
 * logcap_feed() calls it after every read.
 * NOTE: nothing else calls it yet, so the last lines of a stage that goes
 * quiet stay uncommitted until it writes again or ends.
 */
void logcap_tick(struct logcap *cap);

/*
 * Stores an unfinished last line, the tail and the signature counts,
 * writes the file's tail and closes the file, and frees the buffers. When
 * the stage writes the file itself, first reads what is left of it and
 * stores the final read position, then cuts the file to the caps. The cut
 * moves the file's bytes, so call it only once the stage has ended. Safe
 * to call twice, and on a zeroed struct with file_fd -1.
 */
void logcap_finish(struct logcap *cap);

/* The same test as logsig_is_error(), kept for existing callers. */
int logcap_is_error(const char *line);

#endif
