/*
 * `churn train`: fits an L2-regularized logistic regression (liblinear,
 * solver L2R_LR) on standardized features, holding out a seeded random
 * part of the users to measure ROC AUC and log loss, and writes the model
 * file (model.h).
 */
#ifndef WK_PIPELINE_TRAIN_H
#define WK_PIPELINE_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline/notify.h"

/*
 * Tells whether a user goes to the holdout part: the 64-bit FNV-1a hash
 * of the id, mixed with the seed through the SplitMix64 finalizer, maps
 * to [0, 1) and is compared with fraction. The same id and seed give the
 * same result on every run and host, whatever the order of the rows.
 */
bool train_is_holdout(const char *user_id, uint64_t seed, double fraction);

/* `churn train ARGS`: argv[0] is "train". Returns an exit status. */
int train_main(int argc, char **argv, struct notify *nt);

#endif
