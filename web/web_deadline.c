#include "web/web_deadline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/i18n.h"
#include "core/log.h"
#include "netlib/netlib_mhd.h"

#define WEB_CLIENT_MAX 64   /* bytes of "[address]:port" */

/* The deadline of one open connection. */
struct web_deadline_slot {
	struct web_deadlines *owner;  /* the table it lies in */
	int used;                     /* 1 while its connection is open */
	int fd;                       /* the connection's socket */
	int64_t due_ms;               /* monotonic ms by which the request
					 must arrive whole; 0: none */
	char client[WEB_CLIENT_MAX];  /* client address and port */
};

struct web_deadlines {
	pthread_mutex_t lock;           /* everything below */
	pthread_cond_t wake;            /* stopping, or a new deadline;
					   waits on CLOCK_MONOTONIC */
	pthread_t thread;               /* runs deadlines_main() */
	int thread_started;             /* thread is to be joined */
	int stopping;                   /* web_deadlines_stop() began */
	int64_t idle_ms;                /* idle timeout between requests */
	uint64_t closed;                /* connections closed past due */
	size_t n_slots;                 /* entries of slots */
	struct web_deadline_slot *slots; /* owned */
};

/* The real CLOCK_MONOTONIC, never an injected one: the thread waits on it. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the client address of conn as "address:port" into out. */
static void
client_name(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info;
	const struct sockaddr *sa;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	info = netlib_mhd.get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = info != NULL ? info->client_addr : NULL;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const void *)sa;

		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
		port = ntohs(a4->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)sa;

		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
		port = ntohs(a6->sin6_port);
	}
	if (sa != NULL && sa->sa_family == AF_INET6)
		snprintf(out, size, "[%s]:%u", host, port);
	else
		snprintf(out, size, "%s:%u", host, port);
}

/* Takes a free slot for a started connection, or returns NULL. */
static struct web_deadline_slot *
slot_take(struct web_deadlines *d, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;
	struct web_deadline_slot *slot = NULL;
	char client[WEB_CLIENT_MAX];
	size_t i;

	info = netlib_mhd.get_connection_info(conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return NULL;
	client_name(conn, client, sizeof client);

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->n_slots && slot == NULL; i++) {
		if (!d->slots[i].used)
			slot = &d->slots[i];
	}
	if (slot != NULL) {
		slot->used = 1;
		slot->fd = info->connect_fd;
		slot->due_ms = mono_ms() + WEB_REQUEST_DEADLINE_MS;
		memcpy(slot->client, client, sizeof slot->client);
		pthread_cond_signal(&d->wake);
	}
	pthread_mutex_unlock(&d->lock);
	return slot;
}

void
web_deadlines_notify(void *cls, struct MHD_Connection *conn,
		     void **socket_context,
		     enum MHD_ConnectionNotificationCode code)
{
	struct web_deadlines *d = cls;
	struct web_deadline_slot *slot = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = slot_take(d, conn);
		return;
	}
	if (slot == NULL)
		return;
	/* libmicrohttpd notifies the close before it closes the socket, so
	   once the slot is free under the lock its descriptor is never shut
	   down again.
	   NOTE: that order was read in the library's connection cleanup
	   code, not in the source of the 0.9.75 release itself. */
	pthread_mutex_lock(&d->lock);
	memset(slot, 0, sizeof *slot);
	slot->owner = d;
	pthread_mutex_unlock(&d->lock);
	*socket_context = NULL;
}

/* Returns the slot of conn, or NULL for a connection without one. */
static struct web_deadline_slot *
slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info = netlib_mhd.get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

void
web_deadlines_received(struct MHD_Connection *conn)
{
	struct web_deadline_slot *slot = slot_of(conn);

	if (slot == NULL)
		return;
	pthread_mutex_lock(&slot->owner->lock);
	slot->due_ms = 0;
	pthread_mutex_unlock(&slot->owner->lock);
}

void
web_deadlines_next(struct MHD_Connection *conn)
{
	struct web_deadline_slot *slot = slot_of(conn);
	struct web_deadlines *d;

	if (slot == NULL)
		return;
	d = slot->owner;
	pthread_mutex_lock(&d->lock);
	if (slot->used) {
		slot->due_ms = mono_ms() + d->idle_ms +
		    WEB_REQUEST_DEADLINE_MS;
		pthread_cond_signal(&d->wake);
	}
	pthread_mutex_unlock(&d->lock);
}

/*
 * Shuts down the sockets of the connections past their deadline, under
 * the lock so that none of them can close meanwhile. libmicrohttpd reads
 * the end of the stream and closes the connection. Returns the earliest
 * deadline still pending, in monotonic ms, or 0 when none is.
 */
static int64_t
deadlines_enforce(struct web_deadlines *d)
{
	int64_t now = mono_ms(), next = 0;
	size_t i;

	for (i = 0; i < d->n_slots; i++) {
		struct web_deadline_slot *slot = &d->slots[i];

		if (!slot->used || slot->due_ms == 0)
			continue;
		if (now < slot->due_ms) {
			if (next == 0 || slot->due_ms < next)
				next = slot->due_ms;
			continue;
		}
		slot->due_ms = 0;
		if (shutdown(slot->fd, SHUT_RDWR) != 0 && errno != ENOTCONN) {
			LOG(LL_WARN, _("web: cannot close the connection from "
			    "%s past its request deadline: %s"), slot->client,
			    strerror(errno));
			continue;
		}
		d->closed++;
		if (d->closed <= 10 || d->closed % WEB_DEADLINE_LOG_EVERY == 0)
			LOG(LL_INFO, _("web: closed the connection from %s: its "
			    "request did not arrive whole within %d s "
			    "(connections closed so far: %llu)"), slot->client,
			    WEB_REQUEST_DEADLINE_MS / 1000,
			    (unsigned long long)d->closed);
	}
	return next;
}

static void *
deadlines_main(void *arg)
{
	struct web_deadlines *d = arg;
	struct timespec until;
	int64_t next;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		next = deadlines_enforce(d);
		if (next == 0) {
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		until.tv_sec = (time_t)(next / 1000);
		until.tv_nsec = (long)(next % 1000) * 1000000L;
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* Makes cond wait on CLOCK_MONOTONIC, the clock of the deadlines. */
static void
deadlines_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

struct web_deadlines *
web_deadlines_start(size_t slots, int64_t idle_ms, struct wk_err *err)
{
	struct web_deadlines *d = calloc(1, sizeof *d);
	size_t i;
	int rc;

	if (d == NULL || (d->slots = calloc(slots, sizeof *d->slots)) == NULL) {
		free(d);
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	deadlines_cond_init(&d->wake);
	d->n_slots = slots;
	d->idle_ms = idle_ms;
	for (i = 0; i < slots; i++)
		d->slots[i].owner = d;

	rc = pthread_create(&d->thread, NULL, deadlines_main, d);
	if (rc != 0) {
		wk_err_set(err, WK_ERR_IO, _("web: cannot start a thread: %s"),
		    strerror(rc));
		web_deadlines_free(d);
		return NULL;
	}
	d->thread_started = 1;
	return d;
}

void
web_deadlines_stop(struct web_deadlines *d)
{
	if (d == NULL || !d->thread_started)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	d->thread_started = 0;
}

void
web_deadlines_free(struct web_deadlines *d)
{
	if (d == NULL)
		return;
	web_deadlines_stop(d);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d->slots);
	free(d);
}
