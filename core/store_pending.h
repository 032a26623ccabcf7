/*
 * Retry queue of the store's log-line transaction, for core/store.c only.
 *
 * The writes that join that transaction through store_batch_step() (log
 * lines, truncation markers, error signature counts, log file read
 * positions, and metrics written inside a group) are kept as SQL text with
 * their parameters filled in (sqlite3_expanded_sql()). When the commit
 * fails, the rows stay in the queue, and the next transaction runs them
 * again, in order, before any new write, so a failed commit loses none of
 * them. A commit that succeeds empties the queue.
 *
 * The queue is bounded by rows_max rows and STORE_PENDING_BYTES_MAX bytes.
 * Once it is full it keeps the oldest rows and does not keep newer ones,
 * which are then lost if their transaction fails, and counted as dropped.
 * Keeping the oldest rows means a retry stores the writes up to one moment
 * and none after it, so the read position of a log file stored with them
 * never passes the lines stored before it.
 * NOTE: sqlite3_expanded_sql() writes a REAL parameter with 15 significant
 * digits, so a metric stored by a retry can differ from the value reported
 * in its last digits.
 */
#ifndef WK_STORE_PENDING_H
#define WK_STORE_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_PENDING_ROWS_MAX 20000                  /* default rows_max */
#define STORE_PENDING_BYTES_MAX ((size_t)16 << 20)    /* bytes of SQL text */

struct store_pending {
	char **rows;        /* SQL of each row, oldest first; each from
			       sqlite3_malloc(), array owned */
	size_t count;       /* rows in use */
	size_t capacity;    /* entries allocated in rows */
	size_t bytes;       /* bytes of SQL text in rows */
	size_t rows_max;    /* cap on count */
	int64_t unkept;     /* writes of the open transaction not kept because
			       the queue was full or memory ran out */
	int64_t dropped;    /* rows lost since the queue last emptied */
	int64_t failures;   /* failed transactions since the queue last
			       emptied */
	int warned;         /* a warning that rows wait is out */
};

/* Sets up an empty queue with the default cap. */
void store_pending_init(struct store_pending *p);

/* Frees the rows and the array. */
void store_pending_free(struct store_pending *p);

/*
 * Appends a copy of stmt with its bound parameters, to call before stmt
 * runs. Returns 0, or -1 when the queue is full or memory runs out, in
 * which case the write is counted in unkept.
 */
int store_pending_keep(struct store_pending *p, sqlite3_stmt *stmt);

/* Removes the last row kept, for a write that failed and was not applied. */
void store_pending_forget_last(struct store_pending *p);

/* Empties the queue after a commit stored every row, keeping rows_max. */
void store_pending_clear(struct store_pending *p);

/*
 * Runs every row on db inside its open transaction. A row that fails with
 * a busy, locked, full, I/O or out-of-memory error stops the replay, and
 * the SQLite result code is returned with the rows left in place. A row
 * that fails otherwise (a constraint such as the stage run it belongs to
 * having been deleted) can never succeed: it is logged for the store at
 * path, removed and counted as dropped. Returns SQLITE_OK when every row
 * left ran.
 */
int store_pending_replay(struct store_pending *p, sqlite3 *db,
			 const char *path);

/* Returns whether a retry can succeed after an error with result code code. */
int store_pending_transient(int code);

#endif
