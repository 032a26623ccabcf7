/* nftw() is an X/Open interface. */
#define _XOPEN_SOURCE 700

#include "retention.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store_alerts.h"

static int
retention_unlink(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes a run directory whose run is gone or ended before `before`. */
static int
retention_dir(struct store *store, const char *runs_dir, const char *name,
	      int64_t before)
{
	char path[PATH_MAX + 300], *end;
	struct store_run run;
	long long id = strtoll(name, &end, 10);

	if (*end != '\0' || id <= 0)
		return 0;
	if (store_run_get(store, id, &run) == WK_OK &&
	    (strcmp(run.state, STORE_RUN_RUNNING) == 0 ||
	    run.ended_at >= before))
		return 0;
	snprintf(path, sizeof path, "%s/%s", runs_dir, name);
	if (nftw(path, retention_unlink, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		LOG(LL_WARN, _("retention: cannot remove %s"), path);
		return 0;
	}
	return 1;
}

static size_t
retention_dirs(struct store *store, const char *state_dir, int64_t before)
{
	char runs_dir[PATH_MAX];
	struct dirent *entry;
	size_t removed = 0;
	DIR *dir;

	snprintf(runs_dir, sizeof runs_dir, "%s/runs", state_dir);
	dir = opendir(runs_dir);
	if (dir == NULL)
		return 0;
	while (removed < RETENTION_BATCH_DIRS &&
	    (entry = readdir(dir)) != NULL)
		removed += (size_t)retention_dir(store, runs_dir,
		    entry->d_name, before);
	closedir(dir);
	return removed;
}

/* The cut-off time for an age; an age of 0 keeps everything. */
static int64_t
retention_before(int64_t now_ms, int64_t age_ms)
{
	return age_ms > 0 ? now_ms - age_ms : INT64_MIN;
}

/* Logs what a pass removed, each count with its noun in the right form. */
static void
retention_log_removed(const struct retention_result *out)
{
	char runs[48], lines[48], dirs[48], rows[64];

	snprintf(runs, sizeof runs, P_("%zu run", "%zu runs", out->runs),
	    out->runs);
	snprintf(lines, sizeof lines, P_("%zu log line", "%zu log lines",
	    out->log_lines), out->log_lines);
	snprintf(dirs, sizeof dirs, P_("%zu run directory",
	    "%zu run directories", out->run_dirs), out->run_dirs);
	snprintf(rows, sizeof rows, P_("%zu row of alert history",
	    "%zu rows of alert history", out->alert_rows), out->alert_rows);
	/* TRANSLATORS: the four parts are the counts above. */
	LOG(LL_INFO, _("retention: removed %s, %s, %s and %s"), runs, lines,
	    dirs, rows);
}

int
retention_pass(struct store *store, const struct cfg *cfg,
	       const char *state_dir, int64_t now_ms,
	       struct retention_result *out)
{
	const struct cfg_retention *r = &cfg->retention;
	int64_t deadline = clk_mono_ns() + RETENTION_BUDGET_MS * INT64_C(1000000);
	int64_t ids[RETENTION_BATCH_RUNS];
	size_t n = RETENTION_BATCH_RUNS;
	int rc = WK_OK;

	memset(out, 0, sizeof *out);
	while (r->runs_ms > 0 && n == RETENTION_BATCH_RUNS &&
	    clk_mono_ns() < deadline && rc == WK_OK) {
		rc = store_prune_runs(store, now_ms - r->runs_ms, ids,
		    RETENTION_BATCH_RUNS, &n);
		out->runs += rc == WK_OK ? n : 0;
	}
	n = RETENTION_BATCH_LINES;
	while (r->logs_ms > 0 && n == RETENTION_BATCH_LINES &&
	    clk_mono_ns() < deadline && rc == WK_OK) {
		rc = store_prune_logs(store, now_ms - r->logs_ms,
		    RETENTION_BATCH_LINES, &n);
		out->log_lines += rc == WK_OK ? n : 0;
	}
	if (r->run_dirs_ms > 0 && rc == WK_OK)
		out->run_dirs = retention_dirs(store, state_dir, now_ms -
		    r->run_dirs_ms);
	n = 3 * RETENTION_BATCH_ALERTS;
	while ((r->notifications_ms > 0 || r->runs_ms > 0) &&
	    n >= RETENTION_BATCH_ALERTS && clk_mono_ns() < deadline &&
	    rc == WK_OK) {
		rc = store_prune_alert_history(store, retention_before(now_ms,
		    r->notifications_ms), retention_before(now_ms, r->runs_ms),
		    RETENTION_BATCH_ALERTS, &n);
		out->alert_rows += rc == WK_OK ? n : 0;
	}
	if (out->runs + out->log_lines + out->run_dirs + out->alert_rows > 0)
		retention_log_removed(out);
	return rc;
}
