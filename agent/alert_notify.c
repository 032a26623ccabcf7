/*
 * Messages of the alert engine: which receiver to notify of what, the
 * grouping and timing of messages, and their durable queueing in the
 * outbox together with the notification state of each receiver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert_format.h"
#include "agent/alert_int.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store_alerts.h"

#define GROUP_IDLE_MS 3600000  /* a group unused this long is forgotten */

/* Why a receiver must be notified of an alert now. */
enum need {
	NEED_NONE,
	NEED_FIRING,     /* firing, not yet notified */
	NEED_RESOLVED,   /* notified as firing, now resolved */
	NEED_REMINDER    /* notified as firing long ago, still firing */
};

/*
 * Decides what receiver r needs to hear about a; sets *due to the time
 * the next reminder is due when nothing is needed now.
 */
static enum need
alert_need(const struct alert_engine *e, const struct alert *a, size_t r,
	   int64_t now, int64_t *due)
{
	const struct alert_notice *n = &a->notices[r];
	int64_t every = e->cfg->repeat_interval_ms;

	*due = INT64_MAX;
	if (a->state == ALERT_RESOLVED)
		return n->notified == ALERT_NOTIFIED_FIRING ? NEED_RESOLVED : NEED_NONE;
	if (a->state != ALERT_FIRING || a->muted)
		return NEED_NONE;
	if (n->notified != ALERT_NOTIFIED_FIRING)
		return NEED_FIRING;

	/* Alertmanager expires alerts that are not sent again. */
	if (e->cfg->receivers[r].type == CFG_ALERT_ALERTMANAGER)
		every = ALERT_AM_RESEND_MS;
	else if (a->ack_uid >= 0 || every == 0)
		return NEED_NONE;
	if (now >= n->at + every)
		return NEED_REMINDER;
	*due = n->at + every;
	return NEED_NONE;
}

static struct alert_group *
group_get(struct alert_engine *e, size_t r, const char *key)
{
	struct alert_group *g;
	size_t i;

	for (i = 0; i < e->n_groups; i++) {
		g = &e->groups[i];
		if (g->receiver == r && strcmp(g->key, key) == 0)
			return g;
	}
	if (e->n_groups == ALERT_GROUPS_MAX)
		return NULL;
	g = &e->groups[e->n_groups++];
	memset(g, 0, sizeof *g);
	g->receiver = r;
	snprintf(g->key, sizeof g->key, "%s", key);
	return g;
}

/* Marks the groups that have something to send; returns next reminder. */
static int64_t
mark_groups(struct alert_engine *e, int64_t now)
{
	size_t receivers[CFG_ALERT_RECEIVERS_MAX], n, i, k;
	char key[ALERT_GROUP_KEY_MAX];
	struct alert_group *g;
	int64_t next = INT64_MAX, due, at;
	enum need need;

	for (i = 0; i < e->n_alerts; i++) {
		struct alert *a = &e->alerts[i];

		n = alert_route(e, a, receivers);
		alert_group_key(e, a, key, sizeof key);
		for (k = 0; k < n; k++) {
			need = alert_need(e, a, receivers[k], now, &due);
			if (need == NEED_NONE) {
				next = due < next ? due : next;
				continue;
			}
			g = group_get(e, receivers[k], key);
			if (g == NULL)
				continue;
			g->seen_at = now;
			/* group_wait counts from the change, not this tick,
			 * and a reminder does not wait for more alerts. */
			at = need == NEED_FIRING ? a->fired_at :
			    need == NEED_RESOLVED ? a->resolved_at :
			    now - e->cfg->group_wait_ms;
			at = at > 0 && at < now ? at : now;
			if (g->changed_at == 0 || at < g->changed_at)
				g->changed_at = at;
		}
	}
	return next;
}

/* 64-bit FNV-1a of a text, as 16 hex digits. */
static void
hash_hex(const char *a, const char *b, char out[ALERT_FP_LEN + 1])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const char *s;

	for (s = a; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	h = (h ^ 0xff) * UINT64_C(0x100000001b3);
	for (s = b; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	snprintf(out, ALERT_FP_LEN + 1, "%016llx", (unsigned long long)h);
}

/* The alerts of one message and what they were. */
struct batch {
	struct alert *alerts[ALERT_MSG_ALERTS_MAX];  /* not owned */
	struct alert_view views[ALERT_MSG_ALERTS_MAX];
	size_t n;
	size_t more;       /* alerts of the group left for a later message */
};

static void
batch_collect(struct alert_engine *e, const struct alert_group *g,
	      int64_t now, struct batch *b)
{
	size_t receivers[CFG_ALERT_RECEIVERS_MAX], n, i, k;
	char key[ALERT_GROUP_KEY_MAX];
	enum need need;
	int64_t due;

	memset(b, 0, sizeof *b);
	for (i = 0; i < e->n_alerts; i++) {
		struct alert *a = &e->alerts[i];

		n = alert_route(e, a, receivers);
		for (k = 0; k < n && receivers[k] != g->receiver; k++)
			continue;
		if (k == n)
			continue;
		need = alert_need(e, a, g->receiver, now, &due);
		alert_group_key(e, a, key, sizeof key);
		if (need == NEED_NONE || strcmp(key, g->key) != 0)
			continue;
		if (b->n == ALERT_MSG_ALERTS_MAX) {
			b->more++;
			continue;
		}
		b->alerts[b->n] = a;
		alert_view_of(a, &b->views[b->n]);
		b->views[b->n].reminder = need == NEED_REMINDER;
		b->n++;
	}
}

/*
 * Writes the message and the receiver's notification state to the store
 * in one transaction. Returns WK_OK, or an error with nothing written.
 */
static int
batch_queue(struct alert_engine *e, const struct alert_group *g,
	    const struct batch *b, const char *body, const char *idem,
	    int64_t now)
{
	const char *name = e->cfg->receivers[g->receiver].name;
	size_t i;
	int rc;

	rc = store_alerts_begin(e->store);
	if (rc != WK_OK)
		return rc;
	rc = store_outbox_add(e->store, name, g->key, idem, body, now, NULL);
	for (i = 0; rc == WK_OK && i < b->n; i++)
		rc = store_alert_notified(e->store, b->alerts[i]->fp, name,
		    b->views[i].firing ? "firing" : "resolved", now);
	if (rc != WK_OK) {
		store_alerts_rollback(e->store);
		return rc;
	}
	return store_alerts_commit(e->store);
}

/* Formats the batch; halves it while a body is too large. */
static int
batch_format(struct alert_engine *e, const struct alert_group *g,
	     struct batch *b, const char *idem, int64_t now, struct buf *body)
{
	struct alert_message msg;
	int rc;

	memset(&msg, 0, sizeof msg);
	msg.receiver = &e->cfg->receivers[g->receiver];
	msg.base_url = e->cfg->base_url;
	msg.group_key = g->key;
	msg.idempotency_key = idem;
	msg.now = now;
	msg.alerts = b->views;
	for (;;) {
		msg.n_alerts = b->n;
		rc = alert_format(&msg, body);
		if (rc != WK_ERR_LIMIT || b->n == 1)
			return rc;
		b->more += b->n - b->n / 2;
		b->n /= 2;
	}
}

static void
group_flush(struct alert_engine *e, struct alert_group *g, int64_t now)
{
	const struct cfg_alert_receiver *r = &e->cfg->receivers[g->receiver];
	char idem[ALERT_FP_LEN * 2 + 48], hash[ALERT_FP_LEN + 1];
	struct batch b;
	struct buf body;
	size_t i;
	int rc;

	batch_collect(e, g, now, &b);
	g->changed_at = 0;
	if (b.n == 0)
		return;
	hash_hex(r->name, g->key, hash);
	snprintf(idem, sizeof idem, "%s-%lld-%llu", hash, (long long)now,
	    (unsigned long long)++e->message_seq);
	buf_init(&body, ALERT_BODY_MAX);
	rc = batch_format(e, g, &b, idem, now, &body);
	if (rc == WK_OK)
		rc = batch_queue(e, g, &b, body.data, idem, now);
	buf_free(&body);
	if (rc != WK_OK) {
		LOG(LL_ERROR, _("cannot queue a message to receiver %s (%s); "
		    "it is tried again at the next tick"), r->name,
		    wk_rc_name(rc));
		return;
	}

	for (i = 0; i < b.n; i++) {
		b.alerts[i]->notices[g->receiver].notified = b.views[i].firing ?
		    ALERT_NOTIFIED_FIRING : ALERT_NOTIFIED_RESOLVED;
		b.alerts[i]->notices[g->receiver].at = now;
	}
	g->sent_at = now;
	if (b.more > 0)
		g->changed_at = now;
	LOG(LL_DEBUG, P_("queued a message of %zu alert to receiver %s, "
	    "group %s", "queued a message of %zu alerts to receiver %s, "
	    "group %s", b.n), b.n, r->name, g->key);
}

/* Forgets groups that nothing needed for a while. */
static void
groups_prune(struct alert_engine *e, int64_t now)
{
	size_t i = 0;

	while (i < e->n_groups) {
		struct alert_group *g = &e->groups[i];

		if (g->changed_at == 0 && now - g->seen_at > GROUP_IDLE_MS &&
		    now - g->sent_at > GROUP_IDLE_MS)
			e->groups[i] = e->groups[--e->n_groups];
		else
			i++;
	}
}

int64_t
alert_notify(struct alert_engine *e, int64_t now)
{
	const struct cfg_alerting *c = e->cfg;
	int64_t next, due;
	size_t i, queued = 0;

	next = mark_groups(e, now);
	for (i = 0; i < e->n_groups; i++) {
		struct alert_group *g = &e->groups[i];

		if (g->changed_at == 0)
			continue;
		due = g->changed_at + c->group_wait_ms;
		if (g->sent_at != 0 && g->sent_at + c->group_interval_ms > due)
			due = g->sent_at + c->group_interval_ms;
		if (now >= due) {
			group_flush(e, g, now);
			queued++;
		}
		if (g->changed_at != 0) {
			due = g->changed_at + c->group_wait_ms;
			if (g->sent_at + c->group_interval_ms > due)
				due = g->sent_at + c->group_interval_ms;
			next = due < next ? due : next;
		}
	}
	groups_prune(e, now);
	alert_drop_done(e);
	/* Kicked on every tick, so a store error delays, never strands. */
	if (e->deliver != NULL)
		alert_deliver_kick(e->deliver);
	(void)queued;
	return next;
}
