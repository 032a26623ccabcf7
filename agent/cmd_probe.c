/*
 * `watchkeep probe`: runs the configured probes once, all at the same time
 * on one event loop, prints their state and exits 0 when all are up. With
 * --loop it runs them on their schedule for a while instead, recording
 * results in the store as the agent does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/cli.h"
#include "agent/ev.h"
#include "agent/statedir.h"
#include "agent/table.h"
#include "core/clock.h"
#include "core/config_probes.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store.h"
#include "core/store_probes.h"
#include "probes/probe.h"

#define PROBE_CLI_MAX_NAMES 256
#define PROBE_CLI_DRAIN_NS (INT64_C(5) * 1000000000)  /* wait for children */
#define PROBE_CLI_SLACK_NS (INT64_C(5) * 1000000000)  /* past the timeouts */

struct probe_opts {
	struct cli_common common;
	const char *names[PROBE_CLI_MAX_NAMES];  /* selected probes */
	size_t n_names;                          /* entries in names */
	int64_t loop_ms;                         /* --loop, 0: check once */
	const char *token_of;                    /* --token NAME, or NULL */
};

/* The state that the loop callbacks share. */
struct probe_run {
	struct ev_loop *loop;        /* not owned */
	struct probe_engine *engine; /* not owned */
	int stop;                    /* the loop should end */
};

static void
probe_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep probe [NAME...] [OPTIONS]\n"
	    "\n"
	    "Runs every configured probe (or only the named ones) once, all at\n"
	    "the same time, and prints each probe's name, type, state, latency\n"
	    "and detail. Exits 0 when every probe is up, 1 otherwise.\n"
	    "\n"
	    "Options:\n"
	    "  --loop DURATION     run the probes on their schedule for DURATION\n"
	    "                      (such as \"5m\"), record the results in the\n"
	    "                      store and then print the states; takes the\n"
	    "                      state directory's lock like the agent\n"
	    "  --token NAME        print the token of push probe NAME, kept in\n"
	    "                      the store when it is not configured\n"
	    "  --json              print the states as JSON\n"
	    "  -c, --config FILE   configuration file\n"
	    "  --state-dir DIR     state directory\n"
	    "  --log-level LEVEL   debug, info, warn or error\n"));
}

/* Reads the value of --loop. */
static int
probe_parse_loop(const char *value, struct probe_opts *opts)
{
	const char *reason = NULL;
	size_t bad = 0;

	if (clk_parse_duration(value, &opts->loop_ms, &bad, &reason) != WK_OK ||
	    opts->loop_ms <= 0)
		return cli_usage_error("probe", _("invalid --loop \"%s\"; give a duration such as \"90s\" or \"10m\""),
		    value);
	return CLI_EXIT_OK;
}

static int
probe_parse(int argc, char **argv, struct probe_opts *opts)
{
	const char *value;
	int i, r;

	for (i = 1; i < argc; i++) {
		r = cli_common_option(&opts->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			probe_help();
			return -1;
		}
		if ((value = cli_option_value("--loop", argc, argv, &i)) != NULL) {
			if (value[0] == '\0' || probe_parse_loop(value, opts) !=
			    CLI_EXIT_OK)
				return CLI_EXIT_USAGE;
		} else if ((value = cli_option_value("--token", argc, argv,
		    &i)) != NULL) {
			if (value[0] == '\0')
				return CLI_EXIT_USAGE;
			opts->token_of = value;
		} else if (argv[i][0] == '-') {
			return cli_usage_error("probe", _("unknown option %s"),
			    argv[i]);
		} else if (opts->n_names < PROBE_CLI_MAX_NAMES) {
			opts->names[opts->n_names++] = argv[i];
		} else {
			return cli_usage_error("probe", _("too many probes named (at most %d)"),
			    PROBE_CLI_MAX_NAMES);
		}
	}
	return CLI_EXIT_OK;
}

/* ---- output ---- */

static json_t *
probe_status_json(const struct probe_status *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "type", json_string(s->type));
	json_object_set_new(o, "state", json_string(probe_state_name(s->state)));
	json_object_set_new(o, "ok", s->ok < 0 ? json_null() :
	    json_boolean(s->ok));
	json_object_set_new(o, "latency_ms", s->latency_ms < 0 ? json_null() :
	    json_real(s->latency_ms));
	json_object_set_new(o, "checked_at", json_integer(s->checked_at));
	json_object_set_new(o, "since", json_integer(s->since));
	json_object_set_new(o, "checks", json_integer((json_int_t)s->checks));
	json_object_set_new(o, "detail", json_string(s->detail));
	return o;
}

static void
probe_print_json(const struct probe_engine *e)
{
	struct probe_status s;
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < probe_engine_count(e); i++) {
		if (probe_engine_status(e, i, &s))
			json_array_append_new(list, probe_status_json(&s));
	}
	json_dumpf(list, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(list);
}

/* Adds the row of one probe to t. */
static void
probe_table_row(struct table *t, const struct probe_status *s)
{
	const char *cells[5];
	char latency[32];

	if (s->latency_ms < 0)
		snprintf(latency, sizeof latency, "-");
	else
		snprintf(latency, sizeof latency, "%.0f ms", s->latency_ms);
	cells[0] = s->name;
	cells[1] = s->type;
	cells[2] = _(probe_state_name(s->state));
	cells[3] = latency;
	cells[4] = s->detail;
	table_add(t, cells);
}

/* Prints the table, in parts of TABLE_MAX_ROWS - 1 probes. */
static void
probe_print_table(const struct probe_engine *e)
{
	const char *headers[5] = {
	    _("NAME"), _("TYPE"), _("STATE"), _(">LATENCY"), _("DETAIL")
	};
	struct probe_status s;
	struct table *t = malloc(sizeof *t);
	size_t i;

	if (t == NULL)
		return;
	table_init(t, 5, headers);
	for (i = 0; i < probe_engine_count(e); i++) {
		if (!probe_engine_status(e, i, &s))
			continue;
		if (t->nrows == TABLE_MAX_ROWS) {
			table_print(t, stdout, 0);
			table_init(t, 5, headers);
		}
		probe_table_row(t, &s);
	}
	table_print(t, stdout, 0);
	free(t);
}

/* Returns 1 when every selected probe is up. */
static int
probe_all_up(const struct probe_engine *e)
{
	struct probe_status s;
	size_t i;

	for (i = 0; i < probe_engine_count(e); i++) {
		if (probe_engine_status(e, i, &s) && s.state != PROBE_UP)
			return 0;
	}
	return 1;
}

/* ---- running ---- */

static void
probe_on_signal(struct ev_loop *loop, int signo, void *arg)
{
	struct probe_run *run = arg;

	(void)loop;
	LOG(LL_WARN, _("received %s; stopping the probes"), strsignal(signo));
	run->stop = 1;
}

static void
probe_on_deadline(struct ev_loop *loop, void *arg)
{
	struct probe_run *run = arg;

	(void)loop;
	run->stop = 1;
}

/* Runs the loop until run->stop, or until the engine is idle. */
static void
probe_wait(struct probe_run *run, int until_idle)
{
	while (!run->stop) {
		if (until_idle && probe_engine_busy(run->engine) == 0)
			return;
		if (ev_run_once(run->loop, -1) != WK_OK)
			return;
	}
}

/* Stops the engine and reaps what it killed, for at most a few seconds. */
static void
probe_drain(struct probe_run *run)
{
	uint64_t timer;

	probe_engine_stop(run->engine);
	run->stop = 0;
	timer = ev_timer_at(run->loop, clk_mono_ns() + PROBE_CLI_DRAIN_NS,
	    probe_on_deadline, run);
	probe_wait(run, 1);
	ev_timer_cancel(run->loop, timer);
}

/* Returns the longest timeout among the probes of cfg, in ns. */
static int64_t
probe_max_timeout_ns(const struct cfg *cfg)
{
	int64_t max = 0;
	size_t i;

	for (i = 0; i < cfg->probes->count; i++) {
		if (cfg->probes->items[i].timeout_ms > max)
			max = cfg->probes->items[i].timeout_ms;
	}
	return max * 1000000;
}

/* Runs the engine: once, or on the schedule for opts->loop_ms. */
static int
probe_execute(struct probe_run *run, const struct cfg *cfg,
	      const struct probe_opts *opts)
{
	int64_t limit = opts->loop_ms > 0 ? opts->loop_ms * 1000000 :
	    probe_max_timeout_ns(cfg) + PROBE_CLI_SLACK_NS;
	uint64_t timer;
	int rc;

	rc = opts->loop_ms > 0 ? probe_engine_start(run->engine) :
	    probe_engine_check_once(run->engine);
	if (rc != WK_OK)
		return rc;
	timer = ev_timer_at(run->loop, clk_mono_ns() + limit,
	    probe_on_deadline, run);
	probe_wait(run, opts->loop_ms == 0);
	ev_timer_cancel(run->loop, timer);
	probe_drain(run);
	return WK_OK;
}

/* Creates the engine, runs it, prints; store may be NULL. */
static int
probe_with_store(const struct cfg *cfg, const struct probe_opts *opts,
		 struct store *store, struct store *readonly)
{
	struct wk_err err = { 0, "" };
	struct probe_run run = { NULL, NULL, 0 };
	int code = CLI_EXIT_STATE;

	run.loop = ev_loop_new();
	if (run.loop == NULL) {
		fprintf(stderr, _("watchkeep: cannot create the event loop\n"));
		return CLI_EXIT_STATE;
	}
	run.engine = probe_engine_new(run.loop, store, cfg, &err);
	if (run.engine == NULL ||
	    probe_engine_select(run.engine, opts->names, opts->n_names,
	    &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		code = err.rc == WK_ERR_NOTFOUND ? CLI_EXIT_USAGE : code;
		goto out;
	}
	if (readonly != NULL)
		probe_engine_import_push(run.engine, readonly);
	signal(SIGPIPE, SIG_IGN);
	ev_signal(run.loop, SIGINT, probe_on_signal, &run);
	ev_signal(run.loop, SIGTERM, probe_on_signal, &run);

	if (probe_execute(&run, cfg, opts) != WK_OK) {
		fprintf(stderr, _("watchkeep: the probes could not be scheduled: the event loop is full\n"));
		goto out;
	}
	if (opts->common.json)
		probe_print_json(run.engine);
	else
		probe_print_table(run.engine);
	code = probe_all_up(run.engine) ? CLI_EXIT_OK : CLI_EXIT_FAILED;

out:
	probe_engine_free(run.engine);
	ev_loop_free(run.loop);
	return code;
}

/* Opens the store read-only when it exists; NULL otherwise. */
static struct store *
probe_open_readonly(const struct statedir *sd)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct stat st;

	if (stat(sd->store_path, &st) != 0)
		return NULL;
	if (store_open(sd->store_path, STORE_READ_ONLY, &store, &err) != WK_OK)
		LOG(LL_WARN, _("push probes are checked without the stored pings: %s"),
		    err.msg);
	return store;
}

/* --loop: holds the state directory's lock and records the results. */
static int
probe_loop_locked(const struct cfg *cfg, const struct probe_opts *opts,
		  struct statedir *sd)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	int code;

	if (statedir_lock(sd, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return err.rc == WK_ERR_BUSY ? CLI_EXIT_BUSY : CLI_EXIT_STATE;
	}
	if (store_open(sd->store_path, STORE_READ_WRITE, &store, &err) !=
	    WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		statedir_unlock(sd);
		return CLI_EXIT_STATE;
	}
	code = probe_with_store(cfg, opts, store, NULL);
	store_close(store);
	statedir_unlock(sd);
	return code;
}

/* --token NAME: prints the token of a push probe. */
static int
probe_print_token(const struct cfg *cfg, const struct probe_opts *opts,
		  const struct statedir *sd)
{
	const struct cfg_probe *p = cfg_find_probe(cfg, opts->token_of);
	struct store_probe_push saved;
	struct store *store;
	int rc = WK_ERR_NOTFOUND;

	if (p == NULL || p->type != CFG_PROBE_PUSH)
		return cli_usage_error("probe", _("no push probe named \"%s\" in %s"),
		    opts->token_of, cfg->path);
	if (p->push.token != NULL) {
		printf("%s\n", p->push.token);
		return CLI_EXIT_OK;
	}
	store = probe_open_readonly(sd);
	if (store != NULL)
		rc = store_probe_push_get(store, p->name, &saved);
	store_close(store);
	if (rc != WK_OK || saved.token[0] == '\0') {
		fprintf(stderr, _("watchkeep: push probe %s has no token yet; start the agent once to generate it, or set \"token\"\n"),
		    p->name);
		return CLI_EXIT_FAILED;
	}
	printf("%s\n", saved.token);
	return CLI_EXIT_OK;
}

/* Dispatches on the options once the configuration is loaded. */
static int
probe_dispatch(struct cfg *cfg, const struct probe_opts *opts)
{
	struct wk_err err = { 0, "" };
	struct store *readonly;
	struct statedir sd;
	int code;

	if (statedir_resolve(&sd, opts->common.state_dir, cfg, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	if (cfg_resolve_state_dir(cfg, sd.path) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", _("out of memory"));
		return CLI_EXIT_STATE;
	}
	if (opts->token_of != NULL)
		return probe_print_token(cfg, opts, &sd);
	if (cfg->probes == NULL || cfg->probes->count == 0) {
		fprintf(stderr, _("watchkeep: no probes are configured in %s; add a \"probes\" section (see docs/config.md)\n"),
		    cfg->path);
		return CLI_EXIT_FAILED;
	}
	if (opts->loop_ms > 0)
		return probe_loop_locked(cfg, opts, &sd);
	readonly = probe_open_readonly(&sd);
	code = probe_with_store(cfg, opts, NULL, readonly);
	store_close(readonly);
	return code;
}

int
cmd_probe(int argc, char **argv)
{
	struct probe_opts opts;
	struct cfg *cfg;
	int code;

	memset(&opts, 0, sizeof opts);
	code = probe_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	cfg = cli_load_config(&opts.common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	code = probe_dispatch(cfg, &opts);
	cfg_free(cfg);
	return code;
}
