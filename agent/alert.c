/*
 * The alert engine's lifecycle: alerts reported by sources, their state
 * in the store, acknowledgements, silences and the start-up
 * reconciliation. Routing and messages are in alert_match.c and
 * alert_notify.c, delivery in alert_deliver.c.
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert_format.h"
#include "agent/alert_int.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store_alerts.h"
#include "core/text.h"

static const char *const state_names[] = { "pending", "firing", "resolved" };

/* Labels shown in messages but left out of the fingerprint. */
static int
label_is_volatile(const char *name)
{
	return strcmp(name, "run") == 0 || strcmp(name, "attempt") == 0 ||
	    strcmp(name, "logical_date") == 0;
}

static int
label_name_ok(const char *name)
{
	size_t i;

	if (!isalpha((unsigned char)name[0]) && name[0] != '_')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	}
	return i < CFG_ALERT_LABEL_NAME_MAX;
}

int
alert_input_label(struct alert_input *in, const char *name, const char *value)
{
	struct alert_label *l;

	if (!label_name_ok(name))
		return WK_ERR_INVALID;
	if (in->n_labels == ALERT_LABELS_MAX)
		return WK_ERR_LIMIT;
	l = &in->labels[in->n_labels++];
	snprintf(l->name, sizeof l->name, "%s", name);
	text_sanitize(value, strlen(value), l->value, sizeof l->value);
	return WK_OK;
}

/* 64-bit FNV-1a over the bytes of s and a separator. */
static uint64_t
fnv_add(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	h ^= 0xff;
	return h * UINT64_C(0x100000001b3);
}

/* Index of the identifying label that sorts first after prev, or n. */
static size_t
next_label(const struct alert_input *in, const char *prev)
{
	size_t i, best = in->n_labels;

	for (i = 0; i < in->n_labels; i++) {
		const char *name = in->labels[i].name;

		if (label_is_volatile(name) ||
		    (prev != NULL && strcmp(name, prev) <= 0))
			continue;
		if (best == in->n_labels ||
		    strcmp(name, in->labels[best].name) < 0)
			best = i;
	}
	return best;
}

void
alert_fingerprint(const struct alert_input *in, char out[ALERT_FP_LEN + 1])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const char *prev = NULL;
	size_t i;

	h = fnv_add(h, (int)in->source >= 0 && in->source < ALERT_SRC_COUNT ?
	    cfg_alert_source_names[in->source] : "?");
	/* Labels in name order, so the order a source lists them in is moot. */
	while ((i = next_label(in, prev)) < in->n_labels) {
		h = fnv_add(h, in->labels[i].name);
		h = fnv_add(h, in->labels[i].value);
		prev = in->labels[i].name;
	}
	snprintf(out, ALERT_FP_LEN + 1, "%016llx", (unsigned long long)h);
}

static struct alert *
alert_find(struct alert_engine *e, const char *fp)
{
	size_t i;

	for (i = 0; i < e->n_alerts; i++) {
		if (strcmp(e->alerts[i].fp, fp) == 0)
			return &e->alerts[i];
	}
	return NULL;
}

/* Removes alert i from memory; its row stays in the store. */
static void
alert_drop(struct alert_engine *e, size_t i)
{
	free(e->alerts[i].details);
	e->alerts[i] = e->alerts[--e->n_alerts];
}

static struct alert *
alert_add(struct alert_engine *e, const char *fp)
{
	struct alert *a;

	if (e->n_alerts == ALERT_ACTIVE_MAX)
		return NULL;
	a = &e->alerts[e->n_alerts];
	memset(a, 0, sizeof *a);
	a->details = strdup("");
	if (a->details == NULL)
		return NULL;
	snprintf(a->fp, sizeof a->fp, "%s", fp);
	a->ack_uid = -1;
	a->budget_left = -1;
	e->n_alerts++;
	return a;
}

static json_t *
labels_json(const struct alert *a)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < a->n_labels; i++)
		json_object_set_new(o, a->labels[i].name,
		    json_string(a->labels[i].value));
	return o;
}

void
alert_persist(struct alert_engine *e, const struct alert *a, int64_t now)
{
	struct store_alert row;
	json_t *labels = labels_json(a);
	char *text = labels != NULL ? json_dumps(labels, JSON_COMPACT |
	    JSON_SORT_KEYS) : NULL;

	memset(&row, 0, sizeof row);
	row.fingerprint = a->fp;
	row.source = cfg_alert_source_names[a->source];
	row.severity = cfg_alert_severity_names[a->severity];
	row.labels = text != NULL ? text : "{}";
	row.summary = a->summary;
	row.details = a->details;
	row.link = a->link;
	row.state = state_names[a->state];
	row.ack_comment = a->ack_comment;
	row.budget_left = a->budget_left;
	row.active_since = a->active_since;
	row.fired_at = a->fired_at;
	row.clear_since = a->clear_since;
	row.resolved_at = a->resolved_at;
	row.ack_uid = a->ack_uid;
	row.ack_at = a->ack_at;
	row.updated_at = now;
	if (store_alert_put(e->store, &row) != WK_OK)
		LOG_IDS(LL_ERROR, (&(struct log_ids){ .alert = a->fp }),
		    _("cannot store the state of the alert; it is kept in "
		      "memory"));
	free(text);
	json_decref(labels);
}

/* Default link of an alert: the page of its run, probe or SLO. */
static void
default_link(const struct alert *a, char *out, size_t size)
{
	const char *v;

	/* NOTE: these paths assume the web pages /runs/ID, /probes/NAME and
	 * /slos/NAME; a source may pass its own link instead. */
	if ((v = alert_label_get(a, "run")) != NULL)
		snprintf(out, size, "/runs/%s", v);
	else if ((v = alert_label_get(a, "probe")) != NULL)
		snprintf(out, size, "/probes/%s", v);
	else if ((v = alert_label_get(a, "slo")) != NULL)
		snprintf(out, size, "/slos/%s", v);
	else
		snprintf(out, size, "/alerts");
}

/*
 * Copies the details, each line sanitized, cut to ALERT_DETAILS_MAX with
 * a marker. Returns 1 when they differ from the old ones.
 */
static int
set_details(struct alert *a, const char *details)
{
	struct buf b;
	char line[STORE_LOG_LINE_MAX];
	const char *p = details != NULL ? details : "", *end;
	int changed;

	buf_init(&b, ALERT_DETAILS_MAX);
	for (; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		text_sanitize(p, (size_t)(end - p), line, sizeof line);
		if (buf_printf(&b, "%s%s", b.len > 0 ? "\n" : "", line) !=
		    WK_OK) {
			/* The lines that fit are kept; the rest is cut. */
			break;
		}
	}
	changed = strcmp(a->details, b.data != NULL ? b.data : "") != 0;
	if (changed) {
		free(a->details);
		a->details = buf_detach(&b);
		if (a->details == NULL)
			a->details = strdup("");
	}
	buf_free(&b);
	return changed;
}

static int
labels_equal(const struct alert *a, const struct alert_input *in)
{
	size_t i;

	if (a->n_labels != in->n_labels)
		return 0;
	for (i = 0; i < a->n_labels; i++) {
		if (strcmp(a->labels[i].name, in->labels[i].name) != 0 ||
		    strcmp(a->labels[i].value, in->labels[i].value) != 0)
			return 0;
	}
	return 1;
}

/* Copies what a source reported; returns 1 when something changed. */
static int
alert_update(struct alert *a, const struct alert_input *in)
{
	char summary[ALERT_SUMMARY_MAX];
	const char *s = in->summary != NULL ? in->summary :
	    alert_source_title(in->source, "en");
	double budget = in->budget_left < 0 ? -1 : in->budget_left > 1 ? 1 :
	    in->budget_left;
	int changed;

	text_sanitize(s, strlen(s), summary, sizeof summary);
	changed = strcmp(summary, a->summary) != 0 ||
	    a->severity != in->severity || !labels_equal(a, in) ||
	    a->budget_left < budget || a->budget_left > budget;
	snprintf(a->summary, sizeof a->summary, "%s", summary);
	a->source = in->source;
	a->severity = in->severity;
	memcpy(a->labels, in->labels, in->n_labels * sizeof a->labels[0]);
	a->n_labels = in->n_labels;
	a->budget_left = budget;
	changed |= set_details(a, in->details);
	if (in->link != NULL)
		text_sanitize(in->link, strlen(in->link), a->link,
		    sizeof a->link);
	else
		default_link(a, a->link, sizeof a->link);
	return changed;
}

static int
input_valid(const struct alert_input *in)
{
	size_t i;

	if ((int)in->source < 0 || in->source >= ALERT_SRC_COUNT ||
	    (int)in->severity < 0 || in->severity >= ALERT_SEV_COUNT ||
	    in->n_labels > ALERT_LABELS_MAX || isnan(in->budget_left))
		return 0;
	for (i = 0; i < in->n_labels; i++) {
		if (!label_name_ok(in->labels[i].name) ||
		    memchr(in->labels[i].value, '\0',
		    sizeof in->labels[i].value) == NULL)
			return 0;
	}
	return 1;
}

static void
alert_fire(struct alert *a, int64_t at)
{
	a->state = ALERT_FIRING;
	a->fired_at = at;
	LOG_IDS(LL_WARN, (&(struct log_ids){ .alert = a->fp }),
	    _("alert %s firing: %s"), cfg_alert_source_names[a->source],
	    a->summary);
}

static void
alert_resolve(struct alert *a, int64_t at)
{
	char took[32];

	a->state = ALERT_RESOLVED;
	a->resolved_at = at;
	clk_format_duration(took, sizeof took, at - a->fired_at);
	LOG_IDS(LL_INFO, (&(struct log_ids){ .alert = a->fp }),
	    _("alert %s resolved after firing for %s"),
	    cfg_alert_source_names[a->source], took);
}

/* Starts a new firing cycle of a known alert. */
static void
alert_restart(struct alert *a, int64_t now)
{
	a->state = ALERT_PENDING;
	a->active_since = now;
	a->fired_at = 0;
	a->resolved_at = 0;
	a->clear_since = 0;
	a->ack_uid = -1;
	a->ack_at = 0;
	a->ack_comment[0] = '\0';
}

/* Applies a clear report; returns 1 when the state changed. */
static int
alert_clear(struct alert_engine *e, struct alert *a, int64_t now)
{
	int64_t wait = e->cfg->timing[a->source].resolve_after_ms;

	a->active = 0;
	if (a->state == ALERT_PENDING) {
		/* Never fired: it goes without a message. */
		a->state = ALERT_RESOLVED;
		a->resolved_at = now;
		return 1;
	}
	if (a->state != ALERT_FIRING || a->clear_since != 0)
		return 0;
	a->clear_since = now;
	if (wait == 0)
		alert_resolve(a, now);
	return 1;
}

/* Applies an active report; returns 1 when the state changed. */
static int
alert_activate(struct alert_engine *e, struct alert *a, int64_t now)
{
	int changed = !a->active || a->clear_since != 0;

	a->active = 1;
	a->clear_since = 0;
	if (a->state == ALERT_RESOLVED) {
		alert_restart(a, now);
		changed = 1;
	}
	if (a->state == ALERT_PENDING &&
	    e->cfg->timing[a->source].for_ms == 0) {
		alert_fire(a, now);
		changed = 1;
	}
	return changed;
}

int
alert_set(struct alert_engine *e, const struct alert_input *in, int active,
	  int64_t now)
{
	char fp[ALERT_FP_LEN + 1];
	struct alert *a;
	int changed = 0;

	if (!input_valid(in)) {
		LOG(LL_WARN, _("an alert report with an invalid source, "
		    "severity, label or budget was ignored"));
		return WK_ERR_INVALID;
	}
	alert_fingerprint(in, fp);
	a = alert_find(e, fp);
	if (a == NULL && !active)
		return WK_OK;
	if (a == NULL) {
		a = alert_add(e, fp);
		if (a == NULL) {
			LOG(LL_ERROR, _("%d alerts are held; the alert %s was "
			    "dropped"), ALERT_ACTIVE_MAX, fp);
			return WK_ERR_LIMIT;
		}
		alert_restart(a, now);
		changed = 1;
	}
	a->asserted = 1;
	if (active) {
		changed |= alert_update(a, in);
		changed |= alert_activate(e, a, now);
	} else {
		changed |= alert_clear(e, a, now);
	}
	if (changed) {
		alert_persist(e, a, now);
		alert_schedule(e, now);
	}
	return WK_OK;
}

/* Moves alerts whose "for" or "resolve_after" ended; returns next due. */
static int64_t
alert_advance(struct alert_engine *e, int64_t now)
{
	int64_t next = INT64_MAX, due;
	size_t i;

	for (i = 0; i < e->n_alerts; i++) {
		struct alert *a = &e->alerts[i];
		const struct cfg_alert_timing *t = &e->cfg->timing[a->source];

		if (a->state == ALERT_PENDING && a->active) {
			due = a->active_since + t->for_ms;
			if (now >= due) {
				alert_fire(a, due);
				alert_persist(e, a, now);
			} else if (due < next) {
				next = due;
			}
		} else if (a->state == ALERT_FIRING && !a->active &&
		    a->clear_since != 0) {
			due = a->clear_since + t->resolve_after_ms;
			if (now >= due) {
				alert_resolve(a, a->clear_since);
				alert_persist(e, a, now);
			} else if (due < next) {
				next = due;
			}
		}
	}
	return next;
}

/* Returns the next start or end of a silence after now. */
static int64_t
silences_next_change(const struct alert_engine *e, int64_t now)
{
	int64_t next = INT64_MAX;
	size_t i;

	for (i = 0; i < e->n_silences; i++) {
		const struct alert_silence_rule *s = &e->silences[i];

		if (s->starts_at > now && s->starts_at < next)
			next = s->starts_at;
		if (s->ends_at > now && s->ends_at < next)
			next = s->ends_at;
	}
	return next;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int64_t
alert_tick(struct alert_engine *e, int64_t now)
{
	int64_t next;

	if (!e->reconciled && now >= e->reconcile_at)
		alert_reconcile(e, now);
	next = alert_advance(e, now);
	alert_update_muted(e, now);
	next = min64(next, alert_notify(e, now));
	next = min64(next, silences_next_change(e, now));
	next = min64(next, alert_windows_next_change(e, now));
	if (!e->reconciled)
		next = min64(next, e->reconcile_at);
	return min64(next, now + ALERT_TICK_MAX_MS);
}

/* Run outcomes stay until a source clears them, even across restarts. */
static int
source_is_latched(enum alert_source s)
{
	return s == ALERT_SRC_STAGE_FAILED || s == ALERT_SRC_STAGE_TIMED_OUT ||
	    s == ALERT_SRC_STAGE_RETRYING || s == ALERT_SRC_QUALITY_GATE ||
	    s == ALERT_SRC_DEADLINE_MISSED;
}

void
alert_reconcile(struct alert_engine *e, int64_t now)
{
	size_t i;

	if (e->reconciled)
		return;
	e->reconciled = 1;
	for (i = 0; i < e->n_alerts; i++) {
		struct alert *a = &e->alerts[i];

		if (a->asserted || source_is_latched(a->source) ||
		    a->state == ALERT_RESOLVED)
			continue;
		LOG_IDS(LL_INFO, (&(struct log_ids){ .alert = a->fp }),
		    _("alert %s was not reported again after the start; it "
		      "is resolved"), cfg_alert_source_names[a->source]);
		a->active = 0;
		if (a->state == ALERT_PENDING) {
			a->state = ALERT_RESOLVED;
			a->resolved_at = now;
		} else {
			a->clear_since = a->clear_since != 0 ?
			    a->clear_since : now;
			alert_resolve(a, a->clear_since);
		}
		alert_persist(e, a, now);
	}
	alert_schedule(e, now);
}

/* Finds the held alert whose fingerprint starts with prefix. */
static int
find_prefix(struct alert_engine *e, const char *prefix, struct alert **out,
	    struct wk_err *err)
{
	size_t i, len = strlen(prefix), hits = 0;

	if (len < 4 || len > ALERT_FP_LEN)
		return wk_err_set(err, WK_ERR_INVALID, _("\"%s\" is not a "
		    "fingerprint; give 4 to 16 of its hex digits, as `watchkeep "
		    "alerts` shows them"), prefix);
	for (i = 0; i < e->n_alerts; i++) {
		if (e->alerts[i].state != ALERT_RESOLVED &&
		    strncmp(e->alerts[i].fp, prefix, len) == 0) {
			*out = &e->alerts[i];
			hits++;
		}
	}
	if (hits == 1)
		return WK_OK;
	if (hits == 0)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("no pending or "
		    "firing alert has a fingerprint starting with %s; list them "
		    "with `watchkeep alerts`"), prefix);
	return wk_err_set(err, WK_ERR_INVALID, _("%zu alerts have a "
	    "fingerprint starting with %s; give more digits"), hits, prefix);
}

int
alert_ack(struct alert_engine *e, const char *fp, int64_t uid,
	  const char *comment, int64_t now, struct wk_err *err)
{
	struct alert *a = NULL;
	int rc;

	rc = find_prefix(e, fp, &a, err);
	if (rc != WK_OK)
		return rc;

	a->ack_uid = uid;
	a->ack_at = now;
	text_sanitize(comment != NULL ? comment : "",
	    comment != NULL ? strlen(comment) : 0, a->ack_comment,
	    sizeof a->ack_comment);
	alert_persist(e, a, now);
	if (store_alert_audit(e->store, now, uid, "ack", a->fp,
	    a->ack_comment) != WK_OK)
		return wk_err_set(err, WK_ERR_STORE, _("the acknowledgement "
		    "of %s could not be audited in the store"), a->fp);
	LOG_IDS(LL_INFO, (&(struct log_ids){ .alert = a->fp }),
	    _("acknowledged by uid %lld: %s"), (long long)uid, a->ack_comment);
	return WK_OK;
}

/* Compiles matcher texts into a silence; err names a bad one. */
static int
silence_compile(const char *const *texts, size_t n,
		struct alert_silence_rule *s, struct wk_err *err)
{
	struct cfg_alert_matcher cm;
	const char *reason = NULL;
	size_t i, bad = 0;
	int rc;

	if (n == 0 || n > CFG_ALERT_MATCHERS_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("a silence needs 1 to "
		    "%d matchers such as stage=train"), CFG_ALERT_MATCHERS_MAX);
	for (i = 0; i < n; i++) {
		rc = cfg_alert_matcher_parse(texts[i], &cm, &reason, &bad);
		if (rc == WK_OK) {
			rc = alert_matcher_compile(&cm, &s->matchers[i]);
			reason = N_("invalid regular expression or value too "
			    "long");
		}
		cfg_alert_matcher_free(&cm);
		if (rc != WK_OK)
			return wk_err_set(err, WK_ERR_INVALID, _("invalid "
			    "matcher \"%s\": %s; write NAME=VALUE, NAME!=VALUE, "
			    "NAME=~REGEX or NAME!~REGEX"), texts[i], _(reason));
		s->n_matchers = i + 1;
	}
	return WK_OK;
}

static void
silence_free(struct alert_silence_rule *s)
{
	size_t i;

	for (i = 0; i < s->n_matchers; i++)
		alert_matcher_free(&s->matchers[i]);
}

static char *
matchers_json(const char *const *texts, size_t n)
{
	json_t *a = json_array();
	char *text;
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(texts[i]));
	text = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}

int
alert_silence(struct alert_engine *e, const char *const *matchers,
	      size_t n_matchers, int64_t starts_at, int64_t ends_at,
	      int64_t uid, const char *comment, int64_t now, int64_t *id,
	      struct wk_err *err)
{
	struct alert_silence_rule rule;
	struct store_silence row;
	char *text = NULL;
	int rc;

	memset(&rule, 0, sizeof rule);
	if (ends_at <= starts_at || ends_at <= now ||
	    ends_at - (starts_at > now ? starts_at : now) >
	    ALERT_SILENCE_MAX_MS)
		return wk_err_set(err, WK_ERR_INVALID, _("a silence must end "
		    "after it starts, in the future and at most 90 days "
		    "later"));
	if (e->n_silences == ALERT_SILENCES_MAX)
		return wk_err_set(err, WK_ERR_LIMIT, _("%d silences are "
		    "active; remove one first"), ALERT_SILENCES_MAX);
	rc = silence_compile(matchers, n_matchers, &rule, err);
	if (rc != WK_OK)
		goto out;

	text = matchers_json(matchers, n_matchers);
	memset(&row, 0, sizeof row);
	row.matchers = text != NULL ? text : "[]";
	row.comment = comment != NULL ? comment : "";
	row.starts_at = rule.starts_at = starts_at;
	row.ends_at = rule.ends_at = ends_at;
	row.uid = uid;
	row.created_at = now;
	rc = store_silence_add(e->store, &row);
	if (rc == WK_OK)
		rc = store_alert_audit(e->store, now, uid, "silence",
		    row.matchers, row.comment);
	if (rc != WK_OK) {
		wk_err_set(err, rc, _("the silence could not be stored"));
		goto out;
	}
	rule.id = *id = row.id;
	e->silences[e->n_silences++] = rule;
	rule.n_matchers = 0;
	alert_schedule(e, now);
out:
	silence_free(&rule);
	free(text);
	return rc;
}

int
alert_unsilence(struct alert_engine *e, int64_t id, int64_t uid,
		const char *comment, int64_t now, struct wk_err *err)
{
	char target[32];
	size_t i;
	int rc;

	rc = store_silence_expire(e->store, id, now);
	if (rc == WK_ERR_NOTFOUND)
		return wk_err_set(err, rc, _("no active silence has id %lld"),
		    (long long)id);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("silence %lld could not be "
		    "removed from the store"), (long long)id);
	snprintf(target, sizeof target, "%lld", (long long)id);
	store_alert_audit(e->store, now, uid, "unsilence", target, comment);
	for (i = 0; i < e->n_silences; i++) {
		if (e->silences[i].id == id) {
			silence_free(&e->silences[i]);
			e->silences[i] = e->silences[--e->n_silences];
			break;
		}
	}
	alert_schedule(e, now);
	return WK_OK;
}

void
alert_receiver_health(struct alert_engine *e, size_t receiver, int active,
		      const char *detail, int64_t now)
{
	const struct cfg_alert_receiver *r = &e->cfg->receivers[receiver];
	struct alert_input in;
	char summary[ALERT_SUMMARY_MAX];

	memset(&in, 0, sizeof in);
	in.source = ALERT_SRC_AGENT_HEALTH;
	in.severity = ALERT_SEV_PAGE;
	in.budget_left = -1;
	alert_input_label(&in, "component", "delivery");
	alert_input_label(&in, "receiver", r->name);
	snprintf(summary, sizeof summary, _("messages to receiver %s could "
	    "not be delivered"), r->name);
	in.summary = summary;
	in.details = detail;
	alert_set(e, &in, active, now);
}

/* ---- loading and the engine ---- */

static int
load_alert_row(const struct store_alert *row, void *arg)
{
	struct alert_engine *e = arg;
	json_t *labels = json_loads(row->labels, 0, NULL);
	const char *key;
	json_t *value;
	struct alert *a;
	int src = cfg_alert_source_find(row->source);
	int sev = cfg_alert_severity_find(row->severity);

	a = src >= 0 && sev >= 0 ? alert_add(e, row->fingerprint) : NULL;
	if (a == NULL) {
		json_decref(labels);
		return WK_OK;
	}
	a->source = (enum alert_source)src;
	a->severity = (enum alert_severity)sev;
	json_object_foreach(labels, key, value) {
		if (a->n_labels < ALERT_LABELS_MAX && json_is_string(value) &&
		    label_name_ok(key)) {
			snprintf(a->labels[a->n_labels].name,
			    sizeof a->labels[0].name, "%s", key);
			snprintf(a->labels[a->n_labels++].value,
			    sizeof a->labels[0].value, "%s",
			    json_string_value(value));
		}
	}
	json_decref(labels);
	snprintf(a->summary, sizeof a->summary, "%s", row->summary);
	set_details(a, row->details);
	snprintf(a->link, sizeof a->link, "%s", row->link);
	snprintf(a->ack_comment, sizeof a->ack_comment, "%s", row->ack_comment);
	a->state = strcmp(row->state, "pending") == 0 ? ALERT_PENDING :
	    strcmp(row->state, "firing") == 0 ? ALERT_FIRING : ALERT_RESOLVED;
	a->active = a->state != ALERT_RESOLVED && row->clear_since == 0;
	a->budget_left = row->budget_left;
	a->active_since = row->active_since;
	a->fired_at = row->fired_at;
	a->clear_since = row->clear_since;
	a->resolved_at = row->resolved_at;
	a->ack_uid = row->ack_uid;
	a->ack_at = row->ack_at;
	return WK_OK;
}

static int
load_notice(const char *fp, const char *receiver, const char *state,
	    int64_t at, void *arg)
{
	struct alert_engine *e = arg;
	struct alert *a = alert_find(e, fp);
	size_t r;

	for (r = 0; a != NULL && r < e->cfg->n_receivers; r++) {
		if (strcmp(e->cfg->receivers[r].name, receiver) == 0) {
			a->notices[r].notified = strcmp(state, "firing") == 0 ?
			    ALERT_NOTIFIED_FIRING : ALERT_NOTIFIED_RESOLVED;
			a->notices[r].at = at;
		}
	}
	return WK_OK;
}

static int
load_silence(const struct store_silence *s, void *arg)
{
	struct alert_engine *e = arg;
	struct alert_silence_rule rule;
	const char *texts[CFG_ALERT_MATCHERS_MAX];
	json_t *list = json_loads(s->matchers, 0, NULL);
	size_t i, n = json_array_size(list);

	memset(&rule, 0, sizeof rule);
	for (i = 0; i < n && i < CFG_ALERT_MATCHERS_MAX; i++)
		texts[i] = json_string_value(json_array_get(list, i));
	if (e->n_silences < ALERT_SILENCES_MAX && i == n &&
	    silence_compile(texts, n, &rule, NULL) == WK_OK) {
		rule.id = s->id;
		rule.starts_at = s->starts_at;
		rule.ends_at = s->ends_at;
		e->silences[e->n_silences++] = rule;
	} else {
		silence_free(&rule);
		LOG(LL_WARN, _("silence %lld in the store is unreadable and is "
		    "ignored"), (long long)s->id);
	}
	json_decref(list);
	return WK_OK;
}

static int
engine_load(struct alert_engine *e, int64_t now, struct wk_err *err)
{
	char alerts[48], silences[48];
	int rc;

	rc = store_alerts_each(e->store, 0, load_alert_row, e);
	if (rc == WK_OK)
		rc = store_alert_notifications_each(e->store, load_notice, e);
	if (rc == WK_OK)
		rc = store_silences_each(e->store, now, load_silence, e);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("cannot read the alerts from the "
		    "store %s"), store_path(e->store));
	if (e->n_alerts > 0) {
		snprintf(alerts, sizeof alerts, P_("%zu alert", "%zu alerts",
		    e->n_alerts), e->n_alerts);
		snprintf(silences, sizeof silences, P_("%zu silence",
		    "%zu silences", e->n_silences), e->n_silences);
		/* TRANSLATORS: the two %s are "N alerts" and "N silences". */
		LOG(LL_INFO, _("%s and %s restored from the store"), alerts,
		    silences);
	}
	return WK_OK;
}

int
alert_engine_new(const struct cfg_alerting *cfg, struct store *store,
		 int64_t now, struct alert_engine **out, struct wk_err *err)
{
	struct alert_engine *e;
	int rc;

	e = calloc(1, sizeof *e);
	if (e != NULL) {
		e->alerts = calloc(ALERT_ACTIVE_MAX, sizeof *e->alerts);
		e->groups = calloc(ALERT_GROUPS_MAX, sizeof *e->groups);
		e->silences = calloc(ALERT_SILENCES_MAX, sizeof *e->silences);
	}
	if (e == NULL || e->alerts == NULL || e->groups == NULL ||
	    e->silences == NULL) {
		alert_engine_free(e);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	e->cfg = cfg;
	e->store = store;
	e->reconcile_at = now + cfg->startup_grace_ms;
	rc = alert_match_init(e, err);
	if (rc == WK_OK)
		rc = engine_load(e, now, err);
	if (rc != WK_OK) {
		alert_engine_free(e);
		return rc;
	}
	*out = e;
	return WK_OK;
}

void
alert_engine_free(struct alert_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	alert_deliver_free(e->deliver);
	if (e->loop != NULL && e->timer != 0)
		ev_timer_cancel(e->loop, e->timer);
	for (i = 0; e->alerts != NULL && i < e->n_alerts; i++)
		free(e->alerts[i].details);
	for (i = 0; e->silences != NULL && i < e->n_silences; i++)
		silence_free(&e->silences[i]);
	alert_match_free(e);
	free(e->alerts);
	free(e->groups);
	free(e->silences);
	free(e);
}

static void
engine_timer(struct ev_loop *loop, void *arg)
{
	struct alert_engine *e = arg;
	int64_t next;

	(void)loop;
	e->timer = 0;
	next = alert_tick(e, clk_wall_ms());
	alert_schedule(e, next);
}

void
alert_schedule(struct alert_engine *e, int64_t at)
{
	int64_t now;

	if (e->loop == NULL || (e->timer != 0 && e->timer_at <= at))
		return;
	if (e->timer != 0)
		ev_timer_cancel(e->loop, e->timer);
	now = clk_wall_ms();
	e->timer_at = at;
	e->timer = ev_timer_at(e->loop, clk_mono_ns() +
	    (at > now ? at - now : 0) * 1000000, engine_timer, e);
}

int
alert_engine_attach(struct alert_engine *e, struct ev_loop *loop,
		    struct wk_err *err)
{
	int rc;

	e->loop = loop;
	rc = alert_deliver_new(e, &e->deliver, err);
	if (rc != WK_OK)
		return rc;
	alert_schedule(e, clk_wall_ms());
	alert_deliver_kick(e->deliver);
	return WK_OK;
}

size_t
alert_engine_backlog(struct alert_engine *e)
{
	size_t n = 0, i;

	if (store_outbox_count(e->store, STORE_OUTBOX_PENDING, &n) != WK_OK)
		n = 0;
	for (i = 0; i < e->n_groups; i++)
		n += e->groups[i].changed_at != 0;
	return n;
}

void
alert_view_of(const struct alert *a, struct alert_view *v)
{
	memset(v, 0, sizeof *v);
	v->fingerprint = a->fp;
	v->source = a->source;
	v->severity = a->severity;
	v->labels = a->labels;
	v->n_labels = a->n_labels;
	v->summary = a->summary;
	v->details = a->details;
	v->budget_left = a->budget_left;
	v->link = a->link;
	v->firing = a->state != ALERT_RESOLVED;
	v->fired_at = a->fired_at;
	v->resolved_at = a->resolved_at;
	v->ack_uid = a->ack_uid;
	v->ack_comment = a->ack_comment;
}


void
alert_drop_done(struct alert_engine *e)
{
	size_t receivers[CFG_ALERT_RECEIVERS_MAX], n, i = 0, k;

	while (i < e->n_alerts) {
		struct alert *a = &e->alerts[i];
		int waiting = 0;

		n = a->state == ALERT_RESOLVED ? alert_route(e, a, receivers) : 0;
		for (k = 0; k < n; k++)
			waiting |= a->notices[receivers[k]].notified ==
			    ALERT_NOTIFIED_FIRING;
		if (a->state == ALERT_RESOLVED && !waiting)
			alert_drop(e, i);
		else
			i++;
	}
}
