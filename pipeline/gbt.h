/*
 * Gradient-boosted trees through XGBoost's C API (Debian's libxgboost,
 * 1.7): training with early stopping, scoring, and the model as XGBoost's
 * own JSON text. Only this file's .c includes the XGBoost header.
 */
#ifndef WK_PIPELINE_GBT_H
#define WK_PIPELINE_GBT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/churn.h"
#include "pipeline/split.h"

#define GBT_THREADS 2        /* XGBoost's nthread, fixed for repeatability */
#define GBT_SUBSAMPLE 0.8    /* share of rows each tree samples */
#define GBT_COLSAMPLE 0.8    /* share of features each tree samples */
#define GBT_BATCH_ROWS 65536 /* rows scored at once, bounding memory */

/* Training settings. */
struct gbt_params {
	uint64_t max_rounds;  /* boosting rounds at most, 1..100000 */
	uint64_t max_depth;   /* depth of a tree, 1..16 */
	double eta;           /* learning rate, (0, 1] */
	uint64_t early_stop;  /* rounds without a better stopping log loss */
	uint64_t seed;        /* seed of XGBoost's row and column sampling */
	bool no_refit;        /* keep the early-stopping pass's booster, cut
	                       * to its best rounds, instead of refitting on
	                       * every fit user */
};

/* A trained or loaded booster. */
struct gbt_booster {
	void *handle;         /* XGBoost's BoosterHandle, NULL when empty */
	size_t n_features;    /* columns it expects */
	uint64_t rounds;      /* boosting rounds (trees) in it */
};

/* Result of early stopping. */
struct gbt_fit_info {
	uint64_t rounds_run;   /* rounds trained on the first pass */
	uint64_t best_rounds;  /* rounds with the lowest stopping log loss */
	double stop_logloss;   /* that log loss, NAN without a stopping set */
	uint64_t stop_users;   /* users of the stopping set (fold 0) */
	bool refit;            /* the booster was trained again on every fit
	                        * user; false when the early-stopped one was
	                        * kept */
};

/*
 * Trains on the fit set in one or two passes. The first trains on folds
 * 1..n-1 and evaluates the log loss on fold 0 after every round, stopping
 * after p->early_stop rounds without a new lowest value. The second
 * trains on every fit user for the best number of rounds; that booster
 * goes to out. With p->no_refit the second pass is left out and out gets
 * the first pass's booster cut to its best rounds, which has seen only
 * folds 1..n-1. Without users in fold 0 the first pass is skipped and the
 * second runs p->max_rounds rounds, even with p->no_refit. progress
 * (may be NULL) covers the passes run.
 * Returns WK_OK, WK_ERR_INVALID when XGBoost rejected the data or the
 * parameters (err contains XGBoost's message), or WK_ERR_NOMEM.
 */
int gbt_train(const struct split_set *fit, const struct gbt_params *p,
	      struct churn_phase *progress, struct gbt_booster *out,
	      struct gbt_fit_info *info, struct wk_err *err);

/* Fold 0 users below which a kept early-stopped booster gets a warning.
 * NOTE: 30 is a judgement, not a measured bound. */
#define GBT_STOP_USERS_MIN 30

/*
 * Writes to buf (size bytes) a warning for a training with p->no_refit
 * whose result differs from what the flag promises: the refit ran anyway
 * because nothing could stop early, or fold 0 had fewer than
 * GBT_STOP_USERS_MIN users, so the kept rounds rest on a few users.
 * Returns 1 when it wrote a warning, else 0.
 */
int gbt_no_refit_warning(const struct gbt_params *p,
			 const struct gbt_fit_info *info, char *buf,
			 size_t size);

/*
 * Scores n rows of t (rows NULL: rows 0..n-1) into probs, in batches of
 * GBT_BATCH_ROWS. Returns WK_OK or WK_ERR_INVALID / WK_ERR_NOMEM.
 */
int gbt_predict(const struct gbt_booster *b, const struct ftable *t,
		const size_t *rows, size_t n, double *probs,
		struct wk_err *err);

/*
 * Stores XGBoost's JSON model text in *json (NUL-terminated, the caller
 * frees it). Returns WK_OK, WK_ERR_INVALID or WK_ERR_NOMEM.
 */
int gbt_save_json(const struct gbt_booster *b, char **json,
		  struct wk_err *err);

/*
 * Loads a booster from XGBoost's JSON model text of len bytes and checks
 * that it takes n_features columns. Returns WK_OK or WK_ERR_INVALID with
 * err holding XGBoost's message.
 */
int gbt_load_json(struct gbt_booster *b, const char *json, size_t len,
		  size_t n_features, struct wk_err *err);

/* Frees the booster; b is empty afterwards. */
void gbt_free(struct gbt_booster *b);

/* Writes the XGBoost library version, such as "1.7.4", into buf. */
void gbt_version(char *buf, size_t size);

#endif
