/*
 * Subcommands that act on runs: run-now, rerun, cancel, backfill. Each goes
 * through the control socket when an agent runs on the state directory,
 * and otherwise does the work in a one-shot agent of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/backfill.h"
#include "agent/cli.h"
#include "agent/clientctl.h"
#include "agent/runner_policy.h"
#include "agent/statedir.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/namehint.h"
#include "core/store_queue.h"

/* Options of the subcommands of this file; unused ones stay NULL or 0. */
struct ctl_opts {
	struct cli_common common;
	const char *pipeline;      /* PIPELINE, or from --from P/S */
	const char *stage;         /* from --from P/S */
	const char *date;          /* --date */
	const char *from_date;     /* backfill --from */
	const char *to_date;       /* backfill --to */
	const char *queued;        /* cancel --queued PIPELINE */
	int64_t run_id;            /* --run or RUN, 0: latest */
	int only_failed;           /* --only-failed */
	int dry_run;               /* --dry-run */
	int force;                 /* --force */
	char from_buf[2 * CFG_NAME_MAX]; /* copy of --from, split at '/' */
};

/*
 * Parses "PIPELINE/STAGE" or "STAGE" into the options. An empty part, or a
 * value longer than a pipeline and a stage name, is a usage error.
 */
static int
ctl_split_from(const char *command, struct ctl_opts *o, const char *text)
{
	char *slash;

	if ((size_t)snprintf(o->from_buf, sizeof o->from_buf, "%s", text) >=
	    sizeof o->from_buf)
		return cli_usage_error(command, _("invalid --from \"%.40s...\": "
		    "longer than a pipeline and a stage name"), text);

	slash = strchr(o->from_buf, '/');
	if (slash == NULL) {
		o->stage = o->from_buf;
		return CLI_EXIT_OK;
	}
	*slash = '\0';
	o->pipeline = o->from_buf;
	o->stage = slash + 1;
	if (o->pipeline[0] == '\0' || o->stage[0] == '\0')
		return cli_usage_error(command, _("invalid --from \"%s\": the "
		    "pipeline or the stage is empty; write PIPELINE/STAGE, "
		    "such as churn/train, or STAGE alone"), text);
	return CLI_EXIT_OK;
}

static int
ctl_parse_run_id(const char *command, const char *text, int64_t *run_id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno == ERANGE)
		return cli_usage_error(command, _("invalid run id \"%s\": out "
		    "of range; give a run id as `watchkeep runs` lists it"),
		    text);
	if (end == text || *end != '\0' || v <= 0)
		return cli_usage_error(command, _("invalid run id \"%s\"; give "
		    "a positive number"), text);
	*run_id = v;
	return CLI_EXIT_OK;
}

/* The options of the act-on-runs subcommands that take a value. */
static const char *const ctl_value_options[] = {
	"--run", "--date", "--from", "--to", "--queued", NULL
};

/*
 * Checks the value of option name. separate is 1 when the value was the
 * next argument, where a leading '-' means the value is missing.
 */
static int
ctl_check_value(const char *command, const char *name, const char *value,
		int separate)
{
	/* cli_option_value already printed a missing last value and an
	   empty "--from="; an empty next argument is reported here. */
	if (value[0] == '\0')
		return separate ? cli_usage_error(command, _("%s needs a value"),
		    name) : CLI_EXIT_USAGE;
	if (separate && value[0] == '-')
		return cli_usage_error(command, _("%s needs a value, but the "
		    "option %s follows it; write %s VALUE"), name, value, name);
	return CLI_EXIT_OK;
}

/* Stores the value of option name (one of ctl_value_options). */
static int
ctl_set_value(const char *command, struct ctl_opts *o, const char *name,
	      const char *value)
{
	if (strcmp(name, "--run") == 0)
		return ctl_parse_run_id(command, value, &o->run_id);
	if (strcmp(name, "--date") == 0)
		o->date = value;
	else if (strcmp(name, "--from") == 0 && strcmp(command, "rerun") == 0)
		return ctl_split_from(command, o, value);
	else if (strcmp(name, "--from") == 0)
		o->from_date = value;
	else if (strcmp(name, "--queued") == 0 && strcmp(command, "cancel") != 0)
		return cli_usage_error(command, _("unknown option %s"), name);
	else if (strcmp(name, "--queued") == 0)
		o->queued = value;
	else
		o->to_date = value;
	return CLI_EXIT_OK;
}

/* Reads one option of the act-on-runs subcommands; -1 when not one. */
static int
ctl_option(const char *command, struct ctl_opts *o, int argc, char **argv,
	   int *i)
{
	const char *arg = argv[*i], *value;
	size_t k;
	int code;

	if (strcmp(arg, "--only-failed") == 0)
		o->only_failed = 1;
	else if (strcmp(arg, "--dry-run") == 0)
		o->dry_run = 1;
	else if (strcmp(arg, "--force") == 0)
		o->force = 1;
	else {
		for (k = 0; ctl_value_options[k] != NULL; k++) {
			value = cli_option_value(ctl_value_options[k], argc,
			    argv, i);
			if (value == NULL)
				continue;
			code = ctl_check_value(command, ctl_value_options[k],
			    value, value == argv[*i]);
			if (code != CLI_EXIT_OK)
				return code;
			return ctl_set_value(command, o, ctl_value_options[k],
			    value);
		}
		return -1;
	}
	return CLI_EXIT_OK;
}

static int
ctl_parse(const char *command, int argc, char **argv, struct ctl_opts *o,
	  void (*help)(void))
{
	int i, r;

	for (i = 1; i < argc; i++) {
		r = cli_common_option(&o->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help();
			return -1;
		}
		r = ctl_option(command, o, argc, argv, &i);
		if (r > 0)
			return r;
		if (r == CLI_EXIT_OK)
			continue;
		if (argv[i][0] == '-')
			return cli_usage_error(command, _("unknown option %s"),
			    argv[i]);
		r = CLI_EXIT_OK;
		if (strcmp(command, "cancel") == 0 && o->run_id == 0)
			r = ctl_parse_run_id(command, argv[i], &o->run_id);
		else if (o->pipeline == NULL && strcmp(command, "cancel") != 0)
			o->pipeline = argv[i];
		else
			r = cli_usage_error(command, _("unexpected argument %s"),
			    argv[i]);
		if (r != CLI_EXIT_OK)
			return r;
	}
	return CLI_EXIT_OK;
}

/* Sends a request to the agent; *handled is 0 when no agent runs. */
static int
ctl_send(const struct ctl_opts *o, json_t *request, int *handled,
	 json_t **answer_out)
{
	struct wk_err err = { 0, "" };
	json_t *answer = NULL;
	int rc;

	rc = clientctl_request(&o->common, request, &answer, &err);
	json_decref(request);
	*handled = rc != WK_ERR_NOTFOUND;
	if (rc == WK_ERR_NOTFOUND)
		return CLI_EXIT_OK;
	if (rc != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	if (!json_is_true(json_object_get(answer, "ok"))) {
		fprintf(stderr, "watchkeep: %s\n", json_string_value(
		    json_object_get(answer, "error")));
		rc = clientctl_error_status(answer);
		json_decref(answer);
		return rc;
	}
	if (answer_out != NULL)
		*answer_out = answer;
	else
		json_decref(answer);
	return CLI_EXIT_OK;
}

static struct agent_opts
ctl_agent_opts(const struct ctl_opts *o)
{
	struct agent_opts a = { o->common.config_path, o->common.state_dir,
	    o->common.log_level_set };

	return a;
}

/*
 * Runs the request in a one-shot agent when no agent accepts it on the
 * control socket. A `watchkeep probe --loop`, or an agent that is starting
 * or stopping, may still hold the lock; the message then names that cause.
 */
static int
ctl_run_local(const struct agent_opts *a,
	      int (*queue)(struct agent *agent, void *arg, struct wk_err *err),
	      struct ctl_opts *o)
{
	int code = agent_run_local(a, queue, o, o->common.json);

	if (code == CLI_EXIT_BUSY)
		fprintf(stderr, "%s\n", _("watchkeep: another watchkeep process "
		    "holds the lock of the state directory but does not take "
		    "commands (a `watchkeep probe --loop`, or an agent that is "
		    "starting or stopping); try again when it has ended"));
	return code;
}

/*
 * Checks, before a one-shot agent starts, that the command line names the
 * pipeline when the configuration has several. Returns CLI_EXIT_USAGE with
 * the list when it does not, CLI_EXIT_CONFIG for an invalid configuration
 * (reported), else CLI_EXIT_OK.
 */
static int
ctl_check_named(const char *command, const struct ctl_opts *o)
{
	char hint[NAMEHINT_MSG_MAX];
	struct cfg *cfg;
	int code = CLI_EXIT_OK;

	if (o->pipeline != NULL)
		return CLI_EXIT_OK;
	cfg = cli_load_config(&o->common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	if (cfg->n_pipelines > 1) {
		namehint_pipelines(hint, sizeof hint, cfg, NULL);
		code = cli_usage_error(command, _("name the pipeline: the "
		    "configuration has several; %s"), hint);
	}
	cfg_free(cfg);
	return code;
}

/* The pipeline named, or the only one of the configuration. */
static const char *
ctl_pipeline(const struct ctl_opts *o, const struct cfg *cfg)
{
	if (o->pipeline != NULL)
		return o->pipeline;
	return cfg->n_pipelines == 1 ? cfg->pipelines[0].name : NULL;
}

static void
run_now_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep run-now [PIPELINE] [--date YYYY-MM-DD] [OPTIONS]\n"
	    "\n"
	    "Starts a run of the pipeline now (the only one when the\n"
	    "configuration has one), by its overlap policy, and waits for it.\n"
	    "Asks the agent when one runs; otherwise runs it here.\n"
	    "\n"
	    "Options: -c FILE, --state-dir DIR, --json, --date (default: today\n"
	    "in the pipeline's time_zone)\n"));
}

/*
 * Parses a date option (--date, --from, --to) of command: a real calendar
 * date from 1970-01-01 on, as days since 1970-01-01.
 */
static int
ctl_parse_date(const char *command, const char *option, const char *text,
	       int64_t *days)
{
	if (clk_parse_date(text, days) != WK_OK)
		return cli_usage_error(command, _("invalid date \"%s\" for "
		    "%s; give a calendar date YYYY-MM-DD, such as 2026-02-28"),
		    text, option);
	if (*days < 0)
		return cli_usage_error(command, _("date \"%s\" for %s is "
		    "before 1970-01-01; give a later date"), text, option);
	return CLI_EXIT_OK;
}

static int
run_now_queue(struct agent *agent, void *arg, struct wk_err *err)
{
	const struct ctl_opts *o = arg;
	const char *p = ctl_pipeline(o, agent->acfg->cfg);
	int64_t run_id;

	if (p == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("name the pipeline: "
		    "the configuration has several"));
	return agent_request_run(agent, p, o->date, "manual", 0, &run_id,
	    err);
}

int
cmd_run_now(int argc, char **argv)
{
	struct ctl_opts o;
	struct agent_opts a;
	const char *names[1];
	int code, handled = 0;
	json_t *probe, *answer = NULL;
	int64_t days;

	memset(&o, 0, sizeof o);
	code = ctl_parse("run-now", argc, argv, &o, run_now_help);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.date != NULL && (code = ctl_parse_date("run-now", "--date",
	    o.date, &days)) != CLI_EXIT_OK)
		return code;
	probe = json_pack("{s:s}", "command", "status");
	code = ctl_send(&o, probe, &handled, &answer);
	json_decref(answer);
	if (handled) {
		if (code != CLI_EXIT_OK)
			return code;
		/* Without a name the agent picks its only pipeline. */
		names[0] = o.pipeline;
		return clientctl_run_now_and_wait(&o.common, names, 1, o.date);
	}
	code = ctl_check_named("run-now", &o);
	if (code != CLI_EXIT_OK)
		return code;
	a = ctl_agent_opts(&o);
	return ctl_run_local(&a, run_now_queue, &o);
}

static void
rerun_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep rerun --from [PIPELINE/]STAGE [--run ID]\n"
	    "                       [--only-failed] [--dry-run] [--force]\n"
	    "\n"
	    "Runs STAGE and every stage that depends on it again, as new\n"
	    "attempts of the same run (default: the pipeline's latest run), so\n"
	    "that they reuse the outputs of the stages before them. A stage that\n"
	    "declares inputs and whose inputs, command and settings are\n"
	    "unchanged since a success whose outputs exist is skipped.\n"
	    "\n"
	    "Options:\n"
	    "  --run ID        the run to re-run (default: the latest)\n"
	    "  --only-failed   only the selected stages that did not succeed\n"
	    "  --dry-run       print what would run and change nothing\n"
	    "  --force         run even stages that would be skipped\n"
	    "  -c FILE, --state-dir DIR, --json\n"));
}

/* Picks the latest run of the pipeline when --run was not given. */
static int
rerun_resolve(struct ctl_opts *o, const struct cfg *cfg, struct store *store)
{
	char hint[NAMEHINT_MSG_MAX];
	struct store_run run;
	size_t n = 0;
	int code;

	o->pipeline = ctl_pipeline(o, cfg);
	if (o->pipeline == NULL) {
		namehint_pipelines(hint, sizeof hint, cfg, NULL);
		return cli_usage_error("rerun", _("write --from PIPELINE/STAGE: "
		    "the configuration has several pipelines; %s"), hint);
	}
	if (o->run_id != 0)
		return CLI_EXIT_OK;
	if (store_runs_recent(store, o->pipeline, &run, 1, &n) != WK_OK ||
	    n == 0) {
		/* A name neither configured nor in the store is a typo. */
		code = cli_check_pipeline("rerun", store, cfg, o->pipeline);
		if (code == CLI_EXIT_OK)
			fprintf(stderr, _("watchkeep: pipeline %s has no runs "
			    "yet\n"), o->pipeline);
		return code == CLI_EXIT_OK ? CLI_EXIT_FAILED : code;
	}
	o->run_id = run.id;
	return CLI_EXIT_OK;
}

/* The effect of a stage of a dry re-run on the stages that depend on it. */
enum rerun_effect {
	RERUN_SAME,     /* kept or skipped: its outputs stay as they are */
	RERUN_CHANGES,  /* runs or may run: its outputs may change */
	RERUN_STOPS     /* fails or does not run: its dependents do not run */
};

/* The strongest effect among the dependencies of stage index i. */
static enum rerun_effect
rerun_dry_upstream(const struct cfg_pipeline *p, size_t i,
		   const enum rerun_effect *effect)
{
	const struct cfg_stage *st = &p->stages[i];
	enum rerun_effect strongest = RERUN_SAME;
	size_t d;

	for (d = 0; d < st->n_depends_on; d++) {
		if (effect[st->dep_index[d]] > strongest)
			strongest = effect[st->dep_index[d]];
	}
	return strongest;
}

/* The latest attempt of stage among rows, or NULL when it has none. */
static const struct store_stage_run *
rerun_dry_row(const struct store_stage_run *rows, size_t n, const char *stage)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].stage, stage) == 0)
			return &rows[i];
	}
	return NULL;
}

/* The attempt number the re-run gives stage, as runner_resume does. */
static int
rerun_dry_attempt(const struct store_stage_run *rows, size_t n,
		  const char *stage)
{
	const struct store_stage_run *row = rerun_dry_row(rows, n, stage);

	if (row == NULL)
		return 1;
	if (row->started_at == 0 &&
	    strcmp(row->state, STORE_STAGE_PENDING) == 0)
		return row->attempt;
	return row->attempt + 1;
}

/*
 * Prints what the re-run would do with selected stage index i, by the
 * rule the runner applies (runner_policy_predict), and returns its effect.
 * A stage that would be skipped now may still run when a stage before it
 * runs and changes its inputs, and the printed line names that condition.
 */
static enum rerun_effect
rerun_dry_stage(const struct ctl_opts *o, struct store *store,
		const struct cfg_pipeline *p, size_t i,
		const struct stagectx_run *run, enum rerun_effect upstream)
{
	const char *name = p->stages[i].name;
	char reason[STORE_TEXT_MAX] = "";
	struct runner_skip skip;
	int rc = 0;

	if (!o->force)
		rc = runner_policy_predict(store, p, &p->stages[i], run, &skip,
		    reason, sizeof reason);

	if (rc < 0 && upstream == RERUN_SAME) {
		printf("  %-20s ", name);
		printf(_("would fail: %s\n"), reason);
		return RERUN_STOPS;
	}
	if (rc <= 0) {
		printf("  %-20s %s\n", name, _("would run"));
		return RERUN_CHANGES;
	}
	printf("  %-20s ", name);
	if (upstream == RERUN_CHANGES) {
		printf(_("would be skipped (unchanged since run %lld attempt "
		    "%d) unless the stages before it change its inputs\n"),
		    (long long)skip.run_id, skip.attempt);
		return RERUN_CHANGES;
	}
	printf(_("would be skipped (unchanged since run %lld attempt %d)\n"),
	    (long long)skip.run_id, skip.attempt);
	return RERUN_SAME;
}

/*
 * Prints the prediction of every stage of p, in dependency order. A stage
 * that a failed or not-run dependency blocks is found by the rule the
 * runner applies (runner_policy_blocked), so that the dry run and the
 * re-run name the same reason.
 */
static int
rerun_dry_print(const struct ctl_opts *o, struct store *store,
		const struct cfg_pipeline *p, const int *selected,
		struct stagectx_run *run)
{
	int blocked[CFG_MAX_STAGES], kept[CFG_MAX_STAGES];
	enum rerun_effect effect[CFG_MAX_STAGES];
	struct store_stage_run *rows = calloc(CFG_MAX_STAGES, sizeof *rows);
	char why[STORE_TEXT_MAX];
	size_t n = 0, k, i;

	/* All the run's stages, as runner_resume reads them, because the
	   store may contain stages that the configuration no longer has. */
	if (rows == NULL || store_stage_runs_latest(store, o->run_id, rows,
	    CFG_MAX_STAGES, &n) != WK_OK) {
		free(rows);
		fprintf(stderr, _("watchkeep: cannot read the stages of run "
		    "%lld from the store\n"), (long long)o->run_id);
		return CLI_EXIT_STATE;
	}

	for (k = 0; k < p->n_stages; k++) {
		i = p->order[k];
		kept[i] = !selected[i];
		if (kept[i]) {
			blocked[i] = runner_kept_blocks(rerun_dry_row(rows, n,
			    p->stages[i].name));
			effect[i] = blocked[i] ? RERUN_STOPS : RERUN_SAME;
			printf("  %-20s %s\n", p->stages[i].name, _("kept"));
			continue;
		}
		if (runner_policy_blocked(p, &p->stages[i], blocked, kept, why,
		    sizeof why) >= 0) {
			printf("  %-20s ", p->stages[i].name);
			printf(_("would not run: %s\n"), why);
			effect[i] = RERUN_STOPS;
		} else {
			run->attempt = rerun_dry_attempt(rows, n,
			    p->stages[i].name);
			effect[i] = rerun_dry_stage(o, store, p, i, run,
			    rerun_dry_upstream(p, i, effect));
		}
		blocked[i] = effect[i] == RERUN_STOPS;
	}
	free(rows);
	return CLI_EXIT_OK;
}

static int
rerun_dry(const struct ctl_opts *o, const struct cfg *cfg,
	  struct store *store, const char *state_dir)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(cfg, o->pipeline);
	struct runner_rerun rr = { o->run_id, o->stage, o->only_failed,
		o->force, 0 };
	struct wk_err err = { 0, "" };
	int selected[CFG_MAX_STAGES];
	char run_dir[PATH_MAX];
	struct stagectx_run run;
	struct store_run row;
	int n;

	if (p == NULL || runner_plan_rerun(store, p, &rr, selected, &err) !=
	    WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", p == NULL ? _("no such "
		    "pipeline") : err.msg);
		return CLI_EXIT_FAILED;
	}
	if (store_run_get(store, o->run_id, &row) != WK_OK) {
		fprintf(stderr, _("watchkeep: cannot read run %lld from the "
		    "store\n"), (long long)o->run_id);
		return CLI_EXIT_STATE;
	}

	/* The values runner_resume gives the stages of the re-run. */
	n = snprintf(run_dir, sizeof run_dir, "%s/runs/%lld", state_dir,
	    (long long)o->run_id);
	if (n < 0 || (size_t)n >= sizeof run_dir) {
		fprintf(stderr, _("watchkeep: the run directory path under "
		    "%s is too long; use a shorter state directory\n"),
		    state_dir);
		return CLI_EXIT_STATE;
	}
	run = (struct stagectx_run){ o->run_id, row.logical_date, state_dir,
		run_dir, 1 };
	printf(_("Run %lld of %s, re-run from %s (dry run, nothing changed):\n"),
	    (long long)o->run_id, p->name, o->stage);
	return rerun_dry_print(o, store, p, selected, &run);
}

/*
 * Prints that there is nothing to re-run when --only-failed leaves no
 * stage selected, and returns 1 then. A plan that fails is left to
 * rerun_dry or the agent to report.
 */
static int
rerun_nothing(const struct ctl_opts *o, const struct cfg *cfg,
	      struct store *store)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(cfg, o->pipeline);
	struct runner_rerun rr = { o->run_id, o->stage, o->only_failed,
		o->force, 0 };
	struct wk_err err = { 0, "" };
	int selected[CFG_MAX_STAGES];
	char text[256];

	if (p == NULL || runner_plan_rerun(store, p, &rr, selected, &err) !=
	    WK_OK || runner_plan_count(p, selected) > 0)
		return 0;
	snprintf(text, sizeof text, _("nothing to re-run: every selected "
	    "stage of run %lld succeeded"), (long long)o->run_id);
	printf("%s\n", text);
	return 1;
}

static int
rerun_queue(struct agent *agent, void *arg, struct wk_err *err)
{
	const struct ctl_opts *o = arg;
	struct runner_rerun rr = { o->run_id, o->stage, o->only_failed,
		o->force, 0 };

	return agent_rerun(agent, o->pipeline, &rr, err);
}

/*
 * Opens what rerun needs to resolve its run: configuration and store.
 * Returns -1 when the run has nothing to re-run, which is no error.
 */
static int
rerun_prepare(struct ctl_opts *o, struct cfg **cfg, struct store **store)
{
	struct wk_err err = { 0, "" };
	struct statedir sd;
	int code;

	*cfg = cli_load_config(&o->common);
	if (*cfg == NULL)
		return CLI_EXIT_CONFIG;
	if (statedir_resolve(&sd, o->common.state_dir, *cfg, &err) != WK_OK ||
	    store_open(sd.store_path, STORE_READ_ONLY, store, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	code = rerun_resolve(o, *cfg, *store);
	if (code == CLI_EXIT_OK && rerun_nothing(o, *cfg, *store))
		return -1;
	if (code == CLI_EXIT_OK && o->dry_run)
		code = rerun_dry(o, *cfg, *store, sd.path);
	return code;
}

int
cmd_rerun(int argc, char **argv)
{
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	struct agent_opts a;
	struct ctl_opts o;
	json_t *request;
	int code, handled = 0;

	memset(&o, 0, sizeof o);
	code = ctl_parse("rerun", argc, argv, &o, rerun_help);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.stage == NULL)
		return cli_usage_error("rerun", _("--from [PIPELINE/]STAGE is "
		    "required"));
	code = rerun_prepare(&o, &cfg, &store);
	store_close(store);
	if (code < 0) {
		/* rerun_prepare printed that there is nothing to re-run. */
		code = CLI_EXIT_OK;
		goto out;
	}
	if (code != CLI_EXIT_OK || o.dry_run)
		goto out;


	request = json_pack("{s:s, s:s, s:s, s:I, s:b, s:b}", "command",
	    "rerun", "pipeline", o.pipeline, "from", o.stage, "run",
	    (json_int_t)o.run_id, "only_failed", o.only_failed, "force",
	    o.force);
	code = ctl_send(&o, request, &handled, NULL);
	if (handled) {
		if (code == CLI_EXIT_OK)
			code = clientctl_wait_runs(&o.common, &o.run_id, 1);
		goto out;
	}
	a = ctl_agent_opts(&o);
	code = ctl_run_local(&a, rerun_queue, &o);

out:
	cfg_free(cfg);
	return code;
}

static void
cancel_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep cancel [RUN]\n"
	    "       watchkeep cancel --queued PIPELINE\n"
	    "\n"
	    "Cancels a run in progress (default: the only one): its running\n"
	    "stages get SIGTERM, then SIGKILL after their grace period, and the\n"
	    "stages not started are marked not run. Needs a running agent.\n"
	    "Cancelling a run that is already being cancelled sends SIGKILL\n"
	    "to its running stages at once.\n"
	    "The next queued run of the pipeline then starts; to stop those\n"
	    "as well, drop them first with --queued.\n"
	    "\n"
	    "  --queued PIPELINE   drop every queued run of PIPELINE (from the\n"
	    "                      store when no agent runs) and print how many\n"));
}

/* Lists the runs in progress, from the agent's status, to pick one. */
static void
cancel_list_running(json_t *running)
{
	size_t i, n = json_array_size(running);
	json_t *run;

	fprintf(stderr, P_("watchkeep: %zu run is in progress; name the one "
	    "to cancel:\n", "watchkeep: %zu runs are in progress; name the "
	    "one to cancel:\n", n), n);
	for (i = 0; i < n; i++) {
		run = json_array_get(running, i);
		fprintf(stderr, _("  run %lld  pipeline %s\n"),
		    (long long)json_integer_value(json_object_get(run, "run")),
		    json_string_value(json_object_get(run, "pipeline")));
	}
	fprintf(stderr, "%s\n", _("for example: watchkeep cancel RUN"));
}

/* Finds the only run in progress, through the agent's status. */
static int
cancel_pick(struct ctl_opts *o)
{
	json_t *answer = NULL, *running;
	int code, handled = 0;

	code = ctl_send(o, json_pack("{s:s}", "command", "status"), &handled,
	    &answer);
	if (!handled) {
		fprintf(stderr, _("watchkeep: no agent runs on this state "
		    "directory, so no run is in progress\n"));
		return CLI_EXIT_FAILED;
	}
	if (code != CLI_EXIT_OK)
		return code;
	running = json_object_get(answer, "running");
	if (json_array_size(running) == 0) {
		fprintf(stderr, _("watchkeep: no run is in progress, so there "
		    "is nothing to cancel\n"));
		json_decref(answer);
		return CLI_EXIT_FAILED;
	}
	if (json_array_size(running) > 1) {
		cancel_list_running(running);
		json_decref(answer);
		return CLI_EXIT_FAILED;
	}
	o->run_id = json_integer_value(json_object_get(json_array_get(running,
	    0), "run"));
	json_decref(answer);
	return CLI_EXIT_OK;
}

/*
 * Drops the queued runs of a pipeline from the store when no agent runs,
 * under the agent's lock, and audits it as the agent would.
 */
static int
cancel_queued_store(const struct ctl_opts *o, const struct statedir *sd,
		    size_t *dropped)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	json_t *request;
	char *args;
	int rc;

	if (store_open(sd->store_path, STORE_READ_WRITE, &store, &err) !=
	    WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	store_group_begin(store);
	rc = store_queue_drop_pipeline(store, o->queued, dropped);
	request = json_pack("{s:s, s:s}", "command", "cancel-queued",
	    "pipeline", o->queued);
	args = json_dumps(request, JSON_COMPACT);
	if (rc == WK_OK)
		rc = store_audit(store, clk_wall_ms(), (int)getuid(),
		    (int)getpid(), "cancel-queued", args, "ok");
	free(args);
	json_decref(request);
	if (store_group_end(store) != WK_OK)
		rc = WK_ERR_STORE;
	store_close(store);
	if (rc != WK_OK)
		fprintf(stderr, _("watchkeep: the queued runs of %s could not "
		    "be removed from %s\n"), o->queued, sd->store_path);
	return rc == WK_OK ? CLI_EXIT_OK : CLI_EXIT_STATE;
}

/* `watchkeep cancel --queued PIPELINE` without an agent. */
static int
cancel_queued_local(const struct ctl_opts *o, size_t *dropped)
{
	char hint[NAMEHINT_MSG_MAX];
	struct wk_err err = { 0, "" };
	struct statedir sd;
	struct cfg *cfg;
	int code = CLI_EXIT_STATE;

	cfg = cli_load_config(&o->common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	if (statedir_resolve(&sd, o->common.state_dir, cfg, &err) == WK_OK &&
	    statedir_lock(&sd, &err) == WK_OK) {
		code = cancel_queued_store(o, &sd, dropped);
		statedir_unlock(&sd);
	} else {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		code = err.rc == WK_ERR_BUSY ? CLI_EXIT_BUSY : CLI_EXIT_STATE;
	}
	/* As in the agent, a name neither configured nor queued is a typo. */
	if (code == CLI_EXIT_OK && *dropped == 0 &&
	    cfg_find_pipeline(cfg, o->queued) == NULL) {
		namehint_pipelines(hint, sizeof hint, cfg, o->queued);
		fprintf(stderr, _("watchkeep: no pipeline named \"%s\" and no "
		    "queued runs of it; %s\n"), o->queued, hint);
		code = CLI_EXIT_FAILED;
	}
	cfg_free(cfg);
	return code;
}

/* `watchkeep cancel --queued PIPELINE`: drops the pipeline's queued runs. */
static int
cancel_queued(struct ctl_opts *o)
{
	json_t *answer = NULL;
	size_t dropped = 0;
	int code, handled = 0;

	if (o->run_id != 0)
		return cli_usage_error("cancel", _("give either RUN or --queued "
		    "PIPELINE, not both"));

	code = ctl_send(o, json_pack("{s:s, s:s}", "command", "cancel-queued",
	    "pipeline", o->queued), &handled, &answer);
	if (handled && code == CLI_EXIT_OK)
		dropped = (size_t)json_integer_value(json_object_get(answer,
		    "dropped"));
	json_decref(answer);
	if (!handled)
		code = cancel_queued_local(o, &dropped);
	if (code == CLI_EXIT_OK)
		printf(P_("pipeline %s: dropped %zu queued run\n",
		    "pipeline %s: dropped %zu queued runs\n", dropped),
		    o->queued, dropped);
	return code;
}

/* Prints what the agent did: started the cancel, or killed the stages. */
static void
cancel_print(int64_t run_id, json_t *answer)
{
	json_int_t groups = json_integer_value(json_object_get(answer,
	    "groups"));

	if (!json_is_true(json_object_get(answer, "killed")))
		printf(_("run %lld: cancelling\n"), (long long)run_id);
	else if (groups == 0)
		printf(_("run %lld: already cancelling, and no stage of it is "
		    "running any more\n"), (long long)run_id);
	else
		printf(P_("run %lld: already cancelling; sent SIGKILL to the "
		    "process group of %lld running stage\n", "run %lld: "
		    "already cancelling; sent SIGKILL to the process groups of "
		    "%lld running stages\n", (unsigned long)groups),
		    (long long)run_id, (long long)groups);
}

int
cmd_cancel(int argc, char **argv)
{
	struct ctl_opts o;
	json_t *answer = NULL;
	int code, handled = 0;

	memset(&o, 0, sizeof o);
	code = ctl_parse("cancel", argc, argv, &o, cancel_help);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.queued != NULL)
		return cancel_queued(&o);
	if (o.run_id == 0 && (code = cancel_pick(&o)) != CLI_EXIT_OK)
		return code;
	code = ctl_send(&o, json_pack("{s:s, s:I}", "command", "cancel", "run",
	    (json_int_t)o.run_id), &handled, &answer);
	if (!handled) {
		fprintf(stderr, _("watchkeep: no agent runs on this state "
		    "directory, so run %lld is not in progress\n"),
		    (long long)o.run_id);
		return CLI_EXIT_FAILED;
	}
	if (code == CLI_EXIT_OK)
		cancel_print(o.run_id, answer);
	json_decref(answer);
	return code;
}

static void
backfill_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep backfill PIPELINE --from YYYY-MM-DD --to YYYY-MM-DD\n"
	    "\n"
	    "Runs the pipeline once for each date between the two dates\n"
	    "(inclusive, local dates in the pipeline's time zone) on which its\n"
	    "schedule fires, or on every date when it has no schedule, one run\n"
	    "after another, each with that date as its logical date. A\n"
	    "schedule that fires several times a day gets one run per date.\n"
	    "Asks the agent when one runs; otherwise runs them here and\n"
	    "prints them.\n"));
}

/* Checks the range of a backfill before any agent is asked or started. */
static int
backfill_check_range(const struct ctl_opts *o)
{
	int64_t from, to;
	int code;

	if (o->from_date == NULL || o->to_date == NULL)
		return cli_usage_error("backfill", _("--from and --to are "
		    "required"));
	code = ctl_parse_date("backfill", "--from", o->from_date, &from);
	if (code == CLI_EXIT_OK)
		code = ctl_parse_date("backfill", "--to", o->to_date, &to);
	if (code == CLI_EXIT_OK && to < from)
		code = cli_usage_error("backfill", _("--from %s is after --to "
		    "%s; give the earlier date first"), o->from_date,
		    o->to_date);
	return code;
}

/* Prints the dates a backfill left out, because they had a run already. */
static void
backfill_print_left_out(FILE *out, json_int_t skipped, json_t *already)
{
	size_t i, n = json_array_size(already);

	if (n == 0)
		return;
	fprintf(out, P_("not queued again, because a run for the date is "
	    "queued or in progress already: %lld run, dates:", "not queued "
	    "again, because a run for the date is queued or in progress "
	    "already: %lld runs, dates:", (unsigned long)skipped),
	    (long long)skipped);
	for (i = 0; i < n; i++)
		fprintf(out, " %s", json_string_value(json_array_get(already,
		    i)));
	fprintf(out, "\n");
}

/*
 * Queues the backfill in a one-shot agent. Writes to stderr what a
 * running agent would send back beside the runs: the dates left out and
 * the note on a schedule that fires several times a day.
 */
static int
backfill_queue(struct agent *agent, void *arg, struct wk_err *err)
{
	const struct ctl_opts *o = arg;
	const char *p = ctl_pipeline(o, agent->acfg->cfg);
	struct backfill_result result = { 0, 0, NULL, 0 };
	char note[256];
	int rc;

	if (p == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("name the pipeline"));
	result.already = json_array();
	rc = backfill_request(agent, p, o->from_date, o->to_date, &result,
	    err);
	if (rc == WK_OK) {
		backfill_print_left_out(stderr, (json_int_t)result.skipped,
		    result.already);
		backfill_note(&result, note, sizeof note);
		if (note[0] != '\0')
			fprintf(stderr, "watchkeep: %s\n", note);
	}
	json_decref(result.already);
	return rc;
}

/*
 * Prints the agent's answer to a backfill: the runs queued, the runs left
 * out and the agent's note on a schedule that fires several times a day.
 */
static void
backfill_print(json_t *answer)
{
	json_int_t runs = json_integer_value(json_object_get(answer, "runs"));
	const char *note = json_string_value(json_object_get(answer, "note"));

	printf(P_("queued %lld run in the agent\n", "queued %lld runs in the "
	    "agent\n", (unsigned long)runs), (long long)runs);
	if (runs > 0 && json_is_true(json_object_get(answer, "one_shot")))
		printf("%s\n", _("the runs wait in the queue of a one-shot "
		    "agent; if that agent stops first, they stay in the store "
		    "and start when `watchkeep run` starts"));
	backfill_print_left_out(stdout, json_integer_value(json_object_get(
	    answer, "skipped")), json_object_get(answer, "already_queued"));
	if (note != NULL)
		printf("%s\n", note);
}

int
cmd_backfill(int argc, char **argv)
{
	struct agent_opts a;
	struct ctl_opts o;
	json_t *request, *answer = NULL;
	int code, handled = 0;

	memset(&o, 0, sizeof o);
	code = ctl_parse("backfill", argc, argv, &o, backfill_help);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	code = backfill_check_range(&o);
	if (code != CLI_EXIT_OK)
		return code;
	request = json_pack("{s:s, s:s, s:s}", "command", "backfill", "from",
	    o.from_date, "to", o.to_date);
	if (o.pipeline != NULL)
		json_object_set_new(request, "pipeline",
		    json_string(o.pipeline));
	code = ctl_send(&o, request, &handled, &answer);
	if (handled) {
		if (code == CLI_EXIT_OK)
			backfill_print(answer);
		json_decref(answer);
		return code;
	}
	code = ctl_check_named("backfill", &o);
	if (code != CLI_EXIT_OK)
		return code;
	a = ctl_agent_opts(&o);
	return ctl_run_local(&a, backfill_queue, &o);
}
