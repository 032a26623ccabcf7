#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/logcap.h"
#include "agent/sdnotify.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/paths.h"

#define SUP_READ_CHUNK 65536       /* bytes read from a pipe at once */
#define SUP_READS_PER_WAKEUP 16    /* reads before other fds get a turn */
#define SUP_PROGRESS_INTERVAL_MS 500 /* least time between stored progress */
#define SUP_ENV_MAX 4096           /* environment entries of a stage */

struct sup_proc {
	struct ev_loop *loop;        /* not owned */
	struct store *store;         /* not owned */
	char *label;                 /* "pipeline/stage", owned */
	int64_t run_id;              /* runs.id */
	int64_t stage_run_id;        /* stage_runs.id */
	int64_t grace_ms;            /* SIGTERM to SIGKILL */
	pid_t pid;                   /* child, also its process group id */
	int pipe_fd[2];              /* stdout, stderr read ends; -1 closed */
	struct logcap cap[2];        /* stdout, stderr capture */
	int notify_fd;               /* notify socket, -1 when none */
	char notify_path[PATH_MAX];  /* socket file to unlink, or "" */
	uint64_t timeout_timer;      /* pending timer ids, 0 when none */
	uint64_t kill_timer;
	int64_t start_ns;            /* monotonic time at fork */
	int64_t timeout_at_ns;       /* monotonic deadline, 0 when none */
	int64_t progress_stored_ns;  /* monotonic time of the last store */
	int exited;                  /* the child has exited */
	int stopping;                /* SIGTERM was sent */
	int64_t notify_invalid;      /* rejected notify assignments */
	struct sup_result result;    /* filled as the run ends */
	sup_done_fn done;            /* called once at the end */
	void *done_arg;
};

pid_t
sup_pid(const struct sup_proc *proc)
{
	return proc->pid;
}

static void sup_pipe_readable(struct ev_loop *loop, int fd, unsigned events,
			      void *arg);
static void sup_notify_readable(struct ev_loop *loop, int fd,
				unsigned events, void *arg);
static void sup_child_exited(struct ev_loop *loop, pid_t pid, void *arg);
static void sup_child_reaped(struct ev_loop *loop, pid_t pid, int status,
			     const struct rusage *usage, void *arg);

static const struct ev_child_ops sup_child_ops = {
	.exited = sup_child_exited,
	.reaped = sup_child_reaped,
};

/*
 * Finds the executable for a command name without a slash in the PATH of
 * the stage's environment, as execvp would. Returns 0 and fills out, or -1.
 */
static int
sup_find_executable(const char *name, char *const *envp, char *out,
		    size_t size)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	const char *dir, *end;
	size_t i;

	if (strchr(name, '/') != NULL) {
		snprintf(out, size, "%s", name);
		return 0;
	}
	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	}
	for (dir = path; *dir != '\0'; dir = *end != '\0' ? end + 1 : end) {
		int n;

		end = strchr(dir, ':');
		if (end == NULL)
			end = dir + strlen(dir);
		n = snprintf(out, size, "%.*s/%s", (int)(end - dir), dir, name);
		if (n > 0 && (size_t)n < size && access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Creates the stage's notify socket; on failure the stage runs without. */
static void
sup_open_notify(struct sup_proc *proc, const char *stage_dir, char *env,
		size_t env_size)
{
	struct sockaddr_un addr;
	socklen_t len;
	int fd, n;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/notify.sock",
	    stage_dir);
	if (n > 0 && (size_t)n < sizeof addr.sun_path) {
		snprintf(proc->notify_path, sizeof proc->notify_path, "%s",
		    addr.sun_path);
		unlink(addr.sun_path);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    (size_t)n + 1);
		snprintf(env, env_size, "NOTIFY_SOCKET=%s", addr.sun_path);
	} else {
		/* The path does not fit in sun_path: use the abstract name. */
		n = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1,
		    "watchkeep/%d/%lld", (int)getpid(),
		    (long long)proc->stage_run_id);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    (size_t)n + 1);
		snprintf(env, env_size, "NOTIFY_SOCKET=@%s", addr.sun_path + 1);
	}
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 ||
	    ev_fd_add(proc->loop, fd, EV_READ, sup_notify_readable, proc) !=
	    WK_OK)
		goto fail;
	proc->notify_fd = fd;
	return;

fail:
	LOG_RUN(LL_WARN, proc->run_id, proc->label,
	    _("cannot create the notify socket: %s; the stage runs without "
	      "progress and metrics"), strerror(errno));
	if (fd >= 0)
		close(fd);
	proc->notify_path[0] = '\0';
	env[0] = '\0';
}

/* Steps of the child's start that can fail, reported to the parent. */
enum sup_child_step {
	SUP_STEP_SETUP = 1,   /* descriptors */
	SUP_STEP_CHDIR = 2,   /* working directory */
	SUP_STEP_EXEC = 3     /* execve */
};

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
sup_exec_child(const char *exe, char *const *argv, char *const *envp,
	       const char *working_dir, const int out[2], int err_pipe)
{
	struct sigaction sa;
	sigset_t none;
	int fd, signo, report[2] = { SUP_STEP_SETUP, 0 };

	setsid();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (signo = 1; signo < NSIG; signo++)
		sigaction(signo, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(out[0], 1) < 0 ||
	    dup2(out[1], 2) < 0)
		goto fail;
	/* Keep the error pipe at 3 (close-on-exec) and close the rest. */
	if (err_pipe != 3 && dup2(err_pipe, 3) < 0)
		goto fail;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	err_pipe = 3;
	closefrom(4);
	report[0] = SUP_STEP_CHDIR;
	if (working_dir != NULL && chdir(working_dir) < 0)
		goto fail;
	report[0] = SUP_STEP_EXEC;
	execve(exe, argv, envp);

fail:
	report[1] = errno;
	if (write(err_pipe, report, sizeof report) < 0) {
		/* The parent sees a short read and reports exit 127. */
	}
	_exit(127);
}

/* Creates a pipe whose both ends close on exec. */
static int
sup_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Reads the child's start report: 0 when execve succeeded. */
static int
sup_read_start_report(int fd, int report[2])
{
	ssize_t n;

	do
		n = read(fd, report, 2 * sizeof report[0]);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)(2 * sizeof report[0]) ? -1 : 0;
}

static void
sup_describe_start_failure(struct sup_proc *proc, const char *exe,
			   const char *working_dir, const int report[2])
{
	const char *what = strerror(report[1]);

	if (report[0] == SUP_STEP_CHDIR)
		snprintf(proc->result.reason, sizeof proc->result.reason,
		    _("cannot enter the working directory %s: %s"),
		    working_dir, what);
	else if (report[0] == SUP_STEP_EXEC)
		snprintf(proc->result.reason, sizeof proc->result.reason,
		    _("cannot execute %s: %s"), exe, what);
	else
		snprintf(proc->result.reason, sizeof proc->result.reason,
		    _("cannot set up the stage's descriptors: %s"), what);
}

/* Copies envp and adds NOTIFY_SOCKET; returns NULL when too large. */
static char **
sup_build_env(char *const *envp, const char *notify_env)
{
	size_t n = 0, i;
	char **env;

	while (envp[n] != NULL)
		n++;
	if (n + 2 > SUP_ENV_MAX)
		return NULL;
	env = calloc(n + 2, sizeof *env);
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		env[i] = envp[i];
	if (notify_env[0] != '\0')
		env[n++] = (char *)notify_env;
	env[n] = NULL;
	return env;
}

/* Opens the pipes and the log files of both streams. */
static int
sup_open_streams(struct sup_proc *proc, const struct sup_spec *spec,
		 int child_out[2], struct wk_err *err)
{
	static const char *const names[2] = { "stdout", "stderr" };
	char path[PATH_MAX];
	int fds[2], i;

	for (i = 0; i < 2; i++) {
		if (spec->attempt > 1)
			snprintf(path, sizeof path, "%s/%s.%d.log",
			    spec->stage_dir, names[i], spec->attempt);
		else
			snprintf(path, sizeof path, "%s/%s.log",
			    spec->stage_dir, names[i]);
		if (logcap_init(&proc->cap[i], proc->store, proc->stage_run_id,
		    i == 0 ? STORE_STDOUT : STORE_STDERR, path) != WK_OK)
			return wk_err_set(err, WK_ERR_IO, _("cannot create the "
			    "log file %s: %s"), path, strerror(errno));
		if (sup_pipe(fds) < 0)
			return wk_err_set(err, WK_ERR_IO, _("cannot create a "
			    "pipe: %s"), strerror(errno));
		proc->pipe_fd[i] = fds[0];
		child_out[i] = fds[1];
		fcntl(fds[0], F_SETFL, O_NONBLOCK);
	}
	return WK_OK;
}

static void
sup_close_fds(int fds[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Forks and executes the child; returns WK_OK once execve succeeded. */
static int
sup_spawn(struct sup_proc *proc, const struct sup_spec *spec, const char *exe,
	  char *const *argv, char *const *env, int child_out[2],
	  struct wk_err *err)
{
	int err_pipe[2], report[2];
	pid_t pid;

	if (sup_pipe(err_pipe) < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot create a pipe: %s"),
		    strerror(errno));
	proc->start_ns = clk_mono_ns();
	proc->result.started_at = clk_wall_ms();
	pid = fork();
	if (pid == 0) {
		close(err_pipe[0]);
		sup_exec_child(exe, argv, env, spec->working_dir, child_out,
		    err_pipe[1]);
	}
	close(err_pipe[1]);
	if (pid < 0) {
		close(err_pipe[0]);
		return wk_err_set(err, WK_ERR_IO, _("cannot fork: %s"),
		    strerror(errno));
	}
	proc->pid = pid;
	if (sup_read_start_report(err_pipe[0], report) < 0)
		sup_describe_start_failure(proc, exe, spec->working_dir,
		    report);
	else
		proc->result.spawned = 1;
	close(err_pipe[0]);
	return WK_OK;
}

static void sup_timeout(struct ev_loop *loop, void *arg);

/* Registers the running child's descriptors, watch and timeout. */
static int
sup_watch(struct sup_proc *proc, const struct sup_spec *spec)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (ev_fd_add(proc->loop, proc->pipe_fd[i], EV_READ,
		    sup_pipe_readable, proc) != WK_OK)
			return WK_ERR_LIMIT;
	}
	if (ev_child_watch(proc->loop, proc->pid, &sup_child_ops, proc) !=
	    WK_OK)
		return WK_ERR_LIMIT;
	if (spec->timeout_ms > 0) {
		proc->timeout_at_ns = proc->start_ns + spec->timeout_ms *
		    1000000;
		proc->timeout_timer = ev_timer_at(proc->loop,
		    proc->timeout_at_ns, sup_timeout, proc);
	}
	return WK_OK;
}

static struct sup_proc *
sup_proc_new(struct ev_loop *loop, struct store *store,
	     const struct sup_spec *spec)
{
	struct sup_proc *proc = calloc(1, sizeof *proc);

	if (proc == NULL)
		return NULL;
	proc->label = strdup(spec->label);
	if (proc->label == NULL) {
		free(proc);
		return NULL;
	}
	proc->loop = loop;
	proc->store = store;
	proc->run_id = spec->run_id;
	proc->stage_run_id = spec->stage_run_id;
	proc->grace_ms = spec->grace_ms;
	proc->pipe_fd[0] = proc->pipe_fd[1] = -1;
	proc->cap[0].file_fd = proc->cap[1].file_fd = -1;
	proc->notify_fd = -1;
	proc->result.exit_code = -1;
	proc->result.duration_ms = -1;
	proc->result.user_cpu_ms = proc->result.sys_cpu_ms = -1;
	proc->result.max_rss_kb = -1;
	return proc;
}

int
sup_start(struct ev_loop *loop, struct store *store,
	  const struct sup_spec *spec, sup_done_fn done, void *arg,
	  struct sup_proc **out, struct wk_err *err)
{
	char *shell_argv[] = { "/bin/sh", "-c", (char *)spec->shell, NULL };
	char *const *argv = spec->argv != NULL ? spec->argv : shell_argv;
	char exe[PATH_MAX], notify_env[PATH_MAX + 32];
	int child_out[2] = { -1, -1 }, rc;
	struct sup_proc *proc;
	char **env = NULL;

	proc = sup_proc_new(loop, store, spec);
	if (proc == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	proc->done = done;
	proc->done_arg = arg;

	if (paths_mkdir_p(spec->stage_dir) < 0) {
		rc = wk_err_set(err, WK_ERR_IO, _("cannot create the stage "
		    "directory %s: %s"), spec->stage_dir, strerror(errno));
		goto fail;
	}
	if (sup_find_executable(argv[0], spec->envp, exe, sizeof exe) < 0) {
		rc = wk_err_set(err, WK_ERR_NOTFOUND, _("command not found: "
		    "%s; give its full path or add its directory to PATH"),
		    argv[0]);
		goto fail;
	}
	rc = sup_open_streams(proc, spec, child_out, err);
	if (rc != WK_OK)
		goto fail;
	sup_open_notify(proc, spec->stage_dir, notify_env, sizeof notify_env);
	env = sup_build_env(spec->envp, notify_env);
	if (env == NULL) {
		rc = wk_err_set(err, WK_ERR_LIMIT, _("the stage environment "
		    "has too many entries (at most %d)"), SUP_ENV_MAX);
		goto fail;
	}

	rc = sup_spawn(proc, spec, exe, argv, env, child_out, err);
	sup_close_fds(child_out);
	free(env);
	env = NULL;
	if (rc != WK_OK)
		goto fail;
	rc = sup_watch(proc, spec);
	if (rc != WK_OK) {
		kill(-proc->pid, SIGKILL);
		rc = wk_err_set(err, rc, _("too many processes or descriptors "
		    "are being watched"));
		goto fail_watch;
	}
	store_stage_start(store, proc->stage_run_id, (int)proc->pid,
	    proc->result.started_at);
	if (proc->result.spawned)
		LOG_RUN(LL_INFO, proc->run_id, proc->label,
		    _("started attempt %d as pid %d"), spec->attempt,
		    (int)proc->pid);
	*out = proc;
	return WK_OK;

fail:
	sup_close_fds(child_out);
	free(env);
fail_watch:
	sup_free(proc);
	return rc;
}

/* Reads what a pipe holds now; closes it at end of file. */
static void
sup_drain(struct sup_proc *proc, int i, int max_reads)
{
	char chunk[SUP_READ_CHUNK];
	ssize_t n;

	while (proc->pipe_fd[i] >= 0 && max_reads-- > 0) {
		n = read(proc->pipe_fd[i], chunk, sizeof chunk);
		if (n > 0) {
			logcap_feed(&proc->cap[i], chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		ev_fd_del(proc->loop, proc->pipe_fd[i]);
		close(proc->pipe_fd[i]);
		proc->pipe_fd[i] = -1;
	}
}

static void
sup_pipe_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct sup_proc *proc = arg;

	(void)loop;
	(void)events;
	sup_drain(proc, fd == proc->pipe_fd[0] ? 0 : 1, SUP_READS_PER_WAKEUP);
}

/* Moves the timeout when the stage asks for more time. */
static void
sup_extend_timeout(struct sup_proc *proc, int64_t extend_us)
{
	int64_t at = clk_mono_ns() + extend_us * 1000;

	if (proc->timeout_timer == 0 || proc->stopping ||
	    at <= proc->timeout_at_ns)
		return;
	ev_timer_cancel(proc->loop, proc->timeout_timer);
	proc->timeout_at_ns = at;
	proc->timeout_timer = ev_timer_at(proc->loop, at, sup_timeout, proc);
	LOG_RUN(LL_INFO, proc->run_id, proc->label,
	    _("timeout extended by %lld ms at the stage's request"),
	    (long long)(extend_us / 1000));
}

static void
sup_apply_notify(struct sup_proc *proc, const struct sdnotify_msg *msg)
{
	int64_t now = clk_mono_ns(), wall = clk_wall_ms();
	double progress = -1;
	size_t i;

	for (i = 0; i < msg->n_metrics; i++)
		store_metric_set(proc->store, proc->stage_run_id,
		    msg->metrics[i].name, msg->metrics[i].value, wall);
	if (msg->progress >= 0 && now - proc->progress_stored_ns >=
	    SUP_PROGRESS_INTERVAL_MS * INT64_C(1000000)) {
		progress = msg->progress;
		proc->progress_stored_ns = now;
	}
	if (msg->has_status || progress >= 0)
		store_stage_status(proc->store, proc->stage_run_id,
		    msg->has_status ? msg->status : NULL, progress);
	if (msg->extend_timeout_us >= 0)
		sup_extend_timeout(proc, msg->extend_timeout_us);
	if (msg->ready)
		LOG_RUN(LL_DEBUG, proc->run_id, proc->label, _("stage is ready"));
	if (msg->invalid > 0 && proc->notify_invalid++ == 0)
		LOG_RUN(LL_WARN, proc->run_id, proc->label,
		    _("ignored an invalid notify assignment \"%s\"; later ones "
		      "are counted only"), msg->first_invalid);
}

/* Reads up to max_reads datagrams waiting on the notify socket. */
static void
sup_read_notify(struct sup_proc *proc, int max_reads)
{
	char data[SDNOTIFY_DATAGRAM_MAX];
	struct sdnotify_msg msg;
	ssize_t n;

	while (proc->notify_fd >= 0 && max_reads-- > 0) {
		n = recv(proc->notify_fd, data, sizeof data,
		    MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		sdnotify_parse(data, (size_t)n < sizeof data ? (size_t)n :
		    sizeof data, &msg);
		sup_apply_notify(proc, &msg);
	}
}

static void
sup_notify_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	sup_read_notify(arg, SUP_READS_PER_WAKEUP);
}

/* Sends SIGTERM to the group now and SIGKILL after the grace period. */
static void sup_kill(struct ev_loop *loop, void *arg);

static void
sup_terminate(struct sup_proc *proc)
{
	if (proc->stopping || proc->exited)
		return;
	proc->stopping = 1;
	kill(-proc->pid, SIGTERM);
	proc->kill_timer = ev_timer_at(proc->loop, clk_mono_ns() +
	    proc->grace_ms * 1000000, sup_kill, proc);
}

static void
sup_kill(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;

	(void)loop;
	proc->kill_timer = 0;
	if (proc->exited)
		return;
	LOG_RUN(LL_WARN, proc->run_id, proc->label,
	    _("process group %d still running %lld ms after SIGTERM; sending "
	      "SIGKILL"), (int)proc->pid, (long long)proc->grace_ms);
	kill(-proc->pid, SIGKILL);
}

static void
sup_timeout(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;
	char limit[32];

	(void)loop;
	proc->timeout_timer = 0;
	if (proc->exited)
		return;
	clk_format_duration(limit, sizeof limit,
	    (proc->timeout_at_ns - proc->start_ns) / 1000000);
	LOG_RUN(LL_WARN, proc->run_id, proc->label,
	    _("timed out after %s; sending SIGTERM to process group %d"),
	    limit, (int)proc->pid);
	proc->result.timed_out = 1;
	sup_terminate(proc);
}

void
sup_cancel(struct sup_proc *proc)
{
	if (proc->exited || proc->stopping)
		return;
	LOG_RUN(LL_INFO, proc->run_id, proc->label,
	    _("cancelling: sending SIGTERM to process group %d"),
	    (int)proc->pid);
	proc->result.cancelled = 1;
	sup_terminate(proc);
}

/*
 * The main process has exited but is not reaped yet, so its process group
 * id cannot be taken by another process: read what it wrote, then kill
 * whatever it left running in its group.
 */
static void
sup_child_exited(struct ev_loop *loop, pid_t pid, void *arg)
{
	struct sup_proc *proc = arg;

	(void)loop;
	proc->exited = 1;
	sup_drain(proc, 0, INT_MAX);
	sup_drain(proc, 1, INT_MAX);
	kill(-pid, SIGKILL);
}

static int64_t
sup_timeval_ms(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

static void
sup_child_reaped(struct ev_loop *loop, pid_t pid, int status,
		 const struct rusage *usage, void *arg)
{
	struct sup_proc *proc = arg;
	struct sup_result *r = &proc->result;
	int i;

	(void)loop;
	(void)pid;
	r->duration_ms = (clk_mono_ns() - proc->start_ns) / 1000000;
	r->ended_at = clk_wall_ms();
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r->user_cpu_ms = sup_timeval_ms(&usage->ru_utime);
	r->sys_cpu_ms = sup_timeval_ms(&usage->ru_stime);
	r->max_rss_kb = usage->ru_maxrss;

	for (i = 0; i < 2; i++) {
		/* Output of leftovers killed a moment ago, then close. */
		sup_drain(proc, i, SUP_READS_PER_WAKEUP);
		if (proc->pipe_fd[i] >= 0) {
			ev_fd_del(proc->loop, proc->pipe_fd[i]);
			close(proc->pipe_fd[i]);
			proc->pipe_fd[i] = -1;
		}
		logcap_finish(&proc->cap[i]);
	}
	/* Metrics sent just before the exit are still queued. */
	sup_read_notify(proc, INT_MAX);
	r->stdout_lines = proc->cap[0].line_no;
	r->stderr_lines = proc->cap[1].line_no;
	r->error_lines = proc->cap[0].error_lines + proc->cap[1].error_lines;
	snprintf(r->last_error, sizeof r->last_error, "%s",
	    proc->cap[1].last_error[0] != '\0' ? proc->cap[1].last_error :
	    proc->cap[0].last_error);
	store_flush(proc->store);
	proc->done(proc, r, proc->done_arg);
}

void
sup_free(struct sup_proc *proc)
{
	int i;

	if (proc == NULL)
		return;
	if (proc->timeout_timer != 0)
		ev_timer_cancel(proc->loop, proc->timeout_timer);
	if (proc->kill_timer != 0)
		ev_timer_cancel(proc->loop, proc->kill_timer);
	for (i = 0; i < 2; i++) {
		if (proc->pipe_fd[i] >= 0) {
			ev_fd_del(proc->loop, proc->pipe_fd[i]);
			close(proc->pipe_fd[i]);
		}
		logcap_finish(&proc->cap[i]);
	}
	if (proc->notify_fd >= 0) {
		ev_fd_del(proc->loop, proc->notify_fd);
		close(proc->notify_fd);
	}
	if (proc->notify_path[0] != '\0')
		unlink(proc->notify_path);
	free(proc->label);
	free(proc);
}
