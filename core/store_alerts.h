/*
 * The store's alert tables: alerts, what each receiver was last told
 * about each alert, silences, the audit of acknowledgements and silences,
 * and the outbox of messages to send.
 *
 * The agent writes; `watchkeep alerts` reads with a read-only store.
 * Strings passed to a callback are valid only during the call.
 */
#ifndef WK_STORE_ALERTS_H
#define WK_STORE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

#define STORE_OUTBOX_PENDING "pending"
#define STORE_OUTBOX_SENT "sent"
#define STORE_OUTBOX_FAILED "failed"

/* One alert row; times are ms since the epoch, 0 when unset. */
struct store_alert {
	const char *fingerprint;  /* 16 hex digits */
	const char *source;       /* cfg_alert_source_names[] */
	const char *severity;     /* cfg_alert_severity_names[] */
	const char *labels;       /* JSON object of strings */
	const char *summary;      /* one line */
	const char *details;      /* several lines, may be "" */
	const char *link;         /* path under the web base URL */
	const char *state;        /* pending, firing, resolved */
	const char *ack_comment;  /* "" when not acknowledged */
	double budget_left;       /* fraction 0..1, or -1 for none */
	int64_t active_since;     /* condition active since */
	int64_t fired_at;         /* became firing */
	int64_t clear_since;      /* condition clear since, while firing */
	int64_t resolved_at;      /* became resolved */
	int64_t ack_uid;          /* acknowledging user id, -1 for none */
	int64_t ack_at;           /* acknowledged at */
	int64_t updated_at;       /* last change of the row */
};

/* One message of the outbox. */
struct store_outbox_msg {
	int64_t id;                 /* alert_outbox.id */
	const char *receiver;       /* receiver name */
	const char *group_key;      /* "pipeline=churn,run=12" */
	const char *idempotency_key;
	const char *payload;        /* request body */
	const char *state;          /* STORE_OUTBOX_* */
	const char *last_error;     /* "" when none */
	int64_t created_at;
	int64_t next_attempt_at;    /* not before this time */
	int64_t sent_at;            /* 0 until sent */
	int attempts;               /* requests made */
	int last_status;            /* HTTP status of the last try, 0: none */
};

/* A silence: alerts matching every matcher send nothing meanwhile. */
struct store_silence {
	int64_t id;             /* alert_silences.id */
	const char *matchers;   /* JSON array of matcher strings */
	const char *comment;    /* why */
	int64_t starts_at;
	int64_t ends_at;
	int64_t uid;            /* who created it */
	int64_t created_at;
	int64_t expired_at;     /* removed early, 0 when not */
};

typedef int (*store_alert_fn)(const struct store_alert *a, void *arg);
typedef int (*store_notified_fn)(const char *fingerprint,
				 const char *receiver, const char *state,
				 int64_t notified_at, void *arg);
typedef int (*store_silence_fn)(const struct store_silence *s, void *arg);
typedef int (*store_outbox_fn)(const struct store_outbox_msg *m, void *arg);

/*
 * Opens a write transaction (after committing buffered log lines); every
 * write until store_alerts_commit() is applied together or not at all.
 */
int store_alerts_begin(struct store *st);
int store_alerts_commit(struct store *st);
void store_alerts_rollback(struct store *st);

/* Inserts or replaces the row of a->fingerprint. */
int store_alert_put(struct store *st, const struct store_alert *a);

/*
 * Calls fn for every alert, oldest first; without include_resolved only
 * for those not resolved or still told "firing" to some receiver. A callback that returns non-zero stops
 * the walk, and that value is returned.
 */
int store_alerts_each(struct store *st, int include_resolved,
		      store_alert_fn fn, void *arg);

/* Records what receiver was last told about an alert. */
int store_alert_notified(struct store *st, const char *fingerprint,
			 const char *receiver, const char *state,
			 int64_t notified_at);

/* Calls fn for every row of alert_notifications. */
int store_alert_notifications_each(struct store *st, store_notified_fn fn,
				   void *arg);

/* Appends an audit record of an acknowledgement or silence change. */
int store_alert_audit(struct store *st, int64_t at, int64_t uid,
		      const char *action, const char *target,
		      const char *comment);

/* Inserts a silence and sets s->id. */
int store_silence_add(struct store *st, struct store_silence *s);

/* Marks a silence as removed at time at; WK_ERR_NOTFOUND if unknown. */
int store_silence_expire(struct store *st, int64_t id, int64_t at);

/* Calls fn for every silence that has not ended or expired by now. */
int store_silences_each(struct store *st, int64_t now, store_silence_fn fn,
			void *arg);

/* Queues a message in state pending; sets *id. */
int store_outbox_add(struct store *st, const char *receiver,
		     const char *group_key, const char *idempotency_key,
		     const char *payload, int64_t created_at, int64_t *id);

/*
 * Calls fn with the oldest pending message of receiver. Returns
 * WK_ERR_NOTFOUND when none is pending.
 */
int store_outbox_oldest(struct store *st, const char *receiver,
			store_outbox_fn fn, void *arg);

/* Records the outcome of an attempt at message id. */
int store_outbox_update(struct store *st, int64_t id, const char *state,
			int attempts, int64_t next_attempt_at,
			int last_status, const char *last_error,
			int64_t sent_at);

/* Sets *n to the number of messages in state (STORE_OUTBOX_*). */
int store_outbox_count(struct store *st, const char *state, size_t *n);

/*
 * Deletes at most max rows of each of: outbox messages delivered or given
 * up before sent_before, silences ended before sent_before, and resolved
 * incidents resolved before resolved_before (ms since epoch). Pending
 * messages and firing alerts are never touched. Sets *count to the rows
 * deleted; fewer than 3 * max means nothing older is left.
 */
int store_prune_alert_history(struct store *st, int64_t sent_before,
			      int64_t resolved_before, size_t max,
			      size_t *count);

/* Calls fn for every message, newest first, at most max of them. */
int store_outbox_each(struct store *st, size_t max, store_outbox_fn fn,
		      void *arg);

#endif
