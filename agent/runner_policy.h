/*
 * Decisions the runner takes about one attempt of a stage: whether a
 * failure is retried, whether quality gates pass, and the fingerprint that
 * decides whether an unchanged stage may be skipped. Used by runner.c.
 */
#ifndef WK_RUNNER_POLICY_H
#define WK_RUNNER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "agent/stagectx.h"
#include "agent/sup.h"
#include "core/config.h"
#include "core/sha256.h"
#include "core/store.h"

/*
 * Tells whether a failed attempt may be retried by its stage's policy:
 * not when attempts are used up, the process never started, it was
 * cancelled, a quality gate or an output check failed (gate_or_output), or
 * the exit status is fatal or not among the retryable ones.
 */
int runner_policy_retryable(const struct cfg_stage *stage, int attempt,
			    const struct sup_result *result,
			    int gate_or_output);

/*
 * Checks the stage's quality gates against the metrics of stage_run_id and
 * those of the last good run. Returns 0 when all pass, else -1 with the
 * first failure in reason.
 */
int runner_policy_gates(struct store *store, const char *pipeline,
			const struct cfg_stage *stage, int64_t run_id,
			int64_t stage_run_id, char *reason, size_t size);

/*
 * Computes the fingerprint of a stage run: SHA-256 over the command, the
 * working directory, the stage's variables other than its attempt number,
 * its timeout, limits and gates, and the content of every declared input,
 * whose total size goes to *input_bytes. Returns -1 with reason filled when
 * an input cannot be read.
 */
int runner_policy_fingerprint(const struct stagectx *ctx,
			      const struct cfg_stage *stage,
			      char hex[SHA256_HEX_SIZE], int64_t *input_bytes,
			      char *reason, size_t size);

#endif
