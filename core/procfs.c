#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCFS_PATH_MAX 128   /* bytes of "/proc/PID/NAME" with NUL */

ssize_t
procfs_read_file(const char *path, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n = 0;
	int fd, saved;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;

	while (used < size - 1) {
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	saved = errno;
	close(fd);
	errno = saved;
	if (n < 0) {
		buf[0] = '\0';
		return -1;
	}
	buf[used] = '\0';
	return (ssize_t)used;
}

ssize_t
procfs_read(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[PROCFS_PATH_MAX];
	int len;

	len = snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	if (len < 0 || (size_t)len >= sizeof path) {
		if (size > 0)
			buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return procfs_read_file(path, buf, size);
}

const char *
procfs_stat_after_comm(const char *text)
{
	const char *close_paren = strrchr(text, ')');

	return close_paren != NULL ? close_paren + 1 : NULL;
}

char
procfs_stat_state(const char *text)
{
	const char *after = procfs_stat_after_comm(text);

	if (after == NULL || after[0] != ' ')
		return '\0';
	return after[1];
}

int
procfs_stat_field(const char *text, int field, long long *value)
{
	const char *p = procfs_stat_after_comm(text);
	char *end;
	long long parsed;
	int i;

	if (p == NULL || field < 3)
		goto invalid;
	/* p is at the space before field 3; step to the start of field. */
	for (i = 2; i < field; i++) {
		p = strchr(p, ' ');
		if (p == NULL)
			goto invalid;
		p++;
	}
	parsed = strtoll(p, &end, 10);
	if (end == p)
		goto invalid;
	*value = parsed;
	return 0;

invalid:
	errno = EINVAL;
	return -1;
}
