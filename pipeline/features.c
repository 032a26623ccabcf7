#include "pipeline/features.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/csv.h"
#include "pipeline/outfile.h"
#include "pipeline/timefmt.h"

#define FEAT_COLUMN_MAX 72  /* bytes of an event-count column name */
#define FEAT_OPEN_SHARE 0.3 /* progress share of checking the event file */

const char *const feat_base_names[FEAT_BASE_COUNT] = {
	"recency_days", "frequency", "monetary", "active_days", "tenure_days",
	"mean_gap_days", "max_gap_days", "recent_events", "previous_events",
	"activity_ratio", "avg_value", "events_per_active_day", "recent_value",
	"max_value"
};

/* Sums over the observed events of one user, before the ratios. */
struct feat_acc {
	int64_t first_day;   /* day of the first event */
	int64_t last_day;    /* day of the last event */
	uint64_t active;     /* distinct days */
	int64_t max_gap;     /* most days between two active days */
	uint64_t recent;     /* events in [split - window, split) */
	uint64_t previous;   /* events in [split - 2 window, split - window) */
	double monetary;     /* sum of values */
	double recent_value; /* sum of values in the recent window */
	double max_value;    /* largest value */
};

static void
feat_accumulate(const struct feat_params *p, const struct evfile_record *r,
		size_t obs, struct feat_acc *a, double *top)
{
	size_t i;

	memset(a, 0, sizeof *a);
	a->first_day = timefmt_day(r[0].time_ms);
	a->last_day = a->first_day;
	a->active = 1;
	a->max_value = r[0].value;
	for (i = 0; i < obs; i++) {
		int64_t day = timefmt_day(r[i].time_ms);

		if (day != a->last_day) {
			a->max_gap = day - a->last_day > a->max_gap ?
			    day - a->last_day : a->max_gap;
			a->last_day = day;
			a->active++;
		}
		a->monetary += r[i].value;
		if (r[i].value > a->max_value)
			a->max_value = r[i].value;
		if (r[i].time_ms >= p->split_ms - p->window_ms) {
			a->recent++;
			a->recent_value += r[i].value;
		} else if (r[i].time_ms >= p->split_ms - 2 * p->window_ms) {
			a->previous++;
		}
		if (p->name_column != NULL && r[i].name != EVFILE_NO_NAME &&
		    p->name_column[r[i].name] != FEAT_NO_COLUMN)
			top[p->name_column[r[i].name]] += 1.0;
	}
}

size_t
feat_compute(const struct feat_params *p, const struct evfile_record *recs,
	     size_t n, double *values, int *churned)
{
	struct feat_acc a;
	size_t obs = 0;

	while (obs < n && recs[obs].time_ms < p->split_ms)
		obs++;
	if (obs == 0)
		return 0;

	memset(values + FEAT_BASE_COUNT, 0, p->n_top * sizeof values[0]);
	feat_accumulate(p, recs, obs, &a, values + FEAT_BASE_COUNT);
	values[FEAT_RECENCY_DAYS] = (double)(p->cutoff_day - a.last_day);
	values[FEAT_FREQUENCY] = (double)obs;
	values[FEAT_MONETARY] = a.monetary;
	values[FEAT_ACTIVE_DAYS] = (double)a.active;
	values[FEAT_TENURE_DAYS] = (double)(p->cutoff_day - a.first_day);
	values[FEAT_MEAN_GAP_DAYS] = a.active > 1 ?
	    (double)(a.last_day - a.first_day) / (double)(a.active - 1) : 0.0;
	values[FEAT_MAX_GAP_DAYS] = (double)a.max_gap;
	values[FEAT_RECENT_EVENTS] = (double)a.recent;
	values[FEAT_PREVIOUS_EVENTS] = (double)a.previous;
	values[FEAT_ACTIVITY_RATIO] = (double)(a.recent + 1) /
	    (double)(a.previous + 1);
	values[FEAT_AVG_VALUE] = a.monetary / (double)obs;
	values[FEAT_EVENTS_PER_ACTIVE_DAY] = (double)obs / (double)a.active;
	values[FEAT_RECENT_VALUE] = a.recent_value;
	values[FEAT_MAX_VALUE] = a.max_value;

	*churned = !(obs < n && recs[obs].time_ms < p->split_ms + p->horizon_ms);
	return obs;
}

void
feat_event_column(const char *name, char *out, size_t size)
{
	size_t i, len;

	if (name[0] == '\0')
		name = "unnamed";
	len = (size_t)snprintf(out, size, "event_%s", name);
	if (len >= size)
		len = size - 1;
	for (i = sizeof "event_" - 1; i < len; i++) {
		char c = out[i];

		if (c >= 'A' && c <= 'Z')
			out[i] = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			out[i] = '_';
	}
}

/* The options and state of one run of the stage. */
struct feat_stage {
	const char *events_path;   /* --events */
	const char *output;        /* --output */
	const char *cutoff_text;   /* --cutoff as given */
	const char *horizon_text;  /* --horizon as given, or NULL */
	const char *window_text;   /* --window as given */
	uint64_t top_events;       /* --top-events */
	bool no_label;             /* --no-label */
	struct feat_params params; /* derived from the options */
	struct evfile ef;          /* the mapped event file */
	uint32_t *name_column;     /* n_names entries; owned */
	size_t n_top;              /* event-count columns picked */
	char top_columns[FEAT_TOP_MAX][FEAT_COLUMN_MAX];  /* their names */
	uint64_t users;            /* rows written */
	uint64_t churned;          /* rows with label 1 */
};

/* An event name and its events, for picking the most frequent. */
struct feat_name_count {
	uint64_t count;  /* events with this name */
	uint32_t name;   /* index in the name table */
};

static int
feat_compare_counts(const void *a, const void *b)
{
	const struct feat_name_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->name > y->name) - (x->name < y->name);
}

static bool
feat_column_taken(const struct feat_stage *st, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++) {
		if (strcmp(st->top_columns[j], st->top_columns[k]) == 0)
			return true;
	}
	return false;
}

/*
 * Names the column of the k-th picked event. Two names can map to the
 * same column name ("Sign Up" and "sign-up"), so a number is appended
 * until it is unique.
 */
static void
feat_name_top_column(struct feat_stage *st, size_t k, const char *name)
{
	char base[FEAT_COLUMN_MAX - 12];  /* room for "_" and 10 digits */
	int suffix = 1;

	feat_event_column(name, base, sizeof base);
	snprintf(st->top_columns[k], FEAT_COLUMN_MAX, "%s", base);
	while (feat_column_taken(st, k))
		snprintf(st->top_columns[k], FEAT_COLUMN_MAX, "%s_%d", base,
		    ++suffix);
}

/*
 * Picks the event names with the most events in the whole event file, so
 * that feature files of one event file have the same columns whatever the
 * cutoff, and a model trained at one cutoff can score another.
 */
static int
feat_pick_top(struct feat_stage *st, struct wk_err *err)
{
	const struct evfile_header *h = st->ef.header;
	struct feat_name_count *counts;
	uint64_t i;
	size_t k;

	if (h->n_names == 0 || st->top_events == 0)
		return WK_OK;
	counts = malloc(h->n_names * sizeof *counts);
	st->name_column = malloc(h->n_names * sizeof *st->name_column);
	if (counts == NULL || st->name_column == NULL) {
		free(counts);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}

	for (i = 0; i < h->n_names; i++) {
		counts[i].name = (uint32_t)i;
		counts[i].count = st->ef.names[i].n_events;
		st->name_column[i] = FEAT_NO_COLUMN;
	}
	qsort(counts, h->n_names, sizeof *counts, feat_compare_counts);
	for (k = 0; k < st->top_events && k < h->n_names; k++) {
		st->name_column[counts[k].name] = (uint32_t)k;
		feat_name_top_column(st, k,
		    evfile_name(&st->ef, counts[k].name));
	}
	st->n_top = k;
	st->params.name_column = st->name_column;
	st->params.n_top = k;
	free(counts);
	return WK_OK;
}

/* Converts the option texts into params; a failure is a usage error. */
static int
feat_check_opts(struct feat_stage *st, struct wk_err *err)
{
	const int64_t max_ms = 36500 * CLK_MS_PER_DAY;
	struct feat_params *p = &st->params;
	int rc;

	rc = cli_date("cutoff", st->cutoff_text, &p->cutoff_day, err);
	if (rc == WK_OK)
		rc = cli_duration("window", st->window_text, &p->window_ms, err);
	if (rc == WK_OK && st->horizon_text != NULL)
		rc = cli_duration("horizon", st->horizon_text, &p->horizon_ms,
		    err);
	if (rc != WK_OK)
		return rc;
	if (st->horizon_text == NULL && !st->no_label)
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--horizon DURATION is required unless --no-label is "
		    "given"));
	if (p->window_ms <= 0 || p->window_ms > max_ms ||
	    (st->horizon_text != NULL &&
	    (p->horizon_ms <= 0 || p->horizon_ms > max_ms)))
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--window and --horizon must lie between 1ms and 36500d"));
	if (st->top_events > FEAT_TOP_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--top-events %" PRIu64 " is more than %d"), st->top_events,
		    FEAT_TOP_MAX);
	p->split_ms = (p->cutoff_day + 1) * CLK_MS_PER_DAY;
	return WK_OK;
}

/*
 * Rejects a cutoff before the first event, and a label window that ends
 * after the last day with events: users would count as churned only
 * because the log stops.
 */
static int
feat_check_range(struct feat_stage *st, struct wk_err *err)
{
	const struct evfile_header *h = st->ef.header;
	const struct feat_params *p = &st->params;
	int64_t data_end = (timefmt_day(h->time_max_ms) + 1) * CLK_MS_PER_DAY;
	char first[16], last[16], window_end[16];

	timefmt_format_day(first, sizeof first, h->time_min_ms);
	timefmt_format_day(last, sizeof last, h->time_max_ms);
	if (h->n_events == 0 || p->split_ms <= h->time_min_ms)
		return wk_err_set(err, WK_ERR_INVALID, _("no user of '%s' has "
		    "an event on or before the cutoff %s: the events run from "
		    "%s to %s; pick a later --cutoff"), st->events_path,
		    st->cutoff_text, first, last);
	if (st->no_label || p->horizon_ms <= data_end - p->split_ms)
		return WK_OK;

	timefmt_format_day(window_end, sizeof window_end,
	    p->split_ms + p->horizon_ms - 1);
	return wk_err_set(err, WK_ERR_INVALID, _("the label window (cutoff %s "
	    "+ horizon %s) ends on %s, after the last day with events in "
	    "'%s' (%s), so users would look churned only because the log "
	    "ends; pick an earlier --cutoff or a shorter --horizon, or pass "
	    "--no-label for a scoring set without labels"), st->cutoff_text,
	    st->horizon_text, window_end, st->events_path, last);
}

static void
feat_write_header(struct feat_stage *st, struct outfile *of)
{
	size_t k;

	outfile_puts(of, "user_id,label");
	for (k = 0; k < FEAT_BASE_COUNT; k++)
		outfile_printf(of, ",%s", feat_base_names[k]);
	for (k = 0; k < st->n_top; k++)
		outfile_printf(of, ",%s", st->top_columns[k]);
	outfile_puts(of, "\n");
}

static int
feat_write_rows(struct feat_stage *st, struct outfile *of, struct notify *nt)
{
	const struct evfile *ef = &st->ef;
	double values[FEAT_BASE_COUNT + FEAT_TOP_MAX];
	size_t n_values = FEAT_BASE_COUNT + st->n_top, k;
	uint64_t u;

	for (u = 0; u < ef->header->n_users; u++) {
		const struct evfile_user *user = &ef->users[u];
		int churned;

		if (u % 65536 == 0)
			notify_progress(nt, FEAT_OPEN_SHARE + (1.0 -
			    FEAT_OPEN_SHARE) * (double)u /
			    (double)ef->header->n_users);
		if (feat_compute(&st->params, ef->records + user->first_event,
		    user->n_events, values, &churned) == 0)
			continue;

		csv_write_field(of, evfile_user_id(ef, u), user->text_len);
		if (st->no_label)
			outfile_puts(of, ",");
		else
			outfile_puts(of, churned ? ",1" : ",0");
		for (k = 0; k < n_values; k++)
			outfile_printf(of, ",%.15g", values[k]);
		outfile_puts(of, "\n");
		st->users++;
		st->churned += st->no_label ? 0 : (uint64_t)churned;
	}
	return of->write_errno == 0 ? WK_OK : WK_ERR_IO;
}

/* Runs the stage after the options are checked; returns an exit status. */
static int
feat_run(struct feat_stage *st, struct notify *nt, struct wk_err *err)
{
	struct churn_phase phase = { nt, 0.0, FEAT_OPEN_SHARE };
	struct outfile of;
	int rc;

	notify_status(nt, _("checking %s"), st->events_path);
	rc = evfile_open(&st->ef, st->events_path, churn_progress_fn, &phase,
	    err);
	if (rc != WK_OK)
		return churn_exit_status(rc);
	rc = feat_check_range(st, err);
	if (rc == WK_OK)
		rc = feat_pick_top(st, err);
	if (rc != WK_OK)
		return churn_exit_status(rc);

	notify_status(nt, _("computing features of %" PRIu64 " users"),
	    st->ef.header->n_users);
	if (outfile_open(&of, st->output, err) != WK_OK)
		return EX_CANTCREAT;
	feat_write_header(st, &of);
	feat_write_rows(st, &of, nt);
	if (outfile_commit(&of, err) != WK_OK)
		return EX_IOERR;
	return EX_OK;
}

static void
feat_report(const struct feat_stage *st, struct notify *nt)
{
	size_t n_features = FEAT_BASE_COUNT + st->n_top;

	notify_metric(nt, "users", (double)st->users);
	notify_metric(nt, "features", (double)n_features);
	if (st->no_label) {
		printf(_("features: %" PRIu64 " users, no label (scoring set), "
		    "%zu features, cutoff %s -> %s\n"), st->users, n_features,
		    st->cutoff_text, st->output);
	} else {
		notify_metric(nt, "churned", (double)st->churned);
		printf(_("features: %" PRIu64 " users, %" PRIu64 " churned "
		    "(%.1f%%), %zu features, cutoff %s, horizon %s -> %s\n"),
		    st->users, st->churned,
		    100.0 * (double)st->churned / (double)st->users, n_features,
		    st->cutoff_text, st->horizon_text, st->output);
	}
	notify_status(nt, _("features: %" PRIu64 " users written"), st->users);
	notify_progress(nt, 1.0);
}

int
feat_main(int argc, char **argv, struct notify *nt)
{
	struct feat_stage st = { .window_text = "30d", .top_events = 5 };
	const struct cli_opt opts[] = {
		{ "events", CLI_STRING, "FILE", N_("event file written by churn "
		  "ingest"), true, &st.events_path },
		{ "cutoff", CLI_STRING, "YYYY-MM-DD", N_("last day observed "
		  "(UTC, inclusive); features use the events up to its end"),
		  true, &st.cutoff_text },
		{ "horizon", CLI_STRING, "DURATION", N_("label window after the "
		  "cutoff, e.g. 273d; a user without events in it is churned "
		  "(units ms, s, m, h, d, w); required unless --no-label"),
		  false, &st.horizon_text },
		{ "window", CLI_STRING, "DURATION", N_("length of the recent "
		  "and previous activity windows before the cutoff (default "
		  "30d)"), false, &st.window_text },
		{ "top-events", CLI_UINT, "N", N_("event-count columns for the "
		  "N most frequent event names, 0 to 50 (default 5; none "
		  "without an event column)"), false, &st.top_events },
		{ "no-label", CLI_FLAG, NULL, N_("leave the label column empty "
		  "and allow a horizon past the data: a scoring set"), false,
		  &st.no_label },
		{ "output", CLI_STRING, "FILE", N_("feature CSV to write"), true,
		  &st.output },
	};
	const struct cli_cmd cmd = { "features", N_("Compute one row of "
	    "features and the churn label per user."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc == WK_OK)
		rc = feat_check_opts(&st, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("features: starting"));
	status = feat_run(&st, nt, &err);
	evfile_close(&st.ef);
	free(st.name_column);
	if (status != EX_OK) {
		churn_status_failed(nt, "features", &err);
		return churn_fail("features", status, &err);
	}
	feat_report(&st, nt);
	return EX_OK;
}
