#include "pipeline/model.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"

int
model_alloc(struct churn_model *m, size_t n)
{
	memset(m, 0, sizeof *m);
	m->names = calloc(n + 1, sizeof *m->names);
	m->means = calloc(n + 1, sizeof *m->means);
	m->stds = calloc(n + 1, sizeof *m->stds);
	m->weights = calloc(n + 1, sizeof *m->weights);
	m->n_features = n;
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
	memset(m, 0, sizeof *m);
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
	double z = m->bias;
	size_t i;

	for (i = 0; i < m->n_features; i++)
		z += m->weights[i] * (x[i] - m->means[i]) / m->stds[i];
	return model_sigmoid(z);
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

	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "holdout_auc", model_json_number(x->holdout_auc),
	    "baseline_auc", model_json_number(x->baseline_auc),
	    "holdout_logloss", model_json_number(x->holdout_logloss),
	    "train_auc", model_json_number(x->train_auc),
	    "train_logloss", model_json_number(x->train_logloss));
}

char *
model_to_json(const struct churn_model *m)
{
	json_t *root, *names = json_array();
	char *text = NULL;
	size_t i;

	for (i = 0; names != NULL && i < m->n_features; i++)
		json_array_append_new(names, json_string(m->names[i]));
	root = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:f, s:f, "
	    "s:I, s:f, s:{s:I, s:I, s:I, s:I}, s:o}",
	    "format", MODEL_FORMAT, "version", MODEL_VERSION,
	    "model", "logistic_regression", "solver", "liblinear L2R_LR",
	    "features", names,
	    "means", model_json_array(m->means, m->n_features),
	    "stds", model_json_array(m->stds, m->n_features),
	    "weights", model_json_array(m->weights, m->n_features),
	    "bias", m->bias, "c", m->c, "seed", (json_int_t)m->seed,
	    "holdout_fraction", m->holdout_fraction,
	    "rows", "train_users", (json_int_t)m->train_users,
	    "train_churned", (json_int_t)m->train_churned,
	    "holdout_users", (json_int_t)m->holdout_users,
	    "holdout_churned", (json_int_t)m->holdout_churned,
	    "metrics", model_json_metrics(m));
	if (root != NULL)
		text = json_dumps(root,
		    JSON_INDENT(2) | JSON_REAL_PRECISION(17));
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
model_read_extras(struct churn_model *m, json_t *root)
{
	json_t *rows = json_object_get(root, "rows");
	json_t *metrics = json_object_get(root, "metrics");

	/* json_integer_value() returns 0 for a missing or non-integer value. */
	m->c = model_optional_number(root, "c");
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
	m->metrics.holdout_auc = model_optional_number(metrics, "holdout_auc");
	m->metrics.baseline_auc = model_optional_number(metrics,
	    "baseline_auc");
	m->metrics.holdout_logloss = model_optional_number(metrics,
	    "holdout_logloss");
	m->metrics.train_auc = model_optional_number(metrics, "train_auc");
	m->metrics.train_logloss = model_optional_number(metrics,
	    "train_logloss");
}

/* Checks format and version and reads everything scoring needs. */
static int
model_read(struct churn_model *m, json_t *root, const char *path,
	   struct wk_err *err)
{
	json_t *names = json_object_get(root, "features");
	json_t *bias = json_object_get(root, "bias");
	const char *format = json_string_value(json_object_get(root, "format"));
	size_t i;
	int rc;

	if (format == NULL || strcmp(format, MODEL_FORMAT) != 0 ||
	    json_integer_value(json_object_get(root, "version")) !=
	    MODEL_VERSION)
		return model_invalid(err, path, _("\"format\" must be \"%s\" "
		    "and \"version\" %d"), MODEL_FORMAT, MODEL_VERSION);
	if (!json_is_array(names) || json_array_size(names) == 0)
		return model_invalid(err, path, _("\"features\" must be a "
		    "non-empty array of names"));
	if (!json_is_number(bias) || !isfinite(json_number_value(bias)))
		return model_invalid(err, path, _("\"bias\" is not a finite "
		    "number"));
	if (model_alloc(m, json_array_size(names)) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));

	m->bias = json_number_value(bias);
	if ((rc = model_read_names(m, names, path, err)) != WK_OK ||
	    (rc = model_read_numbers(root, "means", m->n_features, m->means,
	    path, err)) != WK_OK ||
	    (rc = model_read_numbers(root, "stds", m->n_features, m->stds,
	    path, err)) != WK_OK ||
	    (rc = model_read_numbers(root, "weights", m->n_features,
	    m->weights, path, err)) != WK_OK)
		return rc;
	for (i = 0; i < m->n_features; i++) {
		if (!(m->stds[i] > 0.0))
			return model_invalid(err, path, _("\"stds\"[%zu] is %g, "
			    "but a standard deviation must be above 0"), i,
			    m->stds[i]);
	}
	model_read_extras(m, root);
	return WK_OK;
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
