#include "stagectx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/i18n.h"
#include "core/paths.h"

extern char **environ;

/* Variables of the agent's own environment that no stage may inherit. */
static const char *const stagectx_dropped[] = {
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
	"LISTEN_PID", "LISTEN_FDNAMES",
};

/* Expands text into a new string. */
static char *
stagectx_expand(const struct stagectx *ctx, const char *stage,
		const char *what, const char *text, struct wk_err *err)
{
	struct buf out;
	struct wk_err inner;
	char *s;

	buf_init(&out, VARS_VALUE_MAX);
	if (vars_expand(&ctx->vars, text, &out, &inner) != WK_OK) {
		buf_free(&out);
		wk_err_set(err, WK_ERR_INVALID, _("stage %s: %s: %s"), stage,
		    what, inner.msg);
		return NULL;
	}
	s = buf_detach(&out);
	if (s == NULL)
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	return s;
}

static int
stagectx_set(struct stagectx *ctx, const char *name, const char *value,
	     struct wk_err *err)
{
	if (vars_set(&ctx->vars, name, value) != WK_OK)
		return wk_err_set(err, WK_ERR_LIMIT, _("cannot set variable %s "
		    "(too many variables or too long a value)"), name);
	return WK_OK;
}

static int
stagectx_set_builtins(struct stagectx *ctx, const struct cfg_pipeline *p,
		      const struct cfg_stage *stage,
		      const struct stagectx_run *run, struct wk_err *err)
{
	char number[32], attempt[16];
	int rc = WK_OK;

	snprintf(number, sizeof number, "%lld", (long long)run->run_id);
	snprintf(attempt, sizeof attempt, "%d", run->attempt);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_RUN_ID", number, err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_LOGICAL_DATE",
		    run->logical_date, err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_PIPELINE", p->name, err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_STAGE", stage->name, err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_ATTEMPT", attempt, err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_RUN_DIR", run->run_dir, err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_STAGE_DIR", ctx->stage_dir,
		    err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_STATE_DIR", run->state_dir,
		    err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_DATA_DIR", paths_data_dir(),
		    err);
	if (rc == WK_OK)
		rc = stagectx_set(ctx, "WATCHKEEP_BIN_DIR", paths_exe_dir(),
		    err);
	return rc;
}

/* Adds env entries in order; each may refer to the ones before it. */
static int
stagectx_set_env(struct stagectx *ctx, const char *stage,
		 const struct cfg_env *env, struct wk_err *err)
{
	size_t i;
	char *value;
	int rc;

	for (i = 0; i < env->count; i++) {
		value = stagectx_expand(ctx, stage, env->vars[i].name,
		    env->vars[i].value, err);
		if (value == NULL)
			return err != NULL ? err->rc : WK_ERR_INVALID;
		rc = stagectx_set(ctx, env->vars[i].name, value, err);
		free(value);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

static int
stagectx_is_dropped(const char *entry)
{
	size_t i, n;

	for (i = 0; i < sizeof stagectx_dropped / sizeof stagectx_dropped[0];
	    i++) {
		n = strlen(stagectx_dropped[i]);
		if (strncmp(entry, stagectx_dropped[i], n) == 0 &&
		    entry[n] == '=')
			return 1;
	}
	return 0;
}

/* Tells whether the variables table sets the name of entry NAME=value. */
static int
stagectx_is_overridden(const struct stagectx *ctx, const char *entry)
{
	size_t i, n;

	for (i = 0; i < ctx->vars.count; i++) {
		n = strlen(ctx->vars.entries[i].name);
		if (strncmp(entry, ctx->vars.entries[i].name, n) == 0 &&
		    entry[n] == '=')
			return 1;
	}
	return 0;
}

/* The agent's environment, less the dropped names, plus every variable. */
static int
stagectx_build_envp(struct stagectx *ctx, struct wk_err *err)
{
	size_t n = 0, i, k = 0;

	while (environ[n] != NULL)
		n++;
	ctx->envp = calloc(n + ctx->vars.count + 1, sizeof *ctx->envp);
	if (ctx->envp == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (i = 0; i < n; i++) {
		if (stagectx_is_dropped(environ[i]) ||
		    stagectx_is_overridden(ctx, environ[i]))
			continue;
		if ((ctx->envp[k++] = strdup(environ[i])) == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	for (i = 0; i < ctx->vars.count; i++) {
		const struct vars_entry *e = &ctx->vars.entries[i];
		size_t len = strlen(e->name) + strlen(e->value) + 2;

		if ((ctx->envp[k] = malloc(len)) == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		snprintf(ctx->envp[k++], len, "%s=%s", e->name, e->value);
	}
	return WK_OK;
}

/* Expands a NULL-terminated or counted list of strings. */
static char **
stagectx_expand_list(struct stagectx *ctx, const char *stage,
		     const char *what, char *const *list, size_t n,
		     struct wk_err *err)
{
	char **out = calloc(n + 1, sizeof *out);
	size_t i;

	if (out == NULL) {
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		return NULL;
	}
	for (i = 0; i < n; i++) {
		out[i] = stagectx_expand(ctx, stage, what, list[i], err);
		if (out[i] == NULL)
			goto fail;
	}
	return out;

fail:
	while (i-- > 0)
		free(out[i]);
	free(out);
	return NULL;
}

static size_t
stagectx_argc(char *const *argv)
{
	size_t n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

/* Makes relative paths of a list relative to the working directory. */
static int
stagectx_absolute(struct stagectx *ctx, char **paths, size_t n,
		  struct wk_err *err)
{
	size_t i, len;
	char *path;

	for (i = 0; i < n; i++) {
		if (paths[i][0] == '/')
			continue;
		len = strlen(ctx->working_dir) + strlen(paths[i]) + 2;
		path = malloc(len);
		if (path == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		snprintf(path, len, "%s/%s", ctx->working_dir, paths[i]);
		free(paths[i]);
		paths[i] = path;
	}
	return WK_OK;
}

/* Expands the command, the working directory and the outputs. */
static int
stagectx_expand_stage(struct stagectx *ctx, const struct cfg_stage *stage,
		      struct wk_err *err)
{
	const char *name = stage->name;

	if (stage->argv != NULL) {
		ctx->argv = stagectx_expand_list(ctx, name, "command",
		    stage->argv, stagectx_argc(stage->argv), err);
		if (ctx->argv == NULL)
			return WK_ERR_INVALID;
	} else {
		ctx->shell = stagectx_expand(ctx, name, "command",
		    stage->shell, err);
		if (ctx->shell == NULL)
			return WK_ERR_INVALID;
	}
	ctx->working_dir = stage->working_dir != NULL ?
	    stagectx_expand(ctx, name, "working_dir", stage->working_dir, err) :
	    strdup(ctx->stage_dir);
	if (ctx->working_dir == NULL)
		return WK_ERR_INVALID;
	ctx->outputs = stagectx_expand_list(ctx, name, "outputs",
	    stage->outputs, stage->n_outputs, err);
	if (ctx->outputs == NULL)
		return WK_ERR_INVALID;
	ctx->n_outputs = stage->n_outputs;
	ctx->inputs = stagectx_expand_list(ctx, name, "inputs", stage->inputs,
	    stage->n_inputs, err);
	if (ctx->inputs == NULL)
		return WK_ERR_INVALID;
	ctx->n_inputs = stage->n_inputs;
	if (stagectx_absolute(ctx, ctx->outputs, ctx->n_outputs, err) != WK_OK)
		return WK_ERR_NOMEM;
	return stagectx_absolute(ctx, ctx->inputs, ctx->n_inputs, err);
}

int
stagectx_build(struct stagectx *ctx, const struct cfg_pipeline *pipeline,
	       const struct cfg_stage *stage, const struct stagectx_run *run,
	       struct wk_err *err)
{
	int n, rc;

	memset(ctx, 0, sizeof *ctx);
	vars_init(&ctx->vars, STAGECTX_VARS_MAX);
	n = snprintf(ctx->stage_dir, sizeof ctx->stage_dir, "%s/%s",
	    run->run_dir, stage->name);
	if (n < 0 || (size_t)n >= sizeof ctx->stage_dir)
		return wk_err_set(err, WK_ERR_LIMIT, _("stage %s: the stage "
		    "directory path is too long; use a shorter state "
		    "directory"), stage->name);

	rc = stagectx_set_builtins(ctx, pipeline, stage, run, err);
	if (rc == WK_OK)
		rc = stagectx_set_env(ctx, stage->name, &pipeline->env, err);
	if (rc == WK_OK)
		rc = stagectx_set_env(ctx, stage->name, &stage->env, err);
	if (rc == WK_OK)
		rc = stagectx_expand_stage(ctx, stage, err);
	if (rc == WK_OK)
		rc = stagectx_build_envp(ctx, err);
	return rc;
}

static void
stagectx_free_list(char **list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

void
stagectx_free(struct stagectx *ctx)
{
	vars_free(&ctx->vars);
	stagectx_free_list(ctx->argv);
	stagectx_free_list(ctx->envp);
	stagectx_free_list(ctx->outputs);
	stagectx_free_list(ctx->inputs);
	free(ctx->shell);
	free(ctx->working_dir);
	memset(ctx, 0, sizeof *ctx);
}
