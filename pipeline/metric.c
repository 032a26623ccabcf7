#include "pipeline/metric.h"

#include <math.h>
#include <stdlib.h>

#include "core/rc.h"

/* A score and its label, sorted together. */
struct metric_pair {
	double score;  /* classifier output */
	int8_t label;  /* 1 positive, 0 negative */
};

static int
metric_compare_pairs(const void *a, const void *b)
{
	const struct metric_pair *x = a, *y = b;

	return (x->score > y->score) - (x->score < y->score);
}

/* Sums the 1-based ranks of the positives, ties at their average rank. */
static double
metric_positive_rank_sum(const struct metric_pair *pairs, size_t n)
{
	double sum = 0.0;
	size_t i = 0;

	while (i < n) {
		size_t j = i, positives = 0;
		double rank;

		while (j < n && pairs[j].score == pairs[i].score)
			positives += pairs[j++].label == 1;
		/* Ranks i+1 .. j share their mean. */
		rank = ((double)(i + 1) + (double)j) / 2.0;
		sum += rank * (double)positives;
		i = j;
	}
	return sum;
}

/*
 * Checks the scores and counts the positives. Returns WK_ERR_INVALID when
 * a score is NaN or a class is missing.
 */
static int
metric_check(const double *scores, const int8_t *labels, size_t n,
	     double *n_pos)
{
	size_t i;

	*n_pos = 0.0;
	for (i = 0; i < n; i++) {
		if (isnan(scores[i]))
			return WK_ERR_INVALID;
		*n_pos += labels[i] == 1;
	}
	if (*n_pos == 0.0 || *n_pos == (double)n)
		return WK_ERR_INVALID;
	return WK_OK;
}

/* Returns a copy of the pairs sorted by ascending score, or NULL. */
static struct metric_pair *
metric_sorted_pairs(const double *scores, const int8_t *labels, size_t n)
{
	struct metric_pair *pairs = malloc(n * sizeof *pairs);
	size_t i;

	if (pairs == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		pairs[i] = (struct metric_pair){ scores[i], labels[i] };
	qsort(pairs, n, sizeof *pairs, metric_compare_pairs);
	return pairs;
}

static double
metric_auc_sorted(const struct metric_pair *pairs, size_t n, double n_pos)
{
	double n_neg = (double)n - n_pos;
	double rank_sum = metric_positive_rank_sum(pairs, n);

	return (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg);
}

int
metric_auc(const double *scores, const int8_t *labels, size_t n,
	   double *auc)
{
	struct metric_pair *pairs;
	double n_pos;

	if (metric_check(scores, labels, n, &n_pos) != WK_OK)
		return WK_ERR_INVALID;
	pairs = metric_sorted_pairs(scores, labels, n);
	if (pairs == NULL)
		return WK_ERR_NOMEM;

	*auc = metric_auc_sorted(pairs, n, n_pos);
	free(pairs);
	return WK_OK;
}

double
metric_logloss(const double *probs, const int8_t *labels, size_t n)
{
	double sum = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		double p = probs[i];

		if (!(p >= METRIC_PROB_MIN))
			p = METRIC_PROB_MIN;
		if (p > 1.0 - METRIC_PROB_MIN)
			p = 1.0 - METRIC_PROB_MIN;
		sum -= labels[i] == 1 ? log(p) : log(1.0 - p);
	}
	return sum / (double)n;
}

double
metric_brier(const double *probs, const int8_t *labels, size_t n)
{
	double sum = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		double d = probs[i] - (labels[i] == 1 ? 1.0 : 0.0);

		sum += d * d;
	}
	return sum / (double)n;
}

/*
 * Walks the groups of equal scores from the highest down and sums the
 * average precision: each group adds (its positives / n_pos) times the
 * precision of everything down to and including it.
 */
static double
metric_average_precision(const struct metric_pair *pairs, size_t n,
			 double n_pos)
{
	double ap = 0.0, tp = 0.0, taken = 0.0;
	size_t end = n, i;

	while (end > 0) {
		size_t start = end - 1;
		double group_pos = 0.0;

		while (start > 0 && pairs[start - 1].score == pairs[end - 1].score)
			start--;
		for (i = start; i < end; i++)
			group_pos += pairs[i].label == 1;
		tp += group_pos;
		taken += (double)(end - start);
		ap += group_pos / n_pos * (tp / taken);
		end = start;
	}
	return ap;
}

/*
 * Counts the positives among the k highest scores. A group of ties that
 * straddles the k-th place contributes its positives in proportion to the
 * places it gets.
 */
static double
metric_top_positives(const struct metric_pair *pairs, size_t n, size_t k)
{
	double positives = 0.0;
	size_t end = n, taken = 0, i;

	while (end > 0 && taken < k) {
		size_t start = end - 1, group;
		double group_pos = 0.0;

		while (start > 0 && pairs[start - 1].score == pairs[end - 1].score)
			start--;
		group = end - start;
		for (i = start; i < end; i++)
			group_pos += pairs[i].label == 1;
		if (taken + group <= k)
			positives += group_pos;
		else
			positives += group_pos * (double)(k - taken) /
			    (double)group;
		taken += group;
		end = start;
	}
	return positives;
}

static void
metric_calibrate(const double *probs, const int8_t *labels, size_t n,
		 struct metric_bin *bins)
{
	double sum_p[METRIC_CALIBRATION_BINS] = { 0.0 };
	double sum_y[METRIC_CALIBRATION_BINS] = { 0.0 };
	size_t i, b;

	for (b = 0; b < METRIC_CALIBRATION_BINS; b++)
		bins[b].n = 0;
	for (i = 0; i < n; i++) {
		double scaled = probs[i] * METRIC_CALIBRATION_BINS;

		b = scaled <= 0.0 ? 0 : (size_t)scaled;
		if (b >= METRIC_CALIBRATION_BINS)
			b = METRIC_CALIBRATION_BINS - 1;
		bins[b].n++;
		sum_p[b] += probs[i];
		sum_y[b] += labels[i] == 1;
	}
	for (b = 0; b < METRIC_CALIBRATION_BINS; b++) {
		double count = (double)bins[b].n;

		bins[b].mean_predicted = bins[b].n > 0 ? sum_p[b] / count : NAN;
		bins[b].observed = bins[b].n > 0 ? sum_y[b] / count : NAN;
	}
}

int
metric_report(const double *probs, const int8_t *labels, size_t n,
	      struct metric_report *r)
{
	struct metric_pair *pairs;
	double n_pos;
	size_t k;

	if (metric_check(probs, labels, n, &n_pos) != WK_OK)
		return WK_ERR_INVALID;
	pairs = metric_sorted_pairs(probs, labels, n);
	if (pairs == NULL)
		return WK_ERR_NOMEM;

	/* ceil(n * 0.1) without the rounding error of the product. */
	k = (n + 9) / 10;
	r->n = n;
	r->positives = (uint64_t)n_pos;
	r->auc = metric_auc_sorted(pairs, n, n_pos);
	r->pr_auc = metric_average_precision(pairs, n, n_pos);
	r->top_precision = metric_top_positives(pairs, n, k) / (double)k;
	r->top_recall = metric_top_positives(pairs, n, k) / n_pos;
	free(pairs);

	r->logloss = metric_logloss(probs, labels, n);
	r->brier = metric_brier(probs, labels, n);
	metric_calibrate(probs, labels, n, r->calibration);
	return WK_OK;
}
