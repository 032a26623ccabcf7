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
