/*
 * `watchkeep top`: starts the terminal UI of tui/ on the store of the
 * state directory, with the actions it offers (re-run, cancel, drop the
 * queued runs of a pipeline, run now, acknowledge, silence, end a
 * silence) sent to the running agent over the control socket.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/clientctl.h"
#include "agent/statedir.h"
#include "core/i18n.h"
#include "core/log.h"
#include "tui/tui.h"

#define TOP_MATCHERS_MAX 16   /* labels a silence matches, as the agent */
#define TOP_BENCH_MAX 100000  /* --bench-frames at most */
#define TOP_MATCHER_MAX 1024  /* bytes of one name=value matcher */

struct top_opts {
	struct cli_common common;  /* shared options */
	int read_only;             /* --read-only */
	int no_color;              /* --no-color or NO_COLOR */
	int ascii;                 /* --ascii */
	long bench_frames;         /* --bench-frames, hidden */
};

static void
top_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep top [OPTIONS]\n"
	    "\n"
	    "Shows the current or last run, the SLOs, the firing alerts, the\n"
	    "probes and the growth forecasts in one screen, refreshed every\n"
	    "second, with views for run history, run detail, stage logs,\n"
	    "alerts, probes and SLOs. Press ? in it for the keys. It reads the\n"
	    "store read-only; re-runs, cancels, acknowledgements and silences\n"
	    "go to the running agent and are asked for first.\n"
	    "\n"
	    "Options:\n"
	    "  --read-only         turn every action off\n"
	    "  --no-color          no colours (also when NO_COLOR is set)\n"
	    "  --ascii             draw bars and lines with ASCII characters\n"
	    "  -c, --config FILE   configuration with the SLOs and probes\n"
	    "  --state-dir DIR     state directory\n"));
}

/* Parses --bench-frames N, which measures the drawing cost. */
static int
top_bench_option(struct top_opts *o, const char *value)
{
	char *end;

	o->bench_frames = strtol(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || o->bench_frames < 1 ||
	    o->bench_frames > TOP_BENCH_MAX)
		return cli_usage_error("top", _("invalid --bench-frames \"%s\"; "
		    "give a number from 1 to %d"), value, TOP_BENCH_MAX);
	return CLI_EXIT_OK;
}

static int
top_parse(int argc, char **argv, struct top_opts *o)
{
	const char *value;
	int i, r;

	for (i = 1; i < argc; i++) {
		r = cli_common_option(&o->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			top_help();
			return -1;
		}
		if ((value = cli_option_value("--bench-frames", argc, argv, &i))
		    != NULL) {
			if (top_bench_option(o, value) != CLI_EXIT_OK)
				return CLI_EXIT_USAGE;
		} else if (strcmp(argv[i], "--read-only") == 0) {
			o->read_only = 1;
		} else if (strcmp(argv[i], "--no-color") == 0) {
			o->no_color = 1;
		} else if (strcmp(argv[i], "--ascii") == 0) {
			o->ascii = 1;
		} else {
			return cli_usage_error("top", argv[i][0] == '-' ?
			    _("unknown option %s") : _("unexpected argument %s"),
			    argv[i]);
		}
	}
	return CLI_EXIT_OK;
}

/*
 * Sends request (consumed) to the agent and checks the reply.
 * NOTE: the call blocks the TUI until the agent replies, up to
 * CLIENTCTL_TIMEOUT_MS.
 */
static int
top_send(void *ctx, json_t *request, json_t **answer, struct wk_err *err)
{
	const struct top_opts *o = ctx;
	json_t *got = NULL;
	int rc;

	rc = clientctl_request(&o->common, request, &got, err);
	json_decref(request);
	if (rc == WK_ERR_NOTFOUND)
		return wk_err_set(err, rc, _("no agent runs on this state "
		    "directory; start it with `watchkeep run`"));
	if (rc != WK_OK)
		return rc;
	if (!json_is_true(json_object_get(got, "ok"))) {
		wk_err_set(err, WK_ERR_STATE, _("the agent refused: %s"),
		    json_string_value(json_object_get(got, "error")) != NULL ?
		    json_string_value(json_object_get(got, "error")) : "?");
		json_decref(got);
		return WK_ERR_STATE;
	}
	if (answer != NULL)
		*answer = got;
	else
		json_decref(got);
	return WK_OK;
}

static int
top_rerun(void *ctx, const char *pipeline, int64_t run_id,
	  const char *from_stage, struct wk_err *err)
{
	return top_send(ctx, json_pack("{s:s, s:s, s:s, s:I}", "command",
	    "rerun", "pipeline", pipeline, "from", from_stage, "run",
	    (json_int_t)run_id), NULL, err);
}

static int
top_cancel(void *ctx, int64_t run_id, struct wk_err *err)
{
	return top_send(ctx, json_pack("{s:s, s:I}", "command", "cancel",
	    "run", (json_int_t)run_id), NULL, err);
}

static int
top_cancel_queued(void *ctx, const char *pipeline, size_t *dropped,
		  struct wk_err *err)
{
	json_t *answer = NULL;
	int rc;

	rc = top_send(ctx, json_pack("{s:s, s:s}", "command", "cancel-queued",
	    "pipeline", pipeline), &answer, err);
	*dropped = rc == WK_OK ? (size_t)json_integer_value(json_object_get(
	    answer, "dropped")) : 0;
	json_decref(answer);
	return rc;
}

static int
top_run_now(void *ctx, const char *pipeline, int64_t *run_id,
	    struct wk_err *err)
{
	json_t *answer = NULL;
	int rc;

	rc = top_send(ctx, json_pack("{s:s, s:s}", "command", "run-now",
	    "pipeline", pipeline), &answer, err);
	*run_id = rc == WK_OK ? json_integer_value(json_object_get(answer,
	    "run")) : 0;
	json_decref(answer);
	return rc;
}

static int
top_ack(void *ctx, const char *fingerprint, const char *comment,
	struct wk_err *err)
{
	return top_send(ctx, json_pack("{s:s, s:s, s:s}", "command", "ack",
	    "fingerprint", fingerprint, "comment", comment), NULL, err);
}

/* Turns a JSON object of string labels into name=value matchers. */
static json_t *
top_matchers(const char *labels_json, struct wk_err *err)
{
	json_t *labels = json_loads(labels_json, 0, NULL), *value;
	json_t *list = json_array();
	char matcher[TOP_MATCHER_MAX];
	const char *name;
	int n;

	json_object_foreach(labels, name, value) {
		if (!json_is_string(value) ||
		    json_array_size(list) >= TOP_MATCHERS_MAX)
			continue;
		n = snprintf(matcher, sizeof matcher, "%s=%s", name,
		    json_string_value(value));
		if (n > 0 && (size_t)n < sizeof matcher)
			json_array_append_new(list, json_string(matcher));
	}
	json_decref(labels);
	if (json_array_size(list) == 0) {
		json_decref(list);
		wk_err_set(err, WK_ERR_INVALID, _("the alert has no labels to "
		    "match; silence it with `watchkeep silence` instead"));
		return NULL;
	}
	return list;
}

static int
top_silence(void *ctx, const char *labels_json, int64_t duration_ms,
	    const char *comment, int64_t *id, struct wk_err *err)
{
	json_t *matchers = top_matchers(labels_json, err), *answer = NULL;
	int rc;

	*id = 0;
	if (matchers == NULL)
		return WK_ERR_INVALID;
	rc = top_send(ctx, json_pack("{s:s, s:o, s:I, s:s}", "command",
	    "silence", "matchers", matchers, "duration_ms",
	    (json_int_t)duration_ms, "comment", comment), &answer, err);
	if (rc == WK_OK)
		*id = json_integer_value(json_object_get(answer, "id"));
	json_decref(answer);
	return rc;
}

static int
top_unsilence(void *ctx, int64_t id, struct wk_err *err)
{
	return top_send(ctx, json_pack("{s:s, s:I}", "command", "unsilence",
	    "id", (json_int_t)id), NULL, err);
}

int
cmd_top(int argc, char **argv)
{
	struct tui_actions actions = { NULL, top_rerun, top_cancel,
	    top_run_now, top_ack, top_silence, top_unsilence,
	    top_cancel_queued };
	const char *no_color = getenv("NO_COLOR");
	struct wk_err err = { 0, "" };
	struct tui_opts topts;
	struct top_opts o;
	struct statedir sd;
	struct cfg *cfg;
	int code;

	memset(&o, 0, sizeof o);
	code = top_parse(argc, argv, &o);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	cfg = cli_load_config(&o.common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	if (statedir_resolve(&sd, o.common.state_dir, cfg, &err) != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		cfg_free(cfg);
		return CLI_EXIT_STATE;
	}

	/* The control requests go to the directory resolved once here. */
	o.common.state_dir = sd.path;
	actions.ctx = &o;
	memset(&topts, 0, sizeof topts);
	topts.store_path = sd.store_path;
	topts.cfg = cfg;
	topts.actions = o.read_only ? NULL : &actions;
	topts.read_only = o.read_only;
	topts.no_color = o.no_color || (no_color != NULL && no_color[0] != '\0');
	topts.ascii = o.ascii;
	topts.bench_frames = o.bench_frames;
	/* Log lines on stderr would tear the screen; the TUI shows errors. */
	if (o.bench_frames == 0 && !o.common.log_level_set)
		log_min_level = LL_OFF;
	code = tui_main(&topts) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	cfg_free(cfg);
	return code;
}
