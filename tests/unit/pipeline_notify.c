/*
 * Stage protocol messages: formatting, delivery to a path and to an
 * abstract socket, progress rate limit and watchdog timing (with an
 * injected clock), and sends that fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "pipeline/notify.h"

static int64_t fake_now_ns;

static int64_t
fake_mono(void)
{
	return fake_now_ns;
}

static int64_t
fake_wall(void)
{
	return 0;
}

/* A bound receiving socket and the name a stage would get. */
struct receiver {
	int fd;          /* bound datagram socket */
	char name[108];  /* NOTIFY_SOCKET value */
	char dir[64];    /* temporary directory of a path socket, or "" */
};

static void
receiver_bind(struct receiver *rx, int abstract)
{
	struct sockaddr_un addr;
	socklen_t len;

	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	rx->dir[0] = '\0';
	if (abstract) {
		snprintf(rx->name, sizeof rx->name, "@pipeline-notify-%d",
		    (int)getpid());
		memcpy(addr.sun_path, rx->name, strlen(rx->name));
		addr.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(rx->name));
	} else {
		snprintf(rx->dir, sizeof rx->dir, "/tmp/pipeline_notify.XXXXXX");
		assert_non_null(mkdtemp(rx->dir));
		snprintf(rx->name, sizeof rx->name, "%s/notify", rx->dir);
		snprintf(addr.sun_path, sizeof addr.sun_path, "%s", rx->name);
		len = sizeof addr;
	}
	rx->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(rx->fd >= 0);
	assert_int_equal(bind(rx->fd, (struct sockaddr *)&addr, len), 0);
}

static void
receiver_close(struct receiver *rx)
{
	close(rx->fd);
	if (rx->dir[0] != '\0') {
		unlink(rx->name);
		rmdir(rx->dir);
	}
}

/* Receives one datagram, or "" when none is waiting. */
static const char *
receive(struct receiver *rx)
{
	static char text[NOTIFY_MSG_MAX + 1];
	ssize_t n = recv(rx->fd, text, sizeof text - 1, MSG_DONTWAIT);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void
test_notify_msg_format(void **state)
{
	struct notify_msg msg;

	(void)state;
	notify_msg_init(&msg);
	assert_int_equal(notify_msg_add(&msg, "READY", "1"), WK_OK);
	assert_int_equal(notify_msg_add(&msg, "STATUS", "two\nlines %d", 3),
	    WK_OK);
	assert_string_equal(msg.text, "READY=1\nSTATUS=two lines 3\n");
	assert_int_equal(msg.len, strlen(msg.text));
}

static void
test_notify_msg_limit(void **state)
{
	struct notify_msg msg;
	char big[NOTIFY_MSG_MAX];

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	notify_msg_init(&msg);
	assert_int_equal(notify_msg_add(&msg, "A", "1"), WK_OK);
	assert_int_equal(notify_msg_add(&msg, "STATUS", "%s", big),
	    WK_ERR_LIMIT);
	/* The message keeps what it had. */
	assert_string_equal(msg.text, "A=1\n");
	assert_int_equal(msg.len, 4);
}

static void
send_all_kinds(struct receiver *rx)
{
	struct notify nt;
	struct wk_err err;

	assert_int_equal(notify_open(&nt, rx->name, NULL, NULL, &err), WK_OK);
	notify_ready(&nt, "ingest: starting");
	assert_string_equal(receive(rx), "READY=1\nSTATUS=ingest: starting\n");
	notify_status(&nt, "reading %s", "events.csv");
	assert_string_equal(receive(rx), "STATUS=reading events.csv\n");
	notify_progress(&nt, 0.25);
	assert_string_equal(receive(rx), "X_WATCHKEEP_PROGRESS=0.250\n");
	/* Metrics are queued and go out together. */
	notify_metric(&nt, "rows_in", 69659);
	notify_metric(&nt, "holdout_auc", 0.75);
	notify_flush(&nt);
	assert_string_equal(receive(rx), "X_WATCHKEEP_METRIC=rows_in=69659\n"
	    "X_WATCHKEEP_METRIC=holdout_auc=0.75\n");
	assert_int_equal(nt.send_failures, 0);
	notify_close(&nt);
}

static void
test_notify_path_socket(void **state)
{
	struct receiver rx;

	(void)state;
	receiver_bind(&rx, 0);
	send_all_kinds(&rx);
	receiver_close(&rx);
}

static void
test_notify_abstract_socket(void **state)
{
	struct receiver rx;

	(void)state;
	receiver_bind(&rx, 1);
	send_all_kinds(&rx);
	receiver_close(&rx);
}

static void
test_notify_progress_rate_limit(void **state)
{
	struct receiver rx;
	struct notify nt;
	struct wk_err err;

	(void)state;
	receiver_bind(&rx, 0);
	clk_set_source(fake_mono, fake_wall);
	fake_now_ns = INT64_C(1000000000);
	assert_int_equal(notify_open(&nt, rx.name, NULL, NULL, &err), WK_OK);

	notify_progress(&nt, 0.1);
	assert_string_equal(receive(&rx), "X_WATCHKEEP_PROGRESS=0.100\n");
	fake_now_ns += INT64_C(100000000);
	notify_progress(&nt, 0.2);
	assert_string_equal(receive(&rx), "");
	fake_now_ns += INT64_C(200000000);
	notify_progress(&nt, 0.3);
	assert_string_equal(receive(&rx), "X_WATCHKEEP_PROGRESS=0.300\n");
	/* The end is always sent, and values are clamped to 0..1. */
	notify_progress(&nt, 7.0);
	assert_string_equal(receive(&rx), "X_WATCHKEEP_PROGRESS=1.000\n");

	notify_close(&nt);
	clk_set_source(NULL, NULL);
	receiver_close(&rx);
}

static void
test_notify_watchdog_half_interval(void **state)
{
	struct receiver rx;
	struct notify nt;
	struct wk_err err;

	(void)state;
	receiver_bind(&rx, 0);
	clk_set_source(fake_mono, fake_wall);
	fake_now_ns = 0;
	/* WATCHDOG_USEC of 2 s: WATCHDOG=1 is due every second. */
	assert_int_equal(notify_open(&nt, rx.name, "2000000", NULL, &err),
	    WK_OK);
	fake_now_ns = INT64_C(900000000);
	notify_watchdog(&nt);
	assert_string_equal(receive(&rx), "");
	fake_now_ns = INT64_C(1000000000);
	notify_watchdog(&nt);
	assert_string_equal(receive(&rx), "WATCHDOG=1\n");
	notify_watchdog(&nt);
	assert_string_equal(receive(&rx), "");
	/* Long loops only call notify_progress(): it keeps the watchdog. */
	fake_now_ns = INT64_C(2100000000);
	notify_progress(&nt, 0.5);
	assert_string_equal(receive(&rx), "WATCHDOG=1\n");
	assert_string_equal(receive(&rx), "X_WATCHKEEP_PROGRESS=0.500\n");
	notify_close(&nt);
	clk_set_source(NULL, NULL);
	receiver_close(&rx);
}

static void
test_notify_watchdog_other_pid(void **state)
{
	struct receiver rx;
	struct notify nt;
	struct wk_err err;
	char pid[32];

	(void)state;
	receiver_bind(&rx, 0);
	snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
	assert_int_equal(notify_open(&nt, rx.name, "1", pid, &err), WK_OK);
	assert_int_equal(nt.watchdog_interval_ns, 0);
	notify_close(&nt);

	snprintf(pid, sizeof pid, "%d", (int)getpid());
	assert_int_equal(notify_open(&nt, rx.name, "1", pid, &err), WK_OK);
	assert_int_equal(nt.watchdog_interval_ns, 500);
	notify_close(&nt);
	receiver_close(&rx);
}

static void
test_notify_bad_environment(void **state)
{
	struct notify nt;
	struct wk_err err;
	char long_name[200];

	(void)state;
	assert_int_equal(notify_open(&nt, "/tmp/x", "soon", NULL, &err),
	    WK_ERR_INVALID);
	assert_non_null(strstr(err.msg, "WATCHDOG_USEC"));
	notify_close(&nt);

	memset(long_name, 'a', sizeof long_name - 1);
	long_name[0] = '/';
	long_name[sizeof long_name - 1] = '\0';
	assert_int_equal(notify_open(&nt, long_name, NULL, NULL, &err),
	    WK_ERR_INVALID);
	assert_int_equal(nt.fd, -1);
	notify_ready(&nt, "still runs");
}

static void
test_notify_disabled_and_failing(void **state)
{
	struct notify_msg msg;
	struct notify nt;
	struct wk_err err;

	(void)state;
	assert_int_equal(notify_open(&nt, NULL, NULL, NULL, &err), WK_OK);
	assert_int_equal(nt.fd, -1);
	notify_ready(&nt, "nobody listens");
	notify_progress(&nt, 0.5);

	/* No socket is bound to this path: the send fails and is counted. */
	assert_int_equal(notify_open(&nt, "/tmp/pipeline-notify-nobody", NULL,
	    NULL, &err), WK_OK);
	notify_msg_init(&msg);
	notify_msg_add(&msg, "READY", "1");
	assert_int_equal(notify_send(&nt, &msg), WK_ERR_IO);
	notify_metric(&nt, "users", 3);
	notify_flush(&nt);
	assert_int_equal(nt.send_failures, 2);
	notify_close(&nt);
}

static void
test_notify_metrics_batched(void **state)
{
	struct receiver rx;
	struct notify nt;
	struct wk_err err;
	const char *text;
	char name[16];
	int i;

	(void)state;
	receiver_bind(&rx, 0);
	assert_int_equal(notify_open(&nt, rx.name, NULL, NULL, &err), WK_OK);
	/* 40 metrics: 32 in the first datagram, 8 in the second, sent
	 * before the status that follows them. */
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "m%d", i);
		notify_metric(&nt, name, i);
	}
	text = receive(&rx);
	assert_non_null(strstr(text, "X_WATCHKEEP_METRIC=m0=0\n"));
	assert_non_null(strstr(text, "X_WATCHKEEP_METRIC=m31=31\n"));
	assert_null(strstr(text, "m32="));
	notify_status(&nt, "done");
	text = receive(&rx);
	assert_non_null(strstr(text, "X_WATCHKEEP_METRIC=m32=32\n"));
	assert_non_null(strstr(text, "X_WATCHKEEP_METRIC=m39=39\n"));
	assert_string_equal(receive(&rx), "STATUS=done\n");
	/* Closing sends what is still queued. */
	notify_metric(&nt, "last", 1);
	notify_close(&nt);
	assert_string_equal(receive(&rx), "X_WATCHKEEP_METRIC=last=1\n");
	receiver_close(&rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_msg_format),
		cmocka_unit_test(test_notify_msg_limit),
		cmocka_unit_test(test_notify_path_socket),
		cmocka_unit_test(test_notify_abstract_socket),
		cmocka_unit_test(test_notify_progress_rate_limit),
		cmocka_unit_test(test_notify_watchdog_half_interval),
		cmocka_unit_test(test_notify_watchdog_other_pid),
		cmocka_unit_test(test_notify_bad_environment),
		cmocka_unit_test(test_notify_disabled_and_failing),
		cmocka_unit_test(test_notify_metrics_batched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
