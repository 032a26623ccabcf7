#include "pipeline/logit.h"

#include <linear.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/metric.h"
#include "pipeline/model.h"

static const double logit_grid[] = { 0.001, 0.01, 0.1, 1.0, 10.0, 100.0 };

#define LOGIT_GRID_SIZE (sizeof logit_grid / sizeof logit_grid[0])

/*
 * The rows of a fit set as liblinear's sparse rows, standardized, with
 * the bias feature. Built once and shared by every fit of the
 * cross-validation, which only picks other row pointers.
 * NOTE: liblinear takes sparse rows, so every value costs a 16-byte node
 * besides its 8 bytes in the feature table: about 24 bytes a value.
 */
struct logit_nodes {
	struct feature_node *nodes;  /* n x (k + 2); owned */
	struct feature_node **x;     /* row pointers of one problem; owned */
	double *y;                   /* labels of one problem, 1 or 0; owned */
	size_t k;                    /* features */
};

/* State of the solver's progress; liblinear's callback takes no context. */
struct logit_progress {
	struct churn_phase *phase;  /* where progress goes, or NULL */
	double gnorm0;              /* gradient norm at w = 0 */
	double log_span;            /* log(gnorm0 / norm when it stops) */
	double reported;            /* highest fraction reported so far */
};

static struct logit_progress *logit_active;

/*
 * Receives liblinear's messages. Its trust-region Newton solver prints
 * "iter N ... |g| G ..." per iteration and stops once G falls to
 * eps * min(pos, neg) / l of the gradient norm at w = 0 (liblinear 2.30
 * README, option -e), so log(gnorm0 / G) over the log of that ratio
 * estimates the share of the work done.
 */
static void
logit_print(const char *text)
{
	struct logit_progress *lp = logit_active;
	const char *g = strstr(text, "|g| ");
	double gnorm, done;

	if (strncmp(text, "WARNING", 7) == 0)
		fprintf(stderr, "churn train: liblinear: %s", text);
	if (lp == NULL || lp->phase == NULL)
		return;
	notify_watchdog(lp->phase->nt);
	if (g == NULL || lp->gnorm0 <= 0.0 || lp->log_span <= 0.0)
		return;

	gnorm = strtod(g + 4, NULL);
	if (!(gnorm > 0.0))
		return;
	done = log(lp->gnorm0 / gnorm) / lp->log_span;
	if (done < 0.0)
		done = 0.0;
	if (done > 1.0)
		done = 1.0;
	/* The gradient norm may grow between two iterations, and progress
	 * must not go back. */
	if (done <= lp->reported)
		return;
	lp->reported = done;
	churn_progress_fn(lp->phase, done);
}

double
logit_probability(const struct logit_scaling *s, const double *weights,
		  double bias, const double *x)
{
	double z = bias;
	size_t i;

	for (i = 0; i < s->k; i++)
		z += weights[i] * (x[i] - s->means[i]) / s->stds[i];
	return model_sigmoid(z);
}

static void
logit_nodes_free(struct logit_nodes *ln)
{
	free(ln->nodes);
	free(ln->x);
	free(ln->y);
}

/*
 * Fills the nodes of every row of fit: the standardized features with
 * indices 1..k, the bias feature k+1 with value 1, and the end marker.
 */
static int
logit_nodes_build(const struct split_set *fit, const struct logit_scaling *s,
		  struct logit_nodes *ln)
{
	size_t i, j, k = s->k;

	memset(ln, 0, sizeof *ln);
	ln->k = k;
	ln->nodes = malloc((fit->n + 1) * (k + 2) * sizeof *ln->nodes);
	ln->x = malloc((fit->n + 1) * sizeof *ln->x);
	ln->y = malloc((fit->n + 1) * sizeof *ln->y);
	if (ln->nodes == NULL || ln->x == NULL || ln->y == NULL)
		return WK_ERR_NOMEM;

	for (i = 0; i < fit->n; i++) {
		const double *x = fit->t->x + fit->rows[i] * fit->t->n_features;
		struct feature_node *node = ln->nodes + i * (k + 2);

		for (j = 0; j < k; j++) {
			node[j].index = (int)j + 1;
			node[j].value = (x[j] - s->means[j]) / s->stds[j];
		}
		node[k] = (struct feature_node){ (int)k + 1, 1.0 };
		node[k + 1] = (struct feature_node){ -1, 0.0 };
	}
	return WK_OK;
}

/*
 * Points the problem at the rows whose fold is not skip_fold and
 * computes the gradient norm at w = 0, where every sigmoid is 1/2: the
 * gradient is -C/2 sum y_i x_i with y in {-1, +1}.
 */
static void
logit_problem(const struct split_set *fit, int skip_fold,
	      struct logit_nodes *ln, double c, struct problem *prob,
	      double *gnorm0, double *n_pos)
{
	double sum[FTABLE_FEATURES_MAX + 1] = { 0.0 }, norm = 0.0;
	size_t i, j, l = 0, k = ln->k;

	*n_pos = 0.0;
	for (i = 0; i < fit->n; i++) {
		struct feature_node *node = ln->nodes + i * (k + 2);
		double sign;

		if (skip_fold >= 0 && fit->fold[i] == (uint8_t)skip_fold)
			continue;
		ln->x[l] = node;
		ln->y[l] = fit->t->label[fit->rows[i]] == 1 ? 1.0 : 0.0;
		*n_pos += ln->y[l];
		sign = ln->y[l] > 0.0 ? 1.0 : -1.0;
		for (j = 0; j <= k; j++)
			sum[j] += sign * node[j].value;
		l++;
	}
	for (j = 0; j <= k; j++)
		norm += sum[j] * sum[j];
	*gnorm0 = c / 2.0 * sqrt(norm);
	*prob = (struct problem){ .l = (int)l, .n = (int)k + 1, .y = ln->y,
	    .x = ln->x, .bias = 1.0 };
}

/* Copies liblinear's weights for "churned" (label 1). */
static int
logit_take_weights(const struct model *lm, size_t k, double *weights,
		   double *bias, struct wk_err *err)
{
	int pos = lm->label[0] == 1 ? 0 : 1;
	size_t j;

	for (j = 0; j < k; j++) {
		weights[j] = get_decfun_coef(lm, (int)j + 1, pos);
		if (!isfinite(weights[j]))
			return wk_err_set(err, WK_ERR_INVALID, _("the solver "
			    "returned a weight that is not finite for feature "
			    "%zu"), j + 1);
	}
	*bias = get_decfun_bias(lm, pos);
	return isfinite(*bias) ? WK_OK : wk_err_set(err, WK_ERR_INVALID,
	    _("the solver returned a bias that is not finite"));
}

/* Runs the solver on a prepared problem. */
static int
logit_solve(const struct problem *prob, double c, double gnorm0,
	    double n_pos, struct churn_phase *phase, double *weights,
	    double *bias, size_t k, struct wk_err *err)
{
	struct parameter param = { .solver_type = L2R_LR, .eps = LOGIT_EPS,
	    .C = c, .p = 0.1 };
	double n_min = n_pos < prob->l - n_pos ? n_pos : prob->l - n_pos;
	struct logit_progress progress = { phase, gnorm0, 0.0, 0.0 };
	struct model *lm;
	const char *msg;
	int rc;

	if (n_min < 1.0)
		return wk_err_set(err, WK_ERR_INVALID, P_("the %d user of one "
		    "logistic fit (the fit users, or those outside one "
		    "cross-validation fold) has only one label; use more "
		    "users, or pass --c to skip the cross-validation",
		    "the %d users of one logistic fit (the fit users, or "
		    "those outside one cross-validation fold) have only one "
		    "label; use more users, or pass --c to skip the "
		    "cross-validation", (unsigned long)prob->l), prob->l);
	msg = check_parameter(prob, &param);
	if (msg != NULL)
		return wk_err_set(err, WK_ERR_STATE, _("liblinear rejects the "
		    "parameters: %s"), msg);

	progress.log_span = log((double)prob->l / (LOGIT_EPS * n_min));
	logit_active = &progress;
	set_print_string_function(logit_print);
	lm = train(prob, &param);
	logit_active = NULL;
	if (lm == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory in the "
		    "solver"));
	rc = logit_take_weights(lm, k, weights, bias, err);
	free_and_destroy_model(&lm);
	return rc;
}

int
logit_fit(const struct split_set *fit, int skip_fold,
	  const struct logit_scaling *scaling, double c,
	  struct churn_phase *progress, double *weights, double *bias,
	  struct wk_err *err)
{
	struct logit_nodes ln;
	struct problem prob;
	double gnorm0, n_pos;
	int rc;

	if (fit->n > INT32_MAX || scaling->k + 1 > FTABLE_FEATURES_MAX + 1)
		return wk_err_set(err, WK_ERR_LIMIT, _("%zu training users are "
		    "more than liblinear takes"), fit->n);
	if (logit_nodes_build(fit, scaling, &ln) != WK_OK) {
		logit_nodes_free(&ln);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory building "
		    "the training problem"));
	}

	logit_problem(fit, skip_fold, &ln, c, &prob, &gnorm0, &n_pos);
	rc = logit_solve(&prob, c, gnorm0, n_pos, progress, weights, bias,
	    scaling->k, err);
	logit_nodes_free(&ln);
	return rc;
}

/* Fits on all folds but f and scores fold f into oof. */
static int
logit_fold(const struct split_set *fit, struct logit_nodes *ln,
	   const struct logit_scaling *s, double c, unsigned f,
	   struct churn_phase *phase, double *weights, double *oof,
	   struct wk_err *err)
{
	struct problem prob;
	double gnorm0, n_pos, bias;
	size_t i;
	int rc;

	logit_problem(fit, (int)f, ln, c, &prob, &gnorm0, &n_pos);
	rc = logit_solve(&prob, c, gnorm0, n_pos, phase, weights, &bias,
	    s->k, err);
	if (rc != WK_OK)
		return rc;

	for (i = 0; i < fit->n; i++) {
		if (fit->fold[i] == f)
			oof[i] = logit_probability(s, weights, bias,
			    fit->t->x + fit->rows[i] * fit->t->n_features);
	}
	return WK_OK;
}

/* Runs every fold for one C and stores the pooled out-of-fold AUC. */
static int
logit_cv_one(const struct split_set *fit, struct logit_nodes *ln,
	     unsigned folds, const struct logit_scaling *s, size_t g,
	     struct churn_phase *outer, struct logit_cv *cv, double *work,
	     struct wk_err *err)
{
	double *weights = work, *oof = work + s->k;
	int8_t *labels = (int8_t *)(oof + fit->n);
	size_t i;
	unsigned f;
	int rc;

	for (f = 0; f < folds; f++) {
		struct churn_phase phase = { outer->nt, outer->base +
		    outer->span * (double)(g * folds + f) /
		    (double)(cv->n * folds), outer->span /
		    (double)(cv->n * folds) };

		rc = logit_fold(fit, ln, s, cv->c[g], f, &phase, weights, oof,
		    err);
		if (rc != WK_OK)
			return rc;
	}
	for (i = 0; i < fit->n; i++)
		labels[i] = fit->t->label[fit->rows[i]];
	rc = metric_auc(oof, labels, fit->n, &cv->auc[g]);
	if (rc == WK_ERR_NOMEM)
		return wk_err_set(err, rc, _("out of memory"));
	return rc == WK_OK ? WK_OK : wk_err_set(err, rc, _("the "
	    "cross-validation of C needs both labels among the %zu fit "
	    "users"), fit->n);
}

int
logit_cross_validate(const struct split_set *fit, unsigned folds,
		     const struct logit_scaling *scaling,
		     struct churn_phase *progress, struct logit_cv *cv,
		     struct wk_err *err)
{
	struct logit_nodes ln = { NULL, NULL, NULL, 0 };
	struct churn_phase silent = { NULL, 0.0, 1.0 };
	double *work;
	size_t g;
	int rc = WK_OK;

	if (progress == NULL)
		progress = &silent;
	memset(cv, 0, sizeof *cv);
	cv->n = LOGIT_GRID_SIZE;
	memcpy(cv->c, logit_grid, sizeof logit_grid);
	/* Weights, out-of-fold probabilities, then labels as int8_t. */
	work = malloc((scaling->k + 2 * fit->n + 1) * sizeof *work);
	if (work == NULL || logit_nodes_build(fit, scaling, &ln) != WK_OK) {
		free(work);
		logit_nodes_free(&ln);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory for the "
		    "cross-validation"));
	}

	for (g = 0; g < cv->n && rc == WK_OK; g++) {
		rc = logit_cv_one(fit, &ln, folds, scaling, g, progress, cv,
		    work, err);
		if (rc == WK_OK && cv->auc[g] > cv->auc[cv->best])
			cv->best = g;
	}
	free(work);
	logit_nodes_free(&ln);
	return rc;
}
