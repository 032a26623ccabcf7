#include "runner_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/runner.h"
#include "core/i18n.h"

#define RUNNER_POLICY_METRICS_MAX 256

int64_t
runner_backoff_ms(int64_t base_ms, int64_t max_ms, int attempt,
		  uint64_t random)
{
	int64_t delay = base_ms;
	int64_t half;
	int i;

	for (i = 1; i < attempt && delay < max_ms; i++)
		delay = delay > max_ms / 2 ? max_ms : delay * 2;
	if (delay > max_ms)
		delay = max_ms;
	half = delay / 2;
	return delay - half + (int64_t)(random % (uint64_t)(half + 1));
}

static int
runner_policy_listed(const int *codes, size_t n, int code)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (codes[i] == code)
			return 1;
	}
	return 0;
}

int
runner_policy_retryable(const struct cfg_stage *stage, int attempt,
			const struct sup_result *result, int gate_or_output)
{
	if (attempt > stage->retries || result == NULL || !result->spawned ||
	    result->cancelled || gate_or_output)
		return 0;
	/* A fatal exit code wins over a timeout or an out-of-memory end:
	   the program itself reported why it gave up. */
	if (result->signal == 0 && runner_policy_listed(
	    stage->fatal_exit_codes, stage->n_fatal_exit_codes,
	    result->exit_code))
		return 0;
	if (result->timed_out || result->heartbeat_missed ||
	    result->out_of_memory || result->signal != 0)
		return 1;
	if (stage->n_retry_exit_codes > 0)
		return runner_policy_listed(stage->retry_exit_codes,
		    stage->n_retry_exit_codes, result->exit_code);
	return 1;
}

static const struct store_metric *
runner_policy_find_metric(const struct store_metric *metrics, size_t n,
			  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(metrics[i].name, name) == 0)
			return &metrics[i];
	}
	return NULL;
}

/* Checks one gate against value and, where it compares, the last good. */
static int
runner_policy_gate(struct store *store, const char *pipeline,
		   const struct cfg_stage *stage, const struct cfg_gate *g,
		   int64_t run_id, double value, char *reason, size_t size)
{
	double last;

	if (!isnan(g->min) && value < g->min) {
		snprintf(reason, size, _("quality gate: %s is %.6g, below "
		    "the minimum %.6g"), g->metric, value, g->min);
		return -1;
	}
	if (!isnan(g->max) && value > g->max) {
		snprintf(reason, size, _("quality gate: %s is %.6g, above "
		    "the maximum %.6g"), g->metric, value, g->max);
		return -1;
	}
	if ((isnan(g->max_drop) && isnan(g->max_change)) ||
	    store_metric_last_good(store, pipeline, stage->name, g->metric,
	    run_id, &last) != WK_OK)
		return 0;
	if (!isnan(g->max_drop) && last - value > g->max_drop) {
		snprintf(reason, size, _("quality gate: %s is %.6g, %.6g "
		    "below the last good run's %.6g (at most %.6g allowed)"),
		    g->metric, value, last - value, last, g->max_drop);
		return -1;
	}
	if (!isnan(g->max_change) && last != 0 &&
	    fabs(value - last) / fabs(last) > g->max_change) {
		snprintf(reason, size, _("quality gate: %s is %.6g, %.1f%% "
		    "away from the last good run's %.6g (at most %.1f%% "
		    "allowed)"), g->metric, value,
		    100 * fabs(value - last) / fabs(last), last,
		    100 * g->max_change);
		return -1;
	}
	return 0;
}

int
runner_policy_gates(struct store *store, const char *pipeline,
		    const struct cfg_stage *stage, int64_t run_id,
		    int64_t stage_run_id, char *reason, size_t size)
{
	static struct store_metric metrics[RUNNER_POLICY_METRICS_MAX];
	const struct store_metric *m;
	size_t n = 0, i;

	if (stage->n_gates == 0)
		return 0;
	if (store_metrics_get(store, stage_run_id, metrics,
	    RUNNER_POLICY_METRICS_MAX, &n) != WK_OK)
		n = 0;
	for (i = 0; i < stage->n_gates; i++) {
		const struct cfg_gate *g = &stage->gates[i];

		m = runner_policy_find_metric(metrics, n, g->metric);
		if (m == NULL) {
			snprintf(reason, size, _("quality gate: the stage did "
			    "not report metric %s"), g->metric);
			return -1;
		}
		if (runner_policy_gate(store, pipeline, stage, g, run_id,
		    m->value, reason, size) < 0)
			return -1;
	}
	return 0;
}

/* Hashes a string with its length, so that fields cannot run together. */
static void
runner_policy_hash_text(struct sha256 *h, const char *text)
{
	uint64_t len = text != NULL ? strlen(text) : UINT64_MAX;

	sha256_update(h, &len, sizeof len);
	if (text != NULL)
		sha256_update(h, text, (size_t)len);
}

static int
runner_policy_hash_file(struct sha256 *h, const char *path, char *reason,
			size_t size, int64_t *bytes)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	runner_policy_hash_text(h, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(reason, size, _("cannot read declared input %s: %s"),
		    path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		sha256_update(h, chunk, (size_t)n);
		*bytes += n;
	}
	close(fd);
	if (n < 0) {
		snprintf(reason, size, _("cannot read declared input %s: %s"),
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
runner_policy_hash_settings(struct sha256 *h, const struct cfg_stage *stage)
{
	char text[256];
	size_t i;

	snprintf(text, sizeof text, "timeout=%lld nice=%d memory=%lld",
	    (long long)stage->timeout_ms, stage->nice,
	    (long long)stage->memory_limit);
	runner_policy_hash_text(h, text);
	for (i = 0; i < stage->n_gates; i++) {
		const struct cfg_gate *g = &stage->gates[i];

		snprintf(text, sizeof text, "gate=%s %.17g %.17g %.17g %.17g",
		    g->metric, g->min, g->max, g->max_drop, g->max_change);
		runner_policy_hash_text(h, text);
	}
}

/*
 * Tells whether a variable names the run or the attempt rather than the
 * work, so that the fingerprint leaves it out. A new variable that changes
 * from run to run and is missing here only stops stages from being skipped
 * across runs. It never makes a changed stage look unchanged.
 */
static int
runner_policy_per_run(const char *name)
{
	static const char *const names[] = {
		"WATCHKEEP_RUN_ID", "WATCHKEEP_RUN_DIR", "WATCHKEEP_STAGE_DIR",
		"WATCHKEEP_ATTEMPT",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Hashes the expanded command, working directory and variables. A value
 * that refers to a per-run variable, such as a command naming
 * ${WATCHKEEP_RUN_DIR}, still differs from run to run.
 */
static void
runner_policy_hash_context(struct sha256 *h, const struct stagectx *ctx)
{
	size_t i;

	for (i = 0; ctx->argv != NULL && ctx->argv[i] != NULL; i++)
		runner_policy_hash_text(h, ctx->argv[i]);
	runner_policy_hash_text(h, ctx->shell);
	runner_policy_hash_text(h, ctx->working_dir);
	for (i = 0; i < ctx->vars.count; i++) {
		if (runner_policy_per_run(ctx->vars.entries[i].name))
			continue;
		runner_policy_hash_text(h, ctx->vars.entries[i].name);
		runner_policy_hash_text(h, ctx->vars.entries[i].value);
	}
}

int
runner_policy_fingerprint(const struct stagectx *ctx,
			  const struct cfg_stage *stage,
			  char hex[SHA256_HEX_SIZE], int64_t *input_bytes,
			  char *reason, size_t size)
{
	unsigned char digest[SHA256_DIGEST_SIZE];
	struct sha256 h;
	size_t i;

	sha256_init(&h);
	runner_policy_hash_context(&h, ctx);
	runner_policy_hash_settings(&h, stage);
	*input_bytes = 0;
	for (i = 0; i < ctx->n_inputs; i++) {
		if (runner_policy_hash_file(&h, ctx->inputs[i], reason,
		    size, input_bytes) < 0)
			return -1;
	}
	sha256_final(&h, digest);
	sha256_hex(digest, hex);
	return 0;
}

/* Tells whether every declared output exists. Returns 0 without outputs. */
static int
runner_policy_outputs_exist(const struct stagectx *ctx)
{
	struct stat st;
	size_t i;

	for (i = 0; i < ctx->n_outputs; i++) {
		if (stat(ctx->outputs[i], &st) != 0)
			return 0;
	}
	return ctx->n_outputs > 0;
}

int
runner_policy_find_skip(struct store *store, const char *pipeline,
			const struct cfg_stage *stage,
			const struct stagectx *ctx, const char *fingerprint,
			struct runner_skip *skip)
{
	if (stage->n_inputs == 0 || !runner_policy_outputs_exist(ctx))
		return 0;
	return store_stage_find_unchanged(store, pipeline, stage->name,
	    fingerprint, &skip->stage_run_id, &skip->run_id,
	    &skip->attempt) == WK_OK;
}

/*
 * Follows kept, blocked stages up from index i to one whose own
 * dependencies do not block it: the stage to re-run from. With several
 * such stages it returns the one reached through the first dependencies.
 */
static size_t
runner_policy_blocked_root(const struct cfg_pipeline *p, size_t i,
			   const int *blocked, const int *kept)
{
	const struct cfg_stage *st;
	size_t d, up;

	for (;;) {
		st = &p->stages[i];
		for (d = 0; d < st->n_depends_on; d++) {
			up = st->dep_index[d];
			if (blocked[up] && kept[up])
				break;
		}
		if (d == st->n_depends_on)
			return i;
		i = st->dep_index[d];
	}
}

long
runner_policy_blocked(const struct cfg_pipeline *p,
		      const struct cfg_stage *stage, const int *blocked,
		      const int *kept, char *reason, size_t size)
{
	size_t d, i, root;

	for (d = 0; d < stage->n_depends_on; d++) {
		i = stage->dep_index[d];
		if (!blocked[i])
			continue;
		root = kept[i] ? runner_policy_blocked_root(p, i, blocked,
		    kept) : i;
		if (kept[i])
			snprintf(reason, size, _("dependency %s did not succeed "
			    "and is not part of this re-run; re-run with --from "
			    "%s/%s"), p->stages[i].name, p->name,
			    p->stages[root].name);
		else
			snprintf(reason, size, _("dependency %s did not "
			    "succeed"), p->stages[i].name);
		return (long)i;
	}
	return -1;
}

int
runner_policy_predict(struct store *store, const struct cfg_pipeline *p,
		      const struct cfg_stage *stage,
		      const struct stagectx_run *run, struct runner_skip *skip,
		      char *reason, size_t size)
{
	char fingerprint[SHA256_HEX_SIZE];
	struct wk_err err = { 0, "" };
	struct stagectx ctx;
	int64_t input_bytes = 0;
	int rc;

	if (stage->n_inputs == 0)
		return 0;

	if (stagectx_build(&ctx, p, stage, run, &err) != WK_OK) {
		snprintf(reason, size, "%s", err.msg);
		rc = -1;
	} else if (runner_policy_fingerprint(&ctx, stage, fingerprint,
	    &input_bytes, reason, size) < 0) {
		rc = -1;
	} else {
		rc = runner_policy_find_skip(store, p->name, stage, &ctx,
		    fingerprint, skip);
	}
	stagectx_free(&ctx);
	return rc;
}
