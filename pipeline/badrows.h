/*
 * Bad input rows of `churn ingest`, counted by reason with the first line
 * numbers and the first offending value of each. They make one report
 * that names the problem, the place and the fix.
 */
#ifndef WK_PIPELINE_BADROWS_H
#define WK_PIPELINE_BADROWS_H

#include <stdint.h>
#include <stdio.h>

enum badrow_reason {
	BADROW_OK = 0,      /* not bad */
	BADROW_COLUMNS,     /* CSV: field count differs from the header's */
	BADROW_TIME,        /* time not in the format, or out of range */
	BADROW_EMPTY_USER,  /* empty or null user id */
	BADROW_VALUE,       /* value that is not a finite decimal number */
	BADROW_UTF8,        /* invalid UTF-8, or a NUL byte */
	BADROW_TOO_LONG,    /* line longer than the limit (1 MiB) */
	BADROW_QUOTES,      /* CSV: malformed quotes */
	BADROW_JSON,        /* JSON Lines: line is not a JSON object */
	BADROW_FIELD,       /* JSON Lines: field missing or of a wrong type */
	BADROW_AFTER_MAX_DATE,  /* time after the end of --max-date */
	BADROW_DUPLICATE,   /* not bad: equal to an earlier row (user, time,
	                     * event, value); dropped */
	BADROW_DUPLICATE_KEPT,  /* the same, kept with --keep-duplicates */
	BADROW_OUT_OF_ORDER,  /* not bad: earlier than an earlier row of the
	                       * same user; kept and sorted */
	BADROW_REASONS      /* number of entries above */
};

#define BADROWS_LINES_MAX 5     /* line numbers kept for each reason */
#define BADROWS_EXAMPLE_MAX 48  /* bytes of the first offending value */

struct badrows {
	uint64_t total;                            /* bad rows */
	uint64_t count[BADROW_REASONS];            /* bad rows by reason */
	uint64_t lines[BADROW_REASONS][BADROWS_LINES_MAX];  /* first lines */
	char example[BADROW_REASONS][BADROWS_EXAMPLE_MAX];  /* first value,
	                                            * printable ASCII */
};

/* Empties b. */
void badrows_init(struct badrows *b);

/*
 * Counts a bad row at line for reason. text (len bytes, may be NULL) is
 * the offending value, which is kept for the first row of each reason.
 */
void badrows_add(struct badrows *b, enum badrow_reason reason,
		 uint64_t line, const char *text, size_t len);

/*
 * Prints one line a reason on out: the count, the first line numbers and
 * value, and the fix. path names the input file.
 */
void badrows_report(const struct badrows *b, const char *path, FILE *out);

/*
 * Returns the short English code of reason used in the quarantine file
 * and in metric names: "columns", "time", "empty_user", "value", "utf8",
 * "too_long", "quotes", "json", "field", "after_max_date", "duplicate"
 * (both duplicate reasons) or "out_of_order".
 */
const char *badrows_code(enum badrow_reason reason);

#endif
