/*
 * The notify socket of one stage run: the unix datagram socket named by
 * the stage's NOTIFY_SOCKET, the sender checks, and what the datagrams
 * carry (agent/sdnotify.h): STATUS, progress, metrics, timeout extensions
 * and heartbeats, with the heartbeat checks and heartbeat_action.
 *
 * The agent that starts a stage creates the socket (stagenotify_open()).
 * An agent that adopts a stage after a restart binds a new socket at the
 * address the stage was given (stagenotify_rebind()), so the stage's
 * datagrams reach it again.
 */
#ifndef WK_STAGENOTIFY_H
#define WK_STAGENOTIFY_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/ev.h"
#include "core/store.h"

/* Minimum time between two warnings about dropped datagrams, in ms. */
#define STAGENOTIFY_FOREIGN_LOG_MS 60000

/* Callbacks with which the socket's owner acts on the stage's process. */
struct stagenotify_ops {
	/* Tells whether the stage still runs and is not being stopped. */
	int (*active)(void *arg);
	/* Stops the stage: heartbeat_action "kill" is due, because
	   heartbeats stopped (triggered 0) or the stage sent
	   WATCHDOG=trigger (triggered 1). */
	void (*stop)(void *arg, int triggered);
	/* Moves the stage's timeout to extend_us from now. */
	void (*extend)(void *arg, int64_t extend_us);
};

struct stagenotify {
	struct ev_loop *loop;          /* not owned */
	struct store *store;           /* not owned */
	int64_t run_id;                /* runs.id */
	int64_t stage_run_id;          /* stage_runs.id */
	const char *label;             /* "pipeline/stage", not owned */
	const struct stagenotify_ops *ops; /* not owned */
	void *arg;                     /* passed to ops */
	int fd;                        /* the socket, -1 when none */
	char path[PATH_MAX];           /* socket file to unlink, or "" */
	pid_t pgid;                    /* stage's process group id, which is
					  also its session id; 0: unknown */
	char cgroup_dir[PATH_MAX];     /* stage's cgroup v2 directory, or "" */
	int64_t heartbeat_ns;          /* expected heartbeat interval, 0: none */
	int heartbeat_kill;            /* heartbeat_action is "kill" */
	int64_t last_heartbeat_ns;     /* monotonic time of the last one */
	int64_t heartbeat_stored_ns;   /* monotonic time it was last stored */
	int heartbeat_warned;          /* the missed-heartbeat warning is out */
	uint64_t heartbeat_timer;      /* pending check, 0 when none */
	int64_t progress_stored_ns;    /* monotonic time of the last store */
	int64_t invalid;               /* rejected notify assignments */
	int64_t foreign;               /* datagrams dropped for their sender */
	int64_t foreign_logged;        /* value of foreign at the last warning */
	int64_t foreign_logged_ns;     /* monotonic time of that warning */
};

/*
 * Prepares sn for a stage run. label and ops must outlive sn. The heartbeat
 * action is "kill" when heartbeat_kill is set, else "warn". It also applies
 * to WATCHDOG=trigger, with or without a heartbeat interval.
 */
void stagenotify_init(struct stagenotify *sn, struct ev_loop *loop,
		      struct store *store, int64_t run_id,
		      int64_t stage_run_id, const char *label,
		      int heartbeat_kill, const struct stagenotify_ops *ops,
		      void *arg);

/*
 * Creates the socket at the abstract name "watchkeep/AGENT_PID/STAGE_RUN_ID",
 * or, when that is taken, at the file STAGE_DIR/notify.sock, and writes
 * "NOTIFY_SOCKET=ADDRESS" to env (env_size bytes). On failure it logs a
 * warning, writes "" to env and the stage runs without the socket.
 */
void stagenotify_open(struct stagenotify *sn, const char *stage_dir,
		      char *env, size_t env_size);

/*
 * Binds a new socket at address, the NOTIFY_SOCKET an earlier agent gave
 * the stage: its abstract name "@watchkeep/PID/STAGE_RUN_ID", or the file
 * STAGE_DIR/notify.sock, which is replaced with the mode of the stale one.
 * Any other address is rejected. Returns WK_OK, WK_ERR_INVALID or
 * WK_ERR_IO with errno.
 */
int stagenotify_rebind(struct stagenotify *sn, const char *address,
		       const char *stage_dir);

/*
 * Reads NOTIFY_SOCKET and WATCHDOG_USEC from the environment that process
 * pid was started with (/proc/PID/environ). address gets "" and
 * *watchdog_us -1 for a variable that is not set. Returns WK_OK, or
 * WK_ERR_IO when the environment cannot be read.
 */
int stagenotify_env_of(pid_t pid, char *address, size_t size,
		       int64_t *watchdog_us);

/*
 * Sets the stage's process group (and session) id and cgroup directory
 * (NULL: none), from which datagrams are accepted, and starts the
 * heartbeat checks when heartbeat_ms > 0: the first is judged from
 * since_ns on CLOCK_MONOTONIC.
 */
void stagenotify_watch(struct stagenotify *sn, pid_t pgid,
		       const char *cgroup_dir, int64_t heartbeat_ms,
		       int64_t since_ns);

/* Reads and applies up to max_reads datagrams waiting on the socket. */
void stagenotify_read(struct stagenotify *sn, int max_reads);

/* Cancels the heartbeat checks, closes the socket and unlinks its file. */
void stagenotify_close(struct stagenotify *sn);

#endif
