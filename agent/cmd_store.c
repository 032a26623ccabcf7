/* `watchkeep runs` and `watchkeep backup`: read-only uses of the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/report.h"
#include "core/i18n.h"
#include "core/store.h"

#define RUNS_DEFAULT 20
#define RUNS_MAX 10000

static void
runs_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep runs [PIPELINE] [--limit N] [--json]\n"
	    "\n"
	    "Lists the latest runs, newest first: id, pipeline, state, logical\n"
	    "date, start (UTC) and duration; then the runs the agent queued,\n"
	    "in the order they start. With --json the queued runs follow the\n"
	    "runs in progress, with state \"queued\" and id null.\n"
	    "\n"
	    "Options:\n"
	    "  --limit N           runs listed (default 20, at most 10000)\n"
	    "  --json              print the runs, with their stages, as JSON\n"
	    "  -c FILE, --state-dir DIR\n"));
}

static int
runs_json(struct store *store, const char *pipeline, long limit)
{
	struct store_run *runs = calloc((size_t)limit, sizeof *runs);
	json_t *list = json_array();
	size_t n = 0, i;
	int rc = runs == NULL ? WK_ERR_NOMEM :
	    store_runs_recent(store, pipeline, runs, (size_t)limit, &n);

	for (i = 0; rc == WK_OK && i < n; i++) {
		json_t *run = report_run_json(store, runs[i].id);

		if (run != NULL)
			json_array_append_new(list, run);
	}
	if (rc == WK_OK)
		rc = report_queue_json(store, pipeline, list);
	if (rc == WK_OK) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		printf("\n");
	}
	json_decref(list);
	free(runs);
	return rc;
}

int
cmd_runs(int argc, char **argv)
{
	struct cli_common common;
	const char *pipeline = NULL, *value;
	struct cfg *cfg = NULL;
	struct store *store;
	long limit = RUNS_DEFAULT;
	char *end;
	int i, r, rc, code;

	memset(&common, 0, sizeof common);
	for (i = 1; i < argc; i++) {
		r = cli_common_option(&common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			runs_help();
			return CLI_EXIT_OK;
		}
		if ((value = cli_option_value("--limit", argc, argv, &i)) !=
		    NULL) {
			limit = strtol(value, &end, 10);
			if (value[0] == '\0' || *end != '\0' || limit < 1 ||
			    limit > RUNS_MAX)
				return cli_usage_error("runs", _("invalid "
				    "--limit \"%s\"; give 1 to %d"), value,
				    RUNS_MAX);
		} else if (argv[i][0] != '-' && pipeline == NULL) {
			pipeline = argv[i];
		} else {
			return cli_usage_error("runs", _("unexpected argument "
			    "%s"), argv[i]);
		}
	}
	store = cli_open_store(&common, &cfg);
	if (store == NULL)
		return CLI_EXIT_STATE;
	code = cli_check_pipeline("runs", store, cfg, pipeline);
	cfg_free(cfg);
	if (code != CLI_EXIT_OK) {
		store_close(store);
		return code;
	}

	rc = common.json ? runs_json(store, pipeline, limit) :
	    report_runs_brief(stdout, store, pipeline, (size_t)limit);
	if (rc == WK_OK && !common.json)
		rc = report_queue_text(stdout, store, pipeline, (size_t)limit);
	store_close(store);
	return rc == WK_OK ? CLI_EXIT_OK : CLI_EXIT_STATE;
}

static void
backup_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep backup FILE [-c FILE] [--state-dir DIR]\n"
	    "\n"
	    "Copies the store into FILE with SQLite's online backup API, as a\n"
	    "consistent snapshot, while the agent keeps running. FILE is written\n"
	    "under a temporary name and renamed when complete.\n"));
}

int
cmd_backup(int argc, char **argv)
{
	struct wk_err err = { 0, "" };
	struct cli_common common;
	const char *dest = NULL;
	struct store *store;
	int i, r, rc;

	memset(&common, 0, sizeof common);
	for (i = 1; i < argc; i++) {
		r = cli_common_option(&common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			backup_help();
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-' || dest != NULL)
			return cli_usage_error("backup", _("unexpected argument "
			    "%s"), argv[i]);
		dest = argv[i];
	}
	if (dest == NULL)
		return cli_usage_error("backup", _("name the FILE to write"));
	store = cli_open_store(&common, NULL);
	if (store == NULL)
		return CLI_EXIT_STATE;
	rc = store_backup(store, dest, &err);
	store_close(store);
	if (rc != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_FAILED;
	}
	printf(_("store copied to %s\n"), dest);
	return CLI_EXIT_OK;
}
