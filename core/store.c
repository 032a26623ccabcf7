#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/log.h"
#include "core/store_ckpt.h"
#include "core/store_pending.h"
#include "core/store_schema.h"

enum store_stmt_id {
	SQL_RUN_INSERT,
	SQL_RUN_FINISH,
	SQL_STAGE_INSERT,
	SQL_STAGE_START,
	SQL_STAGE_FINISH,
	SQL_STAGE_STATUS,
	SQL_LOG_APPEND,
	SQL_METRIC_SET,
	SQL_RUNS_RECENT,
	SQL_RUNS_RECENT_PIPELINE,
	SQL_RUN_GET,
	SQL_STAGES_LATEST,
	SQL_METRICS_GET,
	SQL_LOG_GET,
	SQL_OUTPUT_ADD,
	SQL_OUTPUTS_GET,
	SQL_LOG_LAST,
	SQL_STAGE_HEARTBEAT,
	SQL_STAGE_PLAN,
	SQL_RUN_REOPEN,
	SQL_RUN_SCHEDULED,
	SQL_AUDIT,
	SQL_STAGE_HISTORY,
	SQL_PRUNE_RUNS_LIST,
	SQL_PRUNE_RUN,
	SQL_PRUNE_LOGS,
	SQL_RUN_HISTORY,
	SQL_LOG_CONTAINS,
	SQL_RUNS_IN_STATE,
	SQL_STATE_GET,
	SQL_STATE_SET,
	SQL_METRIC_LAST_GOOD,
	SQL_STAGE_UNCHANGED,
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_COUNT
};

/* Failed commits in a row between two warnings that rows wait. */
#define STORE_RETRY_WARN_EVERY 100

#define RUN_COLUMNS \
	"id, pipeline, logical_date, trigger, state, started_at, " \
	"coalesce(ended_at, 0), coalesce(duration_ms, -1), coalesce(reason, '')"

static const char *const store_sql[SQL_COUNT] = {
	/* Prepared once, as the agent opens a transaction for every start. */
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_RUN_INSERT] =
	    "INSERT INTO runs (pipeline, logical_date, trigger, state, "
	    "started_at) VALUES (?1, ?2, ?3, 'running', ?4)",
	[SQL_RUN_FINISH] =
	    "UPDATE runs SET state = ?2, ended_at = ?3, duration_ms = ?4, "
	    "reason = ?5 WHERE id = ?1",
	[SQL_STAGE_INSERT] =
	    "INSERT INTO stage_runs (run_id, stage, attempt, state, reason) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQL_STAGE_START] =
	    "UPDATE stage_runs SET state = 'running', pid = ?2, "
	    "pid_start = ?3, started_at = ?4 WHERE id = ?1",
	[SQL_RUNS_IN_STATE] =
	    "SELECT " RUN_COLUMNS " FROM runs WHERE state = ?2 "
	    "ORDER BY id LIMIT ?1",
	[SQL_LOG_CONTAINS] =
	    "SELECT 1 FROM log_lines WHERE stage_run_id = ?1 "
	    "AND instr(text, ?2) > 0 LIMIT 1",
	[SQL_RUN_HISTORY] =
	    "SELECT ended_at, duration_ms, -1, -1 FROM (SELECT * FROM runs "
	    "WHERE pipeline = ?1 AND state = 'succeeded' AND ended_at >= ?2 "
	    "AND duration_ms IS NOT NULL ORDER BY ended_at DESC LIMIT ?3) "
	    "ORDER BY ended_at",
	[SQL_PRUNE_RUNS_LIST] =
	    "SELECT id FROM runs WHERE state != 'running' AND ended_at < ?1 "
	    "ORDER BY id LIMIT ?2",
	[SQL_PRUNE_RUN] =
	    "DELETE FROM runs WHERE id = ?1",
	[SQL_PRUNE_LOGS] =
	    "DELETE FROM log_lines WHERE (stage_run_id, stream, line_no) IN "
	    "(SELECT l.stage_run_id, l.stream, l.line_no FROM log_lines l "
	    "JOIN stage_runs s ON s.id = l.stage_run_id "
	    "WHERE s.ended_at < ?1 LIMIT ?2)",
	[SQL_STAGE_HISTORY] =
	    "SELECT ended_at, duration_ms, "
	    "coalesce((SELECT value FROM stage_metrics m WHERE "
	    "m.stage_run_id = s.id AND m.name = 'watchkeep.input_bytes'), -1), "
	    "coalesce((SELECT value FROM stage_metrics m WHERE "
	    "m.stage_run_id = s.id AND m.name = 'rows_in'), -1) "
	    "FROM (SELECT s.* FROM stage_runs s JOIN runs r ON r.id = s.run_id "
	    "WHERE r.pipeline = ?1 AND s.stage = ?2 AND s.state = 'succeeded' "
	    "AND s.ended_at >= ?3 AND s.duration_ms IS NOT NULL "
	    "ORDER BY s.ended_at DESC LIMIT ?4) s ORDER BY ended_at",
	[SQL_AUDIT] =
	    "INSERT INTO control_audit (at, uid, pid, command, args, result) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQL_STATE_GET] =
	    "SELECT value FROM agent_state WHERE key = ?1",
	[SQL_STATE_SET] =
	    "INSERT OR REPLACE INTO agent_state (key, value) VALUES (?1, ?2)",
	[SQL_RUN_SCHEDULED] =
	    "UPDATE runs SET scheduled_at = ?2 WHERE id = ?1",
	[SQL_RUN_REOPEN] =
	    "UPDATE runs SET state = 'running', ended_at = NULL, "
	    "duration_ms = NULL, reason = NULL WHERE id = ?1",
	[SQL_METRIC_LAST_GOOD] =
	    "SELECT m.value FROM stage_metrics m "
	    "JOIN stage_runs s ON s.id = m.stage_run_id "
	    "JOIN runs r ON r.id = s.run_id "
	    "WHERE r.pipeline = ?1 AND s.stage = ?2 AND m.name = ?3 "
	    "AND r.state = 'succeeded' AND r.id != ?4 "
	    "AND s.state = 'succeeded' ORDER BY r.id DESC, s.attempt DESC "
	    "LIMIT 1",
	/* The latest success with the fingerprint after the latest attempt
	   that started and may have written other outputs: any attempt but
	   one that never started, or one skipped with the same fingerprint. */
	[SQL_STAGE_UNCHANGED] =
	    "SELECT s.id, s.run_id, s.attempt FROM stage_runs s "
	    "JOIN runs r ON r.id = s.run_id "
	    "WHERE r.pipeline = ?1 AND s.stage = ?2 AND s.fingerprint = ?3 "
	    "AND s.state = 'succeeded' AND s.id > coalesce(("
	    "SELECT max(t.id) FROM stage_runs t JOIN runs q ON q.id = t.run_id "
	    "WHERE q.pipeline = ?1 AND t.stage = ?2 "
	    "AND t.state NOT IN ('pending', 'retry_wait', 'not_run') "
	    "AND NOT (t.state IN ('succeeded', 'skipped') "
	    "AND t.fingerprint IS ?3)), 0) "
	    "ORDER BY s.id DESC LIMIT 1",
	[SQL_STAGE_HEARTBEAT] =
	    "UPDATE stage_runs SET heartbeat_at = ?2 WHERE id = ?1",
	[SQL_STAGE_PLAN] =
	    "UPDATE stage_runs SET fingerprint = ?2, retry_at = ?3 "
	    "WHERE id = ?1",
	[SQL_STAGE_FINISH] =
	    "UPDATE stage_runs SET state = ?2, ended_at = ?3, "
	    "duration_ms = ?4, exit_code = ?5, signal = ?6, user_cpu_ms = ?7, "
	    "sys_cpu_ms = ?8, max_rss_kb = ?9, reason = ?10 WHERE id = ?1",
	[SQL_STAGE_STATUS] =
	    "UPDATE stage_runs SET status_text = coalesce(?2, status_text), "
	    "progress = coalesce(?3, progress) WHERE id = ?1",
	[SQL_LOG_APPEND] =
	    "INSERT OR REPLACE INTO log_lines (stage_run_id, stream, line_no, "
	    "at, text, is_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQL_METRIC_SET] =
	    "INSERT OR REPLACE INTO stage_metrics (stage_run_id, name, value, "
	    "at) VALUES (?1, ?2, ?3, ?4)",
	[SQL_RUNS_RECENT] =
	    "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?1",
	[SQL_RUNS_RECENT_PIPELINE] =
	    "SELECT " RUN_COLUMNS " FROM runs WHERE pipeline = ?2 "
	    "ORDER BY id DESC LIMIT ?1",
	[SQL_RUN_GET] =
	    "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1",
	[SQL_STAGES_LATEST] =
	    "SELECT s.id, s.run_id, s.stage, s.attempt, s.state, "
	    "coalesce(s.pid, 0), coalesce(s.started_at, 0), "
	    "coalesce(s.ended_at, 0), coalesce(s.duration_ms, -1), "
	    "coalesce(s.exit_code, -1), coalesce(s.signal, 0), "
	    "coalesce(s.user_cpu_ms, -1), coalesce(s.sys_cpu_ms, -1), "
	    "coalesce(s.max_rss_kb, -1), coalesce(s.progress, -1), "
	    "coalesce(s.reason, ''), coalesce(s.status_text, ''), "
	    "coalesce(s.pid_start, -1), coalesce(s.heartbeat_at, 0), "
	    "coalesce(s.retry_at, 0), coalesce(s.fingerprint, '') "
	    "FROM stage_runs s WHERE s.run_id = ?1 AND s.attempt = "
	    "(SELECT max(attempt) FROM stage_runs t WHERE t.run_id = s.run_id "
	    "AND t.stage = s.stage) "
	    "ORDER BY (SELECT min(id) FROM stage_runs u WHERE u.run_id = "
	    "s.run_id AND u.stage = s.stage)",
	[SQL_METRICS_GET] =
	    "SELECT name, value FROM stage_metrics WHERE stage_run_id = ?1 "
	    "ORDER BY name",
	[SQL_LOG_GET] =
	    "SELECT stream, line_no, is_error, text FROM log_lines "
	    "WHERE stage_run_id = ?1 AND (?2 = 0 OR stream = ?2) "
	    "AND (?3 = 0 OR is_error) AND line_no > ?4 "
	    "ORDER BY at, stream, line_no LIMIT ?5",
	[SQL_OUTPUT_ADD] =
	    "INSERT OR REPLACE INTO stage_outputs (stage_run_id, path, "
	    "size_bytes, mtime) VALUES (?1, ?2, ?3, ?4)",
	[SQL_OUTPUTS_GET] =
	    "SELECT path, size_bytes, mtime FROM stage_outputs "
	    "WHERE stage_run_id = ?1 ORDER BY path",
	[SQL_LOG_LAST] =
	    "SELECT stream, line_no, is_error, text FROM log_lines "
	    "WHERE stage_run_id = ?1 AND stream = ?2 "
	    "ORDER BY line_no DESC LIMIT 1",
};

struct store {
	sqlite3 *db;                      /* the connection */
	enum store_mode mode;             /* read-write or read-only */
	int in_batch;                     /* a log-line transaction is open */
	int group_depth;                  /* open store_group_begin() calls */
	int batch_lost;                   /* a log-line transaction was rolled
					     back since the last flush */
	struct store_pending pending;     /* rows kept for a retry */
	struct store_ckpt *ckpt;          /* background checkpoints, owned;
					     NULL: SQLite's own in commits */
	char *path;                       /* owned copy of the path */
	sqlite3_stmt *stmts[SQL_COUNT];   /* prepared on first use */
};

const char *
store_path(const struct store *st)
{
	return st->path;
}

struct sqlite3 *
store_sqlite(struct store *st)
{
	return st->db;
}

int
store_sql_fail(struct store *st, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;

	LOG(LL_ERROR, _("store %s: %s failed: %s"), st->path, what,
	    sqlite3_errmsg(st->db));
	return code == SQLITE_BUSY || code == SQLITE_LOCKED ? WK_ERR_BUSY :
	    WK_ERR_STORE;
}

int
store_sql_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return store_sql_fail(st, "prepare");
	}
	return WK_OK;
}

int
store_latest_version(void)
{
	return store_schema_count();
}

/* Logs a failed SQLite call and returns WK_ERR_STORE or WK_ERR_BUSY. */
static int
store_fail(struct store *st, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);

	LOG(LL_ERROR, _("store %s: %s failed: %s"), st->path, what,
	    sqlite3_errmsg(st->db));
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return WK_ERR_BUSY;
	return WK_ERR_STORE;
}

static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt_id id)
{
	sqlite3_stmt *stmt = st->stmts[id];

	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	if (sqlite3_prepare_v3(st->db, store_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "prepare");
		return NULL;
	}
	st->stmts[id] = stmt;
	return stmt;
}

static int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		LOG(LL_ERROR, _("store %s: %s"), st->path,
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return WK_ERR_STORE;
	}
	return WK_OK;
}

int
store_version(struct store *st, int *version)
{
	sqlite3_stmt *stmt;
	int rc = WK_OK;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt,
	    NULL) != SQLITE_OK)
		return store_fail(st, "PRAGMA user_version");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*version = sqlite3_column_int(stmt, 0);
	else
		rc = store_fail(st, "PRAGMA user_version");
	sqlite3_finalize(stmt);
	return rc;
}

/* Applies one migration and its version bump in one transaction. */
static int
store_apply(struct store *st, int version, struct wk_err *err)
{
	char bump[64];

	if (store_exec(st, "BEGIN IMMEDIATE") != WK_OK)
		goto fail;
	if (store_exec(st, store_schema_migration(version)) != WK_OK) {
		store_exec(st, "ROLLBACK");
		goto fail;
	}
	snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version);
	if (store_exec(st, bump) != WK_OK || store_exec(st, "COMMIT") != WK_OK) {
		store_exec(st, "ROLLBACK");
		goto fail;
	}
	LOG(LL_DEBUG, _("store %s: migrated to schema version %d"), st->path,
	    version);
	return WK_OK;

fail:
	return wk_err_set(err, WK_ERR_STORE,
	    _("%s: migration to schema version %d failed: %s; the store was "
	      "left at version %d"), st->path, version,
	    sqlite3_errmsg(st->db), version - 1);
}

int
store_migrate(struct store *st, int target, struct wk_err *err)
{
	int version, from, rc;

	if (target > store_schema_count())
		target = store_schema_count();
	rc = store_version(st, &version);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("%s: cannot read the schema "
		    "version: %s"), st->path, sqlite3_errmsg(st->db));

	if (version > store_schema_count())
		return wk_err_set(err, WK_ERR_INVALID,
		    _("%s: schema version %d is newer than this watchkeep "
		      "(version %d); use a newer watchkeep or another state "
		      "directory"), st->path, version, store_schema_count());

	from = version;
	for (version++; version <= target; version++) {
		rc = store_apply(st, version, err);
		if (rc != WK_OK)
			return rc;
	}
	if (from == 0 && target > 0)
		LOG(LL_INFO, _("store %s: created at schema version %d"),
		    st->path, target);
	else if (from < target)
		LOG(LL_INFO, _("store %s: migrated from schema version %d to "
		    "%d"), st->path, from, target);
	return WK_OK;
}

/*
 * Sets the pragmas of a connection: WAL, busy timeout, foreign keys, and
 * for the writer the size of the log file left after a reset.
 */
static int
store_configure(struct store *st, struct wk_err *err)
{
	char pragmas[256];

	if (st->mode == STORE_READ_WRITE)
		snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode = WAL; "
		    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
		    "PRAGMA journal_size_limit = %lld;",
		    (long long)STORE_WAL_LIMIT_BYTES);
	else
		snprintf(pragmas, sizeof pragmas, "%s", "PRAGMA foreign_keys "
		    "= ON; PRAGMA query_only = ON;");

	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	if (store_exec(st, pragmas) != WK_OK)
		return wk_err_set(err, WK_ERR_STORE,
		    _("%s: cannot configure the store: %s; check that the "
		      "file is a SQLite database"), st->path,
		    sqlite3_errmsg(st->db));
	return WK_OK;
}

/* Checks that a read-only store has a schema this program can read. */
static int
store_check_readable(struct store *st, struct wk_err *err)
{
	int version, rc;

	rc = store_version(st, &version);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("%s: cannot read the store: %s"),
		    st->path, sqlite3_errmsg(st->db));
	if (version == 0)
		return wk_err_set(err, WK_ERR_NOTFOUND,
		    _("%s: the store is empty; run `watchkeep run --once` "
		      "first"), st->path);
	if (version > store_schema_count())
		return wk_err_set(err, WK_ERR_INVALID,
		    _("%s: schema version %d is newer than this watchkeep "
		      "(version %d); use a newer watchkeep"), st->path,
		    version, store_schema_count());
	if (version < store_schema_count())
		return wk_err_set(err, WK_ERR_INVALID,
		    _("%s: schema version %d is older than this watchkeep "
		      "(version %d); start the agent once to migrate it"),
		    st->path, version, store_schema_count());
	return WK_OK;
}

int
store_open(const char *path, enum store_mode mode, struct store **out,
	   struct wk_err *err)
{
	struct store *st;
	int flags, rc;

	st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		free(st);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	st->mode = mode;
	store_pending_init(&st->pending);
	flags = mode == STORE_READ_WRITE ?
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;

	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		rc = wk_err_set(err, WK_ERR_STORE, _("cannot open the store "
		    "%s: %s"), path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : _("out of memory"));
		goto fail;
	}
	rc = store_configure(st, err);
	if (rc == WK_OK)
		rc = mode == STORE_READ_WRITE ?
		    store_migrate(st, store_schema_count(), err) :
		    store_check_readable(st, err);
	if (rc != WK_OK)
		goto fail;
	*out = st;
	return WK_OK;

fail:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	if (st->in_batch || st->pending.count > 0)
		store_flush(st);
	if (st->pending.count > 0)
		LOG(LL_WARN, _("store %s: closed with rows not stored: %zu"),
		    st->path, st->pending.count);
	store_pending_free(&st->pending);
	store_ckpt_stop(st->ckpt);
	for (i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/*
 * Runs a statement without parameters or rows, such as BEGIN or COMMIT.
 * Returns SQLITE_OK or SQLite's extended result code, which the caller
 * logs.
 */
static int
store_step_plain(struct store *st, enum store_stmt_id id)
{
	sqlite3_stmt *stmt = store_stmt(st, id);
	int code;

	if (stmt == NULL)
		return SQLITE_ERROR;
	code = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK :
	    sqlite3_extended_errcode(st->db);
	sqlite3_reset(stmt);
	return code;
}

/* Returns WK_ERR_BUSY for a busy or locked database, else WK_ERR_STORE. */
static int
store_rc_of(int code)
{
	code &= 0xff;
	return code == SQLITE_BUSY || code == SQLITE_LOCKED ? WK_ERR_BUSY :
	    WK_ERR_STORE;
}

/*
 * Counts a failure of the log-line transaction (its BEGIN, the retry of
 * waiting rows, a write after which SQLite rolled it back, or its COMMIT)
 * with error code: the rows not kept in it are dropped, and the kept ones
 * wait for the next transaction. Once rows wait, logs the first failure,
 * every STORE_RETRY_WARN_EVERY-th and every one that drops rows. Returns
 * WK_ERR_BUSY or WK_ERR_STORE. A caller that does not return this error
 * sets batch_lost, so that the next flush reports it.
 */
static int
store_batch_failed(struct store *st, int code)
{
	struct store_pending *p = &st->pending;
	int64_t unkept = p->unkept;

	st->in_batch = 0;
	p->dropped += unkept;
	p->unkept = 0;
	p->failures++;
	if (p->count == 0 && unkept == 0)
		return store_rc_of(code);
	if (!p->warned || p->failures % STORE_RETRY_WARN_EVERY == 0 ||
	    unkept > 0)
		LOG(LL_WARN, _("store %s: write transaction failed (attempt "
		    "%lld): %s; rows waiting for a retry: %zu, rows dropped: "
		    "%lld"), st->path,
		    (long long)p->failures, sqlite3_errstr(code), p->count,
		    (long long)p->dropped);
	p->warned = 1;
	return store_rc_of(code);
}

/* Empties the retry queue after a commit, logging the end of failures. */
static void
store_batch_committed(struct store *st, size_t rows)
{
	struct store_pending *p = &st->pending;

	if (p->warned)
		LOG(LL_INFO, _("store %s: write transaction committed again; "
		    "failed attempts: %lld, rows stored: %zu, rows dropped: "
		    "%lld"), st->path,
		    (long long)p->failures, rows, (long long)p->dropped);
	store_pending_clear(p);
}

int
store_flush(struct store *st)
{
	size_t rows;
	int code, lost, rc;

	if (!st->in_batch && st->pending.count == 0 && !st->batch_lost)
		return WK_OK;
	/* The opening retries the rows of a failed commit first. */
	if (st->in_batch || st->pending.count > 0) {
		rc = store_batch_begin(st);
		if (rc != WK_OK)
			return rc;
	}
	lost = st->batch_lost;
	st->batch_lost = 0;
	if (!st->in_batch)
		return lost ? WK_ERR_STORE : WK_OK;

	st->in_batch = 0;
	rows = st->pending.count;
	code = store_step_plain(st, SQL_COMMIT);
	if (code != SQLITE_OK) {
		rc = store_batch_failed(st, code);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	store_batch_committed(st, rows);
	/* Writes of a transaction SQLite rolled back that were not kept for
	   a retry are lost, so the flush fails though the kept rows are
	   stored. */
	return lost ? WK_ERR_STORE : WK_OK;
}

int
store_checkpoint_in_background(struct store *st, int pages,
			       struct wk_err *err)
{
	if (st->mode != STORE_READ_WRITE || st->ckpt != NULL)
		return WK_OK;

	st->ckpt = store_ckpt_start(st->path, st->db, pages, err);
	return st->ckpt != NULL ? WK_OK : err->rc;
}

long
store_checkpoints(const struct store *st)
{
	return st->ckpt != NULL ? store_ckpt_count(st->ckpt) : -1;
}

int
store_flush_unless_grouped(struct store *st)
{
	return st->group_depth > 0 ? WK_OK : store_flush(st);
}

int
store_batch_begin(struct store *st)
{
	int code, rc;

	/* SQLite rolls back the whole transaction on some errors (full disk,
	   I/O error), and the connection is then in autocommit mode again. */
	if (st->in_batch && sqlite3_get_autocommit(st->db)) {
		store_batch_failed(st, SQLITE_ABORT_ROLLBACK);
		st->batch_lost = 1;
	}
	if (st->in_batch)
		return WK_OK;
	code = store_step_plain(st, SQL_BEGIN);
	if (code != SQLITE_OK)
		return store_batch_failed(st, code);

	code = store_pending_replay(&st->pending, st->db, st->path);
	if (code != SQLITE_OK) {
		rc = store_batch_failed(st, code);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	st->in_batch = 1;
	return WK_OK;
}

int
store_batch_step(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int code, kept, rc;

	rc = store_batch_begin(st);
	if (rc != WK_OK) {
		/* The transaction could not open, or the rows of a failed
		   commit could not be written again: the row waits. */
		if (store_pending_keep(&st->pending, stmt) == 0)
			return WK_OK;
		st->pending.unkept--;
		st->pending.dropped++;
		return rc;
	}
	kept = store_pending_keep(&st->pending, stmt) == 0;
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		sqlite3_reset(stmt);
		return WK_OK;
	}

	code = sqlite3_extended_errcode(st->db);
	rc = store_fail(st, what);
	sqlite3_reset(stmt);
	if (!store_pending_transient(code) && !sqlite3_get_autocommit(st->db)) {
		/* The row was not applied, can never be, and the transaction
		   goes on without it. */
		if (kept)
			store_pending_forget_last(&st->pending);
		else
			st->pending.unkept--;
		return rc;
	}
	/* The row waits for a retry with the others of the transaction,
	   which is rolled back unless SQLite did so already. */
	store_batch_failed(st, code);
	st->batch_lost = 1;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return kept ? WK_OK : rc;
}

size_t
store_waiting_rows(const struct store *st)
{
	return st->pending.count;
}

int64_t
store_dropped_rows(const struct store *st)
{
	return st->pending.dropped;
}

void
store_set_waiting_max(struct store *st, size_t rows)
{
	st->pending.rows_max = rows;
}

void
store_group_begin(struct store *st)
{
	st->group_depth++;
}

int
store_group_end(struct store *st)
{
	if (st->group_depth == 0)
		return WK_OK;
	st->group_depth--;
	if (st->group_depth > 0)
		return WK_OK;
	return store_flush(st);
}

/*
 * Runs a write statement to completion: inside a group it joins the open
 * transaction, else it commits the batch first and runs on its own.
 */
static int
store_step_write(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	if (st->group_depth > 0)
		rc = store_batch_begin(st);
	else
		rc = store_flush(st);
	if (rc != WK_OK)
		return rc;
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		rc = store_fail(st, what);
		sqlite3_reset(stmt);
		return rc;
	}
	sqlite3_reset(stmt);
	return WK_OK;
}

static void
store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

int
store_run_insert(struct store *st, const char *pipeline,
		 const char *logical_date, const char *trigger,
		 int64_t started_at, int64_t *id)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_INSERT);
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, pipeline);
	store_bind_text(stmt, 2, logical_date);
	store_bind_text(stmt, 3, trigger);
	sqlite3_bind_int64(stmt, 4, started_at);

	rc = store_step_write(st, stmt, "insert run");
	if (rc == WK_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
store_run_finish(struct store *st, int64_t run_id, const char *state,
		 int64_t ended_at, int64_t duration_ms, const char *reason)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_FINISH);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	store_bind_text(stmt, 2, state);
	sqlite3_bind_int64(stmt, 3, ended_at);
	sqlite3_bind_int64(stmt, 4, duration_ms);
	store_bind_text(stmt, 5, reason);
	return store_step_write(st, stmt, "finish run");
}

int
store_stage_insert(struct store *st, int64_t run_id, const char *stage,
		   int attempt, const char *state, const char *reason,
		   int64_t *id)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_INSERT);
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	store_bind_text(stmt, 2, stage);
	sqlite3_bind_int(stmt, 3, attempt);
	store_bind_text(stmt, 4, state);
	store_bind_text(stmt, 5, reason);

	rc = store_step_write(st, stmt, "insert stage run");
	if (rc == WK_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
store_stage_start(struct store *st, int64_t stage_run_id, int pid,
		  int64_t pid_start, int64_t started_at)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_START);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, pid);
	sqlite3_bind_int64(stmt, 3, pid_start);
	sqlite3_bind_int64(stmt, 4, started_at);
	return store_step_write(st, stmt, "start stage run");
}

int
store_stage_heartbeat(struct store *st, int64_t stage_run_id, int64_t at)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_HEARTBEAT);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int64(stmt, 2, at);
	return store_step_write(st, stmt, "record heartbeat");
}

int
store_stage_plan(struct store *st, int64_t stage_run_id,
		 const char *fingerprint, int64_t retry_at)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_PLAN);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	store_bind_text(stmt, 2, fingerprint);
	if (retry_at > 0)
		sqlite3_bind_int64(stmt, 3, retry_at);
	return store_step_write(st, stmt, "plan stage run");
}

/* Binds v, or NULL when v is negative (unknown). */
static void
store_bind_known(sqlite3_stmt *stmt, int index, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_int64(stmt, index, v);
}

int
store_stage_finish(struct store *st, const struct store_stage_run *r)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_FINISH);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, r->id);
	store_bind_text(stmt, 2, r->state);
	store_bind_known(stmt, 3, r->ended_at);
	store_bind_known(stmt, 4, r->duration_ms);
	if (r->signal == 0 && r->exit_code >= 0)
		sqlite3_bind_int(stmt, 5, r->exit_code);
	if (r->signal != 0)
		sqlite3_bind_int(stmt, 6, r->signal);
	store_bind_known(stmt, 7, r->user_cpu_ms);
	store_bind_known(stmt, 8, r->sys_cpu_ms);
	store_bind_known(stmt, 9, r->max_rss_kb);
	store_bind_text(stmt, 10, r->reason[0] != '\0' ? r->reason : NULL);
	return store_step_write(st, stmt, "finish stage run");
}

int
store_stage_status(struct store *st, int64_t stage_run_id,
		   const char *status_text, double progress)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_STATUS);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	store_bind_text(stmt, 2, status_text);
	if (progress >= 0.0)
		sqlite3_bind_double(stmt, 3, progress);
	return store_step_write(st, stmt, "set stage status");
}

int
store_log_append(struct store *st, int64_t stage_run_id,
		 enum store_stream stream, int64_t line_no, int64_t at,
		 const char *text, size_t len, int is_error)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_LOG_APPEND);

	if (stmt == NULL)
		return WK_ERR_STORE;
	if (len > STORE_LOG_LINE_MAX)
		len = STORE_LOG_LINE_MAX;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, (int)stream);
	sqlite3_bind_int64(stmt, 3, line_no);
	sqlite3_bind_int64(stmt, 4, at);
	sqlite3_bind_text(stmt, 5, text, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 6, is_error != 0);
	return store_batch_step(st, stmt, "append log line");
}

int
store_metric_set(struct store *st, int64_t stage_run_id, const char *name,
		 double value, int64_t at)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_METRIC_SET);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	store_bind_text(stmt, 2, name);
	sqlite3_bind_double(stmt, 3, value);
	sqlite3_bind_int64(stmt, 4, at);
	/* Inside a group the metric joins the rows kept for a retry. */
	if (st->group_depth > 0)
		return store_batch_step(st, stmt, "set metric");
	return store_step_write(st, stmt, "set metric");
}

static void
store_copy_column(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

static void
store_read_run(sqlite3_stmt *stmt, struct store_run *run)
{
	run->id = sqlite3_column_int64(stmt, 0);
	store_copy_column(run->pipeline, sizeof run->pipeline, stmt, 1);
	store_copy_column(run->logical_date, sizeof run->logical_date, stmt, 2);
	store_copy_column(run->trigger, sizeof run->trigger, stmt, 3);
	store_copy_column(run->state, sizeof run->state, stmt, 4);
	run->started_at = sqlite3_column_int64(stmt, 5);
	run->ended_at = sqlite3_column_int64(stmt, 6);
	run->duration_ms = sqlite3_column_int64(stmt, 7);
	store_copy_column(run->reason, sizeof run->reason, stmt, 8);
}

/* Steps a read statement, calling read_row for up to max rows. */
static int
store_read_rows(struct store *st, sqlite3_stmt *stmt, size_t max,
		size_t *count, void (*read_row)(sqlite3_stmt *, void *, size_t),
		void *rows)
{
	int step = SQLITE_DONE;

	*count = 0;
	while (*count < max && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		read_row(stmt, rows, *count);
		(*count)++;
	}
	if (*count < max && step != SQLITE_DONE) {
		int rc = store_fail(st, "read");

		sqlite3_reset(stmt);
		return rc;
	}
	sqlite3_reset(stmt);
	return WK_OK;
}

static void
store_read_run_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	store_read_run(stmt, (struct store_run *)rows + i);
}

int
store_runs_recent(struct store *st, const char *pipeline,
		  struct store_run *runs, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, pipeline != NULL ?
	    SQL_RUNS_RECENT_PIPELINE : SQL_RUNS_RECENT);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	if (pipeline != NULL)
		store_bind_text(stmt, 2, pipeline);
	return store_read_rows(st, stmt, max, count, store_read_run_row, runs);
}

int
store_run_get(struct store *st, int64_t run_id, struct store_run *run)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_GET);
	size_t count;
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	rc = store_read_rows(st, stmt, 1, &count, store_read_run_row, run);
	if (rc == WK_OK && count == 0)
		rc = WK_ERR_NOTFOUND;
	return rc;
}

static void
store_read_stage_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_stage_run *s = (struct store_stage_run *)rows + i;

	s->id = sqlite3_column_int64(stmt, 0);
	s->run_id = sqlite3_column_int64(stmt, 1);
	store_copy_column(s->stage, sizeof s->stage, stmt, 2);
	s->attempt = sqlite3_column_int(stmt, 3);
	store_copy_column(s->state, sizeof s->state, stmt, 4);
	s->pid = sqlite3_column_int(stmt, 5);
	s->started_at = sqlite3_column_int64(stmt, 6);
	s->ended_at = sqlite3_column_int64(stmt, 7);
	s->duration_ms = sqlite3_column_int64(stmt, 8);
	s->exit_code = sqlite3_column_int(stmt, 9);
	s->signal = sqlite3_column_int(stmt, 10);
	s->user_cpu_ms = sqlite3_column_int64(stmt, 11);
	s->sys_cpu_ms = sqlite3_column_int64(stmt, 12);
	s->max_rss_kb = sqlite3_column_int64(stmt, 13);
	s->progress = sqlite3_column_double(stmt, 14);
	store_copy_column(s->reason, sizeof s->reason, stmt, 15);
	store_copy_column(s->status_text, sizeof s->status_text, stmt, 16);
	s->pid_start = sqlite3_column_int64(stmt, 17);
	s->heartbeat_at = sqlite3_column_int64(stmt, 18);
	s->retry_at = sqlite3_column_int64(stmt, 19);
	store_copy_column(s->fingerprint, sizeof s->fingerprint, stmt, 20);
}

int
store_stage_runs_latest(struct store *st, int64_t run_id,
			struct store_stage_run *stages, size_t max,
			size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGES_LATEST);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	return store_read_rows(st, stmt, max, count, store_read_stage_row,
	    stages);
}

static void
store_read_metric_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_metric *m = (struct store_metric *)rows + i;

	store_copy_column(m->name, sizeof m->name, stmt, 0);
	m->value = sqlite3_column_double(stmt, 1);
}

int
store_metrics_get(struct store *st, int64_t stage_run_id,
		  struct store_metric *metrics, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_METRICS_GET);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	return store_read_rows(st, stmt, max, count, store_read_metric_row,
	    metrics);
}

static void
store_read_log_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_log_line *l = (struct store_log_line *)rows + i;

	l->stream = sqlite3_column_int(stmt, 0);
	l->line_no = sqlite3_column_int64(stmt, 1);
	l->is_error = sqlite3_column_int(stmt, 2);
	store_copy_column(l->text, sizeof l->text, stmt, 3);
}

int
store_log_lines_get(struct store *st, int64_t stage_run_id, int stream,
		    int errors_only, int64_t after_line,
		    struct store_log_line *lines, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_LOG_GET);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, stream);
	sqlite3_bind_int(stmt, 3, errors_only != 0);
	sqlite3_bind_int64(stmt, 4, after_line);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)max);
	return store_read_rows(st, stmt, max, count, store_read_log_row, lines);
}

int
store_output_add(struct store *st, int64_t stage_run_id, const char *path,
		 int64_t size_bytes, int64_t mtime)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_OUTPUT_ADD);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	store_bind_text(stmt, 2, path);
	sqlite3_bind_int64(stmt, 3, size_bytes);
	sqlite3_bind_int64(stmt, 4, mtime);
	return store_step_write(st, stmt, "add output");
}

static void
store_read_output_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_output *o = (struct store_output *)rows + i;

	store_copy_column(o->path, sizeof o->path, stmt, 0);
	o->size_bytes = sqlite3_column_int64(stmt, 1);
	o->mtime = sqlite3_column_int64(stmt, 2);
}

int
store_outputs_get(struct store *st, int64_t stage_run_id,
		  struct store_output *outputs, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_OUTPUTS_GET);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	return store_read_rows(st, stmt, max, count, store_read_output_row,
	    outputs);
}

int
store_log_last(struct store *st, int64_t stage_run_id, int stream,
	       struct store_log_line *line)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_LOG_LAST);
	size_t count;
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	sqlite3_bind_int(stmt, 2, stream);
	rc = store_read_rows(st, stmt, 1, &count, store_read_log_row, line);
	if (rc == WK_OK && count == 0)
		rc = WK_ERR_NOTFOUND;
	return rc;
}

int
store_run_reopen(struct store *st, int64_t run_id)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_REOPEN);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	return store_step_write(st, stmt, "reopen run");
}

int
store_metric_last_good(struct store *st, const char *pipeline,
		       const char *stage, const char *name,
		       int64_t exclude_run_id, double *value)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_METRIC_LAST_GOOD);
	int step, rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, pipeline);
	store_bind_text(stmt, 2, stage);
	store_bind_text(stmt, 3, name);
	sqlite3_bind_int64(stmt, 4, exclude_run_id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*value = sqlite3_column_double(stmt, 0);
	else
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_fail(st, "read last good metric");
	sqlite3_reset(stmt);
	return rc;
}

int
store_stage_find_unchanged(struct store *st, const char *pipeline,
			   const char *stage, const char *fingerprint,
			   int64_t *stage_run_id, int64_t *run_id, int *attempt)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_UNCHANGED);
	int step, rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, pipeline);
	store_bind_text(stmt, 2, stage);
	store_bind_text(stmt, 3, fingerprint);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*stage_run_id = sqlite3_column_int64(stmt, 0);
		*run_id = sqlite3_column_int64(stmt, 1);
		*attempt = sqlite3_column_int(stmt, 2);
	} else {
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_fail(st, "find unchanged stage run");
	}
	sqlite3_reset(stmt);
	return rc;
}

int
store_run_set_scheduled(struct store *st, int64_t run_id, int64_t scheduled_at)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_SCHEDULED);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, run_id);
	sqlite3_bind_int64(stmt, 2, scheduled_at);
	return store_step_write(st, stmt, "set scheduled time");
}

int
store_state_get(struct store *st, const char *key, char *out, size_t size)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STATE_GET);
	int step, rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, key);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		store_copy_column(out, size, stmt, 0);
	else
		rc = step == SQLITE_DONE ? WK_ERR_NOTFOUND :
		    store_fail(st, "read agent state");
	sqlite3_reset(stmt);
	return rc;
}

int
store_state_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STATE_SET);

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, key);
	store_bind_text(stmt, 2, value);
	return store_step_write(st, stmt, "set agent state");
}

int
store_audit(struct store *st, int64_t at, int uid, int pid,
	    const char *command, const char *args, const char *result)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_AUDIT);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, at);
	sqlite3_bind_int(stmt, 2, uid);
	sqlite3_bind_int(stmt, 3, pid);
	store_bind_text(stmt, 4, command);
	store_bind_text(stmt, 5, args);
	store_bind_text(stmt, 6, result);
	return store_step_write(st, stmt, "audit control request");
}

int
store_runs_in_state(struct store *st, const char *state,
		    struct store_run *runs, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUNS_IN_STATE);

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	store_bind_text(stmt, 2, state);
	return store_read_rows(st, stmt, max, count, store_read_run_row, runs);
}

/* Writes the absolute form of path into out, resolving its directory. */
static int
store_canonical(const char *path, char *out, size_t size)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;

	if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else if (slash != NULL)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof dir, ".");
	if (realpath(dir, real) == NULL)
		return -1;
	return (size_t)snprintf(out, size, "%s/%s", real, base) < size ? 0 : -1;
}

/*
 * Tells whether dest is the store's database file or one of its -wal,
 * -shm or -journal files, by name or as another link to the same file.
 * Renaming a copy over them would cut the agent off from its store.
 */
static int
store_is_own_file(struct store *st, const char *dest)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char own[PATH_MAX + 16], canon_dest[PATH_MAX], canon_db[PATH_MAX];
	struct stat a, b;
	size_t i;

	if (store_canonical(dest, canon_dest, sizeof canon_dest) != 0 ||
	    store_canonical(st->path, canon_db, sizeof canon_db) != 0)
		return 0;
	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(own, sizeof own, "%s%s", canon_db, suffixes[i]);
		if (strcmp(own, canon_dest) == 0)
			return 1;
		if (stat(own, &a) == 0 && stat(dest, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return 1;
	}
	return 0;
}

int
store_backup(struct store *st, const char *dest, struct wk_err *err)
{
	char tmp[4096];
	sqlite3 *out = NULL;
	sqlite3_backup *backup;
	int step;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", dest) >= (int)sizeof tmp)
		return wk_err_set(err, WK_ERR_LIMIT, _("path too long: %s"),
		    dest);
	if (store_is_own_file(st, dest))
		return wk_err_set(err, WK_ERR_INVALID, _("%s is the store "
		    "itself or one of its files; write the backup to another "
		    "path"), dest);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		goto fail;
	backup = sqlite3_backup_init(out, "main", st->db, "main");
	if (backup == NULL)
		goto fail;
	/* Copy in steps, so that the writer is never locked out for long. */
	do {
		step = sqlite3_backup_step(backup, 256);
		if (step == SQLITE_BUSY || step == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (step == SQLITE_OK || step == SQLITE_BUSY ||
	    step == SQLITE_LOCKED);
	sqlite3_backup_finish(backup);
	if (step != SQLITE_DONE)
		goto fail;
	if (sqlite3_close(out) != SQLITE_OK || rename(tmp, dest) != 0) {
		out = NULL;
		goto fail;
	}
	return WK_OK;

fail:
	wk_err_set(err, WK_ERR_STORE, _("backup to %s failed: %s"), dest,
	    out != NULL ? sqlite3_errmsg(out) : strerror(errno));
	sqlite3_close(out);
	unlink(tmp);
	return WK_ERR_STORE;
}

int
store_log_contains(struct store *st, int64_t stage_run_id, const char *text,
		   int *found)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_LOG_CONTAINS);
	int step, rc = WK_OK;

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_flush(st);
	sqlite3_bind_int64(stmt, 1, stage_run_id);
	store_bind_text(stmt, 2, text);
	step = sqlite3_step(stmt);
	*found = step == SQLITE_ROW;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = store_fail(st, "search log lines");
	sqlite3_reset(stmt);
	return rc;
}

static void
store_read_history_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	struct store_history *h = (struct store_history *)rows + i;

	h->ended_at = sqlite3_column_int64(stmt, 0);
	h->duration_ms = sqlite3_column_int64(stmt, 1);
	h->input_bytes = sqlite3_column_double(stmt, 2);
	h->rows_in = sqlite3_column_double(stmt, 3);
}

int
store_stage_history(struct store *st, const char *pipeline, const char *stage,
		    int64_t since, struct store_history *rows, size_t max,
		    size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_STAGE_HISTORY);

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, pipeline);
	store_bind_text(stmt, 2, stage);
	sqlite3_bind_int64(stmt, 3, since);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)max);
	return store_read_rows(st, stmt, max, count, store_read_history_row,
	    rows);
}

int
store_run_history(struct store *st, const char *pipeline, int64_t since,
		  struct store_history *rows, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_HISTORY);

	if (stmt == NULL)
		return WK_ERR_STORE;
	store_bind_text(stmt, 1, pipeline);
	sqlite3_bind_int64(stmt, 2, since);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	return store_read_rows(st, stmt, max, count, store_read_history_row,
	    rows);
}

static void
store_read_id_row(sqlite3_stmt *stmt, void *rows, size_t i)
{
	((int64_t *)rows)[i] = sqlite3_column_int64(stmt, 0);
}

int
store_prune_runs(struct store *st, int64_t before, int64_t *ids, size_t max,
		 size_t *count)
{
	sqlite3_stmt *list = store_stmt(st, SQL_PRUNE_RUNS_LIST);
	sqlite3_stmt *del;
	size_t i;
	int rc;

	if (list == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(list, 1, before);
	sqlite3_bind_int64(list, 2, (sqlite3_int64)max);
	rc = store_read_rows(st, list, max, count, store_read_id_row, ids);
	for (i = 0; rc == WK_OK && i < *count; i++) {
		del = store_stmt(st, SQL_PRUNE_RUN);
		if (del == NULL)
			return WK_ERR_STORE;
		sqlite3_bind_int64(del, 1, ids[i]);
		rc = store_step_write(st, del, "delete old run");
	}
	return rc;
}

int
store_prune_logs(struct store *st, int64_t before, size_t max, size_t *count)
{
	sqlite3_stmt *stmt = store_stmt(st, SQL_PRUNE_LOGS);
	int rc;

	if (stmt == NULL)
		return WK_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, before);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	rc = store_step_write(st, stmt, "delete old log lines");
	*count = rc == WK_OK ? (size_t)sqlite3_changes(st->db) : 0;
	return rc;
}
