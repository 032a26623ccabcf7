/* syscall(2) is a GNU interface. */
#define _GNU_SOURCE

#include "sup_escape.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/procfs.h"

/* Fields of /proc/PID/stat that the scan uses. */
struct sup_escape_stat {
	char state;                      /* R, S, D, Z, ... */
	long long pgrp;                  /* process group id */
	long long start;                 /* start time, clock ticks since boot */
	char comm[SUP_ESCAPE_COMM_MAX];  /* command name */
};

/* Fills out from the entry of envp named name ("NAME="); 0, or -1. */
static int
sup_escape_entry(const char *const *envp, const char *name, char *out,
		 size_t size)
{
	size_t len = strlen(name);
	int n;

	for (; *envp != NULL; envp++) {
		if (strncmp(*envp, name, len) != 0)
			continue;
		n = snprintf(out, size, "%s", *envp);
		return n > 0 && (size_t)n < size ? 0 : -1;
	}
	return -1;
}

void
sup_escape_init(struct sup_escape *esc, const char *const *envp)
{
	static const char *const names[SUP_ESCAPE_ENTRIES] = {
		"WATCHKEEP_RUN_ID=", "WATCHKEEP_STAGE=", "WATCHKEEP_STATE_DIR=",
	};
	size_t i;

	memset(esc, 0, sizeof *esc);
	if (envp == NULL)
		return;
	for (i = 0; i < SUP_ESCAPE_ENTRIES; i++) {
		if (sup_escape_entry(envp, names[i], esc->entries[i],
		    sizeof esc->entries[i]) < 0) {
			esc->entries[0][0] = '\0';
			return;
		}
	}
}

int
sup_escape_enabled(const struct sup_escape *esc)
{
	return esc->entries[0][0] != '\0';
}

size_t
sup_escape_found(const struct sup_escape *esc)
{
	return esc->count + esc->untracked;
}

/* Reads the fields of /proc/PID/stat; 0, or -1 when the process is gone. */
static int
sup_escape_read_stat(pid_t pid, struct sup_escape_stat *st)
{
	char text[1024];
	const char *open_paren, *after_comm;
	size_t len;

	if (procfs_read(pid, "stat", text, sizeof text) <= 0)
		return -1;

	/* The command name (field 2) may contain spaces and parentheses. */
	open_paren = strchr(text, '(');
	after_comm = procfs_stat_after_comm(text);
	if (open_paren == NULL || after_comm == NULL ||
	    after_comm <= open_paren)
		return -1;
	len = (size_t)(after_comm - open_paren - 2);
	if (len >= sizeof st->comm)
		len = sizeof st->comm - 1;
	memcpy(st->comm, open_paren + 1, len);
	st->comm[len] = '\0';
	/* Field 5 is the process group, field 22 the start time. */
	st->state = procfs_stat_state(text);
	if (st->state == '\0' || procfs_stat_field(text, 5, &st->pgrp) < 0 ||
	    procfs_stat_field(text, 22, &st->start) < 0)
		return -1;
	return 0;
}

/*
 * Tells whether the first SUP_ESCAPE_ENVIRON_MAX bytes of /proc/PID/environ
 * contain every identity entry, each as a whole NUL-terminated entry. buf
 * has room for SUP_ESCAPE_ENVIRON_MAX + 1 bytes.
 */
static int
sup_escape_environ_matches(const struct sup_escape *esc, pid_t pid,
			   char *buf)
{
	char *entry, *end, *nul;
	unsigned found = 0, all = (1u << SUP_ESCAPE_ENTRIES) - 1;
	size_t i;
	ssize_t n;

	n = procfs_read(pid, "environ", buf, SUP_ESCAPE_ENVIRON_MAX + 1);
	if (n < 0)
		return 0;

	/* The NUL that procfs_read() appends lies past end. */
	end = buf + n;
	for (entry = buf; entry < end; entry = nul + 1) {
		nul = memchr(entry, '\0', (size_t)(end - entry));
		if (nul == NULL)
			break;  /* cut at the cap: not a whole entry */
		for (i = 0; i < SUP_ESCAPE_ENTRIES; i++) {
			if (strcmp(entry, esc->entries[i]) == 0)
				found |= 1u << i;
		}
	}
	return found == all;
}

/* Tells whether the process (pid, start) is tracked already. */
static int
sup_escape_tracked(const struct sup_escape *esc, pid_t pid, int64_t start)
{
	size_t i;

	for (i = 0; i < esc->count; i++) {
		if (esc->procs[i].pid == pid && esc->procs[i].start == start)
			return 1;
	}
	return 0;
}

/*
 * Opens a pidfd of p, then checks that the pid still names the process
 * with p's start time and is no zombie. Returns 1 when it is, with *pidfd
 * set (-1 where pidfd_open(2) is missing), or 0 when it has ended.
 */
static int
sup_escape_open(const struct sup_escape_proc *p, int *pidfd)
{
	struct sup_escape_stat st;

	*pidfd = -1;
#ifdef SYS_pidfd_open
	*pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (*pidfd < 0 && errno == ESRCH)
		return 0;
#endif
	if (sup_escape_read_stat(p->pid, &st) < 0 || st.start != p->start ||
	    st.state == 'Z') {
		if (*pidfd >= 0)
			close(*pidfd);
		*pidfd = -1;
		return 0;
	}
	return 1;
}

/*
 * Sends signo to p when it still runs. NOTE: where pidfd_open(2) fails
 * (Linux before 5.3, or no descriptor left) the pid is signalled with
 * kill(2) after the start time check, and a pid recycled between the two
 * would get the signal.
 */
static int
sup_escape_send(const struct sup_escape_proc *p, int signo)
{
	int pidfd;

	if (!sup_escape_open(p, &pidfd))
		return 0;
	if (signo == 0)
		goto out;
#ifdef SYS_pidfd_send_signal
	if (pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
		goto out;
	}
#endif
	kill(p->pid, signo);

out:
	if (pidfd >= 0)
		close(pidfd);
	return 1;
}

int
sup_escape_signal(const struct sup_escape *esc, int signo)
{
	size_t i;
	int alive = 0;

	for (i = 0; i < esc->count; i++)
		alive += sup_escape_send(&esc->procs[i], signo);
	return alive;
}

/* Reads the resident pages of pid from /proc/PID/statm; -1 when gone. */
static long long
sup_escape_resident_pages(pid_t pid)
{
	char text[256];
	long long size = 0, resident = -1;

	if (procfs_read(pid, "statm", text, sizeof text) <= 0 ||
	    sscanf(text, "%lld %lld", &size, &resident) != 2)
		return -1;
	return resident;
}

int64_t
sup_escape_rss(const struct sup_escape *esc)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sup_escape_stat st;
	long long pages;
	int64_t rss = 0;
	size_t i;

	for (i = 0; i < esc->count; i++) {
		const struct sup_escape_proc *p = &esc->procs[i];

		/* The start time, read after statm, shows that both files
		   belonged to the tracked process. */
		pages = sup_escape_resident_pages(p->pid);
		if (pages < 0 || sup_escape_read_stat(p->pid, &st) < 0 ||
		    st.start != p->start || st.state == 'Z')
			continue;
		rss += (int64_t)pages * page;
	}
	return rss;
}

size_t
sup_escape_prune(struct sup_escape *esc)
{
	size_t i, kept = 0, dropped;
	int pidfd;

	for (i = 0; i < esc->count; i++) {
		if (!sup_escape_open(&esc->procs[i], &pidfd))
			continue;
		if (pidfd >= 0)
			close(pidfd);
		esc->procs[kept++] = esc->procs[i];
	}
	dropped = esc->count - kept;
	esc->count = kept;
	return dropped;
}

/*
 * Handles a process outside the group that carries the identity: tracks
 * it, or, with the list full, signals it at once. Returns 1 when it was
 * new to the list, else 0; *untracked counts the ones past the list.
 */
static int
sup_escape_add(struct sup_escape *esc, pid_t pid,
	       const struct sup_escape_stat *st, int signo, size_t *untracked)
{
	struct sup_escape_proc p;

	if (sup_escape_tracked(esc, pid, st->start))
		return 0;
	p.pid = pid;
	p.start = st->start;
	snprintf(p.comm, sizeof p.comm, "%s", st->comm);
	if (esc->count < SUP_ESCAPE_TRACK_MAX) {
		esc->procs[esc->count++] = p;
		return 1;
	}
	(*untracked)++;
	if (signo != 0)
		sup_escape_send(&p, signo);
	return 0;
}

/* Tells whether /proc/PID belongs to the agent's effective uid. */
static int
sup_escape_same_uid(int proc_fd, const char *pid)
{
	struct stat sb;

	return fstatat(proc_fd, pid, &sb, 0) == 0 && sb.st_uid == geteuid();
}

size_t
sup_escape_scan(struct sup_escape *esc, pid_t pgid, int signo,
		int *group_alive)
{
	int search = sup_escape_enabled(esc), scanned = 0;
	size_t added = 0, untracked = 0;
	struct sup_escape_stat st;
	struct dirent *entry;
	char *buf = NULL;
	pid_t self = getpid(), pid;
	DIR *dir = NULL;

	if (group_alive != NULL)
		*group_alive = 0;
	if (group_alive == NULL && !search)
		return 0;
	if (search && (buf = malloc(SUP_ESCAPE_ENVIRON_MAX + 1)) == NULL)
		search = 0;
	dir = opendir("/proc");
	if (dir == NULL)
		goto out;

	while ((entry = readdir(dir)) != NULL &&
	    scanned < SUP_ESCAPE_SCAN_MAX) {
		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		scanned++;
		pid = (pid_t)atoi(entry->d_name);
		if (sup_escape_read_stat(pid, &st) < 0 || st.state == 'Z')
			continue;
		if (st.pgrp == (long long)pgid) {
			if (group_alive != NULL)
				(*group_alive)++;
			continue;
		}
		if (!search || pid == self ||
		    !sup_escape_same_uid(dirfd(dir), entry->d_name) ||
		    !sup_escape_environ_matches(esc, pid, buf))
			continue;
		added += (size_t)sup_escape_add(esc, pid, &st, signo,
		    &untracked);
	}
	if (untracked > esc->untracked)
		esc->untracked = untracked;

out:
	if (dir != NULL)
		closedir(dir);
	free(buf);
	return added;
}

char *
sup_escape_describe(const struct sup_escape *esc, size_t max, char *out,
		    size_t size)
{
	size_t i, used = 0, shown = esc->count < max ? esc->count : max;
	int n;

	if (size == 0)
		return out;
	out[0] = '\0';
	for (i = 0; i < shown && used < size; i++) {
		n = snprintf(out + used, size - used, "%s%d (%s)",
		    i > 0 ? ", " : "", (int)esc->procs[i].pid,
		    esc->procs[i].comm);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (sup_escape_found(esc) > shown && used < size)
		snprintf(out + used, size - used, P_(", and %zu more",
		    ", and %zu more", (unsigned long)(sup_escape_found(esc) -
		    shown)), sup_escape_found(esc) - shown);
	return out;
}

size_t
sup_escape_children(void)
{
	char path[64], chunk[4096];
	size_t count = 0, total = 0;
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof path, "/proc/self/task/%d/children",
	    (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SIZE_MAX;

	/* The list is "PID PID ... ", each pid followed by a space. */
	while ((n = read(fd, chunk, sizeof chunk)) > 0 &&
	    total < SUP_ESCAPE_CHILDREN_MAX) {
		total += (size_t)n;
		for (i = 0; i < n; i++)
			count += chunk[i] == ' ';
	}
	close(fd);
	return n < 0 || total >= SUP_ESCAPE_CHILDREN_MAX ? SIZE_MAX : count;
}
