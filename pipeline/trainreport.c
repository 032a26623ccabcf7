/*
 * The second half of `churn train`: the metrics of every trained model on
 * the validation, holdout and fit users, the choice of the kept model,
 * the model file and the printed report.
 */
#include "pipeline/trainstage.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/outfile.h"

static const char *const train_kind_names[TRAIN_KINDS] = {
	"logistic_regression", "xgboost"
};

/* Scratch arrays for scoring one set. */
struct train_scores {
	double *probs;    /* probabilities; owned */
	int8_t *labels;   /* labels; owned */
};

/* Scores a set with a model and collects its labels. */
static int
train_score_set(const struct churn_model *m, const struct split_set *set,
		struct train_scores *s, struct wk_err *err)
{
	size_t i;
	int rc;

	rc = model_score(m, set->t, set->rows, set->n, s->probs, err);
	for (i = 0; rc == WK_OK && i < set->n; i++) {
		s->labels[i] = set->t->label[set->rows[i]];
		if (!isfinite(s->probs[i]))
			rc = wk_err_set(err, WK_ERR_INVALID, _("the %s model "
			    "gave user '%s' a probability that is not a "
			    "number"), model_kind_name(m->kind),
			    ftable_id(set->t, set->rows[i]));
	}
	return rc;
}

/* Computes the metrics of one candidate on the three parts. */
static int
train_evaluate_one(struct train_stage *st, struct train_candidate *c,
		   struct train_scores *s, struct wk_err *err)
{
	const struct split_sets *sets = &st->sets;
	struct metric_report fit;
	int rc;

	rc = train_score_set(&c->m, &sets->validation, s, err);
	if (rc == WK_OK)
		c->has_validation = metric_report(s->probs, s->labels,
		    sets->validation.n, &c->validation) == WK_OK;
	if (rc == WK_OK)
		rc = train_score_set(&c->m, &sets->holdout, s, err);
	if (rc == WK_OK)
		rc = metric_report(s->probs, s->labels, sets->holdout.n,
		    &c->holdout);
	if (rc == WK_OK)
		rc = train_score_set(&c->m, &sets->fit, s, err);
	if (rc == WK_OK)
		rc = metric_report(s->probs, s->labels, sets->fit.n, &fit);
	if (rc == WK_ERR_NOMEM)
		return wk_err_set(err, rc, _("out of memory computing the "
		    "metrics"));
	if (rc != WK_OK)
		return rc;
	c->fit_auc = fit.auc;
	c->fit_logloss = fit.logloss;
	return WK_OK;
}

/* Ranks the holdout users by recency_days alone, when it is a column. */
static void
train_baseline(struct train_stage *st, struct train_scores *s)
{
	const struct split_set *h = &st->sets.holdout;
	long col = ftable_find(h->t, TRAIN_BASELINE);
	struct metric_report r;
	size_t i;

	st->baseline_auc = NAN;
	st->baseline_pr_auc = NAN;
	if (col < 0)
		return;
	for (i = 0; i < h->n; i++) {
		s->probs[i] = h->t->x[h->rows[i] * h->t->n_features +
		    (size_t)col];
		s->labels[i] = h->t->label[h->rows[i]];
	}
	/* Scores are days here: only the rank metrics mean something. */
	if (metric_report(s->probs, s->labels, h->n, &r) == WK_OK) {
		st->baseline_auc = r.auc;
		st->baseline_pr_auc = r.pr_auc;
	}
}

/* Picks the kept candidate. */
static void
train_choose(struct train_stage *st)
{
	const struct train_candidate *lr = &st->cand[TRAIN_KIND_LOGISTIC];
	const struct train_candidate *xgb = &st->cand[TRAIN_KIND_XGBOOST];

	if (st->choice != TRAIN_AUTO) {
		st->kept = st->choice == TRAIN_XGBOOST ? TRAIN_KIND_XGBOOST :
		    TRAIN_KIND_LOGISTIC;
		st->kept_reason = N_("chosen with --model");
		return;
	}
	if (!lr->has_validation || !xgb->has_validation) {
		st->kept = TRAIN_KIND_LOGISTIC;
		st->kept_reason = N_("the validation users lack a label, so the "
		    "simpler model is kept");
		fprintf(stderr, _("churn train: warning: the %zu validation "
		    "users lack a label; keeping the logistic regression "
		    "without a comparison\n"), st->sets.validation.n);
		return;
	}
	st->kept = xgb->validation.auc > lr->validation.auc ?
	    TRAIN_KIND_XGBOOST : TRAIN_KIND_LOGISTIC;
	st->kept_reason = N_("higher validation AUC");
}

int
train_evaluate(struct train_stage *st, struct wk_err *err)
{
	size_t n = st->sets.fit.n, i;
	struct train_scores s;
	int rc = WK_OK;

	if (st->sets.validation.n > n)
		n = st->sets.validation.n;
	if (st->sets.holdout.n > n)
		n = st->sets.holdout.n;
	s.probs = malloc((n + 1) * sizeof *s.probs);
	s.labels = malloc(n + 1);
	if (s.probs == NULL || s.labels == NULL) {
		rc = wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		goto out;
	}

	for (i = 0; i < TRAIN_KINDS && rc == WK_OK; i++) {
		notify_watchdog(st->nt);
		if (st->cand[i].trained)
			rc = train_evaluate_one(st, &st->cand[i], &s, err);
	}
	if (rc == WK_OK) {
		train_baseline(st, &s);
		train_choose(st);
	}

out:
	free(s.probs);
	free(s.labels);
	return rc;
}

/* A JSON number, or null for NaN (JSON has no NaN). */
static json_t *
train_json_number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
train_json_calibration(const struct metric_report *r)
{
	json_t *bins = json_array();
	size_t b;

	for (b = 0; bins != NULL && b < METRIC_CALIBRATION_BINS; b++) {
		const struct metric_bin *bin = &r->calibration[b];

		json_array_append_new(bins, json_pack("{s:f, s:f, s:I, s:o, "
		    "s:o}", "from", (double)b / METRIC_CALIBRATION_BINS,
		    "to", (double)(b + 1) / METRIC_CALIBRATION_BINS,
		    "users", (json_int_t)bin->n,
		    "mean_predicted", train_json_number(bin->mean_predicted),
		    "observed", train_json_number(bin->observed)));
	}
	return bins;
}

static json_t *
train_json_report(const struct metric_report *r)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "users", (json_int_t)r->n, "churned", (json_int_t)r->positives,
	    "auc", train_json_number(r->auc),
	    "pr_auc", train_json_number(r->pr_auc),
	    "logloss", train_json_number(r->logloss),
	    "brier", train_json_number(r->brier),
	    "top10_precision", train_json_number(r->top_precision),
	    "top10_recall", train_json_number(r->top_recall),
	    "calibration", train_json_calibration(r));
}

/* How C was chosen, with the cross-validated AUC of each value. */
static json_t *
train_json_logistic(const struct train_stage *st)
{
	const struct churn_model *m = &st->cand[TRAIN_KIND_LOGISTIC].m;
	json_t *obj = json_pack("{s:f, s:s}", "c", m->c, "c_chosen_by",
	    st->cv_done ? "cross-validation" : "option");
	json_t *grid = json_array();
	size_t i;

	for (i = 0; st->cv_done && grid != NULL && i < st->cv.n; i++)
		json_array_append_new(grid, json_pack("{s:f, s:o}", "c",
		    st->cv.c[i], "auc", train_json_number(st->cv.auc[i])));
	json_object_set_new(obj, "folds", json_integer(st->plan.folds));
	json_object_set_new(obj, "cross_validation", grid);
	return obj;
}

static json_t *
train_json_xgboost(const struct train_stage *st)
{
	const struct gbt_fit_info *in = &st->gbt_info;

	return json_pack("{s:I, s:I, s:o, s:I, s:b, s:{s:I, s:I, s:f, s:I, "
	    "s:b, s:f, s:f, s:i, s:s}}", "rounds", (json_int_t)in->best_rounds,
	    "rounds_run", (json_int_t)in->rounds_run,
	    "stop_logloss", train_json_number(in->stop_logloss),
	    "stop_users", (json_int_t)in->stop_users, "refit", in->refit,
	    "params", "max_rounds", (json_int_t)st->gbt.max_rounds,
	    "max_depth", (json_int_t)st->gbt.max_depth, "eta", st->gbt.eta,
	    "early_stop", (json_int_t)st->gbt.early_stop,
	    "no_refit", st->gbt.no_refit,
	    "subsample", GBT_SUBSAMPLE, "colsample_bytree", GBT_COLSAMPLE,
	    "nthread", GBT_THREADS, "tree_method", "hist");
}

static json_t *
train_json_candidates(const struct train_stage *st)
{
	json_t *obj = json_object();
	size_t i;

	for (i = 0; obj != NULL && i < TRAIN_KINDS; i++) {
		const struct train_candidate *c = &st->cand[i];
		json_t *one;

		if (!c->trained)
			continue;
		one = i == TRAIN_KIND_LOGISTIC ? train_json_logistic(st) :
		    train_json_xgboost(st);
		json_object_set_new(one, "validation", c->has_validation ?
		    train_json_report(&c->validation) : json_null());
		json_object_set_new(one, "holdout",
		    train_json_report(&c->holdout));
		json_object_set_new(one, "fit", json_pack("{s:o, s:o, s:o}",
		    "auc", train_json_number(c->fit_auc), "logloss",
		    train_json_number(c->fit_logloss), "seconds",
		    train_json_number(c->fit_seconds)));
		json_object_set_new(obj, train_kind_names[i], one);
	}
	return obj;
}

/* The members of the model file beyond what scoring needs. */
static json_t *
train_json_details(const struct train_stage *st)
{
	const struct split_sets *s = &st->sets;
	json_t *d = json_object();

	json_object_set_new(d, "split", json_pack("{s:s, s:o, s:f, s:i, s:I, "
	    "s:I, s:I}", "evaluation", s->out_of_time ? "out-of-time" :
	    "in-time", "holdout_fraction", s->out_of_time ? json_null() :
	    json_real(st->plan.holdout), "validation_fraction",
	    st->plan.validation, "folds", st->plan.folds,
	    "fit_users", (json_int_t)s->fit.n,
	    "validation_users", (json_int_t)s->validation.n,
	    "holdout_users", (json_int_t)s->holdout.n));
	json_object_set(d, "training_data", st->train_meta);
	json_object_set(d, "evaluation_data", st->has_e ? st->eval_meta :
	    st->train_meta);
	json_object_set_new(d, "selection", json_pack("{s:s, s:s, s:s}",
	    "model_option", st->model_text, "kept",
	    train_kind_names[st->kept], "reason", st->kept_reason));
	json_object_set_new(d, "baseline", json_pack("{s:s, s:o, s:o}",
	    "feature", TRAIN_BASELINE, "holdout_auc",
	    train_json_number(st->baseline_auc), "holdout_pr_auc",
	    train_json_number(st->baseline_pr_auc)));
	json_object_set_new(d, "candidates", train_json_candidates(st));
	return d;
}

/* Copies the kept candidate's figures into its model for the file. */
static void
train_fill_kept(struct train_stage *st)
{
	struct train_candidate *c = &st->cand[st->kept];
	struct model_metrics *x = &c->m.metrics;

	c->m.seed = st->plan.seed;
	c->m.holdout_fraction = st->sets.out_of_time ? NAN : st->plan.holdout;
	c->m.train_users = st->sets.fit.n;
	c->m.train_churned = st->sets.fit.positives;
	c->m.holdout_users = st->sets.holdout.n;
	c->m.holdout_churned = st->sets.holdout.positives;
	x->holdout_auc = c->holdout.auc;
	x->baseline_auc = st->baseline_auc;
	x->holdout_logloss = c->holdout.logloss;
	x->pr_auc = c->holdout.pr_auc;
	x->brier = c->holdout.brier;
	x->top10_precision = c->holdout.top_precision;
	x->top10_recall = c->holdout.top_recall;
	x->validation_auc = c->has_validation ? c->validation.auc : NAN;
	x->train_auc = c->fit_auc;
	x->train_logloss = c->fit_logloss;
	json_decref(c->m.details);
	c->m.details = train_json_details(st);
}

int
train_write_model(struct train_stage *st, struct wk_err *err)
{
	struct churn_model *m = &st->cand[st->kept].m;
	struct outfile of;
	char *text;

	train_fill_kept(st);
	text = m->details != NULL ? model_to_json(m) : NULL;
	if (text == NULL) {
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory writing the "
		    "model"));
		return EX_SOFTWARE;
	}
	if (outfile_open(&of, st->output, err) != WK_OK) {
		free(text);
		return EX_CANTCREAT;
	}
	outfile_puts(&of, text);
	outfile_puts(&of, "\n");
	free(text);
	return outfile_commit(&of, err) == WK_OK ? EX_OK : EX_IOERR;
}

/* Prints a number with 3 decimals, or "-" for NaN, in width columns. */
static void
train_print_number(double v, int width)
{
	if (isfinite(v))
		printf(" %*.3f", width, v);
	else
		printf(" %*s", width, "-");
}

/* Prints one row of the metrics table. */
static void
train_print_row(const char *name, double validation,
		const struct metric_report *r)
{
	printf("  %-20s", name);
	train_print_number(validation, 9);
	train_print_number(r->auc, 8);
	train_print_number(r->pr_auc, 7);
	train_print_number(r->logloss, 8);
	train_print_number(r->brier, 6);
	train_print_number(r->top_precision, 9);
	train_print_number(r->top_recall, 7);
	printf("\n");
}

static void
train_print_table(const struct train_stage *st)
{
	struct metric_report base = { .auc = st->baseline_auc,
	    .pr_auc = st->baseline_pr_auc, .logloss = NAN, .brier = NAN,
	    .top_precision = NAN, .top_recall = NAN };
	size_t i;

	printf(_("train: metrics on %zu holdout users (%s), %" PRIu64
	    " churned:\n"), st->sets.holdout.n, st->sets.out_of_time ?
	    _("out-of-time") : _("in-time"), st->sets.holdout.positives);
	printf("  %-20s %9s %8s %7s %8s %6s %9s %7s\n", _("model"),
	    _("val. AUC"), _("AUC"), _("PR AUC"), _("log loss"), _("Brier"),
	    _("top10% p"), _("top10% r"));
	for (i = 0; i < TRAIN_KINDS; i++) {
		const struct train_candidate *c = &st->cand[i];

		if (c->trained)
			train_print_row(train_kind_names[i], c->has_validation ?
			    c->validation.auc : NAN, &c->holdout);
	}
	train_print_row(_("recency baseline"), NAN, &base);
}

static void
train_print_calibration(const struct train_stage *st)
{
	const struct train_candidate *c = &st->cand[st->kept];
	size_t b;

	printf(_("train: calibration of %s on the holdout users:\n"),
	    train_kind_names[st->kept]);
	printf("  %-11s %8s %14s %8s\n", _("probability"), _("users"),
	    _("mean predicted"), _("churned"));
	for (b = 0; b < METRIC_CALIBRATION_BINS; b++) {
		const struct metric_bin *bin = &c->holdout.calibration[b];

		printf("  %.1f-%.1f    %8" PRIu64, (double)b / 10.0,
		    (double)(b + 1) / 10.0, bin->n);
		train_print_number(bin->mean_predicted, 14);
		train_print_number(bin->observed, 8);
		printf("\n");
	}
}

/* Prints how each model was tuned. */
static void
train_print_tuning(const struct train_stage *st)
{
	const struct split_sets *s = &st->sets;

	printf(_("train: %zu fit users, %zu validation users, %zu holdout "
	    "users%s\n"), s->fit.n, s->validation.n, s->holdout.n,
	    s->out_of_time ? _(" from the evaluation file") : "");
	if (st->cand[TRAIN_KIND_LOGISTIC].trained && st->cv_done)
		printf(_("train: logistic regression: C %g, chosen by %u-fold "
		    "cross-validation (out-of-fold AUC %.3f)\n"),
		    st->cv.c[st->cv.best], st->plan.folds,
		    st->cv.auc[st->cv.best]);
	else if (st->cand[TRAIN_KIND_LOGISTIC].trained)
		printf(_("train: logistic regression: C %g, from --c\n"),
		    st->c);
	if (st->cand[TRAIN_KIND_XGBOOST].trained)
		printf(_("train: xgboost: %" PRIu64 " rounds, depth %" PRIu64
		    ", eta %g (early stopping on %" PRIu64 " users after %"
		    PRIu64 " rounds; %s)\n"), st->gbt_info.best_rounds,
		    st->gbt.max_depth, st->gbt.eta, st->gbt_info.stop_users,
		    st->gbt_info.rounds_run, st->gbt_info.refit ?
		    _("refit on all fit users") : _("early-stopped model kept"));
}

static void
train_send_metrics(const struct train_stage *st)
{
	const struct train_candidate *c = &st->cand[st->kept];
	const struct train_candidate *lr = &st->cand[TRAIN_KIND_LOGISTIC];
	const struct train_candidate *xgb = &st->cand[TRAIN_KIND_XGBOOST];
	struct notify *nt = st->nt;

	notify_metric(nt, "holdout_auc", c->holdout.auc);
	if (!isnan(st->baseline_auc))
		notify_metric(nt, "baseline_auc", st->baseline_auc);
	notify_metric(nt, "holdout_logloss", c->holdout.logloss);
	notify_metric(nt, "pr_auc", c->holdout.pr_auc);
	notify_metric(nt, "brier", c->holdout.brier);
	notify_metric(nt, "top10_precision", c->holdout.top_precision);
	notify_metric(nt, "top10_recall", c->holdout.top_recall);
	notify_metric(nt, "model_kept", st->kept == TRAIN_KIND_XGBOOST);
	notify_metric(nt, "out_of_time", st->sets.out_of_time);
	if (lr->trained) {
		notify_metric(nt, "logistic_auc", lr->holdout.auc);
		notify_metric(nt, "chosen_c", lr->m.c);
	}
	if (xgb->trained) {
		notify_metric(nt, "xgboost_auc", xgb->holdout.auc);
		notify_metric(nt, "xgboost_rounds",
		    (double)st->gbt_info.best_rounds);
	}
	notify_metric(nt, "train_users", (double)st->sets.fit.n);
	notify_metric(nt, "validation_users", (double)st->sets.validation.n);
	notify_metric(nt, "holdout_users", (double)st->sets.holdout.n);
}

/* Formats "logistic 0.772, xgboost 0.773, recency baseline 0.759". */
static void
train_format_aucs(const struct train_stage *st, char *out, size_t size)
{
	size_t used = 0, i;
	int n;

	out[0] = '\0';
	for (i = 0; i < TRAIN_KINDS; i++) {
		if (!st->cand[i].trained)
			continue;
		n = snprintf(out + used, size - used, "%s%s %.3f",
		    used > 0 ? ", " : "", i == TRAIN_KIND_LOGISTIC ?
		    _("logistic") : _("xgboost"), st->cand[i].holdout.auc);
		used += n > 0 && (size_t)n < size - used ? (size_t)n : 0;
	}
	if (!isnan(st->baseline_auc))
		snprintf(out + used, size - used, _("%srecency baseline %.3f"),
		    used > 0 ? ", " : "", st->baseline_auc);
}

void
train_report(const struct train_stage *st)
{
	const struct train_candidate *c = &st->cand[st->kept];
	char aucs[160];

	train_send_metrics(st);
	train_print_tuning(st);
	train_print_table(st);
	train_print_calibration(st);
	train_format_aucs(st, aucs, sizeof aucs);
	printf(_("train: kept %s (%s), holdout AUC %.3f (%s), log loss %.3f, "
	    "%s, %zu fit / %zu validation / %zu holdout users -> %s\n"),
	    train_kind_names[st->kept], _(st->kept_reason), c->holdout.auc,
	    aucs, c->holdout.logloss, st->sets.out_of_time ?
	    _("out-of-time") : _("in-time"), st->sets.fit.n,
	    st->sets.validation.n, st->sets.holdout.n, st->output);
	notify_status(st->nt, _("train: kept %s, holdout AUC %.3f"),
	    train_kind_names[st->kept], c->holdout.auc);
	notify_progress(st->nt, 1.0);
}
