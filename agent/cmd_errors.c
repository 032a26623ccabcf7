/*
 * `watchkeep errors`: the error signatures seen most often, with their
 * counts, the stage runs they came from, when they were first and last
 * seen, and a sample line, read from the store without the agent's lock.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/store_logs.h"
#include "core/text.h"

#define ERRORS_LIMIT_DEFAULT 20
#define ERRORS_LIMIT_MAX 1000

struct errors_opts {
	struct cli_common common;
	const char *since;      /* --since as given, or NULL: all time */
	int64_t since_ms;       /* start of the window, ms since epoch; 0 */
	const char *pipeline;   /* --pipeline, or NULL: all */
	long limit;             /* signatures listed */
};

static void
errors_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep errors [OPTIONS]\n"
	    "\n"
	    "Lists the error signatures seen most often. A signature is an\n"
	    "error's first line with numbers, ids, addresses, paths, URLs and\n"
	    "quoted strings masked, so the same error from different runs and\n"
	    "files counts as one. Each comes with its count, the stage runs it\n"
	    "was seen in, when it was first and last seen, and a sample line.\n"
	    "\n"
	    "Options:\n"
	    "  --since DURATION    only errors of the last DURATION, such as 7d\n"
	    "                      or 12h (units ms, s, m, h, d, w); default: all\n"
	    "  --pipeline NAME     only this pipeline\n"
	    "  --limit N           signatures listed (default 20, at most 1000)\n"
	    "  --json              print the signatures as JSON\n"
	    "  -c, --config FILE   configuration, for its state_dir\n"
	    "  --state-dir DIR     state directory\n"));
}

static int
errors_since(struct errors_opts *opts, const char *value)
{
	const char *reason = NULL;
	size_t bad = 0;
	int64_t ms;

	if (value[0] == '\0')
		return CLI_EXIT_USAGE;
	if (clk_parse_duration(value, &ms, &bad, &reason) != WK_OK || ms <= 0)
		return cli_usage_error("errors", _("invalid --since \"%s\": %s; "
		    "give a duration such as 7d, 12h or 90m"), value,
		    reason != NULL ? _(reason) : _("it must be more than 0"));
	opts->since = value;
	opts->since_ms = clk_wall_ms() - ms;
	if (opts->since_ms < 1)
		opts->since_ms = 1;
	return CLI_EXIT_OK;
}

static int
errors_limit(struct errors_opts *opts, const char *value)
{
	char *end;

	if (value[0] == '\0')
		return CLI_EXIT_USAGE;
	opts->limit = strtol(value, &end, 10);
	if (*end != '\0' || opts->limit < 1 || opts->limit > ERRORS_LIMIT_MAX)
		return cli_usage_error("errors", _("invalid --limit \"%s\"; give "
		    "a number from 1 to %d"), value, ERRORS_LIMIT_MAX);
	return CLI_EXIT_OK;
}

/* Parses one option at argv[*i]; returns CLI_EXIT_OK or a usage error. */
static int
errors_option(int argc, char **argv, int *i, struct errors_opts *opts)
{
	const char *v;

	if ((v = cli_option_value("--since", argc, argv, i)) != NULL)
		return errors_since(opts, v);
	if ((v = cli_option_value("--limit", argc, argv, i)) != NULL)
		return errors_limit(opts, v);
	if ((v = cli_option_value("--pipeline", argc, argv, i)) != NULL) {
		opts->pipeline = v;
		return v[0] != '\0' ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (argv[*i][0] == '-')
		return cli_usage_error("errors", _("unknown option %s"),
		    argv[*i]);
	return cli_usage_error("errors", _("unexpected argument %s"),
	    argv[*i]);
}

/* Returns CLI_EXIT_OK, a usage error, or -1 after printing the help. */
static int
errors_parse(int argc, char **argv, struct errors_opts *opts)
{
	int i, r, code;

	opts->limit = ERRORS_LIMIT_DEFAULT;
	for (i = 1; i < argc; i++) {
		r = cli_common_option(&opts->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			errors_help();
			return -1;
		}
		code = errors_option(argc, argv, &i, opts);
		if (code != CLI_EXIT_OK)
			return code;
	}
	return CLI_EXIT_OK;
}

/* Copies text into out (STORE_TEXT_MAX bytes) sanitized for printing. */
static const char *
errors_clean(const char *text, char *out)
{
	text_sanitize(text, strlen(text), out, STORE_TEXT_MAX);
	return out;
}

static void
errors_print_one(const struct store_logs_signature *g)
{
	char first[40], last[40], a[STORE_TEXT_MAX], b[STORE_TEXT_MAX];

	clk_format_utc(first, sizeof first, g->first_seen);
	clk_format_utc(last, sizeof last, g->last_seen);
	printf(P_("%8lld  %s/%s, in %lld stage run\n",
	    "%8lld  %s/%s, in %lld stage runs\n", (unsigned long)g->stage_runs),
	    (long long)g->count, errors_clean(g->pipeline, a),
	    errors_clean(g->stage, b), (long long)g->stage_runs);
	printf("          %s\n", errors_clean(g->signature, a));
	printf(_("          first seen %s, last seen %s"), first, last);
	if (g->last_run_id > 0)
		printf(_(" (run %lld)"), (long long)g->last_run_id);
	printf(_("\n          sample: %s\n"), errors_clean(g->sample, a));
}

static void
errors_text(const struct errors_opts *opts,
	    const struct store_logs_signature *rows, size_t n)
{
	size_t i;

	if (n == 0) {
		if (opts->since != NULL)
			printf(_("No errors in the last %s.\n"), opts->since);
		else
			printf("%s", _("No errors yet.\n"));
		return;
	}
	if (opts->since != NULL)
		printf(_("Errors of the last %s, most frequent first:\n"),
		    opts->since);
	else
		printf("%s", _("Errors, most frequent first:\n"));
	for (i = 0; i < n; i++) {
		putchar('\n');
		errors_print_one(&rows[i]);
	}
}

static json_t *
errors_json_one(const struct store_logs_signature *g)
{
	char a[STORE_TEXT_MAX], b[STORE_TEXT_MAX], c[STORE_TEXT_MAX],
	    d[STORE_TEXT_MAX];
	json_t *obj;

	obj = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
	    "pipeline", errors_clean(g->pipeline, a), "stage",
	    errors_clean(g->stage, b), "signature",
	    errors_clean(g->signature, c), "sample", errors_clean(g->sample, d),
	    "count", (json_int_t)g->count, "total_count",
	    (json_int_t)g->total, "stage_runs", (json_int_t)g->stage_runs,
	    "first_seen_ms", (json_int_t)g->first_seen, "last_seen_ms",
	    (json_int_t)g->last_seen);
	if (obj == NULL)
		return NULL;
	json_object_set_new(obj, "last_run_id", g->last_run_id > 0 ?
	    json_integer(g->last_run_id) : json_null());
	json_object_set_new(obj, "last_stage_run_id", g->last_stage_run_id >
	    0 ? json_integer(g->last_stage_run_id) : json_null());
	return obj;
}

static void
errors_json(const struct store_logs_signature *rows, size_t n)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(list, errors_json_one(&rows[i]));
	json_dumpf(list, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(list);
}

int
cmd_errors(int argc, char **argv)
{
	struct store_logs_signature *rows = NULL;
	struct errors_opts opts;
	struct store *store;
	size_t n = 0;
	int code, rc = WK_ERR_NOMEM;

	memset(&opts, 0, sizeof opts);
	code = errors_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	store = cli_open_store(&opts.common, NULL);
	if (store == NULL)
		return CLI_EXIT_STATE;

	rows = calloc((size_t)opts.limit, sizeof *rows);
	if (rows != NULL)
		rc = store_logs_signatures_top(store, opts.since_ms,
		    opts.pipeline, rows, (size_t)opts.limit, &n);
	if (rc == WK_OK && opts.common.json)
		errors_json(rows, n);
	else if (rc == WK_OK)
		errors_text(&opts, rows, n);
	free(rows);
	store_close(store);
	if (rc != WK_OK) {
		fprintf(stderr, _("watchkeep errors: reading the store failed: "
		    "%s\n"), wk_rc_name(rc));
		return CLI_EXIT_STATE;
	}
	return CLI_EXIT_OK;
}
