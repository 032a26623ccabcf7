/*
 * The CLI's side of the control socket: finds the agent of a state
 * directory, sends it requests, and waits for the runs it started.
 */
#ifndef WK_CLIENTCTL_H
#define WK_CLIENTCTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cli.h"
#include "core/rc.h"

#define CLIENTCTL_TIMEOUT_MS 10000
#define CLIENTCTL_POLL_MS 200

/*
 * Sends request to the agent of the state directory common names (or its
 * configuration's, or the default), with this process's message locale
 * added as its "locale", so that the answer's texts are in the caller's
 * language. Returns WK_OK with *answer set (check
 * its "ok"), WK_ERR_NOTFOUND when no agent listens, WK_ERR_BUSY when the
 * request was sent but not answered within CLIENTCTL_TIMEOUT_MS, or another
 * error. For an unanswered run-now, rerun, backfill or cancel, err says
 * that the agent may still carry it out and how to check.
 */
int clientctl_request(const struct cli_common *common, json_t *request,
		      json_t **answer, struct wk_err *err);

/*
 * Returns the exit status for a response whose "ok" is false:
 * CLI_EXIT_USAGE when the agent marked it "usage" (the request lacked a
 * name the command line should give), else CLI_EXIT_FAILED.
 */
int clientctl_error_status(json_t *answer);

/*
 * Waits until the runs are no longer "running" (reading the store
 * read-only), prints them, and returns CLI_EXIT_OK when all succeeded.
 * Returns CLI_EXIT_FAILED with a message when the agent's lock is released
 * (the agent exited or was killed) while a run is still running. While it
 * waits, the first SIGINT or SIGTERM sends a cancel request for each run
 * and the wait goes on until they end; a second one returns
 * CLI_EXIT_FAILED at once, leaving the runs to the agent.
 */
int clientctl_wait_runs(const struct cli_common *common, const int64_t *runs,
			size_t n);

/*
 * Asks the agent to run each named pipeline now (logical date date, or
 * today when NULL), waits for the runs and prints them. A NULL name lets
 * the agent pick its only pipeline.
 */
int clientctl_run_now_and_wait(const struct cli_common *common,
			       const char *const *pipelines, size_t n,
			       const char *date);

#endif
