#include "core/store_probes.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/log.h"

static const char sql_result_insert[] =
    "INSERT OR REPLACE INTO probe_results (probe, at, ok, latency_ms, "
    "detail) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_state_upsert[] =
    "INSERT OR REPLACE INTO probe_state (probe, type, state, since, "
    "checked_at, ok, latency_ms, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_state_select[] =
    "SELECT probe, type, state, since, coalesce(checked_at, 0), "
    "coalesce(ok, -1), coalesce(latency_ms, -1), coalesce(detail, '') "
    "FROM probe_state WHERE ?1 IS NULL OR probe = ?1 ORDER BY probe";
static const char sql_prune[] =
    "DELETE FROM probe_results WHERE probe = ?1 AND at < ?2 AND at IN "
    "(SELECT at FROM probe_results WHERE probe = ?1 AND at < ?2 "
    "ORDER BY at LIMIT ?3)";
static const char sql_push_select[] =
    "SELECT coalesce(token, ''), coalesce(success_at, 0), "
    "coalesce(start_at, 0), coalesce(fail_at, 0) FROM probe_push "
    "WHERE probe = ?1";
static const char sql_push_upsert[] =
    "INSERT OR REPLACE INTO probe_push (probe, token, success_at, "
    "start_at, fail_at) VALUES (?1, ?2, ?3, ?4, ?5)";

static void
bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL || text[0] == '\0')
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

static void
bind_positive(sqlite3_stmt *stmt, int index, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(stmt, index, v);
	else
		sqlite3_bind_null(stmt, index);
}

/* Runs stmt once with its bindings, then resets it for the next row. */
static int
step_done(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt) == SQLITE_DONE ? WK_OK :
	    store_sql_fail(st, what);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

static int
insert_results(struct store *st, sqlite3_stmt *stmt,
	       const struct store_probe_result *r, size_t n)
{
	size_t i;
	int rc = WK_OK;

	for (i = 0; i < n && rc == WK_OK; i++) {
		sqlite3_bind_text(stmt, 1, r[i].probe, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, r[i].at);
		sqlite3_bind_int(stmt, 3, r[i].ok != 0);
		if (r[i].latency_ms >= 0)
			sqlite3_bind_double(stmt, 4, r[i].latency_ms);
		bind_text_or_null(stmt, 5, r[i].detail);
		rc = step_done(st, stmt, "insert probe result");
	}
	return rc;
}

static int
upsert_states(struct store *st, sqlite3_stmt *stmt,
	      const struct store_probe_state *s, size_t n)
{
	size_t i;
	int rc = WK_OK;

	for (i = 0; i < n && rc == WK_OK; i++) {
		sqlite3_bind_text(stmt, 1, s[i].probe, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, s[i].type, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, s[i].state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 4, s[i].since);
		bind_positive(stmt, 5, s[i].checked_at);
		if (s[i].ok >= 0)
			sqlite3_bind_int(stmt, 6, s[i].ok);
		if (s[i].latency_ms >= 0)
			sqlite3_bind_double(stmt, 7, s[i].latency_ms);
		bind_text_or_null(stmt, 8, s[i].detail);
		rc = step_done(st, stmt, "update probe state");
	}
	return rc;
}

int
store_probe_write(struct store *st, const struct store_probe_result *results,
		  size_t n_results, const struct store_probe_state *states,
		  size_t n_states)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *ins = NULL, *ups = NULL;
	int rc;

	rc = store_flush(st);
	if (rc == WK_OK)
		rc = store_sql_prepare(st, sql_result_insert, &ins);
	if (rc == WK_OK)
		rc = store_sql_prepare(st, sql_state_upsert, &ups);
	if (rc != WK_OK)
		goto out;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = store_sql_fail(st, "BEGIN");
		goto out;
	}

	rc = insert_results(st, ins, results, n_results);
	if (rc == WK_OK)
		rc = upsert_states(st, ups, states, n_states);
	if (rc == WK_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = store_sql_fail(st, "COMMIT");
	if (rc != WK_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);

out:
	sqlite3_finalize(ins);
	sqlite3_finalize(ups);
	return rc;
}

static void
copy_text(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

static void
read_state_row(sqlite3_stmt *stmt, struct store_probe_state *s)
{
	copy_text(s->probe, sizeof s->probe, stmt, 0);
	copy_text(s->type, sizeof s->type, stmt, 1);
	copy_text(s->state, sizeof s->state, stmt, 2);
	s->since = sqlite3_column_int64(stmt, 3);
	s->checked_at = sqlite3_column_int64(stmt, 4);
	s->ok = sqlite3_column_int(stmt, 5);
	s->latency_ms = sqlite3_column_double(stmt, 6);
	copy_text(s->detail, sizeof s->detail, stmt, 7);
}

/* Reads the states of every probe (probe NULL) or of one. */
static int
read_states(struct store *st, const char *probe,
	    struct store_probe_state *out, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = NULL;
	int step = SQLITE_DONE, rc;

	*count = 0;
	rc = store_sql_prepare(st, sql_state_select, &stmt);
	if (rc != WK_OK)
		return rc;
	bind_text_or_null(stmt, 1, probe);
	while (*count < max && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		read_state_row(stmt, &out[(*count)++]);
	if (*count < max && step != SQLITE_DONE)
		rc = store_sql_fail(st, "read probe states");
	sqlite3_finalize(stmt);
	return rc;
}

int
store_probe_states_get(struct store *st, struct store_probe_state *out,
		       size_t max, size_t *count)
{
	return read_states(st, NULL, out, max, count);
}

int
store_probe_state_get(struct store *st, const char *probe,
		      struct store_probe_state *out)
{
	size_t count = 0;
	int rc;

	rc = read_states(st, probe, out, 1, &count);
	if (rc == WK_OK && count == 0)
		rc = WK_ERR_NOTFOUND;
	return rc;
}

int
store_probe_prune(struct store *st, const char *probe, int64_t before,
		  int max_rows, int *deleted)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	*deleted = 0;
	rc = store_flush(st);
	if (rc == WK_OK)
		rc = store_sql_prepare(st, sql_prune, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before);
	sqlite3_bind_int(stmt, 3, max_rows);

	rc = step_done(st, stmt, "prune probe results");
	if (rc == WK_OK)
		*deleted = sqlite3_changes(store_sqlite(st));
	sqlite3_finalize(stmt);
	return rc;
}

int
store_probe_forget(struct store *st, const char *probe)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	int rc;

	rc = store_flush(st);
	if (rc == WK_OK)
		rc = store_sql_prepare(st,
		    "DELETE FROM probe_state WHERE probe = ?1", &a);
	if (rc == WK_OK)
		rc = store_sql_prepare(st,
		    "DELETE FROM probe_push WHERE probe = ?1", &b);
	if (rc == WK_OK) {
		sqlite3_bind_text(a, 1, probe, -1, SQLITE_STATIC);
		sqlite3_bind_text(b, 1, probe, -1, SQLITE_STATIC);
		rc = step_done(st, a, "forget probe state");
	}
	if (rc == WK_OK)
		rc = step_done(st, b, "forget push probe");
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return rc;
}

int
store_probe_push_get(struct store *st, const char *probe,
		     struct store_probe_push *out)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc;

	rc = store_sql_prepare(st, sql_push_select, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		copy_text(out->token, sizeof out->token, stmt, 0);
		out->success_at = sqlite3_column_int64(stmt, 1);
		out->start_at = sqlite3_column_int64(stmt, 2);
		out->fail_at = sqlite3_column_int64(stmt, 3);
	} else {
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_sql_fail(st, "read push probe");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_probe_push_set(struct store *st, const char *probe,
		     const struct store_probe_push *push)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = store_flush(st);
	if (rc == WK_OK)
		rc = store_sql_prepare(st, sql_push_upsert, &stmt);
	if (rc != WK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, probe, -1, SQLITE_STATIC);
	bind_text_or_null(stmt, 2, push->token);
	bind_positive(stmt, 3, push->success_at);
	bind_positive(stmt, 4, push->start_at);
	bind_positive(stmt, 5, push->fail_at);

	rc = step_done(st, stmt, "write push probe");
	sqlite3_finalize(stmt);
	return rc;
}
