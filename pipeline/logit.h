/*
 * L2-regularized logistic regression with liblinear (solver L2R_LR,
 * tolerance 0.01, bias term 1) on standardized features, and the choice
 * of its C by k-fold cross-validation.
 */
#ifndef WK_PIPELINE_LOGIT_H
#define WK_PIPELINE_LOGIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"
#include "pipeline/churn.h"
#include "pipeline/split.h"

#define LOGIT_EPS 0.01   /* liblinear's default tolerance for L2R_LR */
#define LOGIT_GRID_MAX 8 /* values of C tried at most */

/* The standardization: z_k = (x_k - means[k]) / stds[k]. */
struct logit_scaling {
	const double *means;  /* k means of the fit users */
	const double *stds;   /* k standard deviations, above 0 */
	size_t k;             /* features */
};

/* Result of the cross-validation of C. */
struct logit_cv {
	size_t n;                    /* values of C tried */
	double c[LOGIT_GRID_MAX];    /* the grid, ascending */
	double auc[LOGIT_GRID_MAX];  /* pooled out-of-fold ROC AUC of each */
	size_t best;                 /* index of the chosen C */
};

/*
 * Fits the model on the rows of fit whose fold is not skip_fold (-1: all
 * rows). weights receives scaling->k weights of the standardized
 * features, *bias the intercept. progress (may be NULL) covers the
 * solver's work.
 * Returns WK_OK, WK_ERR_INVALID when the rows lack a label or the solver
 * returns a number that is not finite, WK_ERR_LIMIT when there are more
 * rows than liblinear takes, or WK_ERR_NOMEM, with err filled.
 */
int logit_fit(const struct split_set *fit, int skip_fold,
	      const struct logit_scaling *scaling, double c,
	      struct churn_phase *progress, double *weights, double *bias,
	      struct wk_err *err);

/*
 * Chooses C from the grid 0.001, 0.01, 0.1, 1, 10, 100 by `folds`-fold
 * cross-validation on fit. For each C, each fold is scored by the model
 * fit on the other folds. The C with the highest pooled out-of-fold ROC
 * AUC wins (the smaller C on a tie). progress may be NULL. Returns
 * WK_OK; WK_ERR_INVALID when a fold's complement lacks a label, so no
 * AUC can be computed; or another error of logit_fit().
 */
int logit_cross_validate(const struct split_set *fit, unsigned folds,
			 const struct logit_scaling *scaling,
			 struct churn_phase *progress, struct logit_cv *cv,
			 struct wk_err *err);

/* Returns the churn probability of one row of k raw values. */
double logit_probability(const struct logit_scaling *scaling,
			 const double *weights, double bias, const double *x);

#endif
