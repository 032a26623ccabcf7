/*
 * Parts shared by the churn subcommands: exit statuses, error output and
 * the progress glue between long loops and the notifier.
 *
 * Exit statuses are those of <sysexits.h>: EX_OK 0, EX_USAGE 64 (unknown
 * option, missing value), EX_DATAERR 65 (bad input data), EX_NOINPUT 66
 * (input cannot be opened), EX_SOFTWARE 70 (internal error, out of
 * memory), EX_CANTCREAT 73 (output cannot be created) and EX_IOERR 74
 * (read or write failed).
 */
#ifndef WK_PIPELINE_CHURN_H
#define WK_PIPELINE_CHURN_H

#include <sysexits.h>

#include "core/rc.h"
#include "pipeline/cli.h"
#include "pipeline/notify.h"

/* Maps the return code of a failed step to an exit status. */
int churn_exit_status(int rc);

/* Prints "churn STAGE: MESSAGE" of err on stderr and returns status. */
int churn_fail(const char *stage, int status, const struct wk_err *err);

/* Prints err and the usage of cmd on stderr; returns EX_USAGE. */
int churn_usage_error(const struct cli_cmd *cmd, const struct wk_err *err);

/*
 * Progress of one phase of a stage: the phase covers [base, base + span]
 * of the stage's 0..1 progress. Pass churn_progress_fn and a pointer to
 * it where a callback is taken.
 */
struct churn_phase {
	struct notify *nt;  /* where progress goes */
	double base;        /* stage progress at the start of the phase */
	double span;        /* share of the stage the phase takes */
};

/* Sends base + span * fraction as the stage's progress. */
void churn_progress_fn(void *phase, double fraction);

/* Sends STATUS="STAGE failed: MESSAGE" of err. */
void churn_status_failed(struct notify *nt, const char *stage,
			 const struct wk_err *err);

#endif
