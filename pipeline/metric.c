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

int
metric_auc(const double *scores, const int8_t *labels, size_t n,
	   double *auc)
{
	struct metric_pair *pairs;
	double n_pos = 0.0, n_neg, rank_sum;
	size_t i;

	for (i = 0; i < n; i++) {
		if (isnan(scores[i]))
			return WK_ERR_INVALID;
		n_pos += labels[i] == 1;
	}
	n_neg = (double)n - n_pos;
	if (n_pos == 0.0 || n_neg == 0.0)
		return WK_ERR_INVALID;
	pairs = malloc(n * sizeof *pairs);
	if (pairs == NULL)
		return WK_ERR_NOMEM;

	for (i = 0; i < n; i++)
		pairs[i] = (struct metric_pair){ scores[i], labels[i] };
	qsort(pairs, n, sizeof *pairs, metric_compare_pairs);
	rank_sum = metric_positive_rank_sum(pairs, n);
	free(pairs);
	*auc = (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg);
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
