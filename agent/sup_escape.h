/*
 * Processes that left a stage's process group, found by the stage run's
 * identity in their environment.
 *
 * A stage process that calls setsid(2) or setpgid(2) leaves the group that
 * the agent signals, and without a stage cgroup nothing else contains it.
 * Every stage process inherits the variables WATCHKEEP_RUN_ID,
 * WATCHKEEP_STAGE and WATCHKEEP_STATE_DIR of its stage run, so
 * sup_escape_scan() looks for the processes of the agent's effective uid
 * whose /proc/PID/environ contains all three entries, compared as whole
 * entries. The state directory keeps apart two agents of one user whose run
 * ids and stage names coincide. A process is tracked by its pid and start
 * time (field 22 of /proc/PID/stat). sup_escape_signal() signals it through
 * a pidfd opened before the start time is compared, so a recycled pid is
 * never signalled. The NOTE at sup_escape_send() gives the exception.
 *
 * NOTE: a process that cleared or changed these variables, overwrote its
 * environment area, or changed its uid is not found. Neither is a process
 * past the first SUP_ESCAPE_SCAN_MAX entries of /proc, nor one whose
 * variables lie past the first SUP_ESCAPE_ENVIRON_MAX bytes of its environ.
 */
#ifndef WK_SUP_ESCAPE_H
#define WK_SUP_ESCAPE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SUP_ESCAPE_TRACK_MAX 64        /* processes tracked per stage run */
#define SUP_ESCAPE_SCAN_MAX 32768      /* /proc entries read per scan */
#define SUP_ESCAPE_ENVIRON_MAX 65536   /* bytes of environ read a process */
#define SUP_ESCAPE_ENTRY_MAX (PATH_MAX + 32) /* bytes of an identity entry */
#define SUP_ESCAPE_ENTRIES 3           /* run id, stage, state directory */
#define SUP_ESCAPE_COMM_MAX 16         /* command name, as the kernel cuts it */
#define SUP_ESCAPE_CHILDREN_MAX 65536  /* bytes of the agent's children list */

/* A process that left the group. */
struct sup_escape_proc {
	pid_t pid;                       /* process id */
	int64_t start;                   /* start time, clock ticks since boot */
	char comm[SUP_ESCAPE_COMM_MAX];  /* command name from /proc/PID/stat */
};

/* The identity of one stage run and the processes found with it. */
struct sup_escape {
	char entries[SUP_ESCAPE_ENTRIES][SUP_ESCAPE_ENTRY_MAX]; /* "NAME=VALUE"
						   of the identity; entries[0]
						   is "" when the search is
						   off */
	struct sup_escape_proc procs[SUP_ESCAPE_TRACK_MAX]; /* in order found */
	size_t count;                           /* used entries of procs */
	size_t untracked;                       /* most processes one scan found
						   past SUP_ESCAPE_TRACK_MAX */
};

/*
 * Takes the identity from the stage's environment envp. With envp NULL, or
 * with one of the variables missing or too long, the search is off and
 * sup_escape_scan() only counts the group.
 */
void sup_escape_init(struct sup_escape *esc, const char *const *envp);

/* Tells whether the search is on. */
int sup_escape_enabled(const struct sup_escape *esc);

/*
 * Reads /proc once. Stores in *group_alive (when not NULL) the number of
 * processes of group pgid that are not zombies. When the search is on, adds
 * to esc the live processes outside group pgid that carry the identity,
 * signals untracked ones with signo (0: none) at once, and returns how many
 * it added. Without *group_alive and with the search off it reads nothing.
 */
size_t sup_escape_scan(struct sup_escape *esc, pid_t pgid, int signo,
		       int *group_alive);

/*
 * Sends signo (0: none, to probe) to every tracked process that still runs
 * with its recorded start time. Returns how many of them are still running
 * and not zombies.
 */
int sup_escape_signal(const struct sup_escape *esc, int signo);

/* Number of processes found: tracked and untracked. */
size_t sup_escape_found(const struct sup_escape *esc);

/*
 * Sums the resident memory in bytes (from /proc/PID/statm) of the tracked
 * processes that still run with their recorded start time. NOTE: the
 * processes past SUP_ESCAPE_TRACK_MAX are not counted.
 */
int64_t sup_escape_rss(const struct sup_escape *esc);

/*
 * Drops the tracked processes that have ended, so that a later scan can
 * track new ones in their place. Returns how many it dropped.
 */
size_t sup_escape_prune(struct sup_escape *esc);

/*
 * Counts the children of the agent's main thread, zombies included, from
 * /proc/self/task/PID/children: the processes a child subreaper inherits
 * go to that thread. Returns SIZE_MAX when the list cannot be read whole,
 * so that a caller comparing it with what it expects scans /proc.
 */
size_t sup_escape_children(void);

/*
 * Writes "PID (COMM), ..." of at most max tracked processes into out,
 * followed by ", and N more" when more were found. Returns out.
 */
char *sup_escape_describe(const struct sup_escape *esc, size_t max, char *out,
			  size_t size);

#endif
