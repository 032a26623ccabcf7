/*
 * Internals shared by the files of the alert engine (agent/alert*.c);
 * nothing outside them includes this header.
 */
#ifndef WK_ALERT_INT_H
#define WK_ALERT_INT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/alert.h"
#include "agent/alert_http.h"
#include "core/buf.h"
#include "core/cron.h"
#include "core/tz.h"

#define ALERT_GROUPS_MAX 1024        /* (receiver, group) pairs tracked */
#define ALERT_GROUP_KEY_MAX 512      /* bytes of a group key */
#define ALERT_AM_RESEND_MS 60000     /* Alertmanager re-send of firing */
#define ALERT_TICK_MAX_MS 30000      /* longest sleep between ticks */
#define ALERT_SILENCE_MAX_MS (90 * INT64_C(86400000))

enum alert_state {
	ALERT_PENDING,
	ALERT_FIRING,
	ALERT_RESOLVED
};

/* The last message a receiver was sent about an alert. */
enum alert_notified {
	ALERT_NOTIFIED_NONE,
	ALERT_NOTIFIED_FIRING,
	ALERT_NOTIFIED_RESOLVED
};

struct alert_notice {
	enum alert_notified notified;   /* last message queued for the receiver */
	int64_t at;             /* when it was queued, ms */
};

/* A compiled label matcher. */
struct alert_matcher {
	char name[CFG_ALERT_LABEL_NAME_MAX];
	enum cfg_alert_op op;
	char value[ALERT_LABEL_VALUE_MAX];  /* =, != */
	regex_t re;                         /* =~, !~, compiled anchored */
	int has_re;                         /* re must be freed */
};

struct alert_silence_rule {
	int64_t id;                         /* alert_silences.id */
	struct alert_matcher matchers[CFG_ALERT_MATCHERS_MAX];
	size_t n_matchers;
	int64_t starts_at;
	int64_t ends_at;
};

/* One alert held in memory: not resolved, or resolved but not yet sent. */
struct alert {
	char fp[ALERT_FP_LEN + 1];
	enum alert_source source;
	enum alert_severity severity;
	struct alert_label labels[ALERT_LABELS_MAX];
	size_t n_labels;
	char summary[ALERT_SUMMARY_MAX];
	char *details;                /* owned, "" when none */
	double budget_left;           /* < 0: none */
	char link[ALERT_LINK_MAX];
	enum alert_state state;
	int active;                   /* the condition as last reported */
	int asserted;                 /* reported since the engine started */
	int64_t active_since;
	int64_t fired_at;
	int64_t clear_since;          /* 0 while active */
	int64_t resolved_at;
	int64_t ack_uid;              /* -1: not acknowledged */
	int64_t ack_at;
	char ack_comment[ALERT_COMMENT_MAX];
	int muted;                    /* silenced, in maintenance or inhibited */
	struct alert_notice notices[CFG_ALERT_RECEIVERS_MAX];
};

/* Timing of the messages of one group to one receiver. */
struct alert_group {
	size_t receiver;              /* index in cfg->receivers */
	char key[ALERT_GROUP_KEY_MAX];
	int64_t changed_at;           /* first unsent change, 0: none */
	int64_t sent_at;              /* last message queued, 0: never */
	int64_t seen_at;              /* last time an alert needed it */
};

struct alert_deliver;

struct alert_engine {
	const struct cfg_alerting *cfg;   /* not owned */
	struct store *store;              /* not owned */
	struct ev_loop *loop;             /* NULL until attached */
	struct alert *alerts;             /* owned array of n_alerts */
	size_t n_alerts;
	struct alert_group *groups;       /* owned array of n_groups */
	size_t n_groups;
	struct alert_silence_rule *silences; /* owned array */
	size_t n_silences;
	struct alert_matcher route_matchers[CFG_ALERT_ROUTES_MAX]
	    [CFG_ALERT_MATCHERS_MAX];     /* compiled cfg->routes matchers */
	struct alert_matcher window_matchers[CFG_ALERT_WINDOWS_MAX]
	    [CFG_ALERT_MATCHERS_MAX];     /* compiled cfg->windows matchers */
	struct cron window_cron[CFG_ALERT_WINDOWS_MAX]; /* parsed schedules */
	struct tz *window_tz[CFG_ALERT_WINDOWS_MAX];    /* owned, or NULL */
	int64_t reconcile_at;             /* end of the start-up grace */
	int reconciled;                   /* alert_reconcile() ran */
	uint64_t timer;                   /* pending tick timer id, 0: none */
	int64_t timer_at;                 /* its due time, ms */
	uint64_t message_seq;             /* makes idempotency keys unique */
	struct alert_deliver *deliver;    /* owned, NULL until attached */
};

/* alert_match.c */

/* Compiles a cfg matcher; returns WK_OK or WK_ERR_INVALID. */
int alert_matcher_compile(const struct cfg_alert_matcher *cm,
			  struct alert_matcher *m);
void alert_matcher_free(struct alert_matcher *m);

/* Tells whether alert a matches every matcher. */
int alert_matches(const struct alert *a, const struct alert_matcher *m,
		  size_t n);

/* Returns the value of label name of a ("source", "severity" too). */
const char *alert_label_get(const struct alert *a, const char *name);

/* Sets a->muted for every alert: silences, windows, inhibition. */
void alert_update_muted(struct alert_engine *e, int64_t now);

/* Fills out with the indices of the receivers of a; returns the count. */
size_t alert_route(const struct alert_engine *e, const struct alert *a,
		   size_t *out);

/* Writes the group key of a ("pipeline=churn,run=12") into out. */
void alert_group_key(const struct alert_engine *e, const struct alert *a,
		     char *out, size_t size);

/* Compiles the matchers of the configured routes and windows. */
int alert_match_init(struct alert_engine *e, struct wk_err *err);
void alert_match_free(struct alert_engine *e);

/* Returns the end of the next change of maintenance windows after now. */
int64_t alert_windows_next_change(const struct alert_engine *e,
				  int64_t now);

/* alert_notify.c */

/* Queues the messages that are due; returns when the next one is. */
int64_t alert_notify(struct alert_engine *e, int64_t now);

/* Fills v to show alert a. */
void alert_view_of(const struct alert *a, struct alert_view *v);

/* alert.c */

/* Writes the row of a to the store; logs a failure. */
void alert_persist(struct alert_engine *e, const struct alert *a,
		   int64_t now);

/* Raises (active 1) or clears an agent_health alert about a receiver. */
void alert_receiver_health(struct alert_engine *e, size_t receiver,
			   int active, const char *detail, int64_t now);

/*
 * Drops from memory the resolved alerts that no receiver still waits to
 * be notified of; their rows stay in the store.
 */
void alert_drop_done(struct alert_engine *e);

/* Arms the tick timer for at (ms); nothing without a loop. */
void alert_schedule(struct alert_engine *e, int64_t at);

/* alert_deliver.c */

int alert_deliver_new(struct alert_engine *e, struct alert_deliver **out,
		      struct wk_err *err);
void alert_deliver_free(struct alert_deliver *d);

/* Starts sending what the outbox holds for every idle receiver. */
void alert_deliver_kick(struct alert_deliver *d);

#endif
