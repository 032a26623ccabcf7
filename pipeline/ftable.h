/*
 * A feature CSV (the output of `churn features`) loaded into memory for
 * training and scoring: the header "user_id,label,FEATURE...", then one
 * row a user with a label of 0, 1 or empty and finite decimal features.
 */
#ifndef WK_PIPELINE_FTABLE_H
#define WK_PIPELINE_FTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/evfile.h"

#define FTABLE_FEATURES_MAX 1024  /* feature columns */
#define FTABLE_NO_LABEL (-1)      /* label of a row with an empty label */

struct ftable {
	char **names;           /* n_features feature names; owned */
	size_t n_features;      /* columns after user_id and label */
	size_t n_rows;          /* users */
	size_t cap_rows;        /* rows allocated */
	double *x;              /* n_rows x n_features, row-major; owned */
	int8_t *label;          /* n_rows labels: 0, 1, FTABLE_NO_LABEL; owned */
	char *ids;              /* user ids, each NUL-terminated; owned */
	size_t ids_len;         /* bytes used in ids */
	size_t ids_cap;         /* bytes allocated for ids */
	uint64_t *id_offsets;   /* n_rows offsets into ids; owned */
	uint64_t first_unlabelled_line;  /* line of the first empty label, 0 */
};

/*
 * Reads the CSV at path. Every row must have the header's field count, a
 * non-empty user id, a label of 0, 1 or empty and finite numbers.
 * Returns WK_OK, WK_ERR_NOTFOUND when the file cannot be opened (exit
 * 66), WK_ERR_IO when it cannot be read (exit 74), WK_ERR_INVALID with err naming the file, line
 * and column of the first problem (exit 65), or WK_ERR_NOMEM.
 */
int ftable_load(struct ftable *t, const char *path,
		evfile_progress_fn progress, void *arg, struct wk_err *err);

/* Frees everything. */
void ftable_free(struct ftable *t);

/* Returns the user id of row. */
const char *ftable_id(const struct ftable *t, size_t row);

/* Returns the index of the feature called name, or -1. */
long ftable_find(const struct ftable *t, const char *name);

#endif
