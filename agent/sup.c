/* pipe2(2) and closefrom(3) are GNU interfaces. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "agent/logcap.h"
#include "agent/sup_escape.h"
#include "agent/stagenotify.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/procfs.h"

#define SUP_READ_CHUNK 65536       /* bytes read from a pipe at once */
#define SUP_READS_PER_WAKEUP 16    /* reads before other fds get a turn */
#define SUP_PIPE_READS_PER_TURN 1  /* reads of a ready pipe in one loop
				      turn, so that a stage that writes
				      without pause shares the loop */
#define SUP_ENV_MAX 4096           /* environment entries of a stage */
#define SUP_MEMORY_POLL_MS 250     /* interval of the RSS checks */
#define SUP_ESCAPE_POLL_EVERY 4    /* RSS checks per search for processes
				      that left the group (cost at
				      sup_memory_check()) */
#define SUP_GROUP_POLL_MS 5        /* checks of an emptying group */
#define SUP_LOG_TICK_MS 1000       /* commits of a quiet stage's lines */
#define SUP_GROUP_WAIT_MS 5000     /* wait for a killed group to empty */
#define SUP_ESCAPE_LOG_MAX 8       /* escaped processes named in the log */
#define SUP_ESCAPE_LIST_MAX 512    /* bytes of their list in the log */
#define SUP_OOM_TAIL_LINES 20      /* last stderr lines searched for a
				      reported allocation failure */
#define SUP_EXIT_CODES 256         /* exit statuses 0..255 */

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
	struct stagenotify notify;   /* notify socket and heartbeat checks */
	uint64_t timeout_timer;      /* pending timer ids, 0 when none */
	uint64_t kill_timer;
	int64_t start_ns;            /* monotonic time at fork */
	int64_t timeout_at_ns;       /* monotonic deadline, 0 when none */
	int64_t memory_limit;        /* bytes, 0: none */
	int memory_rlimit;           /* RLIMIT_AS was set to the limit */
	unsigned char declared_exit[SUP_EXIT_CODES / 8]; /* bitmap of the
					exit codes in fatal_exit_codes or
					retry_exit_codes */
	uint64_t memory_timer;       /* pending RSS poll, 0 when none */
	unsigned memory_polls;       /* RSS polls done */
	uint64_t group_timer;        /* pending empty-group check, 0: none */
	uint64_t log_timer;          /* pending log capture tick, 0: none */
	int64_t group_wait_ns;       /* monotonic start of that wait */
	char cgroup_dir[PATH_MAX];   /* cgroup the child joined, or "" */
	struct sup_escape escape;    /* processes that left the group */
	struct sup_escape polled;    /* the same, found by the RSS poll; kept
					apart so that a process that ended
					on its own is not reported as
					stopped */
	int leftovers;               /* live processes of the group when
					the main process exited */
	int exited;                  /* the child has exited */
	int stopping;                /* SIGTERM was sent */
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
	char text[1024];
	long long start;

	/* Field 22 is the start time. */
	if (procfs_read(pid, "stat", text, sizeof text) <= 0 ||
	    procfs_stat_field(text, 22, &start) < 0)
		return -1;
	return (int64_t)start;
}

/*
 * Stage processes the loop watches and has not reaped yet. Children of the
 * agent past this number are processes some stage left behind: the agent
 * is a child subreaper, so it inherits them.
 */
static size_t sup_watched;

static void sup_pipe_readable(struct ev_loop *loop, int fd, unsigned events,
			      void *arg);
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
	sup_watched++;
	if (spec->timeout_ms > 0) {
		proc->timeout_at_ns = proc->start_ns + spec->timeout_ms *
		    1000000;
		proc->timeout_timer = ev_timer_at(proc->loop,
		    proc->timeout_at_ns, sup_timeout, proc);
	}
	stagenotify_watch(&proc->notify, proc->pid, proc->cgroup_dir[0] !=
	    '\0' ? proc->cgroup_dir : NULL, spec->heartbeat_ms, proc->start_ns);
	proc->log_timer = ev_timer_at(proc->loop, proc->start_ns +
	    SUP_LOG_TICK_MS * INT64_C(1000000), sup_log_tick, proc);
	if (proc->memory_limit > 0)
		proc->memory_timer = ev_timer_at(proc->loop, proc->start_ns +
		    SUP_MEMORY_POLL_MS * INT64_C(1000000), sup_memory_check,
		    proc);
	return WK_OK;
}

static void sup_extend_timeout(struct sup_proc *proc, int64_t extend_us);
static void sup_terminate(struct sup_proc *proc);

static int
sup_notify_active(void *arg)
{
	const struct sup_proc *proc = arg;

	return !proc->exited && !proc->stopping;
}

/* Applies heartbeat_action "kill": the stage fails as heartbeat_missed. */
static void
sup_notify_stop(void *arg, int triggered)
{
	struct sup_proc *proc = arg;

	proc->result.heartbeat_missed = 1;
	proc->result.watchdog_triggered = triggered;
	sup_terminate(proc);
}

static void
sup_notify_extend(void *arg, int64_t extend_us)
{
	sup_extend_timeout(arg, extend_us);
}

static const struct stagenotify_ops sup_notify_ops = {
	.active = sup_notify_active,
	.stop = sup_notify_stop,
	.extend = sup_notify_extend,
};

/* Marks codes[0..n) in proc->declared_exit; codes out of 0..255 are skipped. */
static void
sup_declare_exit_codes(struct sup_proc *proc, const int *codes, size_t n)
{
	size_t i;

	for (i = 0; codes != NULL && i < n; i++) {
		if (codes[i] >= 0 && codes[i] < SUP_EXIT_CODES)
			proc->declared_exit[codes[i] / 8] |=
			    (unsigned char)(1u << (codes[i] % 8));
	}
}

static int
sup_exit_code_declared(const struct sup_proc *proc, int code)
{
	return code >= 0 && code < SUP_EXIT_CODES &&
	    (proc->declared_exit[code / 8] & (1u << (code % 8))) != 0;
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
	stagenotify_init(&proc->notify, loop, store, spec->run_id,
	    spec->stage_run_id, proc->label, spec->heartbeat_kill,
	    &sup_notify_ops, proc);
	proc->memory_limit = spec->cgroup_dir == NULL ? spec->memory_limit : 0;
	proc->memory_rlimit = spec->memory_rlimit && spec->memory_limit > 0;
	sup_declare_exit_codes(proc, spec->fatal_exit_codes,
	    spec->n_fatal_exit_codes);
	sup_declare_exit_codes(proc, spec->retry_exit_codes,
	    spec->n_retry_exit_codes);
	/*
	 * A stage cgroup contains every process, and every signal goes to
	 * its cgroup.procs too, so no search runs there.
	 */
	sup_escape_init(&proc->escape, spec->cgroup_dir == NULL ?
	    (const char *const *)spec->envp : NULL);
	sup_escape_init(&proc->polled, proc->memory_limit > 0 ?
	    (const char *const *)spec->envp : NULL);
	proc->pipe_fd[0] = proc->pipe_fd[1] = -1;
	proc->cap[0].file_fd = proc->cap[1].file_fd = -1;
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
	stagenotify_open(&proc->notify, spec->stage_dir, notify_env,
	    sizeof notify_env);
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

/*
 * Sends signo to every process of the stage's cgroup, which contains the
 * processes that left the group too: SIGKILL through cgroup.kill where the
 * kernel has it, other signals to each pid of cgroup.procs.
 */
static void
sup_signal_cgroup(struct sup_proc *proc, int signo)
{
	int rc = signo == SIGKILL ? cgroup_kill(proc->cgroup_dir) :
	    cgroup_signal_procs(proc->cgroup_dir, signo);

	if (rc < 0)
		LOG_RUN(LL_WARN, proc->run_id, proc->label,
		    _("cannot signal the processes of the cgroup %s: %s"),
		    proc->cgroup_dir, strerror(errno));
}

/*
 * Sends signo to the stage's process group, then to the processes of the
 * stage that left the group: those of its cgroup, or without a cgroup
 * those the search finds.
 */
static void
sup_signal_stage(struct sup_proc *proc, int signo)
{
	kill(-proc->pid, signo);
	if (proc->cgroup_dir[0] != '\0') {
		sup_signal_cgroup(proc, signo);
		return;
	}
	sup_escape_scan(&proc->escape, proc->pid, signo, NULL);
	sup_escape_signal(&proc->escape, signo);
}

/*
 * Sends SIGTERM to the group now and SIGKILL after the grace period. Without
 * a stage cgroup, the processes that left the group with setsid() or
 * setpgid() are found by the stage run's variables in their environment and
 * get the same signals. NOTE: a process that cleared or changed those
 * variables, or changed its uid, is still neither signalled nor waited for.
 */
static void sup_kill(struct ev_loop *loop, void *arg);

static void
sup_terminate(struct sup_proc *proc)
{
	if (proc->stopping || proc->exited)
		return;
	proc->stopping = 1;
	sup_signal_stage(proc, SIGTERM);
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
	sup_signal_stage(proc, SIGKILL);
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
		char text[1024], state;
		long long pgrp, pages;

		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		if (procfs_read((pid_t)atoi(entry->d_name), "stat", text,
		    sizeof text) <= 0)
			continue;
		/* Field 5 is the process group, field 24 the RSS in pages. */
		state = procfs_stat_state(text);
		if (state == '\0' || procfs_stat_field(text, 5, &pgrp) < 0 ||
		    pgrp != pgid || procfs_stat_field(text, 24, &pages) < 0)
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
 * Returns the resident memory in bytes of the stage's processes that left
 * its group. Every SUP_ESCAPE_POLL_EVERY polls, starting with the first,
 * it searches /proc for new ones, because the search reads
 * /proc/PID/environ of every process of the agent's uid outside the group
 * besides /proc/PID/stat of every process. Measured with sup_escape_scan()
 * in a loop on a loaded 2-core VM (Linux 6.18, environments of 1.4 KB), a
 * search took 0.7 to 1.0 ms with 80 processes. With 1,080 processes, of
 * which 1,000 ran as the agent's uid, it took 11 to 20 ms, against 9 ms
 * for the walk of sup_group_scan() alone. So the search at every 4th poll
 * adds 1 to 2 % of a core at 1,000 processes. The RSS of the processes it tracks is read
 * at every poll, which costs microseconds.
 */
static int64_t
sup_escaped_rss(struct sup_proc *proc)
{
	if (proc->memory_polls++ % SUP_ESCAPE_POLL_EVERY == 0) {
		sup_escape_prune(&proc->polled);
		sup_escape_scan(&proc->polled, proc->pid, 0, NULL);
	}
	return sup_escape_rss(&proc->polled);
}

/*
 * Polls the resident memory of the stage's processes: its process group
 * and those that left the group. Kills them once the sum passes the limit.
 * Used where no cgroup enforces it.
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
	rss += sup_escaped_rss(proc);
	if (rss > proc->result.peak_group_rss)
		proc->result.peak_group_rss = rss;
	if (rss > proc->memory_limit && !proc->result.out_of_memory) {
		LOG_RUN(LL_ERROR, proc->run_id, proc->label,
		    _("resident memory %lld bytes passed the limit of %lld "
		      "bytes; killing process group %d"), (long long)rss,
		    (long long)proc->memory_limit, (int)proc->pid);
		proc->result.out_of_memory = 1;
		proc->result.oom_cause = SUP_OOM_RSS;
		sup_signal_stage(proc, SIGKILL);
		return;
	}
	proc->memory_timer = ev_timer_at(proc->loop, clk_mono_ns() +
	    SUP_MEMORY_POLL_MS * INT64_C(1000000), sup_memory_check, proc);
}

/*
 * Tells whether one of the last SUP_OOM_TAIL_LINES stored lines of the
 * stage's stderr reports a failed allocation, in the words of the common
 * runtimes (C library, Python, C++, Java, Go, R). A runtime that dies of a
 * failed allocation prints it last on stderr, while stdout and earlier
 * lines may mention memory for other reasons.
 */
static int
sup_stderr_reports_allocation_failure(const struct sup_proc *proc)
{
	static const char *const phrases[] = {
		"Cannot allocate memory", "MemoryError", "bad_alloc",
		"OutOfMemoryError", "out of memory", "memory exhausted",
		"cannot allocate vector",
	};
	int64_t after = proc->cap[1].line_no - SUP_OOM_TAIL_LINES;
	struct store_log_line *lines;
	size_t count = 0, i, j;
	int found = 0;

	lines = malloc(SUP_OOM_TAIL_LINES * sizeof *lines);
	if (lines == NULL)
		return 0;
	if (store_log_lines_get(proc->store, proc->stage_run_id, STORE_STDERR,
	    0, after > 0 ? after : 0, lines, SUP_OOM_TAIL_LINES, &count) !=
	    WK_OK)
		count = 0;
	for (i = 0; i < count && !found; i++) {
		for (j = 0; j < sizeof phrases / sizeof phrases[0]; j++)
			found |= strstr(lines[i].text, phrases[j]) != NULL;
	}
	free(lines);
	return found;
}

/*
 * Under RLIMIT_AS an allocation fails inside the program instead of a
 * kill, so only the program's output shows it. Decides that a failed run ran
 * out of memory when RLIMIT_AS was set, its exit code is not listed in
 * fatal_exit_codes or retry_exit_codes (a listed code is the program's own
 * diagnosis), and the last SUP_OOM_TAIL_LINES lines of its stderr report a
 * failed allocation.
 */
static int
sup_allocation_failed(const struct sup_proc *proc)
{
	const struct sup_result *r = &proc->result;

	if (!proc->memory_rlimit || !r->spawned ||
	    (r->exit_code == 0 && r->signal == 0))
		return 0;
	if (r->signal == 0 && sup_exit_code_declared(proc, r->exit_code))
		return 0;
	return sup_stderr_reports_allocation_failure(proc);
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
	sup_signal_stage(proc, SIGKILL);
	return 1;
}

/*
 * The main process has exited but is not reaped yet, so its process group
 * id cannot be taken by another process: read what it wrote, count and
 * kill whatever it left running in its group, and kill the processes that
 * left the group.
 */
static void
sup_child_exited(struct ev_loop *loop, pid_t pid, void *arg)
{
	struct sup_proc *proc = arg;

	(void)loop;
	proc->exited = 1;
	sup_drain(proc, 0, INT_MAX);
	sup_drain(proc, 1, INT_MAX);
	/* Every process left behind has a child of the agent as ancestor, so
	   the walk of /proc runs only when the agent has more children than
	   the stage processes it watches. */
	if (sup_escape_children() > sup_watched)
		sup_escape_scan(&proc->escape, pid, SIGKILL,
		    &proc->leftovers);
	kill(-pid, SIGKILL);
	if (proc->cgroup_dir[0] != '\0')
		sup_signal_cgroup(proc, SIGKILL);
	sup_escape_signal(&proc->escape, SIGKILL);
}

static int64_t
sup_timeval_ms(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

/*
 * Logs at warn level, and stores as the stage run's metrics, the processes
 * the stage left behind: those of its group at the main process's exit and
 * those that had left the group.
 */
static void
sup_report_leftovers(struct sup_proc *proc)
{
	size_t escaped = sup_escape_found(&proc->escape);
	char list[SUP_ESCAPE_LIST_MAX];
	int64_t wall = clk_wall_ms();

	if (proc->leftovers > 0) {
		LOG_RUN(LL_WARN, proc->run_id, proc->label,
		    P_("killed %d leftover process of process group %d after "
		       "the stage ended", "killed %d leftover processes of "
		       "process group %d after the stage ended",
		       (unsigned long)proc->leftovers), proc->leftovers,
		    (int)proc->pid);
		store_metric_set(proc->store, proc->stage_run_id,
		    "watchkeep.leftover_processes", (double)proc->leftovers,
		    wall);
	}
	if (escaped == 0)
		return;
	sup_escape_describe(&proc->escape, SUP_ESCAPE_LOG_MAX, list,
	    sizeof list);
	LOG_RUN(LL_WARN, proc->run_id, proc->label,
	    P_("stopped %zu process that had left process group %d (setsid "
	       "or setpgid): %s", "stopped %zu processes that had left "
	       "process group %d (setsid or setpgid): %s",
	       (unsigned long)escaped), escaped, (int)proc->pid, list);
	store_metric_set(proc->store, proc->stage_run_id,
	    "watchkeep.escaped_processes", (double)escaped, wall);
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
	else if (!r->out_of_memory && sup_allocation_failed(proc))
		r->oom_cause = SUP_OOM_ALLOCATION;
	r->out_of_memory = r->oom_cause != SUP_OOM_NONE;
	/* Metrics sent just before the exit are still queued. */
	stagenotify_read(&proc->notify, INT_MAX);
	r->stdout_lines = proc->cap[0].line_no;
	r->stderr_lines = proc->cap[1].line_no;
	r->error_lines = proc->cap[0].error_lines + proc->cap[1].error_lines;
	snprintf(r->last_error, sizeof r->last_error, "%s",
	    proc->cap[1].last_error[0] != '\0' ? proc->cap[1].last_error :
	    proc->cap[0].last_error);
	sup_report_leftovers(proc);
	proc->done(proc, r, proc->done_arg);
	store_group_end(store);
}

/*
 * Sends signo (0: none) to what is left of the stage: its process group and
 * the tracked processes that left it. Returns 1 while any of them runs.
 * Once none does, it searches again whenever the agent has more children
 * than the stages it watches. A process may have left the group between
 * the search and the kill, or been forked by one that did. As child
 * subreaper the agent inherits such a process, and the search kills it.
 */
static int
sup_stage_left(struct sup_proc *proc, int signo)
{
	int group = kill(-proc->pid, signo) == 0;
	int escaped = sup_escape_signal(&proc->escape, signo);

	if (proc->cgroup_dir[0] != '\0')
		return group || cgroup_signal_procs(proc->cgroup_dir, signo) > 0;
	if (group || escaped > 0)
		return 1;
	if (sup_escape_children() <= sup_watched)
		return 0;
	if (sup_escape_scan(&proc->escape, proc->pid, SIGKILL, NULL) == 0)
		return 0;
	return sup_escape_signal(&proc->escape, SIGKILL) > 0;
}

/*
 * Waits until the stage's process group is empty and the processes that
 * left it have ended: the killed ones re-parented to the agent as child
 * subreaper are reaped by the loop. What is still there after
 * SUP_GROUP_WAIT_MS is logged and left.
 */
static void
sup_group_check(struct ev_loop *loop, void *arg)
{
	struct sup_proc *proc = arg;
	int64_t waited = clk_mono_ns() - proc->group_wait_ns;
	int escaped;

	proc->group_timer = 0;
	if (waited < SUP_GROUP_WAIT_MS * INT64_C(1000000) &&
	    sup_stage_left(proc, SIGKILL)) {
		proc->group_timer = ev_timer_at(loop, clk_mono_ns() +
		    SUP_GROUP_POLL_MS * INT64_C(1000000), sup_group_check, proc);
		return;
	}
	if (kill(-proc->pid, 0) == 0)
		LOG_RUN(LL_ERROR, proc->run_id, proc->label,
		    _("process group %d is not empty %d ms after SIGKILL"),
		    (int)proc->pid, SUP_GROUP_WAIT_MS);
	escaped = sup_escape_signal(&proc->escape, 0);
	if (escaped > 0)
		LOG_RUN(LL_ERROR, proc->run_id, proc->label,
		    P_("%d process that left process group %d still runs %d "
		       "ms after SIGKILL", "%d processes that left process "
		       "group %d still run %d ms after SIGKILL",
		       (unsigned long)escaped), escaped, (int)proc->pid,
		    SUP_GROUP_WAIT_MS);
	sup_finish(proc);
}

static void
sup_child_reaped(struct ev_loop *loop, pid_t pid, int status,
		 const struct rusage *usage, void *arg)
{
	struct sup_proc *proc = arg;
	struct sup_result *r = &proc->result;

	(void)pid;  /* the group id, also in proc->pid */
	sup_watched--;
	r->duration_ms = (clk_mono_ns() - proc->start_ns) / 1000000;
	r->ended_at = clk_wall_ms();
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r->user_cpu_ms = sup_timeval_ms(&usage->ru_utime);
	r->sys_cpu_ms = sup_timeval_ms(&usage->ru_stime);
	/* The kernel's figure counts one process at a time, the poll the
	   sum of the stage's processes: the larger is the stage's peak. */
	r->max_rss_kb = usage->ru_maxrss;
	if (r->peak_group_rss / 1024 > r->max_rss_kb)
		r->max_rss_kb = r->peak_group_rss / 1024;
	if (!sup_stage_left(proc, 0)) {
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
	stagenotify_close(&proc->notify);
	free(proc->label);
	free(proc);
}
