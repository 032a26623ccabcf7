#include "clientctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

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

/* Returns the first run still "running" (or unreadable), 0 when none. */
static int64_t
clientctl_first_running(struct store *store, const int64_t *runs, size_t n)
{
	struct store_run run;
	size_t i;

	for (i = 0; i < n; i++) {
		if (store_run_get(store, runs[i], &run) != WK_OK ||
		    strcmp(run.state, STORE_RUN_RUNNING) == 0)
			return runs[i];
	}
	return 0;
}

/*
 * Tells whether an agent holds the lock of the state directory: 1 when it
 * does, 0 when the lock is free (the agent exited or was killed).
 */
static int
clientctl_agent_alive(const struct statedir *sd)
{
	char path[PATH_MAX + 16];
	int fd, held;

	snprintf(path, sizeof path, "%s/agent.lock", sd->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1;

	/* A shared lock is granted only while no agent holds its exclusive
	   one; it is released at once so that an agent may start. */
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * Polls the store until every run has left "running". Returns 0, or the
 * id of a run still running when the agent went away.
 */
static int64_t
clientctl_poll_runs(const struct statedir *sd, struct store *store,
		    const int64_t *runs, size_t n)
{
	struct timespec pause = { 0, CLIENTCTL_POLL_MS * 1000000L };

	while (clientctl_first_running(store, runs, n) != 0) {
		/* The agent may have finished the runs just before it
		   stopped, so the store is read once more. */
		if (!clientctl_agent_alive(sd))
			return clientctl_first_running(store, runs, n);
		nanosleep(&pause, NULL);
	}
	return 0;
}

int
clientctl_wait_runs(const struct cli_common *common, const int64_t *runs,
		    size_t n)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct store_run run;
	struct statedir sd;
	int64_t left;
	json_t *list;
	size_t i;
	int ok = 1;

	if (clientctl_statedir(common, &sd, &err) != WK_OK ||
	    store_open(sd.store_path, STORE_READ_ONLY, &store, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	left = clientctl_poll_runs(&sd, store, runs, n);
	if (left != 0) {
		fprintf(stderr, _("watchkeep: the agent of %s exited while run "
		    "%lld was in progress, so its result is unknown; start the "
		    "agent again (`watchkeep run`) to reconcile the run, then "
		    "see `watchkeep runs`\n"), sd.path, (long long)left);
		store_close(store);
		return CLI_EXIT_FAILED;
	}
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
