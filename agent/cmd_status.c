/*
 * `watchkeep status`: the last runs and the latest one in detail, read
 * from the store without taking the agent's lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/cli.h"
#include "agent/report.h"
#include "agent/statedir.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/store.h"

#define STATUS_DEFAULT_RUNS 5
#define STATUS_MAX_RUNS 1000

struct status_opts {
	struct cli_common common;
	const char *pipeline;  /* only this pipeline, or NULL */
	long runs;             /* runs listed */
};

static void
status_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep status [PIPELINE] [OPTIONS]\n"
	    "\n"
	    "Prints the last runs and the latest run in detail: its stages with\n"
	    "state, duration, exit status, CPU time and peak memory, what each\n"
	    "stage printed last, its metrics and its outputs.\n"
	    "\n"
	    "Options:\n"
	    "  --runs N            runs listed (default 5, at most 1000)\n"
	    "  --json              print the runs as JSON\n"
	    "  -c, --config FILE   configuration, for its state_dir\n"
	    "  --state-dir DIR     state directory\n"));
}

static int
status_parse(int argc, char **argv, struct status_opts *opts)
{
	const char *value;
	char *end;
	int i, r;

	opts->runs = STATUS_DEFAULT_RUNS;
	for (i = 1; i < argc; i++) {
		r = cli_common_option(&opts->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			status_help();
			return -1;
		}
		if ((value = cli_option_value("--runs", argc, argv, &i)) !=
		    NULL) {
			opts->runs = strtol(value, &end, 10);
			if (value[0] == '\0' || *end != '\0' || opts->runs < 1 ||
			    opts->runs > STATUS_MAX_RUNS)
				return cli_usage_error("status", _("invalid "
				    "--runs \"%s\"; give a number from 1 to "
				    "%d"), value, STATUS_MAX_RUNS);
		} else if (argv[i][0] == '-') {
			return cli_usage_error("status", _("unknown option %s"),
			    argv[i]);
		} else if (opts->pipeline == NULL) {
			opts->pipeline = argv[i];
		} else {
			return cli_usage_error("status", _("unexpected argument "
			    "%s"), argv[i]);
		}
	}
	return CLI_EXIT_OK;
}

/*
 * Opens the store read-only and loads the configuration (-c, or the
 * embedded default) for the forecasts; prints why not. Without a store
 * yet, returns NULL with *code CLI_EXIT_OK, or CLI_EXIT_FAILED when the
 * pipeline asked for is not configured; on other failures *code is left.
 */
static struct store *
status_open(const struct status_opts *opts, struct cfg **cfg_out,
	    int *code)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	struct statedir sd;
	struct stat st;

	cfg = cli_load_config(&opts->common);
	if (cfg == NULL)
		return NULL;
	if (statedir_resolve(&sd, opts->common.state_dir, cfg, &err) != WK_OK)
		goto fail;
	if (stat(sd.store_path, &st) != 0) {
		/* Nothing ran yet: that is a state, not an error, unless the
		   pipeline asked for is not configured either. */
		*code = cli_check_pipeline("status", NULL, cfg, opts->pipeline);
		if (*code == CLI_EXIT_OK)
			printf(_("No runs yet: %s does not exist; start one "
			    "with `watchkeep run --once`.\n"), sd.store_path);
		cfg_free(cfg);
		return NULL;
	}
	if (store_open(sd.store_path, STORE_READ_ONLY, &store, &err) != WK_OK)
		goto fail;
	*cfg_out = cfg;
	return store;

fail:
	fprintf(stderr, "watchkeep: %s\n", err.msg);
	cfg_free(cfg);
	return NULL;
}

static int
status_json(struct store *store, const struct cfg *cfg,
	    const struct status_opts *opts)
{
	struct store_run *runs = calloc((size_t)opts->runs, sizeof *runs);
	json_t *list = json_array(), *doc;
	size_t n = 0, i;
	int rc = WK_ERR_NOMEM;

	if (runs != NULL)
		rc = store_runs_recent(store, opts->pipeline, runs,
		    (size_t)opts->runs, &n);
	for (i = 0; rc == WK_OK && i < n; i++) {
		json_t *run = report_run_json(store, runs[i].id);

		if (run != NULL)
			json_array_append_new(list, run);
	}
	if (rc == WK_OK)
		rc = report_queue_json(store, opts->pipeline, list);
	doc = json_pack("{s:o, s:o}", "runs", list, "growth",
	    report_growth_json(store, cfg, clk_wall_ms()));
	if (rc == WK_OK) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		printf("\n");
	}
	json_decref(doc);
	free(runs);
	return rc;
}

static int
status_text(struct store *store, const struct cfg *cfg,
	    const struct status_opts *opts)
{
	struct store_run last;
	size_t n = 0;
	int rc;

	rc = store_runs_recent(store, opts->pipeline, &last, 1, &n);
	if (rc != WK_OK)
		return rc;
	if (n == 0) {
		if (opts->pipeline != NULL)
			printf(_("No runs yet of pipeline %s.\n"),
			    opts->pipeline);
		else
			printf("%s", _("No runs yet.\n"));
		return report_queue_text(stdout, store, opts->pipeline,
		    (size_t)opts->runs);
	}
	rc = report_runs_brief(stdout, store, opts->pipeline,
	    (size_t)opts->runs);
	if (rc == WK_OK)
		rc = report_queue_text(stdout, store, opts->pipeline,
		    (size_t)opts->runs);
	if (rc == WK_OK) {
		printf("\n");
		rc = report_run_text(stdout, store, last.id);
	}
	if (rc == WK_OK)
		rc = report_growth_text(stdout, store, cfg, clk_wall_ms());
	return rc;
}

int
cmd_status(int argc, char **argv)
{
	struct status_opts opts;
	struct cfg *cfg = NULL;
	struct store *store;
	int code, rc;

	memset(&opts, 0, sizeof opts);
	code = status_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	code = CLI_EXIT_STATE;
	store = status_open(&opts, &cfg, &code);
	if (store == NULL)
		return code;

	code = cli_check_pipeline("status", store, cfg, opts.pipeline);
	if (code != CLI_EXIT_OK) {
		store_close(store);
		cfg_free(cfg);
		return code;
	}

	rc = opts.common.json ? status_json(store, cfg, &opts) :
	    status_text(store, cfg, &opts);
	store_close(store);
	cfg_free(cfg);
	if (rc != WK_OK) {
		fprintf(stderr, _("watchkeep: reading the store failed: %s\n"),
		    wk_rc_name(rc));
		return CLI_EXIT_STATE;
	}
	return CLI_EXIT_OK;
}
