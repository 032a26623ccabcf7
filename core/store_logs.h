/*
 * The store's side of capped log capture and error signatures: truncation
 * markers among the log lines, the stored tail of a stream that is
 * rewritten as it moves, signature counts per stage run, and the reads
 * behind `watchkeep logs` and `watchkeep errors`.
 *
 * Writes join the open log-line transaction (store_batch_begin()), which
 * store_flush() commits. Reads work on a read-only store.
 */
#ifndef WK_STORE_LOGS_H
#define WK_STORE_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

#define STORE_NAME_MAX 64  /* bytes of a pipeline or stage name, NUL included */

/*
 * Buffers a truncation marker at line_no of a stream: dropped_lines lines
 * of dropped_bytes bytes were received there and not stored.
 */
int store_logs_marker(struct store *st, int64_t stage_run_id,
		      enum store_stream stream, int64_t line_no, int64_t at,
		      int64_t dropped_lines, int64_t dropped_bytes);

/*
 * Deletes the lines of a stream after line after_line, so that a newer
 * copy of the stream's stored tail can replace them.
 */
int store_logs_clear_after(struct store *st, int64_t stage_run_id,
			   enum store_stream stream, int64_t after_line);

/*
 * Adds count errors of one signature, seen in a stage run between
 * first_at and last_at (ms since epoch), to the signature's totals under
 * the stage run's pipeline and stage, and to its counts for the stage
 * run. sample is one of the lines, sanitized.
 */
int store_logs_signature_add(struct store *st, int64_t stage_run_id,
			     const char *signature, const char *sample,
			     int64_t count, int64_t first_at, int64_t last_at);

/* A stage run picked by pipeline, stage, run and attempt. */
struct store_logs_target {
	int64_t run_id;                  /* runs.id */
	int64_t stage_run_id;            /* stage_runs.id */
	int attempt;                     /* 1-based */
	char pipeline[STORE_NAME_MAX];   /* pipeline name */
	char stage[STORE_NAME_MAX];      /* stage name */
	char state[16];                  /* STORE_STAGE_* */
};

/*
 * Finds a stage run of a pipeline's stage: of run run_id (0: the latest
 * run that has the stage), attempt attempt (0: the latest). Returns WK_OK,
 * WK_ERR_NOTFOUND, or a store error.
 */
int store_logs_find(struct store *st, const char *pipeline, const char *stage,
		    int64_t run_id, int attempt, struct store_logs_target *out);

/* Reads the state of a stage run into state (size bytes). */
int store_logs_state(struct store *st, int64_t stage_run_id, char *state,
		     size_t size);

/* Reads up to max names of the pipelines that have runs, sorted. */
int store_logs_pipelines(struct store *st, char (*names)[STORE_NAME_MAX],
			 size_t max, size_t *count);

/* Reads up to max names of the stages a pipeline has run, sorted. */
int store_logs_stages(struct store *st, const char *pipeline,
		      char (*names)[STORE_NAME_MAX], size_t max,
		      size_t *count);

/* A selection of the lines of a stage run. */
struct store_logs_query {
	int64_t stage_run_id;  /* stage_runs.id */
	int stream;            /* enum store_stream, or 0 for both */
	int errors_only;       /* error lines and truncation markers only */
	int64_t after[3];      /* per stream (index 1 stdout, 2 stderr): read
				  lines after this line number */
};

/* A log line, or a truncation marker, as read back. */
struct store_logs_row {
	int stream;                        /* enum store_stream */
	int64_t line_no;                   /* 1-based within its stream */
	int64_t at;                        /* ms since epoch, received */
	int is_error;                      /* flagged as an error line */
	int64_t dropped_lines;             /* marker: lines left out; else -1 */
	int64_t dropped_bytes;             /* marker: bytes left out; else 0 */
	char text[STORE_LOG_LINE_MAX + 1]; /* NUL-terminated */
};

/*
 * Reads up to max rows after the query's line numbers, in the order they
 * were received. Returns WK_OK and sets *count.
 */
int store_logs_read(struct store *st, const struct store_logs_query *q,
		    struct store_logs_row *rows, size_t max, size_t *count);

/*
 * Sets q->after so that store_logs_read() goes on with the last n rows of
 * the query (from after 0), or with the rows that come later when n is 0.
 */
int store_logs_seek_last(struct store *st, struct store_logs_query *q,
			 int64_t n);

/* An error signature with its counts. */
struct store_logs_signature {
	char pipeline[STORE_NAME_MAX];   /* pipeline name */
	char stage[STORE_NAME_MAX];      /* stage name */
	char signature[STORE_TEXT_MAX];  /* masked first line */
	char sample[STORE_TEXT_MAX];     /* latest line as written, sanitized */
	int64_t count;                   /* errors since the start of the window */
	int64_t total;                   /* errors, all time */
	int64_t stage_runs;              /* stage runs with it in the window */
	int64_t first_seen;              /* ms since epoch, all time */
	int64_t last_seen;               /* ms since epoch */
	int64_t last_stage_run_id;       /* 0 when that stage run was deleted */
	int64_t last_run_id;             /* its run, or 0 */
};

/*
 * Reads up to max signatures seen since since_ms (0: all time) of one
 * pipeline (NULL: all), most frequent in the window first.
 */
int store_logs_signatures_top(struct store *st, int64_t since_ms,
			      const char *pipeline,
			      struct store_logs_signature *rows, size_t max,
			      size_t *count);

#endif
