/*
 * The exec probe: runs a command as a child process in its own process
 * group, with stdin from /dev/null and stdout and stderr on a pipe. Exit
 * status 0 is up; the first lines of output become the detail. A timeout
 * kills the whole group. When the command exits, what is left of its
 * group is killed too, so that no helper it started lingers.
 */
#define _GNU_SOURCE  /* posix_spawn_file_actions_addclosefrom_np() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/log.h"
#include "core/text.h"
#include "probes/impl.h"

#define EXEC_OUTPUT_MAX 1024  /* bytes of output kept */
#define EXEC_LINES 3          /* lines of output shown in the detail */

extern char **environ;

/* A running command; it lives until the loop reaps it. */
struct exec_child {
	struct probe *probe;         /* NULL once its check ended without it */
	struct ev_loop *loop;        /* not owned */
	pid_t pid;                   /* also its process group id */
	int fd;                      /* read end of the output pipe, or -1 */
	char out[EXEC_OUTPUT_MAX];   /* first bytes of the output */
	size_t out_len;              /* bytes in out */
};

struct exec_impl {
	struct exec_child *child;  /* the running command, or NULL */
};

/* Children started and not yet reaped, over every engine. */
static size_t exec_live;

size_t
probe_exec_live(void)
{
	return exec_live;
}

static int
exec_init(struct probe *p, struct wk_err *err)
{
	p->impl = calloc(1, sizeof(struct exec_impl));
	if (p->impl == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	return WK_OK;
}

/* Reads what the pipe contains now, and closes it at the end of the output. */
static void
exec_read(struct exec_child *c)
{
	char chunk[4096];
	ssize_t n;

	while (c->fd >= 0) {
		n = read(c->fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			ev_fd_del(c->loop, c->fd);
			close(c->fd);
			c->fd = -1;
			return;
		}
		if ((size_t)n > sizeof c->out - c->out_len)
			n = (ssize_t)(sizeof c->out - c->out_len);
		memcpy(c->out + c->out_len, chunk, (size_t)n);
		c->out_len += (size_t)n;
	}
}

static void
exec_on_output(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	exec_read(arg);
}

/* Writes the first EXEC_LINES non-empty lines of out, joined by " | ". */
static void
exec_lines(const struct exec_child *c, char *out, size_t size)
{
	size_t pos = 0, used = 0, lines = 0;

	out[0] = '\0';
	while (pos < c->out_len && lines < EXEC_LINES && used + 4 < size) {
		const char *line = c->out + pos;
		const char *end = memchr(line, '\n', c->out_len - pos);
		size_t len = end != NULL ? (size_t)(end - line) :
		    c->out_len - pos;

		pos += len + 1;
		if (len == 0)
			continue;
		if (lines++ > 0) {
			memcpy(out + used, " | ", 3);
			used += 3;
		}
		used += text_sanitize(line, len, out + used, size - used);
	}
}

/* Reports the end of the command from its wait status. */
static void
exec_report(struct exec_child *c, int status, double ms)
{
	char lines[PROBE_DETAIL_MAX];
	struct probe *p = c->probe;

	exec_lines(c, lines, sizeof lines);
	if (WIFSIGNALED(status))
		probe_report(p, 0, ms, _("killed by signal %d (%s)%s%s"),
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    lines[0] != '\0' ? ": " : "", lines);
	else
		probe_report(p, WEXITSTATUS(status) == 0, ms,
		    _("exit status %d%s%s"), WEXITSTATUS(status),
		    lines[0] != '\0' ? ": " : "", lines);
}

/* The command exited and is a zombie: its group id is still its own. */
static void
exec_exited(struct ev_loop *loop, pid_t pid, void *arg)
{
	(void)loop;
	(void)arg;
	kill(-pid, SIGKILL);
}

static void
exec_reaped(struct ev_loop *loop, pid_t pid, int status,
	    const struct rusage *usage, void *arg)
{
	struct exec_child *c = arg;

	(void)loop;
	(void)pid;
	(void)usage;
	exec_read(c);
	if (c->fd >= 0) {
		ev_fd_del(c->loop, c->fd);
		close(c->fd);
	}
	if (c->probe != NULL) {
		struct exec_impl *impl = c->probe->impl;

		impl->child = NULL;
		exec_report(c, status, probe_elapsed_ms(c->probe));
	}
	exec_live--;
	free(c);
}

static const struct ev_child_ops exec_child_ops = {
	exec_exited, exec_reaped
};

/* Starts argv with the pipe's write end as stdout and stderr. */
static int
exec_spawn(const struct cfg_probe_exec *x, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (x->working_dir != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, x->working_dir);

	rc = posix_spawnp(pid, x->argv[0], &fa, &attr, x->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* Creates the child record and the pipe, and starts the command. */
static int
exec_launch(struct probe *p, struct exec_child *c)
{
	int fds[2], rc;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return errno;
	rc = exec_spawn(&p->cfg->exec, fds[1], &c->pid);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return rc;
	}
	c->fd = fds[0];
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static void
exec_start(struct probe *p)
{
	struct exec_impl *impl = p->impl;
	struct ev_loop *loop = p->engine->loop;
	struct log_ids ids = { .probe = p->cfg->name };
	struct exec_child *c;
	int rc;

	c = calloc(1, sizeof *c);
	if (c == NULL) {
		probe_report(p, 0, -1, _("out of memory"));
		return;
	}
	c->probe = p;
	c->loop = loop;
	rc = exec_launch(p, c);
	if (rc != 0) {
		free(c);
		probe_report(p, 0, -1, _("cannot run %s: %s"), p->cfg->exec.argv[0],
		    strerror(rc));
		return;
	}
	if (ev_child_watch(loop, c->pid, &exec_child_ops, c) != WK_OK) {
		kill(-c->pid, SIGKILL);
		close(c->fd);
		free(c);
		probe_report(p, 0, -1, _("too many child processes in the event loop; the command was killed"));
		return;
	}
	exec_live++;
	impl->child = c;
	if (ev_fd_add(loop, c->fd, EV_READ, exec_on_output, c) != WK_OK)
		LOG_IDS(LL_ERROR, &ids, _("too many descriptors in the event loop; the output of pid %d is not read while it runs"),
		    (int)c->pid);
}

/* Kills the running command's group; the loop reaps and frees it. */
static void
exec_cancel(struct probe *p)
{
	struct exec_impl *impl = p->impl;

	if (impl->child == NULL)
		return;
	kill(-impl->child->pid, SIGKILL);
	impl->child->probe = NULL;
	impl->child = NULL;
}

static void
exec_fini(struct probe *p)
{
	if (p->impl == NULL)
		return;
	exec_cancel(p);
	free(p->impl);
	p->impl = NULL;
}

const struct probe_type_ops probe_exec_ops = {
	exec_init, exec_start, exec_cancel, exec_fini
};
