/*
 * Training and scoring helpers: strict decimals, the seeded holdout split,
 * the model file round trip (version 2, and version 1 files) and its
 * checks, feature CSV errors with their place, and the audience segments.
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

#include "pipeline/decimal.h"
#include "pipeline/ftable.h"
#include "pipeline/model.h"
#include "pipeline/predict.h"
#include "pipeline/split.h"

static char path[] = "/tmp/pipeline_model.XXXXXX";

static int
setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
write_file(const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_decimal_strict(void **state)
{
	double v = 0.0;

	(void)state;
	assert_int_equal(decimal_parse("12.50", 5, 0, &v), WK_OK);
	assert_float_equal(v, 12.5, 0.0);
	assert_int_equal(decimal_parse("-3e2", 4, 0, &v), WK_OK);
	assert_float_equal(v, -300.0, 0.0);
	assert_int_equal(decimal_parse("", 0, 1, &v), WK_OK);
	assert_float_equal(v, 0.0, 0.0);
	assert_int_equal(decimal_parse("", 0, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse("nan", 3, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse("inf", 3, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse("0x10", 4, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse(" 1", 2, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse("1,5", 3, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse("1e999", 5, 0, &v), WK_ERR_INVALID);
	assert_int_equal(decimal_parse("1..2", 4, 0, &v), WK_ERR_INVALID);
}

static bool
is_holdout(const char *id, uint64_t seed, double fraction)
{
	return split_unit(id, seed, SPLIT_STREAM_HOLDOUT) < fraction;
}

static void
test_holdout_split(void **state)
{
	size_t i, held_out = 0, moved = 0;
	char id[16];

	(void)state;
	for (i = 0; i < 20000; i++) {
		bool a, b;

		snprintf(id, sizeof id, "%05zu", i);
		a = is_holdout(id, 42, 0.2);
		b = is_holdout(id, 43, 0.2);
		/* The same id and seed always give the same part. */
		assert_true(a == is_holdout(id, 42, 0.2));
		held_out += a;
		moved += a != b;
	}
	/* About a fifth is held out (binomial sd about 57 users). */
	assert_in_range(held_out, 3700, 4300);
	/* Another seed gives another split. */
	assert_true(moved > 2000);
	assert_false(is_holdout("x", 1, 0.0));
	assert_true(is_holdout("x", 1, 1.0));
}

/* A model of two features with a known probability. */
static void
make_model(struct churn_model *m)
{
	assert_int_equal(model_alloc(m, 2), WK_OK);
	m->names[0] = strdup("recency_days");
	m->names[1] = strdup("frequency");
	m->means[0] = 10.0;
	m->means[1] = 2.0;
	m->stds[0] = 5.0;
	m->stds[1] = 1.0;
	m->weights[0] = 0.5;
	m->weights[1] = -1.0;
	m->bias = 0.25;
	m->c = 1.0;
	m->seed = 42;
	m->holdout_fraction = 0.2;
	m->train_users = 80;
	m->holdout_users = 20;
	m->metrics.holdout_auc = 0.75;
	m->metrics.baseline_auc = NAN;
}

static void
test_model_probability(void **state)
{
	const double x[] = { 20.0, 3.0 };
	struct churn_model m;

	(void)state;
	make_model(&m);
	/* z = 0.25 + 0.5 * (20 - 10) / 5 - 1 * (3 - 2) / 1 = 0.25 */
	assert_float_equal(model_probability(&m, x), 1.0 / (1.0 + exp(-0.25)),
	    1e-15);
	assert_float_equal(model_sigmoid(-800.0), 0.0, 1e-300);
	assert_float_equal(model_sigmoid(800.0), 1.0, 0.0);
	model_free(&m);
}

static void
test_model_round_trip(void **state)
{
	struct churn_model m, back;
	struct wk_err err;
	char *text;

	(void)state;
	make_model(&m);
	m.weights[0] = 0.1 + 0.2;   /* not exact in binary: must survive */
	text = model_to_json(&m);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"baseline_auc\": null"));
	write_file(text);
	free(text);

	assert_int_equal(model_load(&back, path, &err), WK_OK);
	assert_int_equal(back.n_features, 2);
	assert_string_equal(back.names[1], "frequency");
	assert_true(back.weights[0] == m.weights[0]);
	assert_true(back.stds[0] == 5.0);
	assert_true(back.bias == 0.25);
	assert_int_equal(back.seed, 42);
	assert_int_equal(back.holdout_users, 20);
	assert_float_equal(back.metrics.holdout_auc, 0.75, 0.0);
	assert_true(isnan(back.metrics.baseline_auc));
	model_free(&back);
	model_free(&m);
}

static void
test_model_version_1_loads(void **state)
{
	struct churn_model m;
	struct wk_err err;
	const double x[] = { 2.0 };

	(void)state;
	/* The file churn train wrote before it had XGBoost. */
	write_file("{\"format\": \"watchkeep-churn-model\", \"version\": 1, "
	    "\"model\": \"logistic_regression\", \"features\": [\"a\"], "
	    "\"means\": [1], \"stds\": [2], \"weights\": [4], \"bias\": -1, "
	    "\"c\": 1.0, \"metrics\": {\"holdout_auc\": 0.7}}");
	assert_int_equal(model_load(&m, path, &err), WK_OK);
	assert_int_equal(m.kind, MODEL_LOGISTIC);
	assert_float_equal(m.metrics.holdout_auc, 0.7, 0.0);
	assert_true(isnan(m.metrics.pr_auc));
	/* z = -1 + 4 * (2 - 1) / 2 = 1 */
	assert_float_equal(model_probability(&m, x), 1.0 / (1.0 + exp(-1.0)),
	    1e-15);
	model_free(&m);
}

static void
expect_model_rejected(const char *text, const char *what)
{
	struct churn_model m;
	struct wk_err err;

	write_file(text);
	assert_int_equal(model_load(&m, path, &err), WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, what));
}

static void
test_model_rejects_bad_files(void **state)
{
	struct churn_model m;
	struct wk_err err;

	(void)state;
	expect_model_rejected("{\"format\": \"x\"}", "\"format\" must be");
	expect_model_rejected("{\"format\": \"watchkeep-churn-model\", "
	    "\"version\": 3, \"features\": [\"a\"]}", "\"version\" 1 to 2");
	expect_model_rejected("{\"format\": \"watchkeep-churn-model\", "
	    "\"version\": 2, \"model\": \"forest\", \"features\": [\"a\"], "
	    "\"means\": [0], \"stds\": [1]}", "only logistic_regression and "
	    "xgboost");
	expect_model_rejected("{\"format\": \"watchkeep-churn-model\", "
	    "\"version\": 2, \"model\": \"xgboost\", \"features\": [\"a\"], "
	    "\"means\": [0], \"stds\": [1], \"xgboost\": {\"model\": "
	    "\"{}\"}}", "XGBoost failed to read the model");
	expect_model_rejected("{\n  \"format\": ,\n}", ":2:");
	expect_model_rejected("{\"format\": \"watchkeep-churn-model\", "
	    "\"version\": 1, \"features\": [\"a\"], \"bias\": 0, "
	    "\"means\": [0], \"stds\": [0], \"weights\": [1]}",
	    "\"stds\"[0] is 0");
	expect_model_rejected("{\"format\": \"watchkeep-churn-model\", "
	    "\"version\": 1, \"features\": [\"a\", \"b\"], \"bias\": 0, "
	    "\"means\": [0], \"stds\": [1, 1], \"weights\": [1, 1]}",
	    "\"means\" must be an array of 2 numbers");
	assert_int_equal(model_load(&m, "/nonexistent/model.json", &err),
	    WK_ERR_NOTFOUND);
}

static void
test_ftable_load(void **state)
{
	struct ftable t;
	struct wk_err err;

	(void)state;
	write_file("user_id,label,a,b\n"
	    "u1,1,1.5,2\n"
	    "\"u,2\",0,-1,0\n"
	    "u3,,3,4\n");
	assert_int_equal(ftable_load(&t, path, NULL, NULL, &err), WK_OK);
	assert_int_equal(t.n_rows, 3);
	assert_int_equal(t.n_features, 2);
	assert_string_equal(ftable_id(&t, 1), "u,2");
	assert_int_equal(t.label[0], 1);
	assert_int_equal(t.label[2], FTABLE_NO_LABEL);
	assert_int_equal(t.first_unlabelled_line, 4);
	assert_float_equal(t.x[1 * 2 + 0], -1.0, 0.0);
	assert_int_equal(ftable_find(&t, "b"), 1);
	assert_int_equal(ftable_find(&t, "c"), -1);
	ftable_free(&t);
}

static void
expect_ftable_rejected(const char *text, const char *where)
{
	struct ftable t;
	struct wk_err err;

	write_file(text);
	assert_int_equal(ftable_load(&t, path, NULL, NULL, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, where));
}

static void
test_ftable_errors_name_the_place(void **state)
{
	(void)state;
	expect_ftable_rejected("id,label,a\nu1,1,2\n", ":1: the header");
	expect_ftable_rejected("user_id,label,a,b\nu1,1,2,3\nu2,1,nan,3\n",
	    ":3:3: a 'nan' is not a finite decimal number");
	expect_ftable_rejected("user_id,label,a\nu1,2,1\n",
	    ":2:2: label '2'");
	expect_ftable_rejected("user_id,label,a\nu1,1\n",
	    ":2: 2 fields, but the header has 3");
	expect_ftable_rejected("user_id,label,a\n,1,1\n",
	    ":2:1: the user id is empty");
}

static void
test_segments(void **state)
{
	(void)state;
	/* 23570 users: high ranks 1..2357, medium 2358..7071, low after. */
	assert_string_equal(predict_segment(1, 23570), "high");
	assert_string_equal(predict_segment(2357, 23570), "high");
	assert_string_equal(predict_segment(2358, 23570), "medium");
	assert_string_equal(predict_segment(7071, 23570), "medium");
	assert_string_equal(predict_segment(7072, 23570), "low");
	/* Shares round up: 5 users give 1 high, 1 medium (ceil 1.5 = 2). */
	assert_string_equal(predict_segment(1, 5), "high");
	assert_string_equal(predict_segment(2, 5), "medium");
	assert_string_equal(predict_segment(3, 5), "low");
	assert_string_equal(predict_segment(1, 1), "high");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal_strict),
		cmocka_unit_test(test_holdout_split),
		cmocka_unit_test(test_model_probability),
		cmocka_unit_test(test_model_round_trip),
		cmocka_unit_test(test_model_version_1_loads),
		cmocka_unit_test(test_model_rejects_bad_files),
		cmocka_unit_test(test_ftable_load),
		cmocka_unit_test(test_ftable_errors_name_the_place),
		cmocka_unit_test(test_segments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
