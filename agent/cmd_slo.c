/*
 * `watchkeep slo`: the configured SLOs with their latest evaluation (SLI,
 * error budget, burn rates, alert state), read from the store without
 * writing it. The agent evaluates every SLO once a minute while it runs.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/cli.h"
#include "agent/statedir.h"
#include "core/clock.h"
#include "core/cfgcheck.h"
#include "core/config_slos.h"
#include "core/i18n.h"
#include "core/slo.h"
#include "core/slo_impl.h"
#include "core/store.h"

/* An evaluation older than this is marked as stale, in minutes. */
#define SLO_STALE_MINUTES 5
#define SLO_TEXT_MAX 512  /* bytes of one formatted line part */

struct slocli_opts {
	struct cli_common common;  /* shared options */
	const char *name;          /* only this SLO, or NULL */
};

static void
slocli_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep slo [NAME] [OPTIONS]\n"
	    "\n"
	    "Prints every configured SLO (or only NAME) with its latest\n"
	    "evaluation: the SLI over the SLO's window, the error budget left,\n"
	    "the burn rates over 5m, 30m, 1h, 2h, 6h, 1d and 3d, and the alert\n"
	    "state (ok, ticket, page, no_data or data_error). The running agent\n"
	    "evaluates every SLO once a minute; this command reads the store\n"
	    "and never writes it. docs/slo.md explains the figures.\n"
	    "\n"
	    "Options:\n"
	    "  --json              print a JSON array, with null for a missing figure\n"
	    "  -c, --config FILE   configuration with the SLOs (default: built in)\n"
	    "  --state-dir DIR     state directory\n"));
}

static int
slocli_parse(int argc, char **argv, struct slocli_opts *opts)
{
	int i, r;

	for (i = 1; i < argc; i++) {
		r = cli_common_option(&opts->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			slocli_help();
			return -1;
		}
		if (argv[i][0] == '-')
			return cli_usage_error("slo", _("unknown option %s"),
			    argv[i]);
		if (opts->name != NULL)
			return cli_usage_error("slo",
			    _("unexpected argument %s; give at most one SLO name"),
			    argv[i]);
		opts->name = argv[i];
	}
	return CLI_EXIT_OK;
}

/* Checks that NAME is a configured SLO; prints a hint when it is not. */
static int
slocli_check_name(const struct cfg *cfg, const char *name)
{
	const char *names[CFG_MAX_SLOS];
	const char *near;
	size_t i, n = cfg->slos != NULL ? cfg->slos->count : 0;

	if (cfg_find_slo(cfg, name) != NULL)
		return CLI_EXIT_OK;
	for (i = 0; i < n; i++)
		names[i] = cfg->slos->items[i].name;
	near = cfgcheck_nearest(name, names, n);
	if (near != NULL)
		return cli_usage_error("slo",
		    _("unknown SLO \"%s\" in %s; did you mean \"%s\"?"), name,
		    cfg->path, near);
	return cli_usage_error("slo",
	    _("unknown SLO \"%s\" in %s; run `watchkeep slo` to list the SLOs"),
	    name, cfg->path);
}

/*
 * Opens the store read-only into *store. A store that does not exist yet
 * leaves *store NULL: nothing was evaluated. Returns a CLI exit status.
 */
static int
slocli_open_store(const struct slocli_opts *opts, const struct cfg *cfg,
	       struct store **store)
{
	struct wk_err err = { 0, "" };
	struct statedir sd;
	struct stat sb;

	*store = NULL;
	if (statedir_resolve(&sd, opts->common.state_dir, cfg, &err) != WK_OK)
		goto fail;
	if (stat(sd.store_path, &sb) != 0 && errno == ENOENT)
		return CLI_EXIT_OK;
	if (store_open(sd.store_path, STORE_READ_ONLY, store, &err) == WK_OK)
		return CLI_EXIT_OK;
	if (err.rc == WK_ERR_NOTFOUND)
		return CLI_EXIT_OK;
fail:
	fprintf(stderr, "watchkeep: %s\n", err.msg);
	return CLI_EXIT_STATE;
}

/* Writes a window length in minutes as "30d", "6h" or "5m". */
static void
slocli_format_minutes(char *out, size_t size, int64_t minutes)
{
	if (minutes % 1440 == 0)
		snprintf(out, size, "%lldd", (long long)(minutes / 1440));
	else if (minutes % 60 == 0)
		snprintf(out, size, "%lldh", (long long)(minutes / 60));
	else
		snprintf(out, size, "%lldm", (long long)minutes);
}

/* Writes the SLO's window: "30d" or "month". */
static void
slocli_format_window(char *out, size_t size, const struct cfg_slo *slo)
{
	if (slo->window_minutes == 0)
		snprintf(out, size, "month");
	else
		slocli_format_minutes(out, size, slo->window_minutes);
}

/* Writes what the SLI counts as good, in one line. */
static void
slocli_describe_sli(char *out, size_t size, const struct cfg_sli *sli)
{
	char d[32];

	switch (sli->kind) {
	case CFG_SLI_RUN_SUCCESS:
		snprintf(out, size, _("runs of pipeline %s succeed"),
		    sli->pipeline);
		break;
	case CFG_SLI_STAGE_LATENCY:
		clk_format_duration(d, sizeof d, sli->threshold_ms);
		snprintf(out, size,
		    _("stage %s of pipeline %s succeeds within %s"),
		    sli->stage, sli->pipeline, d);
		break;
	case CFG_SLI_DEADLINE:
		snprintf(out, size,
		    _("pipeline %s succeeds by %02d:%02d %s each scheduled day"),
		    sli->pipeline, sli->deadline_minute / 60,
		    sli->deadline_minute % 60, sli->time_zone);
		break;
	case CFG_SLI_FRESHNESS:
		clk_format_duration(d, sizeof d, sli->max_age_ms);
		snprintf(out, size, _("%s is at most %s old, each minute"),
		    sli->path, d);
		break;
	case CFG_SLI_PROBE_AVAILABILITY:
		snprintf(out, size, _("probe %s succeeds"), sli->probe);
		break;
	case CFG_SLI_PROBE_LATENCY:
		clk_format_duration(d, sizeof d, sli->threshold_ms);
		snprintf(out, size, _("probe %s succeeds within %s"),
		    sli->probe, d);
		break;
	}
}

/* Returns a figure as JSON: a number, or null when it is missing. */
static json_t *
slocli_json_num(struct slo_num num)
{
	return num.known ? json_real(num.value) : json_null();
}

static json_t *
slocli_json_rules(const struct cfg_slo *slo)
{
	struct slo_rule_eval rules[SLO_RULES_MAX];
	size_t n = slo_rules_resolve(slo, rules), i;
	json_t *list = json_array();
	char lw[32], sw[32];

	for (i = 0; i < n; i++) {
		slocli_format_minutes(lw, sizeof lw, rules[i].long_minutes);
		slocli_format_minutes(sw, sizeof sw, rules[i].short_minutes);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:f}",
		    "severity", rules[i].page ? "page" : "ticket",
		    "long_window", lw, "short_window", sw, "burn_rate",
		    rules[i].threshold));
	}
	return list;
}

/* Adds the members of an evaluation to obj; s NULL: not evaluated. */
static void
slocli_json_status(json_t *obj, const struct slo_status *s)
{
	json_t *burn = json_object();
	char when[40];
	int i;

	for (i = 0; s != NULL && i < SLO_BURN_WINDOWS; i++)
		json_object_set_new(burn, slo_burn_names[i],
		    slocli_json_num(s->burn[i]));
	if (s == NULL) {
		json_object_set_new(obj, "evaluated_at", json_null());
		json_object_set_new(obj, "state", json_null());
		json_decref(burn);
		return;
	}
	clk_format_utc(when, sizeof when, s->minute * SLO_MINUTE_MS);
	json_object_set_new(obj, "evaluated_at", json_string(when));
	json_object_set_new(obj, "state",
	    json_string(slo_state_name(s->state)));
	json_object_set_new(obj, "good", json_integer(s->good));
	json_object_set_new(obj, "total", json_integer(s->total));
	json_object_set_new(obj, "sli_value", slocli_json_num(s->sli));
	json_object_set_new(obj, "budget", json_pack("{s:o, s:o, s:o, s:b}",
	    "allowed_bad", slocli_json_num(s->budget_total),
	    "bad", slocli_json_num(s->budget_consumed),
	    "remaining", slocli_json_num(s->budget_remaining),
	    "exhausted", s->budget_exhausted));
	json_object_set_new(obj, "burn_rates", burn);
	json_object_set_new(obj, "detail", s->detail[0] != '\0' ?
	    json_string(s->detail) : json_null());
}

static json_t *
slocli_json_one(const struct cfg_slo *slo, const struct slo_status *s)
{
	json_t *obj = json_object();
	char window[32], sli[SLO_TEXT_MAX];

	slocli_format_window(window, sizeof window, slo);
	slocli_describe_sli(sli, sizeof sli, &slo->sli);
	json_object_set_new(obj, "name", json_string(slo->name));
	json_object_set_new(obj, "description", slo->description != NULL ?
	    json_string(slo->description) : json_null());
	json_object_set_new(obj, "sli", json_pack("{s:s, s:s}", "kind",
	    cfg_sli_kind_name(slo->sli.kind), "good_when", sli));
	json_object_set_new(obj, "objective", json_real(slo->objective));
	json_object_set_new(obj, "window", json_string(window));
	json_object_set_new(obj, "time_zone", slo->time_zone != NULL ?
	    json_string(slo->time_zone) : json_null());
	json_object_set_new(obj, "budgeting_method", json_string(
	    slo->budgeting == CFG_BUDGET_TIMESLICES ? "timeslices" :
	    "occurrences"));
	json_object_set_new(obj, "min_events", json_integer(slo->min_events));
	json_object_set_new(obj, "alert_rules", slocli_json_rules(slo));
	slocli_json_status(obj, s);
	return obj;
}

/* Writes a figure: "%.Nf" of value * scale plus suffix, or "no data". */
static void
slocli_format_num(char *out, size_t size, struct slo_num num, double scale,
	       int decimals, const char *suffix)
{
	if (!num.known)
		snprintf(out, size, "%s", _("no data"));
	else
		snprintf(out, size, "%.*f%s", decimals, num.value * scale,
		    suffix);
}

/* Prints the state line, with the age of the evaluation. */
static void
slocli_print_state(const struct slo_status *s, int64_t now_minute)
{
	char when[40];

	clk_format_utc(when, sizeof when, s->minute * SLO_MINUTE_MS);
	printf(_("  %-12s %s, evaluated %s"), _("state"),
	    slo_state_name(s->state), when);
	if (now_minute - s->minute > SLO_STALE_MINUTES)
		printf(_(" (%lld minutes ago: is the agent running?)"),
		    (long long)(now_minute - s->minute));
	printf("\n");
}

/* Prints the SLI and the budget lines. */
static void
slocli_print_budget(const struct slo_status *s)
{
	char sli[64], left[64], bad[64], allowed[64];

	slocli_format_num(sli, sizeof sli, s->sli, 100.0, 3, "%");
	printf(P_("  %-12s %s (%lld of %lld event good)\n",
	    "  %-12s %s (%lld of %lld events good)\n",
	    (unsigned long)s->total), _("SLI"), sli,
	    (long long)s->good, (long long)s->total);
	slocli_format_num(left, sizeof left, s->budget_remaining, 100.0, 1, "%");
	if (!s->budget_remaining.known) {
		printf(_("  %-12s %s\n"), _("budget left"), left);
		return;
	}
	slocli_format_num(bad, sizeof bad, s->budget_consumed, 1.0, 0, "");
	slocli_format_num(allowed, sizeof allowed, s->budget_total, 1.0, 2, "");
	printf(_("  %-12s %s (%s bad of %s allowed)%s\n"), _("budget left"),
	    left, bad, allowed, s->budget_exhausted ? _(", exhausted") : "");
}

static void
slocli_print_burn(const struct slo_status *s)
{
	char burn[64];
	int i;

	printf(_("  %-12s"), _("burn rate"));
	for (i = 0; i < SLO_BURN_WINDOWS; i++) {
		slocli_format_num(burn, sizeof burn, s->burn[i], 1.0, 2, "");
		printf(" %s %s%s", slo_burn_names[i], burn,
		    i + 1 < SLO_BURN_WINDOWS ? "," : "\n");
	}
}

/* Prints the alert rules in one line. */
static void
slocli_print_rules(const struct cfg_slo *slo)
{
	struct slo_rule_eval rules[SLO_RULES_MAX];
	size_t n = slo_rules_resolve(slo, rules), i;
	char lw[32], sw[32];

	printf(_("  %-12s"), _("alerts"));
	if (n == 0)
		printf(" %s", _("none"));
	for (i = 0; i < n; i++) {
		slocli_format_minutes(lw, sizeof lw, rules[i].long_minutes);
		slocli_format_minutes(sw, sizeof sw, rules[i].short_minutes);
		printf(_(" %s when %s and %s burn above %g%s"),
		    rules[i].page ? _("page") : _("ticket"), lw, sw,
		    rules[i].threshold, i + 1 < n ? ";" : "");
	}
	printf("\n");
}

static void
slocli_print_one(const struct cfg_slo *slo, const struct slo_status *s,
	      int64_t now_minute)
{
	char window[300], sli[SLO_TEXT_MAX];

	slocli_format_window(window, sizeof window, slo);
	slocli_describe_sli(sli, sizeof sli, &slo->sli);
	printf("%s\n", slo->name);
	if (slo->description != NULL)
		printf("  %s\n", slo->description);
	if (slo->window_minutes == 0)
		snprintf(window, sizeof window, _("the calendar month in %s"),
		    slo->time_zone);
	printf(_("  %-12s %s: %s, %g%% over %s (%s)\n"), _("objective"),
	    cfg_sli_kind_name(slo->sli.kind), sli, slo->objective * 100.0,
	    window, slo->budgeting == CFG_BUDGET_TIMESLICES ?
	    _("timeslices") : _("occurrences"));
	if (s == NULL) {
		printf(_("  %-12s not evaluated yet; the running agent evaluates SLOs each minute\n"),
		    _("state"));
	} else {
		slocli_print_state(s, now_minute);
		slocli_print_budget(s);
		slocli_print_burn(s);
		if (s->detail[0] != '\0')
			printf(_("  %-12s %s\n"), _("detail"), s->detail);
	}
	slocli_print_rules(slo);
}

/* Reads the latest evaluation of slo into *s; 0 when there is none. */
static int
slocli_latest(struct store *store, const struct cfg_slo *slo,
	   struct slo_status *s, int *found)
{
	int rc;

	*found = 0;
	if (store == NULL)
		return WK_OK;
	rc = slo_read_latest(store, slo->name, s);
	if (rc == WK_ERR_NOTFOUND)
		return WK_OK;
	*found = rc == WK_OK;
	return rc;
}

/* Prints the selected SLOs; returns WK_OK or a store error. */
static int
slocli_print(const struct cfg *cfg, struct store *store,
	  const struct slocli_opts *opts)
{
	json_t *list = json_array();
	struct slo_status s;
	int64_t now = clk_wall_ms() / SLO_MINUTE_MS;
	size_t i, printed = 0;
	int found, rc = WK_OK;

	for (i = 0; rc == WK_OK && i < cfg->slos->count; i++) {
		const struct cfg_slo *slo = &cfg->slos->items[i];

		if (opts->name != NULL && strcmp(opts->name, slo->name) != 0)
			continue;
		rc = slocli_latest(store, slo, &s, &found);
		if (rc != WK_OK)
			break;
		if (opts->common.json) {
			json_array_append_new(list, slocli_json_one(slo,
			    found ? &s : NULL));
			continue;
		}
		if (printed++ > 0)
			printf("\n");
		slocli_print_one(slo, found ? &s : NULL, now);
	}
	if (rc == WK_OK && opts->common.json) {
		json_dumpf(list, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		printf("\n");
	}
	json_decref(list);
	return rc;
}

int
cmd_slo(int argc, char **argv)
{
	struct slocli_opts opts;
	struct store *store = NULL;
	struct cfg *cfg;
	int code, rc;

	memset(&opts, 0, sizeof opts);
	code = slocli_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	cfg = cli_load_config(&opts.common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	if (cfg->slos == NULL || cfg->slos->count == 0) {
		fprintf(stderr, _("watchkeep: %s has no SLOs; add a \"slos\" section (see docs/slo.md)\n"),
		    cfg->path);
		cfg_free(cfg);
		if (opts.common.json)
			printf("[]\n");
		return CLI_EXIT_OK;
	}

	code = opts.name != NULL ? slocli_check_name(cfg, opts.name) :
	    CLI_EXIT_OK;
	if (code == CLI_EXIT_OK)
		code = slocli_open_store(&opts, cfg, &store);
	if (code == CLI_EXIT_OK) {
		rc = slocli_print(cfg, store, &opts);
		if (rc != WK_OK) {
			fprintf(stderr, _("watchkeep: reading the store failed: %s\n"),
			    wk_rc_name(rc));
			code = CLI_EXIT_STATE;
		}
	}
	store_close(store);
	cfg_free(cfg);
	return code;
}
