/*
 * Unit tests of the event loop's turn budget. A watch with EV_PRIORITY is
 * dispatched in every turn. Once the other callbacks of a turn have used
 * EV_TURN_BUDGET_MS, the ready watches left wait for the next turn, which
 * starts with them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/ev.h"
#include "core/rc.h"

#define BUSY_PIPES 3   /* pipes whose callbacks each use the whole budget */
#define TURNS 6        /* turns run, so each busy pipe gets two */

struct watch {
	int fds[2];     /* pipe; the read end is watched */
	long calls;     /* callbacks so far */
	int slow;       /* the callback sleeps past the budget */
};

/* Counts the call and leaves the byte in the pipe, so it stays ready. */
static void
on_ready(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct timespec pause = { 0, (EV_TURN_BUDGET_MS + 5) * 1000000L };
	struct watch *w = arg;

	(void)loop;
	(void)fd;
	(void)events;
	w->calls++;
	if (w->slow)
		nanosleep(&pause, NULL);
}

static void
open_ready_pipe(struct watch *w, int slow)
{
	w->calls = 0;
	w->slow = slow;
	assert_int_equal(pipe(w->fds), 0);
	assert_int_equal(write(w->fds[1], "x", 1), 1);
}

static void
close_pipe(struct watch *w)
{
	close(w->fds[0]);
	close(w->fds[1]);
}

static void
test_budget_defers_and_rotates(void **state)
{
	struct watch busy[BUSY_PIPES], urgent;
	struct ev_loop *loop = ev_loop_new();
	int i;

	(void)state;
	assert_non_null(loop);
	for (i = 0; i < BUSY_PIPES; i++) {
		open_ready_pipe(&busy[i], 1);
		assert_int_equal(ev_fd_add(loop, busy[i].fds[0], EV_READ,
		    on_ready, &busy[i]), WK_OK);
	}
	open_ready_pipe(&urgent, 0);
	assert_int_equal(ev_fd_add(loop, urgent.fds[0], EV_READ | EV_PRIORITY,
	    on_ready, &urgent), WK_OK);

	for (i = 0; i < TURNS; i++)
		assert_int_equal(ev_run_once(loop, 0), WK_OK);

	/* One slow callback uses a turn's budget: each pipe gets every third
	   turn, and the priority pipe gets every turn. */
	assert_int_equal(urgent.calls, TURNS);
	for (i = 0; i < BUSY_PIPES; i++)
		assert_int_equal(busy[i].calls, TURNS / BUSY_PIPES);

	for (i = 0; i < BUSY_PIPES; i++)
		close_pipe(&busy[i]);
	close_pipe(&urgent);
	ev_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_defers_and_rotates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
