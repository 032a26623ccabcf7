/*
 * `watchkeep run`: the long-running agent, or with --once each selected
 * pipeline run once under supervision. When an agent already holds the
 * state directory, --once asks that agent to run now through the control
 * socket, waits for the runs to end and prints them, instead of becoming a
 * second writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/cli.h"
#include "agent/clientctl.h"
#include "agent/report.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/namehint.h"
#include "core/text.h"

#define RUN_MAX_SELECTED 64

struct run_opts {
	struct cli_common common;
	int once;                                /* --once */
	const char *date;                        /* --date, or NULL: today */
	const char *selected[RUN_MAX_SELECTED];  /* pipeline names */
	size_t n_selected;
};

static void
run_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep run [--once [PIPELINE...]] [OPTIONS]\n"
	    "\n"
	    "Without --once, runs the agent: it schedules the pipelines, supervises\n"
	    "their stages and serves the control socket until SIGTERM or SIGINT.\n"
	    "SIGHUP reloads the configuration.\n"
	    "\n"
	    "With --once, runs each pipeline of the configuration once (or only\n"
	    "the named ones), stores timings, logs and metrics, and prints the\n"
	    "result; exits 0 when every stage succeeded. When an agent already\n"
	    "runs on the state directory, asks it to run them and waits.\n"
	    "SIGINT or SIGTERM cancels the runs; a second one, while an agent\n"
	    "is cancelling them, stops the wait at once.\n"
	    "\n"
	    "Options:\n"
	    "  --once              run once and exit\n"
	    "  -c, --config FILE   configuration file (default: the embedded\n"
	    "                      churn pipeline over the bundled CDNOW log)\n"
	    "  --state-dir DIR     state directory (default:\n"
	    "                      $XDG_STATE_HOME/watchkeep or\n"
	    "                      ~/.local/state/watchkeep)\n"
	    "  --date YYYY-MM-DD   logical date of the runs (default: today in\n"
	    "                      each pipeline's time_zone)\n"
	    "  --json              print the result as JSON\n"
	    "  --log-level LEVEL   debug, info, warn or error (default: info)\n"
	    "  -v, -q              debug, or warnings and errors only\n"));
}

static int
run_parse(int argc, char **argv, struct run_opts *opts)
{
	const char *value;
	int i, r;

	for (i = 1; i < argc; i++) {
		r = cli_common_option(&opts->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			run_help();
			return -1;
		}
		if (strcmp(argv[i], "--once") == 0)
			opts->once = 1;
		else if ((value = cli_option_value("--date", argc, argv,
		    &i)) != NULL) {
			if (value[0] == '\0')
				return CLI_EXIT_USAGE;
			opts->date = value;
		} else if (argv[i][0] == '-')
			return cli_usage_error("run", _("unknown option %s"),
			    argv[i]);
		else if (opts->n_selected < RUN_MAX_SELECTED)
			opts->selected[opts->n_selected++] = argv[i];
		else
			return cli_usage_error("run", _("too many pipelines "
			    "named (at most %d)"), RUN_MAX_SELECTED);
	}
	if (!opts->once && (opts->n_selected > 0 || opts->date != NULL))
		return cli_usage_error("run", _("pipelines and --date go with "
		    "--once"));
	return CLI_EXIT_OK;
}

/* Checks --date and the named pipelines against the configuration. */
static int
run_check_selection(const struct run_opts *opts)
{
	char hint[NAMEHINT_MSG_MAX], shown[CFG_NAME_MAX * 2];
	struct cfg *cfg;
	int64_t days;
	size_t i;
	int code = CLI_EXIT_OK;

	if (opts->date != NULL && clk_parse_date(opts->date, &days) != WK_OK)
		return cli_usage_error("run", _("invalid date \"%s\" for "
		    "%s; give a calendar date YYYY-MM-DD, such as 2026-02-28"),
		    opts->date, "--date");
	if (opts->date != NULL && days < 0)
		return cli_usage_error("run", _("date \"%s\" for %s is "
		    "before 1970-01-01; give a later date"), opts->date,
		    "--date");
	cfg = cli_load_config(&opts->common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	for (i = 0; i < opts->n_selected && code == CLI_EXIT_OK; i++) {
		if (cfg_find_pipeline(cfg, opts->selected[i]) != NULL)
			continue;
		text_sanitize(opts->selected[i], strlen(opts->selected[i]),
		    shown, sizeof shown);
		namehint_pipelines(hint, sizeof hint, cfg, opts->selected[i]);
		fprintf(stderr, _("watchkeep run: no pipeline named \"%s\" "
		    "in %s; %s\n"), shown, cfg->path, hint);
		code = CLI_EXIT_FAILED;
	}
	cfg_free(cfg);
	return code;
}

static int
run_is_selected(const struct run_opts *opts, const char *name)
{
	size_t i;

	if (opts->n_selected == 0)
		return 1;
	for (i = 0; i < opts->n_selected; i++) {
		if (strcmp(opts->selected[i], name) == 0)
			return 1;
	}
	return 0;
}

/* Requests one run of every selected pipeline in the one-shot agent. */
static int
run_queue(struct agent *agent, void *arg, struct wk_err *err)
{
	const struct run_opts *opts = arg;
	const struct cfg *cfg = agent->acfg->cfg;
	int64_t run_id;
	size_t i;
	int rc;

	for (i = 0; i < cfg->n_pipelines; i++) {
		if (!run_is_selected(opts, cfg->pipelines[i].name))
			continue;
		rc = agent_request_run(agent, cfg->pipelines[i].name,
		    opts->date, "once", 0, &run_id, err);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

/* Asks the agent that holds the state directory to run the pipelines. */
static int
run_through_agent(const struct run_opts *opts)
{
	const char *names[RUN_MAX_SELECTED];
	struct cfg *cfg = cli_load_config(&opts->common);
	size_t i, n = 0;
	int code;

	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	for (i = 0; i < cfg->n_pipelines && n < RUN_MAX_SELECTED; i++) {
		if (run_is_selected(opts, cfg->pipelines[i].name))
			names[n++] = cfg->pipelines[i].name;
	}
	fprintf(stderr, _("watchkeep: an agent runs on this state directory; "
	    "asking it to run now\n"));
	code = clientctl_run_now_and_wait(&opts->common, names, n, opts->date);
	cfg_free(cfg);
	return code;
}

int
cmd_run(int argc, char **argv)
{
	struct agent_opts aopts;
	struct run_opts opts;
	int code;

	memset(&opts, 0, sizeof opts);
	code = run_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	aopts.config_path = opts.common.config_path;
	aopts.state_dir = opts.common.state_dir;
	aopts.keep_log_level = opts.common.log_level_set;
	if (!opts.once)
		return agent_main(&aopts);

	code = run_check_selection(&opts);
	if (code != CLI_EXIT_OK)
		return code;
	code = agent_run_local(&aopts, run_queue, &opts, opts.common.json);
	if (code == CLI_EXIT_BUSY)
		code = run_through_agent(&opts);
	return code;
}
