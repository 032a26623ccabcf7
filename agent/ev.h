/*
 * The agent's event loop: one thread waits in poll(2) on file descriptors,
 * timers on the monotonic clock, signals and exiting children, and calls
 * back. Callbacks must not block.
 *
 * Signals reach the loop through a self-pipe: the handler only writes the
 * signal number to the pipe. Children are reaped in the loop: on SIGCHLD the
 * loop peeks at each exited child with waitid(WNOWAIT), so a watcher can
 * kill what is left of the child's process group while the zombie still
 * holds the process group id, and then reaps it with wait4() to get its
 * resource use. Children nobody watches (orphans adopted by the agent as a
 * child subreaper) are reaped and ignored.
 */
#ifndef WK_EV_H
#define WK_EV_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define EV_MAX_FDS 4096
#define EV_MAX_TIMERS 8192
#define EV_MAX_CHILDREN 1024

#define EV_READ 1u
#define EV_WRITE 2u
#define EV_PRIORITY 4u   /* with EV_READ or EV_WRITE: dispatched first in
			    every turn, never left for a later turn */

/*
 * Wall time a turn spends on ready descriptors without EV_PRIORITY. Once
 * it is used up, the ready descriptors left wait for the next turn, which
 * starts with them. So a few busy descriptors, such as the pipes of stages
 * that write without pause, delay the others and the timers by about this
 * much plus one callback. Each callback should bound its own work per call.
 */
#define EV_TURN_BUDGET_MS 20

struct ev_loop;

typedef void (*ev_fd_fn)(struct ev_loop *loop, int fd, unsigned events,
			 void *arg);
typedef void (*ev_timer_fn)(struct ev_loop *loop, void *arg);
typedef void (*ev_signal_fn)(struct ev_loop *loop, int signo, void *arg);

/*
 * Child watcher. exited() runs while the child is still a zombie (its
 * process group id cannot be reused yet); reaped() runs after wait4() with
 * the wait status and resource use.
 */
struct ev_child_ops {
	void (*exited)(struct ev_loop *loop, pid_t pid, void *arg);
	void (*reaped)(struct ev_loop *loop, pid_t pid, int status,
		       const struct rusage *usage, void *arg);
};

/* Creates a loop with its self-pipe. Returns NULL when out of resources. */
struct ev_loop *ev_loop_new(void);

/* Frees the loop, restoring default signal dispositions it changed. */
void ev_loop_free(struct ev_loop *loop);

/*
 * Watches fd for events (EV_READ, EV_WRITE, either with EV_PRIORITY); a
 * second call replaces.
 */
int ev_fd_add(struct ev_loop *loop, int fd, unsigned events, ev_fd_fn fn,
	      void *arg);

/* Stops watching fd; the caller closes it. Safe inside callbacks. */
void ev_fd_del(struct ev_loop *loop, int fd);

/*
 * Calls fn once at the monotonic time at_ns (see clk_mono_ns). Returns a
 * timer id greater than 0, or 0 when EV_MAX_TIMERS are pending.
 */
uint64_t ev_timer_at(struct ev_loop *loop, int64_t at_ns, ev_timer_fn fn,
		     void *arg);

/* Cancels a pending timer; unknown or fired ids are ignored. */
void ev_timer_cancel(struct ev_loop *loop, uint64_t id);

/* Installs a handler for signo, delivered in the loop. */
int ev_signal(struct ev_loop *loop, int signo, ev_signal_fn fn, void *arg);

/* Watches a child started by the caller; ops must outlive the watch. */
int ev_child_watch(struct ev_loop *loop, pid_t pid,
		   const struct ev_child_ops *ops, void *arg);

/* Makes ev_run() return after the current iteration. */
void ev_stop(struct ev_loop *loop);

/* Runs the loop until ev_stop(). Returns WK_OK or WK_ERR_IO. */
int ev_run(struct ev_loop *loop);

/*
 * Runs one iteration: waits up to timeout_ms (-1: until the next timer or
 * event) and dispatches what is ready, within EV_TURN_BUDGET_MS.
 */
int ev_run_once(struct ev_loop *loop, int timeout_ms);

#endif
