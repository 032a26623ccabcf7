/*
 * The churn model file: a logistic regression on standardized features,
 * stored as JSON with the feature names, the standardization, the
 * weights, the training settings and the holdout metrics.
 *
 *   p(churn | x) = 1 / (1 + exp(-(bias + sum_i weights[i] * z_i)))
 *   z_i = (x_i - means[i]) / stds[i]
 */
#ifndef WK_PIPELINE_MODEL_H
#define WK_PIPELINE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define MODEL_FORMAT "watchkeep-churn-model"  /* "format" of the file */
#define MODEL_VERSION 1                        /* "version" of the file */

/* Holdout and training metrics; NAN where one could not be computed. */
struct model_metrics {
	double holdout_auc;      /* ROC AUC on the holdout users */
	double baseline_auc;     /* ROC AUC of recency_days alone, holdout */
	double holdout_logloss;  /* mean log loss on the holdout users */
	double train_auc;        /* ROC AUC on the training users */
	double train_logloss;    /* mean log loss on the training users */
};

struct churn_model {
	size_t n_features;        /* entries of the arrays below */
	char **names;             /* feature names, in CSV order; owned */
	double *means;            /* training means; owned */
	double *stds;             /* training standard deviations, > 0; owned */
	double *weights;          /* weights of the standardized features */
	double bias;              /* intercept */
	double c;                 /* liblinear's C, inverse regularization */
	uint64_t seed;            /* seed of the holdout split */
	double holdout_fraction;  /* share of users held out, 0..1 */
	uint64_t train_users;     /* users trained on */
	uint64_t train_churned;   /* of them with label 1 */
	uint64_t holdout_users;   /* users held out */
	uint64_t holdout_churned; /* of them with label 1 */
	struct model_metrics metrics;  /* see above */
};

/*
 * Allocates the arrays for n features (names NULL, numbers 0). Returns
 * WK_OK or WK_ERR_NOMEM.
 */
int model_alloc(struct churn_model *m, size_t n);

/* Frees the arrays. */
void model_free(struct churn_model *m);

/*
 * Returns the model as indented JSON text (the caller frees it), or NULL
 * when memory runs out.
 */
char *model_to_json(const struct churn_model *m);

/*
 * Reads and checks a model file. Returns WK_OK, WK_ERR_NOTFOUND when it
 * cannot be opened (exit 66), or WK_ERR_INVALID with err naming the file, the
 * place and the problem (exit 65).
 */
int model_load(struct churn_model *m, const char *path, struct wk_err *err);

/* Returns the churn probability of one row of n_features raw values. */
double model_probability(const struct churn_model *m, const double *x);

/* Returns the logistic function 1 / (1 + exp(-z)), without overflow. */
double model_sigmoid(double z);

#endif
