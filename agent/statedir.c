#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/paths.h"

/*
 * Sets the state directory's path, made absolute: stages get it in their
 * environment and run in their own directory, where a relative path
 * would point elsewhere.
 */
static int
statedir_set(struct statedir *sd, const char *dir, struct wk_err *err)
{
	const char *home = getenv("HOME");
	char cwd[PATH_MAX];
	int n;

	if (strncmp(dir, "~/", 2) == 0 && home != NULL)
		n = snprintf(sd->path, sizeof sd->path, "%s/%s", home, dir + 2);
	else if (dir[0] != '/' && dir[0] != '\0' &&
	    getcwd(cwd, sizeof cwd) != NULL)
		n = snprintf(sd->path, sizeof sd->path, "%s/%s", cwd, dir);
	else
		n = snprintf(sd->path, sizeof sd->path, "%s", dir);
	if (n <= 0 || (size_t)n >= sizeof sd->path - 16)
		return wk_err_set(err, WK_ERR_LIMIT, _("state directory path "
		    "is empty or too long: %s"), dir);
	while (n > 1 && sd->path[n - 1] == '/')
		sd->path[--n] = '\0';
	snprintf(sd->store_path, sizeof sd->store_path, "%s/store.db",
	    sd->path);
	return WK_OK;
}

int
statedir_resolve(struct statedir *sd, const char *cli_value,
		 const struct cfg *cfg, struct wk_err *err)
{
	const char *dir = cli_value;

	sd->lock_fd = -1;
	if (dir == NULL && cfg != NULL)
		dir = cfg->state_dir;
	if (dir == NULL)
		dir = paths_default_state_dir();
	if (dir == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("no state directory: "
		    "neither XDG_STATE_HOME nor HOME is set; pass "
		    "--state-dir DIR"));
	return statedir_set(sd, dir, err);
}

/* Reads the pid written by the holder of the lock, or 0. */
static long
statedir_holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);

	if (n <= 0)
		return 0;
	text[n] = '\0';
	return strtol(text, NULL, 10);
}

int
statedir_lock(struct statedir *sd, struct wk_err *err)
{
	char path[PATH_MAX + 16], pid[32];
	int fd, n;

	if (paths_mkdir_p(sd->path) < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot create the state "
		    "directory %s: %s"), sd->path, strerror(errno));
	snprintf(path, sizeof path, "%s/agent.lock", sd->path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot open %s: %s"), path,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long holder = statedir_holder(fd);

		close(fd);
		return wk_err_set(err, WK_ERR_BUSY, _("another watchkeep agent "
		    "(pid %ld) holds the state directory %s; stop it or use "
		    "--state-dir"), holder, sd->path);
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		close(fd);
		return wk_err_set(err, WK_ERR_IO, _("cannot write %s: %s"),
		    path, strerror(errno));
	}
	sd->lock_fd = fd;
	return WK_OK;
}

void
statedir_unlock(struct statedir *sd)
{
	if (sd->lock_fd >= 0) {
		close(sd->lock_fd);
		sd->lock_fd = -1;
	}
}
