/*
 * Unit tests of the search for stage processes that left their process
 * group, against real processes: which environments match, the count of
 * the group, the pid and start time check before a signal, and the list
 * written for the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/sup_escape.h"

#define RUN_ENTRY "WATCHKEEP_RUN_ID=41"
#define STAGE_ENTRY "WATCHKEEP_STAGE=train"
#define STATE_ENTRY "WATCHKEEP_STATE_DIR=/tmp/wk-sup-escape-test"

static const char *const identity[] = {
	"PATH=/usr/bin:/bin", RUN_ENTRY, STAGE_ENTRY, STATE_ENTRY, NULL,
};

/*
 * Starts "sleep 30" in a new session with the environment envp and waits
 * until it has executed, so that /proc shows its final environment.
 */
static pid_t
start_sleeper(const char *const *envp)
{
	char *const argv[] = { "sleep", "30", NULL };
	struct timespec pause = { 0, 5000000 };
	char path[64], comm[32] = "";
	pid_t pid = fork();
	FILE *f;
	int i;

	assert_true(pid >= 0);
	if (pid == 0) {
		setsid();
		execve("/bin/sleep", argv, (char *const *)envp);
		_exit(127);
	}
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	for (i = 0; i < 400 && strcmp(comm, "sleep\n") != 0; i++) {
		nanosleep(&pause, NULL);
		f = fopen(path, "r");
		if (f != NULL) {
			if (fgets(comm, sizeof comm, f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
	}
	assert_string_equal(comm, "sleep\n");
	return pid;
}

static void
stop_sleeper(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* Tells whether the test's child pid still runs, without reaping it. */
static int
child_running(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof info);
	assert_int_equal(waitid(P_PID, (id_t)pid, &info,
	    WEXITED | WNOHANG | WNOWAIT), 0);
	return info.si_pid == 0;
}

/*
 * Starts a sleeper with the test's identity and a search for that identity,
 * and checks that the first scan tracks the sleeper as its one process.
 */
static pid_t
start_tracked(struct sup_escape *esc)
{
	pid_t pid;

	sup_escape_init(esc, identity);
	pid = start_sleeper(identity);
	assert_int_equal(sup_escape_scan(esc, getpgrp(), 0, NULL), 1);
	return pid;
}

static void
test_init_needs_every_variable(void **state)
{
	const char *const partial[] = { RUN_ENTRY, STAGE_ENTRY, NULL };
	struct sup_escape esc;

	(void)state;
	sup_escape_init(&esc, NULL);
	assert_false(sup_escape_enabled(&esc));
	sup_escape_init(&esc, partial);
	assert_false(sup_escape_enabled(&esc));
	sup_escape_init(&esc, identity);
	assert_true(sup_escape_enabled(&esc));
	assert_int_equal(sup_escape_found(&esc), 0);
}

static void
test_scan_finds_matching_process(void **state)
{
	struct sup_escape esc;
	pid_t pid;

	(void)state;
	pid = start_tracked(&esc);
	assert_int_equal(esc.count, 1);
	assert_int_equal(esc.procs[0].pid, pid);
	assert_string_equal(esc.procs[0].comm, "sleep");
	/* A second scan adds nothing: the process is tracked already. */
	assert_int_equal(sup_escape_scan(&esc, getpgrp(), 0, NULL), 0);
	assert_int_equal(sup_escape_found(&esc), 1);
	stop_sleeper(pid);
}

static void
test_scan_skips_other_identities(void **state)
{
	const char *const other_stage[] = { RUN_ENTRY, "WATCHKEEP_STAGE=trai",
		STATE_ENTRY, NULL };
	const char *const longer_stage[] = { RUN_ENTRY,
		"WATCHKEEP_STAGE=train2", STATE_ENTRY, NULL };
	const char *const other_run[] = { "WATCHKEEP_RUN_ID=4", STAGE_ENTRY,
		STATE_ENTRY, NULL };
	const char *const other_agent[] = { RUN_ENTRY, STAGE_ENTRY,
		"WATCHKEEP_STATE_DIR=/tmp/elsewhere", NULL };
	const char *const *const envs[] = { other_stage, longer_stage,
		other_run, other_agent };
	pid_t pids[4];
	struct sup_escape esc;
	size_t i;

	(void)state;
	sup_escape_init(&esc, identity);
	for (i = 0; i < 4; i++)
		pids[i] = start_sleeper(envs[i]);
	assert_int_equal(sup_escape_scan(&esc, getpgrp(), 0, NULL), 0);
	assert_int_equal(sup_escape_found(&esc), 0);
	for (i = 0; i < 4; i++)
		stop_sleeper(pids[i]);
}

static void
test_scan_counts_group(void **state)
{
	struct sup_escape esc;
	int group_alive = -1;
	pid_t pid;

	(void)state;
	sup_escape_init(&esc, NULL);
	pid = start_sleeper(identity);
	/* The sleeper leads its own group; the search is off. */
	assert_int_equal(sup_escape_scan(&esc, pid, 0, &group_alive), 0);
	assert_int_equal(group_alive, 1);
	assert_int_equal(sup_escape_found(&esc), 0);
	stop_sleeper(pid);
}

static void
test_signal_kills_tracked_process(void **state)
{
	struct sup_escape esc;
	pid_t pid;

	(void)state;
	pid = start_tracked(&esc);
	assert_int_equal(sup_escape_signal(&esc, 0), 1);
	assert_int_equal(sup_escape_signal(&esc, SIGKILL), 1);
	stop_sleeper(pid);
	assert_int_equal(sup_escape_signal(&esc, 0), 0);
}

static void
test_signal_skips_other_start_time(void **state)
{
	struct sup_escape esc;
	pid_t pid;

	(void)state;
	pid = start_tracked(&esc);
	/* The same pid with another start time is another process. */
	esc.procs[0].start += 1;
	assert_int_equal(sup_escape_signal(&esc, SIGKILL), 0);
	assert_true(child_running(pid));
	stop_sleeper(pid);
}

/* Reads the resident memory of pid in bytes from /proc/PID/statm. */
static int64_t
statm_rss(pid_t pid)
{
	char path[64];
	long long size = 0, resident = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lld %lld", &size, &resident), 2);
	fclose(f);
	return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

static void
test_rss_sums_running_tracked(void **state)
{
	struct sup_escape esc;
	int64_t expected, rss;
	pid_t pid;

	(void)state;
	sup_escape_init(&esc, identity);
	assert_int_equal(sup_escape_rss(&esc), 0);
	pid = start_sleeper(identity);
	assert_int_equal(sup_escape_scan(&esc, getpgrp(), 0, NULL), 1);
	expected = statm_rss(pid);
	rss = sup_escape_rss(&esc);
	assert_true(expected > 0);
	/* sleep's resident memory does not move between the two reads by
	   more than a few pages. */
	assert_true(rss > expected - 65536 && rss < expected + 65536);
	esc.procs[0].start += 1;
	assert_int_equal(sup_escape_rss(&esc), 0);
	esc.procs[0].start -= 1;
	stop_sleeper(pid);
	assert_int_equal(sup_escape_rss(&esc), 0);
}

static void
test_prune_drops_ended(void **state)
{
	struct sup_escape esc;
	pid_t first, second;

	(void)state;
	sup_escape_init(&esc, identity);
	first = start_sleeper(identity);
	second = start_sleeper(identity);
	assert_int_equal(sup_escape_scan(&esc, getpgrp(), 0, NULL), 2);
	assert_int_equal(sup_escape_prune(&esc), 0);
	stop_sleeper(first);
	assert_int_equal(sup_escape_prune(&esc), 1);
	assert_int_equal(esc.count, 1);
	assert_int_equal(esc.procs[0].pid, second);
	stop_sleeper(second);
	assert_int_equal(sup_escape_prune(&esc), 1);
	assert_int_equal(esc.count, 0);
}

static void
test_describe_cuts_list(void **state)
{
	struct sup_escape esc;
	char out[128];

	(void)state;
	sup_escape_init(&esc, identity);
	esc.procs[0] = (struct sup_escape_proc){ 101, 5, "sleep" };
	esc.procs[1] = (struct sup_escape_proc){ 102, 6, "sh" };
	esc.procs[2] = (struct sup_escape_proc){ 103, 7, "python3" };
	esc.count = 3;
	esc.untracked = 4;
	assert_string_equal(sup_escape_describe(&esc, 8, out, sizeof out),
	    "101 (sleep), 102 (sh), 103 (python3), and 4 more");
	assert_string_equal(sup_escape_describe(&esc, 2, out, sizeof out),
	    "101 (sleep), 102 (sh), and 5 more");
	assert_string_equal(sup_escape_describe(&esc, 2, out, 8), "101 (sl");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_needs_every_variable),
		cmocka_unit_test(test_scan_finds_matching_process),
		cmocka_unit_test(test_scan_skips_other_identities),
		cmocka_unit_test(test_scan_counts_group),
		cmocka_unit_test(test_signal_kills_tracked_process),
		cmocka_unit_test(test_signal_skips_other_start_time),
		cmocka_unit_test(test_rss_sums_running_tracked),
		cmocka_unit_test(test_prune_drops_ended),
		cmocka_unit_test(test_describe_cuts_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
