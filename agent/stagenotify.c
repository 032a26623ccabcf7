/* struct ucred (SCM_CREDENTIALS) is a GNU interface. */
#define _GNU_SOURCE

#include "stagenotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/sdnotify.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/procfs.h"

#define STAGENOTIFY_PROGRESS_MS 500   /* minimum time between stored progress */
#define STAGENOTIFY_BEAT_STORE_MS 1000 /* minimum time between stored beats */
#define STAGENOTIFY_ENVIRON_MAX (256 * 1024) /* bytes read of an environ */
#define STAGENOTIFY_PROC_TEXT 1024    /* bytes read of /proc/PID/stat */
/* The mount point of the stage cgroups, the only place agent/cgroup.c uses. */
#define STAGENOTIFY_CGROUP_MOUNT "/sys/fs/cgroup"

void
stagenotify_init(struct stagenotify *sn, struct ev_loop *loop,
		 struct store *store, int64_t run_id, int64_t stage_run_id,
		 const char *label, int heartbeat_kill,
		 const struct stagenotify_ops *ops, void *arg)
{
	memset(sn, 0, sizeof *sn);
	sn->loop = loop;
	sn->store = store;
	sn->run_id = run_id;
	sn->stage_run_id = stage_run_id;
	sn->label = label;
	sn->heartbeat_kill = heartbeat_kill;
	sn->ops = ops;
	sn->arg = arg;
	sn->fd = -1;
}

/* Creates the datagram socket, which passes the senders' credentials. */
static int
stagenotify_socket(void)
{
	int fd, on = 1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Binds fd to the abstract name (without its leading "@"). */
static int
stagenotify_bind_abstract(int fd, const char *name)
{
	struct sockaddr_un addr;
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof addr.sun_path - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path + 1, name, n);
	return bind(fd, (struct sockaddr *)&addr,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
}

/* Binds fd to the file path after removing a stale socket file there. */
static int
stagenotify_bind_file(struct stagenotify *sn, int fd, const char *path)
{
	struct sockaddr_un addr;
	struct stat sb;
	int stale;

	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	stale = lstat(path, &sb) == 0;
	if (stale && !S_ISSOCK(sb.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if (stale)
		unlink(path);

	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path));
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		return -1;
	snprintf(sn->path, sizeof sn->path, "%s", path);
	/* Senders need write permission on the file: keep what it had. */
	if (stale)
		chmod(path, sb.st_mode & 07777);
	return 0;
}

/* Watches the bound socket; closes it on failure. */
static int
stagenotify_attach(struct stagenotify *sn, int fd);

void
stagenotify_open(struct stagenotify *sn, const char *stage_dir, char *env,
		 size_t env_size)
{
	char name[108], path[PATH_MAX];
	int fd;

	snprintf(name, sizeof name, "watchkeep/%d/%lld", (int)getpid(),
	    (long long)sn->stage_run_id);
	snprintf(path, sizeof path, "%s/notify.sock", stage_dir);
	fd = stagenotify_socket();
	if (fd < 0)
		goto fail;
	if (stagenotify_bind_abstract(fd, name) == 0)
		snprintf(env, env_size, "NOTIFY_SOCKET=@%s", name);
	else if (stagenotify_bind_file(sn, fd, path) == 0)
		snprintf(env, env_size, "NOTIFY_SOCKET=%s", path);
	else
		goto fail;
	if (stagenotify_attach(sn, fd) == 0)
		return;
	fd = -1;

fail:
	LOG_RUN(LL_WARN, sn->run_id, sn->label,
	    _("cannot create the notify socket: %s; the stage runs without "
	      "progress and metrics"), strerror(errno));
	if (fd >= 0)
		close(fd);
	stagenotify_close(sn);
	env[0] = '\0';
}

/*
 * Tells whether address is one that stagenotify_open() gives a stage of
 * this stage run: the abstract name of any agent pid, or the file.
 */
static int
stagenotify_address_ok(const struct stagenotify *sn, const char *address,
		       const char *stage_dir)
{
	char path[PATH_MAX], id[32];
	const char *p;
	size_t digits;

	if (address[0] != '@') {
		snprintf(path, sizeof path, "%s/notify.sock", stage_dir);
		return strcmp(address, path) == 0;
	}
	if (strncmp(address, "@watchkeep/", 11) != 0)
		return 0;
	p = address + 11;
	digits = strspn(p, "0123456789");
	if (digits == 0 || p[digits] != '/')
		return 0;
	snprintf(id, sizeof id, "%lld", (long long)sn->stage_run_id);
	return strcmp(p + digits + 1, id) == 0;
}

int
stagenotify_rebind(struct stagenotify *sn, const char *address,
		   const char *stage_dir)
{
	int fd, rc;

	if (!stagenotify_address_ok(sn, address, stage_dir))
		return WK_ERR_INVALID;
	fd = stagenotify_socket();
	if (fd < 0)
		return WK_ERR_IO;
	if (address[0] == '@')
		rc = stagenotify_bind_abstract(fd, address + 1);
	else
		rc = stagenotify_bind_file(sn, fd, address);
	if (rc < 0) {
		close(fd);
		return WK_ERR_IO;
	}
	return stagenotify_attach(sn, fd) == 0 ? WK_OK : WK_ERR_IO;
}

/* Finds the value of variable name (with its "=") in an environ block. */
static const char *
stagenotify_env_find(const char *block, size_t len, const char *name)
{
	size_t name_len = strlen(name), i = 0;

	while (i < len) {
		const char *entry = block + i;
		size_t entry_len = strnlen(entry, len - i);

		if (entry_len > name_len && strncmp(entry, name, name_len) == 0)
			return entry + name_len;
		i += entry_len + 1;
	}
	return NULL;
}

int
stagenotify_env_of(pid_t pid, char *address, size_t size,
		   int64_t *watchdog_us)
{
	const char *value;
	char *block;
	ssize_t n;

	address[0] = '\0';
	*watchdog_us = -1;
	block = malloc(STAGENOTIFY_ENVIRON_MAX + 1);
	n = block == NULL ? -1 : procfs_read(pid, "environ", block,
	    STAGENOTIFY_ENVIRON_MAX + 1);
	if (n < 0) {
		free(block);
		return WK_ERR_IO;
	}

	value = stagenotify_env_find(block, (size_t)n, "NOTIFY_SOCKET=");
	if (value != NULL)
		snprintf(address, size, "%s", value);
	value = stagenotify_env_find(block, (size_t)n, "WATCHDOG_USEC=");
	if (value != NULL && value[0] >= '1' && value[0] <= '9')
		*watchdog_us = strtoll(value, NULL, 10);
	free(block);
	return WK_OK;
}

/* Notes a heartbeat; stores it at most once per STAGENOTIFY_BEAT_STORE_MS. */
static void
stagenotify_heartbeat(struct stagenotify *sn, int64_t now, int64_t wall)
{
	if (sn->heartbeat_warned)
		LOG_RUN(LL_INFO, sn->run_id, sn->label,
		    _("heartbeats resumed"));
	sn->last_heartbeat_ns = now;
	sn->heartbeat_warned = 0;
	if (now - sn->heartbeat_stored_ns < STAGENOTIFY_BEAT_STORE_MS *
	    INT64_C(1000000))
		return;
	sn->heartbeat_stored_ns = now;
	store_stage_heartbeat(sn->store, sn->stage_run_id, wall);
}

/*
 * Applies WATCHDOG=trigger, with which a stage requests to be handled as
 * if its heartbeats had stopped (systemd.service(5), WatchdogSec=): the
 * heartbeat action at once, also when no heartbeat interval is set.
 */
static void
stagenotify_trigger(struct stagenotify *sn)
{
	if (!sn->ops->active(sn->arg))
		return;
	if (!sn->heartbeat_kill) {
		LOG_RUN(LL_WARN, sn->run_id, sn->label, _("the stage sent "
		    "WATCHDOG=trigger; heartbeat_action is \"warn\", so it "
		    "keeps running"));
		return;
	}
	LOG_RUN(LL_ERROR, sn->run_id, sn->label, _("the stage sent "
	    "WATCHDOG=trigger; stopping process group %d"), (int)sn->pgid);
	sn->ops->stop(sn->arg, 1);
}

/* Stores what one datagram carried and acts on it. */
static void
stagenotify_apply(struct stagenotify *sn, const struct sdnotify_msg *msg)
{
	int64_t now = clk_mono_ns(), wall = clk_wall_ms();
	double progress = -1;
	size_t i;

	for (i = 0; i < msg->n_metrics; i++)
		store_metric_set(sn->store, sn->stage_run_id,
		    msg->metrics[i].name, msg->metrics[i].value, wall);
	if (msg->progress >= 0 && now - sn->progress_stored_ns >=
	    STAGENOTIFY_PROGRESS_MS * INT64_C(1000000)) {
		progress = msg->progress;
		sn->progress_stored_ns = now;
	}
	if (msg->has_status || progress >= 0)
		store_stage_status(sn->store, sn->stage_run_id,
		    msg->has_status ? msg->status : NULL, progress);
	if (msg->extend_timeout_us >= 0)
		sn->ops->extend(sn->arg, msg->extend_timeout_us);
	if (msg->ready)
		LOG_RUN(LL_DEBUG, sn->run_id, sn->label, _("stage is ready"));
	if (msg->watchdog)
		stagenotify_heartbeat(sn, now, wall);
	if (msg->invalid > 0 && sn->invalid++ == 0)
		LOG_RUN(LL_WARN, sn->run_id, sn->label,
		    _("ignored an invalid notify assignment \"%s\"; later ones "
		      "are counted only"), msg->first_invalid);
	if (msg->watchdog_trigger)
		stagenotify_trigger(sn);
}

/*
 * Receives one datagram and the sender's uid and pid, which are -1 when
 * the credentials are missing. Returns the datagram's length as recv(2)
 * does.
 */
static ssize_t
stagenotify_recv(int fd, char *data, size_t size, long *uid, long *pid)
{
	union {
		struct cmsghdr align;  /* aligns the buffer for cmsghdr */
		char buf[CMSG_SPACE(sizeof(struct ucred))]; /* credentials */
	} control;
	struct iovec iov = { data, size };
	struct msghdr hdr;
	struct cmsghdr *c;
	struct ucred cred;
	ssize_t n;

	memset(&hdr, 0, sizeof hdr);
	hdr.msg_iov = &iov;
	hdr.msg_iovlen = 1;
	hdr.msg_control = control.buf;
	hdr.msg_controllen = sizeof control.buf;

	*uid = *pid = -1;
	n = recvmsg(fd, &hdr, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (c = CMSG_FIRSTHDR(&hdr); c != NULL; c = CMSG_NXTHDR(&hdr, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof cred)) {
			memcpy(&cred, CMSG_DATA(c), sizeof cred);
			*uid = (long)cred.uid;
			*pid = (long)cred.pid;
		}
	}
	return n;
}

/*
 * Reads the process group and session ids of pid (fields 5 and 6 of
 * /proc/PID/stat). Returns 0, or -1 with errno ENOENT when the process is
 * gone (reaped; a zombie still has them).
 */
static int
stagenotify_proc_ids(long pid, long long *pgrp, long long *session)
{
	char text[STAGENOTIFY_PROC_TEXT];

	if (procfs_read((pid_t)pid, "stat", text, sizeof text) <= 0)
		return -1;
	if (procfs_stat_field(text, 5, pgrp) < 0 ||
	    procfs_stat_field(text, 6, session) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Tells whether process pid is in the cgroup directory cgroup_dir or in a
 * cgroup below it: its cgroup v2 path ("0::PATH" in /proc/PID/cgroup) is
 * cgroup_dir without the mount point STAGENOTIFY_CGROUP_MOUNT, or starts
 * with it.
 * NOTE: no test runs this check, because the integration tests run where
 * the agent cannot create stage cgroups.
 */
static int
stagenotify_in_cgroup(long pid, const char *cgroup_dir)
{
	size_t mount_len = strlen(STAGENOTIFY_CGROUP_MOUNT), rel_len;
	char path[64], line[PATH_MAX + 8];
	const char *rel, *own;
	int found = 0;
	FILE *f;

	if (strncmp(cgroup_dir, STAGENOTIFY_CGROUP_MOUNT, mount_len) != 0 ||
	    cgroup_dir[mount_len] != '/')
		return 0;
	rel = cgroup_dir + mount_len;
	rel_len = strlen(rel);

	snprintf(path, sizeof path, "/proc/%ld/cgroup", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		own = line + 3;
		found = strncmp(own, rel, rel_len) == 0 &&
		    (own[rel_len] == '\0' || own[rel_len] == '/');
	}
	fclose(f);
	return found;
}

/*
 * Tells whether the sender pid belongs to the stage: its process group or
 * session is the stage's (a `systemd-notify` started by a shell stage is
 * in both), or it is in the stage's cgroup.
 * A sender that is gone is accepted: `systemd-notify` sends and exits, and
 * its shell reaps it, often before the agent reads the datagram, and the
 * kernel keeps no record of a reaped process. Such a datagram still passed
 * the uid check, so the gap is only for processes of the agent's own user
 * that exit and are reaped before the agent reads what they sent.
 */
static int
stagenotify_sender_ok(const struct stagenotify *sn, long pid)
{
	long long pgrp, session;

	if (sn->pgid <= 0)
		return 1;	/* not started yet: nothing to compare */
	if (pid <= 0)
		return 0;
	if (stagenotify_proc_ids(pid, &pgrp, &session) < 0)
		return errno == ENOENT || errno == ESRCH;
	if (pgrp == (long long)sn->pgid || session == (long long)sn->pgid)
		return 1;
	return sn->cgroup_dir[0] != '\0' &&
	    stagenotify_in_cgroup(pid, sn->cgroup_dir);
}

/* Counts a datagram of a process outside the stage; warns now and then. */
static void
stagenotify_foreign(struct stagenotify *sn, long pid)
{
	int64_t now = clk_mono_ns();

	sn->foreign++;
	if (sn->foreign_logged > 0 && now - sn->foreign_logged_ns <
	    STAGENOTIFY_FOREIGN_LOG_MS * INT64_C(1000000))
		return;
	LOG_RUN(LL_WARN, sn->run_id, sn->label, _("dropped a notify datagram "
	    "from pid %ld, which is outside the stage's process group, "
	    "session and cgroup; %lld dropped so far, warned about at most "
	    "once a minute"), pid, (long long)sn->foreign);
	sn->foreign_logged = sn->foreign;
	sn->foreign_logged_ns = now;
}

void
stagenotify_read(struct stagenotify *sn, int max_reads)
{
	char data[SDNOTIFY_DATAGRAM_MAX];
	struct sdnotify_msg msg;
	long uid, pid;
	ssize_t n;

	while (sn->fd >= 0 && max_reads-- > 0) {
		n = stagenotify_recv(sn->fd, data, sizeof data, &uid, &pid);
		if (n < 0)
			return;
		if (uid != (long)geteuid() && uid != 0) {
			if (sn->foreign++ == 0)
				LOG_RUN(LL_WARN, sn->run_id, sn->label,
				    _("dropped a notify datagram from uid %ld, "
				      "which is not the agent's user; later "
				      "ones are counted only"), uid);
			continue;
		}
		if (!stagenotify_sender_ok(sn, pid)) {
			stagenotify_foreign(sn, pid);
			continue;
		}
		sdnotify_parse(data, (size_t)n < sizeof data ? (size_t)n :
		    sizeof data, &msg);
		stagenotify_apply(sn, &msg);
	}
}

static void
stagenotify_readable(struct ev_loop *loop, int fd, unsigned events,
		     void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	stagenotify_read(arg, 16);
}

static int
stagenotify_attach(struct stagenotify *sn, int fd)
{
	if (ev_fd_add(sn->loop, fd, EV_READ, stagenotify_readable, sn) !=
	    WK_OK) {
		close(fd);
		if (sn->path[0] != '\0')
			unlink(sn->path);
		sn->path[0] = '\0';
		errno = EMFILE;
		return -1;
	}
	sn->fd = fd;
	return 0;
}

/*
 * Checks the heartbeats: past one interval without one, a warning; past
 * two, the configured action. A stage that never sent one is judged from
 * the time given to stagenotify_watch().
 */
static void
stagenotify_check(struct ev_loop *loop, void *arg)
{
	struct stagenotify *sn = arg;
	int64_t now = clk_mono_ns(), silent = now - sn->last_heartbeat_ns;
	int64_t next;

	(void)loop;
	sn->heartbeat_timer = 0;
	if (!sn->ops->active(sn->arg))
		return;
	if (silent >= 2 * sn->heartbeat_ns && sn->heartbeat_kill) {
		LOG_RUN(LL_ERROR, sn->run_id, sn->label,
		    _("no heartbeat for %lld ms (interval %lld ms); stopping "
		      "process group %d"), (long long)(silent / 1000000),
		    (long long)(sn->heartbeat_ns / 1000000), (int)sn->pgid);
		sn->ops->stop(sn->arg, 0);
		return;
	}
	if (silent >= sn->heartbeat_ns && !sn->heartbeat_warned) {
		LOG_RUN(LL_WARN, sn->run_id, sn->label,
		    _("no heartbeat for %lld ms (interval %lld ms)"),
		    (long long)(silent / 1000000),
		    (long long)(sn->heartbeat_ns / 1000000));
		sn->heartbeat_warned = 1;
	}
	next = sn->last_heartbeat_ns + sn->heartbeat_ns;
	if (next <= now)
		next = sn->last_heartbeat_ns + 2 * sn->heartbeat_ns;
	if (next <= now)
		next = now + sn->heartbeat_ns;
	sn->heartbeat_timer = ev_timer_at(sn->loop, next, stagenotify_check,
	    sn);
}

void
stagenotify_watch(struct stagenotify *sn, pid_t pgid, const char *cgroup_dir,
		  int64_t heartbeat_ms, int64_t since_ns)
{
	sn->pgid = pgid;
	snprintf(sn->cgroup_dir, sizeof sn->cgroup_dir, "%s",
	    cgroup_dir != NULL ? cgroup_dir : "");
	if (heartbeat_ms <= 0)
		return;

	sn->heartbeat_ns = heartbeat_ms * INT64_C(1000000);
	sn->last_heartbeat_ns = since_ns;
	sn->heartbeat_timer = ev_timer_at(sn->loop, since_ns +
	    sn->heartbeat_ns, stagenotify_check, sn);
}

void
stagenotify_close(struct stagenotify *sn)
{
	if (sn->heartbeat_timer != 0)
		ev_timer_cancel(sn->loop, sn->heartbeat_timer);
	sn->heartbeat_timer = 0;
	if (sn->fd >= 0) {
		ev_fd_del(sn->loop, sn->fd);
		close(sn->fd);
	}
	sn->fd = -1;
	if (sn->path[0] != '\0')
		unlink(sn->path);
	sn->path[0] = '\0';
}
