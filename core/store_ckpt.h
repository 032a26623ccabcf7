/*
 * Background checkpoints of the store's write-ahead log. With WAL, SQLite
 * copies the log back into the database file (a checkpoint) in the commit
 * that takes the log past a size, and flushes both files to disk there:
 * milliseconds in the event loop at a random commit. A checkpointer does
 * that work in a thread of its own, on a connection of its own, and the
 * writer's commits only append to the log.
 */
#ifndef WK_CORE_STORE_CKPT_H
#define WK_CORE_STORE_CKPT_H

#include <sqlite3.h>

#include "core/rc.h"

#define STORE_CKPT_PAGES 1000      /* log pages that start a checkpoint,
				      as SQLite's own default */
#define STORE_CKPT_RETRY_MS 1000   /* least time between two attempts
				      while the log stays long */
#define STORE_CKPT_WRITER_FACTOR 8 /* log this many times the start size
				      is checkpointed by the writer */

struct store_ckpt;

/*
 * Starts checkpointing the database at path, written by the connection
 * writer, in a thread, from when its log contains pages pages (0:
 * STORE_CKPT_PAGES). Turns off the writer's own checkpoints. Returns NULL
 * with err set when the thread or its connection cannot start; the writer
 * then keeps checkpointing by itself.
 */
struct store_ckpt *store_ckpt_start(const char *path, sqlite3 *writer,
				    int pages, struct wk_err *err);

/* Checkpoints done so far; for tests. */
long store_ckpt_count(struct store_ckpt *c);

/*
 * Stops the thread, waiting for a checkpoint in progress, and gives the
 * writer its own checkpoints back. NULL is ignored.
 */
void store_ckpt_stop(struct store_ckpt *c);

#endif
