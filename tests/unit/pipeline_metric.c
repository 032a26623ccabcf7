/*
 * ROC AUC, log loss, Brier score, average precision, the top-10% metrics
 * and the calibration table on small hand-computed cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "core/rc.h"
#include "pipeline/metric.h"

static double
auc_of(const double *scores, const int8_t *labels, size_t n)
{
	double auc = -1.0;

	assert_int_equal(metric_auc(scores, labels, n, &auc), WK_OK);
	return auc;
}

static void
test_auc_perfect_and_reversed(void **state)
{
	const double scores[] = { 0.1, 0.2, 0.8, 0.9 };
	const int8_t up[] = { 0, 0, 1, 1 };
	const int8_t down[] = { 1, 1, 0, 0 };

	(void)state;
	assert_float_equal(auc_of(scores, up, 4), 1.0, 1e-12);
	assert_float_equal(auc_of(scores, down, 4), 0.0, 1e-12);
}

static void
test_auc_mixed_order(void **state)
{
	/*
	 * Positives at 0.35 and 0.8, negatives at 0.1 and 0.4: of the four
	 * (positive, negative) pairs, 0.8 beats both and 0.35 beats 0.1
	 * only, so AUC = 3/4.
	 */
	const double scores[] = { 0.1, 0.4, 0.35, 0.8 };
	const int8_t labels[] = { 0, 0, 1, 1 };

	(void)state;
	assert_float_equal(auc_of(scores, labels, 4), 0.75, 1e-12);
}

static void
test_auc_ties_count_half(void **state)
{
	/*
	 * One positive at 0.5 tied with one negative at 0.5, another
	 * negative at 0.2: pairs (0.5 vs 0.5) = 1/2 and (0.5 vs 0.2) = 1,
	 * AUC = 1.5 / 2 = 0.75.
	 */
	const double scores[] = { 0.5, 0.5, 0.2 };
	const int8_t labels[] = { 1, 0, 0 };
	const double same[] = { 3.0, 3.0, 3.0, 3.0, 3.0 };
	const int8_t same_labels[] = { 1, 0, 1, 0, 0 };

	(void)state;
	assert_float_equal(auc_of(scores, labels, 3), 0.75, 1e-12);
	/* All scores equal: every pair is a tie. */
	assert_float_equal(auc_of(same, same_labels, 5), 0.5, 1e-12);
}

static void
test_auc_ties_across_groups(void **state)
{
	/*
	 * Scores 1 1 2 2 2 3 with labels 0 1 0 1 1 1: ranks 1.5 1.5 4 4 4 6.
	 * Positive ranks 1.5 + 4 + 4 + 6 = 15.5; U = 15.5 - 4*5/2 = 5.5;
	 * AUC = 5.5 / (4 * 2) = 0.6875.
	 */
	const double scores[] = { 2, 1, 3, 2, 1, 2 };
	const int8_t labels[] = { 0, 0, 1, 1, 1, 1 };

	(void)state;
	assert_float_equal(auc_of(scores, labels, 6), 0.6875, 1e-12);
}

static void
test_auc_needs_both_classes(void **state)
{
	const double scores[] = { 0.1, 0.9 };
	const int8_t ones[] = { 1, 1 };
	const double with_nan[] = { 0.1, NAN };
	const int8_t mixed[] = { 0, 1 };
	double auc = 7.0;

	(void)state;
	assert_int_equal(metric_auc(scores, ones, 2, &auc), WK_ERR_INVALID);
	assert_int_equal(metric_auc(with_nan, mixed, 2, &auc), WK_ERR_INVALID);
	assert_int_equal(metric_auc(scores, mixed, 0, &auc), WK_ERR_INVALID);
	assert_float_equal(auc, 7.0, 0.0);
}

static void
test_logloss_values(void **state)
{
	const double probs[] = { 0.8, 0.3 };
	const int8_t labels[] = { 1, 0 };
	const double half[] = { 0.5 };
	const int8_t one[] = { 1 };

	(void)state;
	/* -(ln 0.8 + ln 0.7) / 2 */
	assert_float_equal(metric_logloss(probs, labels, 2),
	    -(log(0.8) + log(0.7)) / 2.0, 1e-12);
	assert_float_equal(metric_logloss(half, one, 1), log(2.0), 1e-12);
}

static void
test_logloss_clamps(void **state)
{
	const double sure[] = { 0.0, 1.0 };
	const int8_t wrong[] = { 1, 0 };
	const int8_t right[] = { 0, 1 };
	double loss;

	(void)state;
	loss = metric_logloss(sure, wrong, 2);
	assert_true(isfinite(loss));
	/* 1 - 1e-15 rounds in binary, so the second term is only near 34.54. */
	assert_float_equal(loss, -log(METRIC_PROB_MIN), 1e-3);
	assert_true(metric_logloss(sure, right, 2) < 1e-14);
}

static void
test_brier(void **state)
{
	const double probs[] = { 0.8, 0.3 };
	const int8_t labels[] = { 1, 0 };

	(void)state;
	/* ((1 - 0.8)^2 + 0.3^2) / 2 */
	assert_float_equal(metric_brier(probs, labels, 2), 0.065, 1e-12);
}

static void
test_average_precision(void **state)
{
	/*
	 * From the top: 0.9 positive (recall 1/2 at precision 1), 0.8
	 * negative (no recall gained), 0.7 positive (recall 1 at precision
	 * 2/3): AP = 1/2 * 1 + 1/2 * 2/3.
	 */
	const double scores[] = { 0.6, 0.9, 0.7, 0.8 };
	const int8_t labels[] = { 0, 1, 1, 0 };
	/*
	 * Tied 0.5s form one step: recall 1/2 at precision 1/2, then 0.1
	 * adds recall 1/2 at precision 2/3, as scikit-learn counts it.
	 */
	const double tied[] = { 0.5, 0.5, 0.1 };
	const int8_t tied_labels[] = { 1, 0, 1 };
	struct metric_report r;

	(void)state;
	assert_int_equal(metric_report(scores, labels, 4, &r), WK_OK);
	assert_float_equal(r.pr_auc, 0.5 + 1.0 / 3.0, 1e-12);
	assert_float_equal(r.auc, 0.75, 1e-12);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.positives, 2);
	assert_int_equal(metric_report(tied, tied_labels, 3, &r), WK_OK);
	assert_float_equal(r.pr_auc, 0.25 + 1.0 / 3.0, 1e-12);
}

static void
test_top_decile_shares_ties(void **state)
{
	/*
	 * 20 users, so the top 10% are 2 places. 0.9 (churned) takes one.
	 * The two tied 0.8s (one churned) share the last place, so each
	 * counts one half. That makes 1.5 churned in the top: precision
	 * 0.75, recall 1.5 / 4.
	 */
	double probs[20];
	int8_t labels[20];
	struct metric_report r;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++) {
		probs[i] = 0.01 * (double)i;
		labels[i] = 0;
	}
	probs[0] = 0.9;
	labels[0] = 1;
	probs[1] = 0.8;
	labels[1] = 0;
	probs[2] = 0.8;
	labels[2] = 1;
	labels[5] = 1;
	labels[6] = 1;
	assert_int_equal(metric_report(probs, labels, 20, &r), WK_OK);
	assert_float_equal(r.top_precision, 0.75, 1e-12);
	assert_float_equal(r.top_recall, 1.5 / 4.0, 1e-12);
}

static void
test_calibration_bins(void **state)
{
	const double probs[] = { 0.05, 0.15, 0.95, 1.0, 0.1 };
	const int8_t labels[] = { 0, 1, 1, 1, 0 };
	struct metric_report r;

	(void)state;
	assert_int_equal(metric_report(probs, labels, 5, &r), WK_OK);
	assert_int_equal(r.calibration[0].n, 1);
	assert_float_equal(r.calibration[0].observed, 0.0, 0.0);
	/* 0.1 opens bin 1, which also contains 0.15. */
	assert_int_equal(r.calibration[1].n, 2);
	assert_float_equal(r.calibration[1].mean_predicted, 0.125, 1e-12);
	assert_float_equal(r.calibration[1].observed, 0.5, 1e-12);
	/* 1.0 falls into the last bin. */
	assert_int_equal(r.calibration[9].n, 2);
	assert_float_equal(r.calibration[9].mean_predicted, 0.975, 1e-12);
	assert_int_equal(r.calibration[5].n, 0);
	assert_true(isnan(r.calibration[5].observed));
	assert_float_equal(r.brier, (0.05 * 0.05 + 0.85 * 0.85 + 0.05 * 0.05 +
	    0.0 + 0.1 * 0.1) / 5.0, 1e-12);
}

static void
test_report_needs_both_classes(void **state)
{
	const double probs[] = { 0.2, 0.4 };
	const int8_t zeros[] = { 0, 0 };
	struct metric_report r;

	(void)state;
	assert_int_equal(metric_report(probs, zeros, 2, &r), WK_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auc_perfect_and_reversed),
		cmocka_unit_test(test_auc_mixed_order),
		cmocka_unit_test(test_auc_ties_count_half),
		cmocka_unit_test(test_auc_ties_across_groups),
		cmocka_unit_test(test_auc_needs_both_classes),
		cmocka_unit_test(test_logloss_values),
		cmocka_unit_test(test_logloss_clamps),
		cmocka_unit_test(test_brier),
		cmocka_unit_test(test_average_precision),
		cmocka_unit_test(test_top_decile_shares_ties),
		cmocka_unit_test(test_calibration_bins),
		cmocka_unit_test(test_report_needs_both_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
