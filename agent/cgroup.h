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

/* Removes an empty stage cgroup; failures are logged. */
void cgroup_remove(const char *dir);

#endif
