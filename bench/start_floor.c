/*
 * The floor of a stage start: the work that the stage contract and the
 * store ask of every start, done in a plain loop without the agent's
 * event loop, control socket, logging or timers. bench/supervise.py runs
 * it beside the agent to split the agent's CPU time per start into what
 * any supervisor that keeps this contract pays and the agent's own part.
 *
 *   start_floor STORE DIR STAMP COUNT INTERVAL_MS MODE
 *
 * STORE is a store.db that the agent created (its schema is used as is),
 * DIR the directory for run directories, STAMP the command to start,
 * COUNT the starts and INTERVAL_MS the pause between two starts. MODE:
 *   full      the audit, run and stage rows in one transaction, the run
 *             and stage directories, a notify socket, two pipes, vfork
 *             and execve, the start time from /proc, then the end rows in
 *             a second transaction once the command has exited
 *   no-store  the same without the two transactions
 *   no-dirs   the same without the two directories
 * It prints one JSON line: {"mode", "starts", "cpu_ms_per_start"}, the
 * user and system time of this process alone (not of the commands).
 * Exit status 2 is a usage error and 1 a failed step, named on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_PATH_MAX 4096

/* Statements of one start, with the agent's SQL text (core/store.c). */
enum floor_sql {
	FLOOR_BEGIN, FLOOR_COMMIT, FLOOR_AUDIT, FLOOR_RUN_INSERT,
	FLOOR_STAGE_INSERT, FLOOR_STAGE_PLAN, FLOOR_STAGE_START,
	FLOOR_STAGE_FINISH, FLOOR_RUN_FINISH, FLOOR_SQL_COUNT
};

static const char *const floor_sql[FLOOR_SQL_COUNT] = {
	[FLOOR_BEGIN] = "BEGIN IMMEDIATE",
	[FLOOR_COMMIT] = "COMMIT",
	[FLOOR_AUDIT] = "INSERT INTO control_audit (at, uid, pid, command, "
	    "args, result) VALUES (?1, 0, 1, 'run-now', "
	    "'{\"pipeline\": \"floor\"}', 'ok')",
	[FLOOR_RUN_INSERT] = "INSERT INTO runs (pipeline, logical_date, "
	    "trigger, state, started_at) VALUES ('floor', '2026-01-01', "
	    "'manual', 'running', ?1)",
	[FLOOR_STAGE_INSERT] = "INSERT INTO stage_runs (run_id, stage, "
	    "attempt, state, reason) VALUES (?1, 's', 1, 'pending', NULL)",
	[FLOOR_STAGE_PLAN] = "UPDATE stage_runs SET fingerprint = "
	    "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', "
	    "retry_at = 0 WHERE id = ?1",
	[FLOOR_STAGE_START] = "UPDATE stage_runs SET state = 'running', "
	    "pid = ?2, pid_start = ?3, started_at = ?4 WHERE id = ?1",
	[FLOOR_STAGE_FINISH] = "UPDATE stage_runs SET state = 'succeeded', "
	    "ended_at = ?2, duration_ms = 0, exit_code = 0, signal = NULL, "
	    "user_cpu_ms = 0, sys_cpu_ms = 0, max_rss_kb = 0, reason = NULL "
	    "WHERE id = ?1",
	[FLOOR_RUN_FINISH] = "UPDATE runs SET state = 'succeeded', "
	    "ended_at = ?2, duration_ms = 0, reason = NULL WHERE id = ?1",
};

/* Settings and open handles of one measurement. */
struct floor {
	const char *dir;                       /* parent of run directories */
	const char *stamp;                     /* command started */
	int store;                             /* 1: write the rows */
	int dirs;                              /* 1: create the directories */
	int devnull;                           /* /dev/null, for stdin */
	sqlite3 *db;                           /* the store, or NULL */
	sqlite3_stmt *stmt[FLOOR_SQL_COUNT];   /* prepared statements */
};

/* One started command. */
struct floor_child {
	pid_t pid;          /* its pid, also its process group */
	int out;            /* read end of its stdout pipe */
	int err;            /* read end of its stderr pipe */
	int notify;         /* its notify socket */
	long long run;      /* run row id */
	long long stage;    /* stage run row id */
};

static void
floor_die(const char *what, const char *detail)
{
	fprintf(stderr, "start_floor: %s failed: %s\n", what, detail);
	exit(1);
}

static long long
floor_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs statement id with up to three integer parameters. */
static void
floor_exec(struct floor *f, enum floor_sql id, long long a, long long b,
	   long long c)
{
	sqlite3_stmt *s = f->stmt[id];
	long long values[3] = { a, b, c };
	int i, n = sqlite3_bind_parameter_count(s);

	for (i = 0; i < n && i < 3; i++)
		sqlite3_bind_int64(s, i + 1, values[i]);
	if (sqlite3_step(s) != SQLITE_DONE)
		floor_die(floor_sql[id], sqlite3_errmsg(f->db));
	sqlite3_reset(s);
}

static void
floor_open_store(struct floor *f, const char *path)
{
	int i;

	if (sqlite3_open_v2(path, &f->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		floor_die(path, sqlite3_errmsg(f->db));
	if (sqlite3_exec(f->db, "PRAGMA journal_mode = WAL; PRAGMA "
	    "synchronous = NORMAL; PRAGMA foreign_keys = ON;", NULL, NULL,
	    NULL) != SQLITE_OK)
		floor_die("PRAGMA", sqlite3_errmsg(f->db));
	for (i = 0; i < FLOOR_SQL_COUNT; i++)
		if (sqlite3_prepare_v3(f->db, floor_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &f->stmt[i], NULL) != SQLITE_OK)
			floor_die(floor_sql[i], sqlite3_errmsg(f->db));
}

/* Reads the start time of pid (field 22 of /proc/PID/stat), as the agent
 * does to tell a process from a later one with the same pid. */
static long long
floor_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		start = strtoll(p + 1, NULL, 10);
	return start;
}

/* Binds a datagram socket to an abstract name, as the agent's notify
 * socket is. */
static int
floor_notify_socket(long long serial)
{
	struct sockaddr_un addr;
	int fd, on = 1, n;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		floor_die("socket", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1,
	    "start_floor/%d/%lld", (int)getpid(), serial);
	if (bind(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct
	    sockaddr_un, sun_path) + 1 + (size_t)n)) < 0)
		floor_die("bind", strerror(errno));
	return fd;
}

/* Starts the command with vfork and execve in its own process group,
 * stdin from /dev/null and stdout and stderr to pipes. */
static pid_t
floor_spawn(struct floor *f, const char *stage_dir, int out[2], int err[2])
{
	char *argv[] = { (char *)f->stamp, "/dev/null", "floor", NULL };
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (dup2(f->devnull, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0 || setsid() < 0 ||
		    (f->dirs && chdir(stage_dir) < 0))
			_exit(126);
		execv(f->stamp, argv);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		floor_die("vfork", strerror(errno));
	return pid;
}

/* Does the work of one start up to the commit of its rows. */
static void
floor_start(struct floor *f, long long serial, struct floor_child *c)
{
	char run_dir[FLOOR_PATH_MAX], stage_dir[FLOOR_PATH_MAX + 8];
	int out[2], err[2];
	long long now = floor_wall_ms();

	if (f->store) {
		floor_exec(f, FLOOR_BEGIN, 0, 0, 0);
		floor_exec(f, FLOOR_AUDIT, now, 0, 0);
		floor_exec(f, FLOOR_RUN_INSERT, now, 0, 0);
		c->run = sqlite3_last_insert_rowid(f->db);
		floor_exec(f, FLOOR_STAGE_INSERT, c->run, 0, 0);
		c->stage = sqlite3_last_insert_rowid(f->db);
		floor_exec(f, FLOOR_STAGE_PLAN, c->stage, 0, 0);
	}

	snprintf(run_dir, sizeof run_dir, "%s/%lld", f->dir, serial);
	snprintf(stage_dir, sizeof stage_dir, "%s/s", run_dir);
	if (f->dirs && (mkdir(run_dir, 0700) < 0 || mkdir(stage_dir, 0700) < 0))
		floor_die(stage_dir, strerror(errno));

	c->notify = floor_notify_socket(serial);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		floor_die("pipe2", strerror(errno));
	c->pid = floor_spawn(f, stage_dir, out, err);
	close(out[1]);
	close(err[1]);
	c->out = out[0];
	c->err = err[0];

	if (f->store) {
		floor_exec(f, FLOOR_STAGE_START, c->stage, c->pid,
		    floor_start_time(c->pid));
		floor_exec(f, FLOOR_COMMIT, 0, 0, 0);
	}
}

/* Drains the pipes to their end, reaps the command, empties its group and
 * stores the end. */
static void
floor_finish(struct floor *f, struct floor_child *c)
{
	char buf[512];
	int status;

	while (read(c->out, buf, sizeof buf) > 0)
		;
	while (read(c->err, buf, sizeof buf) > 0)
		;
	kill(-c->pid, SIGKILL);
	if (waitpid(c->pid, &status, 0) < 0)
		floor_die("waitpid", strerror(errno));
	kill(-c->pid, 0);
	close(c->out);
	close(c->err);
	close(c->notify);

	if (f->store) {
		floor_exec(f, FLOOR_BEGIN, 0, 0, 0);
		floor_exec(f, FLOOR_STAGE_FINISH, c->stage, floor_wall_ms(), 0);
		floor_exec(f, FLOOR_RUN_FINISH, c->run, floor_wall_ms(), 0);
		floor_exec(f, FLOOR_COMMIT, 0, 0, 0);
	}
}

static double
floor_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Sleeps until *next, then moves it one interval on. */
static void
floor_pace(struct timespec *next, long interval_ms)
{
	next->tv_nsec += interval_ms * 1000000L;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) ==
	    EINTR)
		;
}

int
main(int argc, char **argv)
{
	struct floor f = { 0 };
	struct floor_child c = { 0 };
	struct timespec next;
	long long count, i;
	long interval_ms;
	double cpu;

	if (argc != 7) {
		fprintf(stderr, "usage: start_floor STORE DIR STAMP COUNT "
		    "INTERVAL_MS full|no-store|no-dirs\n");
		return 2;
	}
	f.dir = argv[2];
	f.stamp = argv[3];
	count = strtoll(argv[4], NULL, 10);
	interval_ms = strtol(argv[5], NULL, 10);
	f.store = strcmp(argv[6], "no-store") != 0;
	f.dirs = strcmp(argv[6], "no-dirs") != 0;
	if (count <= 0 || interval_ms < 0 || (strcmp(argv[6], "full") != 0 &&
	    f.store && f.dirs)) {
		fprintf(stderr, "start_floor: invalid COUNT, INTERVAL_MS or "
		    "MODE\n");
		return 2;
	}

	f.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (f.devnull < 0)
		floor_die("/dev/null", strerror(errno));
	if (f.store)
		floor_open_store(&f, argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &next);
	cpu = floor_cpu_ms();
	for (i = 0; i < count; i++) {
		floor_start(&f, i, &c);
		floor_finish(&f, &c);
		floor_pace(&next, interval_ms);
	}
	cpu = floor_cpu_ms() - cpu;

	printf("{\"mode\": \"%s\", \"starts\": %lld, \"cpu_ms_per_start\": "
	    "%.4f}\n", argv[6], count, cpu / (double)count);
	return 0;
}
