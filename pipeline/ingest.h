/*
 * `churn ingest`: reads an event log (CSV or JSON Lines) and writes the
 * event file (evfile.h), grouped by user and sorted by time.
 *
 * Memory is bounded by the users, not the events: about 50 bytes and the
 * id's bytes a distinct user id, the sort memory (--sort-memory), one
 * read buffer of the input and a few batches of rows. Events beyond the
 * sort memory are sorted in runs through a temporary file
 * (evrun.h). Two threads share the work (ingeststage.h).
 */
#ifndef WK_PIPELINE_INGEST_H
#define WK_PIPELINE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/badrows.h"
#include "pipeline/notify.h"
#include "pipeline/timefmt.h"

enum ingest_format {
	INGEST_CSV,   /* RFC 4180 CSV with a header row */
	INGEST_JSONL  /* one JSON object a line */
};

struct ingest_opts {
	const char *input;          /* path of the log */
	const char *output;         /* path of the event file */
	enum ingest_format format;  /* how the log is written */
	const char *user_column;    /* user id column (CSV) or field (JSON) */
	const char *time_column;    /* event time column or field */
	enum timefmt time_format;   /* how the time is written */
	const char *event_column;   /* event name column or field, or NULL */
	const char *value_column;   /* numeric value column or field, or NULL */
	bool skip_empty_user;       /* skip rows without a user id, not reject */
	double max_bad_fraction;    /* share of bad rows allowed, 0..1 */
	size_t max_line;            /* bytes in one line, 0 for CSV_RECORD_MAX */
	const char *quarantine;     /* quarantine CSV, NULL: beside output */
	bool has_max_time;          /* --max-date was given */
	int64_t max_time_ms;        /* rows at or after this time are bad:
	                             * the end of --max-date */
	bool keep_duplicates;       /* keep rows equal to an earlier row */
	uint64_t sort_mib;          /* MiB for sorting events in memory, 0
	                             * for the default */
};

struct ingest_result {
	uint64_t rows_in;       /* data rows read, bad and skipped included */
	uint64_t rows_skipped;  /* rows skipped for an empty user id */
	uint64_t users;         /* distinct user ids written */
	uint64_t events;        /* events written */
	int64_t time_min_ms;    /* earliest event, ms since the epoch */
	int64_t time_max_ms;    /* latest event, ms since the epoch */
	struct badrows bad;     /* rejected rows by reason */
	struct badrows notes;   /* rows counted but not bad: duplicates and
	                         * rows out of order; notes.total is unused */
	uint64_t quarantined;   /* rows written to the quarantine file */
};

/*
 * Runs the stage. Returns an exit status of <sysexits.h>: EX_OK,
 * EX_DATAERR (no rows, too many bad rows, bad header), EX_NOINPUT,
 * EX_CANTCREAT, EX_IOERR or EX_SOFTWARE, with err holding the message of
 * a failure. res is filled as far as the stage got; bad rows are in
 * res->bad, duplicates and rows out of order in res->notes. Rows left
 * out go to the quarantine file (quarantine.h), also when too many rows
 * are bad.
 */
int ingest_run(const struct ingest_opts *opts, struct notify *nt,
	       struct ingest_result *res, struct wk_err *err);

/* `churn ingest ARGS`: argv[0] is "ingest". Returns an exit status. */
int ingest_main(int argc, char **argv, struct notify *nt);

#endif
