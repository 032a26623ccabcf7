/*
 * Delivery of the outbox: per receiver, the oldest pending message is
 * sent, one at a time so that a resolved message never overtakes its
 * firing one. Failures are retried with capped exponential backoff and
 * jitter; a 429 or 503 answer's Retry-After is honoured. After
 * max_attempts tries or max_age, a message is given up, and an
 * agent_health alert goes to the other receivers. Also pings the
 * dead man's switch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert_format.h"
#include "agent/alert_int.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store_alerts.h"

#define HEARTBEAT_TIMEOUT_MS 10000

/* Delivery state of one receiver. */
struct deliver_rcv {
	struct alert_deliver *d;   /* back pointer for callbacks */
	size_t index;              /* in cfg->receivers */
	int busy;                  /* a request is in flight */
	int64_t msg_id;            /* its outbox id */
	int attempts;              /* tries of that message so far */
	int64_t created_at;        /* when it was queued, ms */
	int failing;               /* a message was given up since the last
				      success */
	uint64_t timer;            /* retry timer, 0: none */
	int64_t timer_at;          /* its due time, ms */
	char host[128];            /* of the URL, for logs */
};

struct alert_deliver {
	struct alert_engine *e;    /* owner */
	struct alert_http *http;   /* owned */
	struct deliver_rcv rcv[CFG_ALERT_RECEIVERS_MAX];
	uint64_t heartbeat_timer;  /* 0: none */
	int heartbeat_busy;        /* a ping is in flight */
	int heartbeat_failing;     /* the last ping failed */
	uint64_t seed;             /* xorshift state of the jitter */
};

/* The message being loaded from the outbox. */
struct deliver_msg {
	int64_t id;
	int attempts;
	int64_t created_at;
	int64_t next_attempt_at;
	char *payload;             /* owned */
	char key[128];             /* idempotency key */
};

static void deliver_receiver(struct deliver_rcv *rc);

static uint64_t
jitter_next(struct alert_deliver *d)
{
	d->seed ^= d->seed << 13;
	d->seed ^= d->seed >> 7;
	d->seed ^= d->seed << 17;
	return d->seed;
}

/* Delay before try attempts+1: doubling from backoff_min, capped, with
 * jitter that keeps it between half and all of that. */
static int64_t
backoff_ms(struct alert_deliver *d, int attempts)
{
	const struct cfg_alerting *c = d->e->cfg;
	int64_t delay = c->backoff_min_ms;
	int i;

	for (i = 1; i < attempts && delay < c->backoff_max_ms; i++)
		delay *= 2;
	if (delay > c->backoff_max_ms)
		delay = c->backoff_max_ms;
	return delay / 2 + (int64_t)(jitter_next(d) %
	    (uint64_t)(delay / 2 + 1));
}

static void
retry_timer(struct ev_loop *loop, void *arg)
{
	struct deliver_rcv *rc = arg;

	(void)loop;
	rc->timer = 0;
	deliver_receiver(rc);
}

static void
arm_retry(struct deliver_rcv *rc, int64_t at)
{
	struct ev_loop *loop = rc->d->e->loop;
	int64_t now = clk_wall_ms();

	if (rc->timer != 0 && rc->timer_at <= at)
		return;
	if (rc->timer != 0)
		ev_timer_cancel(loop, rc->timer);
	rc->timer_at = at;
	rc->timer = ev_timer_at(loop, clk_mono_ns() +
	    (at > now ? at - now : 0) * 1000000, retry_timer, rc);
}

static int
copy_msg(const struct store_outbox_msg *m, void *arg)
{
	struct deliver_msg *out = arg;

	out->id = m->id;
	out->attempts = m->attempts;
	out->created_at = m->created_at;
	out->next_attempt_at = m->next_attempt_at;
	snprintf(out->key, sizeof out->key, "%s", m->idempotency_key);
	out->payload = strdup(m->payload);
	return out->payload != NULL ? WK_OK : WK_ERR_NOMEM;
}

/* Marks the current message failed and raises the health alert. */
static void
give_up(struct deliver_rcv *rc, int status, const char *error, int64_t now)
{
	struct alert_engine *e = rc->d->e;
	const char *name = e->cfg->receivers[rc->index].name;
	char detail[ALERT_HTTP_ERROR_MAX + 128];

	store_outbox_update(e->store, rc->msg_id, STORE_OUTBOX_FAILED,
	    rc->attempts, now, status, error, 0);
	LOG(LL_ERROR, P_("receiver %s (%s): message %lld given up after %d "
	    "attempt: %s", "receiver %s (%s): message %lld given up after %d "
	    "attempts: %s", (unsigned long)rc->attempts), name, rc->host,
	    (long long)rc->msg_id, rc->attempts, error);
	snprintf(detail, sizeof detail, P_("host %s, %d attempt, last error: "
	    "%s", "host %s, %d attempts, last error: %s",
	    (unsigned long)rc->attempts), rc->host, rc->attempts, error);
	rc->failing = 1;
	alert_receiver_health(e, rc->index, 1, detail, now);
}

static void
sent(struct deliver_rcv *rc, const struct alert_http_result *res,
     int64_t now)
{
	struct alert_engine *e = rc->d->e;

	store_outbox_update(e->store, rc->msg_id, STORE_OUTBOX_SENT,
	    rc->attempts, now, (int)res->status, "", now);
	LOG(LL_DEBUG, _("receiver %s (%s): message %lld delivered, HTTP %ld "
	    "in %lld ms"), e->cfg->receivers[rc->index].name, rc->host,
	    (long long)rc->msg_id, res->status, (long long)res->elapsed_ms);
	if (rc->failing) {
		rc->failing = 0;
		alert_receiver_health(e, rc->index, 0, NULL, now);
	}
}

/* A status that may go away by itself: no answer, 408, 425, 429, 5xx. */
static int
retryable(long status)
{
	return status == 0 || status == 408 || status == 425 ||
	    status == 429 || status >= 500;
}

static void
send_done(const struct alert_http_result *res, void *arg)
{
	struct deliver_rcv *rc = arg;
	const struct cfg_alerting *c = rc->d->e->cfg;
	int64_t now = clk_wall_ms(), delay;

	rc->busy = 0;
	if (res->status >= 200 && res->status <= 299) {
		sent(rc, res, now);
	} else if (!retryable(res->status) || rc->attempts >= c->max_attempts ||
	    now - rc->created_at >= c->max_age_ms) {
		give_up(rc, (int)res->status, res->error, now);
	} else {
		delay = backoff_ms(rc->d, rc->attempts);
		if (res->retry_after_ms > delay)
			delay = res->retry_after_ms;
		store_outbox_update(rc->d->e->store, rc->msg_id,
		    STORE_OUTBOX_PENDING, rc->attempts, now + delay,
		    (int)res->status, res->error, 0);
		LOG(LL_WARN, _("receiver %s (%s): message %lld attempt %d "
		    "failed: %s; next attempt in %lld ms"),
		    c->receivers[rc->index].name, rc->host,
		    (long long)rc->msg_id, rc->attempts, res->error,
		    (long long)delay);
	}
	deliver_receiver(rc);
}

/* Sends the message now; returns WK_OK or an error of alert_http_send(). */
static int
send_msg(struct deliver_rcv *rc, const struct deliver_msg *m, int64_t now)
{
	const struct cfg_alert_receiver *r = &rc->d->e->cfg->receivers[rc->index];
	char url[CFG_ALERT_URL_MAX + 32];
	struct alert_http_req req;
	int status;

	snprintf(url, sizeof url, "%s%s", r->url,
	    alert_format_url_suffix(r->type));
	memset(&req, 0, sizeof req);
	req.receiver = r->name;
	req.url = url;
	req.body = m->payload;
	req.idempotency_key = m->key;
	req.timeout_ms = r->timeout_ms;
	rc->msg_id = m->id;
	rc->attempts = m->attempts + 1;
	rc->created_at = m->created_at;
	/* The attempt is counted before it is made, so a crash mid-request
	 * still counts it. */
	store_outbox_update(rc->d->e->store, m->id, STORE_OUTBOX_PENDING,
	    rc->attempts, now, 0, "", 0);
	status = alert_http_send(rc->d->http, &req, send_done, rc);
	if (status == WK_OK)
		rc->busy = 1;
	return status;
}

/* Starts the oldest pending message of a receiver when it is due. */
static void
deliver_receiver(struct deliver_rcv *rc)
{
	struct alert_engine *e = rc->d->e;
	struct deliver_msg m;
	int64_t now;
	int rc_load;

	while (!rc->busy) {
		memset(&m, 0, sizeof m);
		rc_load = store_outbox_oldest(e->store,
		    e->cfg->receivers[rc->index].name, copy_msg, &m);
		if (rc_load != WK_OK) {
			free(m.payload);
			return;
		}
		now = clk_wall_ms();
		if (m.next_attempt_at > now) {
			arm_retry(rc, m.next_attempt_at);
			free(m.payload);
			return;
		}
		if (now - m.created_at >= e->cfg->max_age_ms) {
			rc->msg_id = m.id;
			rc->attempts = m.attempts;
			give_up(rc, 0, _("too old to be sent"), now);
			free(m.payload);
			continue;
		}
		if (send_msg(rc, &m, now) != WK_OK)
			arm_retry(rc, now + 1000);
		free(m.payload);
	}
}

void
alert_deliver_kick(struct alert_deliver *d)
{
	size_t i;

	for (i = 0; i < d->e->cfg->n_receivers; i++)
		deliver_receiver(&d->rcv[i]);
}

static void heartbeat_timer(struct ev_loop *loop, void *arg);

static void
heartbeat_done(const struct alert_http_result *res, void *arg)
{
	struct alert_deliver *d = arg;
	int ok = res->status >= 200 && res->status <= 299;

	d->heartbeat_busy = 0;
	if (!ok && !d->heartbeat_failing)
		LOG(LL_WARN, _("the heartbeat ping to %s failed: %s"),
		    res->host, res->error[0] != '\0' ? res->error : "?");
	else if (ok && d->heartbeat_failing)
		LOG(LL_INFO, _("the heartbeat ping to %s works again"),
		    res->host);
	d->heartbeat_failing = !ok;
}

static void
heartbeat_timer(struct ev_loop *loop, void *arg)
{
	struct alert_deliver *d = arg;
	const struct cfg_alerting *c = d->e->cfg;
	struct alert_http_req req;

	d->heartbeat_timer = ev_timer_at(loop, clk_mono_ns() +
	    c->heartbeat_interval_ms * 1000000, heartbeat_timer, d);
	if (d->heartbeat_busy)
		return;
	memset(&req, 0, sizeof req);
	req.receiver = "heartbeat";
	req.url = c->heartbeat_url;
	req.timeout_ms = HEARTBEAT_TIMEOUT_MS;
	if (alert_http_send(d->http, &req, heartbeat_done, d) == WK_OK)
		d->heartbeat_busy = 1;
}

int
alert_deliver_new(struct alert_engine *e, struct alert_deliver **out,
		  struct wk_err *err)
{
	struct alert_deliver *d;
	size_t i;

	d = calloc(1, sizeof *d);
	if (d == NULL || (d->http = alert_http_new(e->loop)) == NULL) {
		free(d);
		return wk_err_set(err, WK_ERR_NOMEM, _("cannot start the HTTP "
		    "client for alerts"));
	}
	d->e = e;
	d->seed = (uint64_t)clk_mono_ns() | 1;
	for (i = 0; i < e->cfg->n_receivers; i++) {
		d->rcv[i].d = d;
		d->rcv[i].index = i;
		alert_http_host(e->cfg->receivers[i].url, d->rcv[i].host,
		    sizeof d->rcv[i].host);
	}
	if (e->cfg->heartbeat_url != NULL)
		d->heartbeat_timer = ev_timer_at(e->loop, clk_mono_ns(),
		    heartbeat_timer, d);
	*out = d;
	return WK_OK;
}

void
alert_deliver_free(struct alert_deliver *d)
{
	size_t i;

	if (d == NULL)
		return;
	alert_http_free(d->http);
	for (i = 0; i < CFG_ALERT_RECEIVERS_MAX; i++) {
		if (d->rcv[i].timer != 0)
			ev_timer_cancel(d->e->loop, d->rcv[i].timer);
	}
	if (d->heartbeat_timer != 0)
		ev_timer_cancel(d->e->loop, d->heartbeat_timer);
	free(d);
}
