#include "pipeline/train.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/trainstage.h"

#define TRAIN_LOAD_SHARE 0.15       /* progress share of reading the files */
#define TRAIN_LOGISTIC_START 0.2    /* progress when the logistic fit starts */
#define TRAIN_LOGISTIC_SHARE 0.3    /* its share, cross-validation included */
#define TRAIN_XGBOOST_START 0.5     /* progress when XGBoost starts */
#define TRAIN_XGBOOST_SHARE 0.4     /* its share */
#define TRAIN_META_SUFFIX ".meta.json"  /* metadata beside a feature CSV */
#define TRAIN_PATH_MAX 4096         /* bytes of a metadata file's path */

/*
 * Reads the metadata churn features wrote beside path. A missing file
 * gives an object with only "file"; an unreadable one also a warning.
 */
static json_t *
train_read_meta(const char *path)
{
	char meta_path[TRAIN_PATH_MAX];
	json_error_t jerr;
	json_t *meta;

	snprintf(meta_path, sizeof meta_path, "%s%s", path, TRAIN_META_SUFFIX);
	meta = json_load_file(meta_path, JSON_REJECT_DUPLICATES, &jerr);
	if (meta == NULL && errno != ENOENT)
		fprintf(stderr, _("churn train: warning: %s:%d:%d: %s; the model "
		    "file will not record the data's time range\n"), meta_path,
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	json_object_set_new(meta, "file", json_string(path));
	return meta;
}

/* Compares a string member of the two label descriptions. */
static int
train_same_label(const struct train_stage *st, const char *key,
		 struct wk_err *err)
{
	json_t *a = json_object_get(json_object_get(st->train_meta, "label"),
	    key);
	json_t *b = json_object_get(json_object_get(st->eval_meta, "label"),
	    key);

	if (!json_is_string(a) || !json_is_string(b) ||
	    strcmp(json_string_value(a), json_string_value(b)) == 0)
		return WK_OK;
	return wk_err_set(err, WK_ERR_INVALID, _("the label %s of '%s' (%s) "
	    "differs from that of '%s' (%s); compute both with the same "
	    "churn features options"), key, st->features_path,
	    json_string_value(a), st->evaluation_path, json_string_value(b));
}

/*
 * Checks that the evaluation file has the training file's columns, the
 * same label rule and a later cutoff, as far as the metadata records.
 */
static int
train_check_evaluation(const struct train_stage *st, struct wk_err *err)
{
	const char *c1 = json_string_value(json_object_get(st->train_meta,
	    "cutoff"));
	const char *c2 = json_string_value(json_object_get(st->eval_meta,
	    "cutoff"));
	size_t i;
	int rc;

	for (i = 0; i < st->t.n_features || i < st->e.n_features; i++) {
		if (i >= st->t.n_features || i >= st->e.n_features ||
		    strcmp(st->t.names[i], st->e.names[i]) != 0)
			return wk_err_set(err, WK_ERR_INVALID, _("%s:1:%zu: the "
			    "columns differ from those of '%s' (%s here, %s "
			    "there); compute both files from one event file "
			    "with the same options"), st->evaluation_path, i + 3,
			    st->features_path, i < st->e.n_features ?
			    st->e.names[i] : _("none"), i < st->t.n_features ?
			    st->t.names[i] : _("none"));
	}
	if ((rc = train_same_label(st, "kind", err)) != WK_OK ||
	    (rc = train_same_label(st, "horizon", err)) != WK_OK ||
	    (rc = train_same_label(st, "churn_events", err)) != WK_OK)
		return rc;
	if (c1 != NULL && c2 != NULL && strcmp(c1, c2) >= 0)
		return wk_err_set(err, WK_ERR_INVALID, _("the training cutoff "
		    "%s of '%s' is not before the evaluation cutoff %s of '%s'; "
		    "an out-of-time evaluation needs a later evaluation set"),
		    c1, st->features_path, c2, st->evaluation_path);
	return WK_OK;
}

/* Rejects a file too small or unlabelled to train on or judge by. */
static int
train_check_table(const struct ftable *t, const char *path,
		  struct wk_err *err)
{
	if (t->n_rows < 2)
		return wk_err_set(err, WK_ERR_INVALID, P_("'%s' has %zu user; "
		    "training needs at least 2, of both labels", "'%s' has %zu "
		    "users; training needs at least 2, of both labels",
		    t->n_rows), path, t->n_rows);
	if (t->first_unlabelled_line != 0)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ":2: the "
		    "label is empty; training needs a labelled file (churn "
		    "features without --no-label)"), path,
		    t->first_unlabelled_line);
	return WK_OK;
}

/* Reads the feature files and their metadata. */
static int
train_load(struct train_stage *st, struct wk_err *err)
{
	struct churn_phase phase = { st->nt, 0.0, TRAIN_LOAD_SHARE };
	int rc;

	notify_status(st->nt, _("reading %s"), st->features_path);
	if (st->evaluation_path != NULL)
		phase.span /= 2.0;
	rc = ftable_load(&st->t, st->features_path, churn_progress_fn, &phase,
	    err);
	if (rc == WK_OK)
		rc = train_check_table(&st->t, st->features_path, err);
	st->train_meta = train_read_meta(st->features_path);
	if (rc != WK_OK || st->evaluation_path == NULL)
		return rc;

	notify_status(st->nt, _("reading %s"), st->evaluation_path);
	phase.base += phase.span;
	rc = ftable_load(&st->e, st->evaluation_path, churn_progress_fn,
	    &phase, err);
	st->has_e = rc == WK_OK;
	if (rc == WK_OK)
		rc = train_check_table(&st->e, st->evaluation_path, err);
	st->eval_meta = train_read_meta(st->evaluation_path);
	return rc == WK_OK ? train_check_evaluation(st, err) : rc;
}

/* Fails unless a part has users of both labels. */
static int
train_check_part(const struct split_set *set, const char *part,
		 const char *fix, struct wk_err *err)
{
	if (set->positives > 0 && set->positives < set->n)
		return WK_OK;
	return wk_err_set(err, WK_ERR_INVALID, P_("the %s part has %zu user, "
	    "%" PRIu64 " of them churned, but needs both labels; %s",
	    "the %s part has %zu users, %" PRIu64 " of them churned, but "
	    "needs both labels; %s", set->n), part, set->n, set->positives,
	    fix);
}

/* Splits the users and checks the parts. */
static int
train_split(struct train_stage *st, struct wk_err *err)
{
	const char *fix = _("use more users, another --seed or another "
	    "cutoff");
	int rc;

	if (split_assign(&st->t, st->has_e ? &st->e : NULL, &st->plan,
	    &st->sets) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	rc = train_check_part(&st->sets.fit, _("fit"), fix, err);
	if (rc == WK_OK)
		rc = train_check_part(&st->sets.holdout, _("holdout"), fix, err);
	return rc;
}

/*
 * Computes each feature's mean and standard deviation over the fit
 * users. Welford's method keeps large values from cancelling. A constant
 * feature gets a standard deviation of 1.
 */
static int
train_standardize(struct train_stage *st, struct wk_err *err)
{
	const struct split_set *fit = &st->sets.fit;
	size_t k = st->t.n_features, i, j;

	st->means = calloc(k + 1, sizeof *st->means);
	st->stds = calloc(k + 1, sizeof *st->stds);
	if (st->means == NULL || st->stds == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (i = 0; i < fit->n; i++) {
		const double *x = st->t.x + fit->rows[i] * k;

		for (j = 0; j < k; j++) {
			double d = x[j] - st->means[j];

			st->means[j] += d / (double)(i + 1);
			st->stds[j] += d * (x[j] - st->means[j]);
		}
	}
	for (j = 0; j < k; j++) {
		st->stds[j] = sqrt(st->stds[j] / (double)fit->n);
		if (!isfinite(st->stds[j]) || !isfinite(st->means[j]))
			return wk_err_set(err, WK_ERR_INVALID, _("the values of "
			    "feature '%s' in '%s' are too large to standardize"),
			    st->t.names[j], st->features_path);
		if (st->stds[j] == 0.0)
			st->stds[j] = 1.0;
	}
	return WK_OK;
}

/* Prepares a candidate's model with the names and the scaling. */
static int
train_init_candidate(struct train_stage *st, enum train_kind kind,
		     struct wk_err *err)
{
	struct churn_model *m = &st->cand[kind].m;
	size_t k, n = st->t.n_features;

	if (model_alloc(m, n) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	m->kind = kind == TRAIN_KIND_XGBOOST ? MODEL_XGBOOST : MODEL_LOGISTIC;
	memcpy(m->means, st->means, n * sizeof *m->means);
	memcpy(m->stds, st->stds, n * sizeof *m->stds);
	for (k = 0; k < n; k++) {
		m->names[k] = strdup(st->t.names[k]);
		if (m->names[k] == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	return WK_OK;
}

/*
 * Fits the logistic regression on the fit users, with C from --c or
 * from the cross-validation.
 */
static int
train_logistic(struct train_stage *st, struct wk_err *err)
{
	struct churn_model *m = &st->cand[TRAIN_KIND_LOGISTIC].m;
	const struct logit_scaling scaling = { st->means, st->stds,
	    st->t.n_features };
	struct churn_phase cv_phase = { st->nt, TRAIN_LOGISTIC_START,
	    TRAIN_LOGISTIC_SHARE * 0.9 };
	struct churn_phase fit_phase = { st->nt, cv_phase.base + cv_phase.span,
	    TRAIN_LOGISTIC_SHARE * 0.1 };
	int64_t start;
	int rc;

	rc = train_init_candidate(st, TRAIN_KIND_LOGISTIC, err);
	if (rc != WK_OK)
		return rc;
	m->c = st->c;
	if (isnan(st->c)) {
		notify_status(st->nt, _("choosing C by %u-fold "
		    "cross-validation on %zu users"), st->plan.folds,
		    st->sets.fit.n);
		rc = logit_cross_validate(&st->sets.fit, st->plan.folds,
		    &scaling, &cv_phase, &st->cv, err);
		if (rc != WK_OK)
			return rc;
		st->cv_done = true;
		m->c = st->cv.c[st->cv.best];
	}

	notify_status(st->nt, _("fitting the logistic regression on %zu "
	    "users, C %g"), st->sets.fit.n, m->c);
	start = clk_mono_ns();
	rc = logit_fit(&st->sets.fit, -1, &scaling, m->c, &fit_phase,
	    m->weights, &m->bias, err);
	st->cand[TRAIN_KIND_LOGISTIC].fit_seconds =
	    (double)(clk_mono_ns() - start) / 1e9;
	st->cand[TRAIN_KIND_LOGISTIC].trained = rc == WK_OK;
	return rc;
}

/*
 * Trains XGBoost on the fit users with early stopping on fold 0, then
 * refits on all of them unless --xgb-no-refit was given.
 */
static int
train_xgboost(struct train_stage *st, struct wk_err *err)
{
	struct churn_model *m = &st->cand[TRAIN_KIND_XGBOOST].m;
	struct churn_phase phase = { st->nt, TRAIN_XGBOOST_START,
	    TRAIN_XGBOOST_SHARE };
	char warning[512];
	int64_t start;
	int rc;

	rc = train_init_candidate(st, TRAIN_KIND_XGBOOST, err);
	if (rc != WK_OK)
		return rc;
	notify_status(st->nt, _("training XGBoost on %zu users, at most %"
	    PRIu64 " rounds"), st->sets.fit.n, st->gbt.max_rounds);
	start = clk_mono_ns();
	rc = gbt_train(&st->sets.fit, &st->gbt, &phase, &m->booster,
	    &st->gbt_info, err);
	st->cand[TRAIN_KIND_XGBOOST].fit_seconds =
	    (double)(clk_mono_ns() - start) / 1e9;
	if (rc == WK_OK && gbt_no_refit_warning(&st->gbt, &st->gbt_info,
	    warning, sizeof warning))
		fprintf(stderr, _("churn train: warning: %s\n"), warning);
	if (rc == WK_OK)
		rc = gbt_save_json(&m->booster, &m->booster_json, err);
	st->cand[TRAIN_KIND_XGBOOST].trained = rc == WK_OK;
	return rc;
}

/* Runs the stage after the options are checked; returns an exit status. */
static int
train_run(struct train_stage *st, struct wk_err *err)
{
	int rc;

	rc = train_load(st, err);
	if (rc == WK_OK)
		rc = train_split(st, err);
	if (rc == WK_OK)
		rc = train_standardize(st, err);
	if (rc == WK_OK && st->choice != TRAIN_XGBOOST)
		rc = train_logistic(st, err);
	if (rc == WK_OK && st->choice != TRAIN_LOGISTIC)
		rc = train_xgboost(st, err);
	if (rc == WK_OK) {
		notify_status(st->nt, _("evaluating on %zu holdout users"),
		    st->sets.holdout.n);
		rc = train_evaluate(st, err);
	}
	if (rc == WK_OK && st->split_output != NULL &&
	    split_write(&st->sets, st->split_output, err) != WK_OK)
		return EX_CANTCREAT;
	if (rc != WK_OK)
		return churn_exit_status(rc);
	return train_write_model(st, err);
}

/* Converts --model and checks the numbers; failures are usage errors. */
static int
train_check_opts(struct train_stage *st, struct wk_err *err)
{
	const struct gbt_params *g = &st->gbt;

	if (strcmp(st->model_text, "logistic") == 0)
		st->choice = TRAIN_LOGISTIC;
	else if (strcmp(st->model_text, "xgboost") == 0)
		st->choice = TRAIN_XGBOOST;
	else if (strcmp(st->model_text, "auto") == 0)
		st->choice = TRAIN_AUTO;
	else
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: --model "
		    "'%s' is not known; use logistic, xgboost or auto"),
		    st->model_text);
	if (!(st->plan.holdout > 0.0 && st->plan.holdout < 1.0) ||
	    !(st->plan.validation > 0.0 && st->plan.validation < 1.0))
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: "
		    "--holdout %g and --validation %g must lie strictly between "
		    "0 and 1; 0.2 takes a fifth of the users"),
		    st->plan.holdout, st->plan.validation);
	if (!isnan(st->c) && !(st->c > 0.0))
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: --c %g "
		    "must be above 0"), st->c);
	if (st->folds < 2 || st->folds > SPLIT_FOLDS_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: --folds "
		    "%" PRIu64 " must lie between 2 and %d"), st->folds,
		    SPLIT_FOLDS_MAX);
	st->plan.folds = (unsigned)st->folds;
	if (st->plan.seed > INT64_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: --seed "
		    "%" PRIu64 " is above %" PRId64), st->plan.seed, INT64_MAX);
	if (g->max_rounds < 1 || g->max_rounds > 100000 || g->max_depth < 1 ||
	    g->max_depth > 16 || !(g->eta > 0.0 && g->eta <= 1.0) ||
	    g->early_stop < 1)
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: the "
		    "XGBoost options must be --xgb-rounds 1 to 100000, "
		    "--xgb-depth 1 to 16, --xgb-eta in (0, 1] and "
		    "--xgb-early-stop at least 1"));
	st->gbt.seed = st->plan.seed;
	return WK_OK;
}

static void
train_free(struct train_stage *st)
{
	size_t i;

	ftable_free(&st->t);
	ftable_free(&st->e);
	json_decref(st->train_meta);
	json_decref(st->eval_meta);
	split_free(&st->sets);
	free(st->means);
	free(st->stds);
	for (i = 0; i < TRAIN_KINDS; i++)
		model_free(&st->cand[i].m);
}

int
train_main(int argc, char **argv, struct notify *nt)
{
	struct train_stage st = { .model_text = "auto", .nt = nt, .c = NAN,
	    .folds = 5,
	    .plan = { .holdout = 0.2, .validation = 0.2, .seed = 42 },
	    .gbt = { .max_rounds = 1000, .max_depth = 4, .eta = 0.05,
	    .early_stop = 30 } };
	const struct cli_opt opts[] = {
		{ "features", CLI_STRING, "FILE", N_("labelled feature CSV "
		  "written by churn features: the users to train on"), true,
		  &st.features_path },
		{ "evaluation", CLI_STRING, "FILE", N_("labelled feature CSV at "
		  "a later cutoff, whose users are all held out (out-of-time "
		  "evaluation); without it, a --holdout share of the users of "
		  "--features is held out"), false, &st.evaluation_path },
		{ "model", CLI_STRING, "logistic|xgboost|auto", N_("model to "
		  "train; auto trains both and keeps the one with the higher "
		  "validation AUC (default auto)"), false, &st.model_text },
		{ "holdout", CLI_DOUBLE, "FRACTION", N_("without --evaluation: "
		  "share of users held out for the metrics, between 0 and 1 "
		  "(default 0.2)"), false, &st.plan.holdout },
		{ "validation", CLI_DOUBLE, "FRACTION", N_("share of the "
		  "training users set aside to compare the models, between 0 "
		  "and 1 (default 0.2)"), false, &st.plan.validation },
		{ "folds", CLI_UINT, "K", N_("cross-validation folds for C and "
		  "the early-stopping fold of XGBoost, 2 to 20 (default 5)"),
		  false, &st.folds },
		{ "seed", CLI_UINT, "N", N_("seed of the split and of XGBoost's "
		  "sampling; the same seed gives the same result (default "
		  "42)"), false, &st.plan.seed },
		{ "c", CLI_DOUBLE, "C", N_("inverse strength of the L2 penalty "
		  "of the logistic regression, above 0 (default: chosen by "
		  "cross-validation from 0.001 to 100)"), false, &st.c },
		{ "xgb-rounds", CLI_UINT, "N", N_("XGBoost: boosting rounds at "
		  "most (default 1000)"), false, &st.gbt.max_rounds },
		{ "xgb-depth", CLI_UINT, "N", N_("XGBoost: depth of a tree "
		  "(default 4)"), false, &st.gbt.max_depth },
		{ "xgb-eta", CLI_DOUBLE, "F", N_("XGBoost: learning rate "
		  "(default 0.05)"), false, &st.gbt.eta },
		{ "xgb-early-stop", CLI_UINT, "N", N_("XGBoost: stop after N "
		  "rounds without a lower log loss on the stopping fold "
		  "(default 30)"), false, &st.gbt.early_stop },
		{ "xgb-no-refit", CLI_FLAG, NULL, N_("XGBoost: keep the "
		  "early-stopped model, trained without the stopping fold, "
		  "instead of training again on every fit user for its best "
		  "number of rounds (default: train again)"), false,
		  &st.gbt.no_refit },
		{ "split-output", CLI_STRING, "FILE", N_("also write the split "
		  "as CSV: source,user_id,part,fold"), false, &st.split_output },
		{ "output", CLI_STRING, "FILE", N_("model JSON to write"), true,
		  &st.output },
	};
	const struct cli_cmd cmd = { "train", N_("Fit churn models, compare "
	    "them on validation users and report holdout metrics."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc == WK_OK)
		rc = train_check_opts(&st, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("train: starting"));
	status = train_run(&st, &err);
	if (status == EX_OK)
		train_report(&st);
	train_free(&st);
	if (status != EX_OK) {
		churn_status_failed(nt, "train", &err);
		return churn_fail("train", status, &err);
	}
	return EX_OK;
}
