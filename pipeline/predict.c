#include "pipeline/predict.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/csv.h"
#include "pipeline/ftable.h"
#include "pipeline/model.h"
#include "pipeline/outfile.h"

enum predict_segment_index { PREDICT_HIGH, PREDICT_MEDIUM, PREDICT_LOW };

static const char *const predict_segment_names[] = { "high", "medium",
	"low" };

/* A scored user, for ranking. */
struct predict_score {
	double probability;  /* churn probability */
	const char *user_id; /* points into the feature table */
};

/* The options and state of one run. */
struct predict_stage {
	const char *model_path;     /* --model */
	const char *features_path;  /* --features */
	const char *output;         /* --output */
	struct notify *nt;          /* progress goes here */
	struct churn_model m;       /* the model */
	struct ftable t;            /* the users */
	struct predict_score *scores;  /* n_rows, ranked; owned */
	uint64_t segments[3];       /* users by enum predict_segment_index */
};

/* Returns the segment of rank as an index of predict_segment_names. */
static enum predict_segment_index
predict_segment_of(uint64_t rank, uint64_t n)
{
	uint64_t high = (n * PREDICT_HIGH_PERCENT + 99) / 100;
	uint64_t medium = (n * (PREDICT_HIGH_PERCENT + PREDICT_MEDIUM_PERCENT) +
	    99) / 100;

	if (rank <= high)
		return PREDICT_HIGH;
	return rank <= medium ? PREDICT_MEDIUM : PREDICT_LOW;
}

const char *
predict_segment(uint64_t rank, uint64_t n)
{
	return predict_segment_names[predict_segment_of(rank, n)];
}

/* Most likely to churn first; equal probabilities by user id. */
static int
predict_compare(const void *a, const void *b)
{
	const struct predict_score *x = a, *y = b;

	if (x->probability != y->probability)
		return x->probability > y->probability ? -1 : 1;
	return strcmp(x->user_id, y->user_id);
}

/* Checks that the file's feature columns are the model's, in order. */
static int
predict_check_columns(const struct predict_stage *st, struct wk_err *err)
{
	const struct ftable *t = &st->t;
	size_t n = t->n_features < st->m.n_features ? t->n_features :
	    st->m.n_features;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(t->names[i], st->m.names[i]) != 0)
			return wk_err_set(err, WK_ERR_INVALID, _("%s:1:%zu: "
			    "column '%s' is not the model's feature '%s'; "
			    "compute the features with the options used for "
			    "training"), st->features_path, i + 3, t->names[i],
			    st->m.names[i]);
	}
	if (t->n_features != st->m.n_features)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:1: the file has "
		    "%zu feature columns, the model '%s' %zu; column %zu ('%s') "
		    "is the first without a match; compute the features with "
		    "the options used for training"), st->features_path,
		    t->n_features, st->model_path, st->m.n_features, n + 3,
		    t->n_features > n ? t->names[n] : st->m.names[n]);
	if (t->n_rows == 0)
		return wk_err_set(err, WK_ERR_INVALID, _("'%s' has no users to "
		    "score"), st->features_path);
	return WK_OK;
}

static int
predict_score_all(struct predict_stage *st, struct wk_err *err)
{
	const struct ftable *t = &st->t;
	double *probs;
	size_t i;
	int rc;

	st->scores = malloc((t->n_rows + 1) * sizeof *st->scores);
	probs = malloc((t->n_rows + 1) * sizeof *probs);
	if (st->scores == NULL || probs == NULL) {
		free(probs);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	rc = model_score(&st->m, t, NULL, t->n_rows, probs, err);
	for (i = 0; rc == WK_OK && i < t->n_rows; i++) {
		st->scores[i].probability = probs[i];
		st->scores[i].user_id = ftable_id(t, i);
		if (i % 65536 == 0)
			notify_progress(st->nt, 0.6 + 0.2 * (double)i /
			    (double)t->n_rows);
	}
	free(probs);
	if (rc != WK_OK)
		return rc;
	/* NOTE: no progress or watchdog message goes out during the sort. */
	qsort(st->scores, t->n_rows, sizeof *st->scores, predict_compare);
	return WK_OK;
}

/* Writes the ranked audience; returns an exit status. */
static int
predict_write(struct predict_stage *st, struct wk_err *err)
{
	uint64_t n = st->t.n_rows, rank;
	struct outfile of;

	if (outfile_open(&of, st->output, err) != WK_OK)
		return EX_CANTCREAT;
	outfile_puts(&of, "user_id,churn_probability,rank,segment\n");
	for (rank = 1; rank <= n; rank++) {
		const struct predict_score *s = &st->scores[rank - 1];
		enum predict_segment_index seg = predict_segment_of(rank, n);

		if (rank % 65536 == 0)
			notify_progress(st->nt, 0.8 + 0.2 * (double)rank /
			    (double)n);
		st->segments[seg]++;
		csv_write_field(&of, s->user_id, strlen(s->user_id));
		outfile_printf(&of, ",%.6f,%" PRIu64 ",%s\n", s->probability,
		    rank, predict_segment_names[seg]);
	}
	return outfile_commit(&of, err) == WK_OK ? EX_OK : EX_IOERR;
}

static int
predict_run(struct predict_stage *st, struct wk_err *err)
{
	struct churn_phase phase = { st->nt, 0.1, 0.5 };
	int rc;

	notify_status(st->nt, _("reading %s"), st->model_path);
	rc = model_load(&st->m, st->model_path, err);
	if (rc == WK_OK) {
		notify_status(st->nt, _("reading %s"), st->features_path);
		rc = ftable_load(&st->t, st->features_path, churn_progress_fn,
		    &phase, err);
	}
	if (rc == WK_OK)
		rc = predict_check_columns(st, err);
	if (rc == WK_OK) {
		notify_status(st->nt, _("scoring %zu users"), st->t.n_rows);
		rc = predict_score_all(st, err);
	}
	if (rc != WK_OK)
		return churn_exit_status(rc);
	return predict_write(st, err);
}

int
predict_main(int argc, char **argv, struct notify *nt)
{
	struct predict_stage st = { .nt = nt };
	const struct cli_opt opts[] = {
		{ "model", CLI_STRING, "FILE", N_("model JSON written by churn "
		  "train"), true, &st.model_path },
		{ "features", CLI_STRING, "FILE", N_("feature CSV of the users "
		  "to score, with the model's feature columns; labels may be "
		  "empty"), true, &st.features_path },
		{ "output", CLI_STRING, "FILE", N_("audience CSV to write: "
		  "user_id,churn_probability,rank,segment"), true, &st.output },
	};
	const struct cli_cmd cmd = { "predict", N_("Score users with a model "
	    "and rank them: segment high is the top 10% of ranks, medium "
	    "the next 20%, low the rest."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("predict: starting"));
	status = predict_run(&st, &err);
	if (status == EX_OK) {
		notify_metric(nt, "scored_users", (double)st.t.n_rows);
		notify_metric(nt, "high_segment", (double)st.segments[0]);
		/* The quality of the model behind the audience, for gates. */
		if (!isnan(st.m.metrics.holdout_auc))
			notify_metric(nt, "model_auc", st.m.metrics.holdout_auc);
		printf(_("predict: %zu users scored, %" PRIu64 " high, %" PRIu64
		    " medium, %" PRIu64 " low -> %s\n"), st.t.n_rows,
		    st.segments[0], st.segments[1], st.segments[2], st.output);
		notify_progress(nt, 1.0);
	}
	free(st.scores);
	ftable_free(&st.t);
	model_free(&st.m);
	if (status != EX_OK) {
		churn_status_failed(nt, "predict", &err);
		return churn_fail("predict", status, &err);
	}
	return EX_OK;
}
