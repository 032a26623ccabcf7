/*
 * Reads of the small text files of a process under /proc/PID (stat, statm,
 * environ, cmdline) and parsing of /proc/PID/stat, as proc(5) describes
 * them.
 */
#ifndef WK_PROCFS_H
#define WK_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads at most size-1 bytes of the file at path into buf and appends a
 * NUL, so that a text file stays a C string. A file with NUL bytes, such
 * as /proc/PID/environ, is still returned whole up to that cap. Reads until
 * end of file or until buf is full, and retries reads that EINTR
 * interrupted. Returns the number of bytes read (0 for an empty file), or
 * -1 with errno set by open(2) or read(2), or EINVAL when size is 0. On
 * -1 with size above 0, buf is an empty string.
 */
ssize_t procfs_read_file(const char *path, char *buf, size_t size);

/*
 * Reads /proc/PID/NAME like procfs_read_file(). A process that does not
 * exist gives -1 with errno ENOENT. Where the process is reaped between
 * the open and the read, stat gives ESRCH and environ an empty read. A
 * NAME too long for the path gives ENAMETOOLONG.
 */
ssize_t procfs_read(pid_t pid, const char *name, char *buf, size_t size);

/*
 * Returns the text that follows the ')' closing the command name (field 2)
 * in the NUL-terminated text of /proc/PID/stat, or NULL when text has no
 * ')'. The command name may contain spaces and parentheses, so the last
 * ')' of text ends it. The result starts with the space before field 3.
 */
const char *procfs_stat_after_comm(const char *text);

/*
 * Returns the process state (field 3 of /proc/PID/stat: R, S, D, Z, ...),
 * or '\0' when text has no ')' followed by a space and a character.
 */
char procfs_stat_state(const char *text);

/*
 * Parses field number field (3 or more, numbered as in proc(5)) of the
 * text of /proc/PID/stat as a decimal integer into *value. Fields after
 * the command name are separated by single spaces. A value past the range
 * of long long is clamped as strtoll(3) does. Returns 0, or -1 with errno
 * EINVAL when text has fewer fields or that field is no number.
 */
int procfs_stat_field(const char *text, int field, long long *value);

#endif
