/*
 * Metrics of a binary classifier on a labelled set.
 */
#ifndef WK_PIPELINE_METRIC_H
#define WK_PIPELINE_METRIC_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_PROB_MIN 1e-15      /* log loss clamps p to [this, 1 - this] */
#define METRIC_CALIBRATION_BINS 10 /* bins of the calibration table */

/*
 * Computes the area under the ROC curve of scores (higher means more
 * likely positive) against labels (1 positive, 0 negative). It is the
 * Mann-Whitney U statistic over n_pos x n_neg. Tied scores get their
 * average rank, so a tie counts one half. Sorts a copy in O(n log n).
 * Returns WK_OK, WK_ERR_INVALID when a class is missing or a score is
 * NaN, or WK_ERR_NOMEM.
 */
int metric_auc(const double *scores, const int8_t *labels, size_t n,
	       double *auc);

/*
 * Returns the mean log loss -(y log p + (1 - y) log(1 - p)) of the
 * probabilities against the labels, p clamped to [METRIC_PROB_MIN,
 * 1 - METRIC_PROB_MIN] so that a confident mistake costs about 34.5, not
 * infinity. n must be at least 1.
 */
double metric_logloss(const double *probs, const int8_t *labels, size_t n);

/* Returns the Brier score, the mean of (p - y)^2. n must be at least 1. */
double metric_brier(const double *probs, const int8_t *labels, size_t n);

/* One bin of a calibration table: probabilities in [lower, lower + 0.1). */
struct metric_bin {
	uint64_t n;             /* users whose probability falls in the bin */
	double mean_predicted;  /* their mean probability, NAN when n is 0 */
	double observed;        /* their share of positives, NAN when n is 0 */
};

/* Everything the train stage reports about one model on one user set. */
struct metric_report {
	uint64_t n;              /* users */
	uint64_t positives;      /* users with label 1 */
	double auc;              /* ROC AUC */
	double pr_auc;           /* average precision */
	double logloss;          /* mean log loss */
	double brier;            /* Brier score */
	double top_precision;    /* share of positives among the top 10% */
	double top_recall;       /* share of all positives in the top 10% */
	struct metric_bin calibration[METRIC_CALIBRATION_BINS];  /* by p */
};

/*
 * Computes every field of report from n probabilities (0..1) and labels.
 *
 * - pr_auc is the average precision: the sum over the distinct scores,
 *   from the highest down, of (recall gained) x (precision at that
 *   score). Tied scores form one step, as in scikit-learn's
 *   average_precision_score.
 * - The top 10% are the ceil(n / 10) highest scores. When tied scores
 *   straddle that boundary, each tied user counts in proportion to the
 *   places left, which is the expected value over random tie orders.
 * - Calibration bin i holds probabilities in [i / 10, (i + 1) / 10); the
 *   last bin also holds 1.
 *
 * Returns WK_OK, WK_ERR_INVALID when a class is missing or a probability
 * is NaN, or WK_ERR_NOMEM.
 */
int metric_report(const double *probs, const int8_t *labels, size_t n,
		  struct metric_report *report);

#endif
