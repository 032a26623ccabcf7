/*
 * Supervision of one stage run: one child process in its own process group.
 *
 * sup_start() starts a child with vfork(2). The child starts a new session
 * (so its process group id is its pid), resets the signal mask and
 * dispositions, takes stdin from /dev/null and stdout and stderr from pipes
 * (or, with log_to_files, from its log files opened for appending), closes
 * every other descriptor and executes the command. The loop then drains
 * both pipes, or reads both files, into log capture, reads the stage's
 * notify socket, enforces the timeout (SIGTERM to
 * the group, the grace period, SIGKILL to the group) and, once the child has
 * exited, kills what is left of its group, reaps it and calls done().
 * Every signal to the group also goes to the stage's processes that left
 * it: those of the stage cgroup's cgroup.procs (cgroup.h), or without a
 * cgroup those found by their environment (sup_escape.h). The counts of the
 * processes left in the group at the exit and of those that had left it
 * are logged and stored as the metrics watchkeep.leftover_processes and
 * watchkeep.escaped_processes.
 */
#ifndef WK_SUP_H
#define WK_SUP_H

#include <stdint.h>
#include <sys/types.h>

#include "agent/ev.h"
#include "core/config.h"
#include "core/rc.h"
#include "core/store.h"

/* What to start. Strings are copied; they need not outlive sup_start(). */
struct sup_spec {
	char *const *argv;        /* argument vector, or NULL to use shell */
	const char *shell;        /* command for /bin/sh -c when argv is NULL */
	char *const *envp;        /* complete environment, without NOTIFY_SOCKET */
	const char *working_dir;  /* directory the child starts in */
	const char *stage_dir;    /* log files, fallback notify socket */
	const char *label;        /* "pipeline/stage", for logs */
	int64_t run_id;           /* runs.id */
	int64_t stage_run_id;     /* stage_runs.id */
	int attempt;              /* 1-based, names the log files */
	int64_t timeout_ms;       /* 0: none */
	int64_t grace_ms;         /* SIGTERM to SIGKILL */
	int nice;                 /* added to the nice value, 0..19 */
	int64_t heartbeat_ms;     /* WATCHDOG_USEC for the stage, 0: none */
	int heartbeat_kill;       /* kill when heartbeats stop, else warn */
	int64_t memory_limit;     /* bytes, 0: none */
	int memory_rlimit;        /* also set RLIMIT_AS to memory_limit */
	const int *fatal_exit_codes; /* the stage's fatal_exit_codes, 0..255;
					copied. An exit with a declared
					code is never an allocation failure */
	size_t n_fatal_exit_codes;   /* entries of fatal_exit_codes */
	const int *retry_exit_codes; /* the stage's retry_exit_codes, 0..255;
					copied, used as fatal_exit_codes */
	size_t n_retry_exit_codes;   /* entries of retry_exit_codes */
	const char *cgroup_dir;   /* cgroup v2 directory to join, or NULL */
	const struct cfg_logs *logs; /* caps of log capture, NULL: defaults */
	int log_to_files;         /* stdout and stderr are the log files
				     themselves instead of pipes, so the
				     stage's writes outlive the agent */
};

/* Cause of an out-of-memory end of a stage run, as the agent detected it. */
enum sup_oom_cause {
	SUP_OOM_NONE,       /* not out of memory */
	SUP_OOM_RSS,        /* the polled resident memory of the group
			       passed the limit, and the agent killed it */
	SUP_OOM_CGROUP,     /* the kernel's OOM killer acted in the
			       stage's cgroup */
	SUP_OOM_ALLOCATION  /* an allocation failed under RLIMIT_AS, as
			       the last lines of the stage's stderr
			       reported (rule at sup_allocation_failed()) */
};

/* How a stage run ended. */
struct sup_result {
	int spawned;             /* the command was executed */
	int exit_code;           /* exit status, -1 when killed by a signal */
	int signal;              /* terminating signal, or 0 */
	int timed_out;           /* the timeout fired */
	int cancelled;           /* sup_cancel() stopped it */
	int heartbeat_missed;    /* killed because heartbeats stopped, or
				    by WATCHDOG=trigger */
	int watchdog_triggered;  /* heartbeat_missed came from the stage's
				    WATCHDOG=trigger */
	int out_of_memory;       /* killed for passing the memory limit */
	enum sup_oom_cause oom_cause; /* how out_of_memory was found */
	int64_t peak_group_rss;  /* largest polled sum of the RSS of the
				    group and the processes that left it,
				    bytes; 0 when not polled */
	int64_t duration_ms;     /* start to reap, from CLOCK_MONOTONIC */
	int64_t started_at;      /* wall clock ms, at fork */
	int64_t ended_at;        /* wall clock ms, at reap */
	int64_t user_cpu_ms;     /* from wait4 */
	int64_t sys_cpu_ms;      /* from wait4 */
	int64_t max_rss_kb;      /* the larger of wait4's ru_maxrss (the
				    main process, or the largest descendant
				    it waited for) and peak_group_rss */
	int64_t stdout_lines;    /* lines captured */
	int64_t stderr_lines;
	int64_t error_lines;     /* lines flagged as errors, both streams */
	char last_error[STORE_TEXT_MAX]; /* last error line, or "" */
	char reason[STORE_TEXT_MAX];     /* why it failed to start, or "" */
};

struct sup_proc;

typedef void (*sup_done_fn)(struct sup_proc *proc,
			    const struct sup_result *result, void *arg);

/*
 * Starts a stage run. On WK_OK the process runs and done() will be called
 * exactly once from the loop, after which the caller frees proc with
 * sup_free(). On an error nothing runs and err says why.
 */
int sup_start(struct ev_loop *loop, struct store *store,
	      const struct sup_spec *spec, sup_done_fn done, void *arg,
	      struct sup_proc **proc, struct wk_err *err);

/* Stops a running stage: SIGTERM to its group, then SIGKILL after grace. */
void sup_cancel(struct sup_proc *proc);

/*
 * Sends SIGKILL to the stage's group now, without waiting for the grace
 * period, and marks the result cancelled. Returns 1 when it sent the
 * signal, 0 when the main process had already exited.
 */
int sup_kill_now(struct sup_proc *proc);

/* Process id of the stage's main process (also its process group id). */
pid_t sup_pid(const struct sup_proc *proc);

/*
 * Start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat), which with the pid identifies it: a recycled pid has
 * another start time. Returns -1 when the process does not exist.
 */
int64_t sup_process_start(pid_t pid);

/* Counts the processes of group pgid that are not zombies, from /proc. */
int sup_group_alive(pid_t pgid);


/* Frees a finished stage run. */
void sup_free(struct sup_proc *proc);

#endif
