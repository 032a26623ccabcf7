/*
 * `churn generate`: synthetic event logs in the shape of the bundled
 * ones, for tests and load. docs/pipeline.md states the model and the
 * statistics it is tested against.
 *
 * cdnow     CSV with the columns of data/cdnow/events.csv. Every user
 *           makes a first purchase in the first 84/546 of the days, then
 *           buys at a personal rate that fades over a personal lifetime.
 * sparkify  JSON Lines with the fields of the bundled Sparkify log; users
 *           hold sessions of page views, and a share of them fade out
 *           and cancel ("Cancel", then "Cancellation Confirmation").
 *
 * Output is streamed, one user after the other, in time order within a
 * user; nothing is allocated per event. The same options write the same
 * bytes.
 */
#ifndef WK_PIPELINE_GEN_H
#define WK_PIPELINE_GEN_H

#include "pipeline/notify.h"

/* `churn generate ARGS`: argv[0] is "generate". Returns an exit status. */
int gen_main(int argc, char **argv, struct notify *nt);

#endif
