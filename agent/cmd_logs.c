/*
 * `watchkeep logs`: the stored output of one stage run, read from the
 * store without taking the agent's lock, optionally followed while the
 * stage runs. Every line is sanitized again as it is printed, so nothing a
 * stage wrote reaches the terminal as an escape sequence.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/cli.h"
#include "core/i18n.h"
#include "core/store_logs.h"
#include "core/text.h"

#define LOGS_PAGE 64                /* rows read from the store at once */
#define LOGS_POLL_MS 250            /* --follow: time between reads */
#define LOGS_TAIL_MAX 1000000       /* largest --tail */
#define LOGS_NAMES_MAX 64           /* pipeline or stage names listed */
#define LOGS_NAME_SHOWN 256         /* bytes of a sanitized name */

struct logs_opts {
	struct cli_common common;
	const char *target;   /* PIPELINE/STAGE or STAGE */
	int64_t run_id;       /* --run, 0: the latest run with the stage */
	int64_t attempt;      /* --attempt, 0: the latest */
	int stream;           /* --stream, 0: both */
	int errors_only;      /* --errors */
	int follow;           /* --follow */
	int64_t tail;         /* --tail, -1: every line */
};

static void
logs_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep logs [PIPELINE/]STAGE [OPTIONS]\n"
	    "\n"
	    "Prints the stored output of a stage run: the latest attempt of the\n"
	    "stage in the latest run that has it, unless --run or --attempt\n"
	    "picks another. PIPELINE/ may be left out when the configuration\n"
	    "(-c) or the store has one pipeline. Each line shows its stream, its\n"
	    "line number and '!' for an error line. Where the store keeps only\n"
	    "the start and the end of a long output, a line says how many lines\n"
	    "and bytes were left out.\n"
	    "\n"
	    "Options:\n"
	    "  --run ID            the run, by id (see `watchkeep status`)\n"
	    "  --attempt N         the attempt of the stage, from 1\n"
	    "  --stream NAME       only stdout or only stderr\n"
	    "  --errors            only error lines (and the notes of lines left\n"
	    "                      out)\n"
	    "  --tail N            only the last N lines\n"
	    "  -f, --follow        keep printing new lines, reading the store every\n"
	    "                      250 ms, until the stage run ends\n"
	    "  --json              print JSON: one object with the stage run and\n"
	    "                      its lines; with --follow, one object a line\n"
	    "  -c, --config FILE   configuration, for its state_dir and pipelines\n"
	    "  --state-dir DIR     state directory\n"));
}

/* Parses a whole number within [lo, hi]; returns 0, or -1 when invalid. */
static int
logs_number(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Parses the value of a numeric option; returns CLI_EXIT_OK or usage. */
static int
logs_number_option(const char *command, const char *name, const char *value,
		   int64_t lo, int64_t hi, int64_t *out)
{
	if (value[0] == '\0')
		return CLI_EXIT_USAGE;
	if (logs_number(value, lo, hi, out) < 0)
		return cli_usage_error(command, _("invalid %s \"%s\"; give a "
		    "whole number from %lld to %lld"), name, value,
		    (long long)lo, (long long)hi);
	return CLI_EXIT_OK;
}

static int
logs_stream_option(const char *value, int *stream)
{
	if (value[0] == '\0')
		return CLI_EXIT_USAGE;
	if (strcmp(value, "stdout") == 0)
		*stream = STORE_STDOUT;
	else if (strcmp(value, "stderr") == 0)
		*stream = STORE_STDERR;
	else
		return cli_usage_error("logs", _("invalid --stream \"%s\"; use "
		    "stdout or stderr"), value);
	return CLI_EXIT_OK;
}

/* Parses one option of logs at argv[*i]; returns CLI_EXIT_OK or usage. */
static int
logs_option(int argc, char **argv, int *i, struct logs_opts *opts)
{
	const char *arg = argv[*i], *v;

	if ((v = cli_option_value("--run", argc, argv, i)) != NULL)
		return logs_number_option("logs", "--run", v, 1, INT64_MAX,
		    &opts->run_id);
	if ((v = cli_option_value("--attempt", argc, argv, i)) != NULL)
		return logs_number_option("logs", "--attempt", v, 1, 1000000,
		    &opts->attempt);
	if ((v = cli_option_value("--tail", argc, argv, i)) != NULL)
		return logs_number_option("logs", "--tail", v, 0,
		    LOGS_TAIL_MAX, &opts->tail);
	if ((v = cli_option_value("--stream", argc, argv, i)) != NULL)
		return logs_stream_option(v, &opts->stream);
	if (strcmp(arg, "--errors") == 0)
		opts->errors_only = 1;
	else if (strcmp(arg, "--follow") == 0 || strcmp(arg, "-f") == 0)
		opts->follow = 1;
	else if (arg[0] == '-')
		return cli_usage_error("logs", _("unknown option %s"), arg);
	else if (opts->target == NULL)
		opts->target = arg;
	else
		return cli_usage_error("logs", _("unexpected argument %s"), arg);
	return CLI_EXIT_OK;
}

/* Returns CLI_EXIT_OK, a usage error, or -1 after printing the help. */
static int
logs_parse(int argc, char **argv, struct logs_opts *opts)
{
	int i, r, code;

	opts->tail = -1;
	for (i = 1; i < argc; i++) {
		r = cli_common_option(&opts->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			logs_help();
			return -1;
		}
		code = logs_option(argc, argv, &i, opts);
		if (code != CLI_EXIT_OK)
			return code;
	}
	if (opts->target == NULL)
		return cli_usage_error("logs", "%s", _("missing the stage; give "
		    "PIPELINE/STAGE, such as churn/train"));
	return CLI_EXIT_OK;
}

/* A name from the command line or the store, safe to print. */
struct logs_shown {
	char text[LOGS_NAME_SHOWN];  /* sanitized, NUL-terminated */
};

static struct logs_shown
logs_show(const char *name)
{
	struct logs_shown shown;

	text_sanitize(name, strlen(name), shown.text, sizeof shown.text);
	return shown;
}

/* Prints names as "a, b, c" after a message. */
static void
logs_print_names(char (*names)[STORE_NAME_MAX], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i > 0 ? ", " : "",
		    logs_show(names[i]).text);
	fputc('\n', stderr);
}

/* Picks the pipeline when the target names only a stage. */
static int
logs_only_pipeline(struct store *store, const struct cfg *cfg, char *out,
		   size_t size)
{
	char (*names)[STORE_NAME_MAX];
	size_t n = 0;

	if (cfg != NULL && cfg->n_pipelines == 1) {
		snprintf(out, size, "%s", cfg->pipelines[0].name);
		return CLI_EXIT_OK;
	}
	names = calloc(LOGS_NAMES_MAX, sizeof *names);
	if (names == NULL || store_logs_pipelines(store, names, LOGS_NAMES_MAX,
	    &n) != WK_OK) {
		free(names);
		fprintf(stderr, "%s", _("watchkeep logs: reading the store "
		    "failed\n"));
		return CLI_EXIT_STATE;
	}
	if (n == 1)
		snprintf(out, size, "%s", names[0]);
	else if (n == 0)
		fprintf(stderr, "%s", _("watchkeep logs: no runs yet; start "
		    "one with `watchkeep run --once`\n"));
	else {
		fprintf(stderr, "%s", _("watchkeep logs: the store has runs of "
		    "several pipelines; give PIPELINE/STAGE with one of: "));
		logs_print_names(names, n);
	}
	free(names);
	return n == 1 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* Splits the target into pipeline and stage. */
static int
logs_split_target(const struct logs_opts *opts, struct store *store,
		  const struct cfg *cfg, char *pipeline, char *stage)
{
	const char *slash = strchr(opts->target, '/');
	size_t plen;

	if (slash == NULL) {
		if (strlen(opts->target) >= STORE_NAME_MAX)
			goto invalid;
		snprintf(stage, STORE_NAME_MAX, "%s", opts->target);
		return logs_only_pipeline(store, cfg, pipeline,
		    STORE_NAME_MAX);
	}
	plen = (size_t)(slash - opts->target);
	if (plen == 0 || plen >= STORE_NAME_MAX || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL ||
	    strlen(slash + 1) >= STORE_NAME_MAX)
		goto invalid;
	memcpy(pipeline, opts->target, plen);
	pipeline[plen] = '\0';
	snprintf(stage, STORE_NAME_MAX, "%s", slash + 1);
	return CLI_EXIT_OK;

invalid:
	return cli_usage_error("logs", _("invalid stage \"%s\"; give "
	    "PIPELINE/STAGE or STAGE, names of at most %d bytes"),
	    logs_show(opts->target).text, STORE_NAME_MAX - 1);
}

/* Explains why no stage run matched: the run, the stage or the attempt. */
static void
logs_not_found(struct store *store, const struct logs_opts *opts,
	       const char *pipeline, const char *stage)
{
	char (*names)[STORE_NAME_MAX] = calloc(LOGS_NAMES_MAX, sizeof *names);
	struct logs_shown p = logs_show(pipeline), s = logs_show(stage);
	struct store_logs_target any;
	size_t n = 0;

	if (names != NULL)
		store_logs_stages(store, pipeline, names, LOGS_NAMES_MAX, &n);
	if (n == 0) {
		fprintf(stderr, _("watchkeep logs: the store has no runs of "
		    "pipeline %s; see `watchkeep status` for the runs\n"),
		    p.text);
	} else if (store_logs_find(store, pipeline, stage, 0, 0, &any) !=
	    WK_OK) {
		fprintf(stderr, _("watchkeep logs: pipeline %s has no stage %s "
		    "in the store; stages it has run: "), p.text, s.text);
		logs_print_names(names, n);
	} else if (opts->attempt > 0 && store_logs_find(store, pipeline, stage,
	    opts->run_id, 0, &any) == WK_OK) {
		fprintf(stderr, _("watchkeep logs: run %lld has no attempt "
		    "%lld of %s/%s; its latest attempt is %d\n"),
		    (long long)any.run_id, (long long)opts->attempt, p.text,
		    s.text, any.attempt);
	} else {
		fprintf(stderr, _("watchkeep logs: run %lld has no stage %s/%s; "
		    "see `watchkeep status` for the runs\n"),
		    (long long)opts->run_id, p.text, s.text);
	}
	free(names);
}

static const char *
logs_stream_name(int stream)
{
	return stream == STORE_STDERR ? "stderr" : "stdout";
}

static void
logs_size(char *out, size_t size, int64_t bytes)
{
	if (bytes < 1024 * 1024)
		snprintf(out, size, "%" PRId64 " B", bytes);
	else if (bytes < INT64_C(1024) * 1024 * 1024)
		snprintf(out, size, "%.1f MiB", (double)bytes / 1048576.0);
	else
		snprintf(out, size, "%.2f GiB", (double)bytes / 1073741824.0);
}

/* Prints a row as text. */
static void
logs_print_row(const struct store_logs_row *r)
{
	char clean[STORE_LOG_LINE_MAX + 1], size[32];

	if (r->dropped_lines >= 0) {
		logs_size(size, sizeof size, r->dropped_bytes);
		printf(P_("%s %8lld ~ [%lld line (%s) not stored]\n",
		    "%s %8lld ~ [%lld lines (%s) not stored]\n",
		    (unsigned long)r->dropped_lines),
		    logs_stream_name(r->stream), (long long)r->line_no,
		    (long long)r->dropped_lines, size);
		return;
	}
	text_sanitize(r->text, strlen(r->text), clean, sizeof clean);
	printf("%s %8lld %c %s\n", logs_stream_name(r->stream),
	    (long long)r->line_no, r->is_error ? '!' : '|', clean);
}

/* Builds the JSON object of a row; text is sanitized again. */
static json_t *
logs_row_json(const struct store_logs_row *r)
{
	char clean[STORE_LOG_LINE_MAX + 1];
	json_t *obj;

	obj = json_pack("{s:s, s:I, s:I}", "stream",
	    logs_stream_name(r->stream), "line", (json_int_t)r->line_no,
	    "at_ms", (json_int_t)r->at);
	if (obj == NULL)
		return NULL;
	if (r->dropped_lines >= 0) {
		json_object_set_new(obj, "dropped_lines",
		    json_integer(r->dropped_lines));
		json_object_set_new(obj, "dropped_bytes",
		    json_integer(r->dropped_bytes));
		return obj;
	}
	text_sanitize(r->text, strlen(r->text), clean, sizeof clean);
	json_object_set_new(obj, "error", json_boolean(r->is_error));
	json_object_set_new(obj, "text", json_string(clean));
	return obj;
}

/* Prints a row as JSON; sep comes before it. */
static void
logs_print_row_json(const struct store_logs_row *r, const char *sep)
{
	json_t *obj = logs_row_json(r);
	char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

	if (text != NULL)
		printf("%s%s", sep, text);
	free(text);
	json_decref(obj);
}

/* The read position and the count of rows printed. */
struct logs_cursor {
	struct store_logs_query q;  /* next read; after[] moves on */
	size_t printed;             /* rows printed */
	int json_lines;             /* print JSON rows one a line */
	int json_array;             /* print JSON rows as array elements */
};

/* Notes lines that a moving stored tail replaced before they were read. */
static void
logs_print_gap(const struct logs_cursor *c, const struct store_logs_row *r)
{
	int64_t last = c->q.after[r->stream];

	if (c->q.errors_only || c->json_lines || c->json_array || last == 0 ||
	    r->line_no <= last + 1)
		return;
	printf(P_("%s %8s ~ [%lld line not shown: the stored end of the "
	    "output moved on]\n", "%s %8s ~ [%lld lines not shown: the "
	    "stored end of the output moved on]\n",
	    (unsigned long)(r->line_no - last - 1)), logs_stream_name(r->stream), "",
	    (long long)(r->line_no - last - 1));
}

static void
logs_print_rows(struct logs_cursor *c, const struct store_logs_row *rows,
		size_t n)
{
	const struct store_logs_row *r;
	size_t i;

	for (i = 0; i < n; i++) {
		r = &rows[i];
		logs_print_gap(c, r);
		if (c->json_lines)
			logs_print_row_json(r, "");
		else if (c->json_array)
			logs_print_row_json(r, c->printed > 0 ? ",\n" : "\n");
		else
			logs_print_row(r);
		if (c->json_lines)
			putchar('\n');
		c->printed++;
		/* Past a marker, its dropped lines count as read. */
		c->q.after[r->stream] = r->line_no + (r->dropped_lines > 0 ?
		    r->dropped_lines : 0);
	}
}

/* Prints every row after the cursor; returns WK_OK or a store error. */
static int
logs_drain(struct store *store, struct logs_cursor *c,
	   struct store_logs_row *rows)
{
	size_t n;
	int rc;

	do {
		rc = store_logs_read(store, &c->q, rows, LOGS_PAGE, &n);
		if (rc != WK_OK)
			return rc;
		logs_print_rows(c, rows, n);
	} while (n == LOGS_PAGE);
	fflush(stdout);
	return WK_OK;
}

/* Sleeps for ms milliseconds. */
static void
logs_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

/* Tells whether a stage run may still write lines. */
static int
logs_stage_active(const char *state)
{
	return strcmp(state, STORE_STAGE_PENDING) == 0 ||
	    strcmp(state, STORE_STAGE_RUNNING) == 0;
}

/*
 * Prints new rows until the stage run has ended. The state is read before
 * the rows, so the last read comes after the agent stored the last lines.
 * NOTE: a stage run left "running" by an agent that died keeps this loop
 * going until the user stops it.
 */
static int
logs_follow(struct store *store, struct logs_cursor *c,
	    struct store_logs_row *rows)
{
	char state[16];
	int rc, active;

	do {
		rc = store_logs_state(store, c->q.stage_run_id, state,
		    sizeof state);
		if (rc != WK_OK)
			return rc;
		active = logs_stage_active(state);
		rc = logs_drain(store, c, rows);
		if (rc != WK_OK)
			return rc;
		if (active)
			logs_sleep_ms(LOGS_POLL_MS);
	} while (active);
	return WK_OK;
}

/* Prints the start of the JSON object that contains the lines. */
static void
logs_json_head(const struct store_logs_target *t)
{
	json_t *head;
	char *text;
	size_t len;

	head = json_pack("{s:s, s:s, s:I, s:I, s:i, s:s}", "pipeline",
	    logs_show(t->pipeline).text, "stage", logs_show(t->stage).text,
	    "run_id", (json_int_t)t->run_id, "stage_run_id",
	    (json_int_t)t->stage_run_id, "attempt", t->attempt, "state",
	    t->state);
	text = head != NULL ? json_dumps(head, JSON_COMPACT) : NULL;
	len = text != NULL ? strlen(text) : 0;
	/* Leave the object open: the lines follow without being held. */
	if (len > 1)
		printf("%.*s,\"lines\":[", (int)(len - 1), text);
	else
		printf("{\"lines\":[");
	free(text);
	json_decref(head);
}

/* Prints the stage run's lines as the options ask. */
static int
logs_show_run(struct store *store, const struct logs_opts *opts,
	      const struct store_logs_target *t)
{
	struct store_logs_row *rows = calloc(LOGS_PAGE, sizeof *rows);
	struct logs_cursor c;
	int rc = WK_ERR_NOMEM;

	memset(&c, 0, sizeof c);
	c.q.stage_run_id = t->stage_run_id;
	c.q.stream = opts->stream;
	c.q.errors_only = opts->errors_only;
	c.json_lines = opts->common.json && opts->follow;
	c.json_array = opts->common.json && !opts->follow;
	if (rows == NULL)
		goto out;
	rc = opts->tail >= 0 ? store_logs_seek_last(store, &c.q, opts->tail) :
	    WK_OK;
	if (rc != WK_OK)
		goto out;

	if (c.json_array)
		logs_json_head(t);
	rc = opts->follow ? logs_follow(store, &c, rows) :
	    logs_drain(store, &c, rows);
	if (c.json_array)
		printf("\n]}\n");

out:
	free(rows);
	return rc;
}

int
cmd_logs(int argc, char **argv)
{
	char pipeline[STORE_NAME_MAX], stage[STORE_NAME_MAX];
	struct store_logs_target target;
	struct logs_opts opts;
	struct cfg *cfg = NULL;
	struct store *store;
	int code, rc;

	memset(&opts, 0, sizeof opts);
	code = logs_parse(argc, argv, &opts);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	store = cli_open_store(&opts.common, &cfg);
	if (store == NULL)
		return CLI_EXIT_STATE;

	code = logs_split_target(&opts, store, cfg, pipeline, stage);
	if (code != CLI_EXIT_OK)
		goto out;
	/* --attempt alone picks an attempt of the latest run. */
	rc = store_logs_find(store, pipeline, stage, opts.run_id, 0, &target);
	if (rc == WK_OK && opts.attempt > 0 && opts.attempt != target.attempt)
		rc = store_logs_find(store, pipeline, stage, target.run_id,
		    (int)opts.attempt, &target);
	if (rc == WK_ERR_NOTFOUND) {
		logs_not_found(store, &opts, pipeline, stage);
		code = CLI_EXIT_FAILED;
		goto out;
	}
	if (rc == WK_OK)
		rc = logs_show_run(store, &opts, &target);
	if (rc != WK_OK) {
		fprintf(stderr, _("watchkeep logs: reading the store failed: "
		    "%s\n"), wk_rc_name(rc));
		code = CLI_EXIT_STATE;
	}

out:
	store_close(store);
	cfg_free(cfg);
	return code;
}
