/*
 * The long-running agent (`watchkeep run`): one process per state
 * directory that schedules and supervises the pipelines, and hosts the
 * control socket. Its parts share struct agent:
 *
 *   agent.c          start, signals, reload, shutdown, systemd notify
 *   agent_runs.c     run requests, the overlap policy and the run queue
 *   agent_queue.c    the queue's rows in the store, duplicates, --queued
 *   agent_control.c  the commands of the control socket
 *   recover.c        reconciliation of runs a previous agent left running
 *
 * Everything runs on one event loop thread.
 */
#ifndef WK_AGENT_H
#define WK_AGENT_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>

#include "agent/alert.h"
#include "agent/control.h"
#include "agent/ev.h"
#include "agent/runner.h"
#include "agent/sched.h"
#include "agent/statedir.h"
#include "core/config.h"
#include "core/store.h"

#define AGENT_MAX_RUNS 256      /* runs in progress at once */
#define AGENT_MAX_QUEUED 1024   /* run requests waiting for their turn */
#define AGENT_SHUTDOWN_GRACE_MS 30000

/* A configuration shared by the runs started under it. */
struct agent_cfg {
	struct cfg *cfg;  /* owned */
	int refs;         /* the agent's current one, plus one a run */
};

/* A run in progress. */
struct agent_run {
	struct runner *runner;      /* owned */
	struct agent_cfg *acfg;     /* holds a reference */
	struct agent *agent;        /* back pointer */
	int client_pid;             /* one-shot agent: pid of the command
				       that handed the run over, 0: its own */
};

/* A run waiting for the one before it to end (overlap policy queue). */
struct agent_request {
	char pipeline[CFG_NAME_MAX];  /* pipeline name */
	char logical_date[16];        /* YYYY-MM-DD */
	char trigger[16];             /* schedule, manual, backfill, ... */
	int64_t slot_s;               /* schedule slot, 0: none */
	int64_t queue_id;             /* run_queue.id, 0: not stored */
	int client_pid;               /* as in struct agent_run */
};

struct web_server;

struct agent {
	struct ev_loop *loop;                 /* owned */
	struct store *store;                  /* owned */
	struct statedir sd;                   /* holds the lock */
	const char *state_dir_option;         /* --state-dir, or NULL */
	const char *config_path;              /* NULL: embedded default */
	struct agent_cfg *acfg;               /* the current configuration */
	struct sched *sched;                  /* owned; NULL while stopping */
	struct control_server *control;       /* owned */
	struct alert_engine *alerts;          /* owned; NULL when it failed */
	struct agent_cfg *alerts_cfg;         /* the configuration it reads,
						 with a reference */
	struct probe_engine *probes;          /* owned; NULL when none run */
	struct slo_engine *slos;              /* owned; NULL when none run */
	struct web_server *web;               /* owned; NULL when not serving */
	struct agent_cfg *engines_cfg;        /* the configuration they use,
						 with a reference */
	uint64_t slo_timer;                   /* next SLO tick, 0: none */
	char cgroup_root[PATH_MAX];           /* "" where cgroups are off */
	struct agent_run *runs[AGENT_MAX_RUNS];   /* owned, n_runs in use */
	size_t n_runs;
	struct agent_request queue[AGENT_MAX_QUEUED]; /* FIFO; a daemon
						 agent mirrors it in the
						 store's run_queue */
	size_t n_queued;
	int stopping;                         /* SIGTERM or SIGINT seen */
	int stop_signal;                      /* the signal that started the
						 stop, 0: none */
	int64_t shutdown_grace_ms;            /* wait before cancelling */
	uint64_t shutdown_timer;              /* pending cancel, 0: none */
	int64_t watchdog_us;                  /* systemd's WATCHDOG_USEC, 0 */
	int local;                            /* one-shot: no schedules;
						 stops when idle */
	int client_pid;                       /* one-shot: pid of the command
						 whose request is being
						 served, 0: its own */
	size_t runs_failed;                   /* own runs that ended failed */
	int64_t finished_runs[64];            /* own run ids, for the one-shot
						 report */
	size_t n_finished_runs;
	int exit_code;                        /* returned by agent_main() */
	sigset_t old_mask;                    /* signal mask before start */
};

/* Options of `watchkeep run` without --once. */
struct agent_opts {
	const char *config_path;  /* -c, or NULL for the embedded default */
	const char *state_dir;    /* --state-dir, or NULL */
	int keep_log_level;       /* --log-level, -v or -q set the level */
};

/* Runs the agent until SIGTERM or SIGINT; returns the exit status. */
int agent_main(const struct agent_opts *opts);

/*
 * Runs what queue() asks for (through agent_request_run, agent_rerun or
 * agent_enqueue) in a one-shot agent that holds the lock and serves the
 * control socket but has no schedules, waits until every run ended, prints
 * each with report_run_text() (or JSON when json is set) and returns the
 * exit status: 0 when every run succeeded. For the CLI when no agent runs.
 * Runs that other commands hand over through the socket are neither
 * printed nor counted in the exit status, but the agent serves them until
 * they end before it returns. The first SIGINT or SIGTERM cancels only its
 * own runs, and a second one cancels the handed-over runs too.
 */
int agent_run_local(const struct agent_opts *opts,
		    int (*queue)(struct agent *agent, void *arg,
				 struct wk_err *err),
		    void *arg, int json);

/*
 * Loads the configuration file again; on success the new one applies to
 * runs started from now on and the schedules restart from it. An invalid
 * file leaves the old configuration in force and returns its error.
 * WK_ERR_STATE means the new configuration applies but the probe or SLO
 * engine did not start on it. Under a service manager (NOTIFY_SOCKET) it
 * sends RELOADING=1 and MONOTONIC_USEC before, and READY=1 with a STATUS
 * after, also after a failure, unless the agent is stopping.
 */
int agent_reload(struct agent *agent);

/* agent_runs.c */

/*
 * Fills err with WK_ERR_NOTFOUND and "no pipeline named NAME", the nearest
 * configured name and the list of them (namehint_pipelines()); returns
 * WK_ERR_NOTFOUND.
 */
int agent_unknown_pipeline(const struct agent *agent, const char *name,
			   struct wk_err *err);

/*
 * Asks for a run of pipeline: starts it, queues it or drops it by the
 * pipeline's overlap policy. A NULL logical_date is today in the pipeline's
 * time_zone by the agent's wall clock, the date a slot now would get. Returns WK_OK with *run_id set (0 when queued),
 * WK_ERR_BUSY when the policy drops it, when it would be queued but a
 * run for the date is queued or in progress already (see
 * agent_queue_has()), or, in a one-shot agent, when a run for the date is
 * queued in the store, or another error with err filled.
 */
int agent_request_run(struct agent *agent, const char *pipeline,
		      const char *logical_date, const char *trigger,
		      int64_t slot_s, int64_t *run_id, struct wk_err *err);

/* Starts a re-run of an existing run (see runner_resume). */
int agent_rerun(struct agent *agent, const char *pipeline,
		const struct runner_rerun *rr, struct wk_err *err);

/*
 * Queues a run whatever the overlap policy; it starts when its turn comes.
 * A daemon agent also stores it in run_queue (and sets rq->queue_id), so
 * that it survives a restart; a one-shot agent keeps it in memory only.
 */
int agent_enqueue(struct agent *agent, const struct agent_request *rq,
		  struct wk_err *err);

/* Starts the queued runs whose pipeline has no run in progress. */
void agent_start_queued(struct agent *agent);

/* Finds the run in progress with this id, or NULL. */
struct agent_run *agent_find_run(struct agent *agent, int64_t run_id);

/*
 * Cancels every run in progress, with why as the cause in their reasons
 * (see runner_cancel_because()), and empties the queue in memory. The
 * stored rows of a daemon agent stay: they start after the next start.
 */
void agent_cancel_all(struct agent *agent, const char *why);

/*
 * Counts the runs in progress and the queued runs of a one-shot agent's
 * own command (own set), or those that other commands handed over through
 * the control socket (own 0). A daemon agent's runs all count as own.
 */
size_t agent_count_work(const struct agent *agent, int own);

/*
 * Stops the work of a one-shot agent on its first SIGINT or SIGTERM:
 * cancels its own runs as `watchkeep cancel` does, drops every queued
 * run, and lets the runs that other commands handed over go on. Returns
 * how many of those are in progress.
 */
size_t agent_interrupt_local(struct agent *agent);

/* Frees the runs that finished and starts queued ones that may start. */
void agent_reap_runs(struct agent *agent);

/* agent_queue.c */

/*
 * Stores a run the agent queues, unless the agent is one-shot; sets
 * rq->queue_id. Called by agent_enqueue().
 */
int agent_queue_store(struct agent *agent, struct agent_request *rq,
		      struct wk_err *err);

/*
 * Tells whether a run of pipeline for logical_date is queued already, or,
 * with running set, in progress. A slot (slot_s) of 0 on either side
 * matches every run of the date. Otherwise the slots must be equal, so
 * that the slots of an hourly schedule on one date are distinct. A
 * one-shot agent also looks in the store's run_queue, whose rows wait
 * for the next daemon agent; a daemon agent has them in memory.
 */
int agent_queue_has(struct agent *agent, const char *pipeline,
		    const char *logical_date, int64_t slot_s, int running);

/*
 * Loads the runs a previous agent left queued in the store, in their
 * order, and logs how many per pipeline. Rows of a pipeline that is no
 * longer configured are dropped, with a warning.
 */
void agent_queue_restore(struct agent *agent);

/* Logs how many queued runs stay in the store for the next start. */
void agent_queue_log_kept(struct agent *agent);

/*
 * Writes the queued runs that other commands handed over to a stopping
 * one-shot agent to the store's run_queue, logs per pipeline that they
 * start when an agent next runs, and removes them from the queue in
 * memory. A run whose row cannot be written is dropped with an error.
 * Returns how many runs were kept.
 */
size_t agent_queue_keep_handed_over(struct agent *agent);

/*
 * Drops every queued run of pipeline, in memory and in the store, and
 * sets *dropped. Returns WK_ERR_NOTFOUND when the pipeline is neither
 * configured nor queued.
 */
int agent_queue_drop(struct agent *agent, const char *pipeline,
		     size_t *dropped, struct wk_err *err);

/*
 * Drops the queued runs of every pipeline that agent->acfg no longer
 * configures, in memory and, unless the agent is one-shot, in the store,
 * with one warning per pipeline. Called after a reload, so that they do
 * not fail one by one when their turn comes.
 */
void agent_queue_drop_removed(struct agent *agent);

/* The listener every runner of the agent reports to. */
extern const struct runner_listener agent_runner_listener;

/* agent_control.c */

/* Answers one control request; the control server's handler. */
json_t *agent_control(void *arg, json_t *request,
		      const struct control_peer *peer);

/* agent_alerts.c */

/* Starts the alert engine and the periodic health and forecast checks. */
int agent_alerts_start(struct agent *agent);

/*
 * Replaces the alert engine by one on the current configuration, after a
 * reload. The new engine takes its state over from the store, as after a
 * restart of the agent.
 */
void agent_alerts_reload(struct agent *agent);

/* Frees the alert engine and drops its reference to its configuration. */
void agent_alerts_stop(struct agent *agent);

/* Raises or clears the alerts of a stage that ended. */
void agent_alert_stage(struct agent *agent, struct runner *runner,
		       const struct runner_stage_event *ev);

/* Raises or clears the run-level failure alert of a run that ended. */
void agent_alert_run(struct agent *agent, struct runner *runner);

/* Arms the deadline check of a scheduled slot of a pipeline. */
void agent_alert_slot(struct agent *agent, const struct cfg_pipeline *p,
		      int64_t slot_s, const char *logical_date);

/* agent_engines.c */

/* Starts the probe and SLO engines on the current configuration. */
int agent_engines_start(struct agent *agent);

/*
 * Restarts both engines on the current configuration, after a reload.
 * Returns WK_ERR_STATE when either did not start (its error is logged).
 */
int agent_engines_restart(struct agent *agent);

/* Stops and frees both engines. */
void agent_engines_stop(struct agent *agent);

/* agent_web.c */

/*
 * Starts the web server of the "web" section (127.0.0.1:8470 without
 * one) for a daemon agent. Returns a CLI_EXIT_* status: CLI_EXIT_CONFIG
 * for a non-loopback address without authentication, CLI_EXIT_STATE when
 * an address given in the configuration cannot be bound. Without a "web"
 * section, a port already in use is logged and the agent goes on.
 */
int agent_web_start(struct agent *agent);

/* Gives the web server the configuration loaded again after a reload. */
void agent_web_reload(struct agent *agent);

/* Stops the web server; call before the store closes. */
void agent_web_stop(struct agent *agent);

/* recover.c */

/*
 * Reconciles what a previous agent left running: a stage whose process is
 * gone is marked failed ("agent restarted"); one still running is killed
 * with its group, or adopted where its stage says so; then each such run
 * is resumed for its interrupted stages when their retry policy allows, and
 * finished as failed otherwise. No run stays "running".
 */
int recover_runs(struct agent *agent);

#endif
