/*
 * The numbered migrations of the store's schema. Migration N brings a
 * store from user_version N-1 to N; each runs in its own transaction with
 * the version bump, so a crash leaves the store at one version or the
 * next. Never edit a migration that has shipped: add one.
 */
#include "store_schema.h"

#include <stddef.h>

static const char *const store_migrations[] = {
	/* 1: runs, stage runs and their log lines. */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  pipeline TEXT NOT NULL,"
	"  logical_date TEXT NOT NULL,"      /* YYYY-MM-DD */
	"  trigger TEXT NOT NULL,"           /* once, schedule, manual, ... */
	"  state TEXT NOT NULL,"             /* running, succeeded, failed */
	"  started_at INTEGER NOT NULL,"     /* ms since epoch, UTC */
	"  ended_at INTEGER,"                /* ms since epoch, UTC */
	"  duration_ms INTEGER,"             /* from CLOCK_MONOTONIC */
	"  reason TEXT"
	");"
	"CREATE INDEX runs_by_pipeline ON runs(pipeline, id);"
	"CREATE TABLE stage_runs ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  stage TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  pid INTEGER,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"
	"  duration_ms INTEGER,"
	"  exit_code INTEGER,"
	"  signal INTEGER,"
	"  user_cpu_ms INTEGER,"
	"  sys_cpu_ms INTEGER,"
	"  max_rss_kb INTEGER,"
	"  reason TEXT,"
	"  UNIQUE (run_id, stage, attempt)"
	");"
	"CREATE TABLE log_lines ("
	"  stage_run_id INTEGER NOT NULL"
	"    REFERENCES stage_runs(id) ON DELETE CASCADE,"
	"  stream INTEGER NOT NULL,"         /* 1 stdout, 2 stderr */
	"  line_no INTEGER NOT NULL,"        /* 1-based within the stream */
	"  at INTEGER NOT NULL,"             /* ms since epoch, received */
	"  text TEXT NOT NULL,"
	"  is_error INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (stage_run_id, stream, line_no)"
	") WITHOUT ROWID;",

	/* 2: what stages report over their notify socket, and their outputs. */
	"CREATE TABLE stage_metrics ("
	"  stage_run_id INTEGER NOT NULL"
	"    REFERENCES stage_runs(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  at INTEGER NOT NULL,"             /* ms since epoch, last update */
	"  PRIMARY KEY (stage_run_id, name)"
	") WITHOUT ROWID;"
	"ALTER TABLE stage_runs ADD COLUMN status_text TEXT;"
	"ALTER TABLE stage_runs ADD COLUMN progress REAL;"
	"CREATE INDEX log_lines_errors ON log_lines(stage_run_id, line_no)"
	"  WHERE is_error;"
	"CREATE TABLE stage_outputs ("
	"  stage_run_id INTEGER NOT NULL"
	"    REFERENCES stage_runs(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  size_bytes INTEGER NOT NULL,"
	"  mtime INTEGER NOT NULL,"          /* ms since epoch */
	"  PRIMARY KEY (stage_run_id, path)"
	") WITHOUT ROWID;",

	/* 3: probe results and the per-minute counts behind every SLI. */
	"CREATE TABLE probe_results ("
	"  probe TEXT NOT NULL,"             /* probe name */
	"  at INTEGER NOT NULL,"             /* ms since epoch, check start */
	"  ok INTEGER NOT NULL,"             /* 1 up, 0 down */
	"  latency_ms REAL,"                 /* NULL when not measured */
	"  detail TEXT,"                     /* why it failed, or a result */
	"  PRIMARY KEY (probe, at)"
	") WITHOUT ROWID;"
	"CREATE TABLE sli_minutes ("
	"  slo TEXT NOT NULL,"               /* SLO name */
	"  minute INTEGER NOT NULL,"         /* minutes since epoch, UTC */
	"  good INTEGER NOT NULL,"           /* good events in the minute */
	"  total INTEGER NOT NULL,"          /* all events in the minute */
	"  PRIMARY KEY (slo, minute)"
	") WITHOUT ROWID;",

	/* 4: supervision: schedules, retries, heartbeats, process identity. */
	"ALTER TABLE runs ADD COLUMN scheduled_at INTEGER;"  /* ms, slot */
	"ALTER TABLE stage_runs ADD COLUMN pid_start INTEGER;" /* clock ticks */
	"ALTER TABLE stage_runs ADD COLUMN fingerprint TEXT;"
	"ALTER TABLE stage_runs ADD COLUMN heartbeat_at INTEGER;" /* ms */
	"ALTER TABLE stage_runs ADD COLUMN retry_at INTEGER;" /* ms */
	"CREATE INDEX stage_runs_by_state ON stage_runs(state);"
	"CREATE TABLE control_audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"             /* ms since epoch */
	"  uid INTEGER,"                     /* caller, from SO_PEERCRED */
	"  pid INTEGER,"
	"  command TEXT NOT NULL,"
	"  args TEXT,"                       /* the request, as JSON */
	"  result TEXT"                      /* ok, or the error */
	");"
	"CREATE TABLE agent_state ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");",

	/* 5: alerts, their notifications, silences, audit and the outbox. */
	"CREATE TABLE alerts ("
	"  fingerprint TEXT PRIMARY KEY,"    /* 16 hex digits */
	"  source TEXT NOT NULL,"            /* stage_failed, probe_down, ... */
	"  severity TEXT NOT NULL,"          /* page, ticket, info */
	"  labels TEXT NOT NULL,"            /* JSON object of strings */
	"  summary TEXT NOT NULL,"
	"  details TEXT NOT NULL,"           /* last error lines, ... */
	"  budget_left REAL,"                /* fraction 0..1, NULL: none */
	"  link TEXT NOT NULL,"              /* path under the web base URL */
	"  state TEXT NOT NULL,"             /* pending, firing, resolved */
	"  active_since INTEGER NOT NULL,"   /* ms since epoch, UTC */
	"  fired_at INTEGER,"
	"  clear_since INTEGER,"             /* condition clear since */
	"  resolved_at INTEGER,"
	"  ack_uid INTEGER,"                 /* who acknowledged, or NULL */
	"  ack_at INTEGER,"
	"  ack_comment TEXT,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE INDEX alerts_by_state ON alerts(state, updated_at);"
	"CREATE TABLE alert_notifications ("
	"  fingerprint TEXT NOT NULL,"
	"  receiver TEXT NOT NULL,"
	"  state TEXT NOT NULL,"             /* firing or resolved, as sent */
	"  notified_at INTEGER NOT NULL,"    /* ms, when it was queued */
	"  PRIMARY KEY (fingerprint, receiver)"
	") WITHOUT ROWID;"
	"CREATE TABLE alert_silences ("
	"  id INTEGER PRIMARY KEY,"
	"  matchers TEXT NOT NULL,"          /* JSON array of matcher strings */
	"  starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"            /* who created it */
	"  comment TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expired_at INTEGER"               /* removed early, or NULL */
	");"
	"CREATE TABLE alert_audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"            /* ack, silence, unsilence */
	"  target TEXT NOT NULL,"            /* fingerprint or silence id */
	"  comment TEXT NOT NULL"
	");"
	"CREATE TABLE alert_outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  receiver TEXT NOT NULL,"
	"  group_key TEXT NOT NULL,"
	"  idempotency_key TEXT NOT NULL,"
	"  payload TEXT NOT NULL,"           /* the request body, as sent */
	"  created_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"             /* pending, sent, failed */
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  last_status INTEGER,"             /* HTTP status, 0: no answer */
	"  last_error TEXT,"
	"  sent_at INTEGER"
	");"
	"CREATE INDEX alert_outbox_pending ON alert_outbox(receiver, id)"
	"  WHERE state = 'pending';",

	/* 6: the current state of every probe and the push heartbeats. */
	"CREATE TABLE probe_state ("
	"  probe TEXT PRIMARY KEY,"           /* probe name */
	"  type TEXT NOT NULL,"               /* http, tcp, exec, ... */
	"  state TEXT NOT NULL,"              /* up, down, unknown */
	"  since INTEGER NOT NULL,"           /* ms since epoch, last change */
	"  checked_at INTEGER,"               /* ms since epoch, last result */
	"  ok INTEGER,"                       /* last result: 1 up, 0 down */
	"  latency_ms REAL,"                  /* of the last result */
	"  detail TEXT"                       /* of the last result */
	") WITHOUT ROWID;"
	"CREATE TABLE probe_push ("
	"  probe TEXT PRIMARY KEY,"           /* push probe name */
	"  token TEXT,"                       /* generated secret, or NULL */
	"  success_at INTEGER,"               /* ms since epoch, last success */
	"  start_at INTEGER,"                 /* ms since epoch, last start */
	"  fail_at INTEGER"                   /* ms since epoch, last failure */
	") WITHOUT ROWID;",

	/*
	 * 7: capped log capture and error signatures. A truncation marker is a
	 * log line whose dropped_lines and dropped_bytes count what was left
	 * out at its place. They are NULL on every other line.
	 */
	"ALTER TABLE log_lines ADD COLUMN dropped_lines INTEGER;"
	"ALTER TABLE log_lines ADD COLUMN dropped_bytes INTEGER;"
	"CREATE TABLE log_signatures ("
	"  id INTEGER PRIMARY KEY,"
	"  pipeline TEXT NOT NULL,"
	"  stage TEXT NOT NULL,"
	"  signature TEXT NOT NULL,"         /* the masked first line */
	"  count INTEGER NOT NULL,"          /* errors seen, all runs */
	"  first_seen INTEGER NOT NULL,"     /* ms since epoch */
	"  last_seen INTEGER NOT NULL,"      /* ms since epoch */
	"  sample TEXT NOT NULL,"            /* the latest line as written */
	"  last_stage_run_id INTEGER"
	"    REFERENCES stage_runs(id) ON DELETE SET NULL,"
	"  UNIQUE (pipeline, stage, signature)"
	");"
	"CREATE INDEX log_signatures_by_last_seen ON log_signatures(last_seen);"
	"CREATE TABLE log_signature_hits ("
	"  signature_id INTEGER NOT NULL"
	"    REFERENCES log_signatures(id) ON DELETE CASCADE,"
	"  stage_run_id INTEGER NOT NULL"
	"    REFERENCES stage_runs(id) ON DELETE CASCADE,"
	"  count INTEGER NOT NULL,"          /* errors in this stage run */
	"  first_at INTEGER NOT NULL,"       /* ms since epoch */
	"  last_at INTEGER NOT NULL,"        /* ms since epoch */
	"  PRIMARY KEY (signature_id, stage_run_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX log_signature_hits_by_time ON log_signature_hits(last_at);"
	"CREATE INDEX log_signature_hits_by_stage_run"
	"  ON log_signature_hits(stage_run_id);",

	/*
	 * 8: SLO accounting and evaluation: how far each SLO has counted its
	 * facts, the observed ages of freshness files, and one evaluation
	 * per SLO and minute. The partial index holds only impossible
	 * minutes, so that finding them costs nothing. sli_hours sums
	 * sli_minutes by hour for the long windows. Triggers keep it in
	 * step with every INSERT, UPDATE and DELETE, and with an INSERT OR
	 * REPLACE when PRAGMA recursive_triggers is on, as the SLO engine
	 * sets it. The other indexes serve the accounting's range queries
	 * over finished runs and stage runs.
	 */
	"CREATE TABLE slo_cursors ("
	"  slo TEXT PRIMARY KEY,"            /* SLO name */
	"  sli TEXT NOT NULL,"               /* SLI definition counted */
	"  done_until INTEGER NOT NULL,"     /* ms since epoch, counted up to */
	"  checked_minute INTEGER"           /* freshness: last minute judged */
	") WITHOUT ROWID;"
	"CREATE TABLE slo_file_checks ("
	"  slo TEXT NOT NULL,"               /* SLO name */
	"  minute INTEGER NOT NULL,"         /* first minute the mtime held */
	"  mtime INTEGER,"                   /* ms since epoch; NULL: missing */
	"  PRIMARY KEY (slo, minute)"
	") WITHOUT ROWID;"
	"CREATE TABLE slo_evaluations ("
	"  slo TEXT NOT NULL,"               /* SLO name */
	"  minute INTEGER NOT NULL,"         /* minutes since epoch, UTC */
	"  state TEXT NOT NULL,"             /* ok, no_data, ticket, page, ... */
	"  good INTEGER NOT NULL,"           /* good events in the window */
	"  total INTEGER NOT NULL,"          /* events in the window */
	"  sli REAL,"                        /* good / total; NULL: no data */
	"  budget_total REAL,"               /* bad events the budget allows */
	"  budget_consumed REAL,"            /* bad events in the window */
	"  budget_remaining REAL,"           /* fraction left, < 0 overspent */
	"  burn_5m REAL,"                    /* burn rates; NULL: no data */
	"  burn_30m REAL,"
	"  burn_1h REAL,"
	"  burn_2h REAL,"
	"  burn_6h REAL,"
	"  burn_1d REAL,"
	"  burn_3d REAL,"
	"  detail TEXT,"                     /* why there is no figure */
	"  PRIMARY KEY (slo, minute)"
	") WITHOUT ROWID;"
	"CREATE INDEX sli_minutes_invalid ON sli_minutes(slo, minute)"
	"  WHERE good > total OR good < 0 OR total < 0;"
	"CREATE TABLE sli_hours ("
	"  slo TEXT NOT NULL,"               /* SLO name */
	"  hour INTEGER NOT NULL,"           /* hours since epoch, UTC */
	"  good INTEGER NOT NULL,"           /* sums of its sli_minutes */
	"  total INTEGER NOT NULL,"
	"  invalid INTEGER NOT NULL,"        /* its impossible minutes */
	"  PRIMARY KEY (slo, hour)"
	") WITHOUT ROWID;"
	"INSERT INTO sli_hours SELECT slo, minute / 60, sum(good), sum(total),"
	"  sum(good > total OR good < 0 OR total < 0) FROM sli_minutes"
	"  GROUP BY 1, 2;"
	"CREATE TRIGGER sli_minutes_hours_insert AFTER INSERT ON sli_minutes"
	" BEGIN"
	"  INSERT INTO sli_hours VALUES (NEW.slo, NEW.minute / 60, NEW.good,"
	"    NEW.total, NEW.good > NEW.total OR NEW.good < 0 OR NEW.total < 0)"
	"  ON CONFLICT (slo, hour) DO UPDATE SET good = good + excluded.good,"
	"    total = total + excluded.total,"
	"    invalid = invalid + excluded.invalid;"
	" END;"
	"CREATE TRIGGER sli_minutes_hours_delete AFTER DELETE ON sli_minutes"
	" BEGIN"
	"  UPDATE sli_hours SET good = good - OLD.good,"
	"    total = total - OLD.total, invalid = invalid -"
	"    (OLD.good > OLD.total OR OLD.good < 0 OR OLD.total < 0)"
	"  WHERE slo = OLD.slo AND hour = OLD.minute / 60;"
	" END;"
	"CREATE TRIGGER sli_minutes_hours_update AFTER UPDATE ON sli_minutes"
	" BEGIN"
	"  UPDATE sli_hours SET good = good - OLD.good,"
	"    total = total - OLD.total, invalid = invalid -"
	"    (OLD.good > OLD.total OR OLD.good < 0 OR OLD.total < 0)"
	"  WHERE slo = OLD.slo AND hour = OLD.minute / 60;"
	"  INSERT INTO sli_hours VALUES (NEW.slo, NEW.minute / 60, NEW.good,"
	"    NEW.total, NEW.good > NEW.total OR NEW.good < 0 OR NEW.total < 0)"
	"  ON CONFLICT (slo, hour) DO UPDATE SET good = good + excluded.good,"
	"    total = total + excluded.total,"
	"    invalid = invalid + excluded.invalid;"
	" END;"
	"CREATE INDEX runs_by_end ON runs(pipeline, ended_at);"
	"CREATE INDEX runs_by_logical_date ON runs(pipeline, logical_date);"
	"CREATE INDEX stage_runs_by_end ON stage_runs(stage, ended_at);",

	/*
	 * 9: the history of incidents for retrospectives. The alerts table
	 * keeps one row per fingerprint, which the next firing of the same
	 * alert overwrites; alert_incidents keeps one row per firing, with
	 * its latest acknowledgement and resolution. The trigger runs after
	 * every write of an alert row (store_alert_put() uses INSERT OR
	 * REPLACE, which fires INSERT triggers).
	 */
	"CREATE TABLE alert_incidents ("
	"  fingerprint TEXT NOT NULL,"       /* the alert's fingerprint */
	"  fired_at INTEGER NOT NULL,"       /* ms since epoch, UTC */
	"  source TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  labels TEXT NOT NULL,"            /* JSON object of strings */
	"  summary TEXT NOT NULL,"
	"  link TEXT NOT NULL,"              /* path under the web base URL */
	"  state TEXT NOT NULL,"             /* firing or resolved */
	"  active_since INTEGER NOT NULL,"   /* condition active since */
	"  ack_at INTEGER,"                  /* acknowledged, or NULL */
	"  resolved_at INTEGER,"             /* resolved, or NULL */
	"  PRIMARY KEY (fingerprint, fired_at)"
	") WITHOUT ROWID;"
	"CREATE INDEX alert_incidents_by_time ON alert_incidents(fired_at);"
	"INSERT INTO alert_incidents SELECT fingerprint, fired_at, source,"
	"  severity, labels, summary, link, state, active_since, ack_at,"
	"  resolved_at FROM alerts WHERE fired_at IS NOT NULL AND fired_at > 0;"
	"CREATE TRIGGER alerts_incident AFTER INSERT ON alerts"
	"  WHEN NEW.fired_at IS NOT NULL AND NEW.fired_at > 0"
	" BEGIN"
	"  INSERT INTO alert_incidents VALUES (NEW.fingerprint, NEW.fired_at,"
	"    NEW.source, NEW.severity, NEW.labels, NEW.summary, NEW.link,"
	"    NEW.state, NEW.active_since, NEW.ack_at, NEW.resolved_at)"
	"  ON CONFLICT (fingerprint, fired_at) DO UPDATE SET"
	"    state = excluded.state, summary = excluded.summary,"
	"    ack_at = excluded.ack_at, resolved_at = excluded.resolved_at;"
	" END;",

	/*
	 * 10: how far the log files that stages set to on_restart "adopt"
	 * write themselves were read into log_lines, so that an agent that
	 * adopts such a stage after a restart goes on where the last commit
	 * ended.
	 */
	"CREATE TABLE log_file_offsets ("
	"  stage_run_id INTEGER NOT NULL"
	"    REFERENCES stage_runs(id) ON DELETE CASCADE,"
	"  stream INTEGER NOT NULL,"         /* 1 stdout, 2 stderr */
	"  stored_bytes INTEGER NOT NULL,"   /* bytes of the file stored */
	"  stored_lines INTEGER NOT NULL,"   /* complete lines in those bytes */
	"  PRIMARY KEY (stage_run_id, stream)"
	") WITHOUT ROWID;",

	/*
	 * 11: the runs the agent queued and has not started yet (overlap
	 * policy "queue", run-now, backfill), so that they outlive a restart
	 * and the read-only commands can list them. Lower ids start first.
	 */
	"CREATE TABLE run_queue ("
	"  id INTEGER PRIMARY KEY,"
	"  pipeline TEXT NOT NULL,"
	"  logical_date TEXT NOT NULL,"      /* YYYY-MM-DD */
	"  trigger TEXT NOT NULL,"           /* schedule, manual, backfill */
	"  scheduled_at INTEGER NOT NULL,"   /* slot, ms since epoch, 0: none */
	"  queued_at INTEGER NOT NULL"       /* ms since epoch, UTC */
	");"
	"CREATE INDEX run_queue_by_pipeline ON run_queue(pipeline, id);",

	/*
	 * New migrations go here, at the end: the version of a migration is
	 * its position in this array. Never edit or reorder one that shipped.
	 */
};

int
store_schema_count(void)
{
	return (int)(sizeof store_migrations / sizeof store_migrations[0]);
}

const char *
store_schema_migration(int version)
{
	if (version < 1 || version > store_schema_count())
		return NULL;
	return store_migrations[version - 1];
}
