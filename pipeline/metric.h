/*
 * Metrics of a binary classifier on a labelled set.
 */
#ifndef WK_PIPELINE_METRIC_H
#define WK_PIPELINE_METRIC_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_PROB_MIN 1e-15  /* log loss clamps p to [this, 1 - this] */

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

#endif
