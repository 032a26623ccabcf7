/*
 * The command the supervision and alert benchmarks start: it appends one
 * line with its own start and end times to a file and exits.
 *
 *   stamp FILE TAG [-x CODE_FILE] [-p PID_FILE] [-s MS]
 *
 * The line is "TAG MONO_START MONO_END REAL_START REAL_END EXIT_CODE",
 * with CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. The start is
 * read first thing in main(), so in a static build it follows the execve
 * by microseconds. The end is read just before the line is written and
 * the process exits.
 *
 *   -x CODE_FILE  exit with the digit the file starts with (0 when missing)
 *   -p PID_FILE   fork, let the parent exit 0, and write the child's pid
 *                 to PID_FILE, as a daemon does for monit's check process
 *   -s MS         sleep MS milliseconds before the end time
 *
 * Exit status 2 is a usage error and 3 a failed write.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STAMP_LINE_MAX 512

/* Options of one call. */
struct stamp_opts {
	const char *code_file;  /* -x, or NULL */
	const char *pid_file;   /* -p, or NULL */
	long sleep_ms;          /* -s, milliseconds */
};

static long long
stamp_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
stamp_parse(int argc, char **argv, struct stamp_opts *opts)
{
	int i;

	memset(opts, 0, sizeof *opts);
	for (i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "-x") == 0)
			opts->code_file = argv[i + 1];
		else if (strcmp(argv[i], "-p") == 0)
			opts->pid_file = argv[i + 1];
		else if (strcmp(argv[i], "-s") == 0)
			opts->sleep_ms = strtol(argv[i + 1], NULL, 10);
		else
			return -1;
	}
	return 0;
}

/* The digit CODE_FILE starts with, or 0. */
static int
stamp_exit_code(const char *path)
{
	char c = '0';
	int fd;

	if (path == NULL)
		return 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1 || c < '0' || c > '9')
		c = '0';
	close(fd);
	return c - '0';
}

/* Writes text to path, replacing it; returns 0 or -1. */
static int
stamp_write_file(const char *path, int flags, const char *text)
{
	size_t len = strlen(text);
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return -1;
	rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	long long mono_start = stamp_now_ns(CLOCK_MONOTONIC);
	long long real_start = stamp_now_ns(CLOCK_REALTIME);
	char line[STAMP_LINE_MAX];
	struct stamp_opts opts;
	int code;

	if (argc < 3 || stamp_parse(argc, argv, &opts) < 0) {
		fprintf(stderr, "usage: stamp FILE TAG [-x CODE_FILE] "
		    "[-p PID_FILE] [-s MS]\n");
		return 2;
	}

	code = stamp_exit_code(opts.code_file);
	if (opts.pid_file != NULL) {
		if (fork() != 0)
			return 0;
		setsid();
		snprintf(line, sizeof line, "%d\n", (int)getpid());
		if (stamp_write_file(opts.pid_file, O_TRUNC, line) < 0)
			return 3;
	}
	if (opts.sleep_ms > 0) {
		struct timespec pause = { opts.sleep_ms / 1000,
			(opts.sleep_ms % 1000) * 1000000L };

		nanosleep(&pause, NULL);
	}
	/* One write with O_APPEND, so concurrent stamps never mix lines. */
	snprintf(line, sizeof line, "%s %lld %lld %lld %lld %d\n", argv[2],
	    mono_start, stamp_now_ns(CLOCK_MONOTONIC), real_start,
	    stamp_now_ns(CLOCK_REALTIME), code);
	if (stamp_write_file(argv[1], O_APPEND, line) < 0)
		return 3;
	return code;
}
