/*
 * The push probe, for jobs that report themselves: the job calls a URL of
 * the agent's web server that carries the probe's secret token, and
 * probe_push_ping() records the call. The probe is down in three cases.
 * No success came within the period plus the grace, or by the next time
 * of the cron schedule plus the grace. The last call reported a failure.
 * A job that reported its start has not finished within the grace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/cron.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/tz.h"
#include "probes/impl.h"

#define PUSH_TOKEN_BYTES 20         /* random bytes of a generated token */
#define PUSH_REJECTED_LOG_EVERY 100  /* log one rejected ping in this many */

struct push_impl {
	char token[CFG_PROBE_TOKEN_MAX + 1];  /* the token a ping must carry */
	struct store_probe_push saved;        /* times of the last pings */
	struct cron cron;                     /* parsed schedule */
	struct tz *tz;                        /* owned zone of the schedule */
	int64_t ref_ms;                       /* wall ms the probe started */
	uint64_t rejected;                    /* pings with a wrong token */
};

/* Fills out with a new token of PUSH_TOKEN_BYTES random bytes in hex. */
static int
push_generate_token(char *out, size_t size)
{
	unsigned char bytes[PUSH_TOKEN_BYTES];
	size_t i;

	if (size < 2 * sizeof bytes + 1 ||
	    getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
		return WK_ERR_IO;
	for (i = 0; i < sizeof bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return WK_OK;
}

/* Takes the configured token, or the stored one, or generates one. */
static int
push_init_token(struct probe *p, struct push_impl *u, struct wk_err *err)
{
	struct store *store = p->engine->store;
	int have_saved;

	have_saved = store != NULL &&
	    store_probe_push_get(store, p->cfg->name, &u->saved) == WK_OK;
	if (p->cfg->push.token != NULL) {
		snprintf(u->token, sizeof u->token, "%s", p->cfg->push.token);
		u->saved.token[0] = '\0';
		return WK_OK;
	}
	if (have_saved && u->saved.token[0] != '\0') {
		snprintf(u->token, sizeof u->token, "%s", u->saved.token);
		return WK_OK;
	}
	if (push_generate_token(u->token, sizeof u->token) != WK_OK)
		return wk_err_set(err, WK_ERR_IO,
		    _("probe %s: cannot generate a push token; set \"token\" in the configuration"),
		    p->cfg->name);
	snprintf(u->saved.token, sizeof u->saved.token, "%s", u->token);
	if (store != NULL)
		store_probe_push_set(store, p->cfg->name, &u->saved);
	return WK_OK;
}

static void push_fini(struct probe *p);

static int
push_init(struct probe *p, struct wk_err *err)
{
	const struct cfg_probe_push *c = &p->cfg->push;
	struct push_impl *u = calloc(1, sizeof *u);
	const char *reason = NULL;
	size_t bad = 0;
	int rc;

	if (u == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	p->impl = u;
	u->ref_ms = clk_wall_ms();
	rc = push_init_token(p, u, err);
	if (rc == WK_OK && c->schedule != NULL &&
	    cron_parse(c->schedule, &u->cron, &bad, &reason) != WK_OK)
		rc = wk_err_set(err, WK_ERR_INVALID,
		    _("probe %s: invalid schedule \"%s\": %s"), p->cfg->name,
		    c->schedule, _(reason));
	if (rc == WK_OK && c->schedule != NULL)
		rc = tz_load(c->time_zone, &u->tz, err);
	if (rc != WK_OK)
		push_fini(p);
	return rc;
}

static void
push_fini(struct probe *p)
{
	struct push_impl *u = p->impl;

	if (u == NULL)
		return;
	tz_free(u->tz);
	free(u);
	p->impl = NULL;
}

/* Returns the wall ms by which the next success ping is due after ref. */
static int64_t
push_deadline(const struct probe *p, const struct push_impl *u, int64_t ref)
{
	const struct cfg_probe_push *c = &p->cfg->push;
	int64_t next_s = 0;

	if (c->schedule == NULL)
		return ref + c->period_ms + c->grace_ms;
	if (cron_next(&u->cron, u->tz, ref / 1000, &next_s) != WK_OK)
		return INT64_MAX;
	return next_s * 1000 + c->grace_ms;
}

/* Evaluates the pings when the last one reported a success, or none came. */
static void
push_check_deadline(struct probe *p, const struct push_impl *u, int64_t now)
{
	int64_t ref = u->saved.success_at > 0 ? u->saved.success_at : u->ref_ms;
	int64_t deadline = push_deadline(p, u, ref);
	char last[40], due[40];

	if (deadline == INT64_MAX) {
		probe_report(p, 1, -1, _("the schedule has no run in the next %d years"),
		    CRON_SEARCH_YEARS);
		return;
	}
	clk_format_utc(last, sizeof last, ref);
	clk_format_utc(due, sizeof due, deadline);
	if (now > deadline && u->saved.success_at > 0)
		probe_report(p, 0, -1, _("no success ping since %s; one was due by %s"),
		    last, due);
	else if (now > deadline)
		probe_report(p, 0, -1, _("no ping since the probe started at %s; one was due by %s"),
		    last, due);
	else if (u->saved.success_at > 0)
		probe_report(p, 1, -1, _("last success ping at %s; next due by %s"),
		    last, due);
	else
		probe_report(p, 1, -1, _("waiting for the first ping, due by %s"),
		    due);
}

static void
push_start(struct probe *p)
{
	const struct push_impl *u = p->impl;
	const struct store_probe_push *s = &u->saved;
	int64_t now = clk_wall_ms(), grace = p->cfg->push.grace_ms;
	char at[40];

	if (s->fail_at > s->success_at && s->fail_at >= s->start_at) {
		clk_format_utc(at, sizeof at, s->fail_at);
		probe_report(p, 0, -1, _("the job reported a failure at %s"), at);
		return;
	}
	if (s->start_at > s->success_at && s->start_at > s->fail_at) {
		clk_format_utc(at, sizeof at, s->start_at);
		if (now > s->start_at + grace)
			probe_report(p, 0, -1, _("the job started at %s and did not report its end within the grace time"),
			    at);
		else
			probe_report(p, 1, -1, _("the job is running since %s"),
			    at);
		return;
	}
	push_check_deadline(p, u, now);
}

/* Compares two tokens in a time that does not depend on where they differ. */
static int
push_token_equal(const char *given, const char *expected)
{
	size_t lg = strnlen(given, CFG_PROBE_TOKEN_MAX + 1);
	size_t le = strlen(expected), i;
	unsigned diff = lg != le;

	for (i = 0; i < CFG_PROBE_TOKEN_MAX; i++) {
		unsigned char a = i < lg ? (unsigned char)given[i] : 0;
		unsigned char b = i < le ? (unsigned char)expected[i] : 0;

		diff |= (unsigned)(a ^ b);
	}
	return diff == 0;
}

static int64_t
push_latest(const struct store_probe_push *s)
{
	int64_t latest = s->success_at;

	if (s->start_at > latest)
		latest = s->start_at;
	return s->fail_at > latest ? s->fail_at : latest;
}

int
probe_push_handle(struct probe *p, const char *token, enum probe_ping kind)
{
	struct push_impl *u = p->impl;
	struct log_ids ids = { .probe = p->cfg->name };
	int64_t now = clk_wall_ms();

	if (token == NULL || !push_token_equal(token, u->token)) {
		if (u->rejected++ % PUSH_REJECTED_LOG_EVERY == 0)
			LOG_IDS(LL_WARN, &ids, _("push ping with a wrong token rejected (%llu so far)"),
			    (unsigned long long)u->rejected);
		return WK_ERR_INVALID;
	}
	/* Later pings get later times, so that their order is never a tie. */
	if (now <= push_latest(&u->saved))
		now = push_latest(&u->saved) + 1;
	if (kind == PROBE_PING_START)
		u->saved.start_at = now;
	else if (kind == PROBE_PING_FAIL)
		u->saved.fail_at = now;
	else
		u->saved.success_at = now;
	if (p->engine->store != NULL)
		store_probe_push_set(p->engine->store, p->cfg->name, &u->saved);
	LOG_IDS(LL_DEBUG, &ids, _("push ping: %s"), kind == PROBE_PING_START ?
	    "start" : kind == PROBE_PING_FAIL ? "fail" : "success");
	probe_check_now(p);
	return WK_OK;
}

void
probe_push_import(struct probe *p, struct store *store)
{
	struct push_impl *u = p->impl;
	struct store_probe_push saved;

	if (store_probe_push_get(store, p->cfg->name, &saved) != WK_OK)
		return;
	u->saved.success_at = saved.success_at;
	u->saved.start_at = saved.start_at;
	u->saved.fail_at = saved.fail_at;
	if (p->cfg->push.token == NULL && saved.token[0] != '\0')
		snprintf(u->token, sizeof u->token, "%s", saved.token);
}

const char *
probe_push_current_token(const struct probe *p)
{
	const struct push_impl *u = p->impl;

	return u->token;
}

const struct probe_type_ops probe_push_ops = {
	push_init, push_start, NULL, push_fini
};
