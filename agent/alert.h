/*
 * The alert engine: the lifecycle of alerts raised by the stage runner,
 * the probes, the SLO engine and the agent itself, their routing to chat
 * receivers, and durable delivery through an outbox in the store.
 *
 * A source reports a condition with alert_set(): active or clear. The
 * engine keeps one alert per fingerprint (a hash of the source and the
 * identifying labels) and moves it pending -> firing -> resolved:
 *
 *   - pending: active, but not yet for the source's "for" duration; a
 *     clear report drops it silently;
 *   - firing: notified; a clear report starts the "resolve_after" wait
 *     (hysteresis), and an active report during the wait cancels it;
 *   - resolved: clear for resolve_after. Receivers notified that it
 *     fired get a resolved message that says how long it fired.
 *
 * Messages are grouped per receiver by the group_by labels, wait
 * group_wait for more alerts of the group, and are written to the outbox
 * before they are sent, together with each receiver's notification state, so
 * a restart neither repeats nor loses a message (a crash between a
 * receiver's answer and the store update repeats that one message, with
 * the same idempotency key).
 *
 * Times passed in are wall-clock milliseconds since the epoch
 * (clk_wall_ms()), because they are stored and survive restarts.
 * NOTE: a jump of the wall clock shortens or lengthens the "for",
 * "resolve_after", group and repeat waits by the size of the jump.
 */
#ifndef WK_ALERT_H
#define WK_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/ev.h"
#include "core/config.h"
#include "core/rc.h"
#include "core/store.h"

#define ALERT_LABELS_MAX 12
#define ALERT_LABEL_VALUE_MAX 128   /* bytes of a label value, NUL included */
#define ALERT_SUMMARY_MAX 512       /* bytes of a summary, NUL included */
#define ALERT_DETAILS_MAX 32768     /* bytes of details kept, marker included */
#define ALERT_LINK_MAX 256          /* bytes of a link path, NUL included */
#define ALERT_COMMENT_MAX 256       /* bytes of an ack or silence comment */
#define ALERT_FP_LEN 16             /* hex digits of a fingerprint */
#define ALERT_ACTIVE_MAX 4096       /* alerts held by the engine */
#define ALERT_SILENCES_MAX 256      /* active silences */

/* A label: a name of [A-Za-z_][A-Za-z0-9_]* and a value. */
struct alert_label {
	char name[CFG_ALERT_LABEL_NAME_MAX];
	char value[ALERT_LABEL_VALUE_MAX];
};

/*
 * A condition as a source reports it. Labels identify the alert (pipeline, stage,
 * probe, slo, receiver, ...), except "run", "attempt" and "logical_date",
 * which are shown but left out of the fingerprint, so that the failure of
 * a stage in the next run is the same alert.
 */
struct alert_input {
	enum alert_source source;
	enum alert_severity severity;
	struct alert_label labels[ALERT_LABELS_MAX];
	size_t n_labels;          /* entries in labels */
	const char *summary;      /* one line; NULL: the source's title */
	const char *details;      /* last error lines and the like, or NULL */
	double budget_left;       /* error budget left, 0..1; < 0: none */
	const char *link;         /* path under base_url; NULL: from labels */
};

/* One alert as a message shows it. */
struct alert_view {
	const char *fingerprint;
	enum alert_source source;
	enum alert_severity severity;
	const struct alert_label *labels;
	size_t n_labels;
	const char *summary;
	const char *details;      /* "" when none */
	double budget_left;       /* < 0: none */
	const char *link;         /* path under base_url */
	int firing;               /* 1 firing, 0 resolved */
	int reminder;             /* 1: a reminder of an alert still firing */
	int64_t fired_at;         /* ms since epoch */
	int64_t resolved_at;      /* ms since epoch; 0 while firing */
	int64_t ack_uid;          /* -1 when not acknowledged */
	const char *ack_comment;  /* "" when none */
};

struct alert_engine;

/*
 * Adds a label to in. Returns WK_OK, WK_ERR_LIMIT when ALERT_LABELS_MAX
 * labels are set, or WK_ERR_INVALID for a bad name.
 */
int alert_input_label(struct alert_input *in, const char *name,
		      const char *value);

/* Writes the fingerprint of in as ALERT_FP_LEN hex digits and a NUL. */
void alert_fingerprint(const struct alert_input *in,
		       char out[ALERT_FP_LEN + 1]);

/*
 * Creates an engine over cfg (which must outlive it) and store (opened
 * read-write), and loads the alerts, notifications and silences kept
 * there. The start-up grace of alert_reconcile() runs from now.
 */
int alert_engine_new(const struct cfg_alerting *cfg, struct store *store,
		     int64_t now, struct alert_engine **out,
		     struct wk_err *err);

/* Stops delivery and frees the engine; queued messages stay queued. */
void alert_engine_free(struct alert_engine *e);

/*
 * Runs the engine in loop: a timer drives alert_tick(), libcurl sends
 * the outbox and the heartbeat. Without this the engine only queues.
 */
int alert_engine_attach(struct alert_engine *e, struct ev_loop *loop,
			struct wk_err *err);

/*
 * Reports a condition: active (1) or clear (0) at time now. Returns WK_OK,
 * WK_ERR_INVALID for an input that is out of range (logged), or
 * WK_ERR_LIMIT when ALERT_ACTIVE_MAX alerts are held.
 */
int alert_set(struct alert_engine *e, const struct alert_input *in,
	      int active, int64_t now);

/*
 * Applies what is due at now: pending alerts that fire, firing alerts that
 * resolve, group messages whose wait ended, reminders, the start-up
 * reconciliation. Returns the next time something is due.
 */
int64_t alert_tick(struct alert_engine *e, int64_t now);

/*
 * Resolves every firing alert (and drops every pending one) that no source
 * re-asserted since the engine started, except the outcomes of runs
 * (stage_failed, stage_timed_out, stage_retrying, quality_gate,
 * deadline_missed), which only an explicit clear resolves. Runs by itself
 * startup_grace after the start; a second call does nothing.
 */
void alert_reconcile(struct alert_engine *e, int64_t now);

/*
 * Acknowledges the pending or firing alert whose fingerprint starts with
 * fp (at least 4 hex digits, unique), on behalf of user uid: reminders
 * stop until it resolves. Audited in the store.
 */
int alert_ack(struct alert_engine *e, const char *fp, int64_t uid,
	      const char *comment, int64_t now, struct wk_err *err);

/*
 * Silences alerts matching every matcher ("stage=train", "probe=~web.*")
 * from starts_at to ends_at (at most 90 days later); sets *id. Audited.
 */
int alert_silence(struct alert_engine *e, const char *const *matchers,
		  size_t n_matchers, int64_t starts_at, int64_t ends_at,
		  int64_t uid, const char *comment, int64_t now, int64_t *id,
		  struct wk_err *err);

/* Ends silence id now. Audited. */
int alert_unsilence(struct alert_engine *e, int64_t id, int64_t uid,
		    const char *comment, int64_t now, struct wk_err *err);

/*
 * Number of messages neither sent nor given up: those in the outbox and
 * those whose group still waits to be queued.
 */
size_t alert_engine_backlog(struct alert_engine *e);

#endif
