#include "pipeline/model.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/logit.h"

static const struct model_metrics model_no_metrics = { NAN, NAN, NAN, NAN,
	NAN, NAN, NAN, NAN, NAN, NAN };

int
model_alloc(struct churn_model *m, size_t n)
{
	memset(m, 0, sizeof *m);
	m->names = calloc(n + 1, sizeof *m->names);
	m->means = calloc(n + 1, sizeof *m->means);
	m->stds = calloc(n + 1, sizeof *m->stds);
	m->weights = calloc(n + 1, sizeof *m->weights);
	m->n_features = n;
	m->metrics = model_no_metrics;
	if (m->names == NULL || m->means == NULL || m->stds == NULL ||
	    m->weights == NULL) {
		model_free(m);
		return WK_ERR_NOMEM;
	}
	return WK_OK;
}

void
model_free(struct churn_model *m)
{
	size_t i;

	for (i = 0; i < m->n_features && m->names != NULL; i++)
		free(m->names[i]);
	free(m->names);
	free(m->means);
	free(m->stds);
	free(m->weights);
	free(m->booster_json);
	gbt_free(&m->booster);
	json_decref(m->details);
	memset(m, 0, sizeof *m);
}

const char *
model_kind_name(enum model_kind kind)
{
	return kind == MODEL_XGBOOST ? "xgboost" : "logistic_regression";
}

double
model_sigmoid(double z)
{
	double e;

	if (z >= 0.0)
		return 1.0 / (1.0 + exp(-z));
	e = exp(z);
	return e / (1.0 + e);
}

double
model_probability(const struct churn_model *m, const double *x)
{
	const struct logit_scaling scaling = { m->means, m->stds,
	    m->n_features };

	return logit_probability(&scaling, m->weights, m->bias, x);
}

int
model_score(const struct churn_model *m, const struct ftable *t,
	    const size_t *rows, size_t n, double *probs, struct wk_err *err)
{
	size_t i;

	if (m->kind == MODEL_XGBOOST)
		return gbt_predict(&m->booster, t, rows, n, probs, err);
	for (i = 0; i < n; i++) {
		size_t row = rows != NULL ? rows[i] : i;

		probs[i] = model_probability(m, t->x + row * t->n_features);
	}
	return WK_OK;
}

/* A JSON number, or null for NaN (JSON has no NaN). */
static json_t *
model_json_number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
model_json_array(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

static json_t *
model_json_metrics(const struct churn_model *m)
{
	const struct model_metrics *x = &m->metrics;
	const struct { const char *name; double value; } items[] = {
		{ "holdout_auc", x->holdout_auc },
		{ "baseline_auc", x->baseline_auc },
		{ "holdout_logloss", x->holdout_logloss },
		{ "pr_auc", x->pr_auc },
		{ "brier", x->brier },
		{ "top10_precision", x->top10_precision },
		{ "top10_recall", x->top10_recall },
		{ "validation_auc", x->validation_auc },
		{ "train_auc", x->train_auc },
		{ "train_logloss", x->train_logloss },
	};
	json_t *obj = json_object();
	size_t i;

	for (i = 0; obj != NULL && i < sizeof items / sizeof items[0]; i++)
		json_object_set_new(obj, items[i].name,
		    model_json_number(items[i].value));
	return obj;
}

/* Adds the members that score: the logistic weights or the booster. */
static void
model_json_scorer(const struct churn_model *m, json_t *root)
{
	char version[32];

	if (m->kind == MODEL_LOGISTIC) {
		json_object_set_new(root, "solver",
		    json_string("liblinear L2R_LR"));
		json_object_set_new(root, "c", json_real(m->c));
		json_object_set_new(root, "weights",
		    model_json_array(m->weights, m->n_features));
		json_object_set_new(root, "bias", json_real(m->bias));
		return;
	}
	gbt_version(version, sizeof version);
	json_object_set_new(root, "xgboost", json_pack("{s:s, s:I, s:s}",
	    "library_version", version, "rounds",
	    (json_int_t)m->booster.rounds, "model",
	    m->booster_json != NULL ? m->booster_json : ""));
}

char *
model_to_json(const struct churn_model *m)
{
	json_t *root = json_object(), *names = json_array();
	char *text = NULL;
	size_t i;

	for (i = 0; names != NULL && i < m->n_features; i++)
		json_array_append_new(names, json_string(m->names[i]));
	json_object_set_new(root, "format", json_string(MODEL_FORMAT));
	json_object_set_new(root, "version", json_integer(MODEL_VERSION));
	json_object_set_new(root, "model",
	    json_string(model_kind_name(m->kind)));
	json_object_set_new(root, "features", names);
	json_object_set_new(root, "means",
	    model_json_array(m->means, m->n_features));
	json_object_set_new(root, "stds",
	    model_json_array(m->stds, m->n_features));
	model_json_scorer(m, root);
	json_object_set_new(root, "seed", json_integer((json_int_t)m->seed));
	json_object_set_new(root, "holdout_fraction",
	    model_json_number(m->holdout_fraction));
	json_object_set_new(root, "rows", json_pack("{s:I, s:I, s:I, s:I}",
	    "train_users", (json_int_t)m->train_users,
	    "train_churned", (json_int_t)m->train_churned,
	    "holdout_users", (json_int_t)m->holdout_users,
	    "holdout_churned", (json_int_t)m->holdout_churned));
	json_object_set_new(root, "metrics", model_json_metrics(m));
	if (m->details != NULL)
		json_object_update(root, m->details);

	if (root != NULL)
		text = json_dumps(root, JSON_INDENT(2) |
		    JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}

__attribute__((format(printf, 3, 4)))
static int
model_invalid(struct wk_err *err, const char *path, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return wk_err_set(err, WK_ERR_INVALID, _("'%s' is not a valid churn "
	    "model: %s; train it again with churn train"), path, detail);
}

/* Reads the array key of n finite numbers into out. */
static int
model_read_numbers(json_t *root, const char *key, size_t n, double *out,
		   const char *path, struct wk_err *err)
{
	json_t *a = json_object_get(root, key);
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return model_invalid(err, path, _("\"%s\" must be an array of "
		    "%zu numbers, one a feature"), key, n);
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			return model_invalid(err, path, _("\"%s\"[%zu] is not "
			    "a finite number"), key, i);
		out[i] = json_number_value(v);
	}
	return WK_OK;
}

static int
model_read_names(struct churn_model *m, json_t *names, const char *path,
		 struct wk_err *err)
{
	size_t i;

	for (i = 0; i < m->n_features; i++) {
		json_t *v = json_array_get(names, i);

		if (!json_is_string(v) || json_string_length(v) == 0)
			return model_invalid(err, path, _("\"features\"[%zu] is "
			    "not a non-empty string"), i);
		m->names[i] = strdup(json_string_value(v));
		if (m->names[i] == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	return WK_OK;
}

/* Reads an optional number; absent or null leaves NAN. */
static double
model_optional_number(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
model_read_metrics(struct churn_model *m, json_t *metrics)
{
	struct model_metrics *x = &m->metrics;

	x->holdout_auc = model_optional_number(metrics, "holdout_auc");
	x->baseline_auc = model_optional_number(metrics, "baseline_auc");
	x->holdout_logloss = model_optional_number(metrics, "holdout_logloss");
	x->pr_auc = model_optional_number(metrics, "pr_auc");
	x->brier = model_optional_number(metrics, "brier");
	x->top10_precision = model_optional_number(metrics, "top10_precision");
	x->top10_recall = model_optional_number(metrics, "top10_recall");
	x->validation_auc = model_optional_number(metrics, "validation_auc");
	x->train_auc = model_optional_number(metrics, "train_auc");
	x->train_logloss = model_optional_number(metrics, "train_logloss");
}

static void
model_read_extras(struct churn_model *m, json_t *root)
{
	json_t *rows = json_object_get(root, "rows");

	/* json_integer_value() returns 0 for a missing or non-integer value. */
	m->holdout_fraction = model_optional_number(root, "holdout_fraction");
	m->seed = (uint64_t)json_integer_value(json_object_get(root, "seed"));
	m->train_users = (uint64_t)json_integer_value(
	    json_object_get(rows, "train_users"));
	m->train_churned = (uint64_t)json_integer_value(
	    json_object_get(rows, "train_churned"));
	m->holdout_users = (uint64_t)json_integer_value(
	    json_object_get(rows, "holdout_users"));
	m->holdout_churned = (uint64_t)json_integer_value(
	    json_object_get(rows, "holdout_churned"));
	model_read_metrics(m, json_object_get(root, "metrics"));
}

/* Reads the weights and bias of a logistic model. */
static int
model_read_logistic(struct churn_model *m, json_t *root, const char *path,
		    struct wk_err *err)
{
	json_t *bias = json_object_get(root, "bias");

	if (!json_is_number(bias) || !isfinite(json_number_value(bias)))
		return model_invalid(err, path, _("\"bias\" is not a finite "
		    "number"));
	m->bias = json_number_value(bias);
	m->c = model_optional_number(root, "c");
	return model_read_numbers(root, "weights", m->n_features, m->weights,
	    path, err);
}

/* Loads the embedded XGBoost model. */
static int
model_read_xgboost(struct churn_model *m, json_t *root, const char *path,
		   struct wk_err *err)
{
	json_t *text = json_object_get(json_object_get(root, "xgboost"),
	    "model");
	struct wk_err xerr;

	if (!json_is_string(text) || json_string_length(text) == 0)
		return model_invalid(err, path, _("\"xgboost\".\"model\" must "
		    "be XGBoost's JSON model as a string"));
	m->booster_json = strdup(json_string_value(text));
	if (m->booster_json == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	if (gbt_load_json(&m->booster, m->booster_json,
	    json_string_length(text), m->n_features, &xerr) != WK_OK)
		return model_invalid(err, path, "%s", xerr.msg);
	return WK_OK;
}

/* Reads the kind of model named by "model" (version 1 has only one). */
static int
model_read_kind(struct churn_model *m, json_t *root, const char *path,
		struct wk_err *err)
{
	const char *kind = json_string_value(json_object_get(root, "model"));

	if (kind == NULL || strcmp(kind, "logistic_regression") == 0) {
		m->kind = MODEL_LOGISTIC;
		return model_read_logistic(m, root, path, err);
	}
	if (strcmp(kind, "xgboost") == 0) {
		m->kind = MODEL_XGBOOST;
		return model_read_xgboost(m, root, path, err);
	}
	return model_invalid(err, path, _("\"model\" is '%s', but only "
	    "logistic_regression and xgboost are known"), kind);
}

/* Checks format and version and reads everything scoring needs. */
static int
model_read(struct churn_model *m, json_t *root, const char *path,
	   struct wk_err *err)
{
	json_t *names = json_object_get(root, "features");
	const char *format = json_string_value(json_object_get(root, "format"));
	json_int_t version = json_integer_value(json_object_get(root,
	    "version"));
	size_t i;
	int rc;

	if (format == NULL || strcmp(format, MODEL_FORMAT) != 0 ||
	    version < 1 || version > MODEL_VERSION)
		return model_invalid(err, path, _("\"format\" must be \"%s\" "
		    "and \"version\" 1 to %d"), MODEL_FORMAT, MODEL_VERSION);
	if (!json_is_array(names) || json_array_size(names) == 0)
		return model_invalid(err, path, _("\"features\" must be a "
		    "non-empty array of names"));
	if (model_alloc(m, json_array_size(names)) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));

	if ((rc = model_read_names(m, names, path, err)) != WK_OK ||
	    (rc = model_read_numbers(root, "means", m->n_features, m->means,
	    path, err)) != WK_OK ||
	    (rc = model_read_numbers(root, "stds", m->n_features, m->stds,
	    path, err)) != WK_OK)
		return rc;
	for (i = 0; i < m->n_features; i++) {
		if (!(m->stds[i] > 0.0))
			return model_invalid(err, path, _("\"stds\"[%zu] is %g, "
			    "but a standard deviation must be above 0"), i,
			    m->stds[i]);
	}
	rc = model_read_kind(m, root, path, err);
	if (rc == WK_OK)
		model_read_extras(m, root);
	return rc;
}

int
model_load(struct churn_model *m, const char *path, struct wk_err *err)
{
	json_error_t jerr;
	json_t *root;
	FILE *fp;
	int rc;

	memset(m, 0, sizeof *m);
	fp = fopen(path, "re");
	if (fp == NULL)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("cannot open '%s': "
		    "%s; check the path and its permissions"), path,
		    strerror(errno));
	root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	if (root == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%d:%d: %s; the "
		    "model file must be the JSON written by churn train"), path,
		    jerr.line, jerr.column, jerr.text);

	rc = json_is_object(root) ? model_read(m, root, path, err) :
	    model_invalid(err, path, _("the top level is not an object"));
	json_decref(root);
	if (rc != WK_OK)
		model_free(m);
	return rc;
}
