/*
 * Unit tests of the stage cgroup functions that work without cgroup v2: the
 * signals to the pids of a cgroup.procs file, and the SIGKILL fallback of
 * cgroup_kill() where no cgroup.kill file exists. The directory is a plain
 * temporary one, so the kernel's cgroup.kill and the removal of a busy
 * cgroup are not covered here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/cgroup.h"

#define CHILDREN 2  /* processes listed in the fake cgroup.procs */

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/wk-cgroup-test-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	unlink(path);
	return rmdir(dir);
}

/*
 * Starts a child that waits for signals until one ends it, at the latest
 * the SIGALRM after 60 s, so that a failed test leaves no process behind.
 */
static pid_t
start_child(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		for (;;)
			pause();
	}
	return pid;
}

/* Writes the lines of text as dir/cgroup.procs. */
static void
write_procs(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/*
 * Lists the children, pid 0, the test's own pid and a pid that does not
 * exist, as a stage's cgroup could never list the last three.
 */
static void
write_children(const pid_t *pids)
{
	char text[256];

	snprintf(text, sizeof text, "0\n%d\n%d\n%d\n%d\n", (int)pids[0],
	    (int)getpid(), (int)pids[1], 999999999);
	write_procs(text);
}

/* Starts CHILDREN children into pids and lists them in dir/cgroup.procs. */
static void
start_children(pid_t *pids)
{
	int i;

	for (i = 0; i < CHILDREN; i++)
		pids[i] = start_child();
	write_children(pids);
}

static void
expect_killed(pid_t pid)
{
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void
test_signal_procs_missing_file(void **state)
{
	(void)state;
	assert_int_equal(cgroup_signal_procs("/nonexistent/wk-cgroup", 0), -1);
}

static void
test_signal_procs_counts_listed(void **state)
{
	pid_t pids[CHILDREN];
	int i;

	(void)state;
	start_children(pids);

	assert_int_equal(cgroup_signal_procs(dir, 0), CHILDREN);
	assert_int_equal(cgroup_signal_procs(dir, SIGTERM), CHILDREN);
	for (i = 0; i < CHILDREN; i++) {
		int status = 0;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGTERM);
	}
}

static void
test_signal_procs_skips_zombies(void **state)
{
	pid_t pids[CHILDREN];
	int i;

	(void)state;
	start_children(pids);
	kill(pids[0], SIGKILL);
	/* Waits until the child is a zombie, without reaping it. */
	for (i = 0; i < 1000 && cgroup_signal_procs(dir, 0) != 1; i++)
		usleep(1000);

	assert_int_equal(cgroup_signal_procs(dir, 0), 1);
	kill(pids[1], SIGKILL);
	for (i = 0; i < CHILDREN; i++)
		expect_killed(pids[i]);
}

static void
test_kill_falls_back_to_procs(void **state)
{
	pid_t pids[CHILDREN];
	int i;

	(void)state;
	start_children(pids);

	/* The directory has no cgroup.kill, as before Linux 5.14. */
	assert_int_equal(cgroup_kill(dir), 0);
	for (i = 0; i < CHILDREN; i++)
		expect_killed(pids[i]);
}

static void
test_kill_without_procs_fails(void **state)
{
	(void)state;
	assert_int_equal(cgroup_kill("/nonexistent/wk-cgroup"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_procs_missing_file),
		cmocka_unit_test(test_signal_procs_counts_listed),
		cmocka_unit_test(test_signal_procs_skips_zombies),
		cmocka_unit_test(test_kill_falls_back_to_procs),
		cmocka_unit_test(test_kill_without_procs_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
