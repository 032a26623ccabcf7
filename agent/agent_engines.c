/*
 * The probe and SLO engines inside the agent: their start, their alerts,
 * the SLO tick every minute, a restart of both on a reload, and their
 * shutdown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/slo.h"
#include "probes/probe.h"

#define AGENT_SLO_TICK_MS 60000     /* SLOs are evaluated each minute */
#define AGENT_SLO_CATCH_UP_MS 1000  /* while history is left to count */
#define AGENT_PROBE_STOP_MS 2000    /* wait for stopped checks to end */

static void
agent_probe_changed(void *arg, const struct probe_status *status,
		    enum probe_state old_state)
{
	struct agent *agent = arg;
	char summary[PROBE_DETAIL_MAX + 128];
	struct alert_input in;

	(void)old_state;
	if (agent->alerts == NULL || status->state == PROBE_UNKNOWN)
		return;
	memset(&in, 0, sizeof in);
	in.source = ALERT_SRC_PROBE_DOWN;
	in.severity = ALERT_SEV_PAGE;
	in.budget_left = -1;
	alert_input_label(&in, "probe", status->name);
	alert_input_label(&in, "type", status->type);
	snprintf(summary, sizeof summary, _("probe %s (%s) is down: %s"),
	    status->name, status->type, status->detail);
	in.summary = summary;
	alert_set(agent->alerts, &in, status->state == PROBE_DOWN,
	    clk_wall_ms());
}

/* Raises or clears one SLO alert source for an SLO. */
static void
agent_slo_alert(struct agent *agent, const struct slo_status *st,
		enum alert_source source, enum alert_severity severity,
		int active, const char *summary)
{
	struct alert_input in;

	memset(&in, 0, sizeof in);
	in.source = source;
	in.severity = severity;
	in.budget_left = st->budget_remaining.known ?
	    st->budget_remaining.value : -1;
	alert_input_label(&in, "slo", st->name);
	in.summary = summary;
	alert_set(agent->alerts, &in, active, clk_wall_ms());
}

static void
agent_slo_changed(void *ctx, const struct slo_change *change)
{
	const struct slo_status *st = change->status;
	struct agent *agent = ctx;
	char summary[256];

	if (agent->alerts == NULL)
		return;
	snprintf(summary, sizeof summary, _("SLO %s burns its error budget "
	    "too fast (state %s)"), st->name, slo_state_name(st->state));
	agent_slo_alert(agent, st, ALERT_SRC_SLO_PAGE, ALERT_SEV_PAGE,
	    st->state == SLO_STATE_PAGE, summary);
	agent_slo_alert(agent, st, ALERT_SRC_SLO_TICKET, ALERT_SEV_TICKET,
	    st->state == SLO_STATE_TICKET || st->state == SLO_STATE_PAGE,
	    summary);
	snprintf(summary, sizeof summary, _("SLO %s has no data: %s"),
	    st->name, st->detail);
	agent_slo_alert(agent, st, ALERT_SRC_NO_DATA, ALERT_SEV_TICKET,
	    st->state == SLO_STATE_NO_DATA ||
	    st->state == SLO_STATE_DATA_ERROR, summary);
	snprintf(summary, sizeof summary, _("SLO %s has spent its error "
	    "budget"), st->name);
	agent_slo_alert(agent, st, ALERT_SRC_BUDGET_EXHAUSTED,
	    ALERT_SEV_TICKET, st->budget_exhausted, summary);
}

static void
agent_slo_tick(struct ev_loop *loop, void *arg)
{
	struct agent *agent = arg;
	int64_t next = AGENT_SLO_TICK_MS;

	agent->slo_timer = 0;
	if (agent->slos == NULL)
		return;
	if (slo_engine_tick(agent->slos, clk_wall_ms()) != WK_OK)
		LOG(LL_WARN, _("SLO evaluation failed; it runs again in a "
		    "minute"));
	if (slo_engine_backlog(agent->slos) > 0)
		next = AGENT_SLO_CATCH_UP_MS;
	agent->slo_timer = ev_timer_at(loop, clk_mono_ns() + next *
	    INT64_C(1000000), agent_slo_tick, agent);
}

/* Stops and frees the engines, letting stopped checks end first. */
static void
agent_engines_free(struct agent *agent)
{
	int64_t deadline = clk_mono_ns() + AGENT_PROBE_STOP_MS *
	    INT64_C(1000000);

	if (agent->slo_timer != 0)
		ev_timer_cancel(agent->loop, agent->slo_timer);
	agent->slo_timer = 0;
	slo_engine_free(agent->slos);
	agent->slos = NULL;
	if (agent->probes != NULL) {
		probe_engine_stop(agent->probes);
		while (probe_engine_busy(agent->probes) > 0 &&
		    clk_mono_ns() < deadline)
			ev_run_once(agent->loop, 50);
		probe_engine_free(agent->probes);
		agent->probes = NULL;
	}
	if (agent->engines_cfg != NULL && --agent->engines_cfg->refs == 0) {
		cfg_free(agent->engines_cfg->cfg);
		free(agent->engines_cfg);
	}
	agent->engines_cfg = NULL;
}

int
agent_engines_start(struct agent *agent)
{
	const struct cfg *cfg = agent->acfg->cfg;
	struct wk_err err = { 0, "" };
	int rc = WK_OK;

	agent->engines_cfg = agent->acfg;
	agent->acfg->refs++;
	agent->probes = probe_engine_new(agent->loop, agent->store, cfg, &err);
	if (agent->probes == NULL ||
	    probe_engine_listen(agent->probes, agent_probe_changed, agent) !=
	    WK_OK || probe_engine_start(agent->probes) != WK_OK) {
		LOG(LL_ERROR, _("the probes did not start: %s"), err.msg);
		rc = WK_ERR_STATE;
	}
	agent->slos = slo_engine_new(agent->store, cfg, &err);
	if (agent->slos == NULL) {
		LOG(LL_ERROR, _("the SLO engine did not start: %s"), err.msg);
		rc = WK_ERR_STATE;
	} else {
		slo_engine_set_listener(agent->slos, agent_slo_changed, agent);
		agent->slo_timer = ev_timer_at(agent->loop, clk_mono_ns(),
		    agent_slo_tick, agent);
	}
	return rc;
}

int
agent_engines_restart(struct agent *agent)
{
	agent_engines_free(agent);
	return agent_engines_start(agent);
}

void
agent_engines_stop(struct agent *agent)
{
	agent_engines_free(agent);
}
