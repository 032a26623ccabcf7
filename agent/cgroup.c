#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/log.h"
#include "core/procfs.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"

/* Writes text to a cgroup file. Returns 0, or -1 with errno set. */
static int
cgroup_write(const char *dir, const char *file, const char *text)
{
	char path[4096];
	ssize_t n;
	int fd, saved;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >=
	    sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Reads the agent's cgroup v2 path ("0::/path") into out. */
static int
cgroup_own_path(char *out, size_t size)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s%s", CGROUP_MOUNT, line + 3);
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* Tells whether the memory controller is listed in dir/FILE. */
static int
cgroup_has_memory(const char *dir, const char *file)
{
	char path[4096], text[512];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(text, sizeof text, f) != NULL)
		found = strstr(text, "memory") != NULL;
	fclose(f);
	return found;
}

int
cgroup_setup(char *root, size_t size, struct wk_err *err)
{
	char leaf[4200];
	struct stat st;

	if (stat(CGROUP_MOUNT "/cgroup.controllers", &st) != 0)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("cgroup v2 is not "
		    "mounted at %s"), CGROUP_MOUNT);
	if (cgroup_own_path(root, size) < 0 ||
	    !cgroup_has_memory(root, "cgroup.controllers"))
		return wk_err_set(err, WK_ERR_NOTFOUND, _("the memory "
		    "controller is not available to the agent's cgroup"));
	if (cgroup_has_memory(root, "cgroup.subtree_control"))
		return WK_OK;

	snprintf(leaf, sizeof leaf, "%s/watchkeep-agent", root);
	if ((mkdir(leaf, 0755) < 0 && errno != EEXIST) ||
	    cgroup_write(leaf, "cgroup.procs", "0") < 0 ||
	    cgroup_write(root, "cgroup.subtree_control", "+memory") < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot enable the memory "
		    "controller below %s: %s"), root, strerror(errno));
	LOG(LL_INFO, _("stage memory limits use cgroups below %s"), root);
	return WK_OK;
}

int
cgroup_create_stage(const char *root, int64_t stage_run_id, int64_t limit,
		    char *dir, size_t size, struct wk_err *err)
{
	char text[32];

	snprintf(dir, size, "%s/stage-%lld", root, (long long)stage_run_id);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto fail;
	snprintf(text, sizeof text, "%lld", (long long)limit);
	if (cgroup_write(dir, "memory.max", text) < 0)
		goto fail;
	/* Without swap off, a stage could page out past its limit. */
	if (cgroup_write(dir, "memory.swap.max", "0") < 0 && errno != ENOENT)
		LOG(LL_DEBUG, _("cannot turn swap off in %s: %s"), dir,
		    strerror(errno));
	return WK_OK;

fail:
	wk_err_set(err, WK_ERR_IO, _("cannot create the cgroup %s: %s"), dir,
	    strerror(errno));
	rmdir(dir);
	dir[0] = '\0';
	return WK_ERR_IO;
}

/* Tells whether pid exists and is no zombie, from /proc/PID/stat. */
static int
cgroup_pid_running(pid_t pid)
{
	char text[512], state;

	if (procfs_read(pid, "stat", text, sizeof text) <= 0)
		return 0;
	state = procfs_stat_state(text);
	return state != '\0' && state != 'Z';
}

int
cgroup_signal_procs(const char *dir, int signo)
{
	char path[4096];
	pid_t self = getpid();
	long pid;
	int read_pids = 0, alive = 0;
	FILE *f;

	if ((size_t)snprintf(path, sizeof path, "%s/cgroup.procs", dir) >=
	    sizeof path)
		return -1;
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (read_pids < CGROUP_PROCS_MAX && fscanf(f, "%ld", &pid) == 1) {
		read_pids++;
		/* Guards against a kill(0) or kill(-1) of the agent's own
		   group or of every process it may signal. */
		if (pid <= 0 || pid == (long)self ||
		    !cgroup_pid_running((pid_t)pid))
			continue;
		alive += kill((pid_t)pid, signo) == 0;
	}
	fclose(f);
	return alive;
}

int
cgroup_kill(const char *dir)
{
	int saved;

	if (cgroup_write(dir, "cgroup.kill", "1") == 0)
		return 0;
	saved = errno;
	if (cgroup_signal_procs(dir, SIGKILL) >= 0)
		return 0;
	errno = saved;
	return -1;
}

void
cgroup_remove(const char *dir)
{
	struct timespec pause = { 0, 5 * 1000000L };
	int waited_ms = 0, rc;

	rc = rmdir(dir);
	if (rc < 0 && errno == EBUSY) {
		if (cgroup_kill(dir) < 0)
			LOG(LL_WARN, _("cannot kill the processes of the cgroup "
			    "%s: %s"), dir, strerror(errno));
		errno = EBUSY;
	}
	while (rc < 0 && errno == EBUSY && waited_ms < CGROUP_REMOVE_WAIT_MS) {
		nanosleep(&pause, NULL);
		waited_ms += 5;
		rc = rmdir(dir);
	}
	if (rc < 0 && errno != ENOENT)
		LOG(LL_WARN, _("cannot remove the cgroup %s: %s"), dir,
		    strerror(errno));
}
