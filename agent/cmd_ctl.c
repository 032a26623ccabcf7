/*
 * Subcommands that act on runs: run-now, rerun, cancel, backfill. Each goes
 * through the control socket when an agent runs on the state directory,
 * and otherwise does the work in a one-shot agent of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/backfill.h"
#include "agent/cli.h"
#include "agent/clientctl.h"
#include "agent/statedir.h"
#include "core/clock.h"
#include "core/i18n.h"

/* Options of the subcommands of this file; unused ones stay NULL or 0. */
struct ctl_opts {
	struct cli_common common;
	const char *pipeline;      /* PIPELINE, or from --from P/S */
	const char *stage;         /* from --from P/S */
	const char *date;          /* --date */
	const char *from_date;     /* backfill --from */
	const char *to_date;       /* backfill --to */
	int64_t run_id;            /* --run or RUN, 0: latest */
	int only_failed;           /* --only-failed */
	int dry_run;               /* --dry-run */
	int force;                 /* --force */
	char from_buf[2 * CFG_NAME_MAX]; /* copy of --from, split at '/' */
};

/* Parses "PIPELINE/STAGE" or "STAGE" into the options. */
static void
ctl_split_from(struct ctl_opts *o, const char *text)
{
	char *slash;

	snprintf(o->from_buf, sizeof o->from_buf, "%s", text);
	slash = strchr(o->from_buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		o->pipeline = o->from_buf;
		o->stage = slash + 1;
	} else {
		o->stage = o->from_buf;
	}
}

static int
ctl_parse_run_id(const char *command, const char *text, int64_t *run_id)
{
	char *end;
	long long v = strtoll(text, &end, 10);

	if (*end != '\0' || v <= 0)
		return cli_usage_error(command, _("invalid run id \"%s\"; give "
		    "a positive number"), text);
	*run_id = v;
	return CLI_EXIT_OK;
}

/* The options of the act-on-runs subcommands that take a value. */
static const char *const ctl_value_options[] = {
	"--run", "--date", "--from", "--to", NULL
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
		ctl_split_from(o, value);
	else if (strcmp(name, "--from") == 0)
		o->from_date = value;
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
		json_decref(answer);
		return CLI_EXIT_FAILED;
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

static void
ctl_today(char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
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
	    "Options: -c FILE, --state-dir DIR, --json, --date (default: today)\n"));
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
	char today[16];
	int64_t run_id;

	if (p == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("name the pipeline: "
		    "the configuration has several"));
	ctl_today(today, sizeof today);
	return agent_request_run(agent, p, o->date != NULL ? o->date : today,
	    "manual", 0, &run_id, err);
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
	struct store_run run;
	size_t n = 0;

	o->pipeline = ctl_pipeline(o, cfg);
	if (o->pipeline == NULL)
		return cli_usage_error("rerun", _("write --from PIPELINE/STAGE: "
		    "the configuration has several pipelines"));
	if (o->run_id != 0)
		return CLI_EXIT_OK;
	if (store_runs_recent(store, o->pipeline, &run, 1, &n) != WK_OK ||
	    n == 0) {
		fprintf(stderr, _("watchkeep: pipeline %s has no runs yet\n"),
		    o->pipeline);
		return CLI_EXIT_FAILED;
	}
	o->run_id = run.id;
	return CLI_EXIT_OK;
}

static int
rerun_dry(const struct ctl_opts *o, const struct cfg *cfg,
	  struct store *store)
{
	const struct cfg_pipeline *p = cfg_find_pipeline(cfg, o->pipeline);
	struct runner_rerun rr = { o->run_id, o->stage, o->only_failed,
		o->force, 0 };
	struct wk_err err = { 0, "" };
	int selected[CFG_MAX_STAGES];
	size_t k;

	if (p == NULL || runner_plan_rerun(store, p, &rr, selected, &err) !=
	    WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", p == NULL ? _("no such "
		    "pipeline") : err.msg);
		return CLI_EXIT_FAILED;
	}
	printf(_("Run %lld of %s, re-run from %s (dry run, nothing changed):\n"),
	    (long long)o->run_id, p->name, o->stage);
	for (k = 0; k < p->n_stages; k++)
		printf("  %-20s %s\n", p->stages[p->order[k]].name,
		    selected[p->order[k]] ? _("would run") : _("kept"));
	return CLI_EXIT_OK;
}

static int
rerun_queue(struct agent *agent, void *arg, struct wk_err *err)
{
	const struct ctl_opts *o = arg;
	struct runner_rerun rr = { o->run_id, o->stage, o->only_failed,
		o->force, 0 };

	return agent_rerun(agent, o->pipeline, &rr, err);
}

/* Opens what rerun needs to resolve its run: configuration and store. */
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
	if (code == CLI_EXIT_OK && o->dry_run)
		code = rerun_dry(o, *cfg, *store);
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
	    "\n"
	    "Cancels a run in progress (default: the only one): its running\n"
	    "stages get SIGTERM, then SIGKILL after their grace period, and the\n"
	    "stages not started are marked not run. Needs a running agent.\n"));
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
	if (json_array_size(running) != 1) {
		fprintf(stderr, _("watchkeep: %zu runs are in progress; name "
		    "the one to cancel\n"), json_array_size(running));
		json_decref(answer);
		return CLI_EXIT_FAILED;
	}
	o->run_id = json_integer_value(json_object_get(json_array_get(running,
	    0), "run"));
	json_decref(answer);
	return CLI_EXIT_OK;
}

int
cmd_cancel(int argc, char **argv)
{
	struct ctl_opts o;
	int code, handled = 0;

	memset(&o, 0, sizeof o);
	code = ctl_parse("cancel", argc, argv, &o, cancel_help);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.run_id == 0 && (code = cancel_pick(&o)) != CLI_EXIT_OK)
		return code;
	code = ctl_send(&o, json_pack("{s:s, s:I}", "command", "cancel", "run",
	    (json_int_t)o.run_id), &handled, NULL);
	if (!handled) {
		fprintf(stderr, _("watchkeep: no agent runs on this state "
		    "directory, so run %lld is not in progress\n"),
		    (long long)o.run_id);
		return CLI_EXIT_FAILED;
	}
	if (code == CLI_EXIT_OK)
		printf(_("run %lld: cancelling\n"), (long long)o.run_id);
	return code;
}

static void
backfill_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep backfill PIPELINE --from YYYY-MM-DD --to YYYY-MM-DD\n"
	    "\n"
	    "Runs the pipeline once per scheduled slot between the two dates\n"
	    "(inclusive, local dates in the pipeline's time zone; once a day\n"
	    "when it has no schedule), one run after another, each with its\n"
	    "slot's date as its logical date. Asks the agent when one runs;\n"
	    "otherwise runs them here and prints them.\n"));
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

static int
backfill_queue(struct agent *agent, void *arg, struct wk_err *err)
{
	const struct ctl_opts *o = arg;
	const char *p = ctl_pipeline(o, agent->acfg->cfg);
	size_t queued = 0;

	if (p == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("name the pipeline"));
	return backfill_request(agent, p, o->from_date, o->to_date, &queued,
	    err);
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
			printf(_("queued %lld runs in the agent\n"),
			    (long long)json_integer_value(json_object_get(
			    answer, "runs")));
		json_decref(answer);
		return code;
	}
	a = ctl_agent_opts(&o);
	return ctl_run_local(&a, backfill_queue, &o);
}
