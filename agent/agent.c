/* The long-running agent: start, signals, reload, shutdown, systemd. */
#include "agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "agent/cli.h"
#include "agent/report.h"
#include "agent/retention.h"
#include "agent/sdnotify.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"

#define AGENT_DRAIN_MS 10000

static struct cfg *
agent_load_config(const char *path, struct wk_err *err)
{
	return path != NULL ? cfg_load_file(path, err) : cfg_load_default(err);
}

static void
agent_due(void *arg, const struct cfg_pipeline *p, int64_t slot_s,
	  const char *logical_date, const char *trigger)
{
	struct agent *agent = arg;
	struct wk_err err = { 0, "" };
	int64_t run_id;

	agent_alert_slot(agent, p, slot_s, logical_date);
	if (agent_request_run(agent, p->name, logical_date, trigger, slot_s,
	    &run_id, &err) != WK_OK && err.rc != WK_ERR_BUSY)
		LOG(LL_ERROR, _("pipeline %s: the run for %s did not start: "
		    "%s"), p->name, logical_date, err.msg);
}

/* Logs the warnings the loader found in cfg. */
static void
agent_log_config_warnings(const struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_warnings; i++)
		LOG(LL_WARN, "%s", cfg->warnings[i]);
	if (cfg->n_warnings_dropped > 0)
		LOG(LL_WARN, _("%s: %zu more configuration warnings not shown; "
		    "fix the ones above and reload to see the rest"),
		    cfg->path, cfg->n_warnings_dropped);
}

/*
 * Warns when the state directory that cfg selects is not the one in use.
 * The new value is resolved as at start, where --state-dir wins over the
 * file and a relative path is taken from the agent's working directory.
 * Two paths of one directory, such as "./s" and "/abs/s" or a symbolic
 * link, match by device and inode.
 */
static void
agent_reload_warn_state_dir(const struct agent *agent, const struct cfg *cfg)
{
	struct wk_err err = { 0, "" };
	struct stat in_use, selected;
	struct statedir sd;

	if (statedir_resolve(&sd, agent->state_dir_option, cfg, &err) != WK_OK) {
		LOG(LL_WARN, _("reload: %s; the agent keeps the state directory "
		    "%s"), err.msg, agent->sd.path);
		return;
	}
	if (strcmp(sd.path, agent->sd.path) == 0)
		return;
	if (stat(sd.path, &selected) == 0 &&
	    stat(agent->sd.path, &in_use) == 0 &&
	    selected.st_dev == in_use.st_dev &&
	    selected.st_ino == in_use.st_ino)
		return;
	LOG(LL_WARN, _("reload: \"state_dir\" now selects %s, but the agent "
	    "keeps the state directory %s until it is restarted"), sd.path,
	    agent->sd.path);
}

/* Logs the settings of the new configuration that need a restart. */
static void
agent_reload_warn(const struct agent *agent, const struct cfg *old,
		  const struct cfg *cfg)
{
	agent_reload_warn_state_dir(agent, cfg);
	if (old->web.enabled != cfg->web.enabled ||
	    strcmp(old->web.host, cfg->web.host) != 0 ||
	    old->web.port != cfg->web.port ||
	    old->web.max_connections != cfg->web.max_connections)
		LOG(LL_WARN, _("reload: the web server keeps its address and "
		    "limits until the agent is restarted; only its other "
		    "settings changed"));
}

/*
 * Builds the scheduler of a reloaded configuration, which catches nothing
 * up because the agent was running. Sets *out to NULL for a one-shot or
 * stopping agent, which schedules nothing.
 */
static int
agent_reload_sched(struct agent *agent, const struct cfg *cfg,
		   struct sched **out, struct wk_err *err)
{
	*out = NULL;
	if (agent->local || agent->stopping)
		return WK_OK;

	if (agent->sched == NULL)
		return sched_new(agent->loop, agent->store, cfg, agent_due,
		    agent, out, err);
	return sched_reload(agent->sched, cfg, out, err);
}

/*
 * Loads the configuration file again and switches to it. Returns WK_OK, or
 * WK_ERR_STATE when it switched but the probes or the SLO engine did not
 * start. Any other error, with err set, means it keeps the old one.
 */
static int
agent_reload_config(struct agent *agent, struct wk_err *err)
{
	struct agent_cfg *acfg;
	struct sched *sched = NULL;
	struct cfg *cfg;
	int rc = WK_OK;

	cfg = agent_load_config(agent->config_path, err);
	if (cfg == NULL)
		return WK_ERR_INVALID;
	if (cfg_resolve_state_dir(cfg, agent->sd.path) != WK_OK) {
		cfg_free(cfg);
		return wk_err_set(err, WK_ERR_NOMEM, "%s", _("out of memory"));
	}
	acfg = calloc(1, sizeof *acfg);
	if (acfg == NULL ||
	    agent_reload_sched(agent, cfg, &sched, err) != WK_OK) {
		if (acfg == NULL)
			wk_err_set(err, WK_ERR_NOMEM, "%s", _("out of memory"));
		free(acfg);
		cfg_free(cfg);
		return WK_ERR_INVALID;
	}
	agent_log_config_warnings(cfg);
	agent_reload_warn(agent, agent->acfg->cfg, cfg);
	acfg->cfg = cfg;
	acfg->refs = 1;
	sched_free(agent->sched);
	agent->sched = sched;
	if (--agent->acfg->refs == 0) {
		cfg_free(agent->acfg->cfg);
		free(agent->acfg);
	}
	agent->acfg = acfg;
	agent_queue_drop_removed(agent);
	if (!agent->local && !agent->stopping)
		rc = agent_engines_restart(agent);
	if (!agent->local)
		agent_alerts_reload(agent);
	agent_web_reload(agent);
	return rc;
}

/*
 * Tells the service manager that a reload begins (systemd's
 * Type=notify-reload protocol, sd_notify(3)): RELOADING=1 with the time of
 * CLOCK_MONOTONIC in microseconds, which systemd compares with the time it
 * sent SIGHUP.
 */
static void
agent_notify_reloading(void)
{
	struct timespec now;
	char text[96];

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(text, sizeof text, "RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	sdnotify_send(text);
}

int
agent_reload(struct agent *agent)
{
	struct wk_err err = { 0, "" };
	char text[64 + sizeof err.msg];
	int rc;

	/* A stopping agent has sent STOPPING=1 and stays stopping. */
	if (!agent->stopping)
		agent_notify_reloading();
	rc = agent_reload_config(agent, &err);
	if (rc == WK_OK) {
		LOG(LL_INFO, _("configuration reloaded from %s"),
		    agent->acfg->cfg->path);
		if (!agent->stopping)
			sdnotify_send("READY=1\nSTATUS=supervising");
		return WK_OK;
	}

	if (rc == WK_ERR_STATE) {
		LOG(LL_ERROR, _("configuration reloaded from %s, but the probes "
		    "or the SLO engine did not start (errors above)"),
		    agent->acfg->cfg->path);
		snprintf(err.msg, sizeof err.msg, "%s", _("the probes or the "
		    "SLO engine did not start"));
	} else {
		LOG(LL_ERROR, _("reload failed, keeping the old configuration: "
		    "%s"), err.msg);
	}
	/* STATUS is one line: the message may not hold a newline. */
	err.msg[strcspn(err.msg, "\n")] = '\0';
	snprintf(text, sizeof text, "READY=1\nSTATUS=reload failed: %s",
	    err.msg);
	if (!agent->stopping)
		sdnotify_send(text);
	return rc;
}

/*
 * Cancels the runs of a stopping agent with the stop in their reasons, so
 * that a planned restart reads apart from an operator's cancel.
 */
static void
agent_cancel_stopping(struct agent *agent)
{
	const char *name = agent->stop_signal == SIGTERM ? "SIGTERM" :
	    agent->stop_signal == SIGINT ? "SIGINT" : NULL;
	char why[128];

	if (name != NULL)
		snprintf(why, sizeof why, _("the agent was stopping (%s)"),
		    name);
	else
		snprintf(why, sizeof why, "%s", _("the agent was stopping"));
	agent_cancel_all(agent, why);
}

static void
agent_shutdown_expired(struct ev_loop *loop, void *arg)
{
	struct agent *agent = arg;

	(void)loop;
	agent->shutdown_timer = 0;
	LOG(LL_WARN, _("runs still in progress after the shutdown grace "
	    "period; cancelling them"));
	agent_cancel_stopping(agent);
}

/*
 * SIGTERM, SIGINT in a one-shot agent: cancels the runs of its own command
 * at once and starts no new run. Runs that other commands handed over go
 * on, so that their commands report them, until a second signal.
 */
static void
agent_stop_local(struct ev_loop *loop, int signo, struct agent *agent)
{
	agent->stopping = 1;
	agent->stop_signal = signo;
	LOG(LL_INFO, _("received %s; cancelling the runs of this command"),
	    strsignal(signo));
	if (agent_interrupt_local(agent) == 0 && agent->n_runs == 0)
		ev_stop(loop);
}

/* SIGTERM, SIGINT: stop scheduling, let runs end, then stop them. */
static void
agent_stop_signal(struct ev_loop *loop, int signo, void *arg)
{
	struct agent *agent = arg;

	if (agent->stopping) {
		LOG(LL_WARN, _("received %s again; cancelling the runs now"),
		    strsignal(signo));
		agent_cancel_stopping(agent);
		return;
	}
	if (agent->local) {
		agent_stop_local(loop, signo, agent);
		return;
	}
	agent->stopping = 1;
	agent->stop_signal = signo;
	LOG(LL_INFO, _("received %s; stopping: no new runs, %zu in progress "
	    "get %lld ms to end"), strsignal(signo), agent->n_runs,
	    (long long)agent->shutdown_grace_ms);
	sdnotify_send("STOPPING=1\nSTATUS=stopping");
	sched_free(agent->sched);
	agent->sched = NULL;
	agent_queue_log_kept(agent);
	agent->n_queued = 0;
	if (agent->n_runs == 0) {
		ev_stop(loop);
		return;
	}
	agent->shutdown_timer = ev_timer_at(loop, clk_mono_ns() +
	    agent->shutdown_grace_ms * 1000000, agent_shutdown_expired, agent);
}

static void
agent_hup(struct ev_loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	LOG(LL_INFO, _("received SIGHUP; reloading the configuration"));
	agent_reload(arg);
}

/* Pings systemd's watchdog at half its interval. */
static void
agent_watchdog(struct ev_loop *loop, void *arg)
{
	struct agent *agent = arg;

	sdnotify_send("WATCHDOG=1");
	ev_timer_at(loop, clk_mono_ns() + agent->watchdog_us * 500,
	    agent_watchdog, agent);
}

/* Reads WATCHDOG_USEC when it is meant for this process. */
static void
agent_setup_watchdog(struct agent *agent)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");

	if (usec == NULL || (pid != NULL && atol(pid) != (long)getpid()))
		return;
	agent->watchdog_us = atoll(usec);
	if (agent->watchdog_us > 0)
		ev_timer_at(agent->loop, clk_mono_ns() +
		    agent->watchdog_us * 500, agent_watchdog, agent);
}

/*
 * Holds SIGTERM, SIGINT and SIGHUP until their handlers are installed, so
 * that one arriving during the start is handled (a run is cancelled, not
 * the process killed half-way through opening the store).
 */
static void
agent_block_signals(struct agent *agent)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &agent->old_mask);
	/*
	 * A closed stderr must not kill the agent halfway through a store
	 * migration. The stages get every signal back to its default.
	 */
	signal(SIGPIPE, SIG_IGN);
}

/* Loads the configuration, takes the lock and opens store and loop. */
static int
agent_init(struct agent *agent, const struct agent_opts *opts)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	agent->config_path = opts->config_path;
	agent->state_dir_option = opts->state_dir;
	agent->shutdown_grace_ms = AGENT_SHUTDOWN_GRACE_MS;
	agent_block_signals(agent);
	cfg = agent_load_config(opts->config_path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return CLI_EXIT_CONFIG;
	}
	if (!opts->keep_log_level)
		log_min_level = cfg->log_level;
	agent_log_config_warnings(cfg);
	agent->acfg = calloc(1, sizeof *agent->acfg);
	if (agent->acfg == NULL) {
		cfg_free(cfg);
		return CLI_EXIT_STATE;
	}
	agent->acfg->cfg = cfg;
	agent->acfg->refs = 1;
	if (statedir_resolve(&agent->sd, opts->state_dir, cfg, &err) != WK_OK ||
	    cfg_resolve_state_dir(cfg, agent->sd.path) != WK_OK ||
	    statedir_lock(&agent->sd, &err) != WK_OK) {
		/* A one-shot caller hands its work to the agent instead. */
		if (!(agent->local && err.rc == WK_ERR_BUSY))
			fprintf(stderr, "watchkeep: %s\n", err.msg);
		return err.rc == WK_ERR_BUSY ? CLI_EXIT_BUSY : CLI_EXIT_STATE;
	}
	if (store_open(agent->sd.store_path, STORE_READ_WRITE, &agent->store,
	    &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	/* The event loop leaves the checkpoints' disk flushes to a thread. */
	if (store_checkpoint_in_background(agent->store, 0, &err) != WK_OK)
		LOG(LL_WARN, _("%s; commits checkpoint the store themselves"),
		    err.msg);
	agent->loop = ev_loop_new();
	if (agent->loop == NULL) {
		fprintf(stderr, _("watchkeep: cannot create the event loop\n"));
		return CLI_EXIT_STATE;
	}
	return CLI_EXIT_OK;
}

/* Installs signals, the subreaper role and cgroups; reconciles old runs. */
static void
agent_prepare(struct agent *agent)
{
	struct wk_err err = { 0, "" };

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ev_signal(agent->loop, SIGTERM, agent_stop_signal, agent);
	ev_signal(agent->loop, SIGINT, agent_stop_signal, agent);
	ev_signal(agent->loop, SIGHUP, agent_hup, agent);
	sigprocmask(SIG_SETMASK, &agent->old_mask, NULL);
	if (cgroup_setup(agent->cgroup_root, sizeof agent->cgroup_root,
	    &err) != WK_OK) {
		agent->cgroup_root[0] = '\0';
		LOG(LL_DEBUG, _("stage memory limits poll the resident memory: "
		    "%s"), err.msg);
	}
	agent_alerts_start(agent);
	recover_runs(agent);
}

static void
agent_fini(struct agent *agent)
{
	size_t i;

	agent_web_stop(agent);
	control_close(agent->control);
	sched_free(agent->sched);
	agent_engines_stop(agent);
	agent_alerts_stop(agent);
	for (i = 0; i < agent->n_runs; i++) {
		runner_free(agent->runs[i]->runner);
		agent->runs[i]->acfg->refs--;
		free(agent->runs[i]);
	}
	if (agent->acfg != NULL && --agent->acfg->refs <= 0) {
		cfg_free(agent->acfg->cfg);
		free(agent->acfg);
	}
	ev_loop_free(agent->loop);
	store_close(agent->store);
	statedir_unlock(&agent->sd);
	sigprocmask(SIG_SETMASK, &agent->old_mask, NULL);
}

/* Removes old runs and logs, then waits for the next pass. */
static void
agent_retention(struct ev_loop *loop, void *arg)
{
	struct agent *agent = arg;
	struct retention_result result;

	if (retention_pass(agent->store, agent->acfg->cfg, agent->sd.path,
	    clk_wall_ms(), &result) != WK_OK)
		LOG(LL_WARN, _("retention pass failed; it runs again in %d s"),
		    RETENTION_INTERVAL_MS / 1000);
	ev_timer_at(loop, clk_mono_ns() + RETENTION_INTERVAL_MS *
	    INT64_C(1000000), agent_retention, agent);
}

/* Opens the control socket, and the schedules unless one-shot. */
static int
agent_serve(struct agent *agent)
{
	struct wk_err err = { 0, "" };
	char path[PATH_MAX + 16];
	int code;

	snprintf(path, sizeof path, "%s/control.sock", agent->sd.path);
	if (control_listen(agent->loop, path, agent_control, agent,
	    &agent->control, &err) != WK_OK || (!agent->local &&
	    sched_new(agent->loop, agent->store, agent->acfg->cfg, agent_due,
	    agent, &agent->sched, &err) != WK_OK)) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	if (agent->local)
		return CLI_EXIT_OK;
	code = agent_web_start(agent);
	if (code != CLI_EXIT_OK)
		return code;
	agent_setup_watchdog(agent);
	ev_timer_at(agent->loop, clk_mono_ns() + 60 * INT64_C(1000000000),
	    agent_retention, agent);
	agent_engines_start(agent);
	sdnotify_send("READY=1\nSTATUS=supervising");
	LOG(LL_INFO, _("agent %d started: state directory %s, configuration "
	    "%s"), (int)getpid(), agent->sd.path, agent->acfg->cfg->path);
	return CLI_EXIT_OK;
}

int
agent_main(const struct agent_opts *opts)
{
	struct agent *agent = calloc(1, sizeof *agent);
	int code;

	if (agent == NULL)
		return CLI_EXIT_STATE;
	code = agent_init(agent, opts);
	if (code == CLI_EXIT_OK) {
		agent_prepare(agent);
		agent_queue_restore(agent);
		code = agent_serve(agent);
	}
	if (code == CLI_EXIT_OK) {
		agent_start_queued(agent);
		code = ev_run(agent->loop) == WK_OK ? CLI_EXIT_OK :
		    CLI_EXIT_STATE;
	}
	if (code == CLI_EXIT_OK)
		LOG(LL_INFO, _("agent %d stopped"), (int)getpid());
	agent_fini(agent);
	free(agent);
	return code;
}

/*
 * Gives the alert messages of a one-shot run up to AGENT_DRAIN_MS to be
 * delivered before the process exits; what is left stays in the outbox
 * for the next agent.
 */
static void
agent_drain_alerts(struct agent *agent)
{
	int64_t deadline = clk_mono_ns() + AGENT_DRAIN_MS * INT64_C(1000000);

	while (agent->alerts != NULL && alert_engine_backlog(agent->alerts) >
	    0 && clk_mono_ns() < deadline)
		ev_run_once(agent->loop, 100);
}

/*
 * Serves the runs that other commands handed over to this one-shot agent
 * until they end, because the lock and the socket go with the process.
 * NOTE: the agent keeps taking new hand-overs meanwhile, so commands that
 * keep handing runs over keep it alive.
 */
static void
agent_serve_handed_over(struct agent *agent)
{
	size_t n = agent_count_work(agent, 0);

	if (n == 0)
		return;
	LOG(LL_INFO, P_("this command's runs ended; waiting for %zu run that "
	    "another command handed over", "this command's runs ended; "
	    "waiting for %zu runs that other commands handed over", n), n);
	while (agent->n_runs > 0 || agent->n_queued > 0) {
		if (ev_run_once(agent->loop, -1) != WK_OK)
			break;
	}
}

static void
agent_print_local(struct agent *agent, int json)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < agent->n_finished_runs; i++) {
		if (json) {
			json_t *run = report_run_json(agent->store,
			    agent->finished_runs[i]);

			if (run != NULL)
				json_array_append_new(list, run);
			continue;
		}
		if (i > 0)
			printf("\n");
		report_run_text(stdout, agent->store, agent->finished_runs[i]);
	}
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		printf("\n");
	} else if (agent->n_finished_runs > 0) {
		printf(_("\nStore: %s\n"), store_path(agent->store));
	}
	json_decref(list);
}

int
agent_run_local(const struct agent_opts *opts,
		int (*queue)(struct agent *agent, void *arg,
			     struct wk_err *err),
		void *arg, int json)
{
	struct agent *agent = calloc(1, sizeof *agent);
	struct wk_err err = { 0, "" };
	int code;

	if (agent == NULL)
		return CLI_EXIT_STATE;
	agent->local = 1;
	code = agent_init(agent, opts);
	if (code == CLI_EXIT_OK) {
		agent_prepare(agent);
		code = agent_serve(agent);
	}
	if (code == CLI_EXIT_OK) {
		if (queue(agent, arg, &err) != WK_OK) {
			fprintf(stderr, "watchkeep: %s\n", err.msg);
			code = CLI_EXIT_FAILED;
		}
	}
	while (code == CLI_EXIT_OK && agent_count_work(agent, 1) > 0 &&
	    ev_run_once(agent->loop, -1) == WK_OK)
		;
	if (code == CLI_EXIT_OK) {
		agent_print_local(agent, json);
		fflush(stdout);
		code = agent->runs_failed > 0 || agent->n_finished_runs == 0 ?
		    CLI_EXIT_FAILED : CLI_EXIT_OK;
		agent_serve_handed_over(agent);
	}
	/* Runs handed over and still queued, because the loop failed, wait in
	   the store for the next agent. */
	agent_queue_keep_handed_over(agent);
	agent_drain_alerts(agent);
	agent_fini(agent);
	free(agent);
	return code;
}
