/*
 * The SQLite store: runs, stage runs, their log lines and metrics.
 *
 * One process writes (the agent, opened with STORE_READ_WRITE); every other
 * reader opens it with STORE_READ_ONLY. The database runs in WAL mode, so
 * readers never block the writer, and every connection waits up to
 * STORE_BUSY_TIMEOUT_MS for a lock before it reports WK_ERR_BUSY.
 *
 * The schema is versioned by PRAGMA user_version and changed only through
 * the numbered migrations in store_schema.c. A writer migrates an older
 * store when it opens it; a store newer than this program is rejected
 * without being touched.
 *
 * Log lines are buffered in one open write transaction, which
 * store_flush() commits; every other write first commits that transaction
 * and then runs on its own, so state changes are durable at once. When
 * that commit fails, the log lines, error counts, log read positions and
 * grouped metrics of the transaction wait in a bounded queue, and the
 * next transaction writes them again first (store_batch_step()). Between
 * store_group_begin() and store_group_end() writes join one transaction
 * instead, which the outermost store_group_end() commits.
 * Times are milliseconds since the Unix epoch, UTC.
 */
#ifndef WK_STORE_H
#define WK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_TEXT_MAX 256        /* bytes kept of a reason or status text */
#define STORE_LOG_LINE_MAX 8192   /* bytes kept of one log line */
/*
 * Bytes the writer cuts the write-ahead log file back to when the log is
 * reset after a complete checkpoint (PRAGMA journal_size_limit). The log
 * may grow past it while a reader holds an old snapshot. Without a limit
 * SQLite only overwrites the file from the start and never shrinks it.
 * NOTE: SQLite cuts the file in the writer's first commit after the reset,
 * so the file stays long while the agent writes nothing.
 */
#define STORE_WAL_LIMIT_BYTES (INT64_C(4) << 20)

enum store_mode {
	STORE_READ_WRITE,
	STORE_READ_ONLY
};

/* States of a run, as stored in runs.state. */
#define STORE_RUN_RUNNING "running"
#define STORE_RUN_SUCCEEDED "succeeded"
#define STORE_RUN_FAILED "failed"

/* States of a stage run, as stored in stage_runs.state. */
#define STORE_STAGE_PENDING "pending"
#define STORE_STAGE_RUNNING "running"
#define STORE_STAGE_SUCCEEDED "succeeded"
#define STORE_STAGE_FAILED "failed"
#define STORE_STAGE_TIMED_OUT "timed_out"
#define STORE_STAGE_NOT_RUN "not_run"
#define STORE_STAGE_SKIPPED "skipped"        /* unchanged, outputs reused */
#define STORE_STAGE_OUT_OF_MEMORY "out_of_memory"
#define STORE_STAGE_RETRY_WAIT "retry_wait"  /* next attempt due later */

/* Streams of a log line. */
enum store_stream {
	STORE_STDOUT = 1,
	STORE_STDERR = 2
};

struct store;

/* A run of one pipeline. */
struct store_run {
	int64_t id;                       /* runs.id */
	char pipeline[64];                /* pipeline name */
	char logical_date[16];            /* YYYY-MM-DD */
	char trigger[16];                 /* "once", "schedule", ... */
	char state[16];                   /* STORE_RUN_* */
	int64_t started_at;               /* ms since epoch */
	int64_t ended_at;                 /* ms since epoch, 0 while running */
	int64_t duration_ms;              /* monotonic, -1 while running */
	char reason[STORE_TEXT_MAX];      /* why it failed, or "" */
};

/* One attempt of one stage within a run. */
struct store_stage_run {
	int64_t id;                       /* stage_runs.id */
	int64_t run_id;                   /* runs.id */
	char stage[64];                   /* stage name */
	int attempt;                      /* 1 for the first attempt */
	char state[16];                   /* STORE_STAGE_* */
	int pid;                          /* process id, 0 before start */
	int64_t started_at;               /* ms since epoch, 0 before start */
	int64_t ended_at;                 /* ms since epoch, 0 until the end */
	int64_t duration_ms;              /* monotonic, -1 until the end */
	int exit_code;                    /* -1 when killed by a signal */
	int signal;                       /* terminating signal, or 0 */
	int64_t user_cpu_ms;              /* from wait4, -1 when unknown */
	int64_t sys_cpu_ms;               /* from wait4, -1 when unknown */
	int64_t max_rss_kb;               /* from wait4, -1 when unknown */
	double progress;                  /* 0..1 from the stage, -1 if none */
	char reason[STORE_TEXT_MAX];      /* why it failed or did not run */
	char status_text[STORE_TEXT_MAX]; /* last STATUS= from the stage */
	int64_t pid_start;                /* start time of pid, clock ticks */
	int64_t heartbeat_at;             /* last WATCHDOG=1, ms, 0: none */
	int64_t retry_at;                 /* due time of this attempt, ms */
	char fingerprint[72];             /* see store_stage_plan() */
};

/* A metric reported by a stage run. */
struct store_metric {
	char name[64];   /* metric name, [A-Za-z0-9_.] */
	double value;    /* finite */
};

/*
 * Opens (and for STORE_READ_WRITE creates and migrates) the store at path.
 * Returns WK_OK with *out set, or an error with err filled.
 */
int store_open(const char *path, enum store_mode mode, struct store **out,
	       struct wk_err *err);

/* Commits pending log lines and closes the store; NULL is ignored. */
void store_close(struct store *st);

/* The schema version this program writes. */
int store_latest_version(void);

/* Reads the schema version of an open store into *version. */
int store_version(struct store *st, int *version);

/*
 * Applies the migrations up to target (at most store_latest_version()), each
 * in its own transaction. Exposed for tests that build an older store.
 */
int store_migrate(struct store *st, int target, struct wk_err *err);

/*
 * Commits buffered log lines, after writing again the rows of an earlier
 * failed commit. Returns the commit's error, or WK_ERR_STORE when SQLite
 * rolled back the transaction since the last flush, even if the rows kept
 * for a retry are then stored.
 */
int store_flush(struct store *st);

/*
 * Moves the WAL checkpoints of a read-write store to a thread of its own
 * (core/store_ckpt.h), started once the log contains pages pages (0: the
 * default), so that no commit waits for one. Without it, or when it fails
 * (err set), SQLite checkpoints in the commits as before.
 */
int store_checkpoint_in_background(struct store *st, int pages,
				   struct wk_err *err);

/* Background checkpoints done so far, or -1 without them; for tests. */
long store_checkpoints(const struct store *st);

/*
 * Commits buffered log lines unless a group is open: then the group's end
 * commits them with its writes, so a commit does not come between them.
 */
int store_flush_unless_grouped(struct store *st);

/*
 * Opens the write transaction that buffers log lines, unless it is open,
 * so that the writes of another store_AREA.c file join it. store_flush()
 * commits them together.
 */
int store_batch_begin(struct store *st);

/*
 * Opens a group of writes, which nests: until the matching
 * store_group_end(), every write joins one write transaction (with the
 * buffered log lines), opened by the first of them, instead of committing
 * on its own. A store_flush() inside the group commits what came before,
 * and the next write opens a new transaction.
 */
void store_group_begin(struct store *st);

/*
 * Closes a group; the outermost one commits. A failed commit is rolled
 * back, logged and returned. The group's rows kept for a retry (see
 * store_batch_step()) are written again by the next transaction, and its
 * other writes, such as state changes, are lost.
 */
int store_group_end(struct store *st);

/*
 * Rows of the log-line transaction waiting for a retry after a failed
 * commit, and rows dropped since the last commit that stored them all
 * (core/store_pending.h).
 */
size_t store_waiting_rows(const struct store *st);
int64_t store_dropped_rows(const struct store *st);

/* Caps the rows waiting for a retry (default STORE_PENDING_ROWS_MAX in
 * core/store_pending.h); for tests. */
void store_set_waiting_max(struct store *st, size_t rows);

/* Inserts a run in state "running"; sets *id. */
int store_run_insert(struct store *st, const char *pipeline,
		     const char *logical_date, const char *trigger,
		     int64_t started_at, int64_t *id);

/* Sets the final state of a run. reason may be NULL. */
int store_run_finish(struct store *st, int64_t run_id, const char *state,
		     int64_t ended_at, int64_t duration_ms,
		     const char *reason);

/* Inserts a stage run in the given state; sets *id. */
int store_stage_insert(struct store *st, int64_t run_id, const char *stage,
		       int attempt, const char *state, const char *reason,
		       int64_t *id);

/*
 * Marks a stage run as running with its process id and the process's start
 * time in clock ticks since boot (pid plus start time identify it).
 */
int store_stage_start(struct store *st, int64_t stage_run_id, int pid,
		      int64_t pid_start, int64_t started_at);

/* Records the time of the last heartbeat (WATCHDOG=1) of a stage run. */
int store_stage_heartbeat(struct store *st, int64_t stage_run_id, int64_t at);

/*
 * Sets the fingerprint (a hash of command, environment, settings and input
 * contents) and the time the attempt is due to start (0: now) of a stage
 * run.
 */
int store_stage_plan(struct store *st, int64_t stage_run_id,
		     const char *fingerprint, int64_t retry_at);

/*
 * Writes the end of a stage run: state, times, exit status, resource use
 * and reason, taken from the fields of result (id selects the row).
 */
int store_stage_finish(struct store *st, const struct store_stage_run *result);

/* Sets the last STATUS= text and progress (-1: unchanged) of a stage run. */
int store_stage_status(struct store *st, int64_t stage_run_id,
		       const char *status_text, double progress);

/*
 * Buffers one log line (text of len bytes, valid UTF-8 without control
 * characters) of a stage run; store_flush() commits it.
 */
int store_log_append(struct store *st, int64_t stage_run_id,
		     enum store_stream stream, int64_t line_no, int64_t at,
		     const char *text, size_t len, int is_error);

/* Sets a metric of a stage run, replacing an earlier value of the name. */
int store_metric_set(struct store *st, int64_t stage_run_id, const char *name,
		     double value, int64_t at);

/*
 * Reads up to max runs, newest first, of one pipeline (NULL: all). Returns
 * WK_OK and sets *count.
 */
int store_runs_recent(struct store *st, const char *pipeline,
		      struct store_run *runs, size_t max, size_t *count);

/* Reads up to max runs in a state (oldest first); sets *count. */
int store_runs_in_state(struct store *st, const char *state,
			struct store_run *runs, size_t max, size_t *count);

/* Reads one run by id; WK_ERR_NOTFOUND when there is none. */
int store_run_get(struct store *st, int64_t run_id, struct store_run *run);

/*
 * Reads the latest attempt of every stage of a run, in the order the
 * stages were first inserted.
 */
int store_stage_runs_latest(struct store *st, int64_t run_id,
			    struct store_stage_run *stages, size_t max,
			    size_t *count);

/* Reads the metrics of a stage run, sorted by name. */
int store_metrics_get(struct store *st, int64_t stage_run_id,
		      struct store_metric *metrics, size_t max,
		      size_t *count);

/*
 * Reads up to max log lines of a stage run (stream 0: both), starting
 * after line after_line, in order; each text is copied into lines[i] with
 * at most STORE_LOG_LINE_MAX bytes. For status displays and tests.
 */
struct store_log_line {
	int stream;                        /* enum store_stream */
	int64_t line_no;                   /* 1-based within its stream */
	int is_error;                      /* flagged as an error line */
	char text[STORE_LOG_LINE_MAX + 1]; /* NUL-terminated */
};
int store_log_lines_get(struct store *st, int64_t stage_run_id, int stream,
			int errors_only, int64_t after_line,
			struct store_log_line *lines, size_t max,
			size_t *count);

/* A declared output of a stage run, as found after its success. */
struct store_output {
	char path[1024];     /* absolute or as configured */
	int64_t size_bytes;  /* size when checked */
	int64_t mtime;       /* ms since epoch */
};

/* Records a declared output of a stage run. */
int store_output_add(struct store *st, int64_t stage_run_id,
		     const char *path, int64_t size_bytes, int64_t mtime);

/* Reads the recorded outputs of a stage run, in path order. */
int store_outputs_get(struct store *st, int64_t stage_run_id,
		      struct store_output *outputs, size_t max, size_t *count);

/*
 * Reads the last line of one stream of a stage run into *line; returns
 * WK_ERR_NOTFOUND when the stream wrote nothing.
 */
int store_log_last(struct store *st, int64_t stage_run_id, int stream,
		   struct store_log_line *line);

/* Records the schedule slot (ms since epoch) a run was started for. */
int store_run_set_scheduled(struct store *st, int64_t run_id,
			    int64_t scheduled_at);

/* Sets a finished run back to "running" for a re-run. */
int store_run_reopen(struct store *st, int64_t run_id);

/*
 * Reads the value of metric name that stage reported in the latest
 * succeeded run of pipeline other than exclude_run_id. Returns
 * WK_ERR_NOTFOUND when there is none.
 */
int store_metric_last_good(struct store *st, const char *pipeline,
			   const char *stage, const char *name,
			   int64_t exclude_run_id, double *value);

/*
 * Finds the latest succeeded attempt of pipeline/stage with the given
 * fingerprint that no later attempt may have overwritten: every later
 * attempt of the stage never started (pending, retry_wait, not_run) or
 * succeeded or was skipped with the same fingerprint. Sets its stage run
 * id, run id and attempt. Returns WK_ERR_NOTFOUND when there is none.
 */
int store_stage_find_unchanged(struct store *st, const char *pipeline,
			       const char *stage, const char *fingerprint,
			       int64_t *stage_run_id, int64_t *run_id,
			       int *attempt);

/*
 * Reads a value of the agent's own state (agent_state table) into out.
 * Returns WK_ERR_NOTFOUND when the key has none.
 */
int store_state_get(struct store *st, const char *key, char *out,
		    size_t size);

/* Sets a value of the agent's own state. */
int store_state_set(struct store *st, const char *key, const char *value);

/*
 * Records an action requested through the control socket: when, by which
 * uid and pid, the command, its arguments as JSON and the result.
 */
int store_audit(struct store *st, int64_t at, int uid, int pid,
		const char *command, const char *args, const char *result);

/*
 * Copies the store, consistently while the agent writes, into a new file
 * at dest with SQLite's online backup API (written to dest.tmp, then
 * renamed). Returns WK_OK or an error with err filled.
 */
int store_backup(struct store *st, const char *dest, struct wk_err *err);

/*
 * Tells whether a stored log line of a stage run contains text (a plain
 * substring, case-sensitive). Sets *found to 1 or 0.
 */
int store_log_contains(struct store *st, int64_t stage_run_id,
		       const char *text, int *found);

/* One succeeded attempt of a stage, for trends. */
struct store_history {
	int64_t ended_at;     /* ms since epoch */
	int64_t duration_ms;  /* monotonic duration */
	double input_bytes;   /* metric watchkeep.input_bytes, -1 if none */
	double rows_in;       /* metric rows_in, -1 if none */
};

/*
 * Reads up to max succeeded attempts of pipeline/stage ended at or after
 * since (ms since epoch), oldest first.
 */
int store_stage_history(struct store *st, const char *pipeline,
			const char *stage, int64_t since,
			struct store_history *rows, size_t max, size_t *count);

/*
 * Reads up to max succeeded runs of pipeline ended at or after since,
 * oldest first (input_bytes and rows_in are -1).
 */
int store_run_history(struct store *st, const char *pipeline, int64_t since,
		      struct store_history *rows, size_t max, size_t *count);

/*
 * Deletes up to max runs (with their stage runs, log lines, metrics and
 * outputs) that ended before `before`, oldest first, and writes their ids
 * into ids. Sets *count. Runs in progress are never deleted.
 */
int store_prune_runs(struct store *st, int64_t before, int64_t *ids,
		     size_t max, size_t *count);

/*
 * Deletes up to max log lines of stage runs that ended before `before`;
 * sets *count.
 */
int store_prune_logs(struct store *st, int64_t before, size_t max,
		     size_t *count);

/* Path the store was opened from. */
const char *store_path(const struct store *st);

struct sqlite3;
struct sqlite3_stmt;

/*
 * Returns the SQLite connection, for the store_AREA.c files that keep
 * their own tables (core/store_alerts.c). Call store_flush() before a write
 * so that buffered log lines are committed first.
 */
struct sqlite3 *store_sqlite(struct store *st);

/*
 * Logs that the SQLite call `what` failed on st, with SQLite's message,
 * and returns WK_ERR_BUSY for a busy or locked database, else WK_ERR_STORE.
 * For the store_AREA.c files.
 */
int store_sql_fail(struct store *st, const char *what);

/*
 * Runs a prepared write with its parameters bound in the log-line
 * transaction, opening it, and keeps a copy of it that the next
 * transaction writes again when the commit fails (core/store_pending.h).
 * Resets stmt. A busy, locked, full, I/O or out-of-memory error rolls the
 * transaction back with its kept rows waiting, and returns WK_OK when the
 * row itself was kept. Any other error returns as store_sql_fail() does.
 * For writes that can run again: rows that replace or add to others.
 */
int store_batch_step(struct store *st, struct sqlite3_stmt *stmt,
		     const char *what);

/* Prepares sql on st's connection into *stmt; on failure as store_sql_fail(). */
int store_sql_prepare(struct store *st, const char *sql,
		      struct sqlite3_stmt **stmt);

#endif
