/* Unit tests of the /proc readers and the /proc/PID/stat parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/procfs.h"

/* A stat text whose command name has spaces and parentheses. */
static const char fake_stat[] =
    "4242 (a) (b c)) S 17 4242 4240 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 "
    "1 0 987654 10000000 321 18446744073709551615\n";

static void
read_self_stat_matches_ids(void **state)
{
	char text[1024];
	long long value;
	ssize_t n;

	(void)state;
	n = procfs_read(getpid(), "stat", text, sizeof text);
	assert_true(n > 0);
	assert_int_equal(strlen(text), (size_t)n);
	assert_int_equal(strtol(text, NULL, 10), (long)getpid());
	assert_int_equal(procfs_stat_state(text), 'R');
	assert_int_equal(procfs_stat_field(text, 4, &value), 0);
	assert_int_equal(value, (long long)getppid());
	assert_int_equal(procfs_stat_field(text, 5, &value), 0);
	assert_int_equal(value, (long long)getpgrp());
	assert_int_equal(procfs_stat_field(text, 22, &value), 0);
	assert_true(value > 0);
}

static void
stat_parser_skips_comm_with_parens(void **state)
{
	const char *after;
	long long value = 0;

	(void)state;
	after = procfs_stat_after_comm(fake_stat);
	assert_non_null(after);
	assert_int_equal(after - fake_stat, strlen("4242 (a) (b c))"));
	assert_int_equal(procfs_stat_state(fake_stat), 'S');
	assert_int_equal(procfs_stat_field(fake_stat, 3, &value), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(procfs_stat_field(fake_stat, 4, &value), 0);
	assert_int_equal(value, 17);
	assert_int_equal(procfs_stat_field(fake_stat, 6, &value), 0);
	assert_int_equal(value, 4240);
	assert_int_equal(procfs_stat_field(fake_stat, 8, &value), 0);
	assert_int_equal(value, -1);
	assert_int_equal(procfs_stat_field(fake_stat, 22, &value), 0);
	assert_int_equal(value, 987654);
	assert_int_equal(procfs_stat_field(fake_stat, 24, &value), 0);
	assert_int_equal(value, 321);
}

static void
stat_parser_rejects_bad_text(void **state)
{
	long long value = 7;

	(void)state;
	assert_null(procfs_stat_after_comm("4242 (cut"));
	assert_int_equal(procfs_stat_state("4242 (cut"), '\0');
	assert_int_equal(procfs_stat_state("4242 (x)"), '\0');
	assert_int_equal(procfs_stat_state("4242 (x) "), '\0');
	assert_int_equal(procfs_stat_field("4242 (cut", 4, &value), -1);
	assert_int_equal(errno, EINVAL);
	/* Field 26 is past the end of the text. */
	assert_int_equal(procfs_stat_field(fake_stat, 26, &value), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(procfs_stat_field(fake_stat, 2, &value), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(value, 7);
}

static void
read_missing_pid_fails(void **state)
{
	char text[64] = "old";
	long long pid_max;

	(void)state;
	/* The kernel hands out pids below pid_max only. */
	assert_true(procfs_read_file("/proc/sys/kernel/pid_max", text,
	    sizeof text) > 0);
	pid_max = strtoll(text, NULL, 10);
	assert_true(pid_max > 1);
	assert_int_equal(procfs_read((pid_t)pid_max, "stat", text,
	    sizeof text), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(text, "");
}

static void
read_cuts_at_size(void **state)
{
	char whole[4096], cut[8];
	ssize_t n;

	(void)state;
	/* environ is NUL-separated: the count, not strlen, gives its size. */
	n = procfs_read(getpid(), "environ", whole, sizeof whole);
	assert_true(n >= (ssize_t)sizeof cut);
	assert_int_equal(procfs_read(getpid(), "environ", cut, sizeof cut),
	    (ssize_t)sizeof cut - 1);
	assert_memory_equal(cut, whole, sizeof cut - 1);
	assert_int_equal(cut[sizeof cut - 1], '\0');
}

static void
read_file_handles_sizes(void **state)
{
	char path[] = "/tmp/wk-procfs-XXXXXX", buf[16];
	const char text[] = "0123456789abcdefghij";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(procfs_read_file(path, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	assert_int_equal(procfs_read_file(path, buf, sizeof buf),
	    (ssize_t)sizeof buf - 1);
	assert_string_equal(buf, "0123456789abcde");
	assert_int_equal(procfs_read_file(path, buf, 0), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);
}

static void
read_rejects_long_name(void **state)
{
	char name[200], buf[16];

	(void)state;
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	assert_int_equal(procfs_read(getpid(), name, buf, sizeof buf), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_self_stat_matches_ids),
		cmocka_unit_test(stat_parser_skips_comm_with_parens),
		cmocka_unit_test(stat_parser_rejects_bad_text),
		cmocka_unit_test(read_missing_pid_fails),
		cmocka_unit_test(read_cuts_at_size),
		cmocka_unit_test(read_file_handles_sizes),
		cmocka_unit_test(read_rejects_long_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
