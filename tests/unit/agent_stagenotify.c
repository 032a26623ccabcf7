/*
 * Unit tests of the stage notify socket: binding again at the address an
 * earlier agent gave a stage, and reading that address from a process's
 * environment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/stagenotify.h"
#include "core/rc.h"

static char stage_dir[256];

static int
noop_active(void *arg)
{
	(void)arg;
	return 1;
}

static void
noop_stop(void *arg, int triggered)
{
	(void)arg;
	(void)triggered;
}

static void
noop_extend(void *arg, int64_t extend_us)
{
	(void)arg;
	(void)extend_us;
}

static const struct stagenotify_ops noop_ops = {
	noop_active, noop_stop, noop_extend
};

static int
setup(void **state)
{
	(void)state;
	snprintf(stage_dir, sizeof stage_dir, "/tmp/wk-stagenotify-XXXXXX");
	return mkdtemp(stage_dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char path[300];

	(void)state;
	snprintf(path, sizeof path, "%s/notify.sock", stage_dir);
	unlink(path);
	rmdir(stage_dir);
	return 0;
}

/* Leaves a socket file at path, as an agent that died does. */
static void
leave_stale_socket(const char *path, mode_t mode)
{
	struct sockaddr_un addr;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof addr.sun_path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Sends text to the socket file at path; returns 0 when it was delivered. */
static int
send_to_file(const char *path, const char *text)
{
	struct sockaddr_un addr;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ssize_t n;

	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof addr.sun_path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	n = sendto(fd, text, strlen(text), 0, (struct sockaddr *)&addr,
	    sizeof addr);
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void
rebind_file_keeps_mode(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct stagenotify sn;
	char path[300];
	struct stat sb;

	(void)state;
	snprintf(path, sizeof path, "%s/notify.sock", stage_dir);
	leave_stale_socket(path, 0620);
	assert_int_not_equal(send_to_file(path, "WATCHDOG=1"), 0);

	stagenotify_init(&sn, loop, NULL, 1, 5, "p/s", 1, &noop_ops, NULL);
	assert_int_equal(stagenotify_rebind(&sn, path, stage_dir), WK_OK);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0620);
	assert_int_equal(send_to_file(path, "WATCHDOG=1"), 0);

	stagenotify_close(&sn);
	assert_int_not_equal(lstat(path, &sb), 0);
	ev_loop_free(loop);
}

static void
rebind_rejects_other_addresses(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct stagenotify sn;

	(void)state;
	stagenotify_init(&sn, loop, NULL, 1, 5, "p/s", 1, &noop_ops, NULL);
	assert_int_equal(stagenotify_rebind(&sn, "/tmp/other.sock", stage_dir),
	    WK_ERR_INVALID);
	assert_int_equal(stagenotify_rebind(&sn, "@watchkeep/1/6", stage_dir),
	    WK_ERR_INVALID);
	assert_int_equal(stagenotify_rebind(&sn, "@other/1/5", stage_dir),
	    WK_ERR_INVALID);
	assert_int_equal(stagenotify_rebind(&sn, "@watchkeep//5", stage_dir),
	    WK_ERR_INVALID);
	assert_int_equal(sn.fd, -1);
	stagenotify_close(&sn);
	ev_loop_free(loop);
}

static void
rebind_abstract_name(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct stagenotify sn;
	char name[64];

	(void)state;
	/* The pid of a dead agent: any digits are accepted. */
	snprintf(name, sizeof name, "@watchkeep/%d/5", (int)getpid() + 100000);
	stagenotify_init(&sn, loop, NULL, 1, 5, "p/s", 1, &noop_ops, NULL);
	assert_int_equal(stagenotify_rebind(&sn, name, stage_dir), WK_OK);
	assert_true(sn.fd >= 0);
	assert_string_equal(sn.path, "");
	stagenotify_close(&sn);
	ev_loop_free(loop);
}

static void
rebind_keeps_regular_file(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct stagenotify sn;
	char path[300];
	struct stat sb;
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/notify.sock", stage_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);

	stagenotify_init(&sn, loop, NULL, 1, 5, "p/s", 1, &noop_ops, NULL);
	assert_int_equal(stagenotify_rebind(&sn, path, stage_dir), WK_ERR_IO);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	stagenotify_close(&sn);
	ev_loop_free(loop);
}

static void
env_of_child_process(void **state)
{
	char *const argv[] = { "/bin/sleep", "5", NULL };
	char *const envp[] = { "A=1", "NOTIFY_SOCKET=@watchkeep/7/8",
		"WATCHDOG_USEC=2000000", NULL };
	char address[128];
	int64_t watchdog_us;
	pid_t pid;
	int i;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	/* /proc/PID/environ shows the new environment once execve ran. */
	for (i = 0; i < 200; i++) {
		assert_int_equal(stagenotify_env_of(pid, address,
		    sizeof address, &watchdog_us), WK_OK);
		if (address[0] != '\0')
			break;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	assert_string_equal(address, "@watchkeep/7/8");
	assert_int_equal(watchdog_us, 2000000);
}

static void
env_of_missing_process(void **state)
{
	char address[128];
	int64_t watchdog_us;

	(void)state;
	assert_int_equal(stagenotify_env_of(-5, address, sizeof address,
	    &watchdog_us), WK_ERR_IO);
	assert_string_equal(address, "");
	assert_int_equal(watchdog_us, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rebind_file_keeps_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(rebind_rejects_other_addresses,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(rebind_abstract_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(rebind_keeps_regular_file,
		    setup, teardown),
		cmocka_unit_test(env_of_child_process),
		cmocka_unit_test(env_of_missing_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
