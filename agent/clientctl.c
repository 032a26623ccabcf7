#include "clientctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/control.h"
#include "agent/report.h"
#include "agent/statedir.h"
#include "core/i18n.h"
#include "core/store.h"

static int
clientctl_statedir(const struct cli_common *common, struct statedir *sd,
		   struct wk_err *err)
{
	struct cfg *cfg = NULL;
	int rc;

	if (common->config_path != NULL && common->state_dir == NULL) {
		cfg = cfg_load_file(common->config_path, err);
		if (cfg == NULL)
			return WK_ERR_INVALID;
	}
	rc = statedir_resolve(sd, common->state_dir, cfg, err);
	cfg_free(cfg);
	return rc;
}

int
clientctl_request(const struct cli_common *common, json_t *request,
		  json_t **answer, struct wk_err *err)
{
	char path[PATH_MAX + 16];
	struct statedir sd;
	int rc;

	rc = clientctl_statedir(common, &sd, err);
	if (rc != WK_OK)
		return rc;
	snprintf(path, sizeof path, "%s/control.sock", sd.path);
	return control_request(path, request, CLIENTCTL_TIMEOUT_MS, answer,
	    err);
}

/* Tells whether every run has left the state "running". */
static int
clientctl_all_done(struct store *store, const int64_t *runs, size_t n)
{
	struct store_run run;
	size_t i;

	for (i = 0; i < n; i++) {
		if (store_run_get(store, runs[i], &run) != WK_OK ||
		    strcmp(run.state, STORE_RUN_RUNNING) == 0)
			return 0;
	}
	return 1;
}

int
clientctl_wait_runs(const struct cli_common *common, const int64_t *runs,
		    size_t n)
{
	struct timespec pause = { 0, CLIENTCTL_POLL_MS * 1000000L };
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct store_run run;
	struct statedir sd;
	json_t *list;
	size_t i;
	int ok = 1;

	if (clientctl_statedir(common, &sd, &err) != WK_OK ||
	    store_open(sd.store_path, STORE_READ_ONLY, &store, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	while (!clientctl_all_done(store, runs, n))
		nanosleep(&pause, NULL);
	list = json_array();
	for (i = 0; i < n; i++) {
		if (common->json) {
			json_t *one = report_run_json(store, runs[i]);

			if (one != NULL)
				json_array_append_new(list, one);
		} else {
			if (i > 0)
				printf("\n");
			report_run_text(stdout, store, runs[i]);
		}
		ok &= store_run_get(store, runs[i], &run) == WK_OK &&
		    strcmp(run.state, STORE_RUN_SUCCEEDED) == 0;
	}
	if (common->json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		printf(_("\nStore: %s\n"), store_path(store));
	}
	json_decref(list);
	store_close(store);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int
clientctl_run_now_and_wait(const struct cli_common *common,
			   const char *const *pipelines, size_t n,
			   const char *date)
{
	int64_t runs[64];
	struct wk_err err = { 0, "" };
	json_t *request, *answer = NULL;
	size_t i, n_runs = 0;

	for (i = 0; i < n && n_runs < 64; i++) {
		request = json_pack("{s:s}", "command", "run-now");
		if (pipelines[i] != NULL)
			json_object_set_new(request, "pipeline",
			    json_string(pipelines[i]));
		if (date != NULL)
			json_object_set_new(request, "date", json_string(date));
		if (clientctl_request(common, request, &answer, &err) != WK_OK) {
			json_decref(request);
			fprintf(stderr, "watchkeep: %s\n", err.msg);
			return CLI_EXIT_STATE;
		}
		json_decref(request);
		if (!json_is_true(json_object_get(answer, "ok"))) {
			fprintf(stderr, _("watchkeep: the agent did not start "
			    "the run: %s\n"), json_string_value(
			    json_object_get(answer, "error")));
			json_decref(answer);
			return CLI_EXIT_FAILED;
		}
		if (json_integer_value(json_object_get(answer, "run")) > 0)
			runs[n_runs++] = json_integer_value(json_object_get(
			    answer, "run"));
		else
			printf(_("queued behind the run in progress\n"));
		json_decref(answer);
	}
	return n_runs > 0 ? clientctl_wait_runs(common, runs, n_runs) :
	    CLI_EXIT_OK;
}
