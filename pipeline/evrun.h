/*
 * External sort of the events of `churn ingest` in bounded memory.
 *
 * The memory is split into two halves, and records go into one of them.
 * When it is full, a spill thread sorts it by user, time, event name,
 * value and row offset and appends it as a run to a spill file beside
 * the output (or hands it to a sink, below). Meanwhile the records go
 * on into the other half. The spill file is
 * unlinked as soon as it is created, so that nothing is left behind when
 * the process dies. At the end the last half stays in memory, and a
 * k-way merge over a binary heap returns all records in order. A log
 * that fits one half never touches the disk.
 *
 * A run is sorted in place. A run whose users come in order, as in a log
 * grouped by user, only has each user's records sorted by time where
 * they are not in order already. Any other run is first grouped by user
 * with an in-place radix sort, 11 bits of the user index a pass, and
 * then each user's records are sorted.
 *
 * Memory: cap records of 32 bytes while reading, then half of that and
 * a read buffer of EVRUN_READ_RECORDS records for each spilled run while
 * merging.
 */
#ifndef WK_PIPELINE_EVRUN_H
#define WK_PIPELINE_EVRUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define EVRUN_READ_RECORDS 8192  /* records read at once from a spilled run */
#define EVRUN_END 1              /* evrun_merge_next(): no more records */
#define EVRUN_RESTART 2          /* direct mode met a user out of order */

/* An event while it is sorted, with the offset of its row in the log. */
struct evrun_rec {
	int64_t time_ms;  /* event time, ms since the Unix epoch */
	double value;     /* value column, 0 when absent */
	uint32_t user;    /* user index, in order of first appearance */
	uint32_t name;    /* event name index, or EVFILE_NO_NAME */
	uint64_t offset;  /* file offset of the row: orders equal events and
	                   * finds the lines of duplicates */
};

/*
 * Takes n sorted records in direct mode; they come after those of every
 * earlier call in the sort order. Returns a WK_* code with err filled on
 * failure.
 */
typedef int (*evrun_sink_fn)(void *arg, struct evrun_rec *recs, size_t n,
			     struct wk_err *err);

struct evrun {
	evrun_sink_fn sink;         /* where direct mode sends runs, or NULL */
	void *sink_arg;             /* argument of sink */
	bool direct;                /* in direct mode */
	struct evrun_rec direct_last;  /* last record sent to the sink */
	uint64_t direct_runs;       /* runs sent to the sink */
	struct evrun_rec *buf;      /* the run being filled; owned */
	struct evrun_rec *other;    /* the other half: spilling or free;
	                             * owned */
	size_t n;                   /* records in buf */
	size_t half;                /* capacity of a half, in records */
	uint64_t pushed;            /* records pushed in all */
	char *spill_template;       /* mkstemp(3) template of the spill file;
	                             * owned */
	int fd;                     /* the spill file, -1 before the first
	                             * spill */
	uint64_t *runs;             /* first record of each spilled run in
	                             * the file; owned */
	size_t n_runs;              /* spilled runs */
	size_t cap_runs;            /* entries allocated in runs */
	uint64_t spilled;           /* records in the spill file */

	/* The spill thread; fds, runs and spilled are its own while it
	 * runs. */
	bool ready;                 /* lock and changed exist */
	pthread_mutex_t lock;       /* guards pending and stop */
	pthread_cond_t changed;     /* pending or stop changed */
	pthread_t spiller;          /* the thread */
	bool spiller_running;       /* started and not joined */
	bool spiller_failed;        /* could not be started: spill inline */
	struct evrun_rec *pending;  /* the half to spill, NULL when idle */
	size_t pending_n;           /* records in pending */
	bool stop;                  /* the thread should end */
	int spill_rc;               /* WK_OK or the first spill's failure */
	struct wk_err spill_err;    /* the message of that failure */
};

/*
 * Prepares the runs with room for cap records (at least 4) in memory,
 * in two halves; the pages are touched only as records arrive. The
 * spill file, if one is needed, is created in the directory of
 * near_path.
 *
 * With a sink, the runs start in direct mode. Each sorted half goes to
 * the sink instead of the spill file as long as its records all come
 * after those of the halves before in the sort order, as in a log
 * grouped by user, so that no merge is needed. The first half that breaks
 * this fails with EVRUN_RESTART and the records from then on are lost:
 * the caller starts over with runs without a sink. Returns WK_OK or
 * WK_ERR_NOMEM.
 */
int evrun_init(struct evrun *r, size_t cap, const char *near_path,
	       evrun_sink_fn sink, void *sink_arg);

/*
 * Adds a record. When the half is full, hands it to the spill thread
 * (started at the first spill), waiting for it to finish the previous
 * half. Returns WK_OK, or WK_ERR_IO (err names the spill file's
 * directory and the reason) or WK_ERR_NOMEM from this or an earlier
 * spill.
 */
int evrun_push(struct evrun *r, const struct evrun_rec *rec,
	       struct wk_err *err);

/*
 * In direct mode: waits for the spill thread and hands the half in
 * memory to the sink. Returns WK_OK, EVRUN_RESTART or an error with err
 * filled.
 */
int evrun_finish_direct(struct evrun *r, struct wk_err *err);

/* Records pushed so far. */
uint64_t evrun_count(const struct evrun *r);

/* Frees everything and closes the spill file. */
void evrun_free(struct evrun *r);

/* Compares two records by user, time, name, value and offset. */
int evrun_compare(const struct evrun_rec *a, const struct evrun_rec *b);

/* Sorts n records in place by evrun_compare(). */
void evrun_sort(struct evrun_rec *recs, size_t n);

/* The position of a merge in one run. */
struct evrun_cursor {
	const struct evrun_rec *rec;  /* current record */
	const struct evrun_rec *end;  /* end of the records at hand */
	struct evrun_rec *buf;        /* read buffer of a spilled run, NULL
	                               * for the run in memory; owned */
	uint64_t next;                /* next record of the run in the file */
	uint64_t stop;                /* end of the run in the file */
};

/* A k-way merge of every run. */
struct evrun_merge {
	struct evrun *r;                /* the runs */
	struct evrun_cursor *cursors;   /* one a run; owned */
	size_t n_cursors;               /* entries in cursors */
	size_t *heap;                   /* indices of cursors with records,
	                                 * a min-heap by record; owned */
	size_t n_heap;                  /* entries in heap */
};

/*
 * Waits for the spill thread, sorts the half in memory and starts the
 * merge. Returns WK_OK, or WK_ERR_IO or WK_ERR_NOMEM (of a spill, too)
 * with err filled.
 */
int evrun_merge_begin(struct evrun *r, struct evrun_merge *m,
		      struct wk_err *err);

/*
 * Copies the next record in order into *out. Returns WK_OK, EVRUN_END
 * after the last one, or WK_ERR_IO with err filled.
 */
int evrun_merge_next(struct evrun_merge *m, struct evrun_rec *out,
		     struct wk_err *err);

/* Frees the merge's buffers. */
void evrun_merge_end(struct evrun_merge *m);

#endif
