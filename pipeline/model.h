/*
 * The churn model file: the kept model of `churn train` as JSON, with the
 * feature names, the standardization, the training settings, the data
 * the model was trained and judged on, and the holdout metrics.
 *
 * Two kinds of model:
 *   logistic_regression  p(churn | x) = 1 / (1 + exp(-(bias +
 *                        sum_i weights[i] * (x_i - means[i]) / stds[i])))
 *   xgboost              XGBoost's own JSON model text, embedded as a
 *                        string; it reads the raw feature values.
 */
#ifndef WK_PIPELINE_MODEL_H
#define WK_PIPELINE_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/ftable.h"
#include "pipeline/gbt.h"

#define MODEL_FORMAT "watchkeep-churn-model"  /* "format" of the file */
#define MODEL_VERSION 2                        /* "version" written */

enum model_kind {
	MODEL_LOGISTIC,  /* liblinear logistic regression */
	MODEL_XGBOOST    /* XGBoost gradient-boosted trees */
};

/* Headline metrics of the kept model; NAN where one was not computed. */
struct model_metrics {
	double holdout_auc;      /* ROC AUC on the holdout users */
	double baseline_auc;     /* ROC AUC of recency_days alone, holdout */
	double holdout_logloss;  /* mean log loss on the holdout users */
	double pr_auc;           /* average precision on the holdout users */
	double brier;            /* Brier score on the holdout users */
	double top10_precision;  /* churned share of the top 10% of scores */
	double top10_recall;     /* share of the churned in the top 10% */
	double validation_auc;   /* ROC AUC on the validation users */
	double train_auc;        /* ROC AUC on the fit users */
	double train_logloss;    /* mean log loss on the fit users */
};

struct churn_model {
	enum model_kind kind;     /* which of the fields below score */
	size_t n_features;        /* entries of the arrays below */
	char **names;             /* feature names, in CSV order; owned */
	double *means;            /* fit users' means; owned */
	double *stds;             /* their standard deviations, > 0; owned */
	double *weights;          /* logistic: weights of the standardized
	                           * features; owned */
	double bias;              /* logistic: intercept */
	double c;                 /* logistic: liblinear's C */
	struct gbt_booster booster;  /* xgboost: the loaded booster; owned */
	char *booster_json;       /* xgboost: XGBoost's JSON text; owned */
	uint64_t seed;            /* seed of the split */
	double holdout_fraction;  /* in-time share of users held out, 0..1 */
	uint64_t train_users;     /* users the model was fit on */
	uint64_t train_churned;   /* of them with label 1 */
	uint64_t holdout_users;   /* users the metrics were computed on */
	uint64_t holdout_churned; /* of them with label 1 */
	struct model_metrics metrics;  /* see above */
	json_t *details;          /* further members of the file (split, data
	                           * ranges, candidates, calibration), written
	                           * as they are; owned, may be NULL */
};

/*
 * Allocates the arrays for n features (names NULL, numbers 0, metrics
 * NAN). Returns WK_OK or WK_ERR_NOMEM.
 */
int model_alloc(struct churn_model *m, size_t n);

/* Frees everything m owns. */
void model_free(struct churn_model *m);

/*
 * Returns the model as indented JSON text (the caller frees it), or NULL
 * when memory runs out.
 */
char *model_to_json(const struct churn_model *m);

/*
 * Reads and checks a model file, version 1 or 2; an XGBoost model is
 * loaded into m->booster. Returns WK_OK, WK_ERR_NOTFOUND when it cannot
 * be opened (exit 66), or WK_ERR_INVALID with err naming the file, the
 * place and the problem (exit 65).
 */
int model_load(struct churn_model *m, const char *path, struct wk_err *err);

/* Returns the churn probability of one row under a logistic model. */
double model_probability(const struct churn_model *m, const double *x);

/*
 * Scores n rows of t (rows NULL: rows 0..n-1) into probs with either
 * kind of model. t's columns must be the model's. Returns WK_OK, or an
 * error of gbt_predict() with err filled.
 */
int model_score(const struct churn_model *m, const struct ftable *t,
		const size_t *rows, size_t n, double *probs,
		struct wk_err *err);

/* Returns "logistic_regression" or "xgboost". */
const char *model_kind_name(enum model_kind kind);

/* Returns the logistic function 1 / (1 + exp(-z)), without overflow. */
double model_sigmoid(double z);

#endif
