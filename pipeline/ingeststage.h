/*
 * State of one run of `churn ingest`, shared by ingest.c (options, the
 * run, the report), ingest_parse.c (reading and checking rows),
 * ingest_sort.c (the second thread: user ids, order check, sorted runs)
 * and ingest_write.c (merge, duplicates, the event file).
 *
 * Two threads work on a log. The calling thread reads and checks rows,
 * counts bad ones and writes the quarantine, and hands the accepted rows
 * over in batches. The sort thread looks the batch's user ids up, checks
 * the order of each user's rows and adds the events to the sorted runs.
 * The batches circulate between the two through a queue of
 * INGEST_BATCHES buffers, so that neither thread waits for the other
 * while both have work.
 *
 * The runs start in direct mode (evrun.h): as long as the log is grouped
 * by user, each sorted run goes straight into the event file, and the
 * log is read once. The first run that breaks the grouping makes the
 * stage read the log again, with runs spilled to a temporary file and
 * merged into the event file at the end. Each row is counted, and each
 * bad one quarantined, once: the second reading counts only the rows
 * past the point where the first stopped.
 */
#ifndef WK_PIPELINE_INGESTSTAGE_H
#define WK_PIPELINE_INGESTSTAGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/csv.h"
#include "pipeline/evfile.h"
#include "pipeline/evrun.h"
#include "pipeline/ingest.h"
#include "pipeline/jarena.h"
#include "pipeline/quarantine.h"
#include "pipeline/strtab.h"
#include "pipeline/usertab.h"

#define INGEST_MAX_STRINGS (UINT32_MAX - 1)  /* distinct users or names */
#define INGEST_BATCH_ROWS 4096               /* rows in one batch */
#define INGEST_BATCHES 6                     /* batches in circulation */
#define INGEST_READ_SHARE 0.85               /* progress share of reading */
#define INGEST_SORT_MIB_DEFAULT 64           /* --sort-memory default */
#define INGEST_MARKS_MAX 65536               /* line marks kept, 16 bytes
                                              * each */
#define INGEST_MARK_STRIDE 1024              /* rows between line marks at
                                              * first */
#define INGEST_MONTH_SLOTS (128 * 16)        /* yyyymmdd months remembered:
                                              * year and month slots */

/* An accepted row, as the reading thread hands it over. */
struct ingest_item {
	int64_t time_ms;   /* event time, ms since the Unix epoch */
	double value;      /* value, 0 without a value column */
	uint64_t offset;   /* file offset of the row */
	uint64_t line;     /* line where the row starts */
	uint32_t name;     /* event name index, or EVFILE_NO_NAME */
};

/* Accepted rows on their way to the sort thread. */
struct ingest_batch {
	size_t n;                       /* rows */
	bool last;                      /* no batch follows */
	struct ingest_item items[INGEST_BATCH_ROWS];     /* the rows */
	struct usertab_key keys[INGEST_BATCH_ROWS];      /* their user ids,
	                                                  * in text */
	uint32_t users[INGEST_BATCH_ROWS];  /* user index of each row, filled
	                                     * by the sort thread */
	char *text;                     /* the ids' bytes; owned */
	size_t text_len;                /* bytes used in text */
	size_t text_cap;                /* bytes allocated for text */
};

/* Two lists of batches, free and full, under one lock. */
struct ingest_queue {
	pthread_mutex_t lock;           /* guards the rest */
	pthread_cond_t changed;         /* a list changed or failed is set */
	struct ingest_batch *free_list[INGEST_BATCHES];  /* empty batches */
	size_t n_free;                  /* entries in free_list */
	struct ingest_batch *full[INGEST_BATCHES];  /* batches to sort, a
	                                             * ring from full_head */
	size_t full_head;               /* first entry of full */
	size_t n_full;                  /* entries in full */
	bool failed;                    /* the sort thread stopped on an
	                                 * error */
};

/* A row equal to an earlier one of its user. */
struct ingest_dup {
	uint64_t offset;        /* file offset of the row */
	uint64_t first_offset;  /* file offset of the first equal row */
};

/*
 * The duplicates found.
 * NOTE: they are kept in memory, 16 bytes each, and finding their lines
 * takes 32 bytes each more and one pass over the log: a log that is
 * half duplicates at 100 M rows needs about 2.4 GB for them.
 */
struct ingest_dups {
	struct ingest_dup *items;  /* n entries; owned */
	uint64_t n;                /* entries */
	uint64_t cap;              /* entries allocated */
};

/* The line where a row starts, at the row's file offset. */
struct ingest_mark {
	uint64_t offset;  /* file offset of the row */
	uint64_t line;    /* 1-based line of the row */
};

/*
 * Lines of every stride-th row, so that finding the lines of duplicates
 * reads the log from the mark before each of them instead of from its
 * start. When items is full, every second mark is dropped and the
 * stride doubles, which keeps the memory at max entries.
 */
struct ingest_marks {
	struct ingest_mark *items;  /* n entries by ascending offset; owned,
	                             * NULL before the first mark */
	size_t n;                   /* entries */
	size_t max;                 /* entries items holds, at least 2 */
	uint64_t stride;            /* rows between two marks */
	uint64_t rows;              /* rows read since the last mark */
	bool failed;                /* items could not be allocated: the
	                             * lines are counted from the start */
};

/* A month of yyyymmdd times parsed before, by its first 6 bytes. */
struct ingest_month {
	uint64_t text;     /* the 6 bytes packed into the low 48 bits; 0
	                    * when the slot is empty */
	int64_t first_ms;  /* the time of day 01 */
	int64_t days;      /* days 01 to this one parse, at least 1 */
};

/* The records written so far, and what they count. */
struct ingest_out {
	struct outfile file;             /* the event file */
	bool open;                       /* file is open */
	struct evfile_writer writer;     /* its sections */
	uint32_t *user_counts;           /* records of each user; owned */
	uint64_t cap_users;              /* entries of user_counts */
	uint64_t *name_counts;           /* records of each name; owned */
	uint64_t cap_names;              /* entries of name_counts */
	struct evrun_rec prev;           /* the last record seen */
	uint64_t seen;                   /* records seen, duplicates too */
	uint64_t first_offset;           /* row offset of the first record
	                                  * equal to prev */
	struct evfile_record chunk[1024];  /* records to write */
	size_t chunk_n;                  /* records in chunk */
	struct ingest_dups dups;         /* the duplicates */
	int rc;                          /* WK_OK or a failure to count */
};

struct ingest {
	const struct ingest_opts *opts;  /* the command line */
	struct ingest_result *res;       /* counts for the caller */
	struct notify *nt;               /* progress goes here */
	struct csv_reader reader;        /* the input */
	uint64_t file_size;              /* bytes of the input, for progress */
	size_t n_columns;                /* CSV: fields in the header */
	long col_user;                   /* CSV: field index of each column, */
	long col_time;                   /* -1 when not requested */
	long col_event;
	long col_value;
	uint64_t accepted;               /* rows handed to the sort thread */
	bool replay;                     /* reading the log a second time */
	uint64_t counted_to;             /* file offset up to which the first
	                                  * reading counted the rows */
	double progress_base;            /* progress at the start of reading */
	double progress_span;            /* share of progress of reading */
	struct strtab names;             /* distinct event names */
	struct quarantine quarantine;    /* rows left out */
	struct jarena arena;             /* JSON: jansson's memory for a line */
	char user_buf[32];               /* JSON: an integer user id as text */
	char event_buf[32];              /* JSON: an integer event as text */
	char time_buf[32];               /* JSON: a numeric time as text */
	struct ingest_month *months;     /* INGEST_MONTH_SLOTS months of
	                                  * parsed yyyymmdd times, by their
	                                  * digits; owned, NULL when not
	                                  * used */
	struct ingest_marks marks;       /* lines of some rows */

	struct ingest_batch *batches;    /* INGEST_BATCHES batches; owned */
	struct ingest_batch *filling;    /* the batch being filled, or NULL */
	struct ingest_queue queue;       /* between the two threads */
	bool queue_ready;                /* queue's lock and condition exist */
	pthread_t sorter;                /* the sort thread */
	bool sorter_running;             /* sorter was started, not joined */

	/*
	 * Written by the spill thread in direct mode, by the calling thread
	 * otherwise.
	 */
	struct ingest_out out;           /* the event file */

	/* Written by the sort thread until it is joined. */
	struct usertab users;            /* distinct user ids */
	struct evrun runs;               /* the sorted runs */
	uint64_t rows_sorted;            /* rows added to the runs */
	uint32_t max_user;               /* largest user index seen */
	uint32_t last_user;              /* user of the last row */
	int sort_rc;                     /* WK_OK or the thread's failure */
	struct wk_err sort_err;          /* the message of that failure */
};

/*
 * Reads the whole log: the header (CSV) and every row. Counts and
 * quarantines bad rows and hands accepted ones to the sort thread.
 * Returns WK_OK or a WK_ERR_* code with err filled; a failure of the
 * sort thread comes back as its code and message.
 */
int ingest_read(struct ingest *in, struct wk_err *err);

/*
 * Keeps the line of the row at offset when it is the stride-th row since
 * the last mark; m->stride and m->max must be set.
 */
void ingest_mark_row(struct ingest_marks *m, uint64_t offset,
		     uint64_t line);

/*
 * Converts n file offsets of row starts in fd, sorted ascending, into
 * their 1-based lines, reading the file from the mark before each offset.
 * Returns WK_OK, WK_ERR_IO when fd cannot be read up to an offset, or
 * WK_ERR_NOMEM.
 */
int ingest_find_lines(const struct ingest_marks *m, int fd,
		      const uint64_t *offsets, size_t n, uint64_t *lines);

/*
 * Allocates the batches and the sort state and starts the sort thread.
 * Returns WK_OK, or WK_ERR_NOMEM with err filled.
 */
int ingest_sort_start(struct ingest *in, struct wk_err *err);

/*
 * Returns an empty batch for the reading thread, waiting for one, or
 * NULL when the sort thread has failed.
 */
struct ingest_batch *ingest_queue_take_free(struct ingest_queue *q);

/* Hands a filled batch to the sort thread. */
void ingest_queue_put_full(struct ingest_queue *q, struct ingest_batch *b);

/* Returns a batch to the free list unsorted. */
void ingest_queue_put_free(struct ingest_queue *q, struct ingest_batch *b);

/*
 * Sends the last batch, waits for the sort thread and frees the queue.
 * Returns the thread's code; its message is in in->sort_err.
 */
int ingest_sort_stop(struct ingest *in);

/* Frees the batches and the sort state; safe after a failed start. */
void ingest_sort_free(struct ingest *in);

/*
 * Sends the sorted runs in order to the event file, merging them unless
 * they went there directly, then writes the tables and quarantines the
 * duplicates. The event file stays uncommitted. Returns WK_OK,
 * EVRUN_RESTART when the last run breaks the grouping by user, or a
 * WK_ERR_* code with err filled.
 */
int ingest_write_events(struct ingest *in, struct wk_err *err);

/*
 * Takes n sorted records of a run in direct mode, or of the merge: drops
 * or keeps the duplicates and writes the records. An evrun_sink_fn.
 */
int ingest_emit_run(void *arg, struct evrun_rec *recs, size_t n,
		    struct wk_err *err);

/*
 * Forgets the records written and the counts, for another reading of
 * the log. Returns WK_OK or WK_ERR_IO.
 */
int ingest_out_reset(struct ingest *in, struct wk_err *err);

/*
 * Starts the sort thread again for a second reading, with runs that
 * spill. Returns WK_OK, or WK_ERR_NOMEM with err filled.
 */
int ingest_sort_restart(struct ingest *in, struct wk_err *err);

#endif
