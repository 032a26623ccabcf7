/*
 * `churn predict`: scores every user of a feature CSV with a model file
 * and writes the audience: users ranked by churn probability, with a
 * segment for the top ranks.
 */
#ifndef WK_PIPELINE_PREDICT_H
#define WK_PIPELINE_PREDICT_H

#include <stdint.h>

#include "pipeline/notify.h"

#define PREDICT_HIGH_PERCENT 10    /* ranks in the "high" segment, % */
#define PREDICT_MEDIUM_PERCENT 20  /* ranks in "medium" after them, % */

/*
 * Returns the segment of rank (1 = most likely to churn) among n users:
 * "high" for ranks up to ceil(10% of n), "medium" up to ceil(30% of n),
 * "low" for the rest.
 */
const char *predict_segment(uint64_t rank, uint64_t n);

/* `churn predict ARGS`: argv[0] is "predict". Returns an exit status. */
int predict_main(int argc, char **argv, struct notify *nt);

#endif
