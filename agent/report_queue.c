/*
 * The runs the agent queued and has not started yet, read from the
 * store's run_queue, for `watchkeep runs` and `watchkeep status`.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "agent/table.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/store_queue.h"

/* Reads the queue of pipeline (NULL: all) into a new array; sets *n. */
static struct store_queued_run *
report_queue_read(struct store *st, const char *pipeline, size_t *n)
{
	struct store_queued_run *runs;

	*n = 0;
	runs = calloc(REPORT_MAX_QUEUED, sizeof *runs);
	if (runs == NULL)
		return NULL;
	if (store_queue_list(st, pipeline, runs, REPORT_MAX_QUEUED, n) !=
	    WK_OK) {
		free(runs);
		return NULL;
	}
	return runs;
}

/* The 1-based place of runs[i] among the queued runs of its pipeline. */
static size_t
report_queue_position(const struct store_queued_run *runs, size_t i)
{
	size_t j, position = 1;

	for (j = 0; j < i; j++)
		position += strcmp(runs[j].pipeline, runs[i].pipeline) == 0;
	return position;
}

static void
report_queue_row(struct table *t, const struct store_queued_run *runs,
		 size_t i)
{
	char position[24], queued[40];
	const char *row[6];

	snprintf(position, sizeof position, "%zu",
	    report_queue_position(runs, i));
	clk_format_utc(queued, sizeof queued, runs[i].queued_at);
	row[0] = position;
	row[1] = runs[i].pipeline;
	row[2] = _("queued");
	row[3] = runs[i].logical_date;
	row[4] = runs[i].trigger;
	row[5] = queued;
	table_add(t, row);
}

int
report_queue_text(FILE *out, struct store *st, const char *pipeline,
		  size_t max)
{
	const char *headers[6] = { _(">NEXT"), _("PIPELINE"), _("STATE"),
		_("LOGICAL DATE"), _("TRIGGER"), _("QUEUED AT") };
	struct store_queued_run *runs;
	struct table *t;
	size_t n, i;

	runs = report_queue_read(st, pipeline, &n);
	t = malloc(sizeof *t);
	if (runs == NULL || t == NULL) {
		free(runs);
		free(t);
		return WK_ERR_STORE;
	}

	if (max > TABLE_MAX_ROWS - 1)
		max = TABLE_MAX_ROWS - 1;
	if (n > 0) {
		fprintf(out, "\n%s\n", _("Queued runs, in the order they start "
		    "(NEXT: place in the pipeline's queue):"));
		table_init(t, 6, headers);
		for (i = 0; i < n && i < max; i++)
			report_queue_row(t, runs, i);
		table_print(t, out, 0);
	}
	if (n > max)
		fprintf(out, P_("... and %zu more queued run\n",
		    "... and %zu more queued runs\n", n - max), n - max);
	free(runs);
	free(t);
	return WK_OK;
}

static json_t *
report_queue_run_json(const struct store_queued_run *runs, size_t i)
{
	json_t *obj = json_pack("{s:n, s:s, s:s, s:s, s:s, s:I, s:I}", "id",
	    "pipeline", runs[i].pipeline, "logical_date",
	    runs[i].logical_date, "trigger", runs[i].trigger, "state",
	    "queued", "queued_at_ms", (json_int_t)runs[i].queued_at,
	    "position", (json_int_t)report_queue_position(runs, i));

	json_object_set_new(obj, "scheduled_at_ms", runs[i].scheduled_at > 0 ?
	    json_integer(runs[i].scheduled_at) : json_null());
	return obj;
}

int
report_queue_json(struct store *st, const char *pipeline, json_t *list)
{
	struct store_queued_run *runs;
	const char *state;
	size_t n, i, at = 0;

	runs = report_queue_read(st, pipeline, &n);
	if (runs == NULL)
		return WK_ERR_STORE;

	/* After the runs in progress, which lead a newest-first list. */
	while (at < json_array_size(list)) {
		state = json_string_value(json_object_get(json_array_get(list,
		    at), "state"));
		if (state == NULL || strcmp(state, STORE_RUN_RUNNING) != 0)
			break;
		at++;
	}
	for (i = 0; i < n; i++)
		json_array_insert_new(list, at + i, report_queue_run_json(runs,
		    i));
	free(runs);
	return WK_OK;
}
