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
 * cancelled, a quality gate or an output check failed (gate_or_output),
 * the main process exited with a fatal exit code (also after a timeout or
 * out of memory), or it exited with a code not among the retryable ones.
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
 * Computes the fingerprint of a stage run: SHA-256 over the command and
 * working directory after ${NAME} expansion, the stage's variables (the
 * logical date, the pipeline's and the stage's env, and the other
 * WATCHKEEP_* variables) less WATCHKEEP_RUN_ID, WATCHKEEP_RUN_DIR,
 * WATCHKEEP_STAGE_DIR and WATCHKEEP_ATTEMPT, its timeout, nice value,
 * memory limit and gates, and the content of every declared input, whose
 * total size goes to *input_bytes. Returns -1 with reason filled when an
 * input cannot be read.
 */
int runner_policy_fingerprint(const struct stagectx *ctx,
			      const struct cfg_stage *stage,
			      char hex[SHA256_HEX_SIZE], int64_t *input_bytes,
			      char *reason, size_t size);

/* The earlier attempt whose outputs a skipped stage reuses. */
struct runner_skip {
	int64_t stage_run_id;      /* stage_runs.id of that attempt */
	int64_t run_id;            /* the run it belongs to */
	int attempt;               /* its attempt number */
};

/*
 * Tells whether an attempt with context ctx and the given fingerprint may
 * be skipped: the stage declares inputs, every declared output exists and
 * the store contains an earlier success with that fingerprint that no later
 * attempt of the stage overwrote (store_stage_find_unchanged). Returns 1
 * with skip filled, else 0. --force is the caller's to check.
 */
int runner_policy_find_skip(struct store *store, const char *pipeline,
			    const struct cfg_stage *stage,
			    const struct stagectx *ctx, const char *fingerprint,
			    struct runner_skip *skip);

/*
 * Predicts, without changing anything, whether an attempt of stage in run
 * would be skipped, by the same rule as runner_policy_find_skip. Returns 1
 * with skip filled, 0 when the stage would run, or -1 with reason filled
 * when the attempt would fail before it starts (such as an unreadable
 * input).
 */
int runner_policy_predict(struct store *store, const struct cfg_pipeline *p,
			  const struct cfg_stage *stage,
			  const struct stagectx_run *run,
			  struct runner_skip *skip, char *reason, size_t size);

/*
 * Finds the first dependency of stage that keeps it from running: one
 * whose blocked[] entry (indexed like p's stages) is set because it
 * failed, did not run or, in a dry run, would not succeed. kept[] marks
 * the stages that a re-run leaves as an earlier pass ended them. For such
 * a dependency the reason names the --from option that re-runs it from
 * the first kept stage that blocked it.
 * Returns the dependency's index with reason filled, or -1 when no
 * dependency blocks the stage.
 */
long runner_policy_blocked(const struct cfg_pipeline *p,
			   const struct cfg_stage *stage, const int *blocked,
			   const int *kept, char *reason, size_t size);

#endif
