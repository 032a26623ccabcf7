/*
 * `churn train`: fits a logistic regression (liblinear, C chosen by
 * cross-validation) and gradient-boosted trees (XGBoost), keeps the one
 * better on validation users, reports its metrics on holdout users, and
 * writes the model file (model.h). trainstage.h has the stage's state.
 */
#ifndef WK_PIPELINE_TRAIN_H
#define WK_PIPELINE_TRAIN_H

#include "pipeline/notify.h"

/* `churn train ARGS`: argv[0] is "train". Returns an exit status. */
int train_main(int argc, char **argv, struct notify *nt);

#endif
