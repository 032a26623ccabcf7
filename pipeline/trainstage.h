/*
 * State of one run of `churn train`, shared by train.c (options, data,
 * fitting) and trainreport.c (evaluation, model file, report).
 */
#ifndef WK_PIPELINE_TRAINSTAGE_H
#define WK_PIPELINE_TRAINSTAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline/ftable.h"
#include "pipeline/gbt.h"
#include "pipeline/logit.h"
#include "pipeline/metric.h"
#include "pipeline/model.h"
#include "pipeline/notify.h"
#include "pipeline/split.h"

#define TRAIN_BASELINE "recency_days"  /* feature of the baseline ranking */

/* Models --model trains. */
enum train_choice {
	TRAIN_LOGISTIC,  /* only the logistic regression */
	TRAIN_XGBOOST,   /* only XGBoost */
	TRAIN_AUTO       /* both; the one better on validation is kept */
};

/* Indices of the candidates. */
enum train_kind {
	TRAIN_KIND_LOGISTIC = 0,
	TRAIN_KIND_XGBOOST = 1,
	TRAIN_KINDS = 2
};

/* A trained model and its metrics. */
struct train_candidate {
	bool trained;                     /* fit on this run */
	struct churn_model m;             /* the model; owned */
	struct metric_report validation;  /* on the validation users */
	bool has_validation;              /* validation could be computed */
	struct metric_report holdout;     /* on the holdout users */
	double fit_auc;                   /* ROC AUC on the fit users */
	double fit_logloss;               /* log loss on the fit users */
	double fit_seconds;               /* wall time of the final fit, s;
	                                   * XGBoost's includes its early-
	                                   * stopping pass and its refit,
	                                   * if any */
};

struct train_stage {
	const char *features_path;    /* --features */
	const char *evaluation_path;  /* --evaluation, or NULL */
	const char *output;           /* --output */
	const char *split_output;     /* --split-output, or NULL */
	const char *model_text;       /* --model as given */
	enum train_choice choice;     /* --model */
	struct split_plan plan;       /* --holdout, --validation, --folds, --seed */
	double c;                     /* --c, NAN: chosen by cross-validation */
	uint64_t folds;               /* --folds, copied into plan when valid */
	struct gbt_params gbt;        /* the --xgb-* options and --seed */
	struct notify *nt;            /* progress goes here */
	struct ftable t;              /* the training rows */
	struct ftable e;              /* the evaluation rows (out-of-time) */
	bool has_e;                   /* e is loaded */
	json_t *train_meta;           /* metadata of --features; owned */
	json_t *eval_meta;            /* metadata of --evaluation; owned */
	struct split_sets sets;       /* fit, validation, holdout */
	double *means;                /* fit users' means; owned */
	double *stds;                 /* their standard deviations; owned */
	struct logit_cv cv;           /* the cross-validation of C */
	bool cv_done;                 /* cv has results */
	struct gbt_fit_info gbt_info; /* what early stopping found */
	struct train_candidate cand[TRAIN_KINDS];  /* by enum train_kind */
	enum train_kind kept;         /* the candidate written */
	const char *kept_reason;      /* why, untranslated (N_) */
	double baseline_auc;          /* recency ROC AUC on holdout, or NAN */
	double baseline_pr_auc;       /* recency average precision, or NAN */
};

/*
 * Computes the validation, holdout and fit metrics of every trained
 * candidate and the recency baseline, and picks the kept candidate.
 * Returns WK_OK or an error with err filled.
 */
int train_evaluate(struct train_stage *st, struct wk_err *err);

/* Writes the model file of the kept candidate; returns an exit status. */
int train_write_model(struct train_stage *st, struct wk_err *err);

/* Prints the report and the summary line and sends the metrics. */
void train_report(const struct train_stage *st);

#endif
