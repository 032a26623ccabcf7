/* The alert tables of the store; see store_alerts.h. */
#include "core/store_alerts.h"

#include <sqlite3.h>
#include <string.h>

#include "core/i18n.h"
#include "core/log.h"

#define ALERT_COLUMNS \
	"fingerprint, source, severity, labels, summary, details, link, " \
	"state, coalesce(ack_comment, ''), coalesce(budget_left, -1), " \
	"active_since, coalesce(fired_at, 0), coalesce(clear_since, 0), " \
	"coalesce(resolved_at, 0), coalesce(ack_uid, -1), " \
	"coalesce(ack_at, 0), updated_at"

#define OUTBOX_COLUMNS \
	"id, receiver, group_key, idempotency_key, payload, state, " \
	"coalesce(last_error, ''), created_at, next_attempt_at, " \
	"coalesce(sent_at, 0), attempts, coalesce(last_status, 0)"

static sqlite3_stmt *
alerts_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &stmt, NULL) !=
	    SQLITE_OK) {
		store_sql_fail(st, "prepare");
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

/* Runs a write statement to completion and finalizes it. */
static int
alerts_write(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sql_fail(st, what);
	sqlite3_finalize(stmt);
	return rc;
}

static void
bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

/* Binds v, or NULL when v is 0 (unset). */
static void
bind_time(sqlite3_stmt *stmt, int index, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_int64(stmt, index, v);
}

static const char *
column_text(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? (const char *)text : "";
}

static int
alerts_exec(struct store *st, const char *sql)
{
	if (sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sql_fail(st, sql);
	return WK_OK;
}

int
store_alerts_begin(struct store *st)
{
	int rc = store_flush(st);

	if (rc != WK_OK)
		return rc;
	return alerts_exec(st, "BEGIN IMMEDIATE");
}

int
store_alerts_commit(struct store *st)
{
	int rc = alerts_exec(st, "COMMIT");

	if (rc != WK_OK)
		store_alerts_rollback(st);
	return rc;
}

void
store_alerts_rollback(struct store *st)
{
	sqlite3_exec(store_sqlite(st), "ROLLBACK", NULL, NULL, NULL);
}

int
store_alert_put(struct store *st, const struct store_alert *a)
{
	sqlite3_stmt *stmt;

	if (store_flush(st) != WK_OK)
		return WK_ERR_STORE;
	stmt = alerts_prepare(st, "INSERT OR REPLACE INTO alerts ("
	    "fingerprint, source, severity, labels, summary, details, link, "
	    "state, ack_comment, budget_left, active_since, fired_at, "
	    "clear_since, resolved_at, ack_uid, ack_at, updated_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17)");
	if (stmt == NULL)
		return WK_ERR_STORE;
	bind_text(stmt, 1, a->fingerprint);
	bind_text(stmt, 2, a->source);
	bind_text(stmt, 3, a->severity);
	bind_text(stmt, 4, a->labels);
	bind_text(stmt, 5, a->summary);
	bind_text(stmt, 6, a->details);
	bind_text(stmt, 7, a->link);
	bind_text(stmt, 8, a->state);
	bind_text(stmt, 9, a->ack_uid >= 0 ? a->ack_comment : NULL);
	if (a->budget_left >= 0)
		sqlite3_bind_double(stmt, 10, a->budget_left);
	sqlite3_bind_int64(stmt, 11, a->active_since);
	bind_time(stmt, 12, a->fired_at);
	bind_time(stmt, 13, a->clear_since);
	bind_time(stmt, 14, a->resolved_at);
	if (a->ack_uid >= 0)
		sqlite3_bind_int64(stmt, 15, a->ack_uid);
	bind_time(stmt, 16, a->ack_at);
	sqlite3_bind_int64(stmt, 17, a->updated_at);
	return alerts_write(st, stmt, "store alert");
}

static void
read_alert(sqlite3_stmt *stmt, struct store_alert *a)
{
	a->fingerprint = column_text(stmt, 0);
	a->source = column_text(stmt, 1);
	a->severity = column_text(stmt, 2);
	a->labels = column_text(stmt, 3);
	a->summary = column_text(stmt, 4);
	a->details = column_text(stmt, 5);
	a->link = column_text(stmt, 6);
	a->state = column_text(stmt, 7);
	a->ack_comment = column_text(stmt, 8);
	a->budget_left = sqlite3_column_double(stmt, 9);
	a->active_since = sqlite3_column_int64(stmt, 10);
	a->fired_at = sqlite3_column_int64(stmt, 11);
	a->clear_since = sqlite3_column_int64(stmt, 12);
	a->resolved_at = sqlite3_column_int64(stmt, 13);
	a->ack_uid = sqlite3_column_int64(stmt, 14);
	a->ack_at = sqlite3_column_int64(stmt, 15);
	a->updated_at = sqlite3_column_int64(stmt, 16);
}

int
store_alerts_each(struct store *st, int include_resolved, store_alert_fn fn,
		  void *arg)
{
	struct store_alert a;
	sqlite3_stmt *stmt;
	int step, rc = WK_OK;

	stmt = alerts_prepare(st, include_resolved ?
	    "SELECT " ALERT_COLUMNS " FROM alerts ORDER BY active_since, "
	    "fingerprint" :
	    "SELECT " ALERT_COLUMNS " FROM alerts WHERE state != 'resolved' "
	    "OR fingerprint IN (SELECT fingerprint FROM alert_notifications "
	    "WHERE state = 'firing') ORDER BY active_since, fingerprint");
	if (stmt == NULL)
		return WK_ERR_STORE;
	while (rc == WK_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		read_alert(stmt, &a);
		rc = fn(&a, arg);
	}
	if (rc == WK_OK && step != SQLITE_DONE)
		rc = store_sql_fail(st, "read alerts");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_alert_notified(struct store *st, const char *fingerprint,
		     const char *receiver, const char *state,
		     int64_t notified_at)
{
	sqlite3_stmt *stmt = alerts_prepare(st, "INSERT OR REPLACE INTO "
	    "alert_notifications (fingerprint, receiver, state, notified_at) "
	    "VALUES (?1, ?2, ?3, ?4)");

	if (stmt == NULL)
		return WK_ERR_STORE;
	bind_text(stmt, 1, fingerprint);
	bind_text(stmt, 2, receiver);
	bind_text(stmt, 3, state);
	sqlite3_bind_int64(stmt, 4, notified_at);
	return alerts_write(st, stmt, "store notification");
}

int
store_alert_notifications_each(struct store *st, store_notified_fn fn,
			       void *arg)
{
	sqlite3_stmt *stmt;
	int step, rc = WK_OK;

	stmt = alerts_prepare(st, "SELECT fingerprint, receiver, state, "
	    "notified_at FROM alert_notifications");
	if (stmt == NULL)
		return WK_ERR_STORE;
	while (rc == WK_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = fn(column_text(stmt, 0), column_text(stmt, 1),
		    column_text(stmt, 2), sqlite3_column_int64(stmt, 3), arg);
	if (rc == WK_OK && step != SQLITE_DONE)
		rc = store_sql_fail(st, "read notifications");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_alert_audit(struct store *st, int64_t at, int64_t uid,
		  const char *action, const char *target, const char *comment)
{
	sqlite3_stmt *stmt;

	if (store_flush(st) != WK_OK)
		return WK_ERR_STORE;
	stmt = alerts_prepare(st, "INSERT INTO alert_audit (at, uid, action, "
	    "target, comment) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, at);
	sqlite3_bind_int64(stmt, 2, uid);
	bind_text(stmt, 3, action);
	bind_text(stmt, 4, target);
	bind_text(stmt, 5, comment != NULL ? comment : "");
	return alerts_write(st, stmt, "audit alert action");
}

int
store_silence_add(struct store *st, struct store_silence *s)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_flush(st) != WK_OK)
		return WK_ERR_STORE;
	stmt = alerts_prepare(st, "INSERT INTO alert_silences (matchers, "
	    "starts_at, ends_at, uid, comment, created_at) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6)");
	if (stmt == NULL)
		return WK_ERR_STORE;
	bind_text(stmt, 1, s->matchers);
	sqlite3_bind_int64(stmt, 2, s->starts_at);
	sqlite3_bind_int64(stmt, 3, s->ends_at);
	sqlite3_bind_int64(stmt, 4, s->uid);
	bind_text(stmt, 5, s->comment != NULL ? s->comment : "");
	sqlite3_bind_int64(stmt, 6, s->created_at);
	rc = alerts_write(st, stmt, "store silence");
	if (rc == WK_OK)
		s->id = sqlite3_last_insert_rowid(store_sqlite(st));
	return rc;
}

int
store_silence_expire(struct store *st, int64_t id, int64_t at)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_flush(st) != WK_OK)
		return WK_ERR_STORE;
	stmt = alerts_prepare(st, "UPDATE alert_silences SET expired_at = ?2 "
	    "WHERE id = ?1 AND expired_at IS NULL");
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, at);
	rc = alerts_write(st, stmt, "expire silence");
	if (rc == WK_OK && sqlite3_changes(store_sqlite(st)) == 0)
		rc = WK_ERR_NOTFOUND;
	return rc;
}

int
store_silences_each(struct store *st, int64_t now, store_silence_fn fn,
		    void *arg)
{
	struct store_silence s;
	sqlite3_stmt *stmt;
	int step, rc = WK_OK;

	stmt = alerts_prepare(st, "SELECT id, matchers, comment, starts_at, "
	    "ends_at, uid, created_at FROM alert_silences WHERE expired_at IS "
	    "NULL AND ends_at > ?1 ORDER BY id");
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, now);
	while (rc == WK_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&s, 0, sizeof s);
		s.id = sqlite3_column_int64(stmt, 0);
		s.matchers = column_text(stmt, 1);
		s.comment = column_text(stmt, 2);
		s.starts_at = sqlite3_column_int64(stmt, 3);
		s.ends_at = sqlite3_column_int64(stmt, 4);
		s.uid = sqlite3_column_int64(stmt, 5);
		s.created_at = sqlite3_column_int64(stmt, 6);
		rc = fn(&s, arg);
	}
	if (rc == WK_OK && step != SQLITE_DONE)
		rc = store_sql_fail(st, "read silences");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_outbox_add(struct store *st, const char *receiver,
		 const char *group_key, const char *idempotency_key,
		 const char *payload, int64_t created_at, int64_t *id)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = alerts_prepare(st, "INSERT INTO alert_outbox (receiver, "
	    "group_key, idempotency_key, payload, created_at, state, "
	    "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?5)");
	if (stmt == NULL)
		return WK_ERR_STORE;
	bind_text(stmt, 1, receiver);
	bind_text(stmt, 2, group_key);
	bind_text(stmt, 3, idempotency_key);
	bind_text(stmt, 4, payload);
	sqlite3_bind_int64(stmt, 5, created_at);
	rc = alerts_write(st, stmt, "queue message");
	if (rc == WK_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(store_sqlite(st));
	return rc;
}

static void
read_outbox(sqlite3_stmt *stmt, struct store_outbox_msg *m)
{
	m->id = sqlite3_column_int64(stmt, 0);
	m->receiver = column_text(stmt, 1);
	m->group_key = column_text(stmt, 2);
	m->idempotency_key = column_text(stmt, 3);
	m->payload = column_text(stmt, 4);
	m->state = column_text(stmt, 5);
	m->last_error = column_text(stmt, 6);
	m->created_at = sqlite3_column_int64(stmt, 7);
	m->next_attempt_at = sqlite3_column_int64(stmt, 8);
	m->sent_at = sqlite3_column_int64(stmt, 9);
	m->attempts = sqlite3_column_int(stmt, 10);
	m->last_status = sqlite3_column_int(stmt, 11);
}

int
store_outbox_oldest(struct store *st, const char *receiver,
		    store_outbox_fn fn, void *arg)
{
	struct store_outbox_msg m;
	sqlite3_stmt *stmt;
	int step, rc;

	stmt = alerts_prepare(st, "SELECT " OUTBOX_COLUMNS " FROM alert_outbox "
	    "WHERE receiver = ?1 AND state = 'pending' ORDER BY id LIMIT 1");
	if (stmt == NULL)
		return WK_ERR_STORE;
	bind_text(stmt, 1, receiver);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		read_outbox(stmt, &m);
		rc = fn(&m, arg);
	} else {
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_sql_fail(st, "read outbox");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_outbox_update(struct store *st, int64_t id, const char *state,
		    int attempts, int64_t next_attempt_at, int last_status,
		    const char *last_error, int64_t sent_at)
{
	sqlite3_stmt *stmt;

	if (store_flush(st) != WK_OK)
		return WK_ERR_STORE;
	stmt = alerts_prepare(st, "UPDATE alert_outbox SET state = ?2, "
	    "attempts = ?3, next_attempt_at = ?4, last_status = ?5, "
	    "last_error = ?6, sent_at = ?7 WHERE id = ?1");
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, id);
	bind_text(stmt, 2, state);
	sqlite3_bind_int(stmt, 3, attempts);
	sqlite3_bind_int64(stmt, 4, next_attempt_at);
	sqlite3_bind_int(stmt, 5, last_status);
	bind_text(stmt, 6, last_error);
	bind_time(stmt, 7, sent_at);
	return alerts_write(st, stmt, "update outbox");
}

int
store_outbox_each(struct store *st, size_t max, store_outbox_fn fn,
		  void *arg)
{
	struct store_outbox_msg m;
	sqlite3_stmt *stmt;
	int step, rc = WK_OK;

	stmt = alerts_prepare(st, "SELECT " OUTBOX_COLUMNS " FROM alert_outbox "
	    "ORDER BY id DESC LIMIT ?1");
	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	while (rc == WK_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		read_outbox(stmt, &m);
		rc = fn(&m, arg);
	}
	if (rc == WK_OK && step != SQLITE_DONE)
		rc = store_sql_fail(st, "read outbox");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_outbox_count(struct store *st, const char *state, size_t *n)
{
	sqlite3_stmt *stmt;
	int rc = WK_OK;

	stmt = alerts_prepare(st, "SELECT count(*) FROM alert_outbox WHERE "
	    "state = ?1");
	if (stmt == NULL)
		return WK_ERR_STORE;
	bind_text(stmt, 1, state);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(stmt, 0);
	else
		rc = store_sql_fail(st, "count outbox");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_prune_alert_history(struct store *st, int64_t sent_before,
			  int64_t resolved_before, size_t max, size_t *count)
{
	static const char *const sql[] = {
		"DELETE FROM alert_outbox WHERE id IN (SELECT id FROM "
		"alert_outbox WHERE state != 'pending' AND "
		"coalesce(sent_at, created_at) < ?1 LIMIT ?3)",
		"DELETE FROM alert_silences WHERE id IN (SELECT id FROM "
		"alert_silences WHERE min(ends_at, coalesce(expired_at, "
		"ends_at)) < ?1 LIMIT ?3)",
		"DELETE FROM alert_incidents WHERE (fingerprint, fired_at) IN "
		"(SELECT fingerprint, fired_at FROM alert_incidents WHERE "
		"state = 'resolved' AND resolved_at < ?2 LIMIT ?3)",
	};
	sqlite3_stmt *stmt;
	size_t i;
	int rc = WK_OK;

	*count = 0;
	for (i = 0; i < sizeof sql / sizeof sql[0] && rc == WK_OK; i++) {
		stmt = alerts_prepare(st, sql[i]);
		if (stmt == NULL)
			return WK_ERR_STORE;
		sqlite3_bind_int64(stmt, 1, sent_before);
		sqlite3_bind_int64(stmt, 2, resolved_before);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
		rc = alerts_write(st, stmt, "delete old alert history");
		if (rc == WK_OK)
			*count += (size_t)sqlite3_changes(store_sqlite(st));
	}
	return rc;
}
