/*
 * The arithmetic of SLO evaluation: the multiwindow alert table, its
 * scaling, burn rates, error budgets and the alert state. No I/O.
 *
 * The default table is the multiwindow, multi-burn-rate table that the
 * Google SRE Workbook (chapter "Alerting on SLOs") recommends for a
 * 30-day SLO. It pages when the 1h and 5m windows both burn faster than
 * 14.4 (2% of the budget spent in an hour) or the 6h and 30m windows
 * faster than 6 (5% in six hours). It opens a ticket when the 3d and 6h
 * windows burn faster than 1 (10% in three days).
 */
#include "core/slo_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"

/* One row of the Workbook's table for a 30-day SLO. */
struct slo_workbook_rule {
	int page;               /* 1 page, 0 ticket */
	int64_t long_minutes;   /* long window */
	int64_t short_minutes;  /* short window */
	double burn_rate;       /* threshold of both windows */
};

static const struct slo_workbook_rule slo_workbook[] = {
	{ 1, 60, 5, 14.4 },
	{ 1, 360, 30, 6.0 },
	{ 0, 4320, 360, 1.0 },
};

const int64_t slo_burn_minutes[SLO_BURN_WINDOWS] = {
	5, 30, 60, 120, 360, 1440, 4320
};

const char *const slo_burn_names[SLO_BURN_WINDOWS] = {
	"5m", "30m", "1h", "2h", "6h", "1d", "3d"
};

static const char *const slo_state_names[] = {
	[SLO_STATE_OK] = "ok",
	[SLO_STATE_NO_DATA] = "no_data",
	[SLO_STATE_TICKET] = "ticket",
	[SLO_STATE_PAGE] = "page",
	[SLO_STATE_DATA_ERROR] = "data_error",
};

const char *
slo_state_name(enum slo_state state)
{
	if ((size_t)state >= sizeof slo_state_names / sizeof slo_state_names[0])
		return "data_error";
	return slo_state_names[state];
}

int
slo_state_parse(const char *name, enum slo_state *state)
{
	size_t i;

	for (i = 0; i < sizeof slo_state_names / sizeof slo_state_names[0];
	     i++) {
		if (strcmp(name, slo_state_names[i]) == 0) {
			*state = (enum slo_state)i;
			return WK_OK;
		}
	}
	return WK_ERR_INVALID;
}

int64_t
slo_scale_minutes(int64_t w, int64_t window_minutes)
{
	int64_t scaled;

	if (window_minutes <= 0 || window_minutes == SLO_WORKBOOK_MINUTES)
		return w;
	scaled = (w * window_minutes + SLO_WORKBOOK_MINUTES / 2) /
	    SLO_WORKBOOK_MINUTES;
	return scaled < 1 ? 1 : scaled;
}

/* Appends the rules of one severity to rules[*n]. */
static void
slo_rules_add(struct slo_rule_eval *rules, size_t *n, int page,
	      const struct cfg_slo_rule *given, size_t n_given, int set,
	      int64_t window_minutes)
{
	size_t i;

	if (set) {
		for (i = 0; i < n_given && *n < SLO_RULES_MAX; i++, (*n)++) {
			memset(&rules[*n], 0, sizeof rules[*n]);
			rules[*n].page = page;
			rules[*n].long_minutes = given[i].long_minutes;
			rules[*n].short_minutes = given[i].short_minutes;
			rules[*n].threshold = given[i].burn_rate;
		}
		return;
	}
	for (i = 0; i < sizeof slo_workbook / sizeof slo_workbook[0]; i++) {
		if (slo_workbook[i].page != page || *n >= SLO_RULES_MAX)
			continue;
		memset(&rules[*n], 0, sizeof rules[*n]);
		rules[*n].page = page;
		rules[*n].long_minutes = slo_scale_minutes(
		    slo_workbook[i].long_minutes, window_minutes);
		rules[*n].short_minutes = slo_scale_minutes(
		    slo_workbook[i].short_minutes, window_minutes);
		rules[*n].threshold = slo_workbook[i].burn_rate;
		(*n)++;
	}
}

size_t
slo_rules_resolve(const struct cfg_slo *slo, struct slo_rule_eval *rules)
{
	const struct cfg_slo_alerting *a = &slo->alerting;
	size_t n = 0;

	slo_rules_add(rules, &n, 1, a->page, a->n_page, a->page_set,
	    slo->window_minutes);
	slo_rules_add(rules, &n, 0, a->ticket, a->n_ticket, a->ticket_set,
	    slo->window_minutes);
	return n;
}

int64_t
slo_keep_minutes(const struct cfg_slo *slo, const struct slo_rule_eval *rules,
		 size_t n_rules)
{
	int64_t keep = slo->window_minutes > 0 ? slo->window_minutes :
	    SLO_MONTH_KEEP_MINUTES;
	size_t i;

	if (keep < slo_burn_minutes[SLO_BURN_WINDOWS - 1])
		keep = slo_burn_minutes[SLO_BURN_WINDOWS - 1];
	for (i = 0; i < n_rules; i++) {
		if (keep < rules[i].long_minutes)
			keep = rules[i].long_minutes;
	}
	return keep + slo->timeslice_minutes + 60;
}

struct slo_num
slo_burn_rate(const struct slo_counts *c, double objective,
	      int64_t min_events)
{
	struct slo_num burn = { 0, 0.0 };
	double bad;

	if (c->invalid != 0 || c->total < min_events || c->total <= 0)
		return burn;
	bad = (double)(c->total - c->good) / (double)c->total;
	burn.known = 1;
	burn.value = bad / (1.0 - objective);
	return burn;
}

void
slo_slice_judge(int64_t good, int64_t total, int64_t invalid, double target,
		struct slo_counts *out)
{
	if (invalid != 0) {
		out->invalid++;
		return;
	}
	if (total <= 0)
		return;
	out->total++;
	/* The relative tolerance keeps 9 of 10 good at a target of 0.9. */
	if ((double)good >= target * (double)total * (1.0 - 1e-12))
		out->good++;
}

/* Returns 1 when any count of in has an invalid minute. */
static int
slo_input_invalid(const struct slo_eval_input *in, size_t n_rules)
{
	size_t i;

	if (in->window.invalid != 0)
		return 1;
	for (i = 0; i < SLO_BURN_WINDOWS; i++) {
		if (in->burn[i].invalid != 0)
			return 1;
	}
	for (i = 0; i < n_rules; i++) {
		if (in->rule_long[i].invalid != 0 ||
		    in->rule_short[i].invalid != 0)
			return 1;
	}
	return 0;
}

/* Fills the SLI and the budget of s, or writes in s->detail why not. */
static void
slo_fill_budget(const struct cfg_slo *slo, const struct slo_counts *w,
		struct slo_status *s)
{
	double bad = (double)(w->total - w->good);
	double allowed = (1.0 - slo->objective) * (double)w->total;

	if (w->total <= 0) {
		snprintf(s->detail, sizeof s->detail, "%s",
		    _("no events in the window"));
		return;
	}
	if (w->total < slo->min_events) {
		snprintf(s->detail, sizeof s->detail,
		    P_("%lld event in the window, fewer than min_events %lld",
		    "%lld events in the window, fewer than min_events %lld",
		    (unsigned long)w->total), (long long)w->total,
		    (long long)slo->min_events);
		return;
	}
	s->sli.known = 1;
	s->sli.value = (double)w->good / (double)w->total;
	s->budget_total.known = 1;
	s->budget_total.value = allowed;
	s->budget_consumed.known = 1;
	s->budget_consumed.value = bad;
	s->budget_remaining.known = 1;
	s->budget_remaining.value = 1.0 - bad / allowed;
	s->budget_exhausted = s->budget_remaining.value <= 0.0;
}

/* Copies the rules into s with their burn rates; returns the worst state. */
static enum slo_state
slo_fill_rules(const struct cfg_slo *slo, const struct slo_eval_input *in,
	       const struct slo_rule_eval *rules, size_t n_rules,
	       struct slo_status *s)
{
	enum slo_state worst = SLO_STATE_OK;
	size_t i;

	for (i = 0; i < n_rules && i < SLO_RULES_MAX; i++) {
		struct slo_rule_eval *r = &s->rules[i];

		*r = rules[i];
		r->long_burn = slo_burn_rate(&in->rule_long[i], slo->objective,
		    slo->min_events);
		r->short_burn = slo_burn_rate(&in->rule_short[i],
		    slo->objective, slo->min_events);
		r->firing = r->long_burn.known && r->short_burn.known &&
		    r->long_burn.value > r->threshold &&
		    r->short_burn.value > r->threshold;
		if (r->firing && r->page)
			worst = SLO_STATE_PAGE;
		else if (r->firing && worst == SLO_STATE_OK)
			worst = SLO_STATE_TICKET;
	}
	s->n_rules = i;
	return worst;
}

void
slo_status_fill(const struct cfg_slo *slo, const struct slo_eval_input *in,
		const struct slo_rule_eval *rules, size_t n_rules,
		struct slo_status *s)
{
	enum slo_state alert;
	size_t i;

	memset(&s->sli, 0, sizeof *s - offsetof(struct slo_status, sli));
	s->budget_exhausted = 0;
	s->good = in->window.good;
	s->total = in->window.total;
	if (slo_input_invalid(in, n_rules)) {
		s->state = SLO_STATE_DATA_ERROR;
		return;
	}

	slo_fill_budget(slo, &in->window, s);
	for (i = 0; i < SLO_BURN_WINDOWS; i++)
		s->burn[i] = slo_burn_rate(&in->burn[i], slo->objective,
		    slo->min_events);
	alert = slo_fill_rules(slo, in, rules, n_rules, s);
	if (alert != SLO_STATE_OK)
		s->state = alert;
	else if (!s->sli.known)
		s->state = SLO_STATE_NO_DATA;
	else
		s->state = SLO_STATE_OK;
}
