/*
 * `watchkeep run --once`: runs each selected pipeline once, under
 * supervision, and prints what happened.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "agent/cli.h"
#include "agent/ev.h"
#include "agent/report.h"
#include "agent/runner.h"
#include "agent/statedir.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store.h"

#define RUN_MAX_SELECTED 64

struct run_opts {
	struct cli_common common;
	int once;                                /* --once */
	const char *date;                        /* --date, or NULL: today */
	const char *selected[RUN_MAX_SELECTED];  /* pipeline names */
	size_t n_selected;
};

/* What the loop callbacks share. */
struct run_state {
	struct runner *runners[CFG_MAX_PIPELINES];  /* owned */
	size_t n_runners;
	size_t active;                              /* not finished yet */
	int signals;                                /* SIGINT/SIGTERM seen */
};

static void
run_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep run --once [PIPELINE...] [OPTIONS]\n"
	    "\n"
	    "Runs each pipeline of the configuration once (or only the named\n"
	    "ones), stage by stage under supervision, stores timings, logs and\n"
	    "metrics, and prints the result. Exits 0 when every stage succeeded.\n"
	    "\n"
	    "Options:\n"
	    "  --once              run once and exit\n"
	    "  -c, --config FILE   configuration file (default: the embedded\n"
	    "                      churn pipeline over the bundled CDNOW log)\n"
	    "  --state-dir DIR     state directory (default:\n"
	    "                      $XDG_STATE_HOME/watchkeep or\n"
	    "                      ~/.local/state/watchkeep)\n"
	    "  --date YYYY-MM-DD   logical date of the run (default: today)\n"
	    "  --json              print the result as JSON\n"
	    "  --log-level LEVEL   debug, info, warn or error (default: info)\n"
	    "  -v, -q              debug, or warnings and errors only\n"));
}

static int
run_parse(int argc, char **argv, struct run_opts *opts)
{
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
		else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc)
			opts->date = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error("run", _("unknown option %s"),
			    argv[i]);
		else if (opts->n_selected < RUN_MAX_SELECTED)
			opts->selected[opts->n_selected++] = argv[i];
		else
			return cli_usage_error("run", _("too many pipelines "
			    "named (at most %d)"), RUN_MAX_SELECTED);
	}
	return CLI_EXIT_OK;
}

static void
run_today(char *out, size_t size)
{
	time_t now = (time_t)(clk_wall_ms() / 1000);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

/* Checks --date and the named pipelines against the configuration. */
static int
run_check_selection(const struct run_opts *opts, const struct cfg *cfg)
{
	int64_t days;
	size_t i;

	if (opts->date != NULL && clk_parse_date(opts->date, &days) != WK_OK)
		return cli_usage_error("run", _("invalid date \"%s\"; use "
		    "YYYY-MM-DD"), opts->date);
	for (i = 0; i < opts->n_selected; i++) {
		if (cfg_find_pipeline(cfg, opts->selected[i]) == NULL)
			return cli_usage_error("run", _("no pipeline named "
			    "\"%s\" in %s"), opts->selected[i], cfg->path);
	}
	return CLI_EXIT_OK;
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

static void
run_finished(struct runner *runner, void *arg)
{
	struct run_state *state = arg;

	(void)runner;
	state->active--;
}

/* SIGINT or SIGTERM: the first cancels the runs, which end their stages. */
static void
run_signal(struct ev_loop *loop, int signo, void *arg)
{
	struct run_state *state = arg;
	size_t i;

	(void)loop;
	LOG(LL_WARN, _("received %s; cancelling the runs"), strsignal(signo));
	state->signals++;
	for (i = 0; i < state->n_runners; i++)
		runner_cancel(state->runners[i]);
}

/* Starts a runner for every selected pipeline and waits for them. */
static void
run_pipelines(struct ev_loop *loop, struct store *store,
	      const struct cfg *cfg, const struct run_opts *opts,
	      const char *state_dir, struct run_state *state)
{
	struct runner_opts ropts;
	struct wk_err err = { 0, "" };
	char today[16];
	size_t i;

	run_today(today, sizeof today);
	ropts.state_dir = state_dir;
	ropts.logical_date = opts->date != NULL ? opts->date : today;
	ropts.trigger = "once";
	for (i = 0; i < cfg->n_pipelines; i++) {
		const struct cfg_pipeline *p = &cfg->pipelines[i];
		struct runner *runner = NULL;

		if (!run_is_selected(opts, p->name))
			continue;
		state->active++;
		if (runner_start(loop, store, p, &ropts, run_finished, state,
		    &runner, &err) != WK_OK) {
			state->active--;
			LOG(LL_ERROR, _("pipeline %s did not start: %s"),
			    p->name, err.msg);
			continue;
		}
		state->runners[state->n_runners++] = runner;
	}
	while (state->active > 0)
		if (ev_run_once(loop, -1) != WK_OK)
			break;
}

static int
run_print(struct store *store, const struct run_state *state, int json)
{
	json_t *list = json_array();
	int all_ok = state->n_runners > 0;
	size_t i;

	for (i = 0; i < state->n_runners; i++) {
		int64_t id = runner_run_id(state->runners[i]);

		all_ok &= runner_succeeded(state->runners[i]);
		if (json) {
			json_t *run = report_run_json(store, id);

			if (run != NULL)
				json_array_append_new(list, run);
			continue;
		}
		if (i > 0)
			printf("\n");
		report_run_text(stdout, store, id);
	}
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		printf(_("\nStore: %s\n"), store_path(store));
	}
	json_decref(list);
	return all_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* Opens the store and the loop, runs, prints; the caller holds the lock. */
static int
run_locked(const struct cfg *cfg, const struct run_opts *opts,
	   const struct statedir *sd)
{
	struct run_state state;
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct ev_loop *loop = NULL;
	int code = CLI_EXIT_STATE;
	size_t i;

	memset(&state, 0, sizeof state);
	if (store_open(sd->store_path, STORE_READ_WRITE, &store, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		goto out;
	}
	loop = ev_loop_new();
	if (loop == NULL) {
		fprintf(stderr, _("watchkeep: cannot create the event loop\n"));
		goto out;
	}
	/* Orphans of a stage are re-parented to the agent and reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	ev_signal(loop, SIGINT, run_signal, &state);
	ev_signal(loop, SIGTERM, run_signal, &state);

	run_pipelines(loop, store, cfg, opts, sd->path, &state);
	code = run_print(store, &state, opts->common.json);

out:
	for (i = 0; i < state.n_runners; i++)
		runner_free(state.runners[i]);
	ev_loop_free(loop);
	store_close(store);
	return code;
}

int
cmd_run(int argc, char **argv)
{
	struct run_opts opts;
	struct wk_err err = { 0, "" };
	struct statedir sd;
	struct cfg *cfg;
	int code;

	memset(&opts, 0, sizeof opts);
	code = run_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (!opts.once)
		return cli_usage_error("run", _("only --once is available: the "
		    "long-running agent is not part of this version"));
	cfg = cli_load_config(&opts.common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	code = run_check_selection(&opts, cfg);
	if (code != CLI_EXIT_OK)
		goto out;

	code = CLI_EXIT_STATE;
	if (statedir_resolve(&sd, opts.common.state_dir, cfg, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		goto out;
	}
	if (statedir_lock(&sd, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		code = err.rc == WK_ERR_BUSY ? CLI_EXIT_BUSY : CLI_EXIT_STATE;
		goto out;
	}
	code = run_locked(cfg, &opts, &sd);
	statedir_unlock(&sd);

out:
	cfg_free(cfg);
	return code;
}

