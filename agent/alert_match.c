/*
 * Label matching of the alert engine: routes, silences, maintenance
 * windows, the built-in inhibition rules and group keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert_int.h"
#include "core/i18n.h"
#include "core/log.h"

int
alert_matcher_compile(const struct cfg_alert_matcher *cm,
		      struct alert_matcher *m)
{
	char anchored[ALERT_LABEL_VALUE_MAX * 2 + 8];

	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", cm->name);
	m->op = cm->op;
	if (cm->op == CFG_ALERT_EQ || cm->op == CFG_ALERT_NE) {
		if (strlen(cm->value) >= sizeof m->value)
			return WK_ERR_INVALID;
		snprintf(m->value, sizeof m->value, "%s", cm->value);
		return WK_OK;
	}
	if ((size_t)snprintf(anchored, sizeof anchored, "^(%s)$", cm->value) >=
	    sizeof anchored ||
	    regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
		return WK_ERR_INVALID;
	m->has_re = 1;
	return WK_OK;
}

void
alert_matcher_free(struct alert_matcher *m)
{
	if (m->has_re)
		regfree(&m->re);
	m->has_re = 0;
}

const char *
alert_label_get(const struct alert *a, const char *name)
{
	size_t i;

	if (strcmp(name, "source") == 0)
		return cfg_alert_source_names[a->source];
	if (strcmp(name, "severity") == 0)
		return cfg_alert_severity_names[a->severity];
	for (i = 0; i < a->n_labels; i++) {
		if (strcmp(a->labels[i].name, name) == 0)
			return a->labels[i].value;
	}
	return NULL;
}

/* A missing label matches as the empty string, as in Alertmanager. */
static int
matcher_matches(const struct alert *a, const struct alert_matcher *m)
{
	const char *v = alert_label_get(a, m->name);
	int hit;

	if (v == NULL)
		v = "";
	switch (m->op) {
	case CFG_ALERT_EQ:
		return strcmp(v, m->value) == 0;
	case CFG_ALERT_NE:
		return strcmp(v, m->value) != 0;
	case CFG_ALERT_RE:
	case CFG_ALERT_NRE:
	default:
		hit = regexec(&m->re, v, 0, NULL, 0) == 0;
		return m->op == CFG_ALERT_RE ? hit : !hit;
	}
}

int
alert_matches(const struct alert *a, const struct alert_matcher *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!matcher_matches(a, &m[i]))
			return 0;
	}
	return 1;
}

int
alert_match_init(struct alert_engine *e, struct wk_err *err)
{
	const struct cfg_alerting *c = e->cfg;
	const char *reason = NULL;
	size_t i, k, bad;

	for (i = 0; i < c->n_routes; i++) {
		for (k = 0; k < c->routes[i].n_matchers; k++) {
			if (alert_matcher_compile(&c->routes[i].matchers[k],
			    &e->route_matchers[i][k]) != WK_OK)
				return wk_err_set(err, WK_ERR_INVALID,
				    _("matcher %zu of route %zu does not "
				      "compile; fix it in the configuration"),
				    k + 1, i + 1);
		}
	}
	for (i = 0; i < c->n_windows; i++) {
		const struct cfg_alert_window *w = &c->windows[i];

		for (k = 0; k < w->n_matchers; k++) {
			if (alert_matcher_compile(&w->matchers[k],
			    &e->window_matchers[i][k]) != WK_OK)
				return wk_err_set(err, WK_ERR_INVALID,
				    _("matcher %zu of maintenance window %s "
				      "does not compile"), k + 1, w->name);
		}
		if (w->cron == NULL)
			continue;
		if (cron_parse(w->cron, &e->window_cron[i], &bad, &reason) !=
		    WK_OK || tz_load(w->time_zone, &e->window_tz[i], err) !=
		    WK_OK)
			return wk_err_set(err, WK_ERR_INVALID,
			    _("maintenance window %s: invalid schedule or "
			      "time zone"), w->name);
	}
	return WK_OK;
}

void
alert_match_free(struct alert_engine *e)
{
	size_t i, k;

	for (i = 0; i < CFG_ALERT_ROUTES_MAX; i++) {
		for (k = 0; k < CFG_ALERT_MATCHERS_MAX; k++)
			alert_matcher_free(&e->route_matchers[i][k]);
	}
	for (i = 0; i < CFG_ALERT_WINDOWS_MAX; i++) {
		for (k = 0; k < CFG_ALERT_MATCHERS_MAX; k++)
			alert_matcher_free(&e->window_matchers[i][k]);
		tz_free(e->window_tz[i]);
		e->window_tz[i] = NULL;
	}
}

/*
 * Sets *start to the opening of window i that contains now, if one does.
 * A cron window opens at each scheduled time and stays open duration_ms.
 */
static int
window_open(const struct alert_engine *e, size_t i, int64_t now,
	    int64_t *start)
{
	const struct cfg_alert_window *w = &e->cfg->windows[i];
	int64_t next;

	if (w->cron == NULL) {
		*start = w->starts_at;
		return w->starts_at <= now && now < w->ends_at;
	}
	if (e->window_tz[i] == NULL ||
	    cron_next(&e->window_cron[i], e->window_tz[i],
	    (now - w->duration_ms) / 1000, &next) != WK_OK)
		return 0;
	*start = next * 1000;
	return *start <= now;
}

int64_t
alert_windows_next_change(const struct alert_engine *e, int64_t now)
{
	const struct cfg_alerting *c = e->cfg;
	int64_t best = INT64_MAX, start, next, at;
	size_t i;

	for (i = 0; i < c->n_windows; i++) {
		const struct cfg_alert_window *w = &c->windows[i];

		if (window_open(e, i, now, &start))
			at = w->cron != NULL ? start + w->duration_ms : w->ends_at;
		else if (w->cron == NULL)
			at = w->starts_at > now ? w->starts_at : INT64_MAX;
		else
			at = e->window_tz[i] != NULL &&
			    cron_next(&e->window_cron[i], e->window_tz[i],
			    now / 1000, &next) == WK_OK ? next * 1000 :
			    INT64_MAX;
		if (at < best)
			best = at;
	}
	return best;
}

static int
in_window(const struct alert_engine *e, const struct alert *a, int64_t now)
{
	int64_t start;
	size_t i;

	for (i = 0; i < e->cfg->n_windows; i++) {
		if (window_open(e, i, now, &start) &&
		    alert_matches(a, e->window_matchers[i],
		    e->cfg->windows[i].n_matchers))
			return 1;
	}
	return 0;
}

static int
silenced(const struct alert_engine *e, const struct alert *a, int64_t now)
{
	size_t i;

	for (i = 0; i < e->n_silences; i++) {
		const struct alert_silence_rule *s = &e->silences[i];

		if (s->starts_at <= now && now < s->ends_at &&
		    alert_matches(a, s->matchers, s->n_matchers))
			return 1;
	}
	return 0;
}

/* Tells whether both alerts have the label and its values are equal. */
static int
same_label(const struct alert *x, const struct alert *y, const char *name)
{
	const char *vx = alert_label_get(x, name), *vy = alert_label_get(y, name);

	return vx != NULL && vy != NULL && strcmp(vx, vy) == 0;
}

/* Tells whether run labels agree, or one of the alerts has none. */
static int
same_run(const struct alert *x, const struct alert *y)
{
	return alert_label_get(x, "run") == NULL ||
	    alert_label_get(y, "run") == NULL || same_label(x, y, "run");
}

static int
is_run_failure(enum alert_source s)
{
	return s == ALERT_SRC_STAGE_FAILED || s == ALERT_SRC_STAGE_TIMED_OUT;
}

/*
 * The built-in inhibition rules: does firing alert s explain alert t?
 *  - a failed or timed-out stage explains the retries, the missed
 *    deadline and the missing data of its pipeline (same run, if both
 *    name one);
 *  - a failure of a whole run (no stage label) explains the alerts about
 *    single stages of that run;
 *  - a page about an SLO explains the ticket about the same SLO.
 */
static int
explains(const struct alert *s, const struct alert *t)
{
	if (s == t || s->state != ALERT_FIRING || !s->active)
		return 0;
	if (is_run_failure(s->source) && same_label(s, t, "pipeline") &&
	    same_run(s, t)) {
		if (t->source == ALERT_SRC_STAGE_RETRYING ||
		    t->source == ALERT_SRC_DEADLINE_MISSED ||
		    t->source == ALERT_SRC_NO_DATA)
			return 1;
		if (alert_label_get(s, "stage") == NULL &&
		    alert_label_get(t, "stage") != NULL &&
		    t->source != ALERT_SRC_AGENT_HEALTH)
			return 1;
	}
	return s->source == ALERT_SRC_SLO_PAGE &&
	    t->source == ALERT_SRC_SLO_TICKET && same_label(s, t, "slo");
}

static int
inhibited(const struct alert_engine *e, const struct alert *t)
{
	size_t i;

	if (!e->cfg->inhibit)
		return 0;
	for (i = 0; i < e->n_alerts; i++) {
		if (explains(&e->alerts[i], t))
			return 1;
	}
	return 0;
}

void
alert_update_muted(struct alert_engine *e, int64_t now)
{
	size_t i;

	for (i = 0; i < e->n_alerts; i++) {
		struct alert *a = &e->alerts[i];

		a->muted = silenced(e, a, now) || in_window(e, a, now) ||
		    inhibited(e, a);
	}
}

static void
add_receiver(size_t *out, size_t *n, size_t r)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (out[i] == r)
			return;
	}
	out[(*n)++] = r;
}

size_t
alert_route(const struct alert_engine *e, const struct alert *a, size_t *out)
{
	const struct cfg_alerting *c = e->cfg;
	const char *own = NULL;
	size_t i, k, n = 0, kept = 0;
	int matched = 0;

	for (i = 0; i < c->n_routes; i++) {
		if (!alert_matches(a, e->route_matchers[i],
		    c->routes[i].n_matchers))
			continue;
		matched = 1;
		for (k = 0; k < c->routes[i].n_receivers; k++)
			add_receiver(out, &n, c->routes[i].receivers[k]);
		if (!c->routes[i].cont)
			break;
	}
	for (k = 0; !matched && k < c->n_default_receivers; k++)
		add_receiver(out, &n, c->default_receivers[k]);

	/* A failing receiver is not notified of its own failure. */
	if (a->source == ALERT_SRC_AGENT_HEALTH)
		own = alert_label_get(a, "receiver");
	for (i = 0; i < n; i++) {
		if (own == NULL || strcmp(c->receivers[out[i]].name, own) != 0)
			out[kept++] = out[i];
	}
	return kept;
}

void
alert_group_key(const struct alert_engine *e, const struct alert *a,
		char *out, size_t size)
{
	size_t i, len = 0;
	const char *v;

	out[0] = '\0';
	for (i = 0; i < e->cfg->n_group_by && len < size; i++) {
		v = alert_label_get(a, e->cfg->group_by[i]);
		if (v == NULL)
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s=%s",
		    len > 0 ? "," : "", e->cfg->group_by[i], v);
	}
}
