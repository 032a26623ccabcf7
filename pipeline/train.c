#include "pipeline/train.h"

#include <inttypes.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/ftable.h"
#include "pipeline/metric.h"
#include "pipeline/model.h"
#include "pipeline/outfile.h"

#define TRAIN_EPS 0.01          /* liblinear's default tolerance for L2R_LR */
#define TRAIN_LOAD_SHARE 0.2    /* progress share of reading the features */
#define TRAIN_FIT_START 0.3     /* progress when the solver starts */
#define TRAIN_FIT_SHARE 0.6     /* progress share of the solver */
#define TRAIN_BASELINE "recency_days"  /* feature of the baseline ranking */

/* The options and state of one run. */
struct train_stage {
	const char *features_path;  /* --features */
	const char *output;         /* --output */
	double holdout;             /* --holdout, share of users, 0..1 */
	uint64_t seed;              /* --seed */
	double c;                   /* --c */
	struct notify *nt;          /* progress goes here */
	struct ftable t;            /* the feature rows */
	bool *in_holdout;           /* n_rows flags; owned */
	size_t n_train;             /* rows to train on */
	size_t n_holdout;           /* rows held out */
	uint64_t train_churned;     /* training rows with label 1 */
	uint64_t holdout_churned;   /* holdout rows with label 1 */
	struct churn_model m;       /* the result */
};

/* State of the solver's progress callback; liblinear passes it no context. */
struct train_progress {
	struct notify *nt;  /* where progress goes */
	double gnorm0;      /* gradient norm at w = 0 */
	double log_span;    /* log(gnorm0 / gradient norm when it stops) */
};

static struct train_progress *train_active;

static uint64_t
train_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

bool
train_is_holdout(const char *user_id, uint64_t seed, double fraction)
{
	uint64_t h = UINT64_C(14695981039346656037);
	const unsigned char *p;

	for (p = (const unsigned char *)user_id; *p != '\0'; p++) {
		h ^= *p;
		h *= UINT64_C(1099511628211);
	}
	h = train_mix64(h ^ train_mix64(seed + UINT64_C(0x9e3779b97f4a7c15)));
	return (double)(h >> 11) * 0x1p-53 < fraction;
}

/*
 * Receives liblinear's messages. Its trust-region Newton solver prints
 * "iter N ... |g| G ..." per iteration and stops once G falls to
 * eps * min(pos, neg) / l of the gradient norm at w = 0 (liblinear 2.30
 * README, option -e), so log(gnorm0 / G) over the log of that ratio
 * estimates the share of the work done.
 */
static void
train_print(const char *text)
{
	struct train_progress *tp = train_active;
	const char *g = strstr(text, "|g| ");
	double gnorm, done;

	if (strncmp(text, "WARNING", 7) == 0)
		fprintf(stderr, "churn train: liblinear: %s", text);
	if (tp == NULL)
		return;
	notify_watchdog(tp->nt);
	if (g == NULL || tp->gnorm0 <= 0.0 || tp->log_span <= 0.0)
		return;

	gnorm = strtod(g + 4, NULL);
	if (!(gnorm > 0.0))
		return;
	done = log(tp->gnorm0 / gnorm) / tp->log_span;
	if (done < 0.0)
		done = 0.0;
	if (done > 1.0)
		done = 1.0;
	notify_progress(tp->nt, TRAIN_FIT_START + TRAIN_FIT_SHARE * done);
}

/* Rejects a file too small or unlabelled to train on. */
static int
train_check_rows(const struct train_stage *st, struct wk_err *err)
{
	if (st->t.n_rows < 2)
		return wk_err_set(err, WK_ERR_INVALID, _("'%s' has %zu users; "
		    "training needs at least 2, of both labels"),
		    st->features_path, st->t.n_rows);
	if (st->t.first_unlabelled_line != 0)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ":2: the "
		    "label is empty; training needs a labelled file (churn "
		    "features without --no-label)"), st->features_path,
		    st->t.first_unlabelled_line);
	return WK_OK;
}

/* Splits the users and checks that both parts hold both labels. */
static int
train_split(struct train_stage *st, struct wk_err *err)
{
	size_t i;

	st->in_holdout = calloc(st->t.n_rows, sizeof *st->in_holdout);
	if (st->in_holdout == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (i = 0; i < st->t.n_rows; i++) {
		bool h = train_is_holdout(ftable_id(&st->t, i), st->seed,
		    st->holdout);

		st->in_holdout[i] = h;
		st->n_holdout += h;
		st->holdout_churned += h && st->t.label[i] == 1;
		st->train_churned += !h && st->t.label[i] == 1;
	}
	st->n_train = st->t.n_rows - st->n_holdout;

	if (st->train_churned == 0 || st->train_churned == st->n_train ||
	    st->holdout_churned == 0 || st->holdout_churned == st->n_holdout)
		return wk_err_set(err, WK_ERR_INVALID, _("both labels must occur "
		    "in the training part (%zu users, %" PRIu64 " churned) and "
		    "in the holdout part (%zu users, %" PRIu64 " churned) of "
		    "'%s'; use more users, another --holdout or another "
		    "--cutoff"), st->n_train, st->train_churned, st->n_holdout,
		    st->holdout_churned, st->features_path);
	return WK_OK;
}

/*
 * Computes each feature's mean and standard deviation over the training
 * rows. Welford's method keeps large values from cancelling. A constant
 * feature gets a standard deviation of 1.
 */
static int
train_standardize(struct train_stage *st, struct wk_err *err)
{
	const struct ftable *t = &st->t;
	struct churn_model *m = &st->m;
	double n = 0.0;
	size_t i, k;

	for (i = 0; i < t->n_rows; i++) {
		const double *x = t->x + i * t->n_features;

		if (i % 65536 == 0)
			notify_progress(st->nt, TRAIN_LOAD_SHARE + 0.05 *
			    (double)i / (double)t->n_rows);
		if (st->in_holdout[i])
			continue;
		n += 1.0;
		for (k = 0; k < t->n_features; k++) {
			double d = x[k] - m->means[k];

			m->means[k] += d / n;
			m->stds[k] += d * (x[k] - m->means[k]);
		}
	}
	for (k = 0; k < t->n_features; k++) {
		m->stds[k] = sqrt(m->stds[k] / n);
		if (!isfinite(m->stds[k]) || !isfinite(m->means[k]))
			return wk_err_set(err, WK_ERR_INVALID, _("the values of "
			    "feature '%s' in '%s' are too large to standardize"),
			    t->names[k], st->features_path);
		if (m->stds[k] == 0.0)
			m->stds[k] = 1.0;
	}
	return WK_OK;
}

/*
 * The liblinear problem of the training rows, standardized, with bias.
 * NOTE: liblinear takes sparse rows, so every value costs a 16-byte node
 * besides its 8 bytes in the feature table: about 24 bytes a value.
 */
struct train_problem {
	struct problem prob;         /* what train() reads */
	struct feature_node *nodes;  /* n_train x (n_features + 2); owned */
	struct feature_node **rows;  /* n_train pointers into nodes; owned */
	double *y;                   /* n_train labels 1 or 0; owned */
	double gnorm0;               /* gradient norm at w = 0 */
};

static void
train_problem_free(struct train_problem *tp)
{
	free(tp->nodes);
	free(tp->rows);
	free(tp->y);
}

/*
 * Fills one row's nodes: the standardized features with indices 1..k,
 * the bias feature k+1 with value 1, and the end marker -1. Adds the
 * signed row to sum, for the gradient at w = 0.
 */
static void
train_fill_row(const struct train_stage *st, size_t i,
	       struct feature_node *node, double *sum)
{
	const struct ftable *t = &st->t;
	const double *x = t->x + i * t->n_features;
	double sign = t->label[i] == 1 ? 1.0 : -1.0;
	size_t k;

	for (k = 0; k < t->n_features; k++) {
		node[k].index = (int)k + 1;
		node[k].value = (x[k] - st->m.means[k]) / st->m.stds[k];
		sum[k] += sign * node[k].value;
	}
	node[k].index = (int)k + 1;
	node[k].value = 1.0;
	sum[k] += sign;
	node[k + 1].index = -1;
	node[k + 1].value = 0.0;
}

static int
train_build_problem(const struct train_stage *st, struct train_problem *tp)
{
	size_t k = st->t.n_features, i, j = 0;
	double *sum = calloc(k + 1, sizeof *sum), norm = 0.0;

	memset(tp, 0, sizeof *tp);
	tp->nodes = malloc(st->n_train * (k + 2) * sizeof *tp->nodes);
	tp->rows = malloc(st->n_train * sizeof *tp->rows);
	tp->y = malloc(st->n_train * sizeof *tp->y);
	if (sum == NULL || tp->nodes == NULL || tp->rows == NULL ||
	    tp->y == NULL) {
		free(sum);
		return WK_ERR_NOMEM;
	}

	for (i = 0; i < st->t.n_rows; i++) {
		if (i % 65536 == 0)
			notify_progress(st->nt, TRAIN_LOAD_SHARE + 0.05 + 0.05 *
			    (double)i / (double)st->t.n_rows);
		if (st->in_holdout[i])
			continue;
		tp->rows[j] = tp->nodes + j * (k + 2);
		tp->y[j] = st->t.label[i];
		train_fill_row(st, i, tp->rows[j], sum);
		j++;
	}
	for (i = 0; i <= k; i++)
		norm += sum[i] * sum[i];
	/* At w = 0 every sigmoid is 1/2: the gradient is -C/2 sum y_i x_i. */
	tp->gnorm0 = st->c / 2.0 * sqrt(norm);
	free(sum);

	tp->prob = (struct problem){ .l = (int)st->n_train, .n = (int)k + 1,
	    .y = tp->y, .x = tp->rows, .bias = 1.0 };
	return WK_OK;
}

/* Copies liblinear's weights for "churned" (label 1) into the model. */
static int
train_take_weights(struct train_stage *st, struct model *lm,
		   struct wk_err *err)
{
	int pos = lm->label[0] == 1 ? 0 : 1;
	size_t k;

	for (k = 0; k < st->m.n_features; k++)
		st->m.weights[k] = get_decfun_coef(lm, (int)k + 1, pos);
	st->m.bias = get_decfun_bias(lm, pos);
	for (k = 0; k < st->m.n_features; k++) {
		if (!isfinite(st->m.weights[k]))
			return wk_err_set(err, WK_ERR_INVALID, _("the solver "
			    "returned a weight that is not finite for '%s'"),
			    st->m.names[k]);
	}
	return isfinite(st->m.bias) ? WK_OK : wk_err_set(err, WK_ERR_INVALID,
	    _("the solver returned a bias that is not finite"));
}

static int
train_fit(struct train_stage *st, struct wk_err *err)
{
	struct parameter param = { .solver_type = L2R_LR, .eps = TRAIN_EPS,
	    .C = st->c, .p = 0.1 };
	double n_min = (double)(st->train_churned < st->n_train -
	    st->train_churned ? st->train_churned : st->n_train -
	    st->train_churned);
	struct train_progress progress = { st->nt, 0.0, 0.0 };
	struct train_problem tp;
	struct model *lm;
	const char *msg;
	int rc;

	if (st->n_train > INT32_MAX || st->m.n_features + 1 > INT32_MAX)
		return wk_err_set(err, WK_ERR_LIMIT, _("%zu training users are "
		    "more than liblinear takes"), st->n_train);
	if (train_build_problem(st, &tp) != WK_OK) {
		train_problem_free(&tp);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory building "
		    "the training problem"));
	}
	msg = check_parameter(&tp.prob, &param);
	if (msg != NULL) {
		train_problem_free(&tp);
		return wk_err_set(err, WK_ERR_STATE, _("liblinear rejects the "
		    "parameters: %s"), msg);
	}

	progress.gnorm0 = tp.gnorm0;
	progress.log_span = log((double)st->n_train / (TRAIN_EPS * n_min));
	train_active = &progress;
	set_print_string_function(train_print);
	lm = train(&tp.prob, &param);
	train_active = NULL;
	train_problem_free(&tp);
	if (lm == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory in the "
		    "solver"));
	rc = train_take_weights(st, lm, err);
	free_and_destroy_model(&lm);
	return rc;
}

/* Scores and labels of one part of the users, for the metrics. */
struct train_part {
	double *probs;    /* model probabilities; owned */
	double *recency;  /* baseline scores; owned */
	int8_t *labels;   /* labels; owned */
	size_t n;         /* users */
};

static int
train_collect(const struct train_stage *st, bool holdout, long baseline,
	      struct train_part *part)
{
	const struct ftable *t = &st->t;
	size_t i;

	part->n = 0;
	part->probs = malloc(t->n_rows * sizeof *part->probs);
	part->recency = malloc(t->n_rows * sizeof *part->recency);
	part->labels = malloc(t->n_rows * sizeof *part->labels);
	if (part->probs == NULL || part->recency == NULL ||
	    part->labels == NULL)
		return WK_ERR_NOMEM;

	for (i = 0; i < t->n_rows; i++) {
		const double *x = t->x + i * t->n_features;

		if (i % 65536 == 0)
			notify_watchdog(st->nt);
		if (st->in_holdout[i] != holdout)
			continue;
		part->probs[part->n] = model_probability(&st->m, x);
		part->recency[part->n] = baseline >= 0 ? x[baseline] : 0.0;
		part->labels[part->n] = t->label[i];
		part->n++;
	}
	return WK_OK;
}

static void
train_part_free(struct train_part *part)
{
	free(part->probs);
	free(part->recency);
	free(part->labels);
}

/* Computes the holdout and training metrics and the recency baseline. */
static int
train_evaluate(struct train_stage *st, struct wk_err *err)
{
	struct model_metrics *mx = &st->m.metrics;
	long baseline = ftable_find(&st->t, TRAIN_BASELINE);
	struct train_part hold = { 0 }, fit = { 0 };
	int rc = WK_ERR_NOMEM;

	mx->baseline_auc = NAN;
	if (train_collect(st, true, baseline, &hold) != WK_OK ||
	    train_collect(st, false, baseline, &fit) != WK_OK)
		goto out;
	if ((rc = metric_auc(hold.probs, hold.labels, hold.n,
	    &mx->holdout_auc)) != WK_OK ||
	    (rc = metric_auc(fit.probs, fit.labels, fit.n,
	    &mx->train_auc)) != WK_OK)
		goto out;
	if (baseline >= 0 && (rc = metric_auc(hold.recency, hold.labels,
	    hold.n, &mx->baseline_auc)) != WK_OK)
		goto out;
	mx->holdout_logloss = metric_logloss(hold.probs, hold.labels, hold.n);
	mx->train_logloss = metric_logloss(fit.probs, fit.labels, fit.n);

out:
	train_part_free(&hold);
	train_part_free(&fit);
	if (rc != WK_OK)
		wk_err_set(err, rc, _("cannot compute the holdout metrics: %s"),
		    wk_rc_name(rc));
	return rc;
}

/* Writes the model file; returns an exit status. */
static int
train_write(const struct train_stage *st, struct wk_err *err)
{
	char *text = model_to_json(&st->m);
	struct outfile of;

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

/* Prepares the model's arrays and settings from the feature table. */
static int
train_init_model(struct train_stage *st, struct wk_err *err)
{
	struct churn_model *m = &st->m;
	size_t k;

	if (model_alloc(m, st->t.n_features) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (k = 0; k < m->n_features; k++) {
		m->names[k] = strdup(st->t.names[k]);
		if (m->names[k] == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	m->c = st->c;
	m->seed = st->seed;
	m->holdout_fraction = st->holdout;
	m->train_users = st->n_train;
	m->train_churned = st->train_churned;
	m->holdout_users = st->n_holdout;
	m->holdout_churned = st->holdout_churned;
	return WK_OK;
}

/* Runs the stage after the options are checked; returns an exit status. */
static int
train_run(struct train_stage *st, struct wk_err *err)
{
	struct churn_phase phase = { st->nt, 0.0, TRAIN_LOAD_SHARE };
	int rc;

	notify_status(st->nt, _("reading %s"), st->features_path);
	rc = ftable_load(&st->t, st->features_path, churn_progress_fn, &phase,
	    err);
	if (rc == WK_OK)
		rc = train_check_rows(st, err);
	if (rc == WK_OK)
		rc = train_split(st, err);
	if (rc == WK_OK)
		rc = train_init_model(st, err);
	if (rc == WK_OK)
		rc = train_standardize(st, err);
	if (rc != WK_OK)
		return churn_exit_status(rc);

	notify_status(st->nt, _("training on %zu users, %zu features"),
	    st->n_train, st->m.n_features);
	notify_progress(st->nt, TRAIN_FIT_START);
	rc = train_fit(st, err);
	if (rc == WK_OK) {
		notify_status(st->nt, _("evaluating on %zu holdout users"),
		    st->n_holdout);
		rc = train_evaluate(st, err);
	}
	if (rc != WK_OK)
		return churn_exit_status(rc);
	return train_write(st, err);
}

static void
train_report(const struct train_stage *st)
{
	const struct model_metrics *mx = &st->m.metrics;
	struct notify *nt = st->nt;
	char baseline[64];

	notify_metric(nt, "holdout_auc", mx->holdout_auc);
	if (!isnan(mx->baseline_auc))
		notify_metric(nt, "baseline_auc", mx->baseline_auc);
	notify_metric(nt, "holdout_logloss", mx->holdout_logloss);
	notify_metric(nt, "train_users", (double)st->n_train);
	notify_metric(nt, "holdout_users", (double)st->n_holdout);

	if (isnan(mx->baseline_auc))
		snprintf(baseline, sizeof baseline, "%s",
		    _("no recency baseline"));
	else
		snprintf(baseline, sizeof baseline, _("recency baseline %.3f"),
		    mx->baseline_auc);
	printf(_("train: holdout AUC %.3f (%s), log loss %.3f, %zu train / "
	    "%zu holdout users -> %s\n"), mx->holdout_auc, baseline,
	    mx->holdout_logloss, st->n_train, st->n_holdout, st->output);
	notify_status(nt, _("train: holdout AUC %.3f"), mx->holdout_auc);
	notify_progress(nt, 1.0);
}

static int
train_check_opts(const struct train_stage *st, struct wk_err *err)
{
	if (!(st->holdout > 0.0 && st->holdout < 1.0))
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: "
		    "--holdout %g is outside (0, 1); 0.2 holds out a fifth of "
		    "the users"), st->holdout);
	if (!(st->c > 0.0))
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: --c %g "
		    "must be above 0"), st->c);
	if (st->seed > INT64_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn train: --seed "
		    "%" PRIu64 " is above %" PRId64), st->seed, INT64_MAX);
	return WK_OK;
}

int
train_main(int argc, char **argv, struct notify *nt)
{
	struct train_stage st = { .holdout = 0.2, .seed = 42, .c = 1.0,
	    .nt = nt };
	const struct cli_opt opts[] = {
		{ "features", CLI_STRING, "FILE", N_("feature CSV written by "
		  "churn features, with labels"), true, &st.features_path },
		{ "holdout", CLI_DOUBLE, "FRACTION", N_("share of users held "
		  "out for the metrics, between 0 and 1 (default 0.2)"), false,
		  &st.holdout },
		{ "seed", CLI_UINT, "N", N_("seed of the holdout split; the "
		  "same seed gives the same split (default 42)"), false,
		  &st.seed },
		{ "c", CLI_DOUBLE, "C", N_("inverse regularization strength "
		  "of the L2 penalty, above 0 (default 1.0)"), false, &st.c },
		{ "output", CLI_STRING, "FILE", N_("model JSON to write"), true,
		  &st.output },
	};
	const struct cli_cmd cmd = { "train", N_("Fit a logistic regression "
	    "on the features and report holdout AUC and log loss."), opts,
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
	ftable_free(&st.t);
	free(st.in_holdout);
	model_free(&st.m);
	if (status != EX_OK) {
		churn_status_failed(nt, "train", &err);
		return churn_fail("train", status, &err);
	}
	return EX_OK;
}
