/*
 * Process identity from /proc: a process is its pid plus its start time
 * (field 22 of /proc/PID/stat, in clock ticks since boot), never the pid
 * alone, because the kernel hands out the pid of a dead process again.
 */
#ifndef WK_PROBE_PROC_H
#define WK_PROBE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROBE_PROC_COMM_MAX 64   /* bytes of a command name, with NUL */
#define PROBE_PROC_COMM_LEN 15   /* the kernel cuts comm to this length */

/* One process, as the probe reads it from /proc. */
struct probe_proc {
	pid_t pid;                        /* process id */
	char comm[PROBE_PROC_COMM_MAX];   /* command name (field 2) */
	char state;                       /* R, S, D, Z, ... (field 3) */
	int64_t start_ticks;              /* start, ticks since boot (22) */
};

/*
 * Parses the text of /proc/PID/stat (len bytes). The command name may
 * contain spaces and parentheses: it ends at the last ')'. Returns WK_OK
 * or WK_ERR_INVALID.
 */
int probe_proc_parse_stat(const char *text, size_t len, struct probe_proc *out);

/* Reads process pid; WK_ERR_NOTFOUND when it does not exist. */
int probe_proc_read(pid_t pid, struct probe_proc *out);

/* Returns 1 when a and b are the same process: same pid and start time. */
int probe_proc_same(const struct probe_proc *a, const struct probe_proc *b);

/*
 * Returns the wall-clock start of a process in ms since the epoch, from
 * its start ticks and the boot time in /proc/stat; -1 when unknown. The
 * boot time has a resolution of one second.
 */
int64_t probe_proc_start_ms(int64_t start_ticks);

/*
 * Returns 1 when the process at pid started after the pid file was last
 * written (file_mtime_ms): the pid in the file was reused by another
 * process. slack_ms absorbs the second-resolution of the boot time.
 */
int probe_proc_recycled(const struct probe_proc *proc, int64_t file_mtime_ms,
			int64_t slack_ms);

#endif
