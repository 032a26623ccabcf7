#include "pipeline/gbt.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "core/i18n.h"

#define GBT_FIRST_PASS_SHARE 0.6  /* progress share of the stopping pass
                                   * when a refit follows */
#define GBT_STOP_NAME "stop"      /* name of fold 0 in XGBoost's output */

/* Row selections of one training. */
struct gbt_rows {
	size_t *train;    /* fit rows outside fold 0; owned */
	size_t n_train;   /* entries of train */
	size_t *stop;     /* fit rows of fold 0; owned */
	size_t n_stop;    /* entries of stop */
};

static void
gbt_log(const char *msg)
{
	fprintf(stderr, "churn: xgboost: %s\n", msg);
}

static void
gbt_init_log(void)
{
	static bool done;

	if (!done)
		XGBRegisterLogCallback(gbt_log);
	done = true;
}

/* Fills err with what failed and XGBoost's last error message. */
static int
gbt_fail(struct wk_err *err, const char *what)
{
	return wk_err_set(err, WK_ERR_INVALID, _("XGBoost failed to %s: %s"),
	    what, XGBGetLastError());
}

void
gbt_version(char *buf, size_t size)
{
	int major, minor, patch;

	XGBoostVersion(&major, &minor, &patch);
	snprintf(buf, size, "%d.%d.%d", major, minor, patch);
}

/* Narrows a value to float; XGBoost rejects infinities. */
static float
gbt_float(double v)
{
	if (v > FLT_MAX)
		return FLT_MAX;
	if (v < -FLT_MAX)
		return -FLT_MAX;
	return (float)v;
}

/*
 * Builds a DMatrix of n rows of t (rows NULL: rows 0..n-1), with their
 * labels when with_labels.
 */
static int
gbt_matrix(const struct ftable *t, const size_t *rows, size_t n,
	   bool with_labels, DMatrixHandle *out, struct wk_err *err)
{
	size_t k = t->n_features, i, j;
	float *x = malloc((n * k + 1) * sizeof *x);
	float *y = malloc((n + 1) * sizeof *y);
	int rc = WK_OK;

	if (x == NULL || y == NULL) {
		free(x);
		free(y);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory for %zu "
		    "rows of XGBoost input"), n);
	}
	for (i = 0; i < n; i++) {
		size_t row = rows != NULL ? rows[i] : i;
		const double *v = t->x + row * k;

		for (j = 0; j < k; j++)
			x[i * k + j] = gbt_float(v[j]);
		y[i] = t->label[row] == 1 ? 1.0f : 0.0f;
	}

	if (XGDMatrixCreateFromMat_omp(x, n, k, NAN, out, GBT_THREADS) != 0)
		rc = gbt_fail(err, _("create a data matrix"));
	else if (with_labels &&
	    XGDMatrixSetFloatInfo(*out, "label", y, n) != 0)
		rc = gbt_fail(err, _("set the labels"));
	free(x);
	free(y);
	return rc;
}

static int
gbt_set(BoosterHandle h, const char *name, const char *value,
	struct wk_err *err)
{
	char what[128];

	if (XGBoosterSetParam(h, name, value) == 0)
		return WK_OK;
	snprintf(what, sizeof what, _("set parameter %s=%s"), name, value);
	return gbt_fail(err, what);
}

/* Creates a booster for the cached matrices with the parameters of p. */
static int
gbt_booster_new(DMatrixHandle *cache, bst_ulong n_cache,
		const struct gbt_params *p, BoosterHandle *h,
		struct wk_err *err)
{
	char depth[32], eta[32], seed[32], threads[16], sub[16], col[16];
	const char *params[][2] = {
		{ "objective", "binary:logistic" }, { "eval_metric", "logloss" },
		{ "tree_method", "hist" }, { "verbosity", "1" },
		{ "nthread", threads }, { "seed", seed }, { "max_depth", depth },
		{ "eta", eta }, { "subsample", sub },
		{ "colsample_bytree", col },
	};
	size_t i;
	int rc = WK_OK;

	snprintf(depth, sizeof depth, "%llu", (unsigned long long)p->max_depth);
	snprintf(eta, sizeof eta, "%.17g", p->eta);
	/* XGBoost 1.7 keeps the seed in an int64_t; --seed is at most
	 * INT64_MAX. */
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
	snprintf(threads, sizeof threads, "%d", GBT_THREADS);
	snprintf(sub, sizeof sub, "%g", GBT_SUBSAMPLE);
	snprintf(col, sizeof col, "%g", GBT_COLSAMPLE);
	if (XGBoosterCreate(cache, n_cache, h) != 0)
		return gbt_fail(err, _("create a booster"));

	for (i = 0; i < sizeof params / sizeof params[0] && rc == WK_OK; i++)
		rc = gbt_set(*h, params[i][0], params[i][1], err);
	if (rc != WK_OK) {
		XGBoosterFree(*h);
		*h = NULL;
	}
	return rc;
}

static void
gbt_rows_free(struct gbt_rows *r)
{
	free(r->train);
	free(r->stop);
}

/* Splits the fit rows into fold 0 (stop) and the rest (train). */
static int
gbt_rows_split(const struct split_set *fit, struct gbt_rows *r)
{
	size_t i;

	memset(r, 0, sizeof *r);
	r->train = malloc((fit->n + 1) * sizeof *r->train);
	r->stop = malloc((fit->n + 1) * sizeof *r->stop);
	if (r->train == NULL || r->stop == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < fit->n; i++) {
		if (fit->fold[i] == 0)
			r->stop[r->n_stop++] = fit->rows[i];
		else
			r->train[r->n_train++] = fit->rows[i];
	}
	return WK_OK;
}

/* Reads the log loss of the stopping set from XGBoost's eval text. */
static double
gbt_parse_logloss(const char *text)
{
	const char *key = strstr(text, GBT_STOP_NAME "-logloss:");

	if (key == NULL)
		return NAN;
	return strtod(key + sizeof GBT_STOP_NAME "-logloss:" - 1, NULL);
}

/* Runs one round and returns the stopping log loss in *loss. */
static int
gbt_round(BoosterHandle h, int round, DMatrixHandle train,
	  DMatrixHandle stop, double *loss, struct wk_err *err)
{
	const char *names[] = { GBT_STOP_NAME };
	const char *text;

	if (XGBoosterUpdateOneIter(h, round, train) != 0)
		return gbt_fail(err, _("train a round"));
	if (XGBoosterEvalOneIter(h, round, &stop, names, 1, &text) != 0)
		return gbt_fail(err, _("evaluate a round"));
	*loss = gbt_parse_logloss(text);
	if (!isfinite(*loss))
		return wk_err_set(err, WK_ERR_INVALID, _("XGBoost returned no "
		    "log loss in '%s'"), text);
	return WK_OK;
}

/*
 * Cuts the booster h to its first `rounds` rounds into out, the booster
 * that the lowest stopping log loss was measured on.
 */
static int
gbt_keep_best(BoosterHandle h, uint64_t rounds, struct gbt_booster *out,
	      struct wk_err *err)
{
	BoosterHandle best = NULL;

	if (XGBoosterSlice(h, 0, (int)rounds, 1, &best) != 0)
		return gbt_fail(err, _("cut the model to its best rounds"));

	out->handle = best;
	out->rounds = rounds;
	return WK_OK;
}

/*
 * The first pass: boosts on train, evaluates on stop after each round,
 * and stops after p->early_stop rounds without a lower log loss. With
 * keep non-NULL the booster cut to its best rounds goes there.
 */
static int
gbt_stop_pass(DMatrixHandle train, DMatrixHandle stop,
	      const struct gbt_params *p, struct churn_phase *phase,
	      struct gbt_fit_info *info, struct gbt_booster *keep,
	      struct wk_err *err)
{
	DMatrixHandle cache[2] = { train, stop };
	BoosterHandle h = NULL;
	uint64_t r;
	double loss = NAN, shown_share = 0.0;
	int rc;

	rc = gbt_booster_new(cache, 2, p, &h, err);
	for (r = 0; rc == WK_OK && r < p->max_rounds; r++) {
		uint64_t horizon = info->best_rounds + p->early_stop;

		rc = gbt_round(h, (int)r, train, stop, &loss, err);
		if (rc != WK_OK)
			break;
		info->rounds_run = r + 1;
		if (!(loss >= info->stop_logloss)) {
			info->stop_logloss = loss;
			info->best_rounds = r + 1;
		} else if (r + 1 >= horizon) {
			break;
		}
		/* The projected end moves with every new best round: show
		 * the highest share so far, so progress never falls. */
		shown_share = fmax(shown_share, (double)(r + 1) /
		    (double)(horizon < p->max_rounds ? horizon :
		    p->max_rounds));
		churn_progress_fn(phase, shown_share);
	}
	if (rc == WK_OK && keep != NULL)
		rc = gbt_keep_best(h, info->best_rounds, keep, err);
	if (h != NULL)
		XGBoosterFree(h);
	return rc;
}

/* The second pass: boosts on every fit user for `rounds` rounds. */
static int
gbt_final_pass(DMatrixHandle all, uint64_t rounds,
	       const struct gbt_params *p, struct churn_phase *phase,
	       struct gbt_booster *out, struct wk_err *err)
{
	BoosterHandle h = NULL;
	uint64_t r;
	int rc;

	rc = gbt_booster_new(&all, 1, p, &h, err);
	for (r = 0; rc == WK_OK && r < rounds; r++) {
		if (XGBoosterUpdateOneIter(h, (int)r, all) != 0)
			rc = gbt_fail(err, _("train a round"));
		churn_progress_fn(phase, (double)(r + 1) / (double)rounds);
	}
	if (rc != WK_OK) {
		if (h != NULL)
			XGBoosterFree(h);
		return rc;
	}
	out->handle = h;
	out->rounds = rounds;
	return WK_OK;
}

/*
 * Runs the passes on the prepared matrices. The stopping pass runs when
 * fold 0 and the other folds have users. The refit follows unless
 * p->no_refit keeps the stopping pass's booster.
 */
static int
gbt_passes(const struct split_set *fit, const struct gbt_rows *rows,
	   const struct gbt_params *p, struct churn_phase *progress,
	   struct gbt_booster *out, struct gbt_fit_info *info,
	   struct wk_err *err)
{
	bool stopping = rows->n_stop > 0 && rows->n_train > 0;
	bool keep = stopping && p->no_refit;
	struct churn_phase first = { progress->nt, progress->base,
	    keep ? progress->span : progress->span * GBT_FIRST_PASS_SHARE };
	struct churn_phase second = { progress->nt, first.base + first.span,
	    progress->span - first.span };
	DMatrixHandle train = NULL, stop = NULL, all = NULL;
	int rc = WK_OK;

	if (stopping) {
		rc = gbt_matrix(fit->t, rows->train, rows->n_train, true, &train,
		    err);
		if (rc == WK_OK)
			rc = gbt_matrix(fit->t, rows->stop, rows->n_stop, true,
			    &stop, err);
		if (rc == WK_OK)
			rc = gbt_stop_pass(train, stop, p, &first, info,
			    keep ? out : NULL, err);
	}
	info->refit = !keep;
	if (rc == WK_OK && !keep)
		rc = gbt_matrix(fit->t, fit->rows, fit->n, true, &all, err);
	if (rc == WK_OK && !keep)
		rc = gbt_final_pass(all, info->best_rounds, p, &second, out,
		    err);
	if (train != NULL)
		XGDMatrixFree(train);
	if (stop != NULL)
		XGDMatrixFree(stop);
	if (all != NULL)
		XGDMatrixFree(all);
	return rc;
}

int
gbt_train(const struct split_set *fit, const struct gbt_params *p,
	  struct churn_phase *progress, struct gbt_booster *out,
	  struct gbt_fit_info *info, struct wk_err *err)
{
	struct churn_phase silent = { NULL, 0.0, 1.0 };
	struct gbt_rows rows;
	int rc;

	if (progress == NULL)
		progress = &silent;
	gbt_init_log();
	memset(out, 0, sizeof *out);
	*info = (struct gbt_fit_info){ 0, p->max_rounds, NAN, 0, true };
	if (gbt_rows_split(fit, &rows) != WK_OK) {
		gbt_rows_free(&rows);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}

	info->stop_users = rows.n_stop;
	if (rows.n_stop > 0 && rows.n_train > 0)
		info->best_rounds = 0;
	out->n_features = fit->t->n_features;
	rc = gbt_passes(fit, &rows, p, progress, out, info, err);
	gbt_rows_free(&rows);
	if (rc != WK_OK)
		gbt_free(out);
	return rc;
}

int
gbt_no_refit_warning(const struct gbt_params *p,
		     const struct gbt_fit_info *info, char *buf, size_t size)
{
	if (!p->no_refit)
		return 0;

	if (info->refit) {
		snprintf(buf, size, _("--xgb-no-refit has no effect: early "
		    "stopping needs users both in fold 0 and in the other "
		    "folds, so the booster was trained for %llu rounds on "
		    "every fit user"), (unsigned long long)info->best_rounds);
		return 1;
	}
	if (info->stop_users >= GBT_STOP_USERS_MIN)
		return 0;
	snprintf(buf, size, P_("--xgb-no-refit keeps a booster stopped "
	    "early on %llu user of fold 0, so its %llu rounds may be far "
	    "from the best; leave out --xgb-no-refit or train on more users",
	    "--xgb-no-refit keeps a booster stopped early on %llu users of "
	    "fold 0, so its %llu rounds may be far from the best; leave out "
	    "--xgb-no-refit or train on more users", info->stop_users),
	    (unsigned long long)info->stop_users,
	    (unsigned long long)info->best_rounds);
	return 1;
}

/* Scores one batch of rows into probs. */
static int
gbt_predict_batch(const struct gbt_booster *b, const struct ftable *t,
		  const size_t *rows, size_t n, double *probs,
		  struct wk_err *err)
{
	DMatrixHandle d;
	const float *out;
	bst_ulong len;
	size_t i;
	int rc;

	rc = gbt_matrix(t, rows, n, false, &d, err);
	if (rc != WK_OK)
		return rc;
	if (XGBoosterPredict(b->handle, d, 0, 0, 0, &len, &out) != 0)
		rc = gbt_fail(err, _("score the users"));
	else if (len != n)
		rc = wk_err_set(err, WK_ERR_INVALID, _("XGBoost returned %llu "
		    "scores for %zu users"), (unsigned long long)len, n);
	for (i = 0; rc == WK_OK && i < n; i++)
		probs[i] = out[i];
	XGDMatrixFree(d);
	return rc;
}

int
gbt_predict(const struct gbt_booster *b, const struct ftable *t,
	    const size_t *rows, size_t n, double *probs, struct wk_err *err)
{
	size_t *index = NULL, done, i;
	int rc = WK_OK;

	if (t->n_features != b->n_features)
		return wk_err_set(err, WK_ERR_INVALID, _("the booster takes %zu "
		    "features, the table has %zu"), b->n_features,
		    t->n_features);
	if (rows == NULL && (index = malloc(GBT_BATCH_ROWS *
	    sizeof *index)) == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));

	for (done = 0; done < n && rc == WK_OK; done += GBT_BATCH_ROWS) {
		size_t batch = n - done < GBT_BATCH_ROWS ? n - done :
		    GBT_BATCH_ROWS;

		for (i = 0; index != NULL && i < batch; i++)
			index[i] = done + i;
		rc = gbt_predict_batch(b, t, index != NULL ? index :
		    rows + done, batch, probs + done, err);
	}
	free(index);
	return rc;
}

int
gbt_save_json(const struct gbt_booster *b, char **json, struct wk_err *err)
{
	const char *buf;
	bst_ulong len;

	*json = NULL;
	if (XGBoosterSaveModelToBuffer(b->handle, "{\"format\": \"json\"}",
	    &len, &buf) != 0)
		return gbt_fail(err, _("save the model"));
	*json = malloc((size_t)len + 1);
	if (*json == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory for a "
		    "model of %llu bytes"), (unsigned long long)len);
	memcpy(*json, buf, (size_t)len);
	(*json)[len] = '\0';
	return WK_OK;
}

int
gbt_load_json(struct gbt_booster *b, const char *json, size_t len,
	      size_t n_features, struct wk_err *err)
{
	char threads[16];
	bst_ulong columns;
	int rounds, rc = WK_OK;

	gbt_init_log();
	memset(b, 0, sizeof *b);
	snprintf(threads, sizeof threads, "%d", GBT_THREADS);
	if (XGBoosterCreate(NULL, 0, &b->handle) != 0)
		return gbt_fail(err, _("create a booster"));

	if (XGBoosterLoadModelFromBuffer(b->handle, json, len) != 0)
		rc = gbt_fail(err, _("read the model"));
	else if (XGBoosterSetParam(b->handle, "nthread", threads) != 0)
		rc = gbt_fail(err, _("set parameter nthread"));
	else if (XGBoosterGetNumFeature(b->handle, &columns) != 0 ||
	    XGBoosterBoostedRounds(b->handle, &rounds) != 0)
		rc = gbt_fail(err, _("read the model's shape"));
	else if (columns != n_features)
		rc = wk_err_set(err, WK_ERR_INVALID, _("the XGBoost model takes "
		    "%llu features, but the file lists %zu"),
		    (unsigned long long)columns, n_features);
	if (rc != WK_OK) {
		gbt_free(b);
		return rc;
	}
	b->n_features = n_features;
	b->rounds = (uint64_t)rounds;
	return WK_OK;
}

void
gbt_free(struct gbt_booster *b)
{
	if (b->handle != NULL)
		XGBoosterFree(b->handle);
	memset(b, 0, sizeof *b);
}
