/*
 * The commands of the control socket. Every request is written to the
 * control_audit table with the caller's uid and pid and its result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/backfill.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/namehint.h"

struct agent_command {
	const char *name;
	json_t *(*run)(struct agent *agent, json_t *request,
		       const struct control_peer *peer);
};

static json_t *
agent_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static const char *
agent_string(json_t *request, const char *key)
{
	json_t *v = json_object_get(request, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The pipeline a request names, or the only one when it names none. */
static const char *
agent_pick_pipeline(struct agent *agent, json_t *request)
{
	const char *name = agent_string(request, "pipeline");
	const struct cfg *cfg = agent->acfg->cfg;

	if (name == NULL && cfg->n_pipelines == 1)
		return cfg->pipelines[0].name;
	return name;
}

/*
 * Builds the error response to a request that names no pipeline when the
 * configuration has several. The response lists them and carries "usage":
 * true, so that the client exits with the status of an invalid command line.
 */
static json_t *
agent_name_pipeline(const struct agent *agent)
{
	char hint[NAMEHINT_MSG_MAX];
	json_t *answer;

	namehint_pipelines(hint, sizeof hint, agent->acfg->cfg, NULL);
	answer = control_error(_("name the pipeline: the configuration has "
	    "several; %s"), hint);
	json_object_set_new(answer, "usage", json_true());
	return answer;
}

static json_t *
agent_cmd_status(struct agent *agent, json_t *request,
		 const struct control_peer *peer)
{
	json_t *answer = agent_ok(), *runs = json_array(), *next = json_object();
	const struct cfg *cfg = agent->acfg->cfg;
	size_t i;

	(void)peer;
	(void)request;
	for (i = 0; i < agent->n_runs; i++) {
		struct runner *r = agent->runs[i]->runner;

		if (!runner_finished(r))
			json_array_append_new(runs, json_pack("{s:I, s:s}",
			    "run", (json_int_t)runner_run_id(r), "pipeline",
			    runner_pipeline(r)->name));
	}
	for (i = 0; i < cfg->n_pipelines; i++) {
		int64_t slot = sched_next_slot(agent->sched,
		    cfg->pipelines[i].name);

		if (slot != 0)
			json_object_set_new(next, cfg->pipelines[i].name,
			    json_integer(slot * 1000));
	}
	json_object_set_new(answer, "pid", json_integer(getpid()));
	json_object_set_new(answer, "running", runs);
	json_object_set_new(answer, "queued", json_integer((json_int_t)
	    agent->n_queued));
	json_object_set_new(answer, "next_slot_ms", next);
	json_object_set_new(answer, "stopping", json_boolean(agent->stopping));
	return answer;
}

static json_t *
agent_cmd_run_now(struct agent *agent, json_t *request,
		 const struct control_peer *peer)
{
	const char *pipeline = agent_pick_pipeline(agent, request);
	const char *date = agent_string(request, "date");
	struct wk_err err = { 0, "" };
	int64_t run_id = 0, days;

	(void)peer;
	if (pipeline == NULL)
		return agent_name_pipeline(agent);
	if (date != NULL && clk_parse_date(date, &days) != WK_OK)
		return control_error(_("invalid date \"%s\"; use YYYY-MM-DD"),
		    date);
	if (agent_request_run(agent, pipeline, date, "manual", 0, &run_id,
	    &err) != WK_OK)
		return control_error("%s", err.msg);
	return json_pack("{s:b, s:I, s:b, s:b}", "ok", 1, "run",
	    (json_int_t)run_id, "queued", run_id == 0, "one_shot",
	    agent->local);
}

static json_t *
agent_cmd_rerun(struct agent *agent, json_t *request,
		 const struct control_peer *peer)
{
	struct runner_rerun rr = { 0, NULL, 0, 0, 0 };
	const char *pipeline = agent_string(request, "pipeline");
	struct wk_err err = { 0, "" };
	json_t *run = json_object_get(request, "run");

	(void)peer;
	rr.from = agent_string(request, "from");
	rr.only_failed = json_is_true(json_object_get(request, "only_failed"));
	rr.force = json_is_true(json_object_get(request, "force"));
	if (pipeline == NULL || rr.from == NULL || !json_is_integer(run))
		return control_error(_("rerun needs \"pipeline\", \"from\" and "
		    "\"run\""));
	rr.run_id = json_integer_value(run);
	if (agent_rerun(agent, pipeline, &rr, &err) != WK_OK)
		return control_error("%s", err.msg);
	return json_pack("{s:b, s:I}", "ok", 1, "run", (json_int_t)rr.run_id);
}

static json_t *
agent_cmd_cancel(struct agent *agent, json_t *request,
		 const struct control_peer *peer)
{
	json_t *run = json_object_get(request, "run");
	struct agent_run *found;

	(void)peer;
	if (!json_is_integer(run))
		return control_error(_("cancel needs \"run\""));
	found = agent_find_run(agent, json_integer_value(run));
	if (found == NULL)
		return control_error(_("run %lld is not in progress"),
		    (long long)json_integer_value(run));

	/* A second cancel of a run that is stopping kills its stages now. */
	if (runner_cancelled(found->runner))
		return json_pack("{s:b, s:I, s:b, s:I}", "ok", 1, "run",
		    (json_int_t)json_integer_value(run), "killed", 1,
		    "groups", (json_int_t)runner_kill(found->runner));
	runner_cancel(found->runner);
	return json_pack("{s:b, s:I, s:b}", "ok", 1, "run",
	    (json_int_t)json_integer_value(run), "killed", 0);
}

static json_t *
agent_cmd_backfill(struct agent *agent, json_t *request,
		 const struct control_peer *peer)
{
	const char *pipeline = agent_pick_pipeline(agent, request);
	const char *from = agent_string(request, "from");
	const char *to = agent_string(request, "to");
	struct backfill_result result = { 0, 0, NULL, 0 };
	struct wk_err err = { 0, "" };
	char note[256];
	json_t *answer;

	(void)peer;
	if (pipeline == NULL && from != NULL && to != NULL)
		return agent_name_pipeline(agent);
	if (pipeline == NULL || from == NULL || to == NULL)
		return control_error(_("backfill needs \"pipeline\", \"from\" "
		    "and \"to\""));
	result.already = json_array();
	if (backfill_request(agent, pipeline, from, to, &result, &err) !=
	    WK_OK) {
		json_decref(result.already);
		return control_error("%s", err.msg);
	}
	answer = json_pack("{s:b, s:I, s:I, s:o, s:I, s:b}", "ok", 1, "runs",
	    (json_int_t)result.queued, "skipped", (json_int_t)result.skipped,
	    "already_queued", result.already, "slots_per_day",
	    (json_int_t)result.per_day, "one_shot", agent->local);
	backfill_note(&result, note, sizeof note);
	if (note[0] != '\0')
		json_object_set_new(answer, "note", json_string(note));
	return answer;
}

/* Drops the queued runs of a pipeline: `watchkeep cancel --queued`. */
static json_t *
agent_cmd_cancel_queued(struct agent *agent, json_t *request,
			const struct control_peer *peer)
{
	const char *pipeline = agent_string(request, "pipeline");
	struct wk_err err = { 0, "" };
	size_t dropped = 0;

	(void)peer;
	if (pipeline == NULL)
		return control_error(_("cancel-queued needs \"pipeline\""));
	if (agent_queue_drop(agent, pipeline, &dropped, &err) != WK_OK)
		return control_error("%s", err.msg);
	return json_pack("{s:b, s:s, s:I}", "ok", 1, "pipeline", pipeline,
	    "dropped", (json_int_t)dropped);
}

static json_t *
agent_cmd_reload(struct agent *agent, json_t *request,
		 const struct control_peer *peer)
{
	int rc;

	(void)peer;
	(void)request;
	rc = agent_reload(agent);
	if (rc == WK_ERR_STATE)
		return control_error(_("the configuration was reloaded, but "
		    "the probes or the SLO engine did not start (see the "
		    "agent's log)"));
	if (rc != WK_OK)
		return control_error(_("the new configuration is invalid; the "
		    "agent keeps the old one (see its log)"));
	return agent_ok();
}

static json_t *
agent_cmd_ack(struct agent *agent, json_t *request,
	      const struct control_peer *peer)
{
	const char *fp = agent_string(request, "fingerprint");
	const char *comment = agent_string(request, "comment");
	struct wk_err err = { 0, "" };

	if (agent->alerts == NULL)
		return control_error(_("the alert engine is not running"));
	if (fp == NULL)
		return control_error(_("ack needs \"fingerprint\""));
	if (alert_ack(agent->alerts, fp, (int64_t)peer->uid, comment,
	    clk_wall_ms(), &err) != WK_OK)
		return control_error("%s", err.msg);
	return agent_ok();
}

static json_t *
agent_cmd_silence(struct agent *agent, json_t *request,
		  const struct control_peer *peer)
{
	json_t *list = json_object_get(request, "matchers");
	json_t *duration = json_object_get(request, "duration_ms");
	const char *matchers[16];
	struct wk_err err = { 0, "" };
	int64_t now = clk_wall_ms(), id = 0;
	size_t i, n = json_array_size(list);

	if (agent->alerts == NULL)
		return control_error(_("the alert engine is not running"));
	if (n == 0 || n > 16 || !json_is_integer(duration) ||
	    json_integer_value(duration) <= 0)
		return control_error(_("silence needs 1 to 16 \"matchers\" and "
		    "a positive \"duration_ms\""));
	for (i = 0; i < n; i++) {
		matchers[i] = json_string_value(json_array_get(list, i));
		if (matchers[i] == NULL)
			return control_error(_("matchers must be strings such "
			    "as \"pipeline=churn\""));
	}
	if (alert_silence(agent->alerts, matchers, n, now, now +
	    json_integer_value(duration), (int64_t)peer->uid,
	    agent_string(request, "comment"), now, &id, &err) != WK_OK)
		return control_error("%s", err.msg);
	return json_pack("{s:b, s:I}", "ok", 1, "id", (json_int_t)id);
}

static json_t *
agent_cmd_unsilence(struct agent *agent, json_t *request,
		    const struct control_peer *peer)
{
	json_t *id = json_object_get(request, "id");
	struct wk_err err = { 0, "" };

	if (agent->alerts == NULL)
		return control_error(_("the alert engine is not running"));
	if (!json_is_integer(id))
		return control_error(_("unsilence needs \"id\""));
	if (alert_unsilence(agent->alerts, json_integer_value(id),
	    (int64_t)peer->uid, agent_string(request, "comment"),
	    clk_wall_ms(), &err) != WK_OK)
		return control_error("%s", err.msg);
	return agent_ok();
}

static const struct agent_command agent_commands[] = {
	{ "ack", agent_cmd_ack },
	{ "silence", agent_cmd_silence },
	{ "unsilence", agent_cmd_unsilence },
	{ "status", agent_cmd_status },
	{ "run-now", agent_cmd_run_now },
	{ "rerun", agent_cmd_rerun },
	{ "cancel", agent_cmd_cancel },
	{ "cancel-queued", agent_cmd_cancel_queued },
	{ "backfill", agent_cmd_backfill },
	{ "reload", agent_cmd_reload },
};

static void
agent_audit(struct agent *agent, const char *command, json_t *request,
	    const struct control_peer *peer, json_t *answer)
{
	char *args = json_dumps(request, JSON_COMPACT);
	json_t *error = json_object_get(answer, "error");

	if (strcmp(command, "status") != 0)
		store_audit(agent->store, clk_wall_ms(), (int)peer->uid,
		    (int)peer->pid, command, args, json_is_string(error) ?
		    json_string_value(error) : "ok");
	/* NOTE: the error in this line is the answer's text, so it is in
	   the client's language when the request named another locale. */
	if (strcmp(command, "status") != 0)
		LOG(LL_INFO, _("control: uid %d ran %s: %s"), (int)peer->uid,
		    command, json_is_string(error) ? json_string_value(error) :
		    "ok");
	free(args);
}

/*
 * Rejects a request for new runs that reaches an interrupted one-shot
 * agent, which only waits for the runs in progress before it exits.
 * Returns NULL when the request may go on.
 */
static json_t *
agent_reject_stopping(const struct agent *agent, const char *command)
{
	if (!agent->local || !agent->stopping)
		return NULL;
	if (strcmp(command, "run-now") != 0 && strcmp(command, "rerun") != 0 &&
	    strcmp(command, "backfill") != 0)
		return NULL;
	return control_error(_("the one-shot agent %d that holds the state "
	    "directory was interrupted and starts no new run; run the command "
	    "again when it has exited"), (int)getpid());
}

json_t *
agent_control(void *arg, json_t *request, const struct control_peer *peer)
{
	const char *command = json_string_value(json_object_get(request,
	    "command"));
	struct agent *agent = arg;
	json_t *answer = NULL;
	size_t i;

	/* The rows a request writes and its audit row share one commit. */
	store_group_begin(agent->store);
	/* A one-shot agent reports only its own command's runs, so it marks
	   the runs a request starts with the requesting pid. */
	if (agent->local)
		agent->client_pid = peer->pid > 0 ? (int)peer->pid : -1;
	answer = agent_reject_stopping(agent, command);
	for (i = 0; answer == NULL && i < sizeof agent_commands /
	    sizeof agent_commands[0]; i++) {
		if (strcmp(command, agent_commands[i].name) == 0) {
			answer = agent_commands[i].run(agent, request, peer);
			break;
		}
	}
	agent->client_pid = 0;
	if (answer == NULL)
		answer = control_error(_("unknown command \"%s\""), command);
	agent_audit(agent, command, request, peer, answer);
	store_group_end(agent->store);
	return answer;
}
