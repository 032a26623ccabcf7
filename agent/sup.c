/* struct ucred (SCM_CREDENTIALS) is a GNU interface. */
#define _GNU_SOURCE

#include "sup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/uio.h>
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
#define SUP_PIPE_READS_PER_TURN 1  /* reads of a ready pipe in one loop
				      turn, so that a stage that writes
				      without pause shares the loop */
#define SUP_PROGRESS_INTERVAL_MS 500 /* least time between stored progress */
#define SUP_ENV_MAX 4096           /* environment entries of a stage */
#define SUP_MEMORY_POLL_MS 250     /* interval of the RSS checks */
#define SUP_HEARTBEAT_STORE_MS 1000 /* least time between stored beats */
#define SUP_GROUP_POLL_MS 5        /* checks of an emptying group */
#define SUP_LOG_TICK_MS 1000       /* commits of a quiet stage's lines */
#define SUP_GROUP_WAIT_MS 5000     /* wait for a killed group to empty */

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
	int64_t heartbeat_ns;        /* expected heartbeat interval, 0: none */
	int heartbeat_kill;          /* kill on missed heartbeats */
	int64_t last_heartbeat_ns;   /* monotonic time of the last one */
	int64_t heartbeat_stored_ns; /* monotonic time it was last stored */
	int heartbeat_warned;        /* the missed-heartbeat warning is out */
	uint64_t heartbeat_timer;    /* pending check, 0 when none */
	int64_t memory_limit;        /* bytes, 0: none */
	int memory_rlimit;           /* RLIMIT_AS was set to the limit */
	uint64_t memory_timer;       /* pending RSS poll, 0 when none */
	uint64_t group_timer;        /* pending empty-group check, 0: none */
	uint64_t log_timer;          /* pending log capture tick, 0: none */
	int64_t group_wait_ns;       /* monotonic start of that wait */
	char cgroup_dir[PATH_MAX];   /* cgroup the child joined, or "" */
	int exited;                  /* the child has exited */
	int stopping;                /* SIGTERM was sent */
	int64_t notify_invalid;      /* rejected notify assignments */
	int64_t notify_foreign;      /* datagrams dropped for their sender */
	struct sup_result result;    /* filled as the run ends */
	sup_done_fn done;            /* called once at the end */
	void *done_arg;
};

pid_t
sup_pid(const struct sup_proc *proc)
{
	return proc->pid;
}

int64_t
sup_process_start(pid_t pid)
{
	char path[64], text[1024], *p;
	long long start = -1;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';

	/* The command name (field 2) may hold spaces: count after its ')'. */
	p = strrchr(text, ')');
	for (field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%lld", &start) != 1)
		return -1;
	return (int64_t)start;
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

/*
 * Binds the notify socket to the abstract name "watchkeep/PID/STAGE_RUN_ID"
 * (Linux; no file to create or remove) and fills env with NOTIFY_SOCKET.
 */
static int
sup_bind_abstract(struct sup_proc *proc, int fd, char *env, size_t env_size)
{
	struct sockaddr_un addr;
	socklen_t len;
	int n;

	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1,
	    "watchkeep/%d/%lld", (int)getpid(), (long long)proc->stage_run_id);
	if (n <= 0 || (size_t)n >= sizeof addr.sun_path - 1)
		return -1;

	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
	if (bind(fd, (struct sockaddr *)&addr, len) < 0)
		return -1;
	snprintf(env, env_size, "NOTIFY_SOCKET=@%s", addr.sun_path + 1);
	return 0;
}

/*
 * Binds the notify socket to the file STAGE_DIR/notify.sock, for when the
 * abstract name is taken; fills proc->notify_path and env.
 */
static int
sup_bind_file(struct sup_proc *proc, int fd, const char *stage_dir,
	      char *env, size_t env_size)
{
	struct sockaddr_un addr;
	int n;

	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/notify.sock",
	    stage_dir);
	if (n <= 0 || (size_t)n >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}

	unlink(addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		return -1;
	snprintf(proc->notify_path, sizeof proc->notify_path, "%s",
	    addr.sun_path);
	snprintf(env, env_size, "NOTIFY_SOCKET=%s", addr.sun_path);
	return 0;
}

/*
 * Creates the stage's notify socket; on failure the stage runs without.
 * Any local process can send to an abstract name, so the socket passes
 * the sender's credentials and sup_read_notify() drops datagrams of other
 * users.
 */
static void
sup_open_notify(struct sup_proc *proc, const char *stage_dir, char *env,
		size_t env_size)
{
	int fd, on = 1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0)
		goto fail;
	if (sup_bind_abstract(proc, fd, env, env_size) < 0 &&
	    sup_bind_file(proc, fd, stage_dir, env, env_size) < 0)
		goto fail;
	if (ev_fd_add(proc->loop, fd, EV_READ, sup_notify_readable, proc) !=
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
	if (proc->notify_path[0] != '\0')
		unlink(proc->notify_path);
	proc->notify_path[0] = '\0';
	env[0] = '\0';
}

/* Steps of the child's start that can fail, reported to the parent. */
enum sup_child_step {
	SUP_STEP_NONE = 0,    /* no step failed */
	SUP_STEP_SETUP = 1,   /* descriptors */
	SUP_STEP_CHDIR = 2,   /* working directory */
	SUP_STEP_EXEC = 3,    /* execve */
	SUP_STEP_LIMITS = 4   /* cgroup, nice value, resource limits */
};

/* Settings the child applies to itself before exec. */
struct sup_child_setup {
	int nice;              /* added to the nice value */
	int64_t rlimit_as;     /* RLIMIT_AS in bytes, 0: unchanged */
	int cgroup_procs_fd;   /* cgroup.procs to join, -1: none */
};

/*
 * Runs in the child between vfork and exec. The child shares the agent's
 * memory and its parent's signal handlers must never run in it, so it
 * starts with every signal blocked, makes every disposition SIG_DFL and only
 * then unblocks. It calls async-signal-safe functions only and never
 * returns. It writes nothing but its own stack and, when a step fails,
 * report: the failed step and errno. The parent, suspended until the
 * execve or the _exit, reads report afterwards (Linux vfork semantics).
 */
static _Noreturn void
sup_exec_child(const char *exe, char *const *argv, char *const *envp,
	       const char *working_dir, const int out[2],
	       const struct sup_child_setup *setup, volatile int *report)
{
	struct sigaction sa;
	sigset_t none;
	int fd, signo, step = SUP_STEP_SETUP;

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
	step = SUP_STEP_LIMITS;
	/* Joins the cgroup before closefrom() closes cgroup.procs. */
	if (setup->cgroup_procs_fd >= 0 &&
	    write(setup->cgroup_procs_fd, "0", 1) != 1)
		goto fail;
	closefrom(3);
	if (setup->nice > 0) {
		errno = 0;
		if (nice(setup->nice) == -1 && errno != 0)
			goto fail;
	}
	if (setup->rlimit_as > 0) {
		struct rlimit limit = { (rlim_t)setup->rlimit_as,
			(rlim_t)setup->rlimit_as };

		if (setrlimit(RLIMIT_AS, &limit) < 0)
			goto fail;
	}
	step = SUP_STEP_CHDIR;
	if (working_dir != NULL && chdir(working_dir) < 0)
		goto fail;
	step = SUP_STEP_EXEC;
	execve(exe, argv, envp);

fail:
	report[1] = errno;
	report[0] = step;
	_exit(127);
}

/* Creates a pipe whose both ends close on exec. */
static int
sup_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
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
	else if (report[0] == SUP_STEP_LIMITS)
		snprintf(proc->result.reason, sizeof proc->result.reason,
		    _("cannot apply the cgroup, nice value or memory limit: "
		      "%s"), what);
	else
		snprintf(proc->result.reason, sizeof proc->result.reason,
		    _("cannot set up the stage's descriptors: %s"), what);
}

/*
 * Copies envp and adds NOTIFY_SOCKET and WATCHDOG_USEC (when not empty);
 * returns NULL when too large.
 */
static char **
sup_build_env(char *const *envp, const char *notify_env,
	      const char *watchdog_env)
{
	size_t n = 0, i;
	char **env;

	while (envp[n] != NULL)
		n++;
	if (n + 3 > SUP_ENV_MAX)
		return NULL;
	env = calloc(n + 3, sizeof *env);
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		env[i] = envp[i];
	if (notify_env[0] != '\0')
		env[n++] = (char *)notify_env;
	if (watchdog_env[0] != '\0')
		env[n++] = (char *)watchdog_env;
	env[n] = NULL;
	return env;
}

/*
 * Opens what the child gets as stdout and stderr: pipes, or with
 * log_to_files the log files themselves, with pipes as the fallback for a
 * file that cannot be opened.
 */
static int
sup_open_streams(struct sup_proc *proc, const struct sup_spec *spec,
		 int child_out[2], struct wk_err *err)
{
	enum store_stream stream;
	char path[PATH_MAX];
	int fds[2], i;

	for (i = 0; i < 2; i++) {
		stream = i == 0 ? STORE_STDOUT : STORE_STDERR;
		if (logcap_file_path(path, sizeof path, spec->stage_dir,
		    stream, spec->attempt) != WK_OK)
			return wk_err_set(err, WK_ERR_LIMIT, _("the path of "
			    "the log files in %s is too long"), spec->stage_dir);
		if (logcap_init(&proc->cap[i], proc->store, proc->stage_run_id,
		    stream, path) != WK_OK)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		if (spec->logs != NULL)
			logcap_set_limits(&proc->cap[i], spec->logs);
		logcap_set_owner(&proc->cap[i], proc->run_id, proc->label);
		if (spec->log_to_files && logcap_start_file(&proc->cap[i],
		    proc->loop, &child_out[i]) == WK_OK)
			continue;
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

/*
 * Starts the child with vfork(2), so the agent's memory is not copied, and
 * returns once the child has called execve or _exit. Signals stay blocked
 * in the agent meanwhile, so that none is handled in the child, and the
 * mask is restored before the return. Returns the pid, or -1 with errno.
 */
static pid_t
sup_vfork_exec(const char *exe, char *const *argv, char *const *envp,
	       const char *working_dir, const int out[2],
	       const struct sup_child_setup *setup, volatile int *report)
{
	sigset_t all, saved;
	pid_t pid;
	int saved_errno;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = vfork();
	if (pid == 0)
		sup_exec_child(exe, argv, envp, working_dir, out, setup,
		    report);
	saved_errno = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	errno = saved_errno;
	return pid;
}

/*
 * Starts the child and reads its start report. Returns WK_OK once a child
 * ran, whether or not its execve succeeded. result.spawned is set when it
 * did, and result.reason contains why it failed.
 */
static int
sup_spawn(struct sup_proc *proc, const struct sup_spec *spec, const char *exe,
	  char *const *argv, char *const *env, int child_out[2],
	  struct wk_err *err)
{
	struct sup_child_setup setup = { spec->nice,
		spec->memory_rlimit ? spec->memory_limit : 0, -1 };
	volatile int report[2] = { SUP_STEP_NONE, 0 };
	char path[PATH_MAX + 16];
	int failed[2];
	pid_t pid;

	if (spec->cgroup_dir != NULL) {
		snprintf(path, sizeof path, "%s/cgroup.procs", spec->cgroup_dir);
		setup.cgroup_procs_fd = open(path, O_WRONLY | O_CLOEXEC);
		if (setup.cgroup_procs_fd < 0)
			return wk_err_set(err, WK_ERR_IO, _("cannot open %s: "
			    "%s"), path, strerror(errno));
		snprintf(proc->cgroup_dir, sizeof proc->cgroup_dir, "%s",
		    spec->cgroup_dir);
	}
	proc->start_ns = clk_mono_ns();
	proc->result.started_at = clk_wall_ms();
	pid = sup_vfork_exec(exe, argv, env, spec->working_dir, child_out,
	    &setup, report);
	if (setup.cgroup_procs_fd >= 0)
		close(setup.cgroup_procs_fd);
	if (pid < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot fork: %s"),
		    strerror(errno));
	proc->pid = pid;
	failed[0] = report[0];
	failed[1] = report[1];
	if (failed[0] != SUP_STEP_NONE)
		sup_describe_start_failure(proc, exe, spec->working_dir,
		    failed);
	else
		proc->result.spawned = 1;
	return WK_OK;
}

static void sup_timeout(struct ev_loop *loop, void *arg);
static void sup_heartbeat_check(struct ev_loop *loop, void *arg);
static void sup_log_tick(struct ev_loop *loop, void *arg);
static void sup_memory_check(struct ev_loop *loop, void *arg);

/* Registers the running child's descriptors, watch and timeout. */
static int
sup_watch(struct sup_proc *proc, const struct sup_spec *spec)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (proc->pipe_fd[i] >= 0 && ev_fd_add(proc->loop,
		    proc->pipe_fd[i], EV_READ, sup_pipe_readable, proc) !=
		    WK_OK)
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
	if (proc->heartbeat_ns > 0) {
		proc->last_heartbeat_ns = proc->start_ns;
		proc->heartbeat_timer = ev_timer_at(proc->loop,
		    proc->start_ns + proc->heartbeat_ns, sup_heartbeat_check,
		    proc);
	}
	proc->log_timer = ev_timer_at(proc->loop, proc->start_ns +
	    SUP_LOG_TICK_MS * INT64_C(1000000), sup_log_tick, proc);
	if (proc->memory_limit > 0)
		proc->memory_timer = ev_timer_at(proc->loop, proc->start_ns +
		    SUP_MEMORY_POLL_MS * INT64_C(1000000), sup_memory_check,
		    proc);
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
	proc->heartbeat_ns = spec->heartbeat_ms * 1000000;
	proc->heartbeat_kill = spec->heartbeat_kill;
	proc->memory_limit = spec->cgroup_dir == NULL ? spec->memory_limit : 0;
	proc->memory_rlimit = spec->memory_rlimit && spec->memory_limit > 0;
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
	char exe[PATH_MAX], notify_env[PATH_MAX + 32], watchdog_env[48] = "";
	int64_t begin_ns = clk_mono_ns(), exec_ns;
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
	if (spec->heartbeat_ms > 0 && notify_env[0] != '\0')
		snprintf(watchdog_env, sizeof watchdog_env,
		    "WATCHDOG_USEC=%lld", (long long)spec->heartbeat_ms * 1000);
	env = sup_build_env(spec->envp, notify_env, watchdog_env);
	if (env == NULL) {
		rc = wk_err_set(err, WK_ERR_LIMIT, _("the stage environment "
		    "has too many entries (at most %d)"), SUP_ENV_MAX);
		goto fail;
	}

	rc = sup_spawn(proc, spec, exe, argv, env, child_out, err);
	exec_ns = clk_mono_ns();
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
	    sup_process_start(proc->pid), proc->result.started_at);
	if (proc->result.spawned)
		LOG_RUN(LL_INFO, proc->run_id, proc->label,
		    _("started attempt %d as pid %d"), spec->attempt,
		    (int)proc->pid);
	/* bench/supervise.sh reads this line for the stage start latency. */
	if (proc->result.spawned)
		LOG_RUN(LL_DEBUG, proc->run_id, proc->label,
		    _("pid %d: execve succeeded %lld us after the stage "
		      "start began, %lld us after fork"), (int)proc->pid,
		    (long long)((exec_ns - begin_ns) / 1000),
		    (long long)((exec_ns - proc->start_ns) / 1000));
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
	sup_drain(proc, fd == proc->pipe_fd[0] ? 0 : 1,
	    SUP_PIPE_READS_PER_TURN);
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

/* Notes a heartbeat; stores it at most once per SUP_HEARTBEAT_STORE_MS. */
static void
sup_heartbeat(struct sup_proc *proc, int64_t now, int64_t wall)
{
	if (proc->heartbeat_warned)
		LOG_RUN(LL_INFO, proc->run_id, proc->label,
		    _("heartbeats resumed"));
	proc->last_heartbeat_ns = now;
	proc->heartbeat_warned = 0;
	if (now - proc->heartbeat_stored_ns < SUP_HEARTBEAT_STORE_MS *
	    INT64_C(1000000))
		return;
	proc->heartbeat_stored_ns = now;
	store_stage_heartbeat(proc->store, proc->stage_run_id, wall);
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
	if (msg->watchdog)
		sup_heartbeat(proc, now, wall);
	if (msg->invalid > 0 && proc->notify_invalid++ == 0)
		LOG_RUN(LL_WARN, proc->run_id, proc->label,
		    _("ignored an invalid notify assignment \"%s\"; later ones "
		      "are counted only"), msg->first_invalid);
}

/*
 * Receives one datagram and the sender's uid, which is -1 when the
 * credentials are missing. Returns the datagram's length as recv(2) does.
 */
static ssize_t
sup_recv_notify(int fd, char *data, size_t size, long *uid)
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

	*uid = -1;
	n = recvmsg(fd, &hdr, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (c = CMSG_FIRSTHDR(&hdr); c != NULL; c = CMSG_NXTHDR(&hdr, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof cred)) {
			memcpy(&cred, CMSG_DATA(c), sizeof cred);
			*uid = (long)cred.uid;
		}
	}
	return n;
}

/*
 * Reads up to max_reads datagrams waiting on the notify socket. Only the
 * agent's own user and root may send; other datagrams are dropped.
 * NOTE: the sender's process group is not checked, so a process of the
 * agent's user, such as another stage, can send to this stage's socket.
 */
static void
sup_read_notify(struct sup_proc *proc, int max_reads)
{
	char data[SDNOTIFY_DATAGRAM_MAX];
	struct sdnotify_msg msg;
	ssize_t n;
	long uid;

	while (proc->notify_fd >= 0 && max_reads-- > 0) {
		n = sup_recv_notify(proc->notify_fd, data, sizeof data, &uid);
		if (n < 0)
			return;
		if (uid != (long)geteuid() && uid != 0) {
			if (proc->notify_foreign++ == 0)
				LOG_RUN(LL_WARN, proc->run_id, proc->label,
				    _("dropped a notify datagram from uid %ld, "
				      "which is not the agent's user; later "
				      "ones are counted only"), uid);
			continue;
		}
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

/*
 * Sends SIGTERM to the group now and SIGKILL after the grace period.
 * NOTE: a descendant that called setsid() has left the group, so it is
 * neither signalled nor waited for.
 */
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

/*
 * Checks the heartbeats: past one interval without one, a warning; past two,
 * the configured action. A stage that never sent one is judged from its
 * start.
 */
static void
sup_heartbeat_check(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;
	int64_t now = clk_mono_ns(), silent = now - proc->last_heartbeat_ns;
	int64_t next;

	(void)loop;
	proc->heartbeat_timer = 0;
	if (proc->exited || proc->stopping)
		return;
	if (silent >= 2 * proc->heartbeat_ns && proc->heartbeat_kill) {
		LOG_RUN(LL_ERROR, proc->run_id, proc->label,
		    _("no heartbeat for %lld ms (interval %lld ms); stopping "
		      "process group %d"), (long long)(silent / 1000000),
		    (long long)(proc->heartbeat_ns / 1000000), (int)proc->pid);
		proc->result.heartbeat_missed = 1;
		sup_terminate(proc);
		return;
	}
	if (silent >= proc->heartbeat_ns && !proc->heartbeat_warned) {
		LOG_RUN(LL_WARN, proc->run_id, proc->label,
		    _("no heartbeat for %lld ms (interval %lld ms)"),
		    (long long)(silent / 1000000),
		    (long long)(proc->heartbeat_ns / 1000000));
		proc->heartbeat_warned = 1;
	}
	next = proc->last_heartbeat_ns + proc->heartbeat_ns;
	if (next <= now)
		next = proc->last_heartbeat_ns + 2 * proc->heartbeat_ns;
	if (next <= now)
		next = now + proc->heartbeat_ns;
	proc->heartbeat_timer = ev_timer_at(proc->loop, next,
	    sup_heartbeat_check, proc);
}

/* Commits what log capture holds of a stage that went quiet. */
static void
sup_log_tick(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;

	proc->log_timer = 0;
	if (proc->exited)
		return;
	logcap_tick(&proc->cap[0]);
	logcap_tick(&proc->cap[1]);
	proc->log_timer = ev_timer_at(loop, clk_mono_ns() + SUP_LOG_TICK_MS *
	    INT64_C(1000000), sup_log_tick, proc);
}

/*
 * Visits the processes of group pgid: adds their resident memory in bytes
 * to *rss and counts in *alive those that are not zombies.
 */
static void
sup_group_scan(pid_t pgid, int64_t *rss, int *alive)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dirent *entry;
	DIR *dir;

	*rss = 0;
	*alive = 0;
	dir = opendir("/proc");
	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		char path[300], text[1024], *p, state = '?';
		long long pgrp = 0, pages = 0;
		ssize_t n;
		int fd;

		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, text, sizeof text - 1);
		close(fd);
		if (n <= 0)
			continue;
		text[n] = '\0';
		p = strrchr(text, ')');
		/* After ")": state ppid pgrp ... field 24 is rss in pages. */
		if (p == NULL || sscanf(p + 2, "%c %*d %lld %*d %*d %*d %*u "
		    "%*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %*u %*u "
		    "%lld", &state, &pgrp, &pages) != 3 || pgrp != pgid)
			continue;
		*rss += (int64_t)pages * page;
		*alive += state != 'Z';
	}
	closedir(dir);
}

int
sup_group_alive(pid_t pgid)
{
	int64_t rss;
	int alive;

	sup_group_scan(pgid, &rss, &alive);
	return alive;
}

/*
 * Polls the resident memory of the stage's process group and kills the
 * group once it passes the limit. Used where no cgroup enforces it.
 */
static void
sup_memory_check(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;
	int64_t rss;
	int alive;

	(void)loop;
	proc->memory_timer = 0;
	if (proc->exited)
		return;
	sup_group_scan(proc->pid, &rss, &alive);
	if (rss > proc->result.peak_group_rss)
		proc->result.peak_group_rss = rss;
	if (rss > proc->memory_limit && !proc->result.out_of_memory) {
		LOG_RUN(LL_ERROR, proc->run_id, proc->label,
		    _("resident memory %lld bytes passed the limit of %lld "
		      "bytes; killing process group %d"), (long long)rss,
		    (long long)proc->memory_limit, (int)proc->pid);
		proc->result.out_of_memory = 1;
		proc->result.oom_cause = SUP_OOM_RSS;
		kill(-proc->pid, SIGKILL);
		return;
	}
	proc->memory_timer = ev_timer_at(proc->loop, clk_mono_ns() +
	    SUP_MEMORY_POLL_MS * INT64_C(1000000), sup_memory_check, proc);
}

/*
 * Under RLIMIT_AS an allocation fails inside the program instead of a
 * kill. Tells whether the stage's output reports such a failure, in the
 * words of the common runtimes (C library, Python, C++, Java, Go, R).
 */
static int
sup_reported_allocation_failure(const struct sup_proc *proc)
{
	static const char *const phrases[] = {
		"Cannot allocate memory", "MemoryError", "bad_alloc",
		"OutOfMemoryError", "out of memory", "memory exhausted",
		"cannot allocate vector",
	};
	size_t i;
	int found = 0;

	for (i = 0; i < sizeof phrases / sizeof phrases[0] && !found; i++)
		store_log_contains(proc->store, proc->stage_run_id, phrases[i],
		    &found);
	return found;
}

/* Reads the oom_kill count of the stage's cgroup; 0 when unknown. */
static long
sup_cgroup_oom_kills(const struct sup_proc *proc)
{
	char path[PATH_MAX + 16], line[128];
	long count = 0;
	FILE *f;

	if (proc->cgroup_dir[0] == '\0')
		return 0;
	snprintf(path, sizeof path, "%s/memory.events", proc->cgroup_dir);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "oom_kill %ld", &count) == 1)
			break;
	}
	fclose(f);
	return count;
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

int
sup_kill_now(struct sup_proc *proc)
{
	if (proc->exited)
		return 0;

	if (proc->kill_timer != 0)
		ev_timer_cancel(proc->loop, proc->kill_timer);
	proc->kill_timer = 0;
	proc->stopping = 1;
	proc->result.cancelled = 1;
	LOG_RUN(LL_WARN, proc->run_id, proc->label,
	    _("cancelled again: sending SIGKILL to process group %d"),
	    (int)proc->pid);
	kill(-proc->pid, SIGKILL);
	return 1;
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

/*
 * Closes the streams, reads the last datagrams and reports the end. The
 * last log lines, metrics and what done() stores (the stage's end, the
 * start of the stages it unblocked) are committed in one transaction.
 */
static void
sup_finish(struct sup_proc *proc)
{
	struct sup_result *r = &proc->result;
	struct store *store = proc->store;
	int i;

	store_group_begin(store);
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
	if (!r->out_of_memory && sup_cgroup_oom_kills(proc) > 0)
		r->oom_cause = SUP_OOM_CGROUP;
	else if (!r->out_of_memory && proc->memory_rlimit &&
	    (r->exit_code != 0 || r->signal != 0) &&
	    sup_reported_allocation_failure(proc))
		r->oom_cause = SUP_OOM_ALLOCATION;
	r->out_of_memory = r->oom_cause != SUP_OOM_NONE;
	/* Metrics sent just before the exit are still queued. */
	sup_read_notify(proc, INT_MAX);
	r->stdout_lines = proc->cap[0].line_no;
	r->stderr_lines = proc->cap[1].line_no;
	r->error_lines = proc->cap[0].error_lines + proc->cap[1].error_lines;
	snprintf(r->last_error, sizeof r->last_error, "%s",
	    proc->cap[1].last_error[0] != '\0' ? proc->cap[1].last_error :
	    proc->cap[0].last_error);
	proc->done(proc, r, proc->done_arg);
	store_group_end(store);
}

/*
 * Waits until the stage's process group is empty: its killed leftovers,
 * re-parented to the agent as child subreaper, are reaped by the loop.
 * A group still there after SUP_GROUP_WAIT_MS is logged and left.
 */
static void
sup_group_check(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;
	int64_t waited = clk_mono_ns() - proc->group_wait_ns;

	proc->group_timer = 0;
	if (kill(-proc->pid, 0) == 0 &&
	    waited < SUP_GROUP_WAIT_MS * INT64_C(1000000)) {
		kill(-proc->pid, SIGKILL);
		proc->group_timer = ev_timer_at(loop, clk_mono_ns() +
		    SUP_GROUP_POLL_MS * INT64_C(1000000), sup_group_check, proc);
		return;
	}
	if (kill(-proc->pid, 0) == 0)
		LOG_RUN(LL_ERROR, proc->run_id, proc->label,
		    _("process group %d is not empty %d ms after SIGKILL"),
		    (int)proc->pid, SUP_GROUP_WAIT_MS);
	sup_finish(proc);
}

static void
sup_child_reaped(struct ev_loop *loop, pid_t pid, int status,
		 const struct rusage *usage, void *arg)
{
	struct sup_proc *proc = arg;
	struct sup_result *r = &proc->result;

	r->duration_ms = (clk_mono_ns() - proc->start_ns) / 1000000;
	r->ended_at = clk_wall_ms();
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r->user_cpu_ms = sup_timeval_ms(&usage->ru_utime);
	r->sys_cpu_ms = sup_timeval_ms(&usage->ru_stime);
	r->max_rss_kb = usage->ru_maxrss;
	if (kill(-pid, 0) < 0) {
		sup_finish(proc);
		return;
	}
	proc->group_wait_ns = clk_mono_ns();
	proc->group_timer = ev_timer_at(loop, proc->group_wait_ns,
	    sup_group_check, proc);
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
	if (proc->heartbeat_timer != 0)
		ev_timer_cancel(proc->loop, proc->heartbeat_timer);
	if (proc->memory_timer != 0)
		ev_timer_cancel(proc->loop, proc->memory_timer);
	if (proc->group_timer != 0)
		ev_timer_cancel(proc->loop, proc->group_timer);
	if (proc->log_timer != 0)
		ev_timer_cancel(proc->loop, proc->log_timer);
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
