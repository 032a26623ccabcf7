/*
 * The agent's state directory: store.db, agent.lock, control.sock and
 * runs/. One agent a directory: the writer holds an exclusive flock(2) on
 * agent.lock for as long as it runs, and writes its pid into the file.
 */
#ifndef WK_STATEDIR_H
#define WK_STATEDIR_H

#include <limits.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/rc.h"

struct statedir {
	char path[PATH_MAX];        /* the directory */
	char store_path[PATH_MAX + 16]; /* path/store.db */
	int lock_fd;                /* agent.lock, -1 when not held */
};

/*
 * Picks the directory: the command-line value, else the configuration's
 * state_dir, else the default ($XDG_STATE_HOME/watchkeep or
 * ~/.local/state/watchkeep). A leading "~/" means $HOME.
 */
int statedir_resolve(struct statedir *sd, const char *cli_value,
		     const struct cfg *cfg, struct wk_err *err);

/*
 * Creates the directory (mode 0700) and takes the lock. Returns WK_ERR_BUSY
 * with the holder's pid in err when another agent holds it.
 */
int statedir_lock(struct statedir *sd, struct wk_err *err);

/* Releases the lock. */
void statedir_unlock(struct statedir *sd);

#endif
