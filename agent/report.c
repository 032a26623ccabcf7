#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/table.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/store_retry.h"
#include "core/text.h"

#define REPORT_MAX_METRICS 64
#define REPORT_MAX_OUTPUTS 16

const char *
report_state_name(const char *state)
{
	if (strcmp(state, STORE_STAGE_PENDING) == 0)
		return _("pending");
	if (strcmp(state, STORE_STAGE_RUNNING) == 0)
		return _("running");
	if (strcmp(state, STORE_STAGE_SUCCEEDED) == 0)
		return _("succeeded");
	if (strcmp(state, STORE_STAGE_FAILED) == 0)
		return _("failed");
	if (strcmp(state, STORE_STAGE_TIMED_OUT) == 0)
		return _("timed out");
	if (strcmp(state, STORE_STAGE_NOT_RUN) == 0)
		return _("not run");
	if (strcmp(state, STORE_STAGE_SKIPPED) == 0)
		return _("skipped");
	if (strcmp(state, STORE_STAGE_OUT_OF_MEMORY) == 0)
		return _("out of memory");
	if (strcmp(state, STORE_STAGE_RETRY_WAIT) == 0)
		return _("waiting to retry");
	return state;
}

static void
report_bytes(char *out, size_t size, int64_t bytes)
{
	if (bytes < 0)
		snprintf(out, size, "-");
	else if (bytes < 1024)
		snprintf(out, size, "%" PRId64 " B", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, size, "%.1f KiB", (double)bytes / 1024.0);
	else if (bytes < INT64_C(1024) * 1024 * 1024)
		snprintf(out, size, "%.1f MiB", (double)bytes / 1048576.0);
	else
		snprintf(out, size, "%.2f GiB", (double)bytes / 1073741824.0);
}

static void
report_exit(char *out, size_t size, const struct store_stage_run *s)
{
	if (s->signal != 0)
		snprintf(out, size, "SIG%d", s->signal);
	else if (s->exit_code >= 0 && s->ended_at != 0)
		snprintf(out, size, "%d", s->exit_code);
	else
		snprintf(out, size, "-");
}

static void
report_stage_row(struct table *t, const struct store_stage_run *s)
{
	char attempt[16], duration[32], code[16], cpu[32], rss[32];
	const char *row[7];

	if (strcmp(s->state, STORE_STAGE_NOT_RUN) == 0 ||
	    strcmp(s->state, STORE_STAGE_PENDING) == 0)
		snprintf(attempt, sizeof attempt, "-");
	else
		snprintf(attempt, sizeof attempt, "%d", s->attempt);
	if (s->duration_ms >= 0)
		clk_format_duration(duration, sizeof duration, s->duration_ms);
	else
		snprintf(duration, sizeof duration, "-");
	report_exit(code, sizeof code, s);
	if (s->user_cpu_ms >= 0)
		clk_format_duration(cpu, sizeof cpu,
		    s->user_cpu_ms + s->sys_cpu_ms);
	else
		snprintf(cpu, sizeof cpu, "-");
	report_bytes(rss, sizeof rss, s->max_rss_kb >= 0 ?
	    s->max_rss_kb * 1024 : -1);
	row[0] = s->stage;
	row[1] = report_state_name(s->state);
	row[2] = attempt;
	row[3] = duration;
	row[4] = code;
	row[5] = cpu;
	row[6] = rss;
	table_add(t, row);
}

/* Prints the stage table. */
static void
report_stage_table(FILE *out, const struct store_stage_run *stages,
		   size_t n)
{
	const char *headers[7] = { _("STAGE"), _("STATE"), _(">ATTEMPT"),
		_(">DURATION"), _(">EXIT"), _(">CPU"), _(">MAX RSS") };
	struct table *t = malloc(sizeof *t);
	size_t i;

	if (t == NULL)
		return;
	table_init(t, 7, headers);
	for (i = 0; i < n; i++)
		report_stage_row(t, &stages[i]);
	table_print(t, out, 2);
	free(t);
}

/*
 * Prints the stage's summary (its last stdout line, else its last status,
 * else why it was skipped) and its metrics. The first of these lines
 * names the stage.
 */
static void
report_stage_details(FILE *out, struct store *st,
		     const struct store_stage_run *s, size_t name_width,
		     int *heading)
{
	struct store_metric metrics[REPORT_MAX_METRICS];
	struct store_log_line *line = malloc(sizeof *line);
	const char *summary = NULL;
	char name[256];
	size_t n = 0, i;

	if (line != NULL && store_log_last(st, s->id, STORE_STDOUT, line) ==
	    WK_OK)
		summary = line->text;
	else if (s->status_text[0] != '\0')
		summary = s->status_text;
	else if (strcmp(s->state, STORE_STAGE_SKIPPED) == 0 &&
	    s->reason[0] != '\0')
		summary = s->reason;
	if (store_metrics_get(st, s->id, metrics, REPORT_MAX_METRICS, &n) !=
	    WK_OK)
		n = 0;
	if ((summary != NULL || n > 0) && !*heading) {
		fprintf(out, "\n%s\n", _("Summaries and metrics:"));
		*heading = 1;
	}
	text_fit(s->stage, name_width, 1, name, sizeof name);
	if (summary != NULL) {
		fprintf(out, "  %s  %s\n", name, summary);
		text_fit("", name_width, 1, name, sizeof name);
	}
	free(line);
	if (n == 0)
		return;
	fprintf(out, "  %s ", name);
	for (i = 0; i < n; i++)
		fprintf(out, " %s=%.6g", metrics[i].name, metrics[i].value);
	fputc('\n', out);
}

/* Prints the reason and the last error lines of a failed stage. */
static void
report_failure(FILE *out, struct store *st, const struct store_stage_run *s)
{
	struct store_log_line *lines;
	size_t n = 0, i, first = 0;

	fprintf(out, _("  %s: %s\n"), s->stage, s->reason);
	lines = calloc(REPORT_ERROR_LINES * 40, sizeof *lines);
	if (lines == NULL)
		return;
	/* The last error lines: read a window, print its tail. */
	if (store_log_lines_get(st, s->id, 0, 1, 0, lines,
	    REPORT_ERROR_LINES * 40, &n) == WK_OK && n > 0) {
		if (n > REPORT_ERROR_LINES)
			first = n - REPORT_ERROR_LINES;
		for (i = first; i < n; i++)
			fprintf(out, "    %s | %s\n", lines[i].stream ==
			    STORE_STDERR ? "stderr" : "stdout", lines[i].text);
	}
	free(lines);
}

/*
 * Describes the next attempt of a stage waiting to retry: its number, when
 * it starts (relative to now_ms) and why the attempt before it failed.
 */
static void
report_retry_text(struct store *st, const struct store_stage_run *s,
		  int64_t now_ms, char *text, size_t size)
{
	char failed[STORE_TEXT_MAX] = "", when[32];
	int64_t failed_id = 0;

	if (store_stage_attempt_before(st, s->id, &failed_id, failed,
	    sizeof failed) != WK_OK || failed[0] == '\0')
		snprintf(failed, sizeof failed, "%s", _("reason not stored"));
	if (s->retry_at <= 0) {
		snprintf(text, size, _("attempt %d has no stored start time; "
		    "attempt %d failed: %s"), s->attempt, s->attempt - 1,
		    failed);
	} else if (s->retry_at >= now_ms) {
		clk_format_duration(when, sizeof when, s->retry_at - now_ms);
		snprintf(text, size, _("attempt %d starts in %s; attempt %d "
		    "failed: %s"), s->attempt, when, s->attempt - 1, failed);
	} else {
		clk_format_duration(when, sizeof when, now_ms - s->retry_at);
		snprintf(text, size, _("attempt %d was due %s ago; attempt %d "
		    "failed: %s"), s->attempt, when, s->attempt - 1, failed);
	}
}

/* Prints the stages waiting to retry, under a heading. */
static void
report_retries(FILE *out, struct store *st,
	       const struct store_stage_run *stages, size_t n)
{
	char text[STORE_TEXT_MAX + 128];
	int64_t now_ms = clk_wall_ms();
	int heading = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(stages[i].state, STORE_STAGE_RETRY_WAIT) != 0)
			continue;
		if (!heading)
			fprintf(out, "\n%s\n", _("Retries:"));
		heading = 1;
		report_retry_text(st, &stages[i], now_ms, text, sizeof text);
		fprintf(out, "  %s: %s\n", stages[i].stage, text);
	}
}

/* Prints the outputs of a stage; returns how many it printed. */
static size_t
report_outputs(FILE *out, struct store *st, const struct store_stage_run *s,
	       size_t name_width, int header)
{
	struct store_output outputs[REPORT_MAX_OUTPUTS];
	char size[32], name[256];
	size_t n = 0, i;

	if (store_outputs_get(st, s->id, outputs, REPORT_MAX_OUTPUTS, &n) !=
	    WK_OK)
		return 0;
	if (n > 0 && header)
		fprintf(out, "\n%s\n", _("Outputs:"));
	for (i = 0; i < n; i++) {
		text_fit(i == 0 ? s->stage : "", name_width, 1, name,
		    sizeof name);
		report_bytes(size, sizeof size, outputs[i].size_bytes);
		fprintf(out, "  %s  %s (%s)\n", name, outputs[i].path, size);
	}
	return n;
}

/*
 * The time a running run has taken since its start (ms), or -1 for a run
 * that ended or has no start time.
 */
static int64_t
report_running_for(const struct store_run *run, int64_t now_ms)
{
	if (strcmp(run->state, STORE_RUN_RUNNING) != 0 || run->started_at <= 0)
		return -1;
	return now_ms > run->started_at ? now_ms - run->started_at : 0;
}

static void
report_header(FILE *out, const struct store_run *run)
{
	int64_t running_ms = report_running_for(run, clk_wall_ms());
	char took[32], started[40];

	clk_format_utc(started, sizeof started, run->started_at);
	if (running_ms >= 0)
		clk_format_duration(took, sizeof took, running_ms);
	else if (run->duration_ms >= 0)
		clk_format_duration(took, sizeof took, run->duration_ms);
	else
		snprintf(took, sizeof took, "-");
	if (running_ms >= 0)
		fprintf(out, _("Run %lld of pipeline %s: running for %s\n"),
		    (long long)run->id, run->pipeline, took);
	else
		fprintf(out, _("Run %lld of pipeline %s: %s in %s\n"),
		    (long long)run->id, run->pipeline,
		    report_state_name(run->state), took);
	fprintf(out, _("  logical date %s, trigger %s, started %s\n"),
	    run->logical_date, run->trigger, started);
	if (run->reason[0] != '\0')
		fprintf(out, _("  reason: %s\n"), run->reason);
}

int
report_run_text(FILE *out, struct store *st, int64_t run_id)
{
	struct store_stage_run *stages;
	struct store_run run;
	size_t n = 0, i, width = 0;
	int rc, failed = 0, outputs = 0, heading = 0;

	rc = store_run_get(st, run_id, &run);
	if (rc != WK_OK)
		return rc;
	stages = calloc(REPORT_MAX_STAGES, sizeof *stages);
	if (stages == NULL)
		return WK_ERR_NOMEM;
	rc = store_stage_runs_latest(st, run_id, stages, REPORT_MAX_STAGES, &n);
	if (rc != WK_OK)
		goto out;

	report_header(out, &run);
	fputc('\n', out);
	report_stage_table(out, stages, n);
	for (i = 0; i < n; i++) {
		if (text_width(stages[i].stage) > width)
			width = text_width(stages[i].stage);
		failed |= stages[i].reason[0] != '\0' &&
		    strcmp(stages[i].state, STORE_STAGE_SKIPPED) != 0;
	}
	for (i = 0; i < n; i++)
		report_stage_details(out, st, &stages[i], width, &heading);
	report_retries(out, st, stages, n);
	if (failed) {
		fprintf(out, "\n%s\n", _("Failures:"));
		for (i = 0; i < n; i++) {
			if (stages[i].reason[0] != '\0' &&
			    strcmp(stages[i].state, STORE_STAGE_SKIPPED) != 0)
				report_failure(out, st, &stages[i]);
		}
	}
	for (i = 0; i < n; i++)
		outputs += (int)report_outputs(out, st, &stages[i], width,
		    outputs == 0);

out:
	free(stages);
	return rc;
}

int
report_runs_brief(FILE *out, struct store *st, const char *pipeline,
		  size_t max)
{
	const char *headers[6] = { _(">RUN"), _("PIPELINE"), _("STATE"),
		_("LOGICAL DATE"), _("STARTED"), _(">DURATION") };
	struct store_run *runs = calloc(max, sizeof *runs);
	struct table *t = malloc(sizeof *t);
	char id[24], started[40], took[32];
	const char *row[6];
	size_t n = 0, i;
	int rc = WK_ERR_NOMEM;

	if (runs == NULL || t == NULL)
		goto out;
	rc = store_runs_recent(st, pipeline, runs, max, &n);
	if (rc != WK_OK)
		goto out;
	table_init(t, 6, headers);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%lld", (long long)runs[i].id);
		clk_format_utc(started, sizeof started, runs[i].started_at);
		if (runs[i].duration_ms >= 0)
			clk_format_duration(took, sizeof took,
			    runs[i].duration_ms);
		else
			snprintf(took, sizeof took, "-");
		row[0] = id;
		row[1] = runs[i].pipeline;
		row[2] = report_state_name(runs[i].state);
		row[3] = runs[i].logical_date;
		row[4] = started;
		row[5] = took;
		table_add(t, row);
	}
	table_print(t, out, 0);

out:
	free(runs);
	free(t);
	return rc;
}

/* Adds an integer member, or null when the value is negative (unknown). */
static void
report_json_known(json_t *obj, const char *key, int64_t value)
{
	json_object_set_new(obj, key, value >= 0 ? json_integer(value) :
	    json_null());
}

/*
 * Adds retry_at_ms (the due time of the next attempt) and
 * retry_after_reason (why the attempt before it failed) to the JSON form
 * of a stage. Both are null unless the stage waits to retry.
 */
static void
report_retry_json(struct store *st, const struct store_stage_run *s,
		  json_t *obj)
{
	char failed[STORE_TEXT_MAX] = "";
	int64_t failed_id = 0;
	int waiting = strcmp(s->state, STORE_STAGE_RETRY_WAIT) == 0;

	report_json_known(obj, "retry_at_ms", waiting && s->retry_at > 0 ?
	    s->retry_at : -1);
	if (waiting && store_stage_attempt_before(st, s->id, &failed_id,
	    failed, sizeof failed) == WK_OK && failed[0] != '\0')
		json_object_set_new(obj, "retry_after_reason",
		    json_string(failed));
	else
		json_object_set_new(obj, "retry_after_reason", json_null());
}

static json_t *
report_stage_json(struct store *st, const struct store_stage_run *s)
{
	struct store_metric metrics[REPORT_MAX_METRICS];
	struct store_output outputs[REPORT_MAX_OUTPUTS];
	json_t *obj = json_object(), *m = json_object(), *o = json_array();
	size_t n = 0, i;

	json_object_set_new(obj, "stage", json_string(s->stage));
	json_object_set_new(obj, "state", json_string(s->state));
	json_object_set_new(obj, "attempt", json_integer(s->attempt));
	report_json_known(obj, "pid", s->pid > 0 ? s->pid : -1);
	report_json_known(obj, "started_at_ms", s->started_at > 0 ?
	    s->started_at : -1);
	report_json_known(obj, "ended_at_ms", s->ended_at > 0 ?
	    s->ended_at : -1);
	report_json_known(obj, "duration_ms", s->duration_ms);
	report_json_known(obj, "exit_code", s->ended_at > 0 && s->signal == 0 ?
	    s->exit_code : -1);
	report_json_known(obj, "signal", s->signal > 0 ? s->signal : -1);
	report_json_known(obj, "user_cpu_ms", s->user_cpu_ms);
	report_json_known(obj, "sys_cpu_ms", s->sys_cpu_ms);
	report_json_known(obj, "max_rss_kb", s->max_rss_kb);
	json_object_set_new(obj, "reason", s->reason[0] != '\0' ?
	    json_string(s->reason) : json_null());
	report_retry_json(st, s, obj);
	if (store_metrics_get(st, s->id, metrics, REPORT_MAX_METRICS, &n) ==
	    WK_OK) {
		for (i = 0; i < n; i++)
			json_object_set_new(m, metrics[i].name,
			    json_real(metrics[i].value));
	}
	json_object_set_new(obj, "metrics", m);
	if (store_outputs_get(st, s->id, outputs, REPORT_MAX_OUTPUTS, &n) ==
	    WK_OK) {
		for (i = 0; i < n; i++)
			json_array_append_new(o, json_pack("{s:s, s:I}", "path",
			    outputs[i].path, "size_bytes",
			    (json_int_t)outputs[i].size_bytes));
	}
	json_object_set_new(obj, "outputs", o);
	return obj;
}

json_t *
report_run_json(struct store *st, int64_t run_id)
{
	struct store_stage_run *stages;
	struct store_run run;
	json_t *obj, *list;
	size_t n = 0, i;

	if (store_run_get(st, run_id, &run) != WK_OK)
		return NULL;
	stages = calloc(REPORT_MAX_STAGES, sizeof *stages);
	if (stages == NULL || store_stage_runs_latest(st, run_id, stages,
	    REPORT_MAX_STAGES, &n) != WK_OK) {
		free(stages);
		return NULL;
	}
	obj = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "id",
	    (json_int_t)run.id, "pipeline", run.pipeline, "logical_date",
	    run.logical_date, "trigger", run.trigger, "state", run.state,
	    "started_at_ms", (json_int_t)run.started_at);
	report_json_known(obj, "ended_at_ms", run.ended_at > 0 ?
	    run.ended_at : -1);
	report_json_known(obj, "duration_ms", run.duration_ms);
	report_json_known(obj, "running_for_ms", report_running_for(&run,
	    clk_wall_ms()));
	json_object_set_new(obj, "reason", run.reason[0] != '\0' ?
	    json_string(run.reason) : json_null());
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, report_stage_json(st, &stages[i]));
	json_object_set_new(obj, "stages", list);
	free(stages);
	return obj;
}
