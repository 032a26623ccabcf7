/*
 * Sorting of the events of `churn ingest`. The input is in log order, with
 * user and name indices of the interning tables. The output has the order
 * and tables of an event file: users sorted by id bytes, names by name
 * bytes, records by user, then time, event name and value.
 *
 * The records are placed into their user's slot in place, by a bucket
 * permutation over the counts that moves each record at most once. Then
 * each user's records are sorted by time. The whole costs O(n) moves plus
 * the per-user sorts, and needs no second copy of the records.
 */
#ifndef WK_PIPELINE_EVSORT_H
#define WK_PIPELINE_EVSORT_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline/evfile.h"
#include "pipeline/strtab.h"

struct evsort_tables {
	struct evfile_user *users;  /* users->n entries, sorted; owned */
	struct evfile_name *names;  /* names->n entries, sorted; owned */
};

/*
 * Sorts n records in place and builds the tables: on return the records'
 * user and name fields are indices into the sorted tables, whose text
 * offsets point into the arenas of users and names. names may be NULL
 * when the log has no event column (then the records' names must be
 * EVFILE_NO_NAME). aux (NULL or n values, such as the file offsets of the
 * rows) moves with its record; equal records are then ordered by aux.
 * Returns WK_OK, WK_ERR_NOMEM, or WK_ERR_LIMIT when a user has more than
 * UINT32_MAX records.
 */
int evsort_run(struct evfile_record *records, uint64_t *aux, uint64_t n,
	       const struct strtab *users, const struct strtab *names,
	       struct evsort_tables *out, evfile_progress_fn progress,
	       void *arg);

/* A record equal to an earlier one of its user. */
struct evsort_dup {
	uint64_t aux;        /* its aux value */
	uint64_t first_aux;  /* aux value of the first equal record */
};

/* The duplicates evsort_dedup() found. */
struct evsort_dups {
	struct evsort_dup *items;  /* n entries; owned by the caller */
	uint64_t n;                /* entries */
	uint64_t cap;              /* entries allocated */
};

/*
 * Finds, in records sorted by evsort_run() with aux, every record equal
 * in time, name and value to an earlier one of the same user, and lists
 * it in dups. With drop, removes them, fixes the user and name tables and
 * stores the new record count in *n. Returns WK_OK or WK_ERR_NOMEM.
 */
int evsort_dedup(struct evfile_record *recs, const uint64_t *aux, uint64_t *n,
		 struct evsort_tables *t, uint32_t n_users, bool drop,
		 struct evsort_dups *dups);

/* Frees the tables. */
void evsort_free(struct evsort_tables *t);

#endif
