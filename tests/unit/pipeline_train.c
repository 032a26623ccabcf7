/*
 * The parts of churn train on small synthetic tables: the seeded split,
 * the cross-validation and fit of the logistic regression, XGBoost
 * training, scoring and its JSON round trip, an XGBoost model file, and
 * the generator's random numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/ftable.h"
#include "pipeline/gbt.h"
#include "pipeline/genrand.h"
#include "pipeline/logit.h"
#include "pipeline/metric.h"
#include "pipeline/model.h"
#include "pipeline/split.h"

#define N_USERS 2000

static char path[] = "/tmp/pipeline_train.XXXXXX";
static struct ftable table;

/*
 * Writes N_USERS users with two features: "signal" decides the label
 * through a logistic curve, "noise" is independent of it.
 */
static int
setup(void **state)
{
	struct gen_rng g;
	struct wk_err err;
	FILE *fp;
	int fd = mkstemp(path), i;

	(void)state;
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		return -1;
	gen_seed(&g, 3);
	fprintf(fp, "user_id,label,signal,noise\n");
	for (i = 0; i < N_USERS; i++) {
		double signal = gen_normal(&g), noise = gen_normal(&g);
		int label = gen_uniform(&g) < 1.0 / (1.0 + exp(-2.0 * signal));

		fprintf(fp, "u%d,%d,%.6f,%.6f\n", i, label, signal, noise);
	}
	fclose(fp);
	return ftable_load(&table, path, NULL, NULL, &err) == WK_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	ftable_free(&table);
	unlink(path);
	return 0;
}

static const struct split_plan plan = { 0.2, 0.25, 5, 42 };

static void
test_split_in_time(void **state)
{
	struct split_sets s;
	int *seen = calloc(N_USERS, sizeof *seen);
	size_t i;

	(void)state;
	assert_int_equal(split_assign(&table, NULL, &plan, &s), WK_OK);
	assert_false(s.out_of_time);
	assert_int_equal(s.fit.n + s.validation.n + s.holdout.n, N_USERS);
	/* 20% held out, a quarter of the rest for validation; sd ~18. */
	assert_in_range(s.holdout.n, 330, 470);
	assert_in_range(s.validation.n, 330, 470);
	for (i = 0; i < s.fit.n; i++) {
		seen[s.fit.rows[i]]++;
		assert_true(s.fit.fold[i] < 5);
	}
	for (i = 0; i < s.validation.n; i++)
		seen[s.validation.rows[i]]++;
	for (i = 0; i < s.holdout.n; i++)
		seen[s.holdout.rows[i]]++;
	for (i = 0; i < N_USERS; i++)
		assert_int_equal(seen[i], 1);
	free(seen);
	split_free(&s);
}

static void
test_split_out_of_time(void **state)
{
	struct split_sets s;

	(void)state;
	/* The same table serves as the later one, so all of it is held out. */
	assert_int_equal(split_assign(&table, &table, &plan, &s), WK_OK);
	assert_true(s.out_of_time);
	assert_int_equal(s.holdout.n, N_USERS);
	assert_int_equal(s.fit.n + s.validation.n, N_USERS);
	/* The validation users do not depend on the holdout stream. */
	assert_in_range(s.validation.n, 400, 600);
	split_free(&s);
}

static void
test_logit_cross_validation(void **state)
{
	static const double means[2] = { 0.0, 0.0 }, stds[2] = { 1.0, 1.0 };
	const struct logit_scaling scaling = { means, stds, 2 };
	struct split_sets s;
	struct logit_cv cv;
	struct wk_err err;
	double w[2], bias;
	size_t g;

	(void)state;
	assert_int_equal(split_assign(&table, NULL, &plan, &s), WK_OK);
	assert_int_equal(logit_cross_validate(&s.fit, 5, &scaling, NULL, &cv,
	    &err), WK_OK);
	assert_int_equal(cv.n, 6);
	for (g = 0; g < cv.n; g++) {
		/* The signal ranks well at every C; none beats the best. */
		assert_true(cv.auc[g] > 0.7 && cv.auc[g] < 0.95);
		assert_true(cv.auc[g] <= cv.auc[cv.best]);
	}
	/* Weak regularization: the label came from 2 * signal, so the
	 * weight is near 2 and that of the noise near 0. */
	assert_int_equal(logit_fit(&s.fit, -1, &scaling, 100.0, NULL, w,
	    &bias, &err), WK_OK);
	assert_true(w[0] > 1.4 && w[0] < 2.6);
	assert_true(fabs(w[1]) < 0.3);
	assert_true(logit_probability(&scaling, w, bias,
	    (const double[]){ 3.0, 0.0 }) > 0.9);
	split_free(&s);
}

/* Scores the holdout users of s with b into probs; returns their AUC. */
static double
holdout_auc(const struct gbt_booster *b, const struct split_sets *s,
	    double *probs)
{
	int8_t *labels = malloc(s->holdout.n);
	struct wk_err err;
	double auc = 0.0;
	size_t i;

	assert_non_null(labels);
	assert_int_equal(gbt_predict(b, &table, s->holdout.rows, s->holdout.n,
	    probs, &err), WK_OK);
	for (i = 0; i < s->holdout.n; i++)
		labels[i] = table.label[s->holdout.rows[i]];
	assert_int_equal(metric_auc(probs, labels, s->holdout.n, &auc), WK_OK);
	free(labels);
	return auc;
}

static void
test_gbt_train_and_round_trip(void **state)
{
	const struct gbt_params p = { 200, 3, 0.1, 10, 42, false };
	struct gbt_booster b, back;
	struct gbt_fit_info info;
	struct split_sets s;
	struct wk_err err;
	double *probs = calloc(N_USERS, sizeof *probs);
	double *again = calloc(N_USERS, sizeof *again);
	char *json;
	size_t i;

	(void)state;
	assert_int_equal(split_assign(&table, NULL, &plan, &s), WK_OK);
	assert_int_equal(gbt_train(&s.fit, &p, NULL, &b, &info, &err), WK_OK);
	/* Early stopping ended the first pass before the 200 rounds. */
	assert_true(info.best_rounds >= 1 && info.best_rounds < 200);
	assert_true(info.rounds_run <= info.best_rounds + 10);
	assert_int_equal(b.rounds, info.best_rounds);
	assert_true(isfinite(info.stop_logloss));
	assert_true(holdout_auc(&b, &s, probs) > 0.7);

	assert_int_equal(gbt_save_json(&b, &json, &err), WK_OK);
	assert_int_equal(gbt_load_json(&back, json, strlen(json), 2, &err),
	    WK_OK);
	assert_int_equal(back.rounds, b.rounds);
	holdout_auc(&back, &s, again);
	for (i = 0; i < s.holdout.n; i++)
		assert_true(probs[i] == again[i]);

	/* A booster of 2 features is not one of 3; nor is text a model. */
	gbt_free(&back);
	assert_int_equal(gbt_load_json(&back, json, strlen(json), 3, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, "takes 2 features"));
	assert_int_equal(gbt_load_json(&back, "{\"no\": 1}", 9, 2, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, "XGBoost failed to read the model"));

	free(json);
	free(probs);
	free(again);
	gbt_free(&b);
	split_free(&s);
}

static void
test_model_file_with_xgboost(void **state)
{
	const struct gbt_params p = { 30, 2, 0.3, 5, 1, false };
	struct churn_model m, back;
	struct gbt_fit_info info;
	struct split_sets s;
	struct wk_err err;
	double probs[4], again[4];
	char *text;
	FILE *fp;

	(void)state;
	assert_int_equal(split_assign(&table, NULL, &plan, &s), WK_OK);
	assert_int_equal(model_alloc(&m, 2), WK_OK);
	m.kind = MODEL_XGBOOST;
	m.names[0] = strdup("signal");
	m.names[1] = strdup("noise");
	m.stds[0] = m.stds[1] = 1.0;
	assert_int_equal(gbt_train(&s.fit, &p, NULL, &m.booster, &info, &err),
	    WK_OK);
	assert_int_equal(gbt_save_json(&m.booster, &m.booster_json, &err),
	    WK_OK);
	text = model_to_json(&m);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"model\": \"xgboost\""));
	assert_null(strstr(text, "\"weights\""));
	/* The table is in memory: its file can hold the model now. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(text);

	assert_int_equal(model_load(&back, path, &err), WK_OK);
	assert_int_equal(back.kind, MODEL_XGBOOST);
	assert_int_equal(back.booster.rounds, m.booster.rounds);
	assert_int_equal(model_score(&m, &table, s.holdout.rows, 4, probs,
	    &err), WK_OK);
	assert_int_equal(model_score(&back, &table, s.holdout.rows, 4, again,
	    &err), WK_OK);
	assert_memory_equal(probs, again, sizeof probs);
	model_free(&back);
	model_free(&m);
	split_free(&s);
}

static void
test_genrand(void **state)
{
	struct gen_rng a, b;
	double sum_u = 0.0, sum_g = 0.0, sum_e = 0.0, sum_geo = 0.0;
	int i, n = 200000;

	(void)state;
	gen_seed(&a, 9);
	gen_seed(&b, 9);
	for (i = 0; i < 100; i++)
		assert_true(gen_next(&a) == gen_next(&b));
	gen_seed(&b, 10);
	assert_false(gen_next(&a) == gen_next(&b));

	for (i = 0; i < n; i++) {
		double u = gen_uniform(&a);

		assert_true(u >= 0.0 && u < 1.0);
		sum_u += u;
		sum_g += gen_gamma(&a, 0.4, 0.016);
		sum_e += gen_exponential(&a, 3.0);
		sum_geo += (double)gen_geometric(&a, 0.25);
		assert_true(gen_below(&a, 7) < 7);
	}
	/* Means within about 5 standard errors. */
	assert_float_equal(sum_u / n, 0.5, 0.004);
	assert_float_equal(sum_g / n, 0.4 * 0.016, 0.0003);
	assert_float_equal(sum_e / n, 3.0, 0.04);
	assert_float_equal(sum_geo / n, 3.0, 0.04);   /* (1 - p) / p */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_in_time),
		cmocka_unit_test(test_split_out_of_time),
		cmocka_unit_test(test_logit_cross_validation),
		cmocka_unit_test(test_gbt_train_and_round_trip),
		cmocka_unit_test(test_model_file_with_xgboost),
		cmocka_unit_test(test_genrand),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
