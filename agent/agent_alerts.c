/*
 * The agent's alert sources: stage and run outcomes, missed deadlines,
 * growth forecasts and the agent's own health, turned into conditions of
 * the alert engine (agent/alert.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "agent/agent.h"
#include "agent/alert.h"
#include "core/forecast.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/tz.h"

#define AGENT_ALERT_ERROR_LINES 8      /* error lines in a message */
#define AGENT_HEALTH_INTERVAL_MS 60000  /* between health checks */
#define AGENT_FORECAST_INTERVAL_MS 3600000 /* between forecast checks */
#define AGENT_FORECAST_DAYS 14         /* warn this long before a limit */
#define AGENT_DISK_MIN_BYTES (INT64_C(1) << 30)
#define AGENT_DISK_MIN_FRACTION 0.05
#define AGENT_BACKLOG_MAX 100          /* undelivered messages */

/* Starts an input with the labels of a pipeline and, if any, stage. */
static void
agent_alert_input(struct alert_input *in, enum alert_source source,
		  enum alert_severity severity, const char *pipeline,
		  const char *stage, int64_t run_id)
{
	char run[24];

	memset(in, 0, sizeof *in);
	in->source = source;
	in->severity = severity;
	in->budget_left = -1;
	alert_input_label(in, "pipeline", pipeline);
	if (stage != NULL)
		alert_input_label(in, "stage", stage);
	if (run_id > 0) {
		snprintf(run, sizeof run, "%lld", (long long)run_id);
		alert_input_label(in, "run", run);
	}
}

/* Writes the last error lines of a stage run, one a line, into out. */
static void
agent_alert_details(struct agent *agent, int64_t stage_run_id, char *out,
		    size_t size)
{
	static struct store_log_line lines[64];
	size_t n = 0, i, first = 0, len = 0;

	out[0] = '\0';
	if (store_log_lines_get(agent->store, stage_run_id, 0, 1, 0, lines,
	    64, &n) != WK_OK || n == 0)
		return;
	if (n > AGENT_ALERT_ERROR_LINES)
		first = n - AGENT_ALERT_ERROR_LINES;
	for (i = first; i < n && len + 2 < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s\n",
		    lines[i].text);
}

static enum alert_source
agent_alert_source(const struct runner_stage_event *ev)
{
	if (strcmp(ev->state, STORE_STAGE_TIMED_OUT) == 0)
		return ALERT_SRC_STAGE_TIMED_OUT;
	if (ev->quality_gate)
		return ALERT_SRC_QUALITY_GATE;
	return ALERT_SRC_STAGE_FAILED;
}

/* Clears every outcome alert of a stage after it succeeded. */
static void
agent_alert_clear_stage(struct agent *agent, const char *pipeline,
			const char *stage, int64_t now)
{
	static const enum alert_source sources[] = {
		ALERT_SRC_STAGE_FAILED, ALERT_SRC_STAGE_TIMED_OUT,
		ALERT_SRC_QUALITY_GATE, ALERT_SRC_STAGE_RETRYING,
	};
	struct alert_input in;
	size_t i;

	for (i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		agent_alert_input(&in, sources[i], ALERT_SEV_PAGE, pipeline,
		    stage, 0);
		alert_set(agent->alerts, &in, 0, now);
	}
}

void
agent_alert_stage(struct agent *agent, struct runner *runner,
		  const struct runner_stage_event *ev)
{
	const char *pipeline = runner_pipeline(runner)->name;
	char summary[512], details[4096];
	int64_t now = clk_wall_ms();
	struct alert_input in;

	if (agent->alerts == NULL || strcmp(ev->state,
	    STORE_STAGE_NOT_RUN) == 0)
		return;
	if (strcmp(ev->state, STORE_STAGE_SUCCEEDED) == 0 ||
	    strcmp(ev->state, STORE_STAGE_SKIPPED) == 0) {
		agent_alert_clear_stage(agent, pipeline, ev->stage->name, now);
		return;
	}
	/* An operator who cancelled the run already knows, so no alert. */
	if (runner_cancelled(runner))
		return;
	agent_alert_details(agent, ev->stage_run_id, details, sizeof details);
	if (ev->will_retry) {
		agent_alert_input(&in, ALERT_SRC_STAGE_RETRYING,
		    ALERT_SEV_TICKET, pipeline, ev->stage->name,
		    runner_run_id(runner));
		snprintf(summary, sizeof summary, _("stage %s/%s attempt %d "
		    "failed (%s); retrying"), pipeline, ev->stage->name,
		    ev->attempt, ev->reason);
	} else {
		agent_alert_input(&in, agent_alert_source(ev), ALERT_SEV_PAGE,
		    pipeline, ev->stage->name, runner_run_id(runner));
		snprintf(summary, sizeof summary, P_("stage %s/%s failed after "
		    "%d attempt: %s", "stage %s/%s failed after %d attempts: %s",
		    (unsigned long)ev->attempt), pipeline, ev->stage->name,
		    ev->attempt, ev->reason);
	}
	in.summary = summary;
	in.details = details[0] != '\0' ? details : NULL;
	alert_set(agent->alerts, &in, 1, now);
}

void
agent_alert_run(struct agent *agent, struct runner *runner)
{
	const char *pipeline = runner_pipeline(runner)->name;
	char summary[512];
	struct store_run run;
	struct alert_input in;

	if (agent->alerts == NULL)
		return;
	agent_alert_input(&in, ALERT_SRC_STAGE_FAILED, ALERT_SEV_PAGE, pipeline,
	    NULL, runner_run_id(runner));
	if (runner_succeeded(runner)) {
		alert_set(agent->alerts, &in, 0, clk_wall_ms());
		return;
	}
	if (runner_cancelled(runner))
		return;
	if (store_run_get(agent->store, runner_run_id(runner), &run) == WK_OK)
		snprintf(summary, sizeof summary, _("run %lld of %s failed: %s"),
		    (long long)run.id, pipeline, run.reason);
	else
		snprintf(summary, sizeof summary, _("a run of %s failed"),
		    pipeline);
	in.summary = summary;
	alert_set(agent->alerts, &in, 1, clk_wall_ms());
}

/* The local minute of the day of a slot in the pipeline's zone. */
static int64_t
agent_slot_minute(const struct cfg_pipeline *p, int64_t slot_s)
{
	struct wk_err err = { 0, "" };
	struct tz_civil civil;
	struct tz *tz = NULL;

	if (tz_load(p->time_zone, &tz, &err) != WK_OK)
		return 0;
	tz_civil_at(tz, slot_s, &civil);
	tz_free(tz);
	return civil.hour * 60 + civil.minute;
}

/* A pending deadline check of one scheduled slot. */
struct agent_deadline {
	struct agent *agent;             /* not owned */
	char pipeline[CFG_NAME_MAX];     /* pipeline name */
	char logical_date[16];           /* the slot's date */
	int64_t slot_ms;                 /* the slot, ms since epoch */
};

/* Tells whether a run for the slot succeeded. */
static int
agent_slot_succeeded(struct agent *agent, const char *pipeline,
		     int64_t slot_ms)
{
	struct store_run runs[16];
	size_t n = 0, i;

	if (store_runs_recent(agent->store, pipeline, runs, 16, &n) != WK_OK)
		return 0;
	for (i = 0; i < n; i++) {
		if (strcmp(runs[i].logical_date, "") != 0 &&
		    strcmp(runs[i].state, STORE_RUN_SUCCEEDED) == 0 &&
		    runs[i].ended_at >= slot_ms)
			return 1;
	}
	return 0;
}

static void
agent_deadline_due(struct ev_loop *loop, void *arg)
{
	struct agent_deadline *d = arg;
	struct agent *agent = d->agent;
	struct alert_input in;
	char summary[256];

	(void)loop;
	if (agent->alerts != NULL &&
	    !agent_slot_succeeded(agent, d->pipeline, d->slot_ms)) {
		agent_alert_input(&in, ALERT_SRC_DEADLINE_MISSED,
		    ALERT_SEV_PAGE, d->pipeline, NULL, 0);
		snprintf(summary, sizeof summary, _("the run of %s for %s has "
		    "not succeeded by its deadline"), d->pipeline,
		    d->logical_date);
		in.summary = summary;
		alert_set(agent->alerts, &in, 1, clk_wall_ms());
		LOG(LL_ERROR, "%s", summary);
	}
	free(d);
}

void
agent_alert_slot(struct agent *agent, const struct cfg_pipeline *p,
		 int64_t slot_s, const char *logical_date)
{
	struct agent_deadline *d;
	int64_t budget, minutes, slot_minute;

	if (p->deadline_minute < 0)
		return;
	d = calloc(1, sizeof *d);
	if (d == NULL)
		return;
	d->agent = agent;
	d->slot_ms = slot_s * 1000;
	snprintf(d->pipeline, sizeof d->pipeline, "%s", p->name);
	snprintf(d->logical_date, sizeof d->logical_date, "%s", logical_date);
	slot_minute = agent_slot_minute(p, slot_s);
	minutes = (p->deadline_minute - slot_minute + 1440) % 1440;
	budget = (minutes == 0 ? 1440 : minutes) * 60000;
	ev_timer_at(agent->loop, clk_mono_ns() + (d->slot_ms + budget -
	    clk_wall_ms()) * 1000000, agent_deadline_due, d);
}

/* Warns about stages forecast to pass their timeout within two weeks. */
static void
agent_forecast_check(struct ev_loop *loop, void *arg)
{
	struct agent *agent = arg;
	const struct cfg *cfg = agent->acfg->cfg;
	int64_t now = clk_wall_ms(), horizon;
	struct alert_input in;
	struct forecast f;
	char summary[256], date[16];
	size_t i, k;

	horizon = now + AGENT_FORECAST_DAYS * CLK_MS_PER_DAY;
	for (i = 0; agent->alerts != NULL && i < cfg->n_pipelines; i++) {
		const struct cfg_pipeline *p = &cfg->pipelines[i];

		for (k = 0; k < p->n_stages; k++) {
			int soon;

			if (p->stages[k].timeout_ms == 0 ||
			    forecast_stage(agent->store, p->name,
			    &p->stages[k], now, &f) != WK_OK)
				continue;
			soon = f.outlook == TREND_ALREADY ||
			    (f.outlook == TREND_AT && f.reach_at <= horizon);
			agent_alert_input(&in, ALERT_SRC_GROWTH_FORECAST,
			    ALERT_SEV_TICKET, p->name, p->stages[k].name, 0);
			clk_format_date(date, sizeof date, (f.outlook ==
			    TREND_AT ? f.reach_at : now) / CLK_MS_PER_DAY);
			snprintf(summary, sizeof summary, _("stage %s/%s is "
			    "forecast to pass its timeout around %s"), p->name,
			    p->stages[k].name, date);
			in.summary = summary;
			alert_set(agent->alerts, &in, soon, now);
		}
	}
	ev_timer_at(loop, clk_mono_ns() + AGENT_FORECAST_INTERVAL_MS *
	    INT64_C(1000000), agent_forecast_check, agent);
}

/* Raises an agent health alert named by what, or clears it. */
static void
agent_health(struct agent *agent, const char *what, int active,
	     const char *summary)
{
	struct alert_input in;

	memset(&in, 0, sizeof in);
	in.source = ALERT_SRC_AGENT_HEALTH;
	in.severity = ALERT_SEV_TICKET;
	in.budget_left = -1;
	alert_input_label(&in, "check", what);
	in.summary = summary;
	alert_set(agent->alerts, &in, active, clk_wall_ms());
}

/* Checks the free space of the state directory and the outbox backlog. */
static void
agent_health_check(struct ev_loop *loop, void *arg)
{
	struct agent *agent = arg;
	char summary[256];
	struct statvfs vfs;
	int64_t free_bytes;
	size_t backlog;

	if (agent->alerts != NULL && statvfs(agent->sd.path, &vfs) == 0) {
		free_bytes = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
		snprintf(summary, sizeof summary, _("the disk of %s has %lld "
		    "MiB free"), agent->sd.path, (long long)(free_bytes >> 20));
		agent_health(agent, "disk", free_bytes < AGENT_DISK_MIN_BYTES ||
		    (double)vfs.f_bavail < AGENT_DISK_MIN_FRACTION *
		    (double)vfs.f_blocks, summary);
	}
	if (agent->alerts != NULL) {
		backlog = alert_engine_backlog(agent->alerts);
		snprintf(summary, sizeof summary, _("%zu alert messages wait "
		    "for delivery"), backlog);
		agent_health(agent, "outbox", backlog > AGENT_BACKLOG_MAX,
		    summary);
	}
	ev_timer_at(loop, clk_mono_ns() + AGENT_HEALTH_INTERVAL_MS *
	    INT64_C(1000000), agent_health_check, agent);
}

void
agent_alerts_stop(struct agent *agent)
{
	alert_engine_free(agent->alerts);
	agent->alerts = NULL;
	if (agent->alerts_cfg != NULL && --agent->alerts_cfg->refs == 0) {
		cfg_free(agent->alerts_cfg->cfg);
		free(agent->alerts_cfg);
	}
	agent->alerts_cfg = NULL;
}

/* Creates the engine on the current configuration and references it. */
static int
agent_alerts_engine(struct agent *agent)
{
	struct wk_err err = { 0, "" };

	if (alert_engine_new(&agent->acfg->cfg->alerting, agent->store,
	    clk_wall_ms(), &agent->alerts, &err) != WK_OK ||
	    alert_engine_attach(agent->alerts, agent->loop, &err) != WK_OK) {
		LOG(LL_ERROR, _("the alert engine did not start: %s; failures "
		    "are only logged and stored"), err.msg);
		alert_engine_free(agent->alerts);
		agent->alerts = NULL;
		return WK_ERR_STATE;
	}
	agent->alerts_cfg = agent->acfg;
	agent->acfg->refs++;
	return WK_OK;
}

void
agent_alerts_reload(struct agent *agent)
{
	agent_alerts_stop(agent);
	agent_alerts_engine(agent);
}

int
agent_alerts_start(struct agent *agent)
{
	if (agent_alerts_engine(agent) != WK_OK)
		return WK_ERR_STATE;
	if (!agent->local) {
		ev_timer_at(agent->loop, clk_mono_ns(), agent_health_check,
		    agent);
		ev_timer_at(agent->loop, clk_mono_ns() + 60 *
		    INT64_C(1000000000), agent_forecast_check, agent);
	}
	return WK_OK;
}
