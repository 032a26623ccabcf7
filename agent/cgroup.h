/*
 * Memory limits through cgroup v2: one cgroup a stage run, with memory.max
 * set, below the agent's own cgroup.
 *
 * The agent can only do this where cgroup v2 is mounted at /sys/fs/cgroup
 * with the memory controller available to its cgroup and writable by it,
 * as under systemd with Delegate=yes. It then moves itself into a leaf
 * "watchkeep-agent" so that its cgroup may enable the memory controller for
 * the stage cgroups (cgroup v2 forbids processes in a cgroup that
 * distributes controllers to children). Elsewhere (cgroup v1, containers
 * without delegation) cgroup_setup() fails and the runner falls back to
 * polling the resident memory of the stage's process group.
 */
#ifndef WK_CGROUP_H
#define WK_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define CGROUP_PROCS_MAX 4096     /* pids read of one cgroup.procs */
#define CGROUP_REMOVE_WAIT_MS 100 /* wait for a killed cgroup to empty */

/*
 * Prepares the agent's cgroup for stage cgroups and writes its directory
 * into root. Returns WK_OK, or an error with err saying why not.
 */
int cgroup_setup(char *root, size_t size, struct wk_err *err);

/*
 * Creates root/stage-ID with memory.max = limit bytes (and swap off where
 * the kernel offers memory.swap.max) and writes its path into dir.
 */
int cgroup_create_stage(const char *root, int64_t stage_run_id, int64_t limit,
			char *dir, size_t size, struct wk_err *err);

/*
 * Sends signo (0: none, to probe) to every process listed in
 * dir/cgroup.procs that is no zombie, at most CGROUP_PROCS_MAX of them, and
 * never to pid 0, -1 or the agent. Returns how many it signalled, or -1
 * when the file cannot be read. NOTE: a pid is read before it is
 * signalled, so a process that ended in between and whose pid was reused
 * outside the cgroup would get the signal.
 */
int cgroup_signal_procs(const char *dir, int signo);

/*
 * Kills every process of the cgroup dir, also those that left the stage's
 * process group: writes "1" to dir/cgroup.kill (Linux 5.14 and later),
 * else sends SIGKILL to each process in dir/cgroup.procs. Returns 0, or -1
 * with errno set when neither worked.
 */
int cgroup_kill(const char *dir);

/*
 * Removes a stage cgroup. When processes are still in it, kills them with
 * cgroup_kill() and retries for up to CGROUP_REMOVE_WAIT_MS, blocking the
 * caller; a failure is logged.
 */
void cgroup_remove(const char *dir);

#endif
