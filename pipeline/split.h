/*
 * The split of the users of `churn train` into the parts a model is fit,
 * compared and judged on, decided by a seeded hash of each user id.
 *
 *   holdout     judged on: the metrics the stage reports. In-time, a
 *               share of the users of the training file; out-of-time,
 *               every user of the evaluation file.
 *   validation  a share of the remaining training users, on which the
 *               models are compared (--model auto).
 *   fit         the rest, which the models are fit on. Each fit user
 *               also has a fold 0..folds-1 for cross-validation; fold 0
 *               is the early-stopping set of XGBoost.
 *
 * The part of a user depends only on the id and the seed, not on row
 * order or host.
 */
#ifndef WK_PIPELINE_SPLIT_H
#define WK_PIPELINE_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/ftable.h"

#define SPLIT_FOLDS_MAX 20  /* cross-validation folds at most */

/* Independent hash streams, so that the parts do not line up. */
enum split_stream {
	SPLIT_STREAM_HOLDOUT = 0,     /* compared with the holdout share */
	SPLIT_STREAM_VALIDATION = 1,  /* compared with the validation share */
	SPLIT_STREAM_FOLD = 2         /* scaled to a fold number */
};

/* A set of rows of one feature table. */
struct split_set {
	const struct ftable *t;  /* the table the rows belong to */
	size_t *rows;            /* row indices into t; owned */
	uint8_t *fold;           /* fold of each row (fit set only); owned */
	size_t n;                /* rows */
	uint64_t positives;      /* rows with label 1 */
};

/* How to split. */
struct split_plan {
	double holdout;      /* in-time: share of users held out, 0..1 */
	double validation;   /* share of training users for validation */
	unsigned folds;      /* cross-validation folds, 2..SPLIT_FOLDS_MAX */
	uint64_t seed;       /* seed of the hash */
};

/* The three parts. */
struct split_sets {
	struct split_set fit;         /* rows the models are fit on */
	struct split_set validation;  /* rows the models are compared on */
	struct split_set holdout;     /* rows the metrics are reported on */
	bool out_of_time;             /* holdout comes from another table */
};

/*
 * Maps a user id to [0, 1) for one stream: the 64-bit FNV-1a hash of the
 * id is mixed with the seed and the stream through the SplitMix64
 * finalizer. The same id, seed and stream give the same number on every
 * run and host.
 */
double split_unit(const char *user_id, uint64_t seed, enum split_stream s);

/*
 * Splits the users. Without eval (NULL) the split is in-time: the
 * holdout is the share plan->holdout of train's users. With eval it is
 * out-of-time: every row of eval is held out and train's users are all
 * training users. Returns WK_OK or WK_ERR_NOMEM.
 */
int split_assign(const struct ftable *train, const struct ftable *eval,
		 const struct split_plan *plan, struct split_sets *out);

/* Frees the row arrays of the three sets. */
void split_free(struct split_sets *s);

/*
 * Writes the split as CSV to path: the header source,user_id,part,fold,
 * then one row a user and part; source is "features" or "evaluation",
 * part "fit", "validation" or "holdout", and fold is empty outside fit.
 * Returns WK_OK, or WK_ERR_IO with err naming the path.
 */
int split_write(const struct split_sets *s, const char *path,
		struct wk_err *err);

#endif
