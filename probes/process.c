/*
 * The process probe: a process named by a pid file, or by its name, is
 * running. A pid file's pid counts only when its process started before
 * the file was last written. A process that started later got the pid
 * after the one that wrote the file died.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/procfs.h"
#include "probes/impl.h"
#include "probes/proc.h"

#define PROC_STAT_MAX 1024        /* bytes read of /proc/PID/stat */
#define PROC_PIDFILE_MAX 64       /* bytes read of a pid file */
#define PROC_SLACK_MS 2000        /* boot time resolution, and then some */
#define PROC_START_FIELD 22       /* starttime in /proc/PID/stat */

struct process_impl {
	struct probe_proc last;  /* process found by the last check */
	int have_last;           /* last is set */
};

int
probe_proc_parse_stat(const char *text, size_t len, struct probe_proc *out)
{
	const char *open = memchr(text, '(', len), *close = NULL, *p;
	size_t i, comm_len;
	int field;

	for (i = len; i > 0; i--) {
		if (text[i - 1] == ')') {
			close = text + i - 1;
			break;
		}
	}
	if (open == NULL || close == NULL || close < open)
		return WK_ERR_INVALID;
	out->pid = (pid_t)strtol(text, NULL, 10);
	comm_len = (size_t)(close - open - 1);
	if (comm_len >= sizeof out->comm)
		comm_len = sizeof out->comm - 1;
	memcpy(out->comm, open + 1, comm_len);
	out->comm[comm_len] = '\0';

	/* Field 3 follows ") "; count spaces from there to field 22. */
	p = close + 2;
	if (p >= text + len)
		return WK_ERR_INVALID;
	out->state = *p;
	for (field = 3; field < PROC_START_FIELD && p < text + len; p++) {
		if (*p == ' ')
			field++;
	}
	if (field != PROC_START_FIELD || p >= text + len ||
	    !isdigit((unsigned char)*p))
		return WK_ERR_INVALID;
	out->start_ticks = strtoll(p, NULL, 10);
	return WK_OK;
}

int
probe_proc_read(pid_t pid, struct probe_proc *out)
{
	char text[PROC_STAT_MAX];
	ssize_t n;

	n = procfs_read(pid, "stat", text, sizeof text);
	if (n <= 0)
		return WK_ERR_NOTFOUND;
	return probe_proc_parse_stat(text, (size_t)n, out);
}

int
probe_proc_same(const struct probe_proc *a, const struct probe_proc *b)
{
	return a->pid == b->pid && a->start_ticks == b->start_ticks;
}

/* Returns the boot time from /proc/stat in seconds since the epoch. */
static int64_t
proc_boot_time(void)
{
	static int64_t boot;
	char line[256];
	FILE *f;

	if (boot > 0)
		return boot;
	f = fopen("/proc/stat", "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "btime ", 6) == 0)
			boot = strtoll(line + 6, NULL, 10);
	}
	fclose(f);
	return boot > 0 ? boot : -1;
}

int64_t
probe_proc_start_ms(int64_t start_ticks)
{
	int64_t boot = proc_boot_time();
	long hz = sysconf(_SC_CLK_TCK);

	if (boot < 0 || hz <= 0)
		return -1;
	return boot * 1000 + start_ticks * 1000 / hz;
}

int
probe_proc_recycled(const struct probe_proc *proc, int64_t file_mtime_ms,
		    int64_t slack_ms)
{
	int64_t start = probe_proc_start_ms(proc->start_ticks);

	return start >= 0 && start > file_mtime_ms + slack_ms;
}

/* Returns 1 when proc runs the program name: its comm or argv[0]. */
static int
proc_name_matches(const struct probe_proc *proc, const char *name)
{
	char cmdline[512];
	const char *base;

	if (strcmp(proc->comm, name) == 0)
		return 1;
	if (strlen(name) <= PROBE_PROC_COMM_LEN ||
	    strncmp(proc->comm, name, PROBE_PROC_COMM_LEN) != 0)
		return 0;
	if (procfs_read(proc->pid, "cmdline", cmdline, sizeof cmdline) <= 0)
		return 0;
	base = strrchr(cmdline, '/');
	return strcmp(base != NULL ? base + 1 : cmdline, name) == 0;
}

static int
process_init(struct probe *p, struct wk_err *err)
{
	p->impl = calloc(1, sizeof(struct process_impl));
	if (p->impl == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	return WK_OK;
}

/* Reads the pid and modification time of the pid file. */
static int
process_read_pid_file(struct probe *p, pid_t *pid, int64_t *mtime_ms)
{
	const char *path = p->cfg->process.pid_file;
	char text[PROC_PIDFILE_MAX], *end;
	struct stat st;
	long value;

	if (stat(path, &st) != 0 ||
	    procfs_read_file(path, text, sizeof text) < 0) {
		probe_report(p, 0, -1, _("cannot read pid file %s: %s"), path,
		    strerror(errno));
		return WK_ERR_IO;
	}
	value = strtol(text, &end, 10);
	while (*end == '\n' || *end == ' ' || *end == '\r')
		end++;
	if (end == text || *end != '\0' || value < 1 || value > INT32_MAX) {
		probe_report(p, 0, -1, _("pid file %s does not hold a process id"),
		    path);
		return WK_ERR_INVALID;
	}
	*pid = (pid_t)value;
	*mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
	    st.st_mtim.tv_nsec / 1000000;
	return WK_OK;
}

/* Reports a running process, noting a restart since the last check. */
static void
process_report_up(struct probe *p, const struct probe_proc *proc,
		  const char *extra)
{
	struct process_impl *impl = p->impl;
	char started[40], restart[64] = "";

	clk_format_utc(started, sizeof started,
	    probe_proc_start_ms(proc->start_ticks));
	if (impl->have_last && !probe_proc_same(&impl->last, proc))
		snprintf(restart, sizeof restart, _("; restarted (was pid %d)"),
		    (int)impl->last.pid);
	impl->last = *proc;
	impl->have_last = 1;
	probe_report(p, 1, -1, _("pid %d (%s) running since %.19s%s%s"),
	    (int)proc->pid, proc->comm, started, extra, restart);
}

static void
process_check_pid_file(struct probe *p)
{
	const char *path = p->cfg->process.pid_file;
	const char *name = p->cfg->process.process_name;
	struct probe_proc proc;
	char written[40];
	int64_t mtime_ms;
	pid_t pid;

	if (process_read_pid_file(p, &pid, &mtime_ms) != WK_OK)
		return;
	if (probe_proc_read(pid, &proc) != WK_OK || proc.state == 'Z') {
		probe_report(p, 0, -1, _("pid %d from %s is not running"),
		    (int)pid, path);
		return;
	}
	if (probe_proc_recycled(&proc, mtime_ms, PROC_SLACK_MS)) {
		clk_format_utc(written, sizeof written, mtime_ms);
		probe_report(p, 0, -1, _("pid %d from %s belongs to a process (%s) started after the file was written at %.19s: the pid was reused"),
		    (int)pid, path, proc.comm, written);
		return;
	}
	if (name != NULL && !proc_name_matches(&proc, name)) {
		probe_report(p, 0, -1, _("pid %d from %s runs %s, not %s"),
		    (int)pid, path, proc.comm, name);
		return;
	}
	process_report_up(p, &proc, "");
}

/* Scans /proc for processes named name; keeps the oldest in *oldest. */
static int
process_scan(const char *name, struct probe_proc *oldest, int *count)
{
	struct probe_proc proc;
	struct dirent *ent;
	DIR *dir = opendir("/proc");

	*count = 0;
	if (dir == NULL)
		return WK_ERR_IO;
	while ((ent = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)ent->d_name[0]))
			continue;
		if (probe_proc_read((pid_t)atoi(ent->d_name), &proc) != WK_OK ||
		    proc.state == 'Z' || !proc_name_matches(&proc, name))
			continue;
		if (*count == 0 || proc.start_ticks < oldest->start_ticks)
			*oldest = proc;
		(*count)++;
	}
	closedir(dir);
	return WK_OK;
}

static void
process_check_name(struct probe *p)
{
	const char *name = p->cfg->process.process_name;
	struct probe_proc oldest;
	char extra[64];
	int count = 0;

	if (process_scan(name, &oldest, &count) != WK_OK) {
		probe_report(p, 0, -1, _("cannot read /proc: %s"),
		    strerror(errno));
		return;
	}
	if (count == 0) {
		probe_report(p, 0, -1, _("no process named %s is running"), name);
		return;
	}
	extra[0] = '\0';
	if (count > 1)
		snprintf(extra, sizeof extra, _(", the oldest of %d"), count);
	process_report_up(p, &oldest, extra);
}

static void
process_start(struct probe *p)
{
	if (p->cfg->process.pid_file != NULL)
		process_check_pid_file(p);
	else
		process_check_name(p);
}

static void
process_fini(struct probe *p)
{
	free(p->impl);
	p->impl = NULL;
}

const struct probe_type_ops probe_process_ops = {
	process_init, process_start, NULL, process_fini
};
