#include "clientctl.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
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

/* Tells whether command starts or stops runs. */
static int
clientctl_acts_on_runs(const char *command)
{
	static const char *const commands[] = { "run-now", "rerun",
	    "backfill", "cancel" };
	size_t i;

	for (i = 0; command != NULL && i < sizeof commands /
	    sizeof commands[0]; i++) {
		if (strcmp(command, commands[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Appends to err's message, when request starts or stops runs, that the
 * agent may still carry the request out and how to check that before
 * sending it again.
 */
static void
clientctl_explain_unanswered(json_t *request, struct wk_err *err)
{
	const char *command = json_string_value(json_object_get(request,
	    "command"));
	const char *pipeline = json_string_value(json_object_get(request,
	    "pipeline"));
	char reason[WK_ERR_MSG_MAX];

	if (!clientctl_acts_on_runs(command))
		return;

	snprintf(reason, sizeof reason, "%s", err->msg);
	if (pipeline != NULL)
		wk_err_set(err, err->rc, _("%s; it may still carry out "
		    "the %s request, so check with `watchkeep runs %s` before "
		    "sending it again"), reason, command, pipeline);
	else
		wk_err_set(err, err->rc, _("%s; it may still carry out "
		    "the %s request, so check with `watchkeep runs` before "
		    "sending it again"), reason, command);
}

/*
 * Sets the "locale" of request to this process's message locale, so that
 * the agent writes its response in the caller's language. A name the
 * agent would reject (see control_locale_valid()) is left out.
 */
static void
clientctl_set_locale(json_t *request)
{
	const char *name = setlocale(LC_MESSAGES, NULL);

	if (name != NULL && control_locale_valid(name))
		json_object_set_new(request, "locale", json_string(name));
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

	clientctl_set_locale(request);
	snprintf(path, sizeof path, "%s/control.sock", sd.path);
	rc = control_request(path, request, CLIENTCTL_TIMEOUT_MS, answer, err);
	if (rc == WK_ERR_BUSY && err != NULL)
		clientctl_explain_unanswered(request, err);
	return rc;
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

/* SIGINT and SIGTERM signals received while waiting for runs. */
static volatile sig_atomic_t clientctl_interrupts;

static void
clientctl_on_signal(int signo)
{
	(void)signo;
	clientctl_interrupts = clientctl_interrupts + 1;
}

/*
 * Installs the handler of SIGINT and SIGTERM, saving the previous actions
 * in old, or, when old_in is not NULL, restores the actions saved there.
 */
static void
clientctl_catch_signals(struct sigaction old[2],
			const struct sigaction *old_in)
{
	static const int signals[2] = { SIGINT, SIGTERM };
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = clientctl_on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART, so that the signal ends the pause at once. */
	for (i = 0; i < 2; i++) {
		if (old_in != NULL)
			sigaction(signals[i], &old_in[i], NULL);
		else
			sigaction(signals[i], &sa, &old[i]);
	}
}

/* Sends a cancel request for each run and prints the agent's reply. */
static void
clientctl_cancel_runs(const struct cli_common *common, const int64_t *runs,
		      size_t n)
{
	struct wk_err err = { 0, "" };
	json_t *request, *answer;
	size_t i;

	for (i = 0; i < n; i++) {
		answer = NULL;
		request = json_pack("{s:s, s:I}", "command", "cancel", "run",
		    (json_int_t)runs[i]);
		if (clientctl_request(common, request, &answer, &err) != WK_OK)
			fprintf(stderr, _("watchkeep: interrupted, but the "
			    "cancel request for run %lld failed: %s\n"),
			    (long long)runs[i], err.msg);
		else if (!json_is_true(json_object_get(answer, "ok")))
			fprintf(stderr, _("watchkeep: interrupted; the agent "
			    "did not cancel run %lld: %s\n"), (long long)runs[i],
			    json_string_value(json_object_get(answer,
			    "error")));
		else
			fprintf(stderr, _("watchkeep: interrupted; the agent is "
			    "cancelling run %lld (press Ctrl-C again to stop "
			    "waiting)\n"), (long long)runs[i]);
		json_decref(request);
		json_decref(answer);
	}
}

/*
 * Polls the store until every run has left "running". The first SIGINT or
 * SIGTERM sends the agent a cancel request for each run, and a second one
 * stops the wait (*interrupted set). Returns 0, or the id of a run still
 * running when the agent went away or the wait was interrupted.
 */
static int64_t
clientctl_poll_runs(const struct cli_common *common,
		    const struct statedir *sd, struct store *store,
		    const int64_t *runs, size_t n, int *interrupted)
{
	struct timespec pause = { 0, CLIENTCTL_POLL_MS * 1000000L };
	int cancel_sent = 0;
	int64_t left;

	while ((left = clientctl_first_running(store, runs, n)) != 0) {
		if (clientctl_interrupts >= 2) {
			*interrupted = 1;
			return left;
		}
		if (clientctl_interrupts == 1 && !cancel_sent) {
			clientctl_cancel_runs(common, runs, n);
			cancel_sent = 1;
			continue;
		}

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
	struct sigaction old_actions[2];
	int64_t left;
	json_t *list;
	size_t i;
	int ok = 1, interrupted = 0;

	if (clientctl_statedir(common, &sd, &err) != WK_OK ||
	    store_open(sd.store_path, STORE_READ_ONLY, &store, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	clientctl_interrupts = 0;
	clientctl_catch_signals(old_actions, NULL);
	left = clientctl_poll_runs(common, &sd, store, runs, n, &interrupted);
	clientctl_catch_signals(NULL, old_actions);
	if (interrupted) {
		fprintf(stderr, _("watchkeep: interrupted again; no longer "
		    "waiting for run %lld, which the agent is still cancelling; "
		    "see `watchkeep runs`\n"), (long long)left);
		store_close(store);
		return CLI_EXIT_FAILED;
	}
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
clientctl_error_status(json_t *answer)
{
	return json_is_true(json_object_get(answer, "usage")) ?
	    CLI_EXIT_USAGE : CLI_EXIT_FAILED;
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
	int code;

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
			code = clientctl_error_status(answer);
			json_decref(answer);
			return code;
		}
		if (json_integer_value(json_object_get(answer, "run")) > 0)
			runs[n_runs++] = json_integer_value(json_object_get(
			    answer, "run"));
		else
			printf(_("queued behind the run in progress\n"));
		if (json_integer_value(json_object_get(answer, "run")) <= 0 &&
		    json_is_true(json_object_get(answer, "one_shot")))
			printf("%s\n", _("the run waits in the queue of a "
			    "one-shot agent; if that agent stops first, the "
			    "run stays in the store and starts when `watchkeep "
			    "run` starts"));
		json_decref(answer);
	}
	return n_runs > 0 ? clientctl_wait_runs(common, runs, n_runs) :
	    CLI_EXIT_OK;
}
