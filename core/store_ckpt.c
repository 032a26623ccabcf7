#include "store_ckpt.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"

struct store_ckpt {
	sqlite3 *writer;          /* the writer's connection, not owned */
	sqlite3 *db;              /* the thread's own connection, owned */
	char *path;               /* database path, owned, for the log */
	int pages;                /* log pages that start a checkpoint */
	pthread_t thread;         /* runs store_ckpt_main() */
	pthread_mutex_t lock;     /* guards the fields below */
	pthread_cond_t wake;      /* signalled when due or stop is set */
	pthread_cond_t idle;      /* signalled when a checkpoint ends */
	int running;              /* the thread is in a checkpoint */
	int due;                  /* a checkpoint was requested */
	int stop;                 /* the thread must end */
	long done;                /* checkpoints finished */
	int error;                /* SQLite code of the last failure, or 0 */
	int error_logged;         /* the writer logged that error */
	int64_t requested_ns;         /* monotonic time of the last request */
	int requested_pages;          /* log pages at the last request */
	int copied;               /* log frames the last checkpoint left
				     copied, -1 before the first */
};

/*
 * Runs checkpoints on request until stopped. A checkpoint that
 * copied more frames than the last one, but not the whole log, because
 * the writer committed meanwhile, is followed by another at once: the log
 * is reset only once a checkpoint has caught up with it.
 */
static void *
store_ckpt_main(void *arg)
{
	struct store_ckpt *c = arg;
	int rc, log, copied;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		if (!c->due) {
			pthread_cond_wait(&c->wake, &c->lock);
			continue;
		}
		c->due = 0;
		c->running = 1;
		pthread_mutex_unlock(&c->lock);
		log = copied = 0;
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		pthread_mutex_lock(&c->lock);
		c->running = 0;
		pthread_cond_broadcast(&c->idle);
		c->done++;
		/* Another checkpoint in progress is not a failure. */
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			c->error = rc;
		if (rc == SQLITE_OK && copied < log && copied != c->copied)
			c->due = 1;
		c->copied = copied;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * Checkpoints in the writer's commit, as without the thread, once the log
 * is STORE_CKPT_WRITER_FACTOR times the start size: a writer faster than
 * the thread's disk flushes waits for the thread's checkpoint to end, so
 * the log stays bounded.
 */
static void
store_ckpt_in_writer(struct store_ckpt *c, sqlite3 *db, const char *name)
{
	pthread_mutex_lock(&c->lock);
	while (c->running)
		pthread_cond_wait(&c->idle, &c->lock);
	c->running = 1;
	pthread_mutex_unlock(&c->lock);

	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
	    NULL);

	pthread_mutex_lock(&c->lock);
	c->running = 0;
	pthread_mutex_unlock(&c->lock);
}

/*
 * Runs in the writer after each commit, with the pages now in the log:
 * requests a checkpoint from the thread when the log is long. While a
 * reader keeps the log from being reset it only grows, and then it
 * requests one at most once per STORE_CKPT_RETRY_MS.
 */
static int
store_ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_ckpt *c = arg;
	int64_t now;
	int error = 0;

	if (pages < c->pages)
		return SQLITE_OK;
	if (pages >= c->pages * STORE_CKPT_WRITER_FACTOR)
		store_ckpt_in_writer(c, db, name);

	now = clk_mono_ns();
	pthread_mutex_lock(&c->lock);
	if (!c->due && (pages <= c->requested_pages || now - c->requested_ns >=
	    STORE_CKPT_RETRY_MS * INT64_C(1000000))) {
		c->due = 1;
		c->requested_ns = now;
		c->requested_pages = pages;
		pthread_cond_signal(&c->wake);
	}
	if (c->error != 0 && !c->error_logged) {
		error = c->error;
		c->error_logged = 1;
	}
	pthread_mutex_unlock(&c->lock);
	if (error != 0)
		LOG(LL_WARN, _("store %s: a background checkpoint failed: %s; "
		    "the write-ahead log grows until one succeeds"), c->path,
		    sqlite3_errstr(error));
	return SQLITE_OK;
}

/* Frees what store_ckpt_start() set up, once the thread has ended. */
static void
store_ckpt_free(struct store_ckpt *c)
{
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->idle);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}

/* Opens the thread's connection; SQLite error code on failure. */
static int
store_ckpt_open(struct store_ckpt *c)
{
	int rc;

	rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL,
		    NULL, NULL);
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(c->db, 1000);
	return rc;
}

/* Starts the thread with every signal blocked, so none is handled there. */
static int
store_ckpt_spawn(struct store_ckpt *c)
{
	sigset_t all, saved;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	rc = pthread_create(&c->thread, NULL, store_ckpt_main, c);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return rc;
}

struct store_ckpt *
store_ckpt_start(const char *path, sqlite3 *writer, int pages,
		 struct wk_err *err)
{
	struct store_ckpt *c = calloc(1, sizeof *c);
	int rc;

	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		return NULL;
	}
	c->writer = writer;
	c->pages = pages > 0 ? pages : STORE_CKPT_PAGES;
	c->copied = -1;
	c->requested_ns = clk_mono_ns() - STORE_CKPT_RETRY_MS * INT64_C(1000000);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->idle, NULL);

	rc = store_ckpt_open(c);
	if (rc != SQLITE_OK) {
		wk_err_set(err, WK_ERR_STORE, _("store %s: cannot open the "
		    "checkpoint connection: %s"), path, sqlite3_errstr(rc));
		goto fail;
	}
	rc = store_ckpt_spawn(c);
	if (rc != 0) {
		wk_err_set(err, WK_ERR_NOMEM, _("store %s: cannot start the "
		    "checkpoint thread: %s"), path, strerror(rc));
		goto fail;
	}
	sqlite3_wal_hook(writer, store_ckpt_hook, c);
	return c;

fail:
	store_ckpt_free(c);
	return NULL;
}

long
store_ckpt_count(struct store_ckpt *c)
{
	long n;

	pthread_mutex_lock(&c->lock);
	n = c->done;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
store_ckpt_stop(struct store_ckpt *c)
{
	if (c == NULL)
		return;

	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);

	sqlite3_wal_autocheckpoint(c->writer, STORE_CKPT_PAGES);
	store_ckpt_free(c);
}
