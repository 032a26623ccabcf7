#include "ev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/rc.h"

struct ev_fd {
	int fd;           /* watched descriptor, -1 once deleted */
	unsigned events;  /* EV_READ | EV_WRITE */
	ev_fd_fn fn;      /* callback */
	void *arg;        /* callback argument */
};

struct ev_timer {
	int64_t at_ns;    /* monotonic deadline */
	uint64_t id;      /* returned by ev_timer_at */
	ev_timer_fn fn;   /* callback */
	void *arg;        /* callback argument */
};

struct ev_child {
	pid_t pid;                       /* watched child */
	const struct ev_child_ops *ops;  /* callbacks, not owned */
	void *arg;                       /* callback argument */
};

struct ev_signal_handler {
	ev_signal_fn fn;  /* callback, NULL when unused */
	void *arg;        /* callback argument */
};

struct ev_loop {
	struct ev_fd *fds;          /* owned array of nfds watches */
	size_t nfds;
	struct pollfd *pollfds;     /* owned, rebuilt each iteration */
	struct ev_timer *timers;    /* owned binary min-heap on at_ns */
	size_t ntimers;
	uint64_t next_timer_id;     /* ids start at 1 */
	struct ev_child *children;  /* owned array of nchildren watches */
	size_t nchildren;
	struct ev_signal_handler signals[NSIG];
	size_t next_fd;             /* index of fds the next turn dispatches
				       first, after a turn that ran out of
				       EV_TURN_BUDGET_MS */
	int stop;                   /* ev_stop() was called */
};

/* The self-pipe is process-wide, because signal handlers are. */
static int ev_pipe[2] = { -1, -1 };

static void
ev_signal_handler(int signo)
{
	unsigned char byte = (unsigned char)signo;
	int saved_errno = errno;

	if (write(ev_pipe[1], &byte, 1) < 0) {
		/* The pipe is full: a wake-up is already pending. */
	}
	errno = saved_errno;
}

static int
ev_set_flags(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void ev_pipe_readable(struct ev_loop *loop, int fd, unsigned events,
			     void *arg);
static void ev_reap(struct ev_loop *loop, int signo, void *arg);

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *loop;

	loop = calloc(1, sizeof *loop);
	if (loop == NULL)
		return NULL;
	loop->fds = calloc(EV_MAX_FDS, sizeof *loop->fds);
	loop->pollfds = calloc(EV_MAX_FDS, sizeof *loop->pollfds);
	loop->timers = calloc(EV_MAX_TIMERS, sizeof *loop->timers);
	loop->children = calloc(EV_MAX_CHILDREN, sizeof *loop->children);
	loop->next_timer_id = 1;
	if (loop->fds == NULL || loop->pollfds == NULL ||
	    loop->timers == NULL || loop->children == NULL)
		goto fail;

	if (ev_pipe[0] < 0 && (pipe(ev_pipe) < 0 ||
	    ev_set_flags(ev_pipe[0]) < 0 || ev_set_flags(ev_pipe[1]) < 0))
		goto fail;
	if (ev_fd_add(loop, ev_pipe[0], EV_READ, ev_pipe_readable, NULL) !=
	    WK_OK || ev_signal(loop, SIGCHLD, ev_reap, NULL) != WK_OK)
		goto fail;
	return loop;

fail:
	ev_loop_free(loop);
	return NULL;
}

void
ev_loop_free(struct ev_loop *loop)
{
	int signo;

	if (loop == NULL)
		return;
	for (signo = 1; signo < NSIG; signo++) {
		if (loop->signals[signo].fn != NULL)
			signal(signo, SIG_DFL);
	}
	free(loop->fds);
	free(loop->pollfds);
	free(loop->timers);
	free(loop->children);
	free(loop);
}

int
ev_fd_add(struct ev_loop *loop, int fd, unsigned events, ev_fd_fn fn,
	  void *arg)
{
	size_t i;

	for (i = 0; i < loop->nfds; i++) {
		if (loop->fds[i].fd == fd)
			break;
	}
	if (i == loop->nfds) {
		if (loop->nfds == EV_MAX_FDS)
			return WK_ERR_LIMIT;
		loop->nfds++;
	}
	loop->fds[i] = (struct ev_fd){ fd, events, fn, arg };
	return WK_OK;
}

void
ev_fd_del(struct ev_loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->nfds; i++) {
		if (loop->fds[i].fd == fd)
			loop->fds[i].fd = -1;
	}
}

/* Drops deleted watches; only called between dispatches. */
static void
ev_fd_compact(struct ev_loop *loop)
{
	size_t i, j = 0;

	for (i = 0; i < loop->nfds; i++) {
		if (loop->fds[i].fd >= 0)
			loop->fds[j++] = loop->fds[i];
	}
	loop->nfds = j;
}

static void
ev_heap_swap(struct ev_loop *loop, size_t a, size_t b)
{
	struct ev_timer t = loop->timers[a];

	loop->timers[a] = loop->timers[b];
	loop->timers[b] = t;
}

static void
ev_heap_up(struct ev_loop *loop, size_t i)
{
	while (i > 0 && loop->timers[(i - 1) / 2].at_ns > loop->timers[i].at_ns) {
		ev_heap_swap(loop, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
ev_heap_down(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, min = i;

		if (left < loop->ntimers &&
		    loop->timers[left].at_ns < loop->timers[min].at_ns)
			min = left;
		if (right < loop->ntimers &&
		    loop->timers[right].at_ns < loop->timers[min].at_ns)
			min = right;
		if (min == i)
			return;
		ev_heap_swap(loop, i, min);
		i = min;
	}
}

static void
ev_heap_remove(struct ev_loop *loop, size_t i)
{
	loop->ntimers--;
	if (i == loop->ntimers)
		return;
	loop->timers[i] = loop->timers[loop->ntimers];
	ev_heap_up(loop, i);
	ev_heap_down(loop, i);
}

uint64_t
ev_timer_at(struct ev_loop *loop, int64_t at_ns, ev_timer_fn fn, void *arg)
{
	uint64_t id;

	if (loop->ntimers == EV_MAX_TIMERS)
		return 0;
	/* The id is kept aside: ev_heap_up() may move the new entry. */
	id = loop->next_timer_id++;
	loop->timers[loop->ntimers] = (struct ev_timer){ at_ns, id, fn, arg };
	ev_heap_up(loop, loop->ntimers++);
	return id;
}

void
ev_timer_cancel(struct ev_loop *loop, uint64_t id)
{
	size_t i;

	for (i = 0; i < loop->ntimers; i++) {
		if (loop->timers[i].id == id) {
			ev_heap_remove(loop, i);
			return;
		}
	}
}

int
ev_signal(struct ev_loop *loop, int signo, ev_signal_fn fn, void *arg)
{
	struct sigaction sa;

	if (signo <= 0 || signo >= NSIG)
		return WK_ERR_INVALID;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ev_signal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
	if (sigaction(signo, &sa, NULL) < 0)
		return WK_ERR_IO;
	loop->signals[signo] = (struct ev_signal_handler){ fn, arg };
	return WK_OK;
}

int
ev_child_watch(struct ev_loop *loop, pid_t pid, const struct ev_child_ops *ops,
	       void *arg)
{
	if (loop->nchildren == EV_MAX_CHILDREN)
		return WK_ERR_LIMIT;
	loop->children[loop->nchildren++] = (struct ev_child){ pid, ops, arg };
	return WK_OK;
}

/* Removes and returns the watch of pid; found is 0 when there is none. */
static struct ev_child
ev_child_take(struct ev_loop *loop, pid_t pid, int *found)
{
	struct ev_child child = { 0, NULL, NULL };
	size_t i;

	*found = 0;
	for (i = 0; i < loop->nchildren; i++) {
		if (loop->children[i].pid == pid) {
			child = loop->children[i];
			loop->children[i] = loop->children[--loop->nchildren];
			*found = 1;
			break;
		}
	}
	return child;
}

/* Peeks at, then reaps, every exited child. */
static void
ev_reap(struct ev_loop *loop, int signo, void *arg)
{
	struct ev_child child;
	struct rusage usage;
	siginfo_t info;
	int status, found;
	pid_t pid;

	(void)signo;
	(void)arg;
	for (;;) {
		memset(&info, 0, sizeof info);
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    info.si_pid == 0)
			return;
		pid = info.si_pid;
		child = ev_child_take(loop, pid, &found);
		if (found && child.ops->exited != NULL)
			child.ops->exited(loop, pid, child.arg);

		memset(&usage, 0, sizeof usage);
		if (wait4(pid, &status, 0, &usage) < 0)
			continue;
		if (found && child.ops->reaped != NULL)
			child.ops->reaped(loop, pid, status, &usage, child.arg);
		else if (!found)
			LOG(LL_DEBUG, _("reaped process %d"), (int)pid);
	}
}

static void
ev_pipe_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	unsigned char bytes[64];
	ssize_t n, i;

	(void)events;
	(void)arg;
	while ((n = read(fd, bytes, sizeof bytes)) > 0) {
		for (i = 0; i < n; i++) {
			struct ev_signal_handler *h;

			if (bytes[i] >= NSIG)
				continue;
			h = &loop->signals[bytes[i]];
			if (h->fn != NULL)
				h->fn(loop, bytes[i], h->arg);
		}
	}
}

void
ev_stop(struct ev_loop *loop)
{
	loop->stop = 1;
}

/* Fires due timers; each callback may add or cancel timers. */
static void
ev_run_timers(struct ev_loop *loop)
{
	int64_t now = clk_mono_ns();

	while (loop->ntimers > 0 && loop->timers[0].at_ns <= now) {
		struct ev_timer t = loop->timers[0];

		ev_heap_remove(loop, 0);
		t.fn(loop, t.arg);
	}
}

/*
 * Calls the callback of watch i when poll() found it ready. Returns 1 when
 * it did. A watch deleted or replaced by an earlier callback of the same
 * turn is skipped.
 */
static int
ev_dispatch(struct ev_loop *loop, size_t i)
{
	short re = loop->pollfds[i].revents;
	struct ev_fd w = loop->fds[i];

	if (re == 0 || w.fd != loop->pollfds[i].fd)
		return 0;

	loop->pollfds[i].revents = 0;
	w.fn(loop, w.fd, (re & (POLLIN | POLLHUP | POLLERR) ? EV_READ : 0) |
	    (re & POLLOUT ? EV_WRITE : 0), w.arg);
	return 1;
}

/*
 * Dispatches the first n watches that are ready: those with EV_PRIORITY
 * first, then the others from loop->next_fd on, in a circle, until the
 * turn has used EV_TURN_BUDGET_MS. poll() reports the ones left over
 * again, and the next turn starts with them.
 */
static void
ev_dispatch_ready(struct ev_loop *loop, size_t n)
{
	int64_t deadline = clk_mono_ns() + EV_TURN_BUDGET_MS * INT64_C(1000000);
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (loop->fds[i].events & EV_PRIORITY)
			ev_dispatch(loop, i);
	}

	for (k = 0; k < n; k++) {
		i = (loop->next_fd + k) % n;
		if ((loop->fds[i].events & EV_PRIORITY) || !ev_dispatch(loop, i))
			continue;
		if (clk_mono_ns() >= deadline) {
			loop->next_fd = (i + 1) % n;
			return;
		}
	}
}

static int
ev_poll_timeout(struct ev_loop *loop, int timeout_ms)
{
	int64_t wait_ms;

	if (loop->ntimers == 0)
		return timeout_ms;
	wait_ms = (loop->timers[0].at_ns - clk_mono_ns() + 999999) / 1000000;
	if (wait_ms < 0)
		wait_ms = 0;
	if (timeout_ms >= 0 && wait_ms > timeout_ms)
		wait_ms = timeout_ms;
	return wait_ms > 60000 ? 60000 : (int)wait_ms;
}

int
ev_run_once(struct ev_loop *loop, int timeout_ms)
{
	size_t i, n;
	int ready;

	ev_fd_compact(loop);
	n = loop->nfds;
	for (i = 0; i < n; i++) {
		loop->pollfds[i].fd = loop->fds[i].fd;
		loop->pollfds[i].events =
		    (short)((loop->fds[i].events & EV_READ ? POLLIN : 0) |
		    (loop->fds[i].events & EV_WRITE ? POLLOUT : 0));
		loop->pollfds[i].revents = 0;
	}

	ready = poll(loop->pollfds, n, ev_poll_timeout(loop, timeout_ms));
	if (ready < 0 && errno != EINTR) {
		LOG(LL_ERROR, _("poll failed: %s"), strerror(errno));
		return WK_ERR_IO;
	}
	if (ready > 0)
		ev_dispatch_ready(loop, n);
	ev_run_timers(loop);
	return WK_OK;
}

int
ev_run(struct ev_loop *loop)
{
	int rc = WK_OK;

	loop->stop = 0;
	while (!loop->stop && rc == WK_OK)
		rc = ev_run_once(loop, -1);
	return rc;
}
