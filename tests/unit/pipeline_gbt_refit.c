/*
 * XGBoost training with and without the refit on every fit user
 * (struct gbt_params.no_refit, churn train --xgb-no-refit), on a small
 * synthetic table.
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
#include "pipeline/metric.h"
#include "pipeline/split.h"

#define N_USERS 3000
#define MAX_ROUNDS 300
#define EARLY_STOP 8

static char path[] = "/tmp/pipeline_gbt_refit.XXXXXX";
static struct ftable table;
static struct split_sets sets;
static const struct split_plan plan = { 0.2, 0.25, 5, 42 };

/*
 * Writes N_USERS users with two features: "signal" decides the label
 * through a logistic curve, "noise" is independent of it. A high learning
 * rate makes early stopping end well before MAX_ROUNDS.
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
	gen_seed(&g, 11);
	fprintf(fp, "user_id,label,signal,noise\n");
	for (i = 0; i < N_USERS; i++) {
		double signal = gen_normal(&g), noise = gen_normal(&g);
		int label = gen_uniform(&g) < 1.0 / (1.0 + exp(-2.0 * signal));

		fprintf(fp, "u%d,%d,%.6f,%.6f\n", i, label, signal, noise);
	}
	fclose(fp);
	if (ftable_load(&table, path, NULL, NULL, &err) != WK_OK)
		return -1;
	return split_assign(&table, NULL, &plan, &sets) == WK_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	split_free(&sets);
	ftable_free(&table);
	unlink(path);
	return 0;
}

/* Scores the holdout users with b into probs (sets.holdout.n entries). */
static void
score_holdout(const struct gbt_booster *b, double *probs)
{
	struct wk_err err;

	assert_int_equal(gbt_predict(b, &table, sets.holdout.rows,
	    sets.holdout.n, probs, &err), WK_OK);
}

static double
holdout_auc(const double *probs)
{
	int8_t *labels = malloc(sets.holdout.n);
	double auc = 0.0;
	size_t i;

	assert_non_null(labels);
	for (i = 0; i < sets.holdout.n; i++)
		labels[i] = table.label[sets.holdout.rows[i]];
	assert_int_equal(metric_auc(probs, labels, sets.holdout.n, &auc),
	    WK_OK);
	free(labels);
	return auc;
}

/* Trains with p and checks the rounds early stopping found. */
static void
train(const struct gbt_params *p, struct gbt_booster *b,
      struct gbt_fit_info *info)
{
	struct wk_err err;

	assert_int_equal(gbt_train(&sets.fit, p, NULL, b, info, &err), WK_OK);
	assert_true(info->best_rounds >= 1);
	assert_true(info->best_rounds < MAX_ROUNDS);
	assert_int_equal(info->rounds_run, info->best_rounds + EARLY_STOP);
	assert_int_equal(b->rounds, info->best_rounds);
}

static void
test_no_refit_keeps_best_rounds(void **state)
{
	const struct gbt_params p = { .max_rounds = MAX_ROUNDS, .max_depth = 3,
	    .eta = 0.5, .early_stop = EARLY_STOP, .seed = 42,
	    .no_refit = true };
	struct gbt_booster b, back;
	struct gbt_fit_info info;
	struct wk_err err;
	double *probs = calloc(sets.holdout.n, sizeof *probs);
	char *json;

	(void)state;
	assert_non_null(probs);
	train(&p, &b, &info);
	assert_false(info.refit);
	assert_true(info.stop_users > 0);
	score_holdout(&b, probs);
	assert_true(holdout_auc(probs) > 0.7);

	/* The saved model contains the best rounds only, not the EARLY_STOP
	 * rounds after them that the stopping pass also trained. */
	assert_int_equal(gbt_save_json(&b, &json, &err), WK_OK);
	assert_int_equal(gbt_load_json(&back, json, strlen(json), 2, &err),
	    WK_OK);
	assert_int_equal(back.rounds, info.best_rounds);

	free(json);
	free(probs);
	gbt_free(&back);
	gbt_free(&b);
}

static void
test_refit_differs_from_kept(void **state)
{
	struct gbt_params p = { .max_rounds = MAX_ROUNDS, .max_depth = 3,
	    .eta = 0.5, .early_stop = EARLY_STOP, .seed = 42 };
	struct gbt_booster refit, kept, again;
	struct gbt_fit_info refit_info, kept_info, again_info;
	double *a = calloc(sets.holdout.n, sizeof *a);
	double *b = calloc(sets.holdout.n, sizeof *b);
	double *c = calloc(sets.holdout.n, sizeof *c);
	size_t i, differ = 0;

	(void)state;
	assert_true(a != NULL && b != NULL && c != NULL);
	train(&p, &refit, &refit_info);
	assert_true(refit_info.refit);
	p.no_refit = true;
	train(&p, &kept, &kept_info);
	train(&p, &again, &again_info);

	/* Both runs stop at the same round. Only the training rows of the
	 * kept booster differ, so its scores differ from the refit's. */
	assert_int_equal(kept_info.best_rounds, refit_info.best_rounds);
	score_holdout(&refit, a);
	score_holdout(&kept, b);
	score_holdout(&again, c);
	for (i = 0; i < sets.holdout.n; i++)
		differ += a[i] != b[i];
	assert_true(differ > sets.holdout.n / 2);
	/* The same seed gives the same kept booster. */
	assert_memory_equal(b, c, sets.holdout.n * sizeof *b);

	free(a);
	free(b);
	free(c);
	gbt_free(&refit);
	gbt_free(&kept);
	gbt_free(&again);
}

/* Without users in fold 0 nothing can stop early, so the booster is
 * trained on every fit user for max_rounds even with no_refit. */
static void
test_no_refit_without_stop_fold(void **state)
{
	const struct gbt_params p = { .max_rounds = 12, .max_depth = 2,
	    .eta = 0.3, .early_stop = 3, .seed = 1, .no_refit = true };
	struct split_set fit = sets.fit;
	struct gbt_booster b;
	struct gbt_fit_info info;
	struct wk_err err;
	uint8_t *folds = malloc(fit.n + 1);
	size_t i;

	(void)state;
	assert_non_null(folds);
	for (i = 0; i < fit.n; i++)
		folds[i] = 1;
	fit.fold = folds;
	assert_int_equal(gbt_train(&fit, &p, NULL, &b, &info, &err), WK_OK);
	assert_true(info.refit);
	assert_int_equal(info.stop_users, 0);
	assert_int_equal(info.best_rounds, 12);
	assert_int_equal(b.rounds, 12);
	free(folds);
	gbt_free(&b);
}

/* The warning of --xgb-no-refit: none without the flag or with a large
 * fold 0, one when the refit ran anyway or fold 0 is small. */
static void
test_no_refit_warning(void **state)
{
	struct gbt_params p = { .no_refit = false };
	struct gbt_fit_info info = { .best_rounds = 12, .stop_users = 0,
	    .refit = true };
	char buf[512] = "";

	(void)state;
	assert_int_equal(gbt_no_refit_warning(&p, &info, buf, sizeof buf), 0);
	p.no_refit = true;
	assert_int_equal(gbt_no_refit_warning(&p, &info, buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "no effect"));
	assert_non_null(strstr(buf, "12 rounds"));

	info.refit = false;
	info.stop_users = 1;
	info.best_rounds = 3;
	assert_int_equal(gbt_no_refit_warning(&p, &info, buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "on 1 user of fold 0"));
	assert_non_null(strstr(buf, "3 rounds"));

	info.stop_users = GBT_STOP_USERS_MIN - 1;
	assert_int_equal(gbt_no_refit_warning(&p, &info, buf, sizeof buf), 1);
	info.stop_users = GBT_STOP_USERS_MIN;
	assert_int_equal(gbt_no_refit_warning(&p, &info, buf, sizeof buf), 0);
}

/* A fold 0 of a single user stops early, keeps the booster and warns. */
static void
test_no_refit_one_stop_user(void **state)
{
	const struct gbt_params p = { .max_rounds = 40, .max_depth = 2,
	    .eta = 0.3, .early_stop = 3, .seed = 1, .no_refit = true };
	struct split_set fit = sets.fit;
	struct gbt_booster b;
	struct gbt_fit_info info;
	struct wk_err err;
	uint8_t *folds = malloc(fit.n + 1);
	char buf[512];
	size_t i;

	(void)state;
	assert_non_null(folds);
	for (i = 0; i < fit.n; i++)
		folds[i] = i == 0 ? 0 : 1;
	fit.fold = folds;
	assert_int_equal(gbt_train(&fit, &p, NULL, &b, &info, &err), WK_OK);
	assert_false(info.refit);
	assert_int_equal(info.stop_users, 1);
	assert_int_equal(gbt_no_refit_warning(&p, &info, buf, sizeof buf), 1);
	free(folds);
	gbt_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_refit_keeps_best_rounds),
		cmocka_unit_test(test_refit_differs_from_kept),
		cmocka_unit_test(test_no_refit_without_stop_fold),
		cmocka_unit_test(test_no_refit_warning),
		cmocka_unit_test(test_no_refit_one_stop_user),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
